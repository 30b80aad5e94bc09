// dr-restore.sh against hostile backups: every case is a file that tries to reach outside the
// fresh database (the live database, other databases, roles, the server's files and programs,
// the shell of the person restoring). Each must be refused (or confined to the fresh copy),
// with the live database checked afterwards and no file created by any payload.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../../scripts/lib/postgres.ts';
import { parseRestoreEvidence } from '../../../src/core/run/evidence.ts';
import { createSeededDatabase, guardLive, query, roles, runScript, scriptEnv, tempDir } from './scriptFixture.ts';

const DB = 'endpoint_stats';
const REFUSED = 13;
const FAILED = 10;
const SANITY = 11;

interface HostileCase {
  readonly name: string;
  /** The file's text; `touch(name)` is a shell command creating a marker file, `marker(name)` its path. */
  readonly sql: (h: Helpers) => string;
  readonly code: number;
  readonly message?: RegExp;
}

interface Helpers {
  /** The good plain dump of the live database (pg_dump, with its own \restrict line). */
  readonly dump: string;
  readonly touch: (name: string) => string;
  readonly marker: (name: string) => string;
  /** The \unrestrict key pg_dump wrote at the end of the dump. */
  readonly dumpKey: string;
  /** A plain dump of another database (with --create: it creates and connects to it). */
  readonly otherCreate: string;
  /** A plain dump of another database (without --create). */
  readonly other: string;
  /** pg_dumpall of the whole server: roles, then every database. */
  readonly all: string;
}

const q = (text: string) => text.replaceAll("'", "''");

