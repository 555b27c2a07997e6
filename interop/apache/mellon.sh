#!/usr/bin/env bash
# A real SP under Apache: mod_auth_mellon (Debian libapache2-mod-auth-mellon) in an Apache started
# here with its own configuration (own ServerRoot, PidFile and port on 127.0.0.1; the machine's
# apache2 service is never touched), against `wecom-idp demo` (the IdP with its WeCom simulator).
#
#  1. builds wecom-idp (debug; INTEROP_IDP_BIN=path uses a given binary), starts `wecom-idp demo` on a
#     free loopback port with its data in $WORK, fetches our IdP metadata;
#  2. makes the SP's key, certificate and metadata with `mellon_create_metadata` and registers the
#     app `mellon` from that metadata with `wecom-idp app add` (the demo's database), releasing
#     `userid` and `name`;
#  3. starts Apache with Mellon protecting /protected/ (a CGI printing the MELLON_ variables);
#  4. drives, with curl and a cookie jar, an SP-initiated login (protected URL → Mellon's signed
#     AuthnRequest → /saml/sso → the simulator's authorize inside the "WeCom client" → our callback →
#     the auto-POST form → Mellon's ACS → the protected page) and an IdP-initiated one (mount
#     address → Mellon's ACS, unsolicited), asserting the member and the Chinese name 张三 arrive
#     intact; and posts a Response with its NameID altered after signing, which Mellon must refuse;
#  5. encrypted assertions and Single Logout: `encrypted_login` and `single_logout` run when the
#     IdP has them and print "skipped: … not on main yet" while it does not.
# Prints one line per check and `mellon: N passed, M failed, K skipped`; exits non-zero on a failure.
# WORK=dir keeps the files there (default target/interop-apache-mellon); KEEP=1 leaves the servers running.
# interop/apache/run.sh runs every SP of this folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/apt-need.sh
apt_need apache2 libapache2-mod-auth-mellon curl openssl python3 ca-certificates

