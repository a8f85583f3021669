//! App-only access to the Graph-shaped API: the `client_credentials` grant
//! of the token endpoint, and the check of its bearer tokens on every API
//! request.
//!
//! A token is a JWT signed with the organization's keys, shaped as Entra's
//! app-only tokens are (`aud` Graph, `idtyp` "app", `roles` the granted
//! permissions), so scripts that decode it to check their permissions work.
//! A request holds only the permissions in its token that are *still*
//! granted: revoking consent, removing a permission, disabling or deleting
//! the application takes effect on the next request, not after the hour.

use serde::{Deserialize, Serialize};

use super::openid_connect::token::{ClientCredentials, TokenError};
use super::openid_connect::{issuer_of, keys};
use crate::app::AppState;
use crate::domain::api_permission::{self, ApiPermission};
use crate::security::jws::{Expect, JwsAlg, verify};
use crate::store;
use crate::store::single_sign_on::SsoConfig;

/// App-only tokens live an hour, as Entra's do.
pub const API_TOKEN_LIFETIME: i64 = 3600;
/// The audience of a token for Microsoft Graph, which the API answers as.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Microsoft Graph's application ID, which scripts may name as the resource.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// The `typ` of app-only tokens: access tokens (RFC 9068), like the ones
/// given to sign-in apps, told apart by `idtyp` and the audience.
const TOKEN_TYP: &str = "at+jwt";

/// The claims of an app-only access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AppTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The application's object ID, as Entra's `sub` of app-only tokens.
    pub sub: String,
    pub oid: String,
    pub tid: String,
    pub appid: String,
    pub azp: String,
    pub idtyp: String,
    /// Absent when nothing is granted, as in Entra.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub jti: String,
    pub ver: String,
}

/// The answer of a `client_credentials` grant.
#[derive(Debug, Serialize)]
pub struct AppTokenResponse {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub ext_expires_in: i64,
    pub access_token: String,
}

/// The audience a `.default` scope names: Graph (by URL or application
/// ID) or Vestibule's own public URL. Other OpenID Connect scopes beside it
/// are ignored; anything else is refused as Entra refuses it.
fn audience_of(state: &AppState, scope: Option<&str>) -> Result<&'static str, TokenError> {
    let Some(scope) = scope else {
        return Err(TokenError::InvalidRequest(
            "AADSTS900144: The request body must contain the following parameter: 'scope'.".into(),
        ));
    };
    let own = format!("{}/.default", state.public_url.trim_end_matches('/'));
    let mut audience = None;
    for item in scope.split_whitespace() {
        if item == "https://graph.microsoft.com/.default"
            || item == "https://graph.microsoft.com//.default"
            || item == format!("{GRAPH_APP_ID}/.default")
            || item == own
        {
            audience = Some(GRAPH_AUDIENCE);
        } else if !super::openid_connect::SCOPES.contains(&item) {
            return Err(invalid_scope(scope));
        }
    }
    audience.ok_or_else(|| invalid_scope(scope))
}

fn invalid_scope(scope: &str) -> TokenError {
    let shown: String = scope.chars().take(200).collect();
    TokenError::InvalidScope(format!(
        "AADSTS1002012: The provided value for scope {shown} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
    ))
}

/// The application behind client credentials, for the `client_credentials`
/// grant: any application with a client ID (whatever its Single sign-on
/// mode) that presents an unexpired secret and is enabled.
async fn authenticate(state: &AppState, credentials: &ClientCredentials) -> Result<SsoConfig, TokenError> {
    let id = &credentials.client_id;
    let unknown = || {
        let shown: String = id.chars().take(100).collect();
        TokenError::InvalidClient(format!(
            "AADSTS700016: Application with identifier '{shown}' was not found in the directory."
        ))
    };
    if id.is_empty() || id.len() > 100 {
        return Err(unknown());
    }
    let mut conn = state.db.pool().acquire().await?;
    let app = store::single_sign_on::config_by_client_id(&mut conn, id)
        .await?
        .ok_or_else(unknown)?;
    let Some(secret) = &credentials.secret else {
        return Err(TokenError::InvalidClient(
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
                .into(),
        ));
    };
    let digest = state.secrets.client_secrets.digest(secret);
    if !store::single_sign_on::secret_matches(&mut conn, &app.app_id, &digest, state.clock.now()).await? {
        return Err(TokenError::InvalidClient(format!(
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{id}'."
        )));
    }
    if !app.enabled {
        return Err(TokenError::InvalidClient(format!(
            "AADSTS7000112: Application '{id}'({}) is disabled.",
            app.display_name
        )));
    }
    Ok(app)
}

