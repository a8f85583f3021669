//! argon2id password hashing. Hashing is slow on purpose, so it runs on
//! threads of its own; unknown accounts are checked against a dummy hash so
//! the answer takes the same time whether or not the address exists.
//!
//! Memory: one hash works in `argon2_memory_kib` (19 MiB by default) and
//! keeps a core busy, so only as many run at once as there are cores and
//! the rest queue (on the blocking pool a burst of 32 sign-ins held 32
//! buffers at once). And each buffer is given back to the system as soon
//! as its hash is done; see `working_memory`.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::config::PasswordCost;

#[derive(Clone)]
pub struct PasswordHasherService {
    params: Params,
    /// A hash of a random password made with the same cost, verified when
    /// the account does not exist.
    dummy: Arc<String>,
    threads: HashThreads,
}

type Job = Box<dyn FnOnce() + Send>;

/// The threads that hash. They end when the last clone of the service
/// (and so of the sender) is dropped.
#[derive(Clone)]
struct HashThreads {
    jobs: mpsc::Sender<Job>,
}

impl HashThreads {
    fn start(count: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..count {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("password-hash".into())
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panic fails that one hash (its caller sees the
                            // reply dropped), not the thread.
                            Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| anyhow::anyhow!("starting the password hashing threads: {e}"))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `f` on a hashing thread, after the jobs queued before it.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = reply.send(f());
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        answer.await.map_err(|_| anyhow::anyhow!("password hashing failed"))
    }
}

impl PasswordHasherService {
    pub fn new(cost: PasswordCost) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut service = Self {
            params,
            dummy: Arc::new(String::new()),
            threads: HashThreads::start(cores)?,
        };
        let random = crate::security::secret::random_token(16);
        service.dummy = Arc::new(service.hash_now(&random)?);
        Ok(service)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password`
    /// under a fresh random salt.
    fn hash_now(&self, password: &str) -> anyhow::Result<String> {
        let failed = |e: &dyn std::fmt::Display| anyhow::anyhow!("hashing a password: {e}");
        let argon2 = self.argon2();
        let salt =
            Salt::new(&crate::security::secret::random_bytes(Salt::RECOMMENDED_LENGTH)).map_err(|e| failed(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt,
                &mut out,
                working_memory(self.params.block_count()),
            )
            .map_err(|e| failed(&e))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| failed(&e))?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
        };
        Ok(hash.to_string())
    }

    /// Hashes on a hashing thread.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let this = self.clone();
        self.threads.run(move || this.hash_now(&password)).await?
    }

    /// Verifies on a hashing thread. `stored` is `None` for an unknown
    /// account (or one without a password), which is verified against the
    /// dummy hash and always fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy.as_str().to_owned());
        let ok = self
            .threads
            .run(move || verify_now(password.as_bytes(), &phc))
            .await
            .unwrap_or(false);
        ok && known
    }
}

/// Whether `password` matches the PHC string `phc`, computed with the
/// algorithm, version and cost stored in it, so a change of cost does not
/// lock anyone out.
fn verify_now(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if argon2
        .hash_password_into_with_memory(password, salt, &mut out, working_memory(blocks))
        .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

/// argon2's working memory for one hash: `blocks` KiB, in an allocation
/// of more than 32 MiB of address space of which only those blocks are
/// ever touched. glibc serves so large an allocation with its own mapping
/// and unmaps it when it is freed (mallopt(3): its dynamic mmap threshold
/// stops at 32 MiB), so the memory goes back to the system at once. A
/// 19 MiB allocation, once freed, would instead raise that threshold to
/// 19 MiB: from then on every buffer up to that size (rendered pages,
/// result sets) came from malloc's per-thread arenas and stayed resident
/// (RSS 400 MB after the benchmark's load instead of under 100).
fn working_memory(blocks: usize) -> Vec<Block> {
    const RESERVE: usize = (32 << 20) / Block::SIZE + 1;
    let mut memory = Vec::with_capacity(blocks.max(RESERVE));
    memory.resize(blocks, Block::new());
    memory
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
    async fn hashes_are_those_of_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let hasher = cheap();
        let ours = hasher.hash("Correct horse 1".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(hasher.argon2().verify_password(b"Correct horse 1", &parsed).is_ok());
        assert!(hasher.argon2().verify_password(b"Correct horse 2", &parsed).is_err());
        let cheap = Params::new(8, 1, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, cheap)
            .hash_password(b"Correct horse 1")
            .unwrap()
            .to_string();
        assert!(verify_now(b"Correct horse 1", &theirs), "{theirs}");
        assert!(!verify_now(b"Correct horse 2", &theirs));
        assert!(hasher.verify("Correct horse 1".into(), Some(theirs)).await);
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let hasher = cheap();
        assert!(!hasher.verify(String::new(), None).await);
        assert!(!hasher.verify("x".into(), Some("not a hash".into())).await);
    }
}
