#!/usr/bin/env bash
# Inbound webhook throughput at 64 connections: pre-signed Twilio inbound-SMS webhooks (Twilio's
# own RequestValidator signs them), each with its own MessageSid, replayed once each by wrk to
#   nginx returning 200 to the same POST (the raw HTTP ceiling here),
#   handoff serve (release, synchronous=full: verified, deduplicated, stored, routed, committed),
#   a Hummingbird 2 + SQLite peer (bench/peers/hummingbird-sqlite: stock form decoder, one INSERT
#   per POST, no signature check), at synchronous=normal and full.
# Afterwards the database must hold exactly one row per 200.   bench/inbound-throughput.sh [SECONDS]
source "$(dirname "$0")/lib.sh"
need_tools wrk nginx-light sqlite3
cd "$ROOT"
make venv >/dev/null
seconds="${1:-8}"
lines=$((seconds * 40000))
requests="$OUT/inbound-random-sids-$lines.tsv"
url="http://127.0.0.1:18092/v1/webhooks/twilio/inbound"
[ -f "$requests" ] || .venv/bin/python bench/inbound_requests.py "$url" bench-auth-token "$lines" "$requests"
(cd bench/peers/hummingbird-sqlite && swift build -c release --scratch-path "$ROOT/.build-peer" >/dev/null 2>&1)
trap 'stop_nginx; kill ${HANDOFF_PID:-} ${PEER_PID:-} 2>/dev/null || true' EXIT
export WRK_ARGS="-t2 -c64 -d${seconds}s"

# replay NAME PORT: wrk replaying the signed requests; prints "rps p99_ms requests non200".
replay() {
    wrk -t2 -c64 -d"${seconds}s" --latency -s bench/inbound-replay.lua "http://127.0.0.1:$2" -- "$requests" 2 \
        >"$OUT/$1.wrk.txt"
    awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["rps"], v["p99_ms"], v["requests"], v["non200"] }' "$OUT/$1.wrk.txt"
}

start_nginx 18091
read -r ng_rps ng_p99 < <(wrk_run inbound-nginx http://127.0.0.1:18091/v1/webhooks/twilio/inbound bench/form-post.lua)
stop_nginx

start_handoff inbound-throughput 18092 "${BENCH_TWILIO[@]}" HANDOFF_DB_SYNCHRONOUS=full
read -r hd_rps hd_p99 hd_requests hd_failed < <(replay inbound-handoff 18092)
kill "$HANDOFF_PID"; wait "$HANDOFF_PID" 2>/dev/null || true
stored=$(sqlite3 "$OUT/inbound-throughput.sqlite" "SELECT count(*) FROM inbound_events")
messages=$(sqlite3 "$OUT/inbound-throughput.sqlite" "SELECT count(*) FROM messages WHERE direction = 'inbound'")

peer() { # peer NAME SYNCHRONOUS
    rm -f "$OUT/$1.sqlite"*
    "$ROOT/.build-peer/release/PeerServer" 18093 "$OUT/$1.sqlite" "$2" >/dev/null 2>&1 &
    PEER_PID=$!
    wait_port 18093
    replay "$1" 18093
    kill "$PEER_PID"; wait "$PEER_PID" 2>/dev/null || true
}
read -r hbn_rps hbn_p99 _ _ < <(peer inbound-peer-normal NORMAL)
read -r hbf_rps hbf_p99 _ _ < <(peer inbound-peer-full FULL)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
echo "| server | req/s | p99 (ms) | vs nginx | vs peer (normal) |"
echo "|---|---:|---:|---:|---:|"
echo "| nginx 1.22, return 200 (same 400-byte POST) | $ng_rps | $ng_p99 | 100% | |"
echo "| handoff serve, synchronous=full | $hd_rps | $hd_p99 | $(ratio "$hd_rps" "$ng_rps") | $(ratio "$hd_rps" "$hbn_rps") |"
echo "| Hummingbird 2 + SQLite peer, synchronous=normal | $hbn_rps | $hbn_p99 | $(ratio "$hbn_rps" "$ng_rps") | 100% |"
echo "| Hummingbird 2 + SQLite peer, synchronous=full | $hbf_rps | $hbf_p99 | $(ratio "$hbf_rps" "$ng_rps") | $(ratio "$hbf_rps" "$hbn_rps") |"
echo
echo "handoff: $hd_requests requests, $hd_failed not 200; inbound_events rows: $stored; inbound messages: $messages"
# wrk stops counting with requests still in flight (at most 64), which the server did store.
[ "$hd_failed" = 0 ] && [ "$stored" -ge "$hd_requests" ] && [ "$stored" -le $((hd_requests + 64)) ] \
    && [ "$messages" = "$stored" ] || { echo "MISMATCH: every 200 must be stored exactly once" >&2; exit 1; }
