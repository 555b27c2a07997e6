#!/usr/bin/env bash
# Real SPs under an Apache started with its own configuration on a loopback port, against
# `wecom-idp demo`: mod_auth_mellon (mellon.sh), then Shibboleth SP (shib.sh, where present).
# Builds wecom-idp once (debug) for all of them; INTEROP_IDP_BIN=path uses a given binary. Each SP
# prints its own `<sp>: N passed, M failed, K skipped`; exits non-zero when any SP failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${INTEROP_IDP_BIN:-}" ]; then
    echo "==> cargo build --bin wecom-idp"
    cargo build -q --bin wecom-idp
    INTEROP_IDP_BIN=$(cargo metadata -q --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/wecom-idp
fi
export INTEROP_IDP_BIN
status=0
for sp in mellon shib; do
    [ -f "interop/apache/$sp.sh" ] || continue
    echo "==> $sp (interop/apache/$sp.sh)"
    WORK=target/interop-apache-$sp bash "interop/apache/$sp.sh" || status=1
done
exit "$status"
