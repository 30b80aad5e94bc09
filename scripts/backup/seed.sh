#!/usr/bin/env bash
# Create the Endpoint Statistics schema (if missing) and add N realistic request rows.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: seed.sh [--rows N] [--days D] [--until TIME] [--seed S] [--database NAME] [--no-schema]

Adds N generated requests (default 10000), spread over the D days (default 7) before TIME
(default now; any date(1) time, e.g. "3 hours ago" or 2026-11-24T09:00:00Z), to the
Endpoint Statistics database, after creating its schema (scripts/backup/schema.sql) unless
--no-schema is given, and rebuilds the hourly aggregates. Rows are generated inside the
server with generate_series, so a million rows take seconds.

Connection: the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSFILE or PGPASSWORD,
PGDATABASE). --database overrides PGDATABASE; the database must exist.

Exit codes: 0 done, 2 usage error, 3 psql missing, 1 any SQL error.
USAGE
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rows=10000
days=7
until=now
seed=0.42
database="${PGDATABASE:-}"
schema=1

while (($#)); do
  case "$1" in
    --rows) rows="${2:-}"; shift 2 ;;
    --days) days="${2:-}"; shift 2 ;;
    --until) until="${2:-}"; shift 2 ;;
    --seed) seed="${2:-}"; shift 2 ;;
    --database) database="${2:-}"; shift 2 ;;
    --no-schema) schema=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "seed.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ $rows =~ ^[0-9]+$ ]] || { echo "seed.sh: --rows must be a whole number" >&2; exit 2; }
[[ $days =~ ^[0-9]+([.][0-9]+)?$ && $days != 0 ]] || { echo "seed.sh: --days must be a positive number" >&2; exit 2; }
[[ $seed =~ ^-?[01]([.][0-9]+)?$ ]] || { echo "seed.sh: --seed must be a number between -1 and 1" >&2; exit 2; }
if [[ -z $until ]] || ! until_utc=$(date -u -d "$until" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null); then
  echo "seed.sh: --until must be a time date(1) understands, e.g. \"3 hours ago\"" >&2
  exit 2
fi
command -v psql >/dev/null || { echo "seed.sh: psql not found (Debian package postgresql-client)" >&2; exit 3; }

psql_args=(-X -q -v ON_ERROR_STOP=1)
[[ -n $database ]] && psql_args+=(-d "$database")

start=$SECONDS
if ((schema)); then
  psql "${psql_args[@]}" -f "$here/schema.sql"
fi
psql "${psql_args[@]}" -v rows="$rows" -v days="$days" -v seed="$seed" -v until="$until_utc" -f "$here/seed.sql"
echo "seed.sh: added $rows requests over $days days up to $until_utc in $((SECONDS - start))s"
