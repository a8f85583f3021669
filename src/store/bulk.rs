//! Bulk writes for Bulk invite and the benchmark's seeding: many rows per
//! statement (multi-row `VALUES`, which both backends accept through the
//! `Any` driver, where arrays for PostgreSQL's `UNNEST` are not available),
//! many statements per transaction.

use sqlx::Executor;

use super::{Backend, Conn};

/// One bound value of a bulk row.
#[derive(Clone, Debug)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        Value::OptText(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Self {
        Value::OptInt(n)
    }
}

/// Bound parameters per statement, under each backend's limit (SQLite
/// 32,766, PostgreSQL 65,535): the fewer statements, the fewer round
/// trips, and over TCP to PostgreSQL each large one may wait 40 ms for a
/// delayed ACK (sqlx 0.9.0 leaves Nagle's algorithm on).
fn max_params(conn: &Conn) -> usize {
    if conn.backend_name() == "SQLite" {
        32_000
    } else {
        65_000
    }
}

/// Rows of `table` (each row holds one value per column, in order), written
/// with as many rows per `INSERT` as the parameter limit allows. The caller
/// owns the transaction. `suffix` is appended to every statement (for
/// example `ON CONFLICT DO NOTHING`).
pub async fn insert_rows(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    suffix: &str,
) -> sqlx::Result<u64> {
    // Binding copies every text anyway; cloning first costs the same.
    insert_owned_rows(conn, table, columns, rows.to_vec(), suffix).await
}

/// `insert_rows` for rows the caller gives up: their texts are bound
/// without another copy (bulk invite binds a few hundred megabytes of
/// email bodies).
pub async fn insert_owned_rows(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> sqlx::Result<u64> {
    let width = columns.len();
    let per_statement = (max_params(conn) / width).max(1);
    // SQLite gets anonymous `?` placeholders: sqlx looks every named `$n`
    // up among the statement's parameter names, which SQLite keeps in a
    // list, so binding n named parameters costs n² (a profile at 16,000
    // showed 90% of the time in `sqlite3_bind_parameter_name`).
    let anonymous = conn.backend_name() == "SQLite";
    let mut written = 0;
    let mut full_sql: Option<String> = None;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let sql = if chunk.len() == per_statement {
            full_sql
                .get_or_insert_with(|| insert_sql(table, columns, per_statement, suffix, anonymous))
                .clone()
        } else {
            insert_sql(table, columns, chunk.len(), suffix, anonymous)
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), width, "a bulk row of {table} has the wrong width");
            for value in row {
                q = match value {
                    Value::Text(s) => q.bind(s),
                    Value::OptText(s) => q.bind(s),
                    Value::Int(n) => q.bind(n),
                    Value::OptInt(n) => q.bind(n),
                };
            }
        }
        written += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// `n` placeholders separated by commas, numbered from `$first` on
/// PostgreSQL and anonymous (`?`) on SQLite, for the reason given in
/// `insert_owned_rows`; the caller binds every value in order, repeating a list
/// it uses twice.
pub(crate) fn placeholders(conn: &Conn, first: usize, n: usize) -> String {
    if conn.backend_name() == "SQLite" {
        vec!["?"; n].join(",")
    } else {
        (first..first + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn insert_sql(table: &str, columns: &[&str], rows: usize, suffix: &str, anonymous: bool) -> String {
    let width = columns.len();
    let mut sql = String::with_capacity(rows * width * 7 + 100);
    sql.push_str(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            n += 1;
            if c > 0 {
                sql.push(',');
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    if !suffix.is_empty() {
        sql.push(' ');
        sql.push_str(suffix);
    }
    sql
}

/// Settings for one connection that loads a lot: on SQLite a larger page
/// cache (the indexes of a million users do not fit the default 2 MB) and
/// temporary B-trees in memory. PostgreSQL needs nothing.
pub async fn tune_for_loading(conn: &mut Conn, backend: Backend) -> sqlx::Result<()> {
    if backend == Backend::Sqlite {
        conn.execute("PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")
            .await?;
    }
    Ok(())
}

/// Sets how many pages SQLite's write-ahead log may hold before this
/// connection copies them back into the database (SQLite's default is
/// 1,000, about 4 MB), and returns the previous value; PostgreSQL has no
/// such setting (`None`). A bulk load that checkpoints less often copies
/// the index pages every transaction touches once per checkpoint instead
/// of once per transaction.
pub async fn wal_autocheckpoint(conn: &mut Conn, pages: i64) -> sqlx::Result<Option<i64>> {
    if conn.backend_name() != "SQLite" {
        return Ok(None);
    }
    let previous: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(&mut *conn)
        .await?;
    conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA wal_autocheckpoint = {pages}")))
        .await?;
    Ok(Some(previous))
}

/// Refreshes the planner's statistics after a bulk load, as any bulk load
/// should: without them both planners guess row counts. On PostgreSQL the
/// tables are vacuumed too: until the visibility map covers the new rows,
/// every index-only scan (All users' search and counts) also reads the
/// table, several times slower.
pub async fn analyze(conn: &mut Conn, backend: Backend) -> sqlx::Result<()> {
    let sql = match backend {
        // Sampled: seconds, not minutes, on a million rows.
        Backend::Sqlite => "PRAGMA analysis_limit = 2000; ANALYZE;",
        // Only the portal's tables (the catalogs need a superuser).
        Backend::Postgres => {
            "VACUUM (ANALYZE) users, invitations, consents, groups, group_members, applications, \
             app_roles, app_role_assignments"
        }
    };
    conn.execute(sql).await?;
    Ok(())
}

/// Ids of rows of `table` matching `filter`, at most `limit`.
pub async fn ids(conn: &mut Conn, table: &str, filter: &str, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM {table} WHERE {filter} ORDER BY id LIMIT {limit}"
    )))
    .fetch_all(&mut *conn)
    .await
}

/// The rows of `table` matching `filter` (`"1 = 1"` for all).
pub async fn count(conn: &mut Conn, table: &str, filter: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE {filter}"
    )))
    .fetch_one(&mut *conn)
    .await
}

/// Deletes the rows of `table` matching `filter`; returns how many.
pub async fn delete(conn: &mut Conn, table: &str, filter: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE {filter}")))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Default-role ids of up to 1,000 applications: (app id, role id).
pub async fn default_roles(conn: &mut Conn) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT app_id, id FROM app_roles WHERE is_default = 1 ORDER BY id LIMIT 1000")
        .fetch_all(&mut *conn)
        .await
}

/// The first directory role holder, to stand as the inviter of seeded guests.
pub async fn first_admin(conn: &mut Conn) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT user_id FROM directory_role_assignments ORDER BY assigned_at LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
}

/// Groups that no application is assigned to yet.
pub async fn groups_without_apps(conn: &mut Conn) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT id FROM groups g WHERE NOT EXISTS (SELECT 1 FROM app_role_assignments a \
         WHERE a.principal_type = 'Group' AND a.principal_id = g.id)",
    )
    .fetch_all(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_insert_numbers_its_placeholders_row_by_row() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, "ON CONFLICT DO NOTHING", false),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(insert_sql("t", &["a"], 2, "", true), "INSERT INTO t (a) VALUES (?),(?)");
    }
}
