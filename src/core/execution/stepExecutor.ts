import { applyObjects, describeFailures, preflightObjects } from '../cluster/apply.js';
import { diagnoseNamespace, ingressAddresses } from '../cluster/diagnostics.js';
import { podLogFacts } from '../cluster/podLogFacts.js';
import { describeRef, formatClusterError, type ClusterError, type ObjectRef } from '../cluster/model.js';
import { createNamespace, deleteNamespace, namespaceRef } from '../cluster/namespaces.js';
import type { ClusterPort } from '../cluster/port.js';
import { describeWaitError, waitForReady } from '../cluster/readiness.js';
import { describeRollback, executeRollback, prepareRollback } from '../cluster/rollback.js';
import { formatDuration } from '../duration.js';
import type { ManifestCache } from '../manifests/loadManifests.js';
import { ok, type Result } from '../result.js';
import type {
  ApplyCommand,
  Command,
  KubectlTarget,
  LogsCommand,
  RollbackCommand,
  ScriptArgument,
  ScriptCommand,
  Step,
} from '../runbook/model.js';
import { replacesData } from '../runbook/commands.js';
import { resolveScript } from '../runbook/scriptPath.js';
import type { Validation } from '../run/evidenceBundle.js';
import { applyCommandItems } from './applyCommand.js';
import { dropTestDatabases, executeDrillCommand } from './drillActions.js';
import type { ProcessRunner } from './ports.js';
import { fillItemSecrets } from './stepPreview.js';

/** How a step ended. */
export interface StepOutcome {
  readonly state: 'succeeded' | 'failed' | 'skipped' | 'manual';
  /** One line for the tree, the record and the report. */
  readonly summary: string;
  /** The checks a drill's validation made, for the record and the evidence bundle. */
  readonly validations?: readonly Validation[];
}

/** What a step may ask the person running it. The extension answers with VS Code dialogs. */
export interface StepUi {
  /** A destructive action on a production context: true only when the namespace name was typed. */
  confirmDestructive(action: string, namespace: string): Promise<boolean>;
  /** A value for a placeholder such as `/path/to/offsite/backup.sql`; undefined when the person gave none. */
  fillPlaceholder(argument: ScriptArgument, step: Step): Promise<string | undefined>;
  /** A command DR Runbook does not know: shown, and run only when confirmed. */
  confirmOther(command: string): Promise<boolean>;
  /**
   * The rollback about to be applied, shown first. `undoesRollback`: it would return to the
   * revision a rollback just left (the step run a second time), so nothing is offered as the default.
   */
  confirmRollback(description: string, undoesRollback: boolean): Promise<boolean>;
  /** A manual step with the facts that help; the person ticks it or not. */
  manualStep(step: Step, facts: readonly string[]): Promise<'done' | 'skip' | 'stop'>;
  /** Starts following logs in an output channel of its own (they go on after the step). */
  followLogs(command: LogsCommand, namespace: string): Promise<Result<string, ClusterError>>;
}

export interface StepContext {
  /** The project root: paths and scripts in the plan are relative to it. */
  readonly root: string;
  /** The namespace of the plan's objects when a command names none. */
  readonly namespace: string;
  /**
   * The cluster, connected when first needed (no cluster code runs for a script-only step): the
   * run's, or the one a command names with --context / --kubeconfig.
   */
  readonly cluster: (target?: KubectlTarget) => Promise<Result<ClusterPort, ClusterError>>;
  readonly processes: ProcessRunner;
  readonly ui: StepUi;
  readonly signal: AbortSignal;
  /** The step's output: every line goes to its output channel (redacted by the caller). */
  readonly output: (text: string) => void;
  /**
   * The secret values by name, from the one source (the environment, then VS Code's secret
   * storage): they fill `${NAME}` in Secret templates and are the environment of every script step.
   */
  readonly secrets: ReadonlyMap<string, string>;
  /** Whether destructive steps need the namespace typed (the run's context matches a production pattern). */
  readonly production: boolean;
  /** The same judgement for a context a command names itself (`--context prod-eu`); the run's when absent. */
  readonly isProduction?: (context: string) => boolean;
  readonly readinessTimeoutMs: number;
  readonly manifests?: ManifestCache;
  /** Namespaces that earlier steps of the run create (for the preflight). */
  readonly expectedNamespaces?: readonly string[];
  /** The run's PostgreSQL server and database (what a restore replaces): a drill restores beside it. */
  readonly database?: { readonly host: string; readonly name: string };
  /** What the run measured so far (time against the RTO, the restore, the checks, the gaps): a drill's results step writes it down. */
  readonly measured?: () => readonly string[];
  /**
   * A drill run by a ServiceAccount that holds no rights in the test namespace it creates (the
   * in-cluster CronJob): the ClusterRole it binds there to that account before it first writes.
   */
  readonly drillAccess?: DrillAccess;
}

