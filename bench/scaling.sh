#!/usr/bin/env bash
# Cost per operation as the database grows: for each size, a fresh database seeded with that many
# conversations (bench/seed-conversations.sql: contact, verified phone, four messages, events and
# webhooks each), then on the release daemon (synchronous=full)
#   agent reads: GET /v1/conversations/{id}/messages of random conversations (wrk, 64 connections),
#   agent replies: POST /v1/conversations/{id}/messages to random conversations (the same),
#   inbound: signed Twilio webhooks from 1,000 of the seeded customers (wrk, 64 connections),
# and the answer-SLA check timed through the sqlite3 C library, beside the query it replaced
# (which joined every open conversation's last message).
#   bench/scaling.sh [SECONDS] [SIZES...]      default: 5 s; 1000 10000 100000 1000000
source "$(dirname "$0")/lib.sh"
need_tools wrk sqlite3
cd "$ROOT"
make venv >/dev/null
seconds="${1:-5}"
shift || true
sizes=("${@:-1000 10000 100000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
key="bench-key-0123456789"
url="http://127.0.0.1:18095/v1/webhooks/twilio/inbound"
requests="$OUT/scaling-inbound-random-sids.tsv"
[ -f "$requests" ] || .venv/bin/python bench/inbound_requests.py "$url" bench-auth-token 200000 "$requests" "+1628%07d"
swift build -c release --product handoff >/dev/null
db="$OUT/scaling.sqlite"

# sla_ms: the SLA check and the query it replaced, each timed through Python's sqlite3 module
# (the C library underneath) as the best of five rounds, in milliseconds per query.
sla_ms() {
    python3 - "$db" <<'PY'
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1])
check = """SELECT * FROM conversations WHERE state = 'open' AND awaiting_reply_since < 1
    ORDER BY awaiting_reply_since LIMIT 1"""
replaced = """SELECT c.* FROM conversations c
    JOIN messages m ON m.seq = (SELECT max(seq) FROM messages WHERE conversation_id = c.id)
    WHERE c.state = 'open' AND m.author = 'visitor' AND m.created_at < 1 ORDER BY c.seq LIMIT 1"""
def best(sql, rounds):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            connection.execute(sql).fetchall()
        times.append((time.perf_counter() - start) / rounds)
    return min(times) * 1000
print("%.4f %.1f" % (best(check, 1000), best(replaced, 1)))
PY
}

# agent MODE: wrk with bench/agent-requests.lua against random conversations; prints "rps p99_ms".
agent() {
    wrk -t2 -c64 -d"${seconds}s" -s bench/agent-requests.lua http://127.0.0.1:18095 -- "$key" "$n" "$1" \
        >"$OUT/scaling-agent-$1.wrk.txt"
    if grep -q "Non-2xx" "$OUT/scaling-agent-$1.wrk.txt"; then echo "warning: agent $1 had non-2xx answers" >&2; fi
    awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print v["rps"], v["p99_ms"] }' "$OUT/scaling-agent-$1.wrk.txt"
}

echo "| conversations | database | agent reads/s | read p99 (ms) | agent replies/s | reply p99 (ms) | inbound webhooks/s | inbound p99 (ms) | SLA check (ms) | replaced SLA query (ms) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
    rm -f "$db"*
    HANDOFF_DATABASE="$db" .build/release/handoff migrate >/dev/null
    sqlite3 -cmd ".parameter set :n $n" "$db" <bench/seed-conversations.sql
    sync # the seeding wrote without syncing: flush it now, not in the first measured checkpoint
    size=$(du -m "$db" | cut -f1)
    read -r sla old < <(sla_ms)
    env HANDOFF_DATABASE="$db" HANDOFF_LISTEN=127.0.0.1:18095 HANDOFF_PUBLIC_URL=http://127.0.0.1:18095 \
        HANDOFF_LOG_LEVEL=error HANDOFF_API_KEYS="$key" "${BENCH_TWILIO[@]}" HANDOFF_DB_SYNCHRONOUS=full \
        .build/release/handoff serve >/dev/null 2>&1 &
    HANDOFF_PID=$!
    trap 'kill $HANDOFF_PID 2>/dev/null || true' EXIT
    wait_port 18095
    read -r rd_rps rd_p99 < <(agent read)
    read -r rp_rps rp_p99 < <(agent reply)
    read -r in_rps in_p99 < <(wrk -t2 -c64 -d"${seconds}s" -s bench/inbound-replay.lua http://127.0.0.1:18095 \
        -- "$requests" 2 | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (v["non200"] != 0) print "non-200 answers" > "/dev/stderr"; print v["rps"], v["p99_ms"] }')
    kill "$HANDOFF_PID"; wait "$HANDOFF_PID" 2>/dev/null || true
    printf '| %s | %s MB | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$size" "$rd_rps" "$rd_p99" "$rp_rps" "$rp_p99" \
        "$in_rps" "$in_p99" "$sla" "$old"
done
