#!/usr/bin/env bash
# Inbound webhook answer time: signed Twilio webhooks (Twilio's own validator signs them) to a
# release build with synchronous=full, each committed before its 200. bench/inbound.sh [N]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
make venv >/dev/null
start_handoff inbound-bench 18086 HANDOFF_GATEWAY=twilio HANDOFF_TWILIO_ACCOUNT_SID="AC$(printf '1%.0s' {1..32})" \
    HANDOFF_TWILIO_AUTH_TOKEN=bench-auth-token HANDOFF_TWILIO_FROM=+15005550006 HANDOFF_TWILIO_API_BASE=http://127.0.0.1:9
.venv/bin/python bench/inbound_latency.py 18086 bench-auth-token "${1:-1000}"
