//! Provisioning that follows the stored directory: after each successful full sync, every app with
//! `provision=scim` is brought in line with the directory just stored (a run that finds nothing
//! to change sends nothing). One app's failure is that app's status and log line; the others
//! still run.

use super::{run, scim_apps, source, Ctx, ProvisionError, Report};
use crate::settings::Effective;

/// Runs every provisioning app from the stored directory; each app's name with how its run ended.
pub async fn run_all(
    ctx: &Ctx<'_>,
    effective: &Effective,
) -> Result<Vec<(String, Result<Report, ProvisionError>)>, ProvisionError> {
    let apps = scim_apps(ctx.store).await?;
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let snapshot = ctx.store.directory_snapshot().await?;
    let dir = source::from_store(snapshot, &effective.client, &effective.policy).await;
    let mut outcomes = Vec::with_capacity(apps.len());
    for app in &apps {
        let result = run(ctx, app, &dir, &effective.default_access, false).await;
        match &result {
            Ok(r) => tracing::info!(
                app = %app.name,
                created = r.status.created,
                updated = r.status.updated,
                deactivated = r.status.deactivated,
                failed = r.status.failed,
                "provisioned after the directory sync"
            ),
            Err(e) => {
                tracing::warn!(app = %app.name, error = %e, "provisioning after the directory sync failed")
            }
        }
        outcomes.push((app.name.as_str().to_string(), result));
    }
    Ok(outcomes)
}
