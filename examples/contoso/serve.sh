#!/usr/bin/env bash
# Serves the demo tenant (made by load.sh) on 127.0.0.1 until Ctrl-C: registers an app,
# starts `upsync serve`, gets a token from its token endpoint and prints requests to paste.
# Usage: serve.sh PATH/TO/upsync        ($UPSYNC_DATA_DIR; $UPSYNC_DEMO_LISTEN, default
# 127.0.0.1:8080; port 0 takes a free port, and the requests printed name it)
set -euo pipefail
UPSYNC=${1:?usage: serve.sh PATH/TO/upsync}
: "${UPSYNC_DATA_DIR:?set UPSYNC_DATA_DIR}"
LISTEN=${UPSYNC_DEMO_LISTEN:-127.0.0.1:8080}

app=$("$UPSYNC" --json app add -t contoso demo-client)
cid=$(echo "$app" | sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p')
secret=$(echo "$app" | sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p')

out=$(mktemp)
"$UPSYNC" serve --listen "$LISTEN" > "$out" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
trap 'exit 0' INT TERM
for _ in $(seq 1 200); do
  grep -q listening "$out" && break
  kill -0 $pid 2>/dev/null || { echo "upsync serve did not start" >&2; exit 1; }
  sleep 0.05
done
# The address the server says it listens on (the port it took, when asked for port 0).
BASE=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$out" | head -1)
[ -n "$BASE" ] || { echo "upsync serve did not say where it listens" >&2; exit 1; }

token_request="curl -s -d grant_type=client_credentials -d client_id=$cid -d client_secret=$secret --data-urlencode scope=https://contoso.sharepoint.com/.default $BASE/contoso/oauth2/v2.0/token"
token=$($token_request | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no token from $BASE" >&2; exit 1; }

cat <<TEXT

== upsync serves the demo tenant 'contoso' at $BASE (Ctrl-C stops it)
An app is registered: client id $cid, secret $secret. A token (valid 1 hour):
  $token_request

TOKEN=$token

Three requests to paste (SharePoint REST, Graph, the admin API):
curl -sf -H "Authorization: Bearer \$TOKEN" -H 'Accept: application/json;odata=nometadata' "$BASE/tenants/contoso/_api/sp.userprofiles.peoplemanager/getpropertiesfor(@v)?@v='i%3A0%23.f%7Cmembership%7Cvesaj%40contoso.com'"
curl -sf -H "Authorization: Bearer \$TOKEN" "$BASE/tenants/contoso/v1.0/users?\\\$select=displayName,userPrincipalName,jobTitle&\\\$top=3"
curl -sf -H "Authorization: Bearer \$TOKEN" -X POST -H 'Content-Type: application/json' -d '{"dryRun":true}' "$BASE/tenants/contoso/admin/v1/sync/runs"
TEXT
wait $pid
