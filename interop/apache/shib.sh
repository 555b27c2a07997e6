#!/usr/bin/env bash
# A real SP under Apache: Shibboleth SP 3 (Debian libapache2-mod-shib: mod_shib and shibd) with
# its own configuration directory, socket and logs in $WORK (shibd runs in the foreground, started
# and stopped here; the machine's shibd and apache2 services are never touched), against
# `wecom-idp demo`.
#
#  1. starts `wecom-idp demo` on a free loopback port (lib.sh);
#  2. writes shibboleth2.xml (our IdP's metadata file, the SP's own key, AuthnRequests signed, an
#     attribute map for the NameID, `userid` and `name`), starts shibd and Apache with mod_shib
#     protecting /protected/ (a CGI printing what mod_shib exports), and registers the app `shib`
#     from the metadata the SP itself publishes at /Shibboleth.sso/Metadata;
#  3. drives with curl an SP-initiated login (Shibboleth's AuthnRequest, signed with rsa-sha256 —
#     on the HTTP-POST binding only because our metadata publishes the algorithm-support extension,
#     else Shibboleth signs it with SHA-1) and an
#     IdP-initiated one (unsolicited), asserting the member and 张三 arrive intact; a Response altered
#     after signing must be refused;
#  4. `encrypted_logins` (lib.sh, every cipher) and `single_logout` run once the IdP has them, skipped (said) until then;
#  5. a leaver event ends Shibboleth's session on the back channel (SOAP Single Logout).
# Prints one line per check and `shib: N passed, M failed, K skipped`; exits non-zero on a failure.
# WORK, INTEROP_IDP_BIN and KEEP=1 as in lib.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/apt-need.sh
apt_need apache2 libapache2-mod-shib curl openssl python3 ca-certificates
. interop/apache/lib.sh
interop_init shib

start_idp
pick_sp_port
SH=$WORK/shib
SP_ENTITY=$SP/shibboleth
mkdir -p "$SH"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
    -keyout "$SH/sp-key.pem" -out "$SH/sp-cert.pem" 2>/dev/null

for which in shibd native; do
    cat >"$SH/$which.logger" <<EOF
log4j.rootCategory=INFO, f
log4j.appender.f=org.apache.log4j.FileAppender
log4j.appender.f.fileName=$SH/$which.log
log4j.appender.f.layout=org.apache.log4j.PatternLayout
log4j.appender.f.layout.ConversionPattern=%d{%Y-%m-%d %H:%M:%S} %p %c %x: %m%n
EOF
done
LOGS+=("$SH/shibd.log" "$SH/native.log")

cat >"$SH/attribute-map.xml" <<'EOF'
<Attributes xmlns="urn:mace:shibboleth:2.0:attribute-map" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <Attribute name="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" id="nameid">
        <AttributeDecoder xsi:type="NameIDAttributeDecoder" formatter="$Name"/>
    </Attribute>
    <Attribute name="userid" nameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic" id="userid"/>
    <Attribute name="name" nameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic" id="displayName"/>
</Attributes>
EOF

cat >"$SH/shibboleth2.xml" <<EOF
<SPConfig xmlns="urn:mace:shibboleth:3.0:native:sp:config"
    xmlns:conf="urn:mace:shibboleth:3.0:native:sp:config" clockSkew="180">
    <OutOfProcess logger="$SH/shibd.logger"/>
    <InProcess logger="$SH/native.logger"/>
    <UnixListener address="$SH/shibd.sock"/>
    <ApplicationDefaults entityID="$SP_ENTITY" REMOTE_USER="userid" signing="true"
        homeURL="$SP/protected/">
        <Sessions lifetime="28800" timeout="3600" relayState="ss:mem" checkAddress="false"
            handlerSSL="false" cookieProps="http" redirectLimit="exact">
            <SSO entityID="$IDP/saml/metadata"
                outgoingBindings="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">SAML2</SSO>
            <Logout>SAML2 Local</Logout>
            <Handler type="MetadataGenerator" Location="/Metadata" signing="false"/>
            <Handler type="Session" Location="/Session" showAttributeValues="true"/>
        </Sessions>
        <Errors supportContact="root@localhost"/>
        <MetadataProvider type="XML" validate="true" path="$WORK/idp-metadata.xml"/>
        <AttributeExtractor type="XML" validate="true" reloadChanges="false" path="$SH/attribute-map.xml"/>
        <CredentialResolver type="File" key="$SH/sp-key.pem" certificate="$SH/sp-cert.pem"/>
    </ApplicationDefaults>
    <SecurityPolicyProvider type="XML" validate="true" path="/etc/shibboleth/security-policy.xml"/>
    <ProtocolProvider type="XML" validate="true" reloadChanges="false" path="/etc/shibboleth/protocols.xml"/>
