import assert from 'node:assert/strict';
import { describeRollback, executeRollback, prepareRollback } from '../../../../src/core/cluster/rollback.js';
import { FLASK_API, NS, rollOut } from '../../../support/flaskApi.js';
import { useTestCluster } from '../../../support/testCluster.js';

const REF = FLASK_API;

describe('rollback (kubectl rollout undo, natively)', () => {
  const cluster = useTestCluster();

  it('refuses clearly when the deployment has no earlier revision', async () => {
    const t = cluster();
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    const plan = await prepareRollback(t.cluster, REF);
    assert.ok(!plan.ok && plan.error.kind === 'noHistory');
    assert.match(
      plan.error.kind === 'noHistory' ? plan.error.message : '',
      /Deployment endpoint-stats\/flask-api has no earlier revision to roll back to \(current revision 1/,
    );
  });

  it('refuses a deployment that does not exist', async () => {
    const t = cluster();
    const plan = await prepareRollback(t.cluster, { ...REF, name: 'nope' });
    assert.ok(!plan.ok && plan.error.kind === 'notFound');
  });

  it('goes back to the previous revision, showing images, env and revisions first, then waits for the rollout', async () => {
    const t = cluster();
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    await rollOut(t, 'endpoint-stats/api:1.5.0', { logLevel: 'debug' });
    const plan = await prepareRollback(t.cluster, REF);
    assert.ok(plan.ok, plan.ok ? '' : JSON.stringify(plan.error));
    assert.equal(plan.value.fromRevision, 2);
    assert.equal(plan.value.toRevision, 1);
    assert.deepEqual(plan.value.changes, [
      { container: 'flask-api', what: 'image', from: 'endpoint-stats/api:1.5.0', to: 'endpoint-stats/api:1.4.0' },
      { container: 'flask-api', what: 'env', name: 'LOG_LEVEL', from: 'debug', to: 'info' },
    ]);
    assert.equal(
      describeRollback(plan.value),
      'Deployment endpoint-stats/flask-api: revision 2 → 1: flask-api image endpoint-stats/api:1.5.0 → endpoint-stats/api:1.4.0; flask-api env LOG_LEVEL: debug → info',
    );
    const done = await executeRollback(t.cluster, plan.value, { timeoutMs: 10_000 });
    assert.ok(done.ok, done.ok ? '' : JSON.stringify(done.error));
    const live = t.server.get('apps/v1', 'Deployment', NS, 'flask-api');
    assert.equal(live?.spec.template.spec.containers[0].image, 'endpoint-stats/api:1.4.0');
    assert.equal(live?.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(live?.status.updatedReplicas, 2);
  });

  it('goes back to a chosen revision, and refuses one that is not kept', async () => {
    const t = cluster();
    await rollOut(t, 'endpoint-stats/api:1.3.0');
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    await rollOut(t, 'endpoint-stats/api:1.5.0');
    const missing = await prepareRollback(t.cluster, REF, 9);
    assert.ok(!missing.ok && missing.error.kind === 'noSuchRevision');
    assert.deepEqual(missing.error.kind === 'noSuchRevision' && missing.error.available, [3, 2, 1]);
    const plan = await prepareRollback(t.cluster, REF, 1);
    assert.ok(plan.ok);
    assert.equal(plan.value.changes[0]!.to, 'endpoint-stats/api:1.3.0');
    assert.ok((await executeRollback(t.cluster, plan.value, { timeoutMs: 10_000 })).ok);
    assert.equal(
      t.server.get('apps/v1', 'Deployment', NS, 'flask-api')?.spec.template.spec.containers[0].image,
      'endpoint-stats/api:1.3.0',
    );
  });

  it('says there is nothing to do when the chosen revision is what runs', async () => {
    const t = cluster();
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    await rollOut(t, 'endpoint-stats/api:1.5.0');
    const plan = await prepareRollback(t.cluster, REF, 2);
    assert.ok(!plan.ok && plan.error.kind === 'alreadyThere');
  });
});
