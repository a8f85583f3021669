//! API figures (`--only api`): `POST /v1.0/invitations` per second with the
//! server's CPU per invitation, with and without the invitation email;
//! client-credentials tokens per second with the CPU per token, side by
//! side with panva's `oidc-provider` (a certified OpenID Provider for
//! Node.js) started on the same machine in the same run and sent the same
//! request; and `GET /v1.0/users` pages per second at scale.
//!
//! The script calling the API is an application registered as an admin
//! would: a gallery app with a client secret and the application
//! permissions User.Invite.All and User.Read.All, granted admin consent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::http::{Client, LoadResult, build_request_with, load_request, percentiles};
use crate::procstat;
use crate::smtp::Sink;
use vestibule::app::AppState;
use vestibule::domain::Role;
use vestibule::services::Admin;
use vestibule::store::audit::Actor;

/// The scope Microsoft's SDKs ask for in the client-credentials grant.
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Where the benchmark's invitations send their guests.
const REDIRECT_URL: &str = "https://apps.contoso.test/projects";
/// The script that runs oidc-provider, and the package it runs, installed
/// by `npm ci` from the repository's package-lock.json.
const OIDC_PROVIDER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc_provider_server.mjs");
const OIDC_PROVIDER_PACKAGE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../node_modules/oidc-provider/package.json"
);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApiInvitations {
    pub concurrency: usize,
    /// `sendInvitationMessage`: true queues the invitation email.
    pub send_mail: bool,
    pub invitations: u64,
    pub failed: u64,
    pub per_second: f64,
    /// Server CPU per invitation (ms): process CPU less the load
    /// generator's threads; with mail, until the outbox has sent it all.
    pub cpu_ms_per_invitation: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tokens {
    /// "Vestibule" or "oidc-provider".
    pub server: String,
    /// What the access token is: "JWT (RS256)" or "opaque".
    pub format: String,
    /// How the client authenticates: client_secret_post or client_secret_basic.
    pub auth: String,
    pub concurrency: usize,
    pub result: LoadResult,
    /// That server's CPU per token (ms).
    pub cpu_ms_per_token: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UsersQuery {
    pub name: String,
    pub result: LoadResult,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UsersPages {
    pub users: i64,
    /// Seconds spent seeding for this part (0 when the scale part had
    /// already grown the directory).
    pub seed_seconds: f64,
    pub connections: usize,
    pub queries: Vec<UsersQuery>,
    /// One client following `@odata.nextLink` from the first page.
    pub walk_pages: u64,
    pub walk_per_second: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApiFigures {
    pub invitations: Vec<ApiInvitations>,
    pub tokens: Vec<Tokens>,
    /// The client-credentials grant through the service alone, one at a
    /// time, without HTTP: CPU per token (ms).
    pub token_service_cpu_ms: f64,
    /// One RS256 signature alone (ms).
    pub rs256_sign_ms: f64,
    /// oidc-provider's version, or why it was not measured.
    pub oidc_provider: String,
    pub oidc_provider_measured: bool,
    #[serde(default)]
    pub users: Option<UsersPages>,
    /// Why the user pages were not measured.
    #[serde(default)]
    pub users_error: Option<String>,
}

/// The application a script calls the API as.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub client_id: String,
    pub secret: String,
    pub tenant: String,
}

impl ApiClient {
    fn token_path(&self) -> String {
        format!("/{}/oauth2/v2.0/token", self.tenant)
    }
}

/// The client-credentials request as MSAL and Azure Identity send it:
/// the secret in the body (client_secret_post).
fn token_form(client_id: &str, secret: &str) -> String {
    serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", GRAPH_SCOPE),
    ])
    .expect("a form of strings")
}

/// Registers the script's application through the services a Global
/// Administrator's pages use, with `admin_id` as the admin.
pub async fn register(state: &AppState, admin_id: &str) -> anyhow::Result<ApiClient> {
    let roles = [Role::GlobalAdministrator];
    let admin = Admin {
        actor: Actor {
            id: Some(admin_id.to_owned()),
            name: Some("bench".into()),
            client_ip: None,
        },
        id: admin_id,
        roles: &roles,
    };
    let err = |e: vestibule::services::ServiceError| anyhow::anyhow!("{e}");
    let app = vestibule::services::applications::create_from_gallery(state, &admin, "docusign", "Bench Graph script")
        .await
        .map_err(err)?;
    let added = vestibule::services::single_sign_on::add_secret(state, &admin, &app.id, "bench", "6")
        .await
        .map_err(err)?;
    let permissions = ["User.Invite.All".to_owned(), "User.Read.All".to_owned()];
    vestibule::services::api_permissions::add(state, &admin, &app.id, &permissions)
        .await
        .map_err(err)?;
    vestibule::services::api_permissions::grant_admin_consent(state, &admin, &app.id)
        .await
        .map_err(err)?;
    let mut conn = state.db.pool().acquire().await?;
    let client_id = vestibule::store::single_sign_on::config(&mut conn, &app.id)
        .await?
        .and_then(|c| c.client_id)
        .ok_or_else(|| anyhow::anyhow!("the bench's API application has no client ID"))?;
    let tenant = vestibule::store::organization::get(&mut conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization"))?
        .tenant_id;
    Ok(ApiClient {
        client_id,
        secret: added.value,
        tenant,
    })
}

/// One client-credentials request; the access token.
async fn fetch_token(addr: SocketAddr, path: &str, form: &str, headers: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut client = Client::new(addr);
    let request = build_request_with(
        "POST",
        path,
        &addr,
        headers,
        Some(("application/x-www-form-urlencoded", form)),
    );
    let res = client.send(&request).await?;
    anyhow::ensure!(
        res.status == 200,
        "the token endpoint answered {}: {}",
        res.status,
        res.text()
    );
    let json: serde_json::Value = serde_json::from_slice(&res.body)?;
    json["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no access_token in {}", res.text()))
}

/// What an access token is: a JWT with its `alg`, or opaque.
fn token_format(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let header = (parts.len() == 3)
        .then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[0]).ok())
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    match header.as_ref().and_then(|h| h["alg"].as_str()) {
        Some(alg) => format!("JWT ({alg})"),
        None => "opaque".into(),
    }
}

