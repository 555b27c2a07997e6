//! HTTP-POST enveloped-signature cases: References, transforms, c14n methods, keys, algorithms,
//! stripping and tampering, huge attributes; the raw-form cases (caps, base64); the positive
//! control.

use super::*;

pub(super) fn signature_cases(c: &mut Corpus, k: &Keys) {
    let key = &k.corpus;
    let r = |n: &str| Req::new(&format!("_atk-post-{n}"));
    let add =
        |c: &mut Corpus, name: &str, attack: &str, defence: &str, expect: &str, xml: String| {
            c.add(&format!("post/{name}.xml"), attack, defence, expect, xml);
        };
    let mut s = Spec::new(key);
    s.references = 2;
    add(
        c,
        "several-references",
        "two References to the root in SignedInfo",
        "enveloped.one_reference",
        "html 400 signature_structure_refused",
        sign(&r("several-references").template(), &s),
    );

    let mut req = r("reference-to-another-id");
    req.after_sig = "<samlp:Extensions><x:Signed xmlns:x=\"urn:example:x\" \
                     ID=\"_atk-post-reference-to-another-id-ext\">signed part</x:Signed>\
                     </samlp:Extensions>"
        .into();
    let mut s = Spec::new(key);
    s.reference_uri = Some("#_atk-post-reference-to-another-id-ext".into());
    add(
        c,
        "reference-to-another-id",
        "valid signature over another element (Reference to another ID), root unsigned",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        sign(&req.template(), &s),
    );

    let mut s = Spec::new(key);
    s.reference_uri = Some(String::new());
    add(
        c,
        "reference-empty-uri",
        "Reference URI empty (the whole document)",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        sign(&r("reference-empty-uri").template(), &s),
    );

    let mut s = Spec::new(key);
    s.reference_uri = Some("#xpointer(/)".into());
    add(
        c,
        "reference-xpointer",
        "Reference URI #xpointer(/)",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        sign(&r("reference-xpointer").template(), &s),
    );

    let mut req = r("root-without-id");
    req.id = None;
    let mut s = Spec::new(key);
    s.reference_uri = Some(String::new());
    add(
        c,
        "root-without-id",
        "signed root without an ID attribute (Reference URI empty)",
        "enveloped.root_id_unique",
        "html 400 signed_root_without_id",
        sign(&req.template(), &s),
    );

    let mut req = r("duplicate-ids");
    req.after_sig = "<samlp:Extensions><x:Ext xmlns:x=\"urn:example:x\" \
                     ID=\"_atk-post-duplicate-ids\"/></samlp:Extensions>"
        .into();
    add(
        c,
        "duplicate-ids",
        "validly signed request in which a second element carries the root's ID",
        "enveloped.root_id_unique",
        "html 400 duplicate_id",
        sign(&req.template(), &Spec::new(key)),
    );

    let xpath = format!(
        "<ds:Transform Algorithm=\"{XPATH}\">\
         <ds:XPath>not(ancestor-or-self::samlp:Extensions)</ds:XPath></ds:Transform>"
    );
    let xslt = format!(
        "<ds:Transform Algorithm=\"{XSLT}\"><xsl:stylesheet \
         xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" version=\"1.0\"/></ds:Transform>"
    );
    let transform_cases = [
        (
            "transforms-extra-xpath",
            "an XPath transform after enveloped + exc-c14n",
            vec![tf(ENVELOPED), tf(EXC_C14N), xpath],
        ),
        (
            "transforms-xslt",
            "an XSLT transform (code execution in some verifiers)",
            vec![tf(ENVELOPED), xslt],
        ),
        (
            "transforms-missing-enveloped",
            "only exc-c14n, no enveloped-signature transform",
            vec![tf(EXC_C14N)],
        ),
        (
            "transforms-missing-c14n",
            "only enveloped-signature, no exc-c14n transform",
            vec![tf(ENVELOPED)],
        ),
        ("transforms-empty", "an empty Transforms element", vec![]),
        (
            "transforms-reversed",
            "exc-c14n before enveloped-signature",
            vec![tf(EXC_C14N), tf(ENVELOPED)],
        ),
        (
            "transforms-inclusive-c14n",
            "inclusive c14n instead of exclusive",
            vec![tf(ENVELOPED), tf(C14N)],
        ),
        (
            "transforms-enveloped-twice",
            "enveloped-signature twice + exc-c14n",
            vec![tf(ENVELOPED), tf(ENVELOPED), tf(EXC_C14N)],
        ),
    ];
    for (name, attack, transforms) in transform_cases {
        let mut s = Spec::new(key);
        s.transforms = Some(transforms);
        add(
            c,
            name,
            attack,
            "enveloped.transforms",
            "html 400 signature_structure_refused",
            sign(&r(name).template(), &s),
        );
    }
    let mut s = Spec::new(key);
    s.transforms = None;
    add(
        c,
        "transforms-absent",
        "Reference without a Transforms element",
        "enveloped.reference_children",
        "html 400 signature_structure_refused",
        sign(&r("transforms-absent").template(), &s),
    );
    for (name, attack, alg) in [
        (
            "c14n-with-comments",
            "SignedInfo canonicalized WithComments",
            EXC_C14N_COMMENTS,
        ),
        (
            "c14n-inclusive",
            "SignedInfo canonicalized with inclusive c14n",
            C14N,
        ),
    ] {
        let mut s = Spec::new(key);
        s.c14n_alg = alg;
        add(
            c,
            name,
            attack,
            "enveloped.c14n_method",
            "html 400 signature_structure_refused",
            sign(&r(name).template(), &s),
        );
    }

    let mut s = Spec::new(&k.attacker);
    s.key_info = Some(&k.attacker_cert_pem);
    add(
        c,
        "keyinfo-foreign-certificate",
        "signed by an attacker's key whose certificate is in KeyInfo",
        "sig.metadata_keys_only",
        "html 400 signature_invalid",
        sign(&r("keyinfo-foreign-certificate").template(), &s),
    );
    let mut s = Spec::new(&k.other);
    s.key_info = Some(&k.other_cert_pem);
    add(
        c,
        "another-sps-key",
        "valid signature by another registered SP's key (Issuer is this SP)",
        "sig.metadata_keys_only",
        "html 400 signature_invalid",
        sign(&r("another-sps-key").template(), &s),
    );
    let mut s = Spec::new(key);
    s.key_info = Some(&k.attacker_cert_pem);
    add(
        c,
        "keyinfo-lies",
        "signed by the SP's key but KeyInfo names the attacker's certificate",
        "sig.metadata_keys_only (KeyInfo ignored)",
        "login",
        sign(&r("keyinfo-lies").template(), &s),
    );

    for (name, attack, sig_alg, digest_alg, expect) in [
        (
            "sigalg-rsa-sha1",
            "RSA-SHA1 signature and SHA-1 digest (no allow_sha1 opt-in)",
            RSA_SHA1,
            SHA1,
            "html 400 signature_sha1_refused",
        ),
        (
            "digest-sha1",
            "RSA-SHA256 signature over a SHA-1 digest",
            RSA_SHA256,
            SHA1,
            "html 400 signature_sha1_refused",
        ),
        (
            "sigalg-rsa-md5",
            "RSA-MD5 signature",
            RSA_MD5,
            SHA256,
            "html 400 signature_algorithm_refused",
        ),
        (
            "digest-md5",
            "RSA-SHA256 signature over an MD5 digest",
            RSA_SHA256,
            MD5,
            "html 400 signature_algorithm_refused",
        ),
        (
            "sigalg-dsa-sha1",
            "DSA-SHA1 named as the algorithm",
            DSA_SHA1,
            SHA256,
            "html 400 signature_algorithm_refused",
        ),
        (
            "sigalg-unknown",
            "an unknown signature algorithm URI",
            UNKNOWN_ALG,
            SHA256,
            "html 400 signature_algorithm_refused",
        ),
    ] {
        let mut s = Spec::new(key);
        s.sig_alg = sig_alg;
        s.digest_alg = digest_alg;
        let defence = if expect.contains("sha1") {
            "sig.sha1_opt_in"
        } else {
            "sig.algorithm_allowlist"
        };
        add(
            c,
            name,
            attack,
            defence,
            expect,
            sign(&r(name).template(), &s),
        );
    }
    // Algorithm confusion: HMAC keyed with the SP's public certificate, which anyone can read.
    let public = X509::from_pem(k.corpus_cert_pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    for (name, attack, alg) in [
        (
            "sigalg-hmac-sha1",
            "HMAC-SHA1 keyed with the SP's public certificate",
            HMAC_SHA1,
        ),
        (
            "sigalg-hmac-sha256",
            "HMAC-SHA256 keyed with the SP's public certificate",
            HMAC_SHA256,
        ),
    ] {
        let mut s = Spec::new(key);
        s.signing = Signing::Hmac(&public);
        s.sig_alg = alg;
        add(
            c,
            name,
            attack,
            "sig.algorithm_allowlist",
            "html 400 signature_algorithm_refused",
            sign(&r(name).template(), &s),
        );
    }

    let signed = sign(&r("signature-stripped").template(), &Spec::new(key));
    add(
        c,
        "signature-stripped",
        "the Signature removed from a request of an app that requires signing",
        "request.require_signed",
        "html 400 signature_required",
        without_sig(&signed),
    );
    let signed = sign(&r("tampered-acs").template(), &Spec::new(key));
    add(
        c,
        "tampered-acs",
        "signed request whose ACS URL was changed to another listed ACS after signing",
        "enveloped.digest",
        "html 400 digest_mismatch",
        signed.replace(&acs_url(APP), &format!("{}2", acs_url(APP))),
    );
    // The attacker recomputes the digest of the edited content: SignedInfo no longer matches its
    // SignatureValue.
    let mut edited = r("tampered-with-new-digest");
    edited.acs = Acs::Url(format!("{}2", acs_url(APP)), POST_BINDING);
    let honest = sign(&r("tampered-with-new-digest").template(), &Spec::new(key));
    let forged = sign(&edited.template(), &Spec::new(&k.attacker));
    let value = |s: &str| {
        let a = s.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let b = s.find("</ds:SignatureValue>").unwrap();
        s[a..b].to_string()
    };
    add(
        c,
        "tampered-with-new-digest",
        "edited ACS with a recomputed DigestValue, the SP's old SignatureValue",
        "sig.signature_value",
        "html 400 signature_invalid",
        forged.replace(&value(&forged), &value(&honest)),
    );
    let mut s = Spec::new(key);
    s.signature_value = Some("not*base64!".into());
    add(
        c,
        "signature-value-not-base64",
        "SignatureValue that is not base64",
        "enveloped.base64",
        "html 400 signature_base64_invalid",
        sign(&r("signature-value-not-base64").template(), &s),
    );

    // Huge attributes, still inside the caps: each is refused by the rule it breaks.
    let mut req = r("huge-acs-url");
    req.acs = Acs::Url(
        format!("https://evil.example/{}", "a".repeat(40_000)),
        POST_BINDING,
    );
    add(
        c,
        "huge-acs-url",
        "signed request with a 40 kB AssertionConsumerServiceURL",
        "sso.acs_from_metadata",
        "html 400 acs_not_in_metadata",
        sign(&req.template(), &Spec::new(key)),
    );
    let mut req = r("huge-id");
    req.id = Some(format!("_atk-post-huge-id-{}", "i".repeat(20_000)));
    add(
        c,
        "huge-id",
        "signed request with a 20 kB ID",
        "request.id_rules",
        "html 400 id_invalid",
        sign(&req.template(), &Spec::new(key)),
    );
    let mut req = r("huge-attribute-unsigned");
    req.extra_attrs = format!(" ProviderName=\"{}\"", "p".repeat(40_000));
    add(
        c,
        "huge-attribute-unsigned",
        "unsigned request with a 40 kB ProviderName",
        "request.require_signed",
        "html 400 signature_required",
        req.plain(),
    );
}

pub(super) fn post_form_cases(c: &mut Corpus, k: &Keys) {
    let signed = sign(
        &Req::new("_atk-post-relay-state-81").template(),
        &Spec::new(&k.corpus),
    );
    c.add(
        "post/relay-state-81-bytes.form",
        "RelayState of 81 bytes (SAML Bindings 3.4.3 allows 80)",
        "decode.relay_state_cap",
        "html 400 relay_state_invalid",
        format!(
            "SAMLRequest={}&RelayState={}",
            pct(&b64(signed.as_bytes()), true),
            "r".repeat(81)
        ),
    );
    c.add(
        "post/malformed-base64.form",
        "SAMLRequest that is not base64",
        "decode.base64",
        "html 400 base64_invalid",
        "SAMLRequest=%21%21%21not%2Abase64%3D%3D%3D",
    );
    c.add(
        "post/deflated-in-post.form",
        "a DEFLATE-compressed request in the POST binding (not XML after base64)",
        "xml.strict_parser",
        "html 400 xml_refused",
        format!(
            "SAMLRequest={}",
            pct(
                &b64(&deflate(Req::new("_atk-post-deflated").plain().as_bytes())),
                true
            )
        ),
    );
    c.add(
        "post/no-saml-request.form",
        "a POST with RelayState but no SAMLRequest",
        "sso.saml_request_required",
        "html 400 no_saml_request",
        "RelayState=abc",
    );
    let mut req = Req::new("_atk-post-over-encoded-cap");
    req.extra_attrs = format!(" ProviderName=\"{}\"", "p".repeat(60_000));
    c.add(
        "post/over-encoded-cap.form",
        "a 60 kB attribute: SAMLRequest over the 64 KiB encoded cap",
        "decode.encoded_cap",
        "html 400 request_too_large",
        format!("SAMLRequest={}", pct(&b64(req.plain().as_bytes()), true)),
    );
    c.add(
        "post/oversized-body.form",
        "a 300 KiB POST body",
        "http.body_cap",
        "html 413 request_too_large",
        format!("SAMLRequest={}", "A".repeat(300 * 1024)),
    );
}

pub(super) fn post_positive(c: &mut Corpus, k: &Keys) {
    c.add(
        "post/ok-signed.xml",
        "none: positive control, a valid signed POST request",
        "all (the corpus key and clock are right)",
        "login",
        sign(
            &Req::new("_atk-post-ok-signed").template(),
            &Spec::new(&k.corpus),
        ),
    );
}
