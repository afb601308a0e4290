#!/usr/bin/env bash
# A/B of a change on the inbound webhook path: builds the release daemon at REF (default HEAD) in
# a scratch worktree and the working tree as it is, then alternates the two on the same signed
# replay as bench/inbound-throughput.sh (64 connections, synchronous=full, fresh database each
# run). Prints req/s, p99, the server's CPU and the bytes it wrote per webhook for every run, then
# the means.
# One run against another measured minutes apart differs by up to 15% on this machine, so only
# interleaved runs decide whether a change helped.   bench/inbound-ab.sh [REF] [ROUNDS] [SECONDS]
# PORT (default 18092) moves the daemons off 18092 when another benchmark uses it; the webhooks
# stay signed for http://127.0.0.1:18092, the public URL both daemons are given.
# Each build runs with its own migrations (REF's `migrations/` for A), so a schema change is
# measured with its code; the daemons' own texts go to a gateway stand-in on PORT + 1 (GATEWAY=closed
# for a closed port instead; see bench_gateway in bench/lib.sh).
source "$(dirname "$0")/lib.sh"
need_tools wrk
cd "$ROOT"
ref="${1:-HEAD}"
rounds="${2:-4}"
seconds="${3:-8}"
port="${PORT:-18092}"
lines=$((seconds * 40000))
requests="$OUT/inbound-random-sids-$lines.tsv"
make venv >/dev/null
[ -f "$requests" ] ||
    .venv/bin/python bench/inbound_requests.py http://127.0.0.1:18092/v1/webhooks/twilio/inbound \
        bench-auth-token "$lines" "$requests"

build_baseline "$ref"
bench_gateway $((port + 1))
swift build -c release --product handoff >/dev/null

# run LABEL BINARY: one replay of BINARY (on its tree's migrations) against a fresh database; prints
# "LABEL rps p99_ms cpu_us_per_request kib_written_per_request" (the daemon's write() bytes from
# /proc/PID/io: the log's frames, the checkpoints' copies and the answers; unlike CPU time, the
# machine's load does not move it).
run() {
    local db="$OUT/inbound-ab.sqlite"
    rm -f "$db"*
    env HANDOFF_DATABASE="$db" HANDOFF_LISTEN="127.0.0.1:$port" HANDOFF_PUBLIC_URL=http://127.0.0.1:18092 \
        HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=error HANDOFF_DB_SYNCHRONOUS=full "${BENCH_TWILIO[@]}" \
        "${BENCH_GATEWAY[@]}" HANDOFF_MIGRATIONS="$(migrations_of "$2")" "$2" serve &
    SERVER_PID=$!
    wait_port "$port"
    local ticks_before ticks_after written_before written_after result
    ticks_before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    written_before=$(awk '$1 == "wchar:" { print $2 }' "/proc/$SERVER_PID/io")
    result=$(wrk -t2 -c64 -d"${seconds}s" --latency -s bench/inbound-replay.lua "http://127.0.0.1:$port" -- "$requests" 2 |
        grep '^RESULT')
    ticks_after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    written_after=$(awk '$1 == "wchar:" { print $2 }' "/proc/$SERVER_PID/io")
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    echo "$result" | awk -v label="$1" -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" \
        -v written=$((written_after - written_before)) '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (v["non200"] != 0) { print "non-200 answers: " v["non200"] > "/dev/stderr"; exit 1 }
        printf "%s %d %.2f %.0f %.1f\n", label, v["rps"], v["p99_ms"], 1e6 * ticks / hz / v["requests"],
            written / 1024 / v["requests"] }'
}

echo "| run | build | req/s | p99 (ms) | server CPU per webhook (µs) | KiB written per webhook |"
echo "|---|---|---:|---:|---:|---:|"
results=()
for round in $(seq "$rounds"); do
    for side in A B; do
        binary="$ROOT/.build/release/handoff"
        [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
        line=$(run "$side" "$binary")
        results+=("$line")
        read -r label rps p99 cpu written <<<"$line"
        echo "| $round | $label | $rps | $p99 | $cpu | $written |"
    done
done
printf '%s\n' "${results[@]}" | awk -v ref="$ref" '
    { rps[$1] += $2; cpu[$1] += $4; written[$1] += $5; n[$1]++ }
    END {
        printf "\nA = %s, B = working tree: mean req/s %d → %d (%+.1f%%), CPU per webhook %.0f → %.0f µs (%+.1f%%)\n",
            ref, rps["A"] / n["A"], rps["B"] / n["B"], 100 * (rps["B"] / rps["A"] - 1),
            cpu["A"] / n["A"], cpu["B"] / n["B"], 100 * (cpu["B"] / cpu["A"] - 1)
        printf "written per webhook %.1f → %.1f KiB (%+.1f%%)\n", written["A"] / n["A"], written["B"] / n["B"],
            100 * (written["B"] / written["A"] - 1) }'
