//! Refreshing an app's metadata from its URL: on demand (console, API) and periodically (the
//! background task claims each due source with a conditional UPDATE, so only one instance fetches
//! it). A fetch or import that fails — a document whose ACS URL another app of the entity ID has
//! among them — never changes the app: it is recorded as the source's last
//! result and error. A version is saved only when the metadata changed.

use super::app_metadata::{self, ExpiredCerts, Inspected, MetadataInput};
use super::apps::{self, Ctx};
use super::AdminError;
use crate::apps::App;
use crate::logsafe::Escaped;
use crate::store::AuditKind;

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// The document is the same as the app's.
    Unchanged,
    /// The app took the new metadata (the previous state is a saved version).
    Updated,
}

impl Refreshed {
    /// `unchanged` / `updated`, as stored in `last_result`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Updated => "updated",
        }
    }
}

/// Fetches the app's metadata URL now and imports what changed.
pub async fn refresh(ctx: &Ctx<'_>, name: &str) -> Result<Refreshed, AdminError> {
    let before = apps::load(ctx.store, name).await?;
    let app = before.name.as_str();
    let Some(source) = ctx.store.app_source(app).await? else {
        return Err(AdminError::invalid(
            "metadata_url",
            "this app has no metadata URL: replace its metadata with a URL first",
        ));
    };
    let i = fetch(ctx, &before, &source.url).await?;
    let outcome = if i.metadata == before.metadata {
        Refreshed::Unchanged
    } else {
        take(ctx, &before, &i, &source.url).await?;
        Refreshed::Updated
    };
    ctx.store
        .record_app_fetch(app, ctx.now.unix_timestamp(), outcome.as_str(), None)
        .await?;
    tracing::info!(app, result = outcome.as_str(), "metadata refreshed");
    Ok(outcome)
}

/// The document at `url`, checked as the app's own SP; a failure is recorded as the source's last
/// result and audited.
async fn fetch(ctx: &Ctx<'_>, before: &App, url: &str) -> Result<Inspected, AdminError> {
    let app = before.name.as_str();
    let input = MetadataInput::Url {
        url: url.to_string(),
        field: "metadata_url",
    };
    // The app's SP stays the same SP; certificates it already had may stay even if expired.
    let known = ExpiredCerts::AcceptKnown(
        app_metadata::certificates(&before.metadata, ctx.now)
            .into_iter()
            .map(|c| c.der_base64)
            .collect(),
    );
    let checked = app_metadata::inspect(
        &input,
        Some(&before.metadata.entity_id),
        &known,
        ctx.now,
        &ctx.fetch,
    )
    .await;
    // A new ACS URL that another app of the entity ID has would make requests ambiguous.
    let checked = match checked {
        Ok(i) => match ctx.store.acs_clash(Some(app), &i.metadata).await? {
            Some((other, url)) => Err(AdminError::invalid(
                "metadata_url",
                apps::shared_entity_refusal(&other, &i.metadata.entity_id, &url),
            )),
            None => Ok(i),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = &checked {
        let msg = e.to_string();
        ctx.store
            .record_app_fetch(app, ctx.now.unix_timestamp(), "failed", Some(&msg))
            .await?;
        apps::audit_refused(ctx, AuditKind::AppRefresh, Some(app), e).await;
        tracing::warn!(app = %Escaped(app), error = %Escaped(&msg), "metadata refresh failed; the app is unchanged");
    }
    checked
}

/// Stores the new metadata, the app as it was as a saved version, and the audit row.
async fn take(ctx: &Ctx<'_>, before: &App, i: &Inspected, url: &str) -> Result<(), AdminError> {
    let mut after = before.clone();
    after.metadata = i.metadata.clone();
    after.metadata_xml = Some(i.xml.clone());
    after.updated_at = ctx.now.unix_timestamp();
    let version = ctx
        .store
        .save_app_version(
            &apps::to_row(before)?,
            ctx.now.unix_timestamp(),
            &ctx.actor.label(),
        )
        .await?;
    ctx.store.update_app(&apps::to_row(&after)?).await?;
    apps::audit(
        ctx,
        AuditKind::AppRefresh,
        &after,
        serde_json::json!({
            "metadata_url": url,
            "saved_version": version,
            "warnings": i.warnings,
        }),
    )
    .await;
    Ok(())
}

/// Refreshes every source whose periodic fetch is due and that this instance claims; returns how
/// many it fetched. Failures are recorded per source and do not stop the others.
pub async fn refresh_due(ctx: &Ctx<'_>) -> Result<usize, AdminError> {
    let now = ctx.now.unix_timestamp();
    let mut n = 0;
    for s in ctx.store.due_app_sources(now).await? {
        if !ctx
            .store
            .claim_app_source(&s.app, s.next_fetch_at, now + s.refresh_secs)
            .await?
        {
            continue;
        }
        n += 1;
        match refresh(ctx, &s.app).await {
            Ok(_)
            | Err(AdminError::Invalid { .. })
            | Err(AdminError::State { .. })
            | Err(AdminError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(app = %Escaped(&s.app), error = %Escaped(&e), "metadata refresh failed")
            }
        }
    }
    Ok(n)
}
