#!/usr/bin/env bash
# dr-backup.sh: verified, checksummed PostgreSQL backup of the Endpoint Statistics database.
# Run by the hourly CronJob (k8s/maintenance/backup-cronjob.yaml) and runnable locally.
# Keep this file and the copy in that CronJob's ConfigMap identical (a unit test checks it).
set -euo pipefail
umask 077

readonly EX_OK=0 EX_USAGE=2 EX_TOOLS=3 EX_DIR=4 EX_CONNECT=8 EX_DUMP=20 EX_VERIFY=21 EX_PRUNE=22

usage() {
  cat <<'USAGE'
Usage: dr-backup.sh [options]

Dumps one PostgreSQL database with pg_dump in custom format (compressed, verifiable with
pg_restore --list, restorable in parallel with pg_restore -j), then writes beside it a
sha256sum checksum file and a small metadata file, and keeps only the newest N backups of
that database. Rows are counted in the same snapshot as the dump, so the restore can
check it got every row back.

Files, named by the UTC start time:
  DIR/<database>_<YYYYMMDDTHHMMSSZ>.dump          the archive (written last: its presence
                                                 means the backup is complete)
  DIR/<database>_<YYYYMMDDTHHMMSSZ>.dump.sha256   "<sha256>  <file name>" (sha256sum -c)
  DIR/<database>_<YYYYMMDDTHHMMSSZ>.json          database, times, duration, size, sha256,
                                                 server and pg_dump versions, row counts,
                                                 newest row of the RPO column

Options:
  -o, --dir DIR          backup directory (default: $DR_BACKUP_DIR, else ./backups)
  -k, --keep N           keep the newest N backups of this database (default: $DR_BACKUP_KEEP,
                         else 48, two days of hourly backups); 0 keeps all
  -d, --database NAME    database to back up (default: $PGDATABASE, else endpoint_stats)
  -Z, --compress LEVEL   pg_dump compression level 0-9 (default 6)
      --rpo-column T.C   table.column whose newest value is recorded as the backup's RPO
                         point (default: public.requests.requested_at; "" for none)
      --dry-run          check the connection and the directory, say what would be done
  -h, --help             this text

Connection: the standard libpq variables PGHOST, PGPORT, PGUSER, PGPASSFILE (or
PGPASSWORD), PGSSLMODE. No password is ever accepted on the command line or printed.

Output: progress lines, then on success one line
  BACKUP-OK file=<path> size=<bytes> sha256=<hex> seconds=<n>

Exit codes:
   0  backup written and verified
   2  usage error
   3  a required program is missing (pg_dump, pg_restore, psql, sha256sum)
   4  the backup directory cannot be created or written
   8  cannot connect to the database
  20  pg_dump failed (nothing is left behind)
  21  the new archive failed verification (removed)
  22  the backup was written but old backups could not be pruned
USAGE
}

log() { printf 'dr-backup: %s\n' "$*"; }
die() {
  local code=$1
  shift
  printf 'dr-backup: ERROR: %s\n' "$*" >&2
  exit "$code"
}

dir="${DR_BACKUP_DIR:-./backups}"
keep="${DR_BACKUP_KEEP:-48}"
database="${PGDATABASE:-endpoint_stats}"
compress=6
rpo_column="public.requests.requested_at"
dry_run=0

