#!/usr/bin/env bash
# What dispatching group lifecycle hooks to plugins costs: create, update and removal throughput
# with every plugin enabled against the same with none, in one run. Two servers on copies of one
# seeded SQLite database; rounds alternate between them so that the machine's noise falls on both.
# Prints the median of each and the ratio.
#
#   bench/hooks.sh                     # 5 s per load, 3 rounds, 64 connections
#   DURATION=10s ROUNDS=5 bench/hooks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
source bench/lib.sh
ensure_wrk
build_release

echo "seed: $(TENANTRY__DATABASE__URL="sqlite://$work/seed.db" "$server" seed --shape 10,10,10,110 | cut -d';' -f1)"
for who in none all; do
    cp "$work/seed.db" "$work/$who.db"
done
start_server none TENANTRY__DATABASE__URL="sqlite://$work/none.db" TENANTRY__PLUGINS__ENABLED=
start_server all TENANTRY__DATABASE__URL="sqlite://$work/all.db"
plugins=$(curl -sf "$base_all/api/v1/plugins" -H "Authorization: Bearer $token_all" \
    | grep -o '"name":"[^"]*"' | cut -d'"' -f4 | paste -sd, -)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; SQLite; wrk -t2 -c$CONNECTIONS -d$DURATION; plugins enabled: $plugins"

for _ in $(seq "$ROUNDS"); do
    for load in create update rename create_delete; do
        for who in none all; do
            base_var="base_$who"; token_var="token_$who"
            rps=$(TENANTRY_BENCH_TOKEN=${!token_var} wrk -t2 -c"$CONNECTIONS" -d"$DURATION" \
                -s "bench/$load.lua" "${!base_var}/" | awk '/^Requests\/sec/ {print int($2)}')
            echo "$load $who $rps" >> "$work/results"
        done
    done
done

median() { # median LOAD WHO
    awk -v l="$1" -v w="$2" '$1 == l && $2 == w {print $3}' "$work/results" | sort -n \
        | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
echo
echo "| load | no plugins (req/s, median of $ROUNDS) | with $plugins (req/s) | with / without |"
echo "|---|---|---|---|"
for load in create update rename create_delete; do
    none=$(median "$load" none); all=$(median "$load" all)
    echo "| $load | $none | $all | $(( all * 100 / none ))% |"
done
