# Sourced by the SP scripts of interop/apache/: the IdP (`wecom-idp demo` with its WeCom simulator
# on a free loopback port), an Apache started with its own configuration (own ServerRoot, PidFile
# and loopback port; never the machine's apache2 service), and a browser made of curl and a cookie
# jar. `interop_init PEER` first; each check reports with ok/fail/skip and `interop_finish` prints
# `PEER: N passed, M failed, K skipped` and gives the exit status.
# Environment: WORK=dir (default target/interop-apache-PEER, emptied first), INTEROP_IDP_BIN=path
# (default: cargo build, debug), KEEP=1 leaves the servers running for a look by hand.

UA="Mozilla/5.0 (Linux) wxwork/4.1.0 MicroMessenger/7.0.1" # inside the WeCom client
passed=0 failed=0 skipped=0
IDP_PID="" APACHE_CONF="" EXTRA_PIDS=() LOGS=()

interop_init() {
    PEER=$1
    WORK=${WORK:-target/interop-apache-$PEER}
    rm -rf "$WORK"
    mkdir -p "$WORK"
    WORK=$(cd "$WORK" && pwd)
    trap cleanup EXIT
}
ok() { passed=$((passed + 1)); printf 'ok   %-12s %s\n' "$PEER" "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %-12s %s\n' "$PEER" "$*"; }
skip() { skipped=$((skipped + 1)); printf 'skip %-12s %s\n' "$PEER" "$*"; }

interop_finish() {
    echo "$PEER: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" = 0 ] || show_logs
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cleanup() {
    if [ "${KEEP:-}" = 1 ]; then
        echo "left running: wecom-idp demo (pid $IDP_PID) at ${IDP:-}, apache2 -f $APACHE_CONF at ${SP:-}, pids ${EXTRA_PIDS[*]}"
        return
    fi
    if [ -n "$APACHE_CONF" ]; then apache2 -f "$APACHE_CONF" -k stop 2>/dev/null || true; fi
    local p
    for p in "${EXTRA_PIDS[@]}" $IDP_PID; do kill "$p" 2>/dev/null || true; done
}
show_logs() {
    local f
    for f in "$WORK/demo.log" "$WORK/apache/error.log" "${LOGS[@]}"; do
        [ -f "$f" ] || continue
        echo "---- $f (tail)"
        tail -n 30 "$f"
    done
}
die() { show_logs; echo "error: $*" >&2; exit 1; }

# ---- the IdP
start_idp() {
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
    local _
    for _ in $(seq 100); do
        curl -fsS -o "$WORK/idp-metadata.xml" "$IDP/saml/metadata" 2>/dev/null && break
        kill -0 "$IDP_PID" 2>/dev/null || die "wecom-idp demo exited"
        sleep 0.2
    done
    [ -s "$WORK/idp-metadata.xml" ] || die "no IdP metadata from $IDP"
    SIM=$(grep -o 'WeCom simulator  http://[0-9.:]*' "$WORK/demo.log" | awk '{print $3}')
    [ -n "$SIM" ] || die "the demo did not say where its WeCom simulator is"
    echo "IdP $IDP, WeCom simulator $SIM"
}

# The CLI on the demo's database (its master key seals the signing key there).
idp_cli() {
    WECOM_IDP_PUBLIC_URL=$IDP WECOM_IDP_LISTEN=127.0.0.1:$IDP_PORT \
        WECOM_IDP_DATABASE_URL="sqlite://$WORK/idp-data/wecom-idp.sqlite" \
        WECOM_IDP_MASTER_KEY_FILE="$WORK/idp-data/master.key" "$INTEROP_IDP_BIN" "$@"
}

# ---- Apache
pick_sp_port() {
    SP_PORT=$(free_port)
    SP=http://127.0.0.1:$SP_PORT
}

# start_apache ENV_REGEX MODULES… < SP-CONFIG: Apache on $SP_PORT with the given modules (names
# under /usr/lib/apache2/modules without `mod_`/`.so`), the SP configuration from stdin, and
# /protected/ and /public/ served by a CGI printing the variables matching ENV_REGEX. Files the
# workers read go under $WORK/apache or are listed in READABLE (owned by www-data when root).
start_apache() {
    local env_regex=$1 m
    shift
    AP=$WORK/apache
    mkdir -p "$AP/run" "$AP/htdocs" "$AP/cgi"
    printf '#!/bin/sh\nprintf %s\nenv | grep -E %s | sort\n' \
        "'Content-Type: text/plain; charset=utf-8\\n\\n'" "'$env_regex'" >"$AP/cgi/env.cgi"
    chmod 755 "$AP/cgi/env.cgi"
    local run_as=""
    if [ "$(id -u)" = 0 ]; then
        # Apache drops root for its workers; they read the CGI and the SP's files.
        run_as=$'User www-data\nGroup www-data'
        chown -R www-data:www-data "$AP" ${READABLE:-}
    fi
    APACHE_CONF=$AP/httpd.conf
    {
        cat <<EOF
ServerRoot "$AP"
ServerName 127.0.0.1
Listen 127.0.0.1:$SP_PORT
PidFile "$AP/run/httpd.pid"
DefaultRuntimeDir "$AP/run"
ErrorLog "$AP/error.log"
LogLevel warn
$run_as
StartServers 2
DocumentRoot "$AP/htdocs"
EOF
        for m in mpm_prefork authz_core authn_core authz_user alias cgi "$@"; do
            echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
        done
        echo "ScriptAlias /protected/ \"$AP/cgi/env.cgi/\""
        echo "ScriptAlias /public/ \"$AP/cgi/env.cgi/\""
        cat
    } >"$APACHE_CONF"
    apache2 -f "$APACHE_CONF" -t 2>&1 | grep -v 'Syntax OK' || true
    apache2 -f "$APACHE_CONF" -k start
    local _
    for _ in $(seq 50); do
        curl -fsS -o /dev/null "$SP/public/" 2>/dev/null && break
        sleep 0.2
    done
    echo "$(apache2 -v | sed -n 's/^Server version: //p') on $SP"
}

# ---- the browser: curl with a cookie jar
JAR=""
browser() { JAR=$WORK/jar-$1; rm -f "$JAR"; }
_fetched() { # curl's `code url` in $WORK/page.meta → page.url, status echoed
    cut -d' ' -f2- "$WORK/page.meta" >"$WORK/page.url"
    cut -d' ' -f1 "$WORK/page.meta"
}
# get URL: follows redirects; the last page's body in $WORK/page, its URL in $WORK/page.url;
# echoes its status.
get() {
    curl -sS -L -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code} %{url_effective}' "$1" >"$WORK/page.meta"
    _fetched
}
# The first form on $WORK/page: `form_fields action` its action; `form_fields get NAME` a field's
# value; `form_fields all` every field as NAME=VALUE, NUL-terminated, line breaks sent as CRLF as a
# browser's form submission does (Shibboleth's form wraps its base64 over several lines).
form_fields() {
    python3 - "$WORK/page" "$@" <<'EOF'
import html.parser, re, sys
class F(html.parser.HTMLParser):
    action, fields = None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and a.get("name") and self.action is not None:
            self.fields.append((a["name"], re.sub(r"\r?\n", "\r\n", a.get("value") or "")))
f = F()
f.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
if not f.action:
    sys.exit("no form on the page")
if sys.argv[2] == "action":
    print(f.action)
elif sys.argv[2] == "get":
    print("".join(v for n, v in f.fields if n == sys.argv[3]))
else:
    sys.stdout.write("".join(f"{n}={v}\0" for n, v in f.fields))
EOF
}
# Submits the page's form as the page's script would; the result is the new $WORK/page.
submit_form() {
    local action kv args=()
    action=$(form_fields action) || return 1
    while IFS= read -r -d '' kv; do args+=(--data-urlencode "$kv"); done < <(form_fields all)
    curl -sS -L -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code} %{url_effective}' \
        "${args[@]}" "$action" >"$WORK/page.meta"
    _fetched
}
has_form_field() { grep -q "name=\"$1\"" "$WORK/page"; }
# A field of the form on $WORK/page, as posted.
form_field() { form_fields get "$1"; }
# The SAMLResponse of the form on $WORK/page, decoded.
posted_response() { form_field SAMLResponse | base64 -di; }
# Logs in to the "WeCom client" as a member of the simulator.
wecom_client_as() { get "$SIM/sim/as?userid=$1&next=%2Fsim" >/dev/null; }

