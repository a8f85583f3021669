//! `CsrfForm<T>`: a url-encoded form whose `csrf_token` field must match
//! the session's token. The token is checked before the rest of the form is
//! even parsed, so a forged request never reaches a handler.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::web::error::AppError;
use crate::web::session::TypedSession;

pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let body = body.await.map_err(|e| {
                if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("The form could not be read.".into())
                }
            })?;
            let session = TypedSession::extract(&req)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let fields: Vec<(String, String)> = if is_form {
                serde_urlencoded::from_bytes(&body).unwrap_or_default()
            } else {
                Vec::new()
            };
            let token = fields
                .iter()
                .find(|(k, _)| k == "csrf_token")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if !session.csrf_matches(token) {
                tracing::warn!(path = %req.path(), "refused a form without a valid CSRF token");
                return Err(AppError::CsrfRejected);
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|_| AppError::BadRequest("The form is missing fields or has invalid values.".into()))
        })
    }
}
