//! "What would this member receive from this app": the answer a login would give, computed without a
//! login and without writing anything. The member is read live from WeCom (`user/get`, effective
//! settings); the account step, the access and role rules and the NameID/attribute release are the
//! very functions login calls ([`crate::identity::binding::lookup`], [`crate::identity::rule_inputs`],
//! [`crate::assertion::decide`], [`crate::assertion::attributes`]), so a preview cannot drift from
//! what a member gets. Differences that cannot be avoided are stated in the result: a transient
//! NameID is new at every login, a persistent one not yet assigned is made at the first login, and
//! mobile/email that only `getuserdetail` gives (at a login with the private-info scope) are unknown.

use crate::apps::{App, AppName, NameIdFormat};
use crate::assertion::{self, Refused};
use crate::config::Config;
use crate::identity::access::{Access, Grant};
use crate::identity::binding::{self, Lookup};
use crate::identity::directory::{MatchKey, WhenUnmatched};
use crate::identity::roles::{Match, TagRef};
use crate::identity::rule_inputs::{self, TagProblem};
use crate::identity::{member, Context, Profile};
use crate::saml::response::Attribute;
use crate::settings::{Effective, SettingsError};
use crate::store::{AccountRow, Store, StoreError};
use crate::wecom::errors::WecomError;

/// What a preview needs.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The store (read only).
    pub store: &'a Store,
    /// The configuration (the app's mount address).
    pub config: &'a Config,
    /// The settings in force (WeCom client, corp ID, binding policy, default access).
    pub effective: &'a Effective,
}

/// Why there is no preview.
#[derive(Debug)]
pub enum PreviewError {
    /// No app of this name.
    UnknownApp(String),
    /// The userid cannot be a WeCom userid (what is wrong).
    InvalidUserid(String),
    /// WeCom has no member with this userid.
    UnknownMember(String),
    /// WeCom could not be asked.
    Wecom(WecomError),
    /// The settings in force cannot be read.
    Settings(SettingsError),
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for PreviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownApp(a) => write!(f, "no app is named `{a}`"),
            Self::InvalidUserid(why) => f.write_str(why),
            Self::UnknownMember(u) => write!(
                f,
                "WeCom has no member with the userid `{u}`; check the spelling (the userid, not the display name)"
            ),
            Self::Wecom(e) => write!(f, "WeCom could not be asked: {e}"),
            Self::Settings(e) => write!(f, "the WeCom settings cannot be read: {e}"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl From<StoreError> for PreviewError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Whether the member would get a Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A Response with the NameID, attributes and roles below.
    Allowed,
    /// The member would first see the bind page (link an account); what follows depends on it.
    BindPage,
    /// Refused, with login's reason code.
    Refused(Reason),
}

/// A login refusal's reason, as audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The WeCom member is disabled, not activated or has left.
    MemberNotActive,
    /// No account and `when_unmatched = reject`.
    NoAccount,
    /// Several accounts match the member.
    AmbiguousAccount,
    /// The bound account is disabled.
    AccountDisabled,
    /// The access rule does not allow the member.
    AccessDenied,
    /// A role-SSO app and no role.
    NoRole,
    /// The NameID source has no value for the member.
    NoNameId,
}

impl Reason {
    /// The reason code.
    pub fn code(self) -> &'static str {
        match self {
            Self::MemberNotActive => "member_not_active",
            Self::NoAccount => "no_account",
            Self::AmbiguousAccount => "ambiguous_account",
            Self::AccountDisabled => "account_disabled",
            Self::AccessDenied => Refused::AccessDenied.reason(),
            Self::NoRole => Refused::NoRole.reason(),
            Self::NoNameId => "no_name_id",
        }
    }
}

