//! An app's history: every change saves the app as it was into `app_versions` before storing the
//! new state, and writes one audit row (actor, entity ID and settings before/after); the saved
//! versions, what changed after each of them (key by key), rollback to one of them, deletion (the
//! last state stays as a version), and the audit row of a refused change (field and reason, never
//! the document).

use super::apps::{load, Ctx, Saved};
use super::AdminError;
use crate::apps::{App, AppName, AppSettings};
use crate::logsafe::Escaped;
use crate::store::{AppRow, AppVersionRow, AuditKind, AuditResult, AuditRow, Store};

/// The saved versions of an app, newest first.
pub async fn versions(store: &Store, name: &str) -> Result<Vec<AppVersionRow>, AdminError> {
    let app = load(store, name).await?;
    Ok(store.app_versions(app.name.as_str()).await?)
}

/// The state a version is compared with: the version saved after it, or the app as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    /// The next saved version.
    Version(i64),
    /// The app as it is now.
    Current,
}

/// One key whose value differs between two states of an app (`entity_id`, `metadata.<key>` or a
/// settings key), with both values as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The key.
    pub key: String,
    /// Its value in the version (`null`: not set).
    pub before: serde_json::Value,
    /// Its value in the state compared with (`null`: not set).
    pub after: serde_json::Value,
}

/// What changed after a saved version: the version against the state that replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDiff {
    /// The version.
    pub version: i64,
    /// What it is compared with.
    pub against: Against,
    /// The keys that differ, in key order (empty: the change touched only the metadata document's
    /// bytes, e.g. a refresh that kept its meaning).
    pub changes: Vec<Change>,
}

/// What changed after version `version` of app `name`: that version against the next saved one,
/// or against the current app when it is the newest.
pub async fn version_diff(
    store: &Store,
    name: &str,
    version: i64,
) -> Result<VersionDiff, AdminError> {
    let app = load(store, name).await?;
    let missing = || {
        AdminError::NotFound(format!(
            "version {version} of app `{name}` (GET …/versions lists them)"
        ))
    };
    let v = store
        .app_version(app.name.as_str(), version)
        .await?
        .ok_or_else(missing)?;
    let (against, after) = match store.app_version(app.name.as_str(), version + 1).await? {
        Some(next) => (
            Against::Version(next.version),
            state_of(&next.to_app_row(0, 0))?,
        ),
        None => (Against::Current, state_of(&to_row(&app)?)?),
    };
    let before = state_of(&v.to_app_row(0, 0))?;
    Ok(VersionDiff {
        version,
        against,
        changes: changes(&before, &after),
    })
}

/// A stored state as one flat JSON object: `entity_id`, `metadata.<key>` and the settings keys,
/// nested objects by dotted path (`roles.default_role`), lists as whole values.
fn state_of(row: &AppRow) -> Result<serde_json::Map<String, serde_json::Value>, AdminError> {
    let corrupt = |e: serde_json::Error| {
        AdminError::Store(crate::store::StoreError::Corrupt(format!(
            "{}: {e}",
            row.name
        )))
    };
    let metadata: serde_json::Value = serde_json::from_str(&row.metadata_json).map_err(corrupt)?;
    let settings: serde_json::Value = serde_json::from_str(&row.settings_json).map_err(corrupt)?;
    let mut out = serde_json::Map::new();
    out.insert("entity_id".into(), row.entity_id.clone().into());
    for (k, v) in metadata.as_object().into_iter().flatten() {
        if k != "entity_id" {
            flatten(&format!("metadata.{k}"), v, &mut out);
        }
    }
    for (k, v) in settings.as_object().into_iter().flatten() {
        flatten(k, v, &mut out);
    }
    Ok(out)
}

fn flatten(key: &str, v: &serde_json::Value, out: &mut serde_json::Map<String, serde_json::Value>) {
    // An empty object holds no key: it reads as "not set", like a missing one.
    match v.as_object() {
        Some(o) => {
            for (k, inner) in o {
                flatten(&format!("{key}.{k}"), inner, out);
            }
        }
        None => {
            out.insert(key.to_string(), v.clone());
        }
    }
}

/// The keys of either state whose values differ, in key order.
fn changes(
    before: &serde_json::Map<String, serde_json::Value>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Change> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(k).cloned().unwrap_or_default();
            let a = after.get(k).cloned().unwrap_or_default();
            (b != a).then(|| Change {
                key: k.clone(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// Restores version `version` (the current state is saved as a new version first).
pub async fn rollback(ctx: &Ctx<'_>, name: &str, version: i64) -> Result<Saved, AdminError> {
    let before = load(ctx.store, name).await?;
    let v = ctx
        .store
        .app_version(before.name.as_str(), version)
        .await?
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "version {version} of app `{name}` (GET …/versions lists them)"
            ))
        })?;
    let mut after = App::from_row(v.to_app_row(before.created_at, ctx.unix()))
        .map_err(|e| AdminError::Store(crate::store::StoreError::Corrupt(e.to_string())))?;
    after.name = before.name.clone();
    if let Some((other, url)) = ctx
        .store
        .acs_clash(Some(before.name.as_str()), &after.metadata)
        .await?
    {
        return Err(AdminError::state(
            "version",
            format!(
                "app `{other}` now has entity ID {} with the ACS URL {url}; version {version} \
                 cannot come back",
                after.metadata.entity_id
            ),
        ));
    }
    replace_with_detail(
        ctx,
        &before,
        &after,
        AuditKind::AppRollback,
        serde_json::json!({ "version": version }),
    )
    .await?;
    Ok(Saved {
        app: after,
        warnings: Vec::new(),
    })
}

