/**
 * A run from start to report, owned in one place: the lock (one run, step or cell at a time per
 * workspace, across windows), the record (every event checked against the run model, then
 * appended and awaited; a record that cannot be written stops the run), cancellation (one
 * AbortController that reaches every request in flight), and the report.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatDuration } from '../duration.js';
import { isDestructive, preflightScenario, runScenario, type RunResult, type RunUi } from '../execution/scenarioRunner.js';
import { drillDatabase } from '../execution/drillActions.js';
import { executeStep, helpfulFacts, type StepContext, type StepOutcome } from '../execution/stepExecutor.js';
import type { ClusterError } from '../cluster/model.js';
import type { ClusterPort } from '../cluster/port.js';
import type { Logger } from '../logger.js';
import { err, ok, type Result } from '../result.js';
import type { KubectlTarget, Runbook, Scenario, Step } from '../runbook/model.js';
import { restoresIntoTestDatabase } from '../runbook/commands.js';
import { matchRecordedStep } from '../runbook/stepIdentity.js';
import { createJournalWriter, journalFileName, newRunId, readJournal, runsFolderName, type JournalWriter } from './journal.js';
import type { Redactor } from '../secrets/redaction.js';
import { measuredSoFar, stepSummary } from './report.js';
import { writeRunReport } from './runReport.js';
import { evidenceOf, RunRecord, stepTargets, type RunTargets } from './runRecord.js';
import { acquireRunLock } from './runLock.js';
import { foldRun, startRun, type RunEvent, type RunState } from './runModel.js';

/** The questions of a run as a whole, besides those between and inside steps. */
export interface SessionUi extends RunUi {
  confirmRun(scenario: Scenario, targets: RunTargets): Promise<boolean>;
  /** When the incident started (the RTO clock and the RPO reference); undefined: the person gave up. */
  incidentStart(): Promise<Date | undefined>;
  /** A run of this scenario stopped (or a reload interrupted it) at `step`: go on in it, or start a new one? */
  continueRun(run: RunState, step: number): Promise<'continue' | 'new' | undefined>;
}

/** What a step runs with, but the signal, the output and the person, which the session gives. */
export interface StepEnvironment extends Omit<StepContext, 'signal' | 'output' | 'ui' | 'cluster'> {
  /**
   * Connects to the cluster for one session (a command's own `--context` / `--kubeconfig` when
   * `target` names them): every request it sends aborts with `signal`.
   */
  readonly cluster: (signal: AbortSignal, target?: KubectlTarget) => Result<ClusterPort, ClusterError>;
}

/** A step's context for one session: the person, the session's signal, and its cluster connected once. */
export function sessionContext(
  env: StepEnvironment,
  ui: StepContext['ui'],
  signal: AbortSignal,
  output: (text: string) => void,
): StepContext {
  let cluster: Result<ClusterPort, ClusterError> | undefined;
  return {
    ...env,
    ui,
    signal,
    output,
    cluster: (target) =>
      Promise.resolve(
        target && (target.context !== undefined || target.kubeconfig !== undefined)
          ? env.cluster(signal, target)
          : (cluster ??= env.cluster(signal)),
      ),
  };
}

export interface ScenarioRequest {
  readonly runbook: Runbook;
  readonly scenario: Scenario;
  /** The plan, relative to the project root, for the preflight's messages. */
  readonly planFile: string;
  readonly env: StepEnvironment;
  readonly targets: RunTargets;
  readonly backupDirectory?: string;
  /** "Run Up to Here": the last step to run. */
  readonly endAt?: number;
  /** Everything the run prints (redacted here first). */
  readonly output: (text: string) => void;
  readonly redact: Redactor;
  /** Each new state of the run, for the tree and the status bar. */
  readonly onState?: (state: RunState) => void;
  /** Only continue an unfinished run (after a reload): no new run is started. */
  readonly continueOnly?: boolean;
}

