#!/usr/bin/env bash
# dr-restore.sh: restore the Endpoint Statistics database from a backup without losing anything.
set -euo pipefail
umask 077

readonly EX_OK=0 EX_USAGE=2 EX_TOOLS=3 EX_NOT_FOUND=4 EX_EMPTY=5 EX_CHECKSUM=6 EX_UNREADABLE=7
readonly EX_CONNECT=8 EX_LOCKED=9 EX_RESTORE=10 EX_SANITY=11 EX_SWAP=12 EX_REFUSED=13 EX_LIVE_CHANGED=14

usage() {
  cat <<'USAGE'
Usage: dr-restore.sh [options] [BACKUP]

Restores a PostgreSQL database from a backup, safely:
  1. verifies the backup before touching anything: not empty, its .sha256 checksum file
     (when there is one), and that the archive reads (pg_restore --list; without a checksum
     file the whole archive is read); a plain SQL file must be text and not truncated;
  2. restores it into a fresh database <name>_restore_<UTC time>, confined: the backup runs
     as a role of its own, <name>_restorer_<UTC time>, that is no superuser, owns only the
     fresh database and can connect to no other one; so PostgreSQL refuses whatever would
     reach outside the fresh database (other databases, roles, extensions such as dblink,
     COPY ... PROGRAM, server files). A plain SQL file runs through psql behind \restrict
     with a random key, so no psql meta-command in it can run (\!, \connect, \copy ...);
     this needs psql 13.22, 14.19, 15.14, 16.10, 17.6 or later;
  3. checks the result, as that role: expected tables present, exact row counts (equal to
     those recorded at backup time when the backup has a metadata file), no invalid index,
     and the newest row of the RPO column; then ANALYZEs it; then hands every object of the
     fresh database to the owner of the live database and drops the role (object owners
     named in the backup are not restored);
  4. only then swaps it in: in one transaction, checks that the live database is still the
     one found at the start (same OID, same catalog entry: name, owner, settings,
     privileges), gives the fresh database the live one's settings and privileges, ends the
     other sessions connected to the two databases, renames <name> to
     <name>_pre_restore_<UTC time> (kept, never dropped) and the restored database to <name>.
The live database is never dropped and its data never changed; any failure before step 4
leaves it as it was, drops the half-restored copy and says what was checked about the live
database.

BACKUP: a .dump file written by dr-backup.sh (or any pg_dump custom-format archive), or a
plain SQL dump (.sql, or gzip-compressed .sql.gz) made by pg_dump without --create (one made
by pg_dumpall or with --create switches databases with \connect, which is refused). Its
path must not hold control characters. Without BACKUP: the newest backup of the database
in the backup directory that passes verification (older ones are tried in turn).

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
      --keep-failed        keep the half-restored database (and its role, which can no
                           longer log in) after a failure, for inspection
      --dry-run            verify the backup and print what would be done; change nothing
      --target TARGET      local (default; $DR_TARGET overrides): connect with the standard
                           libpq variables PGHOST, PGPORT, PGUSER, PGPASSFILE or PGPASSWORD
                           (the restore role logs in the same way, with a one-time password
                           of its own); kubernetes: run everything inside the PostgreSQL pod
                           through kubectl exec (a BACKUP path that exists locally is
                           verified here and streamed into the pod; otherwise it is a path
                           in the pod)
  -n, --namespace NS       kubernetes: namespace (default: $DR_NAMESPACE, else endpoint-stats)
      --context NAME       kubernetes: kubeconfig context (default: $DR_CONTEXT, else the
                           current one)
      --pod NAME           kubernetes: pod (default: the Running pod labelled
                           app.kubernetes.io/name=postgres)
      --container NAME     kubernetes: container (default: postgres)
      --db-user NAME       kubernetes: database superuser in the pod (default: postgres)
  -h, --help               this text

The database user must be a superuser (it creates the confined role). No password is ever
accepted on the command line or printed.

Output: progress lines starting with "dr-restore:" (text from the backup or the server is
printed with control characters replaced by "?"), and these machine-readable lines, each
at the start of a line:
  BACKUP file=<path> format=<custom|plain|plain-gzip> size=<bytes> checksum=<verified|absent>
  TABLE <schema.table> rows=<n>                 one per table of the restored database
  RPO-EVIDENCE newest_row=<YYYY-MM-DDTHH:MM:SSZ|none> rows=<rows of the RPO table>
                                                queried from the restored database; printed
                                                only once it has been swapped in
  RESTORE-OK database=<name> previous=<name kept, or none>
  DRY-RUN <what would be done>                  with --dry-run instead of the last three

Exit codes:
   0  restored and swapped in (with --dry-run: backup verified, nothing changed)
   1  unexpected error
   2  usage error (including a BACKUP path with control characters)
   3  a required program is missing or too old (psql, pg_restore, sha256sum, gzip, kubectl;
      psql without \restrict for a plain SQL backup)
   4  backup not found (no such file, or no backup in the backup directory)
   5  the backup is empty
   6  the backup does not match its checksum file (corrupt or truncated)
   7  the backup is unreadable or unusable (corrupt, truncated, not a dump)
   8  cannot connect to the server or the pod, or missing privileges (not a superuser)
   9  another restore of this database is running
  10  restoring into the fresh database failed (e.g. an SQL error); live database checked
      unchanged
  11  sanity checks failed on the restored database; live database checked unchanged
  12  the swap failed; live database checked unchanged
  13  the backup tried to reach outside its fresh database (a psql meta-command, or a
      statement PostgreSQL refused to the confined role); nothing of it ran; live database
      checked unchanged
  14  the live database changed during the restore (not by this script: another OID, or a
      changed catalog entry); nothing was swapped
USAGE
}

