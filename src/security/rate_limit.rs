//! The pieces of rate limits: a per-key limit kept in this process's memory
//! with the MIT `governor` crate, the same GCRA's arithmetic for counters
//! kept in the store (`limits` chooses which a portal uses), the key an
//! address counts under, and the failed sign-ins of each account (in
//! memory on every store).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A per-key limit of `per_minute` attempts, with the same burst, counted
/// in this process's memory.
#[derive(Clone)]
pub struct KeyedLimit {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl KeyedLimit {
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).expect("max(1) is never zero");
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Counts one attempt; `Err` carries how long until the next one is allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys whose limit has fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The arithmetic of a GCRA limit of `per_minute` with the same burst, as
/// `governor` counts it in memory, for counters kept elsewhere: each
/// request moves the key's theoretical arrival time (TAT) on by
/// `interval_ms`, and a request is allowed while that time stays within
/// `tau_ms` (the burst's worth) of now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gcra {
    pub interval_ms: i64,
    pub tau_ms: i64,
}

impl Gcra {
    pub fn per_minute(per_minute: u32) -> Self {
        let burst = i64::from(per_minute.max(1));
        let interval_ms = (60_000 / burst).max(1);
        Self {
            interval_ms,
            tau_ms: interval_ms * burst,
        }
    }

    /// How long after `now_ms` a key whose TAT is `tat_ms` allows its next
    /// request: when `max(tat, now) + interval - tau <= now`.
    pub fn wait(&self, tat_ms: i64, now_ms: i64) -> Duration {
        let wait_ms = tat_ms + self.interval_ms - self.tau_ms - now_ms;
        Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))
    }
}

/// The key a per-address limit counts under: an IPv4 address as it is
/// (written as IPv4-mapped IPv6 too), an IPv6 address by its /64, the
/// smallest block a network hands one host or subscriber: counting whole
/// IPv6 addresses would give one client 2^64 limits.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

/// How long a client address that gave an account a wrong password stays
/// refused for it while the account is over its limit.
pub const FAILED_ADDRESS_MEMORY: Duration = Duration::from_secs(60);
/// Failing addresses remembered per account; beyond it, any address counts
/// as one that failed.
pub const FAILED_ADDRESSES_PER_ACCOUNT: usize = 1024;

/// Failed sign-ins per account, `per_minute` with the same burst. An
/// account over its limit refuses the client addresses that gave it a
/// wrong password, but still checks the password from an address that has
/// not failed: a flood of wrong guesses from elsewhere does not lock the
/// owner out (OWASP's advice on lockout), and each address that guesses
/// wrong is refused in turn.
pub struct SignInFailures {
    interval: Duration,
    tolerance: Duration,
    accounts: Mutex<HashMap<String, AccountFailures>>,
}

struct AccountFailures {
    /// When the account's failures are all forgiven (the theoretical
    /// arrival time of a GCRA, like `governor`'s).
    clear_at: Instant,
    /// Client addresses (by `address_key`) that failed, and when last.
    addresses: HashMap<IpAddr, Instant>,
}

