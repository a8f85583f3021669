//! The `signing_keys` table: token signing keys, sealed at rest, with the
//! public half as published in the JWKS.

use sqlx::FromRow;

use super::Conn;

#[derive(Clone, Debug, FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub sealed_private_key: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// Keys still published at `now`: those that sign, and retired ones whose
/// tokens may not have expired yet (retired after `retired_since`).
pub async fn published(conn: &mut Conn, retired_since: i64) -> sqlx::Result<Vec<SigningKeyRow>> {
    sqlx::query_as(
        "SELECT kid, alg, sealed_private_key, public_jwk, created_at, retired_at FROM signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid",
    )
    .bind(retired_since)
    .fetch_all(&mut *conn)
    .await
}

pub async fn insert(conn: &mut Conn, row: &SigningKeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&row.kid)
    .bind(&row.alg)
    .bind(&row.sealed_private_key)
    .bind(&row.public_jwk)
    .bind(row.created_at)
    .bind(row.retired_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Retires every signing key of `alg` except `keep`: they stay published
/// for a while but sign nothing new.
pub async fn retire_others(conn: &mut Conn, alg: &str, keep: &str, now: i64) -> sqlx::Result<u64> {
    let done =
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE alg = $2 AND kid <> $3 AND retired_at IS NULL")
            .bind(now)
            .bind(alg)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// How many keys of `alg` sign new tokens.
pub async fn count_active(conn: &mut Conn, alg: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys WHERE alg = $1 AND retired_at IS NULL")
        .bind(alg)
        .fetch_one(&mut *conn)
        .await
}