/// How login would find the member's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountStep {
    /// Bound to this account (username).
    Bound(String),
    /// Not bound; auto-binding by `key` would bind this account (username).
    WouldAutoBind(String, MatchKey),
    /// Not bound and no match: an account would be created.
    WouldCreate,
    /// Not bound, several accounts match `key`.
    Ambiguous(MatchKey),
    /// Not bound, no match, and the policy asks (bind page) or refuses.
    Unmatched(WhenUnmatched),
}

/// The NameID the member would get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameIdValue {
    /// This value (unspecified/email, or a persistent ID already assigned).
    Value(String),
    /// Persistent, not assigned yet: a random pairwise ID is made at the first login.
    AssignedAtFirstLogin,
    /// Transient: a new random value at every login.
    NewEachLogin,
    /// From a field WeCom gives only at a sign-in (see [`Preview::sign_in_only`]).
    GivenAtSignIn,
}

/// A rule that names something WeCom does not have: it grants nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A role or access rule names a userid WeCom does not know.
    UnknownUser(String),
    /// A rule names a tag (by name) WeCom does not have.
    UnknownTag(String),
    /// A rule names a tag whose members cannot be read (unknown ID or a WeCom error).
    UnreadableTag(String),
    /// WeCom's tag list cannot be read: rules on tag names grant nothing.
    TagListUnavailable,
}

/// The answer.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The app.
    pub app: String,
    /// The member's userid.
    pub userid: String,
    /// The member's display name (WeCom's, or the bound account's).
    pub name: String,
    /// Access decision.
    pub decision: Decision,
    /// The account step.
    pub account: Option<AccountStep>,
    /// NameID format URI.
    pub name_id_format: &'static str,
    /// NameID value (when allowed).
    pub name_id: Option<NameIdValue>,
    /// Released attributes (when allowed).
    pub attributes: Vec<Attribute>,
    /// The member's roles for the app.
    pub roles: Vec<String>,
    /// The RoleSessionName, when the app sends one.
    pub session_name: Option<String>,
    /// The mount address, where IdP-initiated sign-in starts.
    pub mount: String,
    /// What the WeCom app's homepage should be (the mount address, or the SP's own sign-in page).
    pub homepage: String,
    /// Rules that name what WeCom does not have.
    pub warnings: Vec<Warning>,
    /// Fields the app releases that WeCom gives only at a sign-in with the private-info scope
    /// (`getuserdetail`) and that neither `user/get` nor the account has: what depends on them is
    /// left out here (attributes) or shown as [`NameIdValue::GivenAtSignIn`].
    pub sign_in_only: Vec<&'static str>,
}

/// The longest WeCom userid (bytes).
const MAX_USERID: usize = 64;

/// Checks the form of a WeCom userid (1–64 bytes of letters, digits, `_-.@`) before asking WeCom.
pub fn check_userid(userid: &str) -> Result<(), PreviewError> {
    let userid = userid.trim();
    if userid.is_empty() {
        return Err(PreviewError::InvalidUserid(
            "give the member's WeCom userid (e.g. zhangsan)".into(),
        ));
    }
    if userid.len() > MAX_USERID
        || !userid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
    {
        return Err(PreviewError::InvalidUserid(
            "a WeCom userid is 1–64 letters, digits or _ - . @ (the userid, not the display name)"
                .into(),
        ));
    }
    Ok(())
}

