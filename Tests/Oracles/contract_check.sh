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
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { "$venv/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve NAME PORT [VAR=VALUE...]: the daemon on a fresh database, its log in $work/NAME.log.
serve() {
    local name=$1 port=$2
    shift 2
    env HANDOFF_DATABASE="$work/$name.sqlite" HANDOFF_LISTEN="127.0.0.1:$port" \
        HANDOFF_PUBLIC_URL="http://127.0.0.1:$port" HANDOFF_COOKIE_SECURE=false HANDOFF_LOG_LEVEL=warning "$@" \
        "$binary" serve 2>"$work/$name.log" &
    servers+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
    echo "the $name server did not start"; cat "$work/$name.log"; exit 1
}

# check NAME PORT [SCHEMATHESIS OPTIONS...]: the contract run; the server's log on failure.
check() {
    local name=$1 port=$2
    shift 2
    (cd "$work" && "$venv/schemathesis" run "$OLDPWD/openapi.yaml" --url "http://127.0.0.1:$port" \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
        --max-examples "$examples" --seed 20261123 "$@") || {
        echo "--- $name server log"; cat "$work/$name.log"; exit 1
    }
}

# Everything, on the default set-up (the built-in gateway simulator). /v1/events and
# /v1/agent/events are endless streams: their framing and replay are covered by the Swift live tests.
port="$(free_port)"
key="contract-check-key-$RANDOM$RANDOM"
serve main "$port" HANDOFF_API_KEYS="$key" HANDOFF_ADMIN_API_KEYS="$key"
cookie="$(curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$port/v1/sessions" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')"
check main "$port" --exclude-path /v1/events --exclude-path /v1/agent/events \
    -H "Authorization: Bearer $key" -H "Cookie: $cookie"

# The Twilio webhooks again, against a server set up for Twilio, each generated form signed with
# Twilio's own validator (twilio_signing_hooks.py), so the handlers behind the signature check see
# them. Outbound texts go to a closed port and are retried; nothing leaves the machine.
port="$(free_port)"
token="contract-twilio-token-$RANDOM$RANDOM"
serve twilio "$port" HANDOFF_GATEWAY=twilio HANDOFF_TWILIO_ACCOUNT_SID="AC$(printf '0%.0s' {1..32})" \
    HANDOFF_TWILIO_AUTH_TOKEN="$token" HANDOFF_TWILIO_FROM=+15005550006 HANDOFF_TWILIO_API_BASE=http://127.0.0.1:9
HANDOFF_CONTRACT_TWILIO_TOKEN="$token" HANDOFF_CONTRACT_PUBLIC_URL="http://127.0.0.1:$port" \
    PYTHONPATH="$PWD/Tests/Oracles" SCHEMATHESIS_HOOKS=twilio_signing_hooks \
    check twilio "$port" --include-path-regex '^/v1/webhooks/twilio/'
