//! The WeCom address book as the console's rule pickers read it: departments as an indented tree,
//! tags, the members of a department, and a search of members by name or userid. They read the
//! stored directory ([`crate::contacts`]) while its last full sync is fresh (within twice
//! `directory.sync_interval`), and WeCom live through the client in force otherwise ([`Source`]);
//! live, the client's short per-instance caches (department list 10 min, tags and each department's
//! members 60 s, by the injected clock) keep an admin who types in the search from calling WeCom at
//! every key.
//!
//! A self-built app reads only its visible range: `department/list` lists the departments it sees,
//! `user/simplelist` answers 60011 outside them, and there is no member search in WeCom's API, so a
//! search walks the visible departments (at most [`MAX_SEARCHED_DEPARTMENTS`]) and filters here.
//! When WeCom refuses or cannot be reached, [`Unreadable`] names the problem and what to configure
//! in WeCom (the catalogue's [`crate::text::DIRECTORY_PROBLEMS`]).

use crate::store::{DirectorySnapshot, Store};
use crate::text::{directory_problem, DirectoryProblem};
use crate::wecom::client::{Department, WecomClient};
use crate::wecom::errors::WecomError;
use std::collections::{HashMap, HashSet};

use super::AdminError;

/// A search reads at most this many departments' member lists.
pub const MAX_SEARCHED_DEPARTMENTS: usize = 200;
/// A search answers at most this many members.
pub const MAX_SEARCH_RESULTS: usize = 50;
/// The tree is at most this deep (a cycle in bad data must not loop).
const MAX_DEPTH: usize = 32;

/// A department in tree order, with its depth under the visible roots (0: a root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeptEntry {
    /// Department ID (what `dept:` rules name).
    pub id: i64,
    /// Name.
    pub name: String,
    /// English name, if WeCom has one.
    pub name_en: Option<String>,
    /// Parent ID (0 for the corp's root).
    pub parentid: i64,
    /// Depth in the visible tree.
    pub depth: usize,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    /// Tag ID.
    pub id: i64,
    /// Tag name.
    pub name: String,
}

/// A member as the picker shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    /// userid (what `user:` rules name).
    pub userid: String,
    /// Display name.
    pub name: String,
    /// Department IDs.
    pub departments: Vec<i64>,
}

/// Search text: trimmed, 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// Checks the text of a member search.
    pub fn parse(s: &str) -> Result<Self, AdminError> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
            return Err(AdminError::invalid(
                "q",
                "search with 1 to 64 characters of a member's name or userid",
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    fn matches(&self, m: &MemberEntry) -> bool {
        m.userid.to_lowercase().contains(&self.0) || m.name.to_lowercase().contains(&self.0)
    }
}

/// Which members to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberQuery {
    /// The direct members of a department.
    Department(i64),
    /// Members whose name or userid contains the text, in the visible departments.
    Search(SearchText),
}

/// WeCom could not be read: the error, and the catalogue's problem (what to configure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What the client got.
    pub error: WecomError,
    /// What it means and what to configure.
    pub problem: &'static DirectoryProblem,
}

impl Unreadable {
    /// The problem of a client error.
    pub fn of(error: WecomError) -> Self {
        let key = match &error {
            WecomError::Api { code: 60011, .. } => "no_privilege",
            WecomError::Api {
                code: 48002 | 48009,
                ..
            } => "api_forbidden",
            WecomError::Api { code: 60020, .. } => "ip_not_trusted",
            WecomError::Timeout { .. }
            | WecomError::Transport { .. }
            | WecomError::Decode { .. }
            | WecomError::Setup { .. } => "unreachable",
            WecomError::Api { .. } | WecomError::NotMember => "wecom_error",
        };
        Self {
            error,
            problem: directory_problem(key),
        }
    }

    /// WeCom's errcode, when WeCom answered one.
    pub fn errcode(&self) -> Option<i64> {
        self.error.code()
    }

    /// The problem's key (`no_privilege`, `api_forbidden`, `ip_not_trusted`, `unreachable`,
    /// `wecom_error`).
    pub fn key(&self) -> &'static str {
        self.problem.key
    }

    /// Whether WeCom never answered (as opposed to refusing).
    pub fn unreachable(&self) -> bool {
        self.key() == "unreachable"
    }

    /// ` (errcode N)` when WeCom answered one that the problem's title does not already name.
    pub fn code_note(&self) -> String {
        match self.errcode() {
            Some(c) if !self.problem.title.en.contains(&c.to_string()) => {
                format!(" (errcode {c})")
            }
            _ => String::new(),
        }
    }

    /// One line for API messages and logs: the problem, the errcode, the fix (English / Chinese).
    pub fn message(&self) -> String {
        let code = self.code_note();
        format!(
            "{}{code}: {} / {}{code}：{}",
            self.problem.title.en, self.problem.fix.en, self.problem.title.zh, self.problem.fix.zh
        )
    }
}

