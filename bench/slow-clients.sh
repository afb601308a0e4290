#!/usr/bin/env bash
# Slow clients: slowhttptest holds 1,000 connections open (slowloris: headers a byte at a time;
# slow body: a POST body a trickle at a time) while wrk measures normal traffic on the same
# server. Normal traffic must keep at least 80% of its throughput. slowhttptest itself takes CPU on
# this 2-core machine, so the reference is the same attack aimed at nginx (another process) while
# wrk measures us: what is left is the cost of the slow connections to our server.
#   bench/slow-clients.sh
source "$(dirname "$0")/lib.sh"
need_tools wrk slowhttptest nginx-light
cd "$ROOT"
start_nginx 18096
start_handoff slow-clients 18097
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
echo "| normal traffic to handoff (GET /healthz, wrk -c32) | req/s | p99 (ms) | kept |"
echo "|---|---:|---:|---:|"
echo "| alone | $base_rps | $base_p99 | |"
echo "| 1,000 slowloris connections to nginx (reference) | $ref_loris_rps | $ref_loris_p99 | |"
echo "| 1,000 slowloris connections to handoff | $loris_rps | $loris_p99 | $(ratio "$loris_rps" "$ref_loris_rps")% |"
echo "| 1,000 slow-body POSTs to nginx (reference) | $ref_body_rps | $ref_body_p99 | |"
echo "| 1,000 slow-body POSTs to handoff | $body_rps | $body_p99 | $(ratio "$body_rps" "$ref_body_rps")% |"
for kept in "$(ratio "$loris_rps" "$ref_loris_rps")" "$(ratio "$body_rps" "$ref_body_rps")"; do
    [ "$kept" -ge 80 ] || { echo "normal traffic kept only $kept% of its throughput" >&2; exit 1; }
done