</SPConfig>
EOF

SHIBD_USER=()
if [ "$(id -u)" = 0 ]; then
    chown -R www-data:www-data "$SH" "$WORK/idp-metadata.xml"
    SHIBD_USER=(-u www-data -g www-data) # the same user as Apache's workers, who use its socket
fi
shibd -F -f -c "$SH/shibboleth2.xml" -p "$SH/shibd.pid" "${SHIBD_USER[@]}" >"$SH/shibd.out" 2>&1 &
EXTRA_PIDS+=($!)
LOGS+=("$SH/shibd.out")
for _ in $(seq 100); do
    [ -S "$SH/shibd.sock" ] && break
    kill -0 "${EXTRA_PIDS[0]}" 2>/dev/null || die "shibd exited"
    sleep 0.2
done
[ -S "$SH/shibd.sock" ] || die "shibd did not open $SH/shibd.sock"
echo "shibd $(shibd -v 2>&1 | head -1)"

READABLE=$SH start_apache '^(nameid|userid|displayName|REMOTE_USER)=' <<EOF
LoadModule mod_shib /usr/lib/apache2/modules/mod_shib.so
ShibConfig "$SH/shibboleth2.xml"
<Location /Shibboleth.sso>
    SetHandler shib
</Location>
<Location /protected/>
    AuthType shibboleth
    ShibRequestSetting requireSession 1
    Require shib-session
</Location>
EOF

curl -fsS -o "$SH/sp-metadata.xml" "$SP/Shibboleth.sso/Metadata" || die "no metadata from $SP/Shibboleth.sso/Metadata"
idp_cli app add shib --metadata "$SH/sp-metadata.xml" --set attributes=userid,name \
    >"$WORK/app-add.log" 2>&1 || { cat "$WORK/app-add.log"; exit 1; }

expect_member() { expect_vars "$1" nameid=zhangsan userid=zhangsan displayName=张三 REMOTE_USER=zhangsan; }

sp_initiated_login() {
    browser sp
    wecom_client_as zhangsan
    local status
    if ! closed_to_idp; then
        fail "SP-initiated: the protected page does not send the browser to our /saml/sso"
        return
    fi
    if [ -z "$SSO_URL" ]; then # HTTP-POST: the AuthnRequest is in the form
        form_field SAMLRequest | base64 -di >"$WORK/authn-request.xml"
        if grep -q 'SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"' "$WORK/authn-request.xml"; then
            ok "SP-initiated: Shibboleth posts an AuthnRequest signed with rsa-sha256"
        else
            fail "SP-initiated: Shibboleth's AuthnRequest is not signed with rsa-sha256: $(grep -o 'SignatureMethod[^>]*' "$WORK/authn-request.xml")"
        fi
        status=$(submit_form)
    else
        case "$SSO_URL" in
        *"SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"*"&Signature="*)
            ok "SP-initiated: Shibboleth sends an AuthnRequest signed with rsa-sha256 (HTTP-Redirect)" ;;
        *) fail "SP-initiated: Shibboleth's AuthnRequest is not signed with rsa-sha256: ${SSO_URL:0:300}" ;;
        esac
        status=$(get "$SSO_URL")
    fi
    if ! has_form_field SAMLResponse; then
        fail "SP-initiated: no auto-POST form from our /saml/sso (HTTP $status at $(cat "$WORK/page.url"))"
        return
    fi
    posted_response >"$WORK/sp-initiated.xml"
    status=$(submit_form)
    [ "$status" = 200 ] || fail "SP-initiated: Shibboleth's ACS led to HTTP $status at $(cat "$WORK/page.url")"
    expect_member "SP-initiated"
}

