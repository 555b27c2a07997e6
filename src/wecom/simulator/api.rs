//! The simulator's API side (`/cgi-bin/…`): WeCom's JSON answers, always HTTP 200 with an `errcode`.
//! Each handler first runs `Simulator::guard` (count, delay, injected failure, token check).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

use super::{Params, Simulator, Subject, TICKET_TTL, TOKEN_TTL};
use crate::wecom::client::{endpoint, Department};

fn ok(mut body: Value) -> Response {
    if let Some(o) = body.as_object_mut() {
        o.insert("errcode".to_owned(), json!(0));
        o.insert("errmsg".to_owned(), json!("ok"));
    }
    Json(body).into_response()
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

pub(super) async fn gettoken(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.prelude(endpoint::GETTOKEN).await {
        return r;
    }
    match (q.get("corpid"), q.get("corpsecret")) {
        (None, _) => return sim.err(41002),
        (Some(c), _) if *c != sim.inner.corp_id => return sim.err(40013),
        (_, None) => return sim.err(41004),
        (_, Some(s)) if *s != sim.inner.secret => return sim.err(40001),
        _ => {}
    }
    let token = sim.inner.rng.hex(32);
    let exp = sim.inner.clock.unix() + TOKEN_TTL;
    sim.state().tokens.insert(token.clone(), exp);
    ok(json!({ "access_token": token, "expires_in": TOKEN_TTL }))
}

pub(super) async fn auth_getuserinfo(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::AUTH_GETUSERINFO, &q).await {
        return r;
    }
    match sim.take_code(q.get("code")) {
        Err(code) => sim.err(code),
        Ok((Subject::Member(userid), Some(ticket))) => {
            ok(json!({ "userid": userid, "user_ticket": ticket, "expires_in": TICKET_TTL }))
        }
        Ok((Subject::Member(userid), None)) => ok(json!({ "userid": userid })),
        Ok((Subject::Outsider(openid), _)) => ok(json!({ "openid": openid })),
    }
}

pub(super) async fn legacy_getuserinfo(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::USER_GETUSERINFO, &q).await {
        return r;
    }
    match sim.take_code(q.get("code")) {
        Err(code) => sim.err(code),
        Ok((Subject::Member(userid), Some(ticket))) => ok(json!({
            "UserId": userid, "DeviceId": "", "user_ticket": ticket, "expires_in": TICKET_TTL
        })),
        Ok((Subject::Member(userid), None)) => ok(json!({ "UserId": userid, "DeviceId": "" })),
        Ok((Subject::Outsider(openid), _)) => ok(json!({ "OpenId": openid, "DeviceId": "" })),
    }
}

fn parse_body(body: &Bytes) -> Result<Value, i64> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or(47001)
}

pub(super) async fn getuserdetail(
    State(sim): State<Simulator>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    if let Some(r) = sim.guard(endpoint::AUTH_GETUSERDETAIL, &q).await {
        return r;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(code) => return sim.err(code),
    };
    let now = sim.inner.clock.unix();
    let userid = body
        .get("user_ticket")
        .and_then(Value::as_str)
        .and_then(|t| sim.state().tickets.get(t).cloned())
        .filter(|(_, exp)| now < *exp)
        .map(|(u, _)| u);
    let Some(m) = userid.and_then(|u| sim.member(&u)) else {
        return sim.err(40129);
    };
    ok(json!({
        "userid": m.userid, "gender": "1", "avatar": format!("https://wework.example/avatar/{}", m.userid),
        "qr_code": "", "mobile": opt(&m.mobile), "email": opt(&m.email), "biz_mail": opt(&m.biz_mail),
        "address": "",
    }))
}

pub(super) async fn user_get(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::USER_GET, &q).await {
        return r;
    }
    let Some(userid) = q.get("userid").filter(|u| !u.is_empty()) else {
        return sim.err(41009);
    };
    let Some(m) = sim.member(userid) else {
        return sim.err(60111);
    };
    if m.outside_visible_range {
        return sim.err(50002);
    }
    let pre_2022 = sim.state().pre_2022;
    ok(member_json(&m, pre_2022))
}

