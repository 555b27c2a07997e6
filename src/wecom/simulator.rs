//! A WeCom stand-in for the demo and for tests: real HTTP, WeCom's wire format, loopback only.
//!
//! API side (`/cgi-bin/…`, JSON, always HTTP 200 with an `errcode`): `gettoken` (checks corp ID and secret;
//! tokens live 7200 s by the injected clock), `auth/getuserinfo` and legacy `user/getuserinfo` (capitalised
//! `UserId`), `auth/getuserdetail`, `user/get`, `user/getuserid`, `user/get_userid_by_email`,
//! `department/list`, `user/list` (a department's members with details, same checks as
//! `user/simplelist`), `user/simplelist` (a department's direct members; 60011 for a department outside
//! the app's visible range, see [`Simulator::hide_department`]), `tag/list`, `tag/get`, `agent/get` (the app itself; 40056 for an AgentId the corp does not
//! have, 301002 for another app of the corp, see [`Simulator::add_other_agent`]). Every data call checks the
//! token: missing or unknown → 40014, expired → 42001.
//!
//! Browser side: `/connect/oauth2/authorize` (in-client OAuth) and `/wwlogin/sso/login` (web/QR login)
//! validate `appid`/`agentid` and the redirect host against the trusted domain, then either redirect at
//! once with a code (the browser carries the `wwsim_user` cookie set by `/sim/as?userid=…&next=…`: "the
//! member is logged in to the WeCom client") or show a page listing the members, each a link that issues a
//! code ("scan the QR code with your phone"). Codes are random, single use, valid 300 s.
//!
//! Event callback: told the IdP's event URL, Token and EncodingAESKey
//! ([`Simulator::set_event_target`]), it POSTs real encrypted `change_contact` events
//! ([`Simulator::send_change`]; [`Simulator::member_leaves`] removes a member and sends
//! `delete_user`).
//!
//! For tests: [`Simulator::fail_next`] injects error codes, [`Simulator::calls`] counts calls per
//! endpoint, [`Simulator::expire_tokens`], [`Simulator::set_delay`], [`Simulator::issue_code`].
//!
//! Layout: this file holds the state and the test knobs; `api`'s handlers answer `/cgi-bin/…`,
//! `browser`'s the pages. Cookies ignore ports, so on `127.0.0.1` the `wwsim_user` cookie is also sent
//! to an IdP on another port of the same host (harmless).
//!
//! One deviation we know of: the errcode for an unknown or expired `user_ticket` is not documented
//! on WeCom's `auth/getuserdetail` page
//! (<https://developer.work.weixin.qq.com/document/path/96443>); the simulator answers 40129.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::client::Department;
use crate::clock::Clock;
use crate::random::Rng;

mod api;
mod browser;
mod events;
pub use events::SentEvent;

/// Corp ID of the demo organisation.
pub const DEMO_CORP_ID: &str = "wwd3m0c0rp0000beef";
/// AgentId of the demo app.
pub const DEMO_AGENT_ID: &str = "1000002";
/// The cookie that says "this browser's member is logged in to the WeCom client".
pub const SESSION_COOKIE: &str = "wwsim_user";

const TOKEN_TTL: i64 = 7200;
const CODE_TTL: i64 = 300;
const TICKET_TTL: i64 = 1800;

/// A member of the simulated corp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// userid.
    pub userid: String,
    /// Display name.
    pub name: String,
    /// Department IDs; the first is the main department.
    pub department: Vec<i64>,
    /// Job title.
    pub position: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Personal email.
    pub email: Option<String>,
    /// Company email.
    pub biz_mail: Option<String>,
    /// Alias.
    pub alias: Option<String>,
    /// 1 active, 2 disabled, 4 not activated, 5 left.
    pub status: i64,
    /// Custom text attributes (name, value).
    pub extattr: Vec<(String, String)>,
    /// Not in the app's visible range: WeCom answers 50002 when the app reads this member.
    pub outside_visible_range: bool,
    /// Put in the app's visible range one by one (`agent/get` lists them in `allow_userinfos`):
    /// visible even when none of their departments is.
    pub in_range_alone: bool,
}

impl Member {
    /// An active member of the root department, other fields empty.
    pub fn new(userid: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            userid: userid.into(),
            name: name.into(),
            department: vec![1],
            position: None,
            mobile: None,
            email: None,
            biz_mail: None,
            alias: None,
            status: 1,
            extattr: Vec::new(),
            outside_visible_range: false,
            in_range_alone: false,
        }
    }
}

