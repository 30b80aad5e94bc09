import assert from 'node:assert/strict';
import { parseManifestText } from '../../../../src/core/manifests/loadManifests.js';
import { applyItems, applyObjects, describeFailures } from '../../../../src/core/cluster/apply.js';
import { orderForApply } from '../../../../src/core/cluster/applyOrder.js';
import { useTestCluster } from '../../../support/testCluster.js';

const NAMESPACE = 'apply-test';

function manifests(text: string, file = 'k8s/test.yaml') {
  const parsed = parseManifestText(text, file);
  assert.deepEqual(parsed.errors, []);
  return applyItems(parsed.objects, NAMESPACE);
}

const STACK = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {MODE: production}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACE}}
`;

describe('applyObjects (server-side apply through client-node)', () => {
  const cluster = useTestCluster();

  it('orders objects so that dependencies come first', () => {
    assert.deepEqual(
      orderForApply(manifests(STACK).map((i) => i.ref)).map((r) => r.kind),
      ['Namespace', 'ConfigMap', 'Service', 'Deployment'],
    );
  });

  it('applies a step whose namespace it creates itself, then re-applies it with no change', async () => {
    const t = cluster();
    const items = manifests(STACK);
    const first = await applyObjects(t.cluster, items);
    assert.ok(first.ok, first.ok ? '' : JSON.stringify(first.error));
    assert.deepEqual(
      first.value.map((a) => [a.item.ref.kind, a.action]),
      [
        ['Namespace', 'created'],
        ['ConfigMap', 'created'],
        ['Service', 'created'],
        ['Deployment', 'created'],
      ],
    );
    const deployment = t.server.get('apps/v1', 'Deployment', NAMESPACE, 'web');
    assert.equal(deployment?.metadata.managedFields?.[0]?.manager, 'dr-runbook');
    await t.server.waitFor('apps/v1', 'Deployment', NAMESPACE, 'web', (d) => d?.status?.readyReplicas === 2);
    const before = items.map(
      (i) => t.server.get(i.ref.apiVersion, i.ref.kind, i.ref.namespace, i.ref.name)?.metadata.resourceVersion,
    );
    const again = await applyObjects(t.cluster, items);
    assert.ok(again.ok);
    assert.deepEqual(new Set(again.value.map((a) => a.action)), new Set(['unchanged']));
    const after = items.map(
      (i) => t.server.get(i.ref.apiVersion, i.ref.kind, i.ref.namespace, i.ref.name)?.metadata.resourceVersion,
    );
    assert.deepEqual(after, before, 'an unchanged re-apply wrote nothing');
  });

  it('applies nothing of a step when one object in the middle is refused by the preflight', async () => {
    const t = cluster();
    // The Deployment (in the middle of the step) has lost its selector: the server refuses it.
    const broken = STACK.replace('  selector: {matchLabels: {app: web}}\n', '');
    const items = manifests(broken);
    const result = await applyObjects(t.cluster, items);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.stage === 'preflight');
    const failures = !result.ok && result.error.stage === 'preflight' ? result.error.failures : [];
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.item.ref.kind, 'Deployment');
    assert.equal(failures[0]!.error.kind, 'invalid');
    assert.match(
      describeFailures(failures)[0]!,
      /^k8s\/test\.yaml:2 Deployment apply-test\/web: .*spec\.selector: Required value/,
    );
    assert.equal(t.server.get('v1', 'Namespace', undefined, NAMESPACE), undefined, 'nothing was applied');
    assert.equal(t.server.get('v1', 'ConfigMap', NAMESPACE, 'web-config'), undefined);
  });

  it('reports a field conflict with the fields and managers, and forces only when asked', async () => {
    const t = cluster();
    assert.ok((await applyObjects(t.cluster, manifests(STACK))).ok);
    t.server.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-config', namespace: NAMESPACE },
        data: { MODE: 'maintenance' },
      },
      'kubectl-edit',
    );
    const conflicted = await applyObjects(t.cluster, manifests(STACK));
    assert.ok(!conflicted.ok && conflicted.error.stage === 'preflight');
    const failure = !conflicted.ok && conflicted.error.stage === 'preflight' ? conflicted.error.failures[0]! : undefined;
    assert.equal(failure?.error.kind, 'conflict');
    assert.deepEqual(failure?.error.conflicts, [{ field: '.data.MODE', manager: 'kubectl-edit' }]);
    assert.equal(t.server.get('v1', 'ConfigMap', NAMESPACE, 'web-config')?.data.MODE, 'maintenance');
    const forced = await applyObjects(t.cluster, manifests(STACK), { force: true });
    assert.ok(forced.ok);
    assert.equal(t.server.get('v1', 'ConfigMap', NAMESPACE, 'web-config')?.data.MODE, 'production');
  });

  it('does not fail the preflight for a namespace an earlier step creates', async () => {
    const t = cluster();
    const items = manifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later, namespace: made-earlier}\ndata: {a: b}\n');
    const refused = await applyObjects(t.cluster, items);
    assert.ok(!refused.ok && refused.error.stage === 'preflight', 'without the hint the namespace is missing');
    const result = await applyObjects(t.cluster, items, { expectedNamespaces: ['made-earlier'] });
    assert.ok(!result.ok && result.error.stage === 'apply', 'the preflight passes; the apply itself still needs the namespace');
  });

  it('reports an unknown kind as a typed error naming the context', async () => {
    const t = cluster();
    const items = manifests('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
    const result = await applyObjects(t.cluster, items);
    assert.ok(!result.ok && result.error.stage === 'preflight');
    const error = !result.ok && result.error.stage === 'preflight' ? result.error.failures[0]!.error : undefined;
    assert.equal(error?.kind, 'unknownKind');
    assert.match(error.message, /context "dr-runbook-test" does not serve example\.com\/v1 Widget/);
  });
});
