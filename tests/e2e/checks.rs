//! What the browser tests check on every page besides the flow itself: the
//! axe-core accessibility audit (with a process-wide record of the page
//! types audited), the layout at a given width, and keyboard-only use.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};
use thirtyfour::{Key, TypingData};

use crate::browser::{Browser, NORMALIZE_JS, OrFail};

/// The WCAG 2.x A and AA rule sets axe runs.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// Page type (path pattern) → the violations found on it, for every page
/// audited in this process.
static AUDITED: Mutex<BTreeMap<String, Vec<String>>> = Mutex::new(BTreeMap::new());
/// Every audited page: its page type and its HTML, which tell the
/// templates it was rendered from (see `templates`).
static RENDERED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
/// What was already audited in this process: a page type with its heading
/// and whether a notice showed (one audit of each is enough).
static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// When set, violations are recorded for a final report instead of failing
/// the test at the first page.
static COLLECT: AtomicBool = AtomicBool::new(false);

/// axe.min.js: `AXE_JS` (set by `scripts/test`), else `node_modules/` here.
fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = std::env::var("AXE_JS")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/node_modules/axe-core/axe.min.js").into());
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("axe-core is missing at {path} ({e}): run `npm ci` (scripts/test does), or set AXE_JS")
        })
    })
}

