//! Cross-cutting protections: password hashing, secrets and tokens, client
//! addresses behind proxies, the origin requests are addressed to, and
//! rate limits.

pub mod client_ip;
pub mod jws;
pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod secret;
