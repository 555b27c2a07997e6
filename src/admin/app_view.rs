//! What an app is, in words: the lines `wecom-idp app show` prints and the console's app page
//! shows (entity ID, ACS, certificates, NameID, signing, attributes, roles, RelayState), and the
//! addresses an admin copies — the mount address and the WeCom homepage URL with its mode and why.

use crate::apps::{App, NameIdFormat};
use crate::config::Config;
use crate::identity::roles::{format_rules, RoleMode};
use crate::identity::Source;
use crate::providers::{self, Homepage};

/// One line: a label (empty for a continuation) and its value.
pub type Line = (&'static str, String);

/// The addresses of an app.
#[derive(Debug, Clone)]
pub struct Addresses {
    /// `{public_url}/apps/{name}/start`: IdP-initiated sign-in, and the "test sign-in" link.
    pub mount: String,
    /// What to paste as the WeCom app homepage, its mode and why.
    pub homepage: Homepage,
}

/// The app's mount address and WeCom homepage.
pub fn addresses(config: &Config, app: &App) -> Addresses {
    let mount = config.mount_url(app.name.as_str());
    let homepage = providers::homepage(&app.settings, &mount);
    Addresses { mount, homepage }
}

/// The app described line by line.
pub fn lines(config: &Config, app: &App) -> Vec<Line> {
    let m = &app.metadata;
    let s = &app.settings;
    let mut out: Vec<Line> = vec![
        ("name", app.name.to_string()),
        ("entity ID", m.entity_id.clone()),
    ];
    for a in &m.acs {
        out.push((
            "ACS",
            format!(
                "{} [{}]{}{}",
                a.location,
                a.binding.rsplit(':').next().unwrap_or(&a.binding),
                a.index.map(|i| format!(" index={i}")).unwrap_or_default(),
                if a.is_default == Some(true) {
                    " default"
                } else {
                    ""
                }
            ),
        ));
    }
    out.push((
        "certificates",
        format!(
            "{} signing, {} encryption",
            m.signing_certs.len(),
            m.encryption_certs.len()
        ),
    ));
    out.push((
        "signed requests",
        if app.requires_signed_requests(config.saml.want_authn_requests_signed) {
            "required".into()
        } else {
            "not required (verified when present)".into()
        },
    ));
    let name_id_from = match (&s.name_id_format, &s.name_id_source) {
        (NameIdFormat::Transient, _) => "a new random value each time".to_string(),
        (NameIdFormat::Persistent, _) => "a stable random pairwise ID".to_string(),
        (_, Source::Template(t)) => t.clone(),
        (_, Source::Constant(c)) => format!("\"{c}\""),
        (_, src) => src.label().to_string(),
    };
    out.push((
        "NameID",
        format!("{} = {name_id_from}", s.name_id_format.uri()),
    ));
    out.push((
        "signing",
        match (s.sign_response, s.sign_assertion) {
            (true, true) => "Response and Assertion",
            (true, false) => "Response only",
            _ => "Assertion only",
        }
        .into(),
    ));
    let attrs: Vec<String> = s
        .attributes
        .iter()
        .map(|a| match &a.source {
            Source::Constant(v) => format!("{}=\"{v}\"", a.name),
            Source::Template(t) => format!("{}={t}", a.name),
            other => format!("{}←{}", a.name, other.label()),
        })
        .collect();
    out.push((
        "attributes",
        if attrs.is_empty() {
            "(none)".into()
        } else {
            attrs.join(", ")
        },
    ));
    if s.attribute_per_value {
        out.push(("", "(one Attribute element per value)".into()));
    }
    if let Some(p) = &s.preset {
        out.push(("preset", p.clone()));
    }
    if !s.params.is_empty() {
        let kv: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(("parameters", kv.join(", ")));
    }
    let r = &s.roles;
    if r.required || r.default_role.is_some() || !r.rules.is_empty() {
        out.push((
            "roles",
            format!(
                "{}{}{} ({}){}",
                r.default_role
                    .as_deref()
                    .map(|d| format!("role={d}"))
                    .unwrap_or_else(|| "no default role".into()),
                if r.rules.is_empty() {
                    ""
                } else {
                    "; role_rules="
                },
                format_rules(&r.rules),
                match r.mode {
                    RoleMode::First => "first match",
                    RoleMode::Union => "union",
                },
                if r.required {
                    "; members without a role are refused"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Some(n) = &s.session_name {
        out.push((
            "session name",
            format!(
                "from {}, {} {}–{} characters (changed values get a hash suffix)",
                n.source.label(),
                n.charset.describe(),
                n.min,
                n.max
            ),
        ));
    }
    if let Some(rs) = &s.default_relay_state {
        out.push(("relay state", rs.clone()));
    }
    out
}
