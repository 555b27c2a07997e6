//! The stored WeCom address book: departments, members, tags with who carries them, and the one
//! row of sync status (which doubles as the lease of the periodic full sync). The contacts domain
//! (`contacts`) decides what to write; this file only reads and writes rows, and applies a
//! [`DirectoryDiff`] in one transaction so a reader never sees half a directory.

use sqlx::Row;

use super::{Result, Store, StoreError};
use crate::wecom::client::ExtAttr;
use crate::wecom::contact_change::MemberStatus;

/// A stored department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRow {
    /// WeCom's department ID (1 is the corp's root).
    pub id: i64,
    /// Name.
    pub name: String,
    /// English name, when WeCom has one.
    pub name_en: Option<String>,
    /// Parent ID (0 for the root).
    pub parent_id: i64,
    /// WeCom's `order` among its siblings (larger first, as WeCom sorts).
    pub order: i64,
}

/// A stored member: what `user/list` releases to a self-built app. `mobile`, `email` and
/// `biz_mail` are `None` for apps created since 2022-06-20 (WeCom withholds them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// userid.
    pub userid: String,
    /// Display name.
    pub name: String,
    /// Department IDs.
    pub departments: Vec<i64>,
    /// Main department.
    pub main_department: Option<i64>,
    /// Job title.
    pub position: Option<String>,
    /// Status (only active may sign in).
    pub status: MemberStatus,
    /// Alias.
    pub alias: Option<String>,
    /// Mobile, when WeCom releases it.
    pub mobile: Option<String>,
    /// Personal email, when WeCom releases it.
    pub email: Option<String>,
    /// Company email, when WeCom releases it.
    pub biz_mail: Option<String>,
    /// The corp-independent open userid, when WeCom sends it.
    pub open_userid: Option<String>,
    /// Custom attributes.
    pub extattr: Vec<ExtAttr>,
}

/// A stored tag with the members and departments that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    /// Tag ID.
    pub id: i64,
    /// Name.
    pub name: String,
    /// userids tagged directly, sorted.
    pub users: Vec<String>,
    /// Departments tagged as a whole, sorted.
    pub departments: Vec<i64>,
}

/// The whole stored directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySnapshot {
    /// Departments by ID.
    pub departments: Vec<DepartmentRow>,
    /// Members by userid.
    pub members: Vec<MemberRow>,
    /// Tags by ID.
    pub tags: Vec<TagRow>,
}

/// What to write: rows to insert or replace and keys to delete, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryDiff {
    /// Departments to insert or replace.
    pub upsert_departments: Vec<DepartmentRow>,
    /// Department IDs to delete.
    pub delete_departments: Vec<i64>,
    /// Members to insert or replace.
    pub upsert_members: Vec<MemberRow>,
    /// userids to delete.
    pub delete_members: Vec<String>,
    /// Tags to insert or replace (their carriers replaced whole).
    pub upsert_tags: Vec<TagRow>,
    /// Tag IDs to delete.
    pub delete_tags: Vec<i64>,
}

impl DirectoryDiff {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.upsert_departments.is_empty()
            && self.delete_departments.is_empty()
            && self.upsert_members.is_empty()
            && self.delete_members.is_empty()
            && self.upsert_tags.is_empty()
            && self.delete_tags.is_empty()
    }
}

/// The sync-status row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatusRow {
    /// When the last full sync started, Unix seconds.
    pub started_at: Option<i64>,
    /// When the last successful full sync finished, Unix seconds.
    pub finished_at: Option<i64>,
    /// Departments stored after it.
    pub departments: i64,
    /// Members stored after it.
    pub members: i64,
    /// Tags stored after it.
    pub tags: i64,
    /// The last failure (cleared by a success).
    pub last_error: Option<String>,
    /// When it failed, Unix seconds.
    pub error_at: Option<i64>,
}

const MEMBER_COLUMNS: &str = "userid, name, departments_json, main_department, position, status, \
                              alias, mobile, email, biz_mail, open_userid, extattr_json";

