#!/usr/bin/env bash
# The agent console at scale (issue 19, "Measured"): 50 agents' consoles open (GET /v1/agent/events,
# each with its own agent key) and 200 conversations active (each opened by a text from its own
# number and assigned to one of the agents). Measures the time from a signed Twilio inbound webhook
# to its text on the owning agent's stream (p50/p99), against the same measure with that agent's
# stream the only one open (same run: the ratio is the cost of the other 49), and the RSS of one
# more open console stream (the RSS delta of 200 more agent streams, divided by 200).
#   bench/console-streams.sh [AGENTS] [CONVERSATIONS] [TEXTS]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make venv >/dev/null
key="bench-key-0123456789"
admin="bench-admin-0123456789"
start_handoff console-bench 18091 "${BENCH_TWILIO[@]}" HANDOFF_API_KEYS="$key" HANDOFF_ADMIN_API_KEYS="$admin" \
    HANDOFF_MAX_CONNECTIONS_PER_ADDRESS=20000
ulimit -n 65536 2>/dev/null || true
.venv/bin/python bench/console_streams.py 18091 "$HANDOFF_PID" "$key" "$admin" bench-auth-token \
    "${1:-50}" "${2:-200}" "${3:-400}"
