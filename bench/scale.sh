#!/usr/bin/env bash
# Scale-out benchmark, one run: upsync on PostgreSQL beside upsync on SQLite and beside
# PostgreSQL's own floor, each figure measured here, now.
#  1. The bulk import of IMPORT_USERS users x 5 properties (default 200,000: 1 M values), the
#     file and the queued job of bench/bulk_import: on SQLite (`import run-pending`), on
#     PostgreSQL with 1 and with 2 `upsync worker` processes (the prepared folder migrated with
#     `upsync migrate`), and the floor: psql `\copy` of the same rows (email and the 5 values)
#     into an equivalent table (email primary key) in one transaction, nothing parsed, looked up
#     or logged. In IMPORT_ROUNDS rounds (default 3), each timing the four once on fresh copies,
#     in turn: the figures are each one's median, and the ratio to the floor is also given round
#     by round (the floor alone moved 0.45-1.0 s within an hour on the 2-core machine of the
#     README's figures).
#  2. The full sync of SYNC_USERS users (default 100,000) from a throwaway slapd, every stage,
#     into an empty store on SQLite and on PostgreSQL.
#  3. GetPropertiesFor (a manager with 50 reports, seen by a colleague) under wrk: one `serve`
#     on SQLite, then two `serve` processes on one PostgreSQL, each with half the connections.
# PostgreSQL runs with the durability of upsync's SQLite (bench/pg_server.sh).
#   bench/scale.sh [IMPORT_USERS] [SYNC_USERS] [UPSYNC_BINARY] [WRK_SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMPORT_USERS=${1:-200000}
SYNC_USERS=${2:-100000}
UPSYNC=${3:-$ROOT/build-release/src/upsync}
SECS=${4:-8}
ROUNDS=${IMPORT_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "scale: IMPORT_ROUNDS must be 1 or more" >&2; exit 2; }
BULK=$(dirname "$UPSYNC")/../bench/bulk_import
VALUES=$((IMPORT_USERS * 5))
for p in wrk curl jq ldap-utils; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk curl jq \
      ldap-utils >/dev/null
    break
  fi
done
WORK=$(mktemp -d /tmp/upsync-bench-scale.XXXXXX)
source "$ROOT/bench/pg_server.sh"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true
  pg_server_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
ratio() { echo "$1 / $2" | bc -l; }
pg_server_start
# Before each timed step: the dirty pages of the steps before written out (a CHECKPOINT), and
# the files' too, so that no step pays for the writes of another (the import with two workers
# came right after the one with one, and evicted its dirty pages as it went).
settle() {
  pg_psql -d postgres -c "CHECKPOINT" >/dev/null
  sync
}

# --- 1. The bulk import -------------------------------------------------------------------
echo "scale: preparing $IMPORT_USERS profiles and the import's file..." >&2
"$BULK" --users "$IMPORT_USERS" --dir "$WORK/imp" --prepare-only 1 --upsync "$UPSYNC" >/dev/null
PREPARED=$WORK/imp/data
# The migrated database is vacuumed and analyzed, as autovacuum does in a running deployment long
# before an import: else autovacuum would take up the rows just copied in while the import runs,
# on the same two cores, and the first reads would write every page of them again (setting the
# rows' commit hint bits). Each import runs on a copy of it (CREATE DATABASE ... TEMPLATE), and
# each SQLite import on a copy of the folder, all made before the first timed step.
pg_createdb imported
"$UPSYNC" --data-dir "$PREPARED" migrate --to "$(pg_url imported)" >/dev/null
pg_psql -d imported -c "VACUUM (ANALYZE)" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
  for w in 1 2; do pg_psql -d postgres -c "CREATE DATABASE import${w}_$r TEMPLATE imported"; done
  cp -a "$PREPARED" "$WORK/imp-sqlite-$r"
done