/// A department seed.
pub fn department(id: i64, name: &str, name_en: Option<&str>, parentid: i64) -> Department {
    Department {
        id,
        name: name.to_owned(),
        name_en: name_en.map(str::to_owned),
        parentid,
        order: 100_000_000 - id,
    }
}

/// The demo organisation's departments.
pub fn demo_departments() -> Vec<Department> {
    vec![
        department(1, "演示科技", Some("Demo Tech"), 0),
        department(2, "研发部", Some("R&D"), 1),
        department(3, "运维部", Some("Operations"), 1),
        department(4, "财务部", Some("Finance"), 1),
    ]
}

/// The demo organisation's members (one disabled, one who left).
pub fn demo_members() -> Vec<Member> {
    let m = |userid: &str, name: &str, dept: i64, position: &str, n: u32| Member {
        department: vec![dept],
        position: Some(position.to_owned()),
        mobile: Some(format!("1380013800{n}")),
        email: Some(format!("{userid}@example.com")),
        biz_mail: Some(format!("{userid}@demo-tech.example")),
        extattr: vec![("工号".to_owned(), format!("E00{n}"))],
        ..Member::new(userid, name)
    };
    vec![
        Member {
            alias: Some("San Zhang".to_owned()),
            ..m("zhangsan", "张三", 2, "后端工程师 Backend engineer", 1)
        },
        m("lisi", "李四", 3, "运维工程师 SRE", 2),
        m("wangwu", "王五", 4, "财务 Accountant", 3),
        Member {
            status: 2,
            ..m("zhaoliu", "赵六（已禁用 disabled）", 2, "实习生 Intern", 4)
        },
        Member {
            status: 5,
            ..m("sunqi", "孙七（已离职 left）", 3, "前员工 Former staff", 5)
        },
    ]
}

/// A tag of the simulated corp: members tagged directly and departments tagged as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag ID.
    pub id: i64,
    /// Tag name.
    pub name: String,
    /// userids tagged directly.
    pub users: Vec<String>,
    /// Department IDs tagged as a whole.
    pub departments: Vec<i64>,
}

/// A tag seed.
pub fn tag(id: i64, name: &str, users: &[&str], departments: &[i64]) -> Tag {
    Tag {
        id,
        name: name.to_owned(),
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        departments: departments.to_vec(),
    }
}

/// The demo organisation's tags: cloud admins (zhangsan), auditors (lisi), and the whole
/// operations department (3) with wangwu from finance added by hand.
pub fn demo_tags() -> Vec<Tag> {
    vec![
        tag(1, "云管理员 cloud-admins", &["zhangsan"], &[]),
        tag(2, "审计 auditors", &["lisi"], &[]),
        tag(3, "值班 on-call", &["wangwu"], &[3]),
    ]
}

/// The simulated WeCom. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    corp_id: String,
    agent_id: String,
    secret: String,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Rng>,
    state: Mutex<SimState>,
}

#[derive(Default)]
struct SimState {
    members: Vec<Member>,
    departments: Vec<Department>,
    tags: Vec<Tag>,
    tokens: HashMap<String, i64>,
    codes: HashMap<String, Grant>,
    tickets: HashMap<String, (String, i64)>,
    failures: HashMap<String, (Fault, usize)>,
    calls: HashMap<String, usize>,
    delay: Duration,
    pre_2022: bool,
    trusted_domain: Option<String>,
    /// AgentIds of the corp's other apps (agent/get with this app's token: 301002).
    other_agents: Vec<String>,
    /// The app is disabled (agent/get answers `close: 1`).
    app_closed: bool,
    /// Departments outside the app's visible range: not listed, and `user/simplelist` answers 60011.
    hidden_departments: Vec<i64>,
    /// Tags in the app's visible range (`agent/get`'s `allow_tags`).
    range_tags: Vec<i64>,
    /// Where `change_contact` events go (the IdP's event URL, with its Token and key).
    event_target: Option<events::EventTarget>,
    /// The app's trusted IPs (企业可信IP): when set, a data call from any other address answers
    /// 60020 naming the address seen. `None` (the default) accepts every address.
    trusted_ips: Option<Vec<IpAddr>>,
}

struct Grant {
    subject: Subject,
    expires_at: i64,
    with_ticket: bool,
}

enum Subject {
    Member(String),
    Outsider(String),
}

type Params = Query<HashMap<String, String>>;

