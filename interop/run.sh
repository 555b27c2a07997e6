#!/usr/bin/env bash
# Interoperability checks: our Responses verified by code that is not ours.
#  1. the Rust test `interop` runs real IdP- and SP-initiated flows (one member with a name full of
#     markup, quotes, `]]>`, `<!--`, Chinese and emoji) and one login per cloud preset variant
#     (`preset-*`, expected values from tests/golden/presets/), and writes the Responses, our
#     metadata and certificate and the expected values to $OUT (the Rust test itself checks every
#     Response with xmlsec1, presets included), and one login per block cipher to an app with
#     encrypt_assertion=true (`encrypted-*`, with the SP's encryption key sp-enc-key.pem);
#  2. the `xmlsec1` command line verifies the Response and Assertion signature of each flow's
#     Response (`*-initiated*`), and must refuse each with its NameID altered;
#  3. interop/samael (samael, the Rust SAML crate, with its `xmlsec` feature; its own crate built
#     here into target/interop-samael, never part of the product's build) parses our metadata and
#     checks each Response as a samael SP configured with our metadata, the case's entity ID, ACS
#     and request ID; it runs right after the test, as samael judges IssueInstant by its own clock;
#  4. interop/verify.py checks each with python3-saml (strict; a preset case is configured as that
#     console: entity ID, ACS, NameID format, signing; an encrypted case decrypts with the SP's
#     key) and pysaml2, in a venv made here
#     (target/interop-venv, from interop/requirements.txt; remade when that file changes).
#  5. OpenID Connect keys: the test `oidc_keys::interop_jwks_tokens` (run by step 1's filter) writes
#     our JWK Set and tokens signed across a key rollover (RS256, ES256, one tampered, one of a
#     retired key) to $OUT/oidc; npm's `jose` (panva's, behind openid-client; interop/oidc/verify.mjs,
#     pinned in interop/oidc/package-lock.json) and Python's authlib (interop/oidc/verify_authlib.py,
#     in the venv) must verify exactly the valid ones.
#  6. wechatpy (PyPI, its WeCom crypto) encrypts an event our running server accepts and decrypts
#     the event our simulator sends (tests/it/wecom_events_interop.rs with interop/wechatpy_check.py).
#  7. OpenID Connect flows by relying-party libraries: the Rust test `oidc_interop` starts the server
#     and the WeCom simulator, registers confidential, public and ES256 clients, and runs npm's
#     `openid-client` (panva's, OpenID certified; interop/oidc/rp.mjs, pinned in
#     interop/oidc/package-lock.json) and Python's authlib (OAuth2Session, CodeIDToken over joserfc;
#     interop/oidc/rp_authlib.py, in the venv) through the code flow with PKCE for
#     client_secret_basic, client_secret_post, the public client and the ES256 client: discovery,
#     the login followed by hand through the simulator, the ID token validated by the library,
#     userinfo, refresh with rotation (the old refresh token refused), prompt=none with and without
#     a session, and end session (/oidc/logout with id_token_hint, post_logout_redirect_uri, state).
# Each peer prints `<peer>: N passed, M failed`; the script exits non-zero on any failure.
# The real SPs under Apache (mod_auth_mellon) are interop/apache/mellon.sh, a step of their own in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt-need.sh
# xmlsec1 for the checks; python3-venv for the venv; the -dev packages only matter if the xmlsec
# wheel does not fit and pip builds it (and lxml) from source.
apt_need xmlsec1 libxmlsec1-dev libxml2-dev pkg-config libssl-dev python3 python3-venv python3-dev
# samael's `xmlsec` feature: bindgen (libclang) over libxml2 and libxmlsec1 (the -dev packages above).
apt_need libclang-dev
# interop/oidc/verify.mjs and rp.mjs: Node.js and npm (a NodeSource nodejs brings its own npm).
apt_need nodejs
command -v npm >/dev/null || apt_need npm

VENV=${INTEROP_VENV:-target/interop-venv}
OUT=${INTEROP_OUT:-target/interop-out}
PY=$VENV/bin/python

PY_LIBS='import xmlsec, lxml, onelogin.saml2.response, saml2.client, authlib.jose, authlib.integrations.requests_client, joserfc, wechatpy.crypto'
libs_ok() { "$PY" -c "$PY_LIBS" 2>/dev/null; }

if ! cmp -s interop/requirements.txt "$VENV/requirements.txt" || ! libs_ok; then
    echo "==> making $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$PY" -m pip install -q -r interop/requirements.txt
    if ! libs_ok; then
        echo "xmlsec/lxml wheels do not load together here; building both against the system libxml2"
        "$PY" -m pip install -q --force-reinstall --no-binary lxml,xmlsec \
            "$(grep -i '^lxml==' interop/requirements.txt)" "$(grep -i '^xmlsec==' interop/requirements.txt)"
    fi
    libs_ok || { "$PY" -c "$PY_LIBS"; exit 1; }
    cp interop/requirements.txt "$VENV/requirements.txt"
