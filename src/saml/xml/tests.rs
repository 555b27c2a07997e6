//! Tests of the escaping writer: c14n escaping and ordering, namespaces, misuse, slots.

use super::*;

fn s(el: &Element) -> &str {
    std::str::from_utf8(el.as_bytes()).unwrap()
}

#[test]
fn sorts_declarations_and_attributes_in_c14n_order() {
    let mut w = Writer::new();
    w.start("p", "root", "urn:p")
        .attr("Z", "1")
        .attr_ns("b", "x", "urn:b", "2")
        .attr("A", "3")
        .attr_ns("a", "y", "urn:z", "4")
        .attr_ns("a", "a", "urn:z", "5")
        .end();
    let el = w.finish().unwrap();
    assert_eq!(
        s(&el),
        r#"<p:root xmlns:a="urn:z" xmlns:b="urn:b" xmlns:p="urn:p" A="3" Z="1" b:x="2" a:a="5" a:y="4"></p:root>"#
    );
}

#[test]
fn declares_only_where_visibly_utilized_and_not_in_scope() {
    let mut w = Writer::new();
    w.start("a", "r", "urn:a")
        .start("b", "c", "urn:b")
        .leaf("b", "d", "urn:b", "x")
        .end()
        .start("b", "c", "urn:b")
        .end()
        .leaf("a", "e", "urn:a", "")
        .leaf("a", "f", "urn:other", "")
        .end();
    let el = w.finish().unwrap();
    assert_eq!(
        s(&el),
        concat!(
            r#"<a:r xmlns:a="urn:a"><b:c xmlns:b="urn:b"><b:d>x</b:d></b:c>"#,
            r#"<b:c xmlns:b="urn:b"></b:c><a:e></a:e><a:f xmlns:a="urn:other"></a:f></a:r>"#
        )
    );
}

#[test]
fn escapes_like_c14n_and_drops_non_xml_chars() {
    let mut w = Writer::new();
    w.start("p", "r", "urn:p")
        .attr("v", "a&b<c>d\"e'f\tg\nh\ri\u{0}j\u{1b}k\u{FFFE}l𠀀😀")
        .text("a&b<c>d\"e'f\tg\nh\ri\u{0}j\u{7}k\u{FFFF}l]]><!--𠀀")
        .end();
    assert_eq!(
        s(&w.finish().unwrap()),
        "<p:r xmlns:p=\"urn:p\" v=\"a&amp;b&lt;c>d&quot;e'f&#x9;g&#xA;h&#xD;ijkl𠀀😀\">\
         a&amp;b&lt;c&gt;d\"e'f\tg\nh&#xD;ijkl]]&gt;&lt;!--𠀀</p:r>"
    );
    assert_eq!(xml_safe("a\u{0}b\u{FFFF}c\td"), "abc\td");
}

/// The run-copying escape gives, for every string, what escaping one character at a time gives:
/// checked over every sequence of up to three characters from a set that has each case (kept ASCII,
/// escaped, dropped, multi-byte kept, multi-byte dropped) at the start, middle and end.
#[test]
fn run_copying_escape_matches_one_character_at_a_time() {
    fn reference(s: &str, attr: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for c in s.chars() {
            let r: Option<&str> = match (c, attr) {
                ('&', _) => Some("&amp;"),
                ('<', _) => Some("&lt;"),
                ('>', false) => Some("&gt;"),
                ('"', true) => Some("&quot;"),
                ('\t', true) => Some("&#x9;"),
                ('\n', true) => Some("&#xA;"),
                ('\r', _) => Some("&#xD;"),
                _ => None,
            };
            match r {
                Some(r) => out.extend_from_slice(r.as_bytes()),
                None if is_xml_char(c) => out.extend_from_slice(c.to_string().as_bytes()),
                None => {}
            }
        }
        out
    }
    let set = [
        'a', '&', '<', '>', '"', '\t', '\n', '\r', '\u{0}', '\u{1f}', 'é', '中', '\u{FFFE}',
        '\u{FFFF}', '😀',
    ];
    let mut strings = vec![String::new()];
    for a in set {
        strings.push(a.to_string());
        for b in set {
            strings.push([a, b].iter().collect());
            for c in set {
                strings.push([a, b, c].iter().collect());
            }
        }
    }
    for s in &strings {
        let (mut text, mut attr) = (Vec::new(), Vec::new());
        escape_text(&mut text, s);
        escape_attr(&mut attr, s);
        assert_eq!(text, reference(s, false), "text {s:?}");
        assert_eq!(attr, reference(s, true), "attribute {s:?}");
    }
}

#[test]
fn misuse_is_latched_and_reported() {
    let mut w = Writer::new();
    w.start("p", "r", "urn:p").text("x").attr("late", "1").end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "urn:p")
        .attr("a", "1")
        .attr("a", "2")
        .end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("", "r", "urn:p").end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("xmlns", "r", "urn:p").end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "urn:p")
        .attr_ns("xml", "lang", "urn:x", "en")
        .end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "urn:p")
        .attr_ns("p", "a", "urn:q", "1")
        .end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "urn:p");
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "urn:p")
        .end()
        .start("p", "r2", "urn:p")
        .end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "a b", "urn:p").end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.start("p", "r", "").end();
    assert!(w.finish().is_err());

    let mut w = Writer::new();
    w.text("x");
    assert!(w.finish().is_err());

    assert!(Writer::new().finish().is_err());
}

#[test]
fn embed_refuses_redundant_declarations() {
    let mut inner = Writer::new();
    inner.leaf("a", "x", "urn:a", "1");
    let inner = inner.finish().unwrap();

    let mut ok = Writer::new();
    ok.start("b", "r", "urn:b").embed(&inner).end();
    assert_eq!(
        s(&ok.finish().unwrap()),
        r#"<b:r xmlns:b="urn:b"><a:x xmlns:a="urn:a">1</a:x></b:r>"#
    );

    let mut bad = Writer::new();
    bad.start("a", "r", "urn:a").embed(&inner).end();
    assert!(bad.finish().is_err());

    let mut slotted = Writer::new();
    slotted.start("a", "x", "urn:a").signature_slot().end();
    let slotted = slotted.finish().unwrap();
    let mut bad = Writer::new();
    bad.start("b", "r", "urn:b").embed(&slotted).end();
    assert!(bad.finish().is_err());
}

#[test]
fn slot_splices_and_records_root_id() {
    let mut w = Writer::new();
    w.start("a", "r", "urn:a")
        .attr("ID", "_1")
        .leaf("a", "i", "urn:a", "iss")
        .signature_slot()
        .leaf("a", "j", "urn:a", "")
        .end();
    let el = w.finish().unwrap();
    assert_eq!(el.root_id(), Some("_1"));
    assert!(el.has_open_slot());

    let mut sig = Writer::new();
    sig.leaf("d", "S", "urn:d", "v");
    let filled = el.clone().fill_slot(sig.finish().unwrap()).unwrap();
    assert!(!filled.has_open_slot());
    assert_eq!(
        s(&filled),
        r#"<a:r xmlns:a="urn:a" ID="_1"><a:i>iss</a:i><d:S xmlns:d="urn:d">v</d:S><a:j></a:j></a:r>"#
    );

    let mut dup = Writer::new();
    dup.leaf("a", "S", "urn:a", "v");
    assert!(el.fill_slot(dup.finish().unwrap()).is_err());

    let mut two = Writer::new();
    two.start("a", "r", "urn:a")
        .signature_slot()
        .signature_slot()
        .end();
    assert!(two.finish().is_err());
}
