//! Third-party-initiated login (OpenID Connect Core 1.0 §4): where a client's mount address sends
//! the browser. With an `initiate_login_uri` the client is asked to start a sign-in there, told
//! `iss` (our issuer) and, when the request names one under the client's registered origins, the
//! `target_link_uri`; without one, the browser goes to the first redirect URI's origin (the app's
//! home, which starts its own sign-in). A target elsewhere is dropped, never forwarded: the mount
//! address must not become an open redirect.

use super::Client;
use url::Url;

/// The address the mount address redirects to for `client`, or None when it has none.
pub fn start_url(client: &Client, issuer: &str, target_link_uri: Option<&str>) -> Option<Url> {
    let Some(initiate) = &client.config.initiate_login_uri else {
        return client.homepage().and_then(|h| Url::parse(&h).ok());
    };
    let mut url = Url::parse(initiate).ok()?;
    let target = target_link_uri.filter(|t| under_registered_origin(client, t));
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("iss", issuer);
        if let Some(t) = target {
            q.append_pair("target_link_uri", t);
        }
    }
    Some(url)
}

/// Whether `target` is an absolute URL on the origin of one of the client's redirect URIs or of
/// its `initiate_login_uri`.
fn under_registered_origin(client: &Client, target: &str) -> bool {
    let Ok(t) = Url::parse(target) else {
        return false;
    };
    if !matches!(t.scheme(), "https" | "http") || !t.username().is_empty() {
        return false;
    }
    let origin = t.origin();
    client
        .config
        .redirect_uris
        .iter()
        .map(|r| r.as_str())
        .chain(client.config.initiate_login_uri.as_deref())
        .filter_map(|r| Url::parse(r).ok())
        .any(|r| r.origin() == origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRng;

    fn client(sets: &[(&str, &str)]) -> Client {
        let uris = ["https://app.example/cb".to_string()];
        let sets: Vec<(String, String)> = sets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Client::create("x", &uris, &sets, &OsRng, 1).unwrap().client
    }

    #[test]
    fn the_initiate_login_uri_gets_iss_and_a_registered_target_only() {
        let c = client(&[("initiate_login_uri", "https://app.example/login?a=1")]);
        let u = start_url(&c, "https://idp.example", None).unwrap();
        assert_eq!(
            u.as_str(),
            "https://app.example/login?a=1&iss=https%3A%2F%2Fidp.example"
        );
        let u = start_url(&c, "https://idp.example", Some("https://app.example/d/1")).unwrap();
        assert_eq!(
            u.query_pairs()
                .find(|(k, _)| k == "target_link_uri")
                .unwrap()
                .1,
            "https://app.example/d/1"
        );
        for elsewhere in [
            "https://evil.example/",
            "http://app.example/d/1",
            "https://app.example:444/",
            "https://user@app.example/",
            "/relative",
            "javascript:alert(1)",
        ] {
            let u = start_url(&c, "https://idp.example", Some(elsewhere)).unwrap();
            assert!(
                !u.query_pairs().any(|(k, _)| k == "target_link_uri"),
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn without_one_the_first_redirect_uris_origin() {
        let u = start_url(
            &client(&[]),
            "https://idp.example",
            Some("https://app.example/x"),
        );
        assert_eq!(u.unwrap().as_str(), "https://app.example/");
    }
}
