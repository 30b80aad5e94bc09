/**
 * The drill's steps the plan writes in words (see drillSteps in runbook/commands.ts), run by the
 * engine in the drill's test namespace: copy the production configuration into it, restore a
 * backup into the test environment's own database (never the run's), check that the copy works,
 * and write down what the run measured.
 */
import { executeNamespaceCopy, NOT_COPIED_KINDS, planNamespaceCopy } from '../cluster/namespaceCopy.js';
import { describeFailures } from '../cluster/apply.js';
import { describeRef, formatClusterError, type KubeObject, type ObjectRef } from '../cluster/model.js';
import type { ClusterPort } from '../cluster/port.js';
import { describeWaitError, waitForReady } from '../cluster/readiness.js';
import { formatDuration } from '../duration.js';
import { parseRestoreEvidence } from '../run/evidence.js';
import type { Validation } from '../run/evidenceBundle.js';
import type { DrillCommand, ScriptArgument, Step } from '../runbook/model.js';
import type { StepContext, StepOutcome } from './stepExecutor.js';

/** The test environment's own database: beside the run's, on the same server, under a name of its own. */
export function drillDatabase(production: string): string {
  return `${production}_drill`;
}

/** What the person (or the command line's --backup) is asked for before the drill's restore. */
export function drillBackupArgument(step: Step): ScriptArgument {
  return { value: '/path/to/backup.dump', column: step.column, placeholder: true };
}

export async function executeDrillCommand(command: DrillCommand, step: Step, ctx: StepContext): Promise<StepOutcome> {
  switch (command.action) {
    case 'copyConfiguration':
      return copyConfiguration(command.testNamespace, ctx);
    case 'restoreBackup':
      return restoreBackup(command, step, ctx);
    case 'validate':
      return validate(command.testNamespace, ctx);
    case 'results': {
      const lines = ctx.measured?.() ?? [];
      for (const line of lines) ctx.output(`${line}\n`);
      return { state: 'succeeded', summary: lines.length ? lines.join(' ') : 'Nothing measured yet.' };
    }
  }
}

async function connect(ctx: StepContext): Promise<ClusterPort | StepOutcome> {
  const connected = await ctx.cluster(undefined);
  return connected.ok ? connected.value : { state: 'failed', summary: formatClusterError(connected.error) };
}

/**
 * The cluster, with the drill's rights in the test namespace: for an in-cluster drill
 * (ctx.drillAccess), a RoleBinding there of its ClusterRole to the drill's own ServiceAccount,
 * made the first time it is needed (one that exists already is kept). Kubernetes lets the drill
 * create it only because it holds `bind` on that very ClusterRole; the binding goes with the
 * namespace.
 */
async function connectToTestNamespace(testNamespace: string, ctx: StepContext): Promise<ClusterPort | StepOutcome> {
  const cluster = await connect(ctx);
  if ('state' in cluster || !ctx.drillAccess) return cluster;
  const { clusterRole, serviceAccount } = ctx.drillAccess;
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: clusterRole, namespace: testNamespace, labels: { 'app.kubernetes.io/managed-by': 'dr-runbook' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace }],
  };
  const created = await cluster.create(binding, { dryRun: false });
  if (!created.ok && created.error.status !== 409)
    return {
      state: 'failed',
      summary: `Binding ClusterRole ${clusterRole} to ServiceAccount ${serviceAccount.namespace}/${serviceAccount.name} in ${testNamespace} failed: ${formatClusterError(created.error)} Nothing was changed in ${testNamespace}.`,
    };
  if (created.ok)
    ctx.output(
      `RoleBinding ${testNamespace}/${clusterRole} created: ServiceAccount ${serviceAccount.namespace}/${serviceAccount.name} may act as ClusterRole ${clusterRole} in ${testNamespace} only\n`,
    );
  return cluster;
}

