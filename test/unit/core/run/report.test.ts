import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redaction } from '../../../../src/core/secrets/redaction.js';
import { assessRpo, assessRto, renderReport, summarizeOutput, writeReport } from '../../../../src/core/run/report.js';
import { foldRun, type RunEvent, type RunState } from '../../../../src/core/run/runModel.js';
import { runEvents } from './runEvents.js';

const hour = 3_600_000;
const {
  base,
  started: startedEvent,
  step,
  finished,
} = runEvents({ runId: 'ab12cd34', scenarioId: 'complete-cluster-failure', who: 'alice' });
const started = startedEvent({
  at: '2026-03-04T10:00:00Z',
  context: 'kind-dr',
  namespace: 'endpoint-stats',
  incidentStartedAt: '2026-03-04T09:30:00Z',
  scenarioTitle: 'Complete cluster failure',
  steps: [
    { number: 1, title: 'Identify the failure cause', kind: 'manual' },
    { number: 2, title: 'Restore the database', kind: 'script' },
    { number: 3, title: 'Update DNS | records', kind: 'manual' },
  ],
});

function fold(events: RunEvent[]): RunState {
  const result = foldRun(events);
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.value;
}

const restoreSummary = 'RESTORE-OK database=endpoint_stats previous=endpoint_stats_before_x';
function successfulRun(finishedAt: string, newestRow: string | null = '2026-03-04T09:20:00Z'): RunState {
  return fold([
    started,
    step(1, 'manual', '2026-03-04T10:05:00Z'),
    step(2, 'running', '2026-03-04T10:06:00Z'),
    step(2, 'succeeded', '2026-03-04T10:16:30Z', {
      summary: restoreSummary,
      evidence: { newestRow, rows: 1200, database: 'endpoint_stats' },
    }),
    step(3, 'manual', finishedAt),
    finished(finishedAt),
  ]);
}

