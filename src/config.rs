//! Settings: defaults in code, then an optional TOML file, then `VESTIBULE_*`
//! environment variables. Every key is applied through one function, so the
//! file and the environment accept the same names and give the same errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::security::client_ip::TrustedProxies;
use crate::security::origin::Origin;

/// Where an invalid value came from, so the message names the key the
/// operator actually typed.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {key}: {message}")]
pub struct SettingsError {
    pub key: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The cost of argon2id password hashing. Production keeps the OWASP
/// defaults; tests lower them so a sign-in does not take a quarter second.
#[derive(Clone, Copy, Debug)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub database_max_connections: u32,
    /// The address guests and admins use; links in email are built from it.
    /// `None` means "http://{bind}" ("https://{bind}" with TLS on), so it is
    /// required when the bind address is every address (0.0.0.0 or [::]).
    /// Requests for any other host are refused.
    pub public_url: Option<String>,
    /// PEM files of the https listener: the certificate chain (the server's
    /// certificate first) and its private key (PKCS#8, RSA or SEC1). Both or
    /// neither; with both, `bind` speaks https instead of http.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Lets a public URL on `http://` name another machine (a lab without
    /// certificates). The session cookie then loses its `Secure` flag, so
    /// it travels in clear text: never for real use.
    pub allow_insecure_public_url: bool,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// Base64 of at least 64 random bytes. Without it a loopback run keeps a
    /// generated key in `data_dir`; any other run refuses to start.
    pub session_key: Option<String>,
    pub data_dir: PathBuf,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub org_name: String,
    pub org_domain: String,
    pub trusted_proxies: TrustedProxies,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub session_idle_timeout: Duration,
    pub session_max_age: Duration,
    pub password_cost: PasswordCost,
    /// Sign-in attempts allowed per minute from one client address.
    pub signin_limit_per_ip: u32,
    /// Failed sign-ins allowed per minute against one account, after which
    /// the addresses that failed are refused for it (others still may try).
    pub signin_limit_per_account: u32,
    /// One-time passcodes sent per minute to one address.
    pub code_limit_per_address: u32,
    /// Requests of the guest flow (redemption, codes) per minute from one address.
    pub guest_flow_limit_per_ip: u32,
    /// Invitation resends per minute for one user.
    pub resend_limit_per_user: u32,
    /// Requests per minute of one application to the API (`/v1.0`).
    pub api_limit_per_app: u32,
    /// Token requests per minute for one `client_id` at the OAuth token endpoint.
    pub token_limit_per_client: u32,
    pub max_form_bytes: usize,
    pub max_json_bytes: usize,
    /// HTTP worker threads; `None` lets actix pick one per core.
    pub workers: Option<usize>,
    /// The outbox worker: the first retry delay, doubled per attempt up to
    /// the cap; the attempts before a message is marked failed; how long a
    /// claimed message is held; how often to look for rows other instances
    /// committed.
    pub mail_retry_base: Duration,
    pub mail_retry_max: Duration,
    pub mail_max_attempts: u32,
    pub mail_lease: Duration,
    pub mail_poll: Duration,
    /// Soft-deleted users are deleted permanently this many days after
    /// their deletion, by a job that runs every `purge_interval`.
    pub purge_after_days: u32,
    pub purge_interval: Duration,
    /// Where Prometheus text is served at `/metrics`: a listener of its
    /// own, never the public one. `None` turns metrics off.
    pub metrics_bind: Option<SocketAddr>,
    /// Lets `metrics_bind` be an address other than loopback. The series
    /// name routes and count sign-ins, which is not for everyone who can
    /// reach the machine, so a wider bind must be asked for.
    pub metrics_allow_network: bool,
    /// `/readyz` reports the instance degraded when the oldest queued
    /// message has waited longer than this.
    pub readyz_outbox_max_age: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/vestibule.db?mode=rwc".into(),
            database_max_connections: 10,
            public_url: None,
            tls_cert_file: None,
            tls_key_file: None,
            allow_insecure_public_url: false,
            smtp_url: None,
            mail_from: None,
            session_key: None,
            data_dir: PathBuf::from("data"),
            admin_email: None,
            admin_password: None,
            org_name: "Example Organization".into(),
            org_domain: "example.org".into(),
            trusted_proxies: TrustedProxies::default(),
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            session_idle_timeout: Duration::from_secs(60 * 60),
            session_max_age: Duration::from_secs(12 * 60 * 60),
            password_cost: PasswordCost {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
            },
            signin_limit_per_ip: 30,
            signin_limit_per_account: 5,
            code_limit_per_address: 3,
            guest_flow_limit_per_ip: 60,
            resend_limit_per_user: 2,
            api_limit_per_app: 6000,
            token_limit_per_client: 300,
            max_form_bytes: 64 * 1024,
            max_json_bytes: 1024 * 1024,
            workers: None,
            mail_retry_base: Duration::from_secs(30),
            mail_retry_max: Duration::from_secs(3600),
            mail_max_attempts: 8,
            mail_lease: Duration::from_secs(30),
            mail_poll: Duration::from_millis(1000),
            purge_after_days: 30,
            purge_interval: Duration::from_secs(3600),
            metrics_bind: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            metrics_allow_network: false,
            readyz_outbox_max_age: Duration::from_secs(300),
        }
    }
}

