import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EvidenceBundle, verifyEvidenceBundle } from '../../../../src/core/run/evidenceBundle.js';
import { createJournalWriter } from '../../../../src/core/run/journal.js';
import { Redaction } from '../../../../src/core/secrets/redaction.js';
import { writeRunReport } from '../../../../src/core/run/runReport.js';
import { evidenceContext, runEvents } from './runEvents.js';

const HOUR = 3_600_000;
const SECRET = 'pg-password-for-the-drill-4711';
const DUMP = 'endpoint_stats_20261203T093000Z.dump';

describe('the evidence bundle of a run', () => {
  let dir: string;
  let journal: string;
  let bundlePath: string;
  let bundle: EvidenceBundle;
  let published: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-bundle-'));
    journal = join(dir, '2026-12-03-quarterly-dr-drill-d00d0001.jsonl');
    // A backup as dr-backup.sh leaves it: the archive, its checksum file and its metadata.
    const archive = 'not really a dump, but bytes with a checksum';
    const sha = createHash('sha256').update(archive).digest('hex');
    await writeFile(join(dir, DUMP), archive);
    await writeFile(join(dir, `${DUMP}.sha256`), `${sha}  ${DUMP}\n`);
    await writeFile(
      join(dir, DUMP.replace('.dump', '.json')),
      JSON.stringify({
        database: 'endpoint_stats',
        file: DUMP,
        started_at: '2026-12-03T09:30:00Z',
        finished_at: '2026-12-03T09:30:05Z',
        sha256: sha,
      }),
    );
    const { started, step, finished } = runEvents({ runId: 'd00d0001', scenarioId: 'quarterly-dr-drill', who: 'alice' });
    const writer = createJournalWriter(journal);
    for (const e of [
      started({
        at: '2026-12-03T10:00:00Z',
        context: 'dr-runbook-sandbox',
        namespace: 'endpoint-stats-dr-test',
        incidentStartedAt: '2026-12-03T10:00:00Z',
        steps: [
          { number: 1, title: 'Book a test window', kind: 'manual' },
          { number: 2, title: 'Restore a recent backup', kind: 'script' },
          { number: 3, title: 'Check that the application works', kind: 'manual' },
        ],
        scenarioTitle: 'Quarterly DR drill',
      }),
      step(1, 'skipped', '2026-12-03T10:00:01Z'),
      step(2, 'running', '2026-12-03T10:00:02Z'),
      step(2, 'succeeded', '2026-12-03T10:03:02Z', { durationMs: 180_000, summary: 'restored' }),
      step(3, 'manual', '2026-12-03T10:05:00Z', {
        who: 'bob',
        evidence: { validations: [{ name: 'row counts', passed: true, detail: 'public.requests: 5000 rows, as in the backup' }] },
      }),
      finished('2026-12-03T10:05:01Z'),
    ]) {
      assert.ok((await writer.append(e)).ok);
    }
    const transcript = [
      `$ PGPASSWORD=${SECRET} ./scripts/backup/dr-restore.sh`,
      `BACKUP file=${DUMP} format=custom size=44 checksum=verified`,
      'RPO-EVIDENCE newest_row=2026-12-03T09:29:00Z rows=5000',
      'RESTORE-OK database=endpoint_stats previous=none',
    ].join('\n');
    const redact = new Redaction([SECRET]).text;
    const written = await writeRunReport(journal, {
      scenarioTitle: 'Quarterly DR drill',
      rpoMs: HOUR,
      rtoMs: 4 * HOUR,
      transcript,
      redact,
      evidence: await evidenceContext(dir, 'drill'),
    });
    assert.ok(written.ok, written.ok ? '' : written.error);
    assert.ok(written.value.bundle.ok, written.value.bundle.ok ? '' : written.value.bundle.error);
    bundlePath = written.value.bundle.value.path;
    published = written.value.bundle.value.sha256;
    bundle = JSON.parse(await readFile(bundlePath, 'utf8')) as EvidenceBundle;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('holds what an auditor asks for, with secrets redacted, and the report names the controls', async () => {
    assert.equal(
      bundle.plan.sha256,
      createHash('sha256')
        .update(await readFile(join(dir, 'DR-PLAN.md')))
        .digest('hex'),
    );
    assert.deepEqual(bundle.where, {
      context: 'dr-runbook-sandbox',
      cluster: 'https://127.0.0.1:6443',
      namespace: 'endpoint-stats-dr-test',
      database: 'localhost:5432/endpoint_stats',
    });
    assert.deepEqual(bundle.run.participants, ['alice', 'bob']);
    assert.equal(bundle.run.kind, 'drill');
    assert.deepEqual(
      bundle.steps.map((s) => [s.number, s.state, s.durationMs]),
      [
        [1, 'skipped', null],
        [2, 'succeeded', 180_000],
        [3, 'manual', null],
      ],
    );
    assert.deepEqual(bundle.objectives.rto, {
      targetMs: 4 * HOUR,
      measuredMs: 301_000,
      outcome: 'met',
      how: 'from the incident start (2026-12-03T10:00:00Z) to the end of the run (2026-12-03T10:05:01Z), as the run record holds them',
    });
    assert.equal(bundle.objectives.rpo.outcome, 'met');
    assert.equal(bundle.objectives.rpo.measuredMs, 31 * 60_000);
    assert.equal(bundle.objectives.rpo.newestRow, '2026-12-03T09:29:00Z');
    assert.deepEqual(bundle.backup, {
      file: DUMP,
      format: 'custom',
      sizeBytes: 44,
      sha256: createHash('sha256').update('not really a dump, but bytes with a checksum').digest('hex'),
      checksumVerified: true,
      takenAt: '2026-12-03T09:30:00Z',
    });
    assert.deepEqual(bundle.gaps, [{ step: 1, title: 'Book a test window', state: 'skipped', why: 'skipped by alice' }]);
    assert.deepEqual(bundle.validations, [
      { name: 'row counts', passed: true, detail: 'public.requests: 5000 rows, as in the backup' },
    ]);
    assert.deepEqual(
      bundle.controls.map((c) => `${c.framework} ${c.id}`),
      [
        'SOC 2 A1.3',
        'ISO/IEC 27001:2022 A.5.30',
        'ISO/IEC 27001:2022 A.8.13',
        'DORA (Regulation (EU) 2022/2554) Art. 11',
        'DORA (Regulation (EU) 2022/2554) Art. 12',
      ],
    );
    assert.ok(bundle.commandLog.some((l) => l.includes('PGPASSWORD=***')));
    assert.ok(!(await readFile(bundlePath, 'utf8')).includes(SECRET));
    assert.equal(bundle.record.lines, 6);
    const report = await readFile(join(dir, bundle.report.file), 'utf8');
    assert.match(report, /## Evidence\n\nThe evidence bundle is `2026-12-03-quarterly-dr-drill-d00d0001\.evidence\.json`/);
    assert.match(report, /- SOC 2 A1\.3 \(Recovery plan testing\)/);
    assert.match(report, /- DORA \(Regulation \(EU\) 2022\/2554\) Art\. 12/);
  });

  it('verifies as written, and against the hash published at the end of the run', async () => {
    const verified = await verifyEvidenceBundle(bundlePath, published);
    assert.deepEqual(verified.problems, []);
    assert.equal(verified.checked.length, 4);
    assert.equal(verified.bundleSha256, published);
  });

  it('fails when the bundle is edited (a better RTO), and names what changed', async () => {
    const forged = { ...bundle, objectives: { ...bundle.objectives, rto: { ...bundle.objectives.rto, measuredMs: 1000 } } };
    await writeFile(bundlePath, JSON.stringify(forged, null, 2));
    const verified = await verifyEvidenceBundle(bundlePath);
    assert.equal(verified.problems.length, 1);
    assert.match(verified.problems[0]!, /^the bundle was changed after it was written/);
  });

  it('fails when a line of the record is edited, and says which', async () => {
    const text = await readFile(journal, 'utf8');
    await writeFile(journal, text.replace('"durationMs":180000', '"durationMs":18000'));
    const verified = await verifyEvidenceBundle(bundlePath);
    assert.deepEqual(verified.problems, [
      `the run record ${bundle.record.file} was tampered with: line 4 was changed, or a line before it was removed or moved`,
    ]);
  });

  it('fails when the record is cut short, or the report is edited, or the record is missing', async () => {
    const lines = (await readFile(journal, 'utf8')).split('\n');
    await writeFile(journal, `${lines.slice(0, 3).join('\n')}\n`);
    assert.match(
      (await verifyEvidenceBundle(bundlePath)).problems.join('\n'),
      /is not the one the bundle pins: 3 lines \(bundle: 6\)/,
    );
    await rm(journal);
    assert.match((await verifyEvidenceBundle(bundlePath)).problems.join('\n'), /the run record .* is not beside the bundle/);
    const reportPath = join(dir, bundle.report.file);
    await writeFile(reportPath, (await readFile(reportPath, 'utf8')).replace('RTO met', 'RTO met easily'));
    assert.match(
      (await verifyEvidenceBundle(bundlePath)).problems.join('\n'),
      /the report .* was changed after the bundle was written/,
    );
  });

  it('fails a consistent forgery only against the published hash', async () => {
    const { bundleSha256: _old, ...content } = { ...bundle, run: { ...bundle.run, startedBy: 'mallory' } };
    const { canonicalJson, sha256Hex } = await import('../../../../src/core/run/hashChain.js');
    await writeFile(bundlePath, JSON.stringify({ ...content, bundleSha256: sha256Hex(canonicalJson(content)) }));
    assert.deepEqual((await verifyEvidenceBundle(bundlePath)).problems, []);
    const against = await verifyEvidenceBundle(bundlePath, published);
    assert.match(against.problems.join('\n'), /the bundle is not the one published/);
  });

  it('says clearly when the file is not a bundle', async () => {
    await writeFile(join(dir, 'x.json'), '{"hello": 1}');
    assert.deepEqual((await verifyEvidenceBundle(join(dir, 'x.json'))).problems, [
      `${join(dir, 'x.json')} is not a dr-runbook evidence bundle, v1.`,
    ]);
    const missing = await verifyEvidenceBundle(join(dir, 'none.json'));
    assert.match(missing.problems[0]!, /none\.json is not a readable evidence bundle: ENOENT/);
  });
});
