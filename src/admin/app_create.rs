//! Creating an app whose rules name WeCom departments, tags or members (`access` and `role_rules`
//! among its settings, from the API, the console's preset forms or a metadata upload): the names
//! are checked against WeCom before anything is stored, with the semantics of a settings save
//! ([`super::wecom_names`]) — unknown names, or a WeCom that cannot be asked, refuse the creation
//! unless the admin creates it anyway, which is audited with what the check found. Mistakes in
//! the form come first: WeCom is asked only about an app that could otherwise be created.

use super::apps::{self, Ctx, NewApp, Saved};
use super::settings::SaveMode;
use super::wecom_names::{self, ForcedSave, NamesCheck, Refused, Wecom};
use super::AdminError;
use crate::store::AuditKind;

/// How a checked creation ended.
#[derive(Debug)]
pub enum Created {
    /// Stored; audited as `app_create` (and with what the check found when the admin overrode it).
    Saved {
        /// The app as stored.
        saved: Box<Saved>,
        /// What the check found when the save went ahead in spite of it (the shell warns with it).
        forced: Option<NamesCheck>,
    },
    /// Nothing stored: WeCom did not confirm the names. `field` is the settings key (`access` or
    /// `role_rules`) that names the first unknown one.
    Refused {
        /// The settings key to show the refusal beside.
        field: String,
        /// What the check found.
        found: NamesCheck,
    },
}

/// Creates `new` as [`apps::create`] does, once WeCom has confirmed the names its rules name (or
/// the admin chose `SaveMode::Anyway`). A refusal by the form is audited as `app_create`, as
/// [`apps::create`] audits it; a refusal by the names check stores and audits nothing.
pub async fn create(
    ctx: &Ctx<'_>,
    new: &NewApp,
    wecom: &Wecom,
    mode: SaveMode,
) -> Result<Created, AdminError> {
    let r = create_inner(ctx, new, wecom, mode).await;
    if let Err(e) = &r {
        apps::audit_refused(ctx, AuditKind::AppCreate, Some(new.name.trim()), e).await;
    }
    r
}

async fn create_inner(
    ctx: &Ctx<'_>,
    new: &NewApp,
    wecom: &Wecom,
    mode: SaveMode,
) -> Result<Created, AdminError> {
    let plan = apps::plan(ctx, new).await?;
    let names = wecom_names::named_in_settings(&new.settings);
    let gate = wecom_names::gate_through(wecom, &names, mode).await;
    let forced = match wecom_names::settle(&new.settings, gate) {
        Ok(forced) => forced,
        Err(Refused { field, found }) => return Ok(Created::Refused { field, found }),
    };
    let saved = apps::store_plan(ctx, new, plan).await?;
    if let Some(found) = &forced {
        let what = wecom_names::field_of(&new.settings, found);
        let save = ForcedSave {
            actor: ctx.actor,
            what,
            app: Some(saved.app.name.as_str()),
            userid: None,
            found,
            ip: ctx.ip,
        };
        wecom_names::audit_forced(ctx.store, ctx.unix(), save).await;
    }
    Ok(Created::Saved {
        saved: Box::new(saved),
        forced,
    })
}
