/**
 * `dr-runbook drill` and `dr-runbook run <scenario>`: a scenario run by the same session as in VS
 * Code (RunDesk: lock, record, report, evidence bundle in .dr-runs/), its progress on the terminal
 * and its questions answered by flags (see cliUi.ts).
 */
import { dirname, resolve } from 'node:path';
import { connectCluster } from '../adapters/kubernetes/clusterClient.js';
import { ExecaRunner } from '../adapters/process/execaRunner.js';
import { secretPlaceholders } from '../core/manifests/secretTemplate.js';
import { osUser } from '../core/osUser.js';
import { projectPath } from '../core/paths.js';
import { stepManifests } from '../core/problems.js';
import { DEFAULT_PRODUCTION_PATTERNS, isProductionContext } from '../core/production.js';
import { checkBackupChecksum, listBackupFiles, type BackupFile } from '../core/run/backupFiles.js';
import { restoreTarget } from '../core/run/runRecord.js';
import { RunDesk, type ScenarioRequest } from '../core/run/runSession.js';
import type { DrillAccess } from '../core/execution/stepExecutor.js';
import type { Runbook, Scenario } from '../core/runbook/model.js';
import { Redaction, secretValueProblem } from '../core/secrets/redaction.js';
import { CliUi, missingAnswers, type Answers, type Ask } from './cliUi.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** A question had no answer (non-interactive), the person stopped the run, or another run holds the lock. */
export const EXIT_REFUSED = 3;

export class UsageError extends Error {}

export interface RunIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The person at the terminal, when there is one and --non-interactive was not given. */
  readonly ask?: Ask;
  /** Aborts the run (Ctrl-C): the session cancels the requests in flight and writes its record. */
  readonly signal?: AbortSignal;
}

