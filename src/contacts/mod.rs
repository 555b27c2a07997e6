//! The stored WeCom address book (通讯录) — departments, members, tags — and how it follows WeCom:
//! a full sync ([`full_sync`]: read everything the app may see, then store the difference in one
//! transaction), the periodic one that only one instance runs at a time ([`sync_if_due`]), and the
//! incremental path ([`apply_change`]: re-read what a `change_contact` event names and store that).
//! No HTTP here; the store holds the rows (`store::directory`).
//!
//! Both paths report the [`StatusTransition`]s they saw (a member appearing, disappearing or
//! changing status), so the lifecycle rules can cut a leaver off whichever path noticed first.
//!
//! What WeCom releases to a self-built app decides what is stored: only the visible range, and
//! for apps created since 2022-06-20 no mobile, email, biz_mail, avatar, gender or address (those
//! come only from a member's own `snsapi_privateinfo` consent at login). README "Directory".

mod change;
mod diff;
mod sync;

pub use change::apply_change;
pub use diff::{diff, Counts};
pub use sync::{full_sync, read_wecom, sync_if_due, LEASE_SECS};

use crate::store::{DepartmentRow, MemberRow, Store, StoreError, TagRow};
use crate::wecom::client::{Department, Member, TagMembers, WecomClient};
use crate::wecom::contact_change::MemberStatus;
use crate::wecom::errors::WecomError;

pub use crate::store::{DirectorySnapshot, SyncStatusRow};

/// What the contacts domain works with.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The database.
    pub store: &'a Store,
    /// The WeCom client of the settings in force.
    pub client: &'a WecomClient,
}

/// Why a sync or a change could not be applied. Nothing was written when this is returned.
#[derive(Debug)]
pub enum ContactsError {
    /// WeCom refused or could not be reached.
    Wecom(WecomError),
    /// The database failed.
    Store(StoreError),
    /// WeCom answered an empty address book while the stored one has members: almost always a
    /// visible range emptied by mistake or a wrong app, so the stored directory is kept rather
    /// than every member reported as gone.
    EmptyAnswer {
        /// Members stored now.
        stored_members: usize,
    },
}

impl std::fmt::Display for ContactsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wecom(e) => write!(f, "WeCom: {e}"),
            Self::Store(e) => write!(f, "{e}"),
            Self::EmptyAnswer { stored_members } => write!(
                f,
                "WeCom listed no member in the app's visible range while {stored_members} are \
                 stored; nothing was changed. Check the app's visible range (可见范围) in WeCom"
            ),
        }
    }
}

impl std::error::Error for ContactsError {}

impl From<WecomError> for ContactsError {
    fn from(e: WecomError) -> Self {
        Self::Wecom(e)
    }
}

impl From<StoreError> for ContactsError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A member's status before and after a sync or change; `None` = not in the stored directory
/// (never seen, deleted, or outside the visible range). A userid renamed by WeCom shows as the
/// old userid going to `None` and the new one coming from `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTransition {
    /// The member.
    pub userid: String,
    /// Status before.
    pub before: Option<MemberStatus>,
    /// Status after.
    pub after: Option<MemberStatus>,
}

impl StatusTransition {
    /// Whether the member may no longer sign in after having been able to (left, disabled,
    /// removed, out of the visible range).
    pub fn is_cut_off(&self) -> bool {
        self.before.is_some_and(MemberStatus::may_sign_in)
            && !self.after.is_some_and(MemberStatus::may_sign_in)
    }
}

/// What kind of entry a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A department (key: its ID).
    Department,
    /// A member (key: userid).
    Member,
    /// A tag (key: its ID).
    Tag,
}

impl Entity {
    /// The word in the CLI's lines and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Department => "department",
            Self::Member => "member",
            Self::Tag => "tag",
        }
    }
}

/// What happened to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not stored before.
    Created,
    /// Stored with other values before.
    Updated,
    /// No longer in WeCom (or the visible range).
    Removed,
}

impl Action {
    /// The word in the CLI's lines and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Removed => "removed",
        }
    }
}

/// One stored entry that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Department, member or tag.
    pub entity: Entity,
    /// Its ID or userid.
    pub key: String,
    /// Created, updated or removed.
    pub action: Action,
    /// Its name (after the change; before it for a removal).
    pub name: String,
}

/// What a full sync or a change did to the stored directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Department counts.
    pub departments: Counts,
    /// Member counts.
    pub members: Counts,
    /// Tag counts.
    pub tags: Counts,
    /// Every changed entry, departments then members then tags, each by key.
    pub changes: Vec<Change>,
    /// Members whose status changed (appearing and disappearing included).
    pub transitions: Vec<StatusTransition>,
}

impl Outcome {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// A department as stored.
pub fn department_row(d: &Department) -> DepartmentRow {
    DepartmentRow {
        id: d.id,
        name: d.name.clone(),
        name_en: d.name_en.clone(),
        parent_id: d.parentid,
        order: d.order,
    }
}

/// A member as stored: what WeCom released, the departments sorted.
pub fn member_row(m: &Member) -> MemberRow {
    let mut departments = m.department.clone();
    departments.sort_unstable();
    departments.dedup();
    MemberRow {
        userid: m.userid.clone(),
        name: m.name.clone(),
        departments,
        main_department: m.main_department,
        position: m.position.clone(),
        status: MemberStatus::from_code(m.status),
        alias: m.alias.clone(),
        mobile: m.mobile.clone(),
        email: m.email.clone(),
        biz_mail: m.biz_mail.clone(),
        open_userid: m.open_userid.clone(),
        extattr: m.extattr.clone(),
    }
}

/// A tag as stored: its carriers sorted and each once.
pub fn tag_row(id: i64, name: &str, t: &TagMembers) -> TagRow {
    let mut users: Vec<String> = t.userlist.iter().map(|u| u.userid.clone()).collect();
    users.sort();
    users.dedup();
    let mut departments = t.partylist.clone();
    departments.sort_unstable();
    departments.dedup();
    TagRow {
        id,
        // tag/get names the tag too; tag/list's name wins when both are there.
        name: if name.is_empty() {
            t.tagname.clone()
        } else {
            name.to_owned()
        },
        users,
        departments,
    }
}
