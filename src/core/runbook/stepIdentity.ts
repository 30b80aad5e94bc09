import { createHash } from 'node:crypto';
import type { Command, PlanProblem, Scenario, Step } from './model.js';

/**
 * A step's identity: its scenario, its title as a slug (readable in records) and a hash of its
 * whole text and commands. Moving a step, inserting one before it or renumbering the list keeps
 * it; changing what the step says or runs does not, and resume says so.
 */
export function stepId(scenarioId: string, text: string, commands: readonly Command[]): string {
  const normal = [text.replace(/\s+/g, ' ').trim(), ...commands.map((c) => c.text.replace(/\s+/g, ' '))].join('\n');
  const hash = createHash('sha256').update(normal).digest('hex').slice(0, 8);
  const title = slug(text).slice(0, 48).replace(/-+$/, '');
  return `${scenarioId}/${title === 'scenario' ? 'step' : title}-${hash}`;
}

/** Two steps with the same identity: records could not tell them apart. */
export function duplicateStepProblems(scenarioId: string, scenarioTitle: string, steps: readonly Step[]): PlanProblem[] {
  const seen = new Map<string, Step>();
  const problems: PlanProblem[] = [];
  for (const step of steps) {
    const first = seen.get(step.id);
    if (!first) {
      seen.set(step.id, step);
      continue;
    }
    problems.push({
      line: step.line,
      column: step.column,
      severity: 'error',
      scenarioId,
      message: `Steps ${first.number} and ${step.number} of "${scenarioTitle}" say and run the same thing, so run records cannot tell them apart: reword one of them.`,
    });
  }
  return problems;
}

/** A step as a run record remembers it. `id` is absent in records written before identities existed. */
export interface RecordedStep {
  readonly id?: string;
  readonly number: number;
  readonly title: string;
}

export type StepMatch =
  /** The same step is in the plan (perhaps at another number). */
  | { readonly kind: 'same'; readonly step: Step }
  /** The plan changed: `step` is the one that would run in its place, `reason` says what changed. */
  | { readonly kind: 'changed'; readonly step: Step; readonly reason: string }
  /** Nothing in the scenario corresponds any more. */
  | { readonly kind: 'gone'; readonly reason: string };

/**
 * Finds a recorded step in the current plan: by identity, else (an older record) by its title,
 * else the step now at its number, flagged as changed with what the plan says there now.
 */
export function matchRecordedStep(scenario: Scenario, recorded: RecordedStep): StepMatch {
  if (recorded.id !== undefined) {
    const same = scenario.steps.find((s) => s.id === recorded.id);
    if (same) return { kind: 'same', step: same };
  }
  const titled = scenario.steps.filter((s) => s.title === recorded.title);
  if (titled.length === 1) {
    const step = titled[0]!;
    return recorded.id === undefined
      ? { kind: 'same', step }
      : {
          kind: 'changed',
          step,
          reason: `step ${recorded.number} "${recorded.title}" was edited since the run started (its text or commands differ).`,
        };
  }
  const atNumber = scenario.steps.find((s) => s.number === recorded.number);
  if (atNumber) {
    return {
      kind: 'changed',
      step: atNumber,
      reason: `the plan no longer has step ${recorded.number} "${recorded.title}"; step ${atNumber.number} is now "${atNumber.title}".`,
    };
  }
  return {
    kind: 'gone',
    reason: `the plan no longer has step ${recorded.number} "${recorded.title}", and "${scenario.title}" has only ${scenario.steps.length} step(s).`,
  };
}

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'scenario'
  );
}
