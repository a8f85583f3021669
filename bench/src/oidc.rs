//! OpenID Connect figures: code exchanges per second (a signed-in user's
//! authorize, then the token request: a code, a grant, two signed tokens)
//! with the server's CPU per exchange, what one RS256 and one ES256
//! signature cost on their own, and UserInfo requests per second.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::http::{Client, LoadResult, build_request, load_request};
use crate::procstat;
use vestibule::app::AppState;
use vestibule::domain::single_sign_on::{RedirectKind, SigningAlg, SsoMode};
use vestibule::security::jws::{JwsAlg, SigningKey, pkce_s256};

const REDIRECT_URI: &str = "https://bench.example/signin-oidc";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OidcFigures {
    pub concurrency: usize,
    pub exchanges: u64,
    pub failed: u64,
    pub per_second: f64,
    /// Server CPU per exchange (ms), authorize and token together.
    pub cpu_ms_per_exchange: f64,
    /// One RS256 / ES256 signature on this machine, alone (ms).
    pub rs256_sign_ms: f64,
    pub es256_sign_ms: f64,
    pub userinfo: LoadResult,
}

/// A confidential client on one of `user_id`'s apps (assignment kept as
/// the fixtures made it). Returns (client id, secret, tenant).
async fn register(state: &AppState, user_id: &str) -> anyhow::Result<(String, String, String)> {
    let mut conn = state.db.pool().acquire().await?;
    let tile = vestibule::store::assignments::my_apps(&mut conn, user_id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the bench guest has no app"))?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let now = state.clock.now();
    vestibule::store::single_sign_on::save_config(
        &mut conn,
        &tile.id,
        SsoMode::OpenIdConnect,
        None,
        SigningAlg::Rs256,
        Some(&client_id),
        now,
    )
    .await?;
    vestibule::store::single_sign_on::replace_redirect_uris(
        &mut conn,
        &tile.id,
        RedirectKind::Redirect,
        &[REDIRECT_URI.to_owned()],
        now,
    )
    .await?;
    let secret = vestibule::security::secret::random_token(32);
    vestibule::store::single_sign_on::insert_secret(
        &mut conn,
        &vestibule::store::single_sign_on::NewSecret {
            id: &uuid::Uuid::new_v4().to_string(),
            app_id: &tile.id,
            description: "bench",
            hint: &secret[..3],
            digest: &state.secrets.client_secrets.digest(&secret),
            now,
            expires_at: now + 86400,
        },
    )
    .await?;
    let org = vestibule::store::organization::get(&mut conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization"))?;
    Ok((client_id, secret, org.tenant_id))
}

/// What one signature costs, measured in this process on one thread.
pub(crate) fn sign_ms(alg: JwsAlg) -> anyhow::Result<f64> {
    let (key, _) = SigningKey::generate("bench".into(), alg)?;
    let claims = serde_json::json!({ "iss": "https://bench.example/t/v2.0", "sub": "x", "exp": 0 });
    let n = 500;
    let t = Instant::now();
    for _ in 0..n {
        key.sign("JWT", &claims)?;
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0 / f64::from(n))
}

/// One code exchange: authorize with the session, then the token request.
/// Returns the access token.
async fn exchange(
    client: &mut Client,
    addr: SocketAddr,
    cookie: &str,
    authorize: &str,
    token_path: &str,
    token_form: &str,
) -> anyhow::Result<String> {
    let res = client
        .send(&build_request("GET", authorize, &addr, cookie, None))
        .await?;
    let location = res
        .location
        .ok_or_else(|| anyhow::anyhow!("authorize answered {}", res.status))?;
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query)?;
    let code = params
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| anyhow::anyhow!("no code in {location}"))?;
    let body = format!("{token_form}&code={code}");
    let res = client
        .send(&build_request("POST", token_path, &addr, "", Some(&body)))
        .await?;
    anyhow::ensure!(res.status == 200, "token answered {}: {}", res.status, res.text());
    let json: serde_json::Value = serde_json::from_slice(&res.body)?;
    Ok(json["access_token"].as_str().unwrap_or_default().to_owned())
}

pub async fn measure(
    state: &AppState,
    addr: SocketAddr,
    guest_id: &str,
    guest_cookie: &str,
    rt: &tokio::runtime::Runtime,
    figure: Duration,
) -> anyhow::Result<OidcFigures> {
    let (client_id, secret, tenant) = register(state, guest_id).await?;
    let verifier = vestibule::security::secret::random_token(40);
    let authorize = format!(
        "/{tenant}/oauth2/v2.0/authorize?{}",
        serde_urlencoded::to_string([
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", "bench"),
            ("nonce", "bench"),
            ("code_challenge", &pkce_s256(&verifier)),
            ("code_challenge_method", "S256"),
        ])?
    );
    let token_path = format!("/{tenant}/oauth2/v2.0/token");
    let token_form = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ])?;
    let concurrency = 8;
    let mut out = OidcFigures {
        concurrency,
        rs256_sign_ms: sign_ms(JwsAlg::Rs256)?,
        es256_sign_ms: sign_ms(JwsAlg::Es256)?,
        ..Default::default()
    };
    let cookie = guest_cookie.to_owned();
    // One exchange first: it must work before it is measured.
    let access_token = {
        let (cookie, authorize, token_path, token_form) = (
            cookie.clone(),
            authorize.clone(),
            token_path.clone(),
            token_form.clone(),
        );
        rt.spawn(async move {
            let mut client = Client::new(addr);
            exchange(&mut client, addr, &cookie, &authorize, &token_path, &token_form).await
        })
        .await??
    };
    let cpu = procstat::server_cpu();
    let t = Instant::now();
    let deadline = t + figure;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (cookie, authorize, token_path, token_form) = (
            cookie.clone(),
            authorize.clone(),
            token_path.clone(),
            token_form.clone(),
        );
        tasks.push(rt.spawn(async move {
            let mut client = Client::new(addr);
            let (mut ok, mut failed) = (0u64, 0u64);
            while Instant::now() < deadline {
                match exchange(&mut client, addr, &cookie, &authorize, &token_path, &token_form).await {
                    Ok(_) => ok += 1,
                    Err(_) => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    for task in tasks {
        let (ok, failed) = task.await?;
        out.exchanges += ok;
        out.failed += failed;
    }
    let seconds = t.elapsed().as_secs_f64();
    let cpu = procstat::server_cpu() - cpu;
    out.per_second = out.exchanges as f64 / seconds;
    out.cpu_ms_per_exchange = cpu * 1000.0 / out.exchanges.max(1) as f64;

    let mut request = build_request("GET", "/oidc/userinfo", &addr, "", None);
    // The bearer token goes in before the blank line that ends the head.
    request.truncate(request.len() - 2);
    request.extend_from_slice(format!("Authorization: Bearer {access_token}\r\n\r\n").as_bytes());
    out.userinfo = rt.spawn(load_request(addr, request, 64, figure)).await?;
    Ok(out)
}
