//! The one strict XML parser for everything we read from outside (AuthnRequests, SP metadata).
//!
//! quick-xml tokenizes; this module enforces the rules on top and builds a small read-only tree:
//! - no DOCTYPE (so no entities, no external fetches), no processing instructions, UTF-8 only;
//! - only the five predefined entities and character references; every character must be an XML `Char`;
//! - every prefix declared (Namespaces in XML 1.0), every element and attribute resolved to
//!   (namespace URI, local name); duplicate attributes (also after resolution) refused;
//! - nothing but whitespace and comments outside the single root element;
//! - caps on input size, depth, attributes per element and node count.
//!
//! Line ends are normalized and attribute values are normalized as an XML processor must do
//! (XML 1.0 §2.11 and §3.3.3), so the tree is the XPath data model that exclusive c14n works on.
//! Comments are dropped (we only ever canonicalize without comments); CDATA becomes text.
//! Namespace declarations are kept on the element that declares them, because c14n needs them.

use std::collections::HashMap;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

pub use super::names::is_ncname;
use super::names::is_xml_char;
pub use super::uris::ns;

/// Caps applied while parsing; every one is checked before the work it bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1).
    pub max_depth: usize,
    /// Maximum attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Maximum number of elements + text runs + comments in the document.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_attributes: 64,
            max_nodes: 10_000,
        }
    }
}

/// Why a document was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlError {
    /// Input larger than `Limits::max_bytes`.
    TooLarge,
    /// Nesting deeper than `Limits::max_depth`.
    TooDeep,
    /// More attributes on one element than `Limits::max_attributes`.
    TooManyAttributes,
    /// More nodes than `Limits::max_nodes`.
    TooManyNodes,
    /// Input is not UTF-8, or the declaration names another encoding.
    NotUtf8,
    /// A DOCTYPE (DTD) was present.
    Doctype,
    /// A processing instruction (other than the XML declaration at the very start).
    ProcessingInstruction,
    /// An entity reference other than the five predefined ones.
    UnknownEntity(String),
    /// A character that XML 1.0 does not allow (raw or by character reference).
    InvalidChar,
    /// A prefix used without a declaration, or an illegal declaration.
    Namespace(String),
    /// The same attribute twice on one element (by name or by namespace + local name).
    DuplicateAttribute(String),
    /// An element or attribute name that is not a valid QName.
    InvalidName(String),
    /// Text or elements outside the single root, or no root at all.
    OutsideRoot,
    /// Anything else that is not well-formed XML.
    Malformed(String),
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooLarge => write!(f, "XML document too large"),
            XmlError::TooDeep => write!(f, "XML nesting too deep"),
            XmlError::TooManyAttributes => write!(f, "too many attributes on one element"),
            XmlError::TooManyNodes => write!(f, "too many XML nodes"),
            XmlError::NotUtf8 => write!(f, "XML document is not UTF-8"),
            XmlError::Doctype => write!(f, "DOCTYPE is not allowed"),
            XmlError::ProcessingInstruction => write!(f, "processing instructions are not allowed"),
            XmlError::UnknownEntity(e) => write!(f, "unknown entity reference &{e};"),
            XmlError::InvalidChar => write!(f, "character not allowed in XML"),
            XmlError::Namespace(m) => write!(f, "namespace error: {m}"),
            XmlError::DuplicateAttribute(a) => write!(f, "duplicate attribute {a}"),
            XmlError::InvalidName(n) => write!(f, "invalid XML name {n:?}"),
            XmlError::OutsideRoot => write!(f, "content outside the single root element"),
            XmlError::Malformed(m) => write!(f, "malformed XML: {m}"),
        }
    }
}

impl std::error::Error for XmlError {}

/// Handle of an element inside the [`Document`] that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ElementId(usize);

/// A child of an element: an element or a run of character data (adjacent text, CDATA and
/// the text around dropped comments are merged into one run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(ElementId),
    /// Character data, entities resolved, line ends normalized.
    Text(String),
}

/// An attribute (namespace declarations are not attributes: see [`NsDecl`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI; `None` for unprefixed attributes (they never take the default namespace).
    pub ns: Option<String>,
    /// Local name.
    pub local: String,
    /// Prefix as written.
    pub prefix: Option<String>,
    /// Normalized value.
    pub value: String,
}