# The SP has no session in this jar: GET URL (default $SP/protected/) takes the browser, through the
# SP's own redirects, to our /saml/sso — by a redirect (HTTP-Redirect binding: the URL is left in
# $SSO_URL) or by an auto-POST form (HTTP-POST: $WORK/page holds it, SSO_URL is empty).
SSO_URL=""
closed_to_idp() {
    local url=${1:-$SP/protected/} where i
    SSO_URL=""
    for i in 1 2 3 4; do
        curl -sS -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code} %{redirect_url}' "$url" >"$WORK/page.meta"
        where=$(cat "$WORK/page.meta")
        case "$where" in
        30[1237]" $SP/"*) url=${where#* } ;;
        30[1237]" $IDP/saml/sso?"*)
            SSO_URL=${where#* }
            return 0
            ;;
        "200 "*)
            has_form_field SAMLRequest && [ "$(form_fields action)" = "$IDP/saml/sso" ] && return 0
            break
            ;;
        *) break ;;
        esac
    done
    echo "    $url answered: $(echo "$where" | cut -c1-100)"
    return 1
}

# The protected page ($WORK/page) must show each VAR=VALUE given, exactly.
expect_vars() { # what VAR=VALUE…
    local what=$1 v missing=()
    shift
    for v in "$@"; do grep -qxF "$v" "$WORK/page" || missing+=("$v"); done
    if ((${#missing[@]} == 0)); then
        ok "$what: the protected page has $*"
    else
        fail "$what: the protected page ($(cat "$WORK/page.url")) lacks ${missing[*]}:"
        sed 's/^/    /' "$WORK/page" | head -20
    fi
}

# A Response for APP that no SP has seen yet (so a refusal cannot be a replay check), from the mount
# address in a browser of its own, left in $WORK/fresh.xml; the auto-POST form is not submitted.
fresh_idp_response() {
    browser "fresh-$1"
    wecom_client_as zhangsan
    get "$IDP/apps/$1/start" >/dev/null
    has_form_field SAMLResponse || return 1
    posted_response >"$WORK/fresh.xml"
}

# The Response XML FILE with a character added to its NameID after signing, base64 (empty: none).
tampered_b64() {
    local xml
    xml=$(sed -E 's#(<([A-Za-z0-9]+:)?NameID[^>]*>)([^<]*)<#\1\3-evil<#' "$1")
    [ "$xml" = "$(cat "$1")" ] && return 0
    printf '%s' "$xml" | base64 -w0
}

# From the SP's protected page to our auto-POST form for the SP (a fresh browser signed in to the
# "WeCom client"), by whichever binding the SP sends its AuthnRequest with.
login_form_for_sp() {
    browser "$1"
    wecom_client_as zhangsan
    closed_to_idp || return 1
    if [ -n "$SSO_URL" ]; then get "$SSO_URL" >/dev/null; else submit_form >/dev/null; fi
    has_form_field SAMLResponse
}

# Encrypted assertions, once the IdP has them (`encrypt_assertion` in `app set`): for every block
# cipher `encryption_method` offers, APP's Response must carry only an EncryptedAssertion with that
# cipher and the SP (WHO) must decrypt it to the same member (the script's `expect_member`).
encrypted_logins() { # APP WHO
    local app=$1 who=$2 help methods m uri
    help=$(idp_cli app set --help 2>/dev/null || true)
    if ! grep -q 'encrypt_assertion' <<<"$help"; then
        skip "encrypted assertion: skipped: encrypted assertions (encrypt_assertion) not on main yet"
        return
    fi
    methods=$(grep -o 'encryption_method: .*' <<<"$help" | grep -oE 'aes[0-9]+-(gcm|cbc)' | sort -u || true)
    for m in ${methods:-default}; do
        local sets=(--set encrypt_assertion=true)
        [ "$m" = default ] || sets+=(--set "encryption_method=$m")
        if ! idp_cli app set "$app" "${sets[@]}" >"$WORK/app-set.log" 2>&1; then
            fail "encrypted assertion ($m): app set refused: $(cat "$WORK/app-set.log")"
            continue
        fi
        if ! login_form_for_sp "enc-$m"; then
            fail "encrypted assertion ($m): no auto-POST form from our /saml/sso"
            continue
        fi
        posted_response >"$WORK/encrypted-$m.xml"
        uri=$(grep -o 'EncryptedData.*' "$WORK/encrypted-$m.xml" | grep -o 'EncryptionMethod Algorithm="[^"]*"' | head -1 | cut -d'"' -f2)
        if grep -q 'EncryptedAssertion' "$WORK/encrypted-$m.xml" &&
            ! grep -qE '<([A-Za-z0-9]+:)?Assertion[ >]' "$WORK/encrypted-$m.xml" &&
            { [ "$m" = default ] || [[ "$uri" == *"#$m" ]]; }; then
            ok "encrypted assertion ($m): the Response carries only an EncryptedAssertion ($uri)"
        else
            fail "encrypted assertion ($m): the Response is not encrypted with $m (EncryptedData uses '$uri')"
        fi
        submit_form >/dev/null
        expect_member "encrypted assertion ($m, $who decrypts)"
    done
    idp_cli app set "$app" --set encrypt_assertion=false >/dev/null 2>&1 || true
}

# Whether this browser holds an IdP session: APP's mount address answers with the auto-POST form
# at once (no session: it sends the browser to WeCom, the simulator here).
idp_session_open() {
    local where
    where=$(curl -sS -A "$UA" -b "$JAR" -o "$WORK/page" -w '%{http_code} %{redirect_url}' "$IDP/apps/$1/start")
    case "$where" in
    "200 "*) has_form_field SAMLResponse ;;
    30[1237]" $SIM/"*) return 1 ;;
    *) echo "    $IDP/apps/$1/start answered: $(echo "$where" | cut -c1-100)"; return 1 ;;
    esac
}

