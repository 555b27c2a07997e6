//! The event crypto against an independent implementation, wechatpy's WeCom crypto (PyPI), run by
//! `interop/run.sh` (which sets `WECOM_IDP_WECHATPY_PYTHON` to its venv's python): wechatpy
//! encrypts a `delete_user` that our running server accepts (the member is cut off), and decrypts
//! the event our simulator sends. Skipped when the variable is not set.

use crate::harness::*;
use std::process::Command;
use wecom_idp::clock::Clock;
use wecom_idp::config::Config;
use wecom_idp::wecom::contact_change::ContactChange;
use wecom_idp::wecom::event;
use wecom_idp::wecom::event_crypto::{AesKey, CallbackToken};

const TOKEN: &str = "interopToken7";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

fn wechatpy(python: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg("interop/wechatpy_check.py")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wechatpy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechatpy_and_we_speak_the_same_crypto() {
    let Ok(python) = std::env::var("WECOM_IDP_WECHATPY_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let files = tempfile::tempdir().unwrap();
    let env = Env::start_with(Db::Sqlite, url, dir, |c: &mut Config| {
        c.wecom.callback_token = TOKEN.into();
        c.wecom.callback_aes_key = AES_KEY.into();
    })
    .await;
    env.add_app("wiki", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "wiki", "zhangsan").await;
    let events = format!("{}/wecom/events", env.base);

    // wechatpy encrypts; our server accepts and cuts the member off.
    let now = env.clock.now().unix_timestamp();
    let change = ContactChange::UserDeleted {
        userid: "zhangsan".into(),
    };
    let msg = files.path().join("message.xml");
    std::fs::write(&msg, event::change_message(CORP_ID, &change, now).unwrap()).unwrap();
    let ts = now.to_string();
    let out = wechatpy(
        &python,
        &[
            "encrypt",
            TOKEN,
            AES_KEY,
            CORP_ID,
            &ts,
            "wechatpy1",
            msg.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let body = event::envelope(CORP_ID, AGENT_ID, v["encrypt"].as_str().unwrap()).unwrap();
    let r = reqwest::Client::new()
        .post(format!(
            "{events}?msg_signature={}&timestamp={ts}&nonce=wechatpy1",
            v["signature"].as_str().unwrap()
        ))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = b.get(&format!("{}/apps/wiki/start", env.base)).await;
    assert_eq!(page.status, 302, "the session ended");

    // Our simulator encrypts; wechatpy decrypts the very request it sent.
    env.sim.set_event_target(
        events,
        CallbackToken::parse(TOKEN).unwrap(),
        AesKey::parse(AES_KEY).unwrap(),
    );
    let change = ContactChange::TagUpdated { tagid: 7 };
    let sent = env.sim.send_change(&change).await.unwrap();
    assert_eq!(sent.status, 200);
    let body = files.path().join("envelope.xml");
    std::fs::write(&body, &sent.body).unwrap();
    let plain = wechatpy(
        &python,
        &[
            "decrypt",
            TOKEN,
            AES_KEY,
            CORP_ID,
            &sent.query,
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(
        event::parse_message(&plain).unwrap(),
        event::Event::ChangeContact(change)
    );
}