async fn vestibule_token(client: &ApiClient, addr: SocketAddr, rt: &tokio::runtime::Runtime) -> anyhow::Result<String> {
    let (path, form) = (client.token_path(), token_form(&client.client_id, &client.secret));
    rt.spawn(async move { fetch_token(addr, &path, &form, &[]).await })
        .await?
}

pub async fn measure(
    state: &AppState,
    addr: SocketAddr,
    client: &ApiClient,
    sink: &Sink,
    rt: &tokio::runtime::Runtime,
    figure: Duration,
) -> anyhow::Result<ApiFigures> {
    let mut out = ApiFigures {
        rs256_sign_ms: crate::oidc::sign_ms(vestibule::security::jws::JwsAlg::Rs256)?,
        ..Default::default()
    };
    let token = Arc::new(vestibule_token(client, addr, rt).await?);

    for send_mail in [false, true] {
        for concurrency in [1usize, 8] {
            eprintln!("bench: POST /v1.0/invitations, {concurrency} at a time, sendInvitationMessage {send_mail}");
            let run = format!("api{concurrency}{}", if send_mail { "mail" } else { "" });
            let cpu = procstat::server_cpu();
            let t = Instant::now();
            let token = token.clone();
            let (ok, failed, latencies, first_error) = rt
                .spawn(async move { invite(addr, token, run, concurrency, send_mail, figure).await })
                .await?;
            let seconds = t.elapsed().as_secs_f64();
            // The mail of these invitations is part of their cost.
            crate::run::drain(state).await?;
            let cpu = procstat::server_cpu() - cpu;
            sink.take();
            anyhow::ensure!(
                ok > 0,
                "no invitation through the API succeeded: {}",
                first_error.unwrap_or_default()
            );
            if let Some(e) = first_error {
                eprintln!("bench: {failed} invitations failed, the first with {e}");
            }
            let (p50_ms, p99_ms) = percentiles(latencies);
            out.invitations.push(ApiInvitations {
                concurrency,
                send_mail,
                invitations: ok,
                failed,
                per_second: ok as f64 / seconds,
                cpu_ms_per_invitation: cpu * 1000.0 / ok as f64,
                p50_ms,
                p99_ms,
            });
        }
    }

    // Tokens from Vestibule: over HTTP, then through the service alone.
    let format = token_format(&token);
    let form = token_form(&client.client_id, &client.secret);
    for concurrency in [1usize, 8] {
        eprintln!("bench: client-credentials tokens from Vestibule, {concurrency} at a time");
        let request = build_request_with(
            "POST",
            &client.token_path(),
            &addr,
            &[],
            Some(("application/x-www-form-urlencoded", &form)),
        );
        let cpu = procstat::server_cpu();
        let result = rt.spawn(load_request(addr, request, concurrency, figure)).await?;
        let cpu = procstat::server_cpu() - cpu;
        out.tokens.push(Tokens {
            server: "Vestibule".into(),
            format: format.clone(),
            auth: "client_secret_post".into(),
            concurrency,
            cpu_ms_per_token: cpu * 1000.0 / result.requests.max(1) as f64,
            result,
        });
    }
    out.token_service_cpu_ms = token_service_cpu(state, client, figure).await?;

    // The same request to oidc-provider.
    match OidcProvider::start().await {
        Ok(mut provider) => {
            out.oidc_provider = format!("oidc-provider {}", provider.version);
            let measured = provider_tokens(&provider, rt, figure).await;
            provider.stop().await;
            out.tokens.extend(measured?);
            out.oidc_provider_measured = true;
        }
        Err(e) => {
            eprintln!("bench: oidc-provider not measured: {e:#}");
            out.oidc_provider = format!("not measured: {e:#}");
        }
    }
    Ok(out)
}

