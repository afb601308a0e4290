#!/usr/bin/env bash
# HTTP layer throughput: our server vs nginx on loopback, same wrk settings, same run.
#   bench/http.sh            (WRK_ARGS="-t2 -c64 -d10s" by default)
#   bench/http.sh REF        (adds a row for handoff serve built at REF, measured right after)
# The servers listen on PORT_BASE (default 18080) and the ports after it.
# Prints a markdown table for bench/RESULTS.md.
source "$(dirname "$0")/lib.sh"
need_tools wrk nginx-light
cd "$ROOT"
swift build -c release --product HTTPBenchServer >/dev/null
swift build -c release --product handoff >/dev/null
ref="${1:-}"
[ -n "$ref" ] && build_baseline "$ref"
trap 'stop_nginx; kill ${BENCH_PID:-} ${HANDOFF_PID:-} ${REF_PID:-} 2>/dev/null || true' EXIT

nginx_port=${PORT_BASE:-18080}
bench_port=$((nginx_port + 1))
handoff_port=$((nginx_port + 2))
start_nginx "$nginx_port"
.build/release/HTTPBenchServer "127.0.0.1:$bench_port" &
BENCH_PID=$!
wait_port "$bench_port"
db="$OUT/http-bench.sqlite"; rm -f "$db"*
HANDOFF_DATABASE="$db" HANDOFF_LISTEN="127.0.0.1:$handoff_port" HANDOFF_LOG_LEVEL=warning .build/release/handoff serve &
HANDOFF_PID=$!
wait_port "$handoff_port"

read -r ng_get_rps ng_get_p99 < <(wrk_run nginx-get "http://127.0.0.1:$nginx_port/healthz")
read -r ng_post_rps ng_post_p99 < <(wrk_run nginx-post "http://127.0.0.1:$nginx_port/form" bench/form-post.lua)
read -r us_get_rps us_get_p99 < <(wrk_run httpserver-get "http://127.0.0.1:$bench_port/healthz")
read -r us_post_rps us_post_p99 < <(wrk_run httpserver-post "http://127.0.0.1:$bench_port/form" bench/form-post.lua)
read -r hd_get_rps hd_get_p99 < <(wrk_run handoff-healthz "http://127.0.0.1:$handoff_port/healthz")
if [ -n "$ref" ]; then
    kill "$HANDOFF_PID"
    wait "$HANDOFF_PID" 2>/dev/null || true
    rm -f "$db"*
    HANDOFF_DATABASE="$db" HANDOFF_LISTEN="127.0.0.1:$handoff_port" HANDOFF_LOG_LEVEL=warning \
        "$BASELINE/.build/release/handoff" serve &
    REF_PID=$!
    wait_port "$handoff_port"
    read -r ref_get_rps ref_get_p99 < <(wrk_run handoff-ref-healthz "http://127.0.0.1:$handoff_port/healthz")
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
echo "| workload | server | req/s | p99 (ms) | vs nginx |"
echo "|---|---|---:|---:|---:|"
echo "| GET /healthz | nginx 1.22 (2 workers, return 200) | $ng_get_rps | $ng_get_p99 | 100% |"
echo "| GET /healthz | HTTPServer (bench/HTTPBenchServer) | $us_get_rps | $us_get_p99 | $(ratio "$us_get_rps" "$ng_get_rps") |"
echo "| GET /healthz | handoff serve (full middleware stack) | $hd_get_rps | $hd_get_p99 | $(ratio "$hd_get_rps" "$ng_get_rps") |"
[ -n "$ref" ] && echo "| GET /healthz | handoff serve at $ref | $ref_get_rps | $ref_get_p99 | $(ratio "$ref_get_rps" "$ng_get_rps") |"
echo "| POST 400-byte form | nginx 1.22 | $ng_post_rps | $ng_post_p99 | 100% |"
echo "| POST 400-byte form | HTTPServer (bench/HTTPBenchServer) | $us_post_rps | $us_post_p99 | $(ratio "$us_post_rps" "$ng_post_rps") |"