# oneline TEXT: TEXT on one line (newlines shown as " | ", other control characters as "?"),
# at most 2000 characters: nothing printed can start a line of its own or hide what it says.
oneline() {
  local s=${1//$'\n'/ | }
  s=${s//[[:cntrl:]]/?}
  printf '%s' "${s:0:2000}"
}
log() { printf 'dr-restore: %s\n' "$(oneline "$*")"; }
warn() { printf 'dr-restore: WARNING: %s\n' "$(oneline "$*")" >&2; }
die() {
  local code=$1
  shift
  printf 'dr-restore: ERROR: %s\n' "$(oneline "$*")" >&2
  exit "$code"
}
# has_control TEXT: whether TEXT holds a control character (a newline, a carriage return, ...).
has_control() { [[ $1 == *[[:cntrl:]]* ]]; }

# --- options -------------------------------------------------------------------------------
database="${PGDATABASE:-endpoint_stats}"
backup_dir=""
jobs=""
expect_tables="endpoints,requests,endpoint_stats_hourly"
rpo_column="requests.requested_at"
keep_failed=0
dry_run=0
target="${DR_TARGET:-local}"
namespace="${DR_NAMESPACE:-endpoint-stats}"
context="${DR_CONTEXT:-}"
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
! has_control "$backup" || die "$EX_USAGE" "the BACKUP path holds a control character (a newline, a tab, ...): rename the file; nothing was changed"
! has_control "$backup_dir" || die "$EX_USAGE" "the --backup-dir path holds a control character: rename the folder; nothing was changed"
[[ $target == local || $target == kubernetes ]] || die "$EX_USAGE" "--target must be local or kubernetes"
# <name>_pre_restore_<16-character time> and <name>_restorer_<time> must fit PostgreSQL's 63-byte names.
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
  pg_user=(-U "$db_user")
  backup_dir=${backup_dir:-/backups}
  jobs=${jobs:-2}
else
  in_db=()
  psql_base=(psql -X -q -A -t -v ON_ERROR_STOP=1)
  pg_user=()
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dr-restore.XXXXXX")
fresh=""       # the database being restored into, while it may need dropping
role=""        # the confined role the backup runs as, while it exists
swapped=0
session_fd_in=""
session_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [[ -n $fresh && $swapped -eq 0 ]]; then
    if ((keep_failed)); then
      session "ALTER ROLE \"$role\" NOLOGIN;" >/dev/null 2>&1 || true
      warn "kept the half-restored database $fresh and its role $role, which can no longer log in (--keep-failed); the next restore drops both"
      role=""
    elif ! session "DROP DATABASE IF EXISTS \"$fresh\" WITH (FORCE);" 2>/dev/null; then
      # The session is gone (an interrupt reaches it too): drop through a new connection.
      "${in_db[@]}" "${psql_base[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$fresh\" WITH (FORCE)" >/dev/null 2>&1 ||
        warn "could not drop $fresh; the next restore drops it"
    fi
  fi
  if [[ -n $role ]]; then
    session "DROP ROLE IF EXISTS \"$role\";" 2>/dev/null ||
      "${in_db[@]}" "${psql_base[@]}" -d postgres -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 ||
      warn "could not drop the role $role; the next restore drops it"
  fi
  if [[ -n $session_fd_in ]]; then
    exec {session_fd_in}>&- 2>/dev/null || true
    wait "$session_pid" 2>/dev/null || true
  fi
  rm -rf -- "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the maintenance session ---------------------------------------------------------------
# One psql session on the "postgres" database does all the work outside the restored database:
# it holds the advisory lock that allows one restore of a database at a time (released when
# the session ends, however this script ends), checks privileges, drops leftovers, creates the
# fresh database and swaps it in. Its errors come back as text: it does not stop on them.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
fresh_name="${database}_restore_${stamp}"
kept_name="${database}_pre_restore_${stamp}"
coproc PGM { "${in_db[@]}" psql -X -q -A -t -F $'\t' "${pg_user[@]}" -d postgres \
  -v db="$database" -v pattern="^${database}_restore_[0-9]{8}T[0-9]{6}Z\$" \
  -v role_pattern="^${database}_restorer_[0-9]{8}T[0-9]{6}Z\$" 2>&1; }
session_fd_in=${PGM[1]}
session_fd_out=${PGM[0]}
session_pid=$PGM_PID
# session SQL [timeout] : runs SQL (one statement, or psql commands) in the maintenance session;
# the output lines are in REPLY_LINES; fails when the last statement failed or the session ended.
session() {
  local line
  REPLY_LINES=()
  SESSION_ERROR=""
  # SIGPIPE ignored for this one write: if the session has ended, the write fails instead of
  # killing the script (no child process is started meanwhile to inherit the setting).
  local sent=0
  trap '' PIPE
  { [[ -n $session_fd_in ]] && printf '%s\n' "$1" '\echo __DR_END__ :ERROR' >&"$session_fd_in"; } 2>/dev/null || sent=$?
  trap - PIPE
  if ((sent != 0)); then
    SESSION_ERROR=lost
    return 1
  fi
  while IFS= read -r -t "${2:-600}" line <&"$session_fd_out"; do
    if [[ $line == "__DR_END__ "* ]]; then
      SESSION_ERROR=${line#__DR_END__ }
      [[ $SESSION_ERROR == false ]]
      return
    fi
    REPLY_LINES+=("$line")
  done
  SESSION_ERROR=lost
  return 1
}
session_text() { oneline "$(printf '%s\n' "${REPLY_LINES[@]}")"; }

session "SELECT rolsuper FROM pg_roles WHERE rolname = current_user;" 60 ||
  die "$EX_CONNECT" "cannot connect to the PostgreSQL server: $(session_text)"
[[ ${REPLY_LINES[0]-} == t ]] ||
  die "$EX_CONNECT" "the database user is not a superuser: restoring needs one (it creates the confined role the backup runs as); connect as one (PGUSER, or --db-user in the cluster)"

if ((dry_run == 0)); then
  session "SELECT pg_try_advisory_lock(hashtext('dr-restore'), hashtext(:'db'));" 60 ||
    die "$EX_CONNECT" "could not take the restore lock: $(session_text)"
  [[ ${REPLY_LINES[0]-} == t ]] || die "$EX_LOCKED" "another restore of database $database is running; nothing was changed"
fi

# --- the live database, as found -----------------------------------------------------------
# Its identity: OID, and a digest of its catalog entry (the row version xmin, name, owner,
# encoding, limits, privileges and settings): any ALTER, RENAME, DROP or re-CREATE by anyone
# changes it. Compared before the swap (in the swap's own transaction) and after a failure.
identity_sql="SELECT d.oid::text || ' ' || md5(concat_ws('|', d.xmin, d.datname, d.datdba, d.encoding, d.datcollate,
  d.datctype, d.datistemplate, d.datallowconn, d.datconnlimit, d.datacl,
  (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0)))
  FROM pg_database d WHERE d.datname = current_setting('dr.db')"
session "SELECT set_config('dr.db', :'db', false) IS NULL; $identity_sql;" 60 ||
  die "$EX_CONNECT" "cannot read the database list: $(session_text)"
live_identity=${REPLY_LINES[1]-}   # "<oid> <digest>", or empty when there is no live database

# live_report : one sentence on what was checked about the live database just now.
live_report() {
  if ! session "$identity_sql;" 60; then
    printf 'the live database %s could not be checked (%s); this script never writes to it' "$database" "$(session_text)"
  elif [[ ${REPLY_LINES[0]-} == "$live_identity" && -n $live_identity ]]; then
    printf 'the live database %s was checked: same OID (%s) and catalog entry as when the restore started, not touched' "$database" "${live_identity%% *}"
  elif [[ ${REPLY_LINES[0]-} == "$live_identity" ]]; then
    printf 'checked: there is still no database %s' "$database"
  else
    printf 'WARNING: the live database %s changed during the restore (OID or catalog entry), not by this script' "$database"
  fi
}
# die_checked CODE MESSAGE : die, saying what was checked about the live database.
die_checked() { die "$1" "$2; $(live_report)"; }

# --- find and verify the backup --------------------------------------------------------------

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
    # openssl uses the CPU's SHA instructions (several times faster); sha256sum otherwise.
    # shellcheck disable=SC2016 # expanded by sh, here or in the pod
    actual_sha=$(at_backup sh -c 'if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r -- "$1"; else sha256sum -- "$1"; fi' sha256 "$file" |
      awk '{ print tolower($1) }')
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
  d='[0-9]'
  listing=$(at_backup find "$backup_dir" -maxdepth 1 -type f -name "${database}_$d$d$d$d$d$d$d${d}T$d$d$d$d$d${d}Z.dump" 2>&1) ||
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
  warn "$chosen has no .sha256 checksum file; checked that it is complete SQL text instead"
fi
echo "BACKUP file=$chosen format=$format size=$BACKUP_SIZE checksum=$checksum"

# A plain SQL file runs behind psql's \restrict (added in 13.22, 14.19, 15.14, 16.10, 17.6).
if [[ $format != custom ]]; then
  psql_version=$("${in_db[@]}" psql --version 2>&1 | head -n 1) || true
  if [[ $psql_version =~ \ ([0-9]+)\.([0-9]+) ]]; then
    major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  else
    major=0 minor=0
  fi
  case "$major" in
    13) need=22 ;; 14) need=19 ;; 15) need=14 ;; 16) need=10 ;; 17) need=6 ;;
    *) need=$((major >= 18 ? 0 : 1000)) ;;
  esac
  ((minor >= need)) ||
    die "$EX_TOOLS" "psql ${psql_version:-(no version)} cannot keep a plain SQL backup from running psql meta-commands (it lacks \\restrict): install psql 13.22, 14.19, 15.14, 16.10, 17.6 or later (Debian package postgresql-client), or restore a custom-format archive; nothing was changed"
