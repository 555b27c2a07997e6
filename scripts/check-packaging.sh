#!/usr/bin/env bash
# Checks what the packaging (packaging/) can be checked for on this machine, as CI does:
# 1. `systemd-analyze verify` on the systemd unit, in a temporary root that holds the unit, the
#    system's own units (sysinit.target, …) and a stub at the unit's ExecStart path (verify insists
#    the binary exists; systemd need not be running). Any warning counts as a failure. Then
#    `systemd-analyze security --offline=yes`: the unit's exposure must stay at most 2.0 (of 10).
# 2. `nginx -t` on the nginx front, with a throw-away certificate, in a temporary prefix: the machine's
#    nginx when there is one, else Debian's nginx package unpacked into a temporary folder (downloaded
#    with `apt-get download`, never installed); skipped with a warning when neither works. Then
#    nginx started in front of the server on the packaged configuration: a request from this
#    machine's non-loopback address with a forged X-Forwarded-For is logged with the real address.
# 3. `wecom-idp serve --check` on packaging/wecom-idp.toml with its credentials in a temporary
#    ${CREDENTIALS_DIRECTORY} and the WeCom simulator, plus every packaged config loading
#    (the `deploy::` integration tests; on PostgreSQL too when WECOM_IDP_TEST_POSTGRES_URL is set).
# The container recipe cannot be built here (no container engine).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/apt-need.sh
source scripts/apt-need.sh

UNIT=packaging/systemd/wecom-idp.service
NGINX_CONF=packaging/nginx/wecom-idp.conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
    root=$tmp/systemd-root
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
    # --threshold is in tenths of the printed exposure level (2.0 → 20); --offline needs systemd 250.
    if [ "$(systemd-analyze --version | sed -n 's/^systemd \([0-9]*\).*/\1/p')" -ge 250 ]; then
        sec=$(systemd-analyze security --offline=yes --threshold=20 --root="$root" "$(basename "$UNIT")" 2>&1) || {
            echo "$sec" >&2
            echo "error: $UNIT: exposure above 2.0 (systemd-analyze security): restore its hardening" >&2
            exit 1
        }
        echo "ok: $(echo "$sec" | tail -n1)"
    else
        echo "warning: SKIPPED systemd-analyze security --offline (needs systemd 250 or later)" >&2
    fi
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The nginx front in front of the server with the packaged configuration: a request from a
# non-loopback address of this machine, carrying a forged X-Forwarded-For, must be logged with that
# address as the client IP (nginx appended it; the forged entry is not believed).
proxy_end_to_end() {
    local addr app_port tls_port e app_pid="" nginx_started=""
    addr=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -n1 || true)
    if [ -z "$addr" ]; then
        echo "warning: SKIPPED nginx end-to-end: this machine has no non-loopback IPv4 address" >&2
        return 0
    fi
    cargo build -q --bin wecom-idp
    e=$tmp/e2e
    mkdir -p "$e/creds" "$e/conf.d"
    openssl rand -base64 32 >"$e/creds/master-key"
    echo "sqlite://$e/idp.sqlite" >"$e/creds/database-url"
    echo "not-used" >"$e/creds/wecom-secret"
    app_port=$(free_port)
    tls_port=$(free_port)
    CREDENTIALS_DIRECTORY=$e/creds WECOM_IDP_LISTEN=127.0.0.1:$app_port WECOM_IDP_LOG_FORMAT=json \
        WECOM_IDP_LOG=info target/debug/wecom-idp --config packaging/wecom-idp.toml serve 2>"$e/app.log" &
    app_pid=$!
    sed -e "s|/etc/nginx/tls|$n/tls|g" -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$app_port;|" \
        -e "s|listen 443 ssl http2;|listen $tls_port ssl http2;|" -e '/listen \[::\]:/d' -e '/listen 80;/d' \
        "$NGINX_CONF" >"$n/conf.d/wecom-idp.conf"
    local stop='kill "$app_pid" 2>/dev/null || true; [ -z "$nginx_started" ] || "$nginx_bin" -q -p "$n" -c "$n/nginx.conf" -e "$n/logs/error.log" -s quit || true'
    "$nginx_bin" -q -p "$n" -c "$n/nginx.conf" -e "$n/logs/error.log" && nginx_started=1
    local answered
    answered=$(python3 - "$addr" "$tls_port" <<'PY'
import ssl, sys, time, urllib.request
addr, port = sys.argv[1], sys.argv[2]
ctx = ssl._create_unverified_context()
req = urllib.request.Request(f"https://{addr}:{port}/healthz", headers={"X-Forwarded-For": "198.51.100.66"})
for _ in range(100):
    try:
        print(urllib.request.urlopen(req, context=ctx, timeout=5).status)
        break
    except Exception as e:
        last = e
        time.sleep(0.1)
else:
    print(f"no answer: {last}")
PY
)
    eval "$stop"
    wait "$app_pid" 2>/dev/null || true
    if [ "$answered" != 200 ]; then
        cat "$e/app.log" "$n/logs/error.log" >&2 || true
        echo "error: nginx end-to-end: /healthz through nginx answered: $answered" >&2
        exit 1
    fi
    python3 - "$addr" "$e/app.log" <<'PY'
import json, sys
addr, log = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(log) if l.strip()]
seen = [l.get("client_ip") for l in lines if l.get("target") == "wecom_idp::request" and l.get("path") == "/healthz"]
if addr not in seen or "198.51.100.66" in seen:
    sys.exit(f"error: nginx end-to-end: client IPs logged {seen}, expected {addr} (and never the forged 198.51.100.66)")
PY
    echo "ok: nginx → wecom-idp: the client's address $addr is logged, the forged X-Forwarded-For is not"
}

nginx_bin=$(command -v nginx || true)
if [ -z "$nginx_bin" ]; then
    if (cd "$tmp" && apt-get download -q nginx >/dev/null 2>&1) &&
        dpkg -x "$(ls "$tmp"/nginx_*.deb | head -n1)" "$tmp/nginx-pkg"; then
        nginx_bin=$tmp/nginx-pkg/usr/sbin/nginx
    fi
fi
if [ -n "$nginx_bin" ]; then
    n=$tmp/nginx
    mkdir -p "$n/conf.d" "$n/tls" "$n/logs" "$n/tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=idp.example.com \
        -keyout "$n/tls/idp.example.com.key" -out "$n/tls/idp.example.com.fullchain.pem" 2>/dev/null
    sed "s|/etc/nginx/tls|$n/tls|g" "$NGINX_CONF" >"$n/conf.d/wecom-idp.conf"
    cat >"$n/nginx.conf" <<NGINX
pid $n/nginx.pid;
error_log $n/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    include $n/conf.d/*.conf;
}
NGINX
    "$nginx_bin" -t -q -p "$n" -c "$n/nginx.conf" -e "$n/logs/error.log"
    echo "ok: nginx -t $NGINX_CONF ($("$nginx_bin" -v 2>&1))"
    proxy_end_to_end
else
    echo "warning: SKIPPED nginx -t: no nginx here and the Debian package could not be downloaded" >&2
fi

cargo test --test it deploy:: -- --test-threads=2
