//! OIDC console presets (`app add NAME --oidc --preset P`): the command prints the client and the
//! next steps with the issuer, the JWKS URL and the client ID filled in; the client it makes gets
//! RS256 ID tokens carrying the claims the cloud's rules read (`iss`, `aud`, `sub`,
//! `preferred_username`, `groups`), verified against the published RSA key; an unknown preset names
//! the ones there are.

use crate::cli::{base_env, run, text};
use crate::harness::{Env, WXWORK_UA};
use crate::oidc::{code_for, token, RP, VERIFIER};
use wecom_idp::admin::apps::Ctx as AdminCtx;
use wecom_idp::admin::oidc_clients::{self, NewOidcClient};
use wecom_idp::admin::Actor;
use wecom_idp::clock::Clock;
use wecom_idp::oidc::jwt::{self, JwsAlg, TokenType};
use wecom_idp::random::OsRng;

#[test]
fn the_command_prints_the_next_steps_of_each_preset() {
    for (preset, first_step) in [
        ("tencent-cam-oidc", "Role-based SSO"),
        ("huawei-iam-oidc", "programmatic access"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let env = base_env(dir.path());
        let o = run(
            &[
                "app",
                "add",
                "cloud",
                "--oidc",
                "--preset",
                preset,
                "--redirect-uri",
                "https://app.example.com/cb",
            ],
            &env,
        );
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        let line = |k: &str| {
            t.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        assert_eq!(line("id_token alg:"), "RS256", "{t}");
        assert_eq!(line("scopes:"), "openid profile groups", "{t}");
        assert!(t.contains(&format!("next steps ({preset}):")), "{t}");
        assert!(t.contains(first_step), "{t}");
        assert!(t.contains("https://idp.example.com/oidc/jwks"), "{t}");
        let id = t
            .lines()
            .find_map(|l| l.strip_prefix("client_id:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no client_id: {t}"));
        assert!(t.contains(&format!("Client ID: {id}")), "{t}");
    }
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "app",
            "add",
            "x",
            "--oidc",
            "--preset",
            "huawei",
            "--redirect-uri",
            "https://app.example.com/cb",
        ],
        &base_env(dir.path()),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("tencent-cam-oidc"), "{}", text(&o));
}

async fn a_preset_clients_id_token_carries_what_the_cloud_reads(env: Env) {
    for preset in ["tencent-cam-oidc", "huawei-iam-oidc"] {
        let p = wecom_idp::providers::oidc::find(preset).unwrap();
        let ctx = AdminCtx {
            store: &env.state.store,
            now: env.clock.now(),
            actor: &Actor::Shell,
            ip: None,
            fetch: Default::default(),
        };
        let new = NewOidcClient {
            name: preset.into(),
            redirect_uris: vec![RP.into()],
            settings: p.with(&[("role".into(), "viewer".into())]),
        };
        let made = oidc_clients::create(&ctx, &OsRng, &new).await.unwrap();
        let client = made.client;
        let b = env.browser(WXWORK_UA);
        let code = code_for(&env, &b, &client, "zhangsan").await;
        let (status, t, _) = token(
            &env,
            Some((client.client_id.as_str(), made.secret.as_deref().unwrap())),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
        assert_eq!(status, 200, "{t}");
        let ring = env.state.keys();
        let v = jwt::verify(&ring.jose, t["id_token"].as_str().unwrap(), TokenType::Jwt).unwrap();
        assert_eq!(v.alg, JwsAlg::Rs256, "{preset}");
        let c = v.claims;
        assert_eq!(c["iss"], env.base.as_str());
        assert_eq!(c["aud"], client.client_id.as_str());
        assert_eq!(c["sub"], "zhangsan");
        assert_eq!(c["preferred_username"], "zhangsan");
        assert_eq!(
            c["groups"],
            serde_json::json!(["viewer"]),
            "{preset}: {c:?}"
        );
        assert!(
            c.get("email").is_none(),
            "email is not in the preset's scopes"
        );
    }
}
crate::both_dbs!(
    preset_tokens,
    a_preset_clients_id_token_carries_what_the_cloud_reads
);
