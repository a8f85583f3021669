//! Block future invitations: every invitation carries a link signed for
//! its address; confirming it stops further invitations to that address.

use crate::app::AppState;
use crate::security::secret::{DigestKey, Secrets};
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::AuditEntry;
use crate::store::{self};

/// The signed Block future invitations link for an address.
pub fn block_link(state: &AppState, address_lower: &str) -> String {
    signed_block_link(&state.public_url, &state.secrets.block_links, address_lower)
}

/// The same link from the public URL and the key alone.
pub fn signed_block_link(public_url: &str, key: &DigestKey, address_lower: &str) -> String {
    format!(
        "{public_url}/invitations/block?address={}&sig={}",
        crate::domain::url_query::encode(address_lower),
        key.digest(address_lower)
    )
}

pub fn block_signature(secrets: &Secrets, address_lower: &str) -> String {
    secrets.block_links.digest(address_lower)
}

/// Confirms Block future invitations for a signed address.
pub async fn block_future_invitations(state: &AppState, address: &str, signature: &str) -> ServiceResult<()> {
    let lower = address.trim().to_lowercase();
    if !crate::security::secret::constant_time_eq(&block_signature(&state.secrets, &lower), signature) {
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