export interface DrillAccess {
  readonly clusterRole: string;
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
}

/** Runs one step of the plan: its commands in order, through the engine, a script runner or the person. */
export async function executeStep(step: Step, ctx: StepContext): Promise<StepOutcome> {
  if (step.commands.length === 0) return manualStep(step, ctx);
  // A step of applies is one apply: every object of its files, in dependency order, with one
  // preflight (nothing of the step is applied if any object is refused) and one readiness wait.
  const applies = step.commands.filter((c) => c.kind === 'apply');
  const alike = new Set(applies.map((c) => JSON.stringify([c.namespace, c.globals, c.forceConflicts])));
  if (applies.length > 1 && applies.length === step.commands.length && alike.size === 1) {
    for (const c of applies) ctx.output(`$ ${c.text}\n`);
    const outcome = await applyStep(applies, step, ctx);
    ctx.output(`${outcome.state === 'succeeded' ? '✔' : '✖'} ${outcome.summary}\n`);
    return outcome;
  }
  const summaries: string[] = [];
  const validations: Validation[] = [];
  for (const command of step.commands) {
    if (ctx.signal.aborted) return { state: 'failed', summary: 'Cancelled.' };
    const outcome = await executeCommand(command, step, ctx);
    ctx.output(`${outcome.state === 'succeeded' ? '✔' : outcome.state === 'skipped' ? '↷' : '✖'} ${outcome.summary}\n`);
    if (outcome.state === 'failed' || outcome.state === 'skipped') return outcome;
    summaries.push(outcome.summary);
    validations.push(...(outcome.validations ?? []));
  }
  return { state: 'succeeded', summary: summaries.join(' '), ...(validations.length ? { validations } : {}) };
}

async function executeCommand(command: Command, step: Step, ctx: StepContext): Promise<StepOutcome> {
  ctx.output(`$ ${command.text}\n`);
  switch (command.kind) {
    case 'cd':
      return {
        state: 'succeeded',
        summary: command.projectRoot ? 'Working in the project root.' : `Working in ${ctx.root} (cd is not followed).`,
      };
    case 'apply':
      return applyStep([command], step, ctx);
    case 'rollback':
      return rollback(command, ctx);
    case 'logs':
      return logs(command, ctx);
    case 'namespaceCreate':
      return withCluster(ctx, command.globals, async (cluster) => {
        const done: string[] = [];
        for (const name of command.namespaces) {
          if (command.globals.dryRun === 'client') {
            done.push(`Namespace ${name} would be created (client dry run: nothing sent).`);
            continue;
          }
          const created = await createNamespace(cluster, name, { dryRun: command.globals.dryRun === 'server' });
          if (!created.ok) return failed(created.error);
          done.push(
            `Namespace ${name} ${created.value === 'created' ? 'created' : 'already exists'}${dryRunNote(command.globals)}.`,
          );
        }
        return { state: 'succeeded', summary: done.join(' ') };
      });
    case 'namespaceDelete':
      return withCluster(ctx, command.globals, async (cluster) => {
        const done: string[] = [];
        for (const name of command.namespaces) {
          if (command.globals.dryRun !== 'none') {
            // kubectl's dry runs delete nothing; the server-side one asks the server whether it would.
            const checked =
              command.globals.dryRun === 'server' ? await cluster.remove(namespaceRef(name), { dryRun: true }) : ok(true);
            if (!checked.ok) return failed(checked.error);
            done.push(
              checked.value
                ? `Namespace ${name} would be deleted${dryRunNote(command.globals)}.`
                : `Namespace ${name} does not exist.`,
            );
            continue;
          }
          if (!(await confirm(ctx, command.globals, cluster, `delete namespace ${name} and everything in it`, name))) {
            return {
              state: 'skipped',
              summary: `Not confirmed: namespace ${name} was not deleted.${done.length ? ` ${done.join(' ')}` : ''}`,
            };
          }
          const deleted = await deleteNamespace(cluster, name, {
            timeoutMs: ctx.readinessTimeoutMs,
            signal: ctx.signal,
            onProgress: (phase) => ctx.output(`namespace ${name}: ${phase}\n`),
          });
          if (!deleted.ok) return { state: 'failed', summary: `${deleted.error.message} ${deleted.error.hint}` };
          done.push(deleted.value === 'deleted' ? `Namespace ${name} is gone.` : `Namespace ${name} did not exist.`);
        }
        if (command.testEnvironment && ctx.database) {
          const dropped = await dropTestDatabases(ctx, ctx.database);
          done.push(dropped.summary);
          if (dropped.state === 'failed') return { state: 'failed', summary: done.join(' ') };
        }
        return { state: 'succeeded', summary: done.join(' ') };
      });
    case 'script': {
      // Only a regular file inside the project is the plan's script; anything else asks every time.
      const resolved = await resolveScript(ctx.root, command.path.value);
      if (resolved.ok) return runScript(command, step, ctx);
      ctx.output(`${resolved.error} It runs as an unknown command, only when confirmed.\n`);
      return runOther(command.text, ctx);
    }
    case 'drill':
      return executeDrillCommand(command, step, ctx);
    case 'other':
      if (command.refused) return { state: 'failed', summary: `Not run: ${command.refused}` };
      return runOther(command.text, ctx);
  }
}

