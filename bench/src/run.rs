//! One store's measurements, in the child process `vestibule-bench` starts
//! for it: temporary database, bulk seed, the real server in-process, and
//! every figure of the table.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Connection, Executor};

use crate::http::{LoadResult, load, percentiles};
use crate::procstat::{self, CLIENT_THREAD};
use crate::smtp::Sink;
use crate::{BenchArgs, flows};
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::startup::Application;
use vestibule::store::Db;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Page {
    pub name: String,
    pub result: LoadResult,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Invites {
    pub way: String,
    pub concurrency: usize,
    pub invites: u64,
    pub failed: u64,
    pub per_second: f64,
    /// Server CPU per invite (ms): process CPU less the load generator's threads.
    pub cpu_ms_per_invite: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Scale {
    pub users: i64,
    pub seed_seconds: f64,
    pub first_page: LoadResult,
    pub search: LoadResult,
    pub profile: LoadResult,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StoreResult {
    pub store: String,
    pub connections: usize,
    pub seconds_per_figure: f64,
    pub start_ms: f64,
    pub memory_idle_mb: f64,
    pub memory_after_load_mb: f64,
    pub memory_peak_mb: f64,
    pub pages: Vec<Page>,
    pub invites: Vec<Invites>,
    /// Bulk invite: invitations committed by `vestibule invite-bulk`, and
    /// the seconds from starting the command to its exit.
    pub bulk_invitations: u64,
    pub bulk_seconds: f64,
    /// The same file through the Bulk invite page: invitations its job
    /// committed, and the seconds from the upload to the job's end.
    #[serde(default)]
    pub bulk_page_invitations: u64,
    #[serde(default)]
    pub bulk_page_seconds: f64,
    pub mail_backlog: u64,
    pub mail_per_second: f64,
    pub mail_delay_samples: u64,
    pub mail_delay_p50_ms: f64,
    pub mail_delay_p99_ms: f64,
    pub scale: Vec<Scale>,
    pub my_apps_200_groups: LoadResult,
    /// OpenID Connect: code exchanges and UserInfo.
    #[serde(default)]
    pub oidc: Option<crate::oidc::OidcFigures>,
    /// The Graph-shaped API: invitations, tokens (beside oidc-provider), user pages.
    #[serde(default)]
    pub api: Option<crate::api::ApiFigures>,
    pub total_seconds: f64,
}

const CONNECTIONS: usize = 64;
const ADMIN_EMAIL: &str = "admin@contoso.test";
const PASSWORD: &str = "Bench-Passw0rd!";
/// A prefix of one first name in 64: about 1.5% of the directory.
const SEARCH: &str = "yara";

/// The load generator's own runtime: two threads, named so their CPU time
/// can be told apart from the server's.
fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()?)
}

pub async fn measure_store(store: &str, args: &BenchArgs) -> anyhow::Result<StoreResult> {
    let started = Instant::now();
    let quick = args.quick;
    let dir = std::env::temp_dir().join(format!("vestibule-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let (database_url, pg) = match store {
        "postgres" => {
            let base = args
                .postgres_url
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--postgres-url is needed"))?;
            let name = format!("vestibule_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::any::install_default_drivers();
            let mut admin = AnyConnection::connect(&base).await?;
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await?;
            (with_database(&base, &name), Some((base, name)))
        }
        _ => (format!("sqlite://{}/bench.db?mode=rwc", dir.display()), None),
    };
    let rt = client_runtime()?;
    let wanted = |part: &str| args.only.is_empty() || args.only.iter().any(|p| p == part);
    let outcome = measure(store, &database_url, &dir, quick, &wanted, &rt).await;
    rt.shutdown_background();
    if let Some((base, name)) = pg {
        let mut admin = AnyConnection::connect(&base).await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut result = outcome?;
    result.total_seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

fn settings(database_url: &str, dir: &std::path::Path, smtp: SocketAddr) -> Settings {
    let mut s = Settings {
        bind: "127.0.0.1:0".parse().expect("an address"),
        database_url: database_url.to_owned(),
        ..Settings::default()
    };
    s.data_dir = dir.to_path_buf();
    s.admin_email = Some(ADMIN_EMAIL.into());
    s.admin_password = Some(PASSWORD.into());
    s.org_name = "Contoso".into();
    s.org_domain = "contoso.test".into();
    s.smtp_url = Some(format!("smtp://{smtp}"));
    // One loopback address plays every browser: per-address limits off.
    s.signin_limit_per_ip = 1_000_000;
    s.guest_flow_limit_per_ip = 1_000_000;
    // One application makes every API call: its limit (6,000 a minute by
    // default) off too, though still counted on every call.
    s.api_limit_per_app = 100_000_000;
    // Metrics on, as in production, on a free port beside any local portal.
    s.metrics_bind = Some("127.0.0.1:0".parse().expect("an address"));
    s
}

/// `vestibule-bench seed` in a child process (so its memory is not the
/// server's); returns the seconds it took.
async fn seed(database_url: &str, users: u64, groups: u64, apps: u64) -> anyhow::Result<f64> {
    let t = Instant::now();
    let status = tokio::process::Command::new(std::env::current_exe()?)
        .args(["seed", "--database-url", database_url])
        .args(["--users", &users.to_string(), "--groups", &groups.to_string()])
        .args(["--apps", &apps.to_string()])
        .env("VESTIBULE_ORG_NAME", "Contoso")
        .env("VESTIBULE_ORG_DOMAIN", "contoso.test")
        .stdout(std::process::Stdio::null())
        .status()
        .await?;
    anyhow::ensure!(status.success(), "vestibule-bench seed failed ({status})");
    Ok(t.elapsed().as_secs_f64())
}

async fn measure(
    store: &str,
    database_url: &str,
    dir: &std::path::Path,
    quick: bool,
    wanted: &dyn Fn(&str) -> bool,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<StoreResult> {
    let figure = Duration::from_secs(if quick { 2 } else { 5 });
    let scale_figure = Duration::from_millis(if quick { 1000 } else { 2000 });
    let mut out = StoreResult {
        store: store.to_owned(),
        connections: CONNECTIONS,
        seconds_per_figure: figure.as_secs_f64(),
        ..Default::default()
    };
    let (sink, smtp) = rt.spawn(Sink::start()).await??;
    let settings = settings(database_url, dir, smtp);

    // The directory: schema and first admin, 10,000 users, then the
    // benchmark's own fixtures.
    eprintln!("bench[{store}]: seeding 10,000 users");
    let db = Db::connect(database_url, 2).await?;
    db.migrate().await?;
    let hasher = vestibule::security::password::PasswordHasherService::new(settings.password_cost)?;
    vestibule::services::accounts::bootstrap(&db, &settings, &hasher, &Clock::system()).await?;
    let first_seed = seed(database_url, 10_000, 200, 50).await?;
    let fixtures = crate::fixtures::build(&db, &hasher, PASSWORD).await?;
    db.close().await;

    // Start: from Application::build to the first successful /readyz.
    let t = Instant::now();
    let mut app = Application::build(settings.clone(), Clock::system()).await?;
    let addr: SocketAddr = format!("127.0.0.1:{}", app.port()).parse()?;
    let state = app.state();
    // Ours to stop while the bulk load commits (see `bulk_invite`).
    let mut mail_worker = app
        .take_mail_worker()
        .ok_or_else(|| anyhow::anyhow!("the portal started without its outbox worker"))?;
    let handle = app.server_handle();
    let server = tokio::spawn(app.run_until_stopped());
    loop {
        let ready = rt
            .spawn(async move {
                let mut c = crate::http::Client::new(addr);
                c.get("/readyz").await.map(|r| r.status == 200).unwrap_or(false)
            })
            .await?;
        if ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    out.start_ms = t.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_millis(500)).await;
    out.memory_idle_mb = procstat::memory_mb().0;

    // Sessions: the admin, the guest on My Apps, a guest on Review permissions.
    let review = crate::fixtures::pending_guest(&state).await?;
    let (admin, guest, reviewer, member200) = {
        let st = state.clone();
        let f = fixtures.clone();
        rt.spawn(async move {
            let admin = flows::sign_in(addr, ADMIN_EMAIL, PASSWORD).await?;
            let guest = flows::guest_sign_in(addr, &st, &f.guest_email, &f.guest_id).await?;
            let reviewer = flows::open_redemption(addr, &st, &review.0, &review.1, &review.2).await?;
            let member = flows::sign_in(addr, &f.member200_email, PASSWORD).await?;
            anyhow::Ok((
                admin.cookie_header(),
                guest.cookie_header(),
                reviewer.cookie_header(),
                member.cookie_header(),
            ))
        })
        .await??
    };
    let profile = format!("/admin/users/{}", fixtures.profile_id);
    let search = format!("/admin/users?search={SEARCH}");
    let pages: Vec<(&str, &str, &str)> = vec![
        ("Static file (the ceiling)", "/static/img/favicon.svg", ""),
        ("/healthz", "/healthz", ""),
        ("My Apps: guest, 10 apps via 3 groups", "/myapps", &guest),
        ("All users: first page", "/admin/users", &admin),
        ("All users: prefix search", &search, &admin),
        ("User profile", &profile, &admin),
        ("Review permissions", "/redeem/consent", &reviewer),
    ];
    let run_load = |path: &str, cookie: &str, conns: usize, d: Duration| {
        let (path, cookie) = (path.to_owned(), cookie.to_owned());
        rt.spawn(async move { load(addr, &path, &cookie, conns, d).await })
    };
    for (name, path, cookie) in pages.iter().filter(|_| wanted("pages")) {
        eprintln!("bench[{store}]: {name}");
        let check = run_load(path, cookie, 1, Duration::from_millis(50)).await?;
        anyhow::ensure!(check.errors == 0 && check.requests > 0, "{path} does not answer 200");
        let result = run_load(path, cookie, CONNECTIONS, figure).await?;
        out.pages.push(Page {
            name: (*name).to_owned(),
            result,
        });
    }

    if wanted("oidc") {
        eprintln!("bench[{store}]: OpenID Connect code exchanges and UserInfo");
        out.oidc = Some(crate::oidc::measure(&state, addr, &fixtures.guest_id, &guest, rt, figure).await?);
    }

    let api_client = if wanted("api") {
        eprintln!("bench[{store}]: the API: invitations and client-credentials tokens");
        let client = crate::api::register(&state, &fixtures.admin_id).await?;
        out.api = Some(crate::api::measure(&state, addr, &client, &sink, rt, figure).await?);
        Some(client)
    } else {
        None
    };

    // Invitations over HTTP at 1, 8 and 32 admins, then through the service.
    let admins = crate::fixtures::invite_admins(&state, 32, PASSWORD).await?;
    for n in [1usize, 8, 32].into_iter().filter(|_| wanted("invites")) {
        eprintln!("bench[{store}]: invitations over HTTP, {n} admins");
        let emails: Vec<String> = admins[..n].to_vec();
        let clients = rt
            .spawn(async move {
                let mut clients = Vec::new();
                for email in emails {
                    clients.push(flows::sign_in(addr, &email, PASSWORD).await?);
                }
                anyhow::Ok(clients)
            })
            .await??;
        let cpu = procstat::server_cpu();
        let t = Instant::now();
        let run = format!("http{n}");
        let (ok, failed) = rt
            .spawn(async move { flows::invite_over_http(clients, &run, figure).await })
            .await?;
        let seconds = t.elapsed().as_secs_f64();
        let cpu = procstat::server_cpu() - cpu;
        out.invites.push(Invites {
            way: "HTTP form".into(),
            concurrency: n,
            invites: ok,
            failed,
            per_second: ok as f64 / seconds,
            cpu_ms_per_invite: cpu * 1000.0 / ok.max(1) as f64,
        });
        drain(&state).await?;
        sink.take();
    }
    let admin_id = fixtures.admin_id.clone();
    let mut delays = Vec::new();
    for n in [1usize, 8].into_iter().filter(|_| wanted("invites")) {
        eprintln!("bench[{store}]: invitations through the service, {n} at a time");
        let cpu = procstat::server_cpu();
        let t = Instant::now();
        let (committed, failed) =
            flows::invite_directly(state.clone(), &admin_id, &format!("direct{n}"), n, figure).await;
        let seconds = t.elapsed().as_secs_f64();
        let cpu = procstat::server_cpu() - cpu;
        let ok = committed.len() as u64;
        out.invites.push(Invites {
            way: "service".into(),
            concurrency: n,
            invites: ok,
            failed,
            per_second: ok as f64 / seconds,
            cpu_ms_per_invite: cpu * 1000.0 / ok.max(1) as f64,
        });
        drain(&state).await?;
        let received: HashMap<String, Instant> = sink.take().into_iter().collect();
        for (email, at) in committed {
            if let Some(got) = received.get(&email) {
                delays.push(got.saturating_duration_since(at).as_micros().min(u128::from(u32::MAX)) as u32);
            }
        }
    }
    out.mail_delay_samples = delays.len() as u64;
    (out.mail_delay_p50_ms, out.mail_delay_p99_ms) = percentiles(delays);

    // Bulk invite: a template file through `vestibule invite-bulk`.
    if wanted("bulk") {
        let n = if quick { 10_000 } else { 100_000 };
        eprintln!("bench[{store}]: {n} invitations in bulk");
        mail_worker.stop().await;
        (out.bulk_invitations, out.bulk_seconds) = bulk_invite(&state, database_url, dir, addr, n).await?;
        eprintln!("bench[{store}]: {n} invitations through the Bulk invite page");
        (out.bulk_page_invitations, out.bulk_page_seconds) = bulk_page(&state, addr, n).await?;
        mail_worker = vestibule::mail::worker::spawn(state.mail_worker());
    }

    // Mail: a backlog committed at once, delivered to the sink.
    let backlog = match (wanted("mail"), quick) {
        (false, _) => 0,
        (true, true) => 1000,
        (true, false) => 3000,
    };
    if backlog > 0 {
        eprintln!("bench[{store}]: mail, {backlog} messages");
        crate::fixtures::queue_backlog(&state, backlog).await?;
        let t = Instant::now();
        state.wake_mail();
        while sink.count() < backlog && t.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        out.mail_backlog = sink.count() as u64;
        out.mail_per_second = out.mail_backlog as f64 / t.elapsed().as_secs_f64();
        drain(&state).await?;
        sink.take();
    }
    out.memory_after_load_mb = procstat::memory_mb().0;

    // Scale: All users, search and a profile as the directory grows.
    let steps: &[u64] = match (wanted("scale"), quick) {
        (false, _) => &[],
        (true, true) => &[0, 90_000],
        (true, false) => &[0, 90_000, 900_000],
    };
    for &more in steps {
        let seed_seconds = if more == 0 {
            first_seed
        } else {
            eprintln!("bench[{store}]: seeding {more} more users");
            seed(database_url, more, 0, 0).await?
        };
        let users = crate::fixtures::user_count(&state).await?;
        eprintln!("bench[{store}]: scale at {users} users");
        out.scale.push(Scale {
            users,
            seed_seconds,
            first_page: run_load("/admin/users", &admin, 8, scale_figure).await?,
            search: run_load(&search, &admin, 8, scale_figure).await?,
            profile: run_load(&profile, &admin, 8, scale_figure).await?,
        });
    }
    // The API's user pages at a million users (100,000 with --quick), as
    // the scale part grows the directory; seeded here when it has not.
    if let (Some(client), Some(api)) = (&api_client, out.api.as_mut()) {
        let target: i64 = if quick { 100_000 } else { 1_000_000 };
        let now = crate::fixtures::user_count(&state).await?;
        let seed_seconds = if now < target {
            eprintln!(
                "bench[{store}]: seeding {} more users for the API's pages",
                target - now
            );
            seed(database_url, (target - now) as u64, 0, 0).await?
        } else {
            0.0
        };
        let users = crate::fixtures::user_count(&state).await?;
        eprintln!("bench[{store}]: GET /v1.0/users at {users} users");
        let deep = if quick { 200 } else { 1000 };
        // A failure here is reported in the table rather than losing the
        // figures measured so far.
        match crate::api::measure_users(addr, client, rt, figure, users, seed_seconds, deep).await {
            Ok(pages) => api.users = Some(pages),
            Err(e) => {
                eprintln!("bench[{store}]: GET /v1.0/users not measured: {e:#}");
                api.users_error = Some(format!("{e:#}"));
            }
        }
    }
    if wanted("pages") {
        out.my_apps_200_groups = run_load("/myapps", &member200, CONNECTIONS, figure).await?;
    }
    out.memory_peak_mb = procstat::memory_mb().1;

    // The worker first: the server's end closes the store under it.
    mail_worker.stop().await;
    handle.stop(true).await;
    let _ = server.await;
    Ok(out)
}

/// Runs `vestibule invite-bulk` on a file of `n` guests in a child process
/// (so its memory is not the server's): this binary, running the product's
/// command line as the `vestibule` binary does. The caller has stopped the
/// server's outbox worker: what is measured is the commit, rows, outbox and
/// audit, not the sending, which the mail figures measure. The guests and
/// their mail are taken back afterwards, before the caller starts a worker
/// again. Returns (invitations committed, seconds).
async fn bulk_invite(
    state: &vestibule::app::AppState,
    database_url: &str,
    dir: &std::path::Path,
    addr: SocketAddr,
    n: usize,
) -> anyhow::Result<(u64, f64)> {
    let csv = dir.join("bulk-invite.csv");
    let results = dir.join("bulk-results.csv");
    std::fs::write(&csv, crate::fixtures::bulk_file(n))?;
    let t = Instant::now();
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["vestibule", "invite-bulk"])
        .arg("--csv")
        .arg(&csv)
        .args(["--inviter", ADMIN_EMAIL])
        .arg("--results")
        .arg(&results)
        .env("VESTIBULE_DATABASE_URL", database_url)
        .env("VESTIBULE_DATA_DIR", dir)
        .env("VESTIBULE_PUBLIC_URL", format!("http://{addr}"))
        .stdin(std::process::Stdio::null())
        .output()
        .await?;
    let seconds = t.elapsed().as_secs_f64();
    let committed = std::fs::read_to_string(&results)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(",Success,"))
        .count() as u64;
    crate::fixtures::discard_bulk(state).await?;
    anyhow::ensure!(
        out.status.success() && committed == n as u64,
        "vestibule invite-bulk committed {committed} of {n} ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((committed, seconds))
}

/// The Bulk invite page with the same file: sign in, upload (checked at
/// once), Submit, then the job's progress polled as its page's script does
/// until it is done. Times the upload to the job's end.
async fn bulk_page(state: &vestibule::app::AppState, addr: SocketAddr, n: usize) -> anyhow::Result<(u64, f64)> {
    use crate::http::{build_request_with, form_value};
    let csv = crate::fixtures::bulk_file(n);
    let mut client = crate::flows::sign_in(addr, ADMIN_EMAIL, PASSWORD).await?;
    let t = Instant::now();
    let page = client.get("/admin/users/bulk-invite").await?.text();
    let token = form_value(&page, "csrf_token").unwrap_or_default();
    let boundary = "vestibule-bench-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bulk-invite.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let cookie = client.cookie_header();
    let request = build_request_with(
        "POST",
        "/admin/users/bulk-invite",
        &addr,
        &[("Cookie", &cookie)],
        Some((&format!("multipart/form-data; boundary={boundary}"), &body)),
    );
    let res = client.send(&request).await?;
    let upload = res
        .location
        .clone()
        .filter(|_| res.status == 303)
        .ok_or_else(|| anyhow::anyhow!("the upload answered {}", res.status))?;
    let page = client.get(&upload).await?.text();
    let token = form_value(&page, "csrf_token").unwrap_or_default();
    let res = client
        .post_form(&format!("{upload}/submit"), &[("csrf_token", &token)])
        .await?;
    let job = res
        .location
        .clone()
        .filter(|_| res.status == 303)
        .ok_or_else(|| anyhow::anyhow!("Submit answered {}", res.status))?;
    let progress = loop {
        let p: serde_json::Value = serde_json::from_slice(&client.get(&format!("{job}/progress")).await?.body)?;
        if p["done"] == true {
            break p;
        }
        anyhow::ensure!(t.elapsed() < Duration::from_secs(1800), "the job did not finish: {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seconds = t.elapsed().as_secs_f64();
    crate::fixtures::discard_bulk(state).await?;
    let committed = progress["succeeded"].as_u64().unwrap_or(0);
    anyhow::ensure!(
        committed == n as u64,
        "the Bulk invite page committed {committed} of {n}: {progress}"
    );
    Ok((committed, seconds))
}

/// Waits until the outbox has nothing left to send (two minutes at most).
pub(crate) async fn drain(state: &vestibule::app::AppState) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let mut conn = state.db.pool().acquire().await?;
        let queued = vestibule::store::bulk::count(&mut conn, "outbox", "status = 'queued'").await?;
        drop(conn);
        if queued == 0 || t.elapsed() > Duration::from_secs(120) {
            return Ok(());
        }
        state.wake_mail();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `base` with its database name replaced.
fn with_database(base: &str, name: &str) -> String {
    let (before, query) = match base.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (base, None),
    };
    let cut = before.rfind('/').map(|i| i + 1).unwrap_or(before.len());
    let mut url = format!("{}{}", &before[..cut], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}