/// `/admin/users/3f0c…/edit` → `/admin/users/{id}/edit`: the page type.
pub fn page_type(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<String> = path
        .split('/')
        .map(|s| {
            let digits = s.chars().filter(char::is_ascii_digit).count();
            if s.len() >= 16 && digits > 0 {
                "{id}".to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect();
    segments.join("/")
}

/// Reports violations instead of panicking at once (for the tour that
/// lists everything it finds).
pub fn collect_violations() {
    COLLECT.store(true, Ordering::Relaxed);
}

/// The page types audited so far in this process.
pub fn audited_page_types() -> BTreeSet<String> {
    AUDITED.lock().unwrap().keys().cloned().collect()
}

/// Page type and HTML of every page audited so far in this process.
pub fn rendered_pages() -> Vec<(String, String)> {
    RENDERED.lock().unwrap().clone()
}

/// Every violation found so far, as "page type → rule-id: selector…".
pub fn all_violations() -> Vec<String> {
    AUDITED
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(page, found)| found.iter().map(move |v| format!("{page} → {v}")))
        .collect()
}

impl Browser {
    /// Runs axe-core on the page with the WCAG 2.x A and AA tags; returns
    /// one line per violated rule: "rule-id: selector, selector (help)".
    pub async fn audit_accessibility(&self) -> Vec<String> {
        self.try_execute(&format!("{}\n;return true;", axe_source()), vec![])
            .await
            .or_fail("inject axe-core");
        let run =
            "return axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
              .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')
                                                + ' (' + v.help + ')'));";
        let found = self
            .try_execute(run, vec![json!(AXE_TAGS)])
            .await
            .or_fail("run axe-core");
        found
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Audits the page under `page_type` and records it; fails the test on
    /// a violation (unless `collect_violations`).
    pub async fn audit_as(&self, page_type: &str) {
        let found = self.audit_accessibility().await;
        let html = self.execute("return document.documentElement.outerHTML;", vec![]).await;
        RENDERED
            .lock()
            .unwrap()
            .push((page_type.to_owned(), html.as_str().unwrap_or_default().to_owned()));
        let mut audited = AUDITED.lock().unwrap();
        let entry = audited.entry(page_type.to_owned()).or_default();
        for v in &found {
            if !entry.contains(v) {
                entry.push(v.clone());
            }
        }
        drop(audited);
        if !found.is_empty() && !COLLECT.load(Ordering::Relaxed) {
            panic!(
                "axe found {} accessibility violation(s) on {page_type}:\n  {}",
                found.len(),
                found.join("\n  ")
            );
        }
    }

    /// Called whenever a test lands on a page (`goto`, `wait_for_path`,
    /// `wait_for_text`): audits each kind of page once per process.
    pub async fn check_page(&self) {
        // axe.run needs the page's own event loop: scripts must be on.
        if !self.javascript {
            return;
        }
        let Ok(seen) = self
            .try_execute(
                "if (document.readyState === 'loading') return null;
                 const h = document.querySelector('h1');
                 return [location.protocol, location.pathname, h ? h.innerText.trim() : '',
                         !!document.querySelector('.notice, [role=alert]')];",
                vec![],
            )
            .await
        else {
            return;
        };
        let Some([protocol, path, heading, notice]) = seen.as_array().map(Vec::as_slice) else {
            return;
        };
        if !protocol.as_str().unwrap_or_default().starts_with("http") {
            return;
        }
        let page = page_type(path.as_str().unwrap_or_default());
        let key = format!("{page}|{heading}|{notice}");
        if !SEEN.lock().unwrap().insert(key) {
            return;
        }
        self.audit_as(&page).await;
    }

    /// Sets the viewport to `width` × `height` CSS pixels (DevTools device
    /// metrics: a window cannot be made narrower than Chromium's minimum).
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.driver()
            .cdp()
            .emulation()
            .set_device_metrics_override(width, height, 1.0, false)
            .await
            .or_fail("set the viewport");
        let inner = self.execute("return window.innerWidth;", vec![]).await;
        assert_eq!(inner, json!(width), "the viewport is {width} px wide");
    }

    /// `(scrollWidth, clientWidth)` of the document, and the widest elements
    /// that stick out on the right, for the message when they differ.
    pub async fn horizontal_overflow(&self) -> (u64, u64, Vec<String>) {
        let v = self
            .execute(
                "const d = document.documentElement, w = d.clientWidth;
                 const wide = [...document.body.querySelectorAll('*')]
                   .filter(e => e.getBoundingClientRect().right > w + 0.5 && !e.closest('.table-scroll'))
                   .slice(0, 8)
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                             (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                             ' → ' + Math.round(e.getBoundingClientRect().right));
                 return [d.scrollWidth, w, wide];",
                vec![],
            )
            .await;
        let wide = v[2]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0), wide)
    }

    /// Fails when the page scrolls sideways at the current width.
    pub async fn assert_no_horizontal_scroll(&self, what: &str) {
        let (scroll, client, wide) = self.horizontal_overflow().await;
        assert!(
            scroll <= client,
            "{what} ({}) scrolls sideways: scrollWidth {scroll} > clientWidth {client}; too wide: {wide:?}",
            self.current_path().await
        );
    }

    /// Presses keys on whatever has the focus (WebDriver Perform Actions),
    /// then releases them all: `Key::Tab`, `Key::Enter`, `" "` for Space;
    /// the characters of a text are typed as they are.
    pub async fn press(&self, keys: impl Into<TypingData>) {
        let keyboard = self.driver().action_chain().send_keys(keys);
        keyboard.perform().await.or_fail("press keys");
        keyboard.reset_actions().await.or_fail("release the keys");
    }

    /// How a screen reader would name the focused element: a field by its
    /// label, a button or link by its text (or aria-label).
    pub async fn focused(&self) -> String {
        let script = format!(
            "{NORMALIZE_JS}
             const e = document.activeElement;
             if (!e || e === document.body) return '';
             if (e.labels && e.labels.length) return norm(e.labels[0].textContent);
             return norm(e.getAttribute('aria-label') || named(e) || e.value);"
        );
        self.execute(&script, vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Tab once, and fail unless the focus lands on `expected`.
    pub async fn tab_to(&self, expected: &str) {
        self.press(Key::Tab).await;
        let now = self.focused().await;
        assert_eq!(
            now, expected,
            "after Tab the focus is on {now:?}, expected {expected:?}"
        );
    }

    /// Types `text` into the focused element.
    pub async fn type_text(&self, text: &str) {
        self.press(text).await;
    }

    /// Presses Enter on the focused element.
    pub async fn enter(&self) {
        self.press(Key::Enter).await;
    }
}