/** `(server dry run: nothing changed)` and the like, for a summary. */
function dryRunNote(target: KubectlTarget): string {
  return target.dryRun === 'none' ? '' : ` (${target.dryRun} dry run: nothing changed)`;
}

/** A command DR Runbook does not know: shown, and run by bash only when confirmed, every time. */
async function runOther(text: string, ctx: StepContext): Promise<StepOutcome> {
  if (!(await ctx.ui.confirmOther(text))) return { state: 'skipped', summary: `Not confirmed: "${text}" was not run.` };
  return runProcess(['bash', '-c', text], text, ctx);
}

async function applyStep(commands: readonly ApplyCommand[], step: Step, ctx: StepContext): Promise<StepOutcome> {
  const loaded = await applyCommandItems(ctx.root, step, commands, ctx.namespace, ctx.manifests);
  if (!loaded.ok) return { state: 'failed', summary: `${loaded.error.join('; ')} Nothing was applied.` };
  const filled = fillItemSecrets(loaded.value, (name) => ctx.secrets.get(name));
  if (!filled.ok) return { state: 'failed', summary: `${filled.error} Nothing was applied.` };
  const items = filled.value;
  const { globals: target, forceConflicts } = commands[0]!;
  if (target.dryRun === 'client') {
    for (const item of items) ctx.output(`${describeRef(item.ref)} (client dry run)\n`);
    return { state: 'succeeded', summary: `${items.length} object(s) read (client dry run: nothing sent).` };
  }
  return withCluster(ctx, target, async (cluster) => {
    if (target.dryRun === 'server') {
      const checked = await preflightObjects(cluster, items, {
        force: forceConflicts,
        signal: ctx.signal,
        expectedNamespaces: ctx.expectedNamespaces ?? [],
      });
      if (!checked.ok) {
        if (checked.error.stage === 'cancelled') return { state: 'failed', summary: 'Cancelled.' };
        const lines = describeFailures(checked.error.failures);
        for (const line of lines) ctx.output(`${line}\n`);
        return { state: 'failed', summary: `The server-side dry run refused ${lines.length} object(s): ${lines[0] ?? ''}` };
      }
      for (const [item, plan] of checked.value.plans) ctx.output(`${describeRef(item.ref)} ${plan.action} (server dry run)\n`);
      return { state: 'succeeded', summary: `${items.length} object(s) accepted (server dry run: nothing changed).` };
    }
    const applied = await applyObjects(cluster, items, {
      force: forceConflicts,
      signal: ctx.signal,
      expectedNamespaces: ctx.expectedNamespaces ?? [],
      onProgress: (e) => {
        if (e.phase === 'apply') ctx.output(`${describeRef(e.item.ref)} ${e.action}\n`);
      },
    });
    if (!applied.ok) {
      if (applied.error.stage === 'cancelled') return { state: 'failed', summary: 'Cancelled while applying.' };
      const where = {
        preflight: 'The server-side dry run refused',
        apply: 'Applying failed for',
        verify: 'Applied, but live objects lack fields their manifests set, for',
      }[applied.error.stage];
      const lines = describeFailures(applied.error.failures);
      for (const line of lines) ctx.output(`${line}\n`);
      return {
        state: 'failed',
        summary: `${where} ${lines.length} object(s)${applied.error.stage === 'preflight' ? '; nothing was applied' : ''}: ${lines[0] ?? ''}`,
      };
    }
    ctx.output(`waiting for ${items.length} object(s) to be ready...\n`);
    const ready = await waitForReady(
      cluster,
      items.map((i) => i.ref),
      {
        timeoutMs: ctx.readinessTimeoutMs,
        signal: ctx.signal,
        onProgress: (e) => ctx.output(`${describeRef(e.ref)}: ${e.state} (${e.reason})\n`),
      },
    );
    if (!ready.ok) return { state: 'failed', summary: describeWaitError(ready.error) };
    const counts = new Map<string, number>();
    for (const a of applied.value) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
    return { state: 'succeeded', summary: `${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')}; all ready.` };
  });
}

