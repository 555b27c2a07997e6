//! Exclusive XML Canonicalization 1.0, without comments (<https://www.w3.org/TR/xml-exc-c14n/>),
//! of one element subtree of a [`Document`], optionally minus one excluded subtree (the enveloped
//! `ds:Signature`). This is what inbound signatures are checked over.
//!
//! The document subset is always "the apex and its descendants, minus the excluded subtree", so
//! every output element other than the apex has its parent in the output; the namespace
//! declarations rendered so far are therefore a stack along the path from the apex.

use std::fmt;

use super::dom::{self, Document, ElementId, Node};

/// Deeper than this is refused (the parser's default cap is 32).
const MAX_DEPTH: usize = 256;

/// Why canonicalization failed; any failure is fatal to signature verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum C14nError {
    /// An `InclusiveNamespaces` prefix is not an NCName or `#default`.
    BadInclusivePrefix(String),
    /// The apex is the excluded element.
    ApexExcluded,
    /// Nesting deeper than the canonicalizer accepts.
    TooDeep,
}

impl fmt::Display for C14nError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            C14nError::BadInclusivePrefix(p) => write!(f, "bad InclusiveNamespaces prefix {p:?}"),
            C14nError::ApexExcluded => write!(f, "the canonicalized element is excluded"),
            C14nError::TooDeep => write!(f, "nesting too deep to canonicalize"),
        }
    }
}

impl std::error::Error for C14nError {}

/// Canonical bytes of `apex` and its descendants, minus the subtree of `exclude`.
///
/// `inclusive_prefixes` is the `InclusiveNamespaces PrefixList` (`#default` = default namespace):
/// those namespaces are rendered as Canonical XML would (whenever in scope and not already
/// rendered by an output ancestor), the others only where visibly utilized.
pub fn exc_c14n(
    doc: &Document,
    apex: ElementId,
    exclude: Option<ElementId>,
    inclusive_prefixes: &[String],
) -> Result<Vec<u8>, C14nError> {
    if exclude == Some(apex) {
        return Err(C14nError::ApexExcluded);
    }
    let mut inclusive: Vec<Option<&str>> = Vec::new();
    for p in inclusive_prefixes {
        if p == "#default" {
            inclusive.push(None);
        } else if super::names::is_ncname(p) {
            inclusive.push(Some(p.as_str()));
        } else {
            return Err(C14nError::BadInclusivePrefix(p.clone()));
        }
    }
    let mut c = Canonicalizer {
        doc,
        exclude,
        inclusive,
        // The default namespace starts as "rendered empty": xmlns="" is output only to undo a
        // non-empty default rendered by an output ancestor.
        rendered: vec![(None, String::new())],
        out: Vec::new(),
    };
    c.element(apex, 0)?;
    Ok(c.out)
}

struct Canonicalizer<'a> {
    doc: &'a Document,
    exclude: Option<ElementId>,
    inclusive: Vec<Option<&'a str>>,
    /// Namespace declarations rendered by output ancestors, innermost last.
    rendered: Vec<(Option<String>, String)>,
    out: Vec<u8>,
}

impl<'a> Canonicalizer<'a> {
    fn rendered_value(&self, prefix: Option<&str>) -> Option<&str> {
        self.rendered
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, u)| u.as_str())
    }

    fn element(&mut self, id: ElementId, depth: usize) -> Result<(), C14nError> {
        if depth > MAX_DEPTH {
            return Err(C14nError::TooDeep);
        }
        let doc = self.doc;
        let el = doc.element(id);

        // Visibly utilized: the element's own prefix (default when none) and the prefixes of its
        // attributes (unprefixed attributes use no namespace); plus the inclusive list.
        let mut wanted: Vec<Option<&str>> = vec![el.prefix.as_deref()];
        wanted.extend(
            el.attributes
                .iter()
                .filter_map(|a| a.prefix.as_deref().map(Some)),
        );
        wanted.extend(self.inclusive.iter().copied());
        wanted.sort_unstable();
        wanted.dedup();

        let mut decls: Vec<(Option<&str>, &str)> = Vec::new();
        for prefix in wanted {
            if prefix == Some("xml") {
                continue; // never rendered
            }
            let uri = doc.lookup_namespace(id, prefix).unwrap_or("");
            if prefix.is_some() && uri.is_empty() {
                continue; // an inclusive prefix not in scope here
            }
            if self.rendered_value(prefix) != Some(uri) {
                decls.push((prefix, uri));
            }
        }
        // Option's order puts None (default namespace) first, then prefixes lexicographically.
        decls.sort_unstable();

        let mut attrs: Vec<&dom::Attribute> = el.attributes.iter().collect();
        attrs.sort_by(|a, b| {
            (a.ns.as_deref().unwrap_or(""), a.local.as_str())
                .cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
        });

        self.out.push(b'<');
        write_qname(&mut self.out, el.prefix.as_deref(), &el.local);
        for (prefix, uri) in &decls {
            self.out.extend_from_slice(b" xmlns");
            if let Some(p) = prefix {
                self.out.push(b':');
                self.out.extend_from_slice(p.as_bytes());
            }
            self.out.extend_from_slice(b"=\"");
            escape_attr(&mut self.out, uri);
            self.out.push(b'"');
        }
        for a in attrs {
            self.out.push(b' ');
            write_qname(&mut self.out, a.prefix.as_deref(), &a.local);
            self.out.extend_from_slice(b"=\"");
            escape_attr(&mut self.out, &a.value);
            self.out.push(b'"');
        }
        self.out.push(b'>');

        let mark = self.rendered.len();
        self.rendered.extend(
            decls
                .iter()
                .map(|(p, u)| (p.map(str::to_string), u.to_string())),
        );
        for child in &el.children {
            match child {
                Node::Text(t) => escape_text(&mut self.out, t),
                Node::Element(c) if Some(*c) == self.exclude => {}
                Node::Element(c) => self.element(*c, depth + 1)?,
            }
        }
        self.rendered.truncate(mark);

        self.out.extend_from_slice(b"</");
        write_qname(&mut self.out, el.prefix.as_deref(), &el.local);
        self.out.push(b'>');
        Ok(())
    }
}

