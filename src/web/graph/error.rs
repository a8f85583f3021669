//! Graph's error answer: `{"error":{"code","message","innerError":{"date",
//! "request-id","client-request-id"}}}` with Graph's codes, which the SDKs
//! parse (`innerError` with a capital E is what the JavaScript client
//! reads). Every answer under `/v1.0` carries `request-id`, set by
//! `context`; an error repeats it in its body.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::services::ServiceError;

/// The request's IDs, for error bodies: set around each `/v1.0` request.
#[derive(Clone, Debug, Default)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: Option<String>,
}

tokio::task_local! {
    pub static REQUEST_IDS: RequestIds;
}

/// A refusal of the API, with Graph's status and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for a 429.
    pub retry_after: Option<u64>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// A resource that does not exist, named as Graph names it.
    pub fn not_found(id: &str) -> Self {
        let shown: String = id.chars().take(100).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{shown}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn denied_because(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Authorization_RequestDenied", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Wait as Retry-After says, then try again.",
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "The server could not complete the request.",
        )
    }

    /// The error's JSON body.
    pub fn body(&self) -> serde_json::Value {
        let ids = REQUEST_IDS.try_with(Clone::clone).unwrap_or_default();
        let date = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": date.trim_end_matches('Z'),
                    "request-id": ids.request_id,
                    "client-request-id": ids.client_request_id.unwrap_or_else(|| ids.request_id.clone()),
                }
            }
        })
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for GraphError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/json");
        if let Some(seconds) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.body(self.body().to_string())
    }
}

impl From<sqlx::Error> for GraphError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "the API failed on the database");
        GraphError::internal()
    }
}

impl From<anyhow::Error> for GraphError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = %e, "the API failed");
        GraphError::internal()
    }
}

/// A service's refusal, as the API says it: the portal's own message, with
/// Graph's code for its kind.
impl From<ServiceError> for GraphError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(message) => GraphError::bad_request(message),
            ServiceError::Invalid(errors) => GraphError::bad_request(errors.summary()),
            ServiceError::Denied(message) => GraphError::denied_because(message),
            ServiceError::NotFound => GraphError::new(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                "The resource does not exist or one of its queried reference-property objects are not present.",
            ),
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(e) => e.into(),
        }
    }
}
