//! Sign-ins sent to identity providers, until the browser comes back.

use sqlx::FromRow;

use super::Conn;

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct FederationRequestRow {
    pub provider_id: String,
    pub nonce: String,
    pub verifier: String,
    pub address: String,
    pub sign_in: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut Conn, state_digest: &str, row: &FederationRequestRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO federation_requests (state_digest, provider_id, nonce, verifier, address, sign_in, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(state_digest)
    .bind(&row.provider_id)
    .bind(&row.nonce)
    .bind(&row.verifier)
    .bind(&row.address)
    .bind(row.sign_in)
    .bind(row.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the request and returns it, in one statement: of two callbacks
/// with the same `state`, on any instance, only one gets it. An expired
/// request is removed too, and not returned.
pub async fn take(conn: &mut Conn, state_digest: &str, now: i64) -> sqlx::Result<Option<FederationRequestRow>> {
    let row: Option<FederationRequestRow> = sqlx::query_as(
        "DELETE FROM federation_requests WHERE state_digest = $1 \
         RETURNING provider_id, nonce, verifier, address, sign_in, expires_at",
    )
    .bind(state_digest)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.filter(|r| r.expires_at > now))
}

/// Forgets requests whose browser never came back.
pub async fn delete_expired(conn: &mut Conn, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM federation_requests WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
