//! The purge job: users soft-deleted more than `purge_after_days` ago are
//! deleted permanently, every `purge_interval`, each in its own transaction
//! with its audit line. On PostgreSQL a run holds the job's advisory lock
//! (`store::jobs`), so while one instance purges the others skip their
//! turn; and the delete is conditional besides, so each user goes once and
//! is audited once, by whichever instance deleted the row. The same job
//! then deletes codes, tokens and sign-in requests long expired, and old
//! form keys (`delete_expired_rows`).

use std::time::Duration;

use actix_web::web;
use tokio::sync::watch;

use crate::app::AppState;
use crate::services::deleted_users::hard_delete_in;
use crate::store::audit::Actor;
use crate::store::jobs::{Job, JobRun};
use crate::store::{self, Db};

/// The audit log's actor for the job.
pub const PURGE_ACTOR: &str = "Vestibule purge";
/// Users looked up at a time.
const BATCH: i64 = 100;
/// The first run after start, unless the interval is shorter.
const FIRST_RUN: Duration = Duration::from_secs(60);

/// Purges every user soft-deleted more than `purge_after_days` ago (by the
/// portal's clock); returns how many this call deleted.
pub async fn purge_expired(state: &AppState) -> anyhow::Result<usize> {
    let days = i64::from(state.settings.purge_after_days);
    let now = state.clock.now();
    purge_deleted_before(&state.db, now - days * 86_400, now, days).await
}

async fn purge_deleted_before(db: &Db, cutoff: i64, now: i64, days: i64) -> anyhow::Result<usize> {
    let Some(run) = JobRun::try_start(db, Job::Purge).await? else {
        tracing::debug!("purge: another instance is purging; skipped");
        return Ok(0);
    };
    let purged = purge_batches(db, cutoff, now, days).await;
    run.end().await?;
    let purged = purged?;
    if purged > 0 {
        tracing::info!(purged, "purge: deleted users past their retention for good");
    }
    Ok(purged)
}

/// Deletes the users soft-deleted before `cutoff`, a batch at a time.
async fn purge_batches(db: &Db, cutoff: i64, now: i64, days: i64) -> anyhow::Result<usize> {
    let actor = Actor::system(PURGE_ACTOR);
    let reason = format!("deleted more than {days} days ago");
    let mut purged = 0;
    let mut after = (i64::MIN, String::new());
    loop {
        let batch = {
            let mut conn = db.pool().acquire().await?;
            store::deleted_users::deleted_before(&mut conn, cutoff, (after.0, &after.1), BATCH).await?
        };
        for (deleted_at, id) in &batch {
            let mut tx = db.begin().await?;
            // Gone already when another instance purged it meanwhile.
            if let Some(user) = store::users::find_deleted(&mut tx, id).await?
                && hard_delete_in(&mut tx, &actor, &user, cutoff, Some(&reason), now).await?
            {
                tx.commit().await?;
                purged += 1;
            }
            after = (*deleted_at, id.clone());
        }
        if (batch.len() as i64) < BATCH {
            break;
        }
    }
    Ok(purged)
}

/// How long an expired code, token or sign-in request is kept (a late
/// request still gets "expired" rather than "unknown").
const EXPIRED_KEPT_FOR: i64 = 86_400;
/// How long the key of a submitted form is kept: longer than the longest
/// session (a guest session may last 720 hours), so no page still open
/// can submit its form twice.
const FORM_KEYS_KEPT_FOR: i64 = 31 * 86_400;

/// Deletes expired one-time passcodes, authorization codes, refresh
/// tokens, identity provider sign-in requests and old form keys, in one
/// transaction, on one instance at a time.
pub async fn delete_expired_rows(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::jobs::try_lock(&mut tx, Job::ExpiredRows).await? {
        return Ok(0);
    }
    let deleted =
        store::expired_rows::delete_expired(&mut tx, now - EXPIRED_KEPT_FOR, now - FORM_KEYS_KEPT_FOR).await?;
    tx.commit().await?;
    if deleted.total() > 0 {
        tracing::info!(?deleted, "deleted expired codes, tokens and form keys");
    }
    Ok(deleted.total())
}

/// The running job. Dropping it stops the job too.
pub struct PurgeHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl PurgeHandle {
    /// Stops the job; a purge in progress stops too, and its open
    /// transaction rolls back.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts this process's purge job: shortly after start, then every
/// `purge_interval`.
pub fn spawn(state: web::Data<AppState>) -> PurgeHandle {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(state, stopped));
    PurgeHandle { stop, task }
}

async fn run(state: web::Data<AppState>, mut stopped: watch::Receiver<bool>) {
    let mut wait = state.settings.purge_interval.min(FIRST_RUN);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
        }
        tokio::select! {
            done = purge_expired(&state) => if let Err(e) = done {
                tracing::error!(error = %format!("{e:#}"), "purge: cannot delete expired users");
            },
            changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
        }
        tokio::select! {
            done = delete_expired_rows(&state) => if let Err(e) = done {
                tracing::error!(error = %format!("{e:#}"), "purge: cannot delete expired codes and tokens");
            },
            changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
        }
        wait = state.settings.purge_interval;
    }
}
