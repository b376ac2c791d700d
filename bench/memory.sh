#!/usr/bin/env bash
# Resident memory under load, sampled as the server's VmRSS every few seconds and printed at the
# start, its peak under load, at the end of the load and after an idle pause. Two loads:
#  - logins (the default): clients logging in back to back (each login one Argon2 verification,
#    19 MiB of working memory), on an empty database;
#  - mixed (MIX=mixed): the soak, on a seeded tree (111,110 groups, SOAK_DEVICES devices):
#    reads of one group and of pages of descendants, creates and removals of sites, session
#    reports of devices with their own credentials, and logins, all at once.
#
#   bench/memory.sh                          # SQLite, 4 clients, 60 s of logins, 15 s idle
#   CLIENTS=8 SOAK=300s bench/memory.sh
#   MIX=mixed SOAK=30m bench/memory.sh       # the 30-minute mixed soak
#   DATABASE=postgres MIX=mixed SOAK=30m bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

MIX=${MIX:-logins}
CLIENTS=${CLIENTS:-4}
SOAK=${SOAK:-60s}
IDLE=${IDLE:-15}
SOAK_DEVICES=${SOAK_DEVICES:-10000}
source bench/lib.sh
ensure_wrk
build_release

case "$MIX" in
    logins) fresh_database memory ;;
    mixed) seed_tree memory 1 --devices "$SOAK_DEVICES" --credentials "$work/credentials" ;;
    *) echo "MIX must be logins or mixed" >&2; exit 2 ;;
esac
start_server main TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE=1000000
export TENANTRY_BENCH_TOKEN=$token_main TENANTRY_BENCH_CREDENTIALS=$work/credentials
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid_main/status"; }
start=$(rss)
( while sleep 2; do rss; done ) > "$work/rss" &
sampler=$!
# One wrk per kind of request, all at once; each writes its summary to $work/wrk.<script>.
loads=()
run() {
    wrk -t1 -c"$2" -d"$SOAK" -s "bench/$1" "$base_main" > "$work/wrk.$1" &
    loads+=($!)
}
if [ "$MIX" = logins ]; then
    echo "machine: $(nproc) cores; backend: $DATABASE; $CLIENTS clients logging in for $SOAK, then $IDLE s idle"
    wrk -t2 -c"$CLIENTS" -d"$SOAK" -s bench/login.lua "$base_main" > "$work/wrk.login.lua" &
    loads+=($!)
else
    echo "machine: $(nproc) cores; backend: $DATABASE; mixed load for $SOAK on 111,110 groups and $SOAK_DEVICES devices, then $IDLE s idle"
    run get_group.lua 8
    run descendants.lua 4
    run create_delete.lua 4
    run sessions.lua 4
    run login.lua 2
fi
wait "${loads[@]}"
kill "$sampler"
end=$(rss)
peak=$(sort -n "$work/rss" <(echo "$end") | tail -1)
sleep "$IDLE"
idle=$(rss)
echo
echo "| requests | of which | non-2xx | RSS at start | peak under load | at the end of the load | after ${IDLE} s idle |"
echo "|---|---|---|---|---|---|---|"
total=0 bad=0 parts=""
for out in "$work"/wrk.*; do
    n=$(awk '/requests in/ {print $1}' "$out")
    b=$(awk '/Non-2xx/ {print $NF}' "$out")
    total=$(( total + n )) bad=$(( bad + ${b:-0} ))
    parts+="${out##*/wrk.} $n, "
done
echo "| $total | ${parts%, } | $bad | $start MB | $peak MB | $end MB | $idle MB |"