/**
 * Secrets, configuration and workloads of the run's namespace, copied into the test namespace by
 * namespaceCopy (ingress hosts rewritten, load balancers made internal). Refused before anything
 * is applied when a copied object names a Service of the run's namespace by its cluster address:
 * the copy would read or write production's data.
 */
async function copyConfiguration(testNamespace: string, ctx: StepContext): Promise<StepOutcome> {
  const cluster = await connectToTestNamespace(testNamespace, ctx);
  if ('state' in cluster) return cluster;
  const from = ctx.namespace;
  const plan = await planNamespaceCopy(cluster, from, testNamespace);
  if (!plan.ok) return { state: 'failed', summary: `${formatClusterError(plan.error)} Nothing was copied.` };
  const address = new RegExp(`\\.${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.svc\\b|:)`);
  const reaching = plan.value.items.filter((i) => address.test(JSON.stringify(i.body)));
  if (reaching.length)
    return {
      state: 'failed',
      summary: `${reaching.map((i) => describeRef(i.ref)).join(', ')} name a Service of ${from} by its cluster address: the copy would reach production's data. Write it as the Service's short name. Nothing was copied.`,
    };
  for (const item of plan.value.items)
    ctx.output(`${describeRef(item.ref)}${item.notes.length ? ` (${item.notes.join('; ')})` : ''}\n`);
  for (const s of plan.value.skipped) ctx.output(`${s.kind} ${s.name}: not copied (${s.why})\n`);
  const applied = await executeNamespaceCopy(cluster, plan.value, {
    signal: ctx.signal,
    expectedNamespaces: [testNamespace],
    onProgress: (e) => {
      if (e.phase === 'apply') ctx.output(`${describeRef(e.item.ref)} ${e.action}\n`);
    },
  });
  if (!applied.ok) {
    if (applied.error.stage === 'cancelled') return { state: 'failed', summary: 'Cancelled while copying.' };
    const lines = describeFailures(applied.error.failures);
    for (const line of lines) ctx.output(`${line}\n`);
    return { state: 'failed', summary: `Copying into ${testNamespace} failed for ${lines.length} object(s): ${lines[0] ?? ''}` };
  }
  const hosts = plan.value.items.flatMap((i) => i.notes.filter((n) => n.startsWith('host ')));
  const leftOut = plan.value.skipped.filter((s) => NOT_COPIED_KINDS.some((k) => k.kind === s.kind));
  return {
    state: 'succeeded',
    summary: `Copied ${applied.value.length} object(s) from ${from} into ${testNamespace}${hosts.length ? `; ingress ${hosts.join(', ')}` : ''}${leftOut.length ? `; left out: ${leftOut.map((s) => `${s.kind} ${s.name}`).join(', ')} (production's schedules do not run in the copy)` : ''}.`,
  };
}

/** The chosen backup, restored by the plan's restore script into the test database, never the run's. */
async function restoreBackup(command: DrillCommand, step: Step, ctx: StepContext): Promise<StepOutcome> {
  if (!command.restoreScript)
    return {
      state: 'failed',
      summary:
        'The plan names no restore script (dr-restore.sh) in any scenario, so the drill cannot restore: add the restore step of a recovery scenario. Nothing was restored.',
    };
  if (!ctx.database) return { state: 'failed', summary: 'No PostgreSQL server is known for this run. Nothing was restored.' };
  const database = drillDatabase(ctx.database.name);
  const backup = await ctx.ui.fillPlaceholder(drillBackupArgument(step), step);
  if (backup === undefined) return { state: 'skipped', summary: 'No backup chosen: nothing was restored.' };
  ctx.output(
    `Restoring ${backup} into the test database ${database} on ${ctx.database.host}; the run's database ${ctx.database.name} is not touched.\n`,
  );
  const run = await runCaptured([command.restoreScript, '--target', 'local', '--database', database, '--', backup], ctx);
  if ('state' in run) return run;
  if (run.exitCode !== 0)
    return {
      state: 'failed',
      summary: `${command.restoreScript} exited with code ${run.exitCode}: the backup was not restored into ${database} (see the step's output); the run's database ${ctx.database.name} was not touched.`,
    };
  const { rpo } = parseRestoreEvidence(run.output);
  const rows = rpo ? `: ${rpo.rows} row(s) in the RPO table, newest ${rpo.newestRow ?? 'none'}` : '';
  return {
    state: 'succeeded',
    summary: `Restored ${backup} into the test database ${database} on ${ctx.database.host}${rows}. The run's database ${ctx.database.name} was not touched.`,
  };
}

/**
 * Drops the drill's test databases once its test namespace is gone: `<db>_drill` and any earlier
 * one a restore kept beside it (`<db>_drill_pre_restore_<time>`). Never the run's own database.
 */
export async function dropTestDatabases(
  ctx: StepContext,
  database: { readonly host: string; readonly name: string },
): Promise<StepOutcome> {
  const test = drillDatabase(database.name);
  const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  const psql = ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'];
  const listed = await runCaptured(
    [
      ...psql,
      '-c',
      `SELECT datname FROM pg_database WHERE datname = ${literal(test)} OR starts_with(datname, ${literal(`${test}_pre_restore_`)}) ORDER BY 1`,
    ],
    ctx,
    { quiet: true },
  );
  const failed = (why: string): StepOutcome => ({
    state: 'failed',
    summary: `The test database ${test} on ${database.host} was not dropped: ${why}. Drop it by hand (dropdb ${test}).`,
  });
  if ('state' in listed) return failed(listed.summary);
  // psql's exit code 2: no connection. Then no drill of this run restored anything there either.
  if (listed.exitCode === 2)
    return {
      state: 'succeeded',
      summary: `No PostgreSQL answered at ${database.host}, so no test database was dropped; if a drill restored ${test} there, drop it by hand (dropdb ${test}).`,
    };
  if (listed.exitCode !== 0) return failed(`psql exited with code ${listed.exitCode}: ${listed.output.trim().slice(0, 300)}`);
  const names = listed.output
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n !== '' && n !== database.name);
  if (names.length === 0) return { state: 'succeeded', summary: `No test database ${test} on ${database.host} to drop.` };
  for (const name of names) {
    const dropped = await runCaptured(
      [...psql, '-c', `DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`],
      ctx,
      {
        quiet: true,
      },
    );
    if ('state' in dropped) return failed(dropped.summary);
    if (dropped.exitCode !== 0)
      return failed(`psql exited with code ${dropped.exitCode}: ${dropped.output.trim().slice(0, 300)}`);
    ctx.output(`Dropped the test database ${name} on ${database.host}\n`);
  }
  return {
    state: 'succeeded',
    summary: `Dropped the test database${names.length > 1 ? 's' : ''} ${names.join(', ')} on ${database.host}; the run's database ${database.name} was not touched.`,
  };
}

