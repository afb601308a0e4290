#!/usr/bin/env bash
# One node against two on PostgreSQL, with nginx and the SQLite build as the references of the same
# run. Each round, alternated, on fresh databases (PostgreSQL 15 on this machine, fsync on; SQLite
# synchronous=full):
#   inbound: the signed webhook replay of bench/inbound-ab.sh (every MessageSid once) at 64
#     connections for SECONDS, from 2 wrk threads in all: at nginx (raw HTTP), at one SQLite node,
#     at one PostgreSQL node, and split over two PostgreSQL nodes (32 connections each, both nodes
#     behind the same public URL, as behind a load balancer). Webhooks/s, the worst p99, and the
#     CPU per webhook of the handoff daemons and of the PostgreSQL server (postmaster and backends).
#   reply: agents' replies at RATE/s for 10 s through the node(s) -> the send request at a stand-in
#     Messages API (bench/pg_reply_latency.py): p50/p99 on SQLite, one and two PostgreSQL nodes.
#   Each inbound line also counts the write conflicts (40001, 40P01) PostgreSQL logged meanwhile.
#   bench/pg-one-vs-two.sh [ROUNDS] [SECONDS] [RATE]      default: 3 8 100
#   BASELINE=FILE (a copy of an earlier build's .build/release/handoff) adds, each round, its
#   PostgreSQL runs (setups "postgres-1-baseline", "postgres-2-baseline"), interleaved with this build's.
source "$(dirname "$0")/lib.sh"
need_tools wrk nginx postgresql
cd "$ROOT"
rounds="${1:-3}"
seconds="${2:-8}"
rate="${3:-100}"
key="bench-key-0123456789"
nginx_port=18130
gateway_port=18139
lines=$((seconds * 40000))
requests="$OUT/inbound-18131-$lines.tsv"
if [ ! -f "$requests" ]; then
    make venv >/dev/null
    .venv/bin/python bench/inbound_requests.py http://127.0.0.1:18131/v1/webhooks/twilio/inbound \
        bench-auth-token "$lines" "$requests"
fi
swift build -c release --product handoff >/dev/null
handoff=.build/release/handoff
start_bench_postgres
start_nginx "$nginx_port"
BENCH_CLEANUP="kill \${pids[*]:-} $NGINX_PID 2>/dev/null || true; $BENCH_CLEANUP"
pids=()

# start_nodes DATABASE NODES [VAR=VALUE...]: NODES daemons on DATABASE (a fresh one), on ports
# 18131.., all with the public URL of the first; sets pids.
start_nodes() {
    local database=$1 nodes=$2 node port
    shift 2
    if [ "$database" = sqlite ]; then
        database="$OUT/pg-one-vs-two.sqlite"
        rm -f "$database"*
    else
        psql -q "$PG_URI" -c "DROP DATABASE IF EXISTS one_vs_two" -c "CREATE DATABASE one_vs_two"
        database="${PG_URI%/*}/one_vs_two"
        HANDOFF_DATABASE="$database" "$handoff" migrate >/dev/null
    fi
    pids=()
    for node in $(seq "$nodes"); do
        port=$((18130 + node))
        env HANDOFF_DATABASE="$database" HANDOFF_NODE_ID="node$node" HANDOFF_LISTEN="127.0.0.1:$port" \
            HANDOFF_PUBLIC_URL=http://127.0.0.1:18131 HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=error \
            HANDOFF_DB_SYNCHRONOUS=full HANDOFF_API_KEYS="$key" "${BENCH_TWILIO[@]}" "$@" \
            "$handoff" serve &
        pids+=($!)
        wait_port "$port"
    done
}

stop_nodes() {
    kill "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
}

# ticks PID...: the CPU clock ticks the processes used so far (one that just exited counts 0).
ticks() {
    local pid total=0 used
    for pid in "$@"; do
        used=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || used=0
        total=$((total + ${used:-0}))
    done
    echo "$total"
}

