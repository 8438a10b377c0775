# Part of bench/http.sh (sourced at its end, with its server, nginx and `measure`): the person
# page of a manager with 50 direct reports, as a colleague's browser loads it. A view is three
# requests: the page (person.aspx, its HTML), her profile (PeopleManager GetPropertiesFor, the
# 50 reports among its org chart, the colleague's privacy applied) and the names and titles of
# everyone in that org chart (one Graph users read, `userPrincipalName in (...)`). Each is
# measured alone with the same wrk load, beside nginx answering the same bytes from a file;
# "views/s" is what the server answers when it serves nothing but whole views,
# 1 / (1/page + 1/profile + 1/names), with the worst p99 of the three.
PERSON_REPORTS=50
"$UPSYNC" tenant create northwind >/dev/null
manager=$("$UPSYNC" --json directory user add -t northwind miriam@northwind.com \
  --set "displayName=Miriam Graham" --set jobTitle=Director --set department=Sales \
  | sed -n 's/.*"objectId": *"\([^"]*\)".*/\1/p')
upns=""
for i in $(seq 1 "$PERSON_REPORTS"); do
  "$UPSYNC" directory user add -t northwind "report$i@northwind.com" \
    --set "displayName=Report $i" --set "jobTitle=Analyst $i" --set department=Sales \
    --set "manager=$manager" >/dev/null
  upns="$upns${upns:+,}'report$i@northwind.com'"
done
"$UPSYNC" directory user add -t northwind viewer@northwind.com --set "displayName=Viewer" \
  >/dev/null
"$UPSYNC" sync run -t northwind >/dev/null
"$UPSYNC" user password set -t northwind viewer@northwind.com --password bench-pw-1 >/dev/null
napp=$("$UPSYNC" --json app add -t northwind bench)
ncid=$(echo "$napp" | sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p')
viewer_token() {
  curl -sf -d "grant_type=password&client_id=$ncid&username=viewer%40northwind.com&password=bench-pw-1&scope=$1" \
    "$BASE/northwind/oauth2/v2.0/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
sp_token=$(viewer_token "https%3A%2F%2Fnorthwind.sharepoint.com%2F.default")
graph_token=$(viewer_token "https%3A%2F%2Fgraph.microsoft.com%2F.default")
claim="i%3A0%23.f%7Cmembership%7Cmiriam%40northwind.com"
PAGE_PATH="/tenants/northwind/person.aspx?accountname=$claim"
PROFILE_PATH="/tenants/northwind/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(@v)?@v=%27$claim%27"
names_filter=$(printf 'userPrincipalName in (%s)' "$upns" | jq -sRr @uri)
NAMES_PATH="/tenants/northwind/v1.0/users?\$filter=$names_filter&\$select=userPrincipalName,displayName,jobTitle&\$top=999"

curl -sf "$BASE$PAGE_PATH" > "$WORK/www/person.html"
curl -sf -H "Authorization: Bearer $sp_token" -H "$ACCEPT" "$BASE$PROFILE_PATH" \
  > "$WORK/www/person_profile.json"
curl -sf -H "Authorization: Bearer $graph_token" "$BASE$NAMES_PATH" > "$WORK/www/person_names.json"
reports=$(jq '.DirectReports | length' "$WORK/www/person_profile.json")
named=$(jq '[.value[] | select(.jobTitle | startswith("Analyst"))] | length' \
  "$WORK/www/person_names.json")
if [ "$reports" != "$PERSON_REPORTS" ] || [ "$named" != "$PERSON_REPORTS" ]; then
  echo "http: the person page's answers hold $reports reports and $named names, not $PERSON_REPORTS" >&2
  exit 1
fi
chmod a+r "$WORK/www/person.html" "$WORK/www/person_profile.json" "$WORK/www/person_names.json"

# One row per request of a view: name, upsync's arguments to wrk, nginx's file.
person_rows=(
  "page|$BASE$PAGE_PATH|person.html"
  "profile|-H|Authorization: Bearer $sp_token|-H|$ACCEPT|$BASE$PROFILE_PATH|person_profile.json"
  "names|-H|Authorization: Bearer $graph_token|$BASE$NAMES_PATH|person_names.json"
)
printf 'http: the person page of a manager with %d reports, seen by a colleague; wrk -t2 -c16 -d%ss, median of %d alternating rounds\n' \
  "$PERSON_REPORTS" "$SECS" "$ROUNDS"
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
  inverse_sum=$(echo "$inverse_sum + 1 / $u_rps" | bc -l)
  worst_p99=$(echo "if ($u_p99 > $worst_p99) $u_p99 else $worst_p99" | bc -l)
done
printf '  whole views: %.0f views/s (goal >= 5000), the worst p99 of a view'"'"'s requests %.2f ms\n' \
  "$(echo "1 / $inverse_sum" | bc -l)" "$worst_p99"
