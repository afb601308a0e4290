#!/usr/bin/env bash
# The write cost of the funnel roll-up's conversation lock on PostgreSQL (migrations/postgres/0029,
# a BEFORE INSERT trigger on messages): two copies of one database of N conversations, the second
# without that trigger, and hyperfine alternating on them one statement that adds a customer
# message to each conversation (every AFTER trigger of a message runs as in production). Prints
# both means and their ratio.   bench/funnel-lock-ab.sh [N=2000] [RUNS=20]
#   (HANDOFF_BIN: a handoff binary to migrate with instead of building one)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
n=${1:-2000}
runs=${2:-20}
bin=${HANDOFF_BIN:-}
if [ -z "$bin" ]; then
    swift build -c release --product handoff >/dev/null
    bin=.build/release/handoff
fi
pgdir=$(mktemp -d)
eval "$(.ci/postgres.sh start "$pgdir")"
trap '.ci/postgres.sh stop "$pgdir" >/dev/null' EXIT
# database_uri NAME: the test server's URI with database NAME.
database_uri() {
    python3 -c '
import os, sys; b = os.environ["HANDOFF_TEST_POSTGRES"]; q = b.find("?"); base, query = (b, "") if q < 0 else (b[:q], b[q:])
print(base[:base.rfind("/")] + "/" + sys.argv[1] + query)' "$1"
}
with=$(database_uri lock_with)
without=$(database_uri lock_without)
psql "$HANDOFF_TEST_POSTGRES" -qc "CREATE DATABASE lock_with"
HANDOFF_DATABASE="$with" "$bin" migrate >/dev/null
psql "$with" -q <<SQL
INSERT INTO contacts (id, created_at) SELECT 'k' || g, 1 FROM generate_series(1, $n) g;
INSERT INTO conversations (id, contact_id, state, created_at, updated_at)
SELECT 'c' || g, 'k' || g, 'open', 1, 1 FROM generate_series(1, $n) g;
SQL
psql "$HANDOFF_TEST_POSTGRES" -qc "CREATE DATABASE lock_without TEMPLATE lock_with"
psql "$without" -qc "DROP TRIGGER funnel_lock_conversation ON messages"
cat >"$OUT/funnel-lock-insert.sql" <<'SQL'
INSERT INTO messages (id, conversation_id, direction, channel, author, body, status, created_at, updated_at)
SELECT gen_random_uuid()::text, id, 'inbound', 'sms', 'visitor', 'hi', 'received', 2, 2 FROM conversations;
SQL
hyperfine -N --warmup 2 --runs "$runs" --export-json "$OUT/funnel-lock-ab.json" \
    "psql $with -qf $OUT/funnel-lock-insert.sql" "psql $without -qf $OUT/funnel-lock-insert.sql" >/dev/null
python3 - "$OUT/funnel-lock-ab.json" "$n" <<'PY'
import json, sys
with_lock, without_lock = [r["mean"] * 1000 for r in json.load(open(sys.argv[1]))["results"]]
print(f"{sys.argv[2]} messages a statement: with the lock {with_lock:.1f} ms, without {without_lock:.1f} ms, "
      f"with / without {with_lock / without_lock:.3f}")
PY
