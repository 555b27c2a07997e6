//! The event callback's messages (接收消息): the encrypted envelope WeCom POSTs,
//! `<xml><ToUserName/><AgentID/><Encrypt/></xml>`, and the decrypted message inside it, read with
//! the one strict parser ([`crate::saml::dom`]) into an [`Event`]; and the same messages written
//! (the simulator sends them) through the escaping writer. Protocol only: no HTTP, no store.
//!
//! The message names a `change_contact` change by `ChangeType` with `UserID`, `NewUserID`,
//! `Status`, `Id` (a department) or `TagId`. Any other message or event is [`Event::Other`]: the
//! callback answers it and ignores it.

use super::contact_change::{ContactChange, MemberStatus};
use crate::saml::dom::{self, Document, ElementId};

/// The largest envelope we read (WeCom's are well under 4 KiB; a batch `update_tag` is the largest).
pub const MAX_ENVELOPE: usize = 64 * 1024;

/// Why a message was refused (each a distinct audit reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Not the strict XML we read (the parser's reason).
    Xml(String),
    /// The root is not `<xml>`, or a field is missing or given twice (named).
    Shape(&'static str),
    /// A `change_contact` whose fields do not fit its `ChangeType` (named).
    BadChange(&'static str),
}

impl EventError {
    /// The audit and log word.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Xml(_) => "bad_xml",
            Self::Shape(_) => "bad_envelope",
            Self::BadChange(_) => "bad_change",
        }
    }
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "not well-formed: {e}"),
            Self::Shape(what) | Self::BadChange(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for EventError {}

/// The encrypted envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `ToUserName`: the corp ID the message is for.
    pub to: String,
    /// `AgentID`, when given.
    pub agent_id: Option<String>,
    /// `Encrypt`: the base64 ciphertext.
    pub encrypt: String,
}

/// A decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `MsgType=event`, `Event=change_contact`.
    ChangeContact(ContactChange),
    /// A `change_contact` whose `ChangeType` we do not act on (named).
    OtherChange(String),
    /// Any other message or event (`MsgType`, and `Event` when there is one).
    Other {
        /// `MsgType`.
        msg_type: String,
        /// `Event`.
        event: Option<String>,
    },
}

fn parse(body: &[u8]) -> Result<(Document, ElementId), EventError> {
    let limits = dom::Limits {
        max_bytes: MAX_ENVELOPE,
        max_depth: 4,
        max_attributes: 8,
        max_nodes: 1_000,
    };
    let doc = dom::parse(body, &limits).map_err(|e| EventError::Xml(e.to_string()))?;
    let root = doc.root();
    let r = doc.element(root);
    if r.ns.is_some() || r.local != "xml" {
        return Err(EventError::Shape("the root element must be <xml>"));
    }
    Ok((doc, root))
}

/// The text of the child `<name>` of `root` (no namespace); given twice is refused.
fn field(
    doc: &Document,
    root: ElementId,
    name: &'static str,
) -> Result<Option<String>, EventError> {
    let mut found = doc.child_elements(root).filter(|c| {
        let e = doc.element(*c);
        e.ns.is_none() && e.local == name
    });
    let first = found.next();
    if found.next().is_some() {
        return Err(EventError::Shape(name));
    }
    Ok(first.map(|id| doc.text(id).trim().to_string()))
}

fn required(doc: &Document, root: ElementId, name: &'static str) -> Result<String, EventError> {
    field(doc, root, name)?
        .filter(|v| !v.is_empty())
        .ok_or(EventError::Shape(name))
}

/// Reads the envelope WeCom POSTs.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, EventError> {
    let (doc, root) = parse(body)?;
    Ok(Envelope {
        to: required(&doc, root, "ToUserName")?,
        agent_id: field(&doc, root, "AgentID")?.filter(|v| !v.is_empty()),
        encrypt: required(&doc, root, "Encrypt")?,
    })
}

/// Reads a decrypted message.
pub fn parse_message(xml: &str) -> Result<Event, EventError> {
    let (doc, root) = parse(xml.as_bytes())?;
    let msg_type = required(&doc, root, "MsgType")?;
    let event = field(&doc, root, "Event")?;
    if msg_type != "event" || event.as_deref() != Some("change_contact") {
        return Ok(Event::Other { msg_type, event });
    }
    let change_type = required(&doc, root, "ChangeType")?;
    let userid = || {
        field(&doc, root, "UserID")?
            .filter(|v| !v.is_empty())
            .ok_or(EventError::BadChange("UserID"))
    };
    let number = |name: &'static str| -> Result<i64, EventError> {
        field(&doc, root, name)?
            .and_then(|v| v.parse().ok())
            .ok_or(EventError::BadChange(name))
    };
    let change = match change_type.as_str() {
        "create_user" => ContactChange::UserCreated { userid: userid()? },
        "delete_user" => ContactChange::UserDeleted { userid: userid()? },
        "update_user" => ContactChange::UserUpdated {
            userid: userid()?,
            new_userid: field(&doc, root, "NewUserID")?.filter(|v| !v.is_empty()),
            status: match field(&doc, root, "Status")?.filter(|v| !v.is_empty()) {
                Some(v) => Some(MemberStatus::from_code(
                    v.parse().map_err(|_| EventError::BadChange("Status"))?,
                )),
                None => None,
            },
        },
        "create_party" => ContactChange::DepartmentCreated { id: number("Id")? },
        "update_party" => ContactChange::DepartmentUpdated { id: number("Id")? },
        "delete_party" => ContactChange::DepartmentDeleted { id: number("Id")? },
        "update_tag" => ContactChange::TagUpdated {
            tagid: number("TagId")?,
        },
        other => return Ok(Event::OtherChange(other.to_string())),
    };
    Ok(Event::ChangeContact(change))
}

