//! The load client: browsers that sign in through the simulator, then request Responses as fast as
//! the server gives them, each connection one request at a time (like `wrk`), every latency kept.

use crate::server::{Server, APP, MEMBERS, SP_ACS, SP_ENTITY};
use base64::Engine as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wecom_idp::wecom::simulator::SESSION_COOKIE as SIM_COOKIE;

/// The User-Agent of the WeCom PC client (in-client OAuth, no QR code).
const WXWORK_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) wxwork/4.1.22";

/// What one measurement saw.
#[derive(Debug, Default)]
pub struct Run {
    /// Latency of every successful request, microseconds.
    pub latencies_us: Vec<u32>,
    /// Requests that did not end in a Response.
    pub failures: u64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// Wall time of the measurement.
    pub elapsed: Duration,
    /// This load client's own CPU time during the measurement (its set-up, such as signing
    /// AuthnRequests beforehand, not counted).
    pub client_cpu: Duration,
}

/// A signed-in browser: the cookies it sends to the IdP.
#[derive(Debug, Clone)]
pub struct Browser {
    cookie: String,
}

fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1024)
        .user_agent(WXWORK_UA)
        .build()
        .map_err(|e| e.to_string())
}

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `name=value` pairs of the response's `Set-Cookie` headers.
fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|kv| kv.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
        .map(str::to_string)
        .collect()
}

fn merge(jar: &mut Vec<String>, new: Vec<String>) {
    for c in new {
        let name = c.split('=').next().unwrap_or("").to_string();
        jar.retain(|k| k.split('=').next() != Some(name.as_str()));
        jar.push(c);
    }
}

/// One whole first login of `userid` in a new browser: the mount address, WeCom's in-client OAuth
/// (the simulator), our callback. Returns the browser's cookies after it.
async fn first_login(
    http: &reqwest::Client,
    base: &str,
    userid: &str,
) -> Result<Vec<String>, String> {
    let mut jar: Vec<String> = Vec::new();
    let r = http
        .get(format!("{base}/apps/{APP}/start"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    merge(&mut jar, set_cookies(&r));
    let to_wecom = location(&r).ok_or(format!("start: {} without a redirect", r.status()))?;
    let r = http
        .get(&to_wecom)
        .header(reqwest::header::COOKIE, format!("{SIM_COOKIE}={userid}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let back = location(&r).ok_or(format!("simulator: {} without a redirect", r.status()))?;
    let r = http
        .get(&back)
        .header(reqwest::header::COOKIE, jar.join("; "))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    merge(&mut jar, set_cookies(&r));
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if status.is_success() && body.contains("name=\"SAMLResponse\"") {
        Ok(jar)
    } else {
        Err(format!(
            "callback: {status}: {}",
            body.chars().take(300).collect::<String>()
        ))
    }
}

fn userid(n: usize) -> String {
    format!("m{:04}", n % MEMBERS + 1)
}

/// `n` browsers, each signed in as a different member.
pub async fn signed_in_browsers(srv: &Server, n: usize) -> Result<Vec<Browser>, String> {
    let http = http()?;
    let mut out = Vec::new();
    for i in 0..n {
        let jar = first_login(&http, &srv.base, &userid(i)).await?;
        out.push(Browser {
            cookie: jar.join("; "),
        });
    }
    Ok(out)
}

/// Runs `conns` workers for `secs`; worker `w` calls `one(w, i)` for its `i`-th request.
async fn drive<F, Fut>(conns: usize, secs: Duration, one: F) -> Run
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let one = Arc::new(one);
    let started = Instant::now();
    let cpu = crate::server::cpu_time_of("/proc/self/stat");
    let deadline = started + secs;
    let mut set = tokio::task::JoinSet::new();
    for w in 0..conns {
        let one = one.clone();
        set.spawn(async move {
            let mut run = Run::default();
            let mut i = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                match one(w, i).await {
                    Ok(()) => run
                        .latencies_us
                        .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Err(e) => {
                        run.failures += 1;
                        run.first_failure.get_or_insert(e);
                    }
                }
                i += 1;
            }
            run
        });
    }
    let mut total = Run::default();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            total.latencies_us.extend(r.latencies_us);
            total.failures += r.failures;
            if total.first_failure.is_none() {
                total.first_failure = r.first_failure;
            }
        }
    }
    total.elapsed = started.elapsed();
    total.client_cpu = crate::server::cpu_time_of("/proc/self/stat").saturating_sub(cpu);
    total
}

