//! All users: the directory list, searched and filtered, paged by key, and
//! its capped count.
//!
//! Every statement reads one of three partial indexes over the live users
//! (migration 0008), each holding the columns the filters test, so a walk
//! or a count never visits the rows themselves:
//! `users_live_name_idx` and `users_live_type_idx` in name order, and
//! `users_live_mail_idx` in mail order.
//!
//! A search matches a name prefix or a mail prefix. The name half is one
//! range of the name-ordered index: walked in order, it stops after a page.
//! The mail half lies in mail order, scattered over the names, so it is
//! answered one of two ways (see [`SearchTuning`]): few mail matches are
//! fetched through the mail index and sorted; many are found by walking the
//! name-ordered index and testing the mail, which stops after a page when
//! the matches are spread over the names, and gives up after a bounded walk
//! when they are not (they bunch up where the names match too), falling back
//! to the sort. The two halves meet in one statement that unions them and
//! keeps the first page; with few mail matches, the usual case, that one
//! statement also sorts them and counts whether they are few.

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

/// How the mail half of a search is answered.
#[derive(Clone, Copy, Debug)]
pub struct SearchTuning {
    /// Up to this many mail matches after the cursor are fetched through the
    /// mail index and sorted; the count that decides stops here.
    pub sort_at_most: i64,
    /// With more, this many rows of the name-ordered index are walked to
    /// find a page of them before sorting after all.
    pub walk_at_most: i64,
}

impl Default for SearchTuning {
    /// A sort of up to 20,000 index entries takes a few milliseconds. Past
    /// that (2% of a million users), matches spread over the names put a
    /// page of 50 within about 2,500 rows, well inside a walk of 10,000;
    /// matches that bunch up (mail addresses made from the names do) make
    /// the walk give up at 10,000 rows, and they are sorted after all.
    fn default() -> Self {
        Self {
            sort_at_most: 20_000,
            walk_at_most: 10_000,
        }
    }
}

/// How the mail half of the last list was answered (for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailHalf {
    /// No search.
    None,
    /// Few mail matches: fetched through the mail index and sorted, in
    /// the statement that reads the page.
    Sorted,
    /// Many: a page found by walking the name-ordered index.
    Walked,
    /// Many, but the walk did not fill a page: sorted after all.
    WalkedThenSorted,
}

const COLUMNS: &str = "id, display_name, display_name_lower, mail, user_principal_name, user_type, \
                       external_user_state, created_at";

/// One statement's text and its binds, numbered from `$1`.
struct Sql {
    binds: Vec<String>,
    sqlite: bool,
}

impl Sql {
    fn new(conn: &Conn) -> Self {
        Self {
            binds: Vec::new(),
            sqlite: conn.backend_name() != "PostgreSQL",
        }
    }

    fn bind(&mut self, value: &str) -> String {
        self.binds.push(value.to_owned());
        format!("${}", self.binds.len())
    }

    /// `users`, read through `index`. SQLite is told which index: its
    /// planner, on sampled statistics, may otherwise pick the unique mail
    /// index and visit every matching row. PostgreSQL chooses well alone.
    fn users(&self, index: &str) -> String {
        if self.sqlite {
            format!("users INDEXED BY {index}")
        } else {
            "users".to_owned()
        }
    }

    /// The name-ordered index that serves `query`.
    fn users_by_name(&self, query: &UserQuery) -> String {
        self.users(if query.user_type.is_some() {
            "users_live_type_idx"
        } else {
            "users_live_name_idx"
        })
    }

    /// Live users passing the type and state filters, and (`paged`) after
    /// the cursor.
    fn filters(&mut self, query: &UserQuery, paged: bool) -> String {
        let mut clauses = vec!["deleted_at IS NULL".to_owned()];
        if let Some(t) = query.user_type {
            clauses.push(format!("user_type = {}", self.bind(t.as_str())));
        }
        if let Some(s) = query.state {
            clauses.push(format!("external_user_state = {}", self.bind(s.as_str())));
        }
        if let (true, Some((name, id))) = (paged, &query.after) {
            let (a, b) = (self.bind(name), self.bind(id));
            clauses.push(format!("(display_name_lower, id) > ({a}, {b})"));
        }
        clauses.join(" AND ")
    }

