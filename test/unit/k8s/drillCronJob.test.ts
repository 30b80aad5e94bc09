import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { CronExpressionParser } from 'cron-parser';
import type { ICronJob } from 'kubernetes-models/batch/v1';
import type { IClusterRole, IClusterRoleBinding, IPolicyRule, IRole, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { applyItems, applyObjects, describeFailures } from '../../../src/core/cluster/apply.js';
import { loadManifests as loadCoreManifests } from '../../../src/core/manifests/loadManifests.js';
import { parsePlan } from '../../../src/core/runbook/parsePlan.js';
import { missingAnswers } from '../../../src/cli/cliUi.js';
import { main } from '../../../src/cli/main.js';
import { findDrill } from '../../../src/cli/runCommand.js';
import { startTestCluster } from '../../support/testCluster.js';
import { evaluate } from '@marcbachmann/cel-js';
import { COPIED_KINDS, copyForNamespace, NOT_COPIED_KINDS } from '../../../src/core/cluster/namespaceCopy.js';
import type { KubeObject } from '../../../src/core/cluster/model.js';
import { findByKind } from '../../../scripts/k8sApiServer/resources.ts';
import { parse } from 'yaml';
import { loadManifests, NAMESPACE } from './manifestChecks.ts';

const repo = resolve(import.meta.dirname, '../../..');
const FILE = 'maintenance/dr-drill-cronjob.yaml';
const ADMISSION = 'maintenance/dr-drill-admission.yaml';
const ACCOUNT = `system:serviceaccount:${NAMESPACE}:dr-drill`;

const { docs } = loadManifests(join(repo, 'k8s'));
const drillDocs = docs.filter((d) => d.file === FILE);

function find<T>(kind: string, name: string, file = FILE): T {
  const doc = docs.find((d) => d.file === file && d.object.kind === kind && d.object.metadata?.name === name);
  assert.ok(doc, `${kind}/${name} is missing from k8s/${file}`);
  return doc.object as unknown as T;
}

/** The namespace the plan's drill creates and deletes: the one the CronJob may touch. */
function drillNamespace(): string {
  const plan = parsePlan(readFileSync(join(repo, 'DR-PLAN.md'), 'utf8'));
  const drill = plan.scenarios.find((s) => s.kind === 'drill');
  assert.ok(drill, 'the plan has a drill');
  const names = drill.steps.flatMap((s) => s.commands.flatMap((c) => (c.kind === 'namespaceCreate' || c.kind === 'namespaceDelete' ? c.namespaces : [])));
  assert.equal(new Set(names).size, 1, `the drill creates and deletes one namespace: ${names.join(', ')}`);
  return names[0]!;
}

const writes = (rule: IPolicyRule): boolean => rule.verbs.some((v) => !['get', 'list', 'watch'].includes(v));

describe('the quarterly drill CronJob (k8s/maintenance/dr-drill-cronjob.yaml)', function () {
  this.timeout(60_000);

  it('runs every quarter, in January, April, July and October', () => {
    const cron = find<ICronJob>('CronJob', 'dr-drill');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    const next = CronExpressionParser.parse(cron.spec.schedule, { tz: cron.spec.timeZone ?? 'Etc/UTC', currentDate: new Date('2026-12-31T00:00:00Z') });
    const runs = Array.from({ length: 8 }, () => next.next().toDate());
    assert.deepEqual(
      runs.map((d) => d.getUTCMonth() + 1),
      [1, 4, 7, 10, 1, 4, 7, 10],
    );
    for (let i = 1; i < runs.length; i++) {
      const days = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 86_400_000;
      assert.ok(days >= 89 && days <= 92, `${days} days between drills`);
    }
  });

  it('acts on the namespace the plan’s drill names, and tells the drill to delete only that one', () => {
    const namespace = drillNamespace();
    assert.equal(namespace, 'endpoint-stats-dr-test');
    const args = find<ICronJob>('CronJob', 'dr-drill').spec.jobTemplate.spec!.template.spec!.containers[0]!.args!;
    assert.ok(args.includes(`--confirm-delete=${namespace}`), args.join(' '));
    assert.ok(args.includes('--non-interactive'));
    const cluster = find<IClusterRole>('ClusterRole', 'dr-drill-cluster');
    const deletes = cluster.rules!.filter((r) => r.verbs.includes('delete'));
    assert.deepEqual(
      deletes.map((r) => [r.resources, r.resourceNames]),
      [[['namespaces'], [namespace]]],
    );
    const policy = readFileSync(join(repo, 'k8s', ADMISSION), 'utf8');
    assert.ok(policy.includes(`object.metadata.name == '${namespace}'`) && policy.includes(`request.namespace == '${namespace}'`));
    assert.ok(policy.includes(`request.userInfo.username == '${ACCOUNT}'`));
  });

  it('calls dr-runbook drill with flags the command line knows, answering every question of the plan’s drill', async () => {
    const container = find<ICronJob>('CronJob', 'dr-drill').spec.jobTemplate.spec!.template.spec!.containers[0]!;
    assert.deepEqual(container.command, ['dr-runbook']);
    const errors: string[] = [];
    // Outside the image, /opt/dr-runbook holds no plan: the command line gets as far as reading it.
    const code = await main(container.args!, { out: () => undefined, err: (l) => errors.push(l), env: {}, cwd: repo });
    assert.equal(code, 2);
    assert.match(errors.join('\n'), /^dr-runbook: the plan \/opt\/dr-runbook\/DR-PLAN\.md cannot be read/);
    // With this repository's plan, the same flags leave no question of a non-interactive drill unanswered.
    const here = container.args!.filter((a) => !a.startsWith('--workspace=') && !a.startsWith('--backup'));
    const drill = findDrill(parsePlan(readFileSync(join(repo, 'DR-PLAN.md'), 'utf8')));
    const flag = (name: string) => here.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.split('=')[1]!);
    const missing = missingAnswers(
      drill,
      {
        backup: 'newest',
        incidentStart: new Date(),
        confirmDelete: new Set(flag('confirm-delete')),
        allowDestructive: here.includes('--allow-destructive'),
        manual: flag('manual')[0] as 'skip',
        values: new Map(),
        acceptWarnings: false,
        resume: undefined,
      },
      { incidentStart: false },
    );
    assert.deepEqual(missing, []);
  });

  it('refuses a binding half given or an account that is not NAMESPACE:NAME, before anything runs', async () => {
    for (const [args, message] of [
      [['--bind-role=dr-drill-environment'], /--bind-role and --service-account go together/],
      [['--bind-role=dr-drill-environment', '--service-account=$(POD_NAMESPACE):$(POD_SERVICE_ACCOUNT)'], /--service-account "\$\(POD_NAMESPACE\):\$\(POD_SERVICE_ACCOUNT\)" is not NAMESPACE:NAME/],
      [['--bind-role=dr-drill-environment', '--service-account=dr-drill'], /--service-account "dr-drill" is not NAMESPACE:NAME/],
    ] as const) {
      const errors: string[] = [];
      const code = await main(['drill', '--non-interactive', ...args], { out: () => undefined, err: (l) => errors.push(l), env: {}, cwd: repo });
      assert.equal(code, 2, errors.join('\n'));
      assert.match(errors.join('\n'), message);
    }
  });

  it('grants least privilege: reads production, writes only where it binds dr-drill-environment, no wildcards', () => {
    for (const doc of drillDocs.filter((d) => /Role$/.test(d.object.kind ?? ''))) {
      for (const rule of (doc.object as unknown as IRole).rules ?? []) {
        for (const field of [rule.verbs, rule.resources ?? [], rule.apiGroups ?? []]) assert.ok(!field.includes('*'), `${doc.object.metadata?.name}: a wildcard`);
      }
    }
    const read = find<IRole>('Role', 'dr-drill-read');
    assert.equal(read.metadata?.namespace, NAMESPACE);
    assert.deepEqual(read.rules!.filter(writes), [], 'production is read only');

    // Cluster-wide writes: creating a namespace and a RoleBinding (the admission policy names
    // which), deleting the test namespace by name, binding dr-drill-environment only.
    const cluster = find<IClusterRole>('ClusterRole', 'dr-drill-cluster');
    for (const rule of cluster.rules!.filter(writes)) {
      const named = (rule.resourceNames ?? []).length > 0;
      const allowed = named || (rule.verbs.length === 1 && rule.verbs[0] === 'create' && ['namespaces', 'rolebindings'].includes(rule.resources![0]!));
      assert.ok(allowed, JSON.stringify(rule));
    }
    assert.deepEqual(cluster.rules!.find((r) => r.verbs.includes('bind'))!.resourceNames, ['dr-drill-environment']);

    // dr-drill-environment is bound by nothing in the manifests: the drill binds it in the test namespace.
    const bindings = docs.filter((d) => d.object.kind === 'RoleBinding' || d.object.kind === 'ClusterRoleBinding');
    assert.deepEqual(
      bindings.filter((d) => (d.object as unknown as IRoleBinding).roleRef.name === 'dr-drill-environment').map((d) => d.file),
      [],
    );
    for (const binding of [find<IRoleBinding>('RoleBinding', 'dr-drill-read'), find<IClusterRoleBinding>('ClusterRoleBinding', 'dr-drill-cluster')]) {
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'dr-drill', namespace: NAMESPACE }]);
    }
    // Its pod runs as that account, mounts the backups read-only and never the production database's volume.
    const pod = find<ICronJob>('CronJob', 'dr-drill').spec.jobTemplate.spec!.template.spec!;
    assert.equal(pod.serviceAccountName, 'dr-drill');
    const backups = pod.volumes!.find((v) => v.persistentVolumeClaim?.claimName === 'postgres-backups')!;
    assert.equal(backups.persistentVolumeClaim!.readOnly, true);
    assert.ok(pod.containers[0]!.volumeMounts!.find((m) => m.name === backups.name)!.readOnly);
    assert.ok(!pod.volumes!.some((v) => v.persistentVolumeClaim?.claimName === 'data-postgres-0'));
  });

  it('grants the test environment exactly what the namespace copy writes, and production what it reads (namespaceCopy.ts is the one list)', () => {
    const grants = (role: IClusterRole | IRole, apiVersion: string, kind: string, verb: string): boolean => {
      const type = findByKind(apiVersion, kind);
      assert.ok(type, `${apiVersion} ${kind} is a kind the API serves`);
      return (role.rules ?? []).some(
        (r) => (r.apiGroups ?? []).includes(type.group) && (r.resources ?? []).includes(type.plural) && r.verbs.includes(verb) && !(r.resourceNames ?? []).length,
      );
    };
    const environment = find<IClusterRole>('ClusterRole', 'dr-drill-environment');
    const read = find<IRole>('Role', 'dr-drill-read');
    // Server-side apply (get, create, patch) and the readiness wait (list, watch).
    for (const { apiVersion, kind } of COPIED_KINDS) {
      for (const verb of ['get', 'list', 'watch', 'create', 'patch']) assert.ok(grants(environment, apiVersion, kind, verb), `dr-drill-environment may not ${verb} ${kind}, which the copy creates`);
      for (const verb of ['get', 'list']) assert.ok(grants(read, apiVersion, kind, verb), `dr-drill-read may not ${verb} ${kind} in production, which the copy reads`);
    }
    for (const { apiVersion, kind } of NOT_COPIED_KINDS) {
      assert.ok(grants(read, apiVersion, kind, 'list'), `dr-drill-read may not list ${kind}, which the copy names as left out`);
      for (const verb of ['create', 'patch', 'update', 'delete']) assert.ok(!grants(environment, apiVersion, kind, verb), `dr-drill-environment may ${verb} ${kind}, which the copy never writes`);
    }
    // Deleting the namespace removes what the copy made: the drill itself deletes nothing there.
    assert.deepEqual(environment.rules!.filter((r) => r.verbs.some((v) => ['delete', 'deletecollection', 'update', 'escalate'].includes(v))), []);
    // Every Role of production (which the copy copies) grants nothing the environment lacks:
    // RBAC refuses to let the drill create a Role that grants more than it holds.
    for (const role of docs.filter((d) => d.object.kind === 'Role').map((d) => d.object as unknown as IRole)) {
      for (const rule of role.rules ?? [])
        for (const group of rule.apiGroups ?? [])
          for (const resource of rule.resources ?? [])
            for (const verb of rule.verbs)
              assert.ok(
                (environment.rules ?? []).some((r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && r.verbs.includes(verb)),
                `Role ${role.metadata?.name ?? ''} grants ${verb} ${resource}, which dr-drill-environment lacks: the copy of that Role would be refused`,
              );
    }
  });

  it('admits, by its admission policy (its CEL evaluated), the drill’s namespace, its own binding and every RoleBinding the copy makes, and nothing else of the drill’s', () => {
    interface Policy {
      spec: {
        matchConstraints: { resourceRules: { apiGroups: string[]; operations: string[]; resources: string[] }[] };
        matchConditions: { expression: string }[];
        validations: { expression: string; message: string }[];
      };
    }
    const policy = find<Policy>('ValidatingAdmissionPolicy', 'dr-drill-scope', ADMISSION);
    const namespace = drillNamespace();
    /** What the policy answers to `username` creating `object`: undefined (admitted) or its message. */
    const admission = (username: string, object: KubeObject): string | undefined => {
      const [group, version] = object.apiVersion!.includes('/') ? object.apiVersion!.split('/') : ['', object.apiVersion!];
      const resource = `${object.kind!.toLowerCase()}s`;
      const matched = policy.spec.matchConstraints.resourceRules.some(
        (r) => r.apiGroups.includes(group!) && r.resources.includes(resource) && r.operations.includes('CREATE'),
      );
      const request = { userInfo: { username }, operation: 'CREATE', namespace: object.metadata?.namespace ?? '', resource: { group, version, resource } };
      if (!matched || !policy.spec.matchConditions.every((c) => evaluate(c.expression, { request, object }) === true)) return undefined;
      return policy.spec.validations.find((v) => evaluate(v.expression, { request, object }) !== true)?.message;
    };
    const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const bindingOf = (where: string, kind: string, name: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: where },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'ServiceAccount', name: 'dr-drill', namespace: NAMESPACE }],
    });
    assert.equal(admission(ACCOUNT, ns(namespace)), undefined);
    assert.equal(admission(ACCOUNT, bindingOf(namespace, 'ClusterRole', 'dr-drill-environment')), undefined);
    // Every RoleBinding of production, as the copy writes it into the test namespace.
    const copied = docs
      .filter((d) => d.object.kind === 'RoleBinding' && d.object.metadata?.namespace === NAMESPACE)
      .map((d) => copyForNamespace({ apiVersion: 'rbac.authorization.k8s.io/v1', ...d.object }, namespace))
      .map((c) => ('object' in c ? c.object : assert.fail(c.skip)));
    assert.ok(copied.length >= 2, 'production has RoleBindings to copy');
    for (const binding of copied) assert.equal(admission(ACCOUNT, binding), undefined, binding.metadata?.name);
    // Refused: another namespace, a binding elsewhere or of another ClusterRole.
    assert.match(admission(ACCOUNT, ns('kube-system')) ?? '', /may create only the namespace endpoint-stats-dr-test/);
    assert.match(admission(ACCOUNT, bindingOf(NAMESPACE, 'ClusterRole', 'dr-drill-environment')) ?? '', /only in endpoint-stats-dr-test/);
    assert.match(admission(ACCOUNT, bindingOf(namespace, 'ClusterRole', 'cluster-admin')) ?? '', /only in endpoint-stats-dr-test/);
    assert.match(admission(ACCOUNT, bindingOf(NAMESPACE, 'Role', 'dr-drill-read')) ?? '', /only in endpoint-stats-dr-test/);
    // Anyone else is not this policy's business.
    assert.equal(admission('kubernetes-admin', ns('kube-system')), undefined);
  });

  it('reads as the plan’s manifests do (the tree and the Problems panel load k8s/maintenance/ without an error)', async () => {
    const files = await loadCoreManifests(repo, 'k8s/maintenance/');
    assert.deepEqual(
      files.flatMap((f) => f.errors.map((e) => `${f.file}:${e.line}: ${e.message}`)),
      [],
    );
    const kinds = files.find((f) => f.file === `k8s/${FILE}`)!.objects.map((o) => o.kind);
    assert.deepEqual(kinds, ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolumeClaim', 'CronJob']);
  });

  it('is applied by the engine to the test API server beside the backup claim, then re-applied with no change', async () => {
    const t = await startTestCluster();
    try {
      const files = [
        ...(await loadCoreManifests(repo, 'k8s/core/namespace.yaml')),
        ...(await loadCoreManifests(repo, 'k8s/maintenance/backup-pvc.yaml')),
        ...(await loadCoreManifests(repo, `k8s/${FILE}`)),
      ];
      const items = applyItems(
        files.flatMap((f) => f.objects),
        NAMESPACE,
      );
      const first = await applyObjects(t.cluster, items);
      assert.ok(first.ok, first.ok ? '' : first.error.stage === 'cancelled' ? 'cancelled' : describeFailures(first.error.failures).join('\n'));
      assert.deepEqual(new Set(first.value.map((a) => a.action)), new Set(['created']));
      const stored = t.server.get('batch/v1', 'CronJob', NAMESPACE, 'dr-drill') as unknown as ICronJob | undefined;
      assert.equal(stored?.spec.schedule, find<ICronJob>('CronJob', 'dr-drill').spec.schedule);
      assert.ok(t.server.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, 'dr-drill-environment'));
      for (const claim of ['postgres-backups', 'dr-drill-records']) {
        await t.server.waitFor('v1', 'PersistentVolumeClaim', NAMESPACE, claim, (c) => c?.status?.phase === 'Bound', 5000);
      }
      const again = await applyObjects(t.cluster, items);
      assert.ok(again.ok);
      assert.deepEqual(again.value.filter((a) => a.action !== 'unchanged').map((a) => `${a.item.ref.kind}/${a.item.ref.name}`), []);
    } finally {
      await t.stop();
    }
  });

  it('keeps the admission policy apart: a 1.26 API server (the test server) refuses it before anything is applied', async () => {
    const t = await startTestCluster();
    try {
      const files = await loadCoreManifests(repo, `k8s/${ADMISSION}`);
      const result = await applyObjects(t.cluster, applyItems(files.flatMap((f) => f.objects), NAMESPACE));
      assert.ok(!result.ok && result.error.stage === 'preflight', 'refused in the preflight');
      const messages = describeFailures(result.error.failures);
      assert.equal(messages.length, 2, messages.join('\n'));
      for (const m of messages) assert.match(m, /does not serve admissionregistration\.k8s\.io\/v1 ValidatingAdmissionPolicy/);
      assert.match(messages[0]!, /ValidatingAdmissionPolicy dr-drill-scope: /, 'cluster-scoped: no namespace given to it');
    } finally {
      await t.stop();
    }
  });

  describe('the example CI workflow (scripts/ci/dr-drill.github-workflow.yml)', () => {
    const path = join(repo, 'scripts/ci/dr-drill.github-workflow.yml');
    const text = readFileSync(path, 'utf8');

    it('is a valid GitHub Actions workflow (GitHub’s own parser and schema)', () => {
      const parsed = parseWorkflow({ name: 'dr-drill.yml', content: text }, new NoOperationTraceWriter());
      assert.deepEqual(
        parsed.context.errors.getErrors().map((e) => e.message),
        [],
      );
      // Proof that the check bites: a misspelt key is an error.
      const broken = parseWorkflow({ name: 'x.yml', content: text.replace('runs-on:', 'run-on:') }, new NoOperationTraceWriter());
      assert.ok(broken.context.errors.getErrors().length > 0);
    });

    it('drills on the CronJob’s quarterly schedule, and on the plan’s drill namespace', () => {
      const workflow = parse(text) as { on: { schedule: { cron: string }[] }; jobs: Record<string, { if?: string; steps: { run?: string }[] }> };
      const cron = find<ICronJob>('CronJob', 'dr-drill').spec.schedule;
      assert.ok(workflow.on.schedule.some((s) => s.cron === cron));
      assert.ok(workflow.jobs['drill']!.if!.includes(cron));
      const drill = workflow.jobs['drill']!.steps.map((s) => s.run ?? '').find((r) => r.includes('dr-runbook drill'))!;
      assert.ok(drill.includes(`--confirm-delete=${drillNamespace()}`));
    });
  });
});