fi

# --- plan ----------------------------------------------------------------------------------
while true; do
  role="${database}_restorer_${stamp}"
  session "SELECT 'live', datname FROM pg_database WHERE datname = :'db'
           UNION ALL SELECT 'leftover', datname FROM pg_database WHERE datname ~ :'pattern'
           UNION ALL SELECT 'leftover-role', rolname FROM pg_roles WHERE rolname ~ :'role_pattern'
           UNION ALL SELECT 'taken', datname FROM pg_database WHERE datname IN ('$fresh_name', '$kept_name')
           UNION ALL SELECT 'taken', rolname FROM pg_roles WHERE rolname = '$role';" ||
    die "$EX_CONNECT" "cannot read the database list: $(session_text)"
  live_exists=0
  leftovers=()
  leftover_roles=()
  taken=0
  for line in "${REPLY_LINES[@]}"; do
    case "${line%%$'\t'*}" in
      live) live_exists=1 ;;
      leftover) leftovers+=("${line#*$'\t'}") ;;
      leftover-role) leftover_roles+=("${line#*$'\t'}") ;;
      taken) taken=1 ;;
    esac
  done
  ((taken)) || break
  sleep 1
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  fresh_name="${database}_restore_${stamp}"
  kept_name="${database}_pre_restore_${stamp}"