/// A member as `user/get` and `user/list` describe them; mobile, email, biz_mail, gender and
/// avatar only for an app created before 2022-06-20.
fn member_json(m: &super::Member, pre_2022: bool) -> Value {
    let zeros: Vec<i64> = m.department.iter().map(|_| 0).collect();
    let attrs: Vec<Value> = m
        .extattr
        .iter()
        .map(|(n, v)| json!({ "type": 0, "name": n, "text": { "value": v } }))
        .collect();
    let mut body = json!({
        "userid": m.userid, "name": m.name, "department": m.department, "order": zeros,
        "position": opt(&m.position), "is_leader_in_dept": zeros, "direct_leader": [],
        "telephone": "", "enable": i64::from(m.status == 1), "alias": opt(&m.alias), "status": m.status,
        "extattr": { "attrs": attrs }, "main_department": m.department.first().copied().unwrap_or(1),
        "external_profile": { "external_attr": [] },
    });
    if pre_2022 {
        if let Some(o) = body.as_object_mut() {
            for (k, v) in [
                ("mobile", opt(&m.mobile).to_owned()),
                ("email", opt(&m.email).to_owned()),
                ("biz_mail", opt(&m.biz_mail).to_owned()),
                ("gender", "1".to_owned()),
                (
                    "avatar",
                    format!("https://wework.example/avatar/{}", m.userid),
                ),
            ] {
                o.insert(k.to_owned(), json!(v));
            }
        }
    }
    body
}

pub(super) async fn getuserid(
    State(sim): State<Simulator>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    if let Some(r) = sim.guard(endpoint::USER_GETUSERID, &q).await {
        return r;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(code) => return sim.err(code),
    };
    let mobile = body.get("mobile").and_then(Value::as_str).unwrap_or("");
    let found = sim
        .state()
        .members
        .iter()
        .find(|m| !mobile.is_empty() && m.mobile.as_deref() == Some(mobile))
        .map(|m| m.userid.clone());
    match found {
        Some(userid) => ok(json!({ "userid": userid })),
        None => sim.err(46004),
    }
}

pub(super) async fn getuserid_by_email(
    State(sim): State<Simulator>,
    Query(q): Params,
    body: Bytes,
) -> Response {
    if let Some(r) = sim.guard(endpoint::USER_GET_USERID_BY_EMAIL, &q).await {
        return r;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(code) => return sim.err(code),
    };
    let email = body.get("email").and_then(Value::as_str).unwrap_or("");
    let corp_mail = body.get("email_type").and_then(Value::as_i64).unwrap_or(1) == 1;
    let found = sim
        .state()
        .members
        .iter()
        .find(|m| {
            let field = if corp_mail { &m.biz_mail } else { &m.email };
            !email.is_empty() && field.as_deref() == Some(email)
        })
        .map(|m| m.userid.clone());
    match found {
        Some(userid) => ok(json!({ "userid": userid })),
        None => sim.err(46004),
    }
}

pub(super) async fn department_list(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::DEPARTMENT_LIST, &q).await {
        return r;
    }
    let all: Vec<Department> = {
        let st = sim.state();
        st.departments
            .iter()
            .filter(|d| !st.hidden_departments.contains(&d.id))
            .cloned()
            .collect()
    };
    let selected: Vec<&Department> = match q.get("id").filter(|s| !s.is_empty()) {
        None => all.iter().collect(),
        Some(id) => {
            let Some(root) = id
                .parse::<i64>()
                .ok()
                .filter(|r| all.iter().any(|d| d.id == *r))
            else {
                return sim.err(60123);
            };
            // The root and its descendants, parents before children.
            let mut keep = vec![root];
            let mut i = 0;
            while let Some(parent) = keep.get(i).copied() {
                keep.extend(all.iter().filter(|d| d.parentid == parent).map(|d| d.id));
                i += 1;
            }
            keep.iter()
                .filter_map(|id| all.iter().find(|d| d.id == *id))
                .collect()
        }
    };
    let list: Vec<Value> = selected
        .iter()
        .map(|d| {
            json!({ "id": d.id, "name": d.name, "name_en": d.name_en.as_deref().unwrap_or(""),
                    "department_leader": [], "parentid": d.parentid, "order": d.order })
        })
        .collect();
    ok(json!({ "department": list }))
}

