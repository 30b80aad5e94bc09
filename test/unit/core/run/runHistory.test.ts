import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJournalWriter } from '../../../../src/core/run/journal.js';
import { drillAge, drillIntervalMs, readRunHistory, rtoForecast, stepDurations } from '../../../../src/core/run/runHistory.js';
import { foldRun, type RunEvent } from '../../../../src/core/run/runModel.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';
import { runEvents } from './runEvents.js';

const DAY = 86_400_000;
const plan = parsePlan(`# Plan

## Testing

### Quarterly DR drill

1. Create a namespace for the test:
   \`\`\`
   kubectl create namespace endpoint-stats-dr-test
   \`\`\`
2. Restore a recent backup.
`);
const drill = plan.scenarios[0]!;

/** A drill run's first event, started (and its incident) at `at`. */
function drillStarted(id: string, at: string): RunEvent {
  return runEvents({ runId: id, scenarioId: drill.id, who: 'ci' }).started({
    at,
    context: 'c',
    namespace: 'n',
    incidentStartedAt: at,
    steps: drill.steps.map((s) => ({ number: s.number, title: s.title })),
  });
}

/** A drill run that ended at `end`, its step 1 taking `ms`; `fail` leaves step 2 failed. */
function drillRun(id: string, end: string, ms: number, fail = false): RunEvent[] {
  const { step, finished } = runEvents({ runId: id, scenarioId: drill.id, who: 'ci' });
  const at = new Date(Date.parse(end) - ms - 2000).toISOString();
  return [
    drillStarted(id, at),
    step(1, 'running', at),
    step(1, 'succeeded', at, { durationMs: ms }),
    step(2, 'running', at),
    step(2, fail ? 'failed' : 'succeeded', end, { durationMs: 1000 }),
    finished(end),
  ];
}

describe('run history: the last drill and step durations from .dr-runs/', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-history-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function record(name: string, events: RunEvent[]): Promise<void> {
    const writer = createJournalWriter(join(dir, `${name}.jsonl`));
    for (const e of events) assert.ok((await writer.append(e)).ok);
  }

  it('reads the interval from the drill’s title', () => {
    assert.equal(drillIntervalMs(drill), 92 * DAY);
    assert.equal(drillIntervalMs({ ...drill, title: 'Monthly restore test' }), 31 * DAY);
    assert.equal(drillIntervalMs({ ...drill, title: 'DR drill' }), undefined);
  });

  it('finds the last successful drill (a failed one does not count) and warns when it is older than the interval', async () => {
    await record('a', drillRun('a', '2026-06-01T10:00:00Z', 60_000));
    await record('b', drillRun('b', '2026-09-01T10:00:00Z', 90_000, true));
    await writeFile(join(dir, 'broken.jsonl'), 'not json\n');
    const history = await readRunHistory(dir);
    assert.equal(history.runs.length, 2);
    assert.deepEqual(
      history.problems.map((p) => p.path),
      [join(dir, 'broken.jsonl')],
    );
    const soon = drillAge(drill, history.runs, new Date('2026-06-13T10:00:00Z'));
    assert.deepEqual(soon, {
      lastAt: '2026-06-01T10:00:00Z',
      ageMs: 12 * DAY,
      intervalMs: 92 * DAY,
      overdue: false,
      text: 'last drill 12 d ago',
    });
    const late = drillAge(drill, history.runs, new Date('2026-10-01T10:00:00Z'));
    assert.equal(late.overdue, true);
    assert.equal(late.text, 'last drill 122 d ago: overdue (due every 92 d)');
    assert.deepEqual(drillAge(drill, [], new Date()), {
      lastAt: undefined,
      ageMs: undefined,
      intervalMs: 92 * DAY,
      overdue: true,
      text: 'no successful drill recorded (due every 92 d)',
    });
    assert.deepEqual(await readRunHistory(join(dir, 'none')), { runs: [], problems: [] });
  });

  it('gives each step the median and 90th percentile of its past durations', async () => {
    const times = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((s) => s * 1000);
    for (const [i, ms] of times.entries()) await record(`r${i}`, drillRun(`r${i}`, `2026-0${1 + (i % 9)}-01T10:00:00Z`, ms));
    const { runs } = await readRunHistory(dir);
    assert.deepEqual(stepDurations(drill.id, drill.steps[0]!, runs), { count: 10, medianMs: 50_000, p90Ms: 90_000 });
    assert.deepEqual(stepDurations(drill.id, drill.steps[1]!, runs), { count: 10, medianMs: 1000, p90Ms: 1000 });
    // A renamed step starts afresh.
    assert.equal(stepDurations(drill.id, { ...drill.steps[0]!, title: 'Another step' }, runs), undefined);
  });

  it('forecasts a running scenario against the RTO from the past medians of the steps still to do', async () => {
    for (const [i, ms] of [60_000, 120_000, 180_000].entries())
      await record(`r${i}`, drillRun(`r${i}`, `2026-0${1 + i}-01T10:00:00Z`, ms));
    const { runs } = await readRunHistory(dir);
    const { step } = runEvents({ runId: 'now', scenarioId: drill.id, who: 'ci' });
    const at = '2026-12-03T10:00:00Z';
    const begun = [drillStarted('now', at)];
    const fresh = foldRun(begun);
    assert.ok(fresh.ok);
    // Both steps to do: 2 min (step 1's median) + 1 s (step 2's).
    const ahead = rtoForecast(drill, fresh.value, runs, 0, 4 * 3_600_000);
    assert.deepEqual(
      [ahead.remainingMs, ahead.overRto, ahead.text],
      [121_000, false, 'about 0 h 2 min left (median of past runs)'],
    );
    // Step 1 done: only step 2's second is left; past the RTO when the elapsed time already is.
    const half = foldRun([...begun, step(1, 'running', at), step(1, 'succeeded', at, { durationMs: 5 })]);
    assert.ok(half.ok);
    assert.equal(rtoForecast(drill, half.value, runs, 0, 3_600_000).remainingMs, 1000);
    assert.equal(rtoForecast(drill, half.value, runs, 3_600_000, 3_600_000).overRto, true);
    // No past run: no forecast, and it says why.
    assert.deepEqual(rtoForecast(drill, fresh.value, [], 0, 3_600_000), {
      text: 'no forecast: steps 1, 2 never finished in a past run',
      remainingMs: undefined,
      overRto: false,
    });
  });
});
