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

/// A table whose rows under the old userid move to the new one.
struct Move {
    /// A row stays where the new userid already has its own. Per corp: `$1` the corp ID, `$2` the
    /// old userid, `$3` the new one; otherwise `$1` the old userid, `$2` the new one.
    sql: &'static str,
    /// Whether the table is per corp.
    per_corp: bool,
}

/// The moves in the order they run: the binding, the lifecycle hold, the pairwise subjects (one
/// per app), the admin right.
const MOVES: [Move; 4] = [
    Move {
        sql: "UPDATE bindings SET userid = $3 WHERE corp_id = $1 AND userid = $2 \
              AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.corp_id = $1 AND b.userid = $3)",
        per_corp: true,
    },
    Move {
        sql: "UPDATE lifecycle_holds SET userid = $3 WHERE corp_id = $1 AND userid = $2 \
              AND NOT EXISTS (SELECT 1 FROM lifecycle_holds h WHERE h.corp_id = $1 AND h.userid = $3)",
        per_corp: true,
    },
    Move {
        sql: "UPDATE pairwise_ids SET userid = $2 WHERE userid = $1 \
              AND app NOT IN (SELECT p.app FROM pairwise_ids p WHERE p.userid = $2)",
        per_corp: false,
    },
    Move {
        sql: "UPDATE admins SET userid = $2 WHERE userid = $1 \
              AND NOT EXISTS (SELECT 1 FROM admins a WHERE a.userid = $2)",
        per_corp: false,
    },
];

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
        let mut moved = [0u64; MOVES.len()];
        for (m, n) in MOVES.iter().zip(moved.iter_mut()) {
            let q = sqlx::query(m.sql);
            let q = if m.per_corp { q.bind(corp_id) } else { q };
            let q = q.bind(old).bind(new);
            *n = q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        let [binding, hold, pairwise, admin] = moved;
        Ok(Renamed {
            binding: binding > 0,
            binding_conflict: had_binding > 0 && binding == 0,
            hold: hold > 0,
            pairwise,
            admin: admin > 0,
        })
    }
}
