import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJournalWriter } from '../../../../src/core/run/journal.js';
import { Redaction } from '../../../../src/core/secrets/redaction.js';
import { writeRunReport } from '../../../../src/core/run/runReport.js';
import type { RunEvent } from '../../../../src/core/run/runModel.js';
import { evidenceContext, runEvents } from './runEvents.js';

const HOUR = 3_600_000;

describe('writeRunReport: the record of a run becomes its report', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-run-report-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the report beside the record, with the RPO evidence read from the restore output', async () => {
    const journal = join(dir, '2026-11-25-database-failure-abc12345.jsonl');
    const { started, step, finished } = runEvents({ runId: 'abc12345', scenarioId: 'database-failure', who: 'alice' });
    const events: RunEvent[] = [
      started({
        at: '2026-11-25T03:00:00Z',
        context: 'dr-runbook-sandbox',
        namespace: 'endpoint-stats',
        incidentStartedAt: '2026-11-25T02:40:00Z',
        steps: [{ number: 1, title: 'Restore the newest backup', kind: 'script' }],
      }),
      step(1, 'running', '2026-11-25T03:00:01Z'),
      step(1, 'succeeded', '2026-11-25T03:00:09Z', { durationMs: 8000, summary: 'restored' }),
      finished('2026-11-25T03:00:10Z'),
    ];
    const writer = createJournalWriter(journal);
    for (const e of events) await writer.append(e);
    const transcript =
      'RPO-EVIDENCE newest_row=2026-11-25T02:30:00Z rows=1200\nRESTORE-OK database=endpoint_stats previous=none\n';
    const written = await writeRunReport(journal, {
      scenarioTitle: 'Database failure',
      rpoMs: HOUR,
      rtoMs: 4 * HOUR,
      transcript,
      redact: new Redaction([]).text,
      evidence: await evidenceContext(dir),
    });
    assert.ok(written.ok, written.ok ? '' : written.error);
    assert.equal(written.value.report, join(dir, '2026-11-25-database-failure-abc12345.md'));
    assert.deepEqual(
      written.value.bundle.ok && written.value.bundle.value.path,
      join(dir, '2026-11-25-database-failure-abc12345.evidence.json'),
    );
    const report = await readFile(written.value.report, 'utf8');
    assert.match(report, /# DR run report: Database failure/);
    assert.match(report, /\*\*RTO met\*\*: recovered in 20 min 10 s/);
    assert.match(
      report,
      /\*\*RPO met\*\*: the newest restored row is from 2026-11-25T02:30:00Z, 10 min before the incident started/,
    );
  });

  it('says why when the record cannot be read back, and writes nothing', async () => {
    const journal = join(dir, 'broken.jsonl');
    await writeFile(journal, '{"type": "runStarted", this is not JSON\n');
    const written = await writeRunReport(journal, {
      scenarioTitle: 'Database failure',
      rpoMs: HOUR,
      rtoMs: 4 * HOUR,
      transcript: '',
      redact: new Redaction([]).text,
      evidence: await evidenceContext(dir),
    });
    assert.ok(!written.ok);
    assert.match(written.error, /^the run record .*broken\.jsonl cannot be read back: /);
    const missing = await writeRunReport(join(dir, 'none.jsonl'), {
      scenarioTitle: 'x',
      rpoMs: undefined,
      rtoMs: undefined,
      transcript: '',
      redact: new Redaction([]).text,
      evidence: await evidenceContext(dir),
    });
    assert.ok(!missing.ok);
    assert.deepEqual(await readdir(dir), ['DR-PLAN.md', 'broken.jsonl']);
  });
});