impl From<WecomError> for Unreadable {
    fn from(e: WecomError) -> Self {
        Self::of(e)
    }
}

/// The visible departments in tree order: each after its parent, siblings by ID; a department whose
/// parent the app cannot see is a root of the visible tree.
pub fn tree(list: &[Department]) -> Vec<DeptEntry> {
    let ids: HashSet<i64> = list.iter().map(|d| d.id).collect();
    let mut children: HashMap<i64, Vec<&Department>> = HashMap::new();
    let mut roots: Vec<&Department> = Vec::new();
    for d in list {
        if d.parentid != d.id && ids.contains(&d.parentid) {
            children.entry(d.parentid).or_default().push(d);
        } else {
            roots.push(d);
        }
    }
    roots.sort_by_key(|d| d.id);
    for c in children.values_mut() {
        c.sort_by_key(|d| d.id);
    }
    let mut out = Vec::with_capacity(list.len());
    let mut seen = HashSet::new();
    // Depth-first, children after their parent; an explicit stack (no recursion on WeCom's data).
    let mut stack: Vec<(&Department, usize)> = roots.into_iter().rev().map(|d| (d, 0)).collect();
    while let Some((d, depth)) = stack.pop() {
        if !seen.insert(d.id) || depth > MAX_DEPTH {
            continue;
        }
        out.push(DeptEntry {
            id: d.id,
            name: d.name.clone(),
            name_en: d.name_en.clone(),
            parentid: d.parentid,
            depth,
        });
        if let Some(c) = children.get(&d.id) {
            stack.extend(c.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

/// Where the pickers read the address book.
#[derive(Debug, Clone)]
pub enum Source {
    /// WeCom now, through the client in force.
    Live(WecomClient),
    /// The stored directory, whose last full sync is fresh.
    Stored(Box<DirectorySnapshot>),
}

impl Source {
    /// The stored directory when its last full sync finished within `fresh_secs` of `now` (and it
    /// holds something), WeCom live otherwise (`fresh_secs` `None`: the periodic sync is off, so
    /// the stored copy is not known to be current). A store that cannot be read means live.
    pub async fn choose(
        store: &Store,
        client: &WecomClient,
        now: i64,
        fresh_secs: Option<i64>,
    ) -> Self {
        let live = Self::Live(client.clone());
        let Some(fresh_secs) = fresh_secs else {
            return live;
        };
        match store.directory_sync_status().await {
            Ok(s) if s.finished_at.is_some_and(|at| now - at <= fresh_secs) => {}
            _ => return live,
        }
        match store.directory_snapshot().await {
            Ok(snap) if !snap.departments.is_empty() => Self::Stored(Box::new(snap)),
            _ => live,
        }
    }

    /// `stored` or `live`, as the API reports it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Live(_) => "live",
            Self::Stored(_) => "stored",
        }
    }
}

/// The stored directory's state, as the console's WeCom page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryStatus {
    /// The sync-status row: last start, last success with its counts, last error.
    pub row: crate::store::SyncStatusRow,
    /// `directory.sync_interval` in seconds; `None` when the periodic sync is off.
    pub interval_secs: Option<i64>,
    /// Whether the pickers read the stored directory now (its last sync is fresh).
    pub fresh: bool,
}

/// The stored directory's state at `now`; fresh when the last success is within `fresh_secs`.
pub async fn status(
    store: &Store,
    now: i64,
    interval_secs: Option<i64>,
    fresh_secs: Option<i64>,
) -> Result<DirectoryStatus, AdminError> {
    let row = store.directory_sync_status().await?;
    let fresh = match (row.finished_at, fresh_secs) {
        (Some(at), Some(max)) => now - at <= max && row.departments > 0,
        _ => false,
    };
    Ok(DirectoryStatus {
        row,
        interval_secs,
        fresh,
    })
}

/// The departments the app sees, in tree order.
pub async fn departments(source: &Source) -> Result<Vec<DeptEntry>, Unreadable> {
    match source {
        Source::Live(client) => Ok(tree(&client.departments().await?)),
        Source::Stored(snap) => {
            let list: Vec<Department> = snap
                .departments
                .iter()
                .map(|d| Department {
                    id: d.id,
                    name: d.name.clone(),
                    name_en: d.name_en.clone(),
                    parentid: d.parent_id,
                    order: d.order,
                })
                .collect();
            Ok(tree(&list))
        }
    }
}

/// Every tag, by name.
pub async fn tags(source: &Source) -> Result<Vec<TagEntry>, Unreadable> {
    let mut out: Vec<TagEntry> = match source {
        Source::Live(client) => client
            .tags()
            .await?
            .into_iter()
            .map(|t| TagEntry {
                id: t.tagid,
                name: t.tagname,
            })
            .collect(),
        Source::Stored(snap) => snap
            .tags
            .iter()
            .map(|t| TagEntry {
                id: t.id,
                name: t.name.clone(),
            })
            .collect(),
    };
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Members of a department, or found by a search (each once, by name).
pub async fn members(source: &Source, q: &MemberQuery) -> Result<Vec<MemberEntry>, Unreadable> {
    let client = match source {
        Source::Live(client) => client,
        Source::Stored(snap) => return Ok(stored_members(snap, q)),
    };
    let entry = |m: crate::wecom::client::DepartmentMember| MemberEntry {
        userid: m.userid,
        name: m.name,
        departments: m.department,
    };
    let mut out: Vec<MemberEntry> = match q {
        MemberQuery::Department(id) => client
            .department_members(*id)
            .await?
            .into_iter()
            .map(entry)
            .collect(),
        MemberQuery::Search(text) => {
            let depts = tree(&client.departments().await?);
            let mut seen = HashSet::new();
            let mut found = Vec::new();
            for d in depts.iter().take(MAX_SEARCHED_DEPARTMENTS) {
                let list = match client.department_members(d.id).await {
                    Ok(l) => l,
                    // Listed but not readable (a department the range covers only in part): skip it.
                    Err(e) if e.code() == Some(60011) => continue,
                    Err(e) => return Err(e.into()),
                };
                for m in list.into_iter().map(entry) {
                    if text.matches(&m) && seen.insert(m.userid.clone()) {
                        found.push(m);
                    }
                }
                if found.len() >= MAX_SEARCH_RESULTS {
                    break;
                }
            }
            found.truncate(MAX_SEARCH_RESULTS);
            found
        }
    };
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.userid.cmp(&b.userid)));
    Ok(out)
}

