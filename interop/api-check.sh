#!/usr/bin/env bash
# The admin API against its own OpenAPI document: runs `wecom-idp serve` (release build) on
# a free loopback port and its own database, makes an API token with `wecom-idp admin token create`,
# and runs schemathesis (in a venv made here from interop/api-requirements.txt) over every operation
# of /api/v1/openapi.json: no server errors, status codes, content types and bodies as documented,
# bad input refused, authentication required. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-need.sh
apt_need python3 python3-venv

VENV=${API_CHECK_VENV:-target/api-check-venv}
if ! cmp -s interop/api-requirements.txt "$VENV/requirements.txt"; then
    echo "==> making $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r interop/api-requirements.txt
    cp interop/api-requirements.txt "$VENV/requirements.txt"
fi

cargo build --release -q
BIN=target/release/wecom-idp
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# A production-mode server (`serve`) on its own database. WeCom is never called by the operations
# under test except the connection check, which then reports the unreachable address as it should.
# The admin rate limit is off here: it is tested in tests/it; schemathesis tests the API's contract.
head -c 32 /dev/urandom | base64 >"$DATA/master.key"
export WECOM_IDP_PUBLIC_URL=$BASE WECOM_IDP_LISTEN=127.0.0.1:$PORT \
    WECOM_IDP_DATABASE_URL="sqlite://$DATA/wecom-idp.sqlite" WECOM_IDP_MASTER_KEY_FILE="$DATA/master.key" \
    WECOM_IDP_WECOM__CORP_ID=wwapicheck0000001 WECOM_IDP_WECOM__AGENT_ID=1000002 \
    WECOM_IDP_WECOM__SECRET=api-check-secret WECOM_IDP_WECOM__API_BASE=http://127.0.0.1:9 \
    WECOM_IDP_WECOM__OAUTH_BASE=http://127.0.0.1:9 WECOM_IDP_WECOM__WEB_LOGIN_BASE=http://127.0.0.1:9 \
    WECOM_IDP_ADMIN__REQUESTS_PER_MINUTE=0
"$BIN" serve >"$DATA/serve.log" 2>&1 &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$DATA/serve.log"; exit 1; }

TOKEN=$("$BIN" admin token create --name schemathesis 2>/dev/null)

# Every check runs except `positive_data_acceptance` (ST202), which assumes that anything the schema
# allows must be accepted: our API validates meaning beyond the schema (a metadata document must be a
# valid SP's, a key must be in the right state, a preset parameter must fit its console), and answers
# 400/409 with the field at fault. The seed is fixed so CI is repeatable; set API_CHECK_SEED to explore
# other inputs (and API_CHECK_EXAMPLES for more of them). The WeCom address-book reads
# (`/wecom/directory/…`) are left out: this server's WeCom is unreachable on purpose, so they can only
# answer 502 `wecom_unreadable` (as documented); tests/it/admin_rules_wecom.rs drives them against the
# simulator.
"$VENV/bin/st" run "$BASE/api/v1/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --exclude-path-regex '/wecom/directory/' \
    --checks all \
    --exclude-checks "${API_CHECK_EXCLUDE:-positive_data_acceptance}" \
    --max-examples "${API_CHECK_EXAMPLES:-25}" \
    --workers 1 \
    --seed "${API_CHECK_SEED:-20261125}" \
    --request-timeout 20 \
    --suppress-health-check all
