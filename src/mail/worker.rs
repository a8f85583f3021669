//! The outbox worker: claims due messages with a lease, sends them, and
//! records the result. It wakes at once when its own process commits mail
//! (`AppState::wake_mail`) and polls for mail other instances committed.
//! Failures are retried with exponential backoff and jitter; a permanent
//! (5xx) answer, or too many attempts, marks the message failed.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{SendError, sender_address};
use crate::security::secret::random_below;
use crate::store::Conn;
use crate::store::outbox::{self, Claimed};
use crate::web::state::AppState;

/// Messages claimed at a time, and sent at once.
const BATCH: i64 = 64;
/// A send is five SMTP round trips (NOOP, MAIL, RCPT, DATA, the message)
/// that wait on the network and cost almost no CPU, so several run at
/// once; the SMTP pool keeps as many connections open.
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
    // The results of the last batch: recorded in the transaction that
    // claims the next, so a batch costs the store one write, not one per
    // message (on SQLite every write waits its turn for the one lock).
    let mut done: Vec<Done> = Vec::new();
    loop {
        let stopping = *stopped.borrow();
        let held = state.mail_held.load(std::sync::atomic::Ordering::SeqCst);
        let rows = match exchange(&state, &owner, &mut done, !stopping && !held).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "outbox: cannot record or claim mail");
                Vec::new()
            }
        };
        if stopping {
            break;
        }
        if rows.is_empty() {
            tokio::select! {
                _ = state.mail_wake.notified() => {}
                _ = tokio::time::sleep(state.settings.mail_poll) => {}
                changed = stopped.changed() => if changed.is_err() { break },
            }
            continue;
        }
        done = send_batch(&state, rows, &stopped).await;
    }
    if !done.is_empty() {
        // Recording failed, then the worker was dropped: one last try.
        if let Err(e) = exchange(&state, &owner, &mut done, false).await {
            tracing::error!(error = %format!("{e:#}"), "outbox: cannot record sent mail; it will be sent again");
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

/// One message's send, waiting to be recorded.
struct Done {
    row: Claimed,
    outcome: Result<(), SendError>,
    /// When the attempt ended.
    at: i64,
}

/// In one transaction: records `done` (emptying it once committed) and, if
/// `claim`, takes the lease of the next batch, which it returns.
async fn exchange(state: &AppState, owner: &str, done: &mut Vec<Done>, claim: bool) -> anyhow::Result<Vec<Claimed>> {
    if done.is_empty() {
        if !claim {
            return Ok(Vec::new());
        }
        // Nothing to record: take the write lock only if there is mail.
        let mut conn = state.db.pool().acquire().await?;
        let due = outbox::any_due(&mut conn, state.clock.now()).await?;
        drop(conn);
        if !due {
            return Ok(Vec::new());
        }
    }
    let mut tx = state.db.begin().await?;
    let recorded = record(&mut tx, state, owner, done).await?;
    let rows = if claim {
        let now = state.clock.now();
        outbox::claim(&mut tx, owner, now, now + secs(state.settings.mail_lease), BATCH).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    for d in done.drain(..) {
        let (id, kind, attempts) = (&d.row.id, &d.row.kind, d.row.attempts);
        match (recorded.contains(id), &d.outcome) {
            (true, Ok(())) => tracing::info!(%id, %kind, attempts, "outbox: mail sent"),
            (true, Err(e)) => tracing::warn!(%id, %kind, attempts, error = %e, "outbox: mail not sent"),
            (false, _) => tracing::warn!(%id, %kind, "outbox: the lease expired before the result was recorded"),
        }
    }
    Ok(rows)
}

/// Sends a claimed batch, `CONCURRENT_SENDS` at a time. Once stopping, the
/// rest are left; their leases are handed back.
async fn send_batch(state: &AppState, rows: Vec<Claimed>, stopped: &watch::Receiver<bool>) -> Vec<Done> {
    futures_util::stream::iter(rows)
        .map(|row| async move {
            if *stopped.borrow() {
                None
            } else {
                Some(send(state, row).await)
            }
        })
        .buffer_unordered(CONCURRENT_SENDS)
        .filter_map(std::future::ready)
        .collect()
        .await
}

async fn send(state: &AppState, mut row: Claimed) -> Done {
    let settings = &state.settings;
    // Well within the lease, so no other worker takes the row meanwhile.
    let limit = settings.mail_lease / 2;
    let outcome = match row.body.take() {
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
    Done {
        row,
        outcome,
        at: state.clock.now(),
    }
}

/// Writes the results; returns the ids recorded (those whose lease
/// `owner` still held). Sent messages, nearly all of them, are marked in
/// one statement per second of sending, so a batch costs a round trip or
/// two rather than one per message.
async fn record(conn: &mut Conn, state: &AppState, owner: &str, done: &[Done]) -> sqlx::Result<HashSet<String>> {
    let settings = &state.settings;
    let mut recorded = HashSet::with_capacity(done.len());
    let mut sent: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for d in done {
        let (row, now) = (&d.row, d.at);
        let ok = match &d.outcome {
            Ok(()) => {
                sent.entry(now).or_default().push(&row.id);
                continue;
            }
            Err(SendError::Permanent(reason)) => outbox::mark_failed(conn, &row.id, owner, reason, now).await?,
            Err(SendError::Temporary(reason)) if row.attempts >= i64::from(settings.mail_max_attempts) => {
                let reason = format!("gave up after {} attempts: {reason}", row.attempts);
                outbox::mark_failed(conn, &row.id, owner, &reason, now).await?
            }
            Err(SendError::Temporary(reason)) => {
                let next = now + retry_delay(settings.mail_retry_base, settings.mail_retry_max, row.attempts);
                outbox::mark_retry(conn, &row.id, owner, reason, next).await?
            }
        };
        if ok {
            recorded.insert(row.id.clone());
        }
    }
    for (now, ids) in sent {
        recorded.extend(outbox::mark_sent(conn, &ids, owner, now, state.mail.is_mailbox()).await?);
    }
    Ok(recorded)
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