/// An attribute as read: prefix, local name, unescaped value.
type RawAttr = (Option<String>, String, String);

/// A namespace declaration as written on an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsDecl {
    /// `None` for the default namespace (`xmlns="…"`).
    pub prefix: Option<String>,
    /// The URI; empty only for `xmlns=""` (undeclaring the default namespace).
    pub uri: String,
}

/// An element of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI, `None` when the element is in no namespace.
    pub ns: Option<String>,
    /// Local name.
    pub local: String,
    /// Prefix as written.
    pub prefix: Option<String>,
    /// Attributes in document order.
    pub attributes: Vec<Attribute>,
    /// Namespace declarations made on this element, in document order.
    pub ns_decls: Vec<NsDecl>,
    /// Children in document order.
    pub children: Vec<Node>,
    parent: Option<ElementId>,
    /// Index one past the last descendant (elements are stored in document order).
    subtree_end: usize,
}

/// Returned by [`Document::element`] for an id that does not belong to the document; it has no
/// name, attributes or children, so every check made on it fails.
static EMPTY_ELEMENT: Element = Element {
    ns: None,
    local: String::new(),
    prefix: None,
    attributes: Vec::new(),
    ns_decls: Vec::new(),
    children: Vec::new(),
    parent: None,
    subtree_end: 0,
};

impl Element {
    /// Value of the no-namespace attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Value of the attribute `{ns}local`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Whether this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    /// The element's parent, `None` for the root.
    pub fn parent(&self) -> Option<ElementId> {
        self.parent
    }
}

/// Why [`Document::find_by_id`] found no single element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdLookupError {
    /// No element carries this ID.
    NotFound,
    /// Two or more elements carry this ID (a signature-wrapping sign): no answer is given.
    Duplicate,
}

/// A parsed document: a single root element and its descendants, read-only.
#[derive(Clone, Debug)]
pub struct Document {
    elements: Vec<Element>,
    /// ID value → the one element carrying it, or `None` when several do.
    ids: HashMap<String, Option<ElementId>>,
}

impl Document {
    /// The root element.
    pub fn root(&self) -> ElementId {
        ElementId(0)
    }

    /// The element behind `id` (an id from another document yields an empty element).
    pub fn element(&self, id: ElementId) -> &Element {
        self.elements.get(id.0).unwrap_or(&EMPTY_ELEMENT)
    }

    /// Child elements of `id`, in document order.
    pub fn child_elements(&self, id: ElementId) -> impl Iterator<Item = ElementId> + '_ {
        self.element(id).children.iter().filter_map(|n| match n {
            Node::Element(c) => Some(*c),
            Node::Text(_) => None,
        })
    }

    /// The first child element of `id` named `{ns}local`.
    pub fn find_child(&self, id: ElementId, ns: &str, local: &str) -> Option<ElementId> {
        self.child_elements(id)
            .find(|c| self.element(*c).is(ns, local))
    }

    /// All child elements of `id` named `{ns}local`.
    pub fn find_children<'a>(
        &'a self,
        id: ElementId,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = ElementId> + 'a {
        self.child_elements(id)
            .filter(move |c| self.element(*c).is(ns, local))
    }

    /// All descendants of `id` (not `id` itself), in document order.
    pub fn descendants(&self, id: ElementId) -> impl Iterator<Item = ElementId> {
        let end = self.element(id).subtree_end;
        (id.0.saturating_add(1)..end.max(id.0.saturating_add(1))).map(ElementId)
    }

    /// The whole text content of `id`: every text descendant, concatenated in document order, so
    /// a value split by a comment is read whole.
    pub fn text(&self, id: ElementId) -> String {
        let mut out = String::new();
        let mut stack: Vec<std::slice::Iter<'_, Node>> = vec![self.element(id).children.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(Node::Text(t)) => out.push_str(t),
                Some(Node::Element(c)) => stack.push(self.element(*c).children.iter()),
                None => {
                    stack.pop();
                }
            }
        }
        out
    }

    /// The single element whose `ID` (also `Id` or `xml:id`) attribute equals `value`. All three
    /// spellings count toward uniqueness, since other XML-DSig implementations treat them as IDs.
    pub fn find_by_id(&self, value: &str) -> Result<ElementId, IdLookupError> {
        match self.ids.get(value) {
            None => Err(IdLookupError::NotFound),
            Some(None) => Err(IdLookupError::Duplicate),
            Some(Some(id)) => Ok(*id),
        }
    }

    /// The namespace URI bound to `prefix` (`None` = default namespace) in scope at `id`.
    /// `None` when unbound (or, for the default namespace, undeclared with `xmlns=""`).
    pub fn lookup_namespace(&self, id: ElementId, prefix: Option<&str>) -> Option<&str> {
        if prefix == Some("xml") {
            return Some(ns::XML);
        }
        let mut cur = Some(id);
        while let Some(c) = cur {
            let el = self.element(c);
            if let Some(d) = el.ns_decls.iter().find(|d| d.prefix.as_deref() == prefix) {
                return if d.uri.is_empty() {
                    None
                } else {
                    Some(d.uri.as_str())
                };
            }
            cur = el.parent;
        }
        None
    }
}

