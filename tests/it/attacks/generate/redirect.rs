//! HTTP-Redirect cases: the query signature (algorithms, keys, tampering, parameter rules), the
//! positive controls, IsPassive, and decoding (base64, DEFLATE, bombs, URL and RelayState caps).

use super::*;

pub(super) fn redirect_cases(c: &mut Corpus, k: &Keys) {
    let key = Signing::Key(&k.corpus);
    let id = |n: &str| format!("_atk-redirect-{n}");
    let p = |n: &str| format!("redirect/{n}.txt");
    let signed = |r: &Req, rs: Option<&str>| {
        redirect_query(r.plain().as_bytes(), rs, Some((key, RSA_SHA256)), true)
    };

    let r = Req::new(&id("ok-signed"));
    c.add(
        &p("ok-signed"),
        "none: positive control, a valid signed Redirect request",
        "all (the corpus key and clock are right)",
        "login",
        signed(&r, Some("relay-1")),
    );
    let r = Req::new(&id("ok-signed-lowercase-escapes"));
    c.add(
        &p("ok-signed-lowercase-escapes"),
        "none: positive control, signed over lowercase percent-escapes as ADFS sends them",
        "redirect.raw_query_signature",
        "login",
        redirect_query(
            r.plain().as_bytes(),
            Some("a b/c"),
            Some((key, RSA_SHA256)),
            false,
        ),
    );
    let mut r = Req::new(&id("is-passive-without-session"));
    r.extra_attrs = " IsPassive=\"true\"".into();
    c.add(
        &p("is-passive-without-session"),
        "IsPassive from a browser without a session (must not log anyone in)",
        "flow.is_passive",
        "saml-error NoPassive",
        signed(&r, None),
    );

    let r = Req::new(&id("signature-stripped"));
    c.add(
        &p("signature-stripped"),
        "unsigned request to an app that requires signing",
        "request.require_signed",
        "html 400 signature_required",
        redirect_query(r.plain().as_bytes(), None, None, true),
    );
    for (name, attack, signing, alg, expect, defence) in [
        (
            "sigalg-rsa-sha1",
            "RSA-SHA1 query signature without the allow_sha1 opt-in",
            key,
            RSA_SHA1,
            "html 400 signature_sha1_refused",
            "sig.sha1_opt_in",
        ),
        (
            "sigalg-rsa-md5",
            "RSA-MD5 query signature",
            key,
            RSA_MD5,
            "html 400 signature_algorithm_refused",
            "sig.algorithm_allowlist",
        ),
        (
            "sigalg-dsa-sha1",
            "DSA-SHA1 named as SigAlg",
            key,
            DSA_SHA1,
            "html 400 signature_algorithm_refused",
            "sig.algorithm_allowlist",
        ),
        (
            "sigalg-unknown",
            "unknown SigAlg URI",
            key,
            UNKNOWN_ALG,
            "html 400 signature_algorithm_refused",
            "sig.algorithm_allowlist",
        ),
        (
            "foreign-key",
            "query signed by an attacker's key",
            Signing::Key(&k.attacker),
            RSA_SHA256,
            "html 400 signature_invalid",
            "sig.metadata_keys_only",
        ),
        (
            "another-sps-key",
            "query signed by another registered SP's key (Issuer is this SP)",
            Signing::Key(&k.other),
            RSA_SHA256,
            "html 400 signature_invalid",
            "sig.metadata_keys_only",
        ),
    ] {
        let r = Req::new(&id(name));
        c.add(
            &p(name),
            attack,
            defence,
            expect,
            redirect_query(r.plain().as_bytes(), None, Some((signing, alg)), true),
        );
    }
    let public = X509::from_pem(k.corpus_cert_pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    let r = Req::new(&id("sigalg-hmac-sha256"));
    c.add(
        &p("sigalg-hmac-sha256"),
        "HMAC-SHA256 keyed with the SP's public certificate",
        "sig.algorithm_allowlist",
        "html 400 signature_algorithm_refused",
        redirect_query(
            r.plain().as_bytes(),
            None,
            Some((Signing::Hmac(&public), HMAC_SHA256)),
            true,
        ),
    );

    let r = Req::new(&id("relay-state-tampered"));
    c.add(
        &p("relay-state-tampered"),
        "RelayState changed after signing",
        "redirect.raw_query_signature",
        "html 400 signature_invalid",
        signed(&r, Some("legit")).replace("RelayState=legit", "RelayState=evil"),
    );
    let r = Req::new(&id("relay-state-added"));
    let q = signed(&r, None);
    c.add(
        &p("relay-state-added"),
        "RelayState added to a query signed without one",
        "redirect.raw_query_signature",
        "html 400 signature_invalid",
        q.replacen("&SigAlg=", "&RelayState=evil&SigAlg=", 1),
    );
    let honest = signed(&Req::new(&id("request-swapped")), None);
    let mut evil = Req::evil(&id("request-swapped"));
    evil.acs = Acs::Index("1");
    let evil_q = redirect_query(evil.plain().as_bytes(), None, None, true);
    let sig_part = &honest[honest.find("&SigAlg=").unwrap()..];
    c.add(
        &p("request-swapped"),
        "another SAMLRequest under a captured signature",
        "redirect.raw_query_signature",
        "html 400 signature_invalid",
        format!("{evil_q}{sig_part}"),
    );
    let q = signed(&Req::new(&id("sigalg-swapped")), None);
    c.add(
        &p("sigalg-swapped"),
        "SigAlg changed from RSA-SHA256 to RSA-SHA512 after signing",
        "redirect.raw_query_signature",
        "html 400 signature_invalid",
        q.replace(&pct(RSA_SHA256, true), &pct(RSA_SHA512, true)),
    );
    let q = signed(&Req::new(&id("signature-without-sigalg")), None);
    let sigalg = &q[q.find("&SigAlg=").unwrap()..q.find("&Signature=").unwrap()];
    c.add(
        &p("signature-without-sigalg"),
        "Signature without SigAlg",
        "redirect.query_rules",
        "html 400 redirect_query_malformed",
        q.replace(sigalg, ""),
    );
    let q = signed(&Req::new(&id("duplicate-saml-request")), None);
    c.add(
        &p("duplicate-saml-request"),
        "SAMLRequest twice (which one is verified, which one read?)",
        "redirect.query_rules",
        "html 400 query_malformed",
        format!("{q}&SAMLRequest=AAAA"),
    );
    let q = signed(&Req::new(&id("encoded-parameter-name")), None);
    c.add(
        &p("encoded-parameter-name"),
        "SAMLRequest spelled SAML%52equest (a second spelling)",
        "redirect.query_rules",
        "html 400 query_malformed",
        format!("{q}&SAML%52equest=AAAA"),
    );
    c.add(
        &p("bad-percent-escape"),
        "a broken percent-escape in SAMLRequest",
        "redirect.query_rules",
        "html 400 query_malformed",
        "SAMLRequest=%G1%2",
    );
    let embedded = sign(
        &Req::new(&id("embedded-xml-signature")).template(),
        &Spec::new(&k.corpus),
    );
    c.add(
        &p("embedded-xml-signature"),
        "an XML signature inside a Redirect request (the binding signs the query)",
        "redirect.no_embedded_signature",
        "html 400 embedded_signature_in_redirect",
        redirect_query(embedded.as_bytes(), None, Some((key, RSA_SHA256)), true),
    );

    // Decoding and caps.
    c.add(
        &p("no-saml-request"),
        "a query with RelayState but no SAMLRequest",
        "sso.saml_request_required",
        "html 400 no_saml_request",
        "RelayState=abc",
    );
    c.add(
        &p("malformed-base64"),
        "SAMLRequest that is not base64",
        "decode.base64",
        "html 400 base64_invalid",
        "SAMLRequest=%21%21%21not%2Abase64",
    );
    c.add(
        &p("not-deflate"),
        "base64 of plain XML, not DEFLATE",
        "decode.inflate",
        "html 400 inflate_failed",
        format!(
            "SAMLRequest={}",
            pct(&b64(Req::new(&id("not-deflate")).plain().as_bytes()), true)
        ),
    );
    let mut truncated = deflate(Req::new(&id("deflate-truncated")).plain().as_bytes());
    truncated.truncate(truncated.len() / 2);
    c.add(
        &p("deflate-truncated"),
        "DEFLATE stream cut in half",
        "decode.inflate",
        "html 400 inflate_failed",
        format!("SAMLRequest={}", pct(&b64(&truncated), true)),
    );
    c.add(
        &p("deflate-bomb-8mib"),
        "DEFLATE bomb: 8 MiB of zeros in an 11 kB URL",
        "decode.inflate_cap (streamed)",
        "html 400 inflated_too_large",
        format!("SAMLRequest={}", pct(&b64(&deflated_zeros(8 << 20)), true)),
    );
    c.add(
        &p("deflate-bomb-20mib"),
        "DEFLATE bomb: 20 MiB of zeros, URL over the cap",
        "http.uri_cap",
        "html 414 uri_too_long",
        format!("SAMLRequest={}", pct(&b64(&deflated_zeros(20 << 20)), true)),
    );
    c.add(
        &p("url-17kib"),
        "a 17 KiB query string",
        "http.uri_cap",
        "html 414 uri_too_long",
        format!("SAMLRequest={}", "A".repeat(17 * 1024)),
    );
    let mut r = Req::new(&id("huge-attribute-over-inflate-cap"));
    r.extra_attrs = format!(" ProviderName=\"{}\"", "p".repeat(200_000));
    c.add(
        &p("huge-attribute-over-inflate-cap"),
        "a 200 kB attribute that deflates to a few hundred bytes",
        "decode.inflate_cap",
        "html 400 inflated_too_large",
        redirect_query(r.plain().as_bytes(), None, None, true),
    );
    let mut r = Req::new(&id("huge-id-100k"));
    r.id = Some(format!("_atk-redirect-huge-id-{}", "i".repeat(100_000)));
    c.add(
        &p("huge-id-100k"),
        "signed request with a 100 kB ID (inside the inflate cap)",
        "request.id_rules",
        "html 400 id_invalid",
        signed(&r, None),
    );
    c.add(
        &p("relay-state-81-bytes"),
        "RelayState of 81 bytes",
        "decode.relay_state_cap",
        "html 400 relay_state_invalid",
        signed(
            &Req::new(&id("relay-state-81-bytes")),
            Some(&"r".repeat(81)),
        ),
    );
    c.add(
        &p("relay-state-not-utf8"),
        "RelayState that is not UTF-8",
        "decode.relay_state_cap",
        "html 400 relay_state_invalid",
        format!(
            "{}&RelayState=%FF%FE",
            redirect_query(
                Req::new(&id("relay-state-not-utf8")).plain().as_bytes(),
                None,
                None,
                true
            )
        ),
    );
}

fn deflated_zeros(n: usize) -> Vec<u8> {
    let mut z = DeflateEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        z.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    z.finish().unwrap()
}
