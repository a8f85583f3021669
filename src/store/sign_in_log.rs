//! The sign-in log: every sign-in to the portal or to an application,
//! success or failure with its reason. Append-only, like the audit log:
//! `record` adds a line; the rest only reads, newest first, paged by key on
//! `(occurred_at, id)`.

use super::{Binds, Conn};

/// One sign-in attempt.
#[derive(Clone, Debug, Default)]
pub struct SignInEntry<'a> {
    /// The user, when the attempt could be tied to one.
    pub user_id: Option<&'a str>,
    /// The user's name or the address typed.
    pub user_name: Option<&'a str>,
    /// None: the Vestibule portal itself.
    pub app_id: Option<&'a str>,
    pub app_name: Option<&'a str>,
    /// None: Success. Some((code, reason)): Failure, with Entra's error
    /// code where there is one ("50105"; "" where there is none) and the
    /// reason in words.
    pub failure: Option<(&'a str, &'a str)>,
    pub client_ip: Option<&'a str>,
}

pub async fn record(conn: &mut Conn, entry: &SignInEntry<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_log (id, occurred_at, user_id, user_name, user_name_lower, app_id, app_name, \
         status, error_code, failure_reason, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(entry.user_id)
    .bind(entry.user_name)
    .bind(entry.user_name.map(str::to_lowercase))
    .bind(entry.app_id)
    .bind(entry.app_name)
    .bind(if entry.failure.is_some() { "Failure" } else { "Success" })
    .bind(entry.failure.map(|(code, _)| code).filter(|code| !code.is_empty()))
    .bind(entry.failure.map(|(_, reason)| reason))
    .bind(entry.client_ip)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Success or Failure, as the log stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Failure,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "Success",
            Status::Failure => "Failure",
        }
    }

    /// "Success" or "Failure", in any case.
    pub fn parse(s: &str) -> Option<Self> {
        [Status::Success, Status::Failure]
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignInRow {
    pub id: String,
    pub occurred_at: i64,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub failure_reason: Option<String>,
    pub client_ip: Option<String>,
}

/// Which application a sign-in was to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppFilter {
    /// The Vestibule portal itself (no application).
    Portal,
    /// One application, by id.
    Id(String),
}

/// What the admin asked the sign-in log for. Every filter is optional and
/// they combine with AND.
#[derive(Clone, Debug, Default)]
pub struct SignInQuery {
    /// A prefix of the user's name, compared in lower case.
    pub user_prefix: Option<String>,
    pub app: Option<AppFilter>,
    pub status: Option<Status>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// The last entry of the previous page: (occurred_at, id).
    pub before: Option<(i64, String)>,
}

fn list_sql(query: &SignInQuery, limit: i64) -> (String, Binds) {
    let mut binds = Binds::default();
    let mut clauses: Vec<String> = Vec::new();
    if let Some(prefix) = query.user_prefix.as_deref().filter(|p| !p.is_empty()) {
        clauses.push(binds.prefix("user_name_lower", &prefix.to_lowercase()));
    }
    match &query.app {
        Some(AppFilter::Portal) => clauses.push("app_id IS NULL".to_owned()),
        Some(AppFilter::Id(id)) => clauses.push(format!("app_id = {}", binds.text(id.clone()))),
        None => {}
    }
    if let Some(status) = query.status {
        clauses.push(format!("status = {}", binds.text(status.as_str().to_owned())));
    }
    clauses.extend(binds.time_window(query.from, query.until, query.before.as_ref()));
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {} ", clauses.join(" AND "))
    };
    // Every app_id is NULL then, so leading with it changes nothing but
    // lets PostgreSQL read `sign_in_log_app_idx` in order: it treats
    // `IS NULL` as a condition, not as an equality that fixes the column.
    let order = if query.app == Some(AppFilter::Portal) {
        "app_id DESC, occurred_at DESC, id DESC"
    } else {
        "occurred_at DESC, id DESC"
    };
    let sql = format!(
        "SELECT id, occurred_at, user_id, user_name, app_id, app_name, status, error_code, \
         failure_reason, client_ip FROM sign_in_log {filter}ORDER BY {order} LIMIT {limit}"
    );
    (sql, binds)
}

/// One page of sign-ins matching `query`, newest first.
pub async fn list(conn: &mut Conn, query: &SignInQuery, limit: i64) -> sqlx::Result<Vec<SignInRow>> {
    let (sql, binds) = list_sql(query, limit);
    binds
        .bind_as(sqlx::query_as::<_, SignInRow>(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await
}

/// The database's plan for a list query, for tests that check the indexes
/// are used (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).
pub async fn explain_list(conn: &mut Conn, query: &SignInQuery, limit: i64) -> sqlx::Result<String> {
    let (sql, binds) = list_sql(query, limit);
    binds.explain(conn, &sql).await
}
