/**
 * A DR run as a list of events, and the state machine that folds them into the run's state.
 * The journal (journal.ts) stores the events; the tree, the status bar and the report read the folded state.
 */
import { err, ok, type Result } from '../result.js';
import type { StepKind } from '../runbook/model.js';

/** `manual`: done by hand and ticked by the person (a checklist step, or "mark done"). */
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'manual';

export const stepStates: readonly StepState[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'manual'];

import type { Validation } from './evidenceBundle.js';

/** What the restore script proved, kept with the step that ran it (see evidence.ts). */
export interface StepEvidence {
  /** The newest row of the RPO column in the restored database (ISO), or null when the table was empty. */
  readonly newestRow?: string | null;
  /** Rows of the RPO table after the restore. */
  readonly rows?: number;
  /** The database restored into, and the previous one kept (null when there was none). */
  readonly database?: string;
  readonly previousDatabase?: string | null;
  /** What the cluster showed before the step changed anything (failing pods, their logs and events). */
  readonly facts?: readonly string[];
  /** A drill's checks of its test environment (workloads ready, restored rows, health check). */
  readonly validations?: readonly Validation[];
}

interface EventBase {
  readonly runId: string;
  readonly scenarioId: string;
  /** Who did it: the OS user, or the person who ticked the box. */
  readonly who: string;
  /** ISO 8601 time of the event. */
  readonly at: string;
}

/** A step as the run knows it, so a journal can be read and reported on without the plan. */
export interface RunStepInfo {
  /** The step's identity in the plan (stepIdentity.ts); absent in records written before identities existed. */
  readonly id?: string;
  readonly number: number;
  readonly title: string;
  readonly kind?: StepKind;
}

export interface RunStartedEvent extends EventBase {
  readonly type: 'runStarted';
  /** The kubeconfig context and namespace the run acts on. */
  readonly context: string;
  readonly namespace: string;
  /** When the incident began (the failure time): the start of the RTO clock and the RPO reference. */
  readonly incidentStartedAt: string;
  readonly steps: readonly RunStepInfo[];
  readonly scenarioTitle?: string;
}

export interface StepEvent extends EventBase {
  readonly type: 'step';
  readonly step: number;
  /** `pending` resets the step (from any state), so it can run again. */
  readonly state: StepState;
  readonly durationMs?: number;
  /** A short summary of the output (already redacted). */
  readonly summary?: string;
  readonly error?: string;
  readonly evidence?: StepEvidence;
}

export interface RunFinishedEvent extends EventBase {
  readonly type: 'runFinished';
}

export interface RunCancelledEvent extends EventBase {
  readonly type: 'runCancelled';
  readonly reason?: string;
}

/** The run stopped before its end (a failed step, Stop, Cancel): it can be continued in the same record. */
export interface RunStoppedEvent extends EventBase {
  readonly type: 'runStopped';
  readonly reason: string;
}

/** A stopped run goes on, in the same record. */
export interface RunResumedEvent extends EventBase {
  readonly type: 'runResumed';
}

export type RunEvent = RunStartedEvent | StepEvent | RunFinishedEvent | RunCancelledEvent | RunStoppedEvent | RunResumedEvent;

export interface StepRunState {
  readonly id: string | undefined;
  readonly number: number;
  readonly title: string;
  readonly kind: StepKind | undefined;
  readonly state: StepState;
  /** When the latest attempt started running. */
  readonly startedAt: string | undefined;
  /** When the step reached its current settled state. */
  readonly finishedAt: string | undefined;
  /** Of the latest attempt: from the event, else from its running and settled times. */
  readonly durationMs: number | undefined;
  readonly summary: string | undefined;
  readonly error: string | undefined;
  readonly who: string | undefined;
  readonly evidence: StepEvidence | undefined;
}

/** `stopped`: ended before its last step, and may be continued; `finished` and `cancelled` are final. */
export type RunStatus = 'running' | 'stopped' | 'finished' | 'cancelled';

