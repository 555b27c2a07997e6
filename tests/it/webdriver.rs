//! The real-browser tests' handle on Chromium: starts `chromedriver` on a free loopback port and
//! opens headless Debian Chromium sessions through `fantoccini` (a maintained W3C WebDriver client).
//! This file keeps the small vocabulary the tests are written in (navigate, find by CSS, click,
//! type, read, screenshot, wait), each a few lines over the crate, with the waits a loaded CI
//! machine needs.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long an element or a URL may take to appear (a loaded CI machine is slow).
const PATIENCE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// Where chromedriver and chromium live on Debian (`apt-get install chromium chromium-driver`).
pub fn available() -> Option<(String, String)> {
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chrome = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    (Path::new(&driver).exists() && Path::new(&chrome).exists()).then_some((driver, chrome))
}

/// A running chromedriver; killed and reaped on drop.
pub struct Driver {
    child: Child,
    base: String,
}

/// One browser session.
pub struct Session {
    client: Client,
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
        // Owned by the Driver at once, so its Drop kills and reaps the process on every path.
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return d;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("chromedriver did not come up on port {port}");
    }

    /// A new headless Chromium session asking for pages in `lang` (1280×1000).
    pub async fn session(&self, chrome: &str, lang: &str) -> Session {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000",
                         format!("--lang={lang}")],
                "prefs": {"intl.accept_languages": lang}
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        // chromedriver answers its port before it takes sessions: retry a moment.
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&self.base)
                .await
            {
                Ok(client) => return Session { client },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("no WebDriver session: {last:?}");
    }
}

impl Session {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The first element matching `css`, waiting up to 30 s for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => panic!(
                "no element `{css}` ({e}) on {}:\n{}",
                self.current_url().await,
                self.source().await
            ),
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    /// Empties an input or textarea.
    pub async fn clear(&self, css: &str) {
        self.find(css).await.clear().await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// The rendered size (width, height in CSS pixels) of the first element matching `css`.
    pub async fn size(&self, css: &str) -> (f64, f64) {
        let (_, _, w, h) = self.find(css).await.rectangle().await.unwrap();
        (w, h)
    }

    /// How many lines the text of the first element matching `css` is laid out on (a cell's
    /// height is its row's, so this counts the line boxes of its content instead).
    pub async fn lines(&self, css: &str) -> usize {
        self.find(css).await;
        let script = "const r = document.createRange(); \
            r.selectNodeContents(document.querySelector(arguments[0])); \
            return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size;";
        let v = self.client.execute(script, vec![json!(css)]).await.unwrap();
        v.as_u64().unwrap_or(0) as usize
    }

    /// Runs `script` in the page with `args` and returns its result.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.unwrap()
    }

    /// The DOM property `name` (a textarea's `value`, which is no attribute).
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.prop(name).await.unwrap()
    }

    /// Waits (30 s) until the attribute `name` of the element `css` is set, and returns it (for
    /// effects of scripts that finish later, like a clipboard write).
    pub async fn wait_attr(&self, css: &str, name: &str) -> Option<String> {
        for _ in 0..300 {
            if let Some(v) = self.attr(css, name).await {
                return Some(v);
            }
            tokio::time::sleep(POLL).await;
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
            tokio::time::sleep(POLL).await;
        }
        panic!("URL never matched; at {}", self.current_url().await);
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    pub async fn quit(self) {
        let _ = self.client.close().await;
    }
}