fn member_from(row: &sqlx::any::AnyRow) -> Result<MemberRow> {
    let userid: String = row.try_get("userid")?;
    let departments: String = row.try_get("departments_json")?;
    let extattr: String = row.try_get("extattr_json")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("directory member {userid}: {what}"));
    Ok(MemberRow {
        name: row.try_get("name")?,
        departments: serde_json::from_str(&departments).map_err(|_| corrupt("departments"))?,
        main_department: row.try_get("main_department")?,
        position: row.try_get("position")?,
        status: MemberStatus::from_code(row.try_get("status")?),
        alias: row.try_get("alias")?,
        mobile: row.try_get("mobile")?,
        email: row.try_get("email")?,
        biz_mail: row.try_get("biz_mail")?,
        open_userid: row.try_get("open_userid")?,
        extattr: serde_json::from_str(&extattr).map_err(|_| corrupt("extattr"))?,
        userid,
    })
}

fn department_from(row: &sqlx::any::AnyRow) -> Result<DepartmentRow> {
    Ok(DepartmentRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        parent_id: row.try_get("parent_id")?,
        order: row.try_get("sort_order")?,
    })
}

fn json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("directory JSON: {e}")))
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

impl Store {
    /// The whole stored directory, each list sorted by its key.
    pub async fn directory_snapshot(&self) -> Result<DirectorySnapshot> {
        let departments = sqlx::query(
            "SELECT id, name, name_en, parent_id, sort_order FROM directory_departments ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(department_from)
        .collect::<Result<Vec<_>>>()?;
        let members = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM directory_members ORDER BY userid"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(member_from)
        .collect::<Result<Vec<_>>>()?;
        let names: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM directory_tags ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let carriers: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT tag_id, kind, ref FROM directory_tag_members ORDER BY tag_id, kind, ref",
        )
        .fetch_all(&self.pool)
        .await?;
        let tags = names
            .into_iter()
            .map(|(id, name)| tag_row(id, name, &carriers))
            .collect();
        Ok(DirectorySnapshot {
            departments,
            members,
            tags,
        })
    }

