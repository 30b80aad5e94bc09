// Backups as scripts/backup/dr-backup.sh leaves them in its folder, for the tests that read them:
// `<database>_<stamp>.json` (its metadata, field for field) and `<database>_<stamp>.dump` beside it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The metadata dr-backup.sh writes, field for field. */
export function backupMetadata(name: string, started: string, finished: string, newestRow?: string): string {
  return JSON.stringify(
    {
      format_version: 1,
      database: 'endpoint_stats',
      file: `${name}.dump`,
      format: 'custom',
      compression: 6,
      started_at: started,
      finished_at: finished,
      duration_seconds: 3,
      size_bytes: 4096,
      sha256: 'ab'.repeat(32),
      server_version: '17.2 (Debian 17.2-1.pgdg120+1)',
      pg_dump_version: 'pg_dump (PostgreSQL) 17.2',
      table_data_entries: 2,
      ...(newestRow === undefined ? {} : { rpo_column: 'public.requests.requested_at', newest_row: newestRow }),
      row_counts: { 'public.requests': 1200 },
    },
    null,
    2,
  );
}

/**
 * Writes one backup of endpoint_stats named by its UTC start time, as dr-backup.sh names it;
 * without `withDump` only the metadata (a backup still being written, or one that died).
 */
export async function writeBackup(
  dir: string,
  started: Date,
  options: { readonly seconds?: number; readonly newestRow?: string; readonly withDump?: boolean } = {},
): Promise<string> {
  const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const name = `endpoint_stats_${iso(started).replace(/[-:]/g, '')}`;
  const finished = new Date(started.getTime() + (options.seconds ?? 5) * 1000);
  await writeFile(join(dir, `${name}.json`), backupMetadata(name, iso(started), iso(finished), options.newestRow));
  if (options.withDump ?? true) await writeFile(join(dir, `${name}.dump`), 'PGDMP');
  return join(dir, `${name}.dump`);
}
