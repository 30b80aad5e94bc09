/**
 * What past runs say: when the last successful drill ran against the plan's drill interval, and
 * how long each step usually takes (median and 90th percentile). Read from the run records in
 * `.dr-runs/`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../duration.js';
import type { Scenario, Step } from '../runbook/model.js';
import { formatClock } from './clock.js';
import { readJournal, type JournalProblem } from './journal.js';
import { foldRun, isSettled, type RunState } from './runModel.js';

export interface RunHistory {
  readonly runs: readonly RunState[];
  /** Records that could not be read or folded; left alone. */
  readonly problems: readonly JournalProblem[];
}

/** Every run recorded in a `.dr-runs` folder (a missing folder has none). */
export async function readRunHistory(dir: string): Promise<RunHistory> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], problems: [] };
    return { runs: [], problems: [{ path: dir, message: `Cannot list the run records in ${dir}: ${String(e)}` }] };
  }
  const runs: RunState[] = [];
  const problems: JournalProblem[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const events = await readJournal(path);
    const folded = events.ok ? foldRun(events.value) : undefined;
    if (!events.ok) problems.push({ path, message: events.error.message });
    else if (folded && !folded.ok) problems.push({ path, message: `${name}: ${folded.error.message}` });
    else if (folded?.ok) runs.push(folded.value);
  }
  return { runs, problems };
}

const DAY = 86_400_000;

/** How often the plan says to drill, from the words of the drill's title ("Quarterly DR drill"). */
export function drillIntervalMs(scenario: Scenario): number | undefined {
  const title = scenario.title.toLowerCase();
  if (/\bquarter(ly)?\b/.test(title)) return 92 * DAY;
  if (/\bmonth(ly)?\b/.test(title)) return 31 * DAY;
  if (/\bweek(ly)?\b/.test(title)) return 7 * DAY;
  if (/\b(annual(ly)?|year(ly)?)\b/.test(title)) return 366 * DAY;
  if (/\bhalf[- ]year(ly)?\b|\bsemi-?annual(ly)?\b/.test(title)) return 183 * DAY;
  return undefined;
}

/** A run that finished with no step failed or left open. */
export function succeeded(run: RunState): boolean {
  return run.status === 'finished' && run.steps.every((s) => isSettled(s.state));
}

export interface DrillAge {
  /** When the last successful drill finished. */
  readonly lastAt: string | undefined;
  readonly ageMs: number | undefined;
  readonly intervalMs: number | undefined;
  /** No successful drill, or the last one is older than the interval. */
  readonly overdue: boolean;
  /** For the tree: "last drill 12 d ago", "no drill recorded". */
  readonly text: string;
}

/** When the drill last succeeded, against the plan's interval. */
export function drillAge(scenario: Scenario, runs: readonly RunState[], now: Date = new Date()): DrillAge {
  const intervalMs = drillIntervalMs(scenario);
  const last = runs
    .filter((r) => r.scenarioId === scenario.id && succeeded(r) && r.finishedAt !== undefined)
    .map((r) => r.finishedAt!)
    .sort()
    .at(-1);
  const every = intervalMs === undefined ? '' : ` (due every ${formatDuration(intervalMs)})`;
  if (last === undefined)
    return { lastAt: undefined, ageMs: undefined, intervalMs, overdue: true, text: `no successful drill recorded${every}` };
  const ageMs = Math.max(0, now.getTime() - Date.parse(last));
  const overdue = intervalMs !== undefined && ageMs > intervalMs;
  // Whole days for a drill days ago, whole minutes for one today.
  const unit = ageMs >= DAY ? DAY : 60_000;
  const ago = ageMs < 60_000 ? 'just now' : `${formatDuration(Math.floor(ageMs / unit) * unit)} ago`;
  return { lastAt: last, ageMs, intervalMs, overdue, text: `last drill ${ago}${overdue ? `: overdue${every}` : ''}` };
}

export interface StepDurations {
  readonly count: number;
  readonly medianMs: number;
  readonly p90Ms: number;
}

/**
 * Median and 90th percentile of the step's succeeded durations in past runs of its scenario,
 * matched by number and title (a renumbered plan does not mix steps). Nearest-rank percentiles:
 * a handful of runs gives real observed times, not interpolated ones.
 */
export function stepDurations(scenarioId: string, step: Step, runs: readonly RunState[]): StepDurations | undefined {
  const times = runs
    .filter((r) => r.scenarioId === scenarioId)
    .flatMap((r) => r.steps.filter((s) => s.number === step.number && s.title === step.title))
    .filter((s) => s.state === 'succeeded' && s.durationMs !== undefined)
    .map((s) => s.durationMs!)
    .sort((a, b) => a - b);
  if (times.length === 0) return undefined;
  const rank = (p: number): number => times[Math.max(0, Math.ceil(p * times.length) - 1)]!;
  return { count: times.length, medianMs: rank(0.5), p90Ms: rank(0.9) };
}

export interface RtoForecast {
  /** "about 0 h 25 min left (median of past runs)", or why there is no forecast. */
  readonly text: string;
  /** The time still to come by the past runs' medians, when every step still to do has one. */
  readonly remainingMs: number | undefined;
  /** True when the time elapsed and the time still to come add up to more than the RTO. */
  readonly overRto: boolean;
}

/**
 * A running scenario's remaining time: the past runs' median for every step not yet settled,
 * added to the time elapsed since the incident and held against the RTO. A step no past run
 * finished makes it unknown (said so), never a guess.
 */
export function rtoForecast(
  scenario: Scenario,
  run: RunState,
  past: readonly RunState[],
  elapsedMs: number,
  rtoMs: number | undefined,
): RtoForecast {
  const settled = new Set(run.steps.filter((s) => isSettled(s.state)).map((s) => s.number));
  const todo = scenario.steps.filter((s) => !settled.has(s.number));
  const others = past.filter((r) => r.runId !== run.runId);
  let remainingMs = 0;
  const unknown: number[] = [];
  for (const step of todo) {
    const d = stepDurations(scenario.id, step, others);
    if (d) remainingMs += d.medianMs;
    else unknown.push(step.number);
  }
  if (unknown.length)
    return {
      text: `no forecast: step${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} never finished in a past run`,
      remainingMs: undefined,
      overRto: false,
    };
  const overRto = rtoMs !== undefined && elapsedMs + remainingMs > rtoMs;
  return {
    text: `about ${formatClock(remainingMs)} left (median of past runs)${overRto ? ', past the RTO' : ''}`,
    remainingMs,
    overRto,
  };
}
