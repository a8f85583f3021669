//! The organization row, read through a short in-memory cache: every guest
//! page shows its name and settings, and it changes rarely.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::services::{ServiceError, ServiceResult};
use crate::store::{self, Db, organization::Organization};

/// How long another instance may keep showing the previous properties after
/// an admin saves them. The instance that saves forgets its copy at once.
const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct OrganizationCache {
    slot: RwLock<Option<(Organization, Instant)>>,
}

impl OrganizationCache {
    /// The organization, from memory when read less than `FRESH_FOR` ago.
    /// Transactions that must see the current row read it themselves.
    pub async fn get(&self, db: &Db) -> ServiceResult<Organization> {
        if let Some((org, read_at)) = self.slot.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && read_at.elapsed() < FRESH_FOR
        {
            return Ok(org.clone());
        }
        let mut conn = db.pool().acquire().await?;
        let org = store::organization::get(&mut conn)
            .await?
            .ok_or(ServiceError::NotFound)?;
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some((org.clone(), Instant::now()));
        Ok(org)
    }

    /// Drops the copy, after this instance changed the row.
    pub fn forget(&self) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
