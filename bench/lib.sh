# Shared helpers for the benchmark scripts: tool installation, nginx on loopback, wrk parsing.
# Source it; it sets OUT (bench/.out) and ROOT (the repository).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/.out"
mkdir -p "$OUT"
export PATH="/opt/swift/usr/bin:$PATH"

# need_tools PKG...: installs Debian packages when missing (root only).
need_tools() {
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || { echo "missing: ${missing[*]}" >&2; exit 1; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# start_nginx PORT: nginx answering 200 "ok" to every GET and POST on 127.0.0.1:PORT, 2 workers
# (one per core, as the machine has), no access log.
start_nginx() {
    local port=$1 dir="$OUT/nginx"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "ok"; }
    }
}
CONF
    /usr/sbin/nginx -c "$dir/nginx.conf" -g 'daemon off;' &
    NGINX_PID=$!
    wait_port "$port"
}

# start_gateway_standin PORT: nginx on 127.0.0.1:PORT answering every POST as Twilio's Messages
# API accepts a text (201, a unique sid from nginx's request id), one worker; sets GATEWAY_PID.
start_gateway_standin() {
    local port=$1 dir="$OUT/gateway-standin-$1"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        location / {
            default_type application/json;
            return 201 '{"sid":"SM\$request_id","status":"queued","num_segments":"1"}';
        }
    }
}
CONF
    /usr/sbin/nginx -c "$dir/nginx.conf" -g 'daemon off;' &
    GATEWAY_PID=$!
    wait_port "$port"
}

stop_nginx() { [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true; }

# wait_port PORT: waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# wrk_run NAME URL [LUA]: runs wrk with WRK_ARGS, saves the output, prints "req/s p99_ms".
wrk_run() {
    local name=$1 url=$2 lua=${3:-}
    local args=(${WRK_ARGS:--t2 -c64 -d10s} --latency)
    [ -n "$lua" ] && args+=(-s "$lua")
    wrk "${args[@]}" "$url" >"$OUT/$name.wrk.txt"
    local rps p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.wrk.txt")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$OUT/$name.wrk.txt")
    if grep -q "Non-2xx" "$OUT/$name.wrk.txt"; then echo "warning: $name had non-2xx responses" >&2; fi
    if grep -q "Socket errors" "$OUT/$name.wrk.txt"; then echo "warning: $name had socket errors" >&2; fi
    echo "$rps $p99"
}

# Settings for a daemon that takes the signed webhooks of bench/inbound_requests.py (Twilio test
# account, token `bench-auth-token`); its texts go to a closed port unless a later
# HANDOFF_TWILIO_API_BASE says otherwise, so nothing leaves the machine.
BENCH_TWILIO=(HANDOFF_GATEWAY=twilio "HANDOFF_TWILIO_ACCOUNT_SID=AC$(printf '1%.0s' {1..32})"
    HANDOFF_TWILIO_AUTH_TOKEN=bench-auth-token HANDOFF_TWILIO_FROM=+15005550006
    HANDOFF_TWILIO_API_BASE=http://127.0.0.1:9)

# migrations_of BINARY: the migrations of the tree whose release daemon BINARY is (an A/B's
# baseline runs with REF's own, so that a schema change is measured with its code).
migrations_of() { echo "${1%/.build/release/handoff}/migrations"; }

# bench_gateway PORT: where an A/B's daemons send their own texts (the escalations' holding
# texts). Unless GATEWAY=closed, a gateway stand-in on PORT accepts them, so the CPU measured is the
# webhook path's; with GATEWAY=closed they go to a closed port, as runs before 2026-12-07 did (each
# text then fails and is retried throughout the run: about a tenth of the daemon's CPU at 64
# connections, a third one request at a time). Sets BENCH_GATEWAY (a daemon's setting for it) and
# stops the stand-in and SERVER_PID on exit; call it after build_baseline.
bench_gateway() {
    BENCH_GATEWAY=(HANDOFF_TWILIO_API_BASE=http://127.0.0.1:9)
    [ "${GATEWAY:-standin}" = closed ] && return 0
    start_gateway_standin "$1"
    trap 'kill ${SERVER_PID:-} $GATEWAY_PID 2>/dev/null || true' EXIT
    BENCH_GATEWAY=(HANDOFF_TWILIO_API_BASE="http://127.0.0.1:$1")
}

# start_handoff NAME PORT [VAR=VALUE...]: builds the release daemon, starts it on 127.0.0.1:PORT
# with a fresh database bench/.out/NAME.sqlite, warning-level logs and the given extra settings;
# sets HANDOFF_PID and stops it on exit.
start_handoff() {
    local name=$1 port=$2
    shift 2
    swift build -c release --product handoff >/dev/null
    local db="$OUT/$name.sqlite"
    rm -f "$db"*
    env HANDOFF_DATABASE="$db" HANDOFF_LISTEN="127.0.0.1:$port" HANDOFF_PUBLIC_URL="http://127.0.0.1:$port" \
        HANDOFF_LOG_LEVEL=warning HANDOFF_COOKIE_SECURE=false "$@" .build/release/handoff serve &
    HANDOFF_PID=$!
    trap 'kill $HANDOFF_PID 2>/dev/null || true' EXIT
    wait_port "$port"
}

# build_baseline REF: sets BASELINE to a scratch worktree of REF (`.build-ab-<commit>`, kept for
# the next A/B against the same commit) holding its release daemon, and stops SERVER_PID on exit.
build_baseline() {
    local commit
    commit=$(git rev-parse --short "$1")
    BASELINE="$ROOT/.build-ab-$commit"
    trap 'kill ${SERVER_PID:-} 2>/dev/null || true' EXIT
    [ -d "$BASELINE" ] || git worktree add -q --detach "$BASELINE" "$commit"
    [ -x "$BASELINE/.build/release/handoff" ] || (cd "$BASELINE" && swift build -c release --product handoff >/dev/null)
}

# start_bench_postgres: a throwaway PostgreSQL server (.ci/postgres.sh) with fsync on (the tests
# run with it off), so commits cost what they cost in production; sets PG_URI (its empty
# database) and PG_DIR, and stops it on exit with the other cleanups in BENCH_CLEANUP.
start_bench_postgres() {
    PG_DIR=$(mktemp -d /tmp/handoff-bench-postgres.XXXXXX)
    BENCH_CLEANUP="${BENCH_CLEANUP:-} $ROOT/.ci/postgres.sh stop $PG_DIR;"
    trap 'eval "$BENCH_CLEANUP"' EXIT
    eval "$(POSTGRES_FSYNC=on "$ROOT/.ci/postgres.sh" start "$PG_DIR")"
    PG_URI=$HANDOFF_TEST_POSTGRES
    [ "$(psql -tA "$PG_URI" -c 'SHOW fsync')" = on ] || { echo "fsync is not on" >&2; exit 1; }
}
