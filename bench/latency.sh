#!/usr/bin/env bash
# Message latency at a steady rate, and idle capacity: bench/message_latency.py against the
# release daemon (synchronous=full), its Twilio API base and event webhook URL pointed at the
# script's stand-ins on loopback. The conversations were never texted by their customers, so the
# agents' texts count as proactive: quiet hours are opened to the whole day for the run. All the
# streams come from 127.0.0.1: the per-address connection cap is lifted.
#   bench/latency.sh [RATE] [SECONDS] [STREAMS] [CHAT_RATE]     default: 1000 10 10000 200
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
key="bench-key-0123456789"
gateway_port=18097
ulimit -n 65536 2>/dev/null || true
start_handoff latency-bench 18096 HANDOFF_API_KEYS="$key" "${BENCH_TWILIO[@]}" \
    HANDOFF_TWILIO_API_BASE="http://127.0.0.1:$gateway_port" \
    HANDOFF_EVENT_WEBHOOK_URL="http://127.0.0.1:$gateway_port/events" HANDOFF_DB_SYNCHRONOUS=full \
    HANDOFF_MESSAGES_PER_MINUTE_PER_IP=100000 HANDOFF_MESSAGES_PER_MINUTE_PER_SESSION=100000 \
    HANDOFF_HANDOFFS_PER_MINUTE_PER_IP=100000 HANDOFF_SESSIONS_PER_MINUTE_PER_IP=1000000 HANDOFF_MAX_CONNECTIONS=20000 \
    HANDOFF_MAX_CONNECTIONS_PER_ADDRESS=20000 HANDOFF_QUIET_HOURS=00:00-23:59 HANDOFF_SMS_MAX_IN_FLIGHT=32
python3 bench/message_latency.py 18096 "$HANDOFF_PID" "$key" "$gateway_port" "${1:-1000}" "${2:-10}" \
    "${3:-10000}" "${4:-200}"
