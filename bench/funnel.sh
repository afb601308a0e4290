#!/usr/bin/env bash
# The funnel report at scale: seeds N conversations over a month (bench/seed-funnel.sql), then
# times GET /v1/reports/funnel for the month by each key over HTTP with hyperfine, on SQLite and
# (when PostgreSQL is installed) on PostgreSQL with the same data (handoff migrate-to-postgres).
# The reference in the same run is the database's own client (sqlite3 / psql) running the plain
# aggregate under every report: the range's conversations joined with all their messages,
# grouped by the key. With HANDOFF_BIN_BEFORE (builds of previous versions, separated by spaces)
# the same report from each of those builds, served on a copy of the same data (the same
# database on PostgreSQL), is timed in the same hyperfine runs, interleaved. Prints a Markdown
# table per backend: the mean times, and the CPU each handoff process spent per report (from
# /proc, over the same runs; steadier than wall time on a shared machine; on PostgreSQL it leaves
# out the database server's own work).
#   bench/funnel.sh [N=100000] [RUNS=10]   (HANDOFF_BIN: a handoff binary to use instead of building one)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
n=${1:-100000}
runs=${2:-10}
key="bench-key-0123456789"
start=1793491200000 # 2026-11-01T00:00:00Z
range="from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"
db="$OUT/funnel.sqlite"
port=18096
before_port=18097 # and up, one per previous build
keys=(program template variant campaign queue day) # `by` is required: without it the API answers 422

bin=${HANDOFF_BIN:-}
read -r -a before <<<"${HANDOFF_BIN_BEFORE:-}"
if [ -z "$bin" ]; then
    swift build -c release --product handoff >/dev/null
    bin=.build/release/handoff
fi
rm -f "$db" "$db-wal" "$db-shm"
HANDOFF_DATABASE="$db" "$bin" migrate >/dev/null
sqlite3 -cmd ".parameter set :n $n" -cmd ".parameter set :start $start" "$db" <bench/seed-funnel.sql
sync

# The key column of the plain aggregate, as the report keys conversations.
reference_key() {
    case $1 in
    program) echo "coalesce((SELECT f.program FROM outbound f WHERE f.conversation_id = c.id ORDER BY f.created_at, f.id LIMIT 1), 'chat')" ;;
    template) echo "(SELECT f.template_id FROM outbound f WHERE f.conversation_id = c.id ORDER BY f.created_at, f.id LIMIT 1)" ;;
    variant) echo "(SELECT f.variant FROM outbound f WHERE f.conversation_id = c.id ORDER BY f.created_at, f.id LIMIT 1)" ;;
    day) echo "c.created_at / 86400000" ;;
    *) echo "c.$1" ;;
    esac
}
reference_sql() {
    echo "SELECT $(reference_key "$1") AS key, count(*), sum(m.created_at) FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE c.created_at >= $start AND c.created_at < $((start + 2592000000)) GROUP BY 1"
}

# serve DATABASE BEFORE_DATABASE: starts handoff on DATABASE (sets HANDOFF_PID) and each previous
# build of HANDOFF_BIN_BEFORE on BEFORE_DATABASE with ".INDEX" appended, or on BEFORE_DATABASE
# itself with BEFORE_SHARED=1 (PostgreSQL) (sets BEFORE_PIDS).
serve() {
    env HANDOFF_DATABASE="$1" HANDOFF_LISTEN=127.0.0.1:$port HANDOFF_PUBLIC_URL=http://127.0.0.1:$port \
        HANDOFF_LOG_LEVEL=error HANDOFF_API_KEYS="$key" "$bin" serve >"$OUT/funnel-serve.log" 2>&1 &
    HANDOFF_PID=$!
    wait_port $port
    BEFORE_PIDS=()
    local i
    for i in "${!before[@]}"; do
        local p=$((before_port + i)) database="$2.$i"
        [ "${BEFORE_SHARED:-0}" = 1 ] && database=$2
        env HANDOFF_DATABASE="$database" HANDOFF_LISTEN=127.0.0.1:$p HANDOFF_PUBLIC_URL=http://127.0.0.1:$p \
            HANDOFF_LOG_LEVEL=error HANDOFF_API_KEYS="$key" "${before[$i]}" serve >"$OUT/funnel-serve-before-$i.log" 2>&1 &
        BEFORE_PIDS+=($!)
        wait_port $p
    done
}
stop_servers() {
    kill $HANDOFF_PID "${BEFORE_PIDS[@]}" 2>/dev/null || true
    wait $HANDOFF_PID "${BEFORE_PIDS[@]}" 2>/dev/null || true
}

# cpu_ms PID: the CPU time process PID has used, in milliseconds.
cpu_ms() {
    awk -v tick="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / tick }' "/proc/$1/stat"
}

