//! Our two cookies: the IdP session and the browser binding of WeCom login states. Both are opaque
//! random values, HttpOnly, SameSite=Lax (the WeCom callback is a top-level GET, so Lax cookies come
//! back), Secure with the `__Host-` prefix when the public URL is https.
//!
//! The browser binding is never taken as the client sends it: every login start binds its state to a
//! fresh random value and sets the cookie again, so a value planted in the browser beforehand (a
//! sibling host, plain http) is never what a member's login is bound to. The cookie keeps the
//! [`BINDINGS_KEPT`] newest values, newest first (`v1.v2…`), so a login still unfinished in another
//! tab completes; a login started more than that many login starts ago in the same browser is
//! "started in another browser" and must be started again.

use axum::http::{header, HeaderMap, HeaderValue};

/// The IdP session cookie.
pub const SESSION: &str = "wecom_idp_session";
/// Binds login states to the browser that started them.
pub const BROWSER: &str = "wecom_idp_browser";
/// Demo only: "this browser is the WeCom client".
pub const DEMO_CLIENT: &str = "wecom_idp_demo_client";

/// The cookie's name as sent (with `__Host-` on https).
pub fn name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// How many login bindings the browser cookie carries (unfinished logins in other tabs).
pub const BINDINGS_KEPT: usize = 4;

/// The value of cookie `name` in the request, if present exactly once.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    get_raw(headers, name).filter(|v| token_like(v))
}

fn token_like(v: &str) -> bool {
    !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The login bindings the browser cookie `name` carries, newest first; none when any part is not
/// a token (a tampered cookie is no binding at all).
pub fn bindings(headers: &HeaderMap, name: &str) -> Vec<String> {
    get_raw(headers, name)
        .map(|raw| parse_bindings(&raw))
        .unwrap_or_default()
}

/// The login bindings of a browser-cookie value (`v1.v2…`), newest first; none when any part is not
/// a token.
pub fn parse_bindings(raw: &str) -> Vec<String> {
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() > BINDINGS_KEPT || !parts.iter().all(|p| token_like(p)) {
        return Vec::new();
    }
    parts.into_iter().map(String::from).collect()
}

/// The browser cookie's value after a login start: `fresh` first, then the newest of `carried`.
pub fn with_binding(fresh: &str, carried: &[String]) -> String {
    std::iter::once(fresh)
        .chain(carried.iter().map(String::as_str).filter(|c| *c != fresh))
        .take(BINDINGS_KEPT)
        .collect::<Vec<_>>()
        .join(".")
}

fn get_raw(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = None;
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for pair in s.split(';') {
            let Some((k, val)) = pair.trim().split_once('=') else {
                continue;
            };
            if k == name {
                if found.is_some() {
                    // Two cookies of one name (one may be planted by a sibling host): trust neither.
                    return None;
                }
                found = Some(val.to_string());
            }
        }
    }
    found
}

/// A `Set-Cookie` value.
pub fn set(name: &str, value: &str, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .ok()
}

/// A `Set-Cookie` that deletes the cookie.
pub fn clear(name: &str, secure: bool) -> Option<HeaderValue> {
    set(name, "", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_and_refuses_duplicates() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; wecom_idp_session=abc123; b=2"),
        );
        assert_eq!(get(&h, SESSION).as_deref(), Some("abc123"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("wecom_idp_session=zzz"),
        );
        assert_eq!(get(&h, SESSION), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("wecom_idp_session=a%3Cb"),
        );
        assert_eq!(get(&h, SESSION), None);
    }

    #[test]
    fn bindings_are_newest_first_and_bounded() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("wecom_idp_browser=aa.bb.cc"),
        );
        let carried = bindings(&h, BROWSER);
        assert_eq!(carried, ["aa", "bb", "cc"]);
        assert_eq!(with_binding("nn", &carried), "nn.aa.bb.cc");
        let four: Vec<String> = ["a", "b", "c", "d"].map(String::from).into();
        assert_eq!(with_binding("n", &four), "n.a.b.c", "the oldest goes");
        assert_eq!(with_binding("n", &[]), "n");
        assert_eq!(parse_bindings(&with_binding("nn", &carried))[0], "nn");
        for bad in [
            "wecom_idp_browser=aa..bb",
            "wecom_idp_browser=aa.b%3Cb",
            "wecom_idp_browser=a.b.c.d.e",
            "wecom_idp_browser=",
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(bad).unwrap());
            assert!(bindings(&h, BROWSER).is_empty(), "{bad}");
        }
    }

    #[test]
    fn attributes() {
        let v = set(&name(SESSION, true), "x", 60, true).unwrap();
        let s = v.to_str().unwrap();
        assert!(s.starts_with("__Host-wecom_idp_session=x; Path=/; HttpOnly; SameSite=Lax"));
        assert!(s.ends_with("; Secure"));
        assert!(!set(SESSION, "x", 60, false)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
