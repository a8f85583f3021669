//! All users: the directory list, searched and filtered, paged by key.
//! Every query here is shaped to walk `users_list_idx` or
//! `users_type_list_idx` in name order and stop after one page.

use sqlx::FromRow;

use super::Conn;
use crate::domain::{ExternalUserState, UserType};

/// What the admin asked All users for.
#[derive(Clone, Debug, Default)]
pub struct UserQuery {
    /// A name or email prefix, compared in lower case.
    pub search: Option<String>,
    pub user_type: Option<UserType>,
    pub state: Option<ExternalUserState>,
    /// The last row of the previous page: (lower-cased name, id).
    pub after: Option<(String, String)>,
}

#[derive(Clone, Debug, FromRow)]
pub struct UserListRow {
    pub id: String,
    pub display_name: String,
    pub display_name_lower: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: String,
    pub external_user_state: Option<String>,
    pub created_at: i64,
}

enum Bind {
    Text(String),
}

/// The WHERE clause (without paging) and its binds, numbered from `$1`.
fn filters(query: &UserQuery) -> (String, Vec<Bind>) {
    let mut clauses = vec!["deleted_at IS NULL".to_owned()];
    let mut binds = Vec::new();
    let next = |binds: &mut Vec<Bind>, value: String| {
        binds.push(Bind::Text(value));
        format!("${}", binds.len())
    };
    if let Some(t) = query.user_type {
        let p = next(&mut binds, t.as_str().to_owned());
        clauses.push(format!("user_type = {p}"));
    }
    if let Some(s) = query.state {
        let p = next(&mut binds, s.as_str().to_owned());
        clauses.push(format!("external_user_state = {p}"));
    }
    if let Some(prefix) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let low = prefix.to_lowercase();
        // Every string that starts with the prefix sorts between these two
        // (byte order: SQLite's BINARY and PostgreSQL's "C" collation).
        let high = format!("{low}\u{10FFFF}");
        let a = next(&mut binds, low.clone());
        let b = next(&mut binds, high.clone());
        let c = next(&mut binds, low);
        let d = next(&mut binds, high);
        clauses.push(format!(
            "((display_name_lower >= {a} AND display_name_lower < {b}) OR (mail_lower >= {c} AND mail_lower < {d}))"
        ));
    }
    (clauses.join(" AND "), binds)
}

fn list_sql(query: &UserQuery, limit: i64) -> (String, Vec<Bind>) {
    let (mut filter, mut binds) = filters(query);
    if let Some((name, id)) = &query.after {
        binds.push(Bind::Text(name.clone()));
        let a = binds.len();
        binds.push(Bind::Text(id.clone()));
        let b = binds.len();
        filter.push_str(&format!(" AND (display_name_lower, id) > (${a}, ${b})"));
    }
    let sql = format!(
        "SELECT id, display_name, display_name_lower, mail, user_principal_name, user_type, \
         external_user_state, created_at FROM users WHERE {filter} \
         ORDER BY display_name_lower, id LIMIT {limit}"
    );
    (sql, binds)
}

/// One page of All users in name order.
pub async fn list(conn: &mut Conn, query: &UserQuery, limit: i64) -> sqlx::Result<Vec<UserListRow>> {
    let (sql, binds) = list_sql(query, limit);
    let mut q = sqlx::query_as::<_, UserListRow>(sqlx::AssertSqlSafe(sql));
    for Bind::Text(v) in binds {
        q = q.bind(v);
    }
    q.fetch_all(&mut *conn).await
}

/// How many users match, counting no further than `cap` + 1 so the count
/// stays cheap on a large directory ("10,000+").
pub async fn count_capped(conn: &mut Conn, query: &UserQuery, cap: i64) -> sqlx::Result<i64> {
    let (filter, binds) = filters(query);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE {filter} LIMIT {}) AS matched",
        cap + 1
    );
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    for Bind::Text(v) in binds {
        q = q.bind(v);
    }
    q.fetch_one(&mut *conn).await
}

/// The database's plan for a list query, for tests that check indexes are
/// used (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).
pub async fn explain_list(conn: &mut Conn, query: &UserQuery, limit: i64) -> sqlx::Result<String> {
    let (sql, binds) = list_sql(query, limit);
    let postgres = conn.backend_name() == "PostgreSQL";
    let explain = if postgres {
        format!("EXPLAIN {sql}")
    } else {
        format!("EXPLAIN QUERY PLAN {sql}")
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(explain));
    for Bind::Text(v) in binds {
        q = q.bind(v);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    use sqlx::Row;
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            if postgres {
                r.try_get::<String, _>(0).unwrap_or_default()
            } else {
                r.try_get::<String, _>("detail").unwrap_or_default()
            }
        })
        .collect();
    Ok(lines.join("\n"))
}
