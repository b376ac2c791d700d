#!/usr/bin/env bash
# Devices at scale, each stage on a fresh database with the 111,110-group tree:
#  1. session ingestion: 100,000 devices with 90 days of history, each request a session report
#     from a random device with its own credential;
#  2. listings: 1,000,000 devices, the first page (50) of subtree device listings, one request at
#     a time (the latency a console user sees), for groups from the root down to a site; and
#     90-day charts over them (90 days rolled up by the seed);
#  3. device counts (what `tenantry groups tree` asks): LIST_DEVICES devices, no history,
#     `GET /groups/{id}/device-counts` for groups from the root down, median of REPORT_RUNS by curl;
#  4. mailed reports: 100,000 devices with 31 days of history, a monthly usage report run now
#     (`POST …/scheduled-reports/{rid}/run`: the report built and queued in one write
#     transaction) for groups from a site up to the root; median of REPORT_RUNS runs by curl.
# Prints markdown rows like run.sh (median of ROUNDS runs) and the seed times.
#
#   bench/devices.sh                        # SQLite, 10 s per load, 64 connections
#   DATABASE=postgres bench/devices.sh      # the same on PostgreSQL (needs the local server)
#   INGEST_DEVICES=100000 LIST_DEVICES=1000000 DURATION=10s ROUNDS=3 bench/devices.sh
#   STAGES=list bench/devices.sh            # one stage only
#   STAGES=report REPORT_DEVICES=100000 REPORT_RUNS=5 bench/devices.sh
#   STAGES=counts bench/devices.sh
set -euo pipefail
cd "$(dirname "$0")/.."

INGEST_DEVICES=${INGEST_DEVICES:-100000}
LIST_DEVICES=${LIST_DEVICES:-1000000}
REPORT_DEVICES=${REPORT_DEVICES:-100000}
REPORT_RUNS=${REPORT_RUNS:-5}
STAGES=${STAGES:-ingest list counts report}
source bench/lib.sh
ensure_wrk
build_release

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; backend: $DATABASE; wrk $DURATION"

# 1. Session ingestion.
if [[ " $STAGES " == *" ingest "* ]]; then
echo
seed_tree ingest 1 --devices "$INGEST_DEVICES" --history-days 90 --credentials "$work/credentials"
start_server ingest
base=$base_ingest
export TENANTRY_BENCH_TOKEN=$token_ingest TENANTRY_BENCH_CREDENTIALS=$work/credentials
echo
echo "| load | wrk | req/s (median of $ROUNDS) | of /healthz | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
ceiling=""
load "GET /healthz (HTTP ceiling)" healthz.lua /healthz 2 "$CONNECTIONS"
load "POST a session report, $INGEST_DEVICES devices" sessions.lua / 2 "$CONNECTIONS"
stop_servers
fi

# 2. Listings.
if [[ " $STAGES " == *" list "* ]]; then
echo
seed_tree list 2 --devices "$LIST_DEVICES" --history-days 0 --rollup-days 90
start_server list
base=$base_list
export TENANTRY_BENCH_TOKEN=$token_list
echo
echo "| first page of | wrk | req/s (median of $ROUNDS) | of /healthz | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
ceiling=""
load "GET /healthz (HTTP ceiling)" healthz.lua /healthz 1 1
# Ids of the seeded tree: 1 the root, 2 a sub-distributor, 12 a reseller, 112 an end-customer,
# 1112 a site (see bench/common.lua).
list() { # list NAME QUERY
    export TENANTRY_BENCH_LIST="/api/v1/groups/$2"
    load "$1" device_list.lua / 1 1
}
list "the root's $LIST_DEVICES devices, tree order" "1/devices?descendants=true"
list "a sub-distributor's subtree, tree order" "2/devices?descendants=true"
list "a reseller's subtree, tree order" "12/devices?descendants=true"
list "a site's devices" "1112/devices"
list "the root's, failed only" "1/devices?descendants=true&status=failed"
list "the root's, no session for 24 h" "1/devices?descendants=true&last_session_older_than_hours=24"
list "the root's, by name" "1/devices?descendants=true&sort=name"
list "a reseller's subtree, by name" "12/devices?descendants=true&sort=name"
list "a reseller's subtree, oldest session first" "12/devices?descendants=true&sort=last_session_at"
# Charts (the reporting plugin) of the root over 90 days: 90 rolled-up rows, whatever lies below.
to=$(date -u +%F); from=$(date -u -d "89 days ago" +%F)
list "chart: the root's used storage, 90 days, JSON" "1/charts/used_bytes?from=$from&to=$to"
list "chart: the root's used storage, 90 days, SVG" "1/charts/used_bytes.svg?from=$from&to=$to"
list "chart: a site's devices, 90 days, SVG" "1112/charts/devices.svg?from=$from&to=$to"
stop_servers
fi

