#!/usr/bin/env bash
# Every benchmark, in turn (each builds what it needs; see bench/RESULTS.md for the last figures).
set -euo pipefail
cd "$(dirname "$0")"
for script in http.sh curl.sh sse.sh handoff.sh inbound.sh inbound-throughput.sh latency.sh scaling.sh \
    slow-clients.sh outbound-batch.sh; do
    echo "== bench/$script"
    bash "$script"
done