WORK=${WORK:-target/interop-apache-mellon}
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
UA="Mozilla/5.0 (Linux) wxwork/4.1.0 MicroMessenger/7.0.1" # inside the WeCom client
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   mellon       $*"; }
fail() { failed=$((failed + 1)); echo "FAIL mellon       $*"; }
skip() { skipped=$((skipped + 1)); echo "skip mellon       $*"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

IDP_PID="" APACHE_CONF=""
cleanup() {
    [ "${KEEP:-}" = 1 ] && { echo "left running: demo pid $IDP_PID, apache -f $APACHE_CONF"; return; }
    [ -n "$APACHE_CONF" ] && apache2 -f "$APACHE_CONF" -k stop 2>/dev/null || true
    [ -n "$IDP_PID" ] && kill "$IDP_PID" 2>/dev/null || true
}
trap cleanup EXIT
show_logs() {
    echo "---- demo log (tail)"; tail -n 30 "$WORK/demo.log" || true
    echo "---- apache error log (tail)"; tail -n 30 "$WORK/apache/error.log" || true
}

# ---- 1. the IdP: `wecom-idp demo` with its WeCom simulator
if [ -z "${INTEROP_IDP_BIN:-}" ]; then
    echo "==> cargo build --bin wecom-idp"
    cargo build -q --bin wecom-idp
    INTEROP_IDP_BIN=$(cargo metadata -q --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/wecom-idp
fi
IDP_PORT=$(free_port)
IDP=http://127.0.0.1:$IDP_PORT
"$INTEROP_IDP_BIN" demo --listen "127.0.0.1:$IDP_PORT" --data "$WORK/idp-data" >"$WORK/demo.log" 2>&1 &
IDP_PID=$!
for _ in $(seq 100); do
    curl -fsS -o "$WORK/idp-metadata.xml" "$IDP/saml/metadata" 2>/dev/null && break
    kill -0 "$IDP_PID" 2>/dev/null || { show_logs; echo "error: wecom-idp demo exited" >&2; exit 1; }
    sleep 0.2
done
[ -s "$WORK/idp-metadata.xml" ] || { show_logs; echo "error: no IdP metadata from $IDP" >&2; exit 1; }
SIM=$(grep -o 'WeCom simulator  http://[0-9.:]*' "$WORK/demo.log" | awk '{print $3}')
[ -n "$SIM" ] || { show_logs; echo "error: the demo did not say where its WeCom simulator is" >&2; exit 1; }
echo "IdP $IDP, WeCom simulator $SIM"

# The CLI on the demo's database (its master key seals the signing key there).
idp_cli() {
    WECOM_IDP_PUBLIC_URL=$IDP WECOM_IDP_LISTEN=127.0.0.1:$IDP_PORT \
        WECOM_IDP_DATABASE_URL="sqlite://$WORK/idp-data/wecom-idp.sqlite" \
        WECOM_IDP_MASTER_KEY_FILE="$WORK/idp-data/master.key" "$INTEROP_IDP_BIN" "$@"
}

# ---- 2. the SP's key and metadata, and its app at the IdP
SP_PORT=$(free_port)
SP=http://127.0.0.1:$SP_PORT
SP_ENTITY=$SP/mellon/metadata
mkdir -p "$WORK/mellon"
(cd "$WORK/mellon" && mellon_create_metadata "$SP_ENTITY" "$SP/mellon" >/dev/null &&
    mv ./*.key sp.key && mv ./*.cert sp.cert && mv ./*.xml sp-metadata.xml)
idp_cli app add mellon --metadata "$WORK/mellon/sp-metadata.xml" --set attributes=userid,name \
    >"$WORK/app-add.log" 2>&1 || { cat "$WORK/app-add.log"; exit 1; }

# ---- 3. Apache with Mellon on its own port
AP=$WORK/apache
mkdir -p "$AP/run" "$AP/htdocs/protected" "$AP/cgi"
cat >"$AP/cgi/env.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\n\n'
env | grep '^MELLON_' | sort
EOF
chmod 755 "$AP/cgi/env.cgi"
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
    # Apache drops root for its workers; they read the CGI and Mellon's files.
    RUN_AS="User www-data
Group www-data"
    chown -R www-data:www-data "$AP" "$WORK/mellon"
fi
APACHE_CONF=$AP/httpd.conf
cat >"$APACHE_CONF" <<EOF
ServerRoot "$AP"
ServerName 127.0.0.1
Listen 127.0.0.1:$SP_PORT
PidFile "$AP/run/httpd.pid"
DefaultRuntimeDir "$AP/run"
ErrorLog "$AP/error.log"
LogLevel warn auth_mellon:info
$RUN_AS
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule cgi_module /usr/lib/apache2/modules/mod_cgi.so
LoadModule auth_mellon_module /usr/lib/apache2/modules/mod_auth_mellon.so
StartServers 2
DocumentRoot "$AP/htdocs"
ScriptAlias /protected/ "$AP/cgi/env.cgi/"
ScriptAlias /public/ "$AP/cgi/env.cgi/"
<Location />
    MellonEnable info
    MellonEndpointPath /mellon
    MellonSPentityId "$SP_ENTITY"
    MellonSPPrivateKeyFile "$WORK/mellon/sp.key"
    MellonSPCertFile "$WORK/mellon/sp.cert"
    MellonSPMetadataFile "$WORK/mellon/sp-metadata.xml"
    MellonIdPMetadataFile "$WORK/idp-metadata.xml"
    MellonDefaultLoginPath /protected/
    MellonSecureCookie Off
    Require all granted
</Location>
<Location /protected/>
    AuthType Mellon
    MellonEnable auth
    Require valid-user
</Location>
EOF
apache2 -f "$APACHE_CONF" -t 2>&1 | grep -v 'Syntax OK' || true
apache2 -f "$APACHE_CONF" -k start
for _ in $(seq 50); do
    curl -fsS -o /dev/null "$SP/mellon/metadata" 2>/dev/null && break
    sleep 0.2
done
echo "Apache $(apache2 -v | sed -n 's/^Server version: //p') with mod_auth_mellon $(dpkg-query -W -f='${Version}' libapache2-mod-auth-mellon) on $SP"

# ---- the browser: curl with a cookie jar
JAR=""
browser() { JAR=$WORK/jar-$1; rm -f "$JAR"; }
# get URL → the last page's body in $WORK/page, its URL in $WORK/page.url, its status echoed.
get() {
    curl -sS -L -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code} %{url_effective}' "$1" >"$WORK/page.meta"
    cut -d' ' -f2- "$WORK/page.meta" >"$WORK/page.url"
    cut -d' ' -f1 "$WORK/page.meta"
}
# The auto-POST form on $WORK/page: action, then each field as NAME=VALUE (one a line, unescaped).
form_fields() {
    python3 - "$WORK/page" <<'EOF'
import html.parser, sys
class F(html.parser.HTMLParser):
    action, fields = None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and a.get("name") and self.action is not None:
            self.fields.append((a["name"], a.get("value") or ""))
f = F()
f.feed(open(sys.argv[1], encoding="utf-8").read())
if not f.action:
    sys.exit("no form on the page")
print(f.action)
for n, v in f.fields:
    print(f"{n}={v}")
EOF
}
# Submits the page's form as the browser's script would; the result is the new $WORK/page.
submit_form() {
    local fields action args=()
    fields=$(form_fields) || return 1
    action=$(head -1 <<<"$fields")
    while IFS= read -r kv; do args+=(--data-urlencode "$kv"); done < <(tail -n +2 <<<"$fields")
    curl -sS -L -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code} %{url_effective}' \
        "${args[@]}" "$action" >"$WORK/page.meta"
    cut -d' ' -f2- "$WORK/page.meta" >"$WORK/page.url"
    cut -d' ' -f1 "$WORK/page.meta"
}
# The SAMLResponse of the form on $WORK/page, decoded.
posted_response() { form_fields | sed -n 's/^SAMLResponse=//p' | base64 -d; }
# Logs in to the "WeCom client" as a member of the simulator.
wecom_client_as() { get "$SIM/sim/as?userid=$1&next=%2Fsim" >/dev/null; }
# Mellon has no session in this jar: the protected page sends the browser to our /saml/sso (the
# URL with Mellon's AuthnRequest is left in $SSO_URL).
SSO_URL=""
closed_to_idp() {
    local url=$SP/protected/ where i
    for i in 1 2 3; do # Mellon's own redirects (its /mellon/login) first
        where=$(curl -sS -A "$UA" -b "$JAR" -c "$JAR" -o /dev/null -w '%{http_code} %{redirect_url}' "$url")
        case "$where" in
        30[1237]" $SP/"*) url=${where#* } ;;
        30[1237]" $IDP/saml/sso?"*)
            SSO_URL=${where#* }
            return 0
            ;;
        *) break ;;
        esac
    done
    echo "    the protected page answered: $(echo "$where" | cut -c1-100)"
    return 1
}
# The protected page must show the member and the name exactly.
expect_attributes() { # what userid name
    local body
    body=$(cat "$WORK/page")
    if grep -qxF "MELLON_NAME_ID=$2" <<<"$body" && grep -qxF "MELLON_userid=$2" <<<"$body" &&
        grep -qxF "MELLON_name=$3" <<<"$body"; then
        ok "$1: protected page has NAME_ID=$2, userid=$2, name=$3"
    else
        fail "$1: protected page ($(cat "$WORK/page.url")) lacks NAME_ID/userid $2 or name $3:"
        sed 's/^/    /' "$WORK/page" | head -20
    fi
}

sp_initiated_login() {
    browser sp
    wecom_client_as zhangsan
    local status
    if ! closed_to_idp; then
        fail "SP-initiated: the protected page does not send the browser to our /saml/sso"
        return
    fi
    case "$SSO_URL" in
    *"SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"*"&Signature="*)
        ok "SP-initiated: Mellon sends an AuthnRequest signed with rsa-sha256 (HTTP-Redirect)" ;;
    *) fail "SP-initiated: Mellon's AuthnRequest is not signed with rsa-sha256: ${SSO_URL:0:200}" ;;
    esac
    status=$(get "$SSO_URL")
    if ! grep -q 'name="SAMLResponse"' "$WORK/page"; then
        fail "SP-initiated: no auto-POST form from our /saml/sso (HTTP $status at $(cat "$WORK/page.url"))"
        return
    fi
    posted_response >"$WORK/sp-initiated.xml"
    grep -q 'InResponseTo="' "$WORK/sp-initiated.xml" && ok "SP-initiated: Response answers Mellon's AuthnRequest" ||
        fail "SP-initiated: the Response has no InResponseTo"
    status=$(submit_form)
    [ "$status" = 200 ] || fail "SP-initiated: Mellon's ACS led to HTTP $status at $(cat "$WORK/page.url")"
    expect_attributes "SP-initiated" zhangsan "张三"
}

idp_initiated_login() {
    browser idp
    wecom_client_as zhangsan
    get "$IDP/apps/mellon/start" >/dev/null
    if ! grep -q 'name="SAMLResponse"' "$WORK/page"; then
        fail "IdP-initiated: no auto-POST form from the mount address"
        return
    fi
    posted_response >"$WORK/idp-initiated.xml"
    local status
    status=$(submit_form)
    [ "$status" = 200 ] || fail "IdP-initiated: Mellon's ACS led to HTTP $status at $(cat "$WORK/page.url")"
    expect_attributes "IdP-initiated (unsolicited)" zhangsan "张三"
}

# A Response whose NameID was altered after signing: Mellon must refuse it and keep the page closed.
tampered_refused() {
    browser tampered
    local xml b64 status
    xml=$(sed -E 's#(<([A-Za-z0-9]+:)?NameID[^>]*>)([^<]*)<#\1\3-evil<#' "$WORK/idp-initiated.xml")
    if [ "$xml" = "$(cat "$WORK/idp-initiated.xml")" ]; then
        fail "tampered: no NameID to alter"
        return
    fi
    b64=$(printf '%s' "$xml" | base64 -w0)
    status=$(curl -sS -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code}' \
        --data-urlencode "SAMLResponse=$b64" "$SP/mellon/postResponse")
    if [ "$status" -ge 400 ] && closed_to_idp; then
        ok "tampered: Mellon refused a Response altered after signing (HTTP $status; the protected page still sends to our /saml/sso)"
    else
        fail "tampered: Mellon answered HTTP $status to a Response altered after signing, or let the browser in"
    fi
}

# Encrypted assertions: the app set to encrypt to Mellon's encryption certificate; Mellon decrypts.
encrypted_login() {
    if ! idp_cli app set --help 2>/dev/null | grep -q 'encrypt_assertion'; then
        skip "encrypted assertion: skipped: encrypted assertions (encrypt_assertion) not on main yet"
        return
    fi
    idp_cli app set mellon --set encrypt_assertion=true >"$WORK/app-set.log" 2>&1 ||
        { fail "encrypted assertion: app set refused: $(cat "$WORK/app-set.log")"; return; }
    browser enc
    wecom_client_as zhangsan
    get "$SP/protected/" >/dev/null
    if ! grep -q 'name="SAMLResponse"' "$WORK/page"; then
        fail "encrypted assertion: no auto-POST form"
    else
        posted_response >"$WORK/encrypted.xml"
        if grep -q 'EncryptedAssertion' "$WORK/encrypted.xml" && ! grep -qE '<([A-Za-z0-9]+:)?Assertion[ >]' "$WORK/encrypted.xml"; then
            ok "encrypted assertion: the Response carries only an EncryptedAssertion"
        else
            fail "encrypted assertion: the Response is not encrypted"
        fi
        submit_form >/dev/null
        expect_attributes "encrypted assertion (Mellon decrypts)" zhangsan "张三"
    fi
    idp_cli app set mellon --set encrypt_assertion=false >/dev/null 2>&1 || true
}

# Single Logout: Mellon's /mellon/logout sends a LogoutRequest to our /saml/slo, the IdP session
# ends and Mellon gets a LogoutResponse; afterwards both the SP and the IdP ask for a login again.
single_logout() {
    if ! grep -q 'SingleLogoutService' "$WORK/idp-metadata.xml"; then
        skip "Single Logout: skipped: Single Logout not on main yet (no SingleLogoutService in our metadata)"
        return
    fi
    sp_initiated_login # signs in again (the SP-initiated check's jar)
    local status i
    status=$(get "$SP/mellon/logout?ReturnTo=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$SP/public/")")
    # The chain may pass through auto-submitted forms (HTTP-POST binding) before it ends.
    for i in 1 2 3 4 5; do
        grep -qE 'name="SAML(Request|Response)"' "$WORK/page" || break
        status=$(submit_form)
    done
    case "$(cat "$WORK/page.url")" in
    "$SP/public/"*) ok "Single Logout: Mellon's logout came back to its ReturnTo (HTTP $status)" ;;
    *) fail "Single Logout: ended at $(cat "$WORK/page.url") (HTTP $status), not at Mellon's ReturnTo" ;;
    esac
    local sp_closed=no
    closed_to_idp && sp_closed=yes
    get "$IDP/apps/mellon/start" >/dev/null
    if [ "$sp_closed" = yes ] && ! grep -q 'name="SAMLResponse"' "$WORK/page"; then
        ok "Single Logout: Mellon's session and the IdP session are both gone"
    else
        fail "Single Logout: after logout Mellon's session is still open ($sp_closed closed) or the IdP still issued a Response"
    fi
}

echo "==> mod_auth_mellon"
sp_initiated_login
idp_initiated_login
tampered_refused
encrypted_login
single_logout
echo "mellon: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] || show_logs
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
