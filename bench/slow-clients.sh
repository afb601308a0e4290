#!/usr/bin/env bash
# Slow clients: slowhttptest holds 1,000 connections open (slowloris: headers a byte at a time;
# slow body: a POST body a trickle at a time) while wrk measures normal traffic on the same
# server. Normal traffic must keep at least 80% of its throughput. slowhttptest itself takes CPU on
# this 2-core machine, so the reference is the same attack aimed at nginx (another process) while
# wrk measures us: what is left is the cost of the slow connections to our server. All of these
# come from 127.0.0.1, so that server's per-address cap is lifted (it stands for many addresses).
#
# Then one address at its limits: a server with max_connections 200 (so 40 per address and 160
# streams, as derived) where bench/slow_address.py, from 127.0.0.2, holds as many event streams
# and slow-body POSTs as that address may (20 streams on 5 sessions, 20 bodies trickled a byte a
# second) while wrk -c32 measures normal traffic from 127.0.0.1 (within its own address's 40);
# the reference is the same wrk on the same server just before (the attacker takes almost no CPU).
#   bench/slow-clients.sh
source "$(dirname "$0")/lib.sh"
need_tools wrk slowhttptest nginx-light
cd "$ROOT"
start_nginx 18096
start_handoff slow-clients 18097 HANDOFF_MAX_CONNECTIONS_PER_ADDRESS=1000000
trap 'stop_nginx; kill ${HANDOFF_PID:-} 2>/dev/null || true' EXIT
url="http://127.0.0.1:18097"
export WRK_ARGS="-t1 -c32 -d8s"
read -r base_rps base_p99 < <(wrk_run slow-baseline "$url/healthz")

attack() { # attack NAME TARGET-URL SLOWHTTPTEST-ARGS...
    local name=$1 target=$2
    shift 2
    slowhttptest "$@" -c 1000 -r 500 -i 5 -l 30 -u "$target" -o "$OUT/$name" >/dev/null 2>&1 &
    local attacker=$!
    sleep 4 # let it open its connections
    read -r rps p99 < <(wrk_run "slow-$name" "$url/healthz")
    kill "$attacker" 2>/dev/null || true
    wait "$attacker" 2>/dev/null || true
    echo "$rps $p99"
}
read -r ref_loris_rps ref_loris_p99 < <(attack ref-slowloris http://127.0.0.1:18096/ -H -t GET)
read -r loris_rps loris_p99 < <(attack slowloris "$url/v1/messages" -H -t GET)
read -r ref_body_rps ref_body_p99 < <(attack ref-slowbody http://127.0.0.1:18096/ -B -t POST -s 65536)
read -r body_rps body_p99 < <(attack slowbody "$url/v1/messages" -B -t POST -s 65536)

kill "$HANDOFF_PID" && wait "$HANDOFF_PID" 2>/dev/null || true
start_handoff slow-address 18098 HANDOFF_MAX_CONNECTIONS=200
trap 'stop_nginx; kill ${HANDOFF_PID:-} 2>/dev/null || true' EXIT
url="http://127.0.0.1:18098"
read -r alone_rps alone_p99 < <(wrk_run address-alone "$url/healthz")
python3 bench/slow_address.py 18098 127.0.0.2 4 40 >"$OUT/slow-address.json" &
holder=$!
for _ in $(seq 100); do [ -s "$OUT/slow-address.json" ] && break; sleep 0.1; done
held=$(cat "$OUT/slow-address.json")
[ -n "$held" ] || { echo "slow_address.py did not get hold of its connections" >&2; exit 1; }
read -r address_rps address_p99 < <(wrk_run address-held "$url/healthz")
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
echo "| normal traffic to handoff (GET /healthz, wrk -c32) | req/s | p99 (ms) | kept |"
echo "|---|---:|---:|---:|"
echo "| alone | $base_rps | $base_p99 | |"
echo "| 1,000 slowloris connections to nginx (reference) | $ref_loris_rps | $ref_loris_p99 | |"
echo "| 1,000 slowloris connections to handoff | $loris_rps | $loris_p99 | $(ratio "$loris_rps" "$ref_loris_rps")% |"
echo "| 1,000 slow-body POSTs to nginx (reference) | $ref_body_rps | $ref_body_p99 | |"
echo "| 1,000 slow-body POSTs to handoff | $body_rps | $body_p99 | $(ratio "$body_rps" "$ref_body_rps")% |"
echo
echo "| max_connections 200: normal traffic (GET /healthz, wrk -c32, 127.0.0.1) | req/s | p99 (ms) | kept |"
echo "|---|---:|---:|---:|"
echo "| alone | $alone_rps | $alone_p99 | |"
echo "| while 127.0.0.2 holds its 40 connections: 20 streams, 20 slow bodies | $address_rps | $address_p99 | $(ratio "$address_rps" "$alone_rps")% |"
echo
echo "held by 127.0.0.2: $held"
echo "$held" | grep -q '"session_refusal_code": true' || { echo "a stream past the session's maximum was not refused" >&2; exit 1; }
echo "$held" | grep -q '"address_refusal_code": true' || { echo "a connection past the address's maximum was not refused" >&2; exit 1; }
for kept in "$(ratio "$loris_rps" "$ref_loris_rps")" "$(ratio "$body_rps" "$ref_body_rps")" \
    "$(ratio "$address_rps" "$alone_rps")"; do
    [ "$kept" -ge 80 ] || { echo "normal traffic kept only $kept% of its throughput" >&2; exit 1; }
done
