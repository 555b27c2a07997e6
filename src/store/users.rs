//! The account directory as admins see it: search over accounts and their WeCom
//! bindings, an account with its binding, and an admin's edit of an account's profile and status.

use super::accounts::ACCOUNT_COLUMNS;
use super::{AccountRow, AccountStatus, BindingRow, Result, Store};

/// What a directory search asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSearch {
    /// Matched (case-insensitively, as a substring) against username, display name, email, mobile,
    /// employee number and the bound WeCom userid; empty = every account.
    pub q: String,
    /// Only accounts in this status; none = both.
    pub status: Option<AccountStatus>,
    /// At most this many rows.
    pub limit: i64,
    /// Skip this many rows (by username).
    pub offset: i64,
}

/// `s` as a LIKE pattern matching it anywhere, with `\`, `%` and `_` taken literally.
fn contains_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// An account joined with its binding in a corp (the binding's columns are null when unbound).
#[derive(sqlx::FromRow)]
struct AccountWithBinding {
    #[sqlx(flatten)]
    account: AccountRow,
    userid: Option<String>,
    how: Option<String>,
    bound_at: Option<i64>,
}

impl AccountWithBinding {
    fn split(self, corp_id: &str) -> (AccountRow, Option<BindingRow>) {
        let binding = match (self.userid, self.how, self.bound_at) {
            (Some(userid), Some(how), Some(bound_at)) => Some(BindingRow {
                corp_id: corp_id.to_string(),
                userid,
                account_id: self.account.id.clone(),
                how,
                bound_at,
            }),
            _ => None,
        };
        (self.account, binding)
    }
}

impl Store {
    /// Accounts matching `s` with their binding in `corp_id`, by username.
    pub async fn search_accounts(
        &self,
        corp_id: &str,
        s: &AccountSearch,
    ) -> Result<Vec<(AccountRow, Option<BindingRow>)>> {
        let like = "LIKE $3 ESCAPE '\\'";
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, b.userid, b.how, b.bound_at FROM accounts a \
             LEFT JOIN bindings b ON b.corp_id = $1 AND b.account_id = a.id \
             WHERE ($2 = '' OR LOWER(a.username) {like} OR LOWER(a.display_name) {like} \
             OR LOWER(COALESCE(a.email, '')) {like} OR LOWER(COALESCE(a.mobile, '')) {like} \
             OR LOWER(COALESCE(a.employee_no, '')) {like} OR LOWER(COALESCE(b.userid, '')) {like}) \
             AND ($4 = '' OR a.status = $4) ORDER BY a.username LIMIT $5 OFFSET $6"
        );
        let rows: Vec<AccountWithBinding> = sqlx::query_as(&sql)
            .bind(corp_id)
            .bind(&s.q)
            .bind(contains_pattern(&s.q))
            .bind(s.status.map_or("", AccountStatus::as_str))
            .bind(s.limit)
            .bind(s.offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.split(corp_id)).collect())
    }

    /// The account named `username` with its binding in `corp_id`.
    pub async fn account_with_binding(
        &self,
        corp_id: &str,
        username: &str,
    ) -> Result<Option<(AccountRow, Option<BindingRow>)>> {
        let row: Option<AccountWithBinding> = sqlx::query_as(&format!(
            "SELECT {ACCOUNT_COLUMNS}, b.userid, b.how, b.bound_at FROM accounts a \
             LEFT JOIN bindings b ON b.corp_id = $1 AND b.account_id = a.id WHERE a.username = $2"
        ))
        .bind(corp_id)
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.split(corp_id)))
    }

    /// Saves an admin's edit of an account: profile fields, groups and status.
    pub async fn update_account(&self, a: &AccountRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE accounts SET display_name = $2, email = $3, mobile = $4, employee_no = $5, \
             groups_csv = $6, status = $7, updated_at = $8 WHERE id = $1",
        )
        .bind(&a.id)
        .bind(&a.display_name)
        .bind(&a.email)
        .bind(&a.mobile)
        .bind(&a.employee_no)
        .bind(&a.groups)
        .bind(a.status)
        .bind(a.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(super::contains_pattern("A_b%\\"), "%a\\_b\\%\\\\%");
    }
}
