//! OpenID Connect grants, authorization codes and refresh tokens. Codes
//! and refresh tokens are stored as digests only; using one is a
//! conditional update, so two instances cannot both redeem it.

use sqlx::FromRow;

use super::Conn;

/// What one sign-in at an application gave.
#[derive(Clone, Debug, FromRow)]
pub struct Grant {
    pub id: String,
    pub app_id: String,
    pub user_id: String,
    pub scope: String,
    pub session_id: String,
    pub session_epoch: i64,
    pub auth_time: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub async fn insert_grant(conn: &mut Conn, grant: &Grant) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oidc_grants (id, app_id, user_id, scope, session_id, session_epoch, auth_time, created_at, \
         revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
    )
    .bind(&grant.id)
    .bind(&grant.app_id)
    .bind(&grant.user_id)
    .bind(&grant.scope)
    .bind(&grant.session_id)
    .bind(grant.session_epoch)
    .bind(grant.auth_time)
    .bind(grant.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn find_grant(conn: &mut Conn, id: &str) -> sqlx::Result<Option<Grant>> {
    sqlx::query_as(
        "SELECT id, app_id, user_id, scope, session_id, session_epoch, auth_time, created_at, revoked_at \
         FROM oidc_grants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// Revokes the grant: its access tokens stop working at UserInfo and its
/// refresh tokens are refused.
pub async fn revoke_grant(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub struct NewCode<'a> {
    pub digest: &'a str,
    pub grant_id: &'a str,
    pub redirect_uri: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_code(conn: &mut Conn, code: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO authorization_codes (digest, grant_id, redirect_uri, nonce, code_challenge, created_at, \
         expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(code.digest)
    .bind(code.grant_id)
    .bind(code.redirect_uri)
    .bind(code.nonce)
    .bind(code.code_challenge)
    .bind(code.now)
    .bind(code.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A code as stored.
#[derive(Clone, Debug, FromRow)]
pub struct Code {
    pub grant_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
}

/// What happened when a code was presented.
#[derive(Debug)]
pub enum CodeUse {
    /// First use: the code is now spent.
    First(Code),
    /// The code had been used before: a replay.
    Replayed {
        grant_id: String,
    },
    Unknown,
}

/// Spends the code: exactly one caller ever gets `First`.
pub async fn use_code(conn: &mut Conn, digest: &str, now: i64) -> sqlx::Result<CodeUse> {
    let done = sqlx::query("UPDATE authorization_codes SET used_at = $1 WHERE digest = $2 AND used_at IS NULL")
        .bind(now)
        .bind(digest)
        .execute(&mut *conn)
        .await?;
    let row: Option<Code> = sqlx::query_as(
        "SELECT grant_id, redirect_uri, nonce, code_challenge, expires_at FROM authorization_codes WHERE digest = $1",
    )
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        None => CodeUse::Unknown,
        Some(code) if done.rows_affected() == 0 => CodeUse::Replayed {
            grant_id: code.grant_id,
        },
        Some(code) => CodeUse::First(code),
    })
}

pub async fn insert_refresh_token(
    conn: &mut Conn,
    digest: &str,
    grant_id: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (digest, grant_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(digest)
    .bind(grant_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What happened when a refresh token was presented.
#[derive(Debug)]
pub enum RefreshUse {
    First { grant_id: String, expires_at: i64 },
    Reused { grant_id: String },
    Unknown,
}

/// Spends the refresh token (it rotates on every use).
pub async fn use_refresh_token(conn: &mut Conn, digest: &str, now: i64) -> sqlx::Result<RefreshUse> {
    let done = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE digest = $2 AND used_at IS NULL")
        .bind(now)
        .bind(digest)
        .execute(&mut *conn)
        .await?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT grant_id, expires_at FROM refresh_tokens WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match row {
        None => RefreshUse::Unknown,
        Some((grant_id, _)) if done.rows_affected() == 0 => RefreshUse::Reused { grant_id },
        Some((grant_id, expires_at)) => RefreshUse::First { grant_id, expires_at },
    })
}

/// Deletes codes that expired before `before` (used or not): a replay
/// after that is just an unknown code.
pub async fn prune_codes(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM authorization_codes WHERE expires_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// The values of the user's app roles in the application, assigned to
/// them directly or through any group (dynamic groups included: their
/// members are kept in `group_members`). Default Access and roles without
/// a value add nothing.
pub async fn role_values(conn: &mut Conn, user_id: &str, app_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT r.value FROM app_role_assignments a JOIN app_roles r ON r.id = a.app_role_id \
         WHERE a.app_id = $2 AND r.value IS NOT NULL AND r.is_default = 0 AND r.enabled = 1 AND ( \
           (a.principal_type = 'User' AND a.principal_id = $1) OR \
           (a.principal_type = 'Group' AND a.principal_id IN (SELECT group_id FROM group_members WHERE user_id = $1))) \
         ORDER BY r.value",
    )
    .bind(user_id)
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await
}

/// Whether the user holds any role (Default Access included) in the
/// application, directly or through a group.
pub async fn is_assigned(conn: &mut Conn, user_id: &str, app_id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM app_role_assignments a WHERE a.app_id = $2 AND ( \
           (a.principal_type = 'User' AND a.principal_id = $1) OR \
           (a.principal_type = 'Group' AND a.principal_id IN (SELECT group_id FROM group_members WHERE user_id = $1))) \
         LIMIT 1",
    )
    .bind(user_id)
    .bind(app_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}
