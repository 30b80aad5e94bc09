/**
 * One run at a time per workspace, across windows and processes: a lock file in `.dr-runs/`,
 * created with O_EXCL (`wx`), naming who holds it (pid, host, what runs, since when). The holder
 * touches it every few seconds; a lock whose process is gone (same host) or that nobody touched
 * for `staleMs` is stale and is taken over.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../result.js';

export const lockFileName = 'run.lock';

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** What runs, in words: `"Database failure" (scenario)`. */
  readonly what: string;
  readonly since: string;
  readonly token: string;
}

export interface RunLock {
  readonly holder: LockHolder;
  /** Stops the heartbeat and removes the file if it is still ours. */
  release(): Promise<void>;
}

export interface LockBusy {
  readonly kind: 'busy' | 'unwritable';
  readonly message: string;
  readonly holder?: LockHolder;
}

export interface LockOptions {
  /** A lock untouched for this long is stale (another machine's, or a frozen process). */
  readonly staleMs?: number;
  readonly heartbeatMs?: number;
}

const STALE_MS = 30_000;
const HEARTBEAT_MS = 5_000;

/** Takes the lock of the runs folder `dir` for `what`, at once: busy when another run holds it. */
export async function acquireRunLock(dir: string, what: string, options: LockOptions = {}): Promise<Result<RunLock, LockBusy>> {
  const path = join(dir, lockFileName);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    what,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    return err({ kind: 'unwritable', message: `Cannot create ${dir} for the run lock: ${messageOf(e)}` });
  }
  // Two tries: the second after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      return ok(heldLock(path, holder, options.heartbeatMs ?? HEARTBEAT_MS));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        return err({ kind: 'unwritable', message: `Cannot create the run lock ${path}: ${messageOf(e)}` });
      }
    }
    const other = await readHolder(path);
    if (other === 'gone') continue;
    if (!(await isStale(path, other, options.staleMs ?? STALE_MS))) {
      const who = other ? `${other.what}, process ${other.pid} on ${other.hostname}, since ${other.since}` : 'another run';
      return err({
        kind: 'busy',
        message: `Another DR Runbook run is under way in this workspace (${who}). Finish or cancel it there first; one run, step or cell runs at a time.`,
        ...(other ? { holder: other } : {}),
      });
    }
    // Stale: move it aside (atomic, so two takers cannot both remove a fresh lock) and try again.
    await rename(path, `${path}.stale-${holder.token}`).then(
      () => unlink(`${path}.stale-${holder.token}`),
      () => undefined,
    );
  }
  return err({ kind: 'busy', message: `Another DR Runbook run took the lock ${path} at the same moment; try again.` });
}

function heldLock(path: string, holder: LockHolder, heartbeatMs: number): RunLock {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  let released: Promise<void> | undefined;
  return {
    holder,
    release() {
      released ??= (async () => {
        clearInterval(timer);
        const current = await readHolder(path);
        if (current !== 'gone' && current?.token === holder.token) await unlink(path).catch(() => undefined);
      })();
      return released;
    },
  };
}

/** The holder written in the lock; undefined when it cannot be read (being written), 'gone' when there is no lock. */
async function readHolder(path: string): Promise<LockHolder | undefined | 'gone'> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    return typeof value.pid === 'number' && typeof value.hostname === 'string' && typeof value.token === 'string'
      ? (value as LockHolder)
      : undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
}

async function isStale(path: string, holder: LockHolder | undefined, staleMs: number): Promise<boolean> {
  if (holder && holder.hostname === hostname() && !processAlive(holder.pid)) return true;
  try {
    return Date.now() - (await stat(path)).mtimeMs > staleMs;
  } catch {
    return true;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
