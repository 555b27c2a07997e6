//! SCIM 2.0 provisioning per app (`provision=scim`): the members who may open the app are pushed to
//! its SCIM endpoint as users (named by the NameID the app receives at sign-in), departments or tags
//! as groups, and members who no longer may are deactivated (never deleted). What was sent is
//! remembered (remote ID and hash), so a second run with nothing changed sends nothing. The planner
//! ([`plan`]) works over plain inputs; this file seals the token, runs a plan against the app
//! ([`client`]), records each change in the audit log and the run's status, and deactivates a
//! leaver everywhere at once ([`member_left`]).

pub mod after_sync;
pub mod client;
pub mod plan;
pub mod resource;
pub mod source;

use crate::admin::Actor;
use crate::apps::{App, ProvisionMode, ScimGroupUpdate};
use crate::identity::access::Access;
use crate::secrets::MasterKey;
use crate::store::{
    AuditKind, AuditResult, AuditRow, ScimResourceRow, ScimRunRow, Store, StoreError,
};
use client::{Endpoint, Retry, ScimClient, ScimError, ScimToken};
use plan::{Change, Directory, Plan};
use std::collections::HashMap;
use std::net::IpAddr;

/// What provisioning needs besides the app: the store, the master key the token is sealed under,
/// now, the retry policy, who acts and from where (recorded in the audit rows).
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The store.
    pub store: &'a Store,
    /// The master key.
    pub master_key: &'a MasterKey,
    /// Now (Unix seconds), from the injected clock.
    pub now: i64,
    /// Retries of SCIM calls.
    pub retry: Retry,
    /// Who started the run.
    pub actor: &'a Actor,
    /// The client address of the request that acts (console or API), none from the shell or a
    /// schedule.
    pub ip: Option<IpAddr>,
}

/// A change of an app's token, as its audit row names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenChange {
    /// Set or replaced.
    Set,
    /// Cleared.
    Cleared,
}

impl TokenChange {
    /// The audit reason (each has its label in [`crate::text::REASONS`]).
    fn reason(self) -> &'static str {
        match self {
            Self::Set => "scim_token_set",
            Self::Cleared => "scim_token_cleared",
        }
    }
}

/// Why provisioning could not run.
#[derive(Debug)]
pub enum ProvisionError {
    /// The app does not provision (`provision=none`) or has no `scim_url`.
    NotProvisioned(String),
    /// No token was given for the app.
    NoToken(String),
    /// The token was sealed under another master key, or its row is damaged.
    TokenUnreadable(String),
    /// A bad token or setting; the message says what to fix.
    Invalid(String),
    /// No master key is configured, so a token cannot be sealed or opened; why.
    NoMasterKey(String),
    /// The store failed.
    Store(StoreError),
    /// The SCIM client could not be made.
    Client(ScimError),
}

