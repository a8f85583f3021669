//! The application context: what every handler, service and worker of one
//! process can reach (settings, store, clock, hasher, limits, mail
//! transport, the organization cache). It sits below `web`, so services,
//! mail and the command line take it without looking up at the web layer.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::Transport;
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
    /// Keys that tickets, codes and signed links are digested with.
    pub secrets: crate::security::secret::Secrets,
    /// Where the outbox worker sends mail.
    pub mail: Transport,
    /// Wakes this process's outbox worker; see `wake_mail`.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Wakes this process's sign-in code task; see `services::sign_in_codes`.
    pub sign_in_codes_wake: Arc<tokio::sync::Notify>,
    /// The organization row, kept for a moment between reads.
    pub organization: crate::services::organization::OrganizationCache,
    /// When each All users filter (user type, state) was last counted above
    /// the cap, in clock seconds; see `web::admin::all_users`.
    pub directory_above_cap: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl AppState {
    /// Tells the outbox worker that mail was committed. Call it after the
    /// commit; a wake-up that finds the worker busy is kept for later.
    pub fn wake_mail(&self) {
        self.mail_wake.notify_one();
    }

    /// True when mail is kept for `/dev/mailbox` instead of being sent.
    pub fn mailbox_enabled(&self) -> bool {
        self.mail.is_mailbox()
    }
}
