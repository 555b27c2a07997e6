//! The simulator's browser side: WeCom's in-client OAuth page and web/QR login page (validate `appid`,
//! `agentid`, scope and the redirect's trusted domain; redirect with a code when the browser "is logged in
//! to the WeCom client", else show a member picker), the picker's grant link, and `/sim/as`,
//! `/sim/logout`, `/sim` for choosing who is logged in to the client.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use url::form_urlencoded;

use super::{Params, Simulator, SESSION_COOKIE};
use crate::wecom::oauth::{valid_state, Scope};

const OAUTH_PATH: &str = "connect/oauth2/authorize";
const WEB_LOGIN_PATH: &str = "wwlogin/sso/login";

/// Which browser flow a code is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    OAuth(Scope),
    Web,
}

/// A validated authorisation request.
struct Authz {
    redirect: url::Url,
    state: String,
    flow: Flow,
    lang_en: bool,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}\
         li{{margin:.6em 0}} .muted{{color:#888}} .err{{color:#c00}}</style></head>\
         <body><p class=\"muted\">企业微信模拟器 · WeCom simulator</p><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    )
}

/// WeCom-style error page (HTTP 200, like WeCom's own).
fn error_page(zh: &str, en: &str) -> Response {
    Html(page(
        zh,
        &format!("<p class=\"err\">{}</p><p>{}</p>", esc(zh), esc(en)),
    ))
    .into_response()
}

fn reject(zh: &str, en: &str) -> Box<Response> {
    Box::new(error_page(zh, en))
}

fn cookie_user(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .and_then(|(_, v)| {
            form_urlencoded::parse(format!("u={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        })
}

fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

impl Simulator {
    /// Validates a browser request the way WeCom does; `Err` is WeCom's error page.
    fn authorize(&self, q: &HashMap<String, String>, web: bool) -> Result<Authz, Box<Response>> {
        let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
        if get("appid") != self.inner.corp_id {
            return Err(reject("参数错误：appid 无效", "Invalid appid (corp ID)."));
        }
        let agentid = get("agentid");
        let flow = if web {
            if get("login_type") != "CorpApp" {
                return Err(reject(
                    "参数错误：login_type 无效",
                    "login_type must be CorpApp for a self-built app.",
                ));
            }
            Flow::Web
        } else {
            if get("response_type") != "code" {
                return Err(reject(
                    "参数错误：response_type 无效",
                    "response_type must be code.",
                ));
            }
            let Some(scope) = Scope::parse(get("scope")) else {
                return Err(reject("参数错误：scope 无效", "Invalid scope."));
            };
            Flow::OAuth(scope)
        };
        let agent_required = web || flow == Flow::OAuth(Scope::PrivateInfo);
        if (agent_required || !agentid.is_empty()) && agentid != self.inner.agent_id {
            return Err(reject(
                "参数错误：agentid 无效或应用已停用",
                "Invalid agentid, or the app is disabled.",
            ));
        }
        let Ok(redirect) = url::Url::parse(get("redirect_uri")) else {
            return Err(reject(
                "参数错误：redirect_uri 无效",
                "redirect_uri is missing or not an absolute URL.",
            ));
        };
        if let Some(trusted) = self.state().trusted_domain.clone() {
            let host = redirect.host_str().unwrap_or("").to_ascii_lowercase();
            let actual = match redirect.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            };
            if actual != trusted {
                return Err(reject(
                    "redirect_uri需使用应用可信域名",
                    &format!(
                        "redirect_uri must use the app's trusted domain ({trusted}), not {actual} \
                         (errcode 50001)."
                    ),
                ));
            }
        }
        let state = get("state");
        if !state.is_empty() && !valid_state(state) {
            return Err(reject(
                "参数错误：state 无效",
                "state must be [a-zA-Z0-9], at most 128 bytes.",
            ));
        }
        Ok(Authz {
            redirect,
            state: state.to_owned(),
            flow,
            lang_en: get("lang") == "en",
        })
    }

    /// `302 redirect_uri?code=…&state=…`.
    fn redirect_with_code(&self, a: &Authz, userid: &str) -> Response {
        let with_ticket = a.flow == Flow::OAuth(Scope::PrivateInfo);
        let code = self.issue_code(userid, with_ticket);
        let mut url = a.redirect.clone();
        url.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &a.state);
        found(url.into())
    }

    /// The member picker ("scan with your phone").
    fn picker(&self, q: &HashMap<String, String>, a: &Authz) -> Response {
        let members = self.state().members.clone();
        let mut items = String::new();
        for m in &members {
            let mut link = form_urlencoded::Serializer::new(String::new());
            for (k, v) in q {
                link.append_pair(k, v);
            }
            link.append_pair(
                "sim_flow",
                if a.flow == Flow::Web { "web" } else { "oauth" },
            );
            link.append_pair("sim_userid", &m.userid);
            let status = match m.status {
                1 => "",
                2 => " · 已禁用 disabled",
                4 => " · 未激活 not activated",
                5 => " · 已离职 left",
                _ => " · ?",
            };
            items.push_str(&format!(
                "<li><a href=\"/sim/grant?{}\">{}</a> <span class=\"muted\">{}{}</span></li>",
                esc(&link.finish()),
                esc(&m.name),
                esc(&m.userid),
                esc(status)
            ));
        }
        let (title, intro) = match (a.flow, a.lang_en) {
            (Flow::Web, true) => (
                "Scan with WeCom to sign in",
                "Pick the member whose phone scans the QR code:",
            ),
            (Flow::Web, false) => ("企业微信扫码登录", "选择用手机扫码的成员："),
            (Flow::OAuth(_), _) => (
                "企业微信授权登录 · WeCom authorisation",
                "选择已登录企业微信客户端的成员 / Pick the member signed in to the WeCom client:",
            ),
        };
        Html(page(
            title,
            &format!(
                "<p>{}</p><ul>{items}</ul><p class=\"muted\">{}</p>",
                esc(intro),
                esc(&format!("→ {}", a.redirect))
            ),
        ))
        .into_response()
    }

    fn browser(&self, ep: &str, q: &HashMap<String, String>, h: &HeaderMap, web: bool) -> Response {
        self.count(ep);
        let a = match self.authorize(q, web) {
            Ok(a) => a,
            Err(page) => return *page,
        };
        match cookie_user(h).filter(|u| self.member(u).is_some()) {
            Some(userid) => self.redirect_with_code(&a, &userid),
            None => self.picker(q, &a),
        }
    }
}

pub(super) async fn oauth_authorize(
    State(sim): State<Simulator>,
    Query(q): Params,
    h: HeaderMap,
) -> Response {
    sim.browser(OAUTH_PATH, &q, &h, false)
}

pub(super) async fn web_login(
    State(sim): State<Simulator>,
    Query(q): Params,
    h: HeaderMap,
) -> Response {
    sim.browser(WEB_LOGIN_PATH, &q, &h, true)
}

/// A link on the picker page: the member "scanned"; re-validates and issues the code.
pub(super) async fn grant(State(sim): State<Simulator>, Query(q): Params) -> Response {
    let web = q.get("sim_flow").map(String::as_str) == Some("web");
    let a = match sim.authorize(&q, web) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    match q.get("sim_userid").filter(|u| sim.member(u).is_some()) {
        Some(userid) => sim.redirect_with_code(&a, userid),
        None => error_page("成员不存在", "No such member."),
    }
}

/// `/sim/as?userid=…&next=…`: "log in to the WeCom client" as a member (sets the cookie).
pub(super) async fn login_as(State(sim): State<Simulator>, Query(q): Params) -> Response {
    let Some(m) = q.get("userid").and_then(|u| sim.member(u)) else {
        return error_page("成员不存在", "No such member.");
    };
    let value: String = form_urlencoded::byte_serialize(m.userid.as_bytes()).collect();
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(next) = safe_next(&q) {
        (
            StatusCode::FOUND,
            [(header::SET_COOKIE, cookie), (header::LOCATION, next)],
        )
            .into_response()
    } else {
        let body = page(
            "已登录企业微信客户端 · Signed in to the WeCom client",
            &format!("<p>{} ({})</p>", esc(&m.name), esc(&m.userid)),
        );
        ([(header::SET_COOKIE, cookie)], Html(body)).into_response()
    }
}

/// Where `next` may send the browser: a path on the simulator, or a loopback address (the demo IdP).
fn safe_next(q: &HashMap<String, String>) -> Option<String> {
    let next = q.get("next")?;
    let local_path = next.starts_with('/') && !next.starts_with("//");
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|p| next.starts_with(p));
    (local_path || loopback).then(|| next.clone())
}

/// `/sim/logout[?next=…]`: "log out of the WeCom client" (clears the cookie), so the next login is a
/// QR scan from a plain browser.
pub(super) async fn logout(Query(q): Params) -> Response {
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0");
    match safe_next(&q) {
        Some(next) => (
            StatusCode::FOUND,
            [(header::SET_COOKIE, cookie), (header::LOCATION, next)],
        )
            .into_response(),
        None => (
            [(header::SET_COOKIE, cookie)],
            Html(page("已退出 · Signed out", "")),
        )
            .into_response(),
    }
}

/// Lists members with "log in to the client as" links.
pub(super) async fn index(State(sim): State<Simulator>) -> Response {
    let members = sim.state().members.clone();
    let items: String = members
        .iter()
        .map(|m| {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("userid", &m.userid)
                .finish();
            format!(
                "<li><a href=\"/sim/as?{}\">{}</a> <span class=\"muted\">{} · status {}</span></li>",
                esc(&q),
                esc(&m.name),
                esc(&m.userid),
                m.status
            )
        })
        .collect();
    Html(page(
        "登录企业微信客户端 · Sign in to the WeCom client",
        &format!(
            "<p>corp {} · agent {}</p><ul>{items}</ul><p><a href=\"/sim/logout\">退出 · sign out</a></p>",
            esc(&sim.inner.corp_id),
            esc(&sim.inner.agent_id)
        ),
    ))
    .into_response()
}