/// How an API endpoint made to fail answers (see [`Simulator::fail_next_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A WeCom error answer with this `errcode`.
    Errcode(i64),
    /// An HTML page with this HTTP status, as a proxy in front of WeCom answers (e.g. 502).
    HttpStatus(u16),
    /// HTTP 200 with a body that is not JSON.
    BadBody,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("corp_id", &self.inner.corp_id)
            .field("agent_id", &self.inner.agent_id)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// A simulator for one corp with one self-built app.
    pub fn new(
        corp_id: impl Into<String>,
        agent_id: impl Into<String>,
        secret: impl Into<String>,
        members: Vec<Member>,
        departments: Vec<Department>,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Rng>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                corp_id: corp_id.into(),
                agent_id: agent_id.into(),
                secret: secret.into(),
                clock,
                rng,
                state: Mutex::new(SimState {
                    members,
                    departments,
                    ..SimState::default()
                }),
            }),
        }
    }

    /// The demo organisation ([`DEMO_CORP_ID`], [`DEMO_AGENT_ID`], [`demo_members`],
    /// [`demo_departments`], [`demo_tags`]) with the given secret.
    pub fn demo(secret: impl Into<String>, clock: Arc<dyn Clock>, rng: Arc<dyn Rng>) -> Self {
        let sim = Self::new(
            DEMO_CORP_ID,
            DEMO_AGENT_ID,
            secret,
            demo_members(),
            demo_departments(),
            clock,
            rng,
        );
        sim.set_tags(demo_tags());
        sim
    }

    /// The corp ID it accepts.
    pub fn corp_id(&self) -> &str {
        &self.inner.corp_id
    }

    /// The AgentId it accepts.
    pub fn agent_id(&self) -> &str {
        &self.inner.agent_id
    }

    /// All routes (API and browser side).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/cgi-bin/gettoken", get(api::gettoken))
            .route("/cgi-bin/auth/getuserinfo", get(api::auth_getuserinfo))
            .route("/cgi-bin/user/getuserinfo", get(api::legacy_getuserinfo))
            .route("/cgi-bin/auth/getuserdetail", post(api::getuserdetail))
            .route("/cgi-bin/user/get", get(api::user_get))
            .route("/cgi-bin/user/getuserid", post(api::getuserid))
            .route(
                "/cgi-bin/user/get_userid_by_email",
                post(api::getuserid_by_email),
            )
            .route("/cgi-bin/department/list", get(api::department_list))
            .route("/cgi-bin/user/simplelist", get(api::user_simplelist))
            .route("/cgi-bin/user/list", get(api::user_list))
            .route("/cgi-bin/tag/list", get(api::tag_list))
            .route("/cgi-bin/tag/get", get(api::tag_get))
            .route("/cgi-bin/agent/get", get(api::agent_get))
            .route("/connect/oauth2/authorize", get(browser::oauth_authorize))
            .route("/wwlogin/sso/login", get(browser::web_login))
            .route("/sim/grant", get(browser::grant))
            .route("/sim/as", get(browser::login_as))
            .route("/sim/logout", get(browser::logout))
            .route("/sim", get(browser::index))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                trusted_ip_guard,
            ))
            .with_state(self.clone())
    }

    /// Serves on `listener` until the task is dropped. Refuses a listener not bound to loopback.
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, std::future::pending()).await
    }

    /// Serves on `listener` until `shutdown` completes (graceful). Refuses a non-loopback listener.
    pub async fn serve_until<F>(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: F,
    ) -> std::io::Result<()>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("the WeCom simulator only listens on loopback, not {addr}"),
            ));
        }
        tracing::info!(%addr, corp_id = %self.inner.corp_id, "WeCom simulator listening");
        axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }

    /// Binds `127.0.0.1:0`, serves in a background task, returns the address.
    pub async fn start(&self) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.serve(listener).await {
                tracing::warn!(error = %e, "WeCom simulator stopped");
            }
        });
        Ok(addr)
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        match self.inner.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The next `times` calls to `endpoint` (e.g. `user/get`, `gettoken`) answer `code`.
    /// `times == 0` cancels what is pending for `endpoint`.
    pub fn fail_next(&self, endpoint: &str, code: i64, times: usize) {
        self.fail_next_with(endpoint, Fault::Errcode(code), times);
    }

    /// The next `times` calls to `endpoint` fail as `fault` says. `times == 0` cancels.
    pub fn fail_next_with(&self, endpoint: &str, fault: Fault, times: usize) {
        let mut st = self.state();
        if times == 0 {
            st.failures.remove(endpoint);
        } else {
            st.failures.insert(endpoint.to_owned(), (fault, times));
        }
    }

    /// How many calls `endpoint` received (API endpoints by name, e.g. `user/get`; browser pages as
    /// `connect/oauth2/authorize` and `wwlogin/sso/login`).
    pub fn calls(&self, endpoint: &str) -> usize {
        self.state().calls.get(endpoint).copied().unwrap_or(0)
    }

    /// Makes every issued token expired (the next data call with one gets 42001).
    pub fn expire_tokens(&self) {
        let now = self.inner.clock.unix();
        for exp in self.state().tokens.values_mut() {
            *exp = now;
        }
    }

    /// Delays every API answer by `d` (timeout tests).
    pub fn set_delay(&self, d: Duration) {
        self.state().delay = d;
    }

    /// `true`: the app predates 2022-06-20, so `user/get` still returns mobile, email, gender, avatar.
    pub fn set_pre_2022(&self, yes: bool) {
        self.state().pre_2022 = yes;
    }

    /// The app's trusted domain (`host` or `host:port`); redirect URIs elsewhere get WeCom's error page.
    /// `None` (the default) accepts any host.
    pub fn set_trusted_domain(&self, domain: Option<String>) {
        self.state().trusted_domain = domain.map(|d| d.to_ascii_lowercase());
    }

    /// The app's trusted IPs (企业可信IP). `Some(list)`: a data call (every `/cgi-bin/` call but
    /// `gettoken`, as WeCom does since 2022) from an address not in `list` answers 60020 with
    /// "from ip: ADDRESS"; `None` (the default) accepts any address.
    pub fn set_trusted_ips(&self, ips: Option<Vec<IpAddr>>) {
        self.state().trusted_ips = ips;
    }

    /// Another app of the same corp: `agent/get` with this app's token answers 301002 for it
    /// (an AgentId the corp does not have at all answers 40056).
    pub fn add_other_agent(&self, agentid: &str) {
        self.state().other_agents.push(agentid.to_owned());
    }

    /// `true`: the app is disabled in the admin console (`agent/get` answers `close: 1`).
    pub fn set_app_closed(&self, closed: bool) {
        self.state().app_closed = closed;
    }

    /// Takes a department out of the app's visible range: `department/list` leaves it out and
    /// `user/simplelist` for it answers 60011, as WeCom does.
    pub fn hide_department(&self, id: i64) {
        self.state().hidden_departments.push(id);
    }

    /// Puts tags in the app's visible range (their members are visible to it).
    pub fn set_range_tags(&self, tagids: Vec<i64>) {
        self.state().range_tags = tagids;
    }

    /// Adds or replaces a member.
    pub fn upsert_member(&self, member: Member) {
        let mut st = self.state();
        st.members.retain(|m| m.userid != member.userid);
        st.members.push(member);
    }

    /// Replaces all tags ([`Simulator::new`] starts with none).
    pub fn set_tags(&self, tags: Vec<Tag>) {
        self.state().tags = tags;
    }

    /// Adds or replaces a department.
    pub fn upsert_department(&self, department: Department) {
        let mut st = self.state();
        st.departments.retain(|d| d.id != department.id);
        st.departments.push(department);
    }

    /// Removes a department (WeCom removes only empty ones; the simulator does not check).
    pub fn remove_department(&self, id: i64) {
        self.state().departments.retain(|d| d.id != id);
    }

    /// Removes a member.
    pub fn remove_member(&self, userid: &str) {
        self.state().members.retain(|m| m.userid != userid);
    }

    /// Issues a code for `userid` without a browser (as if the member had just authorised).
    /// `private_info`: the code carries a `user_ticket` (scope `snsapi_privateinfo`).
    pub fn issue_code(&self, userid: &str, private_info: bool) -> String {
        self.new_code(Subject::Member(userid.to_owned()), private_info)
    }

    /// Issues a code for a non-member (answers `openid` only).
    pub fn issue_outsider_code(&self, openid: &str) -> String {
        self.new_code(Subject::Outsider(openid.to_owned()), false)
    }

    fn new_code(&self, subject: Subject, with_ticket: bool) -> String {
        let code = self.inner.rng.hex(24);
        let expires_at = self.inner.clock.unix() + CODE_TTL;
        self.state().codes.insert(
            code.clone(),
            Grant {
                subject,
                expires_at,
                with_ticket,
            },
        );
        code
    }

    fn count(&self, ep: &str) {
        *self.state().calls.entry(ep.to_owned()).or_insert(0) += 1;
    }

    /// Counts the call, waits the configured delay, answers an injected failure if one is due.
    async fn prelude(&self, ep: &str) -> Option<Response> {
        let delay = {
            let mut st = self.state();
            *st.calls.entry(ep.to_owned()).or_insert(0) += 1;
            st.delay
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut st = self.state();
        let (fault, left) = st.failures.get_mut(ep)?;
        let fault = *fault;
        *left = left.saturating_sub(1);
        if *left == 0 {
            st.failures.remove(ep);
        }
        drop(st);
        Some(match fault {
            Fault::Errcode(code) => self.err(code),
            Fault::HttpStatus(status) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                (status, "<html><body>Bad Gateway</body></html>").into_response()
            }
            Fault::BadBody => "<html>not WeCom</html>".into_response(),
        })
    }

    /// Checks `access_token`: missing or unknown → 40014, expired → 42001.
    fn check_token(&self, q: &HashMap<String, String>) -> Result<(), i64> {
        let now = self.inner.clock.unix();
        let expiry = q
            .get("access_token")
            .and_then(|t| self.state().tokens.get(t).copied());
        match expiry {
            None => Err(40014),
            Some(exp) if now >= exp => Err(42001),
            Some(_) => Ok(()),
        }
    }

    /// Both: the prelude and the token check. `Some` is the error answer.
    async fn guard(&self, ep: &str, q: &HashMap<String, String>) -> Option<Response> {
        if let Some(r) = self.prelude(ep).await {
            return Some(r);
        }
        self.check_token(q).err().map(|code| self.err(code))
    }

    /// A WeCom error answer, with `hint` and lookup link like the real one.
    fn err(&self, code: i64) -> Response {
        self.err_from(code, IpAddr::from([127, 0, 0, 1]))
    }

    /// A WeCom error answer naming the caller's address as WeCom does (`from ip: …`).
    fn err_from(&self, code: i64, from: IpAddr) -> Response {
        let hint = format!("{}_{}", self.inner.clock.unix(), self.inner.rng.hex(4));
        Json(json!({
            "errcode": code,
            "errmsg": format!(
                "{}, hint: [{hint}], from ip: {from}, more info at \
                 https://open.work.weixin.qq.com/devtool/query?e={code}",
                errmsg(code)
            ),
        }))
        .into_response()
    }

    fn member(&self, userid: &str) -> Option<Member> {
        self.state()
            .members
            .iter()
            .find(|m| m.userid == userid)
            .cloned()
    }

    /// Consumes a code: single use, 300 s.
    fn take_code(&self, code: Option<&String>) -> Result<(Subject, Option<String>), i64> {
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return Err(41008);
        };
        let now = self.inner.clock.unix();
        let grant = self.state().codes.remove(code);
        let Some(grant) = grant.filter(|g| now < g.expires_at) else {
            return Err(40029);
        };
        let ticket = match (&grant.subject, grant.with_ticket) {
            (Subject::Member(userid), true) => {
                let t = self.inner.rng.hex(32);
                self.state()
                    .tickets
                    .insert(t.clone(), (userid.clone(), now + TICKET_TTL));
                Some(t)
            }
            _ => None,
        };
        Ok((grant.subject, ticket))
    }
}

