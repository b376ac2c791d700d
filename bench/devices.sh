#!/usr/bin/env bash
# Devices at scale, each stage on a fresh database with the 111,110-group tree:
#  1. session ingestion: 100,000 devices with 90 days of history, each request a session report
#     from a random device with its own credential;
#  2. listings: 1,000,000 devices, the first page (50) of subtree device listings, one request at
#     a time (the latency a console user sees), for groups from the root down to a site; and
#     90-day charts over them (90 days rolled up by the seed).
# Prints markdown rows like run.sh (median of ROUNDS runs) and the seed times.
#
#   bench/devices.sh                        # SQLite, 10 s per load, 64 connections
#   DATABASE=postgres bench/devices.sh      # the same on PostgreSQL (needs the local server)
#   INGEST_DEVICES=100000 LIST_DEVICES=1000000 DURATION=10s ROUNDS=3 bench/devices.sh
#   STAGES=list bench/devices.sh            # one stage only
set -euo pipefail
cd "$(dirname "$0")/.."

INGEST_DEVICES=${INGEST_DEVICES:-100000}
LIST_DEVICES=${LIST_DEVICES:-1000000}
STAGES=${STAGES:-ingest list}
source bench/lib.sh
ensure_wrk
build_release

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; backend: $DATABASE; wrk $DURATION"

# 1. Session ingestion.
if [[ " $STAGES " == *" ingest "* ]]; then
fresh_database ingest
echo
echo "seed: $("$server" seed --shape 10,10,10,110 --devices "$INGEST_DEVICES" --history-days 90 \
    --credentials "$work/credentials" | tail -1)"
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
[[ " $STAGES " == *" list "* ]] || exit 0
fresh_database list
echo
"$server" seed --shape 10,10,10,110 --devices "$LIST_DEVICES" --history-days 0 --rollup-days 90 \
    | tail -2 | sed 's/^/seed: /'
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
