import assert from 'node:assert/strict';
import { parseManifestText } from '../../../../src/core/manifests/loadManifests.js';
import { applyItems, applyObjects, describeFailures, preflightObjects } from '../../../../src/core/cluster/apply.js';
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
      /^k8s\/test\.yaml:5 Deployment apply-test\/web field spec\.selector: .*spec\.selector: Required value/,
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

  it('sends the manifest as parsed: NetworkPolicy `from` rules arrive, YAML 1.1 octal is 365', async () => {
    const t = cluster();
    t.server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const items = manifests(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: ops}}
      podSelector: {matchLabels: {app: backup}}
    ports: [{port: 5432, protocol: TCP}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: modes}
data: {mode: "0555"}
binaryData: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: octal}
spec:
  selector: {matchLabels: {app: octal}}
  template:
    metadata: {labels: {app: octal}}
    spec:
      containers: [{name: c, image: nginx, volumeMounts: [{name: v, mountPath: /v}]}]
      volumes: [{name: v, configMap: {name: modes, defaultMode: 0555}}]
`);
    const applied = await applyObjects(t.cluster, items);
    assert.ok(applied.ok, applied.ok ? '' : describeFailures('failures' in applied.error ? applied.error.failures : []).join());
    const policy = t.server.get('networking.k8s.io/v1', 'NetworkPolicy', NAMESPACE, 'db');
    assert.deepEqual(policy?.spec.ingress[0].from, [
      { podSelector: { matchLabels: { app: 'web' } } },
      { namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { app: 'backup' } } },
    ]);
    const deployment = t.server.get('apps/v1', 'Deployment', NAMESPACE, 'octal');
    assert.equal(deployment?.spec.template.spec.volumes[0].configMap.defaultMode, 365);
  });

  it('refuses a misspelled field with its file, line and path, and applies nothing of the step', async () => {
    const t = cluster();
    const items = manifests(STACK.replace('  replicas: 2\n', '  replicass: 2\n'));
    const result = await applyObjects(t.cluster, items);
    assert.ok(!result.ok && result.error.stage === 'preflight');
    const failures = !result.ok && result.error.stage === 'preflight' ? result.error.failures : [];
    assert.deepEqual(
      failures.map((f) => [f.item.ref.kind, f.error.kind]),
      [['Deployment', 'invalid']],
    );
    assert.match(
      describeFailures(failures)[0]!,
      /^k8s\/test\.yaml:6 Deployment apply-test\/web field spec\.replicass: .*field not declared in schema/,
    );
    assert.doesNotMatch(describeFailures(failures)[0]!, /retry/i);
    assert.equal(t.server.get('v1', 'Namespace', undefined, NAMESPACE), undefined, 'nothing was applied');
  });

  it('refuses a wrong type as an invalid manifest at its line, not as a server in trouble', async () => {
    const t = cluster();
    const items = manifests(STACK.replace('  replicas: 2\n', '  replicas: "two"\n'));
    const result = await applyObjects(t.cluster, items);
    const failures = !result.ok && result.error.stage === 'preflight' ? result.error.failures : [];
    assert.equal(failures[0]?.error.kind, 'invalid');
    assert.match(
      describeFailures(failures)[0]!,
      /^k8s\/test\.yaml:6 Deployment apply-test\/web field spec\.replicas: .*expected numeric/,
    );
    assert.equal(t.server.get('v1', 'Namespace', undefined, NAMESPACE), undefined, 'nothing was applied');
  });

  it('checks objects of a namespace not made yet as new stand-ins in default: no false refusal, no false pass', async () => {
    const t = cluster();
    // A same-named Deployment already in default, with another selector (immutable) and owner.
    t.server.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 5,
          selector: { matchLabels: { app: 'other' } },
          template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'nginx' }] } },
        },
      },
      'someone-else',
    );
    const items = manifests(STACK.replace(/kind: Namespace[\s\S]*$/, 'kind: ConfigMap\nmetadata: {name: filler}\n'));
    const checked = await preflightObjects(t.cluster, items, { expectedNamespaces: [NAMESPACE] });
    assert.ok(checked.ok, checked.ok ? '' : describeFailures('failures' in checked.error ? checked.error.failures : []).join());
    assert.deepEqual(checked.value.standIns.map((i) => i.ref.name).sort(), items.map((i) => i.ref.name).sort());
    assert.equal(t.server.get('apps/v1', 'Deployment', 'default', 'web')?.spec.replicas, 5, 'default/web untouched');

    const broken = manifests(
      STACK.replace('  replicas: 2\n', '  replicas: "two"\n').replace(
        /kind: Namespace[\s\S]*$/,
        'kind: ConfigMap\nmetadata: {name: filler}\n',
      ),
    );
    const refused = await preflightObjects(t.cluster, broken, { expectedNamespaces: [NAMESPACE] });
    assert.ok(!refused.ok && refused.error.stage === 'preflight');
    const [line] = describeFailures(refused.error.failures);
    assert.match(line!, /Deployment apply-test\/web field spec\.replicas: /);
    assert.match(line!, /checked as a new object in "default": namespace apply-test does not exist yet/);
    assert.doesNotMatch(line!, /default\/web/);
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
