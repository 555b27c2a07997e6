//! `wecom-idp demo`: the whole product on one machine, loopback only. SQLite in a local folder, a
//! generated key (sealed under a master key kept in the data folder), the WeCom simulator (with
//! Chinese and English names, one disabled member, one who has left and one outside the app's
//! visible range) on its own port, two demo SPs whose ACS verifies and shows the assertion, a
//! workbench page to start from (with every app, also those added in the console), and a sample
//! SP's metadata to import by URL.

use super::{CliError, DemoArgs};
use crate::apps::{App, AppName, AppSettings, NameIdFormat};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::http::demo::{sp_acs_url, sp_entity_id, Demo};
use crate::random::{OsRng, Rng};
use crate::saml::sp_metadata::{AcsEndpoint, SpMetadata};
use crate::saml::uris::binding;
use crate::wecom::event_crypto::{AesKey, CallbackToken};
use crate::wecom::simulator::{demo_departments, demo_members, demo_tags, Member, Simulator};
use std::net::SocketAddr;
use std::sync::Arc;

const CORP_ID: &str = "wwdemo0000000000001";
const AGENT_ID: &str = "1000002";
/// The demo member who is an admin of the console.
pub const DEMO_ADMIN: &str = "zhangsan";

/// Refuses anything but a loopback address.
pub fn loopback_only(listen: &str) -> Result<SocketAddr, CliError> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        CliError(format!(
            "--listen `{listen}` is not an address like 127.0.0.1:8080"
        ))
    })?;
    if !addr.ip().is_loopback() {
        return Err(CliError(format!(
            "--listen {addr}: the demo only listens on loopback (127.0.0.1 or ::1); it has a \
             simulated WeCom and must never be reachable from other machines"
        )));
    }
    Ok(addr)
}

/// Runs the demo until Ctrl-C.
pub async fn run(args: &DemoArgs) -> Result<(), CliError> {
    let addr = loopback_only(&args.listen)?;
    std::fs::create_dir_all(&args.data)
        .map_err(|e| CliError(format!("cannot create {}: {e}", args.data.display())))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rng: Arc<dyn Rng> = Arc::new(OsRng);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        CliError(format!(
            "cannot listen on {addr}: {e} (try --listen 127.0.0.1:PORT)"
        ))
    })?;
    let addr = listener.local_addr().map_err(|e| CliError(e.to_string()))?;
    let members = members();
    let wecom = start_simulator(addr, &members, &clock, &rng).await?;
    let sim_base = wecom.base.clone();
    let base = format!("http://{addr}");
    let simulator = wecom.sim.clone();
    let callback = demo_callback(rng.as_ref())?;
    simulator.set_event_target(
        format!("{base}/wecom/events"),
        callback.0.clone(),
        callback.1.clone(),
    );
    let config = demo_config(args, addr, wecom, rng.as_ref(), &callback)?;
    let apps = vec!["demo-sp".to_string(), "demo-sp-persistent".to_string()];
    let demo = Demo {
        sim_base: sim_base.clone(),
        members: members
            .into_iter()
            .map(|m| (m.userid, m.name, m.status))
            .collect(),
        apps: apps.clone(),
        simulator: Some(simulator),
    };
    let state = crate::build_state(config, clock.clone(), rng, Some(Arc::new(demo))).await?;
    for name in &apps {
        register_demo_sp(&state, name, &base, clock.unix()).await?;
    }
    // The demo's admin: 张三 signs in to the console through the simulator like any admin would.
    state
        .store
        .add_admin(DEMO_ADMIN, "demo", clock.unix())
        .await?;
    println!();
    println!("  wecom-idp demo is running.");
    println!("  Open  {base}/demo   (the WeCom workbench stand-in; pick a member and an app)");
    println!("  IdP metadata  {base}/saml/metadata");
    println!("  WeCom simulator  {sim_base}/sim");
    println!("  Admin console  {base}/admin   (sign in as 张三 / {DEMO_ADMIN})");
    println!("  Data in {}   ·   Ctrl-C to stop", args.data.display());
    println!();
    crate::run(state, listener, super::shutdown_signal()).await?;
    Ok(())
}

/// The simulated WeCom the demo talks to: its address and the app's secret.
struct SimulatedWecom {
    base: String,
    secret: String,
    sim: Simulator,
}

/// The demo's event callback Token and EncodingAESKey (fresh each run; the simulator is told
/// them as the admin would type them in WeCom's console): (Token, key, their text).
type Callback = (CallbackToken, AesKey, String, String);

fn demo_callback(rng: &dyn Rng) -> Result<Callback, CliError> {
    let token_text = rng.hex(12);
    let key_text: String = rng.hex(22).chars().take(43).collect();
    let token = CallbackToken::parse(&token_text).map_err(|e| CliError(e.into()))?;
    let key = AesKey::parse(&key_text).map_err(|e| CliError(e.into()))?;
    Ok((token, key, token_text, key_text))
}

