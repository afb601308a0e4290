#!/usr/bin/env bash
# Inbound webhook answer time: signed Twilio webhooks (Twilio's own validator signs them) to a
# release build with synchronous=full, each committed before its 200. bench/inbound.sh [N]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make venv >/dev/null
start_handoff inbound-bench 18086 "${BENCH_TWILIO[@]}"
.venv/bin/python bench/inbound_latency.py 18086 bench-auth-token "${1:-1000}"
