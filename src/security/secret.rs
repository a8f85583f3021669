//! Random secrets and their digests. Tickets and one-time codes are random,
//! and only their HMAC-SHA256 under a server key is ever stored.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// `bytes` random bytes, base64url without padding (URL and form safe).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Random bytes for keys.
pub fn random_bytes(bytes: usize) -> Vec<u8> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A random number below `bound`, without modulo bias.
pub fn random_below(bound: u32) -> u32 {
    assert!(bound > 0);
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let mut buf = [0u8; 4];
        getrandom::fill(&mut buf).expect("the operating system's random source failed");
        let n = u32::from_le_bytes(buf);
        if n < zone {
            return n % bound;
        }
    }
}

/// Compares two secrets in constant time.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The server key secrets are digested with. Derived from the session key
/// so that every instance sharing the session key also shares this one.
#[derive(Clone)]
pub struct DigestKey(Vec<u8>);

impl DigestKey {
    pub fn derive(master: &[u8], purpose: &str) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(master).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        Self(mac.finalize().into_bytes().to_vec())
    }

    /// The derived key itself, for a purpose that is not a digest.
    fn raw(&self) -> [u8; 32] {
        self.0.as_slice().try_into().expect("an HMAC-SHA256 output is 32 bytes")
    }

    /// HMAC-SHA256 of `secret`, hex-encoded: what is stored and looked up.
    pub fn digest(&self, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The digest keys of one deployment, each for one purpose, all derived
/// from the session key so every instance sharing it agrees.
#[derive(Clone)]
pub struct Secrets {
    /// Invitation tickets.
    pub tickets: DigestKey,
    /// Block future invitations links, signed per address.
    pub block_links: DigestKey,
    /// One-time passcodes.
    pub codes: DigestKey,
    /// Applications' client secrets (Certificates & secrets).
    pub client_secrets: DigestKey,
    /// OpenID Connect authorization codes and refresh tokens.
    pub oidc_tokens: DigestKey,
    /// Signs the API's `$skiptoken` paging cursors.
    pub api_paging: DigestKey,
    /// The `state` of sign-ins sent to identity providers.
    pub federation_states: DigestKey,
    /// Seals token signing keys at rest.
    pub key_seal: crate::security::jws::KeySeal,
    /// Seals identity providers' client secrets at rest.
    pub provider_secret_seal: crate::security::jws::KeySeal,
}

impl Secrets {
    pub fn derive(master: &[u8]) -> Self {
        Self {
            tickets: DigestKey::derive(master, "vestibule invitation tickets v1"),
            block_links: DigestKey::derive(master, "vestibule block-invitation links v1"),
            codes: DigestKey::derive(master, "vestibule one-time passcodes v1"),
            client_secrets: DigestKey::derive(master, "vestibule client secrets v1"),
            oidc_tokens: DigestKey::derive(master, "vestibule authorization codes and refresh tokens v1"),
            api_paging: DigestKey::derive(master, "vestibule api paging cursors v1"),
            federation_states: DigestKey::derive(master, "vestibule identity provider sign-in states v1"),
            key_seal: crate::security::jws::KeySeal::new(
                DigestKey::derive(master, "vestibule signing key seal v1").raw(),
            ),
            provider_secret_seal: crate::security::jws::KeySeal::new(
                DigestKey::derive(master, "vestibule identity provider secret seal v1").raw(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token(16);
        assert_eq!(a.len(), 22);
        assert_ne!(a, random_token(16));
    }

    #[test]
    fn digests_depend_on_key_and_secret() {
        let k1 = DigestKey::derive(b"master", "tickets");
        let k2 = DigestKey::derive(b"master", "codes");
        assert_eq!(k1.digest("abc"), k1.digest("abc"));
        assert_ne!(k1.digest("abc"), k2.digest("abc"));
        assert_ne!(k1.digest("abc"), k1.digest("abd"));
        assert_eq!(k1.digest("abc").len(), 64);
    }

    #[test]
    fn random_below_stays_in_range() {
        assert!((0..1000).all(|_| random_below(10) < 10));
        assert!(constant_time_eq("same", "same") && !constant_time_eq("same", "sane"));
    }
}
