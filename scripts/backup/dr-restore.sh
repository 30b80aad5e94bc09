#!/usr/bin/env bash
# dr-restore.sh: restore the Endpoint Statistics database from a backup without losing anything.
set -euo pipefail
umask 077

readonly EX_OK=0 EX_USAGE=2 EX_TOOLS=3 EX_NOT_FOUND=4 EX_EMPTY=5 EX_CHECKSUM=6 EX_UNREADABLE=7
readonly EX_CONNECT=8 EX_LOCKED=9 EX_RESTORE=10 EX_SANITY=11 EX_SWAP=12

usage() {
  cat <<'USAGE'
Usage: dr-restore.sh [options] [BACKUP]

Restores a PostgreSQL database from a backup, safely:
  1. verifies the backup before touching anything: not empty, its .sha256 checksum file
     (when there is one), and that the archive reads (pg_restore --list; without a checksum
     file the whole archive is read); a plain SQL file must not be truncated and must not
     switch databases or run shell commands;
  2. restores it into a fresh database <name>_restore_<UTC time> (in parallel for
     custom-format archives);
  3. checks the result: expected tables present, exact row counts (equal to those recorded
     at backup time when the backup has a metadata file), no invalid index, and the newest
     row of the RPO column; then ANALYZEs it;
  4. only then swaps it in: in one transaction, after ending the other sessions connected
     to the two databases, renames <name> to <name>_pre_restore_<UTC time> (kept, never
     dropped) and the restored database to <name>.
The live database is never modified or dropped; any failure before step 4 leaves it as it
was and drops the half-restored copy.

BACKUP: a .dump file written by dr-backup.sh (or any pg_dump custom-format archive), or a
plain SQL dump (.sql, or gzip-compressed .sql.gz). Without BACKUP: the newest backup of the
database in the backup directory that passes verification (older ones are tried in turn).

Options:
  -d, --database NAME      database to replace (default: $PGDATABASE, else endpoint_stats)
      --backup-dir DIR     where backups are (default: $DR_BACKUP_DIR, else ./backups;
                           in the cluster: /backups inside the PostgreSQL pod)
  -j, --jobs N             parallel jobs for custom-format archives (default: CPUs, max 8;
                           in the cluster: 2)
      --expect-tables LIST comma-separated tables that must exist after the restore
                           (default: endpoints,requests,endpoint_stats_hourly; "" for none)
      --rpo-column T.C     table.column whose newest value is the RPO evidence
                           (default: requests.requested_at; "" for none)
      --no-owner           do not restore object ownership (restoring as a non-superuser)
      --keep-failed        keep the half-restored database after a failure, for inspection
      --dry-run            verify the backup and print what would be done; change nothing
      --target TARGET      local (default; $DR_TARGET overrides): connect with the standard
                           libpq variables PGHOST, PGPORT, PGUSER, PGPASSFILE or PGPASSWORD;
                           kubernetes: run everything inside the PostgreSQL pod through
                           kubectl exec (a BACKUP path that exists locally is verified here
                           and streamed into the pod; otherwise it is a path in the pod)
  -n, --namespace NS       kubernetes: namespace (default: endpoint-stats)
      --context NAME       kubernetes: kubeconfig context (default: the current one)
      --pod NAME           kubernetes: pod (default: the Running pod labelled
                           app.kubernetes.io/name=postgres)
      --container NAME     kubernetes: container (default: postgres)
      --db-user NAME       kubernetes: database superuser in the pod (default: postgres)
  -h, --help               this text

No password is ever accepted on the command line or printed.

Output: progress lines, and these machine-readable lines:
  BACKUP file=<path> format=<custom|plain|plain-gzip> size=<bytes> checksum=<verified|absent>
  TABLE <schema.table> rows=<n>                 one per table of the restored database
  RPO-EVIDENCE newest_row=<YYYY-MM-DDTHH:MM:SSZ|none> rows=<rows of the RPO table>
  RESTORE-OK database=<name> previous=<name kept, or none>
  DRY-RUN <what would be done>                  with --dry-run instead of the last three

Exit codes:
   0  restored and swapped in (with --dry-run: backup verified, nothing changed)
   1  unexpected error
   2  usage error
   3  a required program is missing (psql, pg_restore, sha256sum, gzip, kubectl)
   4  backup not found (no such file, or no backup in the backup directory)
   5  the backup is empty
   6  the backup does not match its checksum file (corrupt or truncated)
   7  the backup is unreadable or unusable (corrupt, truncated, not a dump, or a plain SQL
      file that connects to another database or runs shell commands)
   8  cannot connect to the server or the pod, or missing privileges
   9  another restore of this database is running
  10  restoring into the fresh database failed (e.g. an SQL error); live database untouched
  11  sanity checks failed on the restored database; live database untouched
  12  the swap failed; live database untouched
USAGE
}

