import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyItems, applyObjects } from '../../../../src/core/cluster/apply.js';
import { diagnoseNamespace, ingressAddresses } from '../../../../src/core/cluster/diagnostics.js';
import { createNamespace, deleteNamespace } from '../../../../src/core/cluster/namespaces.js';
import { executeNamespaceCopy, planNamespaceCopy } from '../../../../src/core/cluster/namespaceCopy.js';
import { waitForReady } from '../../../../src/core/cluster/readiness.js';
import { fillSecretTemplate } from '../../../../src/core/manifests/secretTemplate.js';
import { stepManifests } from '../../../../src/core/problems.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { useTestCluster, type TestCluster } from '../../../support/testCluster.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Production as the plan builds it: every apply step of the cluster-failure scenario. */
async function buildProduction(t: TestCluster): Promise<void> {
  const plan = parsePlan(readFileSync(`${root}DR-PLAN.md`, 'utf8'));
  const steps = plan.scenarios.find((s) => s.id === 'complete-cluster-failure')!.steps.filter((s) => s.kind === 'apply');
  for (const step of steps) {
    const items = applyItems(
      (await stepManifests(root, step)).flatMap((f) => f.objects),
      'endpoint-stats',
    ).map((i) => {
      const filled = fillSecretTemplate(i.body, (name) => `test-only-${name.toLowerCase()}`);
      assert.ok(filled.ok);
      return { ...i, body: filled.value };
    });
    const applied = await applyObjects(t.cluster, items, { expectedNamespaces: ['endpoint-stats'] });
    assert.ok(applied.ok);
    assert.ok(
      (
        await waitForReady(
          t.cluster,
          items.map((i) => i.ref),
          { timeoutMs: 30_000 },
        )
      ).ok,
    );
  }
}

