//! The data WeCom returns, as typed values: who a login code belongs to ([`CodeIdentity`]), a member
//! from `user/get` ([`Member`]), the sensitive profile from `auth/getuserdetail` ([`MemberDetail`]),
//! departments and their members ([`DepartmentMember`]), and tags ([`Tag`], [`TagMembers`]).
//! Parsing is lenient where WeCom is: absent or empty strings become `None` (since 2022 new apps get
//! no mobile/email from `user/get`), both `userid` and `UserId` casings are accepted, and custom
//! attributes (`extattr`) are flattened to name/value pairs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::errors::WecomError;

/// Who a login code belongs to.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeIdentity {
    /// A member of the corp.
    Member {
        /// The member's userid.
        userid: String,
        /// Present only after `snsapi_privateinfo` consent; lets [`WecomClient::user_detail`](super::client::WecomClient::user_detail) read
        /// mobile/email. Lives 1800 s. Never log it.
        user_ticket: Option<String>,
    },
    /// Not a member (WeCom gave an `openid` only).
    NonMember {
        /// The openid.
        openid: String,
        /// Set when the person is an external contact of the corp.
        external_userid: Option<String>,
    },
}

impl CodeIdentity {
    /// The member's userid and user ticket, or [`WecomError::NotMember`].
    pub fn require_member(self) -> Result<(String, Option<String>), WecomError> {
        match self {
            CodeIdentity::Member {
                userid,
                user_ticket,
            } => Ok((userid, user_ticket)),
            CodeIdentity::NonMember { .. } => Err(WecomError::NotMember),
        }
    }
}

impl fmt::Debug for CodeIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeIdentity::Member {
                userid,
                user_ticket,
            } => f
                .debug_struct("Member")
                .field("userid", userid)
                .field("user_ticket", &user_ticket.as_ref().map(|_| "<redacted>"))
                .finish(),
            CodeIdentity::NonMember {
                openid,
                external_userid,
            } => f
                .debug_struct("NonMember")
                .field("openid", openid)
                .field("external_userid", external_userid)
                .finish(),
        }
    }
}

/// One custom attribute of a member (`extattr.attrs[]`): text value, web URL, or mini-program title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtAttr {
    /// Attribute name as configured in the admin console.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A member as `user/get` returns it. Absent or empty fields are `None`/empty: since 2022-06-20 new
/// apps no longer get mobile, email, biz_mail, gender or avatar here (use [`WecomClient::user_detail`](super::client::WecomClient::user_detail)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// userid (the account name in WeCom).
    pub userid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Department IDs.
    #[serde(default)]
    pub department: Vec<i64>,
    /// Main department ID.
    #[serde(default)]
    pub main_department: Option<i64>,
    /// Job title.
    #[serde(default, deserialize_with = "non_empty")]
    pub position: Option<String>,
    /// Mobile (pre-2022 apps only).
    #[serde(default, deserialize_with = "non_empty")]
    pub mobile: Option<String>,
    /// Personal email (pre-2022 apps only).
    #[serde(default, deserialize_with = "non_empty")]
    pub email: Option<String>,
    /// Company email (pre-2022 apps only).
    #[serde(default, deserialize_with = "non_empty")]
    pub biz_mail: Option<String>,
    /// Alias.
    #[serde(default, deserialize_with = "non_empty")]
    pub alias: Option<String>,
    /// 1 active, 2 disabled, 4 not activated, 5 left. Absent → 0 (treated as not active).
    #[serde(default)]
    pub status: i64,
    /// Custom attributes.
    #[serde(default, deserialize_with = "ext_attrs")]
    pub extattr: Vec<ExtAttr>,
    /// The corp-independent open userid, when WeCom sends it.
    #[serde(default, deserialize_with = "non_empty")]
    pub open_userid: Option<String>,
}

impl Member {
    /// Only active members (status 1) may sign in.
    pub fn is_active(&self) -> bool {
        self.status == 1
    }

    /// The value of a custom attribute by name.
    pub fn ext(&self, name: &str) -> Option<&str> {
        self.extattr
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// The sensitive profile from `auth/getuserdetail` (after `snsapi_privateinfo` consent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    /// userid.
    pub userid: String,
    /// `"0"` unknown, `"1"` male, `"2"` female.
    #[serde(default, deserialize_with = "non_empty")]
    pub gender: Option<String>,
    /// Avatar URL.
    #[serde(default, deserialize_with = "non_empty")]
    pub avatar: Option<String>,
    /// Mobile.
    #[serde(default, deserialize_with = "non_empty")]
    pub mobile: Option<String>,
    /// Personal email.
    #[serde(default, deserialize_with = "non_empty")]
    pub email: Option<String>,
    /// Company email.
    #[serde(default, deserialize_with = "non_empty")]
    pub biz_mail: Option<String>,
    /// Address.
    #[serde(default, deserialize_with = "non_empty")]
    pub address: Option<String>,
}

/// A self-built app as `agent/get` describes it (the fields the set-up check uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The AgentId.
    pub agentid: i64,
    /// The app's name as members see it.
    #[serde(default)]
    pub name: String,
    /// 1 when the app is disabled (停用).
    #[serde(default)]
    pub close: i64,
    /// The members put in the visible range one by one (`allow_userinfos.user`), not those it
    /// covers through a department or tag.
    #[serde(default)]
    pub allow_userinfos: AllowedUsers,
    /// The tags in the visible range (`allow_tags.tagid`): their members are visible.
    #[serde(default)]
    pub allow_tags: AllowedTags,
}

