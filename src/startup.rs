//! `Application::build`: the one way a portal starts, shared by the binary
//! and every test. It reads the TLS files when https is on, opens and
//! migrates the store, writes the first administrator, binds the port (and
//! the metrics port) and wires the middleware around the routes.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};

use crate::app::AppState;
use crate::clock::Clock;
use crate::config::{Settings, decode_session_key};
use crate::mail::Transport;
use crate::mail::worker::{self as mail_worker, WorkerHandle};
use crate::security::password::PasswordHasherService;
use crate::services::accounts::{self, FirstAdmin};
use crate::services::bulk_jobs::BulkWorkerHandle;
use crate::services::purge::{self, PurgeHandle};
use crate::store::Db;
use crate::web::error::{AppError, render_bare_errors};
use crate::web::{self as routes, middleware};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// `None` once a caller has taken it (`take_mail_worker`).
    mail_worker: Option<WorkerHandle>,
    purge_job: PurgeHandle,
    /// `None` once a caller has taken it (`take_bulk_worker`).
    bulk_worker: Option<BulkWorkerHandle>,
    /// The metrics listener and its port, unless metrics are off.
    metrics: Option<(ServerHandle, u16)>,
    /// Set on the first start of an empty directory.
    pub first_admin: Option<FirstAdmin>,
}

