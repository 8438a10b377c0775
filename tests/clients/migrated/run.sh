#!/usr/bin/env bash
# The real clients against a deployment that moved up from SQLite: a data folder holding the
# demo tenant (examples/contoso: its directory synced, seed 003's sample file imported) and a
# full sync of N users (default 2,000) from a throwaway slapd into tenant fabrikam is copied by
# `upsync migrate --to` into a new database on the run's PostgreSQL server (UPSYNC_PG_SHARED,
# tests/store/pg_shared_server.sh), whose verification (each table's rows and checksum) is
# printed; then clients.test.mjs runs PnPjs, sp-admin, the Graph SDK and MSAL against two
# `upsync serve` processes on the migrated database and the same data folder, comparing what
# they read with what the SQLite folder held before the move.
#   tests/clients/migrated/run.sh [N]     (UPSYNC_BINARY: the upsync binary)
# bench: tests/clients/migrated/run.sh 100000
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
N=${1:-2000}
: "${UPSYNC_BINARY:?set UPSYNC_BINARY to the upsync binary}"
: "${UPSYNC_PG_SHARED:?set UPSYNC_PG_SHARED: the pointer file of tests/store/pg_shared_server.sh}"
UPSYNC=$UPSYNC_BINARY
WORK=$(mktemp -d /tmp/upsync-migrated.XXXXXX)
PG_HOST=$(cat "$UPSYNC_PG_SHARED")
DB=migrated_$$_$RANDOM
psql_pg() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p 5432 -U upsync -d postgres "$@"; }
cleanup() {
  "$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true
  psql_pg -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export UPSYNC_DATA_DIR=$WORK/data

echo "migrated: the demo tenant (examples/contoso/load.sh)"
bash "$ROOT/examples/contoso/load.sh" "$UPSYNC" > "$WORK/demo.log" 2>&1 ||
  { cat "$WORK/demo.log"; exit 1; }

echo "migrated: a full sync of $N users from slapd into fabrikam"
"$ROOT/tests/scripts/gen-users.sh" "$N" 10 > "$WORK/users.ldif"
PORT=$("$ROOT/tests/scripts/free-port.sh")
"$ROOT/tests/scripts/slapd-start.sh" "$WORK/ldap" "$PORT" "$WORK/users.ldif" >/dev/null
"$UPSYNC" tenant create fabrikam --kind online >/dev/null
LDAP_PW=secret "$UPSYNC" --json sync ldap -t fabrikam --url "ldap://127.0.0.1:$PORT" \
  --base dc=example,dc=com --bind-dn cn=admin,dc=example,dc=com --password-env LDAP_PW \
  --page-size 1000 --deletion-threshold 1000000 > "$WORK/sync.json"
"$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true

# What the SQLite folder holds, for the clients to compare with.
mkdir -p "$WORK/expected"
"$UPSYNC" --json profile get -t contoso vesaj@contoso.com > "$WORK/expected/vesaj.json"
"$UPSYNC" --json import list -t contoso > "$WORK/expected/imports.json"
"$UPSYNC" file get -t contoso "$(jq -r '.[0].LogFolderUri' "$WORK/expected/imports.json")/ImportLog.txt" \
  "$WORK/expected/ImportLog.txt"
"$UPSYNC" --json profile get -t fabrikam user000002@example.com > "$WORK/expected/user2.json"
"$UPSYNC" --json directory user list -t fabrikam | jq '{count: length}' > "$WORK/expected/users.json"

psql_pg -c "CREATE DATABASE $DB"
URL="postgresql:///$DB?host=$PG_HOST&port=5432&user=upsync"
echo "migrated: upsync migrate --to $URL"
"$UPSYNC" --json migrate --to "$URL" > "$WORK/migrate.json"
jq -r '.tables[] | "  \(.table): \(.rows) rows, checksum \(.checksum)"' "$WORK/migrate.json"
echo "  $(jq '[.tables[].rows] | add' "$WORK/migrate.json") rows in $(jq '.tables | length' "$WORK/migrate.json") tables, each verified"

export UPSYNC_MIGRATED_DATA=$WORK/data UPSYNC_MIGRATED_DB=$URL UPSYNC_MIGRATED_USERS=$N
export UPSYNC_MIGRATED_EXPECTED=$WORK/expected UPSYNC_CLIENT_SERVERS=2
bash "$ROOT/tests/clients/run.sh" "$HERE/clients.test.mjs"
