//! AWS: `aws-role` (IAM SAML role federation, IdP-initiated only; `partition=aws|aws-cn`) and
//! `aws-identity-center` (IAM Identity Center: NameID emailAddress = the Identity Center user name;
//! metadata from the console).
//!
//! Facts (metadata/aws/README.md; AWS IAM "Configure SAML assertions for the authentication
//! response"): entity ID `urn:amazon:webservices` (China `urn:amazon:webservices:cn-north-1`), ACS
//! `https://signin.aws.amazon.com/saml` (China `https://signin.amazonaws.cn/saml`); Role values
//! `role-arn,provider-arn`, the role ARN `arn:aws:iam::<account>:role/<path/>Name` with an
//! optional path (IAM "IAM identifiers": role paths); RoleSessionName `[\w+=,.@-]{2,64}`; SessionDuration 900–43200; exactly
//! one SubjectConfirmation. AWS's published SP certificates rotate yearly; role federation does not
//! sign requests, so none is built in. With `encryption=required` (an IAM provider that requires
//! encrypted assertions) the ACS is the provider's own and the Assertion is encrypted to the
//! certificate of AWS's metadata for that provider, which the admin gives.

use super::{
    base_settings, digits, fixed_sp, get, login_url, name_rule, Accounts, Built, Homepage, Param,
    Params, Preset, RoleSso, Sp, NO_ROLE_ATTRIBUTE,
};
use crate::apps::{AppSettings, NameIdFormat};
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::identity::Source;
use crate::text::Tx;

const ROLE_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the 12-digit AWS account ID",
    },
    Param {
        key: "provider_name",
        aliases: &[],
        required: true,
        help: "the IAM SAML identity provider's name",
    },
    Param {
        key: "role",
        aliases: &[],
        required: false,
        help: "the IAM role name (path/to/Name for a role under a path) every member gets when no role rule matches (this or role_rules)",
    },
    Param {
        key: "partition",
        aliases: &[],
        required: false,
        help: "aws (default) or aws-cn (China regions)",
    },
    Param {
        key: "session_duration",
        aliases: &[],
        required: false,
        help: "seconds, 900–43200 (and at most the role's maximum)",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https on console.aws.amazon.com (or amazonaws.cn)",
    },
    Param {
        key: "encryption",
        aliases: &[],
        required: false,
        help: "off (default) or required: the IAM identity provider requires encrypted assertions \
               (then give idp_id, region and AWS's metadata for the provider)",
    },
    Param {
        key: "idp_id",
        aliases: &[],
        required: false,
        help: "with encryption=required: the unique ID AWS shows on the identity provider's page",
    },
    Param {
        key: "region",
        aliases: &[],
        required: false,
        help: "with encryption=required: the sign-in region, e.g. us-east-1",
    },
];

const IC_PARAMS: &[Param] = &[Param {
    key: "login_url",
    aliases: &[],
    required: false,
    help: "the AWS access portal URL (https://d-….awsapps.com/start), then the WeCom homepage",
}];

/// An account ID in a role rule or `accounts`: 12 digits.
fn check_account(v: &str) -> Result<(), String> {
    super::digits_rule(v, "account", 12, 12)
}

/// A SAML provider's name in an account.
fn check_provider(v: &str) -> Result<(), String> {
    name_rule(v, "provider_name", 128, "_.-")
}

/// The presets.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "aws-role",
            summary: "AWS IAM SAML role federation, global or China partition (IdP-initiated only)",
            params: ROLE_PARAMS,
            role_rule: Some(check_role),
            accounts: Accounts::Several {
                account: check_account,
                provider: check_provider,
            },
            build: build_role,
            homepage: role_homepage,
        },
        Preset {
            name: "aws-identity-center",
            summary: "AWS IAM Identity Center (metadata from the console)",
            params: IC_PARAMS,
            role_rule: None,
            accounts: NO_ROLE_ATTRIBUTE,
            build: build_ic,
            homepage: ic_homepage,
        },
    ]
}

/// A role as it follows `role/` in its ARN: an IAM role name (1–64 of `[\w+=,.@-]`), optionally
/// under a path (`path/to/Name` for the path `/path/to/`). IAM allows up to 512 characters of
/// path; segments here are `[\w+=.@-]` — no `,`, which separates role and provider in the Role
/// value, and no empty segment (a leading, trailing or doubled `/` would make another ARN).
fn check_role(r: &str) -> Result<(), String> {
    let (path, name) = match r.rsplit_once('/') {
        Some((path, name)) => (Some(path), name),
        None => (None, r),
    };
    name_rule(name, "role", 64, "_+=,.@-")?;
    let Some(path) = path else {
        return Ok(());
    };
    let ok = path.len() <= 510
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=.@-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role path `{path}/` must be segments of A-Z, a-z, 0-9 and _ + = . @ -, \
             written without a leading or trailing / (role=path/to/Name)"
        ))
    }
}

