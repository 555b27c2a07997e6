//! A minimal W3C WebDriver client over reqwest, for the real-browser test: starts `chromedriver` on a
//! free loopback port, opens a headless Debian Chromium session, and offers the few commands the test
//! needs (navigate, find, click, type, read, screenshot). No crate beyond what the
//! project already has.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where chromedriver and chromium live on Debian (`apt-get install chromium chromium-driver`).
pub fn available() -> Option<(String, String)> {
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chrome = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    (Path::new(&driver).exists() && Path::new(&chrome).exists()).then_some((driver, chrome))
}

pub struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
}

pub struct Session {
    http: reqwest::Client,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    pub async fn start(driver: &str) -> Driver {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver}: {e}"));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        // Owned by the Driver at once, so its Drop kills and reaps the process on every path.
        let d = Driver { child, http, base };
        for _ in 0..300 {
            if let Ok(r) = d.http.get(format!("{}/status", d.base)).send().await {
                if r.status().is_success() {
                    return d;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not come up on port {port}");
    }

    /// A new headless Chromium session (English UI, 1280×1000).
    pub async fn session(&self, chrome: &str, lang: &str) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000",
                         format!("--lang={lang}")],
                "prefs": {"intl.accept_languages": lang}
            }
        }}});
        let r: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Session {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.base),
        }
    }
}

impl Session {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = r["value"]["error"].as_str() {
            panic!("WebDriver {path}: {err}: {}", r["value"]["message"]);
        }
        r["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.get("/source")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching `css`, waiting up to 30 s for it (a loaded CI machine is slow) to appear.
    pub async fn find(&self, css: &str) -> String {
        for _ in 0..300 {
            let r: Value = self
                .http
                .post(format!("{}/element", self.url))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = r["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no element `{css}` on {}:\n{}",
            self.current_url().await,
            self.source().await
        );
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }

    /// Empties an input or textarea.
    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/clear"), json!({})).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The rendered size (width, height in CSS pixels) of the first element matching `css`.
    pub async fn size(&self, css: &str) -> (f64, f64) {
        let el = self.find(css).await;
        let r = self.get(&format!("/element/{el}/rect")).await;
        (
            r["width"].as_f64().unwrap_or_default(),
            r["height"].as_f64().unwrap_or_default(),
        )
    }

    /// How many lines the text of the first element matching `css` is laid out on (a cell's
    /// height is its row's, so this counts the line boxes of its content instead).
    pub async fn lines(&self, css: &str) -> usize {
        self.find(css).await;
        let script = "const r = document.createRange(); \
            r.selectNodeContents(document.querySelector(arguments[0])); \
            return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size;";
        let v = self
            .post("/execute/sync", json!({ "script": script, "args": [css] }))
            .await;
        v.as_u64().unwrap_or(0) as usize
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/attribute/{name}"))
            .await
            .as_str()
            .map(str::to_string)
    }

    /// The DOM property `name` (a textarea's `value`, which is no attribute).
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/property/{name}"))
            .await
            .as_str()
            .map(str::to_string)
    }

    /// Waits (30 s) until the attribute `name` of the element `css` is set, and returns it (for
    /// effects of scripts that finish later, like a clipboard write).
    pub async fn wait_attr(&self, css: &str, name: &str) -> Option<String> {
        for _ in 0..300 {
            if let Some(v) = self.attr(css, name).await {
                return Some(v);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// Waits until the current URL satisfies `pred` (30 s).
    pub async fn wait_url(&self, pred: impl Fn(&str) -> bool) -> String {
        for _ in 0..300 {
            let u = self.current_url().await;
            if pred(&u) {
                return u;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("URL never matched; at {}", self.current_url().await);
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let b64 = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}