/// Every key, with the default shown in `.env.example`. The environment
/// spells them `VESTIBULE_<KEY>` in upper case; the TOML file in lower case.
pub const KEYS: &[&str] = &[
    "bind",
    "database_url",
    "database_max_connections",
    "public_url",
    "tls_cert_file",
    "tls_key_file",
    "allow_insecure_public_url",
    "smtp_url",
    "mail_from",
    "session_key",
    "data_dir",
    "admin_email",
    "admin_password",
    "org_name",
    "org_domain",
    "trusted_proxies",
    "log_format",
    "log",
    "session_idle_minutes",
    "session_max_hours",
    "argon2_memory_kib",
    "argon2_iterations",
    "argon2_parallelism",
    "signin_limit_per_ip",
    "signin_limit_per_account",
    "code_limit_per_address",
    "guest_flow_limit_per_ip",
    "resend_limit_per_user",
    "api_limit_per_app",
    "token_limit_per_client",
    "max_form_bytes",
    "max_json_bytes",
    "workers",
    "mail_retry_base_secs",
    "mail_retry_max_secs",
    "mail_max_attempts",
    "mail_lease_secs",
    "mail_poll_ms",
    "purge_after_days",
    "purge_interval_secs",
    "metrics_bind",
    "metrics_allow_network",
    "readyz_outbox_max_age_secs",
];

