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

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
DATABASE=${DATABASE:-sqlite}
source bench/lib.sh
ensure_wrk
build_release

work=$(mktemp -d)
pg_db=""
case "$DATABASE" in
    sqlite) url="sqlite://$work/bench.db" ;;
    postgres)
        pg_db="tenantry_bench_$$"
        psql -q -h 127.0.0.1 -U root -d postgres -c "CREATE DATABASE $pg_db"
        url="postgres://root@127.0.0.1:5432/$pg_db" ;;
    *) echo "DATABASE must be sqlite or postgres" >&2; exit 2 ;;
esac
cleanup() {
    for pid in ${pids:-}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    [ -n "$pg_db" ] && psql -q -h 127.0.0.1 -U root -d postgres -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

export TENANTRY__DATABASE__URL="$url"
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
ceiling=""
load() { # load NAME SCRIPT PATH THREADS CONNECTIONS: ROUNDS runs, the median one reported
    results=""
    for _ in $(seq "$ROUNDS"); do
        out=$(wrk -t"$4" -c"$5" -d"$DURATION" --latency -s "bench/$2" "$base$3")
        rps=$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        results+="$rps $p50 $p99 ${bad:-0}"$'\n'
    done
    read -r rps p50 p99 bad < <(sort -n <<<"$results" | sed '/^$/d' | sed -n "$(( (ROUNDS + 1) / 2 ))p")
    [ -z "$ceiling" ] && ceiling=$rps
    echo "| $1 | -t$4 -c$5 -d$DURATION | $rps | $(( rps * 100 / ceiling ))% | $p50 | $p99 | $bad |"
    last=$rps
}
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