/// A department's direct members (no `fetch_child`: deprecated). No `department_id` or an unknown
/// one: 60123; outside the visible range: 60011. Members outside the visible range are left out.
pub(super) async fn user_simplelist(State(sim): State<Simulator>, Query(q): Params) -> Response {
    department_members(
        sim,
        endpoint::USER_SIMPLELIST,
        q,
        |m, _| json!({ "userid": m.userid, "name": m.name, "department": m.department }),
    )
    .await
}

/// A department's direct members with their details, as `user/list` answers a self-built app:
/// the same checks as `user/simplelist`, each member as `user/get` describes them.
pub(super) async fn user_list(State(sim): State<Simulator>, Query(q): Params) -> Response {
    department_members(sim, endpoint::USER_LIST, q, member_json).await
}

/// The answer of `user/simplelist` and `user/list` at `ep`: the checks both make, then each
/// visible direct member of the department as `describe` writes it (given whether the simulated
/// WeCom answers as before 2022).
async fn department_members(
    sim: Simulator,
    ep: &str,
    q: HashMap<String, String>,
    describe: fn(&super::Member, bool) -> Value,
) -> Response {
    if let Some(r) = sim.guard(ep, &q).await {
        return r;
    }
    let Some(id) = q
        .get("department_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
    else {
        return sim.err(60123);
    };
    let list: Result<Vec<Value>, i64> = {
        let st = sim.state();
        if st.hidden_departments.contains(&id) {
            Err(60011)
        } else if !st.departments.iter().any(|d| d.id == id) {
            Err(60123)
        } else {
            Ok(st
                .members
                .iter()
                .filter(|m| !m.outside_visible_range && m.department.contains(&id))
                .map(|m| describe(m, st.pre_2022))
                .collect())
        }
    };
    match list {
        Ok(list) => ok(json!({ "userlist": list })),
        Err(code) => sim.err(code),
    }
}

pub(super) async fn tag_list(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::TAG_LIST, &q).await {
        return r;
    }
    let list: Vec<Value> = sim
        .state()
        .tags
        .iter()
        .map(|t| json!({ "tagid": t.id, "tagname": t.name }))
        .collect();
    ok(json!({ "taglist": list }))
}

pub(super) async fn tag_get(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::TAG_GET, &q).await {
        return r;
    }
    let Some(id) = q.get("tagid").filter(|s| !s.is_empty()) else {
        return sim.err(40068);
    };
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| sim.state().tags.iter().find(|t| t.id == id).cloned());
    let Some(tag) = found else {
        return sim.err(40068);
    };
    let users: Vec<Value> = tag
        .users
        .iter()
        .map(|u| {
            let name = sim.member(u).map(|m| m.name).unwrap_or_default();
            json!({ "userid": u, "name": name })
        })
        .collect();
    ok(json!({ "tagname": tag.name, "userlist": users, "partylist": tag.departments }))
}

pub(super) async fn agent_get(State(sim): State<Simulator>, Query(q): Params) -> Response {
    if let Some(r) = sim.guard(endpoint::AGENT_GET, &q).await {
        return r;
    }
    let Some(id) = q.get("agentid").map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return sim.err(41011);
    };
    if id != sim.inner.agent_id {
        // Tokens belong to one app: another app of the corp is refused, an unknown one is invalid.
        let other = sim.state().other_agents.iter().any(|a| a == id);
        return sim.err(if other { 301002 } else { 40056 });
    }
    let (closed, users, range_tags) = {
        let st = sim.state();
        // WeCom lists here only the members put in the range one by one.
        let users: Vec<Value> = st
            .members
            .iter()
            .filter(|m| m.in_range_alone && !m.outside_visible_range)
            .map(|m| json!({ "userid": m.userid }))
            .collect();
        (st.app_closed, users, st.range_tags.clone())
    };
    let agentid: i64 = id.parse().unwrap_or_default();
    ok(json!({
        "agentid": agentid, "name": "企业微信登录 WeCom sign-in",
        "square_logo_url": "https://wework.example/logo.png", "description": "",
        "allow_userinfos": { "user": users }, "allow_partys": { "partyid": [1] },
        "allow_tags": { "tagid": range_tags }, "close": i64::from(closed), "redirect_domain": "",
        "report_location_flag": 0, "isreportenter": 0, "home_url": "",
    }))
}
