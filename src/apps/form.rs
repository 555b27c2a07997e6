//! App settings in words, for the console's settings form: each key's label and help in English
//! and Chinese, how it is entered (a choice, an on/off toggle, a line or a longer text), and its
//! current value written the way [`AppSettings::set`] reads it back, so the form can show what is
//! configured and send only what the admin changed.

use super::{AppSettings, NameIdFormat, RequireSigned};
use crate::identity::roles::{format_accounts, format_rules, RoleMode};
use crate::identity::Source;

/// A text in English and Chinese.
pub type Words = (&'static str, &'static str);

/// How a setting is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of fixed values: `(value, English label, Chinese label)`.
    Choice(&'static [(&'static str, &'static str, &'static str)]),
    /// On or off (`true` / `false`).
    Toggle,
    /// One line of text.
    Line,
    /// A longer text (lists and rules).
    Long,
}

/// One setting as the console shows it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The key [`AppSettings::set`] takes.
    pub key: &'static str,
    /// How it is entered.
    pub kind: Kind,
    /// Its name for people.
    pub label: Words,
    /// What it does and what it accepts.
    pub help: Words,
}

const SOURCES: &[(&str, &str, &str)] = &[
    ("userid", "WeCom userid", "企业微信账号（userid）"),
    ("email", "Email", "邮箱"),
    ("mobile", "Mobile number", "手机号"),
    ("alias", "Alias", "别名"),
    ("name", "Name", "姓名"),
];

