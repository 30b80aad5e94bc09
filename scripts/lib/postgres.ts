/**
 * A real, throw-away PostgreSQL server for tests and benchmarks.
 *
 *   const pg = await startPostgres();
 *   try {
 *     await execa('psql', ['-c', 'select 1'], { env: { ...process.env, ...pg.env } });
 *   } finally {
 *     await pg.stop();
 *   }
 *
 * What it does:
 * - finds the server binaries (`PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<v>/bin`,
 *   else `postgres` on PATH; Debian package `postgresql`);
 * - creates a temporary folder, runs `initdb` there and starts `postgres` on a free port of
 *   127.0.0.1 only (never another address), with its Unix socket inside the folder;
 * - when running as root (CI), runs the server as the unprivileged `postgres` system user
 *   (initdb and postgres refuse to run as root) with `setpriv`, the folder chowned to it;
 *   as any other user it runs the server as that user;
 * - TCP connections need the generated password (scram-sha-256); it is written to a
 *   0600 password file (`PGPASSFILE`) and never put on a command line or in the environment;
 *   the socket (only reachable inside the 0700 folder) uses `trust`, like the official image;
 * - `stop()` shuts the server down (fast shutdown, then SIGKILL) and removes the folder. If the
 *   test process exits without calling it, an exit hook kills the server, and the server gets
 *   SIGINT from the kernel if the test process dies (`setpriv --pdeathsig`).
 *
 * `env` holds only PG* variables; merge it over `process.env` for child processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface StartPostgresOptions {
  /** Extra `postgres -c name=value` settings; they override the fast test defaults below. */
  settings?: Record<string, string | number | boolean>;
  /** Superuser name (default `postgres`). */
  user?: string;
  /** Superuser password (default: 24 random bytes, base64url). */
  password?: string;
  /** Folder holding `initdb` and `postgres` (default: see findPostgresBinDir). */
  binDir?: string;
  /** Milliseconds to wait for the server to accept connections (default 30000). */
  startTimeoutMs?: number;
  /**
   * Durable settings (fsync on) instead of the fast test defaults; use for benchmarks that
   * should resemble a production server.
   */
  durable?: boolean;
}

export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** Only for tests that must check the password never leaks; never print it. */
  password: string;
  /** Maintenance database that always exists. */
  database: 'postgres';
  /** Folder holding the Unix socket (connect as `user` without a password through it). */
  socketDir: string;
  dataDir: string;
  binDir: string;
  /** The password file (`host:port:*:user:password`, mode 0600). */
  passFile: string;
  /** PG* variables for child processes: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE, PGSSLMODE. */
  env: NodeJS.ProcessEnv;
  /** Settings for `new pg.Client(...)`. */
  clientConfig(database?: string): pg.ClientConfig;
  /** The server log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

const FAST_SETTINGS: Record<string, string | number | boolean> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: 50,
  shared_buffers: '128MB',
  max_wal_size: '1GB',
  log_min_messages: 'warning',
  log_statement: 'none',
};

const DURABLE_SETTINGS: Record<string, string | number | boolean> = {
  max_connections: 50,
  shared_buffers: '256MB',
  maintenance_work_mem: '256MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  log_min_messages: 'warning',
};

/** Runs one statement on `database` over a connection of its own, and returns the rows. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(
  server: PostgresServer,
  database: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client(server.clientConfig(database));
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Where the PostgreSQL server binaries are. */
export function findPostgresBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== '') return found.replace(/\/postgres$/, '');
  throw new Error('PostgreSQL server binaries not found: install the Debian package "postgresql" or set PG_BIN_DIR');
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Identity {
  uid: number;
  gid: number;
  /** Prefix for commands that must run as the server's user. */
  prefix: string[];
}

function serverIdentity(): Identity {
  const uid = process.getuid?.() ?? -1;
  const pdeath = ['--pdeathsig', 'INT'];
  if (uid !== 0) {
    // setpriv is in util-linux; without it the server simply runs without a parent-death signal.
    const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
    return { uid, gid: process.getgid?.() ?? -1, prefix: hasSetpriv ? ['setpriv', ...pdeath, '--'] : [] };
  }
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error('running as root needs the "postgres" system user (Debian package "postgresql" creates it)');
    return Number(r.stdout.trim());
  };
  const pgUid = id('-u');
  const pgGid = id('-g');
  return {
    uid: pgUid,
    gid: pgGid,
    prefix: ['setpriv', `--reuid=${pgUid}`, `--regid=${pgGid}`, '--clear-groups', ...pdeath, '--'],
  };
}

