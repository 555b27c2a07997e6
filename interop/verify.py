#!/usr/bin/env python3
"""Checks the Responses wecom-idp emitted with SAML libraries that are not ours.

Reads the directory written by the Rust test `interop::responses_verify_with_other_libraries`
(`cases.json`, our IdP metadata and certificate, each Response base64 as posted) and validates every
Response with:

- python3-saml (OneLogin) in strict mode, with wantAssertionsSigned, wantMessagesSigned and
  rejectDeprecatedAlgorithm, schema validation on;
- pysaml2, whose SP trusts our IdP metadata file and verifies with the xmlsec1 binary; solicited
  Responses must match the outstanding request ID, unsolicited ones need allow_unsolicited.

Encrypted cases (`"encrypted": true`) configure the SP with its encryption key (python3-saml
`wantAssertionsEncrypted`, pysaml2 `encryption_keypairs`): each library must find an
EncryptedAssertion, decrypt it and verify the Assertion's signature inside; their tampered copy has
a character of the ciphertext changed.

Each case must come back with the expected NameID and exactly the expected values of each expected
attribute (a name full of markup must stay ONE value equal to the original). Each Response with
its NameID altered after signing must be refused by both libraries.

Cloud preset cases (`"group": "presets"`, one per preset variant) configure the SP as that console:
its entity ID, ACS and NameID format; `wantMessagesSigned` only where the preset signs the Response
(the Assertion signature is always demanded); repeated Attribute elements allowed where the preset
sends one element per value; an AttributeStatement demanded where the preset releases attributes.
The expected NameID and attribute values are those of the variant's reviewed golden file, and the
NameID Format must be the preset's. Prints one line per
check and `interop: N passed, M failed`; exits non-zero on any failure.

Usage: verify.py DIR [--xmlsec1 PATH]
"""

import argparse
import base64
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import traceback
from urllib.parse import urlsplit


def load(dir_, name):
    with open(os.path.join(dir_, name), encoding="utf-8") as f:
        return f.read()


def check_values(lib, case, name_id, attributes):
    """Compares what a library read with the expected NameID and attributes; returns problems."""
    problems = []
    exp = case["expect"]
    if name_id != exp["name_id"]:
        problems.append(f"NameID {name_id!r} != {exp['name_id']!r}")
    for attr, values in exp["attributes"].items():
        got = attributes.get(attr)
        if got != values:
            problems.append(f"attribute {attr!r}: {got!r} != {values!r}")
    return problems


def name_id_format(case):
    return case.get("name_id_format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")


# ---- python3-saml (OneLogin) ----

def onelogin_check(dir_, index, case):
    from onelogin.saml2.response import OneLogin_Saml2_Response
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    cert = load(dir_, index["idp_cert_file"])
    sp_keys = {}
    if case.get("encrypted"):
        sp_keys = {
            "privateKey": load(dir_, index["sp_encryption_key_file"]),
            "x509cert": load(dir_, index["sp_encryption_cert_file"]),
        }
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": case["sp_entity_id"],
                "assertionConsumerService": {
                    "url": case["acs_url"],
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "NameIDFormat": name_id_format(case),
                **sp_keys,
            },
            "idp": {
                "entityId": index["idp_entity_id"],
                "singleSignOnService": {
                    "url": index["idp_entity_id"].replace("/saml/metadata", "/saml/sso"),
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "x509cert": cert,
            },
            "security": {
                "wantAssertionsSigned": True,
                "wantMessagesSigned": case.get("response_signed", True),
                "wantAssertionsEncrypted": bool(case.get("encrypted")),
                "rejectDeprecatedAlgorithm": True,
                "wantNameId": True,
                "wantXMLValidation": True,
                "wantAttributeStatement": bool(case["expect"]["attributes"]),
                "allowRepeatAttributeName": case.get("repeated_attributes", False),
                "rejectUnsolicitedResponsesWithInResponseTo": case["request_id"] is None,
                "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            },
        },
        sp_validation_only=True,
    )
    acs = urlsplit(case["acs_url"])
    request_data = {
        "https": "on" if acs.scheme == "https" else "off",
        "http_host": acs.hostname,
        "server_port": str(acs.port or (443 if acs.scheme == "https" else 80)),
        "script_name": acs.path,
        "get_data": {},
        "post_data": {"SAMLResponse": load(dir_, case["response_b64_file"])},
    }
    response = OneLogin_Saml2_Response(settings, request_data["post_data"]["SAMLResponse"])
    if case.get("encrypted") and not response.encrypted:
        return ["the Assertion is not encrypted"], None
    valid = response.is_valid(request_data, case["request_id"], raise_exceptions=False)
    error = response.get_error()
    if not valid:
        return [f"is_valid is False: {error}"], None
    name_id = response.get_nameid()
    attributes = response.get_attributes()
    problems = check_values("python3-saml", case, name_id, attributes)
    if response.get_nameid_format() != name_id_format(case):
        problems.append(f"NameID Format {response.get_nameid_format()!r} != {name_id_format(case)!r}")
    if case["request_id"] is not None and response.get_in_response_to() != case["request_id"]:
        problems.append(f"InResponseTo {response.get_in_response_to()!r} != {case['request_id']!r}")
    return problems, f"nameid={name_id!r} attributes={attributes!r}"


