import { err, ok, type Result } from '../result.js';
import type { Runbook, Scenario } from '../runbook/model.js';
import type { NotebookCell, NotebookDoc, NotebookHeader } from './notebookModel.js';

/** Where and by whom a notebook is started: it goes into the header and the title cell. */
export interface NotebookContext {
  /** The plan file, as the user knows it ("DR-PLAN.md"). */
  readonly planFile?: string;
  /** The kubeconfig context the run acts on. */
  readonly context?: string;
  readonly namespace?: string;
  readonly startedBy?: string;
  /** ISO 8601. */
  readonly startedAt?: string;
}

export interface DrillContext extends NotebookContext {
  /** The namespace the drill runs in; `endpoint-stats-dr-test` when not given. */
  readonly testNamespace?: string;
  /** The production namespace no drill command may name; `endpoint-stats` when not given. */
  readonly productionNamespace?: string;
}

export const DEFAULT_TEST_NAMESPACE = 'endpoint-stats-dr-test';
export const DEFAULT_PRODUCTION_NAMESPACE = 'endpoint-stats';

/**
 * A fresh notebook for one scenario of the plan: a title cell, then for each step a markdown
 * cell with an open checkbox (`- [ ] 3. ...`) followed by one `sh` code cell per command.
 */
export function notebookFromScenario(scenario: Scenario, context: NotebookContext = {}): NotebookDoc {
  return build(scenario, context, (text) => text, []);
}

/**
 * The quarterly drill's notebook: the plan's drill scenario, pointed at the test namespace (any
 * `-n <production namespace>` in its commands is turned into the test namespace), with a
 * results section to fill in. Working through it and saving it documents the drill.
 */
export function drillNotebook(plan: Runbook, context: DrillContext = {}): Result<NotebookDoc, string> {
  const drill = plan.scenarios.find((s) => s.kind === 'drill');
  if (!drill) return err('The DR plan has no drill scenario (a heading with "drill" in it, followed by numbered steps).');
  const test = context.testNamespace ?? DEFAULT_TEST_NAMESPACE;
  const production = context.productionNamespace ?? DEFAULT_PRODUCTION_NAMESPACE;
  const flag = new RegExp(`(^|\\s)(-n|--namespace)([\\s=]+)${escapeRegExp(production)}(?=\\s|$)`, 'g');
  const results: NotebookCell = {
    kind: 'markdown',
    source: [
      '## Results',
      '',
      '| | |',
      '|---|---|',
      '| Time to recover (against the RTO) | |',
      '| Newest restored data (against the RPO) | |',
      '| Problems met | |',
      '| Follow-up actions | |',
    ].join('\n'),
  };
  return ok(build(drill, { ...context, namespace: test }, (text) => text.replace(flag, `$1$2$3${test}`), [results]));
}

/** The file a run's notebook is saved to, relative to the workspace: `.dr-runs/<date>-<name>.runbook.md`. */
export function notebookFileName(scenario: Pick<Scenario, 'id' | 'kind'>, startedAt: Date): string {
  const date = startedAt.toISOString().slice(0, 10);
  return `.dr-runs/${date}-${scenario.kind === 'drill' ? 'dr-drill' : scenario.id}.runbook.md`;
}

function build(
  scenario: Scenario,
  context: NotebookContext,
  command: (text: string) => string,
  extra: NotebookCell[],
): NotebookDoc {
  const header: NotebookHeader = {
    title: scenario.title,
    scenario: scenario.id,
    kind: scenario.kind,
    ...(context.context !== undefined ? { context: context.context } : {}),
    ...(context.namespace !== undefined ? { namespace: context.namespace } : {}),
    ...(context.startedBy !== undefined ? { startedBy: context.startedBy } : {}),
    ...(context.startedAt !== undefined ? { startedAt: context.startedAt } : {}),
  };
  const facts = [
    context.context !== undefined ? `Context \`${context.context}\`` : undefined,
    context.namespace !== undefined ? `namespace \`${context.namespace}\`` : undefined,
    context.startedBy !== undefined || context.startedAt !== undefined
      ? ['started', context.startedBy && `by ${context.startedBy}`, context.startedAt && `at ${context.startedAt}`]
          .filter(Boolean)
          .join(' ')
      : undefined,
  ].filter((f): f is string => f !== undefined);
  const from = context.planFile ? ` from ${context.planFile}` : '';
  const intro = [`# ${scenario.kind === 'drill' ? 'DR drill' : 'DR run'}: ${scenario.title}`, ''];
  intro.push(`The steps of "${scenario.title}"${from}. Tick each step when it is done; each command's output is saved below it.`);
  if (facts.length) intro.push('', `${capitalize(facts.join(', '))}.`);
  const cells: NotebookCell[] = [{ kind: 'markdown', source: intro.join('\n') }];
  for (const step of scenario.steps) {
    cells.push({ kind: 'markdown', source: `- [ ] ${step.number}. ${step.text}` });
    // A drill step written in words is the step's own text: ticked in the notebook, run by a scenario run.
    for (const c of step.commands.filter((x) => x.kind !== 'drill'))
      cells.push({ kind: 'code', language: 'sh', source: command(c.text) });
  }
  return { header, cells: [...cells, ...extra] };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
