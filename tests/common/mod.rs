//! The test harness: a real Vestibule on a random port with its own fresh
//! database (a temp-dir SQLite file, or, when VESTIBULE_TEST_POSTGRES_URL is
//! set, a PostgreSQL database cloned from a migrated template), a manual
//! clock, and a cookie-keeping HTTP client that does not follow redirects.
#![allow(dead_code)]

pub mod audit_seed;
pub mod binary;
pub mod clients;
pub mod directory;
pub mod flows;
pub mod graph;
pub mod instances;
pub mod oidc;
pub mod openapi;
pub mod postgres;
pub mod proxy;
pub mod smtp;
pub mod tls;

use std::path::PathBuf;
use std::sync::{Arc, Once};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, ClientBuilder, Response, StatusCode};
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::startup::Application;
use vestibule::store::Db;

pub const ADMIN_EMAIL: &str = "admin@contoso.test";
pub const ADMIN_PASSWORD: &str = "Admin-Passw0rd!";

pub struct TestApp {
    /// `http://127.0.0.1:{port}`, or `https://…` for a portal started by
    /// `tls::spawn_app_with_tls`.
    pub address: String,
    pub port: u16,
    pub client: Client,
    pub jar: Arc<Jar>,
    /// The password printed on first start, when none was configured.
    pub generated_admin_password: Option<String>,
    pub db: Db,
    pub clock: Clock,
    pub settings: Settings,
    /// The running portal's state: its outbox worker's wake-up, its mail transport.
    pub state: actix_web::web::Data<vestibule::app::AppState>,
    /// With TLS on, the PEM file of the CA that signed the portal's
    /// certificate: what a client (reqwest, Node's NODE_EXTRA_CA_CERTS)
    /// must trust. It lives in the test's folder, as long as the app.
    pub tls_ca_file: Option<PathBuf>,
    /// `http://127.0.0.1:{port}` of the metrics listener, unless metrics are off.
    pub metrics_address: Option<String>,
    _dir: tempfile::TempDir,
}

/// The acting principal for fixtures written through the services: a Global
/// Administrator named "test" in the audit log.
pub fn system_admin() -> vestibule::services::Admin<'static> {
    vestibule::services::Admin {
        actor: vestibule::store::audit::Actor::system("test"),
        id: "",
        roles: &[vestibule::domain::Role::GlobalAdministrator],
    }
}

static TRACING: Once = Once::new();

fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            vestibule::telemetry::init(&Settings {
                log_filter: "debug".into(),
                ..Settings::default()
            });
        }
    });
}

/// Settings for one test: low argon2 cost, a fixed admin, its own folder.
pub async fn test_settings(dir: &std::path::Path) -> Settings {
    let database_url = match std::env::var("VESTIBULE_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => postgres::fresh_database(&base).await,
        _ => format!("sqlite://{}/vestibule.db?mode=rwc", dir.display()),
    };
    let mut s = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url,
        ..Settings::default()
    };
    s.database_max_connections = 5;
    s.data_dir = dir.to_path_buf();
    s.admin_email = Some(ADMIN_EMAIL.into());
    s.admin_password = Some(ADMIN_PASSWORD.into());
    s.org_name = "Contoso".into();
    s.org_domain = "contoso.test".into();
    s.password_cost.memory_kib = 8;
    s.password_cost.iterations = 1;
    s.workers = Some(2);
    // Every test portal runs beside others: a port of its own.
    s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a portal after `adjust` has changed the test settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_clock(Clock::manual(), adjust).await
}

/// Starts a portal on the system clock, for what must happen in real time
/// (an outbox lease running out while a send is in flight); its clock
/// cannot be advanced.
pub async fn spawn_app_on_real_clock_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_clock(Clock::system(), adjust).await
}

async fn spawn_app_with_clock(clock: Clock, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(clock, false, adjust).await
}

/// Starts a portal whose listener speaks https with a test certificate
/// made for it (see `tls::spawn_app_with_tls`).
async fn spawn_with_tls(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(Clock::manual(), true, adjust).await
}

/// Starts a portal whose bulk invite worker is stopped at once: its jobs
/// wait for a worker a test runs by hand, or for another instance.
pub async fn spawn_app_without_bulk_worker() -> TestApp {
    spawn_with(Clock::manual(), false, false, |_| {}).await
}

async fn spawn(clock: Clock, tls: bool, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_with(clock, tls, true, adjust).await
}

async fn spawn_with(clock: Clock, tls: bool, bulk_worker: bool, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut settings = test_settings(dir.path()).await;
    let certificate = tls.then(|| tls::TestCertificate::write_into(dir.path(), "portal"));
    if let Some(certificate) = &certificate {
        settings.tls_cert_file = Some(certificate.cert_file.clone());
        settings.tls_key_file = Some(certificate.key_file.clone());
    }
    adjust(&mut settings);
    let mut app = Application::build(settings.clone(), clock.clone())
        .await
        .expect("the application starts");
    if !bulk_worker && let Some(worker) = app.take_bulk_worker() {
        worker.stop().await;
    }
    let port = app.port();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    let state = app.state();
    let generated_admin_password = app.first_admin.as_ref().and_then(|a| a.generated_password.clone());
    tokio::spawn(app.run_until_stopped());
    let tls_ca_file = certificate.map(|c| c.ca_file);
    let (client, jar) = client_with_jar(builder_for(tls_ca_file.as_deref()));
    let scheme = if tls_ca_file.is_some() { "https" } else { "http" };
    TestApp {
        address: format!("{scheme}://127.0.0.1:{port}"),
        port,
        client,
        jar,
        generated_admin_password,
        db: state.db.clone(),
        clock,
        settings,
        state,
        tls_ca_file,
        metrics_address,
        _dir: dir,
    }
}

