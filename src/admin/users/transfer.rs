//! CSV import (every line checked first, then one transaction) and export (formula-safe, see
//! [`crate::admin::csv`]) of the account directory.

use crate::admin::auth::{audit_change, AdminChange};
use crate::admin::{Actor, AdminError};
use crate::identity::directory::AccountId;
use crate::random::Rng;
use crate::store::{AuditKind, Store, StoreError};
use serde_json::json;
use std::net::IpAddr;

/// Why an import did not happen.
#[derive(Debug)]
pub enum ImportError {
    /// Lines at fault (`line N: …`); nothing was imported.
    Lines(Vec<String>),
    /// The store failed.
    Admin(AdminError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        Self::Admin(e.into())
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// New accounts.
    pub created: usize,
    /// Existing accounts updated (by username).
    pub updated: usize,
}

/// Imports CSV (`username,display_name,email,mobile,employee_no,status`): every line is checked
/// first and any error means nothing is imported; then all lines in one transaction. Existing
/// accounts (by username) keep their ID, password, groups and binding.
pub async fn import(
    store: &Store,
    actor: &Actor,
    now: i64,
    rng: &dyn Rng,
    text: &str,
    ip: Option<IpAddr>,
) -> Result<Imported, ImportError> {
    let rows =
        super::parse_csv(text, now, || AccountId::new(&rng.hex(16))).map_err(ImportError::Lines)?;
    let existing: std::collections::HashSet<String> = store
        .accounts()
        .await?
        .into_iter()
        .map(|a| a.username)
        .collect();
    let updated = rows
        .iter()
        .filter(|r| existing.contains(&r.username))
        .count();
    store.import_accounts(&rows).await?;
    let done = Imported {
        created: rows.len() - updated,
        updated,
    };
    audit_change(
        store,
        now,
        AdminChange {
            actor,
            event: AuditKind::UserImport,
            app: None,
            userid: None,
            detail: Some(json!({ "created": done.created, "updated": done.updated })),
            client_ip: ip,
        },
    )
    .await;
    Ok(done)
}

/// Every account as CSV in the import format (formula-safe: see [`crate::admin::csv`]).
pub async fn export(store: &Store) -> Result<String, AdminError> {
    let mut out = String::from(super::CSV_HEADER);
    out.push('\n');
    for a in store.accounts().await? {
        out.push_str(&super::csv_line(&a));
        out.push('\n');
    }
    Ok(out)
}