export interface RunState {
  readonly runId: string;
  readonly scenarioId: string;
  readonly scenarioTitle: string | undefined;
  readonly context: string;
  readonly namespace: string;
  readonly incidentStartedAt: string;
  readonly startedAt: string;
  readonly startedBy: string;
  /** Time of the finished, stopped or cancelled event. */
  readonly finishedAt: string | undefined;
  readonly status: RunStatus;
  /** Why the run stopped or was cancelled. */
  readonly cancelReason: string | undefined;
  readonly steps: readonly StepRunState[];
  /** The running step, else the first step still to do (pending or failed): where a resume starts. */
  readonly currentStep: number | undefined;
}

export type RunErrorKind =
  'empty' | 'notStarted' | 'alreadyStarted' | 'ended' | 'wrongRun' | 'unknownStep' | 'transition' | 'busy' | 'stepRunning';

export interface RunError {
  readonly kind: RunErrorKind;
  /** Index of the offending event in the list given to foldRun (0 for applyEvent). */
  readonly index: number;
  readonly message: string;
}

const allowed: Readonly<Record<StepState, readonly StepState[]>> = {
  pending: ['running', 'skipped', 'manual'],
  // A running step may also end skipped (the person declined a confirmation) or done by hand.
  running: ['succeeded', 'failed', 'skipped', 'manual'],
  // A failed step can be retried, skipped or done by hand.
  failed: ['running', 'skipped', 'manual'],
  succeeded: [],
  skipped: [],
  manual: [],
};

/** Whether a step may go from `from` to `to`. Going back to `pending` (a reset) is always allowed. */
export function canTransition(from: StepState, to: StepState): boolean {
  return to === 'pending' || allowed[from].includes(to);
}

/** Steps that count as done: a resume does not run them again. */
export function isSettled(state: StepState): boolean {
  return state === 'succeeded' || state === 'skipped' || state === 'manual';
}

/** Folds a run's events, in order, into its state; the first impossible event is the error. */
export function foldRun(events: readonly RunEvent[]): Result<RunState, RunError> {
  const first = events[0];
  if (!first) return err({ kind: 'empty', index: 0, message: 'The run has no events.' });
  if (first.type !== 'runStarted') {
    return err({ kind: 'notStarted', index: 0, message: `The run's first event is "${first.type}", not "runStarted".` });
  }
  let state = startRun(first);
  for (let index = 1; index < events.length; index++) {
    const next = applyEvent(state, events[index]!);
    if (!next.ok) return err({ ...next.error, index });
    state = next.value;
  }
  return ok(state);
}

/** The state of a run that has just started. */
export function startRun(event: RunStartedEvent): RunState {
  return {
    runId: event.runId,
    scenarioId: event.scenarioId,
    scenarioTitle: event.scenarioTitle,
    context: event.context,
    namespace: event.namespace,
    incidentStartedAt: event.incidentStartedAt,
    startedAt: event.at,
    startedBy: event.who,
    finishedAt: undefined,
    status: 'running',
    cancelReason: undefined,
    steps: event.steps.map((s) => ({
      id: s.id,
      number: s.number,
      title: s.title,
      kind: s.kind,
      state: 'pending',
      startedAt: undefined,
      finishedAt: undefined,
      durationMs: undefined,
      summary: undefined,
      error: undefined,
      who: undefined,
      evidence: undefined,
    })),
    currentStep: event.steps[0]?.number,
  };
}

