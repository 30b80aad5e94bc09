// The sandbox's database: the Endpoint Statistics schema with a week of generated traffic, and an
// hourly backup history made by the project's own dr-backup.sh, as the backup CronJob leaves it.
// The backups are taken now and then labelled with the hour they stand for (file names, metadata
// and checksum file alike), and each one holds exactly the traffic up to its label: a restore's
// RPO evidence then reads as it would after a real incident.
import { execFile } from 'node:child_process';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { query, type PostgresServer } from '../lib/postgres.ts';

const execFileAsync = promisify(execFile);

export const DATABASE = 'endpoint_stats';

export interface HistoryOptions {
  /** Requests in the week before the oldest backup (default 50 000). */
  readonly rows?: number;
  /** How many hourly backups (default 4: the newest 10 minutes old, the others an hour apart). */
  readonly backups?: number;
  readonly now?: Date;
}

export interface Backup {
  readonly file: string;
  /** When the backup stands for: the end of the traffic it holds. */
  readonly takenAt: Date;
  readonly rows: number;
}

/** The folder the backup scripts are in. */
export function backupScripts(root: string): string {
  return join(root, 'scripts/backup');
}

/** Runs one of scripts/backup/ against the sandbox database; its output is returned, never printed. */
async function script(root: string, server: PostgresServer, name: string, args: string[], backupDir: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(join(backupScripts(root), name), args, {
      env: { ...process.env, ...server.env, PGDATABASE: DATABASE, DR_BACKUP_DIR: backupDir },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
}

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
const iso = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** Gives the backup dr-backup.sh just wrote the time it stands for: its three files and their contents. */
async function relabel(backupDir: string, takenAt: Date, labelled: Set<string>): Promise<string> {
  const fresh = (await readdir(backupDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.') && !labelled.has(n));
  if (fresh.length !== 1) throw new Error(`expected one new backup in ${backupDir}, found ${fresh.length}`);
  const oldName = fresh[0]!.replace(/\.json$/, '');
  const newName = `${DATABASE}_${stamp(takenAt)}`;
  const meta = JSON.parse(await readFile(join(backupDir, `${oldName}.json`), 'utf8')) as Record<string, unknown>;
  const started = new Date(takenAt.getTime() - Number(meta.duration_seconds ?? 0) * 1000);
  Object.assign(meta, { file: `${newName}.dump`, started_at: iso(started), finished_at: iso(takenAt) });
  await rename(join(backupDir, `${oldName}.dump`), join(backupDir, `${newName}.dump`));
  const sha = (await readFile(join(backupDir, `${oldName}.dump.sha256`), 'utf8')).split(/\s+/)[0];
  await writeFile(join(backupDir, `${newName}.dump.sha256`), `${sha}  ${newName}.dump\n`, { mode: 0o600 });
  await writeFile(join(backupDir, `${newName}.json`), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  await rm(join(backupDir, `${oldName}.json`));
  await rm(join(backupDir, `${oldName}.dump.sha256`));
  labelled.add(`${newName}.json`);
  return join(backupDir, `${newName}.dump`);
}

/**
 * Creates the database, fills it with a week of traffic, and takes the hourly backups; returns
 * them oldest first. Afterwards the database holds the traffic up to `now`.
 */
export async function loadHistory(
  root: string,
  server: PostgresServer,
  backupDir: string,
  options: HistoryOptions = {},
): Promise<Backup[]> {
  const now = options.now ?? new Date();
  const rows = options.rows ?? 50_000;
  const count = options.backups ?? 4;
  const perHour = Math.max(1, Math.round(rows / (7 * 24)));
  const minute = 60_000;
  const labels = Array.from({ length: count }, (_, i) => new Date(now.getTime() - (10 + (count - 1 - i) * 60) * minute));
  await query(server, 'postgres', `CREATE DATABASE ${DATABASE}`);
  const labelled = new Set<string>();
  const backups: Backup[] = [];
  let until: Date | undefined;
  for (const [i, label] of labels.entries()) {
    const args = until
      ? ['--no-schema', '--rows', String(perHour), '--days', ((label.getTime() - until.getTime()) / 86_400_000).toFixed(6)]
      : ['--rows', String(rows), '--days', '7'];
    await script(root, server, 'seed.sh', [...args, '--until', iso(label), '--seed', `0.${i + 1}`], backupDir);
    await script(root, server, 'dr-backup.sh', ['--dir', backupDir, '--keep', '0'], backupDir);
    const file = await relabel(backupDir, label, labelled);
    const [total] = await query<{ n: number }>(server, DATABASE, 'SELECT count(*)::int AS n FROM requests');
    backups.push({ file, takenAt: label, rows: total!.n });
    until = label;
  }
  // The traffic since the newest backup: what an incident now would lose.
  const sinceLast = Math.max(1, Math.round((perHour * (now.getTime() - until!.getTime())) / (60 * minute)));
  await script(
    root,
    server,
    'seed.sh',
    [
      '--no-schema',
      '--rows',
      String(sinceLast),
      '--days',
      ((now.getTime() - until!.getTime()) / 86_400_000).toFixed(6),
      '--until',
      iso(now),
    ],
    backupDir,
  );
  return backups;
}

/** Damages the data as a failing disk would: aggregates gone, a share of the requests lost. */
export async function corruptDatabase(server: PostgresServer): Promise<void> {
  await query(server, DATABASE, 'TRUNCATE endpoint_stats_hourly; DELETE FROM requests WHERE id % 7 = 0');
}

/** The database as a brand-new cluster has it: none. */
export async function dropDatabase(server: PostgresServer): Promise<void> {
  await query(server, 'postgres', `DROP DATABASE ${DATABASE} WITH (FORCE)`);
}
