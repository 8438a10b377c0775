#!/usr/bin/env bash
# Creates the demo tenant "contoso" (SharePoint Online kind) with two custom properties and a
# small team, then shows one profile. Usage: load.sh PATH/TO/upsync
# Uses $UPSYNC_DATA_DIR; starts from an empty demo tenant each time.
set -euo pipefail
UPSYNC=${1:?usage: load.sh PATH/TO/upsync}
HERE=$(cd "$(dirname "$0")" && pwd)
: "${UPSYNC_DATA_DIR:?set UPSYNC_DATA_DIR}"
rm -rf "$UPSYNC_DATA_DIR"

"$UPSYNC" tenant create contoso --kind online
# Seed 003's sample custom properties: City and OfficeCode, not editable by users.
"$UPSYNC" property add -t contoso City --display-name "City"
"$UPSYNC" property add -t contoso OfficeCode --display-name "Office code"

# One line per person: upn|first|last|title|department|office|manager upn
while IFS='|' read -r upn first last title dept office manager; do
  case "$upn" in ''|'#'*) continue ;; esac
  args=(--set "FirstName=$first" --set "LastName=$last" --set "PreferredName=$first $last"
        --set "WorkEmail=$upn" --set "Title=$title" --set "SPS-JobTitle=$title"
        --set "Department=$dept" --set "SPS-Department=$dept" --set "Office=$office")
  if [ -n "$manager" ]; then args+=(--set "Manager=i:0#.f|membership|$manager"); fi
  "$UPSYNC" profile create -t contoso "i:0#.f|membership|$upn" "${args[@]}" >/dev/null
done < "$HERE/people.txt"

echo
"$UPSYNC" profile list -t contoso
echo
"$UPSYNC" profile get -t contoso vesaj@contoso.com
echo
echo "Demo data is in $UPSYNC_DATA_DIR. Try:"
echo "  export UPSYNC_DATA_DIR=$UPSYNC_DATA_DIR"
echo "  $UPSYNC profile set -t contoso vesaj@contoso.com --set City=Helsinki --set OfficeCode=Viper"
echo "  $UPSYNC --json profile get -t contoso vesaj@contoso.com"
