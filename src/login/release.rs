//! "May this member use this app, and what do we release": the app's access rule, its role rules
//! and the value the app knows the member by (a pairwise ID kept per app, a fresh one per login, or
//! a profile field). It reads the department tree and the member's tags the rules name, and knows
//! nothing of the protocol that answers: SAML builds its NameID and attributes from a [`Release`],
//! another protocol its claims.

use super::refusal::{Error, Refusal};
use super::Ctx;
use crate::apps::{AppPolicy, NameIdFormat};
use crate::assertion::{self, IssueError, Refused};
use crate::identity::{rule_inputs, Context, Profile};
use crate::logsafe::Escaped;
use crate::settings::Effective;

/// What the app receives about the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The member's roles for the app (empty when the app has none).
    pub roles: Vec<String>,
    /// The session name the app shows, when it uses one.
    pub session_name: Option<String>,
    /// The value the app knows the member by.
    pub subject: String,
}

impl Release {
    /// The values attribute and claim templates are rendered from.
    pub fn context<'a>(
        &'a self,
        app: &'a impl AppPolicy,
        profile: &'a Profile,
        deep_link: Option<&'a str>,
    ) -> Context<'a> {
        Context {
            profile,
            params: &app.settings().params,
            roles: &self.roles,
            session_name: self.session_name.as_deref(),
            relay_state: deep_link,
            accounts: &app.settings().roles.accounts,
        }
    }
}

/// Applies the app's rules to the member and finds the value the app knows them by; a member the
/// rules do not allow, or whose profile lacks that value, is refused before anything is built.
/// `deep_link` is the IdP-initiated RelayState (templates may use it).
pub async fn release(
    ctx: &Ctx<'_>,
    effective: &Effective,
    app: &impl AppPolicy,
    profile: &Profile,
    deep_link: Option<&str>,
) -> Result<Release, Error> {
    let parents = rule_inputs::department_parents(&effective.client, app).await;
    // Tags named by the access rule and the role rules, read once; the tags that could not be
    // read are logged there and grant nothing.
    let (tags, _) = rule_inputs::member_tags(&effective.client, app, profile, &parents).await;
    let granted = match assertion::decide(app, profile, &parents, &tags, &effective.default_access)
    {
        Ok(g) => g,
        Err(Refused::AccessDenied) => {
            return Err(Refusal::AccessDenied {
                app: app.name().clone(),
            }
            .into())
        }
        Err(Refused::NoRole) => {
            tracing::warn!(app = %app.name(), userid = %Escaped(&profile.userid), "refused: no role rule gives the member a role for this app");
            return Err(Refusal::NoRole {
                app: app.name().clone(),
                contact: app.settings().roles.contact.clone(),
            }
            .into());
        }
    };
    let mut release = Release {
        roles: granted.roles,
        session_name: granted.session_name,
        subject: String::new(),
    };
    release.subject = subject(ctx, app, &release.context(app, profile, deep_link)).await?;
    Ok(release)
}

/// The value the app knows the member by, per the app's NameID format.
async fn subject(
    ctx: &Ctx<'_>,
    app: &impl AppPolicy,
    values: &Context<'_>,
) -> Result<String, Error> {
    match app.settings().name_id_format {
        NameIdFormat::Persistent => {
            let candidate = format!("p-{}", ctx.rng.hex(16));
            Ok(ctx
                .store
                .pairwise_id(
                    app.name().as_str(),
                    &values.profile.userid,
                    &candidate,
                    ctx.unix(),
                )
                .await?)
        }
        NameIdFormat::Transient => Ok(ctx.rng.saml_id()),
        _ => match assertion::name_id_value(app, values) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Ok(ctx.rng.saml_id()),
            Err(e) => {
                tracing::warn!(app = %app.name(), "refused: {}", Escaped(&e));
                let source = match e {
                    IssueError::NoNameId(s) => s,
                    IssueError::NoRole | IssueError::Sign(_) => "-",
                };
                Err(Refusal::NoNameId { source }.into())
            }
        },
    }
}
