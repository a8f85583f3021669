//! Token signing keys: one per algorithm signs at a time. They are made at
//! first start and by `vestibule keys rotate`, which adds a new key for
//! each algorithm and retires the old ones; a retired key stays published
//! in the JWKS until the tokens it signed have expired
//! (`app::RETIRED_KEYS_PUBLISHED_FOR`).

use crate::app::AppState;
use crate::security::jws::{JwsAlg, SigningKey};
use crate::store::{self, audit};

/// Makes a signing key for every algorithm that has none. Two instances
/// starting at once may both make one; the newest signs, both are
/// published, and nothing breaks.
pub async fn ensure(state: &AppState) -> anyhow::Result<()> {
    for alg in JwsAlg::ALL {
        let mut conn = state.db.pool().acquire().await?;
        let active = store::signing_keys::count_active(&mut conn, alg.name()).await?;
        drop(conn);
        if active == 0 {
            add_key(state, alg, false).await?;
        }
    }
    Ok(())
}

/// Adds a new key for every algorithm and retires the others. Returns the
/// new key IDs.
pub async fn rotate(state: &AppState) -> anyhow::Result<Vec<String>> {
    let mut kids = Vec::new();
    for alg in JwsAlg::ALL {
        kids.push(add_key(state, alg, true).await?);
    }
    Ok(kids)
}

async fn add_key(state: &AppState, alg: JwsAlg, retire_others: bool) -> anyhow::Result<String> {
    let kid = crate::security::secret::random_token(18);
    // Key generation takes a while for RSA: off the async threads.
    let generated = {
        let kid = kid.clone();
        tokio::task::spawn_blocking(move || SigningKey::generate(kid, alg)).await??
    };
    let (key, pkcs8) = generated;
    let now = state.clock.now();
    let row = store::signing_keys::SigningKeyRow {
        kid: kid.clone(),
        alg: alg.name().to_owned(),
        sealed_private_key: state.secrets.key_seal.seal(&kid, &pkcs8),
        public_jwk: serde_json::to_string(&key.public_jwk())?,
        created_at: now,
        retired_at: None,
    };
    let mut tx = state.db.begin().await?;
    store::signing_keys::insert(&mut tx, &row).await?;
    let retired = if retire_others {
        store::signing_keys::retire_others(&mut tx, alg.name(), &kid, now).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        &audit::Actor::system("Vestibule"),
        &audit::AuditEntry {
            activity: "Add signing key",
            category: "KeyManagement",
            target_id: Some(&kid),
            target_name: Some(alg.name()),
            details: Some(format!("{} key {kid}; {retired} older key(s) retired", alg.name())),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.signing_keys.forget();
    tracing::info!(kid = %kid, alg = alg.name(), retired, "added a token signing key");
    Ok(kid)
}