/// Every setting key with its words, in the order the form shows them; the keys that are not
/// form fields (`attribute`, `param.KEY`: the CLI's additive forms) come last.
pub const FIELDS: &[Field] = &[
    Field {
        key: "nameid_format",
        kind: Kind::Choice(&[
            ("unspecified", "Unspecified (the value of the NameID source)", "未指定（取 NameID 来源的值）"),
            ("email", "Email address", "邮箱地址"),
            ("persistent", "Persistent: a stable random ID per member", "持久：每个成员固定的随机 ID"),
            ("transient", "Transient: a new random value at each sign-in", "临时：每次登录生成新的随机值"),
        ]),
        label: ("NameID format", "NameID 格式"),
        help: (
            "How the app recognises the member (the SAML NameID). Use what the app's console asks for.",
            "应用识别成员所用的值（SAML NameID）。按应用控制台的要求选择。",
        ),
    },
    Field {
        key: "nameid_source",
        kind: Kind::Choice(SOURCES),
        label: ("NameID value from", "NameID 取值来源"),
        help: (
            "Which member detail becomes the NameID when the format is unspecified or email.",
            "格式为“未指定”或“邮箱地址”时，NameID 取成员的哪项信息。",
        ),
    },
    Field {
        key: "sign_response",
        kind: Kind::Toggle,
        label: ("Sign the Response", "签名整个 Response"),
        help: (
            "Sign the whole SAML Response. Keep this or the assertion signature on.",
            "对整个 SAML Response 签名。此项与“签名断言”至少开启一项。",
        ),
    },
    Field {
        key: "sign_assertion",
        kind: Kind::Toggle,
        label: ("Sign the assertion", "签名断言"),
        help: (
            "Sign the assertion inside the Response (most apps require it).",
            "对 Response 中的断言签名（大多数应用要求）。",
        ),
    },
    Field {
        key: "attributes",
        kind: Kind::Long,
        label: ("Attributes sent", "发送的属性"),
        help: (
            "Comma-separated, each a source with an optional attribute name after =, e.g. userid, email=mail. \
             Sources: userid, name, email, mobile, alias, position, department_ids, department_names, \
             employee_no, username, const:VALUE, template:TEXT. Empty: send none.",
            "用逗号分隔，每项是一个来源，可在 = 后写属性名，例如 userid, email=mail。来源：userid、name、\
             email、mobile、alias、position、department_ids、department_names、employee_no、username、\
             const:固定值、template:模板。留空表示不发送属性。",
        ),
    },
    Field {
        key: "require_signed_requests",
        kind: Kind::Choice(&[
            ("metadata", "As the app's metadata says", "按应用元数据的声明"),
            ("true", "Always require a signature", "始终要求签名"),
            ("false", "Do not require (a signature present is still checked)", "不要求（如有签名仍会校验）"),
        ]),
        label: ("Signed sign-in requests", "登录请求签名"),
        help: (
            "Whether the app's sign-in requests (AuthnRequest) must be signed.",
            "应用发来的登录请求（AuthnRequest）是否必须签名。",
        ),
    },
    Field {
        key: "allow_sha1",
        kind: Kind::Toggle,
        label: ("Accept SHA-1 signatures", "接受 SHA-1 签名"),
        help: (
            "Only for old apps that cannot sign with SHA-256; leave off otherwise.",
            "仅用于无法使用 SHA-256 签名的旧应用；其他情况请保持关闭。",
        ),
    },
    Field {
        key: "encrypt_assertion",
        kind: Kind::Toggle,
        label: ("Encrypt the assertion", "加密断言"),
        help: (
            "Encrypt the assertion to the encryption certificate in the app's SP metadata (needs one). \
             The Response is then always signed.",
            "用应用 SP 元数据中的加密证书加密断言（元数据中须有加密证书）。开启后 Response 总是签名。",
        ),
    },
    Field {
        key: "encryption_method",
        kind: Kind::Choice(&[
            ("aes256-gcm", "AES-256-GCM (recommended)", "AES-256-GCM（推荐）"),
            ("aes128-gcm", "AES-128-GCM", "AES-128-GCM"),
            ("aes256-cbc", "AES-256-CBC (for SPs without GCM)", "AES-256-CBC（用于不支持 GCM 的应用）"),
            ("aes128-cbc", "AES-128-CBC (for SPs without GCM)", "AES-128-CBC（用于不支持 GCM 的应用）"),
        ]),
        label: ("Assertion encryption cipher", "断言加密算法"),
        help: (
            "The block cipher of an encrypted assertion; the key is sent with RSA-OAEP.",
            "加密断言所用的分组密码；密钥用 RSA-OAEP 传送。",
        ),
    },
    Field {
        key: "provision",
        kind: Kind::Choice(&[
            ("none", "Off", "关闭"),
            ("scim", "SCIM 2.0", "SCIM 2.0"),
        ]),
        label: ("Provisioning", "用户同步（预配）"),
        help: (
            "Push the members who may open the app to its SCIM 2.0 endpoint, with the NameID value as their user name. Its token is set below under \"SCIM token\" (write-only: never shown again).",
            "把可以打开该应用的成员推送到应用的 SCIM 2.0 接口，用户名即 NameID 的值。令牌在下方“SCIM 令牌”处设置（只写：之后不再显示）。",
        ),
    },
    Field {
        key: "scim_url",
        kind: Kind::Line,
        label: ("SCIM base URL", "SCIM 基础地址"),
        help: (
            "The app's SCIM address, the one /Users and /Groups hang under (https).",
            "应用的 SCIM 地址，即 /Users 与 /Groups 所在的地址（https）。",
        ),
    },
    Field {
        key: "provision_groups",
        kind: Kind::Choice(&[
            ("none", "No groups", "不推送组"),
            ("departments", "Departments", "部门"),
            ("tags", "Tags", "标签"),
        ]),
        label: ("Groups to push", "推送的组"),
        help: (
            "WeCom departments or tags pushed as SCIM groups with their provisioned members.",
            "把企业微信的部门或标签作为 SCIM 组推送，组成员为已同步的成员。",
        ),
    },
    Field {
        key: "scim_group_update",
        kind: Kind::Choice(&[
            ("put", "PUT the whole group", "PUT 整个组"),
            ("patch", "PATCH members (AWS IAM Identity Center)", "PATCH 成员（AWS IAM Identity Center）"),
        ]),
        label: ("Group updates", "组的更新方式"),
        help: (
            "How a group sent before is changed: most apps take PUT; apps without it (AWS IAM Identity Center) need PATCH, which adds and removes only the members that changed.",
            "已推送的组如何更新：大多数应用支持 PUT；不支持的应用（AWS IAM Identity Center）需要 PATCH，只增删变化的成员。",
        ),
    },
    Field {
        key: "attribute_per_value",
        kind: Kind::Toggle,
        label: ("One attribute element per value", "每个值单独一个属性元素"),
        help: (
            "Off: a multi-valued attribute is one element with several values, which most apps expect.",
            "关闭时，多值属性作为一个元素携带多个值，这是大多数应用期望的方式。",
        ),
    },
    Field {
        key: "role",
        kind: Kind::Line,
        label: ("Default role", "默认角色"),
        help: (
            "The role every member gets when no role rule matches. Empty: none.",
            "没有角色规则匹配时每个成员获得的角色。留空表示没有。",
        ),
    },
    Field {
        key: "role_rules",
        kind: Kind::Long,
        label: ("Role rules", "角色规则"),
        help: (
            "Rules separated by ; and tried in order: user:USERID=ROLE, dept:DEPARTMENT_ID=ROLE \
             (sub-departments included), position:POSITION=ROLE, tag:TAG=ROLE; several roles with |. \
             A role in another cloud account is ACCOUNT_ID:ROLE. Empty: no rules.",
            "用 ; 分隔，按顺序匹配：user:账号=角色、dept:部门ID=角色（含子部门）、position:职务=角色、\
             tag:标签=角色；多个角色用 | 分隔。其他云账号中的角色写成“账号ID:角色”。留空表示没有规则。",
        ),
    },
    Field {
        key: "accounts",
        kind: Kind::Line,
        label: ("Other accounts", "其他账号"),
        help: (
            "The other cloud accounts role rules may name (ACCOUNT_ID:ROLE), separated by commas: \
             ACCOUNT_ID, or ACCOUNT_ID:PROVIDER_NAME when the identity provider there has another \
             name. Members pick among their roles on the console's sign-in page. Empty: one account.",
            "角色规则可以指定的其他云账号（账号ID:角色），用逗号分隔：填写“账号ID”，若该账号中的身份\
             提供商名称不同，则填写“账号ID:身份提供商名称”。成员在控制台的登录页中选择角色。留空表示只有一个账号。",
        ),
    },
    Field {
        key: "role_mode",
        kind: Kind::Choice(&[
            ("first", "The first matching rule", "第一条匹配的规则"),
            ("union", "Every matching rule", "所有匹配的规则"),
        ]),
        label: ("Which rules apply", "规则生效方式"),
        help: (
            "Whether a member gets the roles of the first matching rule or of all of them.",
            "成员获得第一条匹配规则的角色，还是所有匹配规则的角色。",
        ),
    },
    Field {
        key: "role_contact",
        kind: Kind::Line,
        label: ("Whom to ask for a role", "角色联系人"),
        help: (
            "Shown to a member who has no role, e.g. a name or a group chat.",
            "显示给没有角色的成员，例如联系人姓名或群聊。",
        ),
    },
    Field {
        key: "session_name_source",
        kind: Kind::Choice(SOURCES),
        label: ("Session name from", "会话名称来源"),
        help: (
            "Which member detail names the cloud console session.",
            "云控制台会话名称取成员的哪项信息。",
        ),
    },
    Field {
        key: "relay_state_domains",
        kind: Kind::Line,
        label: ("Allowed landing-page domains", "允许的跳转域名"),
        help: (
            "Comma-separated host names (their subdomains included) an https landing page may be on.",
            "用逗号分隔的主机名（含子域名），https 跳转页面必须位于其中。",
        ),
    },
    Field {
        key: "relay_state",
        kind: Kind::Line,
        label: ("Landing page after sign-in", "登录后打开的页面"),
        help: (
            "Where the app opens after a sign-in started here (at most 80 bytes). Empty: the app's default.",
            "从这里发起登录后应用打开的页面（最多 80 字节）。留空则使用应用的默认页面。",
        ),
    },
    Field {
        key: "relay_state_allow",
        kind: Kind::Long,
        label: ("Landing pages a link may ask for", "链接可指定的跳转页面"),
        help: (
            "Comma-separated URLs or prefixes a RelayState in the mount address may match.",
            "用逗号分隔的 URL 或前缀；挂载地址中的 RelayState 必须与其中之一匹配。",
        ),
    },
    Field {
        key: "access",
        kind: Kind::Long,
        label: ("Who may open the app", "谁可以打开此应用"),
        help: (
            "default (the global setting), everyone, none, or rules separated by ;: user:USERID, \
             dept:DEPARTMENT_ID (sub-departments included), group:NAME, tag:TAG.",
            "default（使用全局设置）、everyone（所有人）、none（无人），或用 ; 分隔的规则：user:账号、\
             dept:部门ID（含子部门）、group:组名、tag:标签。",
        ),
    },
    Field {
        key: "attribute",
        kind: Kind::Line,
        label: ("Add one attribute", "添加一个属性"),
        help: (
            "NAME=SOURCE: adds one attribute to those sent (on the command line).",
            "名称=来源：在已发送的属性之外再添加一个（命令行使用）。",
        ),
    },
    Field {
        key: "param.KEY",
        kind: Kind::Line,
        label: ("Template value", "模板参数"),
        help: (
            "A value templates can use as {KEY} (on the command line).",
            "模板中可用 {KEY} 引用的值（命令行使用）。",
        ),
    },
];

