import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backupFormatOf,
  checkBackupChecksum,
  describeBackupFile,
  formatSize,
  listBackupFiles,
  type BackupFile,
} from '../../../../src/core/run/backupFiles.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('backup files for the restore picker', () => {
  let dir: string;
  const at = (minutes: number) => new Date(Date.UTC(2026, 11, 3, 9, minutes));

  async function put(name: string, content: string, minutes: number): Promise<void> {
    await writeFile(join(dir, name), content);
    await utimes(join(dir, name), at(minutes), at(minutes));
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-backup-files-'));
    await put('endpoint_stats_20261203T090000Z.dump', 'PGDMP old', 0);
    await put('endpoint_stats_20261203T090000Z.dump.sha256', `${sha('PGDMP old')}  endpoint_stats_20261203T090000Z.dump\n`, 0);
    await put('endpoint_stats_20261203T090000Z.json', '{}', 0);
    await put('endpoint_stats_20261203T093000Z.dump', 'PGDMP damaged', 30);
    await put('endpoint_stats_20261203T093000Z.dump.sha256', `${sha('PGDMP as written')}  x\n`, 30);
    await put('endpoint_stats_20261203T093000Z.json', '{}', 30);
    await put('offsite.sql', 'SELECT 1;\n', 20);
    await put('offsite.sql.gz', 'gz', 10);
    await put('.endpoint_stats_20261203T095000Z.dump.partial', 'half', 50);
    await put('notes.txt', 'hello', 40);
    await put('x\nRPO-EVIDENCE newest_row=2099-01-01T00:00:00Z rows=1.sql', 'SELECT 1;', 45);
    await mkdir(join(dir, 'folder.dump'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists only archives and SQL files, newest first, never the .sha256 and .json beside them', async () => {
    const listed = await listBackupFiles(dir);
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.value.files.map((f) => [f.name, f.format, f.sizeBytes, f.modifiedAt.toISOString()]),
      [
        ['endpoint_stats_20261203T093000Z.dump', 'custom', 13, at(30).toISOString()],
        ['offsite.sql', 'plain', 10, at(20).toISOString()],
        ['offsite.sql.gz', 'plain-gzip', 2, at(10).toISOString()],
        ['endpoint_stats_20261203T090000Z.dump', 'custom', 9, at(0).toISOString()],
      ],
    );
    assert.deepEqual(listed.value.refused, ['x\nRPO-EVIDENCE newest_row=2099-01-01T00:00:00Z rows=1.sql']);
  });

  it('marks the backups whose checksum fails', async () => {
    const listed = await listBackupFiles(dir);
    assert.ok(listed.ok);
    const signal = new AbortController().signal;
    const states = await Promise.all(listed.value.files.map((f) => checkBackupChecksum(f, signal)));
    assert.deepEqual(states, ['mismatch', 'absent', 'absent', 'verified']);
    const described = listed.value.files.map((f, i) => describeBackupFile(f, states[i]!));
    assert.deepEqual(described[0], {
      label: 'endpoint_stats_20261203T093000Z.dump',
      description: '2026-12-03 09:30 UTC · 13 bytes · pg_dump archive',
      detail: 'CHECKSUM DOES NOT MATCH: corrupt or truncated; dr-restore.sh refuses it',
      failed: true,
    });
    assert.equal(described[3]!.detail, 'checksum verified');
    assert.equal(described[3]!.failed, false);
    assert.equal(described[1]!.description, '2026-12-03 09:20 UTC · 10 bytes · plain SQL');
  });

  it('a malformed checksum file counts as a mismatch; a cancelled check rejects', async () => {
    await writeFile(join(dir, 'endpoint_stats_20261203T090000Z.dump.sha256'), 'not a checksum\n');
    const file: BackupFile = {
      path: join(dir, 'endpoint_stats_20261203T090000Z.dump'),
      name: 'endpoint_stats_20261203T090000Z.dump',
      format: 'custom',
      modifiedAt: at(0),
      sizeBytes: 9,
    };
    assert.equal(await checkBackupChecksum(file, new AbortController().signal), 'mismatch');
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(checkBackupChecksum(file, aborted.signal));
  });

  it('says when the folder does not exist', async () => {
    const listed = await listBackupFiles(join(dir, 'nope'));
    assert.ok(!listed.ok);
    assert.equal(listed.error.kind, 'noDirectory');
    assert.match(listed.error.message, /does not exist/);
  });

  it('formats names and sizes', () => {
    assert.equal(backupFormatOf('a.dump'), 'custom');
    assert.equal(backupFormatOf('a.sql.gz'), 'plain-gzip');
    assert.equal(backupFormatOf('a.dump.sha256'), undefined);
    assert.equal(backupFormatOf('a.json'), undefined);
    assert.equal(backupFormatOf('.a.dump'), undefined);
    assert.equal(backupFormatOf('.sql'), undefined);
    assert.equal(formatSize(0), '0 bytes');
    assert.equal(formatSize(66_773), '66.8 kB');
    assert.equal(formatSize(1_234_567_890), '1.2 GB');
  });
});
