//! `/{tenant}/oauth2/v2.0/authorize` (GET and POST): the authorization
//! code flow with PKCE (S256 only).
//!
//! Until the client and its redirect URI are known to be right, problems
//! are shown on a page of Vestibule's and never sent anywhere (an open
//! redirector otherwise). After that they go back to the application with
//! `error`, `state` and `iss` (RFC 9207). A user who may not sign in to the
//! application sees Entra's explanation here, and the sign-in log says why.

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;

use super::params::{Params, RawParams, with_query};
use crate::app::AppState;
use crate::domain::single_sign_on::RedirectKind;
use crate::services::openid_connect::access::Refusal;
use crate::services::openid_connect::authorize::{CodeRequest, issue_code};
use crate::services::openid_connect::{self as oidc, has_scope, normalize_scope};
use crate::store::single_sign_on::SsoConfig;
use crate::web::error::AppError;
use crate::web::extractors::SignedIn;
use crate::web::layout::Layout;

/// The page shown when sign-in cannot go on: Entra's words and code.
#[derive(Template)]
#[template(path = "oidc/problem.html")]
pub struct ProblemPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub app_name: Option<String>,
    pub timestamp: String,
}

pub fn problem(status: StatusCode, heading: &str, message: &str, app_name: Option<&str>, now: i64) -> HttpResponse {
    let page = ProblemPage {
        layout: Layout::bare(heading),
        heading: heading.to_owned(),
        message: message.to_owned(),
        app_name: app_name.map(str::to_owned),
        timestamp: crate::clock::format_time(now),
    };
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => actix_web::ResponseError::error_response(&AppError::Internal(e.into())),
    }
}

/// The response of a form_post reply: a form the browser posts to the
/// application (OAuth 2.0 Form Post Response Mode).
#[derive(Template)]
#[template(path = "oidc/form_post.html")]
struct FormPostPage {
    layout: Layout,
    action: String,
    fields: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseMode {
    Query,
    FormPost,
}

/// Where and how answers go once the client and redirect URI are right.
struct Reply<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    issuer: String,
    mode: ResponseMode,
}

impl Reply<'_> {
    fn send<'s>(&'s self, mut fields: Vec<(&'s str, &'s str)>) -> HttpResponse {
        if let Some(state) = self.state {
            fields.push(("state", state));
        }
        fields.push(("iss", &self.issuer));
        match self.mode {
            ResponseMode::Query => HttpResponse::Found()
                .insert_header((header::LOCATION, with_query(self.redirect_uri, &fields)))
                .finish(),
            ResponseMode::FormPost => {
                let page = FormPostPage {
                    layout: Layout::bare("Signing you in"),
                    action: self.redirect_uri.to_owned(),
                    fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                };
                let origin = crate::security::origin::Origin::of_url(self.redirect_uri)
                    .map(|_| {
                        let (scheme, rest) = self.redirect_uri.split_once("://").unwrap_or(("https", ""));
                        format!("{scheme}://{}", rest.split(['/', '?', '#']).next().unwrap_or(""))
                    })
                    .unwrap_or_default();
                match page.render() {
                    Ok(body) => HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        // The form goes to the application's origin.
                        .insert_header((
                            header::CONTENT_SECURITY_POLICY,
                            format!(
                                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                                 form-action {origin}; frame-ancestors 'none'; base-uri 'none'"
                            ),
                        ))
                        .body(body),
                    Err(e) => actix_web::ResponseError::error_response(&AppError::Internal(e.into())),
                }
            }
        }
    }

    fn error<'s>(&'s self, error: &'s str, description: &'s str) -> HttpResponse {
        self.send(vec![("error", error), ("error_description", description)])
    }
}

/// The parameter Vestibule adds when it sends a user to sign in: the time
/// it did, so the request that comes back after a fresh sign-in is not
/// sent to sign in again for `prompt=login` or `max_age`.
const SIGNED_IN_AFTER: &str = "vestibule_signed_in_after";

