//! OpenID Connect Back-Channel Logout 1.0, the protocol half without HTTP: the `sid` a session
//! gives a client (in its ID tokens and its logout tokens alike) and the Logout Token itself.
//!
//! The rules, from the specification:
//! - `sid` (§2.1) names the IdP session at one client; ours is derived, per session and client,
//!   by HMAC-SHA256 keyed with the session's stored hash over the client ID: stable for the
//!   session's life (every ID token of it, refreshed ones too, carries the same value), different
//!   at each client (two clients cannot match a member's sessions, as pairwise `sub` intends), and
//!   neither the session cookie nor its hash (the hash cannot be had from it);
//! - the Logout Token (§2.4) is a JWT of type `logout+jwt` signed like the client's ID tokens,
//!   with `iss`, `aud`, `iat`, `exp`, `jti`, the back-channel logout event, `sub` and `sid`; it
//!   never carries a `nonce` (§2.4: so it cannot be taken for an ID token);
//! - it is POSTed form-encoded as `logout_token` (§2.5); 200 or 204 is success (§2.8).

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde_json::{json, Value};

use super::jwks::JoseKeys;
use super::jwt::{self, JwsAlg, JwtError, TokenType};

/// The event a Logout Token carries (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a Logout Token is valid: it is delivered at once, and §2.6 tells the RP to refuse an
/// old one, so two minutes cover clock skew and nothing more.
pub const LOGOUT_TOKEN_SECS: i64 = 120;

/// The `sid` of the session whose stored hash is `session_hash` at client `client_id`: base64url
/// HMAC-SHA256 (43 characters), see the module's rules.
pub fn sid(session_hash: &str, client_id: &str) -> String {
    use base64::Engine as _;
    let mac = PKey::hmac(session_hash.as_bytes())
        .and_then(|key| {
            let mut s = Signer::new(MessageDigest::sha256(), &key)?;
            s.update(b"wecom-idp oidc sid\0")?;
            s.update(client_id.as_bytes())?;
            s.sign_to_vec()
        })
        // HMAC over memory fails only when OpenSSL cannot allocate; a plain SHA-256 of the same
        // input keeps the value stable and still hides the hash.
        .unwrap_or_else(|_| {
            openssl::sha::sha256(
                format!("wecom-idp oidc sid\0{session_hash}\0{client_id}").as_bytes(),
            )
            .to_vec()
        });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
}

/// What one Logout Token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutToken<'a> {
    /// `iss`: our public URL.
    pub iss: &'a str,
    /// `aud`: the client ID.
    pub aud: &'a str,
    /// `sub`: the member as the client knows them.
    pub sub: &'a str,
    /// `sid`: the session at that client ([`sid`]).
    pub sid: &'a str,
    /// `iat`, Unix seconds (the injected clock's).
    pub now: i64,
    /// `jti`: random, from the injected randomness.
    pub jti: &'a str,
}

impl LogoutToken<'_> {
    /// The claims (§2.4), never a `nonce`.
    pub fn claims(&self) -> Value {
        json!({
            "iss": self.iss,
            "aud": self.aud,
            "iat": self.now,
            "exp": self.now + LOGOUT_TOKEN_SECS,
            "jti": self.jti,
            "sub": self.sub,
            "sid": self.sid,
            "events": { EVENT: {} },
        })
    }

    /// The signed token, `typ` `logout+jwt`, with the client's ID token algorithm.
    pub fn sign(&self, keys: &JoseKeys, alg: JwsAlg) -> Result<String, JwtError> {
        jwt::sign(keys, alg, TokenType::LogoutToken, &self.claims())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_is_stable_per_session_and_client_and_hides_the_hash() {
        let h = "ab".repeat(32);
        let a = sid(&h, "c1");
        assert_eq!(a, sid(&h, "c1"), "stable");
        assert_ne!(a, sid(&h, "c2"), "another client, another sid");
        assert_ne!(a, sid(&"cd".repeat(32), "c1"), "another session");
        assert_eq!(a.len(), 43);
        assert!(!a.contains(&h[..16]));
    }

    #[test]
    fn a_logout_token_has_the_event_and_no_nonce() {
        let t = LogoutToken {
            iss: "https://idp",
            aud: "c1",
            sub: "zhangsan",
            sid: "s",
            now: 1000,
            jti: "j",
        };
        let c = t.claims();
        assert_eq!(c["events"], json!({ EVENT: {} }));
        assert_eq!(c["exp"], 1120);
        assert!(c.get("nonce").is_none());
        assert_eq!(
            (
                c["iss"].as_str(),
                c["aud"].as_str(),
                c["sub"].as_str(),
                c["sid"].as_str()
            ),
            (Some("https://idp"), Some("c1"), Some("zhangsan"), Some("s"))
        );
    }
}