log() { printf 'dr-restore: %s\n' "$*"; }
warn() { printf 'dr-restore: WARNING: %s\n' "$*" >&2; }
die() {
  local code=$1
  shift
  printf 'dr-restore: ERROR: %s\n' "$*" >&2
  exit "$code"
}
oneline() { local s=${1//$'\n'/ | }; printf '%s' "${s:0:2000}"; }

# --- options -------------------------------------------------------------------------------
database="${PGDATABASE:-endpoint_stats}"
backup_dir=""
jobs=""
expect_tables="endpoints,requests,endpoint_stats_hourly"
rpo_column="requests.requested_at"
no_owner=0
keep_failed=0
dry_run=0
target="${DR_TARGET:-local}"
namespace="endpoint-stats"
context=""
pod=""
container="postgres"
db_user="postgres"
backup=""

need_value() { [[ $# -ge 2 && -n ${2-} ]] || die "$EX_USAGE" "option $1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    -d | --database) need_value "$@"; database=$2; shift 2 ;;
    --backup-dir) need_value "$@"; backup_dir=$2; shift 2 ;;
    -j | --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    --expect-tables) [[ $# -ge 2 ]] || die "$EX_USAGE" "option $1 needs a value"; expect_tables=$2; shift 2 ;;
    --rpo-column) [[ $# -ge 2 ]] || die "$EX_USAGE" "option $1 needs a value"; rpo_column=$2; shift 2 ;;
    --no-owner) no_owner=1; shift ;;
    --keep-failed) keep_failed=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    --target) need_value "$@"; target=$2; shift 2 ;;
    -n | --namespace) need_value "$@"; namespace=$2; shift 2 ;;
    --context) need_value "$@"; context=$2; shift 2 ;;
    --pod) need_value "$@"; pod=$2; shift 2 ;;
    --container) need_value "$@"; container=$2; shift 2 ;;
    --db-user) need_value "$@"; db_user=$2; shift 2 ;;
    -h | --help) usage; exit "$EX_OK" ;;
    --) shift; [[ $# -le 1 ]] || die "$EX_USAGE" "only one BACKUP may be given"; backup=${1-}; shift $# ;;
    -*) die "$EX_USAGE" "unknown option: $1 (see --help)" ;;
    *) [[ -z $backup ]] || die "$EX_USAGE" "only one BACKUP may be given"; backup=$1; shift ;;
  esac
done

ident='[A-Za-z_][A-Za-z0-9_]*'
[[ $target == local || $target == kubernetes ]] || die "$EX_USAGE" "--target must be local or kubernetes"
# <name>_pre_restore_<16-character time> must fit PostgreSQL's 63-byte names.
[[ $database =~ ^[A-Za-z_][A-Za-z0-9_-]{0,33}$ ]] ||
  die "$EX_USAGE" "database name '$database' must be a plain identifier (letters, digits, _ and -) of at most 34 characters"
[[ $database != postgres && $database != template0 && $database != template1 ]] ||
  die "$EX_USAGE" "refusing to replace the system database '$database'"
