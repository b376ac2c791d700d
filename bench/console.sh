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
# Issue 19: the theme on every page, and the plugins' panels. A reseller (12) sets its branding;
# the pages below are the root's SuperUser's, whose own console (the root) is themed too.
api() { # api METHOD PATH BODY
    curl -sf -X "$1" "$base/api/v1$2" -H "Authorization: Bearer $token_console" \
        -H 'Content-Type: application/json' -d "$3" > /dev/null
}
api PUT /groups/1/branding '{"product_name": "Bench Backup", "main_color": "#13294b", "accent_color": "#0b5cad", "support_email": "help@bench.test", "login_address": "bench-backup"}'
api PUT /groups/12/branding '{"main_color": "#5c1a1a"}'
api POST /groups/12/contacts '{"name": "Ada", "email": "ada@bench.test"}'
api POST /groups/12/activities '{"kind": "call", "subject": "Renewal", "when": "2030-01-02T09:30:00Z"}'
api POST /groups/12/scheduled-reports '{"title": "Usage", "kind": "usage", "recipients": {"emails": ["a@bench.test"]}, "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "UTC"}}'
page "Customers of a reseller, themed" "/customers?group=12"
page "the theme's stylesheet (/theme.css)" "/theme.css"
page "Branding tab of a reseller (values, sources, form)" "/customers/12/panels/branding/branding"
page "Contacts tab of a reseller" "/customers/12/panels/crm/contacts"
page "Past activities tab of a reseller" "/customers/12/panels/crm/past_activities"
page "Scheduled reports tab of a reseller" "/customers/12/panels/reporting/scheduled_reports"
page "Historical charts tab of a reseller (the page)" "/customers/12/panels/reporting/charts"
page "its chart, 30 days of 10,000 devices (SVG)" "/customers/12/panels/reporting/charts/chart?metric=devices&days=30"
page "the white-label login page" "/login/bench-backup"
stop_servers