async fn expect_form(r: Result<reqwest::Response, reqwest::Error>) -> Result<(), String> {
    let r = r.map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    let form = b"name=\"SAMLResponse\"";
    if status.is_success() && body.windows(form.len()).any(|w| w == form) {
        Ok(())
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        ))
    }
}

/// The mount address with a live session, as fast as it answers.
pub async fn idp_initiated(
    srv: &Server,
    browsers: &[Browser],
    secs: Duration,
) -> Result<Run, String> {
    let path = Arc::new(format!("/apps/{APP}/start"));
    Ok(drive_raw(srv, browsers, secs, move |_, _| Some(path.to_string())).await)
}

/// Runs one lean keep-alive connection per browser for `secs`; worker `w` asks for the path
/// `next(w, i)` gives for its `i`-th request (`None`: nothing left to ask) with its browser's
/// cookies, and expects the auto-posting form with a SAMLResponse.
async fn drive_raw<F>(srv: &Server, browsers: &[Browser], secs: Duration, next: F) -> Run
where
    F: Fn(usize, usize) -> Option<String> + Send + Sync + 'static,
{
    let next = Arc::new(next);
    let started = Instant::now();
    let cpu = crate::server::cpu_time_of("/proc/self/stat");
    let deadline = started + secs;
    let mut set = tokio::task::JoinSet::new();
    for (w, b) in browsers.iter().enumerate() {
        let next = next.clone();
        let cookie = format!("Cookie: {}", b.cookie);
        let ua = format!("User-Agent: {WXWORK_UA}");
        let mut conn = crate::raw::Conn::new(&srv.base);
        set.spawn(async move {
            let mut run = Run::default();
            let mut i = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                let outcome = match next(w, i) {
                    Some(path) => conn
                        .get(&path, &[&cookie, &ua])
                        .await
                        .and_then(|a| expect_raw_form(&a)),
                    None => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        Err("ran out of pre-signed requests".into())
                    }
                };
                match outcome {
                    Ok(()) => run
                        .latencies_us
                        .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Err(e) => {
                        run.failures += 1;
                        run.first_failure.get_or_insert(e);
                    }
                }
                i += 1;
            }
            run
        });
    }
    let mut total = Run::default();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            total.latencies_us.extend(r.latencies_us);
            total.failures += r.failures;
            if total.first_failure.is_none() {
                total.first_failure = r.first_failure;
            }
        }
    }
    total.elapsed = started.elapsed();
    total.client_cpu = crate::server::cpu_time_of("/proc/self/stat").saturating_sub(cpu);
    total
}

fn expect_raw_form(a: &crate::raw::Answer) -> Result<(), String> {
    if (200..300).contains(&a.status)
        && crate::raw::find(&a.body, b"name=\"SAMLResponse\"").is_some()
    {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
                .chars()
                .take(300)
                .collect::<String>()
        ))
    }
}

