//! The rate limits of one running portal, part of the application context
//! (`app`). Each limit counts where the store says: on PostgreSQL in the
//! shared `rate_limits` table, so every instance on the database counts
//! against the same limit (one upsert per check, `store::rate_limits`); on
//! SQLite, which one process serves, in memory with `governor`, which
//! costs no write. Both answer alike: `Err` with how long until the next
//! request is allowed, which the caller turns into 429 and `Retry-After`.
//!
//! The failed sign-ins of each account (`AccountFailures`) count the same
//! way: in the shared table on PostgreSQL (the account's failures as a
//! GCRA key, and a marker for each address that failed), in memory on
//! SQLite (`SignInFailures`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::security::rate_limit::{
    FAILED_ADDRESS_MEMORY, FAILED_ADDRESSES_PER_ACCOUNT, Gcra, KeyedLimit, SignInFailures, address_key, failure_key,
};
use crate::store::{self, Backend, Db};

/// One limit: `per_minute` requests per key, with the same burst.
#[derive(Clone)]
pub struct Limit {
    /// Prefixes its keys in the shared table.
    name: &'static str,
    counter: Counter,
}

#[derive(Clone)]
enum Counter {
    Memory(KeyedLimit),
    Shared { db: Db, gcra: Gcra },
}

/// Milliseconds since the Unix epoch on this machine's clock. Instances
/// sharing limits need clocks in step (NTP); a skew of a second shifts
/// when a key refills by that much, nothing worse.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Limit {
    /// Counted in this process's memory.
    pub fn in_memory(name: &'static str, per_minute: u32) -> Self {
        Self {
            name,
            counter: Counter::Memory(KeyedLimit::per_minute(per_minute)),
        }
    }

    /// Counted in the store's `rate_limits` table.
    pub fn shared(db: Db, name: &'static str, per_minute: u32) -> Self {
        Self {
            name,
            counter: Counter::Shared {
                db,
                gcra: Gcra::per_minute(per_minute),
            },
        }
    }

    /// Shared on PostgreSQL, in memory on SQLite.
    pub fn for_store(db: &Db, name: &'static str, per_minute: u32) -> Self {
        match db.backend() {
            Backend::Postgres => Self::shared(db.clone(), name, per_minute),
            Backend::Sqlite => Self::in_memory(name, per_minute),
        }
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.counter, Counter::Shared { .. })
    }

    /// Counts one request under `key`; `Err` carries how long until the
    /// next one is allowed.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, now_ms()).await
    }

    /// Counts one request from `ip`, under its `address_key` (an IPv6
    /// client by its /64).
    pub async fn check_address(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&address_key(ip).to_string()).await
    }

    /// `check` as if it were `now_ms` (a limit in memory reads its own
    /// clock). A store that cannot be reached lets the request through: it
    /// fails on its own next, and a limit must not turn an outage of the
    /// database into refusals that outlast it.
    pub async fn check_at(&self, key: &str, now_ms: i64) -> Result<(), Duration> {
        let (db, gcra) = match &self.counter {
            Counter::Memory(limit) => return limit.check(key),
            Counter::Shared { db, gcra } => (db, gcra),
        };
        let key = format!("{}:{key}", self.name);
        match take(db, gcra, &key, now_ms).await {
            Ok(verdict) => verdict,
            Err(e) => {
                tracing::warn!(error = %e, limit = self.name, "cannot count a rate limit; the request goes through");
                Ok(())
            }
        }
    }

    fn forget_idle(&self) {
        if let Counter::Memory(limit) = &self.counter {
            limit.forget_idle();
        }
    }
}

async fn take(db: &Db, gcra: &Gcra, key: &str, now_ms: i64) -> sqlx::Result<Result<(), Duration>> {
    let mut conn = db.pool().acquire().await?;
    if store::rate_limits::take(&mut conn, key, now_ms, gcra.interval_ms, gcra.tau_ms)
        .await?
        .is_some()
    {
        return Ok(Ok(()));
    }
    // Refused: how long until the key allows one more. A row deleted
    // meanwhile has recovered; the caller's minimum wait covers it.
    let tat = store::rate_limits::tat(&mut conn, key).await?.unwrap_or(now_ms);
    Ok(Err(gcra.wait(tat, now_ms)))
}

/// Failed sign-ins per account, `per_minute` with the same burst. An
/// account over its limit refuses the client addresses that gave it a
/// wrong password in the last minute, and still checks the password from
/// others, so a flood of guesses does not lock the owner out (see
/// `SignInFailures`, the same rule in memory).
#[derive(Clone)]
pub enum AccountFailures {
    Memory(Arc<SignInFailures>),
    /// In the shared table: `signin_fail:{account}` counts the failures
    /// (its TAT), `signin_fail_from:{account}|{address}` marks an address
    /// that failed until it is forgotten.
    Shared {
        db: Db,
        interval_ms: i64,
        tolerance_ms: i64,
    },
}

impl AccountFailures {
    pub fn for_store(db: &Db, per_minute: u32) -> Self {
        match db.backend() {
            Backend::Sqlite => Self::Memory(Arc::new(SignInFailures::per_minute(per_minute))),
            Backend::Postgres => {
                let interval_ms = 60_000 / i64::from(per_minute.max(1));
                Self::Shared {
                    db: db.clone(),
                    interval_ms,
                    tolerance_ms: 60_000 - interval_ms,
                }
            }
        }
    }