# The job's end, as `import status` on database $1 says it: its state once it ended, else "".
job_end() {
  "$UPSYNC" --data-dir "$PREPARED" --db "$1" --json import status -t contoso |
    jq -r '[.[] | select(.State == "Succeeded" or .State == "Error") | .State] | first // ""'
}
# Whether one of the files given holds a worker's line saying the job ended (no process run).
job_line_in() {
  local f line
  for f in "$@"; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
      [[ $line =~ import\ worker:\ job\ [^\ ]+\ (Succeeded|Error) ]] && return 0
    done <"$f"
  done
  return 1
}
# A pipe that nobody writes to: `read -t` on it waits without starting a process.
exec {PAUSE}<> <(:)
# Runs the queued import with $2 workers on database $1 until it ends; prints the seconds.
run_workers() {
  local db=$1 n=$2 t0 pids=() state=""
  # The last round's outputs go first: a worker's shell truncates its file only once it runs.
  rm -f "$WORK"/worker-"$n"-*.out
  settle
  t0=$(now)
  for i in $(seq 1 "$n"); do
    "$UPSYNC" --data-dir "$PREPARED" --db "$db" worker --name "bench-$i" --no-scheduler \
      --interval 0.05 --max-properties "$VALUES" >"$WORK/worker-$n-$i.out" 2>&1 &
    pids+=($!)
    PIDS+=($!)
  done
  # The end as the workers print it ("import worker: job ID Succeeded"), watched with bash's
  # builtins alone: a process started every few milliseconds (`import status` and jq, even
  # grep and sleep) takes CPU from the workers measured on this 2-core machine. The state is
  # then read once.
  local seconds="" live
  while [ -z "$seconds" ]; do
    if job_line_in "$WORK"/worker-"$n"-*.out; then
      seconds=$(since "$t0")
      break
    fi
    live=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && live=1; done
    [ "$live" = 1 ] || { echo "scale: every worker stopped before the job ended" >&2; exit 1; }
    read -r -t 0.01 -u "$PAUSE" || true
  done
  state=$(job_end "$db")
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  if [ "$state" != "Succeeded" ]; then
    echo "scale: the import with $n workers ended in $state" >&2
    exit 1
  fi
  echo "$seconds"
}
# The import on SQLite of round $1's copy; prints the seconds.
run_sqlite() {
  local t0 state
  settle
  t0=$(now)
  "$UPSYNC" --data-dir "$WORK/imp-sqlite-$1" import run-pending --max-properties "$VALUES" \
    >/dev/null
  since "$t0"
  state=$(job_end "$WORK/imp-sqlite-$1")
  [ "$state" = Succeeded ] || { echo "scale: the import on SQLite ended in '$state'" >&2; exit 1; }
}

