#!/usr/bin/env bash
# The load tool (benches/load/): builds the release binary and the load client, then measures
# IdP-initiated Responses/s with a live session, SP-initiated with signed Redirect requests and first
# logins against the WeCom simulator, with p50/p99, start-up time and RSS, on SQLite and (with
# WECOM_IDP_LOAD_POSTGRES_URL or --postgres URL) PostgreSQL, beside `openssl speed -multi 2 rsa2048`
# from the same run. Options after the script name go to the tool (--seconds N, --conns 2,16,
# --soak SECONDS, --postgres URL, --openssl-seconds N); see benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v openssl >/dev/null || { echo "load.sh: needs the openssl command" >&2; exit 2; }
cargo build --release --quiet
cargo bench --quiet --bench load --no-run
exec cargo bench --quiet --bench load -- --binary target/release/wecom-idp "$@"
