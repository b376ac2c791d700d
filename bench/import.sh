#!/usr/bin/env bash
# Customer-tree files at scale, on a fresh database with the 111,110-group seed tree: a dry run
# and a real import of 1,000 and of 10,000 rows (`POST /groups/{id}/import`, one transaction per
# file) below a reseller, then the export of that reseller's subtree. Each is timed by curl;
# median of RUNS (every real import gets files of its own, since names are unique).
#
#   bench/import.sh                       # SQLite
#   DATABASE=postgres bench/import.sh     # the same on PostgreSQL (needs the local server)
#   RUNS=5 bench/import.sh
#   PLUGINS=branding,crm,reporting,refusing bench/import.sh   # with a plugin hooking creates
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
source bench/lib.sh
ensure_wrk
build_release

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; backend: $DATABASE"
seed_tree import 1
start_server import ${PLUGINS+TENANTRY__PLUGINS__ENABLED=$PLUGINS}
echo "plugins: ${PLUGINS-as configured}"
base=$base_import token=$token_import
# Group 12 is a reseller of the seed tree; the file's top rows name it as their parent.
top=12
top_name=$(curl -sf "$base/api/v1/groups/$top" -H "Authorization: Bearer $token" \
    | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')

# file ROWS PREFIX: end-customers of 10 sites each below the reseller, with company fields.
file() {
    awk -v rows="$1" -v prefix="$2" -v top="$top_name" 'BEGIN {
        print "name,parent,level,state,customer_reference,company.legal_name,company.city,company.country"
        for (i = 0; i < rows; i++) {
            if (i % 11 == 0) {
                customer = sprintf("%s customer %d", prefix, i)
                printf "%s,%s,end_customer,production,R-%d,\"%s, Ltd.\",Utrecht,NL\n", customer, top, i, customer
            } else {
                printf "%s site %d,%s,site,production,,,,\n", prefix, i, customer
            }
        }
    }' > "$work/$2.csv"
}

# post FILE QUERY: sets $took (ms) and checks the status.
post() {
    local out
    out=$(curl -s -o "$work/answer" -w '%{http_code} %{time_total}' -X POST \
        "$base/api/v1/groups/$top/import$2" -H "Authorization: Bearer $token" \
        -H 'Content-Type: text/csv' --data-binary "@$1")
    case "${out%% *}" in
        200|201) ;;
        *) echo "import failed: $out $(head -c 300 "$work/answer")" >&2; exit 1 ;;
    esac
    took=$(bc -l <<<"${out#* } * 1000")
}

median_of() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

echo
echo "| customer-tree file | dry run (median of $RUNS) | import (median of $RUNS) |"
echo "|---|---|---|"
for rows in 1000 10000; do
    file "$rows" "dry$rows"
    dry=$(for _ in $(seq "$RUNS"); do post "$work/dry$rows.csv" "?dry_run=true"; echo "$took"; done | median_of)
    real=$(for run in $(seq "$RUNS"); do
        file "$rows" "run$run-$rows"
        post "$work/run$run-$rows.csv" ""
        echo "$took"
    done | median_of)
    printf '| %s rows | %.0f ms | %.0f ms |\n' "$rows" "$dry" "$real"
done
groups=$(( $(curl -sf "$base/api/v1/groups/$top/export" -H "Authorization: Bearer $token" | wc -l) - 1 ))
times=$(for _ in $(seq "$RUNS"); do
    curl -sf -o /dev/null -w '%{time_total}\n' "$base/api/v1/groups/$top/export" \
        -H "Authorization: Bearer $token"
done | median_of)
printf '\n| export of the reseller (%s groups below it) | %.0f ms |\n|---|---|\n' \
    "$groups" "$(bc -l <<<"$times * 1000")"
stop_servers