/// A client builder trusting the test CA in `ca_file`, or a plain one.
fn builder_for(ca_file: Option<&std::path::Path>) -> ClientBuilder {
    match ca_file {
        Some(ca_file) => tls::client_builder_trusting(ca_file),
        None => http_builder(),
    }
}

/// A client builder for plain http. It trusts no certificate, so building
/// a client reads none of the system's (with TLS compiled in, reqwest
/// would load them all: some 30 ms a client in a debug build).
pub fn http_builder() -> ClientBuilder {
    Client::builder().tls_certs_only([])
}

/// A fresh "browser": its own cookie jar, redirects not followed.
pub fn new_client() -> Client {
    new_client_with_jar().0
}

pub fn new_client_with_jar() -> (Client, Arc<Jar>) {
    client_with_jar(http_builder())
}

fn client_with_jar(builder: ClientBuilder) -> (Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = builder
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    (client, jar)
}

/// A client without cookies of its own, for replaying a stolen cookie.
pub fn bare_client() -> Client {
    http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A new client builder for this portal: trusting its test CA when it
    /// speaks https, plain otherwise.
    pub fn client_builder(&self) -> ClientBuilder {
        builder_for(self.tls_ca_file.as_deref())
    }

    /// A fresh "browser" for this portal (https or not): its own cookie
    /// jar, redirects not followed.
    pub fn new_client(&self) -> Client {
        client_with_jar(self.client_builder()).0
    }

    /// The `Cookie` header the main client would send: what a thief copies.
    pub fn cookie_header(&self) -> String {
        let url = self.address.parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// GET with a given `Cookie` header and no jar.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Response {
        self.client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.get_with(&self.client, path).await
    }

    pub async fn get_with(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("a body")
    }

    /// GET with the main client, naming `host` in the `Host` header, as a
    /// reverse proxy or a DNS-rebinding page would.
    pub async fn get_for_host(&self, path: &str, host: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("host", host)
            .send()
            .await
            .expect("GET")
    }

    /// Posts a form as it is, without adding a CSRF token.
    pub async fn post_raw(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        client.post(self.url(path)).form(fields).send().await.expect("POST")
    }

    /// Posts a form with the CSRF token of the page at `form_page`, as a
    /// browser that opened that page and submitted its form would.
    pub async fn submit_with(
        &self,
        client: &Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let html = self.get_with(client, form_page).await.text().await.unwrap();
        let token = csrf_token(&html);
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(client, action, &all).await
    }

    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        self.submit_with(&self.client, form_page, action, fields).await
    }

    pub async fn sign_in_with(&self, client: &Client, email: &str, password: &str) -> Response {
        self.submit_with(
            client,
            "/signin",
            "/signin",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.sign_in_with(&self.client, email, password).await
    }

    pub async fn sign_in_as_admin(&self) {
        let res = self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the admin signs in");
    }

    /// Creates a member with `role` (a role key, or "" for none) through the
    /// store, returning their id.
    pub async fn create_member(&self, email: &str, password: &str, role: &str) -> String {
        let hasher = vestibule::security::password::PasswordHasherService::new(self.settings.password_cost).unwrap();
        let role_to_give = vestibule::domain::Role::from_key(role).unwrap_or(vestibule::domain::Role::GuestInviter);
        let user = vestibule::services::accounts::create_admin(
            &self.db,
            &hasher,
            &self.clock,
            email,
            "Test Member",
            password,
            role_to_give,
        )
        .await
        .expect("a member is created");
        if role.is_empty() {
            let mut conn = self.db.pool().acquire().await.unwrap();
            vestibule::store::roles::revoke(&mut conn, &user.id, role_to_give)
                .await
                .unwrap();
        }
        user.id
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_token(html: &str) -> String {
    attribute_after(html, "name=\"csrf_token\" value=\"").unwrap_or_default()
}

/// The text after `marker` up to the next double quote.
pub fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

pub fn assert_redirect_to(res: &Response, to: &str) {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "expected a redirect to {to}");
    assert_eq!(location(res), to);
}

/// An application from the gallery, with the id of its Default Access role.
pub async fn gallery_app(
    app: &TestApp,
    key: &str,
    name: &str,
) -> (vestibule::store::applications::Application, String) {
    let created = vestibule::services::applications::create_from_gallery(&app.state, &system_admin(), key, name)
        .await
        .expect("the gallery app is created");
    let role = sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND is_default = 1")
        .bind(&created.id)
        .fetch_one(app.db.pool())
        .await
        .expect("its Default Access role");
    (created, role)
}