/** Every workload of the test namespace ready, the restored rows there, and the application's health check. */
async function validate(testNamespace: string, ctx: StepContext): Promise<StepOutcome> {
  const cluster = await connectToTestNamespace(testNamespace, ctx);
  if ('state' in cluster) return cluster;
  const validations: Validation[] = [await workloadsReady(cluster, testNamespace, ctx)];
  if (ctx.database) validations.push(await restoredRows(drillDatabase(ctx.database.name), ctx));
  validations.push(...(await healthChecks(cluster, testNamespace, ctx)));
  for (const v of validations) ctx.output(`${v.passed ? '✔' : '✖'} ${v.name}: ${v.detail}\n`);
  const failed = validations.filter((v) => !v.passed);
  return {
    state: failed.length ? 'failed' : 'succeeded',
    summary: failed.length
      ? `${failed.length} of ${validations.length} check(s) failed: ${failed.map((v) => `${v.name} (${v.detail})`).join('; ')}`
      : `${validations.length} check(s) passed: ${validations.map((v) => v.name).join(', ')}.`,
    validations,
  };
}

const WORKLOADS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
] as const;

async function workloads(cluster: ClusterPort, namespace: string): Promise<KubeObject[] | string> {
  const found: KubeObject[] = [];
  for (const type of WORKLOADS) {
    const listed = await cluster.list({ ...type, namespace });
    if (!listed.ok) return formatClusterError(listed.error);
    found.push(...listed.value.items);
  }
  return found;
}

