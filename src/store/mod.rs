//! The only place with SQL. One file per table family; free functions that
//! take a connection or a transaction, so services decide what commits
//! together. One SQL text with `$1` placeholders serves both backends
//! through sqlx's `Any` driver.

pub mod api_permissions;
pub mod applications;
pub mod assignments;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod bulk_jobs;
pub mod codes;
pub mod consents;
pub mod deleted_users;
pub mod directory;
pub mod expired_rows;
pub mod federation_requests;
pub mod graph_directory;
pub mod graph_users;
pub mod groups;
pub mod identity_providers;
pub mod invitations;
pub mod jobs;
pub mod oidc;
pub mod organization;
pub mod outbox;
pub mod rate_limits;
pub mod roles;
pub mod sign_in_log;
pub mod signing_keys;
pub mod single_sign_on;
pub mod stats;
pub mod users;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};

pub type Tx = Transaction<'static, Any>;
pub type Conn = AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where write transactions run. On SQLite, one connection: SQLite
    /// admits one writer at a time, and its busy handler lets a waiting
    /// writer sleep longer the longer it has waited (up to 100 ms a try),
    /// so under steady writes a writer could wait half a second while newer
    /// ones went first (the outbox worker did, behind invitations). Queueing
    /// for this connection is first come, first served, and hands over at
    /// once. On PostgreSQL, the one pool.
    writer: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens the pool. For SQLite the file's folder is created, and every
    /// connection gets WAL, `synchronous=NORMAL`, a busy timeout and foreign keys.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = match backend {
            Backend::Sqlite => {
                create_sqlite_folder(url)?;
                sqlite_url_creating_the_file(url)
            }
            Backend::Postgres => url.to_owned(),
        };
        let url = url.as_str();
        let pool = open_pool(url, max_connections, Duration::from_secs(5)).await?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let writer = if backend == Backend::Sqlite && !in_memory {
            // A writer may wait as long as SQLite's busy timeout would let it.
            open_pool(url, 1, Duration::from_secs(15)).await?
        } else {
            pool.clone()
        };
        Ok(Self { pool, writer, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator()
            .run(&self.pool)
            .await
            .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))?;
        Ok(())
    }

    /// The versions of this build's migrations that the database has not
    /// applied (none when it is up to date). A database that another
    /// build migrated further is not behind: its extra versions are ignored.
    pub async fn pending_migrations(&self) -> sqlx::Result<Vec<i64>> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&self.pool)
            .await?;
        Ok(self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        }
    }

    /// Each pool's open connections, idle connections and limit: the
    /// pool every read uses, and on SQLite the one writer connection.
    pub fn pool_use(&self) -> Vec<(&'static str, u32, usize, u32)> {
        let mut pools = vec![("main", &self.pool)];
        if self.backend == Backend::Sqlite {
            pools.push(("writer", &self.writer));
        }
        pools
            .into_iter()
            .map(|(name, pool)| (name, pool.size(), pool.num_idle(), pool.options().get_max_connections()))
            .collect()
    }

    /// Begins a transaction that will write. On SQLite it waits its turn
    /// for the writer connection, then takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a writer in another process makes it wait on
    /// the busy timeout instead of failing half-way with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// A pool of up to `max_connections`; SQLite connections get WAL,
/// `synchronous=NORMAL`, a busy timeout and foreign keys.
async fn open_pool(url: &str, max_connections: u32, acquire_timeout: Duration) -> anyhow::Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(acquire_timeout)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database at {}: {e}", redact_url(url)))
}

/// A SQLite URL without `mode=` opens an existing file only (sqlx fails
/// with "unable to open database file"); the default URL says
/// `mode=rwc`, so any other file URL does too. A `mode=` the operator
/// wrote (`ro`, `rw`, `memory`) is kept.
fn sqlite_url_creating_the_file(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let has_mode = query.split('&').any(|pair| pair.starts_with("mode="));
    if has_mode || path.ends_with(":memory:") {
        return url.to_owned();
    }
    if query.is_empty() {
        format!("{path}?mode=rwc")
    } else {
        format!("{path}?{query}&mode=rwc")
    }
}

fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let Some(path) = backup::sqlite_file(url) else {
        return Ok(());
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow::anyhow!("cannot create the database folder {}: {e}", parent.display()))?;
    }
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Whether an error means a unique index refused the row.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// Whether an error means the database cannot be reached right now.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
    )
}

