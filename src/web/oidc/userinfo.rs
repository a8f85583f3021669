//! `GET|POST /oidc/userinfo` with a bearer access token (RFC 6750): in the
//! Authorization header, or as `access_token` in a form body.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::params::Params;
use crate::app::AppState;
use crate::services::openid_connect::userinfo::{self, UserInfoError};
use crate::web::error::AppError;

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn challenge(error: Option<(&str, &str)>) -> HttpResponse {
    let value = match error {
        Some((code, description)) => {
            format!("Bearer realm=\"vestibule\", error=\"{code}\", error_description=\"{description}\"")
        }
        None => "Bearer realm=\"vestibule\"".to_owned(),
    };
    let mut response = HttpResponse::build(StatusCode::UNAUTHORIZED)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

async fn answer(state: &AppState, token: Option<String>) -> Result<HttpResponse, AppError> {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() < 8192) else {
        return Ok(challenge(None));
    };
    match userinfo::userinfo(state, &token).await {
        Ok(info) => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(info)),
        Err(UserInfoError::InvalidToken(description)) => Ok(challenge(Some(("invalid_token", description)))),
        Err(UserInfoError::Server(e)) => Err(AppError::Internal(e)),
    }
}

pub async fn userinfo_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    answer(&state, bearer(&req)).await
}

pub async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, AppError> {
    let from_body = Params::parse(&body)
        .ok()
        .and_then(|p| p.get("access_token").map(str::to_owned));
    match (bearer(&req), from_body) {
        (Some(_), Some(_)) => Ok(HttpResponse::BadRequest()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        (header_token, body_token) => answer(&state, header_token.or(body_token)).await,
    }
}