async function workloadsReady(cluster: ClusterPort, namespace: string, ctx: StepContext): Promise<Validation> {
  const name = `every workload in ${namespace} ready`;
  const found = await workloads(cluster, namespace);
  if (typeof found === 'string') return { name, passed: false, detail: found };
  if (found.length === 0) return { name, passed: false, detail: `no Deployment or StatefulSet in ${namespace}` };
  const refs: ObjectRef[] = found.map((o) => ({
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    name: o.metadata?.name ?? '',
    namespace,
  }));
  const ready = await waitForReady(cluster, refs, {
    timeoutMs: ctx.readinessTimeoutMs,
    signal: ctx.signal,
    onProgress: (e) => ctx.output(`${describeRef(e.ref)}: ${e.state} (${e.reason})\n`),
  });
  return ready.ok
    ? { name, passed: true, detail: `${refs.length} ready: ${refs.map((r) => `${r.kind} ${r.name}`).join(', ')}` }
    : { name, passed: false, detail: describeWaitError(ready.error) };
}

/** Rows of every table of the test database, asked of PostgreSQL itself. */
const ROWS_SQL = `SELECT 'rows', format('%I.%I', table_schema, table_name),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 2`;

/** The newest value of each timestamp column of the test database. */
const NEWEST_SQL = `SELECT 'newest', format('%I.%I', c.table_schema, c.table_name), c.column_name,
  to_char(m AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
CROSS JOIN LATERAL (SELECT ((xpath('/row/m/text()', query_to_xml(format('SELECT max(%I) AS m FROM %I.%I', c.column_name, c.table_schema, c.table_name), false, true, '')))[1]::text)::timestamptz AS m) newest
WHERE t.table_type = 'BASE TABLE' AND c.data_type LIKE 'timestamp%' AND c.table_schema NOT IN ('pg_catalog', 'information_schema') AND m IS NOT NULL`;

async function restoredRows(database: string, ctx: StepContext): Promise<Validation> {
  const name = `restored rows in the test database ${database}`;
  const run = await runCaptured(
    ['psql', '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', ROWS_SQL, '-c', NEWEST_SQL],
    ctx,
    {
      quiet: true,
    },
  );
  if ('state' in run) return { name, passed: false, detail: run.summary };
  if (run.exitCode !== 0)
    return { name, passed: false, detail: `psql exited with code ${run.exitCode}: ${run.output.trim().slice(0, 300)}` };
  const rows = new Map<string, number>();
  const times: { table: string; column: string; at: string }[] = [];
  for (const line of run.output.split('\n')) {
    const [what, table, a, b] = line.split('\t');
    if (what === 'rows' && table && a !== undefined) rows.set(table, Number(a));
    if (what === 'newest' && table && a && b) times.push({ table, column: a, at: b });
  }
  // The newest row of the largest table (the one the data grows in, such as the requests served).
  const largest = [...rows].sort((x, y) => y[1] - x[1])[0]?.[0];
  const newest = times.filter((t) => t.table === largest).sort((x, y) => y.at.localeCompare(x.at))[0];
  const total = [...rows.values()].reduce((sum, n) => sum + n, 0);
  const counts = [...rows].map(([table, n]) => `${table} ${n}`).join(', ') || 'no table';
  return {
    name,
    passed: total > 0,
    detail: `${counts}; ${newest ? `newest row ${newest.at} (${newest.table}.${newest.column})` : 'no timestamp in the largest table'}`,
  };
}