/// Invitations through `POST /v1.0/invitations`, `concurrency` clients
/// with one connection each, for `duration`, each to a new address. One
/// counts when the answer is 201. Returns (invited, failed, latencies in
/// µs, the first failure).
async fn invite(
    addr: SocketAddr,
    token: Arc<String>,
    run: String,
    concurrency: usize,
    send_mail: bool,
    duration: Duration,
) -> (u64, u64, Vec<u32>, Option<String>) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (token, run) = (token.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let bearer = format!("Bearer {token}");
            let mut client = Client::new(addr);
            let (mut ok, mut failed, mut latencies, mut first_error) = (0u64, 0u64, Vec::new(), None);
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let body = serde_json::json!({
                    "invitedUserEmailAddress": format!("bench.{run}.{worker}.{n}@fabrikam.example"),
                    "invitedUserDisplayName": "Bench Guest",
                    "inviteRedirectUrl": REDIRECT_URL,
                    "sendInvitationMessage": send_mail,
                })
                .to_string();
                let request = build_request_with(
                    "POST",
                    "/v1.0/invitations",
                    &addr,
                    &[("Authorization", &bearer)],
                    Some(("application/json", &body)),
                );
                let t = Instant::now();
                match client.send(&request).await {
                    Ok(res) if res.status == 201 => {
                        ok += 1;
                        latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Ok(res) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| format!("{}: {}", res.status, res.text()));
                    }
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            (ok, failed, latencies, first_error)
        }));
    }
    let mut totals = (0, 0, Vec::new(), None);
    for task in tasks {
        if let Ok((ok, failed, latencies, first_error)) = task.await {
            totals.0 += ok;
            totals.1 += failed;
            totals.2.extend(latencies);
            if totals.3.is_none() {
                totals.3 = first_error;
            }
        }
    }
    totals
}

/// CPU per token of the client-credentials grant called in-process, one
/// at a time, for `duration`: the grant's own work (the application, its
/// secret and its permissions read, the claims signed), without HTTP.
async fn token_service_cpu(state: &AppState, client: &ApiClient, duration: Duration) -> anyhow::Result<f64> {
    let credentials = vestibule::services::openid_connect::token::ClientCredentials {
        client_id: client.client_id.clone(),
        secret: Some(client.secret.clone()),
    };
    let cpu = procstat::server_cpu();
    let deadline = Instant::now() + duration;
    let mut n = 0u64;
    while Instant::now() < deadline {
        vestibule::services::api_tokens::client_credentials(state, &credentials, Some(GRAPH_SCOPE))
            .await
            .map_err(|e| anyhow::anyhow!("the client-credentials grant failed: {e:?}"))?;
        n += 1;
    }
    Ok((procstat::server_cpu() - cpu) * 1000.0 / n.max(1) as f64)
}

