/**
 * `dr-runbook`, the command line: the same core as the VS Code extension, for a terminal, CI and
 * the in-cluster drill. Exit codes: 0 all good, 1 the check or the verification failed, 2 the
 * command line or its input is wrong (nothing was checked).
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connectCluster } from '../adapters/kubernetes/clusterClient.js';
import { checkDrift, type Finding } from '../core/drift/driftCheck.js';
import { projectPath, readPlanFile } from '../core/paths.js';
import { verifyEvidenceBundle } from '../core/run/evidenceBundle.js';
import { parsePlan } from '../core/runbook/parsePlan.js';
import { planNamespace } from '../core/runbook/planNamespace.js';
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  findDrill,
  findScenario,
  runScenarioCommand,
  UsageError,
  type RunIo,
} from './runCommand.js';

export type CliIo = RunIo;

const USAGE = `Usage: dr-runbook <command> [options]

Commands:
  drill                 Run the plan's drill end to end (test namespace, configuration copied,
                        a backup restored into the test database, the application checked, the
                        results written, the test namespace deleted): record, report and
                        evidence bundle in .dr-runs/.
  run <scenario>        Run a scenario of the plan (its id or title), the same way.
  check                 Read-only drift check: every file and script the plan names exists and
                        parses, the namespaces and workloads it names exist in the cluster, no
                        drill left its test namespace behind, the newest backup is within the RPO.
  verify <path>         Verify an evidence bundle (<record>.evidence.json), or every bundle in a
                        folder: its own hash, the run record's hash chain, the report.

Options of check:
  --workspace DIR       the project folder (default: the current folder)
  --plan FILE           the plan, relative to the workspace (default: DR-PLAN.md)
  --kubeconfig FILE     the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME        the kubeconfig context (default: its current context)
  --namespace NS        the namespace of objects the plan names without one (default: the one
                        the plan's commands name most, else default)
  --backup-dir DIR      the folder dr-backup.sh writes to (default: $DR_BACKUP_DIR)

Options of drill and run (and --workspace, --plan, --kubeconfig, --context, --namespace,
--backup-dir as for check). Every question of a run has a flag; with --non-interactive (or
without a terminal) a run whose questions lack their flags is refused before it starts:
  --backup FILE|newest  the backup a restore uses (newest: the newest in --backup-dir)
  --incident-start T    when the incident started (ISO 8601, or now; a drill: its start)
  --confirm-delete NS   confirms the deletion of namespace NS (repeat for more)
  --allow-destructive   runs rollbacks, restores of the run's database and unknown commands
  --manual done|skip    what manual steps become
  --value P=VALUE       the value of a placeholder P of a script (repeat for more)
  --accept-warnings     goes on after the preflight's warnings
  --resume continue|new continues a stopped run of the scenario, or starts a new one
  --records DIR         where records, reports and bundles go (default: .dr-runs/ in the workspace)
  --readiness-timeout S how long a step waits for readiness (default 600)
  --non-interactive     never asks: a question without its flag is refused
  --bind-role ROLE      (drill, in the cluster) before it first writes in its test namespace, the
                        drill binds the ClusterRole ROLE there to --service-account
  --service-account NS:NAME
                        the ServiceAccount the drill runs as (the CronJob's own)

Options of verify:
  --expect SHA256       the bundle hash published at the end of the run (a CI log, a ticket)

Exit codes: 0 all good; 1 the check, the verification or a step of the run failed; 2 a wrong\ncommand line or input, or a question without its flag (nothing was changed); 3 a question\nrefused or stopped mid-run, or another run holds the lock.`;

const MARK: Record<Finding['level'], string> = { ok: '✔', warning: '⚠', fail: '✘' };

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, positionals: number) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
    return parsed;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Runs one command line; the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await check(rest, io);
      case 'verify':
        return await verify(rest, io);
      case 'drill':
      case 'run':
        return await runCommand(command, rest, io);
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return EXIT_OK;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`dr-runbook: ${e.message}. See dr-runbook --help.`);
    return EXIT_USAGE;
  }
}

const PLAN_OPTIONS = {
  workspace: { type: 'string' },
  plan: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string' },
  'backup-dir': { type: 'string' },
} as const;

/** The plan of --workspace and --plan, read and parsed. */
async function readPlan(io: CliIo, values: { workspace?: string; plan?: string }) {
  const root = resolve(io.cwd, values.workspace ?? '.');
  const planPath = resolve(root, values.plan ?? 'DR-PLAN.md');
  const text = await readPlanFile(planPath, planPath);
  if (!text.ok) throw new UsageError(`the plan ${text.error.message} Give --workspace or --plan`);
  return { root, planPath, runbook: parsePlan(text.value) };
}