/**
 * Each Service of the test namespace whose pods answer an HTTP readiness probe: that path, asked
 * through the API server's service proxy (what the proxy is, the answer says: the test server
 * names itself).
 */
async function healthChecks(cluster: ClusterPort, namespace: string, ctx: StepContext): Promise<Validation[]> {
  const services = await cluster.list({ apiVersion: 'v1', kind: 'Service', namespace });
  const found = await workloads(cluster, namespace);
  if (!services.ok || typeof found === 'string')
    return [
      {
        name: 'application health check',
        passed: false,
        detail: services.ok ? (found as string) : formatClusterError(services.error),
      },
    ];
  const checks: Validation[] = [];
  for (const service of services.value.items) {
    const selector = (service['spec'] as { selector?: Record<string, string> } | undefined)?.selector ?? {};
    if (Object.keys(selector).length === 0) continue;
    const workload = found.find((w) => {
      const labels = (w['spec'] as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template
        ?.metadata?.labels;
      return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
    });
    const probe = httpProbe(workload);
    if (!probe) continue;
    const ports = ((service['spec'] as { ports?: { name?: string; port: number; targetPort?: string | number }[] }).ports ??
      []) as { name?: string; port: number; targetPort?: string | number }[];
    const port = ports.find((p) => String(p.targetPort ?? p.port) === String(probe.port)) ?? ports[0];
    if (!port) continue;
    const serviceName = service.metadata?.name ?? '';
    const name = `health check of ${serviceName}: GET ${probe.path} through the API server's service proxy`;
    const answer = await cluster.serviceProxy({
      namespace,
      service: serviceName,
      port: port.name ?? String(port.port),
      path: probe.path,
    });
    if (!answer.ok) {
      checks.push({ name, passed: false, detail: formatClusterError(answer.error) });
      continue;
    }
    const body = answer.value.body.replace(/\s+/g, ' ').trim().slice(0, 300);
    ctx.output(
      `GET ${probe.path} via ${cluster.server} services/${serviceName}:${port.name ?? port.port}/proxy: ${answer.value.status} ${body}\n`,
    );
    checks.push({
      name,
      passed: answer.value.status >= 200 && answer.value.status < 300,
      detail: `HTTP ${answer.value.status} from ${cluster.server}: ${body}`,
    });
  }
  return checks.length
    ? checks
    : [
        {
          name: 'application health check',
          passed: false,
          detail: `no Service in ${namespace} leads to pods with an HTTP readiness probe`,
        },
      ];
}

function httpProbe(workload: KubeObject | undefined): { path: string; port: string | number } | undefined {
  const spec = (workload?.['spec'] as { template?: { spec?: { containers?: KubeObject[] } } } | undefined)?.template?.spec;
  for (const container of spec?.containers ?? []) {
    const get = (container['readinessProbe'] as { httpGet?: { path?: string; port: string | number } } | undefined)?.httpGet;
    if (!get) continue;
    // A named port: the container port of that name (the Service's targetPort names it too).
    return { path: get.path ?? '/', port: get.port };
  }
  return undefined;
}

/** A program run to its end, its output kept (and shown unless `quiet`). */
async function runCaptured(
  argv: readonly string[],
  ctx: StepContext,
  options: { quiet?: boolean } = {},
): Promise<{ exitCode: number; output: string } | StepOutcome> {
  const started = Date.now();
  let output = '';
  const result = await ctx.processes.run(argv, {
    cwd: ctx.root,
    env: Object.fromEntries(ctx.secrets),
    signal: ctx.signal,
    onOutput: (text) => {
      output = (output + text).slice(-200_000);
      if (!options.quiet) ctx.output(text);
    },
  });
  if (!result.ok) return { state: 'failed', summary: result.error.message };
  if (result.value.cancelled)
    return { state: 'failed', summary: `${argv[0] ?? ''} was cancelled after ${formatDuration(Date.now() - started)}.` };
  return { exitCode: result.value.exitCode, output };
}
