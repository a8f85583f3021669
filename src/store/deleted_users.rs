//! Deleted users: the soft-deleted rows, newest deletion first, and their
//! permanent deletion. Every query walks `users_deleted_idx`, a partial
//! index over the soft-deleted rows only.

use sqlx::FromRow;

use super::Conn;
use super::users::{COLUMNS, User, UserRow};

#[derive(Clone, Debug, FromRow)]
pub struct DeletedUserRow {
    pub id: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: String,
    pub deleted_at: i64,
}

/// One page of Deleted users, newest deletion first, after `after`
/// (the last row of the previous page: deleted_at, id), optionally by a
/// name or email prefix.
pub async fn list(
    conn: &mut Conn,
    search: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<DeletedUserRow>> {
    let low = search.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    // Every string that starts with the prefix sorts between these two.
    let high = format!("{low}\u{10FFFF}");
    let (after_time, after_id) = after.unwrap_or((i64::MAX, ""));
    // With no cursor, every row sorts before (i64::MAX, ""): no clock
    // produces that time.
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, display_name, mail, user_principal_name, user_type, deleted_at FROM users \
         WHERE deleted_at IS NOT NULL \
         AND ((display_name_lower >= $1 AND display_name_lower < $2) OR (mail_lower >= $1 AND mail_lower < $2)) \
         AND (deleted_at, id) < ($3, $4) \
         ORDER BY deleted_at DESC, id DESC LIMIT {limit}"
    )))
    .bind(low)
    .bind(high)
    .bind(after_time)
    .bind(after_id)
    .fetch_all(&mut *conn)
    .await
}

/// Whole rows of soft-deleted users, newest deletion first, after `after`
/// (the last row of the previous page: deleted_at, id): the API's deleted
/// items.
pub async fn users_page(conn: &mut Conn, after: Option<(i64, &str)>, limit: i64) -> sqlx::Result<Vec<User>> {
    let (after_time, after_id) = after.unwrap_or((i64::MAX, ""));
    let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE deleted_at IS NOT NULL AND (deleted_at, id) < ($1, $2) \
         ORDER BY deleted_at DESC, id DESC LIMIT {}",
        limit.max(0)
    )))
    .bind(after_time)
    .bind(after_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// How many users are soft-deleted.
pub async fn count(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
}

/// Users deleted before `cutoff`, oldest first, after the key `after`.
pub async fn deleted_before(
    conn: &mut Conn,
    cutoff: i64,
    after: (i64, &str),
    limit: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT deleted_at, id FROM users WHERE deleted_at IS NOT NULL AND deleted_at < $1 \
         AND (deleted_at, id) > ($2, $3) ORDER BY deleted_at, id LIMIT $4",
    )
    .bind(cutoff)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// Deletes a soft-deleted user for good, with everything that hangs off
/// them, when they were deleted before `deleted_before`. False when the
/// row is gone, live again, or deleted later: someone else got there first.
/// Outbox rows keep their history (`ON DELETE SET NULL`); the audit log
/// has no foreign key and keeps every line.
pub async fn delete_permanently(conn: &mut Conn, id: &str, deleted_before: i64) -> sqlx::Result<bool> {
    // The row first: it is the lock that two purgers queue on, and the
    // condition that decides whether this call does anything at all.
    let done = sqlx::query("DELETE FROM users WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2")
        .bind(id)
        .bind(deleted_before)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    // Assignments name their principal without a foreign key; the other
    // tables cascade, and are cleared here too so nothing depends on it.
    for sql in [
        "DELETE FROM app_role_assignments WHERE principal_type = 'User' AND principal_id = $1",
        "DELETE FROM group_members WHERE user_id = $1",
        "DELETE FROM invitations WHERE user_id = $1",
        "DELETE FROM one_time_codes WHERE user_id = $1",
        "DELETE FROM consents WHERE user_id = $1",
        "DELETE FROM directory_role_assignments WHERE user_id = $1",
        "UPDATE outbox SET user_id = NULL WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    Ok(true)
}