describe('report', () => {
  it('reports a successful run: steps, RTO met and RPO met', () => {
    const md = renderReport(successfulRun('2026-03-04T10:30:00Z'), { rtoMs: 4 * hour, rpoMs: hour });
    assert.match(md, /^# DR run report: Complete cluster failure\n/);
    assert.match(md, /\| Outcome \| Recovered: every step done \|/);
    assert.match(md, /context `kind-dr`, namespace `endpoint-stats`/);
    assert.match(md, /\*\*RTO met\*\*: recovered in 1 h from the incident start to the end of the run, against an RTO of 4 h\./);
    assert.match(
      md,
      /\*\*RPO met\*\*: the newest restored row is from 2026-03-04T09:20:00Z, 10 min before the incident started, against an RPO of 1 h \(1200 rows in the RPO table\)\./,
    );
    assert.match(md, /\| 1 \| Identify the failure cause \| done by hand \(alice\) \|/);
    assert.match(
      md,
      /\| 2 \| Restore the database \| succeeded \| 10 min 30 s \| RESTORE-OK database=endpoint_stats previous=endpoint_stats_before_x \|/,
    );
    assert.match(md, /\| 3 \| Update DNS \\\| records \|/);
  });

  it('says RTO missed and RPO missed when too late and too old', () => {
    const state = successfulRun('2026-03-04T14:00:00Z', '2026-03-04T07:00:00Z');
    const md = renderReport(state, { rtoMs: 4 * hour, rpoMs: hour });
    assert.match(md, /\*\*RTO missed\*\*: recovered in 4 h 30 min/);
    assert.match(
      md,
      /\*\*RPO missed\*\*: the newest restored row is from 2026-03-04T07:00:00Z, 2 h 30 min before the incident started/,
    );
    assert.deepEqual(assessRto(state, 4 * hour), { recovered: true, elapsedMs: 4.5 * hour, outcome: 'missed' });
  });

  it('warns when the restored backup is newer than the incident start: it may hold the damage', () => {
    // The incident began at 09:30; the backup restored holds rows up to 09:58.
    const state = successfulRun('2026-03-04T10:30:00Z', '2026-03-04T09:58:00Z');
    const md = renderReport(state, { rtoMs: 4 * hour, rpoMs: hour });
    assert.match(
      md,
      /\*\*RPO warning\*\*: the newest restored row is from 2026-03-04T09:58:00Z, 28 min after the incident started: the restored backup was taken after the failure began and may contain the damage\./,
    );
    assert.doesNotMatch(md, /RPO met/);
    const rpo = assessRpo(state, hour);
    assert.equal(rpo.outcome, 'warning');
    assert.equal(rpo.afterIncidentMs, 28 * 60_000);
    assert.equal(rpo.lossWindowMs, 0);
  });

  it('keeps the facts seen before a restore in the report, redacted', () => {
    const state = fold([
      started,
      step(1, 'manual', '2026-03-04T10:05:00Z'),
      step(2, 'running', '2026-03-04T10:06:00Z'),
      step(2, 'succeeded', '2026-03-04T10:16:30Z', {
        summary: restoreSummary,
        evidence: {
          facts: [
            'Pod postgres-0: CrashLoopBackOff in container postgres, 4 restart(s)',
            'Logs of postgres-0/postgres (previous container): FATAL: password=hunter22 invalid page in block 7',
          ],
        },
      }),
    ]);
    const md = renderReport(state, { rtoMs: 4 * hour, rpoMs: hour, redact: new Redaction(['hunter22']).text });
    assert.match(
      md,
      /## Facts before the changes\n\nBefore step 2 \(Restore the database\):\n\n```text\nPod postgres-0: CrashLoopBackOff/,
    );
    assert.match(md, /Logs of postgres-0\/postgres \(previous container\): FATAL: password=\*\*\* invalid page in block 7/);
    assert.doesNotMatch(md, /hunter22/);
  });

  it('reports a failed run: the error, RTO missed, RPO unknown', () => {
    const state = fold([
      started,
      step(1, 'manual', '2026-03-04T10:05:00Z'),
      step(2, 'running', '2026-03-04T10:06:00Z'),
      step(2, 'failed', '2026-03-04T10:06:20Z', {
        error: 'dr-restore.sh exited with code 21',
        summary: 'dr-restore: ERROR: checksum mismatch',
      }),
      { ...base, type: 'runCancelled', at: '2026-03-04T10:07:00Z', reason: 'Stopped after step 2 failed' },
    ]);
    const md = renderReport(state, { rtoMs: 4 * hour, rpoMs: hour });
    assert.match(md, /\| Outcome \| Cancelled: Stopped after step 2 failed \|/);
    assert.match(
      md,
      /\*\*RTO missed\*\*: not recovered; 37 min from the incident start to the end of the run, against an RTO of 4 h\./,
    );
    assert.match(md, /\*\*RPO unknown\*\*: no restore reported RPO evidence in this run\./);
    assert.match(
      md,
      /\| 2 \| Restore the database \| failed \| 20 s \| Error: dr-restore.sh exited with code 21 — dr-restore: ERROR: checksum mismatch \|/,
    );
    assert.match(md, /\| 3 \| Update DNS \\\| records \| not run \| {2}\| {2}\|/);
  });

  it('finished with a failed step is not a recovery', () => {
    const state = fold([
      started,
      step(1, 'running', '2026-03-04T10:05:00Z'),
      step(1, 'failed', '2026-03-04T10:05:01Z', { error: 'no' }),
      finished('2026-03-04T10:06:00Z'),
    ]);
    const md = renderReport(state, { rtoMs: 4 * hour, rpoMs: hour });
    assert.match(md, /\| Outcome \| Not recovered: step 1 failed \|/);
    assert.equal(assessRto(state, 4 * hour).outcome, 'missed');
  });

  it('RPO unknown for an empty RPO table or a plan without RPO; evidence passed in wins', () => {
    const empty = successfulRun('2026-03-04T10:30:00Z', null);
    assert.match(
      renderReport(empty, { rtoMs: 4 * hour, rpoMs: hour }),
      /\*\*RPO unknown\*\*: the restored RPO table is empty \(1200 rows in the RPO table\)\./,
    );
    const noRpo = renderReport(successfulRun('2026-03-04T10:30:00Z'), { rtoMs: undefined, rpoMs: undefined });
    assert.match(
      noRpo,
      /\*\*RPO unknown\*\*: the newest restored row is from 2026-03-04T09:20:00Z, 10 min before the incident started; the plan states no RPO/,
    );
    assert.match(noRpo, /\*\*RTO unknown\*\*: recovered in 1 h .*; the plan states no RTO\./);
    const given = assessRpo(empty, hour, { newestRow: '2026-03-04T09:29:00Z', rows: 5 });
    assert.deepEqual(given, {
      newestRow: '2026-03-04T09:29:00Z',
      rows: 5,
      lossWindowMs: 60_000,
      afterIncidentMs: 0,
      outcome: 'met',
      reason: undefined,
    });
    // A row newer than the incident start loses nothing.
    assert.equal(assessRpo(empty, hour, { newestRow: '2026-03-04T09:45:00Z', rows: 5 }).lossWindowMs, 0);
  });

  it('reports a run still going against now, and redacts what the run recorded', () => {
    const going = fold([started, step(1, 'running', '2026-03-04T10:05:00Z')]);
    const leaky = fold([
      started,
      step(1, 'running', '2026-03-04T10:05:00Z'),
      step(1, 'failed', '2026-03-04T10:05:01Z', { error: 'psql: password=hunter22 rejected' }),
    ]);
    const md = renderReport(going, { rtoMs: 4 * hour, rpoMs: hour, now: new Date('2026-03-04T10:30:00Z') });
    assert.match(md, /Not finished \(at step 1\)/);
    assert.match(md, /1 h from the incident start to the time of this report/);
    assert.match(md, /\| 1 \| Identify the failure cause \| interrupted \|/);
    const redacted = renderReport(leaky, { rtoMs: 4 * hour, rpoMs: hour, redact: new Redaction(['hunter22']).text });
    assert.ok(!redacted.includes('hunter22'));
    assert.match(redacted, /password=\*\*\* rejected/);
  });

  it('is written beside the record with the same base name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dr-report-'));
    try {
      const written = await writeReport(join(dir, '2026-03-04-complete-cluster-failure-ab12cd34.jsonl'), '# report\n');
      assert.ok(written.ok);
      assert.equal(written.value, join(dir, '2026-03-04-complete-cluster-failure-ab12cd34.md'));
      assert.equal(await readFile(written.value, 'utf8'), '# report\n');
      const bad = await writeReport(join(dir, 'missing', 'x.jsonl'), '');
      assert.ok(!bad.ok);
      assert.equal(bad.error.kind, 'unwritable');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('summarizeOutput', () => {
  it('keeps the machine-readable lines of a restore', () => {
    const out = [
      'dr-restore: restoring backups/x.dump',
      'BACKUP file=backups/x.dump format=custom size=10 checksum=verified',
      'TABLE public.requests rows=10',
      'RPO-EVIDENCE newest_row=2026-03-04T09:25:00Z rows=10',
      'dr-restore: swapped',
      'RESTORE-OK database=endpoint_stats previous=none',
      '',
    ].join('\n');
    assert.equal(
      summarizeOutput(out, 500),
      'BACKUP file=backups/x.dump format=custom size=10 checksum=verified; RPO-EVIDENCE newest_row=2026-03-04T09:25:00Z rows=10; RESTORE-OK database=endpoint_stats previous=none',
    );
  });

  it('else the last error line, else the last line, shortened', () => {
    assert.equal(
      summarizeOutput('a\ndr-restore: ERROR: checksum mismatch\ncleaning up\n'),
      'dr-restore: ERROR: checksum mismatch',
    );
    assert.equal(summarizeOutput('deployment.apps/flask-api configured\r\nwaiting\r\nready\r\n'), 'ready');
    assert.equal(summarizeOutput(''), '');
    assert.equal(summarizeOutput('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
  });
});
