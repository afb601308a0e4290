#!/usr/bin/env bash
# Server CPU per request, one request at a time (wrk -t1 -c1: the next request leaves when the
# last answer arrived, so every request pays the server's wake-ups alone, as at tens of requests a
# second) and at 64 connections (wrk -t2 -c64), for GET /healthz and for signed Twilio inbound
# webhooks (synchronous=full, fresh database each run). CPU is the daemon's utime + stime from
# /proc/PID/stat over the run, divided by the requests wrk counted. Like bench/inbound-ab.sh it
# builds REF (default HEAD) in a scratch worktree and alternates it with the working tree, each
# with its own migrations, the daemons' own texts going to a gateway stand-in on PORT + 1
# (GATEWAY=closed for a closed port; see bench_gateway in bench/lib.sh).
#   bench/request-cpu.sh [REF] [ROUNDS] [SECONDS]
# WORKLOADS="healthz" runs only that workload (default "healthz webhook"); PORT (default 18096)
# is where the daemons listen, for running beside another engineer's benchmark; LOG_LEVEL (default
# error) is the daemons' log level (info writes the access log, to bench/.out/request-cpu.log).
source "$(dirname "$0")/lib.sh"
need_tools wrk
cd "$ROOT"
ref="${1:-HEAD}"
rounds="${2:-3}"
seconds="${3:-5}"
workloads="${WORKLOADS:-healthz webhook}"
port="${PORT:-18096}"
log_level="${LOG_LEVEL:-error}"
lines=$((seconds * 40000))
requests="$OUT/inbound-random-sids-$lines.tsv"
if [[ " $workloads " == *" webhook "* ]]; then
    make venv >/dev/null
    [ -f "$requests" ] ||
        .venv/bin/python bench/inbound_requests.py http://127.0.0.1:18092/v1/webhooks/twilio/inbound \
            bench-auth-token "$lines" "$requests"
fi
build_baseline "$ref"
bench_gateway $((port + 1))
swift build -c release --product handoff >/dev/null

# run LABEL BINARY WORKLOAD CONNECTIONS: one wrk run against a fresh daemon (on its tree's
# migrations); prints
# "LABEL WORKLOAD CONNECTIONS req/s cpu_us_per_request".
run() {
    local label=$1 binary=$2 workload=$3 connections=$4 threads=2
    [ "$connections" = 1 ] && threads=1
    local db="$OUT/request-cpu.sqlite"
    rm -f "$db"*
    # The webhooks are signed for port 18092 (bench/inbound-ab.sh's); this daemon listens on its own.
    env HANDOFF_DATABASE="$db" HANDOFF_LISTEN="127.0.0.1:$port" HANDOFF_PUBLIC_URL=http://127.0.0.1:18092 \
        HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL="$log_level" HANDOFF_DB_SYNCHRONOUS=full "${BENCH_TWILIO[@]}" \
        "${BENCH_GATEWAY[@]}" HANDOFF_MIGRATIONS="$(migrations_of "$binary")" "$binary" serve \
        2>"$OUT/request-cpu.log" &
    SERVER_PID=$!
    wait_port "$port"
    local wrk_args=(-t"$threads" -c"$connections" -d"${seconds}s") ticks_before ticks_after count rps
    ticks_before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    if [ "$workload" = healthz ]; then
        wrk "${wrk_args[@]}" "http://127.0.0.1:$port/healthz" >"$OUT/request-cpu.wrk.txt"
        count=$(awk '/requests in/ { print $1 }' "$OUT/request-cpu.wrk.txt")
        rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$OUT/request-cpu.wrk.txt")
    else
        wrk "${wrk_args[@]}" -s bench/inbound-replay.lua "http://127.0.0.1:$port" -- "$requests" "$threads" |
            grep '^RESULT' >"$OUT/request-cpu.wrk.txt"
        grep -q 'non200=0 ' "$OUT/request-cpu.wrk.txt" || { cat "$OUT/request-cpu.wrk.txt" >&2; exit 1; }
        count=$(sed -E 's/.*requests=([0-9]+).*/\1/' "$OUT/request-cpu.wrk.txt")
        rps=$(sed -E 's/.*rps=([0-9]+).*/\1/' "$OUT/request-cpu.wrk.txt")
    fi
    ticks_after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    awk -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="$count" \
        -v prefix="$label $workload $connections $rps" 'BEGIN { printf "%s %.0f\n", prefix, 1e6 * ticks / hz / n }'
}

echo "| round | build | workload | connections | req/s | server CPU per request (µs) |"
echo "|---|---|---|---:|---:|---:|"
results=()
for round in $(seq "$rounds"); do
    for workload in $workloads; do
        for connections in 1 64; do
            for side in A B; do
                binary="$ROOT/.build/release/handoff"
                [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
                line=$(run "$side" "$binary" "$workload" "$connections")
                results+=("$line")
                read -r label _ _ rps cpu <<<"$line"
                echo "| $round | $label | $workload | $connections | $rps | $cpu |"
            done
        done
    done
done
echo
echo "A = $ref, B = working tree (means):"
echo
echo "| workload | connections | A req/s | B req/s | A CPU µs | B CPU µs | CPU B/A |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${results[@]}" | awk '
    { key = $2 " " $3; rps[key, $1] += $4; cpu[key, $1] += $5; n[key, $1]++; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
    END {
        for (i = 1; i <= k; i++) {
            key = order[i]; split(key, p, " ")
            a = cpu[key, "A"] / n[key, "A"]; b = cpu[key, "B"] / n[key, "B"]
            printf "| %s | %s | %d | %d | %.0f | %.0f | %+.0f%% |\n", p[1], p[2], rps[key, "A"] / n[key, "A"],
                rps[key, "B"] / n[key, "B"], a, b, 100 * (b / a - 1)
        }
    }'
