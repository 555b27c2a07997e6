//! Unit tests of the client that need no simulator (settings, parsing).

use super::*;

#[test]
fn member_parses_post_2022_answer() {
    let body = r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三",
        "department":[1,2],"order":[0,0],"position":"","status":1,"isleader":0,
        "extattr":{"attrs":[{"type":0,"name":"工号","text":{"value":"E001"}},
                            {"type":1,"name":"主页","web":{"url":"https://x","title":"x"}}]},
        "telephone":"","enable":1,"main_department":2,"alias":"Sam"}"#;
    let m: Member = decode("user/get", body.as_bytes()).unwrap();
    assert_eq!(m.userid, "zhangsan");
    assert_eq!(m.position, None);
    assert_eq!(m.mobile, None);
    assert_eq!(m.main_department, Some(2));
    assert_eq!(m.alias.as_deref(), Some("Sam"));
    assert_eq!(m.ext("工号"), Some("E001"));
    assert_eq!(m.ext("主页"), Some("https://x"));
    assert!(m.is_active());
    let again: Member = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(again, m);
}

#[test]
fn identity_accepts_both_casings() {
    let new: RawIdentity = decode("x", br#"{"errcode":0,"userid":"a","user_ticket":"t"}"#).unwrap();
    let old: RawIdentity = decode("x", br#"{"errcode":0,"UserId":"a"}"#).unwrap();
    let outsider: RawIdentity = decode("x", br#"{"errcode":0,"OpenId":"o"}"#).unwrap();
    assert_eq!(
        new.into_identity("x").unwrap(),
        CodeIdentity::Member {
            userid: "a".into(),
            user_ticket: Some("t".into())
        }
    );
    assert_eq!(
        old.into_identity("x").unwrap().require_member().unwrap().0,
        "a"
    );
    assert_eq!(
        outsider.into_identity("x").unwrap().require_member(),
        Err(WecomError::NotMember)
    );
    let empty: RawIdentity = decode("x", br#"{"errcode":0}"#).unwrap();
    assert!(matches!(
        empty.into_identity("x"),
        Err(WecomError::Decode { .. })
    ));
}

#[test]
fn errcode_becomes_api_error() {
    let r: Result<Member, _> = decode("user/get", br#"{"errcode":60111,"errmsg":"no"}"#);
    assert_eq!(r.unwrap_err().code(), Some(60111));
    let r: Result<Member, _> = decode("user/get", b"<html>");
    assert!(matches!(r, Err(WecomError::Decode { .. })));
}

#[test]
fn settings_are_validated() {
    let ok = Settings::new("ww1", "1000002", "s");
    assert!(ok.validate().is_ok());
    for bad in [
        Settings {
            secret: " ".into(),
            ..ok.clone()
        },
        Settings {
            corp_id: String::new(),
            ..ok.clone()
        },
        Settings {
            api_base: "qyapi.weixin.qq.com".into(),
            ..ok.clone()
        },
        Settings {
            timeout: Duration::ZERO,
            ..ok.clone()
        },
    ] {
        assert!(
            matches!(bad.validate(), Err(WecomError::Setup { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn secrets_are_not_debug_printed() {
    let s = Settings::new("ww1", "1000002", "S3CRET-value");
    assert!(!format!("{s:?}").contains("S3CRET"));
    let id = CodeIdentity::Member {
        userid: "u".into(),
        user_ticket: Some("TICKET-xyz".into()),
    };
    assert!(!format!("{id:?}").contains("TICKET"));
}
