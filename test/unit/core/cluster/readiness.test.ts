import assert from 'node:assert/strict';
import { applyItems, applyObjects } from '../../../../src/core/cluster/apply.js';
import { judgeReadiness } from '../../../../src/core/cluster/readinessRules.js';
import { waitForReady, type ReadinessEvent } from '../../../../src/core/cluster/readiness.js';
import { parseManifestText } from '../../../../src/core/manifests/loadManifests.js';
import { useTestCluster } from '../../../support/testCluster.js';

const NS = 'ready-test';
const STACK = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:15.6}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: IMAGE}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 80}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: migrate, image: migrate:1.0}]}
`;

function items(image = 'api:1.0') {
  return applyItems(parseManifestText(STACK.replace('IMAGE', image), 'k8s/stack.yaml').objects, NS);
}

describe('readiness rules', () => {
  it('judge a Deployment the way kubectl rollout status does', () => {
    const d = (status: object, generation = 2) => ({
      kind: 'Deployment',
      metadata: { name: 'api', generation },
      spec: { replicas: 2 },
      status,
    });
    assert.equal(judgeReadiness(d({ observedGeneration: 1 })).reason, 'waiting for the deployment spec update to be observed');
    assert.equal(
      judgeReadiness(d({ observedGeneration: 2, updatedReplicas: 1, replicas: 2 })).reason,
      '1 out of 2 new replicas have been updated',
    );
    assert.equal(
      judgeReadiness(d({ observedGeneration: 2, updatedReplicas: 2, replicas: 3 })).reason,
      '1 old replicas are pending termination',
    );
    assert.equal(
      judgeReadiness(d({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).reason,
      '1 of 2 updated replicas are available',
    );
    assert.equal(
      judgeReadiness(d({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })).state,
      'ready',
    );
    assert.equal(
      judgeReadiness(
        d({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
      ).state,
      'failed',
    );
  });

  it('judge claims, namespaces, jobs and pods', () => {
    assert.equal(judgeReadiness({ kind: 'PersistentVolumeClaim', status: { phase: 'Pending' } }).state, 'waiting');
    assert.equal(judgeReadiness({ kind: 'PersistentVolumeClaim', status: { phase: 'Bound' } }).state, 'ready');
    assert.equal(judgeReadiness({ kind: 'Namespace', status: { phase: 'Terminating' } }).state, 'waiting');
    assert.equal(
      judgeReadiness({
        kind: 'Job',
        status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
      }).state,
      'failed',
    );
    assert.equal(
      judgeReadiness({
        kind: 'Pod',
        status: { phase: 'Pending', containerStatuses: [{ name: 'api', state: { waiting: { reason: 'ImagePullBackOff' } } }] },
      }).reason,
      'container api: ImagePullBackOff',
    );
    assert.equal(judgeReadiness({ kind: 'ConfigMap' }).state, 'ready');
  });
});

describe('waitForReady (watches against the test server)', () => {
  // Pods get ready after the apply has finished (over TLS it takes tens of ms), so the wait sees them waiting first.
  const cluster = useTestCluster({ podReadyDelayMs: 400 });

  it('waits for every object of a step by its kind’s rule, reporting progress', async () => {
    const t = cluster();
    const applied = await applyObjects(t.cluster, items());
    assert.ok(applied.ok);
    const events: ReadinessEvent[] = [];
    const result = await waitForReady(
      t.cluster,
      items().map((i) => i.ref),
      { timeoutMs: 20_000, onProgress: (e) => events.push(e) },
    );
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.error));
    assert.deepEqual(
      result.value.map((e) => [e.ref.kind, e.state]),
      [
        ['Namespace', 'ready'],
        ['PersistentVolumeClaim', 'ready'],
        ['StatefulSet', 'ready'],
        ['Deployment', 'ready'],
        ['Service', 'ready'],
        ['Job', 'ready'],
      ],
    );
    assert.ok(
      events.some((e) => e.ref.kind === 'Deployment' && e.state === 'waiting'),
      'progress showed the deployment waiting first',
    );
    assert.equal(t.server.get('apps/v1', 'Deployment', NS, 'api')?.status?.readyReplicas, 2);
  });

  it('reports a deployment whose pods never become ready when the time runs out', async () => {
    const t = cluster();
    t.server.setImageBehaviour('api:broken', { neverReady: true });
    assert.ok((await applyObjects(t.cluster, items('api:broken'))).ok);
    const deployment = items().find((i) => i.ref.kind === 'Deployment')!.ref;
    const result = await waitForReady(t.cluster, [deployment], { timeoutMs: 1_000 });
    assert.ok(!result.ok && result.error.kind === 'timeout');
    assert.match(result.error.kind === 'timeout' ? result.error.pending[0]!.reason : '', /of 2 updated replicas are available/);
  });

  it('stops at once when cancelled mid-wait', async () => {
    const t = cluster();
    t.server.setImageBehaviour('api:slow', { neverReady: true });
    assert.ok((await applyObjects(t.cluster, items('api:slow'))).ok);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const result = await waitForReady(
      t.cluster,
      items().map((i) => i.ref),
      { timeoutMs: 60_000, signal: controller.signal },
    );
    assert.ok(!result.ok && result.error.kind === 'cancelled');
    assert.ok(Date.now() - started < 5_000, 'cancellation took too long');
    assert.ok(result.error.kind === 'cancelled' && result.error.pending.some((e) => e.ref.kind === 'Deployment'));
  });

  it('keeps waiting across a dropped watch stream', async () => {
    const t = cluster();
    t.server.setImageBehaviour('api:late', { readyDelayMs: 800 });
    assert.ok((await applyObjects(t.cluster, items('api:late'))).ok);
    t.server.faults.dropStreams({ kind: 'watch', path: /deployments/, after: 1, times: 2 });
    const deployment = items().find((i) => i.ref.kind === 'Deployment')!.ref;
    const result = await waitForReady(t.cluster, [deployment], { timeoutMs: 15_000 });
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.error));
  });

  it('fails fast on a pod stuck pulling its image', async () => {
    const t = cluster();
    t.server.setImageBehaviour('api:typo', { waitingReason: 'ImagePullBackOff' });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lonely', namespace: 'default' },
      spec: { containers: [{ name: 'api', image: 'api:typo' }] },
    };
    assert.ok((await t.cluster.apply(pod, { dryRun: false, force: false })).ok);
    const result = await waitForReady(t.cluster, [{ apiVersion: 'v1', kind: 'Pod', name: 'lonely', namespace: 'default' }], {
      timeoutMs: 10_000,
    });
    assert.ok(!result.ok && result.error.kind === 'failed');
  });
});

describe('waitForReady: what will never come', () => {
  const cluster = useTestCluster();
  const apply = async (text: string) => {
    const t = cluster();
    const result = await applyObjects(t.cluster, applyItems(parseManifestText(text, 'k8s/x.yaml').objects, NS));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    return result.value.map((a) => a.item.ref);
  };
  const NAMESPACE = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n---\n`;
  const workload = (kind: string) => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: w}
