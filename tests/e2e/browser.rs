//! The browser of the browser tests: Debian's chromedriver on a free port and
//! one headless Chromium session with a fresh profile, driven through
//! `thirtyfour`, and always shut down again, even when a test panics (then
//! with a screenshot and the HTML of the failing page first).
//!
//! Elements are found the way a person finds them: inputs by the text of
//! their `<label>`, buttons and links by their visible text (or accessible
//! name). `by_testid` is a fallback for what has no visible name.

// Not every test uses every helper yet.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thirtyfour::error::{WebDriverErrorInner, WebDriverResult};
use thirtyfour::prelude::*;
use tokio::sync::{Mutex, MutexGuard};

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

/// Chromium's flags on these machines: headless, no sandbox (root in a
/// container), and nothing that reaches out to the network on its own.
const CHROMIUM_ARGS: [&str; 10] = [
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
];

/// A failed WebDriver command fails the test, saying what was being done
/// (without chromedriver's stack trace).
pub(crate) trait OrFail<T> {
    fn or_fail(self, doing: &str) -> T;
}

impl<T> OrFail<T> for WebDriverResult<T> {
    #[track_caller]
    fn or_fail(self, doing: &str) -> T {
        match self {
            Ok(value) => value,
            Err(e) => panic!("WebDriver could not {doing}: {}", without_stacktrace(&e)),
        }
    }
}

fn without_stacktrace(e: &WebDriverError) -> String {
    let text = e.to_string();
    text.split("Stacktrace:")
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

pub struct Browser {
    /// The WebDriver session; `None` once `Drop` has ended it.
    driver: Option<WebDriver>,
    chromedriver: Child,
    /// `http://127.0.0.1:<port>`, where `chromedriver` listens.
    chromedriver_url: String,
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

/// The HTTP client for chromedriver. It opens a connection per command
/// instead of keeping one: a kept connection is served by the runtime that
/// opened it, and `Drop` ends the session from a runtime of its own.
fn chromedriver_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client")
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
        let chromedriver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
        // From here on, `Drop` stops chromedriver whatever happens.
        let mut browser = Browser {
            driver: None,
            chromedriver,
            chromedriver_url: format!("http://127.0.0.1:{port}"),
            profile,
            javascript,
            artifact_name: artifact_name(),
            _turn: turn,
        };
        browser.wait_until_ready().await;

        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chrome).or_fail("set the Chromium binary");
        let profile_arg = format!("--user-data-dir={}", browser.profile.path().display());
        let no_script = (!javascript).then_some("--blink-settings=scriptEnabled=false");
        for arg in CHROMIUM_ARGS.into_iter().chain([profile_arg.as_str()]).chain(no_script) {
            caps.add_arg(arg).or_fail("add a Chromium flag");
        }
        let driver = WebDriver::builder(&browser.chromedriver_url, caps)
            .client(chromedriver_client())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not open a Chromium session: {}",
                    without_stacktrace(&e)
                )
            });
        // thirtyfour sets its own timeouts once the session is open (60 s
        // for scripts and page loads): these are the suite's.
        let driver = browser.driver.insert(driver);
        driver
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .or_fail("set the timeouts");
        browser
    }

    async fn wait_until_ready(&mut self) {
        let http = chromedriver_client();
        let status = format!("{}/status", self.chromedriver_url);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(exit)) = self.chromedriver.try_wait() {
                panic!("chromedriver exited at start ({exit})");
            }
            if let Ok(res) = http.get(&status).send().await
                && let Ok(body) = res.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver was not ready within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WebDriver session, for what these helpers do not cover.
    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("an open session")
    }

    /// Opens `url` and audits the page (see `check_page`).
    pub async fn goto(&self, url: &str) {
        self.driver().goto(url).await.or_fail("open the page");
        self.check_page().await;
    }

    pub async fn current_url(&self) -> String {
        self.driver().current_url().await.or_fail("read the URL").into()
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
        let png = self.driver().screenshot_as_png().await.or_fail("take a screenshot");
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
        self.driver().title().await.or_fail("read the title")
    }

    /// Runs `script` in the page (arguments in `arguments[..]`); returns
    /// what it returns, or the error when it fails.
    pub(crate) async fn try_execute(&self, script: &str, args: Vec<Value>) -> WebDriverResult<Value> {
        let returned = self.driver().execute(script, args).await?;
        Ok(returned.json().clone())
    }

    /// Runs `script` in the page (arguments in `arguments[..]`).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.try_execute(script, args).await.or_fail("run a script")
    }

    async fn try_page_text(&self) -> WebDriverResult<String> {
        let v = self
            .try_execute("return document.body ? document.body.innerText : '';", vec![])
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// What a reader sees on the page.
    pub async fn page_text(&self) -> String {
        self.try_page_text().await.or_fail("read the page text")
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

    /// Runs a script that returns one element (or null), panicking with
    /// `what` and the page text when it is null.
    pub(crate) async fn find_by_script(&self, body: &str, arg: &str, what: &str) -> WebElement {
        let script = format!("{NORMALIZE_JS}\n{body}");
        let found = self
            .driver()
            .execute(script, vec![json!(arg)])
            .await
            .or_fail("run a finder script");
        if found.json().is_null() {
            panic!(
                "no {what} {arg:?} on {}; the page reads:\n{}",
                self.current_url().await,
                self.page_text().await
            );
        }
        found.element().or_fail("read the element the script found")
    }

    /// The input, select or textarea whose `<label>` reads exactly `label`.
    pub async fn input_labelled(&self, label: &str) -> WebElement {
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
                vec![select.to_json().or_fail("pass the select to a script"), json!(option)],
            )
            .await;
        assert_eq!(
            chosen,
            json!(true),
            "no option {option:?} in the select labelled {label:?}"
        );
    }

    /// A button (or submit input) whose visible text or accessible name is `text`.
    pub async fn button(&self, text: &str) -> WebElement {
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
    pub async fn link(&self, text: &str) -> WebElement {
        self.find_by_script(
            "return pick([...document.querySelectorAll('a[href]')]
               .filter(a => [a.innerText, a.getAttribute('aria-label'), named(a)].some(t => norm(t) === arguments[0])));",
            text,
            "link",
        )
        .await
    }

    /// A `<summary>` (disclosure button) whose visible text or aria-label is `text`.
    pub async fn summary(&self, text: &str) -> WebElement {
        self.find_by_script(
            "return pick([...document.querySelectorAll('summary')]
               .filter(s => [s.innerText, s.getAttribute('aria-label'), named(s)].some(t => norm(t) === arguments[0])));",
            text,
            "disclosure",
        )
        .await
    }

    /// Fallback for things without a visible name: `[data-testid=…]`.
    pub async fn by_testid(&self, testid: &str) -> WebElement {
        self.driver()
            .find(By::Testid(testid))
            .await
            .or_fail(&format!("find [data-testid={testid}]"))
    }

    pub async fn click(&self, element: &WebElement) {
        element.click().await.or_fail("click");
    }

    /// Clicks what `find` finds, finding it again when the page changed
    /// under it (the previous page was still being replaced).
    async fn click_found<'a, F, Fut>(&'a self, find: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = WebElement> + 'a,
    {
        let mut attempts = 0;
        loop {
            let clicked = find().await.click().await;
            match clicked {
                Ok(()) => return,
                Err(e) if attempts < 30 && page_was_replaced(&e) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("WebDriver could not click: {}", without_stacktrace(&e)),
            }
        }
    }

    /// Clears the field labelled `label` and types `value` into it.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.input_labelled(label).await;
        field.clear().await.or_fail("clear the field");
        field.send_keys(value).await.or_fail("type into the field");
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