/// GET and POST alike.
pub async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: web::Path<String>,
    RawParams(raw): RawParams,
) -> Result<HttpResponse, AppError> {
    let tenant = tenant.as_str();
    let now = state.clock.now();
    let page = |status, heading: &str, message: &str, app: Option<&SsoConfig>| {
        Ok(problem(
            status,
            heading,
            message,
            app.map(|a| a.display_name.as_str()),
            now,
        ))
    };
    let org = crate::services::organization::current(&state).await?;
    if !oidc::is_this_tenant(&org, tenant) {
        let message =
            format!("AADSTS90002: Tenant '{tenant}' not found. Check the sign-in address of the application.");
        return page(StatusCode::BAD_REQUEST, "Sign-in address not found", &message, None);
    }
    let params = match Params::parse(&raw) {
        Ok(p) => p,
        Err(message) => {
            return page(
                StatusCode::BAD_REQUEST,
                "The sign-in request is not valid",
                &message,
                None,
            );
        }
    };
    // The client and the redirect URI first: nothing leaves this page
    // until both are known.
    let Some(client_id) = params.get("client_id") else {
        let message = "AADSTS900144: The request body must contain the following parameter: 'client_id'.";
        return page(
            StatusCode::BAD_REQUEST,
            "The sign-in request is not valid",
            message,
            None,
        );
    };
    let Some(app) = oidc::client(&state, client_id).await? else {
        let message = format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'. \
             The application may not be set up for single sign-on, or the request was sent to the wrong directory.",
            org.name
        );
        return page(StatusCode::BAD_REQUEST, "Application not found", &message, None);
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        let message = "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.";
        return page(
            StatusCode::BAD_REQUEST,
            "The sign-in request is not valid",
            message,
            Some(&app),
        );
    };
    let mut conn = state.db.pool().acquire().await?;
    let registered =
        crate::store::single_sign_on::has_redirect_uri(&mut conn, &app.app_id, RedirectKind::Redirect, redirect_uri)
            .await?;
    let public_client = !crate::store::single_sign_on::has_secrets(&mut conn, &app.app_id).await?;
    drop(conn);
    if !registered {
        let message = format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs \
             configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one \
             added to your application on its Single sign-on page."
        );
        return page(StatusCode::BAD_REQUEST, "Redirect URI mismatch", &message, Some(&app));
    }

    let mode = match params.get("response_mode") {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err(()),
    };
    let reply = Reply {
        redirect_uri,
        state: params.get("state"),
        issuer: oidc::issuer_of(&state, &org),
        mode: mode.unwrap_or(ResponseMode::Query),
    };
    if mode.is_err() {
        return Ok(reply.error("invalid_request", "The response_mode must be query or form_post."));
    }
    if params.get("request").is_some() {
        return Ok(reply.error("request_not_supported", "Request objects are not supported."));
    }
    if params.get("request_uri").is_some() {
        return Ok(reply.error(
            "request_uri_not_supported",
            "The request_uri parameter is not supported.",
        ));
    }
    match params.get("response_type") {
        None => return Ok(reply.error("invalid_request", "The response_type parameter is missing.")),
        Some("code") => {}
        Some(_) => {
            return Ok(reply.error("unsupported_response_type", "Only the code response type is supported."));
        }
    }
    let scope = params.get("scope").unwrap_or("");
    if !scope.split(' ').any(|s| s == "openid") {
        return Ok(reply.error("invalid_scope", "The scope must include openid."));
    }
    let challenge = params.get("code_challenge");
    match (challenge, params.get("code_challenge_method")) {
        (None, Some(_)) => {
            return Ok(reply.error(
                "invalid_request",
                "A code_challenge_method was sent without a code_challenge.",
            ));
        }
        (Some(_), method) if method != Some("S256") => {
            return Ok(reply.error("invalid_request", "The code_challenge_method must be S256."));
        }
        (Some(c), _) if c.len() != 43 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            return Ok(reply.error("invalid_request", "The code_challenge is not a S256 challenge."));
        }
        (None, None) if public_client => {
            return Ok(reply.error(
                "invalid_request",
                "AADSTS9002325: Proof Key for Code Exchange is required for this client (it has no client secret).",
            ));
        }
        _ => {}
    }
    let nonce = params.get("nonce");
    if nonce.is_some_and(|n| n.len() > 1024) {
        return Ok(reply.error("invalid_request", "The nonce is too long."));
    }
    let prompts: Vec<&str> = params
        .get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return Ok(reply.error("invalid_request", "prompt=none cannot be combined with other values."));
    }
    let max_age = match params.get("max_age").map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => return Ok(reply.error("invalid_request", "The max_age must be a number of seconds.")),
    };

    // Who is signed in, and whether that sign-in will do.
    let signed_in = SignedIn::extract(&req).await.ok().map(|s| s.0);
    let signed_in_after: Option<i64> = params.get(SIGNED_IN_AFTER).and_then(|t| t.parse().ok());
    let session_user = signed_in.as_ref().and_then(|u| u.session.user());
    let fresh = |auth_time: i64| signed_in_after.is_some_and(|after| auth_time >= after);
    let needs_sign_in = match &session_user {
        None => true,
        Some(s) => {
            !fresh(s.issued_at) && (prompts.contains(&"login") || max_age.is_some_and(|m| now - s.issued_at > m))
        }
    };
    if needs_sign_in {
        if prompts.contains(&"none") {
            return Ok(reply.error("login_required", "The user must sign in: prompt=none was asked for."));
        }
        let mut pairs: Vec<(&str, &str)> = params.pairs().filter(|(k, _)| *k != SIGNED_IN_AFTER).collect();
        let after = now.to_string();
        pairs.push((SIGNED_IN_AFTER, &after));
        pairs.sort();
        let back = with_query(req.path(), &pairs);
        if !crate::web::auth::is_local_path(&back) {
            return Ok(reply.error("invalid_request", "The authorization request is too long."));
        }
        let mut signin = format!("/signin?next={}", crate::domain::url_query::encode(&back));
        if let Some(hint) = params.get("login_hint") {
            signin.push_str(&format!("&login_hint={}", crate::domain::url_query::encode(hint)));
        }
        return Ok(HttpResponse::Found().insert_header((header::LOCATION, signin)).finish());
    }
    let (user, session_user) = (signed_in.expect("signed in"), session_user.expect("signed in"));
    if user.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let scope = normalize_scope(scope);
    debug_assert!(has_scope(&scope, "openid"));
    let client_ip = crate::web::middleware::client_ip(&req);
    let issued = issue_code(
        &state,
        &CodeRequest {
            app: &app,
            user: &user.user,
            session_id: &session_user.session_id(),
            session_epoch: session_user.epoch,
            auth_time: session_user.issued_at,
            redirect_uri,
            scope: &scope,
            nonce,
            code_challenge: challenge,
            client_ip: client_ip.as_deref(),
        },
    )
    .await?;
    match issued {
        Ok(code) => Ok(reply.send(vec![("code", &code)])),
        Err(refusal) => Ok(refused(&refusal, &app, now)),
    }
}

/// A user who may not use the application: Entra's words.
fn refused(refusal: &Refusal, app: &SsoConfig, now: i64) -> HttpResponse {
    problem(
        StatusCode::FORBIDDEN,
        "Sorry, but we're having trouble signing you in.",
        &refusal.message,
        Some(&app.display_name),
        now,
    )
}