# measure METHOD URL: REPORT_RUNS requests by curl with $token; sets $median and $slowest (ms).
measure() {
    local times
    times=$(for _ in $(seq "$REPORT_RUNS"); do
        curl -sf -o /dev/null -w '%{time_total}\n' -X "$1" "$2" -H "Authorization: Bearer $token"
    done | sort -n)
    median=$(bc -l <<<"$(sed -n "$(( (REPORT_RUNS + 1) / 2 ))p" <<<"$times") * 1000")
    slowest=$(bc -l <<<"$(tail -1 <<<"$times") * 1000")
}

# timed NAME PATH: a GET measured, as a markdown row.
timed() {
    measure GET "$base$2"
    printf '| %s | %.1f ms | %.1f ms |\n' "$1" "$median" "$slowest"
}

# 3. Device counts.
if [[ " $STAGES " == *" counts "* ]]; then
echo
seed_tree counts 1 --devices "$LIST_DEVICES" --history-days 0 --rollup-days 0
start_server counts
base=$base_counts token=$token_counts
echo
echo "| device counts of | median of $REPORT_RUNS | slowest |"
echo "|---|---|---|"
timed "the root (111,110 groups, $LIST_DEVICES devices)" /api/v1/groups/1/device-counts
timed "a sub-distributor (11,111 groups)" /api/v1/groups/2/device-counts
timed "a reseller (1,111 groups)" /api/v1/groups/12/device-counts
timed "an end-customer (111 groups)" /api/v1/groups/112/device-counts
stop_servers
fi

# 4. Mailed reports. No SMTP server: the message waits in the outbox; what is timed is the
# request, which reads the subtree's devices with their month of history, writes the CSV and
# queues the message, holding the write transaction throughout.
[[ " $STAGES " == *" report "* ]] || exit 0
echo
seed_tree report 1 --devices "$REPORT_DEVICES" --history-days 31
start_server report
token=$token_report
echo
echo "| usage report of | devices | run now, median of $REPORT_RUNS | slowest |"
echo "|---|---|---|---|"
report() { # report NAME GROUP
    local rid
    rid=$(curl -sf "$base_report/api/v1/groups/$2/scheduled-reports" \
        -H "Authorization: Bearer $token_report" -H 'Content-Type: application/json' \
        -d '{"title": "Usage", "kind": "usage", "recipients": {"emails": ["ops@bench.example"]},
             "schedule": {"frequency": "monthly", "day": 1, "at": "06:00", "time_zone": "UTC"}}' \
        | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
    [ -n "$rid" ] || { echo "cannot create a report on group $2" >&2; exit 1; }
    measure POST "$base_report/api/v1/groups/$2/scheduled-reports/$rid/run"
    local devices
    # The subtree's devices: the last day of its chart (rolled up by the seed).
    devices=$(curl -sf "$base_report/api/v1/groups/$2/charts/devices.csv" \
        -H "Authorization: Bearer $token_report" | tr -d '\r' | awk -F, 'NF == 2 && $2 != "" {n = $2} END {print n}')
    printf '| %s | %s | %.0f ms | %.0f ms |\n' "$1" "${devices:-?}" "$median" "$slowest"
}
# Ids as above: 1112 a site, 112 an end-customer, 12 a reseller, 2 a sub-distributor, 1 the root.
report "a site" 1112
report "an end-customer" 112
report "a reseller" 12
report "a sub-distributor" 2
report "the root" 1
