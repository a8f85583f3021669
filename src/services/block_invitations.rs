//! Block future invitations: every invitation carries a link signed for
//! its address; confirming it stops further invitations to that address.

use crate::app::AppState;
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::{self};

/// Confirms Block future invitations for a signed address.
pub async fn block_future_invitations(state: &AppState, address: &str, signature: &str) -> ServiceResult<()> {
    let lower = address.trim().to_lowercase();
    if !crate::mail::links::block_signature_is_valid(&state.secrets.block_links, &lower, signature) {
        return Err(ServiceError::NotFound);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::invitations::block(&mut tx, &lower, now).await?;
    store::audit::record(
        &mut tx,
        &store::audit::Actor::system(&lower),
        &AuditEntry {
            activity: "Block future invitations",
            category: "Invitations",
            target_id: None,
            target_name: Some(&lower),
            details: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