    /// One stored member.
    pub async fn directory_member(&self, userid: &str) -> Result<Option<MemberRow>> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM directory_members WHERE userid = $1"
        ))
        .bind(userid)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(member_from)
        .transpose()
    }

    /// One stored department.
    pub async fn directory_department(&self, id: i64) -> Result<Option<DepartmentRow>> {
        sqlx::query(
            "SELECT id, name, name_en, parent_id, sort_order FROM directory_departments \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(department_from)
        .transpose()
    }

    /// One stored tag with its carriers.
    pub async fn directory_tag(&self, id: i64) -> Result<Option<TagRow>> {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM directory_tags WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(name) = name else { return Ok(None) };
        let carriers: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT tag_id, kind, ref FROM directory_tag_members WHERE tag_id = $1 \
             ORDER BY kind, ref",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(tag_row(id, name, &carriers)))
    }

    /// Writes `diff` in one transaction: either all of it is stored or none.
    pub async fn apply_directory(&self, diff: &DirectoryDiff) -> Result<()> {
        if diff.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for d in &diff.upsert_departments {
            upsert_department(&mut tx, d).await?;
        }
        for id in &diff.delete_departments {
            sqlx::query("DELETE FROM directory_departments WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for m in &diff.upsert_members {
            upsert_member(&mut tx, m).await?;
        }
        for userid in &diff.delete_members {
            sqlx::query("DELETE FROM directory_members WHERE userid = $1")
                .bind(userid)
                .execute(&mut *tx)
                .await?;
        }
        for t in &diff.upsert_tags {
            replace_tag(&mut tx, t).await?;
        }
        for id in &diff.delete_tags {
            delete_tag(&mut tx, *id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The sync-status row.
    pub async fn directory_sync_status(&self) -> Result<SyncStatusRow> {
        let row = sqlx::query(
            "SELECT started_at, finished_at, departments, members, tags, last_error, error_at \
             FROM directory_sync WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(SyncStatusRow::default());
        };
        Ok(SyncStatusRow {
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            departments: row.try_get("departments")?,
            members: row.try_get("members")?,
            tags: row.try_get("tags")?,
            last_error: row.try_get("last_error")?,
            error_at: row.try_get("error_at")?,
        })
    }

    /// Notes that a full sync started.
    pub async fn directory_sync_started(&self, now: i64) -> Result<()> {
        sqlx::query("UPDATE directory_sync SET started_at = $1 WHERE id = 1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Notes a successful full sync and what is stored after it; clears the last error.
    pub async fn directory_sync_finished(&self, now: i64, counts: [i64; 3]) -> Result<()> {
        sqlx::query(
            "UPDATE directory_sync SET finished_at = $1, departments = $2, members = $3, \
             tags = $4, last_error = NULL, error_at = NULL WHERE id = 1",
        )
        .bind(now)
        .bind(counts[0])
        .bind(counts[1])
        .bind(counts[2])
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Notes a failed full sync (the stored directory is left as it was).
    pub async fn directory_sync_failed(&self, now: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE directory_sync SET last_error = $1, error_at = $2 WHERE id = 1")
            .bind(error)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Claims the periodic full sync for `holder` until `until`, when no other instance holds an
    /// unexpired lease and the last successful sync finished at or before `due_before` (or never).
    /// One UPDATE decides, so of several instances asking at once exactly one gets `true`.
    pub async fn claim_directory_sync(
        &self,
        holder: &str,
        now: i64,
        until: i64,
        due_before: i64,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE directory_sync SET lease_holder = $1, lease_until = $2 \
             WHERE id = 1 AND (lease_until <= $3 OR lease_holder = $1) \
             AND (finished_at IS NULL OR finished_at <= $4)",
        )
        .bind(holder)
        .bind(until)
        .bind(now)
        .bind(due_before)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives the lease back (only `holder`'s).
    pub async fn release_directory_sync(&self, holder: &str) -> Result<()> {
        sqlx::query("UPDATE directory_sync SET lease_until = 0 WHERE id = 1 AND lease_holder = $1")
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn tag_row(id: i64, name: String, carriers: &[(i64, String, String)]) -> TagRow {
    let mine = carriers.iter().filter(|(t, _, _)| *t == id);
    let mut users: Vec<String> = Vec::new();
    let mut departments: Vec<i64> = Vec::new();
    for (_, kind, reference) in mine {
        match kind.as_str() {
            "user" => users.push(reference.clone()),
            _ => departments.extend(reference.parse::<i64>().ok()),
        }
    }
    users.sort();
    departments.sort_unstable();
    TagRow {
        id,
        name,
        users,
        departments,
    }
}

async fn upsert_department(tx: &mut Tx<'_>, d: &DepartmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO directory_departments (id, name, name_en, parent_id, sort_order) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         name_en = excluded.name_en, parent_id = excluded.parent_id, \
         sort_order = excluded.sort_order",
    )
    .bind(d.id)
    .bind(&d.name)
    .bind(&d.name_en)
    .bind(d.parent_id)
    .bind(d.order)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn upsert_member(tx: &mut Tx<'_>, m: &MemberRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO directory_members ({MEMBER_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (userid) DO UPDATE SET name = excluded.name, \
         departments_json = excluded.departments_json, main_department = excluded.main_department, \
         position = excluded.position, status = excluded.status, alias = excluded.alias, \
         mobile = excluded.mobile, email = excluded.email, biz_mail = excluded.biz_mail, \
         open_userid = excluded.open_userid, extattr_json = excluded.extattr_json"
    ))
    .bind(&m.userid)
    .bind(&m.name)
    .bind(json(&m.departments)?)
    .bind(m.main_department)
    .bind(&m.position)
    .bind(m.status.code())
    .bind(&m.alias)
    .bind(&m.mobile)
    .bind(&m.email)
    .bind(&m.biz_mail)
    .bind(&m.open_userid)
    .bind(json(&m.extattr)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn replace_tag(tx: &mut Tx<'_>, t: &TagRow) -> Result<()> {
    delete_tag(tx, t.id).await?;
    sqlx::query("INSERT INTO directory_tags (id, name) VALUES ($1, $2)")
        .bind(t.id)
        .bind(&t.name)
        .execute(&mut **tx)
        .await?;
    let users = t.users.iter().map(|u| ("user", u.clone()));
    let departments = t.departments.iter().map(|d| ("department", d.to_string()));
    for (kind, reference) in users.chain(departments) {
        sqlx::query(
            "INSERT INTO directory_tag_members (tag_id, kind, ref) VALUES ($1, $2, $3) \
             ON CONFLICT (tag_id, kind, ref) DO NOTHING",
        )
        .bind(t.id)
        .bind(kind)
        .bind(reference)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn delete_tag(tx: &mut Tx<'_>, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM directory_tag_members WHERE tag_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM directory_tags WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