/** One more event on a run: the new state, or why the event is impossible (check before appending it). */
export function applyEvent(state: RunState, event: RunEvent): Result<RunState, RunError> {
  const refuse = (kind: RunErrorKind, message: string) => err<RunError>({ kind, index: 0, message });
  if (event.runId !== state.runId || event.scenarioId !== state.scenarioId) {
    return refuse(
      'wrongRun',
      `The event belongs to run ${event.runId} of ${event.scenarioId}, not run ${state.runId} of ${state.scenarioId}.`,
    );
  }
  if (event.type === 'runStarted') return refuse('alreadyStarted', `Run ${state.runId} has already started.`);
  if (event.type === 'runResumed') {
    if (state.status !== 'stopped') return refuse('ended', `Run ${state.runId} is ${state.status}: only a stopped run goes on.`);
    return ok({ ...state, status: 'running', finishedAt: undefined, cancelReason: undefined });
  }
  if (state.status === 'stopped' && event.type === 'runCancelled') {
    return ok({ ...state, status: 'cancelled', finishedAt: event.at, cancelReason: event.reason ?? state.cancelReason });
  }
  // A stopped run keeps its record open: a step run or marked by hand is recorded in it.
  if (state.status !== 'running' && !(state.status === 'stopped' && event.type === 'step')) {
    return refuse('ended', `Run ${state.runId} is already ${state.status}; nothing can happen after that.`);
  }
  const running = state.steps.find((s) => s.state === 'running');
  switch (event.type) {
    case 'runFinished':
      if (running) {
        return refuse('stepRunning', `Step ${running.number} is still running: it must succeed or fail before the run finishes.`);
      }
      return ok(withCurrentStep({ ...state, status: 'finished', finishedAt: event.at }));
    case 'runCancelled':
    case 'runStopped': {
      // Stopping ends the work in flight: a running step ends as failed.
      const steps = state.steps.map((s) =>
        s.state === 'running'
          ? settle(s, { state: 'failed', at: event.at, who: event.who, error: 'Cancelled while running' })
          : s,
      );
      const status = event.type === 'runStopped' ? 'stopped' : 'cancelled';
      return ok(withCurrentStep({ ...state, steps, status, finishedAt: event.at, cancelReason: event.reason }));
    }
    case 'step':
      return applyStepEvent(state, event, running?.number, refuse);
  }
}

function applyStepEvent(
  state: RunState,
  event: StepEvent,
  runningNumber: number | undefined,
  refuse: (kind: RunErrorKind, message: string) => Result<RunState, RunError>,
): Result<RunState, RunError> {
  const step = state.steps.find((s) => s.number === event.step);
  if (!step) return refuse('unknownStep', `Scenario ${state.scenarioId} has no step ${event.step}.`);
  if (!canTransition(step.state, event.state)) {
    const hint = isSettled(step.state) ? ' without a reset' : '';
    return refuse('transition', `Step ${step.number} cannot go from ${step.state} to ${event.state}${hint}.`);
  }
  if (event.state === 'running' && runningNumber !== undefined) {
    return refuse('busy', `Step ${runningNumber} is still running; one step runs at a time.`);
  }
  let next: StepRunState;
  if (event.state === 'pending') {
    next = { ...step, state: 'pending', startedAt: undefined, finishedAt: undefined, durationMs: undefined };
    next = { ...next, summary: undefined, error: undefined, who: undefined, evidence: undefined };
  } else if (event.state === 'running') {
    next = { ...step, state: 'running', startedAt: event.at, finishedAt: undefined, durationMs: undefined, who: event.who };
    next = { ...next, summary: undefined, error: undefined, evidence: undefined };
  } else {
    next = settle(step, { ...event, error: event.error });
  }
  const steps = state.steps.map((s) => (s.number === step.number ? next : s));
  return ok(withCurrentStep({ ...state, steps }));
}

function settle(
  step: StepRunState,
  change: {
    state: StepState;
    at: string;
    who: string;
    durationMs?: number;
    summary?: string;
    error?: string;
    evidence?: StepEvidence;
  },
): StepRunState {
  const runningSince = step.state === 'running' ? step.startedAt : undefined;
  const wasRunning = runningSince !== undefined;
  const measured = runningSince !== undefined ? Date.parse(change.at) - Date.parse(runningSince) : undefined;
  return {
    ...step,
    state: change.state,
    startedAt: wasRunning ? step.startedAt : undefined,
    finishedAt: change.at,
    durationMs: change.durationMs ?? (measured !== undefined && Number.isFinite(measured) ? Math.max(0, measured) : undefined),
    summary: change.summary ?? step.summary,
    error: change.error,
    who: change.who,
    evidence: change.evidence ?? step.evidence,
  };
}

function withCurrentStep(state: RunState): RunState {
  const current = state.steps.find((s) => s.state === 'running') ?? state.steps.find((s) => !isSettled(s.state));
  return { ...state, currentStep: current?.number };
}
