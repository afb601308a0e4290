#!/usr/bin/env bash
# A/B of agents' replies on PostgreSQL (fsync on): builds the release daemon at REF (default
# HEAD~1) in a scratch worktree and the working tree as it is, then alternates the two. Each run
# starts from a fresh database with CONVERSATIONS open web conversations, starts NODES daemons on
# it and posts agents' replies to random conversations with wrk (64 connections in all, split over
# the nodes, SECONDS seconds, bench/agent-requests.lua). Prints per run the replies per second,
# the p99 and the daemons' CPU per reply; then the means.
#   bench/pg-agent-reply-ab.sh [REF] [ROUNDS] [SECONDS] [CONVERSATIONS] [NODES]
source "$(dirname "$0")/lib.sh"
need_tools wrk postgresql
cd "$ROOT"
ref="${1:-HEAD~1}"
rounds="${2:-4}"
seconds="${3:-8}"
conversations="${4:-1000}"
nodes="${5:-1}"
key="bench-agent-key-0123456789"
build_baseline "$ref"
swift build -c release --product handoff >/dev/null
start_bench_postgres
admin_uri="$PG_URI"
pids=()
BENCH_CLEANUP="kill \${pids[*]} 2>/dev/null || true; $BENCH_CLEANUP"

# run LABEL BINARY: prints "LABEL replies_per_s p99_ms cpu_us_per_reply".
run() {
    export HANDOFF_MIGRATIONS
    HANDOFF_MIGRATIONS=$(migrations_of "$2")
    local uri="${admin_uri%/*}/agent_reply_ab"
    psql -q "$admin_uri" -c "DROP DATABASE IF EXISTS agent_reply_ab" -c "CREATE DATABASE agent_reply_ab"
    HANDOFF_DATABASE="$uri" "$2" migrate >/dev/null
    psql -q -v n="$conversations" "$uri" <<'SQL'
INSERT INTO contacts (id, created_at) SELECT 'ct_' || lpad(to_hex(i), 32, '0'), i FROM generate_series(0, :n - 1) i;
INSERT INTO conversations (id, contact_id, state, queue, active_channel, created_at, updated_at)
SELECT 'conv_' || lpad(to_hex(i), 32, '0'), 'ct_' || lpad(to_hex(i), 32, '0'), 'open', 'bot', 'web', i, i
FROM generate_series(0, :n - 1) i;
ANALYZE;
SQL
    pids=()
    local node port
    for node in $(seq "$nodes"); do
        port=$((28720 + node))
        env HANDOFF_DATABASE="$uri" HANDOFF_NODE_ID="node$node" HANDOFF_LISTEN=127.0.0.1:$port \
            HANDOFF_PUBLIC_URL=http://127.0.0.1:$port HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=error \
            HANDOFF_API_KEYS="$key" "${BENCH_TWILIO[@]}" "$2" serve &
        pids+=($!)
        wait_port $port
    done
    local ticks_before=0 ticks_after=0 pid wrks=() results
    for pid in "${pids[@]}"; do ticks_before=$((ticks_before + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
    for node in $(seq "$nodes"); do
        wrk -t1 -c$((64 / nodes)) -d"${seconds}s" --latency -s bench/agent-requests.lua \
            "http://127.0.0.1:$((28720 + node))" -- "$key" "$conversations" reply >"$OUT/pg-agent-reply-$node.txt" &
        wrks+=($!)
    done
    wait "${wrks[@]}"
    for pid in "${pids[@]}"; do ticks_after=$((ticks_after + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
    kill "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null || true
    cat "$OUT"/pg-agent-reply-*.txt | grep -q 'Non-2xx' && { echo "non-2xx answers" >&2; exit 1; }
    grep -h '^RESULT' "$OUT"/pg-agent-reply-*.txt | awk -v label="$1" -v ticks=$((ticks_after - ticks_before)) \
        -v hz="$(getconf CLK_TCK)" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        requests += v["requests"]; rps += v["rps"]; if (v["p99_ms"] > p99) p99 = v["p99_ms"] }
        END { printf "%s %d %.2f %.0f\n", label, rps, p99, 1e6 * ticks / hz / requests }'
    rm -f "$OUT"/pg-agent-reply-*.txt
}

echo "| run | build | replies/s | p99 (ms) | daemons' CPU per reply (µs) |"
echo "|---|---|---:|---:|---:|"
results=()
for round in $(seq "$rounds"); do
    for side in A B; do
        binary="$ROOT/.build/release/handoff"
        [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
        line=$(run "$side" "$binary") || exit 1
        results+=("$line")
        read -r label rps p99 cpu <<<"$line"
        echo "| $round | $label | $rps | $p99 | $cpu |"
    done
done
printf '%s\n' "${results[@]}" | awk -v ref="$ref" -v nodes="$nodes" '
    { rps[$1] += $2; cpu[$1] += $4; n[$1]++ }
    END {
        printf "\n%d node(s); A = %s, B = working tree: mean replies/s %d → %d (%+.1f%%), CPU per reply %.0f → %.0f µs (%+.1f%%)\n",
            nodes, ref, rps["A"] / n["A"], rps["B"] / n["B"], 100 * (rps["B"] / rps["A"] - 1),
            cpu["A"] / n["A"], cpu["B"] / n["B"], 100 * (cpu["B"] / cpu["A"] - 1) }'
