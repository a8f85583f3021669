//! The `users` table: members and guests, live and soft-deleted.

use sqlx::FromRow;

use super::bulk::Value;
use super::{Conn, flag};
use crate::domain::{DisplayName, Email, ExternalUserState, UserType};

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: UserType,
    pub creation_type: Option<String>,
    pub external_user_state: Option<ExternalUserState>,
    pub external_user_state_changed_at: Option<i64>,
    pub company_name: Option<String>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub account_enabled: bool,
    pub session_epoch: i64,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
    /// Graph's `preferredLanguage`: a BCP 47 tag, if set.
    pub preferred_language: Option<String>,
}

#[derive(FromRow)]
pub(super) struct UserRow {
    id: String,
    display_name: String,
    mail: Option<String>,
    user_principal_name: String,
    user_type: String,
    creation_type: Option<String>,
    external_user_state: Option<String>,
    external_user_state_changed_at: Option<i64>,
    company_name: Option<String>,
    password_hash: Option<String>,
    must_change_password: i64,
    account_enabled: i64,
    session_epoch: i64,
    created_at: i64,
    deleted_at: Option<i64>,
    preferred_language: Option<String>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            display_name: r.display_name,
            mail: r.mail,
            user_principal_name: r.user_principal_name,
            user_type: UserType::parse(&r.user_type).unwrap_or(UserType::Guest),
            creation_type: r.creation_type,
            external_user_state: r.external_user_state.as_deref().and_then(ExternalUserState::parse),
            external_user_state_changed_at: r.external_user_state_changed_at,
            company_name: r.company_name,
            password_hash: r.password_hash,
            must_change_password: r.must_change_password != 0,
            account_enabled: r.account_enabled != 0,
            session_epoch: r.session_epoch,
            created_at: r.created_at,
            deleted_at: r.deleted_at,
            preferred_language: r.preferred_language,
        }
    }
}

pub(super) const COLUMNS: &str = "id, display_name, mail, user_principal_name, user_type, creation_type, \
    external_user_state, external_user_state_changed_at, company_name, password_hash, \
    must_change_password, account_enabled, session_epoch, created_at, deleted_at, preferred_language";

/// What a new row needs; the store fills in the lower-cased keys.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub display_name: &'a DisplayName,
    pub mail: Option<&'a Email>,
    pub user_principal_name: &'a str,
    pub user_type: UserType,
    pub creation_type: Option<&'a str>,
    pub external_user_state: Option<ExternalUserState>,
    pub company_name: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    /// The admin who invited the user, for invitations.
    pub invited_by: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, new: &NewUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, display_name, display_name_lower, mail, mail_lower, \
         user_principal_name, upn_lower, user_type, creation_type, external_user_state, \
         external_user_state_changed_at, company_name, password_hash, must_change_password, \
         account_enabled, session_epoch, created_at, invited_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, 0, $15, $16)",
    )
    .bind(new.id)
    .bind(new.display_name.as_str())
    .bind(new.display_name.sort_key())
    .bind(new.mail.map(|m| m.as_str()))
    .bind(new.mail.map(|m| m.normalized()))
    .bind(new.user_principal_name)
    .bind(new.user_principal_name.to_lowercase())
    .bind(new.user_type.as_str())
    .bind(new.creation_type)
    .bind(new.external_user_state.map(|s| s.as_str()))
    .bind(new.external_user_state.map(|_| new.now))
    .bind(new.company_name)
    .bind(new.password_hash)
    .bind(flag(new.must_change_password))
    .bind(new.now)
    .bind(new.invited_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Several new rows in as few statements as the parameter limit allows
/// (Bulk invite); the same columns as `insert`.
pub async fn insert_many(conn: &mut Conn, new: &[NewUser<'_>]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &[
        "id",
        "display_name",
        "display_name_lower",
        "mail",
        "mail_lower",
        "user_principal_name",
        "upn_lower",
        "user_type",
        "creation_type",
        "external_user_state",
        "external_user_state_changed_at",
        "company_name",
        "password_hash",
        "must_change_password",
        "account_enabled",
        "session_epoch",
        "created_at",
        "invited_by",
    ];
    let rows: Vec<Vec<Value>> = new
        .iter()
        .map(|u| {
            vec![
                u.id.into(),
                u.display_name.as_str().into(),
                u.display_name.sort_key().into(),
                u.mail.map(|m| m.as_str().to_owned()).into(),
                u.mail.map(|m| m.normalized().to_owned()).into(),
                u.user_principal_name.into(),
                u.user_principal_name.to_lowercase().into(),
                u.user_type.as_str().into(),
                u.creation_type.map(str::to_owned).into(),
                u.external_user_state.map(|s| s.as_str().to_owned()).into(),
                u.external_user_state.map(|_| u.now).into(),
                u.company_name.map(str::to_owned).into(),
                u.password_hash.map(str::to_owned).into(),
                flag(u.must_change_password).into(),
                1i64.into(),
                0i64.into(),
                u.now.into(),
                u.invited_by.map(str::to_owned).into(),
            ]
        })
        .collect();
    super::bulk::insert_owned_rows(conn, "users", COLUMNS, rows, "").await?;
    Ok(())
}

/// The user `id` when `condition` (a constant SQL condition) holds.
async fn find_one(conn: &mut Conn, id: &str, condition: &'static str) -> sqlx::Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND {condition}");
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(User::from))
}

/// A user who has not been deleted.
pub async fn find_active(conn: &mut Conn, id: &str) -> sqlx::Result<Option<User>> {
    find_one(conn, id, "deleted_at IS NULL").await
}