const cases: HostileCase[] = [
  {
    name: '\\c to the live database, DROP TABLE requests CASCADE, then a failing statement (the reported case)',
    sql: (h) => `${h.dump}\nSELECT 1; \\c ${DB}\nDROP TABLE requests CASCADE;\nSELECT * FROM no_such_table;\n`,
    code: REFUSED,
    message: /first: line \d+: a psql meta-command \(SELECT 1; \\c endpoint_stats\)/,
  },
  {
    name: '\\connect on a line of its own, then DELETE',
    sql: (h) => `\\connect ${DB}\nDELETE FROM requests;\n${h.dump}`,
    code: REFUSED,
    message: /line 1: a psql meta-command \(\\connect endpoint_stats\)/,
  },
  { name: '\\! at the start of the file', sql: (h) => `\\! ${h.touch('start')}\n${h.dump}`, code: REFUSED },
  { name: '\\! in the middle of a line', sql: (h) => `${h.dump}\nSELECT 1; \\! ${h.touch('mid')}\n`, code: REFUSED },
  { name: '\\! indented', sql: (h) => `${h.dump}\n    \\! ${h.touch('indented')}\n`, code: REFUSED },
  {
    name: '\\! after text that looks like a COPY block',
    sql: (h) => `${h.dump}\nSELECT 'COPY public.x (a) FROM stdin;';\n\\.\n\\! ${h.touch('after-copy')}\n`,
    code: REFUSED,
  },
  {
    name: "\\unrestrict with pg_dump's own key, then \\!",
    sql: (h) => `${h.dump}\n\\unrestrict ${h.dumpKey}\n\\! ${h.touch('unrestrict')}\n`,
    code: REFUSED,
  },
  {
    name: '\\copy ... to program',
    sql: (h) => `${h.dump}\n\\copy (SELECT 1) to program '${q(h.touch('copy-meta'))}'\n`,
    code: REFUSED,
  },
  { name: '\\o into a pipe', sql: (h) => `\\o |${h.touch('pipe')}\n${h.dump}`, code: REFUSED },
  {
    name: '\\setenv and \\gexec',
    sql: (h) => `\\setenv PGDATABASE ${DB}\nSELECT 'DROP TABLE x' \\gexec\n${h.dump}`,
    code: REFUSED,
  },
  { name: '\\i of another file', sql: (h) => `\\i ${h.marker('nothing.sql')}\n${h.dump}`, code: REFUSED },
  {
    name: 'COPY ... TO PROGRAM',
    sql: (h) => `${h.dump}\nCOPY (SELECT 1) TO PROGRAM '${q(h.touch('copy-to'))}';\n`,
    code: REFUSED,
    message: /COPY to or from an external program/,
  },
  {
    name: 'COPY ... FROM PROGRAM',
    sql: (h) => `${h.dump}\nCOPY public.schema_migrations FROM PROGRAM '${q(h.touch('copy-from'))}';\n`,
    code: REFUSED,
  },
  {
    name: 'COPY TO a server file',
    sql: (h) => `${h.dump}\nCOPY public.requests TO '${q(h.marker('copy-file'))}';\n`,
    code: REFUSED,
  },
  {
    name: 'dblink into the live database',
    sql: (h) =>
      `${h.dump}\nSET search_path = public;\nCREATE EXTENSION dblink;\nSELECT dblink_exec('dbname=${DB}', 'DELETE FROM requests');\n`,
    code: REFUSED,
    message: /permission denied to create extension "dblink"/,
  },
  {
    name: 'postgres_fdw',
    sql: (h) => `${h.dump}\nSET search_path = public;\nCREATE EXTENSION postgres_fdw;\n`,
    code: REFUSED,
    message: /permission denied to create extension "postgres_fdw"/,
  },
  {
    name: 'alter database ... rename, in lower case',
    sql: (h) => `${h.dump}\nalter database ${DB} rename to endpoint_stats_gone;\n`,
    code: REFUSED,
    message: /must be owner of database endpoint_stats/,
  },
  {
    name: 'ALTER DATABASE in mixed case',
    sql: (h) => `${h.dump}\nAlTeR DaTaBaSe EnDpOiNt_StAtS SET default_transaction_read_only = on;\n`,
    code: REFUSED,
  },
  {
    name: 'ALTER DATABASE in a DO block (EXECUTE format)',
    sql: (h) => `${h.dump}\nDO $$ BEGIN EXECUTE format('ALTER DATABASE %I WITH CONNECTION LIMIT 0', '${DB}'); END $$;\n`,
    code: REFUSED,
  },
  {
    name: 'DO block running COPY TO PROGRAM',
    sql: (h) => `${h.dump}\nDO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''${q(h.touch('do-block'))}'''; END $$;\n`,
    code: REFUSED,
  },
  // DROP/CREATE DATABASE cannot run in the restore's transaction: PostgreSQL stops them before it
  // even looks at privileges (exit 10), and the role could not do them anyway.
  {
    name: 'DROP DATABASE',
    sql: (h) => `${h.dump}\nDROP DATABASE ${DB};\n`,
    code: FAILED,
    message: /cannot run inside a transaction block/,
  },
  {
    name: 'CREATE DATABASE',
    sql: (h) => `CREATE DATABASE evil;\n${h.dump}`,
    code: FAILED,
    message: /cannot run inside a transaction block/,
  },
  {
    name: 'ALTER ROLE of the superuser',
    sql: (h) => `${h.dump}\nALTER ROLE postgres PASSWORD 'known';\n`,
    code: REFUSED,
  },
  { name: 'ALTER ROLE itself to superuser', sql: (h) => `${h.dump}\nALTER ROLE CURRENT_USER SUPERUSER;\n`, code: REFUSED },
  { name: 'SET ROLE', sql: (h) => `SET ROLE postgres;\n${h.dump}`, code: REFUSED, message: /permission denied to set role/ },
  {
    name: 'SET SESSION AUTHORIZATION',
    sql: (h) => `SET SESSION AUTHORIZATION postgres;\n${h.dump}`,
    code: REFUSED,
  },
  {
    name: 'GRANT itself the right to run programs',
    sql: (h) => `${h.dump}\nGRANT pg_execute_server_program TO CURRENT_USER;\n`,
    code: REFUSED,
  },
  { name: 'CREATE ROLE', sql: (h) => `${h.dump}\nCREATE ROLE evil SUPERUSER LOGIN;\n`, code: REFUSED },
  {
    name: 'lo_export into a server file',
    sql: (h) => `${h.dump}\nSELECT lo_export(lo_from_bytea(0, 'x'), '${q(h.marker('lo-export'))}');\n`,
    code: REFUSED,
    message: /permission denied for function lo_export/,
  },
  {
    name: 'pg_read_file',
    sql: (h) => `${h.dump}\nSELECT pg_read_file('/etc/passwd');\n`,
    code: REFUSED,
    message: /permission denied for function pg_read_file/,
  },
  { name: 'LOAD of a library', sql: (h) => `${h.dump}\nLOAD 'dblink';\n`, code: REFUSED },
  {
    name: 'a plain dump of another database made with --create (CREATE DATABASE, \\connect)',
    sql: (h) => h.otherCreate,
    code: FAILED,
    message: /cannot run inside a transaction block/,
  },
  {
    name: 'a plain dump of another database: restored into the fresh copy, which then fails its checks',
    sql: (h) => h.other,
    code: SANITY,
    message: /failed its checks/,
  },
  { name: 'pg_dumpall of the whole server', sql: (h) => h.all, code: REFUSED },
  {
    name: 'ending every session of the server',
    sql: (h) => `${h.dump}\nSELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();\n`,
    code: REFUSED,
    message: /must be a superuser to terminate superuser process/,
  },
];

