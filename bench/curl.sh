#!/usr/bin/env bash
# libcurl client throughput: 400-byte form POSTs to nginx on loopback with 32 in flight, through
# Handoff's HTTPClient and through a C program on the same libcurl multi API, in the same run.
#   bench/curl.sh [N]   (default 20000 requests; three runs each, the median is reported)
source "$(dirname "$0")/lib.sh"
need_tools nginx-light libcurl4-openssl-dev gcc
cd "$ROOT"
n="${1:-20000}"
swift build -c release --product CurlBench >/dev/null
gcc -O2 -o "$OUT/curl_multi" bench/curl_multi.c -lcurl
trap 'stop_nginx' EXIT
start_nginx 18080
median() { sort -n | sed -n 2p; }
c=$(for _ in 1 2 3; do "$OUT/curl_multi" http://127.0.0.1:18080/form "$n"; done | median)
ours=$(for _ in 1 2 3; do .build/release/CurlBench http://127.0.0.1:18080/form "$n"; done | median)
echo "| client | req/s (median of 3, $n POSTs, 32 in flight) | vs C |"
echo "|---|---:|---:|"
echo "| C program, libcurl multi (bench/curl_multi.c) | $c | 100% |"
echo "| Handoff HTTPClient (bench/CurlBench) | $ours | $(awk -v a="$ours" -v b="$c" 'BEGIN { printf "%.0f%%", 100 * a / b }') |"
