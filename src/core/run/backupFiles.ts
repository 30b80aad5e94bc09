/**
 * The backups in a folder, for the restore's file picker: only what dr-restore.sh restores
 * (pg_dump archives `.dump`, plain SQL `.sql` and `.sql.gz`), never the `.sha256` and `.json`
 * files beside them, newest first, each with its time, size and whether its checksum holds.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ok, type Result } from '../result.js';
import { readBackupDirectory, type BackupError } from './evidence.js';

export type BackupFormat = 'custom' | 'plain' | 'plain-gzip';

export interface BackupFile {
  readonly path: string;
  readonly name: string;
  readonly format: BackupFormat;
  readonly modifiedAt: Date;
  readonly sizeBytes: number;
}

export interface BackupListing {
  /** Newest first. */
  readonly files: readonly BackupFile[];
  /** Backups whose names hold control characters: dr-restore.sh refuses them, so they are not offered. */
  readonly refused: readonly string[];
}

const FORMATS: readonly (readonly [suffix: string, format: BackupFormat])[] = [
  ['.dump', 'custom'],
  ['.sql.gz', 'plain-gzip'],
  ['.sql', 'plain'],
];

/** What dr-restore.sh would restore from a file of this name, or undefined for anything else. */
export function backupFormatOf(name: string): BackupFormat | undefined {
  if (name.startsWith('.')) return undefined;
  return FORMATS.find(([suffix]) => name.endsWith(suffix) && name.length > suffix.length)?.[1];
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The backups in `dir` (regular files only), newest first. */
export async function listBackupFiles(dir: string): Promise<Result<BackupListing, BackupError>> {
  const listed = await readBackupDirectory(dir);
  if (!listed.ok) return listed;
  const names = listed.value;
  const files: BackupFile[] = [];
  const refused: string[] = [];
  for (const name of names) {
    const format = backupFormatOf(name);
    if (format === undefined) continue;
    if (CONTROL.test(name)) {
      refused.push(name);
      continue;
    }
    const path = join(dir, name);
    try {
      const s = await stat(path);
      if (s.isFile()) files.push({ path, name, format, modifiedAt: s.mtime, sizeBytes: s.size });
    } catch {
      // removed meanwhile
    }
  }
  files.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || b.name.localeCompare(a.name));
  return ok({ files, refused });
}

export type ChecksumState = 'verified' | 'mismatch' | 'absent' | 'unreadable';

/**
 * Checks a backup against the `<file>.sha256` beside it (`sha256sum` format, as dr-backup.sh
 * writes it): `absent` when there is none. Reads the whole file; `signal` stops it (rejects).
 */
export async function checkBackupChecksum(file: BackupFile, signal: AbortSignal): Promise<ChecksumState> {
  let expected: string | undefined;
  try {
    expected = (await readFile(`${file.path}.sha256`, { encoding: 'utf8', signal })).trim().split(/\s+/)[0]?.toLowerCase();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    if (signal.aborted) throw e;
    return 'unreadable';
  }
  if (expected === undefined || !/^[0-9a-f]{64}$/.test(expected)) return 'mismatch';
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file.path), hash, { signal });
  } catch (e) {
    if (signal.aborted) throw e;
    return 'unreadable';
  }
  return hash.digest('hex') === expected ? 'verified' : 'mismatch';
}

const SIZE = (unit: string) => new Intl.NumberFormat('en', { style: 'unit', unit, maximumFractionDigits: 1 });
const UNITS: readonly (readonly [bytes: number, format: Intl.NumberFormat])[] = [
  [1e9, SIZE('gigabyte')],
  [1e6, SIZE('megabyte')],
  [1e3, SIZE('kilobyte')],
];

/** A size as people read it: `66.8 kB`, `1.2 GB`, `13 bytes`. */
export function formatSize(bytes: number): string {
  const found = UNITS.find(([u]) => bytes >= u);
  return found ? found[1].format(bytes / found[0]) : `${bytes} bytes`;
}

const CHECKSUM_TEXT: Record<ChecksumState | 'pending', string> = {
  pending: 'checking its checksum…',
  verified: 'checksum verified',
  mismatch: 'CHECKSUM DOES NOT MATCH: corrupt or truncated; dr-restore.sh refuses it',
  absent: 'no .sha256 file: dr-restore.sh reads it whole to check it',
  unreadable: 'its checksum cannot be checked (unreadable)',
};

/** The picker's words for one backup: its name, UTC time and size, and its checksum state. */
export function describeBackupFile(
  file: BackupFile,
  checksum: ChecksumState | 'pending',
): { label: string; description: string; detail: string; failed: boolean } {
  const time = `${file.modifiedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const kind = file.format === 'custom' ? 'pg_dump archive' : file.format === 'plain' ? 'plain SQL' : 'plain SQL, gzip';
  return {
    label: file.name,
    description: `${time} · ${formatSize(file.sizeBytes)} · ${kind}`,
    detail: CHECKSUM_TEXT[checksum],
    failed: checksum === 'mismatch' || checksum === 'unreadable',
  };
}
