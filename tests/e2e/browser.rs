//! A small WebDriver client for the browser tests: it starts Debian's
//! chromedriver on a free port, opens one headless Chromium session with a
//! fresh profile, and always shuts both down again, even when a test panics
//! (a killed chromedriver would leave Chromium running, so `Drop` deletes the
//! session and asks chromedriver to `/shutdown` first).
//!
//! Elements are found the way a person finds them: inputs by the text of
//! their `<label>`, buttons and links by their visible text (or accessible
//! name). `by_testid` is a fallback for what has no visible name.

// Not every test uses every helper yet.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard};

/// The key under which WebDriver returns an element reference.
pub(crate) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long `wait_for_text` waits unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Two cores: one browser at a time in this process (and `-j 1` across
/// processes, see `scripts/test`).
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Collapses white space the way a reader sees text; used inside the page.
pub(crate) const NORMALIZE_JS: &str = "const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const pick = list => list.find(shown) || list[0] || null;
const named = e => { const c = e.cloneNode(true);
  c.querySelectorAll('[aria-hidden=true]').forEach(x => x.remove()); return norm(c.textContent); };";

/// A WebDriver element reference.
#[derive(Clone, Debug)]
pub struct Element(pub(crate) String);

impl Element {
    /// The reference WebDriver expects when the element is a script argument.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// A WebDriver error answer, or a transport failure.
#[derive(Debug)]
pub struct WdError(pub String);

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Browser {
    http: reqwest::Client,
    port: u16,
    session: Option<String>,
    driver: Child,
    profile: tempfile::TempDir,
    /// False when started by `start_without_javascript`.
    pub(crate) javascript: bool,
    /// `<test>-<n>`: the name of this browser's failure artifacts.
    artifact_name: String,
    // Declared last so that it is released after `Drop::drop` has shut the
    // browser down.
    _turn: MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn chromedriver_path() -> String {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "chromedriver not found at {path}: run `scripts/test`, which installs chromium and chromium-driver \
         (or set CHROMEDRIVER to its path)"
    );
    path
}

impl Browser {
    /// Waits for its turn, starts chromedriver and opens a headless Chromium.
    pub async fn start() -> Browser {
        Self::start_with(true).await
    }

    /// A Chromium whose pages run no script at all
    /// (`--blink-settings=scriptEnabled=false`): `<noscript>` content shows,
    /// and WebDriver's own scripts (which run through DevTools) still work.
    pub async fn start_without_javascript() -> Browser {
        Self::start_with(false).await
    }

    async fn start_with(javascript: bool) -> Browser {
        let driver_path = chromedriver_path();
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let turn = tokio::time::timeout(Duration::from_secs(20), ONE_AT_A_TIME.lock())
            .await
            .expect("another Browser is still open in this test: drop it first (one browser at a time)");
        let profile = tempfile::Builder::new()
            .prefix("vestibule-e2e-chromium-")
            .tempdir()
            .expect("a profile folder");
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let mut browser = Browser {
            http,
            port,
            session: None,
            driver,
            profile,
            javascript,
            artifact_name: artifact_name(),
            _turn: turn,
        };
        browser.wait_until_ready().await;
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", browser.profile.path().display())])
        .chain((!javascript).then(|| "--blink-settings=scriptEnabled=false".to_owned()))
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "timeouts": {"pageLoad": 30_000, "script": 10_000, "implicit": 0},
            "goog:chromeOptions": {"binary": chrome, "args": args},
        }}});
        let value = browser
            .send(reqwest::Method::POST, "/session", Some(caps))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not open a Chromium session: {e}"));
        let id = value["sessionId"].as_str().expect("a session id").to_owned();
        browser.session = Some(id);
        browser
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited at start ({status})");
            }
            if let Ok(v) = self.send(reqwest::Method::GET, "/status", None).await
                && v["ready"].as_bool() == Some(true)
            {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver was not ready within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One WebDriver request; returns the answer's `value`.
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let mut req = self.http.request(method, &url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.map_err(|e| WdError(format!("{path}: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.map_err(|e| WdError(format!("{path}: {e}")))?;
        let value = body.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() || value.get("error").is_some() {
            return Err(WdError(format!(
                "{path}: {} {}",
                value["error"].as_str().unwrap_or(status.as_str()),
                value["message"].as_str().unwrap_or("").lines().next().unwrap_or("")
            )));
        }
        Ok(value)
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_deref().expect("an open session"))
    }

    pub(crate) async fn try_cmd(
        &self,
        method: reqwest::Method,
        rest: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        self.send(method, &self.session_path(rest), body).await
    }

    pub(crate) async fn cmd(&self, method: reqwest::Method, rest: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, rest, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    /// Opens `url` and audits the page (see `check_page`).
    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
        self.check_page().await;
    }

    pub async fn current_url(&self) -> String {
        let v = self.cmd(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The current URL without scheme and host: `/signin?signed_out=1`.
    pub async fn current_path(&self) -> String {
        let url = self.current_url().await;
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].to_owned(),
            None => "/".into(),
        }
    }

    /// Saves a PNG of the window to `dir/name.png` when `dir` is given
    /// (`VESTIBULE_SCREENSHOT_DIR`, used to refresh the README's pictures).
    pub async fn screenshot_to(&self, dir: Option<&str>, name: &str) {
        let Some(dir) = dir else { return };
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            v.as_str().unwrap_or_default(),
        )
        .expect("a base64 PNG");
        std::fs::create_dir_all(dir).expect("the screenshot folder");
        std::fs::write(format!("{dir}/{name}.png"), png).expect("the screenshot is written");
    }

    /// Waits (10 s at most) until the browser is at `path`: the way to know
    /// a form post has landed when both pages share some text. Without a
    /// `?` in `path`, the query string does not matter.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.current_path().await;
            let compared = if path.contains('?') {
                now.as_str()
            } else {
                now.split('?').next().unwrap_or("")
            };
            if compared == path {
                self.check_page().await;
                return;
            }
            assert!(Instant::now() < deadline, "still at {now}, expected {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn title(&self) -> String {
        let v = self.cmd(reqwest::Method::GET, "/title", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub(crate) async fn try_execute(&self, script: &str, args: Vec<Value>) -> Result<Value, WdError> {
        self.try_cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script` in the page (arguments in `arguments[..]`).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.try_execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    async fn try_page_text(&self) -> Result<String, WdError> {
        let v = self
            .try_execute("return document.body ? document.body.innerText : '';", vec![])
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// What a reader sees on the page.
    pub async fn page_text(&self) -> String {
        self.try_page_text().await.unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    /// The text of the page's first `<h1>`, or "" without one.
    pub async fn heading(&self) -> String {
        let v = self
            .execute(
                "const h = document.querySelector('h1'); \
                 return h ? h.innerText.replace(/\\s+/g, ' ').trim() : '';",
                vec![],
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The link texts inside the `<nav>` landmark named `name`.
    pub async fn navigation_links(&self, name: &str) -> Vec<String> {
        let script = format!(
            "{NORMALIZE_JS}
             const nav = [...document.querySelectorAll('nav')]
               .find(n => norm(n.getAttribute('aria-label')) === arguments[0]);
             return nav ? [...nav.querySelectorAll('a')].map(a => norm(a.innerText)) : null;"
        );
        let v = self.execute(&script, vec![json!(name)]).await;
        let Some(links) = v.as_array() else {
            panic!("no navigation named {name:?} on the page:\n{}", self.page_text().await);
        };
        links
            .iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Runs a script that returns one element (or null) and turns it into a
    /// reference, panicking with `what` and the page text when it is null.
    pub(crate) async fn find_by_script(&self, body: &str, arg: &str, what: &str) -> Element {
        let script = format!("{NORMALIZE_JS}\n{body}");
        let v = self.execute(&script, vec![json!(arg)]).await;
        match v.get(ELEMENT_KEY).and_then(Value::as_str) {
            Some(id) => Element(id.to_owned()),
            None => panic!(
                "no {what} {arg:?} on {} (script gave {v}); the page reads:\n{}",
                self.current_url().await,
                self.page_text().await
            ),
        }
    }

    /// The input, select or textarea whose `<label>` reads exactly `label`.
    pub async fn input_labelled(&self, label: &str) -> Element {
        self.find_by_script(
            "const label = pick([...document.querySelectorAll('label')]
               .filter(l => norm(l.textContent) === arguments[0]));
             if (!label) return null;
             return label.htmlFor ? document.getElementById(label.htmlFor)
                                  : label.querySelector('input, select, textarea');",
            label,
            "field labelled",
        )
        .await
    }

    /// Chooses the option with visible text `option` in the select labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        let select = self.input_labelled(label).await;
        self.click(&select).await;
        let chosen = self
            .execute(
                "const select = arguments[0];
                 const option = [...select.options].find(o => o.textContent.trim() === arguments[1]);
                 if (!option) return false;
                 select.value = option.value;
                 select.dispatchEvent(new Event('change', { bubbles: true }));
                 return true;",
                vec![select.to_json(), serde_json::json!(option)],
            )
            .await;
        assert_eq!(
            chosen,
            serde_json::json!(true),
            "no option {option:?} in the select labelled {label:?}"
        );
    }

    /// A button (or submit input) whose visible text or accessible name is `text`.
    pub async fn button(&self, text: &str) -> Element {
        self.find_by_script(
            "return pick([...document.querySelectorAll('button, input[type=submit], input[type=button]')]
               .filter(b => [b.tagName === 'INPUT' ? b.value : b.innerText, b.getAttribute('aria-label')]
                 .some(t => norm(t) === arguments[0])));",
            text,
            "button",
        )
        .await
    }

    /// A link whose visible text or accessible name is `text`.
    pub async fn link(&self, text: &str) -> Element {
        self.find_by_script(
            "return pick([...document.querySelectorAll('a[href]')]
               .filter(a => [a.innerText, a.getAttribute('aria-label'), named(a)].some(t => norm(t) === arguments[0])));",
            text,
            "link",
        )
        .await
    }

    /// A `<summary>` (disclosure button) whose visible text or aria-label is `text`.
    pub async fn summary(&self, text: &str) -> Element {
        self.find_by_script(
            "return pick([...document.querySelectorAll('summary')]
               .filter(s => [s.innerText, s.getAttribute('aria-label'), named(s)].some(t => norm(t) === arguments[0])));",
            text,
            "disclosure",
        )
        .await
    }

    /// Fallback for things without a visible name: `[data-testid=…]`.
    pub async fn by_testid(&self, testid: &str) -> Element {
        let css = format!("[data-testid=\"{testid}\"]");
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        Element(v[ELEMENT_KEY].as_str().expect("an element reference").to_owned())
    }

    pub async fn click(&self, element: &Element) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks what `find` finds, finding it again when the page changed
    /// under it (the previous page was still being replaced).
    async fn click_found<'a, F, Fut>(&'a self, find: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Element> + 'a,
    {
        let mut attempts = 0;
        loop {
            let element = find().await;
            let clicked = self
                .try_cmd(
                    reqwest::Method::POST,
                    &format!("/element/{}/click", element.0),
                    Some(json!({})),
                )
                .await;
            match clicked {
                Ok(_) => return,
                Err(e) if attempts < 30 && (e.0.contains("stale") || e.0.contains("does not belong")) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("WebDriver: {e}"),
            }
        }
    }

    /// Clears the field labelled `label` and types `value` into it.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.input_labelled(label).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/clear", field.0),
            Some(json!({})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{}/value", field.0),
            Some(json!({ "text": value })),
        )
        .await;
    }

    pub async fn click_button(&self, text: &str) {
        self.click_found(|| self.button(text)).await;
    }

    pub async fn click_link(&self, text: &str) {
        self.click_found(|| self.link(text)).await;
    }

    /// Clicks the element with this `data-testid` (where no label exists).
    pub async fn click_testid(&self, testid: &str) {
        self.click_found(|| self.by_testid(testid)).await;
    }

    /// Ticks (or unticks) the checkbox labelled `label`.
    pub async fn click_labelled(&self, label: &str) {
        self.click_found(|| self.input_labelled(label)).await;
    }

    pub async fn click_summary(&self, text: &str) {
        let summary = self.summary(text).await;
        self.click(&summary).await;
    }

    /// Waits up to ten seconds for `text` to be on the page.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_for_text_within(text, DEFAULT_WAIT).await;
    }

    /// Polls the page text every 100 ms; panics with the page text on timeout.
    pub async fn wait_for_text_within(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            // A page that is being replaced can fail a script: try again.
            let seen = self.try_page_text().await.unwrap_or_default();
            if seen.contains(text) {
                self.check_page().await;
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{text:?} did not appear within {timeout:?} on {}; the page reads:\n{seen}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A blocking HTTP/1.1 request to chromedriver, for `Drop` (no async
/// there); returns the answer's body.
fn blocking_request(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    // chromedriver keeps the connection open despite `Connection: close`, so
    // read up to the end of the body rather than to the end of the stream.
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
        let Some(head_end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if got.len() >= head_end + 4 + length {
            return Some(got[head_end + 4..head_end + 4 + length].to_vec());
        }
    }
}

/// Where failure artifacts go: `<target>/e2e-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("target")),
    };
    target.join("e2e-artifacts")
}

/// `<test>-<n>`: the test's name (libtest names the thread after it; nextest
/// passes it as the one free argument) and the how-manieth browser it is.
fn artifact_name() -> String {
    static BROWSERS: AtomicUsize = AtomicUsize::new(0);
    let n = BROWSERS.fetch_add(1, Ordering::Relaxed) + 1;
    let thread = std::thread::current().name().unwrap_or("main").to_owned();
    let test = if thread != "main" {
        thread
    } else {
        std::env::args()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .unwrap_or_else(|| "e2e".into())
    };
    let test: String = test
        .replace("::", "-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{test}-{n}")
}

impl Browser {
    /// On a failing test: a screenshot and the page's HTML under
    /// `target/e2e-artifacts/<test>-<n>.{png,html}`, their paths printed.
    fn save_failure_artifacts(&self, session: &str) {
        let dir = artifacts_dir();
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        let base = dir.join(&self.artifact_name);
        let value = |bytes: Option<Vec<u8>>| {
            bytes
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v.get("value").and_then(Value::as_str).map(str::to_owned))
        };
        let shot = value(blocking_request(
            self.port,
            "GET",
            &format!("/session/{session}/screenshot"),
            None,
        ));
        if let Some(png) = shot.and_then(|b| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b).ok())
            && std::fs::write(base.with_extension("png"), png).is_ok()
        {
            eprintln!(
                "e2e: screenshot of the failing page: {}",
                base.with_extension("png").display()
            );
        }
        let script = json!({"script": "return document.documentElement.outerHTML;", "args": []}).to_string();
        let html = value(blocking_request(
            self.port,
            "POST",
            &format!("/session/{session}/execute/sync"),
            Some(&script),
        ));
        if let Some(html) = html
            && std::fs::write(base.with_extension("html"), html).is_ok()
        {
            eprintln!(
                "e2e: HTML of the failing page: {}",
                base.with_extension("html").display()
            );
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            if std::thread::panicking() {
                self.save_failure_artifacts(&id);
            }
            blocking_request(self.port, "DELETE", &format!("/session/{id}"), None);
        }
        // Stops chromedriver and any Chromium it still owns.
        blocking_request(self.port, "GET", "/shutdown", None);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.driver.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
