//! Refuses, before any page's route runs, a NUL character (U+0000) in its
//! path, its query or its url-encoded form. PostgreSQL's text cannot hold
//! one, so a NUL reaching a query made it fail (a 500) where SQLite stored
//! it; no field of the portal has a use for one. Checking here, once,
//! answers the same on both stores: 400 with a page that says why, and
//! nothing written. The API has its own guard, which answers in Graph's
//! shape (`graph::input_guard`); uploads (multipart) are files, left to
//! the routes that read them.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::web::error::AppError;

/// Whether `text`, as it is or percent-decoded, holds a NUL.
pub(crate) fn has_nul_encoded(text: &str) -> bool {
    text.contains('\0') || percent_encoding::percent_decode_str(text).any(|b| b == 0)
}

/// Why a request's body could not be looked into.
pub(crate) enum BodyError {
    Unreadable,
    /// Larger than the limit given.
    TooLarge,
}

/// Reads the request's body, up to `max` bytes, so a guard can look into
/// it; the caller hands it on with `set_payload`.
pub(crate) async fn take_body(req: &mut ServiceRequest, max: usize) -> Result<Bytes, BodyError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn refused() -> AppError {
    AppError::BadRequest(
        "The request contains a NUL character (U+0000), which no field may hold. Nothing was changed.".into(),
    )
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

pub async fn refuse_nul<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // The token endpoint speaks OAuth's JSON errors, every other page HTML.
    let refuse = |req: ServiceRequest, error: AppError| {
        let response = if req.path().ends_with("/oauth2/v2.0/token") {
            actix_web::HttpResponse::BadRequest().json(serde_json::json!({
                "error": "invalid_request",
                "error_description": error.to_string(),
            }))
        } else {
            error.error_response()
        };
        Ok(req.into_response(response).map_into_right_body())
    };
    if req.path().starts_with("/v1.0/") {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    if has_nul_encoded(req.path()) || has_nul_encoded(req.query_string()) {
        return refuse(req, refused());
    }
    if is_form(&req) {
        let max = req
            .app_data::<actix_web::web::Data<AppState>>()
            .map_or(64 * 1024, |s| s.settings.max_form_bytes);
        let body = match take_body(&mut req, max).await {
            Ok(body) => body,
            Err(BodyError::Unreadable) => {
                return refuse(req, AppError::BadRequest("The form could not be read.".into()));
            }
            Err(BodyError::TooLarge) => return refuse(req, AppError::PayloadTooLarge),
        };
        if url::form_urlencoded::parse(&body).any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return refuse(req, refused());
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}