/// What `userid` would receive from the app `app` if they signed in now.
pub async fn preview(ctx: Ctx<'_>, app: &str, userid: &str) -> Result<Preview, PreviewError> {
    let app = load_app(ctx, app).await?;
    check_userid(userid)?;
    let userid = userid.trim();
    let client = &ctx.effective.client;
    let member = client.get_user(userid).await.map_err(|e| {
        if e.is_no_such_user() {
            PreviewError::UnknownMember(userid.to_string())
        } else {
            PreviewError::Wecom(e)
        }
    })?;
    let addresses = crate::admin::app_view::addresses(ctx.config, &app);
    let mut out = Preview {
        app: app.name.to_string(),
        userid: member.userid.clone(),
        name: member.name.clone(),
        decision: Decision::Allowed,
        account: None,
        name_id_format: app.settings.name_id_format.uri(),
        name_id: None,
        attributes: Vec::new(),
        roles: Vec::new(),
        session_name: None,
        mount: addresses.mount,
        homepage: addresses.homepage.url,
        warnings: warnings(ctx, &app).await,
        sign_in_only: Vec::new(),
    };
    if !member.is_active() {
        out.decision = Decision::Refused(Reason::MemberNotActive);
        return Ok(out);
    }
    let profile = member::profile_of(client, &ctx.effective.policy, &member).await;
    let Some(profile) = account_step(ctx, &profile, &mut out).await? else {
        return Ok(out);
    };
    out.name.clone_from(&profile.name);
    out.sign_in_only = sign_in_only(&app, &profile);
    release(ctx, &app, &profile, &mut out).await?;
    Ok(out)
}

/// The stored app of this name; an unreadable one is logged and reads as unknown.
async fn load_app(ctx: Ctx<'_>, app: &str) -> Result<App, PreviewError> {
    let unknown = || PreviewError::UnknownApp(app.to_string());
    let name = AppName::parse(app).map_err(|_| unknown())?;
    let row = ctx.store.app(name.as_str()).await?.ok_or_else(unknown)?;
    App::from_row(row).map_err(|e| {
        tracing::error!(error = %crate::logsafe::Escaped(&e), "stored app unreadable");
        unknown()
    })
}

/// Login asks `getuserdetail` for email and mobile when the app releases them; a preview has no
/// sign-in, so those the profile lacks are unknown here.
fn sign_in_only(app: &App, profile: &Profile) -> Vec<&'static str> {
    let mut out = Vec::new();
    if app.settings.needs_private_info() {
        if profile.email.is_none() {
            out.push("email");
        }
        if profile.mobile.is_none() {
            out.push("mobile");
        }
    }
    out
}

/// The access and role decision and, when allowed, the NameID, attributes, roles and session name
/// (or the refusal in `out.decision`).
async fn release(
    ctx: Ctx<'_>,
    app: &App,
    profile: &Profile,
    out: &mut Preview,
) -> Result<(), PreviewError> {
    let client = &ctx.effective.client;
    let parents = rule_inputs::department_parents(client, app).await;
    let (tags, _) = rule_inputs::member_tags(client, app, profile, &parents).await;
    let granted =
        match assertion::decide(app, profile, &parents, &tags, &ctx.effective.default_access) {
            Ok(g) => g,
            Err(Refused::AccessDenied) => {
                out.decision = Decision::Refused(Reason::AccessDenied);
                return Ok(());
            }
            Err(Refused::NoRole) => {
                out.decision = Decision::Refused(Reason::NoRole);
                return Ok(());
            }
        };
    let context = Context {
        profile,
        params: &app.settings.params,
        roles: &granted.roles,
        session_name: granted.session_name.as_deref(),
        // Previewed as opened from the WeCom workbench: the app's own RelayState, if any.
        relay_state: app.settings.default_relay_state.as_deref(),
        accounts: &app.settings.roles.accounts,
    };
    let Some(name_id) = name_id(ctx, app, &context, &out.sign_in_only).await? else {
        out.decision = Decision::Refused(Reason::NoNameId);
        return Ok(());
    };
    out.name_id = Some(name_id);
    out.attributes = assertion::attributes(app, &context);
    out.roles = granted.roles;
    out.session_name = granted.session_name;
    Ok(())
}