    /// `column` starts with `prefix` (already lower-cased).
    fn starts_with(&mut self, column: &str, prefix: &str) -> String {
        // Every string that starts with the prefix sorts between these two
        // (byte order: SQLite's BINARY and PostgreSQL's "C" collation).
        let (low, high) = (self.bind(prefix), self.bind(&format!("{prefix}\u{10FFFF}")));
        format!("{column} >= {low} AND {column} < {high}")
    }

    async fn fetch<T>(self, conn: &mut Conn, sql: String) -> sqlx::Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
        for v in self.binds {
            q = q.bind(v);
        }
        q.fetch_all(&mut *conn).await
    }
}

/// The search prefix in lower case, if there is one.
fn prefix(query: &UserQuery) -> Option<String> {
    query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
}

/// How many of `source` WHERE `filter` there are, counting no further than
/// `cap`, in a column named `n`.
fn count_sql(source: &str, filter: &str, cap: i64) -> String {
    format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {source} WHERE {filter} LIMIT {cap}) AS matched")
}

/// Mail matches after the cursor whose name does not match (those come
/// with the name half).
fn mail_only(sql: &mut Sql, query: &UserQuery, prefix: &str) -> String {
    format!(
        "{} AND {} AND NOT ({})",
        sql.filters(query, true),
        sql.starts_with("mail_lower", prefix),
        sql.starts_with("display_name_lower", prefix)
    )
}

/// The first `limit` ids, in name order, of mail matches after the cursor
/// whose name does not match, through the mail index and a sort of them
/// all. PostgreSQL is kept from walking the name index instead by
/// `OFFSET 0`, which it never looks through.
fn mail_sorted_sql(sql: &mut Sql, query: &UserQuery, prefix: &str, limit: i64) -> String {
    let filter = mail_only(sql, query, prefix);
    let fence = if sql.sqlite { "" } else { " OFFSET 0" };
    format!(
        "SELECT id FROM (SELECT id, display_name_lower FROM {} WHERE {filter}{fence}) AS m \
         ORDER BY display_name_lower, id LIMIT {limit}",
        sql.users("users_live_mail_idx")
    )
}

/// The first `limit` ids of mail matches among the next `walk` rows after
/// the cursor in name order.
fn mail_walk_sql(sql: &mut Sql, query: &UserQuery, prefix: &str, walk: i64, limit: i64) -> String {
    let filter = sql.filters(query, true);
    let mail = sql.starts_with("mail_lower", prefix);
    format!(
        "SELECT id FROM (SELECT id, display_name_lower, mail_lower FROM {} WHERE {filter} \
         ORDER BY display_name_lower, id LIMIT {walk}) AS w WHERE {mail} \
         ORDER BY display_name_lower, id LIMIT {limit}",
        sql.users_by_name(query)
    )
}

/// The capped count (the cursor aside). With a search, in one statement:
/// the name matches, and only when they are within the cap, the mail
/// matches whose name does not match; both capped, so never more than
/// 2 × `cap` index entries are read.
fn count_capped_sql(sql: &mut Sql, query: &UserQuery, cap: i64) -> String {
    let unpaged = UserQuery {
        after: None,
        ..query.clone()
    };
    let mut filter = sql.filters(&unpaged, false);
    let Some(p) = prefix(query) else {
        return format!(
            "SELECT n, CAST(0 AS BIGINT) FROM ({}) AS c",
            count_sql(&sql.users_by_name(query), &filter, cap)
        );
    };
    filter = format!("{filter} AND {}", sql.starts_with("display_name_lower", &p));
    let by_name = count_sql(&sql.users_by_name(query), &filter, cap);
    let only = mail_only(sql, &unpaged, &p);
    let by_mail_only = count_sql(&sql.users("users_live_mail_idx"), &only, cap);
    // An aggregate in FROM is computed once; the mail half only when read.
    format!(
        "SELECT c.n, CASE WHEN c.n >= {cap} THEN CAST(0 AS BIGINT) ELSE ({by_mail_only}) END \
         FROM ({by_name}) AS c"
    )
}

