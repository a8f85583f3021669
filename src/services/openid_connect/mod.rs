//! Vestibule as an OpenID Connect provider for the applications it lists:
//! who may sign in to an application (`access`), the authorization code
//! (`authorize`), the token endpoint's grants (`token`) and UserInfo
//! (`userinfo`). The HTTP shapes live in `web::oidc`; this is the rules.

pub mod access;
pub mod authorize;
pub mod claims;
pub mod token;
pub mod userinfo;

use crate::app::{AppState, KeySet};
use crate::domain::single_sign_on::{SigningAlg, SsoMode, issuer};
use crate::security::jws::JwsAlg;
use crate::store::organization::Organization;
use crate::store::single_sign_on::SsoConfig;

/// ID tokens live an hour, as Entra's do.
pub const ID_TOKEN_LIFETIME: i64 = 3600;
/// Access tokens are short-lived; UserInfo checks the grant behind them on
/// every call anyway.
pub const ACCESS_TOKEN_LIFETIME: i64 = 900;
/// A code is good for a minute.
pub const CODE_LIFETIME: i64 = 60;
/// Refresh tokens (with `offline_access`) last 90 days, rotating on use.
pub const REFRESH_TOKEN_LIFETIME: i64 = 90 * 24 * 3600;

/// The scopes Vestibule honours; others are ignored.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The issuer of this organization's tokens.
pub fn issuer_of(state: &AppState, org: &Organization) -> String {
    issuer(&state.public_url, &org.tenant_id)
}

/// Whether the `{tenant}` of a path names this organization: its tenant ID
/// or its primary domain.
pub fn is_this_tenant(org: &Organization, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&org.tenant_id) || tenant.eq_ignore_ascii_case(&org.primary_domain)
}

/// The OpenID Connect application with this client ID; apps in another
/// mode have no client.
pub async fn client(state: &AppState, client_id: &str) -> sqlx::Result<Option<SsoConfig>> {
    if client_id.is_empty() || client_id.len() > 100 {
        return Ok(None);
    }
    let mut conn = state.db.pool().acquire().await?;
    let app = crate::store::single_sign_on::config_by_client_id(&mut conn, client_id).await?;
    Ok(app.filter(|a| a.mode == SsoMode::OpenIdConnect))
}

pub(crate) fn jws_alg(alg: SigningAlg) -> JwsAlg {
    match alg {
        SigningAlg::Rs256 => JwsAlg::Rs256,
        SigningAlg::Es256 => JwsAlg::Es256,
    }
}

/// The current keys of this instance.
pub async fn keys(state: &AppState) -> anyhow::Result<std::sync::Arc<KeySet>> {
    state
        .signing_keys
        .get(&state.db, &state.secrets.key_seal, state.clock.now())
        .await
}

/// The subject an application sees for a user: pairwise, as Entra's `sub`
/// is, so two applications cannot correlate their users by it. `oid`
/// carries the directory's own id for apps that need it.
pub fn pairwise_subject(state: &AppState, app_id: &str, user_id: &str) -> String {
    let hex = state
        .secrets
        .oidc_tokens
        .digest(&format!("pairwise subject\n{app_id}\n{user_id}"));
    hex[..43].to_owned()
}

/// The honoured scopes of a request, space-separated, in a fixed order.
pub fn normalize_scope(requested: &str) -> String {
    let asked: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
    SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}
