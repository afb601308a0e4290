#!/usr/bin/env bash
# A/B of GET /v1/conversations: the release daemon at REF (default main, built in a scratch
# worktree by build_baseline) against the working tree's, alternated, on SQLite or on PostgreSQL
# (a throwaway server, fsync on). Each run starts from a fresh database with CONVERSATIONS
# conversations, each with a contact and a verified phone and four messages (SQLite:
# bench/seed-conversations.sql; PostgreSQL: the same rows from SQL below), every third continuing
# by text, every fifth waiting for an answer, every seventh number suppressed, so each shape of a
# listed conversation is read. It checks that both builds answer the first two pages byte for byte
# alike, then reads pages of LIMIT at random places with wrk (16 connections, SECONDS seconds,
# bench/conversation-list.lua). Prints per run pages/s, p50, p99 and the daemon's CPU per page
# (user + system, from /proc), then the means and the ratios B/A.
#   bench/conversation-list-ab.sh [REF] [ROUNDS] [SECONDS] [CONVERSATIONS] [LIMIT] [sqlite|postgresql]
source "$(dirname "$0")/lib.sh"
need_tools wrk sqlite3
cd "$ROOT"
ref="${1:-main}"
rounds="${2:-3}"
seconds="${3:-5}"
conversations="${4:-2000}"
limit="${5:-200}"
backend="${6:-sqlite}"
port=28615
key=bench-agent-key-0123456789

build_baseline "$ref"
swift build -c release --product handoff >/dev/null
if [ "$backend" = postgresql ]; then
    need_tools postgresql
    start_bench_postgres
fi
trap 'kill ${SERVER_PID:-} 2>/dev/null || true; eval "${BENCH_CLEANUP:-}"' EXIT

# seed_sqlite DB: bench/seed-conversations.sql and the shapes above.
seed_sqlite() {
    sqlite3 -cmd ".parameter set :n $conversations" "$1" <bench/seed-conversations.sql
    sqlite3 "$1" "UPDATE conversations SET active_channel = 'sms' WHERE seq % 3 = 0;
        UPDATE conversations SET awaiting_reply_since = created_at WHERE seq % 5 = 0;
        INSERT INTO suppressions (phone_e164, reason, created_at)
            SELECT phone_e164, 'stop_keyword', 0 FROM contacts WHERE rowid % 7 = 0;"
}

# seed_postgres URI: the same rows as seed_sqlite (events and webhooks aside: the list reads none).
seed_postgres() {
    psql -q -v n="$conversations" "$1" <<'SQL'
INSERT INTO contacts (id, phone_e164, created_at)
SELECT 'ct_' || lpad(to_hex(i), 32, '0'), '+1628' || lpad(i::text, 7, '0'), i FROM generate_series(0, :n - 1) i;
INSERT INTO conversations (id, contact_id, state, queue, active_channel, created_at, updated_at)
SELECT 'conv_' || lpad(to_hex(i), 32, '0'), 'ct_' || lpad(to_hex(i), 32, '0'), 'open', 'bot', 'web', i, i
FROM generate_series(0, :n - 1) i ORDER BY i;
INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, provider_message_id,
    created_at, updated_at)
SELECT 'msg_' || lpad(to_hex(i), 30, '0') || lpad(t::text, 2, '0'), 'conv_' || lpad(to_hex(i), 32, '0'),
    CASE t % 2 WHEN 0 THEN 'inbound' ELSE 'outbound' END, 'sms', CASE t % 2 WHEN 0 THEN 'visitor' ELSE 'bot' END,
    CASE t % 2 WHEN 0 THEN 'Where is my order? It was due on Friday.' ELSE 'It left the warehouse today.' END,
    CASE t % 2 WHEN 0 THEN 'received' ELSE 'delivered' END,
    CASE t % 2 WHEN 1 THEN 'SM' || lpad(to_hex(i), 30, '0') || lpad(t::text, 2, '0') END, i * 10 + t, i * 10 + t
