//! The rule picker under an app's settings form: departments (indented as WeCom's tree), tags, and
//! members found by name or userid, read live from WeCom ([`crate::admin::directory`]); choosing
//! adds the rule token (`dept:ID`, `tag:ID`, `user:USERID`, with `=ROLE` for a role rule) to the
//! access rule or the role rules. It works without JavaScript: "Find" and "Add" submit the settings
//! form, which then does not save but shows the form again with the members found or the token
//! added (`admin.js` adds the token in the page instead). Every control is labelled.

use super::super::AppState;
use super::directory::source;
use crate::admin::directory::{self, MemberQuery, SearchText, Source, Unreadable};
use crate::admin::AdminError;
use crate::http::error::{t, Lang, Text};
use std::collections::HashMap;

/// The settings a picked token goes to: `(key, English, Chinese)`.
pub(super) const TARGETS: &[(&str, &str, &str)] = &[
    ("access", "Who may open the app", "谁可以打开此应用"),
    ("role_rules", "Role rules", "角色规则"),
];

/// What the picker shows.
#[derive(Debug, Default)]
pub(super) struct Pickers {
    /// `(ID, label)`: departments in tree order, indented by depth.
    pub departments: Vec<(String, String)>,
    /// `(ID, name)`.
    pub tags: Vec<(String, String)>,
    /// `(userid, "name (userid)")`: the members the last search found.
    pub members: Vec<(String, String)>,
    /// Why WeCom could not be read (the rules can still be typed by hand).
    pub problem: Option<Text>,
    /// What the last Find or Add did.
    pub notice: Option<Text>,
    /// What is wrong with the last Find or Add.
    pub error: Option<Text>,
    /// The choices as the form last had them.
    pub target: String,
    /// The search text.
    pub q: String,
    /// The role typed for a role rule.
    pub role: String,
    /// Department ID → name, for the "reads as" line under the rules.
    pub names: HashMap<i64, String>,
    /// Tag ID → name, for the same line.
    pub tag_names: HashMap<i64, String>,
}

impl Pickers {
    /// The departments and tags a rule text names by ID, with their WeCom names: `dept:3 运维部`
    /// (what the numbers in the text mean; empty when it names none the picker knows).
    pub fn reads_as(&self, rule: &str) -> Vec<String> {
        let mut out = Vec::new();
        for item in rule.split(';') {
            let cond = item.split('=').next().unwrap_or("").trim();
            let (kind, id) = match cond.split_once(':') {
                Some((k, v)) => (k.trim(), v.trim().parse::<i64>().ok()),
                None => continue,
            };
            let name = match (kind, id) {
                ("dept", Some(id)) => self.names.get(&id),
                ("tag", Some(id)) => self.tag_names.get(&id),
                _ => None,
            };
            if let Some(n) = name {
                let line = format!("{cond} = {n}");
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    }
}

fn problem_text(u: &Unreadable) -> Text {
    let code = u.code_note();
    t(
        format!(
            "The WeCom address book cannot be read{code}: {}. {} You can still type rules by hand.",
            u.problem.title.en, u.problem.fix.en
        ),
        format!(
            "无法读取企业微信通讯录{code}：{}。{}仍可手动填写规则。",
            u.problem.title.zh, u.problem.fix.zh
        ),
    )
}

fn form_value<'a>(f: Option<&'a HashMap<String, String>>, k: &str) -> &'a str {
    f.and_then(|m| m.get(k)).map(|v| v.trim()).unwrap_or("")
}

/// The picker for the page in `l`: departments and tags from WeCom, and the members the form's
/// search text finds (when it has one).
pub(super) async fn load(
    state: &AppState,
    l: Lang,
    typed: Option<&HashMap<String, String>>,
) -> Pickers {
    let mut p = Pickers {
        target: form_value(typed, "pick.target").to_string(),
        q: form_value(typed, "pick.q").to_string(),
        role: form_value(typed, "pick.role").to_string(),
        ..Pickers::default()
    };
    let c = match source(state).await {
        Ok(c) => c,
        Err(e) => {
            p.problem = Some(t(
                e.message(),
                "当前生效的企业微信设置无法使用，请在“企业微信设置”页修正；仍可手动填写规则。",
            ));
            return p;
        }
    };
    if let Err(u) = read_departments(&mut p, &c, l).await {
        p.problem = Some(problem_text(&u));
        return p;
    }
    match directory::tags(&c).await {
        Ok(list) => {
            p.tag_names = list.iter().map(|tg| (tg.id, tg.name.clone())).collect();
            p.tags = list
                .into_iter()
                .map(|tg| (tg.id.to_string(), tg.name))
                .collect();
        }
        Err(u) => p.problem = Some(problem_text(&u)),
    }
    if !p.q.is_empty() {
        search(&mut p, &c).await;
    }
    p
}

