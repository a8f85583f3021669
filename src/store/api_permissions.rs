//! An application's API permissions (`app_api_permissions`): which it asks
//! for and which a Global Administrator consented to.

use sqlx::FromRow;

use super::Conn;

/// One configured permission, by its Graph name.
#[derive(Clone, Debug, FromRow, PartialEq, Eq)]
pub struct ConfiguredPermission {
    pub permission: String,
    pub added_at: i64,
    /// When admin consent was granted; None: not granted.
    pub consented_at: Option<i64>,
}

/// Every configured permission of an application, by name.
pub async fn list(conn: &mut Conn, app_id: &str) -> sqlx::Result<Vec<ConfiguredPermission>> {
    sqlx::query_as(
        "SELECT permission, added_at, consented_at FROM app_api_permissions WHERE app_id = $1 ORDER BY permission",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await
}

/// The names of the permissions an application holds: added and consented.
pub async fn granted(conn: &mut Conn, app_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT permission FROM app_api_permissions WHERE app_id = $1 AND consented_at IS NOT NULL ORDER BY permission",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await
}

/// Adds a permission, not consented; false when it was there already.
pub async fn add(conn: &mut Conn, app_id: &str, permission: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO app_api_permissions (app_id, permission, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (app_id, permission) DO NOTHING",
    )
    .bind(app_id)
    .bind(permission)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a permission, consented or not; false when it was not there.
pub async fn remove(conn: &mut Conn, app_id: &str, permission: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM app_api_permissions WHERE app_id = $1 AND permission = $2")
        .bind(app_id)
        .bind(permission)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Grants admin consent to every configured permission not yet granted;
/// returns their names.
pub async fn grant_consent(conn: &mut Conn, app_id: &str, by: Option<&str>, now: i64) -> sqlx::Result<Vec<String>> {
    let pending: Vec<String> = sqlx::query_scalar(
        "SELECT permission FROM app_api_permissions WHERE app_id = $1 AND consented_at IS NULL ORDER BY permission",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE app_api_permissions SET consented_at = $1, consented_by = $2 \
         WHERE app_id = $3 AND consented_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(app_id)
    .execute(&mut *conn)
    .await?;
    Ok(pending)
}

/// Revokes admin consent for one permission; false when it was not granted.
pub async fn revoke_consent(conn: &mut Conn, app_id: &str, permission: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE app_api_permissions SET consented_at = NULL, consented_by = NULL \
         WHERE app_id = $1 AND permission = $2 AND consented_at IS NOT NULL",
    )
    .bind(app_id)
    .bind(permission)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives the application a client ID when it has none: an application
/// that calls the API needs one whatever its Single sign-on mode.
pub async fn ensure_client_id(conn: &mut Conn, app_id: &str, client_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE applications SET client_id = COALESCE(client_id, $1) WHERE id = $2")
        .bind(client_id)
        .bind(app_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