export interface RunOptions {
  readonly root: string;
  readonly runbook: Runbook;
  readonly planFile: string;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly namespace: string;
  readonly records: string | undefined;
  readonly backupDir: string | undefined;
  readonly backup: string | undefined;
  readonly incidentStart: string | undefined;
  readonly confirmDelete: readonly string[];
  readonly allowDestructive: boolean;
  readonly manual: string | undefined;
  readonly values: readonly string[];
  readonly acceptWarnings: boolean;
  readonly resume: string | undefined;
  readonly nonInteractive: boolean;
  readonly readinessTimeoutSeconds: string | undefined;
  /** --bind-role and --service-account: see drillAccess. */
  readonly bindRole?: string | undefined;
  readonly serviceAccount?: string | undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The drill's RoleBinding of --bind-role to --service-account in its test namespace (both, or neither). */
function drillAccess(options: RunOptions): DrillAccess | undefined {
  const { bindRole, serviceAccount } = options;
  if (bindRole === undefined && serviceAccount === undefined) return undefined;
  if (bindRole === undefined || serviceAccount === undefined)
    throw new UsageError('--bind-role and --service-account go together: the role, and the account it is bound to');
  const [namespace, name, ...rest] = serviceAccount.split(':');
  if (!namespace || !name || rest.length || !DNS_LABEL.test(namespace) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    throw new UsageError(
      `--service-account "${serviceAccount}" is not NAMESPACE:NAME (the CronJob gives $(POD_NAMESPACE):$(POD_SERVICE_ACCOUNT))`,
    );
  if (!/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/.test(bindRole))
    throw new UsageError(`--bind-role "${bindRole}" is not a ClusterRole name`);
  return { clusterRole: bindRole, serviceAccount: { namespace, name } };
}

/** The scenario a `run` names, by its id or its title (any case). */
export function findScenario(runbook: Runbook, name: string): Scenario {
  const wanted = name.trim().toLowerCase();
  const found = runbook.scenarios.find((s) => s.id === wanted || s.title.toLowerCase() === wanted);
  if (!found)
    throw new UsageError(
      `the plan has no scenario "${name}": name one of ${runbook.scenarios.map((s) => `${s.id} ("${s.title}")`).join(', ')}`,
    );
  return found;
}

/** The plan's drill. */
export function findDrill(runbook: Runbook): Scenario {
  const drill = runbook.scenarios.find((s) => s.kind === 'drill');
  if (!drill) throw new UsageError('the plan has no drill: a scenario under a heading that says "drill" or "test"');
  return drill;
}

/**
 * The backup --backup names (a file, or the newest one in the backup folder), checked against its
 * checksum file before anything runs.
 */
async function chooseBackup(options: RunOptions, io: RunIo): Promise<string | undefined> {
  if (options.backup === undefined) return undefined;
  let file: BackupFile | undefined;
  if (options.backup !== 'newest') {
    const path = resolve(io.cwd, options.backup);
    const found = await listBackupFiles(dirname(path));
    file = found.ok ? found.value.files.find((f) => f.path === path) : undefined;
    if (!file)
      throw new UsageError(`--backup ${path} is not a backup file (a .dump, .sql or .sql.gz that exists); nothing was changed`);
  } else {
    if (!options.backupDir) throw new UsageError('--backup=newest needs --backup-dir (or $DR_BACKUP_DIR)');
    const listed = await listBackupFiles(options.backupDir);
    file = listed.ok ? listed.value.files[0] : undefined;
    if (!file)
      throw new UsageError(
        `there is no backup in ${options.backupDir}${listed.ok ? '' : ` (${listed.error.message})`}: take one with scripts/backup/dr-backup.sh; nothing was changed`,
      );
  }
  const checksum = await checkBackupChecksum(file, io.signal ?? new AbortController().signal);
  if (checksum === 'mismatch' || checksum === 'unreadable')
    throw new UsageError(
      `the backup ${file.path} ${checksum === 'mismatch' ? 'does not match its checksum file' : 'cannot be read'} (${file.path}.sha256): choose another backup; nothing was changed`,
    );
  return file.path;
}

function parseAnswers(options: RunOptions, backup: string | undefined, drill: boolean): Answers {
  let incidentStart: Date | undefined;
  if (options.incidentStart === 'now' || (drill && options.incidentStart === undefined)) incidentStart = new Date();
  else if (options.incidentStart !== undefined) {
    incidentStart = new Date(options.incidentStart);
    if (Number.isNaN(incidentStart.getTime()) || !/\d{4}-\d\d-\d\dT/.test(options.incidentStart))
      throw new UsageError(`--incident-start "${options.incidentStart}" is not an ISO 8601 time (2026-12-03T09:30:00Z) or now`);
  }
  if (options.manual !== undefined && options.manual !== 'done' && options.manual !== 'skip')
    throw new UsageError('--manual takes done or skip');
  if (options.resume !== undefined && options.resume !== 'continue' && options.resume !== 'new')
    throw new UsageError('--resume takes continue or new');
  const values = new Map<string, string>();
  for (const v of options.values) {
    const at = v.indexOf('=');
    if (at <= 0) throw new UsageError(`--value "${v}" is not PLACEHOLDER=VALUE`);
    values.set(v.slice(0, at), v.slice(at + 1));
  }
  return {
    backup,
    incidentStart,
    confirmDelete: new Set(options.confirmDelete),
    allowDestructive: options.allowDestructive,
    manual: options.manual,
    values,
    acceptWarnings: options.acceptWarnings,
    resume: options.resume,
  };
}

/** The secret values of the plan's Secret templates (and PostgreSQL's password), from the environment. */
async function secretValues(root: string, runbook: Runbook, env: RunIo['env']): Promise<Map<string, string>> {
  const names = new Set(['PGPASSWORD']);
  for (const step of runbook.scenarios.flatMap((s) => s.steps).filter((s) => s.kind === 'apply'))
    for (const file of await stepManifests(root, step))
      for (const o of file.objects) secretPlaceholders(o.body).forEach((n) => names.add(n));
  const values = new Map<string, string>();
  for (const name of names) {
    const value = env[name];
    if (value && !secretValueProblem(value)) values.set(name, value);
  }
  return values;
}

/** Runs `scenario` to its end (or its refusal); the exit code. */
export async function runScenarioCommand(scenario: Scenario, options: RunOptions, io: RunIo): Promise<number> {
  const drill = scenario.kind === 'drill';
  const access = drillAccess(options);
  const backup = await chooseBackup(options, io);
  const answers = parseAnswers(options, backup, drill);
  const ask = options.nonInteractive ? undefined : io.ask;
  if (!ask) {
    const missing = missingAnswers(scenario, answers, { incidentStart: true });
    if (missing.length) {
      io.err(`dr-runbook: "${scenario.title}" cannot run without a person: these questions have no answer. Nothing was changed.`);
      for (const m of missing) io.err(`  ✖ ${m}`);
      return EXIT_USAGE;
    }
  }
  const timeout = options.readinessTimeoutSeconds === undefined ? 600 : Number(options.readinessTimeoutSeconds);
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError('--readiness-timeout takes a whole number of seconds');
  const connect = (signal?: AbortSignal, context = options.context, kubeconfig = options.kubeconfig) =>
    connectCluster({
      ...(kubeconfig ? { kubeconfigPath: resolve(options.root, kubeconfig) } : {}),
      ...(context ? { context } : {}),
      namespace: options.namespace,
      ...(signal ? { signal } : {}),
    });
  const probe = connect();
  const contextName = probe.ok ? probe.value.context : (options.context ?? '(none)');
  const production = isProductionContext(contextName, DEFAULT_PRODUCTION_PATTERNS);
  const secrets = await secretValues(options.root, options.runbook, io.env);
  const redaction = new Redaction(secrets.values());
  const ui = new CliUi(answers, (line) => io.out(redaction.text(line)), ask);
  let pending = '';
  const output = (text: string): void => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) io.out(line);
  };
  const request: ScenarioRequest = {
    runbook: options.runbook,
    scenario,
    planFile: options.planFile,
    ...(options.backupDir ? { backupDirectory: options.backupDir } : {}),
    targets: {
      context: contextName,
      namespace: options.namespace,
      production,
      database: restoreTarget(io.env),
      ...(probe.ok ? { server: probe.value.server } : { problem: probe.error.message }),
    },
    env: {
      root: options.root,
      namespace: options.namespace,
      cluster: (signal, target) => connect(signal, target?.context ?? options.context, target?.kubeconfig ?? options.kubeconfig),
      isProduction: (name) => isProductionContext(name, DEFAULT_PRODUCTION_PATTERNS),
      processes: new ExecaRunner(),
      secrets,
      production,
      readinessTimeoutMs: timeout * 1000,
      ...(access ? { drillAccess: access } : {}),
    },
    output,
    redact: redaction.text,
  };
  const log = {
    debug: () => undefined,
    info: (m: string) => io.out(redaction.text(m)),
    warn: (m: string) => io.err(`⚠ ${redaction.text(m)}`),
    error: (m: string) => io.err(`✖ ${redaction.text(m)}`),
  };
  const desk = new RunDesk(options.root, () => ui, osUser(), log, options.records);
  const cancel = (): boolean => desk.cancel();
  io.signal?.addEventListener('abort', cancel);
  try {
    const ran = await desk.runScenario(request);
    if (pending) io.out(pending);
    if (!ran.ok) {
      io.err(`dr-runbook: ${ran.error}`);
      return EXIT_REFUSED;
    }
    const outcome = ran.value;
    if (!outcome || ui.refusal) {
      io.err(`dr-runbook: refused: ${ui.refusal ?? 'the run did not start'}.`);
      return EXIT_REFUSED;
    }
    io.out(`${outcome.outcome === 'finished' ? '✔' : '✖'} ${scenario.title}: ${outcome.reason ?? outcome.outcome}`);
    if (outcome.record) io.out(`record: ${projectPath(options.root, outcome.record)}`);
    if (outcome.report) io.out(`report: ${projectPath(options.root, outcome.report)}`);
    return outcome.outcome === 'finished' ? EXIT_OK : outcome.outcome === 'failed' ? EXIT_FAILED : EXIT_REFUSED;
  } finally {
    io.signal?.removeEventListener('abort', cancel);
  }
}