impl Settings {
    /// Defaults, then the TOML file if one is named, then the environment.
    pub fn load(
        config_file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut settings = Settings::default();
        if let Some(path) = config_file {
            settings.apply_file(path)?;
        }
        for (name, value) in env {
            let Some(key) = name.strip_prefix("VESTIBULE_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if !KEYS.contains(&key.as_str()) {
                // Test and bench variables share the prefix; they are not ours.
                continue;
            }
            settings.apply(&key, &value).map_err(|message| SettingsError {
                key: name.clone(),
                message,
            })?;
        }
        settings.check()?;
        Ok(settings)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), SettingsError> {
        let file_error = |message: String| SettingsError {
            key: format!("--config {}", path.display()),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| file_error(e.to_string()))?;
        for (key, value) in table {
            let named = |message: String| SettingsError {
                key: format!("{key} (in {})", path.display()),
                message,
            };
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| named("expected a list of strings".into()))
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
                _ => return Err(named("expected a string, a number or a list of strings".into())),
            };
            if !KEYS.contains(&key.as_str()) {
                return Err(named("unknown key".into()));
            }
            self.apply(&key, &value).map_err(named)?;
        }
        Ok(())
    }

    /// Sets one key from its text form.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match key {
            "bind" => {
                self.bind = value
                    .parse()
                    .map_err(|_| "expected host:port, like 127.0.0.1:8080".to_string())?
            }
            "database_url" => {
                if !(value.starts_with("sqlite:")
                    || value.starts_with("postgres://")
                    || value.starts_with("postgresql://"))
                {
                    return Err("expected a sqlite://… or postgres://… URL".into());
                }
                self.database_url = value.into();
            }
            "database_max_connections" => self.database_max_connections = positive(value)?,
            "public_url" => {
                let url = value.trim_end_matches('/');
                if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                    return Err("expected an http:// or https:// URL".into());
                }
                self.public_url = Some(url.into());
            }
            "tls_cert_file" => self.tls_cert_file = optional_path(value),
            "tls_key_file" => self.tls_key_file = optional_path(value),
            "allow_insecure_public_url" => {
                self.allow_insecure_public_url = match value.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    _ => return Err("expected true or false".into()),
                }
            }
            "smtp_url" => {
                if value.is_empty() {
                    self.smtp_url = None;
                } else if value.starts_with("smtp://") || value.starts_with("smtps://") {
                    self.smtp_url = Some(value.into());
                } else {
                    return Err("expected smtp://host:port or smtps://user:password@host:port".into());
                }
            }
            "mail_from" => self.mail_from = non_empty(value)?,
            "session_key" => {
                decode_session_key(value)?;
                self.session_key = Some(value.into());
            }
            "data_dir" => self.data_dir = PathBuf::from(required(value)?),
            "admin_email" => self.admin_email = Some(required(value)?.into()),
            "admin_password" => self.admin_password = Some(required(value)?.into()),
            "org_name" => self.org_name = required(value)?.into(),
            "org_domain" => self.org_domain = required(value)?.to_ascii_lowercase(),
            "trusted_proxies" => self.trusted_proxies = TrustedProxies::parse(value)?,
            "log_format" => {
                self.log_format = match value {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return Err("expected text or json".into()),
                }
            }
            "log" => self.log_filter = required(value)?.into(),
            "session_idle_minutes" => {
                self.session_idle_timeout = Duration::from_secs(60 * u64::from(positive::<u32>(value)?))
            }
            "session_max_hours" => {
                self.session_max_age = Duration::from_secs(3600 * u64::from(positive::<u32>(value)?))
            }
            "argon2_memory_kib" => self.password_cost.memory_kib = positive(value)?,
            "argon2_iterations" => self.password_cost.iterations = positive(value)?,
            "argon2_parallelism" => self.password_cost.parallelism = positive(value)?,
            "signin_limit_per_ip" => self.signin_limit_per_ip = positive(value)?,
            "signin_limit_per_account" => self.signin_limit_per_account = positive(value)?,
            "code_limit_per_address" => self.code_limit_per_address = positive(value)?,
            "guest_flow_limit_per_ip" => self.guest_flow_limit_per_ip = positive(value)?,
            "resend_limit_per_user" => self.resend_limit_per_user = positive(value)?,
            "api_limit_per_app" => self.api_limit_per_app = positive(value)?,
            "token_limit_per_client" => self.token_limit_per_client = positive(value)?,
            "max_form_bytes" => self.max_form_bytes = positive::<usize>(value)?,
            "max_json_bytes" => self.max_json_bytes = positive::<usize>(value)?,
            "workers" => self.workers = Some(positive::<usize>(value)?),
            "mail_retry_base_secs" => self.mail_retry_base = Duration::from_secs(positive(value)?),
            "mail_retry_max_secs" => self.mail_retry_max = Duration::from_secs(positive(value)?),
            "mail_max_attempts" => self.mail_max_attempts = positive(value)?,
            "mail_lease_secs" => self.mail_lease = Duration::from_secs(positive(value)?),
            "mail_poll_ms" => self.mail_poll = Duration::from_millis(positive(value)?),
            "purge_after_days" => self.purge_after_days = positive(value)?,
            "purge_interval_secs" => self.purge_interval = Duration::from_secs(positive(value)?),
            "metrics_bind" => {
                self.metrics_bind = match value {
                    "" | "off" => None,
                    _ => Some(value.parse().map_err(|_| {
                        "expected host:port, like 127.0.0.1:9464, or off to serve no metrics".to_string()
                    })?),
                }
            }
            "metrics_allow_network" => self.metrics_allow_network = boolean(value)?,
            "readyz_outbox_max_age_secs" => self.readyz_outbox_max_age = Duration::from_secs(positive(value)?),
            _ => return Err("unknown key".into()),
        }
        Ok(())
    }

    /// Rules that involve more than one key.
    fn check(&self) -> Result<(), SettingsError> {
        let err = |key: &str, message: &str| SettingsError {
            key: key.into(),
            message: message.into(),
        };
        let cost = self.password_cost;
        if argon2::Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None).is_err() {
            return Err(err(
                "VESTIBULE_ARGON2_MEMORY_KIB",
                "argon2 needs at least 8 KiB of memory per lane",
            ));
        }
        self.tls_files()?;
        // With TLS on, the listener answers https only. An http public URL
        // would put links in email that nothing answers, and every form post
        // from the https page would fail the same-origin check (the schemes
        // differ). Rewriting the URL the operator typed would hide the
        // mistake, so say it instead.
        if self.tls_enabled() && self.public_url.as_deref().is_some_and(|u| u.starts_with("http://")) {
            return Err(err(
                "VESTIBULE_PUBLIC_URL",
                "is http://, but VESTIBULE_TLS_CERT_FILE and VESTIBULE_TLS_KEY_FILE make VESTIBULE_BIND speak \
                 https only: write the public URL with https:// (links in email and the same-origin check use \
                 it), or leave it unset for https://{BIND}",
            ));
        }
        if self.public_url.is_none() && self.bind.ip().is_unspecified() {
            return Err(err(
                "VESTIBULE_PUBLIC_URL",
                "required when VESTIBULE_BIND listens on every address (0.0.0.0 or [::]): set the address \
                 people use to reach the portal, like https://guests.example.org; links in email are built \
                 from it and requests for any other host are refused",
            ));
        }
        if let Some(bind) = self.metrics_bind
            && !bind.ip().is_loopback()
            && !self.metrics_allow_network
        {
            return Err(err(
                "VESTIBULE_METRICS_BIND",
                "is not a loopback address: the metrics name every route and count sign-ins, so they are \
                 served on loopback unless VESTIBULE_METRICS_ALLOW_NETWORK=true says that this address is \
                 reachable only by your monitoring (or set VESTIBULE_METRICS_BIND=off)",
            ));
        }
        if self.session_key.is_none() && !self.is_loopback() {
            let why = if self.bind.ip().is_loopback() {
                "required when the public URL is not on loopback"
            } else {
                "required when VESTIBULE_BIND is not a loopback address, since the portal can then be reached \
                 from the network"
            };
            return Err(err(
                "VESTIBULE_SESSION_KEY",
                &format!("{why} (base64 of at least 64 random bytes: `openssl rand -base64 64`)"),
            ));
        }
        if self.is_insecure_public_url() && !self.allow_insecure_public_url {
            return Err(err(
                "VESTIBULE_PUBLIC_URL",
                &format!(
                    "is {}, plain http on an address other than this machine: the session cookie is Secure, \
                     so browsers would not send it back over http and every sign-in would loop back to the \
                     sign-in page. Use https:// (end TLS at a reverse proxy in front, or give the portal \
                     VESTIBULE_TLS_CERT_FILE and VESTIBULE_TLS_KEY_FILE to serve https itself); for a lab \
                     only, VESTIBULE_ALLOW_INSECURE_PUBLIC_URL=true serves it over http with a session \
                     cookie that is not Secure",
                    self.public_url()
                ),
            ));
        }
        Ok(())
    }

    /// True when people reach the portal over plain http at an address
    /// other than this machine. Browsers keep `Secure` cookies over http on
    /// loopback only, so such a portal needs a session cookie without it.
    pub fn is_insecure_public_url(&self) -> bool {
        !self.is_https() && !self.public_url_is_loopback()
    }

    /// Whether the session cookie carries `Secure`: always, but on a
    /// non-loopback http public URL a lab explicitly allowed.
    pub fn session_cookie_secure(&self) -> bool {
        !(self.allow_insecure_public_url && self.is_insecure_public_url())
    }

    /// The URL links in email point at, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url_on(self.bind.port())
    }

    /// The public URL once the listener has its port (a bind to port 0
    /// gets one from the system): the configured one, or the bind address
    /// with that port (IPv6 in brackets), https when TLS is on.
    pub fn public_url_on(&self, port: u16) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let scheme = if self.tls_enabled() { "https" } else { "http" };
                format!("{scheme}://{}", SocketAddr::new(self.bind.ip(), port))
            }
        }
    }

    /// The certificate chain and private key files when the listener
    /// speaks https; an error when only one of them is set. `load` checks
    /// this, and so does `Application::build` for settings made in code.
    pub fn tls_files(&self) -> Result<Option<(&Path, &Path)>, SettingsError> {
        let missing = |key: &str, other: &str| SettingsError {
            key: key.into(),
            message: format!(
                "required when {other} is set: https needs the certificate chain and its private key, each in \
                 a PEM file (set both, or neither to serve plain http)"
            ),
        };
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(missing("VESTIBULE_TLS_KEY_FILE", "VESTIBULE_TLS_CERT_FILE")),
            (None, Some(_)) => Err(missing("VESTIBULE_TLS_CERT_FILE", "VESTIBULE_TLS_KEY_FILE")),
        }
    }

    /// True when both TLS files are set: `bind` speaks https.
    pub fn tls_enabled(&self) -> bool {
        matches!(self.tls_files(), Ok(Some(_)))
    }

    /// True for the default local run: the portal listens on loopback only
    /// and is addressed as this machine, so a kept session key and a
    /// development mailbox are safe. A loopback public URL on a wider bind
    /// (the usual container setting) is not: the port, mailbox included,
    /// answers on the network.
    pub fn is_loopback(&self) -> bool {
        self.bind.ip().is_loopback() && self.public_url_is_loopback()
    }

    /// True when the public URL (without one, the bind address) names
    /// this machine.
    pub fn public_url_is_loopback(&self) -> bool {
        match &self.public_url {
            None => self.bind.ip().is_loopback(),
            Some(url) => Origin::of_url(url).is_some_and(|o| o.is_loopback()),
        }
    }

    /// What start-up says about where mail goes, when it cannot leave.
    pub fn mail_warning(&self) -> Option<String> {
        if self.smtp_url.is_some() {
            None
        } else if self.public_url_is_loopback() && !self.bind.ip().is_loopback() {
            Some(format!(
                "the development mailbox is off because VESTIBULE_BIND ({}) can be reached from the network, \
                 and no SMTP server is configured, so mail stays queued: set VESTIBULE_BIND=127.0.0.1:{} to read \
                 it at /dev/mailbox, or VESTIBULE_SMTP_URL to send it",
                self.bind,
                self.bind.port()
            ))
        } else if !self.is_loopback() {
            Some("no SMTP server is configured (VESTIBULE_SMTP_URL): email cannot leave this portal".into())
        } else {
            None
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

/// Decodes a session key given in settings; errors name what is wrong.
pub fn decode_session_key(value: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value.trim()))
        .map_err(|_| "expected base64 (for example the output of `openssl rand -base64 64`)".to_string())?;
    if bytes.len() < 64 {
        return Err(format!("needs at least 64 bytes, got {}", bytes.len()));
    }
    Ok(bytes)
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(value: &str) -> Result<T, String> {
    match value.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err("expected a positive whole number".into()),
    }
}

fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn required(value: &str) -> Result<&str, String> {
    if value.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(value)
    }
}

/// A path, or none for an empty value (as `.env.example` leaves it).
fn optional_path(value: &str) -> Option<PathBuf> {
    (!value.is_empty()).then(|| PathBuf::from(value))
}

fn non_empty(value: &str) -> Result<Option<String>, String> {
    Ok(Some(required(value)?.to_owned()))
}

#[cfg(test)]
mod start_up_traps;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_run_locally_without_any_setting() {
        let s = Settings::load(None, env(&[])).unwrap();
        assert_eq!(s.public_url(), "http://127.0.0.1:8080");
        assert!(s.is_loopback());
        assert!(!s.is_postgres());
        assert!(!s.tls_enabled() && !s.is_https());
    }

    #[test]
    fn an_invalid_value_names_its_key() {
        let err = Settings::load(None, env(&[("VESTIBULE_BIND", "nowhere")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_BIND");
        let err = Settings::load(None, env(&[("VESTIBULE_SIGNIN_LIMIT_PER_IP", "0")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_SIGNIN_LIMIT_PER_IP");
    }

    #[test]
    fn a_public_address_needs_a_session_key() {
        let err = Settings::load(None, env(&[("VESTIBULE_PUBLIC_URL", "https://portal.example.com")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_SESSION_KEY");
        let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
        let s = Settings::load(
            None,
            env(&[
                ("VESTIBULE_PUBLIC_URL", "https://portal.example.com/"),
                ("VESTIBULE_SESSION_KEY", &key),
            ]),
        )
        .unwrap();
        assert_eq!(s.public_url(), "https://portal.example.com");
        assert!(s.is_https() && !s.is_loopback());
    }

    #[test]
    fn loopback_is_recognised_in_every_spelling() {
        for url in ["http://localhost:8080", "http://127.0.0.1", "http://[::1]:9000/x"] {
            let mut s = Settings::default();
            s.apply("public_url", url).unwrap();
            assert!(s.is_loopback(), "{url}");
        }
    }

    #[test]
    fn a_bind_reachable_from_the_network_needs_a_session_key_even_with_a_loopback_public_url() {
        let container = [
            ("VESTIBULE_BIND", "0.0.0.0:8080"),
            ("VESTIBULE_PUBLIC_URL", "http://localhost:8080"),
        ];
        let err = Settings::load(None, env(&container)).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_SESSION_KEY");
        assert!(err.message.contains("VESTIBULE_BIND"), "{}", err.message);
        let err = Settings::load(None, env(&[("VESTIBULE_BIND", "192.0.2.10:8080")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_SESSION_KEY");

        let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
        let mut with_key = env(&container);
        with_key.extend(env(&[("VESTIBULE_SESSION_KEY", &key)]));
        let s = Settings::load(None, with_key).unwrap();
        assert!(s.public_url_is_loopback() && !s.is_loopback());
        let warning = s.mail_warning().expect("start-up warns that the mailbox is off");
        assert!(
            warning.contains("development mailbox is off")
                && warning.contains("VESTIBULE_BIND=127.0.0.1:8080")
                && warning.contains("VESTIBULE_SMTP_URL"),
            "{warning}"
        );
    }

    #[test]
    fn listening_on_every_address_needs_a_public_url() {
        let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
        for bind in ["0.0.0.0:8080", "[::]:8080"] {
            let err =
                Settings::load(None, env(&[("VESTIBULE_BIND", bind), ("VESTIBULE_SESSION_KEY", &key)])).unwrap_err();
            assert_eq!(err.key, "VESTIBULE_PUBLIC_URL", "{bind}");
        }
    }

    #[test]
    fn mail_warnings_follow_the_settings() {
        let mut s = Settings::default();
        assert_eq!(s.mail_warning(), None, "the default run reads mail at /dev/mailbox");
        s.public_url = Some("https://portal.contoso.test".into());
        assert!(s.mail_warning().unwrap().contains("email cannot leave"));
        s.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert_eq!(s.mail_warning(), None);
    }

    #[test]
    fn short_session_keys_are_refused() {
        let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]);
        let err = Settings::load(None, env(&[("VESTIBULE_SESSION_KEY", &key)])).unwrap_err();
        assert!(err.message.contains("64 bytes"), "{}", err.message);
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vestibule.toml");
        std::fs::write(
            &path,
            "org_name = \"Contoso\"\nsignin_limit_per_ip = 7\ntrusted_proxies = [\"10.0.0.1\"]\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), env(&[("VESTIBULE_SIGNIN_LIMIT_PER_IP", "9")])).unwrap();
        assert_eq!(s.org_name, "Contoso");
        assert_eq!(s.signin_limit_per_ip, 9);
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let err = Settings::load(Some(&path), env(&[])).unwrap_err();
        assert!(err.key.starts_with("colour"), "{}", err.key);
    }

    #[test]
    fn tls_takes_a_certificate_and_a_key_or_neither() {
        let err = Settings::load(None, env(&[("VESTIBULE_TLS_CERT_FILE", "/etc/vestibule/cert.pem")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_TLS_KEY_FILE");
        assert!(err.message.contains("VESTIBULE_TLS_CERT_FILE"), "{}", err.message);
        let err = Settings::load(None, env(&[("VESTIBULE_TLS_KEY_FILE", "/etc/vestibule/key.pem")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_TLS_CERT_FILE");
        let s = Settings::load(
            None,
            env(&[("VESTIBULE_TLS_CERT_FILE", " "), ("VESTIBULE_TLS_KEY_FILE", "")]),
        )
        .unwrap();
        assert!(!s.tls_enabled(), "empty values, as in .env.example, mean no TLS");
    }

    #[test]
    fn with_tls_the_default_public_url_is_https_and_an_http_one_is_refused() {
        let tls = [
            ("VESTIBULE_TLS_CERT_FILE", "cert.pem"),
            ("VESTIBULE_TLS_KEY_FILE", "key.pem"),
        ];
        let s = Settings::load(None, env(&tls)).unwrap();
        assert!(s.tls_enabled());
        assert_eq!(s.public_url(), "https://127.0.0.1:8080");
        assert_eq!(s.public_url_on(8443), "https://127.0.0.1:8443");
        assert!(s.is_https() && s.is_loopback());

        let mut http = env(&tls);
        http.extend(env(&[("VESTIBULE_PUBLIC_URL", "http://localhost:8080")]));
        let err = Settings::load(None, http).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_PUBLIC_URL");
        assert!(err.message.contains("https://"), "{}", err.message);

        let mut https = env(&tls);
        https.extend(env(&[("VESTIBULE_PUBLIC_URL", "https://localhost:8080")]));
        assert_eq!(
            Settings::load(None, https).unwrap().public_url(),
            "https://localhost:8080"
        );
    }

    #[test]
    fn the_tls_files_are_read_from_the_config_file_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vestibule.toml");
        std::fs::write(&path, "tls_cert_file = \"/srv/tls/fullchain.pem\"\n").unwrap();
        let err = Settings::load(Some(&path), env(&[])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_TLS_KEY_FILE");
        std::fs::write(
            &path,
            "tls_cert_file = \"/srv/tls/fullchain.pem\"\ntls_key_file = \"/srv/tls/privkey.pem\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), env(&[])).unwrap();
        assert_eq!(
            s.tls_files().unwrap(),
            Some((Path::new("/srv/tls/fullchain.pem"), Path::new("/srv/tls/privkey.pem")))
        );
    }

    #[test]
    fn metrics_listen_on_loopback_unless_told_otherwise() {
        let s = Settings::load(None, env(&[])).unwrap();
        assert_eq!(s.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        for off in ["off", ""] {
            let s = Settings::load(None, env(&[("VESTIBULE_METRICS_BIND", off)])).unwrap();
            assert_eq!(s.metrics_bind, None, "{off:?}");
        }
        let err = Settings::load(None, env(&[("VESTIBULE_METRICS_BIND", "9464")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_METRICS_BIND");
        assert!(err.message.contains("off"), "{}", err.message);

        for wide in ["0.0.0.0:9464", "192.0.2.10:9464", "[::]:9464"] {
            let err = Settings::load(None, env(&[("VESTIBULE_METRICS_BIND", wide)])).unwrap_err();
            assert_eq!(err.key, "VESTIBULE_METRICS_BIND", "{wide}");
            assert!(
                err.message.contains("VESTIBULE_METRICS_ALLOW_NETWORK=true"),
                "{}",
                err.message
            );
            let s = Settings::load(
                None,
                env(&[
                    ("VESTIBULE_METRICS_BIND", wide),
                    ("VESTIBULE_METRICS_ALLOW_NETWORK", "true"),
                ]),
            )
            .unwrap();
            assert_eq!(s.metrics_bind, Some(wide.parse().unwrap()));
        }
        let err = Settings::load(None, env(&[("VESTIBULE_METRICS_ALLOW_NETWORK", "yes")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_METRICS_ALLOW_NETWORK");
        let s = Settings::load(None, env(&[("VESTIBULE_METRICS_BIND", "[::1]:9000")])).unwrap();
        assert_eq!(s.metrics_bind, Some("[::1]:9000".parse().unwrap()));
    }

    #[test]
    fn the_outbox_age_that_makes_readyz_degraded_is_a_setting() {
        assert_eq!(Settings::default().readyz_outbox_max_age, Duration::from_secs(300));
        let s = Settings::load(None, env(&[("VESTIBULE_READYZ_OUTBOX_MAX_AGE_SECS", "60")])).unwrap();
        assert_eq!(s.readyz_outbox_max_age, Duration::from_secs(60));
        let err = Settings::load(None, env(&[("VESTIBULE_READYZ_OUTBOX_MAX_AGE_SECS", "0")])).unwrap_err();
        assert_eq!(err.key, "VESTIBULE_READYZ_OUTBOX_MAX_AGE_SECS");
    }

    #[test]
    fn every_documented_key_is_in_the_example_file() {
        let example = include_str!("../.env.example");
        for key in KEYS {
            let name = format!("VESTIBULE_{}", key.to_ascii_uppercase());
            assert!(example.contains(&name), "{name} is missing from .env.example");
        }
    }
}
