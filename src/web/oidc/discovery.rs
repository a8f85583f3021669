//! The discovery document (OpenID Connect Discovery 1.0) and the JWKS.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::services::openid_connect::{self as oidc, SCOPES};
use crate::store::organization::Organization;
use crate::web::error::AppError;

fn document(state: &AppState, org: &Organization) -> serde_json::Value {
    let base = state.public_url.trim_end_matches('/');
    let tid = &org.tenant_id;
    json!({
        "issuer": oidc::issuer_of(state, org),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "aud", "exp", "iat", "nbf", "sub", "oid", "tid", "name", "preferred_username", "email",
            "nonce", "auth_time", "sid", "ver", "roles"
        ],
        "prompt_values_supported": ["none", "login", "select_account", "consent"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "frontchannel_logout_supported": false,
        "tenant_region_scope": null,
    })
}

/// JSON that any site may read: it is public, and single-page apps fetch it.
fn public_json(body: &serde_json::Value, max_age: u32) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .json(body)
}

/// Entra answers an unknown tenant with a JSON error too.
pub fn unknown_tenant(tenant: &str) -> HttpResponse {
    HttpResponse::BadRequest().content_type("application/json").json(json!({
        "error": "invalid_tenant",
        "error_description": format!("AADSTS90002: Tenant '{tenant}' not found."),
    }))
}

pub async fn configuration(state: web::Data<AppState>, tenant: web::Path<String>) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    if !oidc::is_this_tenant(&org, &tenant) {
        return Ok(unknown_tenant(&tenant));
    }
    Ok(public_json(&document(&state, &org), 3600))
}

/// The same document at the site's root, for clients that look there.
pub async fn root_configuration(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    Ok(public_json(&document(&state, &org), 3600))
}

/// The published keys: those that sign and retired ones whose tokens may
/// still be in use. Kept in caches for five minutes, less than a rotation
/// takes to reach every instance plus a token's life.
pub async fn keys(state: web::Data<AppState>, tenant: web::Path<String>) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    if !oidc::is_this_tenant(&org, &tenant) {
        return Ok(unknown_tenant(&tenant));
    }
    let keys = oidc::keys(&state).await.map_err(AppError::Internal)?;
    Ok(public_json(&json!({ "keys": keys.published }), 300))
}