describe('dr-restore.sh against hostile plain SQL backups (real PostgreSQL)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  const work = tempDir('dr-hostile-test-');
  // Payloads try to create files here; the server's user may write here too, so a payload that
  // ran (on this machine or on the server) would leave its file.
  const markers = mkdtempSync(join(tmpdir(), 'dr-hostile-markers-'));
  chmodSync(markers, 0o777);
  const scriptTmp = join(work.path, 'tmp');
  let helpers: Helpers;
  const env = () => scriptEnv(server, DB, { TMPDIR: scriptTmp });

  before(async () => {
    mkdirSync(scriptTmp, { recursive: true });
    server = await startPostgres();
    await createSeededDatabase(server, DB, 500);
    await createSeededDatabase(server, 'other_app', 50);
    await query(server, 'other_app', 'ALTER TABLE requests RENAME TO other_requests');
    await query(server, 'other_app', 'DROP TABLE endpoint_stats_hourly');
    const dump = (await execa('pg_dump', ['-Fp', '-d', DB], { env: env(), extendEnv: false })).stdout;
    const dumpKey = /^\\unrestrict (\S+)$/m.exec(dump)?.[1];
    assert.ok(dumpKey, 'pg_dump writes \\restrict and \\unrestrict (pg_dump 13.22, 14.19, 15.14, 16.10, 17.6 or later)');
    const other = (await execa('pg_dump', ['-Fp', '-d', 'other_app'], { env: env(), extendEnv: false })).stdout;
    const otherCreate = (await execa('pg_dump', ['-Fp', '--create', '-d', 'other_app'], { env: env(), extendEnv: false })).stdout;
    const all = (await execa('pg_dumpall', [], { env: env(), extendEnv: false })).stdout;
    helpers = {
      dump,
      dumpKey,
      other,
      otherCreate,
      all,
      touch: (name) => `touch ${join(markers, name)}`,
      marker: (name) => join(markers, name),
    };
  });

  after(async () => {
    await server?.stop();
    work.remove();
    rmSync(markers, { recursive: true, force: true });
  });

  it('the payloads work where nothing confines them (so their marker files prove something)', async () => {
    await execa('psql', ['-X', '-q', '-d', DB, '-c', `\\! ${helpers.touch('control-shell')}`], { env: env(), extendEnv: false });
    // The program reads what COPY writes to it: one that exits first can fail the COPY with a
    // broken pipe, as a loaded CI machine once showed.
    await query(server, DB, `COPY (SELECT 1) TO PROGRAM '${q(`${helpers.touch('control-server')} && cat > /dev/null`)}'`);
    assert.ok(existsSync(helpers.marker('control-shell')), 'a shell payload creates its file');
    assert.ok(existsSync(helpers.marker('control-server')), 'a server payload creates its file');
  });

  cases.forEach((c, i) => {
    it(`${c.name}: exit ${c.code}, live database unchanged, no payload ran`, async () => {
      // Each case starts with no marker, so a failure leaves nothing behind for the next.
      for (const f of readdirSync(markers)) rmSync(join(markers, f));
      const file = join(work.path, `hostile-${i}.sql`);
      writeFileSync(file, c.sql(helpers));
      const check = await guardLive(server, DB);
      const r = await runScript('dr-restore.sh', [file], env());
      assert.equal(r.exitCode, c.code, r.all);
      if (c.message) assert.match(r.stderr, c.message);
      assert.match(
        r.stderr,
        /the live database endpoint_stats was checked: same OID \(\d+\) and catalog entry as when the restore started, not touched/,
      );
      assert.doesNotMatch(r.stdout, /^(RESTORE-OK|RPO-EVIDENCE)/m);
      await check();
      assert.deepEqual(readdirSync(markers), [], 'a payload created a file');
    });
  });

  it('a file that changes the settings and connection limit of its own database is confined: the live database gets none of them', async () => {
    const file = join(work.path, 'own-database.sql');
    writeFileSync(
      file,
      `${helpers.dump}\nDO $$ BEGIN\n  EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database());\n  EXECUTE format('ALTER DATABASE %I WITH CONNECTION LIMIT 0', current_database());\nEND $$;\n`,
    );
    const r = await runScript('dr-restore.sh', [file], env());
    assert.equal(r.exitCode, 0, r.all);
    const [live] = await query<{ datconnlimit: number; settings: string | null }>(
      server,
      'postgres',
      `SELECT d.datconnlimit, (SELECT s.setconfig::text FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings
       FROM pg_database d WHERE d.datname = $1`,
      [DB],
    );
    assert.deepEqual(live, { datconnlimit: -1, settings: null });
    assert.deepEqual(
      (await roles(server)).filter((name) => name.includes('_restorer_')),
      [],
      'the restore role is gone',
    );
  });

  it('the restore role cannot log in to the live database, even with a password the file set', async () => {
    // The file sets a password it knows and commits it, then waits (inside the restore) until the
    // test has tried it.
    const release = `dr_release_${Date.now()}`;
    const check = await guardLive(server, DB);
    const { done, role } = await restoreThatWaits(
      'login',
      release,
      "ALTER ROLE CURRENT_USER PASSWORD 'known-to-the-file';\nCOMMIT;\n",
    );
    const attempts: string[] = [];
    for (const database of [DB, 'postgres', 'other_app', 'template1']) {
      const client = new pg.Client({ ...server.clientConfig(database), user: role, password: 'known-to-the-file' });
      try {
        await client.connect();
        attempts.push(`${database}: connected`);
        await client.end();
      } catch (e) {
        attempts.push(`${database}: ${(e as Error).message}`);
      }
    }
    await query(server, 'postgres', `CREATE ROLE ${release}`);
    const r = await done;
    await query(server, 'postgres', `DROP ROLE ${release}`);
    assert.equal(r.exitCode, 0, r.all);
    for (const a of attempts)
      assert.match(a, /could not access file "dr_restore_role_may_connect_only_to_its_fresh_database"/, a);
    assert.equal((await roles(server)).filter((name) => name.includes('_restorer_')).length, 0);
    // The restore succeeded: the live database is now the restored one; the kept one is the old live one.
    const previous = /previous=(\S+)/.exec(r.stdout)![1]!;
    assert.ok(previous.startsWith(`${DB}_pre_restore_`));
    await assert.rejects(check(), 'the swap did happen');
  });

  /**
   * Starts a restore of the dump, then `extra` SQL, then a wait until a role named `release`
   * exists; resolves once the restore waits, with the restore role's name.
   */
  async function restoreThatWaits(
    name: string,
    release: string,
    extra = '',
  ): Promise<{ done: ReturnType<typeof runScript>; role: string }> {
    const file = join(work.path, `${name}.sql`);
    writeFileSync(
      file,
      `${helpers.dump}\n${extra}DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${release}') LOOP PERFORM pg_sleep(0.05); END LOOP; END $$;\n`,
    );
    const done = runScript('dr-restore.sh', [file], env());
    for (let i = 0; i < 1200; i++) {
      const [row] = await query<{ usename: string }>(
        server,
        'postgres',
        "SELECT usename FROM pg_stat_activity WHERE usename LIKE 'endpoint\\_stats\\_restorer\\_%' AND query LIKE 'DO $$%'",
      );
      if (row) return { done, role: row.usename };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the restore never reached its waiting loop: ${(await done).all}`);
  }

  it('a live database changed by someone else during the restore is not swapped out (exit 14)', async () => {
    const release = `dr_release_${Date.now()}`;
    const check = await guardLive(server, DB);
    const restore = await restoreThatWaits('changed-live', release);
    await query(server, 'postgres', `ALTER DATABASE ${DB} SET work_mem = '8MB'`);
    await query(server, 'postgres', `CREATE ROLE ${release}`);
    const r = await restore.done;
    await query(server, 'postgres', `DROP ROLE ${release}`);
    await query(server, 'postgres', `ALTER DATABASE ${DB} RESET work_mem`);
    assert.equal(r.exitCode, 14, r.all);
    assert.match(r.stderr, /the live database endpoint_stats changed during the restore .* nothing was swapped/);
    assert.doesNotMatch(r.stdout, /^(RESTORE-OK|RPO-EVIDENCE)/m);
    await check();
  });

  it('a psql without \\restrict is refused for plain SQL (exit 3), and an archive still restores', async () => {
    const bin = join(work.path, 'old-psql');
    mkdirSync(bin, { recursive: true });
    const real = (await execa('sh', ['-c', 'command -v psql'])).stdout;
    writeFileSync(
      join(bin, 'psql'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo 'psql (PostgreSQL) 15.13'; exit 0; fi\nexec ${real} "$@"\n`,
    );
    chmodSync(join(bin, 'psql'), 0o755);
    const oldEnv = { ...env(), PATH: `${bin}:${process.env.PATH ?? ''}` };
    const file = join(work.path, 'plain-for-old-psql.sql');
    writeFileSync(file, helpers.dump);
    const check = await guardLive(server, DB);
    const r = await runScript('dr-restore.sh', [file], oldEnv);
    assert.equal(r.exitCode, 3, r.all);
    assert.match(
      r.stderr,
      /psql psql \(PostgreSQL\) 15\.13 cannot keep a plain SQL backup from running psql meta-commands \(it lacks \\restrict\): install psql 13\.22, 14\.19, 15\.14, 16\.10, 17\.6 or later/,
    );
    await check();
    const archive = join(work.path, 'for-old-psql.dump');
    await execa('pg_dump', ['-Fc', '-d', DB, '-f', archive], { env: env(), extendEnv: false });
    const a = await runScript('dr-restore.sh', [archive], oldEnv);
    assert.equal(a.exitCode, 0, a.all);
  });

  describe('RPO evidence that cannot be forged', () => {
    const forged = 'RPO-EVIDENCE newest_row=2099-01-01T00:00:00Z rows=1';

    it('a backup path with a newline is refused before anything is done (exit 2)', async () => {
      const file = join(work.path, `x\n${forged}\n.sql`);
      writeFileSync(file, helpers.dump);
      const check = await guardLive(server, DB);
      const r = await runScript('dr-restore.sh', [file], env());
      assert.equal(r.exitCode, 2, r.all);
      assert.match(r.stderr, /the BACKUP path holds a control character/);
      assert.equal(parseRestoreEvidence(r.all).rpo, undefined);
      await check();
    });

    it('a path ending with a look-alike, a table named like one and a NOTICE saying one forge nothing in a failed restore', async () => {
      const file = join(work.path, `x ${forged}`);
      writeFileSync(
        file,
        `${helpers.dump}\nCREATE TABLE public."t\n${forged}" (a int);\n` +
          `DO $$ BEGIN RAISE NOTICE E'x\\n${forged}'; END $$;\nDROP TABLE public.endpoints CASCADE;\n`,
      );
      const check = await guardLive(server, DB);
      const r = await runScript('dr-restore.sh', [file], env());
      assert.equal(r.exitCode, SANITY, r.all);
      assert.equal(parseRestoreEvidence(r.all).rpo, undefined, r.all);
      assert.doesNotMatch(r.all, /^RPO-EVIDENCE/m);
      await check();
    });

    it('the evidence line is the restored database queried, after the swap', async () => {
      const good = join(work.path, 'good.sql');
      writeFileSync(good, helpers.dump);
      const ok = await runScript('dr-restore.sh', [good], env());
      assert.equal(ok.exitCode, 0, ok.all);
      const [newest] = await query<{ ts: string; n: string }>(
        server,
        DB,
        `SELECT to_char(max(requested_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts, count(*) AS n FROM requests`,
      );
      assert.deepEqual(parseRestoreEvidence(ok.stdout).rpo, { newestRow: newest!.ts, rows: Number(newest!.n) });
      const lines = ok.stdout.trimEnd().split('\n');
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      assert.ok(at(/^dr-restore: ended \d+ session/) < at(/^RPO-EVIDENCE /), 'printed once swapped in');
      assert.ok(at(/^RPO-EVIDENCE /) < at(/^RESTORE-OK /));
    });
  });
});
