#!/usr/bin/env bash
# Seeds a 111,110-group tree into a fresh database, starts the release server on 127.0.0.1 and
# loads it with wrk, each path ROUNDS times. Prints one markdown row per path: the median run's
# requests/s, its share of /healthz measured in the same run, p50, p99, non-2xx answers.
#
#   bench/run.sh                       # SQLite, 10 s per path, 64 connections
#   DATABASE=postgres bench/run.sh     # the same on PostgreSQL (needs the local server)
#   DURATION=30s CONNECTIONS=32 ROUNDS=5 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source bench/lib.sh
ensure_wrk
build_release

fresh_database bench
echo "seed: $("$server" seed --shape 10,10,10,110 | cut -d';' -f1)"
start_server main
base=$base_main
# Every load runs as the root's SuperUser, with one session token.
TENANTRY_BENCH_TOKEN=$token_main
export TENANTRY_BENCH_TOKEN

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; backend: $DATABASE; wrk $DURATION"
echo
echo "| path | wrk | req/s (median of $ROUNDS) | of /healthz | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
load "GET /healthz (HTTP ceiling)" healthz.lua /healthz 2 "$CONNECTIONS"
load "GET one group" get_group.lua / 2 "$CONNECTIONS"
authenticated=$last
load "GET one group, no authentication (baseline)" get_group_baseline.lua / 2 "$CONNECTIONS"
baseline=$last
load "GET 100 descendants of a distributor" descendants.lua / 2 "$CONNECTIONS"
load "POST create a site" create.lua / 2 "$CONNECTIONS"
load "PATCH move a 1,111-group subtree" move.lua / 1 1
echo
echo "authentication and authorization cost: GET one group at $authenticated req/s against $baseline without them ($(( (baseline - authenticated) * 100 / baseline ))% less)"
