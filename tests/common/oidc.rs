//! An application set up for OpenID Connect, and a relying party's side of
//! the code flow with PKCE, spoken over plain HTTP for the exact checks.

use base64::Engine;
use reqwest::Client;
use serde_json::Value;

use super::{TestApp, location};
use vestibule::domain::single_sign_on::{RedirectKind, SigningAlg, SsoMode};

pub const REDIRECT_URI: &str = "http://localhost:7777/signin-oidc";
pub const POST_LOGOUT_URI: &str = "http://localhost:7777/signed-out";

/// An OpenID Connect client registered on an application.
#[derive(Clone, Debug)]
pub struct OidcClient {
    pub app_id: String,
    pub client_id: String,
    /// None: a public client.
    pub secret: Option<String>,
}

impl TestApp {
    /// Turns the application to OpenID Connect with one redirect URI, one
    /// post-logout URI and (unless `public`) a client secret, through the store.
    pub async fn oidc_client(&self, app_id: &str, alg: SigningAlg, public: bool) -> OidcClient {
        let client_id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await.unwrap();
        let store = vestibule::store::single_sign_on::save_config(
            &mut conn,
            app_id,
            SsoMode::OpenIdConnect,
            None,
            alg,
            Some(&client_id),
            now,
        );
        assert!(store.await.unwrap());
        vestibule::store::single_sign_on::replace_redirect_uris(
            &mut conn,
            app_id,
            RedirectKind::Redirect,
            &[REDIRECT_URI.to_owned()],
            now,
        )
        .await
        .unwrap();
        vestibule::store::single_sign_on::replace_redirect_uris(
            &mut conn,
            app_id,
            RedirectKind::PostLogout,
            &[POST_LOGOUT_URI.to_owned()],
            now,
        )
        .await
        .unwrap();
        let secret = (!public).then(|| {
            let value = format!("vst~{}", vestibule::security::secret::random_token(30));
            value
        });
        if let Some(value) = &secret {
            vestibule::store::single_sign_on::insert_secret(
                &mut conn,
                &vestibule::store::single_sign_on::NewSecret {
                    id: &uuid::Uuid::new_v4().to_string(),
                    app_id,
                    description: "test",
                    hint: &value[..3],
                    digest: &self.state.secrets.client_secrets.digest(value),
                    now,
                    expires_at: now + 180 * 86400,
                },
            )
            .await
            .unwrap();
        }
        OidcClient {
            app_id: app_id.to_owned(),
            client_id,
            secret,
        }
    }

    pub async fn tenant_id(&self) -> String {
        sqlx::query_scalar("SELECT tenant_id FROM organization WHERE id = 1")
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    pub async fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.address, self.tenant_id().await)
    }
}

/// One authorization request's secrets, as a relying party keeps them.
pub struct Attempt {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl Attempt {
    pub fn new() -> Self {
        Self {
            state: vestibule::security::secret::random_token(12),
            nonce: vestibule::security::secret::random_token(12),
            verifier: vestibule::security::secret::random_token(40),
        }
    }

    pub fn challenge(&self) -> String {
        vestibule::security::jws::pkce_s256(&self.verifier)
    }

    /// The authorize URL path with the usual parameters, and `extra`.
    pub fn authorize_path(&self, tenant: &str, client: &OidcClient, extra: &[(&str, &str)]) -> String {
        let challenge = self.challenge();
        let mut pairs: Vec<(&str, &str)> = vec![
            ("client_id", &client.client_id),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            pairs.retain(|(name, _)| name != k);
            if !v.is_empty() {
                pairs.push((k, v));
            }
        }
        format!(
            "/{tenant}/oauth2/v2.0/authorize?{}",
            serde_urlencoded::to_string(&pairs).unwrap()
        )
    }
}

/// The query parameters of a redirect to the relying party.
pub fn reply_params(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .collect()
}

/// Follows the authorize request of a signed-in `browser`, expecting a
/// code for `attempt`; returns the code.
pub async fn authorize(app: &TestApp, browser: &Client, client: &OidcClient, attempt: &Attempt) -> String {
    let tenant = app.tenant_id().await;
    let res = browser
        .get(app.url(&attempt.authorize_path(&tenant, client, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "authorize answers with a redirect");
    let to = location(&res);
    assert!(to.starts_with(REDIRECT_URI), "to the registered redirect URI: {to}");
    let params = reply_params(&to);
    assert_eq!(params.get("state"), Some(&attempt.state));
    assert_eq!(params.get("iss"), Some(&app.issuer().await));
    params.get("code").cloned().unwrap_or_else(|| panic!("a code in {to}"))
}

/// Posts to the token endpoint with `client_secret_post` (or as a public
/// client); (status, JSON body).
pub async fn token_request(app: &TestApp, client: &OidcClient, fields: &[(&str, &str)]) -> (u16, Value) {
    let tenant = app.tenant_id().await;
    let mut form: Vec<(&str, &str)> = vec![("client_id", &client.client_id)];
    if let Some(secret) = &client.secret {
        form.push(("client_secret", secret));
    }
    form.extend_from_slice(fields);
    let res = app
        .client_builder()
        .build()
        .unwrap()
        .post(app.url(&format!("/{tenant}/oauth2/v2.0/token")))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cache = res.headers().get("cache-control").cloned();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"));
    assert_eq!(cache.unwrap(), "no-store");
    (status, body)
}

/// Exchanges a code for tokens; (status, JSON body).
pub async fn exchange(app: &TestApp, client: &OidcClient, code: &str, attempt: &Attempt) -> (u16, Value) {
    token_request(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &attempt.verifier),
        ],
    )
    .await
}

/// A token's claims, unverified (the tests verify signatures separately).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a compact JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn header(token: &str) -> Value {
    let head = token.split('.').next().expect("a compact JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// UserInfo with a bearer token; (status, JSON body or Null).
pub async fn userinfo(app: &TestApp, access_token: &str) -> (u16, Value) {
    let res = app
        .client_builder()
        .build()
        .unwrap()
        .get(app.url("/oidc/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}