[[ -z $jobs || ($jobs =~ ^[0-9]+$ && $jobs -ge 1 && $jobs -le 64) ]] || die "$EX_USAGE" "--jobs must be a number from 1 to 64"
expected=()
if [[ -n $expect_tables ]]; then
  IFS=',' read -r -a expected <<<"$expect_tables"
  for t in "${expected[@]}"; do
    [[ $t =~ ^(${ident}[.])?${ident}$ ]] || die "$EX_USAGE" "--expect-tables: '$t' is not table or schema.table"
  done
fi
rpo_table="" rpo_col=""
if [[ -n $rpo_column ]]; then
  [[ $rpo_column =~ ^(${ident}[.])?${ident}[.]${ident}$ ]] || die "$EX_USAGE" "--rpo-column must be table.column or schema.table.column"
  rpo_table=${rpo_column%.*}
  rpo_col=${rpo_column##*.}
fi
for v in "$namespace" "$container" "$db_user"; do
  [[ $v =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "$EX_USAGE" "invalid name: $v"
done
[[ -z $pod || $pod =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "$EX_USAGE" "invalid pod name: $pod"

# --- where commands run --------------------------------------------------------------------
kube=(kubectl)
if [[ $target == kubernetes ]]; then
  command -v kubectl >/dev/null || die "$EX_TOOLS" "kubectl not found (needed for --target kubernetes)"
  [[ -z $context ]] || kube+=(--context "$context")
  kube+=(-n "$namespace")
  if [[ -z $pod ]]; then
    pod=$("${kube[@]}" get pods -l app.kubernetes.io/name=postgres --field-selector=status.phase=Running \
      -o 'jsonpath={.items[0].metadata.name}' 2>&1) || die "$EX_CONNECT" "cannot list the PostgreSQL pods in namespace $namespace: $(oneline "$pod")"
    [[ -n $pod ]] || die "$EX_CONNECT" "no Running pod labelled app.kubernetes.io/name=postgres in namespace $namespace"
  fi
  in_db=("${kube[@]}" exec -i "$pod" -c "$container" --)
  psql_base=(psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$db_user")
  pg_restore_user=(-U "$db_user")
  backup_dir=${backup_dir:-/backups}
  jobs=${jobs:-2}
else
  in_db=()
  psql_base=(psql -X -q -A -t -v ON_ERROR_STOP=1)
  pg_restore_user=()
  backup_dir=${backup_dir:-${DR_BACKUP_DIR:-./backups}}
  if [[ -z $jobs ]]; then
    jobs=$(nproc 2>/dev/null || echo 2)
    ((jobs <= 8)) || jobs=8
  fi
fi
for tool in psql pg_restore sha256sum gzip; do
  command -v "$tool" >/dev/null || die "$EX_TOOLS" "$tool not found (Debian packages postgresql-client, coreutils, gzip)"
done

# sql DB [psql options...] < script : run SQL on DB where the database is.
sql() {
  local db=$1
  shift
  "${in_db[@]}" "${psql_base[@]}" -d "$db" "$@"
}
# at_backup CMD... : run a command where the backup file is.
at_backup() {
  if [[ $backup_where == pod ]]; then
    "${in_db[@]}" "$@"
  else
    "$@"
  fi
}

# --- connect -------------------------------------------------------------------------------
conn_out=$(sql postgres <<'SQL' 2>&1
SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user;
SQL
) || die "$EX_CONNECT" "cannot connect to the PostgreSQL server: $(oneline "$conn_out")"
[[ $conn_out == t ]] || die "$EX_CONNECT" "the database user may not create databases (needs CREATEDB or superuser)"

# --- find and verify the backup --------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dr-restore.XXXXXX")
fresh=""       # the database being restored into, while it may need dropping
swapped=0
LOCK_PID=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [[ -n $fresh && $swapped -eq 0 ]]; then
    if ((keep_failed)); then
      warn "kept the half-restored database $fresh (--keep-failed); drop it when done"
    else
      sql postgres -v fresh="$fresh" >/dev/null 2>&1 <<'SQL' || warn "could not drop $fresh; the next restore drops it"
DROP DATABASE IF EXISTS :"fresh" WITH (FORCE);
SQL
    fi
  fi
  if [[ -n $LOCK_PID ]]; then
    local fd=${LOCK[1]-}
    [[ -z $fd ]] || exec {fd}>&-
    wait "$LOCK_PID" 2>/dev/null || true
  fi
  rm -rf -- "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

backup_where=local   # local | pod
format=""            # custom | plain | plain-gzip
checksum=absent      # verified | absent
meta_counts=()       # "schema.table<TAB>rows" recorded at backup time

# verify FILE : sets format/checksum/meta_counts or returns an exit code with VERIFY_ERROR set.
verify() {
  local file=$1 size head expected_sha actual_sha meta tail_text
  VERIFY_ERROR=""
  meta_counts=()
  checksum=absent
  size=$(at_backup stat -L -c %s -- "$file" 2>/dev/null) || { VERIFY_ERROR="cannot read $file"; return "$EX_NOT_FOUND"; }
  BACKUP_SIZE=$size
  ((size > 0)) || { VERIFY_ERROR="$file is empty (0 bytes): not a backup"; return "$EX_EMPTY"; }

  head=$(at_backup head -c 5 -- "$file" | od -An -tx1 | tr -d ' \n')
  case "$head" in
    5047444d50) format=custom ;;   # "PGDMP"
    1f8b*) format=plain-gzip ;;
    *) format=plain ;;
  esac

  if at_backup test -f "$file.sha256"; then
    expected_sha=$(at_backup cat -- "$file.sha256" | awk 'NR == 1 { print tolower($1) }')
    [[ $expected_sha =~ ^[0-9a-f]{64}$ ]] || { VERIFY_ERROR="checksum file $file.sha256 is malformed"; return "$EX_CHECKSUM"; }
    actual_sha=$(at_backup sha256sum -- "$file" | awk '{ print $1 }')
    [[ $actual_sha == "$expected_sha" ]] ||
      { VERIFY_ERROR="$file does not match its checksum file $file.sha256 (sha256 $actual_sha, expected $expected_sha): it is corrupt or truncated"; return "$EX_CHECKSUM"; }
    checksum=verified
  fi

  case "$format" in
    custom)
      local toc
      if ! toc=$(at_backup pg_restore --list -- "$file" 2>&1); then
        VERIFY_ERROR="$file is not a readable pg_dump archive: $(oneline "$toc")"
        return "$EX_UNREADABLE"
      fi
      if [[ $checksum == absent ]]; then
        # Nothing vouches for the data blocks: read (and decompress) the whole archive.
        local readout
        if ! readout=$(at_backup pg_restore -f /dev/null -- "$file" 2>&1); then
          VERIFY_ERROR="$file is corrupt or truncated: $(oneline "$readout")"
          return "$EX_UNREADABLE"
        fi
      fi
      ;;
    plain | plain-gzip)
      local cat_cmd=(cat --)
      if [[ $format == plain-gzip ]]; then
        local gz_err
        gz_err=$(at_backup gzip -t -- "$file" 2>&1) || { VERIFY_ERROR="$file is a corrupt or truncated gzip file: $(oneline "$gz_err")"; return "$EX_UNREADABLE"; }
        cat_cmd=(gzip -dc --)
      fi
      # The first 64 KiB must be text, and a pg_dump file must end with pg_dump's footer.
      { at_backup "${cat_cmd[@]}" "$file" | head -c 65536 >"$tmp/sample"; } 2>/dev/null || true
      local nonprint
      nonprint=$(LC_ALL=C tr -d '\t\n\r\040-\176\200-\377' <"$tmp/sample" | wc -c)
      ((nonprint == 0)) || { VERIFY_ERROR="$file is neither a pg_dump archive nor a plain SQL file"; return "$EX_UNREADABLE"; }
      if awk 'NR <= 20 && /^-- PostgreSQL database dump$/ { found = 1 } END { exit !found }' "$tmp/sample"; then
        if [[ $format == plain ]]; then
          tail_text=$(at_backup tail -c 4096 -- "$file")
        else
          tail_text=$(at_backup gzip -dc -- "$file" | tail -c 4096)
        fi
        grep -q '^-- PostgreSQL database dump complete$' <<<"$tail_text" ||
          { VERIFY_ERROR="$file is truncated: the pg_dump footer '-- PostgreSQL database dump complete' is missing"; return "$EX_UNREADABLE"; }
      else
        warn "$file has no pg_dump header; it is restored as plain SQL, in one transaction"
      fi
      # psql meta-commands outside COPY data could leave the fresh database (\connect) or run
      # programs (\!); pg_dump writes none of them unless made with --create or by pg_dumpall.
      local bad
      bad=$({ at_backup "${cat_cmd[@]}" "$file" | LC_ALL=C awk '
        incopy { if ($0 == "\\.") incopy = 0; next }
        /^COPY .* FROM stdin;$/ { incopy = 1; next }
        /^\\/ && !/^\\(restrict|unrestrict) / { print NR ": " substr($0, 1, 60); exit }
        /^(CREATE|DROP|ALTER) DATABASE / { print NR ": " substr($0, 1, 60); exit }'; } 2>/dev/null || true)
      [[ -z $bad ]] ||
        { VERIFY_ERROR="$file would act outside the database being restored (line $bad); make the dump without --create, with pg_dump rather than pg_dumpall"; return "$EX_UNREADABLE"; }
      ;;
  esac

  meta="${file%.dump}.json"
  if [[ $format == custom && $meta != "$file" ]] && at_backup test -f "$meta"; then
    local meta_text
    meta_text=$(at_backup cat -- "$meta")
    local meta_sha
    meta_sha=$(sed -n 's/^  "sha256": "\([0-9a-f]\{64\}\)",$/\1/p' <<<"$meta_text")
    if [[ -n $meta_sha && $checksum == verified && $meta_sha != "$actual_sha" ]]; then
      VERIFY_ERROR="$file does not match the sha256 in its metadata file $meta"
      return "$EX_CHECKSUM"
    fi
    mapfile -t meta_counts < <(awk '
      /^  "row_counts": \{/ { on = 1; next }
      on && /^  \}/ { on = 0 }
      on { line = $0; sub(/^ +"/, "", line); sub(/",? *$/, "", line); n = split(line, a, "\": "); if (n == 2) { sub(/,$/, "", a[2]); print a[1] "\t" a[2] } }' <<<"$meta_text")
  fi
  return 0
}

declare -a candidates=()
if [[ -n $backup ]]; then
  if [[ $target == kubernetes && ! -e $backup ]]; then
    backup_where=pod
    at_backup test -e "$backup" 2>/dev/null || die "$EX_NOT_FOUND" "backup $backup not found (neither on this machine nor in pod $pod); nothing was changed"
  fi
  [[ $backup_where == pod || -e $backup ]] || die "$EX_NOT_FOUND" "backup $backup not found; nothing was changed"
  at_backup test -f "$backup" || die "$EX_UNREADABLE" "$backup is not a regular file"
  candidates=("$backup")
else
  [[ $target == kubernetes ]] && backup_where=pod
  listing=$(at_backup find "$backup_dir" -maxdepth 1 -type f -name "${database}_????????T??????Z.dump" 2>&1) ||
    die "$EX_NOT_FOUND" "cannot read the backup directory $backup_dir: $(oneline "$listing")"
  mapfile -t candidates < <(LC_ALL=C sort -r <<<"$listing" | sed '/^$/d')
  ((${#candidates[@]} > 0)) || die "$EX_NOT_FOUND" "no backup of database $database (${database}_<time>.dump) in $backup_dir"
fi

chosen=""
last_code=0
for candidate in "${candidates[@]}"; do
  code=0
  verify "$candidate" || code=$?
  if ((code == 0)); then
    chosen=$candidate
    break
  fi
  last_code=$code
  if ((${#candidates[@]} > 1)); then
    warn "skipping $VERIFY_ERROR"
  else
    die "$code" "$VERIFY_ERROR; nothing was changed"
  fi
done
[[ -n $chosen ]] || die "$last_code" "none of the ${#candidates[@]} backups in $backup_dir passed verification; nothing was changed"
if [[ $checksum == absent && $format == custom ]]; then
  warn "$chosen has no .sha256 checksum file; verified by reading the whole archive instead"
elif [[ $checksum == absent ]]; then
  warn "$chosen has no .sha256 checksum file; checked that it is complete, safe SQL instead"
fi
echo "BACKUP file=$chosen format=$format size=$BACKUP_SIZE checksum=$checksum"

# --- plan ----------------------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
fresh_name="${database}_restore_${stamp}"
kept_name="${database}_pre_restore_${stamp}"

live_info=$(sql postgres -F $'\t' -v db="$database" 2>&1 <<'SQL'
SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype
FROM pg_database WHERE datname = :'db';
SQL
) || die "$EX_CONNECT" "cannot read the database list: $(oneline "$live_info")"
live_exists=0
owner="" encoding="" collate="" ctype=""
if [[ -n $live_info ]]; then
  live_exists=1
  IFS=$'\t' read -r owner encoding collate ctype <<<"$live_info"
fi

restore_mode="pg_restore -j $jobs"
[[ $format == custom ]] || restore_mode="psql in one transaction"
if [[ $format == custom && $backup_where == local && $target == kubernetes ]]; then
  restore_mode="pg_restore streamed into pod $pod (one job: a stream cannot be read in parallel)"
fi
if ((dry_run)); then
  echo "DRY-RUN would restore $chosen ($format, $restore_mode) into a new database $fresh_name"
  echo "DRY-RUN would check tables [${expect_tables:-none}], count every table's rows${meta_counts:+ (checked against the backup metadata)} and report the newest ${rpo_column:-row}"
  if ((live_exists)); then
    echo "DRY-RUN would end the sessions connected to $database, rename $database to $kept_name (kept) and $fresh_name to $database"
  else
    echo "DRY-RUN database $database does not exist: would rename $fresh_name to $database"
  fi
  log "dry run: nothing was changed"
  exit "$EX_OK"
fi

# --- one restore at a time -----------------------------------------------------------------
# A session holds an advisory lock for as long as this script runs; it ends (and releases the
# lock) when the script exits, however it exits.
coproc LOCK { "${in_db[@]}" "${psql_base[@]}" -d postgres 2>&1; }
printf '%s\n' "SELECT pg_try_advisory_lock(hashtext('dr-restore'), hashtext('$database'));" >&"${LOCK[1]}"
lock_reply=""
IFS= read -r -t 60 lock_reply <&"${LOCK[0]}" || true
case "$lock_reply" in
  t) ;;
  f) die "$EX_LOCKED" "another restore of database $database is running; nothing was changed" ;;
  *) die "$EX_CONNECT" "could not take the restore lock: $(oneline "$lock_reply")" ;;
esac

# Databases left by a restore that was killed: nobody else can be using them (we hold the lock).
leftovers=$(sql postgres -v pattern="^${database}_restore_[0-9]{8}T[0-9]{6}Z\$" <<'SQL'
SELECT datname FROM pg_database WHERE datname ~ :'pattern' ORDER BY 1;
SQL
)
while IFS= read -r old; do
  [[ -n $old ]] || continue
  log "dropping $old, left by an interrupted restore"
  sql postgres -v old="$old" >/dev/null <<'SQL' || warn "could not drop $old"
DROP DATABASE IF EXISTS :"old" WITH (FORCE);
SQL
done <<<"$leftovers"

while sql postgres -v a="$fresh_name" -v b="$kept_name" <<<"SELECT 1 FROM pg_database WHERE datname IN (:'a', :'b');" | grep -q 1; do
  sleep 1
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  fresh_name="${database}_restore_${stamp}"
  kept_name="${database}_pre_restore_${stamp}"
done

# --- restore into a fresh database ---------------------------------------------------------
started=$SECONDS
create_opts=(-v fresh="$fresh_name")
create_sql='CREATE DATABASE :"fresh" TEMPLATE template0'
if ((live_exists)); then
  create_opts+=(-v owner="$owner" -v enc="$encoding" -v coll="$collate" -v ctype="$ctype")
  create_sql+=" OWNER :\"owner\" ENCODING :'enc' LC_COLLATE :'coll' LC_CTYPE :'ctype'"
fi
fresh=$fresh_name
create_out=$(sql postgres "${create_opts[@]}" <<<"$create_sql;" 2>&1) ||
  die "$EX_RESTORE" "cannot create the database $fresh_name: $(oneline "$create_out"); the live database was not touched"
log "restoring $chosen into $fresh_name ($restore_mode)"

restore_err="$tmp/restore.err"
rc=0
owner_opt=()
((no_owner == 0)) || owner_opt=(--no-owner)
case "$format:$backup_where:$target" in
  custom:pod:* | custom:local:local)
    at_backup pg_restore "${pg_restore_user[@]}" -d "$fresh_name" -j "$jobs" --exit-on-error "${owner_opt[@]}" -- "$chosen" 2>"$restore_err" || rc=$?
    ;;
  custom:local:kubernetes)
    "${in_db[@]}" pg_restore "${pg_restore_user[@]}" -d "$fresh_name" --exit-on-error "${owner_opt[@]}" <"$chosen" 2>"$restore_err" || rc=$?
    ;;
  plain:pod:*)
    at_backup "${psql_base[@]}" --single-transaction -d "$fresh_name" -f "$chosen" >/dev/null 2>"$restore_err" || rc=$?
    ;;
  plain-gzip:pod:*)
    # shellcheck disable=SC2016 # expanded by the shell in the pod
    "${in_db[@]}" sh -c 'f=$1; shift; gzip -dc -- "$f" | psql "$@"' restore "$chosen" "${psql_base[@]:1}" --single-transaction -d "$fresh_name" -f - >/dev/null 2>"$restore_err" || rc=$?
    ;;
  plain:local:*)
    sql "$fresh_name" --single-transaction -f - <"$chosen" >/dev/null 2>"$restore_err" || rc=$?
    ;;
  plain-gzip:local:*)
    gzip -dc -- "$chosen" | sql "$fresh_name" --single-transaction -f - >/dev/null 2>"$restore_err" || rc=$?
    ;;
esac
if ((rc != 0)); then
  errors=$(grep -m 5 -E 'ERROR|FATAL|error' "$restore_err" || head -n 5 "$restore_err")
  die "$EX_RESTORE" "restoring into $fresh_name failed: $(oneline "$errors"); the live database was not touched"
fi
[[ ! -s $restore_err ]] || { log "messages from the restore:"; sed 's/^/  /' "$restore_err"; }
log "restored into $fresh_name in $((SECONDS - started))s"

# --- sanity checks -------------------------------------------------------------------------
failures=()
for t in "${expected[@]}"; do
  present=$(sql "$fresh_name" -v t="$t" <<<"SELECT to_regclass(:'t') IS NOT NULL;") ||
    die "$EX_SANITY" "cannot query $fresh_name"
  [[ $present == t ]] || failures+=("table $t is missing")
done

counts=$(sql "$fresh_name" -F $'\t' 2>&1 <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY n.nspname, c.relname \gexec
SQL
) || die "$EX_SANITY" "counting rows in $fresh_name failed: $(oneline "$counts")"
declare -A restored_rows=()
while IFS=$'\t' read -r table rows; do
  [[ -n $table ]] || continue
  restored_rows[$table]=$rows
  echo "TABLE $table rows=$rows"
done <<<"$counts"
for entry in "${meta_counts[@]}"; do
  table=${entry%%$'\t'*}
  rows=${entry##*$'\t'}
  if [[ -z ${restored_rows[$table]+set} ]]; then
    failures+=("table $table of the backup is missing")
  elif [[ ${restored_rows[$table]} != "$rows" ]]; then
    failures+=("table $table has ${restored_rows[$table]} rows, the backup recorded $rows")
  fi
done

invalid=$(sql "$fresh_name" <<<"SELECT string_agg(indexrelid::regclass::text, ', ') FROM pg_index WHERE NOT indisvalid;")
[[ -z $invalid ]] || failures+=("invalid indexes: $invalid")

rpo_line=""
if [[ -n $rpo_table ]]; then
  rpo_out=$(sql "$fresh_name" -F ' ' -v t="$rpo_table" 2>&1 <<SQL
SELECT to_regclass(:'t') IS NOT NULL AS present \gset
\if :present
SELECT 'newest_row=' || coalesce(to_char(max($rpo_col) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'none'), 'rows=' || count(*) FROM $rpo_table;
\else
SELECT 'absent';
\endif
SQL
  ) || die "$EX_SANITY" "reading $rpo_column in $fresh_name failed: $(oneline "$rpo_out")"
  if [[ $rpo_out == absent ]]; then
    failures+=("table $rpo_table of the RPO column is missing")
  else
    rpo_line="RPO-EVIDENCE $rpo_out"
    [[ $rpo_out != newest_row=none* ]] || warn "$rpo_table is empty: no RPO evidence"
  fi
fi

if ((${#failures[@]} > 0)); then
  for f in "${failures[@]}"; do printf 'dr-restore: check failed: %s\n' "$f" >&2; done
  die "$EX_SANITY" "the restored database failed its checks (${#failures[@]} problems); the live database was not touched"
fi
[[ -z $rpo_line ]] || echo "$rpo_line"

analyze_out=$(sql "$fresh_name" <<<"ANALYZE;" 2>&1) || die "$EX_SANITY" "ANALYZE of $fresh_name failed: $(oneline "$analyze_out")"
log "checks passed and statistics gathered"

# --- swap ----------------------------------------------------------------------------------
# Database-level settings and privileges are not in a pg_dump archive: carry them over.
if ((live_exists)); then
  carry=$(sql postgres -v db="$database" -v fresh="$fresh_name" 2>&1 <<'SQL'
SELECT format('ALTER DATABASE %I SET %I TO %s;', :'fresh', name,
              CASE WHEN name IN ('search_path', 'temp_tablespaces', 'local_preload_libraries', 'session_preload_libraries')
                   THEN value ELSE quote_literal(value) END)
FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS cfg,
     LATERAL (SELECT split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value) AS kv
WHERE d.datname = :'db' AND s.setrole = 0
UNION ALL
SELECT format('GRANT %s ON DATABASE %I TO %s;', a.privilege_type, :'fresh',
              CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
FROM pg_database d, aclexplode(d.datacl) AS a
WHERE d.datname = :'db' AND a.grantee <> d.datdba;
SQL
  ) || die "$EX_SWAP" "cannot read the settings of $database: $(oneline "$carry")"
  if [[ -n $carry ]]; then
    carry_out=$(sql postgres <<<"$carry" 2>&1) || warn "could not copy database settings or privileges: $(oneline "$carry_out")"
  fi
fi

swap_sql=$(
  cat <<'SQL'
BEGIN;
SET LOCAL lock_timeout = '30s';
SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity
WHERE datname IN (:'db', :'fresh') AND pid <> pg_backend_pid() \gset
\if :live
ALTER DATABASE :"db" RENAME TO :"kept";
\endif
ALTER DATABASE :"fresh" RENAME TO :"db";
COMMIT;
\echo ended :ended
SQL
)
swap_out=""
for attempt in 1 2 3 4 5; do
  if swap_out=$(sql postgres -v db="$database" -v fresh="$fresh_name" -v kept="$kept_name" -v live="$live_exists" <<<"$swap_sql" 2>&1); then
    swapped=1
    break
  fi
  warn "swap attempt $attempt failed: $(oneline "$swap_out")"
  sleep "$attempt"
done
((swapped)) || die "$EX_SWAP" "could not swap $fresh_name in: $(oneline "$swap_out"); the live database $database was not touched"
fresh=""
ended=${swap_out##*ended }
log "ended ${ended:-0} session(s) connected to $database"
if ((live_exists)); then
  log "swapped: $database is the restored database; the previous one is kept as $kept_name"
  echo "RESTORE-OK database=$database previous=$kept_name"
else
  log "created $database from the backup"
  echo "RESTORE-OK database=$database previous=none"
fi
exit "$EX_OK"
