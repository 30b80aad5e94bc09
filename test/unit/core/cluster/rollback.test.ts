import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
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

describe('rollback as kubectl rollout undo does it (kubectl as the oracle)', function () {
  this.timeout(60_000);
  const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
  const engine = useTestCluster();
  const oracle = useTestCluster({ anonymousIsAdmin: true });

  /** Two rollouts and a change-id annotation set on the Deployment after each: "a", then "b". */
  async function history(t: ReturnType<typeof engine>): Promise<void> {
    const annotate = (id: string) =>
      t.server.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'flask-api', namespace: NS, annotations: { 'dr-runbook.io/change-id': id } },
        },
        'release-tool',
      );
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    annotate('a');
    await rollOut(t, 'endpoint-stats/api:1.5.0');
    annotate('b');
  }

  (existsSync(KUBECTL) ? it : it.skip)('restores the target revision’s annotations, as kubectl does', async () => {
    const ours = engine();
    const theirs = oracle();
    await history(ours);
    await history(theirs);
    const plan = await prepareRollback(ours.cluster, REF);
    assert.ok(plan.ok);
    assert.ok((await executeRollback(ours.cluster, plan.value, { timeoutMs: 10_000 })).ok);
    await promisify(execFile)(
      KUBECTL,
      ['--kubeconfig', theirs.kubeconfigPath, 'rollout', 'undo', '-n', NS, 'deployment/flask-api'],
      {
        timeout: 30_000,
      },
    );
    const annotations = (t: typeof ours) =>
      t.server.get('apps/v1', 'Deployment', NS, 'flask-api')?.metadata.annotations as Record<string, string>;
    assert.notEqual(annotations(theirs)['dr-runbook.io/change-id'], 'b', 'kubectl dropped what revision 1 did not have');
    assert.deepEqual(annotations(ours), annotations(theirs));
  });

  it('on a second run, says it would undo the rollback, naming both images', async () => {
    const t = engine();
    await rollOut(t, 'endpoint-stats/api:1.4.0');
    await rollOut(t, 'endpoint-stats/api:1.5.0');
    const first = await prepareRollback(t.cluster, REF);
    assert.ok(first.ok && !first.value.undoesRollback);
    assert.ok((await executeRollback(t.cluster, first.value, { timeoutMs: 10_000 })).ok);
    const second = await prepareRollback(t.cluster, REF);
    assert.ok(second.ok);
    assert.equal(second.value.undoesRollback, true);
    assert.match(
      describeRollback(second.value),
      /revision 3 → 2: .*Revision 3 is itself a rollback: rolling back again returns to revision 2, the one rolled back from \(flask-api now runs endpoint-stats\/api:1\.4\.0 and would run endpoint-stats\/api:1\.5\.0\)/,
    );
  });
});
