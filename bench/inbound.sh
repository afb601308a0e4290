#!/usr/bin/env bash
# Inbound webhook answer time: signed Twilio webhooks (Twilio's own validator signs them) to a
# release build with synchronous=full, each committed before its 200. bench/inbound.sh [N]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make venv >/dev/null
swift build -c release --product handoff >/dev/null
db="$OUT/inbound-bench.sqlite"; rm -f "$db"*
HANDOFF_DATABASE="$db" HANDOFF_LISTEN=127.0.0.1:18086 HANDOFF_PUBLIC_URL=http://127.0.0.1:18086 \
    HANDOFF_LOG_LEVEL=warning HANDOFF_GATEWAY=twilio HANDOFF_TWILIO_ACCOUNT_SID="AC$(printf '1%.0s' {1..32})" \
    HANDOFF_TWILIO_AUTH_TOKEN=bench-auth-token HANDOFF_TWILIO_FROM=+15005550006 \
    HANDOFF_TWILIO_API_BASE=http://127.0.0.1:9 .build/release/handoff serve &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
wait_port 18086
.venv/bin/python bench/inbound_latency.py 18086 bench-auth-token "${1:-1000}"
