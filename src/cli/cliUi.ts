/**
 * The questions of a run, answered on the command line: by a flag when one was given, else by the
 * person at the terminal (interactive), else refused (non-interactive: the run stops there and the
 * refusal says which flag answers it). Before anything runs, `missingAnswers` lists the flags a
 * non-interactive run of the scenario would need, so a run that would be refused halfway does not start.
 */
import { ok } from '../core/result.js';
import { isDestructive, type BetweenSteps, type StepPlace } from '../core/execution/scenarioRunner.js';
import { isBackupArgument } from '../core/execution/backupPreflight.js';
import type { RunTargets } from '../core/run/runRecord.js';
import type { SessionUi } from '../core/run/runSession.js';
import type { RunState } from '../core/run/runModel.js';
import type { Scenario, ScriptArgument, Step } from '../core/runbook/model.js';

/** The answers the command line's flags give. */
export interface Answers {
  /** --backup: the backup a restore uses (a file, already resolved). */
  readonly backup: string | undefined;
  /** --incident-start, parsed. */
  readonly incidentStart: Date | undefined;
  /** --confirm-delete: the namespaces whose deletion is confirmed by name. */
  readonly confirmDelete: ReadonlySet<string>;
  /** --allow-destructive: rollbacks, restores that replace the run's database, commands DR Runbook does not know. */
  readonly allowDestructive: boolean;
  /** --manual: what manual steps become. */
  readonly manual: 'done' | 'skip' | undefined;
  /** --value PLACEHOLDER=VALUE */
  readonly values: ReadonlyMap<string, string>;
  readonly acceptWarnings: boolean;
  /** --resume: a stopped run of the scenario is continued, or a new one started. */
  readonly resume: 'continue' | 'new' | undefined;
}

/** A yes/no or free-text question at the terminal; undefined when there is no person to ask. */
export type Ask = (question: string) => Promise<string>;

/** What a step needs answered in a non-interactive run, as the flags that answer it. */
function stepNeeds(step: Step, answers: Answers): string[] {
  const needs: string[] = [];
  const where = `step ${step.number} ("${step.title}")`;
  if (step.kind === 'manual' && !answers.manual) needs.push(`${where} is done by hand: --manual=done or --manual=skip`);
  for (const c of step.commands) {
    if (c.kind === 'namespaceDelete' && c.globals.dryRun === 'none')
      for (const ns of c.namespaces)
        if (!answers.confirmDelete.has(ns)) needs.push(`${where} deletes namespace ${ns}: --confirm-delete=${ns}`);
    if (c.kind === 'drill' && c.action === 'restoreBackup' && !answers.backup)
      needs.push(`${where} restores a backup: --backup=FILE or --backup=newest`);
    if (c.kind === 'script')
      for (const a of c.args.filter((x) => x.placeholder)) {
        if (isBackupArgument(a, step)) {
          if (!answers.backup) needs.push(`${where} restores a backup (${a.value}): --backup=FILE or --backup=newest`);
        } else if (!answers.values.has(a.value)) needs.push(`${where} needs ${a.value}: --value='${a.value}=VALUE'`);
      }
  }
  if (isDestructive(step) && !step.commands.every((c) => c.kind === 'namespaceDelete') && !answers.allowDestructive)
    needs.push(`${where} is destructive (${step.kind}): --allow-destructive`);
  return needs;
}

/** The flags a non-interactive run of `scenario` lacks (steps from `startAt` on), one line each. */
export function missingAnswers(scenario: Scenario, answers: Answers, options: { incidentStart: boolean }): string[] {
  return [
    ...(options.incidentStart && !answers.incidentStart ? ['the incident start: --incident-start=TIME (ISO 8601) or now'] : []),
    ...scenario.steps.flatMap((s) => stepNeeds(s, answers)),
  ];
}

/** The run's questions, answered by the flags, the person at the terminal, or refused. */
export class CliUi implements SessionUi {
  /** Why the run was refused (a question with no flag and no person to ask). */
  refusal: string | undefined;

  constructor(
    private readonly answers: Answers,
    private readonly print: (line: string) => void,
    private readonly ask: Ask | undefined,
  ) {}

  private refuse<T>(why: string, answer: T): T {
    this.refusal ??= why;
    this.print(`✖ refused: ${why}`);
    return answer;
  }

  private async yes(question: string, flag: string): Promise<boolean> {
    if (!this.ask) return this.refuse(`${question} (non-interactive: ${flag})`, false);
    return /^y(es)?$/i.test((await this.ask(`${question} [y/N] `)).trim());
  }

  confirmRun(scenario: Scenario, targets: RunTargets): Promise<boolean> {
    this.print(
      `${scenario.title}: context "${targets.context}"${targets.production ? ' (PRODUCTION)' : ''}, namespace ${targets.namespace}, PostgreSQL ${targets.database.host}/${targets.database.name}`,
    );
    return Promise.resolve(true);
  }

