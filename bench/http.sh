#!/usr/bin/env bash
# HTTP layer throughput: our server vs nginx on loopback, same wrk settings, same run.
#   bench/http.sh            (WRK_ARGS="-t2 -c64 -d10s" by default)
# Prints a markdown table for bench/RESULTS.md.
source "$(dirname "$0")/lib.sh"
need_tools wrk nginx-light
cd "$ROOT"
swift build -c release --product HTTPBenchServer >/dev/null
swift build -c release --product handoff >/dev/null
trap 'stop_nginx; kill ${BENCH_PID:-} ${HANDOFF_PID:-} 2>/dev/null || true' EXIT

start_nginx 18080
.build/release/HTTPBenchServer 127.0.0.1:18081 &
BENCH_PID=$!
wait_port 18081
db="$OUT/http-bench.sqlite"; rm -f "$db"*
HANDOFF_DATABASE="$db" HANDOFF_LISTEN=127.0.0.1:18082 HANDOFF_LOG_LEVEL=warning .build/release/handoff serve &
HANDOFF_PID=$!
wait_port 18082

read -r ng_get_rps ng_get_p99 < <(wrk_run nginx-get http://127.0.0.1:18080/healthz)
read -r ng_post_rps ng_post_p99 < <(wrk_run nginx-post http://127.0.0.1:18080/form bench/form-post.lua)
read -r us_get_rps us_get_p99 < <(wrk_run httpserver-get http://127.0.0.1:18081/healthz)
read -r us_post_rps us_post_p99 < <(wrk_run httpserver-post http://127.0.0.1:18081/form bench/form-post.lua)
read -r hd_get_rps hd_get_p99 < <(wrk_run handoff-healthz http://127.0.0.1:18082/healthz)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
echo "| workload | server | req/s | p99 (ms) | vs nginx |"
echo "|---|---|---:|---:|---:|"
echo "| GET /healthz | nginx 1.22 (2 workers, return 200) | $ng_get_rps | $ng_get_p99 | 100% |"
echo "| GET /healthz | HTTPServer (bench/HTTPBenchServer) | $us_get_rps | $us_get_p99 | $(ratio "$us_get_rps" "$ng_get_rps") |"
echo "| GET /healthz | handoff serve (full middleware stack) | $hd_get_rps | $hd_get_p99 | $(ratio "$hd_get_rps" "$ng_get_rps") |"
echo "| POST 400-byte form | nginx 1.22 | $ng_post_rps | $ng_post_p99 | 100% |"
echo "| POST 400-byte form | HTTPServer (bench/HTTPBenchServer) | $us_post_rps | $us_post_p99 | $(ratio "$us_post_rps" "$ng_post_rps") |"
