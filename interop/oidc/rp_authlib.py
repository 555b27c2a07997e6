"""The OpenID Connect code flow against our running server with Python's authlib, started by the
Rust test `oidc_interop` with a JSON file that names the issuer, the WeCom simulator, the member and
the registered clients.

For each client (client_secret_basic, client_secret_post, a public client with PKCE only):
discovery (the issuer must be the one asked for); the authorization URL from authlib's
OAuth2Session with PKCE S256, state and nonce; the browser part followed by hand (a requests
session with its cookie jar: authorize -> the simulator's WeCom OAuth -> /wecom/callback ->
redirect_uri), the response's `iss` (RFC 9207) checked; the code redeemed by OAuth2Session (state
checked by authlib); the ID token verified by joserfc (authlib's JOSE) with the JWK Set from
discovery and validated by authlib's CodeIDToken (iss, aud, azp, exp, iat, nonce, at_hash);
userinfo (sub as the ID token's); refresh (a new refresh token, whose ID token validates too), then
the old one again is refused, which revokes the rotated grant (its access token gets 401).

Prints `authlib: N passed, M failed`; exits non-zero on any failure.
Usage: python interop/oidc/rp_authlib.py CONFIG.json
"""

import json
import sys
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

SCOPE = "openid profile email groups"


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   authlib {what}")
        else:
            self.failed += 1
            print(f"FAIL authlib {what}{': ' + detail if detail else ''}")


def follow(browser, cfg, url, stop):
    """Follows redirects from `url` until one leaves for `stop` (not fetched): that URL."""
    for _ in range(12):
        if url.startswith(stop):
            return url
        r = browser.get(url, allow_redirects=False, headers={"User-Agent": cfg["user_agent"]})
        loc = r.headers.get("Location")
        if 300 <= r.status_code < 400 and loc:
            url = urljoin(url, loc)
        else:
            raise RuntimeError(f"the chain ended on {url} with {r.status_code}: {r.text[:300]}")
    raise RuntimeError("too many redirects")


def validate_id_token(meta, keys, id_token, client_id, params):
    """authlib's OpenID Connect Core rules for a code flow's ID token, on the token joserfc (authlib's
    JOSE) verified with the JWK Set from discovery and the algorithms discovery names."""
    token = jwt.decode(id_token, keys, algorithms=meta["id_token_signing_alg_values_supported"])
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={
            "iss": {"essential": True, "value": meta["issuer"]},
            "aud": {"essential": True, "value": client_id},
        },
        params={"client_id": client_id, **params},
    )
    claims.validate()
    return claims


def run(cfg, c, t):
    label = c["label"]
    issuer = cfg["issuer"]
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    t.check(meta.get("issuer") == issuer, f"{label}: discovery issuer {meta.get('issuer')}")
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())

    session = OAuth2Session(
        client_id=c["client_id"],
        client_secret=c.get("client_secret"),
        scope=SCOPE,
        redirect_uri=cfg["redirect_uri"],
        code_challenge_method="S256",
        token_endpoint_auth_method=c["auth"],
    )
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = requests.Session()
    r = browser.get(
        f"{cfg['sim_base']}/sim/as",
        params={"userid": cfg["userid"], "next": "/sim"},
        allow_redirects=False,
        timeout=10,
    )
    if r.status_code >= 400:
        raise RuntimeError(f"simulator login: {r.status_code}")
    callback = follow(browser, cfg, url, cfg["redirect_uri"])
    query = parse_qs(urlparse(callback).query)
    t.check(query.get("iss") == [issuer], f"{label}: the authorization response names the issuer")

    token = session.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    claims = validate_id_token(
        meta,
        keys,
        token["id_token"],
        c["client_id"],
        {"nonce": nonce, "access_token": token["access_token"]},
    )
    t.check(claims["sub"] == cfg["sub"], f"{label}: ID token validated (CodeIDToken), sub {claims['sub']}")

    info = session.get(meta["userinfo_endpoint"], timeout=10).json()
    t.check(
        info.get("sub") == claims["sub"] and info.get("name") == cfg["name"],
        f"{label}: userinfo {info.get('sub')} {info.get('name')}",
    )

    old = token["refresh_token"]
    new = session.refresh_token(meta["token_endpoint"], refresh_token=old)
    t.check(new.get("refresh_token") not in (None, old), f"{label}: refresh rotated the refresh token")
    if "id_token" in new:
        # A refreshed ID token answers no authorization request: no nonce to compare, but the
        # rest (and at_hash of the new access token) holds.
        again = validate_id_token(
            meta, keys, new["id_token"], c["client_id"], {"access_token": new["access_token"]}
        )
        t.check(again["sub"] == claims["sub"], f"{label}: the refreshed ID token validates")
    info = session.get(meta["userinfo_endpoint"], timeout=10).json()
    t.check(info.get("sub") == claims["sub"], f"{label}: the refreshed access token reads userinfo")
    try:
        session.refresh_token(meta["token_endpoint"], refresh_token=old)
        t.check(False, f"{label}: the old refresh token is refused", "accepted")
    except OAuthError as e:
        t.check(e.error == "invalid_grant", f"{label}: the old refresh token is refused", e.error)
    # Its reuse revoked the family: the rotated grant's access token no longer reads userinfo.
    r = session.get(meta["userinfo_endpoint"], timeout=10)
    t.check(
        r.status_code == 401 and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
        f"{label}: userinfo refuses the revoked access token",
        f"{r.status_code} {r.headers.get('WWW-Authenticate')}",
    )


def main(path):
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    t = Checks()
    for c in cfg["clients"]:
        try:
            run(cfg, c, t)
        except Exception as e:  # a library's refusal is a failure of ours, shown with its name
            t.check(False, f"{c['label']}: {type(e).__name__}", str(e))
    print(f"authlib: {t.passed} passed, {t.failed} failed")
    return 1 if t.failed or not t.passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
