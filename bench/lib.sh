# Shared by the benchmark scripts (sourced, from the repository's root): the settings every
# script takes from the environment, a scratch directory removed on exit with every server and
# PostgreSQL database the script started, wrk, the release build, starting a server, one load.

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
DATABASE=${DATABASE:-sqlite}

work=$(mktemp -d)
pids=""
pg_dbs=""
stop_servers() {
    for pid in $pids; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    pids=""
}
cleanup() {
    stop_servers
    for db in $pg_dbs; do
        psql -q -h 127.0.0.1 -U root -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# fresh_database NAME: points TENANTRY__DATABASE__URL at a new, empty database of $DATABASE.
fresh_database() {
    case "$DATABASE" in
        sqlite) export TENANTRY__DATABASE__URL="sqlite://$work/$1.db" ;;
        postgres)
            local db="tenantry_bench_$1_$$"
            psql -q -h 127.0.0.1 -U root -d postgres -c "CREATE DATABASE $db"
            pg_dbs="$pg_dbs $db"
            export TENANTRY__DATABASE__URL="postgres://root@127.0.0.1:5432/$db" ;;
        *) echo "DATABASE must be sqlite or postgres" >&2; exit 2 ;;
    esac
}

# seed_tree NAME LINES [SEED ARGS...]: a fresh database NAME with the 111,110-group tree and
# whatever the arguments add (devices, history), printing the seed's last LINES lines.
seed_tree() {
    local name=$1 lines=$2
    shift 2
    fresh_database "$name"
    "$server" seed --shape 10,10,10,110 "$@" | tail -"$lines" | sed 's/^/seed: /'
}

ADMIN_PASSWORD="bench root password"

# wrk from Debian's packages, installed when missing and we may.
ensure_wrk() {
    if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq wrk curl >/dev/null
        else
            echo "wrk and curl are needed: apt-get install wrk curl" >&2; exit 2
        fi
    fi
}

# The release server (with the benchmark-only bench-baseline feature: GET /bench/groups/{id},
# GET one group without authentication; never deploy this build) and the plugins (the
# first-party ones, and the test plugin `refusing`, whose hooks write a record for every group
# they hear of: what hook benchmarks load). SKIP_BUILD=1 runs what target/release holds (to
# measure an earlier build against a later one).
build_release() {
    server=target/release/tenantry-server
    [ "${SKIP_BUILD:-}" = 1 ] && return
    cargo build --release --quiet -p tenantry-server --features bench-baseline
    cargo build --release --quiet -p tenantry-plugin-branding -p tenantry-plugin-crm \
        -p tenantry-plugin-reporting -p tenantry-plugin-refusing
}

# start_server NAME [ENV=VALUE ...]: starts the server in the background with the bench settings
# and the given overrides; sets base_NAME (its URL), pid_NAME and token_NAME (a session of the
# root's SuperUser).
start_server() {
    local name=$1; shift
    env "$@" "$server" > "$work/$name.out" 2> "$work/$name.err" &
    eval "pid_$name=$!"
    pids="$pids $!"
    local base=""
    for _ in $(seq 100); do
        base=$(sed -n 's/^tenantry-server listening on //p' "$work/$name.out" | head -1)
        [ -n "$base" ] && break
        sleep 0.1
    done
    [ -n "$base" ] || { cat "$work/$name.err" >&2; exit 1; }
    local token
    token=$(curl -sf "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"group\": \"My Company\", \"username\": \"admin@bench.example\", \"password\": \"$ADMIN_PASSWORD\"}" \
        | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    [ -n "$token" ] || { echo "login failed" >&2; cat "$work/$name.err" >&2; exit 1; }
    eval "base_$name=$base"
    eval "token_$name=$token"
}

# load NAME SCRIPT PATH THREADS CONNECTIONS: wrk against $base, ROUNDS runs of DURATION; prints
# the median run as a markdown row (req/s, its share of the first load's, p50, p99, non-2xx) and
# leaves its req/s in $last.
ceiling=""
load() {
    local results="" out rps p50 p99 bad
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

export TENANTRY__BOOTSTRAP__ADMIN_PASSWORD="$ADMIN_PASSWORD" \
       TENANTRY__BOOTSTRAP__ADMIN_EMAIL=admin@bench.example \
       TENANTRY__LOG__LEVEL=warn TENANTRY__SERVER__PORT=0 TENANTRY__SERVER__HOST=127.0.0.1
