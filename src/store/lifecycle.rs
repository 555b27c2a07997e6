//! What the lifecycle rules did to a leaver's account (`lifecycle_holds`): written when a leaver's
//! account is disabled or unbound, read and removed when the member rejoins. The rules themselves
//! are the `lifecycle` module's.

use super::{Result, Store};

/// What a rule did to a leaver's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAction {
    /// The account was disabled.
    Disabled,
    /// The account's binding to the member was removed.
    Unbound,
}

impl HoldAction {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Unbound => "unbound",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(Self::Disabled),
            "unbound" => Some(Self::Unbound),
            _ => None,
        }
    }
}

/// One remembered action of the lifecycle rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The member's userid.
    pub userid: String,
    /// The account acted on.
    pub account_id: String,
    /// What was done.
    pub action: HoldAction,
    /// The account's `updated_at` as the rule left it.
    pub account_updated_at: i64,
    /// Why (the audit reason of the leave).
    pub reason: String,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct HoldRow {
    userid: String,
    account_id: String,
    action: String,
    account_updated_at: i64,
    reason: String,
    created_at: i64,
}

impl Store {
    /// Remembers what the rules did to a member's account (replacing an earlier hold).
    pub async fn put_lifecycle_hold(&self, corp_id: &str, h: &Hold) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM lifecycle_holds WHERE corp_id = $1 AND userid = $2")
            .bind(corp_id)
            .bind(&h.userid)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO lifecycle_holds (corp_id, userid, account_id, action, \
             account_updated_at, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(corp_id)
        .bind(&h.userid)
        .bind(&h.account_id)
        .bind(h.action.as_str())
        .bind(h.account_updated_at)
        .bind(&h.reason)
        .bind(h.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes (reads and removes) the hold of a member, if any: only one instance restores it.
    pub async fn take_lifecycle_hold(&self, corp_id: &str, userid: &str) -> Result<Option<Hold>> {
        let row: Option<HoldRow> = sqlx::query_as(
            "DELETE FROM lifecycle_holds WHERE corp_id = $1 AND userid = $2 \
             RETURNING userid, account_id, action, account_updated_at, reason, created_at",
        )
        .bind(corp_id)
        .bind(userid)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let action = HoldAction::parse(&r.action).ok_or_else(|| {
            super::StoreError::Corrupt(format!("lifecycle_holds.action `{}`", r.action))
        })?;
        Ok(Some(Hold {
            userid: r.userid,
            account_id: r.account_id,
            action,
            account_updated_at: r.account_updated_at,
            reason: r.reason,
            created_at: r.created_at,
        }))
    }

    /// Whether the member has a hold (a leaver the rules acted on).
    pub async fn has_lifecycle_hold(&self, corp_id: &str, userid: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM lifecycle_holds WHERE corp_id = $1 AND userid = $2",
        )
        .bind(corp_id)
        .bind(userid)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}