  async incidentStart(): Promise<Date | undefined> {
    if (this.answers.incidentStart) return this.answers.incidentStart;
    if (!this.ask) return this.refuse('when did the incident start? (--incident-start=TIME or now)', undefined);
    const text = (await this.ask('When did the incident start (ISO 8601 time, or now)? ')).trim();
    return text === 'now' || text === '' ? new Date() : Number.isNaN(Date.parse(text)) ? undefined : new Date(text);
  }

  async continueRun(run: RunState, step: number): Promise<'continue' | 'new' | undefined> {
    if (this.answers.resume) return this.answers.resume;
    const question = `A run of "${run.scenarioTitle ?? run.scenarioId}" stopped at step ${step}: continue it?`;
    if (!this.ask) return this.refuse(`${question} (--resume=continue or --resume=new)`, undefined);
    return (await this.yes(question, '--resume')) ? 'continue' : 'new';
  }

  async beforeStep(step: Step, place: StepPlace): Promise<BetweenSteps> {
    this.print(`\n▶ step ${step.number} (${place.index + 1} of ${place.total}): ${step.title}`);
    for (const t of place.targets) this.print(`  acts on: ${t}`);
    if (!place.destructive) return 'continue';
    const deletes = step.commands.flatMap((c) => (c.kind === 'namespaceDelete' ? c.namespaces : []));
    if (deletes.length && deletes.every((ns) => this.answers.confirmDelete.has(ns))) return 'continue';
    if (!deletes.length && this.answers.allowDestructive) return 'continue';
    const flag = deletes.length ? deletes.map((ns) => `--confirm-delete=${ns}`).join(' ') : '--allow-destructive';
    if (!this.ask) return this.refuse(`step ${step.number} ("${step.title}") is destructive: ${flag}`, 'stop');
    if (deletes.length) {
      const typed = (
        await this.ask(`Step ${step.number} deletes namespace ${deletes.join(', ')}: type its name to go on: `)
      ).trim();
      return deletes.includes(typed) && deletes.length === 1 ? 'continue' : 'stop';
    }
    return (await this.yes(`Step ${step.number} is destructive: run it?`, flag)) ? 'continue' : 'stop';
  }

  async acceptWarnings(warnings: readonly string[]): Promise<boolean> {
    if (this.answers.acceptWarnings) return true;
    for (const w of warnings) this.print(`⚠ ${w}`);
    return this.yes('The preflight warned: go on anyway?', '--accept-warnings');
  }

  async confirmDestructive(action: string, namespace: string): Promise<boolean> {
    if (this.answers.confirmDelete.has(namespace)) return true;
    if (!this.ask) return this.refuse(`${action} on a production context: --confirm-delete=${namespace}`, false);
    return (await this.ask(`${action}: type the namespace (${namespace}) to go on: `)).trim() === namespace;
  }

  async fillPlaceholder(argument: ScriptArgument, step: Step): Promise<string | undefined> {
    const backup = isBackupArgument(argument, step);
    const given = backup ? this.answers.backup : this.answers.values.get(argument.value);
    if (given !== undefined) return given;
    const flag = backup ? '--backup=FILE or --backup=newest' : `--value='${argument.value}=VALUE'`;
    if (!this.ask) return this.refuse(`step ${step.number} needs ${argument.value} (${flag})`, undefined);
    const text = (await this.ask(`Step ${step.number}: ${argument.value} = `)).trim();
    return text === '' ? undefined : text;
  }

  confirmOther(command: string): Promise<boolean> {
    if (this.answers.allowDestructive) return Promise.resolve(true);
    return this.yes(`Run "${command}", which DR Runbook does not know?`, '--allow-destructive');
  }

  confirmRollback(description: string): Promise<boolean> {
    this.print(description);
    if (this.answers.allowDestructive) return Promise.resolve(true);
    return this.yes('Apply this rollback?', '--allow-destructive');
  }

  async manualStep(step: Step, facts: readonly string[]): Promise<'done' | 'skip' | 'stop'> {
    for (const f of facts) this.print(`fact: ${f}`);
    if (this.answers.manual) return this.answers.manual;
    if (!this.ask)
      return this.refuse(`step ${step.number} ("${step.title}") is done by hand: --manual=done or --manual=skip`, 'stop');
    const answer = (await this.ask(`Step ${step.number} is done by hand: done, skip or stop? `)).trim().toLowerCase();
    return answer === 'done' || answer === 'skip' ? answer : 'stop';
  }

  followLogs(): ReturnType<SessionUi['followLogs']> {
    return Promise.resolve(ok('Followed logs are not streamed on the command line: run the step’s kubectl logs -f yourself.'));
  }
}
