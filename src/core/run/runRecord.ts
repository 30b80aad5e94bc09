/**
 * The record of one run as the session keeps it: its state is what its events fold to, each event
 * is checked against that state before it is appended, and the state moves only once the append
 * is on disk. Beside it, what a step's event carries (the restore's evidence, the facts seen
 * before it) and what a step acts on, in words.
 */
import { isRestoreCommand } from '../runbook/commands.js';
import { drillDatabase } from '../execution/drillActions.js';
import type { Validation } from './evidenceBundle.js';
import type { Step } from '../runbook/model.js';
import { err, ok, type Result } from '../result.js';
import { parseRestoreEvidence } from './evidence.js';
import type { JournalWriter } from './journal.js';
import { applyEvent, type RunEvent, type RunState, type StepEvent, type StepEvidence, type StepState } from './runModel.js';

/** Where a run acts, named to the person before it starts and before each destructive step. */
export interface RunTargets {
  readonly context: string;
  readonly namespace: string;
  readonly production: boolean;
  /** The PostgreSQL server and database a restore replaces. */
  readonly database: { readonly host: string; readonly name: string };
  /** Why the context cannot be reached, when it cannot (named before the run starts). */
  readonly problem?: string;
  /** The API server's address, for the evidence bundle. */
  readonly server?: string;
}

/** The record of one run (see the top of the file). */
export class RunRecord {
  /** Set when an append failed: the run stops, and this says why. */
  failure: string | undefined;

  constructor(
    readonly path: string,
    public state: RunState,
    private readonly writer: JournalWriter,
    private readonly onState?: (state: RunState) => void,
  ) {}

  step(step: Step, state: StepState, who: string, more: Partial<Pick<StepEvent, 'durationMs' | 'summary' | 'evidence'>> = {}) {
    return this.add({ type: 'step', step: step.number, state, ...this.base(who), ...more });
  }

  async resume(who: string): Promise<Result<void, string>> {
    if (this.state.status === 'stopped') return this.add({ type: 'runResumed', ...this.base(who) });
    return this.failInterrupted(who);
  }

  /** A step left running by a window that went away (we hold the lock: nobody runs it) ends as failed. */
  async failInterrupted(who: string): Promise<Result<void, string>> {
    const running = this.state.steps.find((s) => s.state === 'running');
    if (!running) return ok(undefined);
    const error = 'Interrupted: the window that ran it was reloaded or closed.';
    return this.add({ type: 'step', step: running.number, state: 'failed', error, ...this.base(who) });
  }

  finish(who: string) {
    return this.add({ type: 'runFinished', ...this.base(who) });
  }

  /** Stopped, to be continued; or cancelled when no step was touched (nothing to continue). */
  end(reason: string, who: string) {
    const untouched = this.state.steps.every((s) => s.state === 'pending');
    return untouched ? this.cancel(reason, who) : this.add({ type: 'runStopped', reason, ...this.base(who) });
  }

  cancel(reason: string, who: string) {
    return this.add({ type: 'runCancelled', reason, ...this.base(who) });
  }

  private base(who: string) {
    return { runId: this.state.runId, scenarioId: this.state.scenarioId, who, at: new Date().toISOString() };
  }

  private async add(event: RunEvent): Promise<Result<void, string>> {
    if (this.failure) return err(this.failure);
    const next = applyEvent(this.state, event);
    if (!next.ok) return err(`The run record refuses this event: ${next.error.message}`);
    const written = await this.writer.append(event);
    if (!written.ok) {
      this.failure = `${written.error.message}. The run stopped: nothing more is done without a record.`;
      return err(this.failure);
    }
    this.state = next.value;
    this.onState?.(this.state);
    return ok(undefined);
  }
}

/** The restore's evidence in a step's output, the facts seen before it and a drill's checks, for the step's event. */
export function evidenceOf(
  output: string,
  facts?: readonly string[],
  validations?: readonly Validation[],
): { evidence?: StepEvidence } {
  const found = parseRestoreEvidence(output);
  const evidence: StepEvidence = {
    ...(found.rpo ? { newestRow: found.rpo.newestRow, rows: found.rpo.rows } : {}),
    ...(found.restore ? { database: found.restore.database, previousDatabase: found.restore.previous } : {}),
    ...(facts?.length ? { facts } : {}),
    ...(validations?.length ? { validations } : {}),
  };
  return Object.keys(evidence).length ? { evidence } : {};
}

/** The PostgreSQL server and database dr-restore.sh replaces, by its defaults: the libpq variables, else localhost and endpoint_stats. */
export function restoreTarget(env: Readonly<Record<string, string | undefined>>): RunTargets['database'] {
  return { host: `${env['PGHOST'] ?? 'localhost'}:${env['PGPORT'] ?? '5432'}`, name: env['PGDATABASE'] ?? 'endpoint_stats' };
}

/**
 * What a step acts on, in words: the cluster for cluster commands (a command's own `--context`
 * names its own cluster, judged as production by its own name), the database for a restore.
 */
export function stepTargets(step: Step, targets: RunTargets, isProduction?: (context: string) => boolean): string[] {
  const lines: string[] = [];
  const places = new Map<string, { own: string | undefined; namespace: string }>();
  for (const c of step.commands) {
    if (c.kind === 'script' || c.kind === 'cd' || c.kind === 'other') continue;
    if (c.kind === 'drill') {
      // The drill's copy and checks act in its test namespace, on the run's cluster.
      if (c.action === 'copyConfiguration' || c.action === 'validate')
        places.set(JSON.stringify([undefined, c.testNamespace]), { own: undefined, namespace: c.testNamespace });
      continue;
    }
    const namespace = ('namespace' in c ? c.namespace : undefined) ?? targets.namespace;
    places.set(JSON.stringify([c.globals.context, namespace]), { own: c.globals.context, namespace });
  }
  for (const { own, namespace } of places.values()) {
    const production = own === undefined ? targets.production : (isProduction?.(own) ?? false);
    lines.push(
      `context "${own ?? targets.context}"${production ? ' (PRODUCTION)' : ''}${own === undefined ? '' : " (the command's own --context)"}, namespace ${namespace}`,
    );
  }
  if (step.commands.some(isRestoreCommand))
    lines.push(`replaces the PostgreSQL database ${targets.database.name} on ${targets.database.host}`);
  for (const c of step.commands) {
    if (c.kind !== 'drill') continue;
    if (c.action === 'copyConfiguration') lines.push(`copies namespace ${targets.namespace} into ${c.testNamespace}`);
    if (c.action === 'restoreBackup')
      lines.push(
        `restores into the test database ${drillDatabase(targets.database.name)} on ${targets.database.host} (not ${targets.database.name})`,
      );
  }
  if (step.commands.some((c) => c.kind === 'other')) lines.push('a shell command in the project folder');
  return lines;
}
