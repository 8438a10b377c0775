# Part of bench/http.sh (sourced at its end, with its server, token, nginx and `measure`):
# a Graph JSON $batch of 20 user reads, POSTed by wrk to upsync serve, beside nginx answering
# the same POST with the same bytes as a static file. Prints req/s (batches and the requests
# in them), p99 and errors, as medians of alternating rounds.
BATCH_N=20
for i in $(seq 1 "$BATCH_N"); do
  "$UPSYNC" directory user add -t contoso "batch$i@contoso.com" --set "displayName=Batch $i" \
    >/dev/null
done
{
  printf '{"requests":['
  for i in $(seq 1 "$BATCH_N"); do
    printf '%s{"id":"%d","method":"GET","url":"/users/batch%d@contoso.com?$select=id,displayName,userPrincipalName"}' \
      "$([ "$i" = 1 ] || echo ,)" "$i" "$i"
  done
  printf ']}'
} > "$WORK/batch.json"
curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  --data-binary @"$WORK/batch.json" "$BASE/tenants/contoso/v1.0/\$batch" > "$WORK/www/batch.json"
ok=$(grep -o '"status":200' "$WORK/www/batch.json" | wc -l)
if [ "$ok" != "$BATCH_N" ]; then
  echo "http: the batch answered $ok of $BATCH_N requests with 200:" >&2
  head -c 600 "$WORK/www/batch.json" >&2
  exit 1
fi
chmod a+r "$WORK/www/batch.json"
batch_bytes=$(stat -c %s "$WORK/www/batch.json")
# wrk POSTs the batch; the body is a Lua long string (the JSON holds no "]]").
cat > "$WORK/batch.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$(cat "$WORK/batch.json")]]
LUA
: > "$WORK/up_batch.txt"
: > "$WORK/ng_batch.txt"
for _ in $(seq 1 "$ROUNDS"); do
  measure "$SECS" -s "$WORK/batch.lua" -H "Authorization: Bearer $token" \
    "$BASE/tenants/contoso/v1.0/\$batch" >> "$WORK/up_batch.txt"
  measure "$SECS" -s "$WORK/batch.lua" "http://127.0.0.1:$NGINX_PORT/batch.json" >> "$WORK/ng_batch.txt"
done
read -r upb_rps upb_p99 _ < <(median_row "$WORK/up_batch.txt")
read -r ngb_rps ngb_p99 _ < <(median_row "$WORK/ng_batch.txt")
upb_err=$(awk '{n+=$3} END {print n+0}' "$WORK/up_batch.txt")
ngb_err=$(awk '{n+=$3} END {print n+0}' "$WORK/ng_batch.txt")
printf 'http: Graph $batch of %d user reads (%d-byte JSON answer), POST, same wrk load and rounds\n' \
  "$BATCH_N" "$batch_bytes"
printf '  upsync serve:          %9.0f batches/s (%.0f requests/s)  p99 %7.2f ms  errors %d\n' \
  "$upb_rps" "$(echo "$upb_rps * $BATCH_N" | bc -l)" "$upb_p99" "$upb_err"
printf '  nginx static file:     %9.0f req/s  p99 %7.2f ms  errors %d\n' "$ngb_rps" "$ngb_p99" "$ngb_err"
printf '  ratio upsync / nginx:  %.3fx\n' "$(echo "$upb_rps / $ngb_rps" | bc -l)"