idp_initiated_login() {
    browser idp
    wecom_client_as zhangsan
    get "$IDP/apps/shib/start" >/dev/null
    if ! has_form_field SAMLResponse; then
        fail "IdP-initiated: no auto-POST form from the mount address"
        return
    fi
    posted_response >"$WORK/idp-initiated.xml"
    local status
    status=$(submit_form)
    [ "$status" = 200 ] || fail "IdP-initiated: Shibboleth's ACS led to HTTP $status at $(cat "$WORK/page.url")"
    expect_member "IdP-initiated (unsolicited)"
}

tampered_refused() {
    fresh_idp_response shib || { fail "tampered: no auto-POST form from the mount address"; return; }
    browser tampered
    local b64 status
    b64=$(tampered_b64 "$WORK/fresh.xml")
    [ -n "$b64" ] || { fail "tampered: no NameID to alter"; return; }
    status=$(curl -sS -A "$UA" -b "$JAR" -c "$JAR" -o "$WORK/page" -w '%{http_code}' \
        --data-urlencode "SAMLResponse=$b64" "$SP/Shibboleth.sso/SAML2/POST")
    sleep 0.3 # the SP's log line
    if [ "$status" -ge 400 ] && grep -q 'signature could not be verified' "$SH/shibd.log" && closed_to_idp; then
        ok "tampered: Shibboleth refused a fresh Response altered after signing (HTTP $status, its log: signature could not be verified; the protected page still sends to our /saml/sso)"
    else
        fail "tampered: Shibboleth answered HTTP $status to a Response altered after signing without logging 'signature could not be verified', or let the browser in"
    fi
}


# A leaver (the demo's "this member leaves": the simulator's encrypted delete_user event) is cut off
# here, and Shibboleth is told on the back channel: our signed SOAP LogoutRequest to the
# /Shibboleth.sso/SLO/SOAP its metadata lists, which finds the session by NameID (its default
# storage-backed session cache indexes them) and answers a LogoutResponse signed per `signing`.
# Its protected page then asks for a login again. Last: the member is gone from the simulator.
back_channel_logout() {
    if ! grep -q 'Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="[^"]*/Shibboleth.sso/SLO/SOAP"' "$SH/sp-metadata.xml"; then
        fail "back channel: Shibboleth's metadata lists no SOAP SingleLogoutService"
        return
    fi
    sp_initiated_login # a fresh SP session and IdP session in this browser
    local status
    status=$(curl -sS -A "$UA" -b "$JAR" -o "$WORK/page" -w '%{http_code}' "$SP/protected/")
    if [ "$status" != 200 ]; then
        fail "back channel: no Shibboleth session before the leaver event (HTTP $status)"
        return
    fi
    status=$(curl -sS -o /dev/null -w '%{http_code}' --data-urlencode userid=zhangsan "$IDP/demo/leave")
    [ "$status" = 303 ] || [ "$status" = 302 ] || { fail "back channel: /demo/leave answered HTTP $status"; return; }
    local i word=""
    for i in $(seq 50); do
        word=$(grep -o 'app=shib outcome=[a-z_]*[^"]*' "$WORK/demo.log" | tail -1)
        [ -n "$word" ] && break
        sleep 0.2
    done
    case "$word" in
    *"outcome=confirmed"*) ok "back channel: Shibboleth confirmed our SOAP LogoutRequest with a signed LogoutResponse ($word)" ;;
    *) fail "back channel: Shibboleth's answer: ${word:-none logged}" ;;
    esac
    if closed_to_idp; then
        ok "back channel: after the leaver event Shibboleth's protected page asks our IdP for a login again"
    else
        fail "back channel: Shibboleth still serves the leaver's session after the back-channel logout"
    fi
}

echo "==> Shibboleth SP"
sp_initiated_login
tampered_refused
idp_initiated_login # after the refusal: the same path, untampered, gets in
encrypted_logins shib Shibboleth # every cipher the IdP offers; skipped (said) while it has none
single_logout shib Shibboleth "$SP/Shibboleth.sso/Logout?return=$(urlencode "$SP/public/")"
back_channel_logout # last: the member leaves the simulator
interop_finish
