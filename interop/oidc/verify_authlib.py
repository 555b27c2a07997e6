"""Checks our JWK Set and the tokens the Rust test `oidc_keys::interop_jwks_tokens` signed across a
key rollover with Python's authlib: the set imports, every token expected valid verifies (kid -> key,
RS256 or ES256, issuer and audience), every token expected refused (tampered, or of a retired key)
is refused.

Usage: python verify_authlib.py DIR   (DIR holds jwks.json and tokens.json)
"""

import json
import sys

from authlib.jose import JsonWebKey, JsonWebToken


def main(d):
    with open(f"{d}/jwks.json", encoding="utf-8") as f:
        jwks = json.load(f)
    with open(f"{d}/tokens.json", encoding="utf-8") as f:
        doc = json.load(f)
    keyset = JsonWebKey.import_key_set(jwks)
    jwt = JsonWebToken(["RS256", "ES256"])
    options = {
        "iss": {"essential": True, "value": doc["issuer"]},
        "aud": {"essential": True, "value": doc["audience"]},
    }
    passed = failed = 0
    for c in doc["cases"]:
        try:
            jwt.decode(c["token"], keyset, claims_options=options).validate()
            outcome = "valid"
        except Exception as e:  # every refusal counts as refused; the name says which
            outcome = f"refused ({type(e).__name__})"
        if (outcome == "valid") == c["valid"]:
            passed += 1
        else:
            failed += 1
            print(f"authlib: FAIL {c['name']}: expected {'valid' if c['valid'] else 'refused'}, got {outcome}")
    print(f"authlib: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
