//! `POST /{tenant}/oauth2/v2.0/token`: JSON answers with `no-store`,
//! errors as RFC 6749 §5.2 says. Sign-in apps use the code and refresh
//! grants; scripts calling the API use `client_credentials`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::json;

use super::params::Params;
use crate::app::AppState;
use crate::services::api_tokens;
use crate::services::openid_connect as oidc;
use crate::services::openid_connect::token::{self, ClientCredentials, TokenError};
use crate::web::error::AppError;

fn json_answer(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// 429 with `Retry-After`, in the shape of the endpoint's other errors.
fn too_many_requests(retry_after_secs: u64) -> HttpResponse {
    let mut response = json_answer(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({
            "error": "temporarily_unavailable",
            "error_description": format!("Too many token requests for this client. Try again in {retry_after_secs} seconds."),
        }),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after_secs));
    response
}

fn error_answer(error: &TokenError, basic: bool) -> HttpResponse {
    if let TokenError::Server(e) = error {
        tracing::error!(error = %e, "token endpoint failed");
    }
    let status = match error {
        TokenError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        TokenError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = json_answer(
        status,
        &json!({ "error": error.code(), "error_description": error.description() }),
    );
    if basic && status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"vestibule\""),
        );
    }
    response
}

/// Client credentials from `Authorization: Basic` (each part
/// form-urlencoded, RFC 6749 §2.3.1) or from the body; never both.
fn credentials(req: &HttpRequest, params: &Params) -> Result<(ClientCredentials, bool), TokenError> {
    let invalid = |d: &str| TokenError::InvalidRequest(d.to_owned());
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    match basic {
        Some(encoded) => {
            if params.get("client_secret").is_some() {
                return Err(invalid("Use one way of client authentication, not two."));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| TokenError::InvalidClient("The Authorization header could not be read.".into()))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| TokenError::InvalidClient("The Authorization header could not be read.".into()))?;
            let form_decode = |s: &str| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                    .ok()
                    .and_then(|mut v| v.pop())
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            };
            let (id, secret) = (form_decode(id), form_decode(secret));
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(invalid(
                    "The client_id in the body differs from the one in the Authorization header.",
                ));
            }
            Ok((
                ClientCredentials {
                    client_id: id,
                    secret: Some(secret),
                },
                true,
            ))
        }
        None => {
            let client_id = params
                .get("client_id")
                .ok_or_else(|| TokenError::InvalidClient("The client_id is missing.".into()))?;
            Ok((
                ClientCredentials {
                    client_id: client_id.to_owned(),
                    secret: params.get("client_secret").map(str::to_owned),
                },
                false,
            ))
        }
    }
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: web::Path<String>,
    body: String,
) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(&state).await?;
    if !oidc::is_this_tenant(&org, &tenant) {
        return Ok(super::discovery::unknown_tenant(&tenant));
    }
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(message) => return Ok(error_answer(&TokenError::InvalidRequest(message), false)),
    };
    let (credentials, basic) = match credentials(&req, &params) {
        Ok(c) => c,
        Err(e) => return Ok(error_answer(&e, false)),
    };
    // Per client, before its secret is checked: guessing a client's secret
    // costs a turn per guess. A client_id no app has still counts, so the
    // key is cut to a length no real one reaches.
    let client_key: String = credentials.client_id.chars().take(200).collect();
    if let Err(wait) = state.limits.token_per_client.check(&client_key).await {
        tracing::warn!("token request limit reached for a client");
        return Ok(too_many_requests(wait.as_secs().max(1)));
    }
    let answer = async {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| TokenError::InvalidRequest("The grant_type parameter is missing.".into()))?;
        if grant_type == "client_credentials" {
            let tokens = api_tokens::client_credentials(&state, &credentials, params.get("scope")).await?;
            return Ok(serde_json::to_value(&tokens).unwrap_or_default());
        }
        if !matches!(grant_type, "authorization_code" | "refresh_token") {
            return Err(TokenError::UnsupportedGrantType);
        }
        let app = token::authenticate(&state, &credentials).await?;
        match grant_type {
            "authorization_code" => {
                let redirect_uri = params
                    .get("redirect_uri")
                    .ok_or_else(|| TokenError::InvalidRequest("The redirect_uri parameter is missing.".into()))?;
                token::exchange_code(
                    &state,
                    &app,
                    params.get("code").unwrap_or(""),
                    redirect_uri,
                    params.get("code_verifier"),
                )
                .await
                .map(|t| serde_json::to_value(&t).unwrap_or_default())
            }
            _ => token::refresh(
                &state,
                &app,
                params.get("refresh_token").unwrap_or(""),
                params.get("scope"),
            )
            .await
            .map(|t| serde_json::to_value(&t).unwrap_or_default()),
        }
    }
    .await;
    Ok(match answer {
        Ok(tokens) => json_answer(StatusCode::OK, &tokens),
        Err(e) => error_answer(&e, basic),
    })
}