/// Starts the WeCom simulator with the demo's members, departments and tags, and the demo's
/// address as the app's trusted domain.
async fn start_simulator(
    addr: SocketAddr,
    members: &[Member],
    clock: &Arc<dyn Clock>,
    rng: &Arc<dyn Rng>,
) -> Result<SimulatedWecom, CliError> {
    let secret = rng.hex(16);
    let sim = Simulator::new(
        CORP_ID,
        AGENT_ID,
        secret.clone(),
        members.to_vec(),
        demo_departments(),
        clock.clone(),
        rng.clone(),
    );
    sim.set_tags(demo_tags());
    sim.set_trusted_domain(Some(addr.to_string()));
    let sim_addr = sim
        .start()
        .await
        .map_err(|e| CliError(format!("WeCom simulator: {e}")))?;
    Ok(SimulatedWecom {
        base: format!("http://{sim_addr}"),
        secret,
        sim,
    })
}

/// The demo's configuration: loopback, SQLite in the data folder, the simulated WeCom.
fn demo_config(
    args: &DemoArgs,
    addr: SocketAddr,
    wecom: SimulatedWecom,
    rng: &dyn Rng,
    callback: &Callback,
) -> Result<Config, CliError> {
    let mut config = Config {
        public_url: format!("http://{addr}"),
        listen: addr.to_string(),
        database_url: format!("sqlite://{}", args.data.join("wecom-idp.sqlite").display()),
        ..Config::default()
    };
    config.master_key = Some(demo_master_key(&args.data, rng)?);
    config.wecom.corp_id = CORP_ID.into();
    config.wecom.agent_id = AGENT_ID.into();
    config.wecom.secret = wecom.secret;
    config.wecom.api_base = wecom.base.clone();
    config.wecom.oauth_base = wecom.base.clone();
    config.wecom.web_login_base = wecom.base;
    config.wecom.callback_token = callback.2.clone();
    config.wecom.callback_aes_key = callback.3.clone();
    // The demo serves a sample SP's metadata on loopback for the console's import by URL; the demo
    // itself listens on loopback only, so there is no internal network to protect here.
    config.admin.allow_private_metadata_urls = true;
    config.validate()?;
    Ok(config)
}

/// The demo's members: the simulator's, and one outside the app's visible range (WeCom answers
/// 50002 for them; the IdP refuses with "not in this app's visible range").
fn members() -> Vec<Member> {
    let mut all = demo_members();
    all.push(Member {
        department: vec![4],
        position: Some("外包 Contractor".to_owned()),
        outside_visible_range: true,
        ..Member::new(OUTSIDER, "周八（不在可见范围 outside visible range）")
    });
    all
}

/// The demo member outside the app's visible range.
pub const OUTSIDER: &str = "zhouba";

/// The demo's master key: `master.key` in the data folder (mode 0600), made at the first run.
fn demo_master_key(
    data: &std::path::Path,
    rng: &dyn Rng,
) -> Result<crate::secrets::MasterKey, CliError> {
    let path = data.join("master.key");
    if path.exists() {
        return crate::secrets::read_key_file(&path).map_err(CliError);
    }
    let key = crate::secrets::MasterKey::generate(rng);
    crate::secrets::write_key_file(&path, &key)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

/// Registers (or refreshes, as the port may change between runs) a demo SP.
async fn register_demo_sp(
    state: &crate::AppState,
    name: &str,
    base: &str,
    now: i64,
) -> Result<(), CliError> {
    let mut settings = AppSettings::default();
    settings.apply_all([
        "attributes=userid,name,email,mobile,department_names=departments,position",
        "relay_state=welcome",
    ])?;
    if name.ends_with("persistent") {
        settings.name_id_format = NameIdFormat::Persistent;
        settings.sign_response = false;
    }
    let app = App {
        name: AppName::parse(name)?,
        metadata: SpMetadata {
            entity_id: sp_entity_id(base, name),
            acs: vec![AcsEndpoint {
                binding: binding::HTTP_POST.into(),
                location: sp_acs_url(base, name),
                index: Some(0),
                is_default: Some(true),
            }],
            signing_certs: Vec::new(),
            encryption_certs: Vec::new(),
            authn_requests_signed: false,
            want_assertions_signed: true,
            name_id_formats: Vec::new(),
            valid_until: None,
            slo: Vec::new(),
        },
        settings,
        metadata_xml: None,
        created_at: now,
        updated_at: now,
    };
    let row = app.to_row()?;
    if state.store.app(name).await?.is_some() {
        state.store.update_app(&row).await?;
    } else {
        state.store.insert_app(&row).await?;
    }
    Ok(())
}