/// The departments in tree order, indented by depth, with their names for "reads as".
async fn read_departments(p: &mut Pickers, c: &Source, l: Lang) -> Result<(), Unreadable> {
    for d in directory::departments(c).await? {
        let name = match (&d.name_en, l) {
            (Some(en), Lang::En) => format!("{en} · {}", d.name),
            _ => d.name.clone(),
        };
        // Ideographic spaces: an option's leading ASCII spaces would collapse.
        let indent = "\u{3000}".repeat(d.depth);
        p.departments
            .push((d.id.to_string(), format!("{indent}{name} ({})", d.id)));
        p.names.insert(d.id, d.name);
    }
    Ok(())
}

/// The members the search text `p.q` finds, or why there are none.
async fn search(p: &mut Pickers, c: &Source) {
    match SearchText::parse(&p.q) {
        Ok(q) => match directory::members(c, &MemberQuery::Search(q)).await {
            Ok(list) if list.is_empty() => {
                p.notice = Some(t(
                    format!("No member's name or userid contains “{}”.", p.q),
                    format!("没有成员的姓名或账号包含“{}”。", p.q),
                ));
            }
            Ok(list) => {
                p.members = list
                    .into_iter()
                    .map(|m| {
                        let label = format!("{} ({})", m.name, m.userid);
                        (m.userid, label)
                    })
                    .collect();
            }
            Err(u) => p.problem = Some(problem_text(&u)),
        },
        Err(e) => p.error = Some(t(e.message(), "请输入 1 到 64 个字符的成员姓名或账号。")),
    }
}

/// "Add": appends the chosen department, tag and member, as rule tokens, to the target setting's
/// text in `f` (a role rule gets `=ROLE`). Returns the tokens added.
pub(super) fn add(f: &mut HashMap<String, String>) -> Result<Vec<String>, AdminError> {
    let v = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let target = v("pick.target");
    if !TARGETS.iter().any(|(k, _, _)| *k == target) {
        return Err(AdminError::invalid("pick.target", "choose where to add it"));
    }
    let mut tokens = chosen(&v)?;
    if tokens.is_empty() {
        return Err(AdminError::invalid(
            "pick.dept",
            "choose a department, a tag or a member first",
        ));
    }
    if target == "role_rules" {
        let role = v("pick.role");
        if role.is_empty() || role.contains([';', '|']) {
            return Err(AdminError::invalid(
                "pick.role",
                "type the role these members get (no ; or |)",
            ));
        }
        for tk in &mut tokens {
            tk.push('=');
            tk.push_str(&role);
        }
    }
    let key = format!("setting.{target}");
    let next = appended(&target, &v(&key), &tokens);
    f.insert(key, next);
    for k in ["pick.dept", "pick.tag", "pick.user"] {
        f.remove(k);
    }
    Ok(tokens)
}

/// The department, tag and member chosen, as rule tokens.
fn chosen(v: &dyn Fn(&str) -> String) -> Result<Vec<String>, AdminError> {
    let mut tokens = Vec::new();
    let dept = v("pick.dept");
    if !dept.is_empty() {
        let id: i64 = dept
            .parse()
            .map_err(|_| AdminError::invalid("pick.dept", "choose a department from the list"))?;
        tokens.push(format!("dept:{id}"));
    }
    let tag = v("pick.tag");
    if !tag.is_empty() {
        let id: i64 = tag
            .parse()
            .map_err(|_| AdminError::invalid("pick.tag", "choose a tag from the list"))?;
        tokens.push(format!("tag:{id}"));
    }
    let user = v("pick.user");
    if !user.is_empty() {
        crate::admin::auth::check_userid(&user)?;
        tokens.push(format!("user:{user}"));
    }
    Ok(tokens)
}

