#!/usr/bin/env bash
# The test command. Installs what the tests need (the xmlsec1 command line, which checks every
# Response independently; Chromium and chromedriver for the admin console's real-browser test, with
# the Noto CJK fonts so its screenshots of the Chinese console show characters, not boxes; OpenSSL
# headers and pkg-config for the build), skipping apt when all is
# there, then runs `cargo test`: on SQLite always, and on PostgreSQL too when
# WECOM_IDP_TEST_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test).
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test it interop`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-need.sh
apt_need xmlsec1 pkg-config libssl-dev chromium chromium-driver fonts-noto-cjk
# The real-browser test of the admin console (tests/it/browser.rs) must run, not skip.
export WECOM_IDP_TEST_BROWSER=1
# The database-outage test (tests/it/db_outage.rs) starts and stops a PostgreSQL of its own on another
# port: its server binaries must be installed, and their absence is a failure here, not a skip.
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || apt_need postgresql
export WECOM_IDP_TEST_REQUIRE_POSTGRES_BIN=1
# The SCIM provisioning tests (tests/it/scim.rs) provision into a real SCIM 2.0 server:
# `scim2-server` from PyPI (the python-scim project's), pinned, in a virtualenv of its own.
SCIM_VENV=target/scim-venv
if ! "$SCIM_VENV/bin/scim2-server" --help >/dev/null 2>&1; then
    apt_need python3 python3-venv
    python3 -m venv "$SCIM_VENV"
    "$SCIM_VENV/bin/python" -m pip install -q scim2-server==0.8.3 scim2-models==0.12.3
fi
export PATH="$PWD/$SCIM_VENV/bin:$PATH"
if [ -n "${WECOM_IDP_TEST_POSTGRES_URL:-}" ]; then
    echo "tests: SQLite and PostgreSQL (${WECOM_IDP_TEST_POSTGRES_URL})"
else
    echo "tests: SQLite only (set WECOM_IDP_TEST_POSTGRES_URL to run them on PostgreSQL too)"
fi
exec cargo test "$@"