async function rollback(command: RollbackCommand, ctx: StepContext): Promise<StepOutcome> {
  return withCluster(ctx, command.globals, async (cluster) => {
    const ref: ObjectRef = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: command.name,
      namespace: command.namespace ?? ctx.namespace,
    };
    const plan = await prepareRollback(cluster, ref, command.toRevision);
    if (!plan.ok) {
      const e = plan.error;
      return {
        state: 'failed',
        summary: e.kind === 'cluster' ? formatClusterError(e.error) : e.kind === 'wait' ? describeWaitError(e.error) : e.message,
      };
    }
    const description = describeRollback(plan.value);
    ctx.output(`${description}\n`);
    if (command.globals.dryRun !== 'none')
      return { state: 'succeeded', summary: `Would roll back: ${description}${dryRunNote(command.globals)}.` };
    if (
      !(await ctx.ui.confirmRollback(description, plan.value.undoesRollback)) ||
      !(await confirm(ctx, command.globals, cluster, `roll back ${describeRef(ref)}`, ref.namespace ?? ctx.namespace))
    ) {
      return { state: 'skipped', summary: 'Rollback not confirmed: nothing changed.' };
    }
    const done = await executeRollback(cluster, plan.value, {
      timeoutMs: ctx.readinessTimeoutMs,
      signal: ctx.signal,
      onProgress: (e) => ctx.output(`${describeRef(e.ref)}: ${e.state} (${e.reason})\n`),
    });
    if (!done.ok) {
      const e = done.error;
      return {
        state: 'failed',
        summary: e.kind === 'cluster' ? formatClusterError(e.error) : e.kind === 'wait' ? describeWaitError(e.error) : e.message,
      };
    }
    return { state: 'succeeded', summary: `Rolled back: ${description}.` };
  });
}

/**
 * `kubectl logs`: followed logs (-f) of a workload or selector go to an output channel of their
 * own; a one-off read is kubectl's own (every form it knows), on the command's cluster, read-only.
 */
async function logs(command: LogsCommand, ctx: StepContext): Promise<StepOutcome> {
  if (command.follow) {
    const opened = await ctx.ui.followLogs(command, command.namespace ?? ctx.namespace);
    return opened.ok ? { state: 'succeeded', summary: opened.value } : failed(opened.error);
  }
  return withCluster(ctx, command.globals, (cluster) => {
    const argv = ['kubectl', ...command.args];
    if (command.globals.context === undefined) argv.push(`--context=${cluster.context}`);
    if (command.namespace === undefined) argv.push(`--namespace=${ctx.namespace}`);
    return runProcess(argv, 'kubectl logs', ctx);
  });
}

