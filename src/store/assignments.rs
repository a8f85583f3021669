//! App role assignments: a user or a group holds a role of an application;
//! and My Apps, which reads them.

use sqlx::FromRow;

use super::Conn;
use crate::domain::single_sign_on::{SsoMode, tile_url};

#[derive(Clone, Debug, FromRow)]
pub struct AssignmentRow {
    pub id: String,
    pub app_id: String,
    pub app_role_id: String,
    pub role_name: String,
    pub principal_type: String,
    pub principal_id: String,
    pub principal_name: String,
    /// The user type of a User principal; none for a group.
    pub principal_user_type: Option<String>,
    pub created_at: i64,
}

pub async fn insert(
    conn: &mut Conn,
    app_id: &str,
    role_id: &str,
    principal_type: &str,
    principal_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO app_role_assignments (id, app_id, app_role_id, principal_type, principal_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, principal_type, principal_id, app_role_id) DO NOTHING",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(app_id)
    .bind(role_id)
    .bind(principal_type)
    .bind(principal_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

const SELECT: &str = "SELECT a.id, a.app_id, a.app_role_id, r.display_name AS role_name, a.principal_type, a.principal_id, \
    COALESCE(u.display_name, g.display_name, '') AS principal_name, u.user_type AS principal_user_type, a.created_at \
    FROM app_role_assignments a JOIN app_roles r ON r.id = a.app_role_id \
    LEFT JOIN users u ON a.principal_type = 'User' AND u.id = a.principal_id \
    LEFT JOIN groups g ON a.principal_type = 'Group' AND g.id = a.principal_id";

/// An application's assignments to live users and to groups, by name.
pub async fn for_app(conn: &mut Conn, app_id: &str) -> sqlx::Result<Vec<AssignmentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.app_id = $1 AND (a.principal_type = 'Group' OR u.deleted_at IS NULL) \
         ORDER BY LOWER(COALESCE(u.display_name, g.display_name, '')), a.principal_id, r.display_name"
    )))
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<AssignmentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Whether the principal already holds this role of the application.
pub async fn holds(
    conn: &mut Conn,
    app_id: &str,
    role_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM app_role_assignments WHERE app_id = $1 AND app_role_id = $2 \
         AND principal_type = $3 AND principal_id = $4",
    )
    .bind(app_id)
    .bind(role_id)
    .bind(principal_type)
    .bind(principal_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

pub async fn set_role(conn: &mut Conn, id: &str, role_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE app_role_assignments SET app_role_id = $1 WHERE id = $2")
        .bind(role_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM app_role_assignments WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A user's direct assignments and those of their groups, for the profile.
#[derive(Clone, Debug, FromRow)]
pub struct UserAppRow {
    pub app_id: String,
    pub app_name: String,
    pub role_name: String,
    pub via_group: Option<String>,
}

pub async fn for_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<UserAppRow>> {
    sqlx::query_as(
        "SELECT p.id AS app_id, p.display_name AS app_name, r.display_name AS role_name, NULL AS via_group \
         FROM app_role_assignments a JOIN applications p ON p.id = a.app_id JOIN app_roles r ON r.id = a.app_role_id \
         WHERE a.principal_type = 'User' AND a.principal_id = $1 \
         UNION ALL \
         SELECT p.id, p.display_name, r.display_name, g.display_name \
         FROM group_members m JOIN groups g ON g.id = m.group_id \
         JOIN app_role_assignments a ON a.principal_type = 'Group' AND a.principal_id = m.group_id \
         JOIN applications p ON p.id = a.app_id JOIN app_roles r ON r.id = a.app_role_id \
         WHERE m.user_id = $1 ORDER BY 2, 3",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// One tile on My Apps.
#[derive(Clone, Debug, FromRow)]
pub struct AppTile {
    pub id: String,
    pub display_name: String,
    pub homepage_url: Option<String>,
    /// The application's Single sign-on mode, as stored (`SsoMode::as_str`).
    pub sso_mode: String,
    /// Its sign-on (login-initiation) URL, for OpenID Connect.
    pub login_url: Option<String>,
}

impl AppTile {
    pub fn mode(&self) -> SsoMode {
        SsoMode::parse(&self.sso_mode).unwrap_or(SsoMode::Linked)
    }

    /// Where the tile leads, by the Single sign-on mode (`tile_url`); none
    /// when the app cannot be opened from My Apps.
    pub fn link(&self) -> Option<&str> {
        tile_url(self.mode(), self.homepage_url.as_deref(), self.login_url.as_deref())
    }
}

/// My Apps: the visible, enabled apps assigned to the user directly or
/// through any of their groups, once each, by name. Both halves walk the
/// principal index (`app_role_assignments_principal_idx`), so the cost
/// follows the user's own groups, not the size of the directory.
pub async fn my_apps(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<AppTile>> {
    sqlx::query_as(
        "SELECT p.id, p.display_name, p.homepage_url, p.sso_mode, p.login_url FROM applications p \
         WHERE p.enabled = 1 AND p.visible_to_users = 1 AND p.id IN ( \
           SELECT a.app_id FROM app_role_assignments a WHERE a.principal_type = 'User' AND a.principal_id = $1 \
           UNION \
           SELECT a.app_id FROM group_members m JOIN app_role_assignments a \
             ON a.principal_type = 'Group' AND a.principal_id = m.group_id WHERE m.user_id = $1) \
         ORDER BY p.display_name_lower, p.id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}
