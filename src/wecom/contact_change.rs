//! One change to the WeCom address book as a `change_contact` event announces it (接收消息 →
//! 通讯录变更事件): a member, a department or a tag created, updated or deleted. The callback
//! endpoint decrypts and parses an event into a [`ContactChange`]; the contacts domain applies it
//! (re-reading the member or department from WeCom where the event carries only part of it) and the
//! lifecycle rules cut a leaver off. The event is a hint, never the whole truth: what it names is
//! read again, and the periodic full reconciliation repairs events that never arrived.

/// A member's `Status` as WeCom sends it in `user/get` and in `update_user` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// 1: active; the only status that may sign in.
    Active,
    /// 2: disabled by an admin.
    Disabled,
    /// 4: invited, never activated.
    NotActivated,
    /// 5: left the enterprise.
    Left,
    /// Any other number WeCom may add later (treated as not active).
    Other(i64),
}

impl MemberStatus {
    /// From WeCom's number.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Active,
            2 => Self::Disabled,
            4 => Self::NotActivated,
            5 => Self::Left,
            other => Self::Other(other),
        }
    }

    /// WeCom's number.
    pub fn code(self) -> i64 {
        match self {
            Self::Active => 1,
            Self::Disabled => 2,
            Self::NotActivated => 4,
            Self::Left => 5,
            Self::Other(other) => other,
        }
    }

    /// Whether this status may sign in (only 1).
    pub fn may_sign_in(self) -> bool {
        self == Self::Active
    }
}

/// One `change_contact` event (its `ChangeType`), with what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactChange {
    /// `create_user`: a member was added.
    UserCreated {
        /// The new member's userid.
        userid: String,
    },
    /// `update_user`: a member changed; `new_userid` when the userid itself was renamed (a userid can
    /// be changed once), `status` when the event carries it.
    UserUpdated {
        /// The userid before the change.
        userid: String,
        /// The userid after a rename (`NewUserID`).
        new_userid: Option<String>,
        /// The status, when the event carries it (a member disabled or re-enabled).
        status: Option<MemberStatus>,
    },
    /// `delete_user`: a member was removed (left the enterprise).
    UserDeleted {
        /// The removed member's userid.
        userid: String,
    },
    /// `create_party`: a department was added.
    DepartmentCreated {
        /// Its ID.
        id: i64,
    },
    /// `update_party`: a department was renamed or moved.
    DepartmentUpdated {
        /// Its ID.
        id: i64,
    },
    /// `delete_party`: a department was removed (WeCom removes only empty ones).
    DepartmentDeleted {
        /// Its ID.
        id: i64,
    },
    /// `update_tag`: a tag's members changed (WeCom sends the added and removed userids and
    /// departments; the tag is read again whole).
    TagUpdated {
        /// The tag's ID.
        tagid: i64,
    },
}

impl ContactChange {
    /// WeCom's `ChangeType` word for this change (audit rows and logs use it).
    pub fn change_type(&self) -> &'static str {
        match self {
            Self::UserCreated { .. } => "create_user",
            Self::UserUpdated { .. } => "update_user",
            Self::UserDeleted { .. } => "delete_user",
            Self::DepartmentCreated { .. } => "create_party",
            Self::DepartmentUpdated { .. } => "update_party",
            Self::DepartmentDeleted { .. } => "delete_party",
            Self::TagUpdated { .. } => "update_tag",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip_and_only_active_signs_in() {
        for code in [1, 2, 4, 5, 7] {
            assert_eq!(MemberStatus::from_code(code).code(), code);
        }
        assert!(MemberStatus::from_code(1).may_sign_in());
        assert!(!MemberStatus::from_code(5).may_sign_in());
        assert!(!MemberStatus::from_code(7).may_sign_in());
    }
}