    /// Whether a sign-in to `account` from `ip` may check its password;
    /// `Err` carries how long until the account is under its limit again.
    /// A store that cannot be reached lets it through, as `Limit` does.
    pub async fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let (db, tolerance_ms) = match self {
            Self::Memory(failures) => return failures.check(account, ip),
            Self::Shared { db, tolerance_ms, .. } => (db, *tolerance_ms),
        };
        match shared_check(db, tolerance_ms, account, ip, now_ms()).await {
            Ok(verdict) => verdict,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read an account's failed sign-ins; the attempt goes through");
                Ok(())
            }
        }
    }

    /// Records a wrong password for `account` from `ip`.
    pub async fn record(&self, account: &str, ip: Option<IpAddr>) {
        let (db, interval_ms) = match self {
            Self::Memory(failures) => return failures.record(account, ip),
            Self::Shared { db, interval_ms, .. } => (db, *interval_ms),
        };
        let now = now_ms();
        let recorded = async {
            let mut conn = db.pool().acquire().await?;
            store::rate_limits::push(&mut conn, &failures_key(account), now, interval_ms).await?;
            let remembered = now + i64::try_from(FAILED_ADDRESS_MEMORY.as_millis()).unwrap_or(i64::MAX);
            store::rate_limits::mark(&mut conn, &failed_from_key(account, ip), remembered).await
        };
        if let Err(e) = recorded.await {
            tracing::warn!(error = %e, "cannot record a failed sign-in");
        }
    }

    fn forget_idle(&self) {
        if let Self::Memory(failures) = self {
            failures.forget_idle();
        }
    }
}

fn failures_key(account: &str) -> String {
    format!("signin_fail:{account}")
}

/// The marker of one address (by its `address_key`) that failed.
fn failed_from_key(account: &str, ip: Option<IpAddr>) -> String {
    format!("{}{}", failed_from_prefix(account), failure_key(ip))
}

fn failed_from_prefix(account: &str) -> String {
    format!("signin_fail_from:{account}|")
}

async fn shared_check(
    db: &Db,
    tolerance_ms: i64,
    account: &str,
    ip: Option<IpAddr>,
    now: i64,
) -> sqlx::Result<Result<(), Duration>> {
    let mut conn = db.pool().acquire().await?;
    let Some(tat) = store::rate_limits::tat(&mut conn, &failures_key(account)).await? else {
        return Ok(Ok(()));
    };
    let over_ms = tat - now - tolerance_ms;
    if over_ms <= 0 {
        return Ok(Ok(()));
    }
    let failed = match store::rate_limits::tat(&mut conn, &failed_from_key(account, ip)).await? {
        Some(until) => until > now,
        // Beyond so many failing addresses, any address counts as one that failed.
        None => {
            let held = store::rate_limits::count_held(&mut conn, &failed_from_prefix(account), now).await?;
            usize::try_from(held).unwrap_or(usize::MAX) >= FAILED_ADDRESSES_PER_ACCOUNT
        }
    };
    let wait = Duration::from_millis(u64::try_from(over_ms).unwrap_or(0));
    Ok(if failed { Err(wait) } else { Ok(()) })
}

/// The limits of one running portal.
#[derive(Clone)]
pub struct RateLimits {
    pub signin_per_ip: Limit,
    pub signin_failures: AccountFailures,
    /// One-time passcodes sent to one address.
    pub code_per_address: Limit,
    /// Requests of the guest flow (redemption and codes) from one address.
    pub guest_flow_per_ip: Limit,
    /// Resends of one user's invitation.
    pub resend_per_user: Limit,
    /// Requests of one application to the API.
    pub api_per_app: Limit,
    /// Requests of one `client_id` to the OAuth token endpoint.
    pub token_per_client: Limit,
    /// The database, when any limit is counted there.
    shared: Option<Db>,
}

impl RateLimits {
    pub fn new(settings: &Settings, db: &Db) -> Self {
        let limit = |name, per_minute| Limit::for_store(db, name, per_minute);
        let signin_per_ip = limit("signin_ip", settings.signin_limit_per_ip);
        Self {
            shared: signin_per_ip.is_shared().then(|| db.clone()),
            signin_per_ip,
            signin_failures: AccountFailures::for_store(db, settings.signin_limit_per_account),
            code_per_address: limit("code_address", settings.code_limit_per_address),
            guest_flow_per_ip: limit("guest_ip", settings.guest_flow_limit_per_ip),
            resend_per_user: limit("resend_user", settings.resend_limit_per_user),
            api_per_app: limit("api_app", settings.api_limit_per_app),
            token_per_client: limit("token_client", settings.token_limit_per_client),
        }
    }

    /// Periodic upkeep: forgets the keys in memory that have recovered, and
    /// deletes the recovered rows of the shared table (on one instance at
    /// a time). Returns how many rows it deleted.
    pub async fn forget_idle(&self) -> sqlx::Result<u64> {
        self.signin_per_ip.forget_idle();
        self.signin_failures.forget_idle();
        self.code_per_address.forget_idle();
        self.guest_flow_per_ip.forget_idle();
        self.resend_per_user.forget_idle();
        self.api_per_app.forget_idle();
        self.token_per_client.forget_idle();
        match &self.shared {
            Some(db) => delete_expired(db, now_ms()).await,
            None => Ok(0),
        }
    }
}

/// Deletes the rows of the shared table that have recovered by `now_ms`,
/// unless another instance is doing it at this moment.
pub async fn delete_expired(db: &Db, now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    if !store::jobs::try_lock(&mut tx, store::jobs::Job::RateLimitCleanup).await? {
        return Ok(0);
    }
    let deleted = store::rate_limits::delete_expired(&mut tx, now_ms).await?;
    tx.commit().await?;
    Ok(deleted)
}