/// Parses `input` under `limits`. See the module documentation for what is refused.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    {
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.allow_unmatched_ends = false;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
    }
    let mut b = Builder {
        limits,
        elements: Vec::new(),
        open: Vec::new(),
        nodes: 0,
        root_done: false,
    };
    let mut first = true;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Decl(d) => {
                if !first {
                    return Err(XmlError::ProcessingInstruction);
                }
                check_decl(&d)?;
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction),
            Event::Start(s) => b.start(&s, false)?,
            Event::Empty(s) => b.start(&s, true)?,
            Event::End(_) => b.end()?,
            Event::Text(t) => {
                let raw = std::str::from_utf8(t.as_ref()).map_err(|_| XmlError::NotUtf8)?;
                if raw.contains("]]>") {
                    return Err(XmlError::Malformed("']]>' in text".into()));
                }
                b.text(unescape(raw, false)?)?;
            }
            Event::CData(_) if b.open.is_empty() => return Err(XmlError::OutsideRoot),
            Event::CData(c) => {
                let raw = std::str::from_utf8(c.as_ref()).map_err(|_| XmlError::NotUtf8)?;
                b.text(normalize_literal(raw)?)?;
            }
            Event::Comment(_) => b.count_node()?,
            Event::Eof => break,
        }
        first = false;
    }
    b.finish()
}

fn check_decl(d: &quick_xml::events::BytesDecl<'_>) -> Result<(), XmlError> {
    let version = d
        .version()
        .map_err(|e| XmlError::Malformed(e.to_string()))?;
    if version.as_ref() != b"1.0" {
        return Err(XmlError::Malformed("XML version must be 1.0".into()));
    }
    if let Some(enc) = d.encoding() {
        let enc = enc.map_err(|e| XmlError::Malformed(e.to_string()))?;
        if !enc.eq_ignore_ascii_case(b"utf-8") {
            return Err(XmlError::NotUtf8);
        }
    }
    Ok(())
}

struct Builder<'l> {
    limits: &'l Limits,
    elements: Vec<Element>,
    /// Open elements, innermost last.
    open: Vec<ElementId>,
    nodes: usize,
    root_done: bool,
}

