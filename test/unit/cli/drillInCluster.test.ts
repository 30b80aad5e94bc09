// The quarterly drill as the CronJob of k8s/maintenance/dr-drill-cronjob.yaml runs it: `dr-runbook
// drill` with the CronJob's own arguments and environment, authenticated as its ServiceAccount
// (a token of endpoint-stats/dr-drill, so the test server decides every request by the RBAC the
// sandbox applied from k8s/), against the sandbox's PostgreSQL with the password of the
// postgres-credentials Secret, as the Job's pod gets it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import type { ICronJob } from 'kubernetes-models/batch/v1';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { DATABASE } from '../../../scripts/sandbox/history.ts';
import { query } from '../../../scripts/lib/postgres.ts';
import { ROOT, startSandbox, type Sandbox } from '../../../scripts/sandbox/sandbox.ts';

const CLI = join(ROOT, 'src/cli/cli.ts');
const FILE = join(ROOT, 'k8s/maintenance/dr-drill-cronjob.yaml');
const NAMESPACE = 'endpoint-stats';
const TEST_NAMESPACE = 'endpoint-stats-dr-test';
const ACCOUNT = `system:serviceaccount:${NAMESPACE}:dr-drill`;

const docs = parseAllDocuments(readFileSync(FILE, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
const cronJob = docs.find((d) => d.kind === 'CronJob') as unknown as ICronJob;
const pod = cronJob.spec.jobTemplate.spec!.template.spec!;
const container = pod.containers[0]!;

describe('the drill CronJob’s run, as its ServiceAccount (RBAC enforced)', function () {
  this.timeout(300_000);
  let sandbox: Sandbox;
  let records: string;
  let kubeconfig: string;

  /** The container's environment as the kubelet fills it: downward API, the Secret; "db" is the sandbox's PostgreSQL. */
  function podEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const v of container.env ?? []) {
      if (v.value !== undefined) env[v.name] = v.value;
      const field = v.valueFrom?.fieldRef?.fieldPath;
      if (field === 'metadata.namespace') env[v.name] = NAMESPACE;
      if (field === 'spec.serviceAccountName') env[v.name] = pod.serviceAccountName!;
      const key = v.valueFrom?.secretKeyRef;
      if (key) {
        const secret = sandbox.cluster.get('v1', 'Secret', NAMESPACE, key.name!);
        assert.ok(secret?.data?.[key.key], `Secret ${key.name} holds ${key.key}`);
        env[v.name] = Buffer.from(String(secret.data[key.key]), 'base64').toString('utf8');
      }
    }
    // The "db" Service of the cluster stands for the sandbox's PostgreSQL on loopback.
    return { ...env, PGHOST: '127.0.0.1', PGPORT: sandbox.postgres.env['PGPORT']! };
  }

  /** The container's arguments, $(VAR) expanded as the kubelet does, with this machine's folders. */
  function args(env: Record<string, string>): string[] {
    const local: Record<string, string> = {
      '--workspace': ROOT,
      '--records': records,
      '--backup-dir': sandbox.backupDir,
    };
    return container.args!.map((a) => {
      const [flag] = a.split('=');
      const expanded = a.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`);
      return local[flag!] ? `${flag}=${local[flag!]}` : expanded;
    });
  }

  function drill() {
    const env = podEnv();
    return execa(process.execPath, ['--import', 'tsx', CLI, ...args(env), '--readiness-timeout=60'], {
      reject: false,
      cwd: ROOT,
      // Only what the pod has: no PGPASSFILE, no admin kubeconfig.
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KUBECONFIG: kubeconfig, ...env },
      extendEnv: false,
    });
  }

  const databases = async (): Promise<string[]> =>
    (await query<{ datname: string }>(sandbox.postgres, 'postgres', 'SELECT datname FROM pg_database ORDER BY 1')).map(
      (r) => r.datname,
    );
  const fingerprint = async (): Promise<string> =>
    JSON.stringify(
      await query(
        sandbox.postgres,
        DATABASE,
        `SELECT count(*)::text AS n, md5(coalesce(string_agg(r::text, ',' ORDER BY r.id), '')) AS h FROM requests r`,
      ),
    );
  const removeTestNamespace = async (): Promise<void> => {
    if (!sandbox.cluster.get('v1', 'Namespace', undefined, TEST_NAMESPACE)) return;
    sandbox.cluster.delete('v1', 'Namespace', undefined, TEST_NAMESPACE);
    await sandbox.cluster.waitFor('v1', 'Namespace', undefined, TEST_NAMESPACE, (o) => o === undefined, 60_000);
  };

  before(async () => {
    sandbox = await startSandbox({ trouble: 'db-corrupted', rows: 300, podReadyDelayMs: 30 });
    // The sandbox applied k8s/ (the maintenance manifests too) as the team's kubectl would.
    assert.ok(sandbox.cluster.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, 'dr-drill-environment'));
    const token = sandbox.cluster.serviceAccountToken(NAMESPACE, pod.serviceAccountName!);
    kubeconfig = await sandbox.cluster.writeKubeconfig(join(sandbox.dir, 'dr-drill.kubeconfig'), {
      token,
      context: 'in-cluster',
      namespace: NAMESPACE,
    });
  });
  after(() => sandbox?.stop());
  beforeEach(() => {
    records = mkdtempSync(join(tmpdir(), 'dr-cli-incluster-'));
  });
  afterEach(async () => {
    rmSync(records, { recursive: true, force: true });
    await removeTestNamespace();
  });

  it('finishes: binds its role in the test namespace, copies (production’s schedules left out), restores with the Secret’s password, checks, drops its test database and deletes the namespace', async () => {
    const before = await fingerprint();
    // A test database an earlier drill left behind: the restore keeps it aside, the clean-up drops both.
    await query(sandbox.postgres, 'postgres', `CREATE DATABASE ${DATABASE}_drill`);
    const run = await drill();
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stdout,
      new RegExp(
        `RoleBinding ${TEST_NAMESPACE}/dr-drill-environment created: ServiceAccount ${NAMESPACE}/dr-drill may act as ClusterRole dr-drill-environment in ${TEST_NAMESPACE} only`,
      ),
    );
    for (const name of ['dr-drill', 'postgres-backup'])
      assert.match(run.stdout, new RegExp(`CronJob ${name}: not copied \\(a schedule of production's`));
    assert.match(run.stdout, /left out: CronJob dr-drill, CronJob postgres-backup/);
    assert.match(run.stdout, /Restoring \S+ into the test database endpoint_stats_drill/);
    assert.match(run.stdout, /✔ restored rows in the test database endpoint_stats_drill: .*public\.requests \d+/);
    assert.match(run.stdout, /✔ health check of flask-api/);
    assert.match(
      run.stdout,
      /Dropped the test databases endpoint_stats_drill, endpoint_stats_drill_pre_restore_\S+ on 127\.0\.0\.1:\d+; the run's database endpoint_stats was not touched/,
    );
    assert.match(run.stdout, /✔ Quarterly DR drill: finished/);
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(sandbox.postgres.password));

    assert.equal(await fingerprint(), before, 'the production database is untouched');
    assert.deepEqual(
      (await databases()).filter((d) => d.startsWith(`${DATABASE}_drill`)),
      [],
      'no test database is left',
    );
    assert.equal(sandbox.cluster.get('v1', 'Namespace', undefined, TEST_NAMESPACE), undefined, 'the test namespace is gone');
    assert.deepEqual(sandbox.cluster.list('batch/v1', 'CronJob', TEST_NAMESPACE), []);
  });

  it('fails at the copy, naming the verb and resource, when its role lacks a kind the copy creates', async () => {
    const live = sandbox.cluster.get(
      'rbac.authorization.k8s.io/v1',
      'ClusterRole',
      undefined,
      'dr-drill-environment',
    ) as unknown as IClusterRole;
    const role = { apiVersion: live.apiVersion, kind: live.kind, metadata: { name: live.metadata!.name! }, rules: live.rules! };
    const without = {
      ...role,
      rules: role.rules.map((r) => ({ ...r, resources: r.resources!.filter((x) => x !== 'networkpolicies') })),
    };
    sandbox.cluster.apply(without, 'kubectl');
    try {
      const before = await fingerprint();
      const run = await drill();
      assert.equal(run.exitCode, 1, `${run.stdout}\n${run.stderr}`);
      assert.match(
        run.stdout,
        new RegExp(
          `User "${ACCOUNT}" cannot patch resource "networkpolicies" in API group "networking\\.k8s\\.io" in the namespace "${TEST_NAMESPACE}"`,
        ),
      );
      assert.match(run.stdout, /step 3 failed/);
      assert.match(run.stdout, /✖ Quarterly DR drill: failed/);
      assert.equal(await fingerprint(), before, 'the production database is untouched');
    } finally {
      sandbox.cluster.apply(role, 'kubectl');
    }
  });
});
