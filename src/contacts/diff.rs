//! The difference between two directories: what to write to turn the stored one into the one read
//! from WeCom, the counts and changed entries for the report, and the members' status
//! transitions. The full sync compares everything; a change event compares just the entries it
//! names (the same function on two small directories).

use std::collections::BTreeMap;

use super::{Action, Change, Entity, Outcome, StatusTransition};
use crate::store::{DirectoryDiff, DirectorySnapshot};

/// Created, updated and removed entries of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// New entries.
    pub created: usize,
    /// Entries with other values than stored.
    pub updated: usize,
    /// Stored entries WeCom no longer has.
    pub removed: usize,
}

impl Counts {
    fn add(&mut self, action: Action) {
        match action {
            Action::Created => self.created += 1,
            Action::Updated => self.updated += 1,
            Action::Removed => self.removed += 1,
        }
    }
}

/// One kind's comparison: upserts, deletions, and each changed key with its action and name.
struct Compared<K, T> {
    upserts: Vec<T>,
    deletes: Vec<K>,
    changes: Vec<(K, Action, String)>,
}

fn compare<K: Ord + Clone, T: PartialEq + Clone>(
    stored: &[T],
    fresh: &[T],
    key: impl Fn(&T) -> K,
    name: impl Fn(&T) -> String,
) -> Compared<K, T> {
    let old: BTreeMap<K, &T> = stored.iter().map(|t| (key(t), t)).collect();
    let new: BTreeMap<K, &T> = fresh.iter().map(|t| (key(t), t)).collect();
    let mut out = Compared {
        upserts: Vec::new(),
        deletes: Vec::new(),
        changes: Vec::new(),
    };
    for (k, t) in &new {
        let action = match old.get(k) {
            None => Action::Created,
            Some(o) if *o != *t => Action::Updated,
            Some(_) => continue,
        };
        out.upserts.push((*t).clone());
        out.changes.push((k.clone(), action, name(t)));
    }
    for (k, t) in &old {
        if !new.contains_key(k) {
            out.deletes.push(k.clone());
            out.changes.push((k.clone(), Action::Removed, name(t)));
        }
    }
    out.changes.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn record<K: ToString>(
    outcome: &mut Outcome,
    entity: Entity,
    changes: &[(K, Action, String)],
) -> Counts {
    let mut counts = Counts::default();
    for (k, action, name) in changes {
        counts.add(*action);
        outcome.changes.push(Change {
            entity,
            key: k.to_string(),
            action: *action,
            name: name.clone(),
        });
    }
    counts
}

/// What to write to turn `stored` into `fresh`, and what that changes.
pub fn diff(stored: &DirectorySnapshot, fresh: &DirectorySnapshot) -> (DirectoryDiff, Outcome) {
    let departments = compare(
        &stored.departments,
        &fresh.departments,
        |d| d.id,
        |d| d.name.clone(),
    );
    let members = compare(
        &stored.members,
        &fresh.members,
        |m| m.userid.clone(),
        |m| m.name.clone(),
    );
    let tags = compare(&stored.tags, &fresh.tags, |t| t.id, |t| t.name.clone());
    let mut outcome = Outcome::default();
    outcome.departments = record(&mut outcome, Entity::Department, &departments.changes);
    outcome.members = record(&mut outcome, Entity::Member, &members.changes);
    outcome.tags = record(&mut outcome, Entity::Tag, &tags.changes);
    let before: BTreeMap<&str, _> = stored
        .members
        .iter()
        .map(|m| (m.userid.as_str(), m.status))
        .collect();
    let after: BTreeMap<&str, _> = fresh
        .members
        .iter()
        .map(|m| (m.userid.as_str(), m.status))
        .collect();
    let mut keys: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    outcome.transitions = keys
        .into_iter()
        .filter_map(|userid| {
            let (b, a) = (before.get(userid).copied(), after.get(userid).copied());
            (b != a).then(|| StatusTransition {
                userid: userid.to_owned(),
                before: b,
                after: a,
            })
        })
        .collect();
    let write = DirectoryDiff {
        upsert_departments: departments.upserts,
        delete_departments: departments.deletes,
        upsert_members: members.upserts,
        delete_members: members.deletes,
        upsert_tags: tags.upserts,
        delete_tags: tags.deletes,
    };
    (write, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DepartmentRow, MemberRow, TagRow};
    use crate::wecom::contact_change::MemberStatus;

    fn member(userid: &str, status: MemberStatus, departments: &[i64]) -> MemberRow {
        MemberRow {
            userid: userid.into(),
            name: userid.to_uppercase(),
            departments: departments.to_vec(),
            main_department: departments.first().copied(),
            position: None,
            status,
            alias: None,
            mobile: None,
            email: None,
            biz_mail: None,
            open_userid: None,
            extattr: Vec::new(),
        }
    }

    #[test]
    fn the_difference_counts_and_reports_status_transitions() {
        use MemberStatus::*;
        let dept = |id, name: &str| DepartmentRow {
            id,
            name: name.into(),
            name_en: None,
            parent_id: 1,
            order: 0,
        };
        let stored = DirectorySnapshot {
            departments: vec![dept(2, "R&D"), dept(3, "Ops")],
            members: vec![
                member("a", Active, &[2]),
                member("b", Active, &[2]),
                member("c", Active, &[3]),
                member("same", Active, &[3]),
            ],
            tags: vec![TagRow {
                id: 1,
                name: "t".into(),
                users: vec!["a".into()],
                departments: vec![],
            }],
        };
        let fresh = DirectorySnapshot {
            departments: vec![dept(2, "Research"), dept(3, "Ops"), dept(4, "New")],
            members: vec![
                member("a", Active, &[3]),
                member("b", Left, &[2]),
                member("d", Disabled, &[4]),
                member("same", Active, &[3]),
            ],
            tags: vec![],
        };
        let (write, out) = diff(&stored, &fresh);
        assert_eq!(
            (
                out.departments.created,
                out.departments.updated,
                out.departments.removed
            ),
            (1, 1, 0)
        );
        assert_eq!(
            (
                out.members.created,
                out.members.updated,
                out.members.removed
            ),
            (1, 2, 1)
        );
        assert_eq!(out.tags.removed, 1);
        assert_eq!(write.delete_members, vec!["c".to_owned()]);
        assert_eq!(write.delete_tags, vec![1]);
        let t: Vec<(&str, Option<MemberStatus>, Option<MemberStatus>)> = out
            .transitions
            .iter()
            .map(|t| (t.userid.as_str(), t.before, t.after))
            .collect();
        assert_eq!(
            t,
            vec![
                ("b", Some(Active), Some(Left)),
                ("c", Some(Active), None),
                ("d", None, Some(Disabled)),
            ]
        );
        assert!(out.transitions[0].is_cut_off() && out.transitions[1].is_cut_off());
        assert!(!out.transitions[2].is_cut_off());
        // Applying it leaves nothing to do.
        let (again, none) = diff(&fresh, &fresh);
        assert!(again.is_empty() && none.is_empty() && none.transitions.is_empty());
    }
}
