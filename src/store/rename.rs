//! A member's userid renamed in WeCom (`update_user` with `NewUserID`): what the IdP keeps under
//! the userid moves to the new one in one transaction — the binding to a local account, the
//! lifecycle's hold, the pairwise subjects (so a `persistent` NameID and a pairwise `sub` stay the
//! same for the renamed member), and an admin's rights. Where the new userid already has its own
//! (a binding, a pairwise subject for an app), that row is kept and the old one left untouched:
//! nothing is merged or overwritten. The rule deciding when to rename is the `lifecycle` module's.

use super::{Result, Store};

/// What moved to the new userid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Renamed {
    /// The binding moved.
    pub binding: bool,
    /// The old userid had a binding but the new one already has its own: left as it was.
    pub binding_conflict: bool,
    /// The lifecycle hold moved.
    pub hold: bool,
    /// Pairwise subjects moved (one per app).
    pub pairwise: u64,
    /// The admin right moved.
    pub admin: bool,
}

impl Store {
    /// Moves what is kept under `old` to `new` (see the module doc).
    pub async fn rename_member(&self, corp_id: &str, old: &str, new: &str) -> Result<Renamed> {
        let mut tx = self.pool.begin().await?;
        let had_binding: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM bindings WHERE corp_id = $1 AND userid = $2")
                .bind(corp_id)
                .bind(old)
                .fetch_one(&mut *tx)
                .await?;
        let binding = sqlx::query(
            "UPDATE bindings SET userid = $3 WHERE corp_id = $1 AND userid = $2 \
             AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.corp_id = $1 AND b.userid = $3)",
        )
        .bind(corp_id)
        .bind(old)
        .bind(new)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let hold = sqlx::query(
            "UPDATE lifecycle_holds SET userid = $3 WHERE corp_id = $1 AND userid = $2 \
             AND NOT EXISTS (SELECT 1 FROM lifecycle_holds h WHERE h.corp_id = $1 AND h.userid = $3)",
        )
        .bind(corp_id)
        .bind(old)
        .bind(new)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let pairwise = sqlx::query(
            "UPDATE pairwise_ids SET userid = $2 WHERE userid = $1 \
             AND app NOT IN (SELECT p.app FROM pairwise_ids p WHERE p.userid = $2)",
        )
        .bind(old)
        .bind(new)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let admin = sqlx::query(
            "UPDATE admins SET userid = $2 WHERE userid = $1 \
             AND NOT EXISTS (SELECT 1 FROM admins a WHERE a.userid = $2)",
        )
        .bind(old)
        .bind(new)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        tx.commit().await?;
        Ok(Renamed {
            binding,
            binding_conflict: had_binding > 0 && !binding,
            hold,
            pairwise,
            admin,
        })
    }
}