/// An HTTP-Redirect binding query (`SAMLRequest`, `SigAlg`, `Signature`) signed with RSA-SHA256.
fn signed_request(
    key: &openssl::pkey::PKey<openssl::pkey::Private>,
    destination: &str,
) -> Result<String, String> {
    let id = format!(
        "_load{}",
        wecom_idp::random::Rng::hex(&wecom_idp::random::OsRng, 16)
    );
    let now = wecom_idp::clock::Clock::now(&wecom_idp::clock::SystemClock)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())?;
    let xml = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" Destination=\"{destination}\" AssertionConsumerServiceURL=\"{SP_ACS}\" \
         ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">\
         <saml:Issuer>{SP_ENTITY}</saml:Issuer></samlp:AuthnRequest>"
    );
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(xml.as_bytes()).map_err(|e| e.to_string())?;
    let deflated = z.finish().map_err(|e| e.to_string())?;
    let enc = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let q = format!(
        "SAMLRequest={}&SigAlg={}",
        enc(&base64::engine::general_purpose::STANDARD.encode(deflated)),
        enc("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key)
        .map_err(|e| e.to_string())?;
    signer.update(q.as_bytes()).map_err(|e| e.to_string())?;
    let sig = signer.sign_to_vec().map_err(|e| e.to_string())?;
    Ok(format!(
        "{q}&Signature={}",
        enc(&base64::engine::general_purpose::STANDARD.encode(sig))
    ))
}

/// `n` signed requests, made on two threads before the measurement starts (our own RSA signing must
/// not compete with the server's).
fn presign(srv: &Server, n: usize) -> Result<Vec<String>, String> {
    let key = openssl::pkey::PKey::private_key_from_pem(srv.sp_key_pem.as_bytes())
        .map_err(|e| e.to_string())?;
    let dest = format!("{}/saml/sso", srv.base);
    let halves: Vec<std::thread::JoinHandle<Result<Vec<String>, String>>> = (0..2)
        .map(|h| {
            let key = key.clone();
            let dest = dest.clone();
            let count = n / 2 + (n % 2) * (1 - h);
            std::thread::spawn(move || (0..count).map(|_| signed_request(&key, &dest)).collect())
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in halves {
        out.extend(
            h.join()
                .map_err(|_| "a signing thread failed".to_string())??,
        );
    }
    Ok(out)
}

/// `GET /saml/sso` with a fresh signed AuthnRequest each time, with a live session.
pub async fn sp_initiated(
    srv: &Server,
    browsers: &[Browser],
    secs: Duration,
) -> Result<Run, String> {
    // Enough requests for the server's pace: measured with a short warm-up, then doubled.
    let http = http()?;
    let warm = presign(srv, 200)?;
    let t = Instant::now();
    for q in &warm {
        expect_form(
            http.get(format!("{}/saml/sso?{q}", srv.base))
                .header(reqwest::header::COOKIE, browsers[0].cookie.clone())
                .send()
                .await,
        )
        .await?;
    }
    let rate = warm.len() as f64 / t.elapsed().as_secs_f64().max(0.001);
    let n = ((rate * browsers.len().min(2) as f64 * secs.as_secs_f64() * 2.0) as usize).max(1000);
    eprintln!("   signing {n} AuthnRequests first");
    let queue = Arc::new(std::sync::Mutex::new(presign(srv, n)?));
    Ok(drive_raw(srv, browsers, secs, move |_, _| {
        let q = match queue.lock() {
            Ok(mut g) => g.pop(),
            Err(_) => None,
        };
        q.map(|q| format!("/saml/sso?{q}"))
    })
    .await)
}

/// A new browser for every login: mount address → simulator → callback → Response.
pub async fn first_logins(srv: &Server, conns: usize, secs: Duration) -> Result<Run, String> {
    let http = http()?;
    let base = Arc::new(srv.base.clone());
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Ok(drive(conns, secs, move |_, _| {
        let http = http.clone();
        let base = base.clone();
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move { first_login(&http, &base, &userid(n)).await.map(|_| ()) }
    })
    .await)
}

/// Mixed load for `secs`: two connections of IdP-initiated, one of first logins.
pub async fn soak(srv: &Server, browsers: &[Browser], secs: Duration) -> Result<(), String> {
    let a = idp_initiated(srv, &browsers[..browsers.len().min(2)], secs);
    let b = first_logins(srv, 1, secs);
    let (a, b) = tokio::join!(a, b);
    let (a, b) = (a?, b?);
    eprintln!(
        "   soak: {} Responses, {} first logins, {} failures",
        a.latencies_us.len(),
        b.latencies_us.len(),
        a.failures + b.failures
    );
    Ok(())
}
