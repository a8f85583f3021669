//! The token endpoint's rules: client authentication, the
//! `authorization_code` grant (single use, bound to the client, redirect
//! URI, PKCE challenge and nonce) and the `refresh_token` grant (rotating;
//! reusing an old token revokes its whole grant).

use serde::Serialize;

use super::access;
use super::claims::TokenContext;
use super::{ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME, has_scope, issuer_of, jws_alg, keys, pairwise_subject};
use crate::app::AppState;
use crate::security::jws::pkce_s256;
use crate::store::oidc::{self, CodeUse, Grant, RefreshUse};
use crate::store::single_sign_on::{self, SsoConfig};
use crate::store::{self, Tx};

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug)]
pub enum TokenError {
    InvalidRequest(String),
    /// The client is unknown or its secret is wrong.
    InvalidClient(String),
    InvalidGrant(String),
    InvalidScope(String),
    UnsupportedGrantType,
    Server(anyhow::Error),
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient(_) => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::Server(_) => "server_error",
        }
    }

    pub fn description(&self) -> String {
        match self {
            TokenError::InvalidRequest(d)
            | TokenError::InvalidClient(d)
            | TokenError::InvalidGrant(d)
            | TokenError::InvalidScope(d) => d.clone(),
            TokenError::UnsupportedGrantType => {
                "The grant type is not supported: use authorization_code, refresh_token or client_credentials.".into()
            }
            TokenError::Server(_) => "The server could not complete the request.".into(),
        }
    }
}

impl From<sqlx::Error> for TokenError {
    fn from(e: sqlx::Error) -> Self {
        TokenError::Server(e.into())
    }
}

impl From<anyhow::Error> for TokenError {
    fn from(e: anyhow::Error) -> Self {
        TokenError::Server(e)
    }
}

/// What the client presented to authenticate.
pub struct ClientCredentials {
    pub client_id: String,
    /// None: a public client (it must have no secrets, and uses PKCE).
    pub secret: Option<String>,
}

/// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The application behind the credentials. A confidential client must
/// present an unexpired secret; a client with no secrets is public.
pub async fn authenticate(state: &AppState, credentials: &ClientCredentials) -> Result<SsoConfig, TokenError> {
    let unknown = || TokenError::InvalidClient("The client could not be authenticated.".into());
    let app = super::client(state, &credentials.client_id)
        .await?
        .ok_or_else(unknown)?;
    let mut conn = state.db.pool().acquire().await?;
    match &credentials.secret {
        Some(secret) => {
            let digest = state.secrets.client_secrets.digest(secret);
            if !single_sign_on::secret_matches(&mut conn, &app.app_id, &digest, state.clock.now()).await? {
                return Err(unknown());
            }
        }
        None => {
            if single_sign_on::has_secrets(&mut conn, &app.app_id).await? {
                return Err(TokenError::InvalidClient(
                    "The client has secrets: authenticate with one (client_secret_basic or client_secret_post).".into(),
                ));
            }
        }
    }
    Ok(app)
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The `authorization_code` grant.
pub async fn exchange_code(
    state: &AppState,
    app: &SsoConfig,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let bad = |what: &str| TokenError::InvalidGrant(what.to_owned());
    if code.is_empty() || code.len() > 200 {
        return Err(TokenError::InvalidRequest("The code parameter is missing.".into()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Spent whatever happens next: a code gets one try.
    let stored = match oidc::use_code(&mut tx, &state.secrets.oidc_tokens.digest(code), now).await? {
        CodeUse::Unknown => return Err(bad("The authorization code is not valid.")),
        CodeUse::Replayed { grant_id } => {
            // A code used twice was stolen or replayed: what was issued
            // from it stops working.
            oidc::revoke_grant(&mut tx, &grant_id, now).await?;
            tx.commit().await?;
            tracing::warn!(grant = %grant_id, "an authorization code was used again; its grant is revoked");
            return Err(bad("The authorization code has already been used."));
        }
        CodeUse::First(stored) => stored,
    };
    let grant = oidc::find_grant(&mut tx, &stored.grant_id).await?;
    let refusal = match &grant {
        None => Some("The authorization code is not valid."),
        Some(g) if g.app_id != app.app_id => Some("The authorization code was issued to another client."),
        Some(g) if g.revoked_at.is_some() => Some("The authorization code was revoked."),
        Some(_) if stored.expires_at < now => Some("The authorization code has expired."),
        Some(_) if stored.redirect_uri != redirect_uri => {
            Some("The redirect_uri does not match the one of the authorization request.")
        }
        Some(_) => match (&stored.code_challenge, verifier) {
            (Some(_), None) => Some("The code_verifier is missing (PKCE)."),
            (Some(challenge), Some(v)) if !is_valid_verifier(v) || pkce_s256(v) != *challenge => {
                Some("The code_verifier does not match the code_challenge (PKCE).")
            }
            (None, Some(_)) => Some("A code_verifier was sent but the authorization request had no code_challenge."),
            _ => None,
        },
    };
    if let Some(reason) = refusal {
        tx.commit().await?;
        return Err(bad(reason));
    }
    let grant = grant.expect("checked above");
    let issued = issue(state, &mut tx, app, &grant, stored.nonce.as_deref(), now).await;
    // The spent code (and a revoked grant) stand whatever the answer.
    tx.commit().await?;
    let issued = issued?;
    issued.sign(state).await
}

/// The `refresh_token` grant: a new access token, ID token and refresh
/// token; the presented one is spent.
pub async fn refresh(
    state: &AppState,
    app: &SsoConfig,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let bad = |what: &str| TokenError::InvalidGrant(what.to_owned());
    if refresh_token.is_empty() || refresh_token.len() > 200 {
        return Err(TokenError::InvalidRequest(
            "The refresh_token parameter is missing.".into(),
        ));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let digest = state.secrets.oidc_tokens.digest(refresh_token);
    let (grant_id, expires_at) = match oidc::use_refresh_token(&mut tx, &digest, now).await? {
        RefreshUse::Unknown => return Err(bad("The refresh token is not valid.")),
        RefreshUse::Reused { grant_id } => {
            oidc::revoke_grant(&mut tx, &grant_id, now).await?;
            tx.commit().await?;
            tracing::warn!(grant = %grant_id, "a refresh token was used again; its grant is revoked");
            return Err(bad("The refresh token has already been used."));
        }
        RefreshUse::First { grant_id, expires_at } => (grant_id, expires_at),
    };
    let grant = oidc::find_grant(&mut tx, &grant_id).await?;
    let refusal = match &grant {
        None => Some("The refresh token is not valid."),
        Some(g) if g.app_id != app.app_id => Some("The refresh token was issued to another client."),
        Some(g) if g.revoked_at.is_some() => Some("The refresh token was revoked."),
        Some(_) if expires_at < now => Some("The refresh token has expired."),
        Some(g) => match scope {
            Some(s) if s.split(' ').filter(|s| !s.is_empty()).any(|s| !has_scope(&g.scope, s)) => {
                tx.commit().await?;
                return Err(TokenError::InvalidScope(
                    "A refresh cannot add scopes the user did not grant.".into(),
                ));
            }
            _ => None,
        },
    };
    if let Some(reason) = refusal {
        tx.commit().await?;
        return Err(bad(reason));
    }
    let grant = grant.expect("checked above");
    let issued = issue(state, &mut tx, app, &grant, None, now).await;
    tx.commit().await?;
    let issued = issued?;
    issued.sign(state).await
}

/// Tokens decided on but not yet signed: signing happens after the
/// commit, so the write lock is not held for it.
struct Issued {
    app: SsoConfig,
    user: store::users::User,
    grant: Grant,
    nonce: Option<String>,
    roles: Vec<String>,
    refresh_token: Option<String>,
    now: i64,
}

/// Checks the user may still sign in to the app and the grant's session
/// has not ended, and writes the next refresh token when `offline_access`
/// was granted.
async fn issue(
    state: &AppState,
    tx: &mut Tx,
    app: &SsoConfig,
    grant: &Grant,
    nonce: Option<&str>,
    now: i64,
) -> Result<Issued, TokenError> {
    let user = store::users::find_active(tx, &grant.user_id).await?;
    if let Err(refusal) = access::check(tx, app, user.as_ref()).await? {
        oidc::revoke_grant(tx, &grant.id, now).await?;
        return Err(TokenError::InvalidGrant(refusal.message));
    }
    let user = user.expect("checked by access::check");
    if user.session_epoch != grant.session_epoch {
        oidc::revoke_grant(tx, &grant.id, now).await?;
        return Err(TokenError::InvalidGrant(
            "The user's session has ended: sign in again.".into(),
        ));
    }
    let roles = oidc::role_values(tx, &user.id, &app.app_id).await?;
    let refresh_token = if has_scope(&grant.scope, "offline_access") {
        let token = crate::security::secret::random_token(32);
        oidc::insert_refresh_token(
            tx,
            &state.secrets.oidc_tokens.digest(&token),
            &grant.id,
            now,
            now + REFRESH_TOKEN_LIFETIME,
        )
        .await?;
        Some(token)
    } else {
        None
    };
    Ok(Issued {
        app: app.clone(),
        user,
        grant: grant.clone(),
        nonce: nonce.map(str::to_owned),
        roles,
        refresh_token,
        now,
    })
}

impl Issued {
    async fn sign(self, state: &AppState) -> Result<TokenResponse, TokenError> {
        let org = crate::services::organization::current(state)
            .await
            .map_err(|e| TokenError::Server(anyhow::anyhow!("{e}")))?;
        let issuer = issuer_of(state, &org);
        let client_id = self.app.client_id.clone().unwrap_or_default();
        let subject = pairwise_subject(state, &self.app.app_id, &self.user.id);
        let context = TokenContext {
            issuer: &issuer,
            tenant_id: &org.tenant_id,
            client_id: &client_id,
            subject: &subject,
            user: &self.user,
            grant: &self.grant,
            nonce: self.nonce.as_deref(),
            roles: self.roles,
            now: self.now,
        };
        let keys = keys(state).await?;
        let key = keys
            .signer(jws_alg(self.app.id_token_alg))
            .ok_or_else(|| TokenError::Server(anyhow::anyhow!("no signing key for {:?}", self.app.id_token_alg)))?;
        Ok(TokenResponse {
            access_token: key.sign("at+jwt", &context.access_token())?,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME,
            scope: self.grant.scope.clone(),
            id_token: key.sign("JWT", &context.id_token())?,
            refresh_token: self.refresh_token,
        })
    }
}
