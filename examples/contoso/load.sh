#!/usr/bin/env bash
# Creates the demo tenant "contoso" (SharePoint Online kind): syncs its on-premises directory
# (directory.ldif) into profiles, then bulk-imports seed 003's sample file of custom
# properties (users.json). Usage: load.sh PATH/TO/upsync
# Uses $UPSYNC_DATA_DIR; starts from an empty data folder each time.
set -euo pipefail
UPSYNC=${1:?usage: load.sh PATH/TO/upsync}
HERE=$(cd "$(dirname "$0")" && pwd)
: "${UPSYNC_DATA_DIR:?set UPSYNC_DATA_DIR}"
rm -rf "$UPSYNC_DATA_DIR"

"$UPSYNC" tenant create contoso --kind online
# Seed 003's sample custom properties: City and OfficeCode, not editable by users.
"$UPSYNC" property add -t contoso City --display-name "City"
"$UPSYNC" property add -t contoso OfficeCode --display-name "Office code"

echo; echo "== directory sync: directory.ldif -> cloud directory -> directory store -> profiles"
"$UPSYNC" sync ldif -t contoso "$HERE/directory.ldif"

echo; echo "== bulk import of seed 003's sample file"
src='/sites/hr/Shared Documents/import/users.json'
"$UPSYNC" file put -t contoso "$HERE/users.json" "$src"
job=$("$UPSYNC" --json import queue -t contoso --id-type Email --id-property IdName \
        --map City=City --map Office=OfficeCode --source "$src" | sed -n 's/.*"JobId": *"\([^"]*\)".*/\1/p')
"$UPSYNC" import run-pending
"$UPSYNC" import status -t contoso "$job"

echo
"$UPSYNC" profile list -t contoso
echo
"$UPSYNC" profile get -t contoso vesaj@contoso.com
echo
echo "Demo data is in $UPSYNC_DATA_DIR. Try:"
echo "  export UPSYNC_DATA_DIR=$UPSYNC_DATA_DIR"
echo "  $UPSYNC --json profile get -t contoso bjansen@contoso.com"
echo "  $UPSYNC sync ldif -t contoso $HERE/directory.ldif --dry-run"
echo "  $UPSYNC import list -t contoso"
