//! A real browser for the dashboard's tests: Debian's `chromium`, headless, driven over WebDriver
//! by its `chromedriver`, one of each per test and gone when the test ends. Nothing is downloaded:
//! both must be installed (`apt-get install chromium chromium-driver`), and a test fails, saying
//! so, when they are not. Screenshots go to `$MITAN_SCREENSHOTS` (default
//! `target/screenshots`).

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::{assert_no_number_in, TestApp};

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// Browsers are started one at a time: two cores cannot run many, and a test that waits for a
/// live update must not be starved by another browser's start.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A headless Chromium at a laptop's size (1366×768), pointed at `app`.
pub struct Chrome {
    client: Option<Client>,
    driver: Child,
    base: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

fn program(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_string())
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Where screenshots are kept.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("MITAN_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
        PathBuf::from,
    )
}

impl Chrome {
    pub async fn open(app: &TestApp) -> Chrome {
        Self::sized(app, 1366, 768).await
    }

    /// A browser with a window of `width`×`height` (a phone: 390×844).
    pub async fn sized(app: &TestApp, width: u32, height: u32) -> Chrome {
        Self::at(&app.address, width, height).await
    }

    /// A browser pointed at the service at `origin` (`http://127.0.0.1:PORT`).
    pub async fn at(origin: &str, width: u32, height: u32) -> Chrome {
        let turn = ONE_AT_A_TIME.lock().await;
        let chromium = program("MITAN_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = program("MITAN_CHROMEDRIVER", "chromedriver");
        assert!(
            installed(&chromium) && installed(&chromedriver),
            "the browser tests need Chromium and its driver ({chromium}, {chromedriver}): \
             apt-get install chromium chromium-driver (or set MITAN_CHROMIUM / MITAN_CHROMEDRIVER)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, so that the browsers it starts end with it.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-extensions", "--no-first-run",
                    "--disable-sync", "--disable-component-update", "--lang=en-GB",
                    format!("--window-size={width},{height}"),
                ],
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        // chromedriver listens a moment after it starts: ask until it answers.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let client = loop {
            match builder.connect(&webdriver).await {
                Ok(client) => break client,
                Err(err) if tokio::time::Instant::now() < deadline => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("chromedriver at {webdriver} gave no session: {err}"),
            }
        };
        Chrome {
            client: Some(client),
            driver,
            base: origin.to_string(),
            _turn: turn,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open browser")
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client().goto(&url).await.expect("open a page");
    }

    /// The element `css` finds, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.client()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no element {css}: {err}"))
    }

    /// Types `text` into the field `css` (after what it holds).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .expect("type into a field");
    }

    /// Empties the field `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type into a field");
    }

    /// Chooses the option with `value` of the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|err| panic!("{css} has no option {value}: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// The visible text of the element `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("read an element")
    }

    /// Waits until the element `css` shows `expected` (as it changes by itself, without a
    /// reload), and fails the test naming what it showed instead.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut seen = String::new();
        while tokio::time::Instant::now() < deadline {
            if let Ok(element) = self.client().find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if text.trim() == expected {
                        return;
                    }
                    seen = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} showed {seen:?}, never {expected:?}");
    }

    /// The page's address, without the app's origin.
    pub async fn path(&self) -> String {
        let url = self.client().current_url().await.expect("the address");
        url.path().to_string()
    }

    /// The page as the browser holds it now (scripts run), scanned for numbers.
    pub async fn source(&self) -> String {
        let source = self.client().source().await.expect("the page source");
        let path = self.path().await;
        assert_no_number_in(&source, &format!("the page {path} in the browser"));
        source
    }

    /// Runs `script` in the page and gives back what it returns.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client()
            .execute(script, vec![])
            .await
            .expect("run a script in the page")
    }

    /// Keeps a screenshot of the page as `<name>.png`, and checks the page for numbers.
    pub async fn screenshot(&self, name: &str) {
        self.source().await;
        let png = self.client().screenshot().await.expect("a screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("keep a screenshot");
    }

    /// Signs in on the login form, as a person would.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/admin/login").await;
        self.fill("input[name=username]", username).await;
        self.fill("input[name=password]", password).await;
        self.click("form button[type=submit]").await;
        self.find("header.top nav").await;
    }

    /// Ends the WebDriver session and the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // The driver's whole group: chromedriver and every browser process it started.
        // `-s KILL --` so that `kill` can never read the negative group id as an option (a
        // group such as -12345 read as `-1` would signal every process).
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
