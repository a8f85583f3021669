//! What every handler can reach: settings, store, clock, hasher, limits.

use crate::clock::Clock;
use crate::config::Settings;
use crate::security::password::PasswordHasherService;
use crate::security::rate_limit::RateLimits;
use crate::store::Db;

pub struct AppState {
    pub settings: Settings,
    /// The public URL with the real port filled in.
    pub public_url: String,
    pub db: Db,
    pub clock: Clock,
    pub hasher: PasswordHasherService,
    pub limits: RateLimits,
}
