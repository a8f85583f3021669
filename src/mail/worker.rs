//! The outbox worker: claims due messages with a lease, sends them, and
//! records each result as soon as its send ends. It wakes at once when its
//! own process commits mail (`OutboxWorker::wake`, notified by
//! `AppState::wake_mail`) and polls for mail other
//! instances committed. Failures are retried with exponential backoff and
//! jitter; a permanent (5xx) answer, or too many attempts, marks the message
//! failed.
//!
//! Delivery is at least once; how often a message can go out twice is
//! bounded like this:
//!
//! - A worker holds the lease of at most `CONCURRENT_SENDS` (16) rows: it
//!   claims a row only for a free send slot, and a slot is free again only
//!   once the result of its last send is committed. Results are written as
//!   sends end, in one transaction with the claims that refill the slots
//!   (a batch holds whatever ended meanwhile, so a busy worker still writes
//!   many results per commit).
//! - So a crash (kill -9, power loss) can repeat at most the 16 messages in
//!   flight at that moment, those the SMTP server may have accepted before
//!   the outbox marked them sent. After a restart only those rows wait for
//!   their lease to run out; every other queued row is due at once.
//! - A restarted process cannot take those leases back early. Nothing that
//!   survives a restart safely says "this was me": several instances may
//!   share one environment and data folder, a container starts with a new
//!   one, and taking a live instance's lease would send its messages twice.
//!   Instead the lease is short (`VESTIBULE_MAIL_LEASE_SECS`, 30 s by
//!   default), which renewal makes safe:
//! - While sends are in flight their leases are renewed every third of the
//!   lease (guarded by `lease_owner`), so a slow SMTP server never lets a
//!   lease run out under a send. A worker that cannot renew in time (the
//!   database is unreachable) abandons its sends when two thirds of the
//!   lease are gone, before another worker may claim the rows (so the
//!   instances' clocks must agree to within that last third).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::{SendError, Transport};
use crate::clock::Clock;
use crate::security::secret::random_below;
use crate::store::outbox::{self, Claimed};
use crate::store::{Conn, Db};

/// A send is five SMTP round trips (NOOP, MAIL, RCPT, DATA, the message)
/// that wait on the network and cost almost no CPU, so several run at
/// once; the SMTP pool keeps as many connections open. It is also the most
/// rows one worker holds the lease of, and so the most messages a crash can
/// send twice.
pub const CONCURRENT_SENDS: usize = 16;

/// How long one send (connection, conversation, the server's answer) may
/// take before it counts as a temporary failure. Renewal keeps the lease
/// meanwhile, however short the lease is.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// What a worker works with, and nothing more: the store, the clock, the
/// transport, this process's wake-up, and the outbox settings. The
/// application context hands these out (`AppState::mail_worker`).
#[derive(Clone)]
pub struct OutboxWorker {
    pub db: Db,
    pub clock: Clock,
    pub transport: Arc<Transport>,
    /// Notified when this process commits mail.
    pub wake: Arc<Notify>,
    pub settings: OutboxSettings,
}

/// How the worker paces, retries and signs its sends.
#[derive(Clone, Debug)]
pub struct OutboxSettings {
    /// The envelope sender (`mail::sender_address`).
    pub from: String,
    /// How often to look for mail other instances committed.
    pub poll: Duration,
    /// How long a claim holds a row.
    pub lease: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: u32,
}

impl OutboxSettings {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            from: super::sender_address(settings),
            poll: settings.mail_poll,
            lease: settings.mail_lease,
            retry_base: settings.mail_retry_base,
            retry_max: settings.mail_retry_max,
            max_attempts: settings.mail_max_attempts,
        }
    }
}

/// A running worker. Dropping it stops the worker too.
pub struct WorkerHandle {
    /// The `lease_owner` (and `sent_by`) this worker writes.
    pub id: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops claiming, lets the sends in flight finish and records them, and
    /// hands back any lease it still holds.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts a worker (one per process; tests start more on one database).
pub fn spawn(outbox: OutboxWorker) -> WorkerHandle {
    let id = uuid::Uuid::new_v4().to_string();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(Arc::new(outbox), id.clone(), stopped));
    WorkerHandle { id, stop, task }
}