done
role_name=$role
role=""

restore_mode="pg_restore -j $jobs"
[[ $format == custom ]] || restore_mode="psql in one transaction, meta-commands restricted"
if [[ $format == custom && $backup_where == local && $target == kubernetes ]]; then
  restore_mode="pg_restore streamed into pod $pod (one job: a stream cannot be read in parallel)"
fi
if ((dry_run)); then
  for old in "${leftovers[@]}" "${leftover_roles[@]}"; do echo "DRY-RUN would drop $old, left by an interrupted restore"; done
  echo "DRY-RUN would restore $chosen ($format, $restore_mode) into a new database $fresh_name, as a new role $role_name confined to it"
  echo "DRY-RUN would check tables [${expect_tables:-none}], count every table's rows${meta_counts:+ (checked against the backup metadata)} and report the newest ${rpo_column:-row}"
  if ((live_exists)); then
    echo "DRY-RUN would check that $database is unchanged, end the sessions connected to it, rename $database to $kept_name (kept) and $fresh_name to $database"
  else
    echo "DRY-RUN database $database does not exist: would rename $fresh_name to $database"
  fi
  log "dry run: nothing was changed"
  exit "$EX_OK"
fi

# --- restore into a fresh database, as a confined role -------------------------------------
# Databases and roles left by a restore that was killed: nobody else can be using them (we
# hold the lock). A role goes after its database.
for old in "${leftovers[@]}"; do
  log "dropping $old, left by an interrupted restore"
  session "DROP DATABASE IF EXISTS \"$old\" WITH (FORCE);" || warn "could not drop $old: $(session_text)"
