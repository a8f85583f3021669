//! The OpenID Connect endpoints, at Entra's paths so a library configured
//! for Entra only changes the host: discovery, authorize, token, the JWKS,
//! UserInfo and RP-initiated logout. `{tenant}` is the organization's
//! tenant ID or primary domain. The rules are in
//! `services::openid_connect`; these handlers speak the protocol.
//!
//! These endpoints are called across sites by design (an application's
//! page posts to authorize, its server posts to token), so the
//! middleware's same-origin check leaves them alone (`is_protocol_path`);
//! the confirmation form of logout carries its own CSRF token.

pub mod authorize;
pub mod discovery;
pub mod logout;
pub mod params;
pub mod token;
pub mod userinfo;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};

use crate::app::AppState;
use crate::domain::single_sign_on::RedirectKind;
use crate::security::origin::Origin;
use crate::web::error::AppError;
use crate::web::routes::route_table;

route_table!(OIDC_ROUTES, oidc_routes, "", {
    get "/.well-known/openid-configuration" => discovery::root_configuration,
    get "/{tenant}/v2.0/.well-known/openid-configuration" => discovery::configuration,
    get "/{tenant}/discovery/v2.0/keys" => discovery::keys,
    get "/{tenant}/oauth2/v2.0/authorize" => authorize::authorize,
    post "/{tenant}/oauth2/v2.0/authorize" => authorize::authorize,
    post "/{tenant}/oauth2/v2.0/token" => token::token,
    get "/oidc/userinfo" => userinfo::userinfo_get,
    post "/oidc/userinfo" => userinfo::userinfo_post,
    get "/{tenant}/oauth2/v2.0/logout" => logout::logout,
    post "/{tenant}/oauth2/v2.0/logout" => logout::logout,
});

/// Paths an application's page or server may call from another site (the
/// API's calls carry a bearer token, never a cookie).
pub fn is_protocol_path(path: &str) -> bool {
    path == "/oidc/userinfo"
        || path.starts_with("/v1.0/")
        || path.ends_with("/oauth2/v2.0/authorize")
        || path.ends_with("/oauth2/v2.0/token")
        || path.ends_with("/oauth2/v2.0/logout")
}

/// The origin of the application that `next` signs in to, when `next` (a
/// local path Vestibule goes on to after a sign-in) is an authorization
/// request of a known client with one of its registered redirect URIs.
pub async fn application_origin(state: &AppState, next: &str) -> Result<Option<String>, AppError> {
    let (path, query) = next.split_once('?').unwrap_or((next, ""));
    let segments: Vec<&str> = path.split('/').collect();
    if !matches!(segments.as_slice(), ["", _, "oauth2", "v2.0", "authorize"]) {
        return Ok(None);
    }
    let Ok(params) = params::Params::parse(query) else {
        return Ok(None);
    };
    let (Some(client_id), Some(redirect_uri)) = (params.get("client_id"), params.get("redirect_uri")) else {
        return Ok(None);
    };
    let Some(app) = crate::services::openid_connect::client(state, client_id).await? else {
        return Ok(None);
    };
    let mut conn = state.db.pool().acquire().await?;
    let registered =
        crate::store::single_sign_on::has_redirect_uri(&mut conn, &app.app_id, RedirectKind::Redirect, redirect_uri)
            .await?;
    Ok(registered
        .then(|| Origin::of_url(redirect_uri).and_then(|o| o.csp_source()))
        .flatten())
}

/// `page` with a policy that lets its forms lead to `origin` (an
/// application's) as well as here.
pub fn let_forms_reach(mut page: HttpResponse, origin: Option<&str>) -> HttpResponse {
    if let Some(origin) = origin
        && let Ok(policy) = HeaderValue::from_str(&crate::web::middleware::content_security_policy(Some(origin)))
    {
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    page
}

/// A page on the way to an application's sign-in (Sign in, Enter code,
/// Review permissions, with `next` the authorization request waiting):
/// the form's post ends in redirects to authorize and on to the
/// application, and browsers hold each of them to the page's
/// `form-action`, so the page names the application's origin there.
pub async fn forms_may_reach(
    state: &AppState,
    next: Option<&str>,
    page: HttpResponse,
) -> Result<HttpResponse, AppError> {
    let origin = match next {
        Some(next) if crate::web::auth::is_local_path(next) => application_origin(state, next).await?,
        _ => None,
    };
    // An address at a federated domain goes on to its identity provider.
    let mut origins: Vec<String> = origin.into_iter().collect();
    origins.extend(crate::services::identity_providers::federation::authorization_origins(state).await?);
    let origins = (!origins.is_empty()).then(|| origins.join(" "));
    Ok(let_forms_reach(page, origins.as_deref()))
}
