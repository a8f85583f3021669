//! Audit entries written straight into the store, dated before anything
//! the running portal writes.

use vestibule::store::audit::{self, Actor, AuditEntry};

use super::TestApp;

/// 2024-05-10 00:00 UTC: seeded entries lie in May 2024, before anything
/// the running portal writes.
pub const MAY_10: i64 = 1_715_299_200;

pub const DAY: i64 = 86_400;

/// One seeded entry: activity, actor name, target id, target name, time.
pub type Seed<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, i64);

pub async fn seed(app: &TestApp, entries: &[Seed<'_>]) {
    let mut tx = app.db.begin().await.unwrap();
    for (activity, actor, target_id, target_name, at) in entries {
        let entry = AuditEntry {
            activity,
            category: "UserManagement",
            target_id: *target_id,
            target_name: Some(target_name),
            details: Some(format!("seeded, {target_name}")),
        };
        audit::record(&mut tx, &Actor::system(actor), &entry, *at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

pub const GRACE: &str = "0190a3f4-7c2b-7d4e-8f00-000000000001";
