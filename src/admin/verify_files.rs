//! WeCom's domain-ownership files. Before WeCom accepts a trusted domain (可信域名) it fetches
//! `https://{domain}/WW_verify_<code>.txt` and compares the body with the token it issued. Admins
//! upload that file here (console, API, CLI); it is stored in the database, so every instance
//! serves exactly its bytes at the root (see `http/verify_file.rs`), whichever one WeCom reaches.
//!
//! The rules are strict because the file is served unauthenticated at the site's root: the name is
//! `WW_verify_` + letters/digits + `.txt`, the content a short printable token (WeCom's are 16
//! characters) with at most a final line break. Each upload and removal is audited.

use super::auth::{audit_change, AdminChange};
use super::{Actor, AdminError};
use crate::store::{AuditKind, Store, VerifyFileRow};
use std::net::IpAddr;

/// The fixed start of every ownership file's name.
pub const PREFIX: &str = "WW_verify_";
/// The fixed end of every ownership file's name.
pub const SUFFIX: &str = ".txt";
/// Most characters of the code between [`PREFIX`] and [`SUFFIX`].
pub const MAX_CODE: usize = 64;
/// Most bytes of a file's content (WeCom's tokens are 16 characters).
pub const MAX_CONTENT: usize = 128;
/// Most files kept at once (one per enterprise and domain is the norm).
pub const MAX_FILES: usize = 20;

/// A checked ownership file name, `WW_verify_<letters and digits>.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFileName(String);

impl VerifyFileName {
    /// Checks `name` against the rule; the error says what a valid name looks like.
    pub fn parse(name: &str) -> Result<Self, AdminError> {
        if Self::matches(name) {
            Ok(Self(name.to_string()))
        } else {
            Err(AdminError::invalid(
                "name",
                format!(
                    "must be WeCom's file name, WW_verify_ followed by up to {MAX_CODE} letters or \
                     digits and .txt (e.g. WW_verify_AbC123xyz.txt); upload the file WeCom offers \
                     without renaming it / 文件名须为企业微信提供的 WW_verify_<字母或数字>.txt，请勿改名"
                ),
            ))
        }
    }

    /// Whether `name` follows the rule (the HTTP route asks this before touching the store).
    pub fn matches(name: &str) -> bool {
        name.strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_suffix(SUFFIX))
            .is_some_and(|code| {
                !code.is_empty()
                    && code.len() <= MAX_CODE
                    && code.bytes().all(|b| b.is_ascii_alphanumeric())
            })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checked content: a short printable ASCII token, optionally followed by one line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyContent(String);

impl VerifyContent {
    /// Checks the uploaded bytes; the error says what WeCom's file holds.
    pub fn parse(bytes: &[u8]) -> Result<Self, AdminError> {
        let bad = |why: &str| {
            Err(AdminError::invalid(
                "content",
                format!(
                    "{why}: WeCom's verification file holds one short token of letters and digits \
                     (at most {MAX_CONTENT} bytes); upload the file as downloaded from WeCom / \
                     校验文件应为企业微信下载的原文件（一行字母数字，最多 {MAX_CONTENT} 字节）"
                ),
            ))
        };
        if bytes.len() > MAX_CONTENT {
            return bad("the file is too large");
        }
        let token = bytes
            .strip_suffix(b"\r\n")
            .or_else(|| bytes.strip_suffix(b"\n"))
            .unwrap_or(bytes);
        if token.is_empty() {
            return bad("the file is empty");
        }
        if !token.iter().all(|b| b.is_ascii_graphic()) {
            return bad("the file holds something other than printable characters");
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Self(s.to_string())),
            Err(_) => bad("the file is not text"),
        }
    }

    /// The content, exactly as uploaded.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One stored file, for the console, the API and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFile {
    /// `WW_verify_<code>.txt`.
    pub name: String,
    /// Its content, exactly as served.
    pub content: String,
    /// When it was uploaded, Unix seconds.
    pub created_at: i64,
}

impl From<VerifyFileRow> for VerifyFile {
    fn from(r: VerifyFileRow) -> Self {
        Self {
            name: r.name,
            content: r.content,
            created_at: r.created_at,
        }
    }
}

