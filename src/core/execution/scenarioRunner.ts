import { describeFailures, preflightObjects, STAND_IN_NAMESPACE, type ApplyItem } from '../cluster/apply.js';
import { formatClusterError } from '../cluster/model.js';
import { fillSecretTemplate } from '../manifests/secretTemplate.js';
import { collectProblems } from '../problems.js';
import { replacesData } from '../runbook/commands.js';
import type { ApplyCommand, KubectlTarget, Runbook, Scenario, Step } from '../runbook/model.js';
import type { StepState } from '../run/runModel.js';
import { applyCommandItems } from './applyCommand.js';
import { checkBackupAge } from './backupPreflight.js';
import { executeStep, type StepContext, type StepOutcome, type StepUi } from './stepExecutor.js';

/** The choice between two steps. `rest` runs the remaining non-destructive steps without asking. */
export type BetweenSteps = 'continue' | 'skip' | 'stop' | 'rest';

/** Where a step sits in its scenario, and what it acts on: for the question before it. */
export interface StepPlace {
  /** 0-based position in the whole scenario (a resumed run counts from the scenario's start too). */
  readonly index: number;
  readonly total: number;
  /** A destructive step: asked every time, with no default answer, naming its real targets. */
  readonly destructive: boolean;
  /** What the step acts on, in words: `context "prod-eu", namespace endpoint-stats`, the database it replaces. */
  readonly targets: readonly string[];
}

export interface RunUi extends StepUi {
  /** Asked before each step unless the person chose to run the rest without asking (destructive steps: always). */
  beforeStep(step: Step, place: StepPlace): Promise<BetweenSteps>;
  /** The preflight's warnings, shown before the first step: true when the person goes on anyway. */
  acceptWarnings(warnings: readonly string[]): Promise<boolean>;
}

export interface RunHooks {
  /**
   * Each change of a step's state, with its outcome and duration when it ended, awaited before
   * the run goes on (the record is written before and after each step); false stops the run.
   */
  onStep(step: Step, state: StepState, outcome?: StepOutcome, durationMs?: number): Promise<boolean>;
  /** What a step acts on, for the question before it. */
  targets(step: Step): readonly string[];
}

export interface PreflightReport {
  readonly ok: boolean;
  /**
   * One line per check, prefixed ✔ (passed), ✖ (failed: nothing may run), ⚠ (a warning: the run
   * may go on once the person has seen it) or ℹ (not checked, and why).
   */
  readonly lines: readonly string[];
  /** The ⚠ lines without their mark, for the person to read before the first step. */
  readonly warnings: readonly string[];
}

export interface PreflightOptions {
  /** The setting drRunbook.backup.directory (relative to the project root), for scenarios that restore. */
  readonly backupDirectory?: string;
  readonly now?: Date;
}

/** Steps that change or remove what runs: never run without asking, even after "run the rest". */
export function isDestructive(step: Step): boolean {
  return step.commands.some(
    (c) => c.kind === 'namespaceDelete' || c.kind === 'rollback' || replacesData(c) || c.kind === 'other',
  );
}

/**
 * The preflight of a scenario: every file and script it names is there, the newest backup is
 * young enough for the RPO (when the scenario restores one), the cluster answers, and a
 * server-side dry run of every manifest of every step passes (namespaces the scenario creates
 * count as present). Changes nothing.
 */
