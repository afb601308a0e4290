#!/usr/bin/env bash
# What NOTIFY costs PostgreSQL's writers (fsync on): CLIENTS pgbench clients append events
# (INSERT into an event log, as a reply's transaction does, one commit each) for SECONDS, in
# four ways, interleaved ROUNDS times:
#   none:            no NOTIFY (SQLite-style single node, or this branch's parent)
#   debounced:       the same, beside two clients sending pg_notify in transactions of their own,
#                    100 a second each: the most two nodes' notifiers send (one at a time, 10 ms
#                    apart at least; HandoffService/PostgresNotifications.swift)
#   back-to-back:    the same with those two clients sending as fast as they can (coalesced only)
#   per-transaction: pg_notify inside every writing transaction (PostgreSQL holds a global lock
#                    from the notifying commit's pre-commit until it ends, so these serialise)
# Prints transactions per second of the writers for each run, then the means and ratios.
#   bench/pg-notify-cost.sh [ROUNDS] [SECONDS] [CLIENTS]
source "$(dirname "$0")/lib.sh"
need_tools postgresql
cd "$ROOT"
rounds="${1:-3}"
seconds="${2:-10}"
clients="${3:-16}"
start_bench_postgres
psql -q "$PG_URI" -c "CREATE TABLE events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)"
dir="$OUT/pg-notify-cost"
mkdir -p "$dir"
cat >"$dir/append.sql" <<'SQL'
\set c random(1, 1000)
BEGIN;
INSERT INTO events (conversation_id, payload, created_at) VALUES ('conv_' || :c, '{"body":"It left the warehouse today."}', 0);
COMMIT;
SQL
cat >"$dir/append-notify.sql" <<'SQL'
\set c random(1, 1000)
BEGIN;
INSERT INTO events (conversation_id, payload, created_at) VALUES ('conv_' || :c, '{"body":"It left the warehouse today."}', 0);
SELECT pg_notify('handoff_changes', '');
COMMIT;
SQL
echo "SELECT pg_notify('handoff_changes', '');" >"$dir/notify.sql"

# run MODE: prints "MODE tps" (the writers' transactions per second).
run() {
    local script="$dir/append.sql" notifier=
    [ "$1" = per-transaction ] && script="$dir/append-notify.sql"
    if [ "$1" = debounced ] || [ "$1" = back-to-back ]; then
        local rate=()
        [ "$1" = debounced ] && rate=(-R 200)
        pgbench -n -c 2 "${rate[@]}" -T "$seconds" -f "$dir/notify.sql" "$PG_URI" >"$dir/notifier.txt" 2>&1 &
        notifier=$!
    fi
    local tps
    tps=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$script" "$PG_URI" 2>&1 |
        awk '/^tps/ { print int($3) }')
    [ -n "$notifier" ] && wait "$notifier"
    echo "$1 $tps"
}

echo "| round | mode | writers' tps |"
echo "|---|---|---:|"
results=()
for round in $(seq "$rounds"); do
    for mode in none debounced back-to-back per-transaction; do
        line=$(run "$mode")
        results+=("$line")
        echo "| $round | ${line% *} | ${line#* } |"
    done
done
printf '%s\n' "${results[@]}" | awk '
    { tps[$1] += $2; n[$1]++ }
    END {
        printf "\nmean tps: none %d", tps["none"] / n["none"]
        split("debounced back-to-back per-transaction", modes, " ")
        for (i = 1; i <= 3; i++) {
            m = modes[i]
            printf ", %s %d (%.2fx)", m, tps[m] / n[m], (tps[m] / n[m]) / (tps["none"] / n["none"])
        }
        printf "\n" }'
