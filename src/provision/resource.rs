//! The SCIM resources (RFC 7643) a member and a group are sent as, and the hash of what was sent,
//! so a run compares what it would send with what it last sent instead of asking the app.

use crate::identity::Profile;
use serde_json::{json, Value};

/// The core User schema URI.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema URI.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The PatchOp message URI (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A member's name split for `name.givenName` / `name.familyName`, which several identity centers
/// (AWS among them) require. A name with a space is `given family` (the last word is the family
/// name); a name without spaces of two or more characters is read the Chinese way, family name
/// first (one character: compound surnames such as 欧阳 come out wrong, which only the displayed
/// parts show; `displayName` and `name.formatted` keep the whole name). One word is both.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    if let Some((given, family)) = name.rsplit_once(char::is_whitespace) {
        let (given, family) = (given.trim(), family.trim());
        if !given.is_empty() && !family.is_empty() {
            return (given.to_string(), family.to_string());
        }
    }
    let mut chars = name.chars();
    match (chars.next(), chars.as_str()) {
        (Some(first), rest) if !rest.is_empty() && !first.is_ascii() => {
            (rest.to_string(), first.to_string())
        }
        _ => (name.to_string(), name.to_string()),
    }
}

/// The User resource for a member: `userName` is the app's NameID value, `externalId` the WeCom
/// userid; `emails` only when the app releases the email.
pub fn user(profile: &Profile, user_name: &str, with_email: bool, active: bool) -> Value {
    let display = if profile.name.trim().is_empty() {
        profile.userid.as_str()
    } else {
        profile.name.trim()
    };
    let (given, family) = split_name(display);
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": profile.userid,
        "name": {"formatted": display, "givenName": given, "familyName": family},
        "displayName": display,
        "active": active,
    });
    if let (true, Some(email), Some(obj)) = (with_email, &profile.email, v.as_object_mut()) {
        obj.insert(
            "emails".into(),
            json!([{"value": email, "type": "work", "primary": true}]),
        );
    }
    v
}

/// The Group resource: its display name, its key as `externalId`, and its members' remote IDs.
pub fn group(key: &str, display_name: &str, member_ids: &[String]) -> Value {
    let members: Vec<Value> = member_ids.iter().map(|id| json!({"value": id})).collect();
    json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": display_name,
        "externalId": key,
        "members": members,
    })
}

/// Most member changes one group PATCH carries (AWS IAM Identity Center takes at most 100).
pub const PATCH_MEMBERS_MAX: usize = 100;

/// The PatchOps that bring a group from the members last sent (`before`, remote IDs) to `after`:
/// `replace` of `displayName` first, then `add` of the new members and `remove` of each gone one
/// (`members[value eq "ID"]`), split so no message carries more than [`PATCH_MEMBERS_MAX`] member
/// changes. Always at least one message (the display name).
pub fn group_patches(display_name: &str, before: &[String], after: &[String]) -> Vec<Value> {
    let added: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    let removed: Vec<&String> = before.iter().filter(|id| !after.contains(id)).collect();
    let mut ops: Vec<Vec<Value>> = vec![vec![
        json!({"op": "replace", "path": "displayName", "value": display_name}),
    ]];
    let mut room = PATCH_MEMBERS_MAX;
    let mut push = |ops: &mut Vec<Vec<Value>>, op: Value, n: usize| {
        if n > room {
            ops.push(Vec::new());
            room = PATCH_MEMBERS_MAX;
        }
        room -= n;
        if let Some(last) = ops.last_mut() {
            last.push(op);
        }
    };
    for chunk in added.chunks(PATCH_MEMBERS_MAX) {
        let value: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
        push(
            &mut ops,
            json!({"op": "add", "path": "members", "value": value}),
            chunk.len(),
        );
    }
    for id in removed {
        let path = format!("members[value eq {}]", Value::String(id.to_string()));
        push(&mut ops, json!({"op": "remove", "path": path}), 1);
    }
    ops.into_iter()
        .map(|o| json!({"schemas": [PATCH_OP], "Operations": o}))
        .collect()
}

/// The PatchOp that sets `active` to false: all a deactivation needs (the rest of the user is
/// left as the app has it).
pub fn deactivation() -> Value {
    json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "active", "value": false}],
    })
}

/// SHA-256 (hex) of a value as it would be sent: equal values, equal hashes (serde_json writes an
/// object's keys in a fixed order).
pub fn hash(v: &Value) -> String {
    crate::crypto::sha256_hex(v.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_for_given_and_family() {
        assert_eq!(split_name("张三"), ("三".into(), "张".into()));
        assert_eq!(
            split_name("Ada Lovelace"),
            ("Ada".into(), "Lovelace".into())
        );
        assert_eq!(
            split_name("zhangsan"),
            ("zhangsan".into(), "zhangsan".into())
        );
        assert_eq!(split_name("张"), ("张".into(), "张".into()));
    }

    // Rule: a group PATCH adds only the new members, removes only the gone ones, replaces the
    // display name, and carries at most 100 member changes per message.
    #[test]
    fn group_patches_diff_members() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let p = group_patches("R&D", &ids(&["a", "b"]), &ids(&["b", "c"]));
        assert_eq!(p.len(), 1);
        let ops = p[0]["Operations"].as_array().unwrap();
        assert_eq!(ops[0]["op"], "replace");
        assert_eq!(ops[0]["value"], "R&D");
        assert_eq!(
            ops[1],
            json!({"op": "add", "path": "members", "value": [{"value": "c"}]})
        );
        assert_eq!(
            ops[2],
            json!({"op": "remove", "path": "members[value eq \"a\"]"})
        );
        assert_eq!(ops.len(), 3);
        let many: Vec<String> = (0..150).map(|i| format!("u{i}")).collect();
        let p = group_patches("g", &ids(&["x"]), &many);
        let count = |m: &Value| -> usize {
            m["Operations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    o["value"]
                        .as_array()
                        .map_or(usize::from(o["op"] == "remove"), Vec::len)
                })
                .sum()
        };
        assert!(p.iter().all(|m| count(m) <= PATCH_MEMBERS_MAX));
        assert_eq!(p.iter().map(count).sum::<usize>(), 151);
    }

    #[test]
    fn email_only_when_released() {
        let p = Profile {
            userid: "u".into(),
            name: "张三".into(),
            email: Some("u@example.com".into()),
            ..Profile::default()
        };
        assert!(user(&p, "u", false, true).get("emails").is_none());
        assert_eq!(
            user(&p, "u", true, true)["emails"][0]["value"],
            "u@example.com"
        );
        assert_eq!(
            hash(&user(&p, "u", true, true)),
            hash(&user(&p, "u", true, true))
        );
        assert_ne!(
            hash(&user(&p, "u", true, true)),
            hash(&user(&p, "u", true, false))
        );
    }
}
