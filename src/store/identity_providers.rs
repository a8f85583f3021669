//! OpenID Connect identity providers, the domains they serve and the
//! users linked to an account at one of them.

use sqlx::FromRow;

use super::Conn;

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ProviderRow {
    pub id: String,
    pub display_name: String,
    pub metadata_url: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub client_id: String,
    pub sealed_client_secret: String,
    pub scope: String,
    pub email_claim: String,
    pub required: i64,
    pub enabled: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, display_name, metadata_url, issuer, authorization_endpoint, token_endpoint, \
     jwks_uri, client_id, sealed_client_secret, scope, email_claim, required, enabled, created_at, updated_at";

pub async fn list(conn: &mut Conn) -> sqlx::Result<Vec<ProviderRow>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers ORDER BY display_name, id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await
}

pub async fn get(conn: &mut Conn, id: &str) -> sqlx::Result<Option<ProviderRow>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// The enabled provider that serves `domain`, if any.
pub async fn for_domain(conn: &mut Conn, domain: &str) -> sqlx::Result<Option<ProviderRow>> {
    let sql = format!(
        "SELECT {} FROM identity_providers p JOIN identity_provider_domains d ON d.provider_id = p.id \
         WHERE d.domain = $1 AND p.enabled = 1",
        COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(domain)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn domains(conn: &mut Conn, provider_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT domain FROM identity_provider_domains WHERE provider_id = $1 ORDER BY domain")
        .bind(provider_id)
        .fetch_all(&mut *conn)
        .await
}

/// Which of `domains` another provider than `except` already serves, with
/// that provider's name.
pub async fn taken_domains(conn: &mut Conn, domains: &[String], except: &str) -> sqlx::Result<Vec<(String, String)>> {
    let mut taken = Vec::new();
    for domain in domains {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT d.domain, p.display_name FROM identity_provider_domains d \
             JOIN identity_providers p ON p.id = d.provider_id WHERE d.domain = $1 AND d.provider_id <> $2",
        )
        .bind(domain)
        .bind(except)
        .fetch_optional(&mut *conn)
        .await?;
        taken.extend(row);
    }
    Ok(taken)
}

pub async fn insert(conn: &mut Conn, p: &ProviderRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity_providers (id, display_name, metadata_url, issuer, authorization_endpoint, \
         token_endpoint, jwks_uri, client_id, sealed_client_secret, scope, email_claim, required, enabled, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&p.id)
    .bind(&p.display_name)
    .bind(&p.metadata_url)
    .bind(&p.issuer)
    .bind(&p.authorization_endpoint)
    .bind(&p.token_endpoint)
    .bind(&p.jwks_uri)
    .bind(&p.client_id)
    .bind(&p.sealed_client_secret)
    .bind(&p.scope)
    .bind(&p.email_claim)
    .bind(p.required)
    .bind(p.enabled)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, p: &ProviderRow) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE identity_providers SET display_name = $1, metadata_url = $2, issuer = $3, \
         authorization_endpoint = $4, token_endpoint = $5, jwks_uri = $6, client_id = $7, \
         sealed_client_secret = $8, scope = $9, email_claim = $10, required = $11, enabled = $12, \
         updated_at = $13 WHERE id = $14",
    )
    .bind(&p.display_name)
    .bind(&p.metadata_url)
    .bind(&p.issuer)
    .bind(&p.authorization_endpoint)
    .bind(&p.token_endpoint)
    .bind(&p.jwks_uri)
    .bind(&p.client_id)
    .bind(&p.sealed_client_secret)
    .bind(&p.scope)
    .bind(&p.email_claim)
    .bind(p.required)
    .bind(p.enabled)
    .bind(p.updated_at)
    .bind(&p.id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_domains(conn: &mut Conn, provider_id: &str, domains: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM identity_provider_domains WHERE provider_id = $1")
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    for domain in domains {
        sqlx::query("INSERT INTO identity_provider_domains (domain, provider_id) VALUES ($1, $2)")
            .bind(domain)
            .bind(provider_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes the provider; its domains and users' links go with it.
pub async fn delete(conn: &mut Conn, id: &str) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM user_identities WHERE provider_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM identity_provider_domains WHERE provider_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM identity_providers WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// How many users are linked to an account at the provider.
pub async fn linked_users(conn: &mut Conn, provider_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM user_identities WHERE provider_id = $1")
        .bind(provider_id)
        .fetch_one(&mut *conn)
        .await
}

/// The user linked to the account (issuer, subject) at a provider.
pub async fn linked_user(conn: &mut Conn, issuer: &str, subject: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn link(
    conn: &mut Conn,
    user_id: &str,
    provider_id: &str,
    issuer: &str,
    subject: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_identities (issuer, subject, user_id, provider_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user_id)
    .bind(provider_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The providers a user signs in with, by display name.
pub async fn identities_of(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT p.display_name FROM user_identities i JOIN identity_providers p ON p.id = i.provider_id \
         WHERE i.user_id = $1 ORDER BY p.display_name",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// Forgets every account the user was linked to (Reset redemption status).
pub async fn unlink_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_identities WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether the user is linked to some account at the provider.
pub async fn has_identity_at(conn: &mut Conn, user_id: &str, provider_id: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND provider_id = $2")
        .bind(user_id)
        .bind(provider_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
