//! The escaping XML writer through which everything we emit goes.
//!
//! Its output is **already in Exclusive XML Canonicalization 1.0 form** (without comments), so a
//! signature can digest our own bytes without re-parsing them:
//! - no XML declaration, no comments, no processing instructions, no self-closing tags
//!   (`<a></a>`), no whitespace inside tags other than one space before each attribute;
//! - an element declares a namespace prefix only where that prefix is *visibly utilized* (by the
//!   element's own name or one of its attributes) and not already declared with the same URI by an
//!   ancestor element — exactly the declarations exc-c14n renders;
//! - namespace declarations come first, sorted by prefix, then attributes sorted by
//!   (namespace URI, local name), unqualified attributes first. The writer sorts them itself;
//! - text is escaped as c14n does: `&` `<` `>` and `\r`; attribute values as c14n does: `&` `<` `"`
//!   `\t` `\n` `\r`.
//!
//! Characters that XML 1.0 does not allow at all (C0 controls other than `\t` `\n` `\r`, U+FFFE,
//! U+FFFF) are **dropped** from text and attribute values: they cannot be written even escaped, and
//! values coming from WeCom must not be able to break the document. Lone surrogates cannot occur in
//! a Rust `str`.
//!
//! To keep callers from producing non-canonical output, the writer accepts only prefixed element
//! names (no default namespace), ASCII NCNames, no `xml…`/`xmlns` prefixes, and one root element.
//! Misuse is latched: the first error is kept, every later call is a no-op, and [`Writer::finish`]
//! reports it, so no bytes are ever returned from a misused writer.
//!
//! A finished tree is an [`Element`]. It can be embedded as a child of another writer
//! ([`Writer::embed`]) — refused if that would leave a redundant namespace declaration in the
//! bigger document — and it can carry one *signature slot* ([`Writer::signature_slot`]): the byte
//! position where an enveloped `ds:Signature` is spliced in later ([`Element::fill_slot`]) after
//! the element's bytes were digested. Removing that Signature again (the enveloped-signature
//! transform) gives back exactly the digested bytes.

use super::names::{is_ascii_ncname, is_xml_char};
use crate::saml::sign::SignError;

/// A namespace binding: (prefix, URI).
type Binding = (String, String);

/// One attribute of the start tag being written.
#[derive(Debug)]
struct PendingAttr {
    /// Empty for an unqualified attribute.
    prefix: String,
    /// Empty for an unqualified attribute.
    ns_uri: String,
    local: String,
    value: String,
}

/// An open element.
#[derive(Debug)]
struct Frame {
    prefix: String,
    local: String,
    ns_uri: String,
    /// Declarations rendered on this element's start tag (empty until the tag is flushed).
    declared: Vec<Binding>,
}

/// Where an enveloped signature will go, and which bindings are in scope there.
#[derive(Debug, Clone)]
struct Slot {
    offset: usize,
    scope: Vec<Binding>,
}

/// A complete element in exc-c14n form, written as an apex (it declares every namespace it uses).
///
/// Only [`Writer::finish`] makes one, so its bytes are always canonical.
#[derive(Debug, Clone)]
pub struct Element {
    bytes: Vec<u8>,
    /// Every namespace declaration rendered anywhere inside (for the [`Writer::embed`] check).
    declared: Vec<Binding>,
    /// The root's unqualified `ID` attribute, if any.
    root_id: Option<String>,
    slot: Option<Slot>,
}

impl Element {
    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The canonical bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The root element's `ID` attribute (what a `Reference URI="#…"` points to).
    pub fn root_id(&self) -> Option<&str> {
        self.root_id.as_deref()
    }

    /// Whether a signature slot is waiting to be filled.
    pub fn has_open_slot(&self) -> bool {
        self.slot.is_some()
    }

