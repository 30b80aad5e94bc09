import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../../scripts/lib/postgres.ts';
import {
  allOutput,
  commandLines,
  cleanEnv,
  createSeededDatabase,
  databases,
  guardLive,
  linesStartingWith,
  query,
  runScript,
  scriptEnv,
  snapshot,
  startScript,
  tempDir,
  type Snapshot,
} from './scriptFixture.ts';

const DB = 'endpoint_stats';
// A password nobody would print by chance: every output and the process list are searched for it.
const SECRET = `Dr-Secret-${randomBytes(9).toString('hex')}`;

function flipByte(file: string, at = 0.6): void {
  const bytes = readFileSync(file);
  const i = Math.floor(bytes.length * at);
  bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(file, bytes);
}

function copyBackup(from: string, toDir: string, name: string, withSidecars: boolean): string {
  mkdirSync(toDir, { recursive: true });
  const to = join(toDir, name);
  copyFileSync(from, to);
  if (withSidecars) {
    copyFileSync(`${from}.sha256`, `${to}.sha256`);
    copyFileSync(from.replace(/\.dump$/, '.json'), to.replace(/\.dump$/, '.json'));
  }
  return to;
}

describe('dr-restore.sh against a real PostgreSQL server', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  const work = tempDir('dr-restore-test-');
  const backupDir = join(work.path, 'backups');
  const plainDump = join(work.path, 'offsite.sql');
  let goodBackup = '';
  let atBackup: Snapshot;
  let psSamples: string[] = [];
  let psTimer: NodeJS.Timeout | undefined;

  // The scripts' temporary folders go here, so that even a killed run leaves nothing behind.
  const scriptTmp = join(work.path, 'tmp');
  const env = (extra: NodeJS.ProcessEnv = {}) => scriptEnv(server, DB, { TMPDIR: scriptTmp, ...extra });
  const restore = (args: string[], extra: NodeJS.ProcessEnv = {}) => runScript('dr-restore.sh', args, env(extra));

  const markLive = () => guardLive(server, DB);

  before(async () => {
    mkdirSync(scriptTmp, { recursive: true });
    server = await startPostgres({ password: SECRET });
    // Sample the process list all along: the password must never appear on a command line.
    psTimer = setInterval(() => {
      psSamples.push(commandLines());
    }, 50);
    await createSeededDatabase(server, DB, 5000);
    const r = await runScript('dr-backup.sh', ['--dir', backupDir, '--keep', '10'], env());
    assert.equal(r.exitCode, 0, r.all);
    goodBackup = /^BACKUP-OK file=(\S+)/m.exec(r.stdout)![1]!;
    atBackup = await snapshot(server, DB);
    await execa('pg_dump', ['-Fp', '-d', DB, '-f', plainDump], { env: env(), extendEnv: false });
  });

  after(async () => {
    if (psTimer) clearInterval(psTimer);
    await server?.stop();
    work.remove();
  });

  describe('a good backup', () => {
    it('restores identical row counts and content, prints the RPO evidence and keeps the previous database', async () => {
      // The live database moves on after the backup: rows added and deleted.
      await query(server, DB, "INSERT INTO schema_migrations (version) VALUES ('after-backup')");
      await query(server, DB, 'DELETE FROM requests WHERE id % 7 = 0');
      const changed = await snapshot(server, DB);
      const [newest] = await query<{ ts: string }>(
        server,
        DB,
        `SELECT to_char(max(requested_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts FROM requests`,
      );

      const r = await restore([goodBackup]);
      assert.equal(r.exitCode, 0, r.all);

      assert.deepEqual((await snapshot(server, DB)).counts, atBackup.counts);
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
      assert.deepEqual(linesStartingWith(r.stdout, 'RPO-EVIDENCE'), [
        `RPO-EVIDENCE newest_row=${newest!.ts} rows=${atBackup.counts['public.requests']}`,
      ]);
      assert.match(r.stdout, /^RPO-EVIDENCE newest_row=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ rows=\d+$/m);
      for (const [table, n] of Object.entries(atBackup.counts))
        assert.ok(r.stdout.includes(`TABLE ${table} rows=${n}\n`), `no TABLE line for ${table}`);
      assert.match(r.stdout, /^BACKUP file=\S+ format=custom size=\d+ checksum=verified$/m);

      const ok = linesStartingWith(r.stdout, 'RESTORE-OK');
      assert.equal(ok.length, 1);
      const previous = /^RESTORE-OK database=endpoint_stats previous=(endpoint_stats_pre_restore_\d{8}T\d{6}Z)$/.exec(
        ok[0]!,
      )?.[1];
      assert.ok(previous, ok[0]);
      assert.ok(r.stdout.trimEnd().endsWith(ok[0]!), 'RESTORE-OK is the last line');
      assert.deepEqual(await snapshot(server, previous), changed, 'the previous database is kept as it was');
      assert.deepEqual(
        (await databases(server)).filter((d) => d.includes('_restore_')),
        [previous],
      );
    });

    it('restores twice in a row, keeping both earlier databases', async () => {
      const before = (await databases(server)).filter((d) => d.includes('_pre_restore_'));
      const first = await restore(['--backup-dir', backupDir]);
      assert.equal(first.exitCode, 0, first.all);
      await query(server, DB, "INSERT INTO schema_migrations (version) VALUES ('between-restores')");
      const second = await restore(['--backup-dir', backupDir]);
      assert.equal(second.exitCode, 0, second.all);

      const kept = (await databases(server)).filter((d) => d.includes('_pre_restore_') && !before.includes(d));
      assert.equal(kept.length, 2, `expected two new kept databases, got ${kept.join(', ')}`);
      const [secondPrevious] = kept.filter((d) => second.stdout.includes(`previous=${d}`));
      assert.ok(secondPrevious, 'the second restore names the database it kept');
      assert.equal(
        (await query(server, secondPrevious, "SELECT 1 FROM schema_migrations WHERE version = 'between-restores'")).length,
        1,
      );
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
    });

    it('with no argument takes the newest backup that passes verification', async () => {
      const dir = join(work.path, 'newest-valid');
      copyBackup(goodBackup, dir, 'endpoint_stats_20200101T000000Z.dump', true);
      const broken = copyBackup(goodBackup, dir, 'endpoint_stats_20300101T000000Z.dump', true);
      flipByte(broken);
      const check = await markLive();
      const dry = await restore(['--backup-dir', dir, '--dry-run']);
      assert.equal(dry.exitCode, 0, dry.all);
      await check();
      assert.match(dry.stderr, /skipping .*20300101T000000Z\.dump does not match its checksum file/);
      assert.match(dry.stdout, /^BACKUP file=\S+20200101T000000Z\.dump /m);

      const r = await restore(['--backup-dir', dir]);
      assert.equal(r.exitCode, 0, r.all);
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
    });

    it('--dry-run verifies the backup, says what it would do and changes nothing', async () => {
      const check = await markLive();
      const r = await restore(['--dry-run', goodBackup]);
      assert.equal(r.exitCode, 0, r.all);
      assert.match(
        r.stdout,
        /^DRY-RUN would restore .* into a new database endpoint_stats_restore_\d{8}T\d{6}Z, as a new role endpoint_stats_restorer_\d{8}T\d{6}Z confined to it$/m,
      );
      assert.match(
        r.stdout,
        /^DRY-RUN would check that endpoint_stats is unchanged, end the sessions connected to it, rename endpoint_stats to endpoint_stats_pre_restore_/m,
      );
      assert.doesNotMatch(r.stdout, /RESTORE-OK/);
      await check();
    });

    it('restores a plain .sql dump (the offsite copy of the plan) and a gzip-compressed one', async () => {
      const sql = plainDump;
      const expected = atBackup;
      await query(server, DB, 'DELETE FROM requests');

      const r = await restore([sql]);
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.stdout, /format=plain .*checksum=absent/);
      assert.deepEqual((await snapshot(server, DB)).checksums, expected.checksums);

      await execa('gzip', ['-k', sql]);
      await query(server, DB, 'DELETE FROM requests');
      const gz = await restore([`${sql}.gz`]);
      assert.equal(gz.exitCode, 0, gz.all);
      assert.match(gz.stdout, /format=plain-gzip/);
      assert.deepEqual((await snapshot(server, DB)).checksums, expected.checksums);
    });

    it('ends the sessions connected to the live database before the swap', async () => {
      const client = new pg.Client(server.clientConfig(DB));
      await client.connect();
      client.on('error', () => undefined);
      try {
        await client.query('SELECT 1');
        const r = await restore([goodBackup]);
        assert.equal(r.exitCode, 0, r.all);
        assert.match(r.stdout, /ended 1 session\(s\) connected to endpoint_stats/);
        await assert.rejects(client.query('SELECT 1'));
      } finally {
        await client.end().catch(() => undefined);
      }
    });

    it('creates the database when it does not exist yet (a new cluster)', async () => {
      const r = await restore([goodBackup], { PGDATABASE: 'stats_new' });
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.stdout, /^RESTORE-OK database=stats_new previous=none$/m);
      assert.deepEqual((await snapshot(server, 'stats_new')).checksums, atBackup.checksums);
    });
  });

  describe('a bad backup is refused, and the live database is untouched', () => {
    const cases: { name: string; code: number; message: RegExp; make: (dir: string) => string }[] = [
      {
        name: 'a corrupt archive (one flipped byte) with its checksum file',
        code: 6,
        message: /does not match its checksum file .*corrupt or truncated/,
        make: (dir) => {
          const f = copyBackup(goodBackup, dir, 'endpoint_stats_20240101T000000Z.dump', true);
          flipByte(f);
          return f;
        },
      },
      {
        name: 'a corrupt archive (one flipped byte) without a checksum file',
        code: 7,
        message: /is corrupt or truncated: pg_restore: error: could not uncompress data/,
        make: (dir) => {
          const f = copyBackup(goodBackup, dir, 'offsite.dump', false);
          flipByte(f);
          return f;
        },
      },
      {
        name: 'a truncated archive with its checksum file',
        code: 6,
        message: /does not match its checksum file/,
        make: (dir) => {
          const f = copyBackup(goodBackup, dir, 'endpoint_stats_20240101T000000Z.dump', true);
          truncateSync(f, Math.floor(statSync(f).size / 2));
          return f;
        },
      },
      {
        name: 'a truncated archive without a checksum file',
        code: 7,
        message: /is corrupt or truncated/,
        make: (dir) => {
          const f = copyBackup(goodBackup, dir, 'offsite.dump', false);
          truncateSync(f, Math.floor(statSync(f).size / 2));
          return f;
        },
      },
      {
        name: 'an empty file',
        code: 5,
        message: /is empty \(0 bytes\)/,
        make: (dir) => {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'empty.dump'), '');
          return join(dir, 'empty.dump');
        },
      },
      {
        name: 'an archive whose checksum file disagrees',
        code: 6,
        message: /does not match its checksum file/,
        make: (dir) => {
          const f = copyBackup(goodBackup, dir, 'endpoint_stats_20240101T000000Z.dump', true);
          writeFileSync(`${f}.sha256`, `${'0'.repeat(64)}  endpoint_stats_20240101T000000Z.dump\n`);
          return f;
        },
      },
      {
        name: 'a path that does not exist',
        code: 4,
        message: /not found; nothing was changed/,
        make: (dir) => join(dir, 'no-such-backup.sql'),
      },
      {
        name: 'a plain .sql file with a syntax error',
        code: 10,
        message:
          /syntax error at or near "TABEL".*the live database endpoint_stats was checked: same OID \(\d+\) and catalog entry/,
        make: (dir) => {
          mkdirSync(dir, { recursive: true });
          const f = join(dir, 'broken.sql');
          writeFileSync(f, readFileSync(plainDump, 'utf8').replace('CREATE TABLE', 'CREATE TABEL'));
          return f;
        },
      },
      {
        name: 'a truncated plain .sql file',
        code: 7,
        message: /is truncated: the pg_dump footer/,
        make: (dir) => {
          mkdirSync(dir, { recursive: true });
          const f = join(dir, 'cut.sql');
          const text = readFileSync(plainDump, 'utf8');
          writeFileSync(f, text.slice(0, Math.floor(text.length * 0.7)));
          return f;
        },
      },
      {
        name: 'a file that is not a backup',
        code: 7,
        message: /neither a pg_dump archive nor a plain SQL file/,
        make: (dir) => {
          mkdirSync(dir, { recursive: true });
          const f = join(dir, 'random.bin');
          writeFileSync(f, randomBytes(4096));
          return f;
        },
      },
    ];

    cases.forEach((c, i) => {
      it(`${c.name}: exit ${c.code}`, async () => {
        const file = c.make(join(work.path, `bad-${i}`));
        const check = await markLive();
        const r = await restore([file]);
        assert.equal(r.exitCode, c.code, r.all);
        assert.match(r.stderr, c.message);
        assert.match(r.stderr, /^dr-restore: ERROR: /m);
        assert.doesNotMatch(r.stdout, /RESTORE-OK/);
        await check();
      });
    });

    it('a backup directory with no backup: exit 4', async () => {
      const dir = join(work.path, 'no-backups');
      mkdirSync(dir, { recursive: true });
      const check = await markLive();
      const r = await restore(['--backup-dir', dir]);
      assert.equal(r.exitCode, 4, r.all);
      assert.match(r.stderr, /no backup of database endpoint_stats/);
      await check();
    });

    it('a restore while another one holds the lock: exit 9', async () => {
      const client = new pg.Client(server.clientConfig('postgres'));
      await client.connect();
      try {
        await client.query("SELECT pg_advisory_lock(hashtext('dr-restore'), hashtext($1))", [DB]);
        const check = await markLive();
        const r = await restore([goodBackup]);
        assert.equal(r.exitCode, 9, r.all);
        assert.match(r.stderr, /another restore of database endpoint_stats is running/);
        await check();
      } finally {
        await client.end();
      }
    });

    it('an unreachable server: exit 8; bad options: exit 2', async () => {
      const r = await restore([goodBackup], { PGPORT: '1' });
      assert.equal(r.exitCode, 8, r.all);
      assert.match(r.stderr, /cannot connect to the PostgreSQL server/);
      assert.equal((await restore(['--jobs', 'many'])).exitCode, 2);
      assert.equal((await restore(['--frobnicate'])).exitCode, 2);
      assert.equal((await restore(['a.sql', 'b.sql'])).exitCode, 2);
      assert.equal((await restore([], { PGDATABASE: 'postgres' })).exitCode, 2);
    });

    it('--help documents the usage, the output lines and every exit code', async () => {
      const r = await restore(['--help']);
      assert.equal(r.exitCode, 0);
      for (const text of ['Usage: dr-restore.sh', 'RPO-EVIDENCE newest_row=', 'RESTORE-OK database=', '--dry-run', '--target'])
        assert.ok(r.stdout.includes(text), text);
      for (let code = 0; code <= 14; code++)
        assert.match(r.stdout, new RegExp(`^ +${code}  \\S`, 'm'), `exit code ${code} documented`);
    });
  });

  describe('a restore killed half way', () => {
    const BIG = 'stats_big';
    let bigBackup = '';

    before(async () => {
      await createSeededDatabase(server, BIG, 400_000);
      const r = await runScript('dr-backup.sh', ['--dir', join(work.path, 'big'), '--keep', '2'], scriptEnv(server, BIG));
      assert.equal(r.exitCode, 0, r.all);
      bigBackup = /^BACKUP-OK file=(\S+)/m.exec(r.stdout)![1]!;
    });

    it('leaves the live database intact, and the next restore succeeds', async () => {
      await query(server, BIG, "INSERT INTO schema_migrations (version) VALUES ('marker-kill')");
      const live = await snapshot(server, BIG);

      const child = startScript('dr-restore.sh', [bigBackup, '--jobs', '2'], scriptEnv(server, BIG, { TMPDIR: scriptTmp }));
      // Wait until pg_restore is busy in the fresh database, then kill the whole process group.
      const deadline = Date.now() + 60_000;
      let busy = false;
      while (!busy && Date.now() < deadline) {
        const rows = await query(
          server,
          'postgres',
          "SELECT 1 FROM pg_stat_activity WHERE datname LIKE 'stats\\_big\\_restore\\_%' AND state = 'active' AND query LIKE 'COPY%'",
        );
        busy = rows.length > 0;
        if (!busy) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(busy, 'the restore never reached its COPY phase');
      process.kill(-child.pid!, 'SIGKILL');
      const killed = await child;
      allOutput.push(killed.all ?? '');
      assert.equal(killed.signal, 'SIGKILL');

      assert.deepEqual(await snapshot(server, BIG), live, 'the live database changed');
      assert.equal((await query(server, BIG, "SELECT 1 FROM schema_migrations WHERE version = 'marker-kill'")).length, 1);

      const next = await runScript('dr-restore.sh', [bigBackup], scriptEnv(server, BIG, { TMPDIR: scriptTmp }));
      assert.equal(next.exitCode, 0, next.all);
      assert.match(next.stdout, /dropping stats_big_restore_\d{8}T\d{6}Z, left by an interrupted restore/);
      assert.match(next.stdout, /^RESTORE-OK database=stats_big previous=stats_big_pre_restore_/m);
      const previous = /previous=(\S+)/.exec(next.stdout)![1]!;
      assert.deepEqual(await snapshot(server, previous), live, 'the kept database is the live one from before');
      assert.deepEqual(
        (await databases(server)).filter((d) => d.startsWith('stats_big_restore_')),
        [],
      );
    });
  });

  describe('in the cluster, through the PostgreSQL pod', () => {
    let bin = '';
    let kubectlLog = '';

    before(() => {
      bin = join(work.path, 'fake-bin');
      kubectlLog = join(work.path, 'kubectl.log');
      mkdirSync(bin, { recursive: true });
      // A stand-in for kubectl that runs `exec` commands here, as the pod would: connecting
      // through the server's Unix socket as the superuser without a password (like the
      // official image), with no PG* variables from the caller.
      writeFileSync(
        join(bin, 'kubectl'),
        `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$FAKE_KUBECTL_LOG"
while (($#)); do case "$1" in --context | -n | --namespace) shift 2 ;; *) break ;; esac; done
case "$1" in
  get) printf 'postgres-0' ;;
  exec)
    shift
    while [[ $1 != -- ]]; do shift; done
    shift
    for v in $(compgen -e); do [[ $v != PG* ]] || unset "$v"; done
    export PGHOST="$FAKE_POD_SOCKET" PGPORT="$FAKE_POD_PORT"
    exec "$@" ;;
  *) echo "fake kubectl: unsupported: $*" >&2; exit 1 ;;
esac
`,
      );
      chmodSync(join(bin, 'kubectl'), 0o755);
    });

    const kubeEnv = () =>
      cleanEnv({
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        FAKE_KUBECTL_LOG: kubectlLog,
        FAKE_POD_SOCKET: server.socketDir,
        FAKE_POD_PORT: String(server.port),
        TMPDIR: scriptTmp,
      });

    it('restores the newest backup found in the pod, with kubectl exec and no local connection', async () => {
      writeFileSync(kubectlLog, '');
      const r = await runScript(
        'dr-restore.sh',
        ['--target', 'kubernetes', '--context', 'kind-dr', '--backup-dir', backupDir],
        kubeEnv(),
      );
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.stdout, /^RESTORE-OK database=endpoint_stats previous=endpoint_stats_pre_restore_/m);
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
      const calls = readFileSync(kubectlLog, 'utf8').trim().split('\n');
      assert.ok(
        calls.some((c) => c.startsWith('--context kind-dr -n endpoint-stats get pods -l app.kubernetes.io/name=postgres')),
        calls[0],
      );
      assert.ok(
        calls.some((c) =>
          /^--context kind-dr -n endpoint-stats exec -i postgres-0 -c postgres -- pg_restore -U endpoint_stats_restorer_\S+ -d endpoint_stats_restore_\S+ -j 2 --exit-on-error --no-owner -- \S+\.dump$/.test(
            c,
          ),
        ),
        'parallel pg_restore in the pod, as the confined role',
      );
      assert.ok(calls.every((c) => c.startsWith('--context kind-dr -n endpoint-stats ')));
    });

    it('streams a backup from this machine into the pod (target and context from DR_* variables)', async () => {
      writeFileSync(kubectlLog, '');
      const local = copyBackup(goodBackup, join(work.path, 'laptop'), 'endpoint_stats_20250101T000000Z.dump', true);
      await query(server, DB, 'DELETE FROM requests');
      const r = await runScript('dr-restore.sh', ['--pod', 'postgres-0', local], {
        ...kubeEnv(),
        DR_TARGET: 'kubernetes',
        DR_CONTEXT: 'ctx-from-env',
      });
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.stdout, /streamed into pod postgres-0/);
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
      const calls = readFileSync(kubectlLog, 'utf8');
      assert.match(
        calls,
        /^--context ctx-from-env -n endpoint-stats exec -i postgres-0 -c postgres -- pg_restore -U endpoint_stats_restorer_\S+ -d endpoint_stats_restore_\S+ --exit-on-error --no-owner$/m,
      );
      assert.doesNotMatch(calls, /get pods/);
    });
    it('restores the offsite plain .sql file of the plan into the pod', async () => {
      writeFileSync(kubectlLog, '');
      await query(server, DB, 'DELETE FROM requests');
      const r = await runScript('dr-restore.sh', ['--target', 'kubernetes', plainDump], kubeEnv());
      assert.equal(r.exitCode, 0, r.all);
      assert.match(r.stdout, /^BACKUP file=\S+offsite\.sql format=plain /m);
      assert.deepEqual((await snapshot(server, DB)).checksums, atBackup.checksums);
      assert.match(
        readFileSync(kubectlLog, 'utf8'),
        /exec -i postgres-0 -c postgres -- psql .*--single-transaction -U endpoint_stats_restorer_\S+ -d endpoint_stats_restore_\S+ -f -$/m,
      );
    });
  });

  describe('secrets', () => {
    it('a wrong password fails with exit 8 without showing it', async () => {
      const wrong = `${SECRET}-wrong`;
      const r = await restore([goodBackup], { PGPASSFILE: '/nonexistent', PGPASSWORD: wrong });
      assert.equal(r.exitCode, 8, r.all);
      assert.match(r.stderr, /password authentication failed/);
      assert.ok(!r.all.includes(wrong));
    });

    it('a restore with the password in PGPASSWORD works and prints nothing of it', async () => {
      const r = await restore([goodBackup], { PGPASSFILE: '/nonexistent', PGPASSWORD: SECRET });
      assert.equal(r.exitCode, 0, r.all);
    });

    it('no output of any run, and no command line seen while they ran, contains the password', () => {
      assert.ok(allOutput.length > 20, 'the runs above were recorded');
      assert.ok(psSamples.length > 20, 'the process list was sampled');
      for (const out of allOutput) assert.ok(!out.includes(SECRET), `the password appears in:\n${out}`);
      for (const ps of psSamples) assert.ok(!ps.includes(SECRET), 'the password appears in the process list');
      assert.ok(
        psSamples.some((ps) => ps.includes('pg_restore')),
        'the samples caught a restore running',
      );
      psSamples = [];
    });
  });
});