describe('namespaces', () => {
  const cluster = useTestCluster({ namespaceFinalizeDelayMs: 400 });

  it('creates a namespace, and is fine when it exists already', async () => {
    const t = cluster();
    const first = await createNamespace(t.cluster, 'endpoint-stats-dr-test');
    assert.deepEqual(first, { ok: true, value: 'created' });
    assert.deepEqual(await createNamespace(t.cluster, 'endpoint-stats-dr-test'), { ok: true, value: 'exists' });
  });

  it('deletes a namespace and waits until it is really gone, through Terminating', async () => {
    const t = cluster();
    await createNamespace(t.cluster, 'doomed');
    t.server.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'doomed' }, data: {} });
    const phases: string[] = [];
    const started = Date.now();
    const result = await deleteNamespace(t.cluster, 'doomed', { timeoutMs: 10_000, onProgress: (p) => phases.push(p) });
    assert.deepEqual(result, { ok: true, value: 'deleted' });
    assert.ok(Date.now() - started >= 300, 'it waited for the termination');
    assert.ok(phases.includes('Terminating'));
    assert.equal(t.server.get('v1', 'Namespace', undefined, 'doomed'), undefined);
    assert.equal(t.server.get('v1', 'ConfigMap', 'doomed', 'c'), undefined);
    assert.deepEqual(await deleteNamespace(t.cluster, 'doomed', { timeoutMs: 1_000 }), { ok: true, value: 'absent' });
  });

  it('refuses to create a namespace that is still terminating', async () => {
    const t = cluster();
    await createNamespace(t.cluster, 'busy');
    const deleting = deleteNamespace(t.cluster, 'busy', { timeoutMs: 10_000 });
    await t.server.waitFor('v1', 'Namespace', undefined, 'busy', (ns) => ns?.status?.phase === 'Terminating');
    const result = await createNamespace(t.cluster, 'busy');
    assert.ok(!result.ok);
    assert.match(result.error.message, /still being deleted/);
    await deleting;
  });

  it('copies production’s configuration into a test namespace: server fields stripped, hosts changed, dry-run list first', async function () {
    this.timeout(60_000);
    const t = cluster();
    await buildProduction(t);
    assert.ok((await createNamespace(t.cluster, 'endpoint-stats-dr-test')).ok);
    const plan = await planNamespaceCopy(t.cluster, 'endpoint-stats', 'endpoint-stats-dr-test');
    assert.ok(plan.ok);
    const kinds = new Set(plan.value.items.map((i) => i.ref.kind));
    for (const kind of [
      'ConfigMap',
      'Secret',
      'Service',
      'Deployment',
      'StatefulSet',
      'PersistentVolumeClaim',
      'Ingress',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'NetworkPolicy',
      'PodDisruptionBudget',
    ])
      assert.ok(kinds.has(kind), kind);
    assert.ok(
      plan.value.skipped.some((s) => s.kind === 'ServiceAccount' && s.name === 'default'),
      'the default ServiceAccount is left to Kubernetes',
    );
    // Production's schedules are left out, and named: a copy would run them in the test namespace.
    assert.ok(!kinds.has('CronJob') && !kinds.has('Job'), [...kinds].join(', '));
    const cronJobs = t.server.list('batch/v1', 'CronJob', 'endpoint-stats').map((c) => c.metadata.name as string);
    assert.ok(cronJobs.length > 0, 'production has a CronJob');
    assert.deepEqual(
      plan.value.skipped.filter((s) => s.kind === 'CronJob').map((s) => s.name),
      cronJobs,
    );
    assert.match(plan.value.skipped.find((s) => s.kind === 'CronJob')!.why, /schedule of production's/);
    const headless = plan.value.items.find((i) => i.ref.kind === 'Service' && i.ref.name === 'postgres')!;
    assert.equal((headless.body['spec'] as { clusterIP?: string }).clusterIP, 'None', 'a headless Service stays headless');
    for (const binding of plan.value.items.filter((i) => i.ref.kind === 'RoleBinding')) {
      const subjects = (binding.body['subjects'] as { namespace?: string }[] | undefined) ?? [];
      assert.ok(
        subjects.every((x) => x.namespace === 'endpoint-stats-dr-test'),
        `${binding.ref.name} binds the copy's ServiceAccounts`,
      );
    }
    for (const item of plan.value.items) {
      assert.equal(item.body.metadata?.namespace, 'endpoint-stats-dr-test');
      for (const field of ['uid', 'resourceVersion', 'managedFields', 'creationTimestamp'])
        assert.equal(item.body.metadata?.[field], undefined, field);
      assert.equal(item.body['status'], undefined);
    }
    const service = plan.value.items.find((i) => i.ref.kind === 'Service' && i.ref.name === 'db')!;
    assert.equal((service.body['spec'] as { clusterIP?: string }).clusterIP, undefined);
    const ingress = plan.value.items.find((i) => i.ref.kind === 'Ingress')!;
    const hosts = (ingress.body['spec'] as { rules: { host: string }[] }).rules.map((r) => r.host);
    assert.ok(
      hosts.every((h) => h.startsWith('endpoint-stats-dr-test.')),
      hosts.join(', '),
    );
    assert.equal(t.server.list('apps/v1', 'Deployment', 'endpoint-stats-dr-test').length, 0, 'planning copies nothing');

    const copied = await executeNamespaceCopy(t.cluster, plan.value);
    assert.ok(copied.ok, copied.ok ? '' : JSON.stringify(copied.error).slice(0, 500));
    assert.ok(t.server.get('apps/v1', 'Deployment', 'endpoint-stats-dr-test', 'flask-api'));
    assert.ok(t.server.get('apps/v1', 'StatefulSet', 'endpoint-stats-dr-test', 'postgres'));
    assert.equal(t.server.get('v1', 'Service', 'endpoint-stats-dr-test', 'postgres')?.spec.clusterIP, 'None');
    // The copy comes up: its ServiceAccounts exist, so its pods can be created.
    await t.server.waitFor('v1', 'Pod', 'endpoint-stats-dr-test', 'postgres-0', (p) => p !== undefined, 10_000);
    assert.deepEqual(
      t.server.list('batch/v1', 'CronJob', 'endpoint-stats-dr-test'),
      [],
      'no schedule of production runs in the copy',
    );
  });

  it('refuses to copy a namespace onto itself', async () => {
    const t = cluster();
    const plan = await planNamespaceCopy(t.cluster, 'endpoint-stats', 'endpoint-stats');
    assert.ok(!plan.ok && plan.error.kind === 'invalid');
  });

  it('finds failing pods with their events and last crash, and the ingress address for DNS', async function () {
    this.timeout(60_000);
    const t = cluster();
    await buildProduction(t);
    t.server.setImageBehaviour('flask-api:broken', { waitingReason: 'CrashLoopBackOff' });
    t.server.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'flask-api-broken', namespace: 'endpoint-stats' },
      // endpoint-stats enforces the restricted Pod Security level: a pod that meets it.
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'flask-api',
            image: 'flask-api:broken',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
      },
    });
    const diagnosed = await t.server.waitFor(
      'v1',
      'Pod',
      'endpoint-stats',
      'flask-api-broken',
      (p) => !!p?.status?.containerStatuses,
    );
    assert.ok(diagnosed);
    const failing = await diagnoseNamespace(t.cluster, 'endpoint-stats');
    assert.ok(failing.ok);
    assert.deepEqual(
      failing.value.map((d) => [d.pod, d.problem]),
      [['flask-api-broken', 'CrashLoopBackOff in container flask-api']],
    );
    const addresses = await ingressAddresses(t.cluster, 'endpoint-stats');
    assert.ok(addresses.ok);
    assert.equal(addresses.value.length, 1);
    assert.ok(addresses.value[0]!.hosts.length > 0);
  });
});