# ---- pysaml2 ----

def pysaml2_check(dir_, index, case, xmlsec1):
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

    sp_keys = {}
    if case.get("encrypted"):
        key = os.path.join(dir_, index["sp_encryption_key_file"])
        cert = os.path.join(dir_, index["sp_encryption_cert_file"])
        sp_keys = {
            "key_file": key,
            "cert_file": cert,
            "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
        }
    sp_config = SPConfig()
    sp_config.load(
        {
            **sp_keys,
            "entityid": case["sp_entity_id"],
            "xmlsec_binary": xmlsec1,
            "metadata": {"local": [os.path.join(dir_, index["idp_metadata_file"])]},
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(case["acs_url"], BINDING_HTTP_POST)],
                    },
                    "allow_unsolicited": case["request_id"] is None,
                    "want_response_signed": case.get("response_signed", True),
                    "want_assertions_signed": True,
                    "authn_requests_signed": False,
                    "name_id_format": [name_id_format(case)],
                },
            },
        }
    )
    client = Saml2Client(config=sp_config)
    outstanding = {case["request_id"]: "/"} if case["request_id"] else {}
    response = client.parse_authn_request_response(
        load(dir_, case["response_b64_file"]), BINDING_HTTP_POST, outstanding=outstanding
    )
    if response is None:
        return ["parse_authn_request_response returned None"], None
    name_id = response.name_id.text if response.name_id is not None else None
    attributes = response.ava
    if case.get("encrypted"):
        # pysaml2 replaces the EncryptedAssertion once it decrypted it: what it was given must have
        # had one, and no Assertion in clear.
        posted = base64.b64decode(load(dir_, case["response_b64_file"])).decode("utf-8")
        if "<saml:EncryptedAssertion" not in posted or "<saml:Assertion" in posted:
            return ["the Assertion is not encrypted"], None
    problems = check_values("pysaml2", case, name_id, attributes)
    if response.in_response_to != case["request_id"]:
        problems.append(f"in_response_to {response.in_response_to!r} != {case['request_id']!r}")
    if response.issuer() != index["idp_entity_id"]:
        problems.append(f"issuer {response.issuer()!r} != {index['idp_entity_id']!r}")
    return problems, f"nameid={name_id!r} attributes={attributes!r}"


def tampered(dir_, case):
    """The same case with the NameID changed after signing: every library must refuse it."""
    xml = load(dir_, case["response_xml_file"])
    if case.get("encrypted"):
        # The NameID is inside the ciphertext: alter the encrypted Assertion instead (one base64
        # character of the last CipherValue, the EncryptedData's).
        i = xml.rfind("<xenc:CipherValue>") + len("<xenc:CipherValue>") + 40
        xml = xml[:i] + ("B" if xml[i] == "A" else "A") + xml[i + 1:]
    else:
        m = re.search(r"(<(?:\w+:)?NameID\b[^>]*>)([^<]*)(<)", xml)
        if m is None:
            raise ValueError(f"{case['name']}: no NameID to tamper with")
        xml = xml[: m.end(2)] + "-evil" + xml[m.end(2):]
    t = dict(case)
    t["name"] = case["name"] + "-tampered"
    name = os.path.join(tempfile.mkdtemp(prefix="interop-"), "tampered.b64")
    with open(name, "w", encoding="utf-8") as f:
        f.write(base64.b64encode(xml.encode("utf-8")).decode("ascii"))
    t["response_b64_file"] = name  # an absolute path: os.path.join keeps it
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--xmlsec1", default=shutil.which("xmlsec1") or "/usr/bin/xmlsec1")
    args = ap.parse_args()
    # pysaml2 logs every refusal (the tampered cases) at length; our own lines say what happened.
    logging.basicConfig(level=logging.CRITICAL)
    index = json.loads(load(args.dir, "cases.json"))
    if not index["cases"]:
        print("interop: no cases in cases.json", file=sys.stderr)
        return 1

    passed = failed = 0
    for case in index["cases"]:
        for lib, run in (
            ("python3-saml", lambda c: onelogin_check(args.dir, index, c)),
            ("pysaml2", lambda c: pysaml2_check(args.dir, index, c, args.xmlsec1)),
        ):
            try:
                problems, seen = run(case)
            except Exception as e:  # a library refusing by exception is a failure too
                problems, seen = [f"{type(e).__name__}: {e}"], None
                traceback.print_exc()
            if problems:
                failed += 1
                print(f"FAIL {lib:12} {case['name']}: " + "; ".join(problems))
            else:
                passed += 1
                print(f"ok   {lib:12} {case['name']}: {seen}")
            # The same Response altered after signing must be refused.
            bad = tampered(args.dir, case)
            try:
                problems, _ = run(bad)
                refused = bool(problems)
                why = "; ".join(problems)
            except Exception as e:
                refused, why = True, f"{type(e).__name__}: {e}"
            if refused:
                passed += 1
                print(f"ok   {lib:12} {bad['name']}: refused ({why[:120]})")
            else:
                failed += 1
                print(f"FAIL {lib:12} {bad['name']}: a Response altered after signing was accepted")
    print(f"interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
