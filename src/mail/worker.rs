//! The outbox worker: claims due messages with a lease, sends them, and
//! records the result. It wakes at once when its own process commits mail
//! (`AppState::wake_mail`) and polls for mail other instances committed.
//! Failures are retried with exponential backoff and jitter; a permanent
//! (5xx) answer, or too many attempts, marks the message failed.

use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{SendError, sender_address};
use crate::security::secret::random_below;
use crate::store::outbox::{self, Claimed};
use crate::web::state::AppState;

/// Messages claimed at a time, and sent at once.
const BATCH: i64 = 64;
/// SMTP round trips wait on the network (each send costs tens of
/// milliseconds of latency and almost no CPU), so several run at once;
/// the SMTP pool keeps as many connections open.
pub const CONCURRENT_SENDS: usize = 16;

/// A running worker. Dropping it stops the worker too.
pub struct WorkerHandle {
    /// The `lease_owner` (and `sent_by`) this worker writes.
    pub id: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops claiming, lets the sends in flight finish, and hands back the
    /// leases it did not use.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the worker of this process.
pub fn spawn(state: web::Data<AppState>) -> WorkerHandle {
    let id = uuid::Uuid::new_v4().to_string();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(state, id.clone(), stopped));
    WorkerHandle { id, stop, task }
}

async fn run(state: web::Data<AppState>, owner: String, mut stopped: watch::Receiver<bool>) {
    if state.mail.is_disabled() {
        // Start-up has warned; the messages wait for an SMTP server.
        return;
    }
    loop {
        if *stopped.borrow() {
            break;
        }
        let full_batch = match run_once(&state, &owner, &stopped).await {
            Ok(claimed) => claimed as i64 == BATCH,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "outbox: cannot claim mail");
                false
            }
        };
        if full_batch {
            continue;
        }
        tokio::select! {
            _ = state.mail_wake.notified() => {}
            _ = tokio::time::sleep(state.settings.mail_poll) => {}
            changed = stopped.changed() => if changed.is_err() { break },
        }
    }
    match state.db.pool().acquire().await {
        Ok(mut conn) => {
            if let Err(e) = outbox::release(&mut conn, &owner).await {
                tracing::warn!(error = %e, "outbox: cannot hand back leases; they expire on their own");
            }
        }
        Err(e) => tracing::warn!(error = %e, "outbox: cannot hand back leases; they expire on their own"),
    }
}

/// Claims one batch and sends it; returns how many were claimed.
async fn run_once(state: &AppState, owner: &str, stopped: &watch::Receiver<bool>) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let lease_until = now + secs(state.settings.mail_lease);
    let mut tx = state.db.begin().await?;
    let rows = outbox::claim(&mut tx, owner, now, lease_until, BATCH).await?;
    tx.commit().await?;
    let claimed = rows.len();
    futures_util::stream::iter(rows)
        .for_each_concurrent(CONCURRENT_SENDS, |row| async move {
            // Once stopping, leave the rest; their leases are handed back.
            if !*stopped.borrow() {
                deliver(state, owner, row).await;
            }
        })
        .await;
    Ok(claimed)
}

async fn deliver(state: &AppState, owner: &str, row: Claimed) {
    let settings = &state.settings;
    // Well within the lease, so no other worker takes the row meanwhile.
    let limit = settings.mail_lease / 2;
    let outcome = match &row.body {
        Some(body) => {
            let from = sender_address(settings);
            let send = state.mail.send(&from, &row.recipient, body.as_bytes());
            match tokio::time::timeout(limit, send).await {
                Ok(outcome) => outcome,
                Err(_) => Err(SendError::Temporary(format!(
                    "the SMTP server did not finish within {} s",
                    limit.as_secs()
                ))),
            }
        }
        None => Err(SendError::Permanent("the message body is missing".into())),
    };
    let now = state.clock.now();
    let recorded = async {
        let mut conn = state.db.pool().acquire().await?;
        match &outcome {
            Ok(()) => outbox::mark_sent(&mut conn, &row.id, owner, now, state.mail.is_mailbox()).await,
            Err(SendError::Permanent(reason)) => outbox::mark_failed(&mut conn, &row.id, owner, reason, now).await,
            Err(SendError::Temporary(reason)) if row.attempts >= i64::from(settings.mail_max_attempts) => {
                let reason = format!("gave up after {} attempts: {reason}", row.attempts);
                outbox::mark_failed(&mut conn, &row.id, owner, &reason, now).await
            }
            Err(SendError::Temporary(reason)) => {
                let next = now + retry_delay(settings.mail_retry_base, settings.mail_retry_max, row.attempts);
                outbox::mark_retry(&mut conn, &row.id, owner, reason, next).await
            }
        }
    }
    .await;
    let (id, kind, attempts) = (&row.id, &row.kind, row.attempts);
    match (recorded, &outcome) {
        (Ok(true), Ok(())) => tracing::info!(%id, %kind, attempts, "outbox: mail sent"),
        (Ok(true), Err(e)) => tracing::warn!(%id, %kind, attempts, error = %e, "outbox: mail not sent"),
        (Ok(false), _) => tracing::warn!(%id, %kind, "outbox: the lease expired before the result was recorded"),
        (Err(e), _) => tracing::error!(%id, %kind, error = %e, "outbox: cannot record a delivery result"),
    }
}

/// Seconds until the next attempt after `attempts` failed ones: `base`
/// doubled per attempt, capped at `max`, less up to a fifth at random so
/// that many messages failing together do not retry together.
pub fn retry_delay(base: Duration, max: Duration, attempts: i64) -> i64 {
    let base = base.as_secs().max(1);
    let max = max.as_secs().max(base);
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 40)).unwrap_or(0);
    let delay = base.saturating_mul(2u64.saturating_pow(doublings)).min(max);
    let jitter = u64::from(random_below(
        u32::try_from(delay / 5).unwrap_or(u32::MAX).saturating_add(1),
    ));
    i64::try_from(delay - jitter).unwrap_or(i64::MAX)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let (base, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        for _ in 0..50 {
            let first = retry_delay(base, max, 1);
            assert!((24..=30).contains(&first), "{first}");
            let third = retry_delay(base, max, 3);
            assert!((96..=120).contains(&third), "{third}");
            let late = retry_delay(base, max, 30);
            assert!((2880..=3600).contains(&late), "{late}");
        }
        assert_eq!(retry_delay(Duration::from_secs(1), Duration::from_secs(1), 1), 1);
    }
}