/// Who uploads or removes, and when.
#[derive(Debug, Clone, Copy)]
pub struct VerifyCtx<'a> {
    /// The store.
    pub store: &'a Store,
    /// Unix seconds, from the injected clock.
    pub now: i64,
    /// Who acts.
    pub actor: &'a Actor,
    /// The client IP (console and API).
    pub ip: Option<IpAddr>,
}

/// Every stored file, by name.
pub async fn list(store: &Store) -> Result<Vec<VerifyFile>, AdminError> {
    Ok(store
        .verify_files()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Checks and stores a file, audited; a file of the same name is a conflict (remove it first).
pub async fn add(ctx: VerifyCtx<'_>, name: &str, bytes: &[u8]) -> Result<VerifyFile, AdminError> {
    let name = VerifyFileName::parse(name)?;
    let content = VerifyContent::parse(bytes)?;
    if ctx.store.verify_files().await?.len() >= MAX_FILES {
        return Err(AdminError::State {
            field: "name".into(),
            message: format!(
                "at most {MAX_FILES} verification files are kept: remove one that WeCom no longer \
                 needs first / 最多保存 {MAX_FILES} 个校验文件，请先删除不再需要的"
            ),
        });
    }
    let row = VerifyFileRow {
        name: name.as_str().to_string(),
        content: content.as_str().to_string(),
        created_at: ctx.now,
    };
    ctx.store.add_verify_file(&row).await?;
    audit(ctx, AuditKind::VerifyFileAdd, &row).await;
    tracing::info!(name = %row.name, "WeCom verification file uploaded");
    Ok(row.into())
}

/// Removes a file, audited; [`AdminError::NotFound`] when there is none of that name.
pub async fn remove(ctx: VerifyCtx<'_>, name: &str) -> Result<(), AdminError> {
    let name = VerifyFileName::parse(name)?;
    let Some(row) = ctx.store.verify_file(name.as_str()).await? else {
        return Err(AdminError::NotFound(format!(
            "verification file {}",
            name.as_str()
        )));
    };
    if ctx.store.remove_verify_file(name.as_str()).await? {
        audit(ctx, AuditKind::VerifyFileRemove, &row).await;
        tracing::info!(name = %row.name, "WeCom verification file removed");
    }
    Ok(())
}

/// The served content of `name`, when it is a stored ownership file (anything else: `None`).
pub async fn served(store: &Store, name: &str) -> Result<Option<String>, AdminError> {
    if !VerifyFileName::matches(name) {
        return Ok(None);
    }
    Ok(store.verify_file(name).await?.map(|r| r.content))
}

async fn audit(ctx: VerifyCtx<'_>, event: AuditKind, row: &VerifyFileRow) {
    let change = AdminChange {
        actor: ctx.actor,
        event,
        app: None,
        userid: None,
        detail: Some(serde_json::json!({ "name": row.name, "content": row.content })),
        client_ip: ctx.ip,
    };
    audit_change(ctx.store, ctx.now, change).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_wecoms_rule() {
        assert!(VerifyFileName::matches("WW_verify_AbC123.txt"));
        for bad in [
            "WW_verify_.txt",
            "WW_verify_a.b.txt",
            "WW_verify_a/../b.txt",
            "ww_verify_abc.txt",
            "WW_verify_abc.TXT",
            "WW_verify_abc.txt.bak",
            "WW_verify_ab c.txt",
            "WW_verify_中文.txt",
        ] {
            assert!(!VerifyFileName::matches(bad), "{bad}");
            assert!(VerifyFileName::parse(bad).is_err(), "{bad}");
        }
        assert!(!VerifyFileName::matches(&format!(
            "WW_verify_{}.txt",
            "a".repeat(MAX_CODE + 1)
        )));
    }

    #[test]
    fn content_is_a_short_printable_token() {
        assert_eq!(VerifyContent::parse(b"xYz123").unwrap().as_str(), "xYz123");
        assert_eq!(VerifyContent::parse(b"xYz\n").unwrap().as_str(), "xYz\n");
        assert_eq!(
            VerifyContent::parse(b"xYz\r\n").unwrap().as_str(),
            "xYz\r\n"
        );
        for bad in [
            &b""[..],
            b"\n",
            b"a b",
            b"a\n\n",
            b"<html>\x00",
            "中文".as_bytes(),
            &[b'a'; MAX_CONTENT + 1],
        ] {
            assert!(VerifyContent::parse(bad).is_err(), "{bad:?}");
        }
    }
}
