//! The names check of a new app in the console's preset forms: a refusal shown beside the rule's
//! field with everything typed kept and a "continue anyway" button; after it, the preview names
//! what WeCom did not confirm and Save re-submits `force`. The check itself is the domain's
//! ([`crate::admin::app_create`]).

use super::super::AppState;
use super::apps_forms::{field, values, Errors, Fields};
use super::apps_new::render_new;
use super::directory;
use super::Chrome;
use crate::admin::app_create;
use crate::admin::apps::{Ctx, NewApp};
use crate::admin::wecom_names::{self, NamesCheck, Refused};
use crate::admin::AdminError;
use crate::http::error::{Lang, WebError};
use axum::response::Response;

/// The form field a browser sends to go on in spite of a failed check.
const FORCE: &str = "force";

/// Whether the form asked to go on in spite of a failed check.
fn forced(f: &Fields) -> Option<bool> {
    Some(field(f, FORCE) == "1")
}

/// The names check of a preset form's app, honouring its "continue anyway": what WeCom did not
/// confirm when the admin goes on anyway, or the refusal when the form is to be shown again.
pub(super) async fn gate(
    state: &AppState,
    new: &NewApp,
    f: &Fields,
) -> Result<Result<Option<NamesCheck>, Refused>, WebError> {
    match directory::settings_gate(state, &new.settings, forced(f)).await {
        Ok(settled) => Ok(settled),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::internal("the WeCom settings in force", &e)),
    }
}

/// Creates the app, its names checked (see [`app_create::create`]).
pub(super) async fn create(
    state: &AppState,
    cx: &Ctx<'_>,
    new: &NewApp,
    f: &Fields,
) -> Result<app_create::Created, AdminError> {
    let wecom = directory::names_wecom(state).await?;
    app_create::create(cx, new, &wecom, directory::mode(forced(f))).await
}

/// The preset form again, everything typed kept, the refusal beside the rule's field and a button
/// to continue anyway.
pub(super) fn refused(
    c: Chrome,
    preset: Option<&str>,
    f: &Fields,
    field: &str,
    found: &NamesCheck,
) -> Result<Response, WebError> {
    let mut kept = values(f);
    kept.insert("names_unconfirmed".into(), "1".into());
    let errors = Errors(vec![(field.to_string(), wecom_names::refusal_text(found))]);
    render_new(c, preset, kept, errors)
}

/// What the preview of an app created anyway shows and re-submits: the names WeCom did not
/// confirm (or, in the page's language, why it could not be asked), and `force`.
pub(super) fn mark_forced(
    lang: Lang,
    found: Option<&NamesCheck>,
    facts: &mut Vec<(&'static str, &'static str, String)>,
    hidden: &mut Vec<(String, String)>,
) {
    let Some(found) = found else { return };
    let what = match found {
        NamesCheck::Unchecked(u) => {
            let title = match lang {
                Lang::En => u.problem.title.en,
                Lang::Zh => u.problem.title.zh,
            };
            format!("{title}{}", u.code_note())
        }
        _ => found.unknown_tokens().join(", "),
    };
    facts.push(("Not confirmed by WeCom", "企业微信未确认", what));
    hidden.push((FORCE.into(), "1".into()));
}