# The floor: the same rows by COPY, into a new table each round; prints the seconds.
python3 - "$WORK/imp/users.json" "$WORK/rows.csv" <<'PY2'
import csv, json, sys
rows = json.load(open(sys.argv[1]))["value"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    for r in rows:
        w.writerow([r["IdName"], r["Prop1"], r["Prop2"], r["Prop3"], r["Prop4"], r["Prop5"]])
PY2
pg_createdb floor
run_floor() {
  local t0 t copied
  pg_psql -d floor -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS users" \
    -c "CREATE TABLE users (email TEXT PRIMARY KEY, prop1 TEXT, prop2 TEXT, prop3 TEXT,
      prop4 TEXT, prop5 TEXT)" >/dev/null
  settle
  t0=$(now)
  pg_psql -d floor -c "\\copy users FROM '$WORK/rows.csv' WITH (FORMAT csv)" >/dev/null
  t=$(since "$t0")
  copied=$(pg_psql -d floor -At -c "SELECT count(*) FROM users")
  [ "$copied" = "$IMPORT_USERS" ] || { echo "scale: the floor copied $copied rows" >&2; exit 1; }
  echo "$t"
}
# The middle value of the numbers given.
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

echo "scale: importing $VALUES values, $ROUNDS rounds..." >&2
runs_copy=() runs_sqlite=() runs_pg1=() runs_pg2=() per_round=""
for r in $(seq 1 "$ROUNDS"); do
  c=$(run_floor)
  s1=$(run_sqlite "$r")
  p1=$(run_workers "$(pg_url "import1_$r")" 1)
  p2=$(run_workers "$(pg_url "import2_$r")" 2)
  runs_copy+=("$c") runs_sqlite+=("$s1") runs_pg1+=("$p1") runs_pg2+=("$p2")
  per_round+=$(printf ' %.2fx' "$(ratio "$p2" "$c")")
done
t_copy=$(median "${runs_copy[@]}")
t_sqlite=$(median "${runs_sqlite[@]}")
t_pg1=$(median "${runs_pg1[@]}")
t_pg2=$(median "${runs_pg2[@]}")
# Which of the two workers applied ranges of the job in the last round (split into ranges of
# 50,000 records): a worker prints the job each time it has applied a range (or ended the job);
# one that found every range left held by the other prints nothing.
ran_by=$(grep -l "import worker: job" "$WORK"/worker-2-*.out 2>/dev/null | xargs -r -n1 basename |
  sed 's/\.out$//' | tr '\n' ' ')
# Each run's seconds, in the order of the rounds.
runs() { printf '%.2f ' "$@"; }

# --- 2. The full sync ---------------------------------------------------------------------
echo "scale: $SYNC_USERS users in slapd..." >&2
LDAP_PORT=$("$ROOT/tests/scripts/free-port.sh")
"$ROOT/tests/scripts/gen-users.sh" "$SYNC_USERS" 10 > "$WORK/users.ldif"
"$ROOT/tests/scripts/slapd-start.sh" "$WORK/ldap" "$LDAP_PORT" "$WORK/users.ldif" >/dev/null
export BENCH_PW=secret
full_sync() {
  "$UPSYNC" "$@" tenant create contoso >/dev/null
  settle
  local t0
  t0=$(now)
  "$UPSYNC" "$@" --json sync ldap -t contoso --url "ldap://127.0.0.1:$LDAP_PORT" \
    --base dc=example,dc=com --bind-dn cn=admin,dc=example,dc=com --password-env BENCH_PW \
    --page-size 1000 --deletion-threshold 1000000 > "$WORK/sync.json"
  since "$t0"
}
# A first read of a fresh slapd's database is slow: once untimed.
ldapsearch -x -LLL -H "ldap://127.0.0.1:$LDAP_PORT" -D cn=admin,dc=example,dc=com -w secret \
  -b dc=example,dc=com -E pr=1000/noprompt '(objectClass=*)' dn >/dev/null
t_sync_sqlite=$(full_sync --data-dir "$WORK/sync-sqlite")
pg_createdb sync
t_sync_pg=$(full_sync --data-dir "$WORK/sync-pg" --db "$(pg_url sync)")
profiles=$(pg_psql -d sync -At -c "SELECT count(*) FROM profiles")
"$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true

# --- 3. GetPropertiesFor under wrk ----------------------------------------------------------
echo "scale: GetPropertiesFor under wrk..." >&2
WEB=$WORK/web
up() { "$UPSYNC" --data-dir "$WEB" "$@"; }
up tenant create northwind >/dev/null
manager=$(up --json directory user add -t northwind miriam@northwind.com \
  --set "displayName=Miriam Graham" --set jobTitle=Director --set department=Sales |
  jq -r .objectId)
for i in $(seq 1 50); do
  up directory user add -t northwind "report$i@northwind.com" --set "displayName=Report $i" \
    --set "jobTitle=Analyst $i" --set department=Sales --set "manager=$manager" >/dev/null
done
up directory user add -t northwind viewer@northwind.com --set displayName=Viewer >/dev/null
up sync run -t northwind >/dev/null
up user password set -t northwind viewer@northwind.com --password bench-pw-1 >/dev/null
cid=$(up --json app add -t northwind bench | jq -r .clientId)
pg_createdb web
up migrate --to "$(pg_url web)" >/dev/null
claim="i%3A0%23.f%7Cmembership%7Cmiriam%40northwind.com"
PROFILE_PATH="/tenants/northwind/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(@v)?@v=%27$claim%27"
ACCEPT="Accept: application/json;odata=nometadata"

# Starts `serve` with the arguments given on a free port: SERVE_PORT, SERVE_PID.
serve() {
  SERVE_PORT=$("$ROOT/tests/scripts/free-port.sh")
  local out=$WORK/serve-$SERVE_PORT.out
  "$UPSYNC" --data-dir "$WEB" "$@" serve --listen "127.0.0.1:$SERVE_PORT" --no-worker \
    --threads "${HTTP_BENCH_THREADS:-4}" >"$out" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  for _ in $(seq 1 200); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
}
token() {
  curl -sf -d "grant_type=password&client_id=$cid&username=viewer%40northwind.com&password=bench-pw-1&scope=https%3A%2F%2Fnorthwind.sharepoint.com%2F.default" \
    "http://127.0.0.1:$1/northwind/oauth2/v2.0/token" | jq -r .access_token
}
# wrk against port $1 with $2 connections: requests/s.
load() {
  local t
  t=$(token "$1")
  reports=$(curl -sf -H "Authorization: Bearer $t" -H "$ACCEPT" "http://127.0.0.1:$1$PROFILE_PATH" |
    jq '.DirectReports | length')
  [ "$reports" = 50 ] || { echo "scale: GetPropertiesFor answered $reports reports" >&2; exit 1; }
  wrk -t1 -c"$2" -d"${SECS}"s -H "Authorization: Bearer $t" -H "$ACCEPT" \
    "http://127.0.0.1:$1$PROFILE_PATH" | awk '/Requests\/sec/ {print $2}'
}
serve
rps_sqlite=$(load "$SERVE_PORT" 16)
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
serve --db "$(pg_url web)"
p1=$SERVE_PORT
serve --db "$(pg_url web)"
p2=$SERVE_PORT
load "$p1" 8 > "$WORK/rps1" &
l1=$!
load "$p2" 8 > "$WORK/rps2" &
l2=$!
wait "$l1" "$l2"
rps_pg1=$(cat "$WORK/rps1")
rps_pg2=$(cat "$WORK/rps2")
rps_pg=$(echo "$rps_pg1 + $rps_pg2" | bc -l)

# --- Figures --------------------------------------------------------------------------------
printf 'scale: %s users x 5 properties = %s values; PostgreSQL 15 beside SQLite, %d cores\n' \
  "$IMPORT_USERS" "$VALUES" "$(nproc)"
printf '  the import, median of %s rounds (each round'"'"'s seconds in brackets):\n' "$ROUNDS"
printf '  import on SQLite (run-pending):          %7.2f s  %9.0f values/s  [ %s]\n' "$t_sqlite" \
  "$(ratio "$VALUES" "$t_sqlite")" "$(runs "${runs_sqlite[@]}")"
printf '  import on PostgreSQL, 1 worker:          %7.2f s  %9.0f values/s  %.2fx the COPY floor'"'"'s time  [ %s]\n' \
  "$t_pg1" "$(ratio "$VALUES" "$t_pg1")" "$(ratio "$t_pg1" "$t_copy")" "$(runs "${runs_pg1[@]}")"
printf '  import on PostgreSQL, 2 workers:         %7.2f s  %9.0f values/s  %.2fx the COPY floor'"'"'s time, %.2fx the speed of 1 (run by: %s)  [ %s]\n' \
  "$t_pg2" "$(ratio "$VALUES" "$t_pg2")" "$(ratio "$t_pg2" "$t_copy")" "$(ratio "$t_pg1" "$t_pg2")" "$ran_by" \
  "$(runs "${runs_pg2[@]}")"
printf '  floor: psql \\copy of the same rows:      %7.2f s  %9.0f values/s  [ %s]\n' "$t_copy" \
  "$(ratio "$VALUES" "$t_copy")" "$(runs "${runs_copy[@]}")"
printf '  2 workers against the floor of the same round:%s\n' "$per_round"
printf '  full sync of %s users, SQLite:       %7.2f s  %9.0f users/s\n' "$SYNC_USERS" \
  "$t_sync_sqlite" "$(ratio "$SYNC_USERS" "$t_sync_sqlite")"
printf '  full sync of %s users, PostgreSQL:   %7.2f s  %9.0f users/s  %.2fx the SQLite time (%s profiles)\n' \
  "$SYNC_USERS" "$t_sync_pg" "$(ratio "$SYNC_USERS" "$t_sync_pg")" "$(ratio "$t_sync_pg" "$t_sync_sqlite")" "$profiles"
printf '  GetPropertiesFor (50 reports), wrk %ss: one serve on SQLite %8.0f req/s (16 connections)\n' \
  "$SECS" "$rps_sqlite"
printf '  GetPropertiesFor, two serve on PostgreSQL: %.0f + %.0f = %.0f req/s (8 connections each), %.2fx one on SQLite\n' \
  "$rps_pg1" "$rps_pg2" "$rps_pg" "$(ratio "$rps_pg" "$rps_sqlite")"