/// `allow_tags` of `agent/get`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedTags {
    /// The tag IDs.
    #[serde(default)]
    pub tagid: Vec<i64>,
}

/// `allow_userinfos` of `agent/get`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedUsers {
    /// The members.
    #[serde(default)]
    pub user: Vec<AllowedUser>,
}

/// One member of `allow_userinfos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedUser {
    /// The userid.
    pub userid: String,
}

/// A department from `department/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Department ID (1 is the root).
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// English name, if set.
    #[serde(default, deserialize_with = "non_empty")]
    pub name_en: Option<String>,
    /// Parent ID (0 for the root).
    #[serde(default)]
    pub parentid: i64,
    /// Order among its siblings (WeCom shows the larger first).
    #[serde(default)]
    pub order: i64,
}

/// A member as `user/simplelist` lists them: userid, name and departments only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentMember {
    /// userid.
    pub userid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Department IDs.
    #[serde(default)]
    pub department: Vec<i64>,
}

/// A tag from `tag/list` (标签).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag ID.
    pub tagid: i64,
    /// Tag name (unique in the corp, at most 32 characters).
    #[serde(default)]
    pub tagname: String,
}

/// One member listed by `tag/get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagUser {
    /// userid.
    pub userid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
}

/// A tag's members as `tag/get` returns them: members tagged directly, and departments tagged as a
/// whole (a department's sub-departments belong to the tag too).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagMembers {
    /// The tag's name.
    #[serde(default)]
    pub tagname: String,
    /// Members tagged directly.
    #[serde(default)]
    pub userlist: Vec<TagUser>,
    /// Departments tagged as a whole.
    #[serde(default)]
    pub partylist: Vec<i64>,
}

impl TagMembers {
    /// Whether a member is in the tag: listed by userid, or in one of the tagged departments.
    /// `departments` are the member's departments with all their ancestors (so a tagged parent
    /// department covers its sub-departments).
    pub fn contains(&self, userid: &str, departments: &[i64]) -> bool {
        self.userlist.iter().any(|u| u.userid == userid)
            || self.partylist.iter().any(|d| departments.contains(d))
    }
}

/// Which mailbox `user/get_userid_by_email` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailType {
    /// Company mail (`biz_mail`), wire value 1.
    Corp,
    /// Personal mail (`email`), wire value 2.
    Personal,
}

impl EmailType {
    /// The wire value.
    pub fn code(self) -> i64 {
        match self {
            EmailType::Corp => 1,
            EmailType::Personal => 2,
        }
    }
}

/// `auth/getuserinfo` (lower-case keys) and legacy `user/getuserinfo` (`UserId`, `OpenId`).
#[derive(Deserialize)]
pub(super) struct RawIdentity {
    #[serde(default, alias = "UserId", deserialize_with = "non_empty")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    user_ticket: Option<String>,
    #[serde(default, alias = "OpenId", deserialize_with = "non_empty")]
    openid: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    external_userid: Option<String>,
}

impl RawIdentity {
    pub(super) fn into_identity(self, ep: &'static str) -> Result<CodeIdentity, WecomError> {
        match (self.userid, self.openid) {
            (Some(userid), _) => Ok(CodeIdentity::Member {
                userid,
                user_ticket: self.user_ticket,
            }),
            (None, Some(openid)) => Ok(CodeIdentity::NonMember {
                openid,
                external_userid: self.external_userid,
            }),
            (None, None) => Err(WecomError::Decode {
                endpoint: ep,
                detail: "neither userid nor openid in the answer".to_owned(),
            }),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct UserIdAnswer {
    pub(super) userid: String,
}

/// `""` and `null` → `None`.
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = Option::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

/// WeCom's `{"attrs":[{"type":0,"name":…,"text":{"value":…}}, {"type":1,"name":…,"web":{"url":…}}]}`,
/// or our own serialised `[{"name":…,"value":…}]`. Unreadable entries are skipped, never fatal.
fn ext_attrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ExtAttr>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let items = match &v {
        serde_json::Value::Array(a) => a.as_slice(),
        serde_json::Value::Object(o) => match o.get("attrs") {
            Some(serde_json::Value::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    let text = |item: &serde_json::Value, pointer: &str| {
        item.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Ok(items
        .iter()
        .filter_map(|item| {
            let name = text(item, "/name")?;
            let value = text(item, "/value")
                .or_else(|| text(item, "/text/value"))
                .or_else(|| text(item, "/web/url"))
                .or_else(|| text(item, "/miniprogram/title"))
                .unwrap_or_default();
            Some(ExtAttr { name, value })
        })
        .collect())
}
