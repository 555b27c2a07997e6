//! The words of the app pages in both languages where they come from the domain in English: a field
//! error said in the catalogue's words (or the field's own label and help), and the form fields of
//! the settings and preset forms with their current or typed values.

use crate::apps::form::{self, Kind};
use crate::apps::AppSettings;
use crate::http::error::{t, Text};
use crate::providers::text::{param_words, Words};
use crate::providers::Preset;
use crate::text;
use std::collections::HashMap;

const EXPIRED_EN: &str = "(accept_expired_certificates)";
const EXPIRED_CONSOLE: &str = "(tick “Import even if a certificate has expired”)";

/// The error `en` of `field` in both languages; `preset` names the preset form it came from.
pub(super) fn say(field: &str, en: &str, preset: Option<&str>) -> Text {
    let en_out = console_en(field, en, preset);
    // A setting's refusal: the catalogue's own sentence for it, in both languages.
    if (form::field(field).is_some() || field.starts_with("param.")) && !is_role_check(field, en) {
        if let Some(said) = text::field_error(field, en) {
            return t(said.en, said.zh);
        }
    }
    t(en_out, zh_of(field, en, preset))
}

/// The English of an error as the console says it (the CLI's own wording names keys).
fn console_en(field: &str, en: &str, preset: Option<&str>) -> String {
    let mut en_out = en.replace(EXPIRED_EN, EXPIRED_CONSOLE);
    // Beside its field, a setting's message needs no `key: ` in front (the CLI's needs it).
    if form::field(field).is_some() {
        if let Some(rest) = en_out.strip_prefix(&format!("{field}: ")) {
            en_out = rest.to_string();
        }
    }
    // A preset's own message names keys and patterns (it serves the CLI too): the form says
    // what the field wants, in the words of its help.
    if let Some(w) = field
        .strip_prefix("params.")
        .and_then(|k| param_words(preset.unwrap_or(""), k))
    {
        if !en.starts_with("required")
            && !en.starts_with("give a default role")
            && !en.starts_with("role ")
            && !en.contains("does not take")
        {
            en_out = format!("This value is not accepted. {}", w.help.0);
        }
    }
    en_out
}

/// The Chinese of an error the catalogue has no sentence for.
fn zh_of(field: &str, en: &str, preset: Option<&str>) -> String {
    if en.contains(EXPIRED_EN) {
        "证书已过期：请获取 SP 元数据的新副本；如确认该 SP 不使用此证书，请勾选“即使证书已过期也导入”。".into()
    } else if en.starts_with("give a default role") {
        "请填写默认角色或角色规则：没有角色的成员无法登录。".into()
    } else if en.starts_with("role ") && (field == "role_rules" || field.ends_with("role")) {
        "角色名称不符合该云控制台的规则，请按控制台中的角色名称填写。".into()
    } else if en.contains("cannot both be false") {
        "Response 和断言不能都不签名：请至少开启一项。".into()
    } else if let Some(k) = field.strip_prefix("params.") {
        let help = preset.and_then(|p| param_words(p, k)).map(|w| w.help.1);
        if en.starts_with("required") {
            "必填：请填写此项。".into()
        } else if en.contains("does not take") {
            "该预设没有这个参数。".into()
        } else {
            format!("此值无效。{}", help.unwrap_or(""))
        }
    } else if let Some(f) = form::field(field) {
        format!("“{}”的值无效。{}", f.label.1, f.help.1)
    } else {
        field_zh(field, en)
    }
}

