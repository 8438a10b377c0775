#!/usr/bin/env bash
# Directory sync benchmark: N users (default 100,000) in a throwaway slapd; a full sync
# through every stage and a delta of 100 changed users (RFC 4533 refreshOnly with the cookie
# of the full sync), beside the peer measured in the same run: ldapsearch dumping the same
# entries with paged results.
#   bench/sync.sh [N] [UPSYNC_BINARY]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-100000}
UPSYNC=${2:-$ROOT/build-release/src/upsync}
WORK=$(mktemp -d /tmp/upsync-bench-sync.XXXXXX)
PORT=$(( 20000 + RANDOM % 20000 ))
cleanup() { "$ROOT/tests/scripts/slapd-stop.sh" "$WORK/ldap" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

"$ROOT/tests/scripts/gen-users.sh" "$N" 10 > "$WORK/users.ldif"
"$ROOT/tests/scripts/slapd-start.sh" "$WORK/ldap" "$PORT" "$WORK/users.ldif" >/dev/null
URL=ldap://127.0.0.1:$PORT
now() { date +%s.%N; }

# The peer's dump: once untimed (a fresh slapd's first read of its database is slow, and the
# sync that follows reads a warm one), then three times; the fastest is the figure (the same
# dump takes 1.4 s or 7 s from one run to the next on this machine, mostly waiting: the
# peer at its best makes the strictest ratio).
dump() {
  ldapsearch -x -LLL -H "$URL" -D cn=admin,dc=example,dc=com -w secret -b dc=example,dc=com \
    -E pr=1000/noprompt '(objectClass=*)' '*' '+' > "$WORK/dump.ldif"
}
dump
dumps=()
for _ in 1 2 3; do
  t0=$(now); dump; dumps+=("$(echo "$(now) - $t0" | bc)")
done
t_dump=$(printf '%s\n' "${dumps[@]}" | sort -n | head -1)

export UPSYNC_DATA_DIR="$WORK/data" BENCH_PW=secret
"$UPSYNC" tenant create contoso >/dev/null
sync_ldap() {
  "$UPSYNC" --json sync ldap -t contoso --url "$URL" --base dc=example,dc=com \
    --bind-dn cn=admin,dc=example,dc=com --password-env BENCH_PW --page-size 1000 \
    --deletion-threshold 1000000
}
t0=$(now); sync_ldap > "$WORK/full.json"; t_full=$(echo "$(now) - $t0" | bc)

for i in $(seq 1 100); do
  printf 'dn: uid=user%06d,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: title\ntitle: Changed %d\n-\n\n' "$i" "$i"
done > "$WORK/change.ldif"
ldapmodify -x -H "$URL" -D cn=admin,dc=example,dc=com -w secret -f "$WORK/change.ldif" >/dev/null
t0=$(now); sync_ldap > "$WORK/delta.json"; t_delta=$(echo "$(now) - $t0" | bc)

reads() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['source']['method'] + ', ' + str(r['source']['entries']) + ' entries from the server; read per stage: ' + ' '.join(f\"{s['stage']}={s['read']}\" for s in r['stages']) + '; seconds per stage: ' + ' '.join(f\"{s['stage']}={s['seconds']:.2f}\" for s in r['stages']))" "$1"; }
echo "sync: $N users in slapd"
printf '  ldapsearch paged dump (peer):      %8.2f s   fastest of %s s\n' "$t_dump" "${dumps[*]}"
printf '  upsync full sync, all stages:      %8.2f s   %.2fx the dump\n' "$t_full" "$(echo "$t_full / $t_dump" | bc -l)"
printf '  upsync delta of 100 changed users: %8.2f s   %.2f%% of the full sync\n' "$t_delta" "$(echo "100 * $t_delta / $t_full" | bc -l)"
echo "  full:  $(reads "$WORK/full.json")"
echo "  delta: $(reads "$WORK/delta.json")"