/// The `client_credentials` grant: a token whose `roles` are the
/// permissions granted now.
pub async fn client_credentials(
    state: &AppState,
    credentials: &ClientCredentials,
    scope: Option<&str>,
) -> Result<AppTokenResponse, TokenError> {
    let audience = audience_of(state, scope)?;
    let app = authenticate(state, credentials).await?;
    let org = crate::services::organization::current(state)
        .await
        .map_err(|e| TokenError::Server(anyhow::anyhow!("{e}")))?;
    let mut conn = state.db.pool().acquire().await?;
    let roles = store::api_permissions::granted(&mut conn, &app.app_id).await?;
    drop(conn);
    let now = state.clock.now();
    let claims = AppTokenClaims {
        aud: audience.to_owned(),
        iss: issuer_of(state, &org),
        iat: now,
        nbf: now,
        exp: now + API_TOKEN_LIFETIME,
        sub: app.app_id.clone(),
        oid: app.app_id.clone(),
        tid: org.tenant_id.clone(),
        appid: credentials.client_id.clone(),
        azp: credentials.client_id.clone(),
        idtyp: "app".into(),
        roles,
        jti: uuid::Uuid::new_v4().to_string(),
        ver: "2.0".into(),
    };
    let keys = keys(state).await?;
    let key = keys
        .signer(JwsAlg::Rs256)
        .ok_or_else(|| TokenError::Server(anyhow::anyhow!("no RS256 signing key")))?;
    Ok(AppTokenResponse {
        token_type: "Bearer",
        expires_in: API_TOKEN_LIFETIME - 1,
        ext_expires_in: API_TOKEN_LIFETIME - 1,
        access_token: key.sign(TOKEN_TYP, &claims)?,
    })
}

/// The application calling the API, with what it may do now.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    /// The application's object ID (the service principal's `id`).
    pub app_id: String,
    pub app_name: String,
    pub client_id: String,
    /// Granted in the token and still granted now.
    pub permissions: Vec<ApiPermission>,
}

impl ApiCaller {
    /// True when the caller holds any of `permissions`.
    pub fn holds_any(&self, permissions: &[ApiPermission]) -> bool {
        permissions.iter().any(|p| self.permissions.contains(p))
    }
}

/// Why a bearer token was refused (Graph's `InvalidAuthenticationToken`).
#[derive(Debug)]
pub enum ApiAuthError {
    Invalid(&'static str),
    Server(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for ApiAuthError {
    fn from(e: E) -> Self {
        ApiAuthError::Server(e.into())
    }
}

/// Checks a bearer token: signature, issuer, expiry, audience and that it
/// is app-only; then that its application still exists and is enabled.
pub async fn caller(state: &AppState, token: &str) -> Result<ApiCaller, ApiAuthError> {
    let org = crate::services::organization::current(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let issuer = issuer_of(state, &org);
    let keys = keys(state).await?;
    let expect = Expect {
        issuer: &issuer,
        audience: Some(GRAPH_AUDIENCE),
        typ: TOKEN_TYP,
        allow_expired: false,
    };
    let Some(claims) = verify::<AppTokenClaims>(token, &keys.published, &expect) else {
        return Err(ApiAuthError::Invalid(
            "Access token validation failure. Invalid audience, signature or expiry.",
        ));
    };
    // The portal's clock decides expiry (the library checked the system's).
    if claims.exp <= state.clock.now() {
        return Err(ApiAuthError::Invalid(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    if claims.idtyp != "app" || claims.tid != org.tenant_id {
        return Err(ApiAuthError::Invalid(
            "Access token validation failure: not an application token.",
        ));
    }
    let mut conn = state.db.pool().acquire().await?;
    let app = store::single_sign_on::config(&mut conn, &claims.oid).await?;
    let Some(app) = app.filter(|a| a.enabled && a.client_id.as_deref() == Some(claims.appid.as_str())) else {
        return Err(ApiAuthError::Invalid(
            "The application of this token is disabled or deleted.",
        ));
    };
    let granted = store::api_permissions::granted(&mut conn, &app.app_id).await?;
    let permissions = api_permission::parse_all(
        claims
            .roles
            .iter()
            .map(String::as_str)
            .filter(|r| granted.iter().any(|g| g == r)),
    );
    Ok(ApiCaller {
        app_id: app.app_id,
        app_name: app.display_name,
        client_id: claims.appid,
        permissions,
    })
}
