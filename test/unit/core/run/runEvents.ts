// Run record events for the tests of src/core/run: one run's identity, and builders for its events.
import type { RunEvent, RunStartedEvent, StepState } from '../../../../src/core/run/runModel.js';

export interface RunIdentity {
  readonly runId: string;
  readonly scenarioId: string;
  readonly who: string;
}

export function runEvents(base: RunIdentity) {
  return {
    base,
    started: (fields: Omit<RunStartedEvent, keyof RunIdentity | 'type'>): RunEvent => ({
      ...base,
      type: 'runStarted',
      ...fields,
    }),
    step: (n: number, state: StepState, at: string, extra: object = {}): RunEvent => ({
      ...base,
      type: 'step',
      step: n,
      state,
      at,
      ...extra,
    }),
    finished: (at: string): RunEvent => ({ ...base, type: 'runFinished', at }),
  };
}
