#!/usr/bin/env bash
# HTTP benchmark: wrk (keep-alive) against `upsync serve` answering GetPropertiesFor, beside
# nginx serving the same JSON answer as a static file, in the same run; then the same load on
# upsync while a 1,000,000-value bulk import runs beside it (200,000 users x 5 properties).
# Then the people picker (clientPeoplePickerSearchUser) over 100,000 directory-synced people
# and 500 groups of another tenant, prefixes drawn at random, beside nginx serving one such
# answer; then a Graph $batch of 20 requests beside nginx (bench/http_batch.sh); then the
# person page of a manager with 50 reports among those 100,000, request by request
# (bench/http_person.sh).
# Prints req/s, p99 latency, errors and the ratios (medians of alternating rounds).
#   bench/http.sh [SECONDS] [BUILD_DIR]       (defaults: 20, build-release)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-20}
BUILD=${2:-$ROOT/build-release}
UPSYNC=$BUILD/src/upsync
USERS=${HTTP_BENCH_USERS:-200000}
for p in wrk nginx-light curl jq; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk nginx-light \
      curl jq >/dev/null
    break
  fi
done
WORK=$(mktemp -d /tmp/upsync-bench-http.XXXXXX)
cleanup() {
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null || true
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true
  [ -n "${IMPORT_PID:-}" ] && kill "$IMPORT_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "http: preparing $USERS profiles and a queued import of $((USERS * 5)) values..." >&2
"$BUILD/bench/bulk_import" --users "$USERS" --dir "$WORK/bulk" --prepare-only 1 >/dev/null
DATA=$WORK/bulk/data
export UPSYNC_DATA_DIR=$DATA
app=$("$UPSYNC" --json app add -t contoso bench)
cid=$(echo "$app" | sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p')
secret=$(echo "$app" | sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p')

PORT=$("$ROOT/tests/scripts/free-port.sh")
NGINX_PORT=$("$ROOT/tests/scripts/free-port.sh")
# The server's event-loop threads (README, Serving): a few per core, as nginx runs a worker per
# core; wrk's 16 kept-alive connections share them.
"$UPSYNC" serve --listen "127.0.0.1:$PORT" --no-worker --threads "${HTTP_BENCH_THREADS:-4}" > "$WORK/serve.out" \
  2> /dev/null &
SERVE_PID=$!
for _ in $(seq 1 200); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
BASE=http://127.0.0.1:$PORT
token=$(curl -sf -d "grant_type=client_credentials&client_id=$cid&client_secret=$secret&scope=https%3A%2F%2Fcontoso.sharepoint.com%2F.default" \
  "$BASE/contoso/oauth2/v2.0/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
PATH_Q="/tenants/contoso/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?%40v=%27i%3A0%23.f%7Cmembership%7Cuser7%40contoso.com%27"
ACCEPT="Accept: application/json;odata=nometadata"
mkdir -p "$WORK/www"
curl -sf -H "Authorization: Bearer $token" -H "$ACCEPT" "$BASE$PATH_Q" > "$WORK/www/props.json"
bytes=$(stat -c %s "$WORK/www/props.json")

# nginx's workers run as www-data: let them read the answer file.
chmod a+rx "$WORK" "$WORK/www" && chmod a+r "$WORK/www/props.json"
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    # A POST to a file is a 405 in nginx; answer it with the file (the \$batch round).
    location / { root $WORK/www; default_type application/json; error_page 405 =200 \$uri; }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
sleep 0.5

# wrk's summary: requests/s, p99 (in ms) and errors (socket errors + non-2xx answers).
measure() {
  local out
  out=$(wrk -t2 -c16 -d"$1"s --latency "${@:2}")
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  errors=$(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(/[^0-9 ]/," "); for(i=1;i<=NF;i++) n+=$i} END {print n+0}')
  echo "$rps $p99 $errors"
}
# Rounds alternate between the two servers, so that a change in the machine's load (other
# work on a shared machine) falls on both; each figure is the median of its rounds.
ROUNDS=${HTTP_BENCH_ROUNDS:-3}
: > "$WORK/up.txt"
: > "$WORK/ng.txt"
for _ in $(seq 1 "$ROUNDS"); do
  measure "$SECS" -H "Authorization: Bearer $token" -H "$ACCEPT" "$BASE$PATH_Q" >> "$WORK/up.txt"
  measure "$SECS" "http://127.0.0.1:$NGINX_PORT/props.json" >> "$WORK/ng.txt"
done
median_row() { sort -n -k1,1 "$1" | sed -n "$(( (ROUNDS + 1) / 2 ))p"; }
read -r up_rps up_p99 _ < <(median_row "$WORK/up.txt")
read -r ng_rps ng_p99 _ < <(median_row "$WORK/ng.txt")
up_err=$(awk '{n+=$3} END {print n+0}' "$WORK/up.txt")  # errors: all rounds together
ng_err=$(awk '{n+=$3} END {print n+0}' "$WORK/ng.txt")
up_all=$(awk '{printf "%s%.0f", (NR>1?", ":""), $1}' "$WORK/up.txt")
ng_all=$(awk '{printf "%s%.0f", (NR>1?", ":""), $1}' "$WORK/ng.txt")

# The same load on upsync while the import runs in a worker beside the server.
start=$(date +%s.%N)
"$UPSYNC" import run-pending --max-properties $((USERS * 5)) > "$WORK/import.out" 2>&1 &
IMPORT_PID=$!
read -r busy_rps busy_p99 busy_err < <(measure "$SECS" -H "Authorization: Bearer $token" -H "$ACCEPT" "$BASE$PATH_Q")
wait "$IMPORT_PID"; IMPORT_PID=
import_secs=$(echo "$(date +%s.%N) - $start" | bc)
state=$("$UPSYNC" --json import list -t contoso | sed -n 's/.*"State": *"\([A-Za-z]*\)".*/\1/p' | head -1)

printf 'http: GetPropertiesFor (%d-byte JSON answer), wrk -t2 -c16 -d%ss keep-alive, median of %d alternating rounds\n' "$bytes" "$SECS" "$ROUNDS"
printf '  upsync serve:          %9.0f req/s  p99 %7.2f ms  errors %d  (rounds: %s)\n' "$up_rps" "$up_p99" "$up_err" "$up_all"
printf '  nginx static file:     %9.0f req/s  p99 %7.2f ms  errors %d  (rounds: %s)\n' "$ng_rps" "$ng_p99" "$ng_err" "$ng_all"
printf '  ratio upsync / nginx:  %.2fx req/s (goal >= 0.50)\n' "$(echo "$up_rps / $ng_rps" | bc -l)"
printf '  during a %d-value bulk import (%s, %.1f s): %9.0f req/s  p99 %7.2f ms  errors %d\n' \
  "$((USERS * 5))" "$state" "$import_secs" "$busy_rps" "$busy_p99" "$busy_err"

# ---- The people picker ---------------------------------------------------------------------
# 100,000 people with everyday names (first x last x number) and 500 security groups, synced
# from an LDIF export into tenant fabrikam through every stage, as a directory brings them. They
# make an org chart fifty wide (u0 at the top; ui reports to u((i-1)/50)), which the person
# page's part (bench/http_person.sh) reads.
PICKER_USERS=${HTTP_BENCH_PICKER_USERS:-100000}
echo "http: syncing $PICKER_USERS people and 500 groups for the people picker..." >&2
awk -v N="$PICKER_USERS" 'BEGIN{
  split("Adele Alex Allan Ben Christie Debra Diego Emily Enrico Grady Irvin Isaiah Johanna " \
        "Joni Lee Lidia Lynne Megan Miriam Nestor Patti Pradeep Raul Sakura", first, " ")
  split("Vance Wilber Deyoung Walker Cline Berger Siciliani Braun Cattaneo Archie Sayers " \
        "Langer Lauer Sherman Gu Holloway Robbins Bowen Graham Wilke Fernandez Gupta Razor " \
        "Tanaka", last, " ")
  for (i = 0; i < N; i++) {
    f = first[i % 24 + 1]; l = last[int(i / 24) % 24 + 1]
    printf "dn: uid=u%d,ou=people,dc=fabrikam,dc=com\nobjectClass: inetOrgPerson\nuid: u%d\n", i, i
    printf "entryUUID: %08x-0000-4000-8000-%012x\ncn: %s %s %d\ngivenName: %s\nsn: %s\n", i, i, f, l, i, f, l
    printf "displayName: %s %s %d\nmail: %s.%s%d@fabrikam.com\ntitle: Title %d\n", f, l, i, tolower(f), tolower(l), i, i % 50
    if (i > 0) printf "manager: uid=u%d,ou=people,dc=fabrikam,dc=com\n", int((i - 1) / 50)
    printf "\n"
  }
  for (g = 0; g < 500; g++) {
    printf "dn: cn=Team %s %d,ou=groups,dc=fabrikam,dc=com\nobjectClass: groupOfNames\n", last[g % 24 + 1], g
    printf "cn: Team %s %d\nentryUUID: %08x-0000-4000-9000-%012x\nmember: uid=u%d,ou=people,dc=fabrikam,dc=com\n\n", last[g % 24 + 1], g, g, g, g
  }
}' > "$WORK/picker.ldif"
"$UPSYNC" tenant create fabrikam >/dev/null
"$UPSYNC" sync ldif -t fabrikam "$WORK/picker.ldif" >/dev/null
papp=$("$UPSYNC" --json app add -t fabrikam bench)
pcid=$(echo "$papp" | sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p')
psecret=$(echo "$papp" | sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p')
ptoken=$(curl -sf -d "grant_type=client_credentials&client_id=$pcid&client_secret=$psecret&scope=https%3A%2F%2Ffabrikam.sharepoint.com%2F.default" \
  "$BASE/fabrikam/oauth2/v2.0/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
PICKER_PATH="/tenants/fabrikam/_api/SP.UI.ApplicationPages.ClientPeoplePickerWebServiceInterface.clientPeoplePickerSearchUser"
picker_body() {
  printf '{"queryParams":{"QueryString":"%s","MaximumEntitySuggestions":10,"PrincipalType":5,"AllowEmailAddresses":true}}' "$1"
}
# What a person types into the picker: the first letters of a first name, a last name, an
# address, a group; each request draws one. Each is answered with up to 10 people and groups.
cat > "$WORK/picker.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $ptoken"
wrk.headers["Accept"] = "application/json;odata=nometadata"
wrk.headers["Content-Type"] = "application/json;charset=utf-8"
local queries = {"ade", "meg", "alex v", "sher", "wil", "joni", "pradeep g", "lidia.h",
                 "team bo", "sakura tan", "di", "nestor w", "b", "raul", "emily.c", "gupta"}
local bodies = {}
for i, q in ipairs(queries) do
  bodies[i] = '{"queryParams":{"QueryString":"' .. q .. '","MaximumEntitySuggestions":10,' ..
              '"PrincipalType":5,"AllowEmailAddresses":true}}'
end
request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
LUA
curl -sf -X POST -H "Authorization: Bearer $ptoken" -H "$ACCEPT" \
  -H "Content-Type: application/json;charset=utf-8" --data "$(picker_body "alex v")" \
  "$BASE$PICKER_PATH" > "$WORK/www/picker.json"
picker_bytes=$(stat -c %s "$WORK/www/picker.json")
picker_found=$(grep -o '\\"Key\\"' "$WORK/www/picker.json" | wc -l)
chmod a+r "$WORK/www/picker.json"
: > "$WORK/pup.txt"
: > "$WORK/png.txt"
for _ in $(seq 1 "$ROUNDS"); do
  measure "$SECS" -s "$WORK/picker.lua" "$BASE$PICKER_PATH" >> "$WORK/pup.txt"
  measure "$SECS" "http://127.0.0.1:$NGINX_PORT/picker.json" >> "$WORK/png.txt"
done
read -r pup_rps pup_p99 _ < <(median_row "$WORK/pup.txt")
read -r png_rps png_p99 _ < <(median_row "$WORK/png.txt")
pup_err=$(awk '{n+=$3} END {print n+0}' "$WORK/pup.txt")
png_err=$(awk '{n+=$3} END {print n+0}' "$WORK/png.txt")
pup_all=$(awk '{printf "%s%.0f", (NR>1?", ":""), $1}' "$WORK/pup.txt")
png_all=$(awk '{printf "%s%.0f", (NR>1?", ":""), $1}' "$WORK/png.txt")
printf 'http: people picker search over %d people + 500 groups (POST, 16 prefixes at random, up to 10 entities; "alex v": %d entities, %d bytes), wrk -t2 -c16 -d%ss\n' \
  "$PICKER_USERS" "$picker_found" "$picker_bytes" "$SECS"
printf '  upsync serve:          %9.0f req/s  p99 %7.2f ms  errors %d  (rounds: %s; goal >= 10000)\n' "$pup_rps" "$pup_p99" "$pup_err" "$pup_all"
printf '  nginx static file:     %9.0f req/s  p99 %7.2f ms  errors %d  (rounds: %s; GET of the "alex v" answer)\n' "$png_rps" "$png_p99" "$png_err" "$png_all"
printf '  ratio upsync / nginx:  %.2fx req/s\n' "$(echo "$pup_rps / $png_rps" | bc -l)"

source "$ROOT/bench/http_batch.sh"
source "$ROOT/bench/http_person.sh"
