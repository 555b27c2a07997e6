//! Presets in words, for the console's preset forms: each parameter's label and help in English and
//! Chinese (what to copy from which console page, never a pattern), the fixed values a parameter
//! takes as a choice, each preset's one line in Chinese, and the bundled set-up guide of its console
//! (`metadata/<console>/README.md`).

use super::Preset;

/// A text in English and Chinese.
pub type Words = (&'static str, &'static str);

/// A preset parameter in words.
#[derive(Debug, Clone, Copy)]
pub struct ParamWords {
    /// Its name for people.
    pub label: Words,
    /// What to enter and where to find it.
    pub help: Words,
    /// The fixed values it takes (`value`, English, Chinese); empty: free text.
    pub choices: &'static [(&'static str, &'static str, &'static str)],
}

const SITE: &[(&str, &str, &str)] = &[
    ("cn", "China site", "中国站"),
    ("intl", "International site", "国际站"),
];

/// `(console prefix, key, words)`: an entry with a prefix applies to the presets whose name starts
/// with it and wins over the entry without one.
const PARAMS: &[(&str, &str, ParamWords)] = &[
    ("huawei", "account_id", ParamWords {
        label: ("Account ID", "账号 ID"),
        help: ("The 32 letters and digits of the account ID (My Credentials › API Credentials).",
               "账号 ID，由 32 个字母和数字组成（我的凭证 › API 凭证）。"),
        choices: &[],
    }),
    ("tencent", "account_id", ParamWords {
        label: ("Account ID (OwnerUin)", "主账号 ID（OwnerUin）"),
        help: ("The root account ID, 5 to 20 digits (Account Center › Account Info).",
               "主账号 ID，5 到 20 位数字（账号中心 › 账号信息）。"),
        choices: &[],
    }),
    ("aliyun", "account_id", ParamWords {
        label: ("Account ID (UID)", "账号 ID（UID）"),
        help: ("The Alibaba Cloud account UID, 16 digits.", "阿里云账号 UID，16 位数字。"),
        choices: &[],
    }),
    ("aws", "account_id", ParamWords {
        label: ("AWS account ID", "AWS 账号 ID"),
        help: ("The 12-digit AWS account ID.", "12 位数字的 AWS 账号 ID。"),
        choices: &[],
    }),
    ("baidu", "account_id", ParamWords {
        label: ("Account ID", "账号 ID"),
        help: ("The Baidu AI Cloud account ID, 32 letters and digits.", "百度智能云账号 ID，32 个字母和数字。"),
        choices: &[],
    }),
    ("", "account_id", ParamWords {
        label: ("Account ID", "账号 ID"),
        help: ("The cloud account ID, in digits, as the console shows it.", "云账号 ID（数字），与控制台显示的一致。"),
        choices: &[],
    }),
    ("huawei", "provider_name", ParamWords {
        label: ("Identity provider name", "身份提供商名称"),
        help: ("The name you gave the identity provider in IAM: 1 to 64 letters, digits, _ or -.",
               "在 IAM 中创建的身份提供商名称：1 到 64 个字母、数字、下划线或中划线。"),
        choices: &[],
    }),
    ("", "provider_name", ParamWords {
        label: ("Identity provider name", "身份提供商名称"),
        help: ("The name you gave the SAML identity provider in the console's IAM.",
               "在控制台 IAM 中创建的 SAML 身份提供商名称。"),
        choices: &[],
    }),
    ("", "role", ParamWords {
        label: ("Default role", "默认角色"),
        help: ("The role every member gets when no role rule matches. Give this or role rules.",
               "没有角色规则匹配时每个成员获得的角色。请填写此项或角色规则。"),
        choices: &[],
    }),
    ("", "site", ParamWords {
        label: ("Site", "站点"),
        help: ("Which site the account is on.", "账号所在的站点。"),
        choices: SITE,
    }),
    ("aws", "partition", ParamWords {
        label: ("Partition", "分区"),
        help: ("Global regions, or the China regions.", "全球区域，或中国区域。"),
        choices: &[
            ("aws", "Global (aws)", "全球（aws）"),
            ("aws-cn", "China regions (aws-cn)", "中国区域（aws-cn）"),
        ],
    }),
    ("aws", "encryption", ParamWords {
        label: ("Assertion encryption", "断言加密"),
        help: ("Required when the IAM identity provider requires encrypted assertions; then give its IdP ID, region and AWS's metadata for it.",
               "IAM 身份提供商要求加密断言时选“必需”；此时请填写其 IdP ID、区域，并提供 AWS 为它发布的元数据。"),
        choices: &[
            ("off", "Off", "关闭"),
            ("required", "Required by the identity provider", "身份提供商要求加密"),
        ],
    }),
    ("aws", "idp_id", ParamWords {
        label: ("IdP ID", "身份提供商 ID（IdP ID）"),
        help: ("With required encryption: the unique ID AWS shows on the identity provider's page in IAM.",
               "要求加密时：IAM 中该身份提供商页面上 AWS 显示的唯一 ID。"),
        choices: &[],
    }),
    ("aws", "region", ParamWords {
        label: ("Region", "区域"),
        help: ("With required encryption: the sign-in region, e.g. us-east-1.",
               "要求加密时：登录所用的区域，例如 us-east-1。"),
        choices: &[],
    }),
    ("huawei", "sso_type", ParamWords {
        label: ("SSO type", "SSO 类型"),
        help: ("As chosen when the identity provider was created in IAM.", "与在 IAM 中创建身份提供商时的选择一致。"),
        choices: &[
            ("virtual", "Virtual users (conversion rules)", "虚拟用户 SSO（转换规则）"),
            ("iam_user", "IAM users (External Identity ID = userid)", "IAM 用户 SSO（外部身份 ID = userid）"),
        ],
    }),
    ("huawei", "session_duration", ParamWords {
        label: ("Session length (seconds)", "会话时长（秒）"),
        help: ("How long the console session lasts, 900 to 86400 seconds. Empty: the console's default.",
               "控制台会话时长，900 到 86400 秒。留空使用控制台默认值。"),
        choices: &[],
    }),
    ("kingsoft", "session_duration", ParamWords {
        label: ("Session length (seconds)", "会话时长（秒）"),
        help: ("How long the console session lasts, 60 to 86400 seconds. Empty: the console's default.",
               "控制台会话时长，60 到 86400 秒。留空使用控制台默认值。"),
        choices: &[],
    }),
    ("", "session_duration", ParamWords {
        label: ("Session length (seconds)", "会话时长（秒）"),
        help: ("How long the console session lasts, 900 to 43200 seconds and at most the role's maximum. \
                Empty: the console's default.",
               "控制台会话时长，900 到 43200 秒，且不超过角色的最长时长。留空使用控制台默认值。"),
        choices: &[],
    }),
    ("", "relay_state", ParamWords {
        label: ("Console page to open", "登录后打开的控制台页面"),
        help: ("An https address on the console's own domain. Empty: the console's home page.",
               "控制台自身域名下的 https 地址。留空则打开控制台首页。"),
        choices: &[],
    }),
    ("tencent", "entity_id", ParamWords {
        label: ("Service provider ID", "服务提供商标识"),
        help: ("Keep the default unless the console shows another one.", "除非控制台显示其他值，请保持默认。"),
        choices: &[
            ("cloud.tencent.com", "cloud.tencent.com (China site default)", "cloud.tencent.com（中国站默认）"),
            ("https://cloud.tencent.com", "https://cloud.tencent.com", "https://cloud.tencent.com"),
            ("intl.cloud.tencent.com", "intl.cloud.tencent.com (older international)", "intl.cloud.tencent.com（旧国际站）"),
            ("www.tencentcloud.com", "www.tencentcloud.com (international site default)", "www.tencentcloud.com（国际站默认）"),
        ],
    }),
    ("volcengine", "audience", ParamWords {
        label: ("Audience", "受众（Audience）"),
        help: ("Keep the default unless logins are refused: a working integration sends the console's address.",
               "除非登录被拒绝，请保持默认；有实际可用的集成发送的是控制台地址。"),
        choices: &[
            ("https://www.volcengine.com/", "https://www.volcengine.com/ (default)", "https://www.volcengine.com/（默认）"),
            ("https://console.volcengine.com", "https://console.volcengine.com", "https://console.volcengine.com"),
        ],
    }),
    ("aws", "role", ParamWords {
        label: ("Default role", "默认角色"),
        help: ("The IAM role every member gets when no role rule matches; for a role under a path write path/to/Name. Give this or role rules.",
               "没有角色规则匹配时每个成员获得的 IAM 角色；路径下的角色写作 path/to/Name。请填写此项或角色规则。"),
        choices: &[],
    }),
    ("aliyun", "domain", ParamWords {
        label: ("Sign-in domain", "登录域名"),
        help: ("The logon suffix or auxiliary domain of the RAM users. Empty: ACCOUNT.onaliyun.com.",
               "RAM 用户的登录后缀或辅助域名。留空则为 账号ID.onaliyun.com。"),
        choices: &[],
    }),
    ("", "login_url", ParamWords {
        label: ("The console's sign-in link", "控制台登录链接"),
        help: ("The https sign-in link the console gives for this identity provider; it becomes the WeCom app homepage. \
                Empty: members start here.",
               "控制台为此身份提供商提供的 https 登录链接，它将作为企业微信应用主页。留空则成员从本服务开始登录。"),
        choices: &[],
    }),
];