/// The Chinese of an error of a form field that is not a setting or a preset's parameter.
fn field_zh(field: &str, en: &str) -> String {
    match field {
        "name" if en.contains("already exists") => "已有同名的应用：请换一个名称。".into(),
        "name" => "名称为 1 到 64 个字符：小写字母 a-z、数字和 -。".into(),
        "entity_id"
            if en.contains("already has the entity ID") || en.contains("already exists") =>
        {
            "已有应用以相同的 ACS 地址使用此实体 ID：共用实体 ID 的应用靠登录请求中的 ACS 地址区分，每个应用需要自己的 ACS 地址（请提供 ACS 地址不同的元数据，或先修改、删除那个应用）。".into()
        }
        "entity_id" => format!(
            "请填写文件中某个 SP 的实体 ID：{}",
            en.rsplit(": ").next().unwrap_or("")
        ),
        "refresh_secs" => {
            "请填写 0（不自动刷新），或 300（5 分钟）到 2592000（30 天）之间的秒数。".into()
        }
        "confirm_name" => "请输入应用名称以确认删除。".into(),
        "version" => "请选择列表中的版本号。".into(),
        "preset" => "请从列表中选择一个预设。".into(),
        "metadata" | "metadata_file" | "metadata_xml" | "metadata_url" => {
            if en.contains("give one of") {
                "只能选择一种：文件、粘贴的 XML 或 URL。".into()
            } else if en.contains("upload the SP's metadata file") || en.contains("no metadata") {
                "请上传 SP 的元数据文件、粘贴其 XML 或填写其 URL。".into()
            } else if en.contains("its own SP metadata") {
                "此控制台为每个账号提供单独的 SP 元数据：请上传该文件。".into()
            } else if en.contains("this file is for") {
                "此文件属于另一个 SP，与该预设不符：请提供控制台自己的文件，或不提供文件。".into()
            } else {
                metadata_zh(en)
            }
        }
        _ if en.contains("does not exist") => "应用不存在。".into(),
        _ => format!("此项无效：{en}"),
    }
}

/// Whether `en` is a preset's check of a role name or its demand for a role (said below from the
/// preset's own words, not the catalogue's).
fn is_role_check(field: &str, en: &str) -> bool {
    en.starts_with("give a default role")
        || (en.starts_with("role ") && (field == "role_rules" || field.ends_with("role")))
}

/// Why a metadata document was refused, in Chinese (the import says it in English for every
/// surface); an unforeseen message is shown as is after a Chinese lead.
fn metadata_zh(en: &str) -> String {
    const WHY: &[(&str, &str)] = &[
        ("DOCTYPE is not allowed", "SP 元数据中不允许 DOCTYPE（它可以定义实体或读取外部文件）：请删除 <!DOCTYPE …> 声明。"),
        ("entity reference &", "不允许实体引用：只允许 &lt; &gt; &amp; &quot; &apos; 和字符引用。"),
        ("larger than", "元数据文件过大：SP 元数据通常小得多，请确认文件是否正确。"),
        ("nested too deeply", "元素嵌套过深（超过 32 层）：这不是 SP 元数据。"),
        ("too many attributes", "某个元素的属性过多（超过 64 个）：这不是 SP 元数据。"),
        ("too many elements", "文档中的元素过多：这不是 SP 元数据。"),
        ("must be UTF-8", "元数据必须是 UTF-8 编码：请将文件另存为 UTF-8。"),
        ("processing instructions", "SP 元数据中不允许处理指令（<?…?>）。"),
        ("not well-formed XML", "XML 格式不正确：请上传 SP 的元数据文件。"),
        ("no SPSSODescriptor", "文件中没有 SPSSODescriptor，不是 SAML 2.0 服务提供商的元数据（是否为 IdP 的元数据？请上传 SP 自己的元数据）。"),
        ("parseable", "证书无法解析（不是 base64 DER X.509）：请从 SP 复制完整的 <ds:X509Certificate> 内容。"),
        ("no HTTP-POST AssertionConsumerService", "没有 HTTP-POST 方式的 AssertionConsumerService：SP 必须通过 POST 接收响应。"),
        ("not SAML metadata", "这不是 SAML 元数据：根元素必须是 md:EntityDescriptor 或 md:EntitiesDescriptor。"),
        ("more than one SAML 2.0 SPSSODescriptor", "该实体有多个 SAML 2.0 SPSSODescriptor。"),
        ("has no entityID", "EntityDescriptor 没有 entityID。"),
        ("bytes long", "某个属性值过长：这不是正常的 SP 元数据。"),
    ];
    WHY.iter()
        .find(|(needle, _)| en.contains(needle))
        .map(|(_, zh)| zh.to_string())
        .unwrap_or_else(|| format!("无法导入此元数据：{en}"))
}

