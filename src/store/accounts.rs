//! The account directory: local accounts, their WeCom bindings (one member ↔ one account per corp,
//! enforced by the schema), one-time bind codes and pending bind pages. (The session check that
//! consults the account is part of the sign-in snapshot, `snapshot.rs`.)

use super::{AccountStatus, Result, Store, StoreError};

/// A stored account, as the table holds it (the binding rules live in the identity domain above).
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct AccountRow {
    /// Stable internal ID (`a-` + random hex); never reused.
    pub id: String,
    /// Unique login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Email.
    pub email: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Employee number.
    pub employee_no: Option<String>,
    /// Whether the account may sign in.
    pub status: AccountStatus,
    /// Account groups, `;`-separated.
    #[sqlx(rename = "groups_csv")]
    pub groups: String,
    /// argon2id PHC string, when an admin set a password.
    pub password_hash: Option<String>,
    /// Failed bind passwords since the last success.
    pub failed_attempts: i64,
    /// Bind by password refused until then, Unix seconds.
    pub locked_until: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A stored binding of a WeCom member to an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BindingRow {
    /// WeCom corp ID.
    pub corp_id: String,
    /// WeCom userid.
    pub userid: String,
    /// The account.
    pub account_id: String,
    /// `auto`, `manual`, `admin` or `created`.
    pub how: String,
    /// Unix seconds.
    pub bound_at: i64,
}

/// A login waiting on the bind page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BindStateRow {
    /// SHA-256 of the bind token, hex.
    pub token_hash: String,
    /// SHA-256 of the browser cookie that started it.
    pub browser_hash: String,
    /// The pending login, JSON.
    pub pending_json: String,
    /// The member's profile, JSON.
    pub profile_json: String,
    /// Failed proofs on this page.
    pub attempts: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Set once the login went on.
    pub consumed_at: Option<i64>,
}

/// Which account column a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKey {
    /// `username`.
    Username,
    /// `mobile`.
    Mobile,
    /// `email`.
    Email,
    /// `employee_no`.
    EmployeeNo,
    /// `display_name`.
    DisplayName,
}

impl AccountKey {
    fn column(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::EmployeeNo => "employee_no",
            Self::DisplayName => "display_name",
        }
    }
}

/// What creating an account for a member found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The account was created and bound.
    New(AccountRow),
    /// Another login of the same member bound an account first: this one.
    AlreadyBound(AccountRow),
    /// The username is taken by another account.
    UsernameTaken,
}

pub(super) const ACCOUNT_COLUMNS: &str =
    "a.id, a.username, a.display_name, a.email, a.mobile, a.employee_no, \
     a.status, a.groups_csv, a.password_hash, a.failed_attempts, a.locked_until, a.created_at, \
     a.updated_at";

/// An account with how its member's binding was made (`bound_account`).
#[derive(sqlx::FromRow)]
struct BoundAccount {
    #[sqlx(flatten)]
    account: AccountRow,
    how: String,
}