done
for old in "${leftover_roles[@]}"; do
  log "dropping the role $old, left by an interrupted restore"
  session "DROP ROLE IF EXISTS \"$old\";" || warn "could not drop the role $old: $(session_text)"
done

started=$SECONDS
# The role: no superuser, no CREATEDB or CREATEROLE, member of nothing (but pg_database_owner
# of the fresh database, which owns its schema public). Its only login is to
# the fresh database: a library that does not exist is preloaded into its sessions on every
# other database, so they fail at login (only a superuser can change that setting; the role
# cannot even read it). Its password is random and used once; it can log in only while the
# restore and the checks run.
guard_library=dr_restore_role_may_connect_only_to_its_fresh_database
role_password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '*:*:*:%s:%s\n' "$role_name" "$role_password" >"$tmp/pgpass"
role=$role_name
session "CREATE ROLE \"$role\" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT $((jobs + 2));" ||
  die_checked "$EX_RESTORE" "cannot create the role $role: $(session_text)"
session "ALTER ROLE \"$role\" SET session_preload_libraries = '$guard_library';" ||
  die_checked "$EX_RESTORE" "cannot confine the role $role: $(session_text)"
fresh=$fresh_name
# Same encoding and collation as the live database, when there is one; owned by the role.
session "SELECT format('CREATE DATABASE %I TEMPLATE template0 OWNER %I', '$fresh_name', '$role')
                || CASE WHEN d.datname IS NULL THEN ''
                   ELSE format(' ENCODING %L LC_COLLATE %L LC_CTYPE %L', pg_encoding_to_char(d.encoding), d.datcollate, d.datctype) END
         FROM (SELECT 1) AS one LEFT JOIN pg_database AS d ON d.datname = :'db' \gexec" ||
  die_checked "$EX_RESTORE" "cannot create the database $fresh_name: $(session_text)"
session "ALTER ROLE \"$role\" IN DATABASE \"$fresh_name\" SET session_preload_libraries = 'plpgsql';" ||
  die_checked "$EX_RESTORE" "cannot let the role $role into $fresh_name: $(session_text)"
session "ALTER ROLE \"$role\" LOGIN PASSWORD '$role_password';" ||
  die_checked "$EX_RESTORE" "cannot let the role $role log in: $(session_text)"
log "restoring $chosen into $fresh_name ($restore_mode) as the role $role"

# as_role CMD... : run CMD with the role's credentials (in the pod, the socket needs none).
as_role() {
  (
    if [[ $target == local ]]; then
      unset PGPASSWORD PGSERVICE
      export PGPASSFILE="$tmp/pgpass"
    fi
    "$@"
  )
}

restore_err="$tmp/restore.err"
rc=0
if [[ $format == custom ]]; then
  if [[ $backup_where == local && $target == kubernetes ]]; then
    as_role "${in_db[@]}" pg_restore -U "$role" -d "$fresh_name" --exit-on-error --no-owner <"$chosen" 2>"$restore_err" || rc=$?
  else
    as_role at_backup pg_restore -U "$role" -d "$fresh_name" -j "$jobs" --exit-on-error --no-owner -- "$chosen" 2>"$restore_err" || rc=$?
  fi
else
  # The first line psql reads is \restrict with a key the file cannot know: from then on psql
  # refuses every meta-command. psql goes on after an error (each statement in a savepoint),
  # so that the statements giving objects to other roles (ALTER ... OWNER TO, which the role
  # may not do) are skipped; every other error is counted below.
  key=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  plain_psql=(psql -X -q -v ON_ERROR_STOP=0 -v ON_ERROR_ROLLBACK=on -v VERBOSITY=verbose --single-transaction -U "$role" -d "$fresh_name" -f -)
  decompress="cat"
  [[ $format == plain ]] || decompress="gzip -dc"
  if [[ $backup_where == pod ]]; then
    # shellcheck disable=SC2016 # expanded by the shell in the pod
    printf '\\restrict %s\n' "$key" |
      as_role "${in_db[@]}" sh -c 'd=$1; f=$2; shift 2; IFS= read -r first; { printf "%s\n" "$first"; $d -- "$f"; } | "$@"' \
        restore "$decompress" "$chosen" "${plain_psql[@]}" >/dev/null 2>"$restore_err" || rc=$?
  else
    # shellcheck disable=SC2086 # $decompress is a command and its option
    { printf '\\restrict %s\n' "$key" && $decompress -- "$chosen"; } |
      as_role "${in_db[@]}" "${plain_psql[@]}" >/dev/null 2>"$restore_err" || rc=$?
  fi
fi

