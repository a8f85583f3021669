//! One error type for every handler, rendered as a styled page. Internal
//! causes are logged with their chain and never shown.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::services::ServiceError;
use crate::web::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in (or the session ended): go to Sign in, then come back.
    #[error("sign-in required")]
    SignInRequired { next: Option<String> },
    /// Signed in with a temporary password: change it first.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden, with the reason.
    #[error("denied: {0}")]
    Denied(String),
    #[error("the form has expired")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A well-formed request the current state refuses, with the reason.
    #[error("refused: {0}")]
    Refused(String),
    /// The request names another host than the public URL's (a DNS
    /// rebinding page, a wrong address): nothing is served.
    #[error("misdirected request")]
    WrongHost { public_url: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&e) {
            tracing::error!(error = %e, "database unavailable");
            AppError::Unavailable
        } else {
            AppError::Internal(e.into())
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(msg) => AppError::BadRequest(msg),
            ServiceError::Invalid(errors) => {
                AppError::BadRequest(errors.0.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))
            }
            ServiceError::Denied(msg) => AppError::Denied(msg),
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        AppError::Internal(anyhow::anyhow!("session: {e}"))
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: String,
    pub message: String,
    /// Where "Go to the start page" leads.
    pub home: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, heading: &str, message: &str) -> Self {
        Self {
            layout: Layout::bare(heading),
            status: status.as_u16(),
            heading: heading.to_owned(),
            message: message.to_owned(),
            home: "/".into(),
        }
    }

    pub fn respond(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "rendering the error page");
            format!("<!doctype html><title>{}</title><h1>{}</h1>", status, self.heading)
        });
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}

/// The heading and sentence shown for a status.
pub fn words_for(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Bad request",
            "The request could not be understood. Go back and try again.",
        ),
        403 => ("Access denied", "You do not have permission to see this page."),
        404 => ("Page not found", "There is no page at this address."),
        405 => ("Not allowed", "This page cannot be used that way."),
        410 => ("Gone", "This page is no longer available."),
        413 => ("Too large", "What was sent is larger than this page accepts."),
        415 => ("Unsupported", "What was sent is not in a form this page accepts."),
        421 => ("Wrong address", "This portal does not answer at this address."),
        422 => ("This cannot be done", "Some of what was entered is not valid."),
        429 => (
            "Too many attempts",
            "Too many attempts in a short time. Wait a minute and try again.",
        ),
        503 => (
            "Temporarily unavailable",
            "Vestibule cannot reach its database right now. Try again in a moment.",
        ),
        _ => (
            "Something went wrong",
            "An unexpected error occurred. It has been logged; try again.",
        ),
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } | AppError::PasswordChangeRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::Denied(_) | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::WrongHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            AppError::SignInRequired { next } => {
                let location = match next {
                    Some(next) => format!("/signin?next={}", urlencode(next)),
                    None => "/signin".to_owned(),
                };
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish();
            }
            AppError::PasswordChangeRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/account/password"))
                    .finish();
            }
            AppError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            _ => {}
        }
        let (heading, default_message) = words_for(status);
        let message = match self {
            AppError::BadRequest(msg) | AppError::Denied(msg) | AppError::Refused(msg) => msg.clone(),
            AppError::CsrfRejected => {
                "This form has expired or did not come from this site. Go back, reload the page and try again.".into()
            }
            AppError::WrongHost { public_url } => {
                format!("{default_message} Vestibule is served at {public_url}: open it there.")
            }
            _ => default_message.into(),
        };
        let mut page = ErrorPage::new(status, heading, &message);
        if let AppError::WrongHost { public_url } = self {
            page.home = format!("{public_url}/");
        }
        let mut response = page.respond();
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after_secs));
        }
        response
    }
}

/// A query-string value, for the links handlers build.
pub use crate::domain::url_query::encode as urlencode;

/// Marks an error response whose plain-text body is meant for a machine
/// (`/readyz`'s 503): `render_bare_errors` leaves it as it is.
#[derive(Clone, Copy)]
pub struct PlainAnswer;

/// Gives every error response that is not already a page of ours (actix's
/// own 404, 405, 413, extractor errors…) the styled error page. JSON
/// answers (the token endpoint's errors) stay JSON, bearer challenges
/// (UserInfo's 401) keep their `WWW-Authenticate` header, and answers
/// marked `PlainAnswer` keep their text.
pub fn render_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let ours = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if ours
        || res.response().headers().contains_key(header::WWW_AUTHENTICATE)
        || res.response().extensions().get::<PlainAnswer>().is_some()
    {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (heading, message) = words_for(status);
    let mut page = ErrorPage::new(status, heading, message).respond();
    for (name, value) in res.response().headers() {
        if name == header::ALLOW || name == header::RETRY_AFTER {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}