function run(identity: Identity, cmd: string, args: string[], cwd: string): void {
  const argv = [...identity.prefix, cmd, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', env: serverEnv() });
  if (r.status !== 0) throw new Error(`${cmd} failed (exit ${String(r.status)}): ${r.stderr || r.stdout}`);
}

/** The environment for server processes: no PG* variables of the caller leak in. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C.UTF-8';
  return env;
}

const running = new Set<{ child: ChildProcess; baseDir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const r of running) {
      try {
        r.child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      rmSync(r.baseDir, { recursive: true, force: true });
    }
  });
}

function settingArgs(settings: Record<string, string | number | boolean>): string[] {
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v)}`]);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? findPostgresBinDir();
  const user = options.user ?? 'postgres';
  const password = options.password ?? randomBytes(24).toString('base64url');
  const identity = serverIdentity();
  installExitHook();

  const baseDir = mkdtempSync(join(tmpdir(), 'dr-pg-'));
  const dataDir = join(baseDir, 'data');
  const socketDir = join(baseDir, 'sock');
  const logFile = join(baseDir, 'postgres.log');
  const passFile = join(baseDir, 'pgpass');
  try {
    chmodSync(baseDir, 0o700);
    // The server's user owns the folder; the caller (maybe root) keeps reading it as root.
    chownSync(baseDir, identity.uid, identity.gid);
    const pwFile = join(baseDir, 'initdb.pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    chownSync(pwFile, identity.uid, identity.gid);
    run(
      identity,
      join(binDir, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        user,
        `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ],
      baseDir,
    );
    rmSync(pwFile, { force: true });
    run(identity, 'mkdir', ['-m', '0700', socketDir], baseDir);
  } catch (error) {
    rmSync(baseDir, { recursive: true, force: true });
    throw error;
  }

  const settings = { ...(options.durable === true ? DURABLE_SETTINGS : FAST_SETTINGS), ...options.settings };
  const timeout = options.startTimeoutMs ?? 30_000;

  let lastError = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freeLoopbackPort();
    const logFd = openSync(logFile, 'a');
    const argv = [
      ...identity.prefix,
      join(binDir, 'postgres'),
      '-D',
      dataDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${port}`,
      '-c',
      `unix_socket_directories=${socketDir}`,
      ...settingArgs(settings),
    ];
    const child = spawn(argv[0]!, argv.slice(1), { cwd: baseDir, env: serverEnv(), stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const entry = { child, baseDir };
    running.add(entry);
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        running.delete(entry);
        resolve();
      }),
    );

    const deadline = Date.now() + timeout;
    let ready = false;
    while (!exited && Date.now() < deadline) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user,
        password,
        database: 'postgres',
        connectionTimeoutMillis: 2000,
      });
      try {
        await client.connect();
        await client.query('select 1');
        ready = true;
        break;
      } catch {
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (ready) {
      writeFileSync(passFile, `127.0.0.1:${port}:*:${user}:${password.replace(/[:\\]/g, '\\$&')}\n`, { mode: 0o600 });
      return makeServer({
        child,
        exitedPromise,
        isExited: () => exited,
        port,
        user,
        password,
        baseDir,
        dataDir,
        socketDir,
        binDir,
        logFile,
        passFile,
      });
    }
    lastError = readLog(logFile);
    if (!exited) {
      child.kill('SIGKILL');
      await exitedPromise;
    }
    // A port taken between freeLoopbackPort() and bind() is retried; anything else is fatal.
    if (!/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(lastError)) break;
  }
  rmSync(baseDir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start:\n${lastError}`);
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function makeServer(s: {
  child: ChildProcess;
  exitedPromise: Promise<void>;
  isExited: () => boolean;
  port: number;
  user: string;
  password: string;
  baseDir: string;
  dataDir: string;
  socketDir: string;
  binDir: string;
  logFile: string;
  passFile: string;
}): PostgresServer {
  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: s.port,
    user: s.user,
    password: s.password,
    database: 'postgres',
    socketDir: s.socketDir,
    dataDir: s.dataDir,
    binDir: s.binDir,
    passFile: s.passFile,
    env: {
      PGHOST: '127.0.0.1',
      PGPORT: String(s.port),
      PGUSER: s.user,
      PGDATABASE: 'postgres',
      PGPASSFILE: s.passFile,
      PGSSLMODE: 'disable',
      PGCONNECT_TIMEOUT: '10',
    },
    clientConfig: (database = 'postgres') => ({ host: '127.0.0.1', port: s.port, user: s.user, password: s.password, database }),
    log: () => readLog(s.logFile),
    stop: () => {
      stopping ??= (async () => {
        if (!s.isExited()) {
          s.child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
          const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
          await s.exitedPromise;
          clearTimeout(timer);
        }
        rmSync(s.baseDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