/// Where a failure is counted: the client's `address_key`, or one shared
/// key when the address is unknown.
pub fn failure_key(ip: Option<IpAddr>) -> IpAddr {
    ip.map(address_key)
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

impl SignInFailures {
    pub fn per_minute(per_minute: u32) -> Self {
        let interval = Duration::from_secs(60) / per_minute.max(1);
        Self {
            interval,
            tolerance: Duration::from_secs(60) - interval,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccountFailures>> {
        // The map holds counters only: one left half-updated by a panic is still usable.
        self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a sign-in to `account` from `ip` may check its password;
    /// `Err` carries how long until the account is under its limit again.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let accounts = self.accounts();
        let Some(entry) = accounts.get(account) else {
            return Ok(());
        };
        let over_for = entry
            .clear_at
            .saturating_duration_since(now)
            .checked_sub(self.tolerance);
        let Some(wait) = over_for.filter(|w| !w.is_zero()) else {
            return Ok(());
        };
        let key = failure_key(ip);
        let failed = match entry.addresses.get(&key) {
            Some(at) => now.duration_since(*at) < FAILED_ADDRESS_MEMORY,
            None => entry.addresses.len() >= FAILED_ADDRESSES_PER_ACCOUNT,
        };
        if failed { Err(wait) } else { Ok(()) }
    }

    /// Records a wrong password for `account` from `ip`.
    pub fn record(&self, account: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let key = failure_key(ip);
        let mut accounts = self.accounts();
        let entry = accounts.entry(account.to_owned()).or_insert_with(|| AccountFailures {
            clear_at: now,
            addresses: HashMap::new(),
        });
        entry.clear_at = entry.clear_at.max(now) + self.interval;
        if entry.addresses.len() < FAILED_ADDRESSES_PER_ACCOUNT || entry.addresses.contains_key(&key) {
            entry.addresses.insert(key, now);
        }
    }

    /// Forgets accounts whose failures are all forgiven, so memory stays bounded.
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let mut accounts = self.accounts();
        accounts.retain(|_, entry| {
            entry
                .addresses
                .retain(|_, at| now.duration_since(*at) < FAILED_ADDRESS_MEMORY);
            entry.clear_at > now || !entry.addresses.is_empty()
        });
        accounts.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key() {
        let limit = KeyedLimit::per_minute(2);
        assert!(limit.check("a").is_ok());
        assert!(limit.check("a").is_ok());
        let wait = limit.check("a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limit.check("b").is_ok());
    }

    #[test]
    fn the_gcra_of_a_store_allows_the_burst_then_one_per_interval() {
        let gcra = Gcra::per_minute(3);
        assert_eq!(
            gcra,
            Gcra {
                interval_ms: 20_000,
                tau_ms: 60_000
            }
        );
        // Three requests at 0 leave the TAT at 60 s: the next is allowed
        // once 60 + 20 - 60 <= now, at 20 s.
        assert_eq!(gcra.wait(60_000, 0), Duration::from_secs(20));
        assert_eq!(gcra.wait(60_000, 15_000), Duration::from_secs(5));
        assert_eq!(gcra.wait(60_000, 20_000), Duration::ZERO);
        assert_eq!(gcra.wait(10_000, 50_000), Duration::ZERO, "recovered");
        // 7 a minute does not divide a minute: the burst still is 7.
        let odd = Gcra::per_minute(7);
        assert_eq!(odd.tau_ms / odd.interval_ms, 7);
        assert_eq!(Gcra::per_minute(0), Gcra::per_minute(1));
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn check_address(limit: &KeyedLimit, s: &str) -> Result<(), Duration> {
        limit.check(&address_key(ip(s)).to_string())
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let limit = KeyedLimit::per_minute(1);
        assert!(check_address(&limit, "2001:db8:1:2::1").is_ok());
        assert!(
            check_address(&limit, "2001:db8:1:2:ffff:ffff:ffff:fffe").is_err(),
            "the same /64 shares one count"
        );
        assert!(
            check_address(&limit, "2001:db8:1:3::1").is_ok(),
            "another /64 has its own"
        );
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::9")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn an_ipv4_client_is_counted_by_its_address_however_it_is_written() {
        let limit = KeyedLimit::per_minute(1);
        assert!(check_address(&limit, "192.0.2.1").is_ok());
        assert!(
            check_address(&limit, "192.0.2.2").is_ok(),
            "IPv4 addresses are counted one by one"
        );
        assert!(
            check_address(&limit, "::ffff:192.0.2.1").is_err(),
            "IPv4-mapped IPv6 is the same client"
        );
        assert_eq!(address_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(address_key(ip("198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn an_account_over_its_failures_still_lets_a_new_address_try() {
        let failures = SignInFailures::per_minute(3);
        let attacker = Some(ip("203.0.113.9"));
        for _ in 0..2 {
            failures.record("admin@contoso.test", attacker);
            assert!(
                failures.check("admin@contoso.test", attacker).is_ok(),
                "under the limit"
            );
        }
        failures.record("admin@contoso.test", attacker);
        let wait = failures.check("admin@contoso.test", attacker).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        // An IPv6 guesser moving within its /64 is still the address that failed.
        failures.record("admin@contoso.test", Some(ip("2001:db8:1:2::1")));
        assert!(
            failures
                .check("admin@contoso.test", Some(ip("2001:db8:1:2:3::4")))
                .is_err()
        );
        assert!(
            failures.check("admin@contoso.test", Some(ip("198.51.100.1"))).is_ok(),
            "the owner's address"
        );
        assert!(
            failures.check("other@contoso.test", attacker).is_ok(),
            "another account"
        );
        // A wrong guess from the new address puts it with the attacker.
        failures.record("admin@contoso.test", Some(ip("198.51.100.1")));
        assert!(failures.check("admin@contoso.test", Some(ip("198.51.100.1"))).is_err());
        assert!(
            failures
                .check("admin@contoso.test", Some(ip("::ffff:203.0.113.9")))
                .is_err()
        );
        failures.forget_idle();
        assert!(
            failures.check("admin@contoso.test", attacker).is_err(),
            "still remembered"
        );
    }
}