# line_of_backup N : line N of the (decompressed) backup.
line_of_backup() {
  if [[ $format == plain-gzip ]]; then
    # shellcheck disable=SC2016 # expanded by sh
    at_backup sh -c 'gzip -dc -- "$1" | sed -n "$2{p;q}"' line "$chosen" "$1"
  else
    at_backup sed -n "$1{p;q}" -- "$chosen"
  fi
}

# What went wrong, if anything. psql goes on after an error, so after a failed statement the
# rest is noise (a COPY whose table is missing leaves its data to be read as statements):
# the first error that counts decides between a refusal to reach outside the fresh database
# (exit 13) and any other failure (exit 10).
refused=0
failed=0
first_error=""
skipped_owner=0
own_restrict=0
# count_error KIND TEXT : one more error of KIND (refused or failed); the first one is kept.
count_error() {
  if [[ $1 == refused ]]; then refused=$((refused + 1)); else failed=$((failed + 1)); fi
  [[ -n $first_error ]] || first_error="$1:$2"
}
if [[ $format == custom ]]; then
  if ((rc != 0)); then
    first=$(grep -m 1 -E 'error|ERROR|FATAL' "$restore_err" || head -n 1 "$restore_err")
    if [[ $first =~ ERROR:\ +(permission\ denied|must\ be\ (superuser|owner|member)|must\ have\ admin|must\ be\ able\ to\ SET\ ROLE) ]]; then
      count_error refused "$first"
    else
      count_error failed "$first"
    fi
  fi
else
  while IFS= read -r line; do
    [[ $line =~ ^psql:\<stdin\>:([0-9]+):\ (ERROR|FATAL|PANIC|error|fatal):\ +(.*)$ ]] || continue
    n=$((BASH_REMATCH[1] - 1)) # the file's own line number (our \restrict line comes first)
    msg=${BASH_REMATCH[3]}
    case "$msg" in
      '42501: must be member of role '* | '42501: must be able to SET ROLE '*) skipped_owner=$((skipped_owner + 1)) ;;
      '\unrestrict: wrong key') ;; # pg_dump's own \unrestrict at the end: harmless
      'backslash commands are restricted'*)
        # pg_dump (13.22 and later) writes one \restrict line of its own near the top.
        if ((own_restrict == 0)) && [[ $(line_of_backup "$n") =~ ^\\restrict\ [A-Za-z0-9]+$ ]]; then
          own_restrict=1
        else
          count_error refused "line $n: a psql meta-command ($(line_of_backup "$n" | cut -c 1-40))"
        fi
        ;;
      '42501: '*) count_error refused "line $n: ${msg#42501: }" ;;
      *) count_error failed "line $n: $msg" ;;
    esac
  done <"$restore_err"
  ((rc == 0)) || count_error failed "psql ended with exit code $rc: $(grep -m 1 -v '^psql:<stdin>' "$restore_err" || true)"
fi
counts="$refused refused, $failed other errors"
if [[ $first_error == refused:* ]]; then
  die_checked "$EX_REFUSED" "the backup tried to reach outside its fresh database and was refused (first: ${first_error#refused:}; $counts); nothing it asked for outside $fresh_name ran; a backup made by pg_dump (without --create) never does this: check where this file comes from"
elif [[ -n $first_error ]]; then
  die_checked "$EX_RESTORE" "restoring into $fresh_name failed (first error: ${first_error#failed:}; $counts)"
fi
# Whatever the backup set for its role and database (a password, settings, a connection limit)
# goes, so that the checks below log in and run as planned: a new one-time password, and the
# role's confinement set again.
role_password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '*:*:*:%s:%s\n' "$role" "$role_password" >"$tmp/pgpass"
session "DO \$reconfine\$ BEGIN
  ALTER ROLE \"$role\" RESET ALL;
  ALTER ROLE \"$role\" SET session_preload_libraries = '$guard_library';
  ALTER ROLE \"$role\" IN DATABASE \"$fresh_name\" RESET ALL;
  ALTER ROLE \"$role\" IN DATABASE \"$fresh_name\" SET session_preload_libraries = 'plpgsql';
  ALTER ROLE \"$role\" PASSWORD '$role_password';
  ALTER DATABASE \"$fresh_name\" RESET ALL;
  ALTER DATABASE \"$fresh_name\" WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1;
END \$reconfine\$;" || die_checked "$EX_RESTORE" "cannot confine the role $role again after the restore: $(session_text)"
((skipped_owner == 0)) ||
  log "skipped $skipped_owner statement(s) giving objects to other roles (ALTER ... OWNER TO): the restored objects belong to the live database's owner"
if [[ $format == custom && -s $restore_err ]]; then
  log "messages from the restore:"
  head -n 50 "$restore_err" | while IFS= read -r line; do log "  $line"; done