export interface ScenarioOutcome extends RunResult {
  readonly record?: string;
  readonly report?: string;
  readonly state?: RunState;
}

/** One session: the lock is held and the signal is live until `work` ends. */
export interface Session {
  readonly signal: AbortSignal;
  readonly ui: SessionUi;
}

/** The runs of one workspace. */
export class RunDesk {
  private current: { abort: AbortController; done: Promise<unknown> } | undefined;
  private last: string | undefined;

  /** Where records, reports, bundles and the lock are: `.dr-runs` in the workspace unless `runs` says otherwise. */
  private readonly runs: string;

  constructor(
    root: string,
    private readonly ui: (signal: AbortSignal) => SessionUi,
    private readonly who: string,
    private readonly log: Logger,
    runs?: string,
  ) {
    this.runs = runs ?? join(root, runsFolderName);
  }

  /** The newest report this desk wrote. */
  get lastReport(): string | undefined {
    return this.last;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Takes the lock at once (refused, with who holds it, when another run, step or cell of this
   * workspace is under way, in this window or another), runs `work`, and lets the lock go.
   */
  async session<T>(what: string, work: (session: Session) => Promise<T>): Promise<Result<T, string>> {
    const lock = await acquireRunLock(this.runs, what);
    if (!lock.ok) return err(lock.error.message);
    const abort = new AbortController();
    const done = work({ signal: abort.signal, ui: this.ui(abort.signal) });
    this.current = { abort, done };
    try {
      return ok(await done);
    } finally {
      this.current = undefined;
      await lock.value.release();
    }
  }

  /** Aborts what is under way (requests in flight included); false when nothing runs. */
  cancel(): boolean {
    this.current?.abort.abort();
    return this.current !== undefined;
  }

  /** Aborts and waits for the work to end (deactivation). */
  async dispose(): Promise<void> {
    const current = this.current;
    current?.abort.abort();
    await current?.done.catch(() => undefined);
  }

  /** Runs a scenario, or continues its stopped or interrupted run, in one record and one report. */
  runScenario(request: ScenarioRequest): Promise<Result<ScenarioOutcome | undefined, string>> {
    return this.session(`"${request.scenario.title}" (scenario)`, (session) => this.scenarioSession(session, request));
  }

  /**
   * One step on its own ("Run This Step", "Skip", "Mark Done"): recorded in the scenario's open
   * run, or in a new record when it has none, which stays open for the steps that follow.
   */
  runStep(
    request: Omit<ScenarioRequest, 'endAt' | 'continueOnly' | 'backupDirectory'>,
    step: Step,
    mark?: 'skipped' | 'manual',
  ): Promise<Result<StepOutcome, string>> {
    return this.session(`step ${step.number} of "${request.scenario.title}"`, async (session) => {
      // A scenario the plan's structure breaks (an unclosed fence pours later lines into a step)
      // is refused at its preflight; a step of it run on its own is refused the same way.
      const broken = request.runbook.problems.filter((p) => p.severity === 'error' && p.scenarioId === request.scenario.id);
      if (!mark && broken.length)
        return {
          state: 'failed' as const,
          summary: `Not run: the plan breaks "${request.scenario.title}" at line ${broken[0]!.line}: ${broken[0]!.message} Fix the plan first.`,
        };
      const open = await this.openRun(request.scenario.id);
      // A new record counts from now: a step run on its own does not say when the incident began.
      const record = open
        ? ok(new RunRecord(open.path, open.state, this.writer(open.path, request.redact), request.onState))
        : await this.startRecord(request, new Date());
      if (!record.ok) return { state: 'failed' as const, summary: record.error };
      const r = record.value;
      const interrupted = await r.failInterrupted(this.who);
      if (!interrupted.ok) return { state: 'failed' as const, summary: interrupted.error };
      const recorded = await r.step(step, 'running', this.who);
      if (!recorded.ok) return { state: 'failed' as const, summary: recorded.error };
      const started = Date.now();
      let output = '';
      const outcome: StepOutcome = mark
        ? { state: mark, summary: mark === 'manual' ? 'Marked done by hand.' : 'Skipped by hand.' }
        : await executeStep(step, {
            ...sessionContext(request.env, session.ui, session.signal, (text) => {
              const clean = request.redact(text);
              output = (output + clean).slice(-100_000);
              request.output(clean);
            }),
            database: request.targets.database,
            measured: () => measuredSoFar(r.state, request.runbook, ''),
          });
      const settled = await r.step(step, outcome.state, this.who, {
        durationMs: Date.now() - started,
        summary: stepSummary(step, outcome, output),
        ...evidenceOf(output, undefined, outcome.validations),
      });
      if (!settled.ok) return { state: 'failed' as const, summary: settled.error };
      if (r.state.status === 'running') {
        const stop = await r.end('steps are being run one at a time', this.who);
        if (!stop.ok) return { state: 'failed' as const, summary: stop.error };
      }
      await this.report(r, request);
      return { ...outcome, summary: request.redact(outcome.summary) };
    });
  }

  /** A notebook cell (its notebook is its record): one at a time with every other run. */
  runCell(
    what: string,
    step: Step,
    env: StepEnvironment,
    output: (text: string) => void,
    signal: AbortSignal,
  ): Promise<Result<StepOutcome, string>> {
    return this.session(what, (session) => {
      const both = AbortSignal.any([signal, session.signal]);
      return executeStep(step, sessionContext(env, session.ui, both, output));
    });
  }

  /** The newest report under the runs folder (by name: they start with the date), for "Open Last Run Report". */
  async newestReport(): Promise<string | undefined> {
    const dir = this.runs;
    const names = await readdir(dir).catch(() => [] as string[]);
    const reports = await Promise.all(
      names.filter((n) => n.endsWith('.md')).map(async (n) => ({ path: join(dir, n), at: (await stat(join(dir, n))).mtimeMs })),
    );
    return reports.sort((a, b) => b.at - a.at)[0]?.path;
  }

  private writer(path: string, redact: Redactor): JournalWriter {
    return createJournalWriter(path, redact);
  }

  private async startRecord(
    request: Pick<ScenarioRequest, 'scenario' | 'targets' | 'redact' | 'onState'>,
    incident: Date,
  ): Promise<Result<RunRecord, string>> {
    const runId = newRunId();
    const now = new Date();
    const path = join(this.runs, journalFileName(now, request.scenario.id, runId));
    const started: RunEvent = {
      type: 'runStarted',
      runId,
      scenarioId: request.scenario.id,
      who: this.who,
      at: now.toISOString(),
      context: request.targets.context,
      namespace: request.targets.namespace,
      incidentStartedAt: incident.toISOString(),
      steps: request.scenario.steps.map((s) => ({ id: s.id, number: s.number, title: s.title, kind: s.kind })),
      scenarioTitle: request.scenario.title,
    };
    const writer = this.writer(path, request.redact);
    const written = await writer.append(started);
    if (!written.ok) return err(`${written.error.message}. Nothing was run.`);
    const record = new RunRecord(path, startRun(started), writer, request.onState);
    request.onState?.(record.state);
    return ok(record);
  }

  /** The newest run of the scenario that is stopped, or that a reload interrupted: where to go on. */
  async openRun(scenarioId: string): Promise<{ path: string; state: RunState } | undefined> {
    const dir = this.runs;
    const names = await readdir(dir).catch(() => [] as string[]);
    let newest: { path: string; state: RunState } | undefined;
    for (const name of names.filter((n) => n.endsWith('.jsonl') && n.includes(`-${scenarioId}-`))) {
      const path = join(dir, name);
      const events = await readJournal(path);
      const state = events.ok ? foldRun(events.value) : undefined;
      if (!state?.ok) {
        this.log.warn(
          `run record ${path} cannot be read back: ${events.ok ? (state?.ok === false ? state.error.message : '') : events.error.message}`,
        );
        continue;
      }
      const s = state.value;
      if (s.scenarioId !== scenarioId || (s.status !== 'running' && s.status !== 'stopped')) continue;
      if (!newest || Date.parse(s.startedAt) >= Date.parse(newest.state.startedAt)) newest = { path, state: s };
    }
    return newest;
  }

  private async scenarioSession(session: Session, request: ScenarioRequest): Promise<ScenarioOutcome | undefined> {
    const { scenario, redact } = request;
    // Everything the run printed, redacted and bounded: the evidence bundle's command log and RPO evidence.
    let transcript = '';
    const print = (clean: string): void => {
      transcript = (transcript + clean).slice(-1_000_000);
      request.output(clean);
    };
    const out = (text: string): void => print(redact(text));
    let record: RunRecord | undefined;
    const open = await this.openRun(scenario.id);
    const startAt = open?.state.steps.find((s) => s.state === 'running')?.number ?? open?.state.currentStep;
    const recorded = open?.state.steps.find((s) => s.number === startAt);
    // The plan changed under the stopped run (by the steps' identity): it is closed, not continued at a wrong step.
    const match = recorded ? matchRecordedStep(scenario, recorded) : undefined;
    if (open && match && (match.kind !== 'same' || match.step.number !== startAt)) {
      const closed = await new RunRecord(open.path, open.state, this.writer(open.path, redact)).cancel(
        `the plan changed since: ${match.kind === 'same' ? 'the step moved' : match.reason}`,
        this.who,
      );
      if (!closed.ok) return { outcome: 'failed', reason: closed.error, record: open.path };
      out(
        `The run stopped at step ${startAt} is closed: the plan changed since (${match.kind === 'same' ? 'the step moved' : match.reason}).\n`,
      );
    } else if (open && startAt !== undefined) {
      const choice = await session.ui.continueRun(open.state, startAt);
      if (choice === undefined) return undefined;
      const writer = this.writer(open.path, redact);
      if (choice === 'continue') {
        record = new RunRecord(open.path, open.state, writer, request.onState);
        const going = await record.resume(this.who);
        if (!going.ok) return { outcome: 'failed', reason: going.error, record: open.path };
      } else {
        const dropped = await new RunRecord(open.path, open.state, writer).cancel('replaced by a new run', this.who);
        if (!dropped.ok) return { outcome: 'failed', reason: dropped.error, record: open.path };
      }
    }
    if (!record) {
      if (request.continueOnly) return undefined;
      if (!(await session.ui.confirmRun(scenario, request.targets))) return undefined;
      const incident = await session.ui.incidentStart();
      if (!incident) return undefined;
      const started = await this.startRecord(request, incident);
      if (!started.ok) return { outcome: 'failed', reason: started.error };
      record = started.value;
    }
    const r = record;
    const began = Date.now();
    out(
      `\n=== ${scenario.title}: ${new Date().toISOString()} on context "${request.targets.context}", namespace ${request.targets.namespace} ===\n`,
    );
    let stepOutput = '';
    const ctx = {
      ...sessionContext(request.env, session.ui, session.signal, (text: string) => {
        const clean = redact(text);
        stepOutput = (stepOutput + clean).slice(-100_000);
        print(clean);
      }),
      ui: session.ui,
      database: request.targets.database,
      measured: () => measuredSoFar(r.state, request.runbook, transcript),
    };
    const preflight = await preflightScenario(request.runbook, scenario, request.planFile, ctx, {
      ...(request.backupDirectory ? { backupDirectory: request.backupDirectory } : {}),
    });
    for (const line of preflight.lines) out(`${line}\n`);
    let result: RunResult;
    if (!preflight.ok) result = { outcome: 'failed', reason: 'the preflight failed; nothing was changed' };
    else if (preflight.warnings.length && !(await session.ui.acceptWarnings(preflight.warnings)))
      result = { outcome: 'stopped', reason: 'stopped at the preflight warnings; nothing was changed' };
    else {
      const begin = r.state.steps.find((s) => s.state === 'running')?.number ?? r.state.currentStep;
      let facts: readonly string[] | undefined;
      result = await runScenario(
        scenario,
        ctx,
        {
          targets: (step) => stepTargets(step, request.targets, request.env.isProduction),
          onStep: async (step, state, outcome, durationMs) => {
            if (state === 'running') {
              stepOutput = '';
              // Before anything is rolled back or restored: what the cluster shows now, kept in the record.
              facts = isDestructive(step) && step.kind !== 'other' ? await helpfulFacts(ctx) : undefined;
              for (const f of facts ?? []) out(`fact: ${f}\n`);
              out(`\n--- step ${step.number}: ${step.text} ---\n`);
            }
            const evidence = outcome ? evidenceOf(stepOutput, facts, outcome.validations) : {};
            const written = await r.step(step, state, this.who, {
              ...(durationMs !== undefined ? { durationMs } : {}),
              ...(outcome ? { summary: stepSummary(step, outcome, stepOutput) } : {}),
              ...evidence,
            });
            if (outcome) out(`step ${step.number} ${state} in ${formatDuration(durationMs ?? 0)}: ${redact(outcome.summary)}\n`);
            if (!written.ok) {
              out(`✖ ${written.error}\n`);
              return false;
            }
            return true;
          },
        },
        { ...(begin !== undefined ? { startAt: begin } : {}), ...(request.endAt !== undefined ? { endAt: request.endAt } : {}) },
      );
      if (r.failure) result = { ...result, outcome: 'failed', reason: r.failure };
    }
    const reason = result.reason ?? `${result.outcome}${result.step ? ` at step ${result.step.number}` : ''}`;
    const ended =
      result.outcome === 'finished' && !(request.endAt !== undefined && r.state.steps.some((s) => s.state === 'pending'))
        ? await r.finish(this.who)
        : await r.end(reason, this.who);
    if (!ended.ok && !r.failure) out(`✖ ${ended.error}\n`);
    out(`=== ${reason} after ${formatDuration(Date.now() - began)} ===\n`);
    const report = await this.report(r, request, transcript);
    return {
      ...result,
      ...(r.failure ? { reason: r.failure } : {}),
      record: r.path,
      state: r.state,
      ...(report ? { report } : {}),
    };
  }

  /** The report and, beside it, the evidence bundle (the report names the bundle and the controls). */
  private async report(
    record: RunRecord,
    request: Pick<ScenarioRequest, 'runbook' | 'scenario' | 'redact' | 'planFile' | 'env' | 'targets'>,
    transcript = '',
  ): Promise<string | undefined> {
    const written = await writeRunReport(record.path, {
      scenarioTitle: request.scenario.title,
      rtoMs: request.runbook.rtoMs,
      rpoMs: request.runbook.rpoMs,
      transcript,
      redact: request.redact,
      evidence: {
        planPath: resolve(request.env.root, request.planFile),
        planFile: request.planFile,
        cluster: request.targets.server ?? request.targets.context,
        database: `${request.targets.database.host}/${restoresIntoTestDatabase(request.scenario) ? drillDatabase(request.targets.database.name) : request.targets.database.name}`,
        kind: request.scenario.kind === 'drill' ? 'drill' : 'recovery',
        root: request.env.root,
        producer: 'DR Runbook',
      },
    });
    if (!written.ok) {
      this.log.error(written.error);
      return undefined;
    }
    this.last = written.value.report;
    const { bundle } = written.value;
    this.log.info(`run report: ${written.value.report}`);
    if (bundle.ok) this.log.info(`evidence bundle: ${bundle.value.path} (sha256 ${bundle.value.sha256})`);
    else this.log.error(`no evidence bundle beside ${written.value.report}: ${bundle.error}`);
    return written.value.report;
  }
}
