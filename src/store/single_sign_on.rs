//! An application's Single sign-on configuration: the mode, its client ID,
//! the exact redirect URIs and the client secrets (digests only).

use sqlx::FromRow;

use super::Conn;
use crate::domain::single_sign_on::{RedirectKind, SigningAlg, SsoMode};

/// What the Single sign-on page and the OpenID Connect endpoints read of
/// an application.
#[derive(Clone, Debug, PartialEq)]
pub struct SsoConfig {
    pub app_id: String,
    pub display_name: String,
    pub enabled: bool,
    pub assignment_required: bool,
    pub homepage_url: Option<String>,
    pub mode: SsoMode,
    /// The Application (client) ID; given when the app first turns to
    /// OpenID Connect.
    pub client_id: Option<String>,
    /// The sign-on (login-initiation) URL My Apps opens.
    pub login_url: Option<String>,
    pub id_token_alg: SigningAlg,
}

#[derive(FromRow)]
struct SsoRow {
    id: String,
    display_name: String,
    enabled: i64,
    assignment_required: i64,
    homepage_url: Option<String>,
    sso_mode: String,
    client_id: Option<String>,
    login_url: Option<String>,
    id_token_alg: String,
}

impl From<SsoRow> for SsoConfig {
    fn from(r: SsoRow) -> Self {
        SsoConfig {
            app_id: r.id,
            display_name: r.display_name,
            enabled: r.enabled != 0,
            assignment_required: r.assignment_required != 0,
            homepage_url: r.homepage_url,
            mode: SsoMode::parse(&r.sso_mode).unwrap_or(SsoMode::Linked),
            client_id: r.client_id,
            login_url: r.login_url,
            id_token_alg: SigningAlg::parse(&r.id_token_alg).unwrap_or(SigningAlg::Rs256),
        }
    }
}

const SSO_COLUMNS: &str =
    "id, display_name, enabled, assignment_required, homepage_url, sso_mode, client_id, login_url, id_token_alg";

pub async fn config(conn: &mut Conn, app_id: &str) -> sqlx::Result<Option<SsoConfig>> {
    let sql = format!("SELECT {SSO_COLUMNS} FROM applications WHERE id = $1");
    let row: Option<SsoRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(app_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(SsoConfig::from))
}

/// The application a client ID belongs to, whatever its mode (the caller
/// decides what a non-OpenID Connect app means).
pub async fn config_by_client_id(conn: &mut Conn, client_id: &str) -> sqlx::Result<Option<SsoConfig>> {
    let sql = format!("SELECT {SSO_COLUMNS} FROM applications WHERE client_id = $1");
    let row: Option<SsoRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(client_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(SsoConfig::from))
}

/// Saves the mode, sign-on URL and algorithm; gives the app `client_id`
/// when it has none yet. An existing one is always kept, and `None` (the
/// modes other than OpenID Connect) gives none, so an application that
/// turns back to OpenID Connect finds its client ID again.
pub async fn save_config(
    conn: &mut Conn,
    app_id: &str,
    mode: SsoMode,
    login_url: Option<&str>,
    alg: SigningAlg,
    client_id: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET sso_mode = $1, login_url = $2, id_token_alg = $3, \
         client_id = COALESCE(client_id, $4), \
         updated_at = CASE WHEN updated_at >= $5 THEN updated_at + 1 ELSE $5 END WHERE id = $6",
    )
    .bind(mode.as_str())
    .bind(login_url)
    .bind(alg.as_str())
    .bind(client_id)
    .bind(now)
    .bind(app_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The registered URIs of one kind, in the order they were added.
pub async fn redirect_uris(conn: &mut Conn, app_id: &str, kind: RedirectKind) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT uri FROM app_redirect_uris WHERE app_id = $1 AND kind = $2 ORDER BY created_at, uri")
        .bind(app_id)
        .bind(kind.as_str())
        .fetch_all(&mut *conn)
        .await
}

/// Whether `uri` is registered, compared exactly.
pub async fn has_redirect_uri(conn: &mut Conn, app_id: &str, kind: RedirectKind, uri: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM app_redirect_uris WHERE app_id = $1 AND kind = $2 AND uri = $3")
            .bind(app_id)
            .bind(kind.as_str())
            .bind(uri)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Replaces the URIs of one kind with `uris` (already parsed, no duplicates).
pub async fn replace_redirect_uris(
    conn: &mut Conn,
    app_id: &str,
    kind: RedirectKind,
    uris: &[String],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM app_redirect_uris WHERE app_id = $1 AND kind = $2")
        .bind(app_id)
        .bind(kind.as_str())
        .execute(&mut *conn)
        .await?;
    for (i, uri) in uris.iter().enumerate() {
        sqlx::query("INSERT INTO app_redirect_uris (app_id, kind, uri, created_at) VALUES ($1, $2, $3, $4)")
            .bind(app_id)
            .bind(kind.as_str())
            .bind(uri)
            .bind(now + i as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A client secret as listed: never its value.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ClientSecret {
    pub id: String,
    pub app_id: String,
    pub description: String,
    pub hint: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn secrets(conn: &mut Conn, app_id: &str) -> sqlx::Result<Vec<ClientSecret>> {
    sqlx::query_as(
        "SELECT id, app_id, description, hint, created_at, expires_at FROM app_client_secrets \
         WHERE app_id = $1 ORDER BY created_at, id",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await
}

pub struct NewSecret<'a> {
    pub id: &'a str,
    pub app_id: &'a str,
    pub description: &'a str,
    pub hint: &'a str,
    pub digest: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_secret(conn: &mut Conn, new: &NewSecret<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO app_client_secrets (id, app_id, description, hint, digest, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.id)
    .bind(new.app_id)
    .bind(new.description)
    .bind(new.hint)
    .bind(new.digest)
    .bind(new.now)
    .bind(new.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes one secret of the application; false when it was not there.
pub async fn delete_secret(conn: &mut Conn, app_id: &str, secret_id: &str) -> sqlx::Result<Option<ClientSecret>> {
    let found: Option<ClientSecret> = sqlx::query_as(
        "SELECT id, app_id, description, hint, created_at, expires_at FROM app_client_secrets \
         WHERE app_id = $1 AND id = $2",
    )
    .bind(app_id)
    .bind(secret_id)
    .fetch_optional(&mut *conn)
    .await?;
    if found.is_some() {
        sqlx::query("DELETE FROM app_client_secrets WHERE app_id = $1 AND id = $2")
            .bind(app_id)
            .bind(secret_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(found)
}

/// Whether the application has a secret with this digest that has not
/// expired at `now`.
pub async fn secret_matches(conn: &mut Conn, app_id: &str, digest: &str, now: i64) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM app_client_secrets WHERE app_id = $1 AND digest = $2 AND expires_at > $3")
            .bind(app_id)
            .bind(digest)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Whether the application has any secret at all (expired ones count: an
/// app with only expired secrets is still a confidential client whose
/// secret has lapsed, not a public one).
pub async fn has_secrets(conn: &mut Conn, app_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_client_secrets WHERE app_id = $1")
        .bind(app_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
