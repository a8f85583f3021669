//! Consents given on Review permissions.

use super::Conn;

pub async fn record(conn: &mut Conn, user_id: &str, terms_version: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO consents (id, user_id, consented_at, terms_version) VALUES ($1, $2, $3, $4)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(user_id)
        .bind(now)
        .bind(terms_version)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The terms version of the user's latest consent, if any.
pub async fn latest_terms_version(conn: &mut Conn, user_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT terms_version FROM consents WHERE user_id = $1 ORDER BY consented_at DESC, id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Forgets the user's consents (Reset redemption status asks again).
pub async fn clear(conn: &mut Conn, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM consents WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
