//! What each answer is worth, and an app told of several sessions keeping its worst word.

use super::*;
use crate::saml::soap::Answer;
use serde_json::json;

#[test]
fn an_unsigned_answer_confirms_only_over_https() {
    let unsigned = || {
        Ok(Answer {
            signed: false,
            partial: false,
        })
    };
    assert_eq!(judge(unsigned(), true), Told::Confirmed);
    assert_eq!(judge(unsigned(), false), Told::Sent);
    let signed = Ok(Answer {
        signed: true,
        partial: false,
    });
    assert_eq!(judge(signed, false), Told::Confirmed);
    let partial = Ok(Answer {
        signed: true,
        partial: true,
    });
    assert_eq!(judge(partial, false), Told::Partial);
    assert_eq!(
        judge(Err(SoapError::Status("Responder".into())), true).word(),
        "failed (status Responder)"
    );
    assert_eq!(
        judge(Err(SoapError::InResponseTo), true).word(),
        "failed (wrong_in_response_to)"
    );
}

#[test]
fn an_app_keeps_its_worst_word() {
    let mut out = BTreeMap::new();
    merge(&mut out, "wiki".into(), Told::Confirmed);
    merge(&mut out, "wiki".into(), Told::Failed("timeout".into()));
    merge(&mut out, "wiki".into(), Told::Partial);
    merge(&mut out, "mail".into(), Told::Sent);
    merge(&mut out, "mail".into(), Told::Confirmed);
    assert_eq!(
        audit_value(&out),
        json!({"wiki": "failed (timeout)", "mail": "sent"})
    );
}
