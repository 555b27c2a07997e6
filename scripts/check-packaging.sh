#!/usr/bin/env bash
# Checks what the packaging (packaging/) can be checked for on this machine, as CI does:
# 1. `systemd-analyze verify` on the systemd unit, in a temporary root that holds the unit, the
#    system's own units (sysinit.target, …) and a stub at the unit's ExecStart path (verify insists
#    the binary exists; systemd need not be running). Any warning counts as a failure.
# 2. `wecom-idp serve --check` on packaging/wecom-idp.toml with its credentials in a temporary
#    ${CREDENTIALS_DIRECTORY} and the WeCom simulator, plus every packaged config loading
#    (the `deploy::` integration tests; on PostgreSQL too when WECOM_IDP_TEST_POSTGRES_URL is set).
# The container recipe cannot be built here (no container engine); nginx is not installed by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-need.sh
source scripts/apt-need.sh

UNIT=packaging/systemd/wecom-idp.service

if ! command -v systemd-analyze >/dev/null; then
    # systemd-analyze comes with the systemd package. Install it only when that removes nothing
    # (on a machine with another init, apt would replace it: leave such a machine alone).
    if apt-get install --dry-run -q systemd 2>/dev/null | grep -q '^Remv'; then
        echo "warning: SKIPPED systemd-analyze verify: installing systemd would remove packages here" >&2
    else
        apt_need systemd
    fi
fi

if command -v systemd-analyze >/dev/null; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNIT" | head -n1)
    [ -n "$exec_path" ] || { echo "error: $UNIT has no ExecStart=" >&2; exit 1; }
    mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root$(dirname "$exec_path")"
    cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
    cp "$UNIT" "$root/etc/systemd/system/"
    printf '#!/bin/sh\nexit 0\n' >"$root$exec_path"
    chmod 0755 "$root$exec_path"
    out=$(systemd-analyze verify --man=no --root="$root" "/etc/systemd/system/$(basename "$UNIT")" 2>&1) || {
        echo "$out" >&2
        echo "error: systemd-analyze verify failed on $UNIT" >&2
        exit 1
    }
    if [ -n "$out" ]; then
        echo "$out" >&2
        echo "error: systemd-analyze verify warned about $UNIT" >&2
        exit 1
    fi
    echo "ok: systemd-analyze verify $UNIT ($(systemd-analyze --version | head -n1))"
fi

cargo test --test it deploy:: -- --test-threads=2
