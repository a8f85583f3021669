//! Middleware of every request: the client address, the access log (paths
//! only: tickets travel in query strings), the Host check, the same-origin
//! check on every state-changing request, security headers, and
//! per-address rate limits.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::app::AppState;
use crate::limits::{Limit, RateLimits};
use crate::security::origin::Origin;
use crate::web::error::AppError;

/// The client's address as rate limits and the audit log see it.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

/// The client address the middleware found, for the audit log.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    req.extensions().get::<ClientIp>().map(|ip| ip.0.to_string())
}

/// Works out the client address, refuses requests for another host and
/// cross-site state changes, and logs the request without its query string.
pub async fn request_context<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = forwarded_for(&req);
    let ip = match &state {
        Some(state) => state.settings.trusted_proxies.client_ip(peer, forwarded.as_deref()),
        None => peer,
    };
    if let Some(ip) = ip {
        req.extensions_mut().insert(ClientIp(ip));
    }
    let method = req.method().clone();
    let path = req.path().to_owned();

    if let Some(state) = &state
        && !addressed_to_public_host(&req, &state.public_url)
    {
        tracing::warn!(%method, %path, host = request_host(&req).unwrap_or(""), "refused a request for another host");
        let error = AppError::WrongHost {
            public_url: state.public_url.clone(),
        };
        return Ok(req.error_response(error).map_into_right_body());
    }
    if !is_safe_method(&method) && !crate::web::oidc::is_protocol_path(&path) && !same_origin(&req) {
        tracing::warn!(%method, %path, "refused a cross-site request");
        return Ok(req.error_response(AppError::CsrfRejected).map_into_right_body());
    }

    let res = next.call(req).await?.map_into_left_body();
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let client = ip.map(|i| i.to_string()).unwrap_or_default();
    tracing::info!(target: "vestibule::access", %method, %path, status, elapsed_ms, client = %client, "request");
    Ok(res)
}

/// Every `X-Forwarded-For` line, in order, as one list. A proxy may add
/// its own line under the one the client sent (HAProxy's `option
/// forwardfor` does) instead of appending to it; reading the first line
/// alone would believe whatever the client wrote there.
fn forwarded_for(req: &ServiceRequest) -> Option<String> {
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    (!lines.is_empty()).then(|| lines.join(","))
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths answered whatever host a request names. Health probes of load
/// balancers and orchestrators address an instance by its IP address;
/// static files are the same for everyone, and let the 421 page be styled.
/// None of them shows anything of the directory or the mail.
fn answers_any_host(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz") || path.starts_with("/static/")
}

/// The host a request names: its target's authority when it has one (an
/// absolute-form target, HTTP/2), else its `Host` header.
fn request_host(req: &ServiceRequest) -> Option<&str> {
    match req.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => req.headers().get(header::HOST).and_then(|v| v.to_str().ok()),
    }
}

/// A request must name the public URL's host and port. Otherwise it was
/// sent to another name that resolves here, as a DNS-rebinding page does
/// to read this origin from a visitor's browser, or to an address the
/// portal is not published at.
fn addressed_to_public_host(req: &ServiceRequest, public_url: &str) -> bool {
    if answers_any_host(req.path()) {
        return true;
    }
    let Some(public) = Origin::of_url(public_url) else {
        return false;
    };
    let host_header = req.headers().get(header::HOST).map(|v| v.to_str().unwrap_or(""));
    request_host(req).is_some_and(|host| public.is_addressed_by(host))
        && host_header.is_none_or(|host| public.is_addressed_by(host))
}

/// A state-changing request must not come from another site: browsers say
/// so in `Sec-Fetch-Site` (which pages cannot forge), and in `Origin`, which
/// must be the public URL's origin (scheme, host and port). Under
/// `Referrer-Policy: no-referrer` browsers send `Origin: null` on form
/// posts, so `null` passes only with `Sec-Fetch-Site: same-origin`.
fn same_origin(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("")) else {
        // Not a browser form post (scripts, older clients): the CSRF token decides.
        return true;
    };
    if origin == "null" {
        return site.is_some_and(|s| s.eq_ignore_ascii_case("same-origin"));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return false;
    };
    match (Origin::of_url(origin), Origin::of_url(&state.public_url)) {
        (Some(origin), Some(public)) => origin.same_as(&public),
        _ => false,
    }
}

/// The Content-Security-Policy of every page. `forms_to` is one more
/// origin the page's forms may lead to: browsers hold every redirect that
/// follows a form post to `form-action`, so a form whose redirects end at
/// an application needs its origin (see `web::oidc::forms_may_reach`).
pub fn content_security_policy(forms_to: Option<&str>) -> String {
    let form_action = match forms_to {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The headers of every response (a handler's own win). HSTS only when
/// browsers reach the portal over https: the public URL is https, or the
/// listener itself speaks TLS (`startup::serve` decides).
pub fn security_headers(hsts: bool) -> actix_web::middleware::DefaultHeaders {
    let mut headers = actix_web::middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, content_security_policy(None)))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
        .add((header::CACHE_CONTROL, "no-store"));
    if hsts {
        headers = headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"));
    }
    headers
}

/// Limits sign-in attempts per client address; the per-account limit is
/// checked by the handler, which knows the account.
pub async fn limit_signin_per_ip<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let limited = req.method() == Method::POST;
    limit_per_ip(req, next, limited, |l| &l.signin_per_ip, "sign-in").await
}

/// Limits every request of the guest flow (redemption, codes) per client
/// address, GETs included: each one costs a lookup by digest.
pub async fn limit_guest_flow_per_ip<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    limit_per_ip(req, next, true, |l| &l.guest_flow_per_ip, "guest flow").await
}

async fn limit_per_ip<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    limited: bool,
    limit: fn(&RateLimits) -> &Limit,
    what: &'static str,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let client = req.extensions().get::<ClientIp>().copied();
    let verdict = match (limited, req.app_data::<web::Data<AppState>>(), client) {
        (true, Some(state), Some(ClientIp(ip))) => limit(&state.limits).check_address(ip).await.map_err(|w| (ip, w)),
        _ => Ok(()),
    };
    if let Err((ip, wait)) = verdict {
        tracing::warn!(client = %ip, "{what} rate limit reached for an address");
        let error = AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        };
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
