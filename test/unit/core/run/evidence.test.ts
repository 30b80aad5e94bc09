import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupWithinRpo, newestBackup, parseBackupMetadata, parseRestoreEvidence } from '../../../../src/core/run/evidence.js';
import { backupMetadata as metadata } from '../../../support/backups.js';

const restoreOutput = [
  'dr-restore: restoring /backups/endpoint_stats_20260304T090000Z.dump',
  'BACKUP file=/backups/endpoint_stats_20260304T090000Z.dump format=custom size=12345 checksum=verified',
  'TABLE public.requests rows=1200',
  'RPO-EVIDENCE newest_row=2026-03-04T08:59:58Z rows=1200',
  'dr-restore: checks passed and statistics gathered',
  'RESTORE-OK database=endpoint_stats previous=endpoint_stats_before_20260304T101500Z',
].join('\n');

describe('parseRestoreEvidence', () => {
  it('reads the RPO-EVIDENCE and RESTORE-OK lines', () => {
    assert.deepEqual(parseRestoreEvidence(restoreOutput), {
      rpo: { newestRow: '2026-03-04T08:59:58Z', rows: 1200 },
      restore: { database: 'endpoint_stats', previous: 'endpoint_stats_before_20260304T101500Z' },
    });
  });

  it('reads none and CRLF line ends', () => {
    const out = 'RPO-EVIDENCE newest_row=none rows=0\r\nRESTORE-OK database=endpoint_stats previous=none\r\n';
    assert.deepEqual(parseRestoreEvidence(out), {
      rpo: { newestRow: null, rows: 0 },
      restore: { database: 'endpoint_stats', previous: null },
    });
  });

  it('takes only whole lines: a file name, message or table name ending with a look-alike forges nothing', () => {
    const forged = [
      'BACKUP file=/tmp/x RPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      'dr-restore: ERROR: cannot read /tmp/x RPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      'TABLE public.x RPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      'dr-restore:   psql:<stdin>:3: NOTICE:  RPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      'x\rRPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      'x\u2028RPO-EVIDENCE newest_row=2030-01-01T00:00:00Z rows=5',
      '12:00:01 RESTORE-OK database=endpoint_stats previous=none',
    ].join('\n');
    assert.deepEqual(parseRestoreEvidence(forged), { rpo: undefined, restore: undefined });
  });

  it('finds nothing in a failed restore or a dry run, and ignores look-alikes', () => {
    const failed = 'dr-restore: ERROR: the restored database failed its checks\nDRY-RUN would restore x into a new database y\n';
    assert.deepEqual(parseRestoreEvidence(failed), { rpo: undefined, restore: undefined });
    const lookAlike = 'echo "RPO-EVIDENCE newest_row=$newest rows=${n}"\nRPO-EVIDENCE newest_row=yesterday rows=3\n';
    assert.deepEqual(parseRestoreEvidence(lookAlike), { rpo: undefined, restore: undefined });
  });
});

describe('backup metadata', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-backups-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function backup(stamp: string, started: string, finished: string, newestRow?: string, withDump = true) {
    const name = `endpoint_stats_${stamp}`;
    await writeFile(join(dir, `${name}.json`), metadata(name, started, finished, newestRow));
    if (withDump) await writeFile(join(dir, `${name}.dump`), 'PGDMP');
  }

  it('parses the fields dr-backup.sh writes', () => {
    const m = parseBackupMetadata(
      metadata('endpoint_stats_20260304T090000Z', '2026-03-04T09:00:00Z', '2026-03-04T09:00:03Z', 'none'),
    );
    assert.ok(m.ok);
    assert.equal(m.value.database, 'endpoint_stats');
    assert.equal(m.value.file, 'endpoint_stats_20260304T090000Z.dump');
    assert.equal(m.value.finishedAt, '2026-03-04T09:00:03Z');
    assert.equal(m.value.sizeBytes, 4096);
    assert.equal(m.value.serverVersion, '17.2 (Debian 17.2-1.pgdg120+1)');
    assert.equal(m.value.newestRow, null);
    assert.ok(!parseBackupMetadata('{"database":"x"}').ok);
    assert.ok(!parseBackupMetadata('[').ok);
    const badTime = parseBackupMetadata(metadata('x', 'yesterday', '2026-03-04T09:00:03Z'));
    assert.ok(!badTime.ok);
    assert.match(badTime.error, /started_at/);
  });

  it('finds the newest complete backup and its age from the snapshot time', async () => {
    await backup('20260304T080000Z', '2026-03-04T08:00:00Z', '2026-03-04T08:00:05Z', '2026-03-04T07:59:00Z');
    await backup('20260304T090000Z', '2026-03-04T09:00:00Z', '2026-03-04T09:00:05Z', '2026-03-04T08:59:30Z');
    // Its archive is not there yet: a backup in progress, or one that died.
    await backup('20260304T100000Z', '2026-03-04T10:00:00Z', '2026-03-04T10:00:05Z', undefined, false);
    await writeFile(join(dir, '.endpoint_stats_20260304T110000Z.json.partial'), '{');
    const found = await newestBackup(dir, { now: new Date('2026-03-04T10:30:00Z') });
    assert.ok(found.ok);
    assert.equal(found.value.file, join(dir, 'endpoint_stats_20260304T090000Z.dump'));
    assert.equal(found.value.finishedAt, '2026-03-04T09:00:05Z');
    assert.equal(found.value.newestRow, '2026-03-04T08:59:30Z');
    assert.equal(found.value.ageMs, 90 * 60_000);
    assert.equal(backupWithinRpo(found.value.ageMs, 3_600_000), false);
    assert.equal(backupWithinRpo(found.value.ageMs, 2 * 3_600_000), true);
    assert.equal(backupWithinRpo(found.value.ageMs, undefined), undefined);
  });

  it('skips unreadable metadata when a good backup exists, filters by database', async () => {
    await backup('20260304T090000Z', '2026-03-04T09:00:00Z', '2026-03-04T09:00:05Z');
    const other = await newestBackup(dir, { database: 'other' });
    assert.ok(!other.ok);
    assert.equal(other.error.kind, 'noBackups');
    assert.match(other.error.message, /no complete backup of database other/);
    await writeFile(join(dir, 'broken.json'), 'not json');
    const found = await newestBackup(dir, { now: new Date('2026-03-04T09:10:00Z'), database: 'endpoint_stats' });
    assert.ok(found.ok);
    assert.equal(found.value.newestRow, undefined);
    assert.equal(found.value.ageMs, 10 * 60_000);
    assert.deepEqual(
      found.value.skipped.map((p) => [p.kind, p.path]),
      [['badMetadata', join(dir, 'broken.json')]],
      'the file passed over is named',
    );
  });

  it('says what is wrong: no directory, no backups, only bad metadata', async () => {
    const missing = await newestBackup(join(dir, 'nope'));
    assert.ok(!missing.ok);
    assert.equal(missing.error.kind, 'noDirectory');
    const empty = await newestBackup(dir);
    assert.ok(!empty.ok);
    assert.equal(empty.error.kind, 'noBackups');
    await writeFile(join(dir, 'broken.json'), 'not json');
    const bad = await newestBackup(dir);
    assert.ok(!bad.ok);
    assert.equal(bad.error.kind, 'badMetadata');
    assert.match(bad.error.message, /broken\.json is not backup metadata: not JSON/);
  });
});