impl Application {
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        // First, so a wrong certificate or key stops start-up before the
        // store is touched.
        let tls = match settings.tls_files()? {
            Some((cert, key)) => Some(crate::security::tls::server_config(cert, key)?),
            None => None,
        };
        let db = Db::connect(&settings.database_url, settings.database_max_connections).await?;
        db.migrate().await?;
        let hasher = PasswordHasherService::new(settings.password_cost)?;
        let first_admin = accounts::bootstrap(&db, &settings, &hasher, &clock).await?;
        let master_key = resolve_session_key(&settings)?;
        let session_key = Key::from(&master_key);

        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (VESTIBULE_BIND): {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        // Bound before anything starts, so a taken port stops start-up.
        let metrics_listener = match settings.metrics_bind {
            Some(bind) => Some(TcpListener::bind(bind).map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {bind} for metrics (VESTIBULE_METRICS_BIND): {e}; choose another port, \
                     or VESTIBULE_METRICS_BIND=off"
                )
            })?),
            None => None,
        };
        let public_url = settings.public_url_on(port);
        let state = web::Data::new(new_state(settings, clock, db, hasher, &master_key, public_url)?);
        crate::services::signing_keys::ensure(&state).await?;
        // Fails now, not at the first sign-in, when the keys were sealed
        // under another server key.
        state
            .signing_keys
            .get(&state.db, &state.secrets.key_seal, state.clock.now())
            .await?;

        let server = serve(listener, tls, state.clone(), session_key)?;
        let metrics = match metrics_listener {
            Some(listener) => {
                let metrics_port = listener.local_addr()?.port();
                let metrics_server = routes::metrics::serve(listener, state.clone())?;
                let handle = metrics_server.handle();
                tokio::spawn(metrics_server);
                tracing::info!(
                    url = %format!("http://{}/metrics", std::net::SocketAddr::new(listener_ip(&state), metrics_port)),
                    "metrics are served"
                );
                Some((handle, metrics_port))
            }
            None => None,
        };
        spawn_housekeeping(state.clone());
        let mail_worker = mail_worker::spawn(state.mail_worker());
        let purge_job = purge::spawn(state.clone());
        let bulk_worker = crate::services::bulk_jobs::spawn(state.clone());
        crate::services::sign_in_codes::spawn(state.clone());
        Ok(Self {
            port,
            server,
            state,
            mail_worker: Some(mail_worker),
            purge_job,
            bulk_worker: Some(bulk_worker),
            metrics,
            first_admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, unless metrics are off.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Stops the server from outside (a test runs a second instance).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Hands this process's outbox worker to the caller, who stops it (and
    /// may start another with `mail::worker::spawn`) when mail must wait;
    /// `run_until_stopped` then leaves it alone, but still closes the store,
    /// so the caller stops its worker before the server ends.
    pub fn take_mail_worker(&mut self) -> Option<WorkerHandle> {
        self.mail_worker.take()
    }

    /// Hands this process's bulk invite worker to the caller (a test that
    /// plays a worker dying in the middle of a job stops it).
    pub fn take_bulk_worker(&mut self) -> Option<BulkWorkerHandle> {
        self.bulk_worker.take()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some((metrics, _)) = self.metrics {
            metrics.stop(true).await;
        }
        if let Some(worker) = self.mail_worker {
            worker.stop().await;
        }
        self.purge_job.stop().await;
        if let Some(worker) = self.bulk_worker {
            worker.stop().await;
        }
        self.state.db.close().await;
        result
    }
}

/// The state a command works with (`vestibule invite-bulk`): the store,
/// migrated, and the same keys and public URL as the portal on these
/// settings, so the links it emails work there. No server and no outbox
/// worker: a running portal's worker sends what the command commits
/// within `VESTIBULE_MAIL_POLL_MS`.
pub async fn command_state(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    let hasher = PasswordHasherService::new(settings.password_cost)?;
    let master_key = resolve_session_key(&settings)?;
    let public_url = settings.public_url();
    new_state(settings, clock, db, hasher, &master_key, public_url)
}

fn new_state(
    settings: Settings,
    clock: Clock,
    db: Db,
    hasher: PasswordHasherService,
    master_key: &[u8],
    public_url: String,
) -> anyhow::Result<AppState> {
    let mail = std::sync::Arc::new(Transport::from_settings(&settings)?);
    Ok(AppState {
        secrets: crate::security::secret::Secrets::derive(master_key),
        limits: crate::limits::RateLimits::new(&settings, &db),
        settings,
        public_url,
        db,
        clock,
        hasher,
        mail,
        mail_wake: Default::default(),
        sign_in_codes_wake: Default::default(),
        bulk_wake: Default::default(),
        organization: Default::default(),
        directory_above_cap: Default::default(),
        signing_keys: Default::default(),
        provider_keys: Default::default(),
        monitoring: Default::default(),
    })
}

/// Serves the routes on `listener`: https with `tls`, plain http without.
fn serve(
    listener: TcpListener,
    tls: Option<rustls::ServerConfig>,
    state: web::Data<AppState>,
    key: Key,
) -> anyhow::Result<Server> {
    let settings = &state.settings;
    // An https public URL (TLS ends at a proxy in front) or our own TLS.
    // Either way browsers reach the portal over https only, so they may be
    // told to stay there. (`check` refuses TLS with an http public URL.)
    let hsts = settings.is_https() || tls.is_some();
    let max_form = settings.max_form_bytes;
    let max_json = settings.max_json_bytes;
    let workers = settings.workers;
    let cookie_secure = settings.session_cookie_secure();
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("vestibule_session".into())
            .cookie_secure(cookie_secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(BrowserSession::default())
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_form))
            .app_data(web::FormConfig::default().limit(max_form).error_handler(|e, _| {
                tracing::debug!(error = %e, "unreadable form");
                AppError::BadRequest("The form could not be read.".into()).into()
            }))
            .app_data(web::JsonConfig::default().limit(max_json))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, _| AppError::BadRequest("The address has invalid parameters.".into()).into()),
            )
            .wrap(from_fn(crate::web::nul_guard::refuse_nul))
            .wrap(ErrorHandlers::new().default_handler(render_bare_errors))
            .wrap(sessions)
            .wrap(from_fn(middleware::request_context))
            .wrap(middleware::security_headers(hsts))
            .wrap(from_fn(routes::metrics::count_request))
            .configure(routes::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .shutdown_timeout(10);
    server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config)?,
        None => server.listen(listener)?,
    };
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

/// The metrics listener's address for the start-up log line.
fn listener_ip(state: &AppState) -> std::net::IpAddr {
    state
        .settings
        .metrics_bind
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |b| b.ip())
}

/// Periodic upkeep: forget rate-limit keys that have recovered, in memory
/// and in the shared table; fold request latencies into their buckets when
/// nothing scrapes them.
fn spawn_housekeeping(state: web::Data<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = state.limits.forget_idle().await {
                tracing::warn!(error = %e, "cannot delete recovered rate-limit counters");
            }
            state.monitoring.run_upkeep();
        }
    });
}

/// The session key from settings, or, for a loopback run without one, a
/// key generated on first start and kept in the data folder.
fn resolve_session_key(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(value) = &settings.session_key {
        return decode_session_key(value).map_err(|e| anyhow::anyhow!("invalid setting VESTIBULE_SESSION_KEY: {e}"));
    }
    let path = settings.data_dir.join("session.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return decode_session_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    let key = crate::security::secret::random_bytes(64);
    write_private(
        &path,
        &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &key),
    )?;
    tracing::info!(path = %path.display(), "generated a session key for this local run");
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