FROM generate_series(0, :n - 1) i, generate_series(0, 3) t ORDER BY i, t;
UPDATE conversations SET active_channel = 'sms' WHERE seq % 3 = 0;
UPDATE conversations SET awaiting_reply_since = created_at WHERE seq % 5 = 0;
INSERT INTO suppressions (phone_e164, reason, created_at)
SELECT phone_e164, 'stop_keyword', 0 FROM contacts WHERE substr(phone_e164, 6)::int % 7 = 6;
ANALYZE;
SQL
}

# serve LABEL BINARY: a fresh seeded database and the daemon on it; sets SERVER_PID.
serve() {
    export HANDOFF_MIGRATIONS
    HANDOFF_MIGRATIONS=$(migrations_of "$2")
    local database
    if [ "$backend" = postgresql ]; then
        local name="conversation_list_${1,,}"
        psql -q "$PG_URI" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
        database="${PG_URI%/*}/$name"
        HANDOFF_DATABASE="$database" "$2" migrate >/dev/null
        seed_postgres "$database"
    else
        database="$OUT/conversation-list-$1.sqlite"
        rm -f "$database"*
        HANDOFF_DATABASE="$database" "$2" migrate >/dev/null
        seed_sqlite "$database"
    fi
    env HANDOFF_DATABASE="$database" HANDOFF_LISTEN=127.0.0.1:$port HANDOFF_PUBLIC_URL=http://127.0.0.1:$port \
        HANDOFF_LOG_LEVEL=error HANDOFF_API_KEYS=$key "$2" serve &
    SERVER_PID=$!
    wait_port $port
}

stop() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
}

# pages LABEL: the first two pages of LIMIT, as answered, into $OUT.
pages() {
    local first next
    first=$(curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/conversations?limit=$limit")
    next=$(printf '%s' "$first" | python3 -c 'import json, sys; print(json.load(sys.stdin)["next_after"])')
    {
        printf '%s\n' "$first"
        curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/conversations?limit=$limit&after=$next"
    } >"$OUT/conversation-list-$1.json"
}

for side in A B; do
    binary="$ROOT/.build/release/handoff"
    [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
    serve "$side" "$binary"
    pages "$side"
    stop
done
cmp "$OUT/conversation-list-A.json" "$OUT/conversation-list-B.json" ||
    { echo "A and B answer differently: $OUT/conversation-list-[AB].json" >&2; exit 1; }
echo "Both builds answer the first two pages of $limit byte for byte alike ($(wc -c <"$OUT/conversation-list-A.json") bytes)."
echo
echo "| run | build | pages/s | p50 (ms) | p99 (ms) | daemon CPU per page (ms) |"
echo "|---|---|---:|---:|---:|---:|"
results=()
for round in $(seq "$rounds"); do
    for side in A B; do
        binary="$ROOT/.build/release/handoff"
        [ "$side" = A ] && binary="$BASELINE/.build/release/handoff"
        serve "$side" "$binary"
        ticks_before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
        line=$(wrk -t2 -c16 -d"${seconds}s" -s bench/conversation-list.lua "http://127.0.0.1:$port" -- \
            "$key" "$conversations" "$limit" | grep '^RESULT')
        ticks_after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
        stop
        read -r rps p50 p99 cpu < <(echo "$line" | awk -v ticks=$((ticks_after - ticks_before)) \
            -v hz="$(getconf CLK_TCK)" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "%s %s %s %.2f\n", v["rps"], v["p50_ms"], v["p99_ms"], 1e3 * ticks / hz / v["requests"] }')
        results+=("$side $rps $p99 $cpu")
        echo "| $round | $side | $rps | $p50 | $p99 | $cpu |"
    done
done
printf '%s\n' "${results[@]}" | awk -v ref="$ref" '
    { rps[$1] += $2; p99[$1] += $3; cpu[$1] += $4; n[$1]++ }
    END {
        printf "\nA = %s, B = working tree: mean pages/s %d → %d (B/A %.2f), mean p99 %.1f → %.1f ms, ",
            ref, rps["A"] / n["A"], rps["B"] / n["B"], (rps["B"] / n["B"]) / (rps["A"] / n["A"]),
            p99["A"] / n["A"], p99["B"] / n["B"]
        printf "daemon CPU per page %.2f → %.2f ms (B/A %.2f)\n", cpu["A"] / n["A"], cpu["B"] / n["B"],
            cpu["B"] / cpu["A"] }'
