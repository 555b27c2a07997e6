//! Presets for cloud consoles that trust an OpenID Connect provider: the client settings each needs
//! and the next steps the admin takes in the cloud's console. Like the SAML presets they are data;
//! a preset gives ordinary client settings (the admin's own `--set`s apply on top), and what could
//! not be checked against the cloud's documents is marked "unverified" where it is said.
//!
//! What the documents say (Tencent Cloud CAM "Implementing OIDC-Based Role-Based SSO",
//! tencentcloud.com/document/product/598/47191, and its API CreateOIDCConfig; Huawei Cloud IAM
//! "创建OpenID Connect身份提供商配置", support.huaweicloud.com/api-iam/iam_13_0207.html):
//! - Tencent CAM **role SSO over OIDC** is an STS exchange: an app of the company's holds the ID
//!   token we issue and calls STS `AssumeRoleWithWebIdentity` with it (ProviderId, RoleArn,
//!   RoleSessionName). CAM's identity provider takes the IdP URL (our issuer, the token's `iss`),
//!   the client IDs (the token's `aud`) and the signature public key — the JWKS *document* pasted,
//!   not its URL, so it must be pasted again after a key rollover. The role's trust conditions
//!   name the token's claims (`oidc:iss` required, with `string_equal` to the IdP URL; `oidc:aud`).
//!   Its redirect URI is the company app's own; it uses our code flow.
//! - Huawei IAM's OIDC identity provider takes `idp_url` (the `iss`), `client_id`, and
//!   `signing_key`, again the JWKS document pasted (the documented example is an RSA/RS256 key);
//!   identity conversion rules map ID-token claims to IAM users and groups. Access mode `program`
//!   exchanges an ID token for an IAM token through the API — our code flow serves it. Access mode
//!   `program_console` (console sign-in) asks for `response_type=id_token` with `response_mode`
//!   `fragment` or `form_post`: the implicit flow, which this provider does not offer (it issues
//!   codes only); that console sign-in is not supported, and the SAML preset `huawei` does it.
//!
//! Both get RS256 ID tokens: both documents describe RSA keys, and an EC key in their key field is
//! unverified.

use super::PresetError;

/// A console preset for an OIDC client.
#[derive(Debug, Clone, Copy)]
pub struct OidcPreset {
    /// The `--preset` name (with `--oidc`).
    pub name: &'static str,
    /// One line for lists.
    pub summary: &'static str,
    /// The client settings it sets (`KEY=VALUE`, before the admin's own).
    pub settings: &'static [(&'static str, &'static str)],
    /// The next steps in the cloud's console (`{issuer}`, `{jwks}`, `{client_id}` filled in).
    pub steps: &'static [&'static str],
}

/// Every OIDC preset.
pub const OIDC_PRESETS: &[OidcPreset] = &[
    OidcPreset {
        name: "tencent-cam-oidc",
        summary: "Tencent Cloud CAM role SSO over OIDC (an app exchanges the ID token with STS AssumeRoleWithWebIdentity)",
        settings: &[
            ("id_token_signed_response_alg", "RS256"),
            ("scopes", "openid profile groups"),
        ],
        steps: &[
            "CAM console > Identity providers > Role-based SSO > Create IdP, type OIDC",
            "IdP URL: {issuer}",
            "Client ID: {client_id}",
            "Signature public key: the JSON document at {jwks} (paste it again after every key rollover)",
            "Roles > Create role > IdP > OIDC: condition oidc:iss string_equal {issuer}; oidc:aud {client_id}; conditions on other claims (sub, groups) are unverified",
            "Your app signs the member in here (code flow, the redirect URI you gave) and calls STS AssumeRoleWithWebIdentity with the id_token",
        ],
    },
    OidcPreset {
        name: "huawei-iam-oidc",
        summary: "Huawei Cloud IAM OIDC identity provider, programmatic access (ID token exchanged for an IAM token); console sign-in needs the implicit flow: use the SAML preset huawei",
        settings: &[
            ("id_token_signed_response_alg", "RS256"),
            ("scopes", "openid profile groups"),
        ],
        steps: &[
            "IAM console > Identity providers > Create, protocol OpenID Connect, access type: programmatic access",
            "Identity provider URL: {issuer}",
            "Client ID: {client_id}",
            "Signing key: the JSON document at {jwks} (paste it again after every key rollover)",
            "Identity conversion rules over the ID token's claims, e.g. remote {\"type\": \"preferred_username\"} to a user name and {\"type\": \"groups\"} to IAM groups (claim names as this provider sends them)",
            "Console sign-in (access type programmatic and console) asks for response_type=id_token, which this provider does not issue: not supported",
        ],
    },
];

/// The OIDC preset called `name`, or a message listing them.
pub fn find(name: &str) -> Result<&'static OidcPreset, PresetError> {
    OIDC_PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        PresetError(format!(
            "no OIDC preset `{name}`; with --oidc the presets are: {}",
            OIDC_PRESETS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

impl OidcPreset {
    /// The preset's settings followed by the admin's (the admin's win: applied later).
    pub fn with(&self, admin: &[(String, String)]) -> Vec<(String, String)> {
        self.settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(admin.iter().cloned())
            .collect()
    }

    /// The next steps with the issuer, the JWKS URL and the client ID filled in.
    pub fn next_steps(&self, issuer: &str, jwks: &str, client_id: &str) -> Vec<String> {
        self.steps
            .iter()
            .map(|s| {
                s.replace("{issuer}", issuer)
                    .replace("{jwks}", jwks)
                    .replace("{client_id}", client_id)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_name_and_the_admin_wins() {
        assert!(find("nope").unwrap_err().0.contains("tencent-cam-oidc"));
        let p = find("huawei-iam-oidc").unwrap();
        let s = p.with(&[("scopes".into(), "openid".into())]);
        assert_eq!(s.last().map(|(_, v)| v.as_str()), Some("openid"));
        let steps = p
            .next_steps("https://idp", "https://idp/oidc/jwks", "abc")
            .join("\n");
        assert!(steps.contains("https://idp/oidc/jwks") && steps.contains("abc"));
    }
}