impl Builder<'_> {
    fn count_node(&mut self) -> Result<(), XmlError> {
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > self.limits.max_nodes {
            return Err(XmlError::TooManyNodes);
        }
        Ok(())
    }

    fn lookup(&self, decls: &[NsDecl], prefix: Option<&str>) -> Option<String> {
        if prefix == Some("xml") {
            return Some(ns::XML.to_string());
        }
        let found = decls
            .iter()
            .find(|d| d.prefix.as_deref() == prefix)
            .map(|d| d.uri.as_str())
            .or_else(|| {
                self.open.iter().rev().find_map(|id| {
                    self.elements
                        .get(id.0)
                        .and_then(|e| e.ns_decls.iter().find(|d| d.prefix.as_deref() == prefix))
                        .map(|d| d.uri.as_str())
                })
            });
        found.filter(|u| !u.is_empty()).map(str::to_string)
    }

    /// The attributes of a start tag, split into namespace declarations and the others (prefix,
    /// local name, unescaped value), with the attribute-count limit and duplicates refused.
    fn read_attributes(
        &self,
        s: &BytesStart<'_>,
        qname: &str,
    ) -> Result<(Vec<NsDecl>, Vec<RawAttr>), XmlError> {
        let mut ns_decls: Vec<NsDecl> = Vec::new();
        let mut raw_attrs: Vec<RawAttr> = Vec::new();
        let mut count = 0usize;
        for a in s.attributes().with_checks(true) {
            let a = a.map_err(|e| match e {
                quick_xml::events::attributes::AttrError::Duplicated(..) => {
                    XmlError::DuplicateAttribute(qname.to_string())
                }
                other => XmlError::Malformed(other.to_string()),
            })?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes);
            }
            let key = std::str::from_utf8(a.key.as_ref()).map_err(|_| XmlError::NotUtf8)?;
            let raw = std::str::from_utf8(a.value.as_ref()).map_err(|_| XmlError::NotUtf8)?;
            let value = unescape(raw, true)?;
            let (aprefix, alocal) = split_qname(key)?;
            match (aprefix.as_deref(), alocal.as_str()) {
                (None, "xmlns") => {
                    if value == ns::XML || value == ns::XMLNS {
                        return Err(XmlError::Namespace(format!(
                            "cannot bind default to {value}"
                        )));
                    }
                    ns_decls.push(NsDecl {
                        prefix: None,
                        uri: value,
                    });
                }
                (Some("xmlns"), p) => {
                    check_prefix_decl(p, &value)?;
                    ns_decls.push(NsDecl {
                        prefix: Some(p.to_string()),
                        uri: value,
                    });
                }
                _ => raw_attrs.push((aprefix, alocal, value)),
            }
        }
        Ok((ns_decls, raw_attrs))
    }

    /// The non-namespace attributes with their prefixes resolved (the element's own declarations
    /// first); an undeclared prefix or the same expanded name twice is refused.
    fn resolve_attributes(
        &self,
        ns_decls: &[NsDecl],
        raw_attrs: Vec<RawAttr>,
        qname: &str,
    ) -> Result<Vec<Attribute>, XmlError> {
        let mut attributes: Vec<Attribute> = Vec::with_capacity(raw_attrs.len());
        for (aprefix, alocal, value) in raw_attrs {
            let ans = match aprefix.as_deref() {
                None => None,
                Some(p) => Some(self.lookup(ns_decls, Some(p)).ok_or_else(|| {
                    XmlError::Namespace(format!("undeclared prefix {p} on {qname}"))
                })?),
            };
            if attributes.iter().any(|x| x.ns == ans && x.local == alocal) {
                return Err(XmlError::DuplicateAttribute(alocal));
            }
            attributes.push(Attribute {
                ns: ans,
                local: alocal,
                prefix: aprefix,
                value,
            });
        }

        Ok(attributes)
    }

    fn start(&mut self, s: &BytesStart<'_>, empty: bool) -> Result<(), XmlError> {
        if self.root_done {
            return Err(XmlError::OutsideRoot);
        }
        self.count_node()?;
        if self.open.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep);
        }
        let qname = std::str::from_utf8(s.name().as_ref())
            .map_err(|_| XmlError::NotUtf8)?
            .to_string();
        let (prefix, local) = split_qname(&qname)?;

        let (ns_decls, raw_attrs) = self.read_attributes(s, &qname)?;
        // Parent's resolution cannot see these yet; a duplicate declaration is a duplicate attribute
        // that quick-xml already refused.
        let ns_uri = self.lookup(&ns_decls, prefix.as_deref());
        if prefix.is_some() && ns_uri.is_none() {
            return Err(XmlError::Namespace(format!("undeclared prefix in {qname}")));
        }
        let attributes = self.resolve_attributes(&ns_decls, raw_attrs, &qname)?;

        let id = ElementId(self.elements.len());
        let parent = self.open.last().copied();
        match parent.and_then(|p| self.elements.get_mut(p.0)) {
            Some(p) => p.children.push(Node::Element(id)),
            None if id.0 == 0 => {}
            None => return Err(XmlError::OutsideRoot),
        }
        self.elements.push(Element {
            ns: ns_uri,
            local,
            prefix,
            attributes,
            ns_decls,
            children: Vec::new(),
            parent,
            subtree_end: id.0 + 1,
        });
        self.open.push(id);
        if empty {
            self.end()?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), XmlError> {
        let id = self.open.pop().ok_or(XmlError::OutsideRoot)?;
        let end = self.elements.len();
        if let Some(e) = self.elements.get_mut(id.0) {
            e.subtree_end = end;
        }
        if self.open.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }

    fn text(&mut self, text: String) -> Result<(), XmlError> {
        let Some(top) = self.open.last().copied() else {
            // Outside the root only whitespace may appear.
            if text.chars().all(is_xml_space) {
                return Ok(());
            }
            return Err(XmlError::OutsideRoot);
        };
        if text.is_empty() {
            return Ok(());
        }
        let Some(el) = self.elements.get_mut(top.0) else {
            return Err(XmlError::Malformed("lost element".into()));
        };
        if let Some(Node::Text(prev)) = el.children.last_mut() {
            prev.push_str(&text);
            return Ok(());
        }
        el.children.push(Node::Text(text));
        self.count_node()
    }

    fn finish(self) -> Result<Document, XmlError> {
        if !self.root_done || !self.open.is_empty() {
            return Err(XmlError::Malformed(
                "missing or unclosed root element".into(),
            ));
        }
        let mut ids: HashMap<String, Option<ElementId>> = HashMap::new();
        for (i, el) in self.elements.iter().enumerate() {
            for a in &el.attributes {
                let is_id = match a.ns.as_deref() {
                    None => a.local == "ID" || a.local == "Id",
                    Some(ns::XML) => a.local == "id",
                    Some(_) => false,
                };
                if is_id {
                    ids.entry(a.value.clone())
                        .and_modify(|v| *v = None)
                        .or_insert(Some(ElementId(i)));
                }
            }
        }
        Ok(Document {
            elements: self.elements,
            ids,
        })
    }
}

