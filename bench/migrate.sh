#!/usr/bin/env bash
# Moving up: `upsync migrate --to postgresql://...` of a data folder holding a full sync of N
# users (default 100,000) from a throwaway slapd, into a throwaway PostgreSQL 15, beside the
# floor measured in the same run: the sqlite3 tool exporting every table as CSV and psql
# loading it with \copy in one transaction, foreign keys unchecked, into the same schema;
# nothing verified. upsync's figure includes its snapshot, the checks of its foreign keys, and
# reading every table back to compare rows and checksums.
#   bench/migrate.sh [N] [UPSYNC_BINARY]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-100000}
UPSYNC=${2:-$ROOT/build-release/src/upsync}
PG_BIN=${UPSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/upsync-bench-migrate.XXXXXX)
PORT=$("$ROOT/tests/scripts/free-port.sh")
cleanup() {
  "$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true
  bash "$ROOT/tests/store/pg_shared_server.sh" stop "$WORK/pg.ptr" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }

"$ROOT/tests/scripts/gen-users.sh" "$N" 10 > "$WORK/users.ldif"
"$ROOT/tests/scripts/slapd-start.sh" "$WORK/ldap" "$PORT" "$WORK/users.ldif" >/dev/null
export UPSYNC_DATA_DIR="$WORK/data" BENCH_PW=secret
"$UPSYNC" tenant create contoso >/dev/null
"$UPSYNC" --json sync ldap -t contoso --url "ldap://127.0.0.1:$PORT" --base dc=example,dc=com \
  --bind-dn cn=admin,dc=example,dc=com --password-env BENCH_PW --page-size 1000 \
  --deletion-threshold 1000000 >/dev/null
"$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true

bash "$ROOT/tests/store/pg_shared_server.sh" start "$WORK/pg.ptr" >/dev/null
PG_DIR=$(cat "$WORK/pg.ptr")
PG_PORT=$(sed -n 4p "$PG_DIR/data/postmaster.pid")
psql_to() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U upsync "$@"; }
"$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U upsync migrated
"$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U upsync floor
URL="postgresql:///migrated?host=$PG_DIR&port=$PG_PORT&user=upsync"

sync
t0=$(now)
"$UPSYNC" --json migrate --to "$URL" > "$WORK/migrate.json"
t_migrate=$(echo "$(now) - $t0" | bc)
rows=$(jq '[.tables[].rows] | add' "$WORK/migrate.json")

# The floor: the same schema (copied from the migrated database), the same rows.
"$PG_BIN/pg_dump" -h "$PG_DIR" -p "$PG_PORT" -U upsync --schema-only migrated \
  | psql_to -d floor >/dev/null
DB="$WORK/data/upsync.db"
{
  echo "BEGIN; SET session_replication_role = replica;"
  for t in $(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"); do
    cols=$(sqlite3 "$DB" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$t')")
    echo "\\copy \"$t\" ($cols) FROM '$WORK/csv/$t.csv' WITH (FORMAT csv, NULL '\\N')"
  done
  echo "COMMIT;"
} > "$WORK/floor.sql"
mkdir -p "$WORK/csv"
sync
t0=$(now)
for t in $(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"); do
  cols=$(sqlite3 "$DB" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$t')")
  sqlite3 -csv -cmd '.nullvalue \N' "$DB" "SELECT $cols FROM \"$t\"" > "$WORK/csv/$t.csv"
done
psql_to -d floor -f "$WORK/floor.sql"
t_floor=$(echo "$(now) - $t0" | bc)
floor_rows=$(psql_to -d floor -At -c "SELECT sum(n) FROM (SELECT (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ' || quote_ident(tablename), false, true, '')))[1]::text::bigint AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'upsync_schema_version') s")
if [ "$floor_rows" != "$rows" ]; then
  echo "migrate: the floor loaded $floor_rows rows, upsync copied $rows" >&2
  exit 1
fi

printf 'migrate: %d users synced (%s rows in %d tables), SQLite -> PostgreSQL 15\n' \
  "$N" "$rows" "$(jq '.tables | length' "$WORK/migrate.json")"
printf '  upsync migrate (snapshot, COPY, checks, verification): %6.2f s  %8.0f rows/s\n' \
  "$t_migrate" "$(echo "$rows / $t_migrate" | bc -l)"
printf '  floor: sqlite3 CSV export + psql \\copy, no checks:       %6.2f s  %8.0f rows/s\n' \
  "$t_floor" "$(echo "$rows / $t_floor" | bc -l)"
printf '  ratio: %.2fx the floor'"'"'s time\n' "$(echo "$t_migrate / $t_floor" | bc -l)"
