#!/usr/bin/env bash
# Hybrid benchmark: moving 3 custom properties of 200,000 users from one tenant to another
# with `upsync hybrid export` + `upsync hybrid push` (upload in chunks through the SharePoint
# REST of `upsync serve`, QueueImportProfileProperties, the import, the job followed to its
# end), beside the plain bulk import of the same file queued directly on the online side
# (`file put` + `import queue` + `import run-pending`). Prints time, values/s and peak RSS of
# each step.
#   bench/hybrid.sh [USERS] [BUILD_DIR]       (defaults: 200000, build)
# 200,000 x 3 values is over seed 003's 500,000 of one import: the online side's imports run
# in `upsync worker --max-properties` beside `serve --no-worker` (SharePoint Online would
# refuse the file; see the report of `hybrid push`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
USERS=${1:-200000}
BUILD=${2:-$ROOT/build}
UPSYNC=$BUILD/src/upsync
VALUES=$((USERS * 3))
WORK=$(mktemp -d /tmp/upsync-bench-hybrid.XXXXXX)
cleanup() {
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null || true
  [ -n "${WORKER_PID:-}" ] && kill "$WORKER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Two tenants of $USERS people with custom properties Prop1..Prop5 (bench/bulk_import's
# generator); the source gets its values by running the import that generator queued.
echo "hybrid: preparing two tenants of $USERS profiles..." >&2
"$BUILD/bench/bulk_import" --users "$USERS" --dir "$WORK/src" --prepare-only 1 >/dev/null
"$UPSYNC" --data-dir "$WORK/src/data" import run-pending --max-properties $((USERS * 5)) >/dev/null
"$BUILD/bench/bulk_import" --users "$USERS" --dir "$WORK/dst" --prepare-only 1 >/dev/null
# The target's generated job would run first in the worker: run it now, outside the timing.
"$UPSYNC" --data-dir "$WORK/dst/data" import run-pending --max-properties $((USERS * 5)) >/dev/null
cp -a "$WORK/dst/data" "$WORK/plain-data"   # the plain import's target, in the same state
DST=$WORK/dst/data
app=$("$UPSYNC" --data-dir "$DST" --json app add -t contoso hybrid-bench)
cid=$(echo "$app" | sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p')
secret=$(echo "$app" | sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p')

"$UPSYNC" --data-dir "$DST" serve --listen 127.0.0.1:0 --no-worker > "$WORK/serve.out" 2>/dev/null &
SERVE_PID=$!
for _ in $(seq 1 200); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/serve.out" | head -1)
"$UPSYNC" --data-dir "$DST" worker --no-scheduler --interval 0.2 --max-properties "$VALUES" \
  >/dev/null 2>&1 &
WORKER_PID=$!

# "<seconds> <peak RSS KiB>" of a command (GNU time).
timed() {
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >"$WORK/cmd.out" 2>"$WORK/cmd.err" || {
    cat "$WORK/cmd.err" >&2
    return 1
  }
  cat "$WORK/time.txt"
}
rate() { awk -v v="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? v / s : 0) }'; }

echo "hybrid: export + push of $USERS users x 3 properties ($VALUES values)..." >&2
read -r exp_s exp_kb < <(timed "$UPSYNC" --data-dir "$WORK/src/data" hybrid export -t contoso \
  --properties Prop1,Prop2,Prop3 --id-type Email --out "$WORK/users.json")
bytes=$(stat -c %s "$WORK/users.json")
read -r push_s push_kb < <(timed "$UPSYNC" --json hybrid push --to "http://127.0.0.1:$PORT/tenants/contoso" \
  --client-id "$cid" --client-secret "$secret" --file "$WORK/users.json" --id-type Email \
  --map Prop1=Prop1 --map Prop2=Prop2 --map Prop3=Prop3 --poll 0.2)
state=$(sed -n 's/.*"State": *"\([^"]*\)".*/\1/p' "$WORK/cmd.out")
fragments=$(sed -n 's/.*"fragments": *\([0-9]*\).*/\1/p' "$WORK/cmd.out")
[ "$state" = "Succeeded" ] || { echo "hybrid: the pushed job ended $state" >&2; cat "$WORK/cmd.out" >&2; exit 1; }
serve_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVE_PID/status")
worker_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$WORKER_PID/status")
kill "$SERVE_PID" "$WORKER_PID"; wait "$SERVE_PID" "$WORKER_PID" 2>/dev/null || true
SERVE_PID= WORKER_PID=

echo "hybrid: the plain bulk import of the same file..." >&2
url="/sites/hr/Shared Documents/plain/users.json"
"$UPSYNC" --data-dir "$WORK/plain-data" file put -t contoso "$WORK/users.json" "$url" >/dev/null
start=$(date +%s.%N)
"$UPSYNC" --data-dir "$WORK/plain-data" import queue -t contoso --id-type Email --id-property IdName \
  --map Prop1=Prop1 --map Prop2=Prop2 --map Prop3=Prop3 --source "$url" >/dev/null
read -r run_s run_kb < <(timed "$UPSYNC" --data-dir "$WORK/plain-data" import run-pending \
  --max-properties "$VALUES")
plain_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
grep -q Succeeded "$WORK/cmd.out" || { echo "hybrid: the plain import did not succeed" >&2; cat "$WORK/cmd.out" >&2; exit 1; }

total=$(awk -v a="$exp_s" -v b="$push_s" 'BEGIN { printf "%.2f", a + b }')
printf 'file: %s users, %s values, %s bytes\n' "$USERS" "$VALUES" "$bytes"
printf '%-36s %8s s %10s values/s  peak RSS %7s KiB\n' \
  "hybrid export" "$exp_s" "$(rate "$VALUES" "$exp_s")" "$exp_kb" \
  "hybrid push ($fragments fragments)" "$push_s" "$(rate "$VALUES" "$push_s")" "$push_kb" \
  "export + push" "$total" "$(rate "$VALUES" "$total")" "-" \
  "plain import (queue + run-pending)" "$plain_s" "$(rate "$VALUES" "$plain_s")" "$run_kb"
printf 'online side during the push: serve peak RSS %s KiB, worker peak RSS %s KiB\n' "$serve_kb" "$worker_kb"
awk -v a="$total" -v b="$plain_s" 'BEGIN { printf "export + push / plain import: %.2fx the time\n", a / b }'
