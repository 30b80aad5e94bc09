// Helpers for the tests of scripts/backup/*: run the scripts against a real server, build
// databases, and read them back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { query, type PostgresServer } from '../../../scripts/lib/postgres.ts';

export { query };

export const scriptsDir = resolve(import.meta.dirname, '../../../scripts/backup');

export interface ScriptRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** Every output of every script run, so one test can check that no secret was ever printed. */
export const allOutput: string[] = [];

/** process.env without PG* variables (so nothing from the caller's shell leaks into a run). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG') && !k.startsWith('DR_')) env[k] = v;
  return { ...env, ...extra };
}

export function scriptEnv(server: PostgresServer, database: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({ ...server.env, PGDATABASE: database, ...extra });
}

export async function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptRun> {
  const r = await execa('bash', [join(scriptsDir, script), ...args], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  const run = { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all };
  allOutput.push(run.all);
  return run;
}

/** Starts a script detached in its own process group, so the test can kill the whole group. */
export function startScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): ResultPromise<{ env: NodeJS.ProcessEnv; extendEnv: false; reject: false; all: true; detached: true; stdin: 'ignore' }> {
  return execa('bash', [join(scriptsDir, script), ...args], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
    detached: true,
    stdin: 'ignore',
  });
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function databases(server: PostgresServer): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    server,
    'postgres',
    'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1',
  );
  return rows.map((r) => r.datname);
}

export async function dropDatabasesLike(server: PostgresServer, prefix: string): Promise<void> {
  for (const name of await databases(server)) {
    if (name.startsWith(prefix)) await query(server, 'postgres', `DROP DATABASE "${name}" WITH (FORCE)`);
  }
}

/** Creates `database` with the application schema and `rows` generated requests. */
export async function createSeededDatabase(server: PostgresServer, database: string, rows: number): Promise<void> {
  await query(server, 'postgres', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await query(server, 'postgres', `CREATE DATABASE "${database}"`);
  const r = await runScript('seed.sh', ['--rows', String(rows), '--days', '3'], scriptEnv(server, database));
  if (r.exitCode !== 0) throw new Error(`seed.sh failed: ${r.all}`);
}

export interface Snapshot {
  /** schema.table -> row count */
  counts: Record<string, number>;
  /** schema.table -> md5 of all rows (as text, sorted) */
  checksums: Record<string, string>;
}

/** Row counts and content checksums of every user table of `database`. */
export async function snapshot(server: PostgresServer, database: string): Promise<Snapshot> {
  const tables = await query<{ name: string }>(
    server,
    database,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1`,
  );
  const result: Snapshot = { counts: {}, checksums: {} };
  for (const { name } of tables) {
    const [row] = await query<{ n: string; md5: string | null }>(
      server,
      database,
      `SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS md5 FROM ${name} t`,
    );
    result.counts[name] = Number(row!.n);
    result.checksums[name] = row!.md5 ?? '';
  }
  return result;
}

/** The names of the roles of the server. */
export async function roles(server: PostgresServer): Promise<string[]> {
  const rows = await query<{ rolname: string }>(
    server,
    'postgres',
    "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1",
  );
  return rows.map((r) => r.rolname);
}

/**
 * Writes a marker row into the live `database` and returns a check that nothing of the server
 * changed since: the marker row, every table's rows, the database's OID and catalog entry
 * (name, owner, settings, privileges, connection limit), the list of databases and of roles.
 */
export async function guardLive(server: PostgresServer, database: string): Promise<() => Promise<void>> {
  const marker = `marker-${randomBytes(4).toString('hex')}`;
  await query(server, database, 'INSERT INTO schema_migrations (version) VALUES ($1)', [marker]);
  const entry = async () =>
    query(
      server,
      'postgres',
      `SELECT d.oid::text, d.xmin::text, d.datname, d.datdba::text, d.datconnlimit, d.datallowconn, d.datacl::text,
              (SELECT s.setconfig::text FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings
       FROM pg_database d WHERE d.datname = $1`,
      [database],
    );
  const before = {
    entry: await entry(),
    data: await snapshot(server, database),
    dbs: await databases(server),
    roles: await roles(server),
  };
  return async () => {
    assert.deepEqual(await entry(), before.entry, 'the live database is another one, or its catalog entry changed');
    const rows = await query(server, database, 'SELECT 1 FROM schema_migrations WHERE version = $1', [marker]);
    assert.equal(rows.length, 1, 'the marker row of the live database is gone');
    assert.deepEqual(await snapshot(server, database), before.data, 'the live database changed');
    assert.deepEqual(await databases(server), before.dbs, 'databases were created or dropped');
    assert.deepEqual(await roles(server), before.roles, 'roles were created or dropped');
  };
}

/** The lines of `output` that start with `prefix`. */
export function linesStartingWith(output: string, prefix: string): string[] {
  return output.split('\n').filter((l) => l.startsWith(prefix));
}

/** The command line of every process on this machine, one per line (what `ps -eo args` shows). */
export function commandLines(): string {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // the process ended meanwhile
    }
  }
  return lines.join('\n');
}
