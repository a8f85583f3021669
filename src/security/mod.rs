//! Cross-cutting protections: password hashing, secrets and tokens, client
//! addresses behind proxies, and rate limits.

pub mod client_ip;
pub mod password;
pub mod rate_limit;
pub mod secret;