fn check_prefix_decl(prefix: &str, uri: &str) -> Result<(), XmlError> {
    if uri.is_empty() {
        return Err(XmlError::Namespace(format!(
            "prefix {prefix} bound to empty URI"
        )));
    }
    match prefix {
        "xmlns" => Err(XmlError::Namespace("xmlns prefix declared".into())),
        "xml" if uri != ns::XML => Err(XmlError::Namespace("xml prefix rebound".into())),
        "xml" => Ok(()),
        _ if uri == ns::XML || uri == ns::XMLNS => Err(XmlError::Namespace(format!(
            "{prefix} bound to a reserved URI"
        ))),
        _ => Ok(()),
    }
}

/// Splits a QName into (prefix, local), both NCNames.
fn split_qname(name: &str) -> Result<(Option<String>, String), XmlError> {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    let ok = prefix.is_none_or(is_ncname) && is_ncname(local);
    if !ok {
        return Err(XmlError::InvalidName(name.to_string()));
    }
    Ok((prefix.map(str::to_string), local.to_string()))
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// CDATA content: line ends normalized, characters checked, no references.
fn normalize_literal(raw: &str) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_xml_char(c) => out.push(c),
            _ => return Err(XmlError::InvalidChar),
        }
    }
    Ok(out)
}

/// Resolves references in text (`attr == false`) or an attribute value (`attr == true`), with
/// line-end normalization and, for attributes, literal whitespace → space (XML 1.0 §3.3.3).
fn unescape(raw: &str, attr: bool) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = rest.get(c.len_utf8()..).unwrap_or("");
        match c {
            '&' => {
                let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
                    return Err(XmlError::Malformed("bare '&'".into()));
                };
                let name = rest.get(..end).unwrap_or("");
                rest = rest.get(end + 1..).unwrap_or("");
                out.push(resolve_reference(name)?);
            }
            '\r' => {
                if rest.starts_with('\n') {
                    rest = rest.get(1..).unwrap_or("");
                }
                out.push(if attr { ' ' } else { '\n' });
            }
            '\n' | '\t' if attr => out.push(' '),
            '<' => return Err(XmlError::Malformed("'<' in attribute value".into())),
            c if is_xml_char(c) => out.push(c),
            _ => return Err(XmlError::InvalidChar),
        }
    }
    Ok(out)
}

fn resolve_reference(name: &str) -> Result<char, XmlError> {
    let code = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse::<u32>().ok()
    } else {
        return match name {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(XmlError::UnknownEntity(name.to_string())),
        };
    };
    // `from_str_radix`/`parse` accept a leading '+'; XML does not.
    if name.contains('+') {
        return Err(XmlError::Malformed(format!(
            "bad character reference &{name};"
        )));
    }
    code.and_then(char::from_u32)
        .filter(|c| is_xml_char(*c))
        .ok_or(XmlError::InvalidChar)
}

#[cfg(test)]
mod tests;
