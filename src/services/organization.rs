//! The organization the portal runs for, as guest pages, sign-in and mail
//! read it: through the application context's short cache.

use crate::app::AppState;
use crate::services::{ServiceError, ServiceResult};
use crate::store::organization::Organization;

/// The organization row; not found only before first start has written it.
pub async fn current(state: &AppState) -> ServiceResult<Organization> {
    state.organization.get(&state.db).await?.ok_or(ServiceError::NotFound)
}
