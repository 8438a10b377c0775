# Part of bench/http.sh (sourced at its end, with its server, nginx and `measure`): a person
# page as a colleague's browser loads it, in tenant fabrikam of the people picker's part
# (100,000 people in an org chart fifty wide). The person is u1: her manager u0, 50 direct
# reports (u51..u100) and 49 peers (u2..u50). A view is every request the page makes for a
# colleague: the page (person.aspx, its HTML), the session, her profile (PeopleManager
# GetPropertiesFor with the members the page shows, the colleague's privacy applied), the
# schema's display names (the admin API's property list) and the names and titles of the 100
# people of her org chart (one Graph users read, `userPrincipalName in (...)`). The page's
# scripts and stylesheet are left out (a browser keeps them). Each request is measured alone
# with the same wrk load, beside nginx answering the same bytes from a file; "views/s" is what
# the server answers when it serves nothing but whole views, 1 / (sum of 1/req/s), with the
# worst p99 of them. The requests carry the colleague's bearer token where the page sends its
# session cookie (both are a Principal looked up the same way).
FIRST=(Adele Alex Allan Ben Christie Debra Diego Emily Enrico Grady Irvin Isaiah Johanna Joni Lee
  Lidia Lynne Megan Miriam Nestor Patti Pradeep Raul Sakura)
LAST=(Vance Wilber Deyoung Walker Cline Berger Siciliani Braun Cattaneo Archie Sayers Langer Lauer
  Sherman Gu Holloway Robbins Bowen Graham Wilke Fernandez Gupta Razor Tanaka)
