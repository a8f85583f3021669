//! The API's limit per application: beyond it, 429 `TooManyRequests` with
//! `Retry-After`, which both Microsoft SDKs honour by waiting and retrying.

use super::error::GraphError;
use crate::app::AppState;

pub async fn check(state: &AppState, app_id: &str) -> Result<(), GraphError> {
    state
        .limits
        .api_per_app
        .check(app_id)
        .await
        .map_err(|wait| GraphError::too_many_requests(wait.as_secs().max(1)))
}