async function runCommand(command: 'drill' | 'run', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...PLAN_OPTIONS,
      records: { type: 'string' },
      backup: { type: 'string' },
      'incident-start': { type: 'string' },
      'confirm-delete': { type: 'string', multiple: true },
      'allow-destructive': { type: 'boolean' },
      manual: { type: 'string' },
      value: { type: 'string', multiple: true },
      'accept-warnings': { type: 'boolean' },
      resume: { type: 'string' },
      'readiness-timeout': { type: 'string' },
      'non-interactive': { type: 'boolean' },
      'bind-role': { type: 'string' },
      'service-account': { type: 'string' },
    },
    command === 'run' ? 1 : 0,
  );
  if (command === 'run' && !positionals[0]) throw new UsageError('run needs the scenario to run (its id or title)');
  const { root, planPath, runbook } = await readPlan(io, values);
  const scenario = command === 'run' ? findScenario(runbook, positionals[0]!) : findDrill(runbook);
  const backupDir = values['backup-dir'] ?? io.env['DR_BACKUP_DIR'];
  return runScenarioCommand(
    scenario,
    {
      root,
      runbook,
      planFile: projectPath(root, planPath),
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace ?? planNamespace(runbook) ?? 'default',
      records: values.records === undefined ? undefined : resolve(io.cwd, values.records),
      backupDir: backupDir === undefined ? undefined : resolve(io.cwd, backupDir),
      backup: values.backup,
      incidentStart: values['incident-start'],
      confirmDelete: values['confirm-delete'] ?? [],
      allowDestructive: values['allow-destructive'] ?? false,
      manual: values.manual,
      values: values.value ?? [],
      acceptWarnings: values['accept-warnings'] ?? false,
      resume: values.resume,
      nonInteractive: values['non-interactive'] ?? false,
      readinessTimeoutSeconds: values['readiness-timeout'],
      bindRole: values['bind-role'],
      serviceAccount: values['service-account'],
    },
    io,
  );
}

async function check(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, PLAN_OPTIONS, 0);
  const { root, planPath, runbook } = await readPlan(io, values);
  const namespace = values.namespace ?? planNamespace(runbook) ?? 'default';
  const cluster = connectCluster({
    ...(values.kubeconfig ? { kubeconfigPath: resolve(io.cwd, values.kubeconfig) } : {}),
    ...(values.context ? { context: values.context } : {}),
    namespace,
  });
  const backupDirectory = values['backup-dir'] ?? io.env['DR_BACKUP_DIR'];
  const planFile = projectPath(root, planPath);
  io.out(
    `dr-runbook check: ${planFile} in ${root}${cluster.ok ? `, context "${cluster.value.context}" (${cluster.value.server})` : ''}`,
  );
  const findings = await checkDrift({
    root,
    planFile,
    runbook,
    cluster,
    namespace,
    backupDirectory: backupDirectory && !isAbsolute(backupDirectory) ? resolve(io.cwd, backupDirectory) : backupDirectory,
  });
  for (const f of findings) io.out(`${MARK[f.level]} ${f.text}`);
  const failed = findings.filter((f) => f.level === 'fail').length;
  const warnings = findings.filter((f) => f.level === 'warning').length;
  if (failed > 0) {
    io.out(
      `The plan has drifted: ${failed} problem${failed === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.`,
    );
    return EXIT_FAILED;
  }
  io.out(`The plan matches the project and the cluster${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.`);
  return EXIT_OK;
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { expect: { type: 'string' } }, 1);
  const target = positionals[0];
  if (!target) throw new UsageError('verify needs the path of a bundle or of a folder of bundles');
  if (values.expect !== undefined && !/^[0-9a-f]{64}$/i.test(values.expect))
    throw new UsageError('--expect takes a SHA-256 (64 hex digits)');
  const path = resolve(io.cwd, target);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`${path} does not exist`);
  const bundles = info.isDirectory()
    ? (await readdir(path))
        .filter((n) => n.endsWith('.evidence.json'))
        .sort()
        .map((n) => join(path, n))
    : [path];
  if (bundles.length === 0) throw new UsageError(`${path} holds no evidence bundle (*.evidence.json)`);
  if (values.expect !== undefined && bundles.length > 1)
    throw new UsageError('--expect names one bundle: give its path, not a folder');
  let failed = 0;
  for (const bundle of bundles) {
    const result = await verifyEvidenceBundle(bundle, values.expect);
    if (result.problems.length === 0) {
      io.out(`✔ ${bundle}: verified (sha256 ${result.bundleSha256})`);
      for (const c of result.checked) io.out(`    ${c}`);
    } else {
      failed++;
      io.out(`✘ ${bundle}: NOT verified`);
      for (const p of result.problems) io.out(`    ${p}`);
    }
  }
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
