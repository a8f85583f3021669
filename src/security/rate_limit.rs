//! Rate limits on sign-in (and, later, code and redemption endpoints), kept
//! in memory per instance with the MIT `governor` crate.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A per-key limit of `per_minute` attempts, with the same burst.
#[derive(Clone)]
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: Arc<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).expect("max(1) is never zero");
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Counts one attempt; `Err` carries how long until the next one is allowed.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys whose limit has fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The limits of one running portal.
#[derive(Clone)]
pub struct RateLimits {
    pub signin_per_ip: KeyedLimit<IpAddr>,
    pub signin_per_account: KeyedLimit<String>,
    /// One-time passcodes sent to one address.
    pub code_per_address: KeyedLimit<String>,
    /// Requests of the guest flow (redemption and codes) from one address.
    pub guest_flow_per_ip: KeyedLimit<IpAddr>,
    /// Resends of one user's invitation.
    pub resend_per_user: KeyedLimit<String>,
}

impl RateLimits {
    pub fn new(settings: &crate::config::Settings) -> Self {
        Self {
            signin_per_ip: KeyedLimit::per_minute(settings.signin_limit_per_ip),
            signin_per_account: KeyedLimit::per_minute(settings.signin_limit_per_account),
            code_per_address: KeyedLimit::per_minute(settings.code_limit_per_address),
            guest_flow_per_ip: KeyedLimit::per_minute(settings.guest_flow_limit_per_ip),
            resend_per_user: KeyedLimit::per_minute(settings.resend_limit_per_user),
        }
    }

    pub fn forget_idle(&self) {
        self.signin_per_ip.forget_idle();
        self.signin_per_account.forget_idle();
        self.code_per_address.forget_idle();
        self.guest_flow_per_ip.forget_idle();
        self.resend_per_user.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key() {
        let limit = KeyedLimit::<String>::per_minute(2);
        assert!(limit.check(&"a".into()).is_ok());
        assert!(limit.check(&"a".into()).is_ok());
        let wait = limit.check(&"a".into()).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limit.check(&"b".into()).is_ok());
    }
}
