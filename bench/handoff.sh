#!/usr/bin/env bash
# The context bridge's golden window: verify response → the gateway receives the confirmation
# (simulator on loopback, release build), p50/p99 over N handoffs.   bench/handoff.sh [N]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
swift build -c release --product handoff >/dev/null
db="$OUT/handoff-bench.sqlite"; rm -f "$db"*
key="bench-key-0123456789"
HANDOFF_DATABASE="$db" HANDOFF_LISTEN=127.0.0.1:18084 HANDOFF_LOG_LEVEL=warning HANDOFF_API_KEYS="$key" \
    HANDOFF_COOKIE_SECURE=false HANDOFF_HANDOFFS_PER_MINUTE_PER_IP=100000 .build/release/handoff serve &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
wait_port 18084
python3 bench/handoff_latency.py 18084 "$key" "${1:-100}"