/// The first `limit` live users after the cursor whose name matches (all
/// of them without a search), in name order.
fn by_name_sql(sql: &mut Sql, query: &UserQuery, prefix: Option<&str>, limit: i64) -> String {
    let filter = match prefix {
        None => sql.filters(query, true),
        // One lower bound, the greater, for the walk to start from: a cursor
        // left on a mail match far before the prefix must not make it walk
        // all the names in between.
        Some(p) => match &query.after {
            Some((name, _)) if name.as_str() >= p => {
                let high = sql.bind(&format!("{p}\u{10FFFF}"));
                format!("{} AND display_name_lower < {high}", sql.filters(query, true))
            }
            _ => format!(
                "{} AND {}",
                sql.filters(query, false),
                sql.starts_with("display_name_lower", p)
            ),
        },
    };
    format!(
        "SELECT {COLUMNS} FROM {} WHERE {filter} ORDER BY display_name_lower, id LIMIT {limit}",
        sql.users_by_name(query)
    )
}

/// The page: the name matches with the rows of `also` (the mail half's
/// ids), the first `limit` in name order.
fn page_sql(sql: &mut Sql, query: &UserQuery, prefix: &str, also: &[String], limit: i64) -> String {
    let by_name = by_name_sql(sql, query, Some(prefix), limit);
    if also.is_empty() {
        return by_name;
    }
    let ids: Vec<String> = also.iter().map(|id| sql.bind(id)).collect();
    format!(
        "SELECT * FROM ({by_name}) AS by_name \
         UNION SELECT {COLUMNS} FROM users WHERE deleted_at IS NULL AND id IN ({}) \
         ORDER BY display_name_lower, id LIMIT {limit}",
        ids.join(", ")
    )
}

/// The usual search in one statement: the page, with few mail matches
/// fetched through the mail index and sorted, and in each row `seen`, the
/// mail matches after the cursor counted up to `cap`. The page holds only
/// when `seen` is under `cap`. The mail half reads at most `cap` entries
/// either way; that `LIMIT` also keeps PostgreSQL from walking the name
/// index for it instead (a guess that costs a full walk when the mail
/// matches bunch up late in name order). No rows: nothing matches.
fn search_page_sql(sql: &mut Sql, query: &UserQuery, prefix: &str, cap: i64, limit: i64) -> String {
    let source = sql.users("users_live_mail_idx");
    let mail = format!(
        "{} AND {}",
        sql.filters(query, true),
        sql.starts_with("mail_lower", prefix)
    );
    let seen = count_sql(&source, &mail, cap);
    let by_name = by_name_sql(sql, query, Some(prefix), limit);
    // Those whose name matches come with the name half. Filtered after the
    // `LIMIT`, so that it bounds the entries read, not the ones kept.
    let name = sql.starts_with("display_name_lower", prefix);
    format!(
        "SELECT ({seen}) AS seen, p.* FROM (\
         SELECT * FROM ({by_name}) AS by_name \
         UNION SELECT {COLUMNS} FROM users WHERE deleted_at IS NULL AND id IN (\
         SELECT id FROM (SELECT id, display_name_lower FROM {source} WHERE {mail} LIMIT {cap}) AS m \
         WHERE NOT ({name}) ORDER BY display_name_lower, id LIMIT {limit})) AS p \
         ORDER BY p.display_name_lower, p.id LIMIT {limit}"
    )
}

/// A row of [`search_page_sql`].
#[derive(FromRow)]
struct SearchRow {
    seen: i64,
    #[sqlx(flatten)]
    user: UserListRow,
}

/// One page of All users in name order.
pub async fn list(conn: &mut Conn, query: &UserQuery, limit: i64) -> sqlx::Result<Vec<UserListRow>> {
    Ok(list_tuned(conn, query, limit, SearchTuning::default()).await?.0)
}