fn unique(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Adds an account; a username or ID that exists is a [`StoreError::Conflict`].
    pub async fn insert_account(&self, a: &AccountRow) -> Result<()> {
        insert_account(&mut *self.pool.acquire().await?, a)
            .await
            .map_err(|e| {
                if unique(&e) {
                    StoreError::Conflict(format!("an account named `{}`", a.username))
                } else {
                    e.into()
                }
            })
    }

    /// The account with this ID.
    pub async fn account(&self, id: &str) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The account with this username.
    pub async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Up to `limit` accounts not bound in `corp_id` whose `key` equals `value` (exact match on an
    /// indexed column: a targeted lookup, never a scan for similar values).
    pub async fn unbound_accounts_by(
        &self,
        corp_id: &str,
        key: AccountKey,
        value: &str,
        limit: i64,
    ) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.{} = $1 AND NOT EXISTS \
             (SELECT 1 FROM bindings b WHERE b.corp_id = $2 AND b.account_id = a.id) \
             ORDER BY a.id LIMIT $3",
            key.column()
        ))
        .bind(value)
        .bind(corp_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every account, by username.
    pub async fn accounts(&self) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.username"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every binding in a corp.
    pub async fn bindings(&self, corp_id: &str) -> Result<Vec<BindingRow>> {
        Ok(sqlx::query_as(
            "SELECT corp_id, userid, account_id, how, bound_at FROM bindings WHERE corp_id = $1 \
             ORDER BY userid",
        )
        .bind(corp_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds or updates accounts by username, all or none (one transaction). Passwords, lock state,
    /// groups (not a CSV column) and IDs of existing accounts are kept.
    pub async fn import_accounts(&self, rows: &[AccountRow]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for a in rows {
            sqlx::query(
                "INSERT INTO accounts (id, username, display_name, email, mobile, employee_no, status, \
                 groups_csv, password_hash, failed_attempts, locked_until, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, NULL, $10, $10) \
                 ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, \
                 email = excluded.email, mobile = excluded.mobile, employee_no = excluded.employee_no, \
                 status = excluded.status, \
                 password_hash = COALESCE(excluded.password_hash, accounts.password_hash), \
                 updated_at = excluded.updated_at",
            )
            .bind(&a.id)
            .bind(&a.username)
            .bind(&a.display_name)
            .bind(&a.email)
            .bind(&a.mobile)
            .bind(&a.employee_no)
            .bind(a.status)
            .bind(&a.groups)
            .bind(&a.password_hash)
            .bind(a.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refreshes an account from WeCom at login.
    pub async fn refresh_account(&self, a: &AccountRow) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET display_name = $2, email = $3, mobile = $4, employee_no = $5, \
             updated_at = $6 WHERE id = $1",
        )
        .bind(&a.id)
        .bind(&a.display_name)
        .bind(&a.email)
        .bind(&a.mobile)
        .bind(&a.employee_no)
        .bind(a.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets an account's status; false when there is no such account.
    pub async fn set_account_status(
        &self,
        id: &str,
        status: AccountStatus,
        now: i64,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Sets an account's password hash and clears its lock.
    pub async fn set_account_password(&self, id: &str, hash: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE accounts SET password_hash = $2, failed_attempts = 0, locked_until = NULL, \
             updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Counts a failed bind password; after `max` failures the account is locked until
    /// `now + lock_secs` and the count starts again. Returns whether it is now locked.
    pub async fn record_failed_password(
        &self,
        id: &str,
        now: i64,
        max: i64,
        lock_secs: i64,
    ) -> Result<bool> {
        let failed: Option<i64> = sqlx::query_scalar(
            "UPDATE accounts SET failed_attempts = failed_attempts + 1 WHERE id = $1 \
             RETURNING failed_attempts",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(n) = failed else {
            return Ok(false);
        };
        if n >= max {
            sqlx::query("UPDATE accounts SET failed_attempts = 0, locked_until = $2 WHERE id = $1")
                .bind(id)
                .bind(now + lock_secs)
                .execute(&self.pool)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Clears the failure count after a successful proof.
    pub async fn clear_failed_passwords(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account a member is bound to, with how the binding was made.
    pub async fn bound_account(
        &self,
        corp_id: &str,
        userid: &str,
    ) -> Result<Option<(AccountRow, String)>> {
        let row: Option<BoundAccount> = sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS}, b.how FROM bindings b JOIN accounts a ON a.id = b.account_id \
             WHERE b.corp_id = $1 AND b.userid = $2"
        ))
        .bind(corp_id)
        .bind(userid)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.account, r.how)))
    }

    /// The member an account is bound to in a corp.
    pub async fn binding_of_account(
        &self,
        corp_id: &str,
        account_id: &str,
    ) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar(
                "SELECT userid FROM bindings WHERE corp_id = $1 AND account_id = $2",
            )
            .bind(corp_id)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// Binds a member to an account; either side already bound is a [`StoreError::Conflict`].
    pub async fn bind_account(
        &self,
        corp_id: &str,
        userid: &str,
        account_id: &str,
        how: &str,
        now: i64,
    ) -> Result<()> {
        insert_binding(
            &mut *self.pool.acquire().await?,
            corp_id,
            userid,
            account_id,
            how,
            now,
        )
        .await
        .map_err(|e| {
            if unique(&e) {
                StoreError::Conflict("a binding of this member or of this account".into())
            } else {
                e.into()
            }
        })
    }

    /// Creates an account and binds the member to it in one transaction. Two first logins of the
    /// same member at once: the unique constraints let one win; the other reads its binding.
    pub async fn create_bound_account(
        &self,
        a: &AccountRow,
        corp_id: &str,
        userid: &str,
        now: i64,
    ) -> Result<Created> {
        let mut tx = self.pool.begin().await?;
        let inserted = match insert_account(&mut tx, a).await {
            Ok(()) => insert_binding(&mut tx, corp_id, userid, &a.id, "created", now).await,
            Err(e) => Err(e),
        };
        match inserted {
            Ok(()) => {
                tx.commit().await?;
                Ok(Created::New(a.clone()))
            }
            Err(e) if unique(&e) => {
                tx.rollback().await?;
                match self.bound_account(corp_id, userid).await? {
                    Some((existing, _)) => Ok(Created::AlreadyBound(existing)),
                    None => Ok(Created::UsernameTaken),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes an account's binding in a corp; returns the member it was bound to.
    pub async fn unbind_account(&self, corp_id: &str, account_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM bindings WHERE corp_id = $1 AND account_id = $2 RETURNING userid",
        )
        .bind(corp_id)
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores (replaces) an account's one-time bind code, hashed.
    pub async fn set_bind_code(
        &self,
        account_id: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO bind_codes (account_id, code_hash, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, \
             expires_at = excluded.expires_at",
        )
        .bind(account_id)
        .bind(code_hash)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses a one-time bind code (one delete): true when it matched and had not expired.
    pub async fn take_bind_code(
        &self,
        account_id: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<bool> {
        let r = sqlx::query(
            "DELETE FROM bind_codes WHERE account_id = $1 AND code_hash = $2 AND expires_at > $3",
        )
        .bind(account_id)
        .bind(code_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Stores a login waiting on the bind page.
    pub async fn create_bind_state(&self, s: &BindStateRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO bind_states (token_hash, browser_hash, pending_json, profile_json, attempts, \
             expires_at) VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(&s.token_hash)
        .bind(&s.browser_hash)
        .bind(&s.pending_json)
        .bind(&s.profile_json)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The bind state with this token hash (checks are the caller's).
    pub async fn bind_state(&self, token_hash: &str) -> Result<Option<BindStateRow>> {
        Ok(sqlx::query_as(
            "SELECT token_hash, browser_hash, pending_json, profile_json, attempts, expires_at, \
             consumed_at FROM bind_states WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Counts a failed proof on a bind page.
    pub async fn bump_bind_attempts(&self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE bind_states SET attempts = attempts + 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Consumes a bind state (one conditional update): true for the first caller only.
    pub async fn consume_bind_state(&self, token_hash: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE bind_states SET consumed_at = $2 WHERE token_hash = $1 AND consumed_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    a: &AccountRow,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, username, display_name, email, mobile, employee_no, status, \
         groups_csv, password_hash, failed_attempts, locked_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, NULL, $10, $11)",
    )
    .bind(&a.id)
    .bind(&a.username)
    .bind(&a.display_name)
    .bind(&a.email)
    .bind(&a.mobile)
    .bind(&a.employee_no)
    .bind(a.status)
    .bind(&a.groups)
    .bind(&a.password_hash)
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_binding(
    conn: &mut sqlx::AnyConnection,
    corp_id: &str,
    userid: &str,
    account_id: &str,
    how: &str,
    now: i64,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bindings (corp_id, userid, account_id, how, bound_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(corp_id)
    .bind(userid)
    .bind(account_id)
    .bind(how)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
