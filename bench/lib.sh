# Shared by the benchmark scripts (sourced, from the repository's root).

ADMIN_PASSWORD="bench admin password"

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
# GET one group without authentication; never deploy this build) and the plugins.
build_release() {
    cargo build --release --quiet -p tenantry-server --features bench-baseline
    cargo build --release --quiet -p tenantry-plugin-branding -p tenantry-plugin-crm
    server=target/release/tenantry-server
}

# start_server NAME [ENV=VALUE ...]: starts the server in the background with the bench settings
# and the given overrides; sets base_NAME (its URL), pid_NAME and token_NAME (a session of the
# root's SuperUser).
start_server() {
    local name=$1; shift
    env "$@" "$server" > "$work/$name.out" 2> "$work/$name.err" &
    eval "pid_$name=$!"
    pids="${pids:-} $!"
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

export TENANTRY__BOOTSTRAP__ADMIN_PASSWORD="$ADMIN_PASSWORD" \
       TENANTRY__BOOTSTRAP__ADMIN_EMAIL=admin@bench.example \
       TENANTRY__LOG__LEVEL=warn TENANTRY__SERVER__PORT=0 TENANTRY__SERVER__HOST=127.0.0.1
