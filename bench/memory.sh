#!/usr/bin/env bash
# Resident memory under login load: clients logging in back to back (each login one Argon2
# verification, 19 MiB), then idle. Samples the server's VmRSS every few seconds and prints it
# at the start, its peak under load, at the end of the load and after the idle pause.
#
#   bench/memory.sh                          # SQLite, 4 clients, 60 s of logins, 15 s idle
#   CLIENTS=8 SOAK=300s bench/memory.sh
#   DATABASE=postgres bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-4}
SOAK=${SOAK:-60s}
IDLE=${IDLE:-15}
source bench/lib.sh
ensure_wrk
build_release

fresh_database memory
start_server main TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE=1000000
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid_main/status"; }
echo "machine: $(nproc) cores; backend: $DATABASE; $CLIENTS clients logging in for $SOAK, then $IDLE s idle"
start=$(rss)
peak=$start
( while sleep 2; do rss; done ) > "$work/rss" &
sampler=$!
out=$(wrk -t2 -c"$CLIENTS" -d"$SOAK" --latency -s bench/login.lua "$base_main")
kill "$sampler"
end=$(rss)
peak=$(sort -n "$work/rss" "$work/rss" <(echo "$end") | tail -1)
sleep "$IDLE"
idle=$(rss)
logins=$(awk '/requests in/ {print $1}' <<<"$out")
bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
echo
echo "| logins | non-2xx | RSS at start | peak under load | at the end of the load | after ${IDLE} s idle |"
echo "|---|---|---|---|---|---|"
echo "| $logins | ${bad:-0} | $start MB | $peak MB | $end MB | $idle MB |"