async fn run(state: Arc<OutboxWorker>, owner: String, mut stopped: watch::Receiver<bool>) {
    if state.transport.is_disabled() {
        // Start-up has warned; the messages wait for an SMTP server.
        return;
    }
    let mut worker = Worker::new(state.clone(), owner);
    // Set when the handle is dropped rather than told to stop.
    let mut orphaned = false;
    loop {
        let stopping = orphaned || *stopped.borrow();
        worker.collect();
        worker.abandon_if_lease_at_risk();
        if !worker.waiting_to_retry() {
            worker.exchange(!stopping).await;
        }
        if stopping && worker.sending.is_empty() {
            break;
        }
        // Mail committed meanwhile (a wake-up, or the poll for other
        // instances' mail) matters only with a slot to send it in.
        let may_claim = !stopping && worker.free() > 0;
        let deadline = worker.next_deadline();
        tokio::select! {
            Some(done) = worker.finished_rx.recv(), if !worker.sending.is_empty() => worker.finish(done),
            _ = state.wake.notified(), if may_claim => {}
            _ = tokio::time::sleep(state.settings.poll), if may_claim => {}
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {}
            changed = stopped.changed(), if !stopping => orphaned = changed.is_err(),
        }
    }
    if !worker.done.is_empty() {
        // Recording failed: one last try before the leases are handed back.
        worker.retry_at = None;
        worker.exchange(false).await;
        if !worker.done.is_empty() {
            tracing::error!(
                count = worker.done.len(),
                "outbox: cannot record sent mail; it will be sent again"
            );
        }
    }
    match state.db.pool().acquire().await {
        Ok(mut conn) => {
            if let Err(e) = outbox::release(&mut conn, &worker.owner).await {
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

/// The state of one worker: the rows it holds the lease of (being sent, or
/// sent and not yet recorded) and when those leases were last written.
struct Worker {
    state: Arc<OutboxWorker>,
    owner: String,
    /// Sends in flight, by row id, with what abandons each (None once
    /// abandoned).
    sending: HashMap<String, Option<oneshot::Sender<()>>>,
    finished_tx: mpsc::UnboundedSender<Done>,
    finished_rx: mpsc::UnboundedReceiver<Done>,
    /// Ended sends whose results are not committed yet.
    done: Vec<Done>,
    /// Every lease in `sending` lasts at least `mail_lease` from this
    /// moment: the last renewal, or the oldest claim since. Taken before the
    /// clock is read for the lease, so it errs early.
    leased_at: Option<Instant>,
    /// After a failed transaction: when to try the store again.
    retry_at: Option<Instant>,
}

impl Worker {
    fn new(state: Arc<OutboxWorker>, owner: String) -> Self {
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        Self {
            state,
            owner,
            sending: HashMap::with_capacity(CONCURRENT_SENDS),
            finished_tx,
            finished_rx,
            done: Vec::new(),
            leased_at: None,
            retry_at: None,
        }
    }

    /// Send slots without a held row.
    fn free(&self) -> usize {
        CONCURRENT_SENDS.saturating_sub(self.sending.len() + self.done.len())
    }

    fn lease(&self) -> Duration {
        self.state.settings.lease
    }

    /// When the leases of the sends in flight are due for renewal.
    fn renew_at(&self) -> Option<Instant> {
        let at = self.leased_at?;
        (!self.sending.is_empty()).then(|| at + self.lease() / 3)
    }

    /// When sends still in flight without a renewed lease must stop: a
    /// third of the lease before another worker may claim their rows.
    fn abandon_at(&self) -> Option<Instant> {
        let at = self.leased_at?;
        self.sending
            .values()
            .any(Option::is_some)
            .then(|| at + self.lease() * 2 / 3)
    }

    fn waiting_to_retry(&self) -> bool {
        self.retry_at.is_some_and(|at| Instant::now() < at)
    }

    /// The next moment the worker must act on its own.
    fn next_deadline(&self) -> Option<Instant> {
        let store = if self.retry_at.is_some() {
            self.retry_at
        } else {
            self.renew_at()
        };
        [store, self.abandon_at()].into_iter().flatten().min()
    }

    fn finish(&mut self, done: Done) {
        self.sending.remove(&done.row.id);
        self.done.push(done);
    }

    /// Takes in every send that has ended, without waiting.
    fn collect(&mut self) {
        while let Ok(done) = self.finished_rx.try_recv() {
            self.finish(done);
        }
    }

    fn abandon_if_lease_at_risk(&mut self) {
        if self.abandon_at().is_some_and(|at| Instant::now() >= at) {
            tracing::warn!(
                count = self.sending.len(),
                "outbox: the leases could not be renewed in time; abandoning the sends in flight"
            );
            self.abandon(|_| true);
        }
    }

    fn abandon(&mut self, which: impl Fn(&str) -> bool) {
        for (id, stop) in &mut self.sending {
            if which(id)
                && let Some(stop) = stop.take()
            {
                let _ = stop.send(());
            }
        }
    }

    /// In one transaction: records the ended sends, renews the leases of
    /// those in flight when due, and, if `claim`, takes the rows for the
    /// free send slots, which it starts sending. A failure is logged and
    /// tried again after the poll interval.
    async fn exchange(&mut self, claim: bool) {
        match self.try_exchange(claim).await {
            Ok(claimed) => {
                self.retry_at = None;
                for row in claimed {
                    self.start(row);
                }
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "outbox: cannot record or claim mail");
                self.retry_at = Some(Instant::now() + self.state.settings.poll);
            }
        }
    }

    async fn try_exchange(&mut self, claim: bool) -> anyhow::Result<Vec<Claimed>> {
        let started = Instant::now();
        let renew = self.renew_at().is_some_and(|at| started >= at);
        let limit = CONCURRENT_SENDS.saturating_sub(self.sending.len()) as i64;
        let claim = claim && limit > 0;
        if self.done.is_empty() && !renew {
            if !claim {
                return Ok(Vec::new());
            }
            // Nothing to record: take the write lock only if there is mail.
            let mut conn = self.state.db.pool().acquire().await?;
            let due = outbox::any_due(&mut conn, self.state.clock.now()).await?;
            drop(conn);
            if !due {
                return Ok(Vec::new());
            }
        }
        let state = &self.state;
        let now = state.clock.now();
        let lease_until = now + secs(self.lease());
        let mut tx = state.db.begin().await?;
        outbox::commit_without_flush(&mut tx).await?;
        let recorded = record(&mut tx, state, &self.owner, &self.done).await?;
        let renewed = if renew {
            let ids: Vec<&str> = self.sending.keys().map(String::as_str).collect();
            Some(outbox::renew(&mut tx, &ids, &self.owner, lease_until).await?)
        } else {
            None
        };
        let rows = if claim {
            outbox::claim(&mut tx, &self.owner, now, lease_until, limit).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;

        for d in self.done.drain(..) {
            let (id, kind, attempts) = (&d.row.id, &d.row.kind, d.row.attempts);
            match (recorded.contains(id), &d.outcome) {
                (true, Ok(())) => tracing::info!(%id, %kind, attempts, "outbox: mail sent"),
                (true, Err(e)) => tracing::warn!(%id, %kind, attempts, error = %e, "outbox: mail not sent"),
                (false, _) => tracing::warn!(%id, %kind, "outbox: the lease expired before the result was recorded"),
            }
        }
        if let Some(renewed) = renewed {
            let renewed: HashSet<String> = renewed.into_iter().collect();
            // A row missing lost its lease (it ran out and another worker
            // took it): stop sending it.
            self.abandon(|id| !renewed.contains(id));
            self.leased_at = Some(started);
        }
        if self.sending.is_empty() {
            self.leased_at = None;
        }
        if !rows.is_empty() && self.leased_at.is_none() {
            self.leased_at = Some(started);
        }
        Ok(rows)
    }

    /// Sends `row` in a task of its own, so sends go on while the worker
    /// waits on the store; its result comes back through `finished`.
    fn start(&mut self, mut row: Claimed) {
        let (stop, abandoned) = oneshot::channel();
        self.sending.insert(row.id.clone(), Some(stop));
        let state = self.state.clone();
        let finished = self.finished_tx.clone();
        tokio::spawn(async move {
            let body = row.body.take();
            let outcome = tokio::select! {
                outcome = send(&state, &row.recipient, body) => outcome,
                _ = abandoned => Err(SendError::Temporary(
                    "abandoned: the lease could not be renewed in time".into(),
                )),
            };
            let at = state.clock.now();
            let _ = finished.send(Done { row, outcome, at });
        });
    }
}

async fn send(state: &OutboxWorker, recipient: &str, body: Option<String>) -> Result<(), SendError> {
    let Some(body) = body else {
        return Err(SendError::Permanent("the message body is missing".into()));
    };
    let send = state.transport.send(&state.settings.from, recipient, body.as_bytes());
    tokio::time::timeout(SEND_TIMEOUT, send).await.unwrap_or_else(|_| {
        Err(SendError::Temporary(format!(
            "the SMTP server did not finish within {} s",
            SEND_TIMEOUT.as_secs()
        )))
    })
}

/// Writes the results; returns the ids recorded (those whose lease
/// `owner` still held). Sent messages, nearly all of them, are marked in
/// one statement per second of sending, so a batch costs a round trip or
/// two rather than one per message.
async fn record(conn: &mut Conn, state: &OutboxWorker, owner: &str, done: &[Done]) -> sqlx::Result<HashSet<String>> {
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
            Err(SendError::Temporary(reason)) if row.attempts >= i64::from(settings.max_attempts) => {
                let reason = format!("gave up after {} attempts: {reason}", row.attempts);
                outbox::mark_failed(conn, &row.id, owner, &reason, now).await?
            }
            Err(SendError::Temporary(reason)) => {
                let next = now + retry_delay(settings.retry_base, settings.retry_max, row.attempts);
                outbox::mark_retry(conn, &row.id, owner, reason, next).await?
            }
        };
        if ok {
            recorded.insert(row.id.clone());
        }
    }
    for (now, ids) in sent {
        recorded.extend(outbox::mark_sent(conn, &ids, owner, now, state.transport.is_mailbox()).await?);
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