/// The words of `key` in `preset`.
pub fn param_words(preset: &str, key: &str) -> Option<&'static ParamWords> {
    PARAMS
        .iter()
        .find(|(p, k, _)| *k == key && !p.is_empty() && preset.starts_with(p))
        .or_else(|| PARAMS.iter().find(|(p, k, _)| *k == key && p.is_empty()))
        .map(|(_, _, w)| w)
}

/// The preset's one line in Chinese.
pub fn summary_zh(preset: &str) -> &'static str {
    match preset {
        "generic" => "任意 SAML 应用，使用其元数据文件",
        "huawei" => "华为云 IAM：虚拟用户或 IAM 用户 SSO（从控制台发起）",
        "huawei-identity-center" => "华为云 IAM Identity Center（元数据来自控制台）",
        "tencent-role" => "腾讯云 CAM 角色 SSO",
        "tencent-user" => "腾讯云 CAM 用户 SSO（每个账号的元数据）",
        "tencent-cic" => "腾讯云集团账号身份中心 CIC（元数据来自控制台）",
        "aliyun-role" => "阿里云 RAM 角色 SSO（仅 IdP 发起）",
        "aliyun-user" => "阿里云 RAM 用户 SSO（每个账号的元数据）",
        "aliyun-cloudsso" => "阿里云云 SSO（每个目录的元数据）",
        "aws-role" => "AWS IAM SAML 角色联合，全球或中国分区（仅 IdP 发起）",
        "aws-identity-center" => "AWS IAM Identity Center（元数据来自控制台）",
        "volcengine-role" => "火山引擎角色 SSO（IdP 发起）",
        "volcengine-user" => "火山引擎用户 SSO（每个账号的元数据）",
        "baidu-role" => "百度智能云 IAM 角色 SSO（IdP 发起）",
        "kingsoft-role" => "金山云角色 SSO（IdP 发起）",
        _ => "",
    }
}