need_value() { [[ $# -ge 2 && -n ${2-} ]] || die "$EX_USAGE" "option $1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    -o | --dir) need_value "$@"; dir=$2; shift 2 ;;
    -k | --keep) need_value "$@"; keep=$2; shift 2 ;;
    -d | --database) need_value "$@"; database=$2; shift 2 ;;
    -Z | --compress) need_value "$@"; compress=$2; shift 2 ;;
    --rpo-column) [[ $# -ge 2 ]] || die "$EX_USAGE" "option $1 needs a value"; rpo_column=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit "$EX_OK" ;;
    *) die "$EX_USAGE" "unknown argument: $1 (see --help)" ;;
  esac
done

[[ $keep =~ ^[0-9]+$ ]] || die "$EX_USAGE" "--keep must be a whole number"
[[ $compress =~ ^[0-9]$ ]] || die "$EX_USAGE" "--compress must be 0-9"
[[ $database =~ ^[A-Za-z_][A-Za-z0-9_-]*$ ]] || die "$EX_USAGE" "database name '$database' is not a plain identifier (letters, digits, _ and -)"
if [[ -n $rpo_column ]]; then
  [[ $rpo_column =~ ^([A-Za-z_][A-Za-z0-9_]*[.])?[A-Za-z_][A-Za-z0-9_]*[.][A-Za-z_][A-Za-z0-9_]*$ ]] ||
    die "$EX_USAGE" "--rpo-column must be table.column or schema.table.column"
fi

for tool in pg_dump pg_restore psql sha256sum; do
  command -v "$tool" >/dev/null || die "$EX_TOOLS" "$tool not found (Debian package postgresql-client)"
done

psql_q=(psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$database")

# --- connection and directory -------------------------------------------------------------
server_version=$("${psql_q[@]}" -c 'SHOW server_version' 2>&1) ||
  die "$EX_CONNECT" "cannot connect to database '$database': ${server_version//$'\n'/ }"
pg_dump_version=$(pg_dump --version)

if ((dry_run)); then
  [[ -d $dir || ! -e $dir ]] || die "$EX_DIR" "backup directory $dir is not a directory"
  [[ ! -d $dir || -w $dir ]] || die "$EX_DIR" "backup directory $dir is not writable"
else
  mkdir -p -- "$dir" 2>/dev/null || die "$EX_DIR" "cannot create backup directory $dir"
  probe="$dir/.dr-backup-write-test.$$"
  { : >"$probe" && rm -f -- "$probe"; } 2>/dev/null || die "$EX_DIR" "backup directory $dir is not writable"
fi

rpo_table="" rpo_col=""
if [[ -n $rpo_column ]]; then
  rpo_table=${rpo_column%.*}
  rpo_col=${rpo_column##*.}
  [[ $rpo_table == *.* ]] || rpo_table="public.$rpo_table"
fi

started_epoch=$(date -u +%s)
stamp=$(date -u -d "@$started_epoch" +%Y%m%dT%H%M%SZ)
while [[ -e "$dir/${database}_${stamp}.dump" ]]; do
  sleep 1
  started_epoch=$(date -u +%s)
  stamp=$(date -u -d "@$started_epoch" +%Y%m%dT%H%M%SZ)
done
name="${database}_${stamp}"
final_dump="$dir/$name.dump"

if ((dry_run)); then
  log "dry run: would dump database '$database' (PostgreSQL $server_version) to $final_dump"
  log "dry run: would write $final_dump.sha256 and $dir/$name.json, then keep the newest $keep backups"
  exit "$EX_OK"
fi

partial_dump="$dir/.$name.dump.partial"
partial_sha="$dir/.$name.dump.sha256.partial"
partial_meta="$dir/.$name.json.partial"
close_snapshot_session() {
  local fd=${SNAP[1]-}
  if [[ -n $fd ]]; then
    exec {fd}>&-
  fi
  if [[ -n ${SNAP_PID-} ]]; then
    wait "$SNAP_PID" 2>/dev/null || true
  fi
  unset SNAP_PID
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  rm -f -- "$partial_dump" "$partial_sha" "$partial_meta"
  close_snapshot_session 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of a backup killed before it finished.
find "$dir" -maxdepth 1 -name ".${database}_*.partial" -mmin +120 -delete 2>/dev/null || true

# --- one snapshot for the row counts and the dump -------------------------------------------
# A session exports its snapshot, counts rows in it, and stays open while pg_dump uses it.
coproc SNAP { psql -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 -d "$database" 2>&1; }
read_until_end() {
  local line
  REPLY_LINES=()
  while IFS= read -r -t 600 line <&"${SNAP[0]}"; do
    [[ $line == __DR_END__ ]] && return 0
    REPLY_LINES+=("$line")
  done
  return 1
}
printf '%s\n' 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;' 'SELECT pg_export_snapshot();' '\echo __DR_END__' >&"${SNAP[1]}"
if ! read_until_end || [[ ${#REPLY_LINES[@]} -ne 1 || ! ${REPLY_LINES[0]} =~ ^[0-9A-F-]+$ ]]; then
  die "$EX_CONNECT" "could not open a snapshot on '$database': ${REPLY_LINES[*]-}"
fi
snapshot=${REPLY_LINES[0]}

cat >&"${SNAP[1]}" <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY n.nspname, c.relname \gexec
\echo __DR_END__
SQL
read_until_end || die "$EX_CONNECT" "counting rows failed: ${REPLY_LINES[*]-}"
row_counts=("${REPLY_LINES[@]}")
for line in "${row_counts[@]}"; do
  [[ $line =~ ^[^$'\t']+$'\t'[0-9]+$ ]] || die "$EX_CONNECT" "counting rows failed: $line"
done

newest_row=""
if [[ -n $rpo_table ]]; then
  printf '%s\n' "SELECT CASE WHEN to_regclass('$rpo_table') IS NULL THEN 'absent' END;" '\echo __DR_END__' >&"${SNAP[1]}"
  read_until_end || die "$EX_CONNECT" "reading the RPO column failed: ${REPLY_LINES[*]-}"
  if [[ ${REPLY_LINES[0]-} != absent ]]; then
    printf '%s\n' "SELECT coalesce(to_char(max(${rpo_col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'none') FROM ${rpo_table};" '\echo __DR_END__' >&"${SNAP[1]}"
    if ! read_until_end || [[ ${#REPLY_LINES[@]} -ne 1 ]]; then
      die "$EX_CONNECT" "reading $rpo_column failed: ${REPLY_LINES[*]-}"
    fi
    newest_row=${REPLY_LINES[0]}
  fi
fi

log "dumping database '$database' (PostgreSQL $server_version) to $final_dump"
dump_err=$(pg_dump -Fc -Z "$compress" --snapshot="$snapshot" --lock-wait-timeout=120s \
  -d "$database" -f "$partial_dump" 2>&1) || die "$EX_DUMP" "pg_dump failed: $dump_err"
[[ -z $dump_err ]] || printf '%s\n' "$dump_err" >&2

printf '%s\n' 'COMMIT;' >&"${SNAP[1]}"
close_snapshot_session

# --- verify, checksum, metadata ------------------------------------------------------------
[[ -s $partial_dump ]] || die "$EX_VERIFY" "pg_dump wrote an empty file"
toc_entries=$(pg_restore --list "$partial_dump" 2>&1) || die "$EX_VERIFY" "the new archive is not readable: $toc_entries"
table_data_entries=$(grep -c ' TABLE DATA ' <<<"$toc_entries" || true)

# openssl uses the CPU's SHA instructions (several times faster); sha256sum otherwise.
if command -v openssl >/dev/null 2>&1; then
  sha=$(openssl dgst -sha256 -r -- "$partial_dump")
else
  sha=$(sha256sum -- "$partial_dump")
fi
sha=${sha%% *}
size=$(stat -c %s -- "$partial_dump")
finished_epoch=$(date -u +%s)
duration=$((finished_epoch - started_epoch))

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
{
  printf '{\n'
  printf '  "format_version": 1,\n'
  printf '  "database": %s,\n' "$(json_string "$database")"
  printf '  "file": %s,\n' "$(json_string "$name.dump")"
  printf '  "format": "custom",\n'
  printf '  "compression": %d,\n' "$compress"
  printf '  "started_at": "%s",\n' "$(date -u -d "@$started_epoch" +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "finished_at": "%s",\n' "$(date -u -d "@$finished_epoch" +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "duration_seconds": %d,\n' "$duration"
  printf '  "size_bytes": %d,\n' "$size"
  printf '  "sha256": "%s",\n' "$sha"
  printf '  "server_version": %s,\n' "$(json_string "$server_version")"
  printf '  "pg_dump_version": %s,\n' "$(json_string "$pg_dump_version")"
  printf '  "table_data_entries": %d,\n' "$table_data_entries"
  if [[ -n $newest_row ]]; then
    printf '  "rpo_column": %s,\n' "$(json_string "$rpo_table.$rpo_col")"
    printf '  "newest_row": %s,\n' "$(json_string "$newest_row")"
  fi
  printf '  "row_counts": {'
  sep=""
  for line in "${row_counts[@]}"; do
    printf '%s\n    %s: %s' "$sep" "$(json_string "${line%%$'\t'*}")" "${line##*$'\t'}"
    sep=","
  done
  [[ -z $sep ]] || printf '\n  '
  printf '}\n'
  printf '}\n'
} >"$partial_meta"
printf '%s  %s\n' "$sha" "$name.dump" >"$partial_sha"

# The dump is renamed last: a .dump file in the directory always has its checksum and metadata.
mv -f -- "$partial_sha" "$final_dump.sha256"
mv -f -- "$partial_meta" "$dir/$name.json"
mv -f -- "$partial_dump" "$final_dump"
sync -- "$final_dump" "$final_dump.sha256" "$dir/$name.json" 2>/dev/null || true

log "wrote $final_dump ($size bytes, ${#row_counts[@]} tables, sha256 $sha) in ${duration}s"

# --- retention -----------------------------------------------------------------------------
prune_failed=0
if ((keep > 0)); then
  mapfile -t backups < <(find "$dir" -maxdepth 1 -type f -name "${database}_????????T??????Z.dump" -printf '%f\n' | LC_ALL=C sort -r)
  for ((i = keep; i < ${#backups[@]}; i++)); do
    old="${backups[i]%.dump}"
    [[ $old == "$name" ]] && continue
    if rm -f -- "$dir/$old.dump" "$dir/$old.dump.sha256" "$dir/$old.json"; then
      log "pruned $dir/$old.dump (keeping the newest $keep)"
    else
      prune_failed=1
    fi
  done
fi

echo "BACKUP-OK file=$final_dump size=$size sha256=$sha seconds=$duration"
((prune_failed == 0)) || die "$EX_PRUNE" "the backup was written, but some old backups could not be removed from $dir"
exit "$EX_OK"