/// [`list`], with the mail half tuned, saying how it was answered.
pub async fn list_tuned(
    conn: &mut Conn,
    query: &UserQuery,
    limit: i64,
    tuning: SearchTuning,
) -> sqlx::Result<(Vec<UserListRow>, MailHalf)> {
    let mut sql = Sql::new(conn);
    let Some(p) = prefix(query) else {
        let text = by_name_sql(&mut sql, query, None, limit);
        return Ok((sql.fetch(conn, text).await?, MailHalf::None));
    };
    let text = search_page_sql(&mut sql, query, &p, tuning.sort_at_most + 1, limit);
    let rows: Vec<SearchRow> = sql.fetch(conn, text).await?;
    if rows.first().is_none_or(|r| r.seen <= tuning.sort_at_most) {
        return Ok((rows.into_iter().map(|r| r.user).collect(), MailHalf::Sorted));
    }
    // Many mail matches.
    let mut sql = Sql::new(conn);
    let text = mail_walk_sql(&mut sql, query, &p, tuning.walk_at_most, limit);
    let mut ids: Vec<(String,)> = sql.fetch(conn, text).await?;
    // A full page is the first `limit` mail matches, whatever else lies
    // beyond the walk. Fewer say nothing about the rows after it.
    let half = if ids.len() as i64 >= limit {
        MailHalf::Walked
    } else {
        let mut sql = Sql::new(conn);
        let text = mail_sorted_sql(&mut sql, query, &p, limit);
        ids = sql.fetch(conn, text).await?;
        MailHalf::WalkedThenSorted
    };
    let ids: Vec<String> = ids.into_iter().map(|(id,)| id).collect();
    let mut sql = Sql::new(conn);
    let text = page_sql(&mut sql, query, &p, &ids, limit);
    Ok((sql.fetch(conn, text).await?, half))
}

/// How many users match (the cursor aside), counting no further than
/// `cap` + 1 so the count stays cheap on a large directory ("10,000+").
pub async fn count_capped(conn: &mut Conn, query: &UserQuery, cap: i64) -> sqlx::Result<i64> {
    let mut sql = Sql::new(conn);
    let text = count_capped_sql(&mut sql, query, cap + 1);
    let counts: Vec<(i64, i64)> = sql.fetch(conn, text).await?;
    let (by_name, by_mail_only) = counts.first().copied().unwrap_or_default();
    Ok((by_name + by_mail_only).min(cap + 1))
}

/// The database's plans for every statement a list and its count may run,
/// each with a label, for tests that check the indexes serve them (EXPLAIN
/// QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).
pub async fn explain_list(conn: &mut Conn, query: &UserQuery, limit: i64) -> sqlx::Result<Vec<(&'static str, String)>> {
    let cap = 10_001;
    let mut statements: Vec<(&'static str, Sql, String)> = Vec::new();
    let mut push = |label, build: &dyn Fn(&mut Sql) -> String| {
        let mut sql = Sql::new(conn);
        let text = build(&mut sql);
        statements.push((label, sql, text));
    };
    push("count", &|s| count_capped_sql(s, query, cap));
    if let Some(p) = prefix(query) {
        let p = p.as_str();
        push("page", &|s| search_page_sql(s, query, p, cap, limit));
        push("name page", &|s| by_name_sql(s, query, Some(p), limit));
        push("mail walk", &|s| mail_walk_sql(s, query, p, cap, limit));
        push("mail sorted", &|s| mail_sorted_sql(s, query, p, limit));
        push("page with mail ids", &|s| {
            page_sql(s, query, p, &["x".to_owned()], limit)
        });
    } else {
        push("page", &|s| by_name_sql(s, query, None, limit));
    }
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut plans = Vec::new();
    for (label, sql, text) in statements {
        let explain = if postgres {
            format!("EXPLAIN {text}")
        } else {
            format!("EXPLAIN QUERY PLAN {text}")
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(explain));
        for v in sql.binds {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        plans.push((label, super::plan_text(&rows, postgres)));
    }
    Ok(plans)
}
