/**
 * The report of a run, in markdown, written beside its record: each step's outcome, duration and
 * output summary, the RTO achieved and the RPO evidence (newest restored row against the start of
 * the incident).
 */
import { writeFile } from 'node:fs/promises';
import { formatDuration } from '../duration.js';
import { err, ok, type Result } from '../result.js';
import type { StepOutcome } from '../execution/stepExecutor.js';
import type { Step } from '../runbook/model.js';
import { parseBackupUsed, type RpoEvidence } from './evidence.js';
import { reportPathFor, type JournalError } from './journal.js';
import type { Redactor } from '../secrets/redaction.js';
import { isSettled, type RunState, type StepRunState, type StepState } from './runModel.js';

export interface ReportPlanInfo {
  /** The scenario's title; else the one the run recorded, else its id. */
  readonly scenarioTitle?: string;
  readonly rtoMs: number | undefined;
  readonly rpoMs: number | undefined;
  /** The restore's RPO evidence; else the last evidence recorded on a step. */
  readonly rpoEvidence?: RpoEvidence;
  /** Applied to every text taken from the run (summaries, errors, reasons). */
  readonly redact?: Redactor;
  /** For a run still going: the time to measure elapsed time to. */
  readonly now?: Date;
}

export interface RtoAssessment {
  /** True when the run finished with every step done. */
  readonly recovered: boolean;
  /** From the incident start to the end of the run (or to `now`). */
  readonly elapsedMs: number;
  /** met: recovered within the RTO; missed: not recovered, or too late; unknown: the plan states no RTO. */
  readonly outcome: 'met' | 'missed' | 'unknown';
}

export interface RpoAssessment {
  /** The newest restored row (ISO), when the restore reported one. */
  readonly newestRow: string | undefined;
  readonly rows: number | undefined;
  /** Data written between the newest restored row and the incident start (0 if the row is newer). */
  readonly lossWindowMs: number | undefined;
  /**
   * unknown: no restore evidence, an empty table, or no RPO in the plan. warning: the restored
   * data goes past the incident start, so the backup was taken after the failure began and may
   * hold the damage the run recovers from.
   */
  readonly outcome: 'met' | 'missed' | 'unknown' | 'warning';
  /** How far the newest restored row is past the incident start (0 when it is before). */
  readonly afterIncidentMs: number | undefined;
  readonly reason: string | undefined;
}

/** Whether the run brought the system back, and how long it took against the RTO. */
export function assessRto(state: RunState, rtoMs: number | undefined, now: Date = new Date()): RtoAssessment {
  const recovered = state.status === 'finished' && state.steps.every((s) => isSettled(s.state));
  const end = state.finishedAt !== undefined ? Date.parse(state.finishedAt) : now.getTime();
  const elapsedMs = Math.max(0, end - Date.parse(state.incidentStartedAt));
  if (!recovered) return { recovered, elapsedMs, outcome: 'missed' };
  if (rtoMs === undefined) return { recovered, elapsedMs, outcome: 'unknown' };
  return { recovered, elapsedMs, outcome: elapsedMs <= rtoMs ? 'met' : 'missed' };
}

/** The RPO evidence of the run: how much data before the incident the restore did not bring back. */
export function assessRpo(state: RunState, rpoMs: number | undefined, evidence?: RpoEvidence): RpoAssessment {
  const recorded = [...state.steps].reverse().find((s) => s.evidence?.newestRow !== undefined)?.evidence;
  const newest = evidence ? evidence.newestRow : recorded?.newestRow;
  const rows = evidence ? evidence.rows : recorded?.rows;
  const none = { newestRow: undefined, rows, lossWindowMs: undefined, afterIncidentMs: undefined, outcome: 'unknown' } as const;
  if (newest === undefined) return { ...none, reason: 'no restore reported RPO evidence in this run' };
  if (newest === null) return { ...none, reason: 'the restored RPO table is empty' };
  const gapMs = Date.parse(state.incidentStartedAt) - Date.parse(newest);
  const lossWindowMs = Math.max(0, gapMs);
  const afterIncidentMs = Math.max(0, -gapMs);
  const known = { newestRow: newest, rows, lossWindowMs, afterIncidentMs };
  if (afterIncidentMs > 0) return { ...known, outcome: 'warning', reason: undefined };
  if (rpoMs === undefined) return { ...known, outcome: 'unknown', reason: 'the plan states no RPO' };
  return { ...known, outcome: lossWindowMs <= rpoMs ? 'met' : 'missed', reason: undefined };
}

