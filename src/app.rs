//! The application context: what every handler and service of one process
//! can reach (settings, store, clock, hasher, limits (`limits`), mail transport, the
//! organization cache). It sits below `web` and `services`, so both take it
//! without looking up; it looks down only at store, mail, security and
//! configuration (and the metrics recorder, which is below all). The outbox worker takes just its parts (`mail_worker`).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::config::Settings;
use crate::limits::RateLimits;
use crate::mail::Transport;
use crate::security::password::PasswordHasherService;
use crate::store::organization::Organization;
use crate::store::{self, Db};

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
    pub mail: Arc<Transport>,
    /// Wakes this process's outbox worker; see `wake_mail`.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Wakes this process's bulk invite worker when a job is submitted.
    pub bulk_wake: Arc<tokio::sync::Notify>,
    /// Wakes this process's sign-in code task; see `services::sign_in_codes`.
    pub sign_in_codes_wake: Arc<tokio::sync::Notify>,
    /// The organization row, kept for a moment between reads.
    pub organization: OrganizationCache,
    /// The token signing keys, read through a short in-memory cache.
    pub signing_keys: SigningKeyCache,
    /// Identity providers' published keys (JWKS), by URL.
    pub provider_keys: ProviderKeyCache,
    /// This portal's metrics (`web::metrics` serves them).
    pub monitoring: crate::monitoring::Monitoring,
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

    /// What this process's outbox worker works with.
    pub fn mail_worker(&self) -> crate::mail::worker::OutboxWorker {
        crate::mail::worker::OutboxWorker {
            db: self.db.clone(),
            clock: self.clock.clone(),
            transport: self.mail.clone(),
            wake: self.mail_wake.clone(),
            settings: crate::mail::worker::OutboxSettings::from_settings(&self.settings),
        }
    }

    /// What composing an email needs: links, the Block link key, the sender.
    pub fn mail_context(&self) -> crate::mail::MailContext {
        crate::mail::MailContext {
            public_url: self.public_url.clone(),
            block_links: self.secrets.block_links.clone(),
            from: crate::mail::sender_address(&self.settings),
        }
    }

    /// True when mail is kept for `/dev/mailbox` instead of being sent.
    pub fn mailbox_enabled(&self) -> bool {
        self.mail.is_mailbox()
    }
}

/// How long another instance may keep showing the previous properties after
/// an admin saves them. The instance that saves forgets its copy at once.
const ORGANIZATION_FRESH_FOR: Duration = Duration::from_secs(2);

/// The organization row, read through a short in-memory cache: every guest
/// page shows its name and settings, and it changes rarely.
#[derive(Default)]
pub struct OrganizationCache {
    slot: RwLock<Option<(Organization, Instant)>>,
}

impl OrganizationCache {
    /// The organization, from memory when read less than a moment ago;
    /// `None` before first start has written it. Transactions that must see
    /// the current row read it themselves.
    pub async fn get(&self, db: &Db) -> sqlx::Result<Option<Organization>> {
        if let Some((org, read_at)) = self.slot.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && read_at.elapsed() < ORGANIZATION_FRESH_FOR
        {
            return Ok(Some(org.clone()));
        }
        let mut conn = db.pool().acquire().await?;
        let org = store::organization::get(&mut conn).await?;
        if let Some(org) = &org {
            *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some((org.clone(), Instant::now()));
        }
        Ok(org)
    }