/// A metadata import warning in Chinese (the import writes them in English for every surface).
pub(super) fn warning_zh(en: &str) -> String {
    let after = |prefix: &str| en.strip_prefix(prefix).unwrap_or("").to_string();
    if let Some(rest) = en.strip_prefix("metadata validUntil ") {
        format!(
            "元数据的有效期（validUntil {}）已过：请向 SP 获取新的元数据。",
            rest.trim_end_matches(" has passed")
        )
    } else if en.starts_with("AssertionConsumerService #") && en.contains(" uses plain http: ") {
        let (n, loc) = en
            .trim_start_matches("AssertionConsumerService #")
            .split_once(" uses plain http: ")
            .unwrap_or(("", ""));
        format!("ACS #{n} 使用未加密的 http：{loc}")
    } else if en.starts_with("certificate #") && en.contains(" expired on ") {
        let (n, at) = after("certificate #")
            .split_once(" expired on ")
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or_default();
        format!("证书 #{n} 已于 {at} 过期")
    } else if en.starts_with("certificate #") && en.contains(" is not valid before ") {
        let (n, at) = after("certificate #")
            .split_once(" is not valid before ")
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or_default();
        format!("证书 #{n} 在 {at} 之前无效")
    } else if en.starts_with("the metadata's entity ID ")
        && en.contains(" does not mention account ")
    {
        "元数据的实体 ID 中没有出现所填的账号 ID：请确认这是该账号的元数据文件。".into()
    } else {
        format!("请留意：{en}")
    }
}

/// A certificate's usage (`signing`, `encryption`, or both) in the page's language.
pub(super) fn usage(l: crate::http::error::Lang, u: &str) -> String {
    match l {
        crate::http::error::Lang::En => u.to_string(),
        crate::http::error::Lang::Zh => u.replace("signing", "签名").replace("encryption", "加密"),
    }
}

/// A metadata fetch result (`updated`, `unchanged`, `failed`) in the page's language.
pub(super) fn fetch_result(l: crate::http::error::Lang, r: &str) -> String {
    match (l, r) {
        (crate::http::error::Lang::Zh, "updated") => "已更新".into(),
        (crate::http::error::Lang::Zh, "unchanged") => "无变化".into(),
        (crate::http::error::Lang::Zh, "failed") => "失败".into(),
        _ => r.to_string(),
    }
}

/// A setting as the form shows it.
#[derive(Debug, Clone)]
pub(super) struct SettingField {
    pub key: &'static str,
    pub label: Words,
    pub help: Words,
    /// `choice`, `toggle`, `line` or `long`.
    pub kind: &'static str,
    /// The value shown: what the admin typed after an error, else the current one.
    pub value: String,
    /// For a choice: `(value, English, Chinese)`.
    pub choices: Vec<(String, String, String)>,
    /// Set by the preset in a form the text box cannot carry: shown, not editable here.
    pub locked: bool,
}

/// The settings form of `s`, with `typed` (after a refused Save) over the current values.
pub(super) fn setting_fields(
    s: &AppSettings,
    typed: Option<&HashMap<String, String>>,
) -> Vec<SettingField> {
    form::form_fields(s)
        .map(|f| {
            let value = match typed {
                Some(m) => match f.kind {
                    Kind::Toggle => {
                        if m.contains_key(&format!("setting.{}", f.key)) {
                            "true".into()
                        } else {
                            "false".into()
                        }
                    }
                    _ => m
                        .get(&format!("setting.{}", f.key))
                        .cloned()
                        .unwrap_or_else(|| form::current(s, f.key)),
                },
                None => form::current(s, f.key),
            };
            let (kind, choices) = match f.kind {
                Kind::Choice(opts) => {
                    let mut c: Vec<(String, String, String)> = opts
                        .iter()
                        .map(|(v, en, zh)| (v.to_string(), en.to_string(), zh.to_string()))
                        .collect();
                    if !c.iter().any(|(v, _, _)| *v == value) {
                        c.insert(0, (value.clone(), value.clone(), value.clone()));
                    }
                    ("choice", c)
                }
                Kind::Toggle => ("toggle", Vec::new()),
                Kind::Line => ("line", Vec::new()),
                Kind::Long => ("long", Vec::new()),
            };
            let locked = !form::round_trips(s, f.key);
            SettingField {
                key: f.key,
                label: f.label,
                help: f.help,
                kind,
                value: if locked {
                    form::current(s, f.key)
                } else {
                    value
                },
                choices,
                locked,
            }
        })
        .collect()
}

