import { ExecaRunner } from '../../src/adapters/process/execaRunner.js';
import type { RunHooks, RunUi } from '../../src/core/execution/scenarioRunner.js';
import type { StepContext } from '../../src/core/execution/stepExecutor.js';
import { err } from '../../src/core/result.js';

/**
 * A person who goes along with every question of a run (Continue, confirm, Mark Done) but runs no
 * line of an unknown kind and follows no logs; `answers` changes some answers.
 */
export function agreeingPerson(answers: Partial<RunUi> = {}): RunUi {
  return {
    beforeStep: () => Promise.resolve('continue'),
    acceptWarnings: () => Promise.resolve(true),
    confirmDestructive: () => Promise.resolve(true),
    fillPlaceholder: () => Promise.resolve(undefined),
    confirmOther: () => Promise.resolve(false),
    confirmRollback: () => Promise.resolve(true),
    manualStep: () => Promise.resolve('done'),
    followLogs: () =>
      Promise.resolve(err({ kind: 'invalid', context: 'test', message: 'no logs followed in this test', hint: '' })),
    ...answers,
  };
}

/** Steps of the project at `root` run by `ui`, their output kept in `output`; `cluster` connects, by default to no cluster. */
export function stepContext(
  root: string,
  options: { ui?: RunUi; output?: string[]; namespace?: string; cluster?: StepContext['cluster'] } = {},
): StepContext {
  const output = options.output ?? [];
  return {
    root,
    namespace: options.namespace ?? 'default',
    cluster:
      options.cluster ??
      (() => Promise.resolve(err({ kind: 'invalid', context: 'none', message: 'no cluster in this test', hint: '' }))),
    processes: new ExecaRunner(),
    ui: options.ui ?? agreeingPerson(),
    signal: new AbortController().signal,
    output: (text) => void output.push(text),
    secrets: new Map(),
    production: false,
    readinessTimeoutMs: 15_000,
  };
}

/** Run hooks that let every step go on and keep each step's end as "N state: summary" in `ends`. */
export function keepingStepEnds(): { ends: string[]; hooks: RunHooks } {
  const ends: string[] = [];
  return {
    ends,
    hooks: {
      onStep: (step, state, outcome) => {
        if (outcome) ends.push(`${step.number} ${state}: ${outcome.summary}`);
        return Promise.resolve(true);
      },
      targets: () => [],
    },
  };
}