/// The NameID login would send; `None` when its source has no value for the member.
async fn name_id(
    ctx: Ctx<'_>,
    app: &App,
    context: &Context<'_>,
    sign_in_only: &[&'static str],
) -> Result<Option<NameIdValue>, PreviewError> {
    Ok(Some(match app.settings.name_id_format {
        NameIdFormat::Transient => NameIdValue::NewEachLogin,
        NameIdFormat::Persistent => {
            match ctx
                .store
                .existing_pairwise_id(app.name.as_str(), &context.profile.userid)
                .await?
            {
                Some(v) => NameIdValue::Value(v),
                None => NameIdValue::AssignedAtFirstLogin,
            }
        }
        NameIdFormat::Unspecified | NameIdFormat::Email => {
            match assertion::name_id_value(app, context) {
                Ok(Some(v)) => NameIdValue::Value(v),
                Ok(None) => NameIdValue::NewEachLogin,
                Err(_) if sign_in_only.contains(&app.settings.name_id_source.label()) => {
                    NameIdValue::GivenAtSignIn
                }
                Err(_) => return Ok(None),
            }
        }
    }))
}

/// Login's account step, read only: the profile to release, or `None` when the member would not
/// get past it (the decision is set).
async fn account_step(
    ctx: Ctx<'_>,
    profile: &Profile,
    out: &mut Preview,
) -> Result<Option<Profile>, PreviewError> {
    let policy = &ctx.effective.policy;
    let corp = &ctx.effective.wecom.corp_id;
    let found = binding::lookup(ctx.store, &ctx.effective.client, corp, policy, profile).await?;
    let account: AccountRow = match found {
        Lookup::Bound(a) => {
            out.account = Some(AccountStep::Bound(a.username.clone()));
            *a
        }
        Lookup::Matches { account, key } => {
            out.account = Some(AccountStep::WouldAutoBind(account.username.clone(), key));
            *account
        }
        Lookup::Ambiguous { key } => {
            out.account = Some(AccountStep::Ambiguous(key));
            out.decision = Decision::Refused(Reason::AmbiguousAccount);
            return Ok(None);
        }
        Lookup::Unmatched => match policy.when_unmatched {
            WhenUnmatched::Create => {
                out.account = Some(AccountStep::WouldCreate);
                binding::new_account(profile, String::new(), profile.userid.clone(), 0)
            }
            WhenUnmatched::Reject => {
                out.account = Some(AccountStep::Unmatched(WhenUnmatched::Reject));
                out.decision = Decision::Refused(Reason::NoAccount);
                return Ok(None);
            }
            other => {
                out.account = Some(AccountStep::Unmatched(other));
                out.decision = Decision::BindPage;
                return Ok(None);
            }
        },
    };
    if !binding::usable(&account) {
        out.decision = Decision::Refused(Reason::AccountDisabled);
        return Ok(None);
    }
    Ok(Some(binding::merged(account, profile.clone()).1))
}

/// The users and tags the app's rules name that WeCom does not have (each once).
async fn warnings(ctx: Ctx<'_>, app: &App) -> Vec<Warning> {
    let client = &ctx.effective.client;
    let mut users: Vec<&str> = Vec::new();
    for r in &app.settings.roles.rules {
        if let Match::User(u) = &r.when {
            users.push(u);
        }
    }
    if let Access::Only(grants) = &app.settings.access {
        for g in grants {
            if let Grant::User(u) = g {
                users.push(u);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    users.retain(|u| seen.insert(*u));
    let mut out = Vec::new();
    for u in users {
        if let Err(e) = client.get_user(u).await {
            if e.is_no_such_user() {
                out.push(Warning::UnknownUser(u.to_string()));
            }
        }
    }
    // The tags as login reads them; the member does not matter for which tags exist.
    let nobody = Profile::default();
    let (_, problems) = rule_inputs::member_tags(client, app, &nobody, &Default::default()).await;
    for p in problems {
        let w = match p {
            TagProblem::NoSuchName(n) => Warning::UnknownTag(n),
            TagProblem::ListUnavailable => Warning::TagListUnavailable,
            TagProblem::MembersUnavailable(TagRef::Id(id)) => {
                Warning::UnreadableTag(id.to_string())
            }
            TagProblem::MembersUnavailable(TagRef::Name(n)) => Warning::UnreadableTag(n),
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}
