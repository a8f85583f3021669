//! argon2id password hashing. Hashing is slow on purpose, so it runs on the
//! blocking pool; unknown accounts are checked against a dummy hash so the
//! answer takes the same time whether or not the address exists.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordCost;

#[derive(Clone)]
pub struct PasswordHasherService {
    params: Params,
    /// A hash of a random password made with the same cost, verified when
    /// the account does not exist.
    dummy: Arc<String>,
}

impl PasswordHasherService {
    pub fn new(cost: PasswordCost) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let mut service = Self {
            params,
            dummy: Arc::new(String::new()),
        };
        let random = crate::security::secret::random_token(16);
        service.dummy = Arc::new(service.hash_now(&random)?);
        Ok(service)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_now(&self, password: &str) -> anyhow::Result<String> {
        let hash = self
            .argon2()
            .hash_password(password.as_bytes())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
        Ok(hash.to_string())
    }

    /// Hashes on the blocking pool.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_now(&password)).await?
    }

    /// Verifies on the blocking pool. `stored` is `None` for an unknown
    /// account (or one without a password), which is verified against the
    /// dummy hash and always fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let this = self.clone();
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| this.dummy.as_str().to_owned());
        let ok = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return false;
            };
            // Verify with the parameters stored in the hash itself, so a
            // change of cost does not lock anyone out.
            Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
        })
        .await
        .unwrap_or(false);
        ok && known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasherService {
        PasswordHasherService::new(PasswordCost {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let hasher = cheap();
        let hash = hasher.hash("Correct horse 1".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("Correct horse 1".into(), Some(hash.clone())).await);
        assert!(!hasher.verify("correct horse 1".into(), Some(hash)).await);
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let hasher = cheap();
        assert!(!hasher.verify(String::new(), None).await);
        assert!(!hasher.verify("x".into(), Some("not a hash".into())).await);
    }
}