fi
log "restored into $fresh_name in $((SECONDS - started))s"

# --- sanity checks -------------------------------------------------------------------------
# One session on the restored database, as the confined role (whatever the backup defined runs
# with its rights only): expected tables, exact row counts, invalid indexes, the newest row of
# the RPO column; then ANALYZE, so the application gets good plans at once. Names are printed
# with control characters replaced.
checks=$(
  as_role "${in_db[@]}" psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$role" -d "$fresh_name" -F $'\t' \
    -v expected="$expect_tables" -v rpo_table="$rpo_table" 2>&1 <<SQL
SELECT 'missing', t FROM unnest(string_to_array(:'expected', ',')) AS t WHERE to_regclass(t) IS NULL;
SELECT format('SELECT %L, %L, count(*) FROM %I.%I', 'rows', regexp_replace(n.nspname || '.' || c.relname, '[[:cntrl:]]', '?', 'g'),
              n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY n.nspname, c.relname \gexec
SELECT 'invalid', regexp_replace(indexrelid::regclass::text, '[[:cntrl:]]', '?', 'g') FROM pg_index WHERE NOT indisvalid;
SELECT :'rpo_table' <> '' AND to_regclass(:'rpo_table') IS NOT NULL AS rpo_present \gset
\if :rpo_present
SELECT 'rpo', n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(:'rpo_table');
SELECT 'newest', coalesce(to_char(max(${rpo_col:-ctid}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'none') FROM ${rpo_table:-pg_class};
\endif
ANALYZE;
SQL
) || die_checked "$EX_SANITY" "checking $fresh_name failed: $(oneline "$checks")"

failures=()
declare -A restored_rows=()
rpo_qualified="" newest=""
while IFS=$'\t' read -r tag a b; do
  case "$tag" in
    missing) failures+=("table $a is missing") ;;
    rows)
      restored_rows[$a]=$b
      echo "TABLE $a rows=$b"
      ;;
    invalid) failures+=("index $a is invalid") ;;
    rpo) rpo_qualified=$a ;;
    newest) newest=$a ;;
  esac
done <<<"$checks"
for entry in "${meta_counts[@]}"; do
  table=${entry%%$'\t'*}
  rows=${entry##*$'\t'}
  if [[ -z ${restored_rows[$table]+set} ]]; then
    failures+=("table $table of the backup is missing")
  elif [[ ${restored_rows[$table]} != "$rows" ]]; then
    failures+=("table $table has ${restored_rows[$table]} rows, the backup recorded $rows")
  fi
done
rpo_line=""
if [[ -n $rpo_table ]]; then
  if [[ -z $rpo_qualified ]]; then
    failures+=("table $rpo_table of the RPO column is missing")
  elif [[ ! $newest =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z|none)$ ]]; then
    failures+=("the newest value of $rpo_column is not a time: $newest")
  else
    rpo_line="RPO-EVIDENCE newest_row=$newest rows=${restored_rows[$rpo_qualified]:-0}"
    [[ $newest != none ]] || warn "$rpo_table is empty: no RPO evidence"
  fi