    /// Splices `child` (a finished element, e.g. a `ds:Signature`) into the signature slot.
    ///
    /// Refused when there is no slot, when `child` has an open slot itself, or when `child`
    /// declares a namespace that is already in scope at the slot with the same URI (the result
    /// would not be canonical).
    pub fn fill_slot(mut self, child: Element) -> Result<Element, SignError> {
        let Some(slot) = self.slot.take() else {
            return Err(SignError::Xml("no signature slot to fill"));
        };
        if child.slot.is_some() {
            return Err(SignError::Xml("cannot splice an element with an open slot"));
        }
        if child.declared.iter().any(|b| slot.scope.contains(b)) {
            return Err(SignError::Xml(
                "spliced element would repeat a namespace declaration in scope",
            ));
        }
        if slot.offset > self.bytes.len() {
            return Err(SignError::Xml("signature slot out of range"));
        }
        let tail = self.bytes.split_off(slot.offset);
        self.bytes.reserve(child.bytes.len() + tail.len());
        self.bytes.extend_from_slice(&child.bytes);
        self.bytes.extend_from_slice(&tail);
        for b in child.declared {
            if !self.declared.contains(&b) {
                self.declared.push(b);
            }
        }
        Ok(self)
    }
}

/// The canonicalizing, escaping XML writer. See the module documentation.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    stack: Vec<Frame>,
    /// Attributes of the start tag still being collected (`Some` until the tag is flushed).
    pending: Option<Vec<PendingAttr>>,
    /// Every declaration rendered so far.
    declared: Vec<Binding>,
    root_id: Option<String>,
    root_done: bool,
    slot: Option<Slot>,
    error: Option<SignError>,
}

