//! The `applications` and `app_roles` tables: enterprise applications,
//! their logos (base64 text, portable across both backends) and app roles.
//! Assignments live in `assignments.rs`.

use sqlx::FromRow;

use super::{Conn, flag};

#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub id: String,
    pub display_name: String,
    pub homepage_url: Option<String>,
    pub enabled: bool,
    pub visible_to_users: bool,
    pub assignment_required: bool,
    pub has_logo: bool,
    pub gallery_key: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    /// Changes with every edit: pages add it to the logo's address so a
    /// replaced logo is not served from a cache.
    pub updated_at: i64,
}

#[derive(FromRow)]
struct ApplicationRow {
    id: String,
    display_name: String,
    homepage_url: Option<String>,
    enabled: i64,
    visible_to_users: i64,
    assignment_required: i64,
    logo_type: Option<String>,
    gallery_key: Option<String>,
    notes: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<ApplicationRow> for Application {
    fn from(r: ApplicationRow) -> Self {
        Application {
            id: r.id,
            display_name: r.display_name,
            homepage_url: r.homepage_url,
            enabled: r.enabled != 0,
            visible_to_users: r.visible_to_users != 0,
            assignment_required: r.assignment_required != 0,
            has_logo: r.logo_type.is_some(),
            gallery_key: r.gallery_key,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const APP_COLUMNS: &str = "id, display_name, homepage_url, enabled, visible_to_users, assignment_required, \
    logo_type, gallery_key, notes, created_at, updated_at";

#[derive(Clone, Debug, PartialEq)]
pub struct AppRole {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub value: Option<String>,
    pub enabled: bool,
    pub is_default: bool,
}

#[derive(FromRow)]
struct AppRoleRow {
    id: String,
    app_id: String,
    display_name: String,
    description: Option<String>,
    value: Option<String>,
    enabled: i64,
    is_default: i64,
}

impl From<AppRoleRow> for AppRole {
    fn from(r: AppRoleRow) -> Self {
        AppRole {
            id: r.id,
            app_id: r.app_id,
            display_name: r.display_name,
            description: r.description,
            value: r.value,
            enabled: r.enabled != 0,
            is_default: r.is_default != 0,
        }
    }
}

const ROLE_COLUMNS: &str = "id, app_id, display_name, description, value, enabled, is_default";

/// Every application, by name.
pub async fn list(conn: &mut Conn) -> sqlx::Result<Vec<Application>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM applications ORDER BY display_name_lower, id");
    let rows: Vec<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(Application::from).collect())
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<Application>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM applications WHERE id = $1");
    let row: Option<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Application::from))
}

/// What a new application row holds; the store fills in the sort key.
pub struct NewApplication<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
    pub sort_key: &'a str,
    pub gallery_key: Option<&'a str>,
    pub homepage_url: Option<&'a str>,
    /// (content type, base64 data)
    pub logo: Option<(&'a str, &'a str)>,
    pub now: i64,
}

/// A new application: enabled, visible and with assignment required, as
/// Entra creates them.
pub async fn insert(conn: &mut Conn, new: &NewApplication<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO applications (id, display_name, display_name_lower, gallery_key, homepage_url, \
         notes, logo_type, logo, enabled, visible_to_users, assignment_required, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 1, 1, 1, $8, $9)",
    )
    .bind(new.id)
    .bind(new.display_name)
    .bind(new.sort_key)
    .bind(new.gallery_key)
    .bind(new.homepage_url)
    .bind(new.logo.map(|(t, _)| t))
    .bind(new.logo.map(|(_, data)| data))
    .bind(new.now)
    .bind(new.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The Properties page's fields.
pub struct PropertiesUpdate<'a> {
    pub display_name: &'a str,
    pub sort_key: &'a str,
    pub homepage_url: &'a str,
    pub enabled: bool,
    pub visible_to_users: bool,
    pub assignment_required: bool,
    pub notes: Option<&'a str>,
    pub now: i64,
}