/// The target setting's text `current` with `tokens` appended.
fn appended(target: &str, current: &str, tokens: &[String]) -> String {
    // `default`, `everyone` and `none` are whole values: picked grants replace them.
    let keep = !(current.is_empty()
        || (target == "access" && matches!(current, "default" | "everyone" | "none")));
    let mut next: Vec<String> = if keep {
        vec![current.trim_end_matches(';').to_string()]
    } else {
        Vec::new()
    };
    next.extend(tokens.iter().cloned());
    next.join(";")
}

/// The error of an Add in both languages.
pub(super) fn add_error(e: &AdminError) -> Text {
    let zh = match e {
        AdminError::Invalid { field, .. } => match field.as_str() {
            "pick.target" => "请选择添加到哪一项。",
            "pick.role" => "请填写这些成员获得的角色（不能包含 ; 或 |）。",
            "pick.tag" => "请从列表中选择标签。",
            "userid" => "成员账号格式不正确。",
            _ => "请先选择部门、标签或成员。",
        },
        _ => "无法添加。",
    };
    t(e.message(), zh)
}

/// The notice of an Add: the tokens, with the departments' names.
pub(super) fn added_notice(tokens: &[String], names: &HashMap<i64, String>) -> Text {
    let shown: Vec<String> = tokens
        .iter()
        .map(|tk| {
            let id = tk
                .strip_prefix("dept:")
                .and_then(|r| r.split('=').next())
                .and_then(|d| d.parse::<i64>().ok());
            match id.and_then(|d| names.get(&d)) {
                Some(n) => format!("{tk} ({n})"),
                None => tk.clone(),
            }
        })
        .collect();
    t(
        format!("Added {}. Save the settings to keep it.", shown.join(", ")),
        format!("已添加 {}。请保存设置使其生效。", shown.join("、")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn add_appends_tokens_to_the_chosen_rule() {
        let mut f = form(&[
            ("setting.access", "default"),
            ("setting.role_rules", "user:zhangsan=Admin;"),
            ("pick.target", "role_rules"),
            ("pick.dept", "3"),
            ("pick.tag", "2"),
            ("pick.role", "Auditor"),
        ]);
        let added = add(&mut f).unwrap();
        assert_eq!(added, ["dept:3=Auditor", "tag:2=Auditor"]);
        assert_eq!(
            f["setting.role_rules"],
            "user:zhangsan=Admin;dept:3=Auditor;tag:2=Auditor"
        );
        assert!(!f.contains_key("pick.dept"));
        // A whole value such as `default` is replaced by the grants picked.
        let mut f = form(&[
            ("setting.access", "default"),
            ("pick.target", "access"),
            ("pick.user", "lisi"),
        ]);
        add(&mut f).unwrap();
        assert_eq!(f["setting.access"], "user:lisi");
        // A role rule needs the role; nothing chosen, or a forged value, is refused.
        for bad in [
            form(&[("pick.target", "role_rules"), ("pick.dept", "3")]),
            form(&[("pick.target", "access")]),
            form(&[("pick.target", "access"), ("pick.dept", "x")]),
            form(&[("pick.target", "attributes"), ("pick.dept", "3")]),
            form(&[("pick.target", "access"), ("pick.user", "<b>")]),
        ] {
            let mut f = bad.clone();
            assert!(add(&mut f).is_err(), "{bad:?}");
        }
        let names: HashMap<i64, String> = [(3, "运维部".to_string())].into_iter().collect();
        let n = added_notice(&["dept:3=Ops".into(), "tag:2=Ops".into()], &names);
        assert!(n.zh.contains("dept:3=Ops (运维部)") && n.en.contains("Save"));
        let p = Pickers {
            names,
            tag_names: [(2, "审计".to_string())].into_iter().collect(),
            ..Pickers::default()
        };
        assert_eq!(
            p.reads_as("dept:3=Ops; tag:2=A|B;user:x=C;dept:9=D;tag:审计=E;dept:3"),
            ["dept:3 = 运维部", "tag:2 = 审计"]
        );
    }
}
