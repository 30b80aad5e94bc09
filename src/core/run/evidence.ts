/**
 * Evidence for the RPO: what dr-restore.sh proves in its output, and how old the newest backup
 * written by dr-backup.sh is (its `.json` metadata file beside each `.dump`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathExists } from '../paths.js';
import { err, ok, type Result } from '../result.js';

/** `RPO-EVIDENCE newest_row=<YYYY-MM-DDTHH:MM:SSZ|none> rows=N` */
export interface RpoEvidence {
  /** ISO time of the newest row of the RPO column in the restored database, or null for `none` (empty table). */
  readonly newestRow: string | null;
  readonly rows: number;
}

/** `RESTORE-OK database=<name> previous=<kept name|none>` */
export interface RestoreOk {
  readonly database: string;
  /** The previous database, kept under this name; null when there was none. */
  readonly previous: string | null;
}

/** `BACKUP file=<path> format=<...> size=<bytes> checksum=<verified|absent>`: the backup a restore used. */
export interface BackupUsed {
  readonly file: string;
  readonly format: string;
  readonly sizeBytes: number;
  /** Whether the restore checked the archive against its `.sha256` file before using it. */
  readonly checksumVerified: boolean;
}

export interface RestoreEvidence {
  readonly rpo: RpoEvidence | undefined;
  readonly restore: RestoreOk | undefined;
}

// A whole line, as dr-restore.sh prints it: a file name, an SQL message or a table name that
// ends with a look-alike sits after some prefix on its line, and the script prints no control
// character of theirs, so only the script's own lines match. Lines end at "\n" only (a "\r" or
// U+2028 inside a line starts nothing).
const RPO_LINE = /^RPO-EVIDENCE newest_row=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|none) rows=(\d+)\r?$/;
const RESTORE_LINE = /^RESTORE-OK database=(\S+) previous=(\S+)\r?$/;
const BACKUP_LINE = /^BACKUP file=(\S+) format=(\S+) size=(\d+) checksum=(verified|absent)\r?$/;

/** The restore script's machine-readable lines in `output` (the last of each counts). */
export function parseRestoreEvidence(output: string): RestoreEvidence {
  let rpo: RpoEvidence | undefined;
  let restore: RestoreOk | undefined;
  for (const line of output.split('\n')) {
    const r = RPO_LINE.exec(line);
    if (r) rpo = { newestRow: r[1] === 'none' ? null : r[1]!, rows: Number(r[2]) };
    const o = RESTORE_LINE.exec(line);
    if (o) restore = { database: o[1]!, previous: o[2] === 'none' ? null : o[2]! };
  }
  return { rpo, restore };
}

/** The backup the restore script used, from its `BACKUP` line in `output` (the last one counts). */
export function parseBackupUsed(output: string): BackupUsed | undefined {
  let used: BackupUsed | undefined;
  for (const line of output.split('\n')) {
    const m = BACKUP_LINE.exec(line);
    if (m) used = { file: m[1]!, format: m[2]!, sizeBytes: Number(m[3]), checksumVerified: m[4] === 'verified' };
  }
  return used;
}

/** The fields of dr-backup.sh's metadata file that DR Runbook reads. */
export interface BackupMetadata {
  readonly database: string;
  /** The archive's file name, beside the metadata. */
  readonly file: string;
  /** When the dump's snapshot was taken: data written after it is not in the backup. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly sizeBytes: number | undefined;
  readonly sha256: string | undefined;
  readonly serverVersion: string | undefined;
  /** Newest value of the RPO column in the backup, if the backup recorded one ("none" becomes null). */
  readonly newestRow: string | null | undefined;
}

export type BackupErrorKind = 'noDirectory' | 'unreadable' | 'noBackups' | 'badMetadata';

