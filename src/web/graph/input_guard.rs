//! Refuses, before any route runs, a NUL character (U+0000) anywhere in an
//! API request: in its path (an id), its query (a `$filter` literal) or
//! its JSON body (a value or a property name). PostgreSQL's text cannot
//! hold one, so a NUL reaching a query made it fail (a 500) where SQLite
//! stored it; no Graph value has one. Checking here, once, covers every
//! route and every request of a `$batch`, and answers the same on both
//! stores: 400 `Request_BadRequest`, with nothing written.

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use serde_json::Value;

use super::JSON_MAX;
use super::error::GraphError;
use crate::web::nul_guard::{BodyError, has_nul_encoded, take_body};

fn refused() -> GraphError {
    GraphError::bad_request("The request contains a NUL character (U+0000), which no value may hold.")
}

/// Whether any string of a JSON value, or any property name, holds a NUL.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            v.starts_with("application/json") || (v.starts_with("application/") && v.contains("+json"))
        })
}

pub async fn refuse_nul<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // The answer is made here, inside `context`, so that it carries the
    // request's IDs like any route's error.
    let refuse =
        |req: ServiceRequest, error: GraphError| Ok(req.into_response(error.error_response()).map_into_right_body());
    if has_nul_encoded(req.path()) || has_nul_encoded(req.query_string()) {
        return refuse(req, refused());
    }
    if is_json(&req) {
        // Read the body (as the JSON extractor would, up to its limit),
        // look into it, and hand it on unchanged.
        let body = match take_body(&mut req, JSON_MAX).await {
            Ok(body) => body,
            Err(BodyError::Unreadable) => {
                return refuse(req, GraphError::bad_request("The request body could not be read."));
            }
            Err(BodyError::TooLarge) => {
                let too_large = GraphError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request_BadRequest",
                    format!("The request body is larger than {JSON_MAX} bytes."),
                );
                return refuse(req, too_large);
            }
        };
        // A body that is not JSON is left to the route, which says so.
        if serde_json::from_slice::<Value>(&body).is_ok_and(|v| has_nul(&v)) {
            return refuse(req, refused());
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_however_it_is_written() {
        assert!(has_nul_encoded("/v1.0/groups/a%00b"));
        assert!(has_nul_encoded("$filter=displayName+eq+'a%00'"));
        assert!(!has_nul_encoded("/v1.0/groups/a%2500b"));
        assert!(has_nul(&serde_json::json!({"a": ["x", {"b": "c\u{0}"}]})));
        assert!(has_nul(&serde_json::json!({"k\u{0}": 1})));
        assert!(!has_nul(&serde_json::json!({"a": "\\u0000", "b": [1, null, true]})));
    }
}