/// `updated_at` only ever grows, so each save gives the logo a new address.
pub async fn update_properties(conn: &mut Conn, id: &str, p: &PropertiesUpdate<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET display_name = $1, display_name_lower = $2, homepage_url = $3, \
         enabled = $4, visible_to_users = $5, assignment_required = $6, notes = $7, \
         updated_at = CASE WHEN updated_at >= $8 THEN updated_at + 1 ELSE $8 END WHERE id = $9",
    )
    .bind(p.display_name)
    .bind(p.sort_key)
    .bind(p.homepage_url)
    .bind(flag(p.enabled))
    .bind(flag(p.visible_to_users))
    .bind(flag(p.assignment_required))
    .bind(p.notes)
    .bind(p.now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces the logo: its content type and its bytes in base64.
pub async fn set_logo(conn: &mut Conn, id: &str, content_type: &str, base64: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE applications SET logo_type = $1, logo = $2 WHERE id = $3")
        .bind(content_type)
        .bind(base64)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the logo route needs: the name (for a monogram) and the stored
/// logo, if any, as (content type, base64).
pub async fn logo(conn: &mut Conn, id: &str) -> sqlx::Result<Option<(String, Option<(String, String)>)>> {
    let row: Option<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT display_name, logo_type, logo FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(name, t, data)| (name, t.zip(data))))
}

/// Locks the application's row on PostgreSQL, so two admins adding
/// roles with one name at once queue; SQLite's write lock already does.
pub async fn lock(conn: &mut Conn, id: &str) -> sqlx::Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM applications WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How many assignments an application has (they go with it on delete).
pub async fn count_assignments(conn: &mut Conn, id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM app_role_assignments WHERE app_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
}

/// Deletes the application; its roles and assignments cascade.
pub async fn delete(conn: &mut Conn, id: &str) -> sqlx::Result<bool> {
    // Explicit deletes too, so nothing depends on SQLite's foreign_keys pragma.
    sqlx::query("DELETE FROM app_role_assignments WHERE app_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM app_roles WHERE app_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM applications WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// An application's roles: Default Access first, then by name.
pub async fn roles(conn: &mut Conn, app_id: &str) -> sqlx::Result<Vec<AppRole>> {
    let sql =
        format!("SELECT {ROLE_COLUMNS} FROM app_roles WHERE app_id = $1 ORDER BY is_default DESC, display_name, id");
    let rows: Vec<AppRoleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(app_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(AppRole::from).collect())
}

/// Every enabled role of every application, with the application's name,
/// in one query: applications by name, then as `roles` orders them.
pub async fn enabled_roles_with_apps(conn: &mut Conn) -> sqlx::Result<Vec<(String, AppRole)>> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        app_name: String,
        #[sqlx(flatten)]
        role: AppRoleRow,
    }
    let columns: Vec<String> = ROLE_COLUMNS.split(',').map(|c| format!("r.{}", c.trim())).collect();
    let sql = format!(
        "SELECT a.display_name AS app_name, {} FROM app_roles r JOIN applications a ON a.id = r.app_id \
         WHERE r.enabled = 1 ORDER BY a.display_name_lower, a.id, r.is_default DESC, r.display_name, r.id",
        columns.join(", ")
    );
    let rows: Vec<Joined> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|j| (j.app_name, AppRole::from(j.role))).collect())
}

pub async fn find_role(conn: &mut Conn, role_id: &str) -> sqlx::Result<Option<AppRole>> {
    let sql = format!("SELECT {ROLE_COLUMNS} FROM app_roles WHERE id = $1");
    let row: Option<AppRoleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(role_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(AppRole::from))
}

pub struct NewRole<'a> {
    pub id: &'a str,
    pub app_id: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub value: Option<&'a str>,
    pub is_default: bool,
    pub now: i64,
}

pub async fn insert_role(conn: &mut Conn, new: &NewRole<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO app_roles (id, app_id, display_name, description, value, enabled, is_default, created_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
    )
    .bind(new.id)
    .bind(new.app_id)
    .bind(new.display_name)
    .bind(new.description)
    .bind(new.value)
    .bind(flag(new.is_default))
    .bind(new.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update_role(
    conn: &mut Conn,
    role_id: &str,
    display_name: &str,
    description: Option<&str>,
    value: Option<&str>,
    enabled: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE app_roles SET display_name = $1, description = $2, value = $3, enabled = $4 WHERE id = $5")
        .bind(display_name)
        .bind(description)
        .bind(value)
        .bind(flag(enabled))
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