/// The text of an EXPLAIN (PostgreSQL: its one column) or EXPLAIN QUERY
/// PLAN (SQLite: the `detail` column), a line per row, for tests that
/// check which indexes a query uses.
pub(crate) fn plan_text(rows: &[sqlx::any::AnyRow], postgres: bool) -> String {
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
    lines.join("\n")
}

/// A value of a query whose text is built from optional filters (the
/// audit and sign-in logs).
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// The values of such a query, numbered `$1`, `$2`, … as they are added.
#[derive(Default)]
pub(crate) struct Binds(Vec<Bind>);

impl Binds {
    /// Adds a text value; returns its placeholder.
    pub(crate) fn text(&mut self, value: String) -> String {
        self.0.push(Bind::Text(value));
        format!("${}", self.0.len())
    }

    /// Adds an integer value; returns its placeholder.
    pub(crate) fn int(&mut self, value: i64) -> String {
        self.0.push(Bind::Int(value));
        format!("${}", self.0.len())
    }

    /// `column` starts with `prefix` (already lower-cased): a range that an
    /// index on the column serves (byte order: SQLite's BINARY, PostgreSQL's "C").
    pub(crate) fn prefix(&mut self, column: &str, prefix: &str) -> String {
        let low = self.text(prefix.to_owned());
        let high = self.text(format!("{prefix}\u{10FFFF}"));
        format!("{column} >= {low} AND {column} < {high}")
    }

    /// The clauses of a list in `(occurred_at, id)` order: entries from
    /// `from` (inclusive) until `until` (exclusive), Unix seconds, and
    /// older than `before`, the last entry of the previous page.
    pub(crate) fn time_window(
        &mut self,
        from: Option<i64>,
        until: Option<i64>,
        before: Option<&(i64, String)>,
    ) -> Vec<String> {
        let mut clauses = Vec::new();
        if let Some(from) = from {
            clauses.push(format!("occurred_at >= {}", self.int(from)));
        }
        if let Some(until) = until {
            clauses.push(format!("occurred_at < {}", self.int(until)));
        }
        if let Some((at, id)) = before {
            let a = self.int(*at);
            let b = self.text(id.clone());
            clauses.push(format!("(occurred_at, id) < ({a}, {b})"));
        }
        clauses
    }

    /// The values bound to a query that reads rows of `O`.
    pub(crate) fn bind_as<'q, O>(
        self,
        mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments>,
    ) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments> {
        for b in self.0 {
            q = match b {
                Bind::Text(v) => q.bind(v),
                Bind::Int(v) => q.bind(v),
            };
        }
        q
    }

    /// The database's plan for `sql` with these values: EXPLAIN QUERY PLAN
    /// on SQLite, EXPLAIN on PostgreSQL (see `plan_text`).
    pub(crate) async fn explain(self, conn: &mut Conn, sql: &str) -> sqlx::Result<String> {
        let postgres = conn.backend_name() == "PostgreSQL";
        let explain = if postgres {
            format!("EXPLAIN {sql}")
        } else {
            format!("EXPLAIN QUERY PLAN {sql}")
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(explain));
        for b in self.0 {
            q = match b {
                Bind::Text(v) => q.bind(v),
                Bind::Int(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(&mut *conn).await?;
        Ok(plan_text(&rows, postgres))
    }
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_database_urls() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite://data/v.db"), "sqlite://data/v.db");
    }

    #[test]
    fn a_sqlite_url_without_a_mode_creates_its_file() {
        for (given, opened) in [
            (
                "sqlite:///srv/vestibule/portal.db",
                "sqlite:///srv/vestibule/portal.db?mode=rwc",
            ),
            ("sqlite://data/v.db", "sqlite://data/v.db?mode=rwc"),
            (
                "sqlite://data/v.db?cache=shared",
                "sqlite://data/v.db?cache=shared&mode=rwc",
            ),
            ("sqlite://data/v.db?mode=rwc", "sqlite://data/v.db?mode=rwc"),
            ("sqlite://data/v.db?mode=ro", "sqlite://data/v.db?mode=ro"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(sqlite_url_creating_the_file(given), opened, "{given}");
        }
    }

    #[tokio::test]
    async fn a_sqlite_file_url_without_a_mode_opens_in_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new/folder/portal.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()), 1).await.unwrap();
        assert!(db.ping().await);
        db.close().await;
        assert!(file.exists());
    }
}
