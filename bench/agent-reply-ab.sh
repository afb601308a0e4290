#!/usr/bin/env bash
# A/B of agent reply → gateway throughput: builds the release daemon at REF (default HEAD) in a
# scratch worktree (`.build-ab-<commit>`, kept for the next run against it) and the working tree as
# it is, then alternates the two. Each run seeds a fresh database with CONVERSATIONS conversations
# that continue by text (bench/seed-conversations.sql, switched to SMS, the customer having just
# written, so replies are neither deferred nor proactive), posts agent replies to random ones with
# wrk (64 connections, SECONDS seconds, bench/agent-requests.lua) while the daemon sends them to a
# loopback gateway stand-in (nginx answering Twilio's Messages API with a fresh sid, 64 sends in
# flight), and waits until every queued text reached it. Prints per run the replies accepted per
# second, the texts per second from the first reply to the last send, and the daemon's CPU per text;
# then the means.
#   bench/agent-reply-ab.sh [REF] [ROUNDS] [SECONDS] [CONVERSATIONS]
source "$(dirname "$0")/lib.sh"
need_tools wrk nginx-light sqlite3
cd "$ROOT"
ref="${1:-HEAD}"
rounds="${2:-4}"
seconds="${3:-5}"
conversations="${4:-1000}"
port=28613
gateway_port=28614

build_baseline "$ref"
trap 'kill ${SERVER_PID:-} ${GATEWAY_PID:-} 2>/dev/null || true' EXIT
start_gateway_standin "$gateway_port"
swift build -c release --product handoff >/dev/null

# queued DB: texts not yet at the gateway.
queued() { sqlite3 "$1" "SELECT count(*) FROM outbox WHERE kind = 'sms' AND state IN ('pending', 'sending')"; }

# run LABEL BINARY: prints "LABEL replies_per_s texts_per_s cpu_us_per_text".
run() {
    export HANDOFF_MIGRATIONS
    HANDOFF_MIGRATIONS=$(migrations_of "$2")
    local db="$OUT/agent-reply-ab.sqlite"
    rm -f "$db"*
    HANDOFF_DATABASE="$db" "$2" migrate >/dev/null
    sqlite3 -cmd ".parameter set :n $conversations" "$db" <bench/seed-conversations.sql
    local now_ms=$(($(date +%s%N) / 1000000))
    sqlite3 "$db" "UPDATE conversations SET active_channel = 'sms';
        UPDATE messages SET created_at = $now_ms WHERE direction = 'inbound';"
    env HANDOFF_DATABASE="$db" HANDOFF_LISTEN=127.0.0.1:$port HANDOFF_PUBLIC_URL=http://127.0.0.1:$port \
        HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=error HANDOFF_DB_SYNCHRONOUS=full HANDOFF_API_KEYS=bench-agent-key-0123456789 \
        HANDOFF_SMS_MAX_IN_FLIGHT=64 "${BENCH_TWILIO[@]}" HANDOFF_TWILIO_API_BASE=http://127.0.0.1:$gateway_port \
        "$2" serve &
    SERVER_PID=$!
    wait_port $port
    local ticks_before ticks_after start end result
    ticks_before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    start=$(date +%s%N)
    result=$(wrk -t2 -c64 -d"${seconds}s" -s bench/agent-requests.lua "http://127.0.0.1:$port" -- \
        bench-agent-key-0123456789 "$conversations" reply | grep '^RESULT')
    while [ "$(queued "$db")" != 0 ]; do sleep 0.05; done
    end=$(date +%s%N)
    ticks_after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    local texts
    texts=$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = 'sent'")
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    echo "$result" | awk -v label="$1" -v texts="$texts" -v ns=$((end - start)) \
        -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (texts < v["requests"]) { print "texts sent: " texts " of " v["requests"] > "/dev/stderr"; exit 1 }
        printf "%s %d %d %.0f\n", label, v["rps"], texts / (ns / 1e9), 1e6 * ticks / hz / texts }'
}

echo "| run | build | replies accepted/s | texts at the gateway/s | daemon CPU per text (µs) |"
echo "|---|---|---:|---:|---:|"
results=()
for round in $(seq "$rounds"); do
    for side in A B; do
        binary="$ROOT/.build/release/handoff"
        [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
        line=$(run "$side" "$binary") || exit 1
        results+=("$line")
        read -r label replies texts cpu <<<"$line"
        echo "| $round | $label | $replies | $texts | $cpu |"
    done
done
printf '%s\n' "${results[@]}" | awk -v ref="$ref" '
    { replies[$1] += $2; texts[$1] += $3; cpu[$1] += $4; n[$1]++ }
    END {
        printf "\nA = %s, B = working tree: mean texts/s %d → %d (%+.1f%%), replies/s %d → %d, CPU per text %.0f → %.0f µs (%+.1f%%)\n",
            ref, texts["A"] / n["A"], texts["B"] / n["B"], 100 * (texts["B"] / texts["A"] - 1),
            replies["A"] / n["A"], replies["B"] / n["B"],
            cpu["A"] / n["A"], cpu["B"] / n["B"], 100 * (cpu["B"] / cpu["A"] - 1) }'
