//! Several `vestibule` processes on one PostgreSQL database behind HAProxy
//! (the committed `docs/haproxy.cfg`), and a "browser" that speaks to them
//! through it from its own loopback address.

use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, Response, StatusCode};

use super::binary::start_binary;
use super::{attribute_after, csrf_token, http_builder};

/// `N` different ports nothing listens on right now (each is held until
/// all are chosen, so none comes twice).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// The haproxy binary: on PATH, or where Debian puts it.
pub fn haproxy_binary() -> Option<String> {
    ["haproxy", "/usr/sbin/haproxy"]
        .into_iter()
        .find(|bin| Command::new(bin).arg("-v").output().is_ok_and(|o| o.status.success()))
        .map(str::to_owned)
}

/// A child process killed (SIGKILL) and reaped when dropped, so a failed
/// test leaves nothing running.
pub struct Process {
    pub child: Option<Child>,
    /// What it writes to stderr, kept open so it can go on writing.
    pub logs: Option<Receiver<String>>,
}

impl Process {
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One Vestibule instance on `port` with `envs` (shared by every instance).
pub fn start_instance(dir: &std::path::Path, port: u16, envs: &[(&str, String)]) -> Process {
    let bind = format!("127.0.0.1:{port}");
    let mut all: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.push(("VESTIBULE_BIND", &bind));
    let data_dir = dir.display().to_string();
    all.push(("VESTIBULE_DATA_DIR", &data_dir));
    let (child, _, logs) = start_binary(dir, &all);
    Process {
        child: Some(child),
        logs: Some(logs),
    }
}

/// HAProxy with `docs/haproxy.cfg` (copied into `dir`) listening on
/// `listen` and sending to the two instances; returns once it accepts
/// connections.
pub async fn start_haproxy(bin: &str, dir: &std::path::Path, listen: u16, a: u16, b: u16) -> Process {
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/haproxy.cfg");
    let config = dir.join("haproxy.cfg");
    std::fs::copy(&template, &config).expect("docs/haproxy.cfg");
    let child = Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&config)
        .env("VESTIBULE_PROXY_LISTEN", format!("127.0.0.1:{listen}"))
        .env("VESTIBULE_INSTANCE_A", format!("127.0.0.1:{a}"))
        .env("VESTIBULE_INSTANCE_B", format!("127.0.0.1:{b}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("haproxy starts");
    let process = Process {
        child: Some(child),
        logs: None,
    };
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", listen)).is_ok() {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("haproxy does not listen on {listen}");
}

/// A browser with its own cookie jar and source address, speaking to the
/// portal through the proxy at `base`. A 502 or 503 (the request was in
/// flight at an instance that died) is tried again, as a person would.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: Client,
    jar: Arc<Jar>,
    /// An `X-Forwarded-For` line the browser sends itself, as a client
    /// claiming another address would.
    forged_forwarded_for: Option<&'static str>,
}

impl Browser {
    pub fn new(base: &str, from: IpAddr) -> Self {
        let jar = Arc::new(Jar::default());
        let client = http_builder()
            .local_address(from)
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            base: base.to_owned(),
            client,
            jar,
            forged_forwarded_for: None,
        }
    }

    /// The same browser, sending `X-Forwarded-For: {address}` on every request.
    pub fn claiming_to_be(mut self, address: &'static str) -> Self {
        self.forged_forwarded_for = Some(address);
        self
    }

    /// The `Cookie` header it sends: what a thief would copy.
    pub fn cookie_header(&self) -> String {
        self.jar
            .cookies(&self.base.parse().unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    async fn send(&self, make: impl Fn() -> reqwest::RequestBuilder) -> Response {
        // Up to 30 s: long enough for HAProxy's health checks to take a
        // dead instance out, or to put back one that was slow to answer.
        for _ in 0..300 {
            let mut req = make();
            if let Some(address) = self.forged_forwarded_for {
                req = req.header("x-forwarded-for", address);
            }
            match req.send().await {
                Ok(res) if !matches!(res.status(), StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE) => {
                    return res;
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("the proxy kept failing");
    }

    pub async fn get(&self, path: &str) -> Response {
        let url = format!("{}{path}", self.base);
        self.send(|| self.client.get(&url)).await
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let url = format!("{}{path}", self.base);
        self.send(|| self.client.post(&url).form(fields)).await
    }

    /// Posts to `action` with the CSRF token of the page at `form_page`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = csrf_token(&self.get_html(form_page).await);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        let res = self
            .submit("/signin", "/signin", &[("email", email), ("password", password)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in as {email}");
    }

    /// The Invite wizard: open it, Review + invite, Invite. A repeated
    /// final post (its answer was lost) carries the same form key, so the
    /// guest is invited once.
    pub async fn invite(&self, email: &str) {
        let html = self.get_html("/admin/users/invite").await;
        let token = csrf_token(&html);
        let key = attribute_after(&html, "name=\"form_key\" value=\"").expect("a form key");
        let fields = [
            ("csrf_token", token.as_str()),
            ("form_key", key.as_str()),
            ("email", email),
            ("display_name", "Guest"),
        ];
        let review = self.post("/admin/users/invite/review", &fields).await;
        assert_eq!(review.status(), StatusCode::OK, "Review + invite for {email}");
        let res = self.post("/admin/users/invite", &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "invited {email}");
        assert_eq!(super::location(&res), "/admin/users");
    }
}

/// Which instance answered, as HAProxy says in `X-Vestibule-Instance`.
pub fn instance(res: &Response) -> String {
    res.headers()
        .get("x-vestibule-instance")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}