# postgres_ticks: the PostgreSQL server's CPU ticks so far (postmaster, its reaped children, its backends).
postgres_ticks() {
    local postmaster
    postmaster=$(head -n 1 "$PG_DIR/data/postmaster.pid")
    echo $(($(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat") + $(ticks $(pgrep -P "$postmaster"))))
}

# conflicts: the write conflicts PostgreSQL logged so far (serialization failures, deadlocks).
conflicts() {
    if [ -n "${PG_DIR:-}" ]; then grep -c -e 'could not serialize' -e 'deadlock detected' "$PG_DIR/server.log"; else echo 0; fi
}

# inbound LABEL PORT... : replays the webhooks at the given ports (64 connections, 2 threads in
# all); prints "LABEL webhooks_per_s worst_p99_ms handoff_us_per_webhook postgres_us_per_webhook
# non_200 conflicts_per_100_webhooks" (503s, which Twilio retries, counted).
inbound() {
    local label=$1 port index=0 wrks=() threads=$((2 / ($# - 1)))
    shift
    local handoff_before postgres_before handoff_after postgres_after conflicts_before
    handoff_before=$(ticks "${pids[@]}")
    postgres_before=$(postgres_ticks)
    conflicts_before=$(conflicts)
    for port in "$@"; do
        wrk -t"$threads" -c$((64 / $#)) -d"${seconds}s" --latency -s bench/inbound-replay.lua \
            "http://127.0.0.1:$port" -- "$requests" 2 "$index" >"$OUT/one-vs-two-$port.txt" &
        wrks+=($!)
        index=$((index + threads))
    done
    wait "${wrks[@]}"
    handoff_after=$(ticks "${pids[@]}")
    postgres_after=$(postgres_ticks)
    grep -h '^RESULT' "$OUT"/one-vs-two-*.txt | awk -v label="$label" -v hz="$(getconf CLK_TCK)" \
        -v handoff=$((handoff_after - handoff_before)) -v postgres=$((postgres_after - postgres_before)) \
        -v conflicts=$(($(conflicts) - conflicts_before)) '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        requests += v["requests"]; rps += v["rps"]; failed += v["non200"]; if (v["p99_ms"] > p99) p99 = v["p99_ms"] }
        END {
            printf "%s %d %.2f %.0f %.0f %d %.1f\n", label, rps, p99, 1e6 * handoff / hz / requests, 1e6 * postgres / hz / requests,
                failed, 100 * conflicts / requests }'
    rm -f "$OUT"/one-vs-two-*.txt
}

# reply LABEL DATABASE NODES: adds "LABEL sent arrived p50_ms p99_ms refused" of agent reply -> gateway to
# reply_results.
reply() {
    start_nodes "$2" "$3" HANDOFF_TWILIO_API_BASE="http://127.0.0.1:$gateway_port" HANDOFF_QUIET_HOURS=00:00-23:59 \
        HANDOFF_HANDOFFS_PER_MINUTE_PER_IP=100000 HANDOFF_SESSIONS_PER_MINUTE_PER_IP=100000 \
        HANDOFF_CODES_PER_ADDRESS_PER_DAY=100000 HANDOFF_SMS_MAX_IN_FLIGHT=32
    local ports=() node
    for node in $(seq "$3"); do ports+=($((18130 + node))); done
    reply_results+=("$(python3 bench/pg_reply_latency.py "$gateway_port" "$key" "$rate" 10 "${ports[@]}" |
        python3 -c 'import json, sys; r = json.load(sys.stdin); print(sys.argv[1], r["sent"], r["arrived"], r["p50_ms"], r["p99_ms"], r["refused_503"])' "$1")")
    stop_nodes
}

inbound_results=()
reply_results=()
for round in $(seq "$rounds"); do
    inbound_results+=("$(inbound nginx "$nginx_port")")
    start_nodes sqlite 1
    inbound_results+=("$(inbound sqlite-1 18131)")
    stop_nodes
    for build in ${BASELINE:+baseline} this; do
        handoff=.build/release/handoff suffix=
        [ "$build" = baseline ] && handoff=$BASELINE suffix=-baseline
        start_nodes postgresql 1
        inbound_results+=("$(inbound "postgres-1$suffix" 18131)")
        stop_nodes
        start_nodes postgresql 2
        inbound_results+=("$(inbound "postgres-2$suffix" 18131 18132)")
        stop_nodes
    done
    handoff=.build/release/handoff
    reply sqlite-1 sqlite 1
    for build in ${BASELINE:+baseline} this; do
        handoff=.build/release/handoff suffix=
        [ "$build" = baseline ] && handoff=$BASELINE suffix=-baseline
        reply "postgres-1$suffix" postgresql 1
        reply "postgres-2$suffix" postgresql 2
    done
    handoff=.build/release/handoff
    echo "round $round done" >&2
done

echo "| round | setup | webhooks/s | worst p99 (ms) | handoff CPU per webhook (µs) | PostgreSQL CPU per webhook (µs) | non-200 | conflicts per 100 webhooks |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${inbound_results[@]}" | awk '{ n[$1]++; printf "| %d | %s | %d | %.2f | %s | %s | %s | %s |\n", n[$1], $1, $2, $3, $4, $5, $6, $7 }'
echo
echo "| round | setup | replies acknowledged / at the gateway | refused (503) | p50 (ms) | p99 (ms) |"
echo "|---:|---|---:|---:|---:|---:|"
printf '%s\n' "${reply_results[@]}" | awk '{ n[$1]++; printf "| %d | %s | %d / %d | %d | %.2f | %.2f |\n", n[$1], $1, $2, $3, $6, $4, $5 }'
echo
printf '%s\n' "${inbound_results[@]}" | awk '
    { rps[$1] += $2; handoff[$1] += $4; postgres[$1] += $5; n[$1]++ }
    END {
        for (s in rps) { rps[s] /= n[s]; handoff[s] /= n[s]; postgres[s] /= n[s] }
        printf "means: nginx %d/s; SQLite %d/s (%.2fx nginx); PostgreSQL 1 node %d/s (%.2fx SQLite), 2 nodes %d/s (%.2fx 1 node)\n",
            rps["nginx"], rps["sqlite-1"], rps["sqlite-1"] / rps["nginx"], rps["postgres-1"],
            rps["postgres-1"] / rps["sqlite-1"], rps["postgres-2"], rps["postgres-2"] / rps["postgres-1"]
        printf "CPU per webhook (handoff + PostgreSQL, µs): SQLite %.0f; PostgreSQL 1 node %.0f + %.0f, 2 nodes %.0f + %.0f\n",
            handoff["sqlite-1"], handoff["postgres-1"], postgres["postgres-1"], handoff["postgres-2"], postgres["postgres-2"]
        if (n["postgres-1-baseline"]) {
            printf "against the baseline build (this / baseline): PostgreSQL 1 node webhooks/s %.2fx, CPU per webhook %.2fx; 2 nodes %.2fx, %.2fx\n",
                rps["postgres-1"] / rps["postgres-1-baseline"],
                (handoff["postgres-1"] + postgres["postgres-1"]) / (handoff["postgres-1-baseline"] + postgres["postgres-1-baseline"]),
                rps["postgres-2"] / rps["postgres-2-baseline"],
                (handoff["postgres-2"] + postgres["postgres-2"]) / (handoff["postgres-2-baseline"] + postgres["postgres-2-baseline"]) } }'
printf '%s\n' "${reply_results[@]}" | awk '
    { p50[$1] += $4; p99[$1] += $5; n[$1]++ }
    END {
        printf "reply -> gateway, mean p50/p99 (ms): SQLite %.1f/%.1f; PostgreSQL 1 node %.1f/%.1f, 2 nodes %.1f/%.1f\n",
            p50["sqlite-1"] / n["sqlite-1"], p99["sqlite-1"] / n["sqlite-1"], p50["postgres-1"] / n["postgres-1"],
            p99["postgres-1"] / n["postgres-1"], p50["postgres-2"] / n["postgres-2"], p99["postgres-2"] / n["postgres-2"] }'
