//! `GET /v1.0/openapi.json`: the OpenAPI document of the whole `/v1.0`
//! surface, kept in `docs/openapi.json` and served with this portal's
//! own addresses: its public URL as the server, and its tenant's token
//! endpoint for the client_credentials flow. No token is needed to read
//! it. `tests/api/graph_openapi.rs` keeps it true: every route is in it
//! and everything in it is a route, and real answers match its schemas.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::error::GraphError;
use crate::app::AppState;

/// The document as committed.
pub const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

static PARSED: LazyLock<Option<Value>> = LazyLock::new(|| serde_json::from_str(DOCUMENT).ok());

pub async fn document(state: web::Data<AppState>) -> Result<HttpResponse, GraphError> {
    let mut document = PARSED.clone().ok_or_else(GraphError::internal)?;
    let org = crate::services::organization::current(&state).await?;
    let base = state.public_url.trim_end_matches('/');
    document["servers"] = json!([{ "url": base }]);
    document["components"]["securitySchemes"]["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] =
        json!(format!("{base}/{}/oauth2/v2.0/token", org.tenant_id));
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("application/json")
        .body(document.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_json_with_its_placeholders() {
        let document = PARSED.as_ref().expect("docs/openapi.json is JSON");
        assert!(document["servers"][0]["url"].is_string());
        assert!(
            document["components"]["securitySchemes"]["clientCredentials"]["flows"]["clientCredentials"]["tokenUrl"]
                .is_string()
        );
    }
}