fn build_role(p: &Params) -> Result<Built, String> {
    digits(p, "account_id", 12, 12)?;
    name_rule(super::req(p, "provider_name")?, "provider_name", 128, "_.-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let (partition, entity, acs, domains): (&str, &str, &str, &'static [&'static str]) =
        match get(p, "partition") {
            None | Some("aws") => (
                "aws",
                "urn:amazon:webservices",
                "https://signin.aws.amazon.com/saml",
                &["console.aws.amazon.com"],
            ),
            Some("aws-cn") => (
                "aws-cn",
                "urn:amazon:webservices:cn-north-1",
                "https://signin.amazonaws.cn/saml",
                &["console.amazonaws.cn"],
            ),
            Some(o) => return Err(format!("partition `{o}`: use aws or aws-cn")),
        };
    let rs = RoleSso {
        role_attr: "https://aws.amazon.com/SAML/Attributes/Role",
        role_value: format!(
            "arn:{partition}:iam::{{account_id}}:role/{{role}},arn:{partition}:iam::{{account_id}}:saml-provider/{{provider_name}}"
        ),
        session_attr: Some("https://aws.amazon.com/SAML/Attributes/RoleSessionName"),
        duration_attr: Some("https://aws.amazon.com/SAML/Attributes/SessionDuration"),
        session_rule: SessionNameRule::new(Charset::WordPlusEqCommaDotAtDash, 2, 64),
        relay_domains: domains,
        duration_range: (900, 43200),
    };
    let mut s = rs.settings(p, &["account_id", "provider_name"])?;
    s.params.insert("partition".into(), partition.into());
    let acs = match encryption(p, partition)? {
        None => acs.to_string(),
        Some(e) => {
            s.encrypt_assertion = true;
            s.params.insert("encryption".into(), "required".into());
            for (k, v) in [
                ("idp_id", &e.idp_id),
                ("region", &e.region),
                ("sp_metadata_url", &e.metadata_url),
            ] {
                s.params.insert(k.into(), v.clone());
            }
            e.acs
        }
    };
    Ok(Built {
        sp: fixed_sp(entity, &acs, false, &[]),
        settings: s,
    })
}

/// What `encryption=required` makes of `idp_id` and `region`.
struct Required {
    idp_id: String,
    region: String,
    /// The provider's own ACS, the one AWS takes encrypted assertions at.
    acs: String,
    /// Where AWS publishes the provider's SP metadata with its encryption certificate.
    metadata_url: String,
}

/// `encryption=required`: when IAM requires encrypted assertions, AWS takes them at the
/// provider's own ACS `https://<region>.signin.aws.amazon.com/saml/acs/<IdP-ID>` and publishes the
/// provider's SP metadata, with the encryption certificate of the key the admin gave IAM, at
/// `https://<region>.signin.aws.amazon.com/static/saml/<IdP-ID>/saml-metadata.xml` (IAM
/// "Configure your SAML 2.0 IdP with relying party trust":
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_relying-party.html>).
/// The IdP-ID's exact shape is unverified (letters, digits and `-` are accepted); the China
/// partition's encrypted ACS is not documented, so it is refused rather than guessed.
fn encryption(p: &Params, partition: &str) -> Result<Option<Required>, String> {
    let (idp_id, region) = (get(p, "idp_id"), get(p, "region"));
    match get(p, "encryption") {
        None | Some("off") => {
            if idp_id.is_some() || region.is_some() {
                return Err(
                    "idp_id and region are for encryption=required: add it, or leave \
                            them out"
                        .into(),
                );
            }
            Ok(None)
        }
        Some("required") => {
            if partition != "aws" {
                return Err(
                    "encryption=required is built for partition=aws only: the China \
                            partition's encrypted ACS is not documented"
                        .into(),
                );
            }
            let (Some(idp_id), Some(region)) = (idp_id, region) else {
                return Err(
                    "encryption=required needs idp_id=<IdP-ID> (on the IAM identity \
                            provider's page) and region=<region> (e.g. us-east-1)"
                        .into(),
                );
            };
            name_rule(idp_id, "idp_id", 64, "-")?;
            check_region(region)?;
            let host = format!("https://{region}.signin.aws.amazon.com");
            Ok(Some(Required {
                idp_id: idp_id.to_string(),
                region: region.to_string(),
                acs: format!("{host}/saml/acs/{idp_id}"),
                metadata_url: format!("{host}/static/saml/{idp_id}/saml-metadata.xml"),
            }))
        }
        Some(o) => Err(format!("encryption `{o}`: use off or required")),
    }
}

/// An AWS region name: lowercase words joined by `-`, ending in a number (`us-east-1`,
/// `us-gov-west-1`, `ap-southeast-2`).
fn check_region(r: &str) -> Result<(), String> {
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && r.len() <= 32
        && parts[..parts.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|n| {
            !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "region `{r}` must be an AWS region such as us-east-1"
        ))
    }
}

fn role_homepage(_: &AppSettings, mount: &str) -> Homepage {
    Homepage::mount(
        mount,
        Tx {
            en: "AWS IAM role federation cannot start a login from the console: only our mount address \
         (IdP-initiated) signs members in",
            zh: "AWS IAM 角色联合不能从控制台发起登录：只有本服务的挂载地址（IdP 发起）能让成员登录",
        },
    )
}

fn build_ic(p: &Params) -> Result<Built, String> {
    let mut s = base_settings(Source::Email);
    s.name_id_format = NameIdFormat::Email;
    // Identity Center's SCIM endpoint has no PUT on groups: members change by PATCH only.
    s.scim_group_update = crate::apps::ScimGroupUpdate::Patch;
    if let Some(u) = login_url(p, &["awsapps.com", "awsapps.cn"])? {
        s.params.insert("login_url".into(), u);
    }
    Ok(Built {
        sp: Sp::FromFile("IAM Identity Center › Settings › Identity source › external IdP: download the service provider metadata"),
        settings: s,
    })
}

fn ic_homepage(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(
        s,
        mount,
        Tx {
            en:
                "no access portal URL was given (login_url), so members start at our mount address \
         (IdP-initiated)",
            zh: "没有填写访问门户地址（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起）",
        },
    )
}
