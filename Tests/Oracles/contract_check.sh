#!/usr/bin/env bash
# The contract against the live server: schemathesis generates requests from openapi.yaml and
# checks every response (no 5xx, documented status, content type and schema). Loopback only.
#   Tests/Oracles/contract_check.sh PYTHON_VENV_BIN HANDOFF_BINARY [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$1"
binary="$2"
examples="${3:-25}"
work="$(mktemp -d)"
port="$("$venv/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
key="contract-check-key-$RANDOM$RANDOM"
HANDOFF_DATABASE="$work/handoff.sqlite" HANDOFF_LISTEN="127.0.0.1:$port" HANDOFF_API_KEYS="$key" HANDOFF_ADMIN_API_KEYS="$key" \
    HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=warning "$binary" serve 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
cookie="$(curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$port/v1/sessions" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')"
# /v1/events and /v1/agent/events are endless streams: their framing and replay are covered by the
# Swift live tests.
(cd "$work" && "$venv/schemathesis" run "$OLDPWD/openapi.yaml" --url "http://127.0.0.1:$port" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "$examples" --seed 20261123 --exclude-path /v1/events --exclude-path /v1/agent/events \
    -H "Authorization: Bearer $key" -H "Cookie: $cookie") || {
    echo "--- server log"; cat "$work/server.log"; exit 1
}