/// The keys the console form edits (the additive CLI forms are left out).
pub fn form_fields(s: &AppSettings) -> impl Iterator<Item = &'static Field> + '_ {
    FIELDS.iter().filter(move |f| match f.key {
        "attribute" | "param.KEY" => false,
        "session_name_source" => s.session_name.is_some(),
        _ => true,
    })
}

/// The words of `key`.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

fn source_text(s: &Source) -> String {
    match s {
        Source::Constant(v) => format!("const:{v}"),
        Source::Template(t) => format!("template:{t}"),
        other => other.label().to_string(),
    }
}

fn on(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// The current value of `key`, as [`AppSettings::set`] reads it.
pub fn current(s: &AppSettings, key: &str) -> String {
    match key {
        "nameid_format" => match s.name_id_format {
            NameIdFormat::Unspecified => "unspecified",
            NameIdFormat::Email => "email",
            NameIdFormat::Persistent => "persistent",
            NameIdFormat::Transient => "transient",
        }
        .to_string(),
        "nameid_source" => source_text(&s.name_id_source),
        "sign_response" => on(s.sign_response),
        "sign_assertion" => on(s.sign_assertion),
        "attributes" => s
            .attributes
            .iter()
            .map(|a| {
                let src = source_text(&a.source);
                if src == a.name {
                    src
                } else {
                    format!("{src}={}", a.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        "require_signed_requests" => match s.require_signed_requests {
            RequireSigned::Metadata => "metadata",
            RequireSigned::Always => "true",
            RequireSigned::Never => "false",
        }
        .to_string(),
        "allow_sha1" => on(s.allow_sha1),
        "attribute_per_value" => on(s.attribute_per_value),
        "encrypt_assertion" => on(s.encrypt_assertion),
        "encryption_method" => s.encryption_method.as_str().to_string(),
        "role" => s.roles.default_role.clone().unwrap_or_default(),
        "role_rules" => format_rules(&s.roles.rules).replace(';', "; "),
        "accounts" => format_accounts(&s.roles.accounts),
        "role_mode" => match s.roles.mode {
            RoleMode::First => "first",
            RoleMode::Union => "union",
        }
        .to_string(),
        "role_contact" => s.roles.contact.clone().unwrap_or_default(),
        "session_name_source" => s
            .session_name
            .as_ref()
            .map(|r| source_text(&r.source))
            .unwrap_or_default(),
        "relay_state_domains" => s.relay_state_domains.join(", "),
        "relay_state" => s.default_relay_state.clone().unwrap_or_default(),
        "relay_state_allow" => s.relay_state_allow.join(", "),
        "access" => s.access.describe(),
        "provision" => s.provision.as_str().to_string(),
        "scim_url" => s.scim_url.clone().unwrap_or_default(),
        "provision_groups" => s.provision_groups.as_str().to_string(),
        "scim_group_update" => s.scim_group_update.as_str().to_string(),
        _ => String::new(),
    }
}

/// Whether the current value of `key`, read back by [`AppSettings::set`], gives the same settings.
/// Not so for values a preset writes that the text form cannot carry (a template with a comma or
/// `=` in an attribute list); the form shows those read-only rather than let a Save garble them.
pub fn round_trips(s: &AppSettings, key: &str) -> bool {
    let mut again = s.clone();
    again.set(key, &current(s, key)).is_ok() && again == *s
}

/// Whether `submitted` differs from the current value (spaces around list items do not count).
pub fn changed(s: &AppSettings, key: &str, submitted: &str) -> bool {
    let norm = |v: &str| -> String { v.split_whitespace().collect::<Vec<_>>().join("") };
    norm(&current(s, key)) != norm(submitted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::SETTING_KEYS;

    // Rule: every setting has a label and help in both languages, every key `--set` takes is
    // described, and every choice has both labels.
    #[test]
    fn every_setting_has_both_languages() {
        for (k, _) in SETTING_KEYS {
            let f = field(k).unwrap_or_else(|| panic!("no words for setting {k}"));
            for (en, zh) in [f.label, f.help] {
                assert!(!en.trim().is_empty(), "{k}: English missing");
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{k}: Chinese missing: {zh}"
                );
            }
            if let Kind::Choice(opts) = f.kind {
                for (v, en, zh) in opts {
                    assert!(!en.is_empty() && !zh.is_empty(), "{k}={v}");
                }
            }
        }
        for f in FIELDS {
            assert!(
                SETTING_KEYS.iter().any(|(k, _)| *k == f.key),
                "{} is not a setting",
                f.key
            );
        }
    }

    // Rule: the current value shown in the form is read back unchanged by `set`, so an untouched
    // form changes nothing.
    #[test]
    fn current_values_round_trip() {
        let mut s = AppSettings::default();
        s.apply_all([
            "nameid_format=email",
            "attributes=userid,email=mail,template:{name}-x=display",
            "role=dev",
            "role_rules=user:zhangsan=Admin|Auditor;dept:2=Developer",
            "role_mode=union",
            "relay_state_domains=example.com",
            "relay_state=https://a.example.com/x",
            "access=user:lisi;dept:3",
            "require_signed_requests=false",
            "sign_response=false",
        ])
        .unwrap();
        for f in form_fields(&s) {
            let mut again = s.clone();
            again.set(f.key, &current(&s, f.key)).unwrap();
            assert_eq!(again, s, "{}", f.key);
            assert!(!changed(&s, f.key, &current(&s, f.key)));
        }
        assert!(changed(&s, "role", "ops"));
        assert!(round_trips(&s, "attributes"));
    }

    // Rule: a value the text form cannot carry is recognised (and so shown read-only).
    #[test]
    fn values_that_cannot_round_trip_are_found() {
        let s = AppSettings {
            attributes: vec![crate::apps::AttributeRelease {
                name: "Role".into(),
                source: Source::Template("a,{userid}".into()),
                name_format: None,
                friendly_name: None,
            }],
            ..AppSettings::default()
        };
        assert!(!round_trips(&s, "attributes"));
    }
}
