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

/// Paths an application's page or server may call from another site.
pub fn is_protocol_path(path: &str) -> bool {
    path == "/oidc/userinfo"
        || path.ends_with("/oauth2/v2.0/authorize")
        || path.ends_with("/oauth2/v2.0/token")
        || path.ends_with("/oauth2/v2.0/logout")
}
