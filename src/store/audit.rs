//! The append-only audit log: `record` adds a line; the rest only reads.
//! Nothing here updates or deletes a row, and the table has no foreign key
//! to users, so a purged user keeps their lines as they were written.
//! Every list walks an index in `(occurred_at, id)` order, newest first,
//! and pages by key.

use super::bulk::Value;
use super::{Binds, Conn};

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
         actor_name_lower, target_id, target_name, target_name_lower, details, client_ip) \
         VALUES ($1, $2, $3, $4, 'success', $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(entry.activity)
    .bind(entry.category)
    .bind(actor.id.as_deref())
    .bind(actor.name.as_deref())
    .bind(actor.name.as_deref().map(str::to_lowercase))
    .bind(entry.target_id)
    .bind(entry.target_name)
    .bind(entry.target_name.map(str::to_lowercase))
    .bind(entry.details.as_deref())
    .bind(actor.client_ip.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Several entries by one actor at one moment, in one statement.
pub async fn record_all(conn: &mut Conn, actor: &Actor, entries: &[AuditEntry<'_>], now: i64) -> sqlx::Result<()> {
    const PER_ROW: usize = 12;
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..entries.len())
        .map(|i| {
            let mut p: Vec<String> = (1..=PER_ROW).map(|k| format!("${}", i * PER_ROW + k)).collect();
            p.insert(4, "'success'".into());
            format!("({})", p.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO audit_log (id, occurred_at, activity, category, result, actor_id, actor_name, \
         actor_name_lower, target_id, target_name, target_name_lower, details, client_ip) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for entry in entries {
        query = query
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(now)
            .bind(entry.activity)
            .bind(entry.category)
            .bind(actor.id.clone())
            .bind(actor.name.clone())
            .bind(actor.name.as_deref().map(str::to_lowercase))
            .bind(entry.target_id.map(str::to_owned))
            .bind(entry.target_name.map(str::to_owned))
            .bind(entry.target_name.map(str::to_lowercase))
            .bind(entry.details.clone())
            .bind(actor.client_ip.clone());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Many entries by one actor at one moment, in as few statements as the
/// parameter limit allows (Bulk invite).
pub async fn record_many(conn: &mut Conn, actor: &Actor, entries: &[AuditEntry<'_>], now: i64) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &[
        "id",
        "occurred_at",
        "activity",
        "category",
        "result",
        "actor_id",
        "actor_name",
        "actor_name_lower",
        "target_id",
        "target_name",
        "target_name_lower",
        "details",
        "client_ip",
    ];
    let actor_name_lower = actor.name.as_deref().map(str::to_lowercase);
    let rows: Vec<Vec<Value>> = entries
        .iter()
        .map(|e| {
            vec![
                uuid::Uuid::now_v7().to_string().into(),
                now.into(),
                e.activity.into(),
                e.category.into(),
                "success".into(),
                actor.id.clone().into(),
                actor.name.clone().into(),
                actor_name_lower.clone().into(),
                e.target_id.map(str::to_owned).into(),
                e.target_name.map(str::to_owned).into(),
                e.target_name.map(str::to_lowercase).into(),
                e.details.clone().into(),
                actor.client_ip.clone().into(),
            ]
        })
        .collect();
    super::bulk::insert_owned_rows(conn, "audit_log", COLUMNS, rows, "").await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: i64,
    pub activity: String,
    pub category: String,
    pub result: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub details: Option<String>,
    pub client_ip: Option<String>,
}

/// Whom an entry was about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetFilter {
    /// The target's exact id (a user's own audit tab).
    Id(String),
    /// A prefix of the target's name, compared in lower case.
    NamePrefix(String),
}

/// What the admin asked the audit log for. Every filter is optional and
/// they combine with AND.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub activity: Option<String>,
    /// A prefix of the initiator's name, compared in lower case.
    pub actor_prefix: Option<String>,
    pub target: Option<TargetFilter>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// The last entry of the previous page: (occurred_at, id).
    pub before: Option<(i64, String)>,
}

fn list_sql(query: &AuditQuery, limit: i64) -> (String, Binds) {
    let mut binds = Binds::default();
    let mut clauses: Vec<String> = Vec::new();
    if let Some(activity) = &query.activity {
        let p = binds.text(activity.clone());
        clauses.push(format!("activity = {p}"));
    }
    if let Some(prefix) = query.actor_prefix.as_deref().filter(|p| !p.is_empty()) {
        clauses.push(binds.prefix("actor_name_lower", &prefix.to_lowercase()));
    }
    match &query.target {
        Some(TargetFilter::Id(id)) => {
            let p = binds.text(id.clone());
            clauses.push(format!("target_id = {p}"));
        }
        Some(TargetFilter::NamePrefix(prefix)) if !prefix.is_empty() => {
            clauses.push(binds.prefix("target_name_lower", &prefix.to_lowercase()));
        }
        _ => {}
    }
    clauses.extend(binds.time_window(query.from, query.until, query.before.as_ref()));
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT id, occurred_at, activity, category, result, actor_id, actor_name, target_id, \
         target_name, details, client_ip FROM audit_log {filter}\
         ORDER BY occurred_at DESC, id DESC LIMIT {limit}"
    );
    (sql, binds)
}

/// One page of entries matching `query`, newest first.
pub async fn list(conn: &mut Conn, query: &AuditQuery, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    let (sql, binds) = list_sql(query, limit);
    binds
        .bind_as(sqlx::query_as::<_, AuditRow>(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await
}

/// The newest entries first.
pub async fn recent(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    list(conn, &AuditQuery::default(), limit).await
}

/// The activities present in the log, in order. A loose index scan over
/// `audit_log_activity_idx` (one index probe per distinct activity), so it
/// stays cheap however long the log grows.
pub async fn activities(conn: &mut Conn) -> sqlx::Result<Vec<String>> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "WITH RECURSIVE seen (activity) AS ( \
           SELECT MIN(activity) FROM audit_log \
           UNION ALL \
           SELECT (SELECT MIN(a.activity) FROM audit_log a WHERE a.activity > seen.activity) \
           FROM seen WHERE seen.activity IS NOT NULL \
         ) SELECT activity FROM seen WHERE activity IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    names.sort();
    Ok(names)
}

/// The database's plan for a list query, for tests that check the indexes
/// are used (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).
pub async fn explain_list(conn: &mut Conn, query: &AuditQuery, limit: i64) -> sqlx::Result<String> {
    let (sql, binds) = list_sql(query, limit);
    binds.explain(conn, &sql).await
}
