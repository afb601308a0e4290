#!/usr/bin/env bash
# Live events across nodes on PostgreSQL: two release daemons (nodes A and B) on one throwaway
# PostgreSQL server (fsync on), a visitor's stream on A, agents' replies posted through B or
# through A, interleaved (bench/pg_nodes_latency.py). Prints p50/p99/max of reply → stream for
# both; the same-node figures are the reference of the same run.   bench/pg-nodes.sh [REPLIES]
source "$(dirname "$0")/lib.sh"
need_tools postgresql
cd "$ROOT"
key="bench-key-0123456789"
swift build -c release --product handoff >/dev/null
start_bench_postgres
HANDOFF_DATABASE="$PG_URI" .build/release/handoff migrate >/dev/null
pids=()
BENCH_CLEANUP="kill \${pids[*]} 2>/dev/null || true; $BENCH_CLEANUP"
for node in a:28701 b:28702; do
    env HANDOFF_DATABASE="$PG_URI" HANDOFF_NODE_ID="${node%%:*}" HANDOFF_LISTEN="127.0.0.1:${node##*:}" \
        HANDOFF_PUBLIC_URL="http://127.0.0.1:${node##*:}" HANDOFF_LOG_LEVEL=warning HANDOFF_COOKIE_SECURE=false \
        HANDOFF_API_KEYS="$key" "${BENCH_TWILIO[@]}" .build/release/handoff serve &
    pids+=($!)
    wait_port "${node##*:}"
done
python3 bench/pg_nodes_latency.py 28701 28702 "$key" "${1:-200}"