/// The console a preset belongs to (the folder of its guide), e.g. `huawei` for `huawei`.
pub fn console(preset: &Preset) -> &'static str {
    let name = preset.name;
    GUIDES
        .iter()
        .map(|(c, _)| *c)
        .find(|c| name == *c || name.starts_with(&format!("{c}-")))
        .unwrap_or("generic")
}

/// The bundled set-up guides, by console.
pub const GUIDES: &[(&str, &str)] = &[
    ("generic", include_str!("../../metadata/generic/README.md")),
    ("huawei", include_str!("../../metadata/huawei/README.md")),
    ("tencent", include_str!("../../metadata/tencent/README.md")),
    ("aliyun", include_str!("../../metadata/aliyun/README.md")),
    ("aws", include_str!("../../metadata/aws/README.md")),
    (
        "volcengine",
        include_str!("../../metadata/volcengine/README.md"),
    ),
    ("baidu", include_str!("../../metadata/baidu/README.md")),
    (
        "kingsoft",
        include_str!("../../metadata/kingsoft/README.md"),
    ),
];

/// The guide of `console`.
pub fn guide(console: &str) -> Option<&'static str> {
    GUIDES.iter().find(|(c, _)| *c == console).map(|(_, g)| *g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    // Rule: every parameter of every preset has a label and help in both languages (help in words,
    // not a pattern), every preset a Chinese line and a guide.
    #[test]
    fn every_preset_parameter_has_both_languages() {
        for p in super::super::all() {
            assert!(
                has_han(summary_zh(p.name)),
                "{}: no Chinese summary",
                p.name
            );
            assert!(guide(console(&p)).is_some(), "{}: no guide", p.name);
            for x in p.params {
                let w = param_words(p.name, x.key)
                    .unwrap_or_else(|| panic!("{} {}: no words", p.name, x.key));
                for (en, zh) in [w.label, w.help] {
                    assert!(!en.trim().is_empty(), "{} {}", p.name, x.key);
                    assert!(has_han(zh), "{} {}: {zh}", p.name, x.key);
                    assert!(!en.contains('^') && !en.contains("\\w"), "{en}: a pattern");
                }
                for (v, en, zh) in w.choices {
                    assert!(!v.is_empty() && !en.is_empty() && !zh.is_empty());
                }
            }
        }
    }
}