const stateLabel: Record<StepState, string> = {
  pending: 'not run',
  running: 'interrupted',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  manual: 'done by hand',
};

/** The report as markdown. */
export function renderReport(state: RunState, plan: ReportPlanInfo): string {
  const clean = plan.redact ?? ((text: string) => text);
  const title = plan.scenarioTitle ?? state.scenarioTitle ?? state.scenarioId;
  const rto = assessRto(state, plan.rtoMs, plan.now);
  const rpo = assessRpo(state, plan.rpoMs, plan.rpoEvidence);
  const lines: string[] = [
    `# DR run report: ${title}`,
    '',
    '| | |',
    '|---|---|',
    `| Outcome | ${cell(clean(outcomeText(state)))} |`,
    `| Run | \`${cell(state.runId)}\` (scenario \`${cell(state.scenarioId)}\`) |`,
    `| Cluster | context \`${cell(state.context)}\`, namespace \`${cell(state.namespace)}\` |`,
    `| Incident started | ${cell(state.incidentStartedAt)} |`,
    `| Run started | ${cell(state.startedAt)} by ${cell(state.startedBy)} |`,
    `| Run ended | ${state.finishedAt ? cell(state.finishedAt) : 'still running'} |`,
    '',
    '## Objectives',
    '',
    `- ${rtoText(rto, plan.rtoMs, state)}`,
    `- ${rpoText(rpo, plan.rpoMs)}`,
    '',
    '## Steps',
    '',
    '| # | Step | Outcome | Duration | Output |',
    '|---:|---|---|---:|---|',
    ...state.steps.map((s) => stepRow(s, clean)),
    '',
    ...factsSection(state, clean),
  ];
  return lines.join('\n');
}