async function runScript(command: ScriptCommand, step: Step, ctx: StepContext): Promise<StepOutcome> {
  const path = command.path.value;
  const argv = [path];
  for (const arg of command.args) {
    if (!arg.placeholder) {
      argv.push(arg.value);
      continue;
    }
    const value = await ctx.ui.fillPlaceholder(arg, step);
    if (value === undefined) return { state: 'skipped', summary: `No value for ${arg.value}: the script was not run.` };
    argv.push(value);
  }
  if (
    replacesData(command) &&
    ctx.production &&
    !(await ctx.ui.confirmDestructive(`run ${path} (it replaces the live database)`, ctx.namespace))
  ) {
    return { state: 'skipped', summary: `Not confirmed: ${path} was not run.` };
  }
  return runProcess(argv, path, ctx);
}

async function runProcess(argv: readonly string[], label: string, ctx: StepContext): Promise<StepOutcome> {
  const started = Date.now();
  const result = await ctx.processes.run(argv, {
    cwd: ctx.root,
    env: Object.fromEntries(ctx.secrets),
    signal: ctx.signal,
    onOutput: ctx.output,
  });
  if (!result.ok) return { state: 'failed', summary: result.error.message };
  const took = formatDuration(Date.now() - started);
  if (result.value.cancelled) return { state: 'failed', summary: `${label} was cancelled after ${took}.` };
  return result.value.exitCode === 0
    ? { state: 'succeeded', summary: `${label} finished in ${took}.` }
    : { state: 'failed', summary: `${label} exited with code ${result.value.exitCode} after ${took}; see the step's output.` };
}

async function manualStep(step: Step, ctx: StepContext): Promise<StepOutcome> {
  const facts = await helpfulFacts(ctx);
  const answer = await ctx.ui.manualStep(step, facts);
  if (answer === 'done') return { state: 'manual', summary: 'Done by hand.' };
  if (answer === 'skip') return { state: 'skipped', summary: 'Skipped.' };
  return { state: 'failed', summary: 'Stopped at a manual step.' };
}

/**
 * What helps with a manual step, and what the record keeps before a rollback or a restore: failing
 * pods with their events, recent log lines (the previous container's too; error lines of pods that
 * run), and where the ingress points.
 */
export async function helpfulFacts(ctx: StepContext): Promise<string[]> {
  const connected = await ctx.cluster(undefined);
  if (!connected.ok) return [`Cluster: ${formatClusterError(connected.error)}`];
  const facts: string[] = [];
  const pods = await diagnoseNamespace(connected.value, ctx.namespace);
  if (pods.ok) {
    if (pods.value.length === 0) facts.push(`No failing pods in ${ctx.namespace}.`);
    for (const p of pods.value) {
      const crash = p.lastTermination ? `; last exit ${p.lastTermination.reason} (${p.lastTermination.exitCode})` : '';
      facts.push(`Pod ${p.pod}: ${p.problem}, ${p.restarts} restart(s)${crash}`);
      for (const e of p.events) facts.push(`  ${e.type} ${e.reason}: ${e.message}`);
    }
  }
  facts.push(...(await podLogFacts(connected.value, ctx.namespace, { signal: ctx.signal })));
  const ingresses = await ingressAddresses(connected.value, ctx.namespace);
  if (ingresses.ok) {
    for (const i of ingresses.value) {
      facts.push(
        `Ingress ${i.ingress}: hosts ${i.hosts.join(', ') || '(none)'} → ${i.addresses.join(', ') || 'no address assigned yet'}`,
      );
    }
  }
  return facts;
}

async function withCluster(
  ctx: StepContext,
  target: KubectlTarget | undefined,
  fn: (cluster: ClusterPort) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const connected = await ctx.cluster(target);
  return connected.ok ? fn(connected.value) : failed(connected.error);
}

/**
 * A destructive action on a production context needs the namespace typed. A command that names
 * its own context is judged by that context's name, not the run's.
 */
async function confirm(
  ctx: StepContext,
  target: KubectlTarget,
  cluster: ClusterPort,
  action: string,
  namespace: string,
): Promise<boolean> {
  const production =
    target.context !== undefined || target.kubeconfig !== undefined
      ? (ctx.isProduction?.(cluster.context) ?? ctx.production)
      : ctx.production;
  return !production || ctx.ui.confirmDestructive(`${action} (context ${cluster.context})`, namespace);
}

function failed(error: ClusterError): StepOutcome {
  return { state: 'failed', summary: formatClusterError(error) };
}
