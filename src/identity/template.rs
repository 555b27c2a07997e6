//! Attribute value templates: text with `{variable}` placeholders, rendered per member.
//!
//! Variables: the member's `userid`, `name`, `email`, `mobile`, `alias`, `position`; `role` (one
//! value per role the member has for the app; in a template that uses it, `account_id` and
//! `provider_name` are those of the role's account, see [`super::roles`]); `session_name` (the fitted RoleSessionName);
//! `relay_state` (the deep link of an IdP-initiated login); and any app parameter (`account_id`, `provider_name`, …).
//! A placeholder without a value for this member (no email, no role) yields no value at all, so a
//! half-filled string is never sent. There is no escaping: `{` and `}` only delimit placeholders.

use super::profile::Context;
use super::roles::RoleTarget;
use super::IdentityError;

/// The longest template accepted.
const MAX_LEN: usize = 1024;

enum Part<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn parts(t: &str) -> Result<Vec<Part<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                out.push(Part::Text(rest));
                break;
            }
            Some(i) if rest[i..].starts_with('}') => {
                return Err(format!("template `{t}`: `}}` without `{{`"));
            }
            Some(i) => {
                if i > 0 {
                    out.push(Part::Text(&rest[..i]));
                }
                let after = &rest[i + 1..];
                let Some(end) = after.find('}') else {
                    return Err(format!("template `{t}`: `{{` without `}}`"));
                };
                let var = &after[..end];
                let ok = !var.is_empty()
                    && var.len() <= 32
                    && var
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    return Err(format!(
                        "template `{t}`: `{{{var}}}` is not a variable name (a-z, 0-9, _)"
                    ));
                }
                out.push(Part::Var(var));
                rest = &after[end + 1..];
            }
        }
    }
    Ok(out)
}

/// Checks a template's syntax (placeholders are known only when it is rendered).
pub fn check(t: &str) -> Result<(), IdentityError> {
    if t.len() > MAX_LEN {
        return Err(IdentityError::Invalid(format!(
            "a template is at most {MAX_LEN} bytes"
        )));
    }
    parts(t).map(|_| ()).map_err(IdentityError::Invalid)
}

/// The variables a template uses.
pub fn variables(t: &str) -> Vec<String> {
    parts(t)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| match p {
            Part::Var(v) => Some(v.to_string()),
            Part::Text(_) => None,
        })
        .collect()
}

fn single<'a>(var: &str, ctx: &Context<'a>) -> Option<&'a str> {
    let p = ctx.profile;
    let v = match var {
        "userid" => Some(p.userid.as_str()),
        "name" => Some(p.name.as_str()),
        "email" => p.email.as_deref(),
        "mobile" => p.mobile.as_deref(),
        "alias" => p.alias.as_deref(),
        "position" => p.position.as_deref(),
        "session_name" => ctx.session_name,
        "relay_state" => ctx.relay_state,
        other => ctx.params.get(other).map(String::as_str),
    };
    v.filter(|s| !s.is_empty())
}

/// `account_id` and `provider_name` of a role that names its account: that account, and its own
/// provider name when `accounts` gives one (else the app's `provider_name`, from the parameters).
fn in_account<'a>(var: &str, role: Option<RoleTarget<'a>>, ctx: &Context<'a>) -> Option<&'a str> {
    let account = role?.account?;
    match var {
        "account_id" => Some(account),
        "provider_name" => ctx
            .accounts
            .iter()
            .find(|a| a.id == account)
            .and_then(|a| a.provider_name.as_deref()),
        _ => None,
    }
}

/// Renders a template: one value, or one per role when it uses `{role}`; none when a placeholder
/// has no value (or the template is malformed, which [`check`] refuses earlier).
pub fn render(t: &str, ctx: &Context<'_>) -> Vec<String> {
    let Ok(parts) = parts(t) else {
        return Vec::new();
    };
    let uses_role = parts.iter().any(|p| matches!(p, Part::Var("role")));
    let roles: Vec<Option<RoleTarget<'_>>> = if uses_role {
        ctx.roles
            .iter()
            .map(|r| Some(RoleTarget::parse(r)))
            .collect()
    } else {
        vec![None]
    };
    let mut out = Vec::new();
    'roles: for role in roles {
        let mut s = String::new();
        for p in &parts {
            match p {
                Part::Text(x) => s.push_str(x),
                Part::Var("role") => match role {
                    Some(r) => s.push_str(r.role),
                    None => continue 'roles,
                },
                Part::Var(v) => match in_account(v, role, ctx).or_else(|| single(v, ctx)) {
                    Some(x) => s.push_str(x),
                    None => return Vec::new(),
                },
            }
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Profile;
    use std::collections::BTreeMap;

    #[test]
    fn renders_one_value_per_role() {
        let p = Profile {
            userid: "zhangsan".into(),
            ..Default::default()
        };
        let params = BTreeMap::from([
            ("account_id".to_string(), "100012345678".to_string()),
            ("provider_name".to_string(), "wecom".to_string()),
        ]);
        let roles = vec!["dev".to_string(), "ops".to_string()];
        let ctx = Context {
            profile: &p,
            params: &params,
            roles: &roles,
            session_name: Some("zhangsan"),
            relay_state: None,
            accounts: &[],
        };
        let t = "qcs::cam::uin/{account_id}:roleName/{role},qcs::cam::uin/{account_id}:saml-provider/{provider_name}";
        assert_eq!(
            render(t, &ctx),
            vec![
                "qcs::cam::uin/100012345678:roleName/dev,qcs::cam::uin/100012345678:saml-provider/wecom",
                "qcs::cam::uin/100012345678:roleName/ops,qcs::cam::uin/100012345678:saml-provider/wecom",
            ]
        );
        assert_eq!(render("{userid}@x", &ctx), vec!["zhangsan@x"]);
        assert!(render("{email}", &ctx).is_empty(), "no email: no value");
        assert!(render("{relay_state}", &ctx).is_empty());
        let none = Context { roles: &[], ..ctx };
        assert!(render(t, &none).is_empty(), "no role: no value");
    }

    #[test]
    fn roles_in_other_accounts_use_their_account_and_provider() {
        let p = Profile::default();
        let params = BTreeMap::from([
            ("account_id".to_string(), "100012345678".to_string()),
            ("provider_name".to_string(), "wecom".to_string()),
        ]);
        let roles = vec![
            "dev".to_string(),
            "200012345678:ops".to_string(),
            "300012345678:audit".to_string(),
            "100012345678:dev".to_string(),
        ];
        let accounts =
            crate::identity::roles::parse_accounts("200012345678:other,300012345678").unwrap();
        let ctx = Context {
            profile: &p,
            params: &params,
            roles: &roles,
            session_name: None,
            relay_state: None,
            accounts: &accounts,
        };
        let t = "{account_id}/{role}/{provider_name}";
        assert_eq!(
            render(t, &ctx),
            vec![
                "100012345678/dev/wecom",
                "200012345678/ops/other",
                "300012345678/audit/wecom",
            ],
            "in rule order, the own account named or not once"
        );
        assert_eq!(
            render("{account_id}", &ctx),
            vec!["100012345678"],
            "without {{role}} the app's own account"
        );
    }

    #[test]
    fn syntax_is_checked() {
        assert!(check("a{b}c").is_ok());
        for bad in ["{", "}", "{}", "{A}", "{a b}", "x{y"] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert_eq!(variables("{a}-{b}"), vec!["a", "b"]);
    }
}