/// Deletes an app (its last state is kept as a version; its metadata URL is forgotten).
pub async fn delete(ctx: &Ctx<'_>, name: &str) -> Result<(), AdminError> {
    let app = load(ctx.store, name).await?;
    ctx.store
        .save_app_version(&to_row(&app)?, ctx.unix(), &ctx.actor.label())
        .await?;
    ctx.store.remove_app(app.name.as_str()).await?;
    ctx.store.remove_app_source(app.name.as_str()).await?;
    audit(
        ctx,
        AuditKind::AppDelete,
        &app,
        serde_json::json!({ "entity_id": app.metadata.entity_id }),
    )
    .await;
    Ok(())
}

/// Saves `before` as a version, stores `after`, audits `event` with the differences.
pub(super) async fn replace(
    ctx: &Ctx<'_>,
    before: &App,
    after: &App,
    event: AuditKind,
) -> Result<i64, AdminError> {
    replace_with_detail(ctx, before, after, event, serde_json::json!({})).await
}

async fn replace_with_detail(
    ctx: &Ctx<'_>,
    before: &App,
    after: &App,
    event: AuditKind,
    mut detail: serde_json::Value,
) -> Result<i64, AdminError> {
    let version = ctx
        .store
        .save_app_version(&to_row(before)?, ctx.unix(), &ctx.actor.label())
        .await?;
    ctx.store.update_app(&to_row(after)?).await?;
    if let Some(d) = detail.as_object_mut() {
        d.insert("saved_version".into(), version.into());
        if before.metadata.entity_id != after.metadata.entity_id {
            d.insert(
                "entity_id".into(),
                serde_json::json!({"before": before.metadata.entity_id, "after": after.metadata.entity_id}),
            );
        }
        if before.metadata != after.metadata {
            d.insert("metadata_changed".into(), true.into());
        }
        let diff = settings_diff(&before.settings, &after.settings);
        if !diff.is_empty() {
            d.insert("settings".into(), serde_json::Value::Object(diff));
        }
    }
    audit(ctx, event, after, detail).await;
    Ok(version)
}

/// The settings that differ: `{field: {before, after}}`.
pub fn settings_diff(
    before: &AppSettings,
    after: &AppSettings,
) -> serde_json::Map<String, serde_json::Value> {
    let (b, a) = (
        serde_json::to_value(before).unwrap_or_default(),
        serde_json::to_value(after).unwrap_or_default(),
    );
    let mut out = serde_json::Map::new();
    if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
        for (k, av) in a {
            let bv = b.get(k).cloned().unwrap_or_default();
            if bv != *av {
                out.insert(k.clone(), serde_json::json!({"before": bv, "after": av}));
            }
        }
    }
    out
}

pub(crate) fn to_row(app: &App) -> Result<AppRow, AdminError> {
    app.to_row()
        .map_err(|e| AdminError::Store(crate::store::StoreError::Corrupt(e.to_string())))
}

pub(crate) async fn audit(ctx: &Ctx<'_>, event: AuditKind, app: &App, detail: serde_json::Value) {
    super::auth::audit_change(
        ctx.store,
        ctx.unix(),
        super::auth::AdminChange {
            actor: ctx.actor,
            event,
            app: Some(app.name.as_str()),
            userid: None,
            detail: Some(detail),
            client_ip: ctx.ip,
        },
    )
    .await;
}

/// Writes the audit row of a refused change: the field and the reason, never the document.
pub(crate) async fn audit_refused(
    ctx: &Ctx<'_>,
    event: AuditKind,
    app: Option<&str>,
    e: &AdminError,
) {
    let (reason, detail) = match e {
        AdminError::Invalid { field, message } => (
            "invalid",
            serde_json::json!({"field": field, "error": message}),
        ),
        AdminError::State { field, message } => (
            "conflict",
            serde_json::json!({"field": field, "error": message}),
        ),
        AdminError::Conflict(what) => (
            "conflict",
            serde_json::json!({"error": format!("{what} already exists")}),
        ),
        AdminError::NotFound(_) => return,
        AdminError::Store(_) => return,
    };
    let row = AuditRow {
        at: ctx.unix(),
        event,
        app: app
            .filter(|a| AppName::parse(a).is_ok())
            .map(str::to_string),
        userid: None,
        result: AuditResult::Refused,
        reason: reason.into(),
        client_ip: ctx.ip,
        request_id: None,
        actor: Some(ctx.actor.label()),
        detail: Some(detail.to_string()),
    };
    if let Err(e) = ctx.store.audit(&row).await {
        tracing::error!(error = %Escaped(&e), event = event.as_str(), "could not write the audit row of a refused admin change");
    }
}