impl std::fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotProvisioned(app) => write!(
                f,
                "app {app} does not provision: set provision=scim and scim_url=URL first"
            ),
            Self::NoToken(app) => write!(
                f,
                "app {app} has no SCIM token: set it on the app's console page (SCIM token), by PUT \
                 /api/v1/apps/{app}/scim-token, or with wecom-idp app set {app} --set \
                 scim_token_file=PATH"
            ),
            Self::TokenUnreadable(app) => write!(
                f,
                "the SCIM token of app {app} cannot be opened with the master key in use (sealed \
                 under another key?): give it again (console, API or scim_token_file)"
            ),
            Self::Invalid(m) => f.write_str(m),
            Self::NoMasterKey(why) => write!(f, "the SCIM token cannot be sealed: {why}"),
            Self::Store(e) => write!(f, "{e}"),
            Self::Client(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ProvisionError {}

impl From<StoreError> for ProvisionError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// The sealing context of an app's token: a sealed token copied to another app does not open.
fn token_context(app: &str) -> String {
    format!("scim_token:{app}")
}

/// Seals and stores the app's bearer token (audited without it).
pub async fn set_token(
    ctx: &Ctx<'_>,
    app: &App,
    token: &ScimToken,
    rng: &dyn crate::random::Rng,
) -> Result<(), ProvisionError> {
    let name = app.name.as_str();
    let sealed = ctx
        .master_key
        .seal(&token_context(name), token.as_bytes(), rng)
        .map_err(ProvisionError::Invalid)?;
    ctx.store
        .put_scim_token(name, &sealed, ctx.master_key.id(), ctx.now)
        .await?;
    audit(
        ctx,
        name,
        None,
        AuditKind::ScimTokenSet,
        AuditResult::Success,
        TokenChange::Set.reason(),
        None,
    )
    .await;
    Ok(())
}

/// Removes the app's bearer token (audited); whether it had one. Runs stop until a new one is set.
pub async fn clear_token(ctx: &Ctx<'_>, app: &App) -> Result<bool, ProvisionError> {
    let name = app.name.as_str();
    let had = ctx.store.delete_scim_token(name).await?;
    if had {
        audit(
            ctx,
            name,
            None,
            AuditKind::ScimTokenSet,
            AuditResult::Success,
            TokenChange::Cleared.reason(),
            None,
        )
        .await;
    }
    Ok(had)
}

/// Re-seals every app's token sealed under `old` under `new` (master key rotation); returns how
/// many. A token that does not open under `old` is left alone (it was already unreadable).
pub async fn reseal_tokens(
    store: &Store,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn crate::random::Rng,
    now: i64,
) -> Result<usize, ProvisionError> {
    let mut n = 0;
    for (app, sealed, key_id) in store.scim_tokens().await? {
        if key_id != old.id() {
            continue;
        }
        let Some(plain) = old.open(&token_context(&app), &sealed) else {
            continue;
        };
        let resealed = new
            .seal(&token_context(&app), &plain, rng)
            .map_err(ProvisionError::Invalid)?;
        store.put_scim_token(&app, &resealed, new.id(), now).await?;
        n += 1;
    }
    Ok(n)
}

/// The app's token, opened.
async fn token(ctx: &Ctx<'_>, app: &str) -> Result<ScimToken, ProvisionError> {
    let Some((sealed, key_id)) = ctx.store.scim_token(app).await? else {
        return Err(ProvisionError::NoToken(app.to_string()));
    };
    let unreadable = || ProvisionError::TokenUnreadable(app.to_string());
    if key_id != ctx.master_key.id() {
        return Err(unreadable());
    }
    let bytes = ctx
        .master_key
        .open(&token_context(app), &sealed)
        .ok_or_else(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable())?;
    ScimToken::parse(&text).map_err(|_| unreadable())
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Listed only (dry run).
    Planned,
    /// Made.
    Done,
    /// Failed; the message says why.
    Failed(String),
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Each change with how it ended.
    pub changes: Vec<(Change, Outcome)>,
    /// Members in scope who could not be provisioned, with why.
    pub skipped: Vec<plan::Skipped>,
    /// The counts recorded as the app's status (for a dry run, what it would do).
    pub status: ScimRunRow,
}

/// Whether the app provisions, and where to.
fn target(app: &App) -> Result<&str, ProvisionError> {
    match (&app.settings.provision, &app.settings.scim_url) {
        (ProvisionMode::Scim, Some(url)) => Ok(url),
        _ => Err(ProvisionError::NotProvisioned(app.name.to_string())),
    }
}

/// Brings the app to the directory: plans from what was last sent, then (unless `dry_run`) makes
/// each change, records it and audits it; a failed change is audited and the run goes on.
pub async fn run(
    ctx: &Ctx<'_>,
    app: &App,
    dir: &Directory,
    default_access: &Access,
    dry_run: bool,
) -> Result<Report, ProvisionError> {
    let url = target(app)?;
    app.settings
        .check_provisioning()
        .map_err(|e| ProvisionError::Invalid(e.to_string()))?;
    let name = app.name.as_str();
    let sent = ctx.store.scim_resources(name).await?;
    let Plan { changes, skipped } = plan::plan(app, dir, default_access, &sent);
    if dry_run {
        let mut status = ScimRunRow {
            started_at: ctx.now,
            finished_at: ctx.now,
            run_trigger: ctx.actor.label(),
            dry_run: 1,
            ..ScimRunRow::default()
        };
        for c in &changes {
            count(&mut status, c, &Outcome::Planned);
        }
        ctx.store.put_scim_run(name, &status).await?;
        let changes = changes.into_iter().map(|c| (c, Outcome::Planned)).collect();
        return Ok(Report {
            changes,
            skipped,
            status,
        });
    }
    let client =
        ScimClient::new(url, token(ctx, name).await?, ctx.retry).map_err(ProvisionError::Client)?;
    let mut users: HashMap<String, String> = sent
        .iter()
        .filter(|r| r.kind == "user")
        .map(|r| (r.local_key.clone(), r.remote_id.clone()))
        .collect();
    let groups: HashMap<String, Vec<String>> = sent
        .iter()
        .filter(|r| r.kind == "group")
        .filter_map(|r| Some((r.local_key.clone(), serde_json::from_str(&r.members).ok()?)))
        .collect();
    let mut status = ScimRunRow {
        started_at: ctx.now,
        run_trigger: ctx.actor.label(),
        ..ScimRunRow::default()
    };
    let mut done = Vec::new();
    for change in changes {
        let outcome = apply(ctx, &client, app, &change, &mut users, &groups).await;
        count(&mut status, &change, &outcome);
        record(ctx, name, &change, &outcome).await;
        done.push((change, outcome));
    }
    status.finished_at = ctx.now;
    ctx.store.put_scim_run(name, &status).await?;
    tracing::info!(
        app = %name,
        created = status.created,
        updated = status.updated,
        deactivated = status.deactivated,
        groups = status.group_changes,
        failed = status.failed,
        "SCIM provisioning run done"
    );
    Ok(Report {
        changes: done,
        skipped,
        status,
    })
}

/// Adds a change to the run's counts.
fn count(status: &mut ScimRunRow, change: &Change, outcome: &Outcome) {
    if let Outcome::Failed(why) = outcome {
        status.failed += 1;
        if status.last_error.is_none() {
            status.last_error = Some(format!("{}: {why}", change.describe()));
        }
        return;
    }
    match change {
        Change::CreateUser { .. } => status.created += 1,
        Change::UpdateUser { .. } => status.updated += 1,
        Change::DeactivateUser { .. } => status.deactivated += 1,
        Change::PutGroup { .. } => status.group_changes += 1,
    }
}

/// Makes one change and remembers what was sent.
async fn apply(
    ctx: &Ctx<'_>,
    client: &ScimClient,
    app: &App,
    change: &Change,
    users: &mut HashMap<String, String>,
    groups: &HashMap<String, Vec<String>>,
) -> Outcome {
    let mode = app.settings.scim_group_update;
    let app = app.name.as_str();
    let made = match change {
        Change::CreateUser { userid, body } => create_user(client, body).await.map(|id| {
            users.insert(userid.clone(), id.clone());
            row("user", userid, id, change.hash(), 1)
        }),
        Change::UpdateUser {
            userid,
            remote_id,
            body,
        } => replace_user(client, remote_id, body).await.map(|id| {
            users.insert(userid.clone(), id.clone());
            row("user", userid, id, change.hash(), 1)
        }),
        Change::DeactivateUser { userid, remote_id } => match client.deactivate(remote_id).await {
            // A user the app no longer has is as good as deactivated.
            Ok(()) | Err(ScimError::Status { status: 404, .. }) => {
                Ok(row("user", userid, remote_id.clone(), change.hash(), 0))
            }
            Err(e) => Err(e),
        },
        Change::PutGroup { .. } => put_group(client, mode, change, users, groups).await,
    };
    match made {
        Ok(r) => match ctx.store.put_scim_resource(app, &r, ctx.now).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(format!("made at the app, but not recorded: {e}")),
        },
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

fn row(
    kind: &str,
    key: &str,
    remote_id: String,
    sent_hash: String,
    active: i64,
) -> ScimResourceRow {
    ScimResourceRow {
        kind: kind.into(),
        local_key: key.into(),
        remote_id,
        sent_hash,
        active,
        members: String::new(),
    }
}

/// A user not sent before: the app's user of the same `userName` (or `externalId`) is taken over
/// and replaced; else one is created.
async fn create_user(client: &ScimClient, body: &serde_json::Value) -> Result<String, ScimError> {
    let user_name = body["userName"].as_str().unwrap_or_default();
    let external = body["externalId"].as_str().unwrap_or_default();
    let mut found = client.find(Endpoint::Users, "userName", user_name).await?;
    if found.is_none() {
        found = client.find(Endpoint::Users, "externalId", external).await?;
    }
    match found {
        Some(id) => {
            client.replace(Endpoint::Users, &id, body).await?;
            Ok(id)
        }
        None => client.create(Endpoint::Users, body).await,
    }
}

/// A user sent before: replaced; created again when the app lost it.
async fn replace_user(
    client: &ScimClient,
    remote_id: &str,
    body: &serde_json::Value,
) -> Result<String, ScimError> {
    match client.replace(Endpoint::Users, remote_id, body).await {
        Ok(()) => Ok(remote_id.to_string()),
        Err(ScimError::Status { status: 404, .. }) => create_user(client, body).await,
        Err(e) => Err(e),
    }
}

/// What a group change sends, and how.
struct GroupSend<'a> {
    key: &'a str,
    display_name: &'a str,
    /// The members' remote IDs.
    ids: Vec<String>,
    /// The app's ID of the group, when sent before.
    remote_id: Option<&'a String>,
    /// The members' remote IDs last sent, when known.
    before: Option<Vec<String>>,
    /// Every user sent to the app (userid → remote ID): who may be a stale member of a group
    /// whose last members are not known.
    users: &'a HashMap<String, String>,
}

/// Creates or changes a group with its members' remote IDs: PUT of the whole group, or (with
/// `scim_group_update=patch`) PATCH of the members that changed since the last send. Returns the
/// row to record: its hash is empty when a member had no remote ID (their creation failed), so the
/// next run sends the group again.
async fn put_group(
    client: &ScimClient,
    mode: ScimGroupUpdate,
    change: &Change,
    users: &HashMap<String, String>,
    groups: &HashMap<String, Vec<String>>,
) -> Result<ScimResourceRow, ScimError> {
    let Change::PutGroup {
        key,
        display_name,
        members,
        remote_id,
    } = change
    else {
        return Err(ScimError::Protocol {
            call: "group".into(),
            detail: "not a group change".into(),
        });
    };
    let ids: Vec<String> = members
        .iter()
        .filter_map(|u| users.get(u).cloned())
        .collect();
    let complete = ids.len() == members.len();
    let send = GroupSend {
        key,
        display_name,
        ids,
        remote_id: remote_id.as_ref(),
        before: remote_id.as_ref().and(groups.get(key.as_str()).cloned()),
        users,
    };
    let id = match mode {
        ScimGroupUpdate::Put => put_whole_group(client, &send).await?,
        ScimGroupUpdate::Patch => patch_group(client, &send).await?,
    };
    let hash = if complete {
        change.hash()
    } else {
        String::new()
    };
    let mut r = row("group", key, id, hash, 1);
    r.members = serde_json::Value::from(send.ids).to_string();
    Ok(r)
}

/// The group's ID at the app: the one sent before, else one of the same display name.
async fn existing_group(
    client: &ScimClient,
    g: &GroupSend<'_>,
) -> Result<Option<String>, ScimError> {
    match g.remote_id {
        Some(id) => Ok(Some(id.clone())),
        None => {
            client
                .find(Endpoint::Groups, "displayName", g.display_name)
                .await
        }
    }
}

/// PUT of the whole group (POST when the app has none, or lost it).
async fn put_whole_group(client: &ScimClient, g: &GroupSend<'_>) -> Result<String, ScimError> {
    let body = resource::group(g.key, g.display_name, &g.ids);
    match existing_group(client, g).await? {
        Some(id) => match client.replace(Endpoint::Groups, &id, &body).await {
            Ok(()) => Ok(id),
            Err(ScimError::Status { status: 404, .. }) => {
                client.create(Endpoint::Groups, &body).await
            }
            Err(e) => Err(e),
        },
        None => client.create(Endpoint::Groups, &body).await,
    }
}

/// PATCH of the members that changed. A group new to the app is created empty (AWS takes no
/// members on create) and its members added. A group whose last members are not known (found by
/// name, or sent before they were kept) has them read from the app first ([`members_at`]), so a
/// stale member is removed as well. The whole member list is never replaced in one operation
/// (RFC 7644 allows it, but AWS refuses a request that replaces every membership).
async fn patch_group(client: &ScimClient, g: &GroupSend<'_>) -> Result<String, ScimError> {
    let (id, before) = match existing_group(client, g).await? {
        Some(id) => {
            let before = match &g.before {
                Some(b) => b.clone(),
                None => members_at(client, &id, g).await?,
            };
            (id, before)
        }
        None => (create_empty_group(client, g).await?, Vec::new()),
    };
    for (i, body) in resource::group_patches(g.display_name, &before, &g.ids)
        .iter()
        .enumerate()
    {
        match client.patch(Endpoint::Groups, &id, body).await {
            Ok(()) => {}
            // The app lost the group: made again, with every member.
            Err(ScimError::Status { status: 404, .. }) if i == 0 => {
                let id = create_empty_group(client, g).await?;
                for body in resource::group_patches(g.display_name, &[], &g.ids) {
                    client.patch(Endpoint::Groups, &id, &body).await?;
                }
                return Ok(id);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(id)
}

/// The members a group has at the app, when the list last sent is not known: as the group reads
/// (`GET /Groups/{id}`). When it reads with none (AWS IAM Identity Center never lists them), each
/// user sent to this app who should not be in the group is asked about with the filter AWS
/// documents for this (`id eq "G" and members eq "U"`); this happens once, as the list is kept
/// after the send. An app that takes no such filter keeps what cannot be found (as before).
async fn members_at(
    client: &ScimClient,
    id: &str,
    g: &GroupSend<'_>,
) -> Result<Vec<String>, ScimError> {
    match client.group_members(id).await {
        Ok(m) if !m.is_empty() => return Ok(m),
        Ok(_) => {}
        // Lost at the app: the PATCH finds that out and makes the group again.
        Err(ScimError::Status { status: 404, .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut candidates: Vec<&String> = g.users.values().filter(|u| !g.ids.contains(u)).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut found = Vec::new();
    for user in candidates {
        match client.has_member(id, user).await {
            Ok(true) => found.push(user.clone()),
            Ok(false) => {}
            Err(ScimError::Status {
                status: 400 | 403 | 404 | 501,
                ..
            }) => {
                tracing::info!(
                    group = %crate::logsafe::Escaped(g.key),
                    "the app cannot say who is in the group; members it has beyond the directory stay"
                );
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

async fn create_empty_group(client: &ScimClient, g: &GroupSend<'_>) -> Result<String, ScimError> {
    client
        .create(
            Endpoint::Groups,
            &resource::group(g.key, g.display_name, &[]),
        )
        .await
}

/// The audit row of one change made (or failed).
async fn record(ctx: &Ctx<'_>, app: &str, change: &Change, outcome: &Outcome) {
    let userid = match change {
        Change::CreateUser { userid, .. }
        | Change::UpdateUser { userid, .. }
        | Change::DeactivateUser { userid, .. } => Some(userid.as_str()),
        Change::PutGroup { .. } => None,
    };
    let (result, error) = match outcome {
        Outcome::Failed(e) => (AuditResult::Error, Some(e.as_str())),
        _ => (AuditResult::Success, None),
    };
    let detail = serde_json::json!({"change": change.describe(), "error": error}).to_string();
    audit(
        ctx,
        app,
        userid,
        AuditKind::Provision,
        result,
        change.reason(),
        Some(detail),
    )
    .await;
}

async fn audit(
    ctx: &Ctx<'_>,
    app: &str,
    userid: Option<&str>,
    event: AuditKind,
    result: AuditResult,
    reason: &str,
    detail: Option<String>,
) {
    let row = AuditRow {
        at: ctx.now,
        event,
        app: Some(app.to_string()),
        userid: userid.map(str::to_string),
        result,
        reason: reason.to_string(),
        client_ip: ctx.ip,
        request_id: None,
        actor: Some(ctx.actor.label()),
        detail,
    };
    if let Err(e) = ctx.store.audit(&row).await {
        tracing::error!(app = %app, "audit row of a SCIM change not written: {e}");
    }
}

/// Deactivates a member who left in every app that provisioned them, at once: for the lifecycle
/// (an event or a reconciliation found the member deleted, disabled or left). Returns, per app
/// that had the member active, how it ended; an app whose token cannot be opened is one failure,
/// the others still run.
pub async fn member_left(
    ctx: &Ctx<'_>,
    userid: &str,
) -> Result<Vec<(String, Outcome)>, ProvisionError> {
    let mut out = Vec::new();
    for row in ctx.store.apps().await? {
        let Ok(app) = App::from_row(row) else {
            continue;
        };
        let Ok(url) = target(&app) else { continue };
        let name = app.name.as_str();
        let sent = ctx.store.scim_resources(name).await?;
        let Some(r) = sent
            .iter()
            .find(|r| r.kind == "user" && r.local_key == userid && r.active == 1)
        else {
            continue;
        };
        let change = Change::DeactivateUser {
            userid: userid.to_string(),
            remote_id: r.remote_id.clone(),
        };
        let outcome = match token(ctx, name)
            .await
            .and_then(|t| ScimClient::new(url, t, ctx.retry).map_err(ProvisionError::Client))
        {
            Ok(client) => {
                apply(
                    ctx,
                    &client,
                    &app,
                    &change,
                    &mut HashMap::new(),
                    &HashMap::new(),
                )
                .await
            }
            Err(e) => Outcome::Failed(e.to_string()),
        };
        record(ctx, name, &change, &outcome).await;
        out.push((name.to_string(), outcome));
    }
    Ok(out)
}