export async function preflightScenario(
  runbook: Runbook,
  scenario: Scenario,
  planFile: string,
  ctx: StepContext,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const lines: string[] = [];
  const warnings: string[] = [];
  const found = await collectProblems(
    ctx.root,
    planFile,
    { ...runbook, scenarios: [scenario], problems: runbook.problems.filter((p) => p.scenarioId === scenario.id) },
    ctx.manifests,
  );
  const problems = found.filter((p) => p.severity === 'error');
  if (problems.length) for (const p of problems) lines.push(`✖ ${p.file}:${p.line}:${p.column} ${p.message}`);
  else lines.push('✔ every manifest and script the scenario names is present and readable');
  // What the Problems panel warns of in this scenario (a path outside the project, a line kubectl runs itself).
  for (const p of found.filter((x) => x.severity === 'warning')) {
    lines.push(`⚠ ${p.file}:${p.line}:${p.column} ${p.message}`);
    warnings.push(`${p.file}:${p.line}: ${p.message}`);
  }
  const backup = await checkBackupAge(scenario, {
    root: ctx.root,
    backupDirectory: options.backupDirectory,
    rpoMs: runbook.rpoMs,
    ...(options.now ? { now: options.now } : {}),
  });
  if (backup) {
    lines.push(`${{ ok: '✔', warning: '⚠', info: 'ℹ' }[backup.level]} ${backup.text}`);
    if (backup.level === 'warning') warnings.push(backup.text);
  }
  const needsCluster = scenario.steps.some((s) =>
    s.commands.some((c) => c.kind !== 'script' && c.kind !== 'cd' && c.kind !== 'other'),
  );
  if (!needsCluster) return { ok: problems.length === 0, lines, warnings };
  // Every cluster the scenario acts on: the run's, and any a command names with --context or --kubeconfig.
  const groups = new Map<string, { target: KubectlTarget | undefined; applies: { step: Step; command: ApplyCommand }[] }>();
  const keyOf = (t: KubectlTarget): string | undefined =>
    t.context === undefined && t.kubeconfig === undefined ? undefined : JSON.stringify([t.context, t.kubeconfig]);
  groups.set('', { target: undefined, applies: [] });
  for (const step of scenario.steps) {
    for (const c of step.commands) {
      if (!('globals' in c)) continue;
      const key = keyOf(c.globals) ?? '';
      const group = groups.get(key) ?? { target: c.globals, applies: [] };
      groups.set(key, group);
      if (c.kind === 'apply') group.applies.push({ step, command: c });
    }
  }
  const created = scenario.steps.flatMap((s) => s.commands.flatMap((c) => (c.kind === 'namespaceCreate' ? c.namespaces : [])));
  const missingSecrets = new Set<string>();
  let passed = problems.length === 0;
  for (const { target, applies } of groups.values()) {
    const connected = await ctx.cluster(target);
    if (!connected.ok) {
      lines.push(`✖ ${formatClusterError(connected.error)}`);
      passed = false;
      continue;
    }
    const cluster = connected.value;
    // The run's own namespace (absent is an answer too): an account limited to it, such as the
    // drill CronJob's, may read that one and no other.
    const reach = await cluster.read({ apiVersion: 'v1', kind: 'Namespace', name: ctx.namespace, namespace: undefined });
    if (!reach.ok) {
      lines.push(`✖ ${formatClusterError(reach.error)}`);
      passed = false;
      continue;
    }
    const own = target ? ' (named by the plan with --context/--kubeconfig)' : '';
    lines.push(`✔ cluster reachable: context "${cluster.context}" (${cluster.server})${own}`);
    const items: ApplyItem[] = [];
    for (const { step, command } of applies) {
      const loaded = await applyCommandItems(ctx.root, step, [command], ctx.namespace, ctx.manifests);
      if (!loaded.ok) {
        for (const e of loaded.error) lines.push(`✖ step ${step.number}: ${e}`);
        passed = false;
        continue;
      }
      for (const item of loaded.value) {
        const filled = fillSecretTemplate(item.body, (name) => ctx.secrets.get(name));
        if (!filled.ok) filled.error.missing.forEach((m) => missingSecrets.add(m));
        else items.push({ ...item, body: filled.value });
      }
    }
    const checked = await preflightObjects(cluster, items, {
      expectedNamespaces: [ctx.namespace, ...created],
      signal: ctx.signal,
    });
    if (checked.ok) {
      lines.push(`✔ server-side dry run of ${items.length} object(s) passed`);
      const byNamespace = new Map<string, string[]>();
      for (const i of checked.value.standIns)
        byNamespace.set(i.ref.namespace ?? '', [
          ...(byNamespace.get(i.ref.namespace ?? '') ?? []),
          `${i.ref.kind} ${i.ref.name}`,
        ]);
      for (const [ns, names] of byNamespace)
        lines.push(
          `ℹ namespace ${ns} does not exist yet (a step creates it): its ${names.length} object(s) were dry-run as new objects of the same shape in "${STAND_IN_NAMESPACE}", so their schema and validation are checked but not ${ns}'s own admission rules (Pod Security, quotas): ${names.join(', ')}`,
        );
    } else if (checked.error.stage === 'cancelled') lines.push('✖ cancelled');
    else for (const line of describeFailures(checked.error.failures)) lines.push(`✖ ${line}`);
    passed &&= checked.ok;
  }
  if (missingSecrets.size)
    lines.push(`✖ secret values not set: ${[...missingSecrets].join(', ')} (environment or "DR Runbook: Set Secret")`);
  return { ok: passed && missingSecrets.size === 0, lines, warnings };
}

export interface RunResult {
  readonly outcome: 'finished' | 'failed' | 'stopped' | 'cancelled';
  /** The step it ended on (for a failure or a stop). */
  readonly step?: Step;
  /** Why it ended early, in a sentence (a record that cannot be written, ...). */
  readonly reason?: string;
}

/**
 * Runs a scenario's steps in order, one at a time, asking between steps (Continue / Skip / Stop /
 * run the rest), from `startAt` (a step number, for resuming) up to `endAt` ("run up to here").
 * A failed step stops the run.
 */
export async function runScenario(
  scenario: Scenario,
  ctx: StepContext & { readonly ui: RunUi },
  hooks: RunHooks,
  options: { readonly startAt?: number; readonly endAt?: number } = {},
): Promise<RunResult> {
  const total = scenario.steps.length;
  let askEachStep = true;
  for (const [index, step] of scenario.steps.entries()) {
    if (step.number < (options.startAt ?? 0) || step.number > (options.endAt ?? Infinity)) continue;
    if (ctx.signal.aborted) return { outcome: 'cancelled', step };
    const destructive = isDestructive(step);
    if (askEachStep || destructive) {
      const choice = await ctx.ui.beforeStep(step, { index, total, destructive, targets: hooks.targets(step) });
      if (ctx.signal.aborted) return { outcome: 'cancelled', step };
      if (choice === 'stop') return { outcome: 'stopped', step };
      if (choice === 'skip') {
        if (!(await hooks.onStep(step, 'skipped', { state: 'skipped', summary: 'Skipped.' }, 0)))
          return { outcome: 'failed', step };
        continue;
      }
      if (choice === 'rest') askEachStep = false;
    }
    if (!(await hooks.onStep(step, 'running'))) return { outcome: 'failed', step };
    const started = Date.now();
    const outcome = await executeStep(step, ctx);
    if (!(await hooks.onStep(step, outcome.state, outcome, Date.now() - started))) return { outcome: 'failed', step };
    if (ctx.signal.aborted) return { outcome: 'cancelled', step };
    if (outcome.state === 'failed') return { outcome: 'failed', step };
  }
  return { outcome: 'finished' };
}