export interface BackupError {
  readonly kind: BackupErrorKind;
  readonly path: string;
  readonly message: string;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/** Reads the fields of one metadata file's text; a message when it is not dr-backup.sh metadata. */
export function parseBackupMetadata(text: string): Result<BackupMetadata, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('not a JSON object');
  const v = value as Record<string, unknown>;
  for (const key of ['database', 'file', 'started_at', 'finished_at'] as const) {
    if (typeof v[key] !== 'string' || v[key] === '') return err(`"${key}" is missing`);
  }
  for (const key of ['started_at', 'finished_at'] as const) {
    if (!ISO.test(v[key] as string)) return err(`"${key}" is not a UTC time: ${String(v[key])}`);
  }
  const newest = v.newest_row;
  return ok({
    database: v.database as string,
    file: v.file as string,
    startedAt: v.started_at as string,
    finishedAt: v.finished_at as string,
    sizeBytes: typeof v.size_bytes === 'number' ? v.size_bytes : undefined,
    sha256: typeof v.sha256 === 'string' ? v.sha256 : undefined,
    serverVersion: typeof v.server_version === 'string' ? v.server_version : undefined,
    newestRow: typeof newest === 'string' && ISO.test(newest) ? newest : newest === 'none' ? null : undefined,
  });
}

/** The names in a backup directory, or why it cannot be listed. */
export async function readBackupDirectory(dir: string): Promise<Result<string[], BackupError>> {
  try {
    return ok(await readdir(dir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return err({ kind: 'noDirectory', path: dir, message: `The backup directory ${dir} does not exist.` });
    }
    return err({ kind: 'unreadable', path: dir, message: `Cannot list the backup directory ${dir}: ${String(e)}` });
  }
}

export interface NewestBackup {
  /** Path of the archive (`.dump`). */
  readonly file: string;
  /** Path of its metadata (`.json`). */
  readonly metadataFile: string;
  readonly metadata: BackupMetadata;
  readonly finishedAt: string;
  readonly newestRow: string | null | undefined;
  /** Age of the backup's snapshot (its start time) at `now`: the data a restore of it would lose. */
  readonly ageMs: number;
  /** Metadata files passed over because they cannot be read (one of them may be a newer backup). */
  readonly skipped: readonly BackupError[];
}

export interface NewestBackupOptions {
  readonly now?: Date;
  /** Only backups of this database. */
  readonly database?: string;
}

/**
 * The newest complete backup in `dir`, by its finish time. A backup counts only when its archive
 * is there (dr-backup.sh renames the archive last); metadata files that cannot be read are
 * passed over (and listed in `skipped`) unless there is nothing else, then the first problem is
 * the error.
 */
export async function newestBackup(dir: string, options: NewestBackupOptions = {}): Promise<Result<NewestBackup, BackupError>> {
  const now = options.now ?? new Date();
  const listed = await readBackupDirectory(dir);
  if (!listed.ok) return listed;
  const names = listed.value;
  const metaNames = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  let best: Omit<NewestBackup, 'skipped'> | undefined;
  const problems: BackupError[] = [];
  for (const name of metaNames) {
    const metadataFile = join(dir, name);
    let text: string;
    try {
      text = await readFile(metadataFile, 'utf8');
    } catch (e) {
      problems.push({ kind: 'unreadable', path: metadataFile, message: `Cannot read ${metadataFile}: ${String(e)}` });
      continue;
    }
    const meta = parseBackupMetadata(text);
    if (!meta.ok) {
      problems.push({
        kind: 'badMetadata',
        path: metadataFile,
        message: `${metadataFile} is not backup metadata: ${meta.error}.`,
      });
      continue;
    }
    if (options.database !== undefined && meta.value.database !== options.database) continue;
    if (best && Date.parse(meta.value.finishedAt) <= Date.parse(best.finishedAt)) continue;
    const file = join(dir, basename(meta.value.file));
    if (!(await pathExists(file))) continue;
    best = {
      file,
      metadataFile,
      metadata: meta.value,
      finishedAt: meta.value.finishedAt,
      newestRow: meta.value.newestRow,
      ageMs: now.getTime() - Date.parse(meta.value.startedAt),
    };
  }
  if (best) return ok({ ...best, skipped: problems });
  if (problems[0]) return err(problems[0]);
  const of = options.database === undefined ? '' : ` of database ${options.database}`;
  return err({ kind: 'noBackups', path: dir, message: `There is no complete backup${of} in ${dir}.` });
}

/** Whether a backup of this age keeps the RPO; undefined when the plan states no RPO. */
export function backupWithinRpo(ageMs: number, rpoMs: number | undefined): boolean | undefined {
  return rpoMs === undefined ? undefined : ageMs <= rpoMs;
}
