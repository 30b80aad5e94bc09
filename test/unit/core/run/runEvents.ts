// Run record events for the tests of src/core/run: one run's identity, builders for its events, and an evidence bundle's context.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The bundle's context for a run in `dir` (a plan file is written there). */
export async function evidenceContext(dir: string, kind: 'drill' | 'recovery' = 'recovery') {
  const planPath = join(dir, 'DR-PLAN.md');
  await writeFile(planPath, '# Plan\n\nRPO: 1 hour. RTO: 4 hours.\n');
  return {
    planPath,
    planFile: 'DR-PLAN.md',
    cluster: 'https://127.0.0.1:6443',
    database: 'localhost:5432/endpoint_stats',
    kind,
    root: dir,
    validations: [],
    producer: 'test',
  };
}
