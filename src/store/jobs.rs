//! Periodic jobs that must run on one instance at a time. On PostgreSQL a
//! job takes a transaction-level advisory lock with its fixed ID
//! (`pg_try_advisory_xact_lock`): it is released when the transaction
//! ends, however it ends, so it never sticks to a pooled connection the
//! way a session-level lock would. A portal on SQLite is one process, and
//! every job there runs as if it held the lock.
//!
//! Jobs over rows that can be claimed (the outbox, bulk invite jobs,
//! sign-in code requests) need no lock: each instance claims rows with
//! `FOR UPDATE SKIP LOCKED` or a lease, and works only on its own.

use super::{Backend, Conn, Db, Tx};

/// The fixed advisory lock ID of each singleton job.
#[derive(Clone, Copy, Debug)]
pub enum Job {
    /// The purge of users deleted more than the retention ago.
    Purge,
    /// Making the first signing key of each algorithm.
    SigningKeys,
    /// Deleting recovered rate-limit counters.
    RateLimitCleanup,
    /// Deleting expired codes, tokens, sign-in requests and form keys.
    ExpiredRows,
}

impl Job {
    /// Its lock ID: "VST" and a number, so it stays clear of other
    /// software's advisory locks on a shared database.
    pub fn lock_id(self) -> i64 {
        const BASE: i64 = 0x5653_5400_0000;
        BASE + match self {
            Job::Purge => 1,
            Job::SigningKeys => 2,
            Job::RateLimitCleanup => 3,
            Job::ExpiredRows => 4,
        }
    }
}

/// Takes `job`'s lock for the rest of the transaction `tx` unless another
/// transaction holds it; false when it does (skip the run: another
/// instance is doing it). Always true on SQLite.
pub async fn try_lock(tx: &mut Conn, job: Job) -> sqlx::Result<bool> {
    if tx.backend_name() != "PostgreSQL" {
        return Ok(true);
    }
    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(job.lock_id())
        .fetch_one(&mut *tx)
        .await
}

/// Takes `job`'s lock for the rest of the transaction `tx`, waiting for
/// another transaction that holds it to end. Nothing on SQLite.
pub async fn lock(tx: &mut Conn, job: Job) -> sqlx::Result<()> {
    if tx.backend_name() == "PostgreSQL" {
        // In FROM, so the row has a column of a type every driver reads
        // (the function itself returns `void`).
        let _: bool = sqlx::query_scalar("SELECT true FROM pg_advisory_xact_lock($1)")
            .bind(job.lock_id())
            .fetch_one(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A job's lock held across the many transactions of one run (the purge
/// deletes each user in its own): on PostgreSQL an open transaction of its
/// own holding the advisory lock; dropping it rolls back and releases the
/// lock, so a run that stops half-way frees it too.
pub struct JobRun {
    lock: Option<Tx>,
}

impl JobRun {
    /// Ends the run and releases the lock at once. (Dropping it releases
    /// the lock too, but only when the pool gets round to rolling back, so
    /// the next run could find it still held.)
    pub async fn end(self) -> sqlx::Result<()> {
        match self.lock {
            Some(tx) => tx.rollback().await,
            None => Ok(()),
        }
    }

    /// Starts a run of `job` unless another instance is in one (`None`).
    pub async fn try_start(db: &Db, job: Job) -> sqlx::Result<Option<JobRun>> {
        if db.backend() != Backend::Postgres {
            return Ok(Some(JobRun { lock: None }));
        }
        // From the pool, not `Db::begin`: this transaction writes nothing.
        let mut tx = db.pool().begin().await?;
        if try_lock(&mut tx, job).await? {
            Ok(Some(JobRun { lock: Some(tx) }))
        } else {
            Ok(None)
        }
    }
}