fi
"$PY" -m pip freeze | grep -iE '^(python3-saml|pysaml2|xmlsec|lxml|authlib|joserfc|wechatpy)==' | tr '\n' ' '; echo

echo "==> building the samael SP (interop/samael)"
SAMAEL_TARGET=target/interop-samael
CARGO_TARGET_DIR=$SAMAEL_TARGET cargo build -q --release --locked --manifest-path interop/samael/Cargo.toml

echo "==> Responses from real flows (cargo test --test it interop)"
rm -rf "$OUT"
mkdir -p "$OUT"
WECOM_IDP_INTEROP_DIR=$(cd "$OUT" && pwd) cargo test --test it interop -- --nocapture
[ -s "$OUT/cases.json" ] || { echo "error: the interop test wrote no cases.json to $OUT" >&2; exit 1; }

echo "==> samael $(sed -n 's/^samael = { version = "=\([^"]*\)".*/\1/p' interop/samael/Cargo.toml) (interop/samael)"
samael_status=0
"$SAMAEL_TARGET/release/wecom-idp-interop-samael" "$OUT" || samael_status=$?

echo "==> xmlsec1 $(xmlsec1 --version | head -1)"
verify() { # file xpath
    xmlsec1 --verify --pubkey-cert-pem "$OUT/idp-cert.pem" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
        --node-xpath "$2" "$1" >/dev/null 2>&1
}
RESPONSE_SIG="/*[local-name()='Response']/*[local-name()='Signature']"
ASSERTION_SIG="/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
passed=0 failed=0
shopt -s nullglob
files=("$OUT"/*-initiated*.xml)
((${#files[@]})) || { echo "error: no Responses in $OUT" >&2; exit 1; }
for f in "${files[@]}"; do
    n=$(basename "$f" .xml)
    for which in Response Assertion; do
        xpath=$RESPONSE_SIG
        [ "$which" = Assertion ] && xpath=$ASSERTION_SIG
        if verify "$f" "$xpath"; then
            passed=$((passed + 1)); echo "ok   xmlsec1      $n: $which signature verifies"
        else
            failed=$((failed + 1)); echo "FAIL xmlsec1      $n: $which signature does not verify"
        fi
        # Altered after signing (a character added to the NameID): must not verify.
        sed -E 's#(<([A-Za-z0-9]+:)?NameID[^>]*>)([^<]*)<#\1\3-evil<#' "$f" > "$OUT/$n.tampered"
        if cmp -s "$f" "$OUT/$n.tampered"; then
            failed=$((failed + 1)); echo "FAIL xmlsec1      $n: no NameID found to alter"
        elif verify "$OUT/$n.tampered" "$xpath"; then
            failed=$((failed + 1)); echo "FAIL xmlsec1      $n-tampered: $which signature still verifies"
        else
            passed=$((passed + 1)); echo "ok   xmlsec1      $n-tampered: $which signature refused"
        fi
    done
done
echo "xmlsec1: $passed passed, $failed failed"

echo "==> python3-saml and pysaml2 (interop/verify.py)"
status=0
"$PY" interop/verify.py "$OUT" --xmlsec1 "$(command -v xmlsec1)" || status=$?

echo "==> OIDC keys: jose (npm) and authlib on our JWK Set and tokens (interop/oidc)"
[ -s "$OUT/oidc/tokens.json" ] || { echo "error: the interop test wrote no oidc/tokens.json to $OUT" >&2; exit 1; }
(cd interop/oidc && npm ci --no-audit --no-fund --silent)
oidc_status=0
node interop/oidc/verify.mjs "$OUT/oidc" || oidc_status=$?
"$PY" interop/oidc/verify_authlib.py "$OUT/oidc" || oidc_status=$?

echo "==> wechatpy: the WeCom event crypto both ways (interop/wechatpy_check.py)"
wechatpy_status=0
WECOM_IDP_WECHATPY_PYTHON=$PY cargo test --test it wecom_events_interop || wechatpy_status=$?

echo "==> OIDC flows: openid-client (npm) and authlib as relying parties (interop/oidc/rp.mjs, rp_authlib.py)"
rp_status=0
WECOM_IDP_OIDC_RP_NODE=$(command -v node) WECOM_IDP_OIDC_RP_PYTHON=$PY \
    cargo test --test it oidc_interop -- --nocapture || rp_status=$?
[ "$failed" = 0 ] && [ "$status" = 0 ] && [ "$samael_status" = 0 ] && [ "$oidc_status" = 0 ] && [ "$wechatpy_status" = 0 ] \
    && [ "$rp_status" = 0 ]
