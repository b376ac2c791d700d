#!/usr/bin/env bash
# The web console at scale: the 111,110-group tree with 1,000,000 devices (no history), each page
# asked one request at a time (`-t1 -c1`: the latency a person sees), signed in as the root's
# SuperUser through the console's cookie. Prints markdown rows like run.sh (median of ROUNDS).
#
#   bench/console.sh                        # SQLite, 10 s per page
#   DATABASE=postgres bench/console.sh      # the same on PostgreSQL (needs the local server)
#   DEVICES=1000000 DURATION=10s ROUNDS=3 bench/console.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICES=${DEVICES:-1000000}
source bench/lib.sh
ensure_wrk
build_release

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; backend: $DATABASE; wrk $DURATION"
seed_tree console 1 --devices "$DEVICES" --history-days 0 --rollup-days 0
start_server console
base=$base_console
export TENANTRY_BENCH_TOKEN=$token_console
echo
echo "| console page, $DEVICES devices | wrk | req/s (median of $ROUNDS) | of /healthz | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
load "GET /healthz (HTTP ceiling)" healthz.lua /healthz 1 1
# Ids of the seeded tree: 1 the root, 2 a sub-distributor, 12 a reseller, 112 an end-customer,
# 1112 a site (see bench/common.lua).
page() { # page NAME PATH
    export TENANTRY_BENCH_PAGE="$2"
    load "$1" console_page.lua / 1 1
}
page "Customers of the root (tree and list, 10 customers)" "/customers"
page "Customers of a reseller (10 customers)" "/customers?group=12"
page "expanding the root in the tree" "/customers/tree/1"
page "expanding a reseller in the tree" "/customers/tree/12"
page "search by name across the subtree (20 matches)" "/customers/search?q=Seed+Site+11"
page "search by name, one match" "/customers/search?q=Seed+Site+111111"
page "Backup dashboard of the root (first 50 of all)" "/devices"
page "Backup dashboard of a sub-distributor" "/devices?group=2"
page "Backup dashboard of the root, failed only" "/devices?status=failed"
page "Backup dashboard of the root, no session for 24 h" "/devices?older=24"
page "Overview of a reseller (10 customers)" "/overview?group=12"
page "Overview of the root (10 customers, every device counted)" "/overview"
page "a device" "/devices/1"
stop_servers
