#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback, with its data in a folder of its own.
#   .ci/postgres.sh start DIR   installs postgresql when missing (as root), initdb's DIR/data,
#                               starts the server on a free port, creates the database, and
#                               prints `export HANDOFF_TEST_POSTGRES=postgresql://...` (eval it)
#   .ci/postgres.sh stop DIR    stops that server and removes DIR
#   .ci/postgres.sh down DIR    stops that server at once (immediate shutdown, as a crash), keeping DIR
#   .ci/postgres.sh up DIR      starts it again on the same port (crash recovery replays its WAL)
# As root, the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail

command=${1:?usage: $0 start|stop|down|up DIR}
dir=${2:?usage: $0 start|stop|down|up DIR}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] || { echo "postgres.sh: no /usr/lib/postgresql/*/bin" >&2; exit 1; }
    echo "$found"
}

# serve DIR PORT: runs the server of DIR/data on 127.0.0.1:PORT. fsync off: a throwaway cluster
# need not survive power loss (the benches set POSTGRES_FSYNC=on: a commit should cost what it
# costs in production).
# The server keeps none of the caller's descriptors but 0-2 open: a caller that waits for this
# script's descriptors to close (as Foundation's Process does) would otherwise wait for the server.
serve() {
    (
        for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
        as_owner "$(bin_dir)/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 \
            -o "-k $1 -p $2 -c listen_addresses=127.0.0.1 -c fsync=${POSTGRES_FSYNC:-off} -c max_connections=200" start >&2 ||
            { cat "$1/server.log" >&2; exit 1; }
    )
}

case "$command" in
start)
    if ! dpkg -s postgresql >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || { echo "postgres.sh: postgresql is not installed (run as root)" >&2; exit 1; }
        echo "installing: postgresql" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bin_dir)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U handoff --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: nothing answers on it.
    for _ in $(seq 1 20); do
        port=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    echo "$port" >"$dir/port"
    serve "$dir" "$port"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U handoff handoff_test
    echo "export HANDOFF_TEST_POSTGRES=postgresql://handoff@127.0.0.1:$port/handoff_test"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
down)
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w stop >&2
    ;;
up)
    serve "$dir" "$(cat "$dir/port")"
    ;;
*)
    echo "usage: $0 start|stop|down|up DIR" >&2
    exit 2
    ;;
esac