/// The decrypted message WeCom sends for `change` to `corp_id` (what the simulator encrypts).
pub fn change_message(
    corp_id: &str,
    change: &ContactChange,
    create_time: i64,
) -> Result<String, crate::saml::sign::SignError> {
    let time = create_time.to_string();
    let mut fields: Vec<(&str, String)> = vec![
        ("ToUserName", corp_id.to_string()),
        ("FromUserName", "sys".into()),
        ("CreateTime", time),
        ("MsgType", "event".into()),
        ("Event", "change_contact".into()),
        ("ChangeType", change.change_type().into()),
    ];
    match change {
        ContactChange::UserCreated { userid } | ContactChange::UserDeleted { userid } => {
            fields.push(("UserID", userid.clone()));
        }
        ContactChange::UserUpdated {
            userid,
            new_userid,
            status,
        } => {
            fields.push(("UserID", userid.clone()));
            if let Some(n) = new_userid {
                fields.push(("NewUserID", n.clone()));
            }
            if let Some(s) = status {
                fields.push(("Status", s.code().to_string()));
            }
        }
        ContactChange::DepartmentCreated { id }
        | ContactChange::DepartmentUpdated { id }
        | ContactChange::DepartmentDeleted { id } => fields.push(("Id", id.to_string())),
        ContactChange::TagUpdated { tagid } => fields.push(("TagId", tagid.to_string())),
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::saml::xml::flat_document("xml", &refs)
}

/// The envelope WeCom POSTs around `encrypt`.
pub fn envelope(
    corp_id: &str,
    agent_id: &str,
    encrypt: &str,
) -> Result<String, crate::saml::sign::SignError> {
    crate::saml::xml::flat_document(
        "xml",
        &[
            ("ToUserName", corp_id),
            ("AgentID", agent_id),
            ("Encrypt", encrypt),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_round_trips() {
        let changes = [
            ContactChange::UserCreated { userid: "a".into() },
            ContactChange::UserDeleted {
                userid: "a&b".into(),
            },
            ContactChange::UserUpdated {
                userid: "a".into(),
                new_userid: Some("b".into()),
                status: Some(MemberStatus::Left),
            },
            ContactChange::UserUpdated {
                userid: "a".into(),
                new_userid: None,
                status: None,
            },
            ContactChange::DepartmentCreated { id: 7 },
            ContactChange::DepartmentUpdated { id: 7 },
            ContactChange::DepartmentDeleted { id: 7 },
            ContactChange::TagUpdated { tagid: 3 },
        ];
        for c in changes {
            let xml = change_message("wwcorp", &c, 1).unwrap();
            assert_eq!(parse_message(&xml).unwrap(), Event::ChangeContact(c));
        }
    }

    #[test]
    fn wecom_cdata_form_is_read() {
        let xml = "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
            <CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>\
            <Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType>\
            <UserID><![CDATA[zhangsan]]></UserID><Status>2</Status></xml>";
        assert_eq!(
            parse_message(xml).unwrap(),
            Event::ChangeContact(ContactChange::UserUpdated {
                userid: "zhangsan".into(),
                new_userid: None,
                status: Some(MemberStatus::Disabled),
            })
        );
    }

    #[test]
    fn other_messages_and_bad_ones() {
        let other = "<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>";
        assert!(matches!(parse_message(other), Ok(Event::Other { .. })));
        let unknown = "<xml><MsgType>event</MsgType><Event>change_contact</Event>\
                       <ChangeType>new_kind</ChangeType></xml>";
        assert_eq!(
            parse_message(unknown).unwrap(),
            Event::OtherChange("new_kind".into())
        );
        let no_user = "<xml><MsgType>event</MsgType><Event>change_contact</Event>\
                       <ChangeType>delete_user</ChangeType></xml>";
        assert_eq!(parse_message(no_user), Err(EventError::BadChange("UserID")));
        let twice = "<xml><MsgType>event</MsgType><MsgType>text</MsgType></xml>";
        assert!(parse_message(twice).is_err());
        let doctype = "<!DOCTYPE x [<!ENTITY e 'x'>]><xml><MsgType>&e;</MsgType></xml>";
        assert!(matches!(parse_message(doctype), Err(EventError::Xml(_))));
        assert!(parse_message("<other/>").is_err());
    }

    #[test]
    fn envelope_round_trips() {
        let xml = envelope("ww1", "1000002", "abc+/=").unwrap();
        let e = parse_envelope(xml.as_bytes()).unwrap();
        assert_eq!(e.to, "ww1");
        assert_eq!(e.agent_id.as_deref(), Some("1000002"));
        assert_eq!(e.encrypt, "abc+/=");
        assert!(parse_envelope(b"<xml><ToUserName>ww1</ToUserName></xml>").is_err());
    }
}