    /// Drops the copy, after this instance changed the row.
    pub fn forget(&self) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// How long an identity provider's published keys are used before they
/// are read again. A token naming a key not among them makes the portal
/// read them again at once (the provider rotated its keys).
const PROVIDER_KEYS_FRESH_FOR: Duration = Duration::from_secs(3600);

/// One provider's published keys (the `keys` of its JWKS).
type PublishedKeys = Arc<Vec<serde_json::Value>>;

/// Identity providers' published keys, by JWKS URL, with when they were read.
#[derive(Default)]
pub struct ProviderKeyCache {
    slots: RwLock<std::collections::HashMap<String, (PublishedKeys, Instant)>>,
}

impl ProviderKeyCache {
    /// The keys read from `jwks_uri` less than an hour ago.
    pub fn get(&self, jwks_uri: &str) -> Option<PublishedKeys> {
        let slots = self.slots.read().unwrap_or_else(|e| e.into_inner());
        let (keys, read_at) = slots.get(jwks_uri)?;
        (read_at.elapsed() < PROVIDER_KEYS_FRESH_FOR).then(|| keys.clone())
    }

    pub fn put(&self, jwks_uri: &str, keys: Vec<serde_json::Value>) -> PublishedKeys {
        let keys = Arc::new(keys);
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        slots.insert(jwks_uri.to_owned(), (keys.clone(), Instant::now()));
        keys
    }
}

/// How long a retired signing key stays published: longer than any token
/// it signed lives (ID tokens an hour, access tokens a quarter of that).
pub const RETIRED_KEYS_PUBLISHED_FOR: i64 = 24 * 3600;

/// How long an instance signs with the keys it read before reading them
/// again, so a rotation made elsewhere (`vestibule keys rotate`, another
/// instance) is picked up within this time.
const SIGNING_KEYS_FRESH_FOR: Duration = Duration::from_secs(60);

/// The keys of one moment: the newest signing key of each algorithm and
/// every published public key.
pub struct KeySet {
    pub signing: Vec<Arc<crate::security::jws::SigningKey>>,
    pub published: Vec<crate::security::jws::PublicJwk>,
}

impl KeySet {
    /// The key new tokens of `alg` are signed with.
    pub fn signer(&self, alg: crate::security::jws::JwsAlg) -> Option<&crate::security::jws::SigningKey> {
        self.signing.iter().find(|k| k.alg() == alg).map(|k| k.as_ref())
    }
}

/// Signing keys, unsealed once and kept for a minute.
#[derive(Default)]
pub struct SigningKeyCache {
    slot: RwLock<Option<(Arc<KeySet>, Instant)>>,
}

impl SigningKeyCache {
    /// The current keys. `now` is the clock's time, which decides which
    /// retired keys are still published.
    pub async fn get(&self, db: &Db, seal: &crate::security::jws::KeySeal, now: i64) -> anyhow::Result<Arc<KeySet>> {
        if let Some((set, read_at)) = self.slot.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && read_at.elapsed() < SIGNING_KEYS_FRESH_FOR
        {
            return Ok(set.clone());
        }
        let mut conn = db.pool().acquire().await?;
        let rows = store::signing_keys::published(&mut conn, now - RETIRED_KEYS_PUBLISHED_FOR).await?;
        drop(conn);
        let mut signing: Vec<Arc<crate::security::jws::SigningKey>> = Vec::new();
        let mut published = Vec::new();
        for row in rows {
            let jwk: crate::security::jws::PublicJwk = serde_json::from_str(&row.public_jwk)?;
            published.push(jwk);
            let Some(alg) = crate::security::jws::JwsAlg::parse(&row.alg) else {
                continue;
            };
            // Rows come newest first: the first active key of an algorithm signs.
            if row.retired_at.is_none() && !signing.iter().any(|k| k.alg() == alg) {
                let pkcs8 = seal.open(&row.kid, &row.sealed_private_key).ok_or_else(|| {
                    anyhow::anyhow!(
                        "signing key {} does not open with this server key (VESTIBULE_SESSION_KEY)",
                        row.kid
                    )
                })?;
                signing.push(Arc::new(crate::security::jws::SigningKey::from_pkcs8(
                    row.kid.clone(),
                    alg,
                    &pkcs8,
                )?));
            }
        }
        let set = Arc::new(KeySet { signing, published });
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some((set.clone(), Instant::now()));
        Ok(set)
    }

    /// Drops the copy, after this instance changed the keys.
    pub fn forget(&self) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