/// oidc-provider running `bench/oidc_provider_server.mjs` in a Node.js
/// child process on a loopback port.
struct OidcProvider {
    child: tokio::process::Child,
    pid: u32,
    addr: SocketAddr,
    token_path: String,
    secret: String,
    version: String,
}

impl OidcProvider {
    async fn start() -> anyhow::Result<Self> {
        let package: serde_json::Value =
            serde_json::from_slice(&std::fs::read(OIDC_PROVIDER_PACKAGE).map_err(|e| {
                anyhow::anyhow!("{OIDC_PROVIDER_PACKAGE}: {e} (install it with `npm ci` in the repository)")
            })?)?;
        let version = package["version"].as_str().unwrap_or("?").to_owned();
        let secret = vestibule::security::secret::random_token(32);
        let mut child = tokio::process::Command::new("node")
            .arg(OIDC_PROVIDER_SCRIPT)
            .arg(&secret)
            // Koa and oidc-provider as deployed, not their development mode.
            .env("NODE_ENV", "production")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("node: {e}"))?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("node exited at once"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut line)).await;
        if !matches!(read, Ok(Ok(n)) if n > 0) {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = tokio::time::timeout(Duration::from_secs(2), e.read_to_string(&mut stderr)).await;
            }
            let _ = child.kill().await;
            anyhow::bail!("{OIDC_PROVIDER_SCRIPT} did not start: {}", stderr.trim());
        }
        let ready: serde_json::Value = serde_json::from_str(&line)?;
        let port = ready["port"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("no port in {line}"))?;
        Ok(Self {
            child,
            pid,
            addr: format!("127.0.0.1:{port}").parse()?,
            token_path: ready["token_path"].as_str().unwrap_or("/token").to_owned(),
            secret,
            version,
        })
    }

    async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// oidc-provider's tokens at 1 and 8 clients: its JWT (RS256) client, then
/// its opaque one, with the request sent to Vestibule, the client's id and
/// secret changed.
async fn provider_tokens(
    provider: &OidcProvider,
    rt: &tokio::runtime::Runtime,
    figure: Duration,
) -> anyhow::Result<Vec<Tokens>> {
    let addr = provider.addr;
    let mut out = Vec::new();
    for client_id in ["bench-jwt", "bench-opaque"] {
        let form = token_form(client_id, &provider.secret);
        let (path, f) = (provider.token_path.clone(), form.clone());
        let token = rt
            .spawn(async move { fetch_token(addr, &path, &f, &[]).await })
            .await??;
        let format = token_format(&token);
        for concurrency in [1usize, 8] {
            eprintln!("bench: client-credentials tokens from oidc-provider ({format}), {concurrency} at a time");
            let request = build_request_with(
                "POST",
                &provider.token_path,
                &addr,
                &[],
                Some(("application/x-www-form-urlencoded", &form)),
            );
            let cpu = procstat::pid_cpu(provider.pid);
            let result = rt.spawn(load_request(addr, request, concurrency, figure)).await?;
            let cpu = procstat::pid_cpu(provider.pid) - cpu;
            out.push(Tokens {
                server: "oidc-provider".into(),
                format: format.clone(),
                auth: "client_secret_post".into(),
                concurrency,
                cpu_ms_per_token: cpu * 1000.0 / result.requests.max(1) as f64,
                result,
            });
        }
    }
    Ok(out)
}

/// Percent-encodes a query value (spaces as %20, as Graph's samples do).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The path and query of an absolute `@odata.nextLink`.
fn path_of(link: &str) -> Option<String> {
    link.find("/v1.0/").map(|i| link[i..].to_owned())
}

