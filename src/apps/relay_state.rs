//! `relay_state_allow`: which `?RelayState=` values the mount address accepts. The RelayState is
//! where the SP sends the member after sign-in, so a loose match is an open redirect that carries a
//! fresh session. An entry that is a URL is compared as a parsed URL — same scheme, host and port,
//! then the path on a segment boundary (`https://sp.example/console` admits `/console` and
//! `/console/x`, never `/console-evil`, `https://sp.example.evil.test/` or
//! `https://sp.example@evil.test/`); a RelayState with a user name, a backslash or a control or space
//! character never matches one, since SPs' URL parsers disagree on those. Any other entry (an SP's
//! opaque token or a relative path) stays a plain prefix, but it never admits a RelayState that is
//! itself an absolute or scheme-relative URL.
//!
//! Also `relay_state_domains`: the hosts (and subdomains) an `https` RelayState may point to.

use url::Url;

/// Whether `url` is an `https` URL whose host is one of `domains` or a subdomain of one.
pub fn domain_allowed(url: &str, domains: &[String]) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    if u.scheme() != "https" || !u.username().is_empty() || u.password().is_some() {
        return false;
    }
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    domains.iter().any(|d| {
        host == *d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Checks one `relay_state_allow` entry; the message says what to fix.
pub fn check_entry(entry: &str) -> Result<(), String> {
    if entry
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(format!(
            "relay_state_allow: `{}` contains a space, a backslash or a control character",
            entry.escape_debug()
        ));
    }
    if entry.contains("://") || Url::parse(entry).is_ok() {
        let u = Url::parse(entry).map_err(|e| {
            format!("relay_state_allow: `{entry}` is not a valid URL ({e}); give e.g. https://console.example.com/")
        })?;
        if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
            return Err(format!(
                "relay_state_allow: `{entry}`: a URL entry is an http:// or https:// address with a host"
            ));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(format!(
                "relay_state_allow: `{entry}`: a user name or password is not allowed in the URL"
            ));
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err(format!(
                "relay_state_allow: `{entry}`: give the scheme, host and path only (no ? or #)"
            ));
        }
        return Ok(());
    }
    if scheme_relative(entry) {
        return Err(format!(
            "relay_state_allow: `{entry}` starts with // (another host); give a full https:// URL"
        ));
    }
    Ok(())
}

/// Whether `relay_state` is admitted by one of `entries`.
pub fn allowed(relay_state: &str, entries: &[String]) -> bool {
    let as_url = Url::parse(relay_state).ok();
    entries.iter().any(|e| match Url::parse(e) {
        Ok(entry) => as_url
            .as_ref()
            .is_some_and(|r| url_matches(relay_state, r, &entry)),
        // A plain prefix (a token or a relative path): never for a URL, nor for `//host`.
        Err(_) => {
            as_url.is_none() && !scheme_relative(relay_state) && relay_state.starts_with(e.as_str())
        }
    })
}

/// `//host` or `/\host`: browsers read both as another host.
fn scheme_relative(v: &str) -> bool {
    v.starts_with("//") || v.starts_with("/\\") || v.starts_with("\\")
}

fn url_matches(raw: &str, r: &Url, entry: &Url) -> bool {
    if raw
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    if !r.username().is_empty() || r.password().is_some() {
        return false;
    }
    if r.scheme() != entry.scheme()
        || r.host() != entry.host()
        || r.port_or_known_default() != entry.port_or_known_default()
    {
        return false;
    }
    let (p, rp) = (entry.path(), r.path());
    rp == p
        || rp
            .strip_prefix(p)
            .is_some_and(|rest| p.ends_with('/') || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn url_entries_compare_parsed_urls() {
        let host_only = list(&["https://sp.example"]);
        for ok in [
            "https://sp.example",
            "https://sp.example/",
            "https://sp.example/any/page?x=1",
            "https://SP.example:443/x",
        ] {
            assert!(allowed(ok, &host_only), "{ok}");
        }
        for bad in [
            "https://sp.example.evil.test/",
            "https://sp.example@evil.test/",
            "https://user@sp.example/",
            "https://sp.example:8443/",
            "http://sp.example/",
            "https://sp.example\\@evil.test/",
            "https://sp.example/\nx",
            "//sp.example/",
            "/page",
        ] {
            assert!(!allowed(bad, &host_only), "{bad}");
        }
        let path = list(&["https://sp.example/console"]);
        assert!(allowed("https://sp.example/console", &path));
        assert!(allowed("https://sp.example/console/x?y#z", &path));
        assert!(!allowed("https://sp.example/console-evil", &path));
        assert!(!allowed("https://sp.example/consolex/", &path));
        assert!(!allowed("https://sp.example/console/../admin", &path));
        assert!(!allowed("https://sp.example/", &path));
        let slash = list(&["https://sp.example/console/"]);
        assert!(allowed("https://sp.example/console/x", &slash));
        assert!(!allowed("https://sp.example/console", &slash));
    }

    #[test]
    fn other_entries_stay_prefixes_but_never_admit_urls() {
        let tokens = list(&["dashboard", "/app/"]);
        assert!(allowed("dashboard-7", &tokens));
        assert!(allowed("/app/settings", &tokens));
        assert!(!allowed("/other", &tokens));
        for bad in ["//evil.test/", "/\\evil.test/", "https://evil.test/"] {
            assert!(!allowed(bad, &list(&["/", "https"])), "{bad}");
        }
    }

    #[test]
    fn entries_are_checked() {
        for ok in [
            "https://sp.example",
            "https://sp.example/console/",
            "dash",
            "/app/",
        ] {
            assert!(check_entry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://u:p@sp.example/",
            "ftp://sp.example/",
            "javascript:alert(1)",
            "https://",
            "https://sp.example/?q=1",
            "https://sp.example/#f",
            "//sp.example/",
            "with space",
            "a\\b",
        ] {
            let e = check_entry(bad).unwrap_err();
            assert!(e.starts_with("relay_state_allow"), "{bad}: {e}");
        }
    }
}
