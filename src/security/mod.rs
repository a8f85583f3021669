//! Cross-cutting protections: password hashing, secrets and tokens, client
//! addresses behind proxies, the origin requests are addressed to, rate
//! limits, and the https listener's certificate.

pub mod client_ip;
pub mod jws;
pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod tls;
