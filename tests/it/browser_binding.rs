//! The browser binding of WeCom logins: every login start binds its state to a fresh random value
//! and sets the cookie again, so a value planted in the browser is never what a login is bound to;
//! the cookie keeps the newest few values so logins in other tabs still finish. Each test names the
//! rule it checks.

use crate::both_dbs;
use crate::harness::*;
use crate::wecom_login::{assert_refused, callback_url};

const COOKIE: &str = "wecom_idp_browser";

both_dbs!(binding_is_fresh_at_each_login_start, fresh_binding);
// Rule: a login start never binds its state to the value the client sent: a planted cookie value
// cannot finish the member's login in another browser (login CSRF / fixation), and each start sets
// a new value.
async fn fresh_binding(env: Env) {
    env.add_app("console", &[]).await;
    let planted = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";
    let victim = env.browser(WXWORK_UA);
    victim.set_cookie(&env.base, COOKIE, planted);
    let url = callback_url(&env, &victim, "console", "zhangsan").await;
    let after = victim.cookie(&env.base, COOKIE).unwrap();
    let newest = after.split('.').next().unwrap().to_string();
    assert_ne!(newest, planted, "a fresh value, not the planted one");
    assert_eq!(newest.len(), 64, "{after}");
    // The attacker knows the planted value, and the callback link: not enough.
    let attacker = env.browser(WXWORK_UA);
    attacker.set_cookie(&env.base, COOKIE, planted);
    assert_refused(&attacker.get(&url).await, 400, "state_foreign");
    assert_eq!(env.sim.calls("auth/getuserinfo"), 0);
    // Another start in the same browser: another fresh value.
    let _second = callback_url(&env, &victim, "console", "zhangsan").await;
    let again = victim.cookie(&env.base, COOKIE).unwrap();
    assert_ne!(again.split('.').next().unwrap(), newest);
    // The member's own browser finishes.
    let form = victim
        .get(&url)
        .await
        .form()
        .expect("the victim's login finishes");
    assert_eq!(Saml::of(&form).name_id(), "zhangsan");
}

both_dbs!(logins_in_other_tabs_still_finish, other_tabs);
// Rule: a login started earlier in another tab of the same browser still finishes after later
// starts (the cookie keeps the four newest bindings), and a repeated callback still gets the first
// result; a login started five or more login starts ago must be started again.
async fn other_tabs(env: Env) {
    env.add_app("console", &[]).await;
    env.add_app("mail", &[]).await;
    let b = env.browser(WXWORK_UA);
    let first = callback_url(&env, &b, "console", "zhangsan").await;
    let second = callback_url(&env, &b, "mail", "zhangsan").await;
    let f2 = b.get(&second).await.form().expect("the newer tab");
    let f1 = b.get(&first).await.form().expect("the older tab");
    assert!(f1.action.contains("console") && f2.action.contains("mail"));
    // The repeated callback of the older tab: the same result, no second code exchange.
    let calls = env.sim.calls("auth/getuserinfo");
    assert!(b.get(&first).await.form().is_some());
    assert_eq!(env.sim.calls("auth/getuserinfo"), calls);
    // Five starts later (signed out, so each start goes to WeCom), the oldest binding has left
    // the cookie.
    b.set_cookie(&env.base, "wecom_idp_session", "");
    let old = callback_url(&env, &b, "console", "zhangsan").await;
    let mut later = Vec::new();
    for _ in 0..4 {
        later.push(callback_url(&env, &b, "console", "zhangsan").await);
    }
    assert_eq!(b.cookie(&env.base, COOKIE).unwrap().split('.').count(), 4);
    assert_refused(&b.get(&old).await, 400, "state_foreign");
    assert!(
        b.get(&later[0]).await.form().is_some(),
        "the fourth newest still works"
    );
}