fi
if ((${#failures[@]} > 0)); then
  for f in "${failures[@]}"; do printf 'dr-restore: check failed: %s\n' "$(oneline "$f")" >&2; done
  die_checked "$EX_SANITY" "the restored database failed its checks (${#failures[@]} problems)"
fi
log "checks passed and statistics gathered"

# --- the role goes ---------------------------------------------------------------------------
# It may no longer log in and its sessions end; the database-level settings it may have made
# go (the swap gives the live database's); every object it owns, the fresh database included,
# goes to the live database's owner (else this user); then the role is dropped.
session "ALTER ROLE \"$role\" NOLOGIN;" ||
  die_checked "$EX_RESTORE" "cannot stop the role $role from logging in: $(session_text)"
session "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '$role';" ||
  die_checked "$EX_RESTORE" "cannot end the sessions of the role $role: $(session_text)"
session "ALTER DATABASE \"$fresh_name\" RESET ALL;" ||
  die_checked "$EX_RESTORE" "cannot reset the settings of $fresh_name: $(session_text)"
session "SELECT coalesce((SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'db'), current_user);" ||
  die_checked "$EX_RESTORE" "cannot read the live database's owner: $(session_text)"
new_owner=${REPLY_LINES[0]}
reassigned=$(sql "$fresh_name" -v role="$role" -v owner="$new_owner" 2>&1 <<'SQL'
REASSIGN OWNED BY :"role" TO :"owner";
DROP OWNED BY :"role";
SQL
) || die_checked "$EX_RESTORE" "cannot hand the restored objects to $new_owner: $(oneline "$reassigned")"
session "DROP ROLE \"$role\";" || die_checked "$EX_RESTORE" "cannot drop the role $role: $(session_text)"
role=""

# --- swap ----------------------------------------------------------------------------------
# One statement, so one transaction: check that the live database is still the one found at
# the start, give the fresh database the live one's settings, privileges and connection limit
# (and nothing else), end the other sessions on both databases, then rename the live database
# to the kept name and the restored one to the live name. Renaming locks the database, so no
# new session can slip in before the commit.
session "SELECT set_config('dr.fresh', '$fresh_name', false), set_config('dr.kept', '$kept_name', false),
                set_config('dr.live', '$live_identity', false);" >/dev/null ||
  die_checked "$EX_SWAP" "could not prepare the swap: $(session_text)"
swap_sql=$(
  cat <<'SQL'
DO $dr$
DECLARE
  db text := current_setting('dr.db');
  fresh text := current_setting('dr.fresh');
  kept text := current_setting('dr.kept');
  live_oid oid;
  live_acl aclitem[];
  live_limit int;
  stmt text;
  ended int;
BEGIN
  SET LOCAL lock_timeout = '30s';
  IF coalesce((@IDENTITY@), '') <> current_setting('dr.live') THEN
    RAISE EXCEPTION 'DR_LIVE_CHANGED: database % is not the one found when the restore started', db;
  END IF;
  SELECT d.oid, coalesce(d.datacl, acldefault('d', d.datdba)), d.datconnlimit INTO live_oid, live_acl, live_limit
  FROM pg_database d WHERE d.datname = db;
  IF live_oid IS NULL THEN
    SELECT acldefault('d', d.datdba), -1 INTO live_acl, live_limit FROM pg_database d WHERE d.datname = fresh;
  END IF;
  FOR stmt IN
    SELECT format('REVOKE ALL ON DATABASE %I FROM %s', fresh,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
    FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) AS a
    WHERE d.datname = fresh AND a.grantee <> d.datdba
    UNION ALL
    SELECT format('ALTER DATABASE %I SET %I TO %s', fresh, kv.name,
                  CASE WHEN kv.name IN ('search_path', 'temp_tablespaces', 'local_preload_libraries', 'session_preload_libraries')
                       THEN kv.value ELSE quote_literal(kv.value) END)
    FROM pg_db_role_setting s, unnest(s.setconfig) AS cfg,
         LATERAL (SELECT split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value) AS kv
    WHERE s.setdatabase = live_oid AND s.setrole = 0
    UNION ALL
    SELECT format('GRANT %s ON DATABASE %I TO %s', a.privilege_type, fresh,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
    FROM pg_database d, aclexplode(live_acl) AS a
    WHERE d.datname = fresh AND a.grantee <> d.datdba
    UNION ALL
    SELECT format('ALTER DATABASE %I WITH CONNECTION LIMIT %s', fresh, live_limit)
  LOOP
    EXECUTE stmt;
  END LOOP;
  SELECT count(pg_terminate_backend(pid)) INTO ended FROM pg_stat_activity
  WHERE datname IN (db, fresh) AND pid <> pg_backend_pid();
  IF live_oid IS NOT NULL THEN
    EXECUTE format('ALTER DATABASE %I RENAME TO %I', db, kept);
  END IF;
  EXECUTE format('ALTER DATABASE %I RENAME TO %I', fresh, db);
  PERFORM set_config('dr.ended', ended::text, false);
END
$dr$;
SQL
)
swap_sql=${swap_sql//@IDENTITY@/$identity_sql}
for attempt in 1 2 3 4 5; do
  if session "$swap_sql" 120; then
    swapped=1
    break
  fi
  [[ $SESSION_ERROR != lost ]] || break
  [[ $(session_text) != *DR_LIVE_CHANGED* ]] ||
    die "$EX_LIVE_CHANGED" "the live database $database changed during the restore (another OID, or its name, owner, settings or privileges changed), not by this script: nothing was swapped; $fresh_name is dropped; find out who changed it, then restore again"
  warn "swap attempt $attempt failed: $(session_text)"
  sleep "$attempt"
done
((swapped)) || die_checked "$EX_SWAP" "could not swap $fresh_name in: $(session_text)"
fresh=""
session "SELECT current_setting('dr.ended');" || true
log "ended ${REPLY_LINES[0]:-0} session(s) connected to $database"
[[ -z $rpo_line ]] || echo "$rpo_line"
if ((live_exists)); then
  log "swapped: $database is the restored database; the previous one is kept as $kept_name"
  echo "RESTORE-OK database=$database previous=$kept_name"
else
  log "created $database from the backup"
  echo "RESTORE-OK database=$database previous=none"
fi
exit "$EX_OK"
