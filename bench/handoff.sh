#!/usr/bin/env bash
# The context bridge's golden window: verify response → the gateway receives the confirmation
# (simulator on loopback, release build), p50/p99 over N handoffs.   bench/handoff.sh [N]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
key="bench-key-0123456789"
start_handoff handoff-bench 18084 HANDOFF_API_KEYS="$key" HANDOFF_HANDOFFS_PER_MINUTE_PER_IP=100000 \
    HANDOFF_SESSIONS_PER_MINUTE_PER_IP=1000000
python3 bench/handoff_latency.py 18084 "$key" "${1:-100}"