impl Writer {
    /// An empty writer for one element tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer whose buffer starts with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    fn fail(&mut self, msg: &'static str) {
        if self.error.is_none() {
            self.error = Some(SignError::Xml(msg));
        }
    }

    fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// Opens element `prefix:local` in namespace `ns_uri`.
    pub fn start(&mut self, prefix: &str, local: &str, ns_uri: &str) -> &mut Self {
        self.flush_start();
        if !self.ok() {
            return self;
        }
        if self.root_done {
            self.fail("a document has one root element");
            return self;
        }
        if !is_ascii_ncname(prefix) || !is_ascii_ncname(local) || is_reserved_prefix(prefix) {
            self.fail("invalid element name or prefix");
            return self;
        }
        if ns_uri.is_empty() {
            self.fail("a prefixed element needs a namespace URI");
            return self;
        }
        self.stack.push(Frame {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
            ns_uri: ns_uri.to_owned(),
            declared: Vec::new(),
        });
        self.pending = Some(Vec::new());
        self
    }

    /// Adds an unqualified attribute to the element just opened.
    pub fn attr(&mut self, local: &str, value: &str) -> &mut Self {
        self.push_attr("", "", local, value)
    }

    /// Adds an unqualified attribute when `value` is `Some`.
    pub fn attr_opt(&mut self, local: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.attr(local, v),
            None => self,
        }
    }

    /// Adds a namespace-qualified attribute `prefix:local` (namespace `ns_uri`).
    pub fn attr_ns(&mut self, prefix: &str, local: &str, ns_uri: &str, value: &str) -> &mut Self {
        if prefix.is_empty() || ns_uri.is_empty() || is_reserved_prefix(prefix) {
            self.fail("a qualified attribute needs a prefix and a namespace URI");
            return self;
        }
        self.push_attr(prefix, ns_uri, local, value)
    }

    fn push_attr(&mut self, prefix: &str, ns_uri: &str, local: &str, value: &str) -> &mut Self {
        if !self.ok() {
            return self;
        }
        if !is_ascii_ncname(local) || (!prefix.is_empty() && !is_ascii_ncname(prefix)) {
            self.fail("invalid attribute name");
            return self;
        }
        let Some(pending) = self.pending.as_mut() else {
            self.fail("attribute outside a start tag");
            return self;
        };
        if pending
            .iter()
            .any(|a| a.ns_uri == ns_uri && a.local == local)
        {
            self.fail("duplicate attribute");
            return self;
        }
        pending.push(PendingAttr {
            prefix: prefix.to_owned(),
            ns_uri: ns_uri.to_owned(),
            local: local.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Writes character data (escaped) inside the current element.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.flush_start();
        if !self.ok() {
            return self;
        }
        if self.stack.is_empty() {
            self.fail("text outside the root element");
            return self;
        }
        escape_text(&mut self.buf, s);
        self
    }

    /// Closes the current element.
    pub fn end(&mut self) -> &mut Self {
        self.flush_start();
        if !self.ok() {
            return self;
        }
        let Some(frame) = self.stack.pop() else {
            self.fail("end without an open element");
            return self;
        };
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(frame.prefix.as_bytes());
        self.buf.push(b':');
        self.buf.extend_from_slice(frame.local.as_bytes());
        self.buf.push(b'>');
        if self.stack.is_empty() {
            self.root_done = true;
        }
        self
    }

    /// `<prefix:local>text</prefix:local>` with no attributes.
    pub fn leaf(&mut self, prefix: &str, local: &str, ns_uri: &str, text: &str) -> &mut Self {
        self.start(prefix, local, ns_uri).text(text).end()
    }

    /// Marks the current position (inside the current element, after what was written so far) as
    /// the place where an enveloped signature will be spliced in. At most one per writer.
    pub fn signature_slot(&mut self) -> &mut Self {
        self.flush_start();
        if !self.ok() {
            return self;
        }
        if self.stack.is_empty() {
            self.fail("signature slot outside the root element");
            return self;
        }
        if self.slot.is_some() {
            self.fail("only one signature slot per element");
            return self;
        }
        self.slot = Some(Slot {
            offset: self.buf.len(),
            scope: self.scope(),
        });
        self
    }

    /// Writes a finished element as a child of the current element.
    ///
    /// Refused when `el` still has an open signature slot, or when it declares a namespace already
    /// in scope here with the same URI (the bigger document would then not be canonical).
    pub fn embed(&mut self, el: &Element) -> &mut Self {
        self.flush_start();
        if !self.ok() {
            return self;
        }
        if self.stack.is_empty() {
            self.fail("embedded element outside the root element");
            return self;
        }
        if el.slot.is_some() {
            self.fail("embedded element has an unfilled signature slot");
            return self;
        }
        let scope = self.scope();
        if el.declared.iter().any(|b| scope.contains(b)) {
            self.fail("embedded element would repeat a namespace declaration in scope");
            return self;
        }
        self.buf.extend_from_slice(&el.bytes);
        for b in &el.declared {
            if !self.declared.contains(b) {
                self.declared.push(b.clone());
            }
        }
        self
    }

    /// The finished element, or the first error made while writing it.
    pub fn finish(mut self) -> Result<Element, SignError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if !self.stack.is_empty() || self.pending.is_some() {
            return Err(SignError::Xml("unclosed element"));
        }
        if !self.root_done {
            return Err(SignError::Xml("empty document"));
        }
        Ok(Element {
            bytes: self.buf,
            declared: self.declared,
            root_id: self.root_id,
            slot: self.slot,
        })
    }

    /// The bindings in scope at the current position: the nearest declaration of each prefix.
    fn scope(&self) -> Vec<Binding> {
        let mut out: Vec<Binding> = Vec::new();
        for frame in self.stack.iter().rev() {
            for (p, u) in &frame.declared {
                if !out.iter().any(|(q, _)| q == p) {
                    out.push((p.clone(), u.clone()));
                }
            }
        }
        out
    }

    /// The URI bound to `prefix` by the nearest ancestor that declared it.
    fn in_scope(&self, prefix: &str) -> Option<&str> {
        self.stack.iter().rev().find_map(|f| {
            f.declared
                .iter()
                .find(|(p, _)| p == prefix)
                .map(|(_, u)| u.as_str())
        })
    }

    /// Writes the pending start tag: declarations then attributes, both in c14n order.
    fn flush_start(&mut self) {
        let Some(mut attrs) = self.pending.take() else {
            return;
        };
        if !self.ok() {
            return;
        }
        let Some((prefix, local, ns_uri)) = self
            .stack
            .last()
            .map(|f| (f.prefix.clone(), f.local.clone(), f.ns_uri.clone()))
        else {
            self.fail("start tag without an element");
            return;
        };
        // Visibly utilized prefixes: the element's own and those of its qualified attributes.
        let mut used: Vec<Binding> = vec![(prefix.clone(), ns_uri)];
        for a in attrs.iter().filter(|a| !a.prefix.is_empty()) {
            match used.iter().find(|(p, _)| *p == a.prefix) {
                Some((_, u)) if *u != a.ns_uri => {
                    self.fail("one prefix bound to two namespaces on one element");
                    return;
                }
                Some(_) => {}
                None => used.push((a.prefix.clone(), a.ns_uri.clone())),
            }
        }
        // The element's own frame is on the stack with no declarations yet, so this looks at
        // the ancestors only.
        let mut decls: Vec<Binding> = used
            .into_iter()
            .filter(|(p, u)| self.in_scope(p) != Some(u.as_str()))
            .collect();
        decls.sort();
        attrs.sort_by(|a, b| {
            (a.ns_uri.as_str(), a.local.as_str()).cmp(&(b.ns_uri.as_str(), b.local.as_str()))
        });
        if self.stack.len() == 1 && self.root_id.is_none() {
            self.root_id = attrs
                .iter()
                .find(|a| a.prefix.is_empty() && a.local == "ID")
                .map(|a| a.value.clone());
        }

        let buf = &mut self.buf;
        buf.push(b'<');
        buf.extend_from_slice(prefix.as_bytes());
        buf.push(b':');
        buf.extend_from_slice(local.as_bytes());
        for (p, u) in &decls {
            buf.extend_from_slice(b" xmlns:");
            buf.extend_from_slice(p.as_bytes());
            buf.extend_from_slice(b"=\"");
            escape_attr(buf, u);
            buf.push(b'"');
        }
        for a in &attrs {
            buf.push(b' ');
            if !a.prefix.is_empty() {
                buf.extend_from_slice(a.prefix.as_bytes());
                buf.push(b':');
            }
            buf.extend_from_slice(a.local.as_bytes());
            buf.extend_from_slice(b"=\"");
            escape_attr(buf, &a.value);
            buf.push(b'"');
        }
        buf.push(b'>');
        for d in &decls {
            if !self.declared.contains(d) {
                self.declared.push(d.clone());
            }
        }
        if let Some(frame) = self.stack.last_mut() {
            frame.declared = decls;
        }
    }
}