/// WeCom's trusted-IP rule: with a trusted-IP list set, a data call from another address is
/// answered 60020 naming the address seen (a router served without connection info counts as
/// loopback).
async fn trusted_ip_guard(
    axum::extract::State(sim): axum::extract::State<Simulator>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let data_call = path.starts_with("/cgi-bin/") && path != "/cgi-bin/gettoken";
    let trusted = sim.state().trusted_ips.clone();
    if let (true, Some(trusted)) = (data_call, trusted) {
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        if !trusted.contains(&peer) {
            if let Some(ep) = path.strip_prefix("/cgi-bin/") {
                sim.count(ep);
            }
            return sim.err_from(60020, peer);
        }
    }
    next.run(req).await
}

fn errmsg(code: i64) -> &'static str {
    match code {
        -1 => "system busy",
        40001 => "invalid credential, access_token is invalid or not latest",
        40003 => "invalid userid",
        40013 => "invalid corpid",
        40014 => "invalid access_token",
        40029 => "invalid code",
        40056 => "invalid agentid",
        40068 => "invalid tagid",
        40091 => "secret is invalid",
        40129 => "invalid user_ticket",
        41002 => "corpid missing",
        41004 => "corpsecret missing",
        41008 => "missing code",
        41009 => "missing userid",
        41011 => "missing agentid",
        301002 => "not allow operate another agent with this accesstoken",
        42001 => "access_token expired",
        45009 => "api freq out of limit",
        45033 => "api concurrent out of limit",
        46004 => "user no exist",
        47001 => "data format error",
        48002 => "api forbidden",
        48009 => "api forbidden for this secret",
        50001 => "redirect_url not authorised",
        50002 => "userid not in app's visible range",
        50003 => "application is disabled",
        60011 => "no privilege to access/modify contact/party/agent",
        60020 => "not allow to access from your ip",
        60111 => "userid not found",
        60123 => "invalid party id",
        _ => "error",
    }
}
