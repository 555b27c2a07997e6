//! A login waiting for WeCom: an app login (what to answer, to whom, once the member is known) or an
//! admin console sign-in (which page to open). It is kept in the login state while the browser is
//! at WeCom; the stored JSON is one flat object (an admin sign-in has an `admin` member), the shape
//! logins started before an upgrade still have.

use serde::{Deserialize, Serialize};

/// A login waiting for WeCom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub enum Pending {
    /// A member's login to an app.
    App(AppLogin),
    /// A sign-in to the admin console.
    Admin(AdminSignIn),
    /// An OpenID Connect authorization request, answered with a code once the member is known.
    Oidc(crate::oidc::authorize::Request),
}

impl Pending {
    /// The AuthnRequest ID of an SP-initiated app login.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::App(login) => login.request_id.as_deref(),
            Self::Admin(_) | Self::Oidc(_) => None,
        }
    }
}

/// A member's login to an app, waiting for the member to be known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppLogin {
    /// App name.
    pub app: String,
    /// The AuthnRequest ID (SP-initiated), or none (IdP-initiated).
    pub request_id: Option<String>,
    /// The ACS chosen from the app's metadata.
    pub acs_url: String,
    /// Passed back unchanged.
    pub relay_state: Option<String>,
    /// ForceAuthn: a fresh WeCom login even with a session.
    pub force_authn: bool,
}

impl AppLogin {
    /// The deep link the member asked for: only when we chose the RelayState (IdP-initiated); an
    /// SP's RelayState is opaque.
    pub fn deep_link(&self) -> Option<&str> {
        if self.request_id.is_none() {
            self.relay_state.as_deref()
        } else {
            None
        }
    }
}

/// An admin console sign-in waiting for WeCom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSignIn {
    /// The console page to open afterwards (a path under `/admin`).
    pub next: String,
}

/// The stored shape: an app login's fields, `admin` for a console sign-in, `oidc` for an OIDC
/// authorization request.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    app: String,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    acs_url: String,
    #[serde(default)]
    relay_state: Option<String>,
    #[serde(default)]
    force_authn: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    admin: Option<AdminSignIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oidc: Option<crate::oidc::authorize::Request>,
}

impl From<Stored> for Pending {
    fn from(s: Stored) -> Self {
        if let Some(oidc) = s.oidc {
            return Self::Oidc(oidc);
        }
        match s.admin {
            Some(admin) => Self::Admin(admin),
            None => Self::App(AppLogin {
                app: s.app,
                request_id: s.request_id,
                acs_url: s.acs_url,
                relay_state: s.relay_state,
                force_authn: s.force_authn,
            }),
        }
    }
}

impl From<Pending> for Stored {
    fn from(p: Pending) -> Self {
        match p {
            Pending::App(a) => Self {
                app: a.app,
                request_id: a.request_id,
                acs_url: a.acs_url,
                relay_state: a.relay_state,
                force_authn: a.force_authn,
                admin: None,
                oidc: None,
            },
            Pending::Oidc(req) => Self {
                app: req.app.clone(),
                request_id: None,
                acs_url: String::new(),
                relay_state: None,
                force_authn: req.prompt.fresh_login(),
                admin: None,
                oidc: Some(req),
            },
            Pending::Admin(admin) => Self {
                app: String::new(),
                request_id: None,
                acs_url: String::new(),
                relay_state: None,
                force_authn: true,
                admin: Some(admin),
                oidc: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_shape_is_the_flat_object_both_ways() {
        let app = Pending::App(AppLogin {
            app: "wiki".into(),
            request_id: Some("_r1".into()),
            acs_url: "https://sp/acs".into(),
            relay_state: None,
            force_authn: false,
        });
        let json = serde_json::to_string(&app).unwrap();
        assert_eq!(
            json,
            r#"{"app":"wiki","request_id":"_r1","acs_url":"https://sp/acs","relay_state":null,"force_authn":false}"#
        );
        assert_eq!(serde_json::from_str::<Pending>(&json).unwrap(), app);
        let admin = Pending::Admin(AdminSignIn {
            next: "/admin/apps".into(),
        });
        let json = serde_json::to_string(&admin).unwrap();
        assert!(json.contains(r#""admin":{"next":"/admin/apps"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Pending>(&json).unwrap(), admin);
    }

    #[test]
    fn only_an_idp_initiated_relay_state_is_a_deep_link() {
        let mut login = AppLogin {
            app: "wiki".into(),
            request_id: None,
            acs_url: String::new(),
            relay_state: Some("/page".into()),
            force_authn: false,
        };
        assert_eq!(login.deep_link(), Some("/page"));
        login.request_id = Some("_r".into());
        assert_eq!(login.deep_link(), None);
    }
}