/// `GET /v1.0/users` pages, 100 users each, at `connections` clients:
/// the first page, a page `deep` pages in (reached by following
/// `@odata.nextLink` from the first, which one client does first and
/// times), the first pages of two filters, and the first page with the
/// count of the directory.
#[allow(clippy::too_many_arguments)]
pub async fn measure_users(
    addr: SocketAddr,
    client: &ApiClient,
    rt: &tokio::runtime::Runtime,
    figure: Duration,
    users: i64,
    seed_seconds: f64,
    deep: u64,
) -> anyhow::Result<UsersPages> {
    // A fresh token: seeding a million users may outlast the first.
    let token = vestibule_token(client, addr, rt).await?;
    let bearer = format!("Bearer {token}");
    let first = "/v1.0/users?$top=100".to_owned();

    eprintln!("bench: following @odata.nextLink for {deep} pages");
    let (walk_pages, walk_seconds, deep_path) = {
        let (bearer, first) = (bearer.clone(), first.clone());
        rt.spawn(async move {
            let mut client = Client::new(addr);
            let mut path = first;
            let t = Instant::now();
            let mut pages = 0;
            while pages < deep {
                let request = build_request_with("GET", &path, &addr, &[("Authorization", &bearer)], None);
                let res = client.send(&request).await?;
                anyhow::ensure!(res.status == 200, "GET {path} answered {}: {}", res.status, res.text());
                let page: serde_json::Value = serde_json::from_slice(&res.body)?;
                let values = page["value"].as_array().map_or(0, Vec::len);
                anyhow::ensure!(values == 100, "GET {path} gave {values} users, not 100");
                pages += 1;
                path = page["@odata.nextLink"]
                    .as_str()
                    .and_then(path_of)
                    .ok_or_else(|| anyhow::anyhow!("page {pages} has no @odata.nextLink"))?;
            }
            anyhow::Ok((pages, t.elapsed().as_secs_f64(), path))
        })
        .await??
    };

    let connections = 8;
    let queries = [
        ("first page".to_owned(), first),
        (format!("page {} via nextLink", deep + 1), deep_path),
        (
            "$filter=userType eq 'Guest'".to_owned(),
            format!("/v1.0/users?$top=100&$filter={}", encode("userType eq 'Guest'")),
        ),
        (
            "$filter=startswith(displayName,'a')".to_owned(),
            format!("/v1.0/users?$top=100&$filter={}", encode("startswith(displayName,'a')")),
        ),
        // The count of the whole directory beside the first page.
        (
            "first page with $count=true".to_owned(),
            "/v1.0/users?$top=100&$count=true".to_owned(),
        ),
    ];
    let mut out = UsersPages {
        users,
        seed_seconds,
        connections,
        walk_pages,
        walk_per_second: walk_pages as f64 / walk_seconds.max(1e-9),
        ..Default::default()
    };
    for (name, path) in queries {
        eprintln!("bench: GET /v1.0/users, {name}");
        let request = build_request_with("GET", &path, &addr, &[("Authorization", &bearer)], None);
        let check = rt
            .spawn(load_request(addr, request.clone(), 1, Duration::from_millis(50)))
            .await?;
        anyhow::ensure!(
            check.errors == 0 && check.requests > 0,
            "GET {path} does not answer 200"
        );
        let result = rt.spawn(load_request(addr, request, connections, figure)).await?;
        out.queries.push(UsersQuery { name, result });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_is_told_from_an_opaque_token() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"at+jwt"}"#);
        assert_eq!(token_format(&format!("{header}.e30.c2ln")), "JWT (RS256)");
        assert_eq!(token_format("KeY-y5dC_VMwZ6R7IXRntXo-x8Ei_a0n9Wo0QTEO6Y2"), "opaque");
    }

    #[test]
    fn filters_are_percent_encoded_and_next_links_made_relative() {
        assert_eq!(encode("userType eq 'Guest'"), "userType%20eq%20%27Guest%27");
        assert_eq!(
            path_of("http://127.0.0.1:8080/v1.0/users?$top=100&$skiptoken=abc").as_deref(),
            Some("/v1.0/users?$top=100&$skiptoken=abc")
        );
        assert_eq!(path_of("http://127.0.0.1:8080/other"), None);
    }
}