# measure BACKEND REFERENCE: hyperfine, the report, the reference (a command with %s for the
# file of SQL) and each previous build's report, for each key; one table row each.
measure() {
    local backend=$1 reference=$2 i
    echo
    local header="| backend | by | report mean (ms) |" rule="|---|---|---:|"
    for i in "${!before[@]}"; do
        header+=" previous build $((i + 1)) mean (ms) | report / previous $((i + 1)) |"
        rule+="---:|---:|"
    done
    header+=" reference mean (ms) | report / reference | server CPU per report (ms) |"
    rule+="---:|---:|---:|"
    for i in "${!before[@]}"; do
        header+=" previous $((i + 1)) CPU per report (ms) | CPU report / previous $((i + 1)) |"
        rule+="---:|---:|"
    done
    echo "$header rows |"
    echo "$rule---:|"
    for by in "${keys[@]}"; do
        local url="http://127.0.0.1:$port/v1/reports/funnel?$range&by=$by"
        local commands=("curl -sf -o /dev/null -H 'Authorization: Bearer $key' '$url'")
        reference_sql "$by" >"$OUT/funnel-reference-$by.sql"
        commands+=("${reference//%s/$OUT/funnel-reference-$by.sql}")
        curl -sf -H "Authorization: Bearer $key" "$url" >"$OUT/funnel-$backend-$by.json"
        for i in "${!before[@]}"; do
            local before_url="http://127.0.0.1:$((before_port + i))/v1/reports/funnel?$range&by=$by"
            curl -sf -H "Authorization: Bearer $key" "$before_url" >"$OUT/funnel-$backend-$by-before-$i.json"
            commands+=("curl -sf -o /dev/null -H 'Authorization: Bearer $key' '$before_url'")
        done
        local pid cpu_before=()
        for pid in $HANDOFF_PID "${BEFORE_PIDS[@]}"; do cpu_before+=("$(cpu_ms "$pid")"); done
        hyperfine -N --warmup 1 --runs "$runs" --export-json "$OUT/funnel-$backend-$by.hyperfine.json" \
            "${commands[@]}" >/dev/null
        local cpu=() j=0
        for pid in $HANDOFF_PID "${BEFORE_PIDS[@]}"; do
            cpu+=("$(python3 -c "print((float('$(cpu_ms "$pid")') - float('${cpu_before[$j]}')) / ($runs + 1))")")
            j=$((j + 1))
        done
        python3 - "$OUT/funnel-$backend-$by.hyperfine.json" "$OUT/funnel-$backend-$by.json" "$backend" "$by" "${cpu[@]}" <<'PY'
import json, sys
cpu = [float(c) for c in sys.argv[5:]]
results = [r["mean"] * 1000 for r in json.load(open(sys.argv[1]))["results"]]
report, reference, previous = results[0], results[1], results[2:]
rows = json.load(open(sys.argv[2]))["rows"]
cells = [f"{report:.0f}"]
differ = []
for i, mean in enumerate(previous):
    cells += [f"{mean:.0f}", f"{report / mean:.2f}"]
    if json.load(open(sys.argv[2].replace(".json", f"-before-{i}.json")))["rows"] != rows:
        differ.append(str(i + 1))
cells += [f"{reference:.0f}", f"{report / reference:.2f}", f"{cpu[0]:.0f}"]
for previous_cpu in cpu[1:]:
    cells += [f"{previous_cpu:.0f}", f"{cpu[0] / previous_cpu:.2f}"]
note = f" (differ from previous {', '.join(differ)})" if differ else ""
print(f"| {sys.argv[3]} | {sys.argv[4]} | {' | '.join(cells)} | {len(rows)}{note} |")
PY
    done
}

for i in "${!before[@]}"; do
    rm -f "$OUT/funnel-before.sqlite.$i-wal" "$OUT/funnel-before.sqlite.$i-shm" # a WAL left by a killed server
    cp "$db" "$OUT/funnel-before.sqlite.$i"
done
serve "$db" "$OUT/funnel-before.sqlite"
trap 'stop_servers' EXIT
measure sqlite "sqlite3 $db '.read %s'"
stop_servers

if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    pgdir=$(mktemp -d)
    eval "$(.ci/postgres.sh start "$pgdir")"
    trap 'stop_servers; .ci/postgres.sh stop "$pgdir" >/dev/null' EXIT
    psql "$HANDOFF_TEST_POSTGRES" -qc "CREATE DATABASE funnel_bench"
    uri=$(HANDOFF_TEST_POSTGRES="$HANDOFF_TEST_POSTGRES" python3 -c '
import os; b = os.environ["HANDOFF_TEST_POSTGRES"]; q = b.find("?"); base, query = (b, "") if q < 0 else (b[:q], b[q:])
print(base[:base.rfind("/")] + "/funnel_bench" + query)')
    HANDOFF_DATABASE="$uri" "$bin" migrate-to-postgres --from "$db" >/dev/null
    psql "$uri" -qc "ANALYZE"
    BEFORE_SHARED=1 serve "$uri" "$uri"
    measure postgresql "psql $uri -qAtf %s"
fi
