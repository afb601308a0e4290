#!/usr/bin/env bash
# Proactive texts at volume (issue 18): a release daemon whose texts go to a loopback stand-in for
# Twilio's Messages API (nginx, 64 sends in flight), N numbers opted in to a reminders program (no
# daily cap, no quiet hours), then ROUNDS alternations of one 1,000-recipient batch and the same
# texts as 1,000 single requests from 64 threads: acceptance time and texts per second through
# the dispatcher, batch against singles in the same run (bench/outbound_batch.py).
#   bench/outbound-batch.sh [N] [ROUNDS]
source "$(dirname "$0")/lib.sh"
need_tools nginx-light python3
cd "$ROOT"
n="${1:-1000}"
rounds="${2:-3}"
port=28621
gateway_port=28622

start_gateway_standin "$gateway_port"
trap 'kill $GATEWAY_PID 2>/dev/null || true' EXIT
programs='[{"id":"reminders","name":"Reminders","kind":"transactional","disclosures":{"en":"Reminders. Reply STOP to cancel."}}]'
start_handoff outbound-batch "$port" "${BENCH_TWILIO[@]}" HANDOFF_TWILIO_API_BASE=http://127.0.0.1:$gateway_port \
    HANDOFF_API_KEYS=bench-agent-key-0123456789 HANDOFF_ADMIN_API_KEYS=bench-admin-key-0123456789 \
    HANDOFF_SMS_MAX_IN_FLIGHT=64 HANDOFF_QUIET_HOURS=00:00-24:00 HANDOFF_PROGRAMS="$programs"
trap 'kill $HANDOFF_PID $GATEWAY_PID 2>/dev/null || true' EXIT
python3 bench/outbound_batch.py "http://127.0.0.1:$port" bench-agent-key-0123456789 bench-admin-key-0123456789 \
    "$n" "$rounds" | tee "$OUT/outbound-batch.txt"