urlencode() { python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# Single Logout, once our metadata has SingleLogoutService: after an SP-initiated login (the
# script's `sp_initiated_login`, which leaves its browser in $JAR), LOGOUT_URL (the SP's own logout,
# returning to $SP/public/) sends a LogoutRequest to our /saml/slo; the chain (redirects and
# auto-submitted forms) must come back to $SP/public/, and afterwards the SP asks for a login again
# and the IdP session is gone (the mount address goes back to WeCom).
single_logout() { # APP WHO LOGOUT_URL
    local app=$1 who=$2 status i
    if ! grep -q 'SingleLogoutService' "$WORK/idp-metadata.xml"; then
        skip "Single Logout: skipped: Single Logout not on main yet (no SingleLogoutService in our metadata)"
        return
    fi
    sp_initiated_login # signs in again, in the browser the logout uses
    if ! idp_session_open "$app"; then
        fail "Single Logout: no IdP session after the login, nothing to end"
        return
    fi
    status=$(get "$3")
    for i in 1 2 3 4 5; do # the chain may pass through auto-submitted forms (HTTP-POST binding)
        grep -qE 'name="SAML(Request|Response)"' "$WORK/page" || break
        status=$(submit_form)
    done
    case "$(cat "$WORK/page.url")" in
    "$SP/public/"*) ok "Single Logout: $who's logout went through our /saml/slo and came back (HTTP $status)" ;;
    *) fail "Single Logout: $who's logout ended at $(cat "$WORK/page.url") (HTTP $status), not back at $SP/public/" ;;
    esac
    if grep -q "/saml/slo" "$WORK/demo.log"; then :; else fail "Single Logout: $who never reached our /saml/slo"; fi
    local sp_closed=no idp_closed=no
    closed_to_idp && sp_closed=yes
    idp_session_open "$app" || idp_closed=yes
    if [ "$sp_closed" = yes ] && [ "$idp_closed" = yes ]; then
        ok "Single Logout: $who's session and the IdP session are both gone (the mount address goes back to WeCom)"
    else
        fail "Single Logout: after $who's logout, SP session closed: $sp_closed, IdP session closed: $idp_closed"
    fi
}
