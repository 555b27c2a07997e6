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
if [ -n "${WECOM_IDP_TEST_POSTGRES_URL:-}" ]; then
    echo "tests: SQLite and PostgreSQL (${WECOM_IDP_TEST_POSTGRES_URL})"
else
    echo "tests: SQLite only (set WECOM_IDP_TEST_POSTGRES_URL to run them on PostgreSQL too)"
fi
exec cargo test "$@"
