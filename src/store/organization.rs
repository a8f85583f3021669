//! The one organization this deployment belongs to.

use super::Conn;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Organization {
    pub name: String,
    pub primary_domain: String,
    pub privacy_statement_url: Option<String>,
    pub privacy_contact: Option<String>,
    pub terms_of_use: Option<String>,
    pub terms_version: i64,
    pub updated_at: i64,
}

pub async fn get(conn: &mut Conn) -> sqlx::Result<Option<Organization>> {
    sqlx::query_as(
        "SELECT name, primary_domain, privacy_statement_url, privacy_contact, terms_of_use, \
         terms_version, updated_at FROM organization WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Writes the first start's name and domain; later starts keep what the
/// admins set.
pub async fn insert_if_missing(conn: &mut Conn, name: &str, domain: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO organization (id, name, primary_domain, terms_version, updated_at) \
         VALUES (1, $1, $2, 0, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(name)
    .bind(domain)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
