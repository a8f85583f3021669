//! Redeeming with the guest's own account: `POST /redeem/provider` sends
//! the browser to the identity provider serving the invited domain, and
//! `GET /federation/callback` takes it back. The request (`nonce`, PKCE
//! verifier) waits in the database under the digest of its `state` and is
//! used once; the browser's session holds the `state`, so the callback must
//! come back to the browser that left. Every failure ends on a page that
//! says what happened and in the Sign-in logs.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::security::secret::constant_time_eq;
use crate::services::identity_providers::federation::{self, FederationError};
use crate::services::sign_in_log;
use crate::store::sign_in_log::SignInEntry;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::state;
use crate::web::guest::consent::signed_in;
use crate::web::guest::message_page;
use crate::web::guest::redeem::{NoFields, pending};
use crate::web::layout::see_other;
use crate::web::middleware::client_ip;
use crate::web::session::TypedSession;

/// Sign in with {provider}, from the redeem page.
pub async fn start_redemption(
    req: HttpRequest,
    session: TypedSession,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let state = state(&req)?;
    let redemption = match pending(&state, &session).await? {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let Some(provider) = federation::provider_for_address(&state, &redemption.address).await? else {
        return Ok(see_other("/redeem/verify"));
    };
    let (request_state, url) = federation::start(&state, &provider, &redemption.address, false).await?;
    session.set_federation(&request_state)?;
    Ok(see_other(&url))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

/// Ends a sign-in at a provider that did not give the invited identity.
async fn failed(
    req: &HttpRequest,
    session: &TypedSession,
    user: Option<(&str, &str)>,
    reason: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let state = state(req)?;
    let ip = client_ip(req);
    let entry = SignInEntry {
        user_id: user.map(|u| u.0),
        user_name: user.map(|u| u.1),
        failure: Some(("", reason)),
        client_ip: ip.as_deref(),
        ..Default::default()
    };
    sign_in_log::record(&state, &entry).await;
    let (status, heading, message) = if reason.starts_with("no user here is linked") {
        (
            status,
            "This account can't sign in here",
            format!("We could not sign you in: {reason}."),
        )
    } else if reason.contains("does not match the invited address") {
        (
            StatusCode::FORBIDDEN,
            "This account does not match the invitation",
            format!(
                "The account you signed in with does not match the invitation: {reason}. Nothing was changed. \
                 Sign out at your identity provider and sign in with the invited address."
            ),
        )
    } else {
        (
            status,
            "Sign-in with your identity provider failed",
            format!(
                "We could not sign you in: {reason}. Nothing was changed. Open the invitation link again to retry."
            ),
        )
    };
    message_page(session, status, heading, &message, None)
}

/// Where the identity provider sends the browser back.
pub async fn callback(
    req: HttpRequest,
    session: TypedSession,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let state = state(&req)?;
    let redemption = session.redemption();
    let user = redemption.as_ref().map(|r| (r.user_id.as_str(), r.address.as_str()));
    let this_browser = session
        .take_federation()
        .is_some_and(|s| !query.state.is_empty() && constant_time_eq(&s, &query.state));
    let request = match this_browser {
        true => federation::take_request(&state, &query.state).await?,
        false => None,
    };
    let Some(request) = request else {
        let reason = "the sign-in request is unknown, expired or was already used (state)";
        return failed(&req, &session, user, reason, StatusCode::BAD_REQUEST).await;
    };
    if let Some(error) = &query.error {
        let body = serde_json::json!({ "error": error, "error_description": query.error_description });
        let reason = FederationError::ProviderError(federation::error_text(&body)).to_string();
        return failed(&req, &session, user, &reason, StatusCode::BAD_GATEWAY).await;
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        let reason = FederationError::BadToken("no authorization code came back").to_string();
        return failed(&req, &session, user, &reason, StatusCode::BAD_GATEWAY).await;
    };
    let identity = match federation::finish(&state, &request, code, query.iss.as_deref()).await {
        Ok(identity) => identity,
        Err(e) => return failed(&req, &session, user, &e.to_string(), StatusCode::BAD_GATEWAY).await,
    };
    if request.sign_in {
        return match federation::user_for_sign_in(&state, &identity).await? {
            Some(user_id) => {
                let ip = client_ip(&req);
                signed_in(&state, &session, &request.address, &user_id, ip.as_deref()).await
            }
            None => {
                let reason = format!(
                    "no user here is linked to this account at {}; a guest who was invited opens the link in the \
                     invitation email first",
                    identity.provider_name
                );
                failed(&req, &session, None, &reason, StatusCode::FORBIDDEN).await
            }
        };
    }
    let mut redemption = match pending(&state, &session).await? {
        Ok(r) if r.address.eq_ignore_ascii_case(&request.address) => r,
        Ok(_) => {
            let reason = "the invitation in progress changed during the sign-in";
            return failed(&req, &session, user, reason, StatusCode::BAD_REQUEST).await;
        }
        Err(page) => return Ok(page),
    };
    if !federation::link(&state, &redemption.user_id, &identity).await? {
        let reason = "the account at the identity provider is already linked to another user";
        return failed(&req, &session, user, reason, StatusCode::CONFLICT).await;
    }
    redemption.verified = true;
    session.set_redemption(&redemption)?;
    Ok(see_other("/redeem/consent"))
}

/// Sign-in later: an address whose domain belongs to an identity provider
/// goes to that provider, whether or not the address is known here.
pub async fn start_sign_in(
    state: &crate::app::AppState,
    session: &TypedSession,
    address: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let Some(provider) = federation::provider_for_address(state, address).await? else {
        return Ok(None);
    };
    let (request_state, url) = federation::start(state, &provider, address, true).await?;
    session.set_federation(&request_state)?;
    Ok(Some(see_other(&url)))
}
