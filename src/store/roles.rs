//! Directory role assignments.

use super::Conn;
use crate::domain::Role;

/// The roles a user holds, in a stable order.
pub async fn roles_of(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<Role>> {
    let keys: Vec<String> = sqlx::query_scalar("SELECT role FROM directory_role_assignments WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut roles: Vec<Role> = keys.iter().filter_map(|k| Role::from_key(k)).collect();
    roles.sort();
    Ok(roles)
}

/// Adds the role; false when the user already held it.
/// The roles each of `user_ids` holds (users without roles are absent).
pub async fn roles_of_users(
    conn: &mut Conn,
    user_ids: &[&str],
) -> sqlx::Result<std::collections::HashMap<String, Vec<Role>>> {
    let mut held: std::collections::HashMap<String, Vec<Role>> = std::collections::HashMap::new();
    if user_ids.is_empty() {
        return Ok(held);
    }
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT user_id, role FROM directory_role_assignments WHERE user_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
    for id in user_ids {
        query = query.bind(*id);
    }
    for (user_id, key) in query.fetch_all(&mut *conn).await? {
        if let Some(role) = Role::from_key(&key) {
            held.entry(user_id).or_default().push(role);
        }
    }
    for roles in held.values_mut() {
        roles.sort();
    }
    Ok(held)
}

pub async fn grant(conn: &mut Conn, user_id: &str, role: Role, by: Option<&str>, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO directory_role_assignments (user_id, role, assigned_at, assigned_by) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(user_id)
    .bind(role.key())
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes the role; false when the user did not hold it.
pub async fn revoke(conn: &mut Conn, user_id: &str, role: Role) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM directory_role_assignments WHERE user_id = $1 AND role = $2")
        .bind(user_id)
        .bind(role.key())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Live (not deleted, not blocked) holders of a role. On PostgreSQL the
/// role's rows are locked first, so two admins removing the last two
/// holders at once cannot both succeed; SQLite's write lock already
/// serialises writers.
pub async fn count_active_holders_locked(conn: &mut Conn, role: Role) -> sqlx::Result<i64> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT user_id FROM directory_role_assignments WHERE role = $1 FOR UPDATE")
            .bind(role.key())
            .fetch_all(&mut *conn)
            .await?;
    }
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM directory_role_assignments a JOIN users u ON u.id = a.user_id \
         WHERE a.role = $1 AND u.deleted_at IS NULL AND u.account_enabled = 1",
    )
    .bind(role.key())
    .fetch_one(&mut *conn)
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoleHolder {
    pub user_id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub role: String,
    pub assigned_at: i64,
}

/// Every assignment of live users, by role then name.
pub async fn list_holders(conn: &mut Conn) -> sqlx::Result<Vec<RoleHolder>> {
    sqlx::query_as(
        "SELECT a.user_id, u.display_name, u.user_principal_name, a.role, a.assigned_at \
         FROM directory_role_assignments a JOIN users u ON u.id = a.user_id \
         WHERE u.deleted_at IS NULL ORDER BY a.role, u.display_name_lower, u.id",
    )
    .fetch_all(&mut *conn)
    .await
}