/// [`members`] from the stored directory: the same answers, without calling WeCom.
fn stored_members(snap: &DirectorySnapshot, q: &MemberQuery) -> Vec<MemberEntry> {
    let mut out: Vec<MemberEntry> = snap
        .members
        .iter()
        .map(|m| MemberEntry {
            userid: m.userid.clone(),
            name: m.name.clone(),
            departments: m.departments.clone(),
        })
        .filter(|m| match q {
            MemberQuery::Department(id) => m.departments.contains(id),
            MemberQuery::Search(text) => text.matches(m),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.userid.cmp(&b.userid)));
    if matches!(q, MemberQuery::Search(_)) {
        out.truncate(MAX_SEARCH_RESULTS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wecom::simulator::department;

    #[test]
    fn the_tree_puts_children_under_their_parent() {
        let list = vec![
            department(3, "运维部", None, 1),
            department(5, "SRE", None, 3),
            department(1, "总部", None, 0),
            department(2, "研发部", None, 1),
            // Its parent is not visible: a root of the visible tree.
            department(9, "外部", None, 8),
            // A cycle in bad data must neither loop nor vanish silently into a loop.
            department(7, "loop", None, 7),
        ];
        let t: Vec<(i64, usize)> = tree(&list).iter().map(|d| (d.id, d.depth)).collect();
        assert_eq!(t, vec![(1, 0), (2, 1), (3, 1), (5, 2), (7, 0), (9, 0)]);
    }

    #[test]
    fn search_text_is_bounded() {
        assert!(SearchText::parse("  张 ").is_ok());
        assert!(SearchText::parse("").is_err());
        assert!(SearchText::parse("a\u{7}").is_err());
        assert!(SearchText::parse(&"x".repeat(65)).is_err());
        let m = MemberEntry {
            userid: "ZhangSan".into(),
            name: "张三".into(),
            departments: vec![],
        };
        assert!(SearchText::parse("zhang")
            .map(|s| s.matches(&m))
            .unwrap_or(false));
        assert!(SearchText::parse("张")
            .map(|s| s.matches(&m))
            .unwrap_or(false));
        assert!(!SearchText::parse("li")
            .map(|s| s.matches(&m))
            .unwrap_or(true));
    }

    #[test]
    fn errors_name_what_to_configure() {
        let api = |code| WecomError::Api {
            code,
            errmsg: String::new(),
            endpoint: "user/simplelist",
        };
        assert_eq!(Unreadable::of(api(60011)).key(), "no_privilege");
        assert_eq!(Unreadable::of(api(48009)).key(), "api_forbidden");
        assert_eq!(Unreadable::of(api(48002)).key(), "api_forbidden");
        assert_eq!(Unreadable::of(api(60020)).key(), "ip_not_trusted");
        assert_eq!(Unreadable::of(api(40001)).key(), "wecom_error");
        let t = Unreadable::of(WecomError::Timeout {
            endpoint: "tag/list",
        });
        assert!(t.unreachable());
        let m = Unreadable::of(api(60011)).message();
        assert!(m.contains("可见范围") && m.contains("visible range") && m.contains("60011"));
        assert!(!m.contains("errcode"), "the title names the code once: {m}");
        assert_eq!(Unreadable::of(api(40001)).code_note(), " (errcode 40001)");
    }
}