/// A user who has not been deleted, with the directory roles they hold,
/// in one query: every signed-in request asks for both.
pub async fn find_active_with_roles(
    conn: &mut Conn,
    id: &str,
) -> sqlx::Result<Option<(User, Vec<crate::domain::Role>)>> {
    #[derive(FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        user: UserRow,
        role: Option<String>,
    }
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let columns: Vec<String> = COLUMNS.split(',').map(|c| format!("u.{}", c.trim())).collect();
        format!(
            "SELECT {}, r.role FROM users u \
             LEFT JOIN directory_role_assignments r ON r.user_id = u.id \
             WHERE u.id = $1 AND u.deleted_at IS NULL",
            columns.join(", ")
        )
    });
    let rows: Vec<Joined> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let mut roles: Vec<crate::domain::Role> = rows
        .iter()
        .filter_map(|r| r.role.as_deref().and_then(crate::domain::Role::from_key))
        .collect();
    roles.sort();
    Ok(rows.into_iter().next().map(|r| (User::from(r.user), roles)))
}

/// The live user who signs in with `name` (mail or user principal name,
/// compared case-insensitively).
pub async fn find_by_sign_in_name(conn: &mut Conn, name: &str) -> sqlx::Result<Option<User>> {
    let lower = name.trim().to_lowercase();
    let sql = format!("SELECT {COLUMNS} FROM users WHERE (mail_lower = $1 OR upn_lower = $1) AND deleted_at IS NULL");
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(lower)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(User::from))
}

/// Whether any row, deleted or not, already uses this address or name.
pub async fn address_in_use(conn: &mut Conn, lower: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE mail_lower = $1 OR upn_lower = $1")
        .bind(lower)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

pub async fn count_all(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await
}

/// Stores a new password hash and ends every other session of the user;
/// returns the new session epoch.
pub async fn set_password(conn: &mut Conn, id: &str, password_hash: &str, must_change: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, must_change_password = $2, \
         session_epoch = session_epoch + 1 WHERE id = $3 RETURNING session_epoch",
    )
    .bind(password_hash)
    .bind(flag(must_change))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
}

/// Ends every session of the user at its next request.
pub async fn bump_session_epoch(conn: &mut Conn, id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Bumps the epoch only if it is still `epoch`.
pub async fn end_sessions_of_epoch(conn: &mut Conn, id: &str, epoch: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 AND session_epoch = $2")
        .bind(id)
        .bind(epoch)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Edit properties: the fields an admin may change.
pub async fn update_properties(
    conn: &mut Conn,
    id: &str,
    display_name: &DisplayName,
    company_name: Option<&str>,
    user_type: UserType,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET display_name = $1, display_name_lower = $2, company_name = $3, user_type = $4 \
         WHERE id = $5 AND deleted_at IS NULL",
    )
    .bind(display_name.as_str())
    .bind(display_name.sort_key())
    .bind(company_name)
    .bind(user_type.as_str())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Blocks or unblocks sign-in; blocking ends every session of the user.
pub async fn set_account_enabled(conn: &mut Conn, id: &str, enabled: bool) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET account_enabled = $1, \
         session_epoch = session_epoch + (CASE WHEN $2 = 0 THEN 1 ELSE 0 END) WHERE id = $3",
    )
    .bind(flag(enabled))
    .bind(flag(enabled))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Soft delete: the row stays (restorable for 30 days) but the user is gone
/// from lists and sign-in, and every session ends.
pub async fn soft_delete(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET deleted_at = $1, session_epoch = session_epoch + 1 WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The guest accepted: `externalUserState` becomes Accepted, with its time.
pub async fn mark_accepted(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET external_user_state = 'Accepted', external_user_state_changed_at = $1 \
         WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reset redemption status: back to PendingAcceptance (with its time),
/// optionally at a new address, and every session ends.
pub async fn reset_to_pending(conn: &mut Conn, id: &str, new_mail: Option<&Email>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET external_user_state = 'PendingAcceptance', external_user_state_changed_at = $1, \
         session_epoch = session_epoch + 1, mail = COALESCE($2, mail), mail_lower = COALESCE($3, mail_lower) \
         WHERE id = $4 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(new_mail.map(|m| m.as_str()))
    .bind(new_mail.map(|m| m.normalized()))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A soft-deleted user (Deleted users), with their row as it was.
pub async fn find_deleted(conn: &mut Conn, id: &str) -> sqlx::Result<Option<User>> {
    find_one(conn, id, "deleted_at IS NOT NULL").await
}

/// Whether another live user now holds the mail or user principal name of
/// user `id` (either way round).
pub async fn address_taken_by_other_live_user(conn: &mut Conn, id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users o JOIN users me ON me.id = $1 \
         WHERE o.id <> me.id AND o.deleted_at IS NULL \
         AND (o.mail_lower IN (me.mail_lower, me.upn_lower) OR o.upn_lower IN (me.mail_lower, me.upn_lower))",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Restore user: the row is live again. The session epoch stays as the
/// delete left it, so sessions from before the delete stay ended.
pub async fn restore(conn: &mut Conn, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The user's preferred language (Graph's `preferredLanguage`), if set.
pub async fn preferred_language(conn: &mut Conn, id: &str) -> sqlx::Result<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT preferred_language FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
    )
}

/// Sets or clears the user's preferred language (already validated).
pub async fn set_preferred_language(conn: &mut Conn, id: &str, tag: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET preferred_language = $1 WHERE id = $2")
        .bind(tag)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