/// Prefixes starting with `xml` (any case) are reserved by Namespaces in XML.
fn is_reserved_prefix(p: &str) -> bool {
    p.as_bytes()
        .get(..3)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"xml"))
}

/// Appends `s` escaped as c14n escapes text nodes, dropping characters XML cannot carry.
fn escape_text(buf: &mut Vec<u8>, s: &str) {
    escape_with(buf, s, |c| match c {
        '&' => Some(b"&amp;"),
        '<' => Some(b"&lt;"),
        '>' => Some(b"&gt;"),
        '\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Appends `s` escaped as c14n escapes attribute values, dropping characters XML cannot carry.
fn escape_attr(buf: &mut Vec<u8>, s: &str) {
    escape_with(buf, s, |c| match c {
        '&' => Some(b"&amp;"),
        '<' => Some(b"&lt;"),
        '"' => Some(b"&quot;"),
        '\t' => Some(b"&#x9;"),
        '\n' => Some(b"&#xA;"),
        '\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Appends `s` with each character `escape` names replaced by its reference, every other character
/// XML can carry kept and the rest dropped. Kept characters are copied a run at a time: a Response
/// is mostly base64 and names that need no escaping, and copying them one character at a time was
/// a visible share of signing a Response.
fn escape_with(buf: &mut Vec<u8>, s: &str, escape: impl Fn(char) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let replacement = escape(c);
        if replacement.is_none() && is_xml_char(c) {
            continue;
        }
        buf.extend_from_slice(&bytes[run..i]);
        if let Some(r) = replacement {
            buf.extend_from_slice(r);
        }
        run = i + c.len_utf8();
    }
    buf.extend_from_slice(&bytes[run..]);
}

/// A flat document without namespaces, `<root><name>text</name>…</root>`: the shape of WeCom's
/// callback messages. Names are checked (ASCII NCNames), text is escaped as [`Writer::text`] does.
pub fn flat_document(root: &str, fields: &[(&str, &str)]) -> Result<String, SignError> {
    let mut buf = Vec::new();
    let open = |buf: &mut Vec<u8>, name: &str, close: bool| {
        if !is_ascii_ncname(name) {
            return Err(SignError::Xml("invalid element name"));
        }
        buf.extend_from_slice(if close { b"</" } else { b"<" });
        buf.extend_from_slice(name.as_bytes());
        buf.push(b'>');
        Ok(())
    };
    open(&mut buf, root, false)?;
    for (name, text) in fields {
        open(&mut buf, name, false)?;
        escape_text(&mut buf, text);
        open(&mut buf, name, true)?;
    }
    open(&mut buf, root, true)?;
    String::from_utf8(buf).map_err(|_| SignError::Xml("not UTF-8"))
}

/// `s` with the characters XML 1.0 cannot carry removed: what a parser reads back from our output.
pub fn xml_safe(s: &str) -> String {
    s.chars().filter(|c| is_xml_char(*c)).collect()
}

#[cfg(test)]
mod tests;
