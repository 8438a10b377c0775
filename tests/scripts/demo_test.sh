#!/usr/bin/env bash
# The README's first command ends by serving the demo tenant and printing a token and three
# curl requests "that work when pasted": load the demo, start examples/contoso/serve.sh,
# paste what it printed into bash, and expect each request to succeed (curl -f).
#   demo_test.sh PATH/TO/upsync
set -euo pipefail
UPSYNC=${1:?usage: demo_test.sh PATH/TO/upsync}
EXAMPLES=$(cd "$(dirname "$0")/../../examples/contoso" && pwd)
WORK=$(mktemp -d)
export UPSYNC_DATA_DIR=$WORK/data
export UPSYNC_DEMO_LISTEN=127.0.0.1:0
cleanup() { [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
bash "$EXAMPLES/load.sh" "$UPSYNC" > "$WORK/load.out"
bash "$EXAMPLES/serve.sh" "$UPSYNC" > "$WORK/serve.out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  grep -q '^curl .*admin/v1/sync/runs' "$WORK/serve.out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$WORK/serve.out"; exit 1; }
  sleep 0.1
done
grep -E '^(TOKEN=|curl )' "$WORK/serve.out" > "$WORK/paste.sh"
[ "$(grep -c '^curl ' "$WORK/paste.sh")" = 3 ] || { echo "expected 3 requests"; cat "$WORK/serve.out"; exit 1; }
n=0
while IFS= read -r line; do
  case "$line" in
    TOKEN=*) eval "$line" ;;
    curl*)
      n=$((n + 1))
      if ! body=$(eval "$line"); then echo "request $n failed: $line"; exit 1; fi
      echo "request $n: ${body:0:120}"
      ;;
  esac
done < "$WORK/paste.sh"
grep -q '"AccountName":"i:0#.f|membership|vesaj@contoso.com"' <(eval "$(sed -n 2p "$WORK/paste.sh")") \
  || { echo "GetPropertiesFor did not answer vesaj's profile"; exit 1; }
echo "demo: 3 pasted requests succeeded"
