//! The append-only audit log.

use super::Conn;

/// Who did it, and from where.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub id: Option<String>,
    pub name: Option<String>,
    pub client_ip: Option<String>,
}

impl Actor {
    /// The portal itself (first start, command line).
    pub fn system(name: &str) -> Self {
        Self {
            id: None,
            name: Some(name.to_owned()),
            client_ip: None,
        }
    }
}

/// One line of the audit log. Activity names follow Entra's where one exists.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    pub activity: &'a str,
    pub category: &'a str,
    pub target_id: Option<&'a str>,
    pub target_name: Option<&'a str>,
    pub details: Option<String>,
}

pub async fn record(conn: &mut Conn, actor: &Actor, entry: &AuditEntry<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, occurred_at, activity, category, result, actor_id, actor_name, \
         target_id, target_name, details, client_ip) VALUES ($1, $2, $3, $4, 'success', $5, $6, $7, $8, $9, $10)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(entry.activity)
    .bind(entry.category)
    .bind(actor.id.as_deref())
    .bind(actor.name.as_deref())
    .bind(entry.target_id)
    .bind(entry.target_name)
    .bind(entry.details.as_deref())
    .bind(actor.client_ip.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub occurred_at: i64,
    pub activity: String,
    pub category: String,
    pub result: String,
    pub actor_name: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub details: Option<String>,
}

/// The newest entries first.
pub async fn recent(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT occurred_at, activity, category, result, actor_name, target_id, target_name, details \
         FROM audit_log ORDER BY occurred_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}