mail_of() {  # the address picker.ldif gives person u$1
  local f=${FIRST[$(($1 % 24))]} l=${LAST[$(($1 / 24 % 24))]}
  echo "${f,,}.${l,,}$1@fabrikam.com"
}
PERSON_REPORTS=50
person=$(mail_of 1)
viewer=$(mail_of 200)
"$UPSYNC" user password set -t fabrikam "$viewer" --password bench-pw-1 >/dev/null
viewer_token() {
  curl -sf -d "grant_type=password&client_id=$pcid&username=$(printf %s "$viewer" | jq -sRr @uri)&password=bench-pw-1&scope=$1" \
    "$BASE/fabrikam/oauth2/v2.0/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
sp_token=$(viewer_token "https%3A%2F%2Ffabrikam.sharepoint.com%2F.default")
graph_token=$(viewer_token "https%3A%2F%2Fgraph.microsoft.com%2F.default")
claim=$(printf 'i:0#.f|membership|%s' "$person" | jq -sRr @uri)
# The members person.js selects (SHOWN there).
shown="AccountName,DisplayName,Email,PictureUrl,Title,UserProfileProperties,DirectReports,ExtendedManagers,Peers"
PAGE_PATH="/tenants/fabrikam/person.aspx?accountname=$claim"
SESSION_PATH="/tenants/fabrikam/_layouts/15/upsync/session"
PROFILE_PATH="/tenants/fabrikam/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(@v)?@v=%27$claim%27&\$select=$shown"
SCHEMA_PATH="/tenants/fabrikam/admin/v1/properties"
upns="'$(mail_of 0)'"
for i in $(seq 2 50) $(seq 51 100); do upns="$upns,'$(mail_of "$i")'"; done
names_filter=$(printf 'userPrincipalName in (%s)' "$upns" | jq -sRr @uri)
NAMES_PATH="/tenants/fabrikam/v1.0/users?\$filter=$names_filter&\$select=userPrincipalName,displayName,jobTitle&\$top=999"

curl -sf "$BASE$PAGE_PATH" > "$WORK/www/person.html"
curl -sf -H "Authorization: Bearer $sp_token" "$BASE$SESSION_PATH" > "$WORK/www/person_session.json"
curl -sf -H "Authorization: Bearer $sp_token" -H "$ACCEPT" "$BASE$PROFILE_PATH" \
  > "$WORK/www/person_profile.json"
curl -sf -H "Authorization: Bearer $sp_token" "$BASE$SCHEMA_PATH" > "$WORK/www/person_schema.json"
curl -sf -H "Authorization: Bearer $graph_token" "$BASE$NAMES_PATH" > "$WORK/www/person_names.json"
reports=$(jq '.DirectReports | length' "$WORK/www/person_profile.json")
peers=$(jq '.Peers | length' "$WORK/www/person_profile.json")
named=$(jq '.value | length' "$WORK/www/person_names.json")
if [ "$reports" != "$PERSON_REPORTS" ] || [ "$peers" != 49 ] || [ "$named" != 100 ]; then
  echo "http: the person page's answers hold $reports reports, $peers peers and $named names, not $PERSON_REPORTS, 49 and 100" >&2
  exit 1
fi
chmod a+r "$WORK"/www/person*

# One row per request of a view: name, upsync's arguments to wrk, nginx's file.
person_rows=(
  "page|$BASE$PAGE_PATH|person.html"
  "session|-H|Authorization: Bearer $sp_token|$BASE$SESSION_PATH|person_session.json"
  "profile|-H|Authorization: Bearer $sp_token|-H|$ACCEPT|$BASE$PROFILE_PATH|person_profile.json"
  "schema|-H|Authorization: Bearer $sp_token|$BASE$SCHEMA_PATH|person_schema.json"
  "names|-H|Authorization: Bearer $graph_token|$BASE$NAMES_PATH|person_names.json"
)
printf 'http: the person page of a manager with %d reports and 49 peers among %d people, seen by a colleague; wrk -t2 -c16 -d%ss, median of %d alternating rounds\n' \
  "$PERSON_REPORTS" "$PICKER_USERS" "$SECS" "$ROUNDS"
inverse_sum=0
worst_p99=0
for row in "${person_rows[@]}"; do
  IFS='|' read -r -a parts <<< "$row"
  name=${parts[0]}
  file=${parts[${#parts[@]} - 1]}
  args=("${parts[@]:1:${#parts[@]}-2}")
  : > "$WORK/up_$name.txt"
  : > "$WORK/ng_$name.txt"
  for _ in $(seq 1 "$ROUNDS"); do
    measure "$SECS" "${args[@]}" >> "$WORK/up_$name.txt"
    measure "$SECS" "http://127.0.0.1:$NGINX_PORT/$file" >> "$WORK/ng_$name.txt"
  done
  read -r u_rps u_p99 _ < <(median_row "$WORK/up_$name.txt")
  read -r n_rps n_p99 _ < <(median_row "$WORK/ng_$name.txt")
  u_err=$(awk '{n+=$3} END {print n+0}' "$WORK/up_$name.txt")
  printf '  %-8s (%6d bytes) upsync %8.0f req/s  p99 %6.2f ms  errors %d | nginx %8.0f req/s  p99 %6.2f ms | ratio %.2fx\n' \
    "$name" "$(stat -c %s "$WORK/www/$file")" "$u_rps" "$u_p99" "$u_err" "$n_rps" "$n_p99" \
    "$(echo "$u_rps / $n_rps" | bc -l)"
  [ "$name" = page ] && page_rps=$u_rps page_p99=$u_p99
  inverse_sum=$(echo "$inverse_sum + 1 / $u_rps" | bc -l)
  worst_p99=$(echo "if ($u_p99 > $worst_p99) $u_p99 else $worst_p99" | bc -l)
done
printf '  the page: %.0f pages/s (goal >= 5000), p99 %.2f ms\n' "$page_rps" "$page_p99"
printf '  whole views (the page and its %d API requests): %.0f views/s, the worst p99 of a view'"'"'s requests %.2f ms\n' \
  "$(( ${#person_rows[@]} - 1 ))" "$(echo "1 / $inverse_sum" | bc -l)" "$worst_p99"
