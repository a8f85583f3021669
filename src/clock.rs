//! The time the portal believes it is. Production reads the system clock;
//! tests move a manual clock forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Unix time in seconds.
pub type UnixTime = i64;

#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    /// The system clock plus an offset that tests advance.
    Shifted(AtomicI64),
}

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// A clock that starts at the system time and moves only forward with
    /// the system clock, plus whatever `advance` adds.
    pub fn manual() -> Self {
        Self(Arc::new(Source::Shifted(AtomicI64::new(0))))
    }

    pub fn now(&self) -> UnixTime {
        let system = time::OffsetDateTime::now_utc().unix_timestamp();
        match &*self.0 {
            Source::System => system,
            Source::Shifted(offset) => system + offset.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; a system clock cannot be moved.
    pub fn advance(&self, seconds: i64) {
        match &*self.0 {
            Source::System => panic!("the system clock cannot be advanced"),
            Source::Shifted(offset) => {
                offset.fetch_add(seconds, Ordering::SeqCst);
            }
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// "2026-11-22 21:04 UTC", for pages and email.
pub fn format_time(t: UnixTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|dt| dt.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_when_told() {
        let clock = Clock::manual();
        let before = clock.now();
        clock.advance(3600);
        assert!(clock.now() >= before + 3600);
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
    }
}
