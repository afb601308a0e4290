#!/usr/bin/env bash
# Live events: RSS of the whole process with 5,000 open SSE streams, and the latency from an
# agent's reply (POST) to its arrival on the visitor's open stream (p50/p99 over 500 replies).
# Every stream comes from 127.0.0.1, so the per-address cap is lifted for the run.
#   bench/sse.sh [STREAMS] [REPLIES]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
key="bench-key-0123456789"
start_handoff sse-bench 18083 HANDOFF_API_KEYS="$key" HANDOFF_MESSAGES_PER_MINUTE_PER_IP=1000000 \
    HANDOFF_SESSIONS_PER_MINUTE_PER_IP=1000000 HANDOFF_MAX_CONNECTIONS=20000 HANDOFF_MAX_CONNECTIONS_PER_ADDRESS=20000
ulimit -n 65536 2>/dev/null || true
python3 bench/sse_streams.py 18083 "$HANDOFF_PID" "$key" "${1:-5000}" "${2:-500}"