/// A preset parameter as the form shows it.
#[derive(Debug, Clone)]
pub(super) struct ParamField {
    pub key: &'static str,
    pub label: Words,
    pub help: Words,
    pub required: bool,
    /// Fixed values `(value, English, Chinese)`; empty: a text box.
    pub choices: Vec<(String, String, String)>,
    pub value: String,
}

/// The parameters of `p`, with what the admin typed.
pub(super) fn param_fields(p: &Preset, typed: &HashMap<String, String>) -> Vec<ParamField> {
    p.params
        .iter()
        .map(|x| {
            let w = param_words(p.name, x.key);
            ParamField {
                key: x.key,
                label: w.map(|w| w.label).unwrap_or((x.key, x.key)),
                help: w.map(|w| w.help).unwrap_or((x.help, x.help)),
                required: x.required,
                choices: w
                    .map(|w| {
                        w.choices
                            .iter()
                            .map(|(v, en, zh)| (v.to_string(), en.to_string(), zh.to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
                value: typed
                    .get(&format!("param.{}", x.key))
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    // Rule: the refusals of hostile or broken metadata read in Chinese on a Chinese page.
    #[test]
    fn metadata_refusals_have_chinese() {
        use crate::admin::app_metadata::{check_bytes, ExpiredCerts};
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/metadata-attacks"
        );
        let mut docs: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        docs.push(b"<a/>".to_vec());
        docs.push(b"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>".to_vec());
        docs.push(b"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"><md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>".to_vec());
        docs.push(b"<a><b></a>".to_vec());
        assert!(docs.len() > 10);
        for d in docs {
            let r = check_bytes(
                &d,
                "metadata_file",
                None,
                &ExpiredCerts::Refuse,
                time::OffsetDateTime::UNIX_EPOCH,
            );
            let Err(crate::admin::AdminError::Invalid { field, message }) = r else {
                panic!("accepted: {}", String::from_utf8_lossy(&d));
            };
            let said = say(&field, &message, None);
            assert!(
                has_han(&said.zh) && !said.zh.starts_with("无法导入此元数据"),
                "{message}: {}",
                said.zh
            );
        }
    }

    // Rule: every warning the metadata import writes reads in Chinese on a Chinese page.
    #[test]
    fn import_warnings_have_chinese() {
        for en in [
            "metadata validUntil 2020-01-01T00:00:00Z has passed",
            "AssertionConsumerService #1 uses plain http: http://sp/acs",
            "certificate #1 expired on Jan  1 00:00:00 2020 GMT",
            "certificate #2 is not valid before Jan  1 00:00:00 2030 GMT",
            "the metadata's entity ID https://x does not mention account 123: is it this account's file?",
        ] {
            let zh = warning_zh(en);
            assert!(has_han(&zh) && !zh.starts_with("请留意"), "{en}: {zh}");
        }
    }

    // Rule: every refusal of every setting, and the errors of the new-app forms, read in Chinese
    // on a Chinese page (the field's own words, never the English message alone).
    #[test]
    fn every_setting_error_has_chinese() {
        let s = AppSettings::default();
        for f in crate::apps::form::FIELDS {
            let key = if f.key == "param.KEY" {
                "param.Bad Key"
            } else {
                f.key
            };
            let mut x = s.clone();
            let Err(e) = x.set(key, "\u{1}bogus=<>") else {
                continue;
            };
            let said = say(key, &e.to_string(), None);
            assert!(has_han(&said.zh), "{key}: {}", said.zh);
            assert!(!said.en.is_empty());
        }
        for (field, en) in [
            ("name", "1 to 64 characters"),
            ("name", "an app named x already exists: choose another name"),
            ("entity_id", "app a already has the entity ID e: …"),
            ("refresh_secs", "0 (no automatic refresh) or …"),
            (
                "metadata_file",
                "certificate #1 expired … (accept_expired_certificates)",
            ),
            ("params.account_id", "required: fill this in"),
            ("params.role", "give a default role, or role rules below"),
        ] {
            let said = say(field, en, Some("tencent-role"));
            assert!(has_han(&said.zh), "{field}: {}", said.zh);
            assert!(
                !said.en.contains("accept_expired_certificates"),
                "{}",
                said.en
            );
        }
    }

    // Rule: every refusal of every setting is said by its own catalogue entry in both languages,
    // never by the generic "the value of … is not valid" sentence.
    #[test]
    fn every_setting_error_is_said_specifically() {
        let long = "x".repeat(81);
        let long_tag = format!("tag:{}", "标".repeat(33));
        let cases: &[(&str, &str)] = &[
            ("nameid_format", "bogus"),
            ("nameid_source", "bogus"),
            ("nameid_source", "template:{a"),
            ("nameid_source", "template:a}"),
            ("nameid_source", "template:{A B}"),
            ("sign_response", "maybe"),
            ("sign_assertion", "maybe"),
            ("attribute_per_value", "maybe"),
            ("allow_sha1", "maybe"),
            ("require_signed_requests", "maybe"),
            ("attributes", "bogus=x"),
            ("attributes", "userid="),
            ("attribute", "novalue"),
            ("attribute", "=userid"),
            ("relay_state", &long),
            ("access", "bogus"),
            ("access", "dept:x"),
            ("access", "tag:0"),
            ("access", &long_tag),
            ("role_rules", "user:a"),
            ("role_rules", "user=Admin"),
            ("role_rules", "user:=Admin"),
            ("role_rules", "dept:abc=Admin"),
            ("role_rules", "team:a=Admin"),
            ("role_rules", "user:a="),
            ("role_rules", "tag:0=Admin"),
            ("role_mode", "both"),
            ("session_name_source", "const:x"),
            ("session_name_source", "email"),
            ("param.Bad Key", "x"),
            ("relay_state_allow", "a b"),
            ("relay_state_allow", "https://[x"),
            ("relay_state_allow", "ftp://x"),
            ("relay_state_allow", "https://u:p@x/"),
            ("relay_state_allow", "https://x/?a"),
            ("relay_state_allow", "//x/"),
        ];
        for (key, value) in cases {
            let mut x = AppSettings::default();
            let Err(e) = x.set(key, value) else {
                panic!("{key}={value} accepted");
            };
            let en = e.to_string();
            let Some(entry) = text::field_error(key, &en) else {
                panic!("{key}: no catalogue entry for `{en}`");
            };
            let said = say(key, &en, None);
            assert_eq!((said.en.as_str(), said.zh.as_str()), (entry.en, entry.zh));
            assert!(has_han(&said.zh), "{key}: {}", said.zh);
        }
        // A value that depends on another setting, and the pair that may not both be off.
        let mut x = AppSettings::default();
        x.set("relay_state_domains", "example.com").unwrap();
        let en = x
            .set("relay_state", "https://evil.test/")
            .unwrap_err()
            .to_string();
        assert!(text::field_error("relay_state", &en).is_some(), "{en}");
        let mut x = AppSettings::default();
        x.set("sign_response", "false").unwrap();
        let en = x.set("sign_assertion", "false").unwrap_err().to_string();
        assert!(text::field_error("sign_assertion", &en).is_some(), "{en}");
    }
}