/// An element from the page that was being replaced when it was found.
fn page_was_replaced(e: &WebDriverError) -> bool {
    matches!(e.as_inner(), WebDriverErrorInner::StaleElementReference(_)) || e.to_string().contains("does not belong")
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

/// On a failing test: a screenshot and the page's HTML under
/// `target/e2e-artifacts/<test>-<n>.{png,html}`, their paths printed.
/// Never panics: it runs while the test's panic unwinds.
async fn save_failure_artifacts(driver: &WebDriver, name: &str) {
    let dir = artifacts_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let base = dir.join(name);
    if let Ok(png) = driver.screenshot_as_png().await
        && std::fs::write(base.with_extension("png"), png).is_ok()
    {
        eprintln!(
            "e2e: screenshot of the failing page: {}",
            base.with_extension("png").display()
        );
    }
    if let Ok(html) = driver.source().await
        && std::fs::write(base.with_extension("html"), html).is_ok()
    {
        eprintln!(
            "e2e: HTML of the failing page: {}",
            base.with_extension("html").display()
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let failing = std::thread::panicking();
        let driver = self.driver.take();
        let shutdown = format!("{}/shutdown", self.chromedriver_url);
        let artifact_name = &self.artifact_name;
        let end_session = async move {
            if let Some(driver) = driver {
                if failing {
                    save_failure_artifacts(&driver, artifact_name).await;
                }
                let _ = driver.quit().await;
            }
            // Stops chromedriver and any Chromium it still owns.
            let _ = chromedriver_client().get(shutdown).send().await;
        };
        // `drop` cannot await, and may run while the test's runtime unwinds:
        // the session ends on a thread with a runtime of its own. Joined
        // here, a panic there is not raised again: chromedriver must still
        // be stopped below.
        std::thread::scope(|scope| {
            let ending = scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime to end the session");
                runtime.block_on(async { tokio::time::timeout(Duration::from_secs(30), end_session).await })
            });
            let _ = ending.join();
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.chromedriver.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}