/** Writes the report beside its record (`.md`, same base name); the report's path. */
export async function writeReport(journalPath: string, markdown: string): Promise<Result<string, JournalError>> {
  const path = reportPathFor(journalPath);
  try {
    await writeFile(path, markdown, 'utf8');
    return ok(path);
  } catch (e) {
    return err({
      kind: 'unwritable',
      path,
      message: `Cannot write the run report ${path}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

/** What the cluster showed before a step changed it (failing pods, their logs and events), as the record kept it. */
function factsSection(state: RunState, clean: (text: string) => string): string[] {
  const withFacts = state.steps.filter((s) => s.evidence?.facts?.length);
  if (!withFacts.length) return [];
  const lines = ['## Facts before the changes', ''];
  for (const step of withFacts) {
    lines.push(`Before step ${step.number} (${clean(step.title)}):`, '', '```text');
    for (const fact of step.evidence?.facts ?? []) lines.push(clean(fact).replace(/```/g, "'''"));
    lines.push('```', '');
  }
  return lines;
}

function outcomeText(state: RunState): string {
  const failed = state.steps.find((s) => s.state === 'failed');
  const open = state.steps.filter((s) => !isSettled(s.state)).map((s) => s.number);
  if (state.status === 'cancelled') return `Cancelled${state.cancelReason ? `: ${state.cancelReason}` : ''}`;
  if (state.status === 'stopped') return `Stopped${state.cancelReason ? `: ${state.cancelReason}` : ''} (it can be continued)`;
  if (state.status === 'running') return `Not finished (at step ${state.currentStep ?? '?'})`;
  if (failed) return `Not recovered: step ${failed.number} failed`;
  if (open.length > 0) return `Not recovered: steps ${open.join(', ')} not done`;
  return 'Recovered: every step done';
}

function rtoText(rto: RtoAssessment, rtoMs: number | undefined, state: RunState): string {
  const took = `${formatDuration(rto.elapsedMs)} from the incident start to the ${state.finishedAt ? 'end of the run' : 'time of this report'}`;
  const against = rtoMs === undefined ? 'the plan states no RTO' : `an RTO of ${formatDuration(rtoMs)}`;
  if (!rto.recovered) return `**RTO missed**: not recovered; ${took}, against ${against}.`;
  if (rto.outcome === 'unknown') return `**RTO unknown**: recovered in ${took}; ${against}.`;
  return `**RTO ${rto.outcome}**: recovered in ${took}, against ${against}.`;
}

function rpoText(rpo: RpoAssessment, rpoMs: number | undefined): string {
  const rows = rpo.rows === undefined ? '' : ` (${rpo.rows} rows in the RPO table)`;
  if (rpo.newestRow === undefined || rpo.lossWindowMs === undefined)
    return `**RPO unknown**: ${rpo.reason ?? 'no evidence'}${rows}.`;
  if (rpo.outcome === 'warning')
    return `**RPO warning**: the newest restored row is from ${rpo.newestRow}, ${formatDuration(rpo.afterIncidentMs ?? 0)} after the incident started: the restored backup was taken after the failure began and may contain the damage. Check the restored data before you call the service recovered${rows}.`;
  const newest = `the newest restored row is from ${rpo.newestRow}, ${formatDuration(rpo.lossWindowMs)} before the incident started`;
  if (rpoMs === undefined) return `**RPO unknown**: ${newest}; the plan states no RPO${rows}.`;
  return `**RPO ${rpo.outcome}**: ${newest}, against an RPO of ${formatDuration(rpoMs)}${rows}.`;
}

function stepRow(step: StepRunState, clean: (text: string) => string): string {
  const who = step.who && step.state === 'manual' ? ` (${step.who})` : '';
  const duration = step.durationMs === undefined ? '' : formatDuration(step.durationMs);
  const output = [step.error ? `Error: ${step.error}` : undefined, step.summary]
    .filter((t) => t !== undefined && t !== '')
    .join(' — ');
  return `| ${step.number} | ${cell(step.title)} | ${stateLabel[step.state]}${cell(who)} | ${duration} | ${cell(shorten(clean(output)))} |`;
}

const MACHINE_LINE = /(?:^|\s)((?:RESTORE-OK|RPO-EVIDENCE|BACKUP-OK|BACKUP) \S.*)$/;
const ERROR_LINE = /\b(?:ERROR|FATAL)\b|\berror:/i;

/**
 * A short summary of a step's output for the record and the report: the script's machine-readable
 * lines (`RESTORE-OK`, `RPO-EVIDENCE`, `BACKUP-OK`), else its last error line, else its last line.
 * Redact the output first.
 */
export function summarizeOutput(output: string, maxChars = 200): string {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const machine = lines.map((l) => MACHINE_LINE.exec(l)?.[1]).filter((l): l is string => l !== undefined);
  const pick =
    machine.length > 0 ? machine.join('; ') : ([...lines].reverse().find((l) => ERROR_LINE.test(l)) ?? lines.at(-1) ?? '');
  return pick.length > maxChars ? `${pick.slice(0, maxChars - 1)}…` : pick;
}

/** One line, at most 300 characters. */
function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** Text safe inside a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** What the record keeps of a step's outcome: a failure's reason or a drill step's own summary as they are, else the output's gist. */
export function stepSummary(step: Step, outcome: StepOutcome, output: string): string {
  return outcome.state === 'failed' || step.kind === 'drill' ? outcome.summary : summarizeOutput(`${outcome.summary}\n${output}`);
}

/**
 * What a run measured so far, in sentences (a drill's results step writes them into the record):
 * the time since the start against the RTO, the restore against the RPO, the backup used, the
 * checks of the test environment, and the steps that were skipped or failed.
 */
export function measuredSoFar(
  state: RunState,
  objectives: { readonly rtoMs: number | undefined; readonly rpoMs: number | undefined },
  transcript: string,
  now: Date = new Date(),
): string[] {
  const elapsed = Math.max(0, now.getTime() - Date.parse(state.incidentStartedAt));
  const lines = [
    `Time since the start: ${formatDuration(elapsed)}${
      objectives.rtoMs === undefined
        ? ' (the plan states no RTO).'
        : `, ${elapsed <= objectives.rtoMs ? 'within' : 'over'} the RTO of ${formatDuration(objectives.rtoMs)}.`
    }`,
    rpoText(assessRpo(state, objectives.rpoMs), objectives.rpoMs).replace(/\*\*/g, ''),
  ];
  const backup = parseBackupUsed(transcript);
  if (backup)
    lines.push(
      `Backup used: ${backup.file} (${backup.format}, ${backup.sizeBytes} bytes, ${backup.checksumVerified ? 'checksum verified' : 'no checksum file'}).`,
    );
  const checks = state.steps.flatMap((s) => s.evidence?.validations ?? []);
  if (checks.length) {
    const failed = checks.filter((c) => !c.passed);
    lines.push(
      `Checks: ${checks.length - failed.length} of ${checks.length} passed${failed.length ? `; failed: ${failed.map((c) => c.name).join(', ')}` : ''}.`,
    );
  }
  const gaps = state.steps.filter((s) => s.state === 'skipped' || s.state === 'failed');
  lines.push(gaps.length ? `Gaps: ${gaps.map((s) => `step ${s.number} ${s.state}`).join(', ')}.` : 'Gaps: none so far.');
  return lines;
}
