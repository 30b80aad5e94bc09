import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startPostgres, type PostgresServer } from '../../../scripts/lib/postgres.ts';
import { createSeededDatabase, query, runScript, scriptEnv, snapshot, tempDir } from './scriptFixture.ts';

const DB = 'endpoint_stats';

describe('dr-backup.sh against a real PostgreSQL server', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  const work = tempDir('dr-backup-test-');
  const backup = (args: string[], extra: NodeJS.ProcessEnv = {}) => runScript('dr-backup.sh', args, scriptEnv(server, DB, extra));

  before(async () => {
    server = await startPostgres();
    await createSeededDatabase(server, DB, 3000);
  });
  after(async () => {
    await server?.stop();
    work.remove();
  });

  it('writes a custom-format archive, a sha256sum file and metadata with snapshot row counts', async () => {
    const dir = join(work.path, 'one');
    const r = await backup(['--dir', dir]);
    assert.equal(r.exitCode, 0, r.all);
    const m = /^BACKUP-OK file=(\S+) size=(\d+) sha256=([0-9a-f]{64}) seconds=(\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [, file, size, sha] = m;
    assert.match(file!, /\/endpoint_stats_\d{8}T\d{6}Z\.dump$/);
    assert.equal(readFileSync(file!).subarray(0, 5).toString(), 'PGDMP');
    assert.equal(statSync(file!).size, Number(size));

    // The checksum file is in sha256sum's format and checks out.
    const check = await execa('sha256sum', ['-c', `${file!.split('/').pop()!}.sha256`], { cwd: dir });
    assert.match(check.stdout, /: OK$/);
    assert.equal(readFileSync(`${file!}.sha256`, 'utf8').split(' ')[0], sha);

    // pg_restore reads its table of contents.
    const toc = await execa('pg_restore', ['--list', file!]);
    assert.match(toc.stdout, /TABLE DATA public requests/);

    const meta = JSON.parse(readFileSync(file!.replace(/\.dump$/, '.json'), 'utf8')) as Record<string, unknown>;
    const live = await snapshot(server, DB);
    assert.equal(meta.database, DB);
    assert.equal(meta.format, 'custom');
    assert.equal(meta.sha256, sha);
    assert.equal(meta.size_bytes, Number(size));
    assert.equal(typeof meta.duration_seconds, 'number');
    assert.match(String(meta.server_version), /^\d+\.\d+/);
    assert.match(String(meta.pg_dump_version), /^pg_dump \(PostgreSQL\) \d+/);
    assert.match(String(meta.started_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(meta.row_counts, live.counts);
    assert.equal(meta.rpo_column, 'public.requests.requested_at');
    const [newest] = await query<{ ts: string }>(
      server,
      DB,
      `SELECT to_char(max(requested_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts FROM requests`,
    );
    assert.equal(meta.newest_row, newest!.ts);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.')),
      [],
      'no partial file left',
    );
  });

  it('keeps only the newest N backups of the database, and nothing else is touched', async () => {
    const dir = join(work.path, 'retention');
    const first = await backup(['--dir', dir]);
    assert.equal(first.exitCode, 0, first.all);
    const real = /file=(\S+)/.exec(first.stdout)![1]!;
    // Older backups of this database, and files that are not ours.
    for (const stamp of ['20200101T000000Z', '20200102T000000Z', '20200103T000000Z']) {
      for (const ext of ['.dump', '.dump.sha256', '.json']) writeFileSync(join(dir, `endpoint_stats_${stamp}${ext}`), 'old');
    }
    writeFileSync(join(dir, 'other_db_20200101T000000Z.dump'), 'other');
    writeFileSync(join(dir, 'notes.txt'), 'mine');

    const r = await backup(['--dir', dir, '--keep', '3']);
    assert.equal(r.exitCode, 0, r.all);
    const newest = /file=(\S+)/.exec(r.stdout)![1]!;
    const left = readdirSync(dir).sort();
    assert.deepEqual(
      left,
      [
        'endpoint_stats_20200103T000000Z.dump',
        'endpoint_stats_20200103T000000Z.dump.sha256',
        'endpoint_stats_20200103T000000Z.json',
        ...[real, newest].flatMap((f) => [f, `${f}.sha256`, f.replace(/\.dump$/, '.json')].map((p) => p.split('/').pop()!)),
        'notes.txt',
        'other_db_20200101T000000Z.dump',
      ].sort(),
    );
    assert.match(r.stdout, /pruned .*endpoint_stats_20200101T000000Z\.dump/);
  });

  it('--dry-run writes nothing', async () => {
    const dir = join(work.path, 'dry');
    const r = await backup(['--dir', dir, '--dry-run']);
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stdout, /dry run: would dump database 'endpoint_stats'/);
    assert.ok(!existsSync(dir), 'not even the directory is created');
  });

  it('fails clearly: exit 8 when it cannot connect, 4 for an unusable directory, 2 for bad options', async () => {
    const dir = join(work.path, 'fail');
    const noServer = await backup(['--dir', dir], { PGPORT: '1' });
    assert.equal(noServer.exitCode, 8, noServer.all);
    assert.match(noServer.stderr, /^dr-backup: ERROR: cannot connect to database 'endpoint_stats'/m);
    const noDb = await backup(['--dir', dir, '--database', 'no_such_db']);
    assert.equal(noDb.exitCode, 8);
    assert.match(noDb.stderr, /database "no_such_db" does not exist/);

    writeFileSync(join(work.path, 'a-file'), '');
    const badDir = await backup(['--dir', join(work.path, 'a-file', 'sub')]);
    assert.equal(badDir.exitCode, 4, badDir.all);
    assert.match(badDir.stderr, /cannot create backup directory/);

    assert.equal((await backup(['--dir', dir, '--keep', 'all'])).exitCode, 2);
    assert.equal((await backup(['--dir', dir, '--database', 'x;y'])).exitCode, 2);
    assert.equal((await backup(['--dir', dir, '--what'])).exitCode, 2);
    assert.ok(!existsSync(dir), 'nothing was created');
  });

  it('--help documents the files and every exit code', async () => {
    const r = await backup(['--help']);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /^Usage: dr-backup\.sh/);
    for (const code of [0, 2, 3, 4, 8, 20, 21, 22])
      assert.match(r.stdout, new RegExp(`^ +${code}  \\S`, 'm'), `exit code ${code}`);
  });
});