spec:
  ${kind === 'StatefulSet' ? 'serviceName: w\n  ' : ''}replicas: 1
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec: {serviceAccountName: not-there, containers: [{name: w, image: nginx}]}
`;

  for (const kind of ['Deployment', 'StatefulSet']) {
    it(`fails at once, with the server's reason, when the pods of a ${kind} cannot be created`, async () => {
      const refs = await apply(NAMESPACE + workload(kind));
      const started = Date.now();
      const result = await waitForReady(cluster().cluster, refs, { timeoutMs: 30_000 });
      assert.ok(!result.ok && result.error.kind === 'failed', JSON.stringify(result));
      const [failed] = !result.ok && result.error.kind === 'failed' ? result.error.failed : [];
      assert.equal(failed?.ref.kind, kind);
      assert.match(failed.reason, /its pods cannot be created: .*serviceaccount "not-there" not found/);
      assert.ok(Date.now() - started < 20_000, 'long before the timeout');
    });
  }

  it('counts a claim whose StorageClass binds on first consumer as ready, saying so', async () => {
    const t = cluster();
    t.server.apply({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'wait-for-consumer' },
      provisioner: 'sim.local/hostpath',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const refs = await apply(
      `${NAMESPACE}apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: wffc}\nspec: {storageClassName: wait-for-consumer, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n`,
    );
    const result = await waitForReady(t.cluster, refs, { timeoutMs: 10_000 });
    assert.ok(result.ok, JSON.stringify(result));
    const claim = result.value.find((e) => e.ref.kind === 'PersistentVolumeClaim');
    assert.match(
      claim!.reason,
      /Pending until its first pod: StorageClass wait-for-consumer binds on first consumer \(WaitForFirstConsumer\)/,
    );
    assert.equal(t.server.get('v1', 'PersistentVolumeClaim', NS, 'wffc')?.status?.phase, 'Pending');
  });
});