fn write_qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

fn escape_text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}

fn escape_attr(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::dom::{parse, Limits};

    fn c14n_root(xml: &str, prefixes: &[&str]) -> String {
        let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
        let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
        String::from_utf8(exc_c14n(&d, d.root(), None, &p).unwrap()).unwrap()
    }

    /// Canonicalizes the first descendant named `local`.
    fn c14n_sub(xml: &str, local: &str, prefixes: &[&str]) -> String {
        let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
        let id = d
            .descendants(d.root())
            .find(|i| d.element(*i).local == local)
            .unwrap();
        let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
        String::from_utf8(exc_c14n(&d, id, None, &p).unwrap()).unwrap()
    }

    #[test]
    fn empty_elements_attribute_order_and_escaping() {
        assert_eq!(
            c14n_root(
                "<?xml version='1.0'?>\n<a z='1' b=\"x&quot;&lt;&gt;&#9;&#10;&#13;\" ><e/><f>&lt;&gt;&amp;&#13;\"'</f></a>",
                &[]
            ),
            "<a b=\"x&quot;&lt;>&#x9;&#xA;&#xD;\" z=\"1\"><e></e><f>&lt;&gt;&amp;&#xD;\"'</f></a>"
        );
    }

    #[test]
    fn namespaces_rendered_where_visibly_utilized() {
        let xml = r#"<n0:root xmlns:n0="urn:0" xmlns:n1="urn:1" xmlns:unused="urn:u"><n1:a n0:x="1" b="2"><c xmlns="urn:d"><d/></c></n1:a></n0:root>"#;
        assert_eq!(
            c14n_root(xml, &[]),
            r#"<n0:root xmlns:n0="urn:0"><n1:a xmlns:n1="urn:1" b="2" n0:x="1"><c xmlns="urn:d"><d></d></c></n1:a></n0:root>"#
        );
        // Subtree: ancestors' declarations are pulled in where used.
        assert_eq!(
            c14n_sub(xml, "a", &[]),
            r#"<n1:a xmlns:n0="urn:0" xmlns:n1="urn:1" b="2" n0:x="1"><c xmlns="urn:d"><d></d></c></n1:a>"#
        );
    }

    #[test]
    fn default_namespace_undeclared_only_when_needed() {
        let xml = r#"<a xmlns="urn:a"><b xmlns=""><c/></b></a>"#;
        assert_eq!(
            c14n_root(xml, &[]),
            r#"<a xmlns="urn:a"><b xmlns=""><c></c></b></a>"#
        );
        assert_eq!(c14n_sub(xml, "b", &[]), "<b><c></c></b>");
    }

    #[test]
    fn inclusive_prefix_list() {
        let xml = r#"<r xmlns="urn:r" xmlns:p="urn:p" xmlns:q="urn:q"><s:x xmlns:s="urn:s"><y/></s:x></r>"#;
        assert_eq!(
            c14n_sub(xml, "x", &["p", "#default", "nope"]),
            r#"<s:x xmlns="urn:r" xmlns:p="urn:p" xmlns:s="urn:s"><y></y></s:x>"#
        );
        let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            exc_c14n(&d, d.root(), None, &["a b".to_string()]).unwrap_err(),
            C14nError::BadInclusivePrefix("a b".into())
        );
    }

    #[test]
    fn xml_attributes_sorted_and_xml_prefix_never_declared() {
        assert_eq!(
            c14n_root(r#"<a xmlns:b="urn:b" xml:lang="en" b:z="1" c="2"/>"#, &[]),
            r#"<a xmlns:b="urn:b" c="2" xml:lang="en" b:z="1"></a>"#
        );
    }

    #[test]
    fn inclusive_prefixes_pull_inherited_namespaces_onto_signed_info() {
        // The xmlsec1-signed fixture whose SignatureValue only verifies with this rendering.
        let xml = include_bytes!("../../tests/fixtures/inbound/xmlsec1-signed-inclusive-ns.xml");
        let d = parse(xml, &Limits::default()).unwrap();
        let si = d
            .descendants(d.root())
            .find(|i| d.element(*i).local == "SignedInfo")
            .unwrap();
        let with = exc_c14n(
            &d,
            si,
            None,
            &["#default".into(), "samlp".into(), "unused".into()],
        )
        .unwrap();
        assert!(String::from_utf8(with).unwrap().starts_with(
            "<ds:SignedInfo xmlns=\"urn:root-default\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:unused=\"urn:unused\">"
        ));
        let without = exc_c14n(&d, si, None, &[]).unwrap();
        assert!(String::from_utf8(without)
            .unwrap()
            .starts_with("<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"));
    }

    #[test]
    fn excluded_subtree_is_removed_and_comments_dropped() {
        let xml = "<a ID='1'>x<!-- c --><ds:Signature xmlns:ds='urn:ds'><ds:V>s</ds:V></ds:Signature>y</a>";
        let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
        let sig = d.child_elements(d.root()).next().unwrap();
        let out = exc_c14n(&d, d.root(), Some(sig), &[]).unwrap();
        assert_eq!(out, b"<a ID=\"1\">xy</a>");
        assert_eq!(
            exc_c14n(&d, sig, Some(sig), &[]).unwrap_err(),
            C14nError::ApexExcluded
        );
    }
}
