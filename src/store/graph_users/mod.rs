//! `GET /v1.0/users` at the store: the live users matching a parsed
//! `$filter`, in `displayName` order, paged by key, and their count.
//!
//! A filter becomes one SQL condition with every value bound, never
//! written into the text. Graph compares strings without regard to case,
//! so `displayName`, `mail`, `userPrincipalName` and `id` are compared
//! through their stored lower-cased columns (`display_name_lower`,
//! `mail_lower`, `upn_lower`; ids are lower-case already) with values
//! lower-cased here, which the indexes of All users serve; `startswith` on
//! them is a key range, `[prefix, next string after every one that starts
//! with prefix)`, which the same indexes walk in order and which has no
//! wildcards to escape. `companyName` has no such column: it is compared as
//! `lower(company_name)` against `lower(value)` (ASCII letters only on
//! SQLite, every letter on PostgreSQL), and `startswith` on it is a `LIKE`
//! with `%`, `_` and the escape character `!` escaped (`!` needs no
//! backslash rules, which differ between the two databases' string
//! settings).
//!
//! OData has two truth values where SQL has three: `companyName ne 'x'`
//! holds for a user without a company, and `not (mail eq 'x')` for a user
//! without a mail. So every comparison on a column that can be null says
//! what null gives, and `NOT` is never applied to an unknown.
//!
//! The condition is built in `condition.rs`; the cursor is in `cursor.rs`.

mod condition;
mod cursor;

use sqlx::FromRow;

use super::{Binds, Conn};
use crate::domain::graph_query::{Filter, Order};
use crate::domain::{ExternalUserState, UserType};
use condition::{condition_after, live_matching};
pub use cursor::Cursor;

/// A user as `GET /v1.0/users` shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphUserRow {
    pub id: String,
    pub display_name: String,
    /// The sort key.
    pub display_name_lower: String,
    pub mail: Option<String>,
    pub user_principal_name: String,
    pub user_type: UserType,
    pub external_user_state: Option<ExternalUserState>,
    /// Unix seconds.
    pub external_user_state_changed_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    pub company_name: Option<String>,
    pub account_enabled: bool,
    pub creation_type: Option<String>,
    pub preferred_language: Option<String>,
}

impl GraphUserRow {
    /// The position just after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            display_name_lower: self.display_name_lower.clone(),
            id: self.id.clone(),
        }
    }
}

#[derive(FromRow)]
struct Row {
    id: String,
    display_name: String,
    display_name_lower: String,
    mail: Option<String>,
    user_principal_name: String,
    user_type: String,
    external_user_state: Option<String>,
    external_user_state_changed_at: Option<i64>,
    created_at: i64,
    company_name: Option<String>,
    account_enabled: i64,
    creation_type: Option<String>,
    preferred_language: Option<String>,
}

impl From<Row> for GraphUserRow {
    fn from(r: Row) -> Self {
        GraphUserRow {
            id: r.id,
            display_name: r.display_name,
            display_name_lower: r.display_name_lower,
            mail: r.mail,
            user_principal_name: r.user_principal_name,
            user_type: UserType::parse(&r.user_type).unwrap_or(UserType::Guest),
            external_user_state: r.external_user_state.as_deref().and_then(ExternalUserState::parse),
            external_user_state_changed_at: r.external_user_state_changed_at,
            created_at: r.created_at,
            company_name: r.company_name,
            account_enabled: r.account_enabled != 0,
            creation_type: r.creation_type,
            preferred_language: r.preferred_language,
        }
    }
}

const COLUMNS: &str = "id, display_name, display_name_lower, mail, user_principal_name, user_type, \
                       external_user_state, external_user_state_changed_at, created_at, company_name, \
                       account_enabled, creation_type, preferred_language";

/// One page and where the next one starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub rows: Vec<GraphUserRow>,
    /// After the last row, when more rows follow.
    pub next: Option<Cursor>,
}

/// Up to `limit` live users matching `filter`, after `after`, in `order`
/// of (lower-cased display name, id).
pub async fn list(
    conn: &mut Conn,
    filter: Option<&Filter>,
    after: Option<&Cursor>,
    order: Order,
    limit: i64,
) -> sqlx::Result<Vec<GraphUserRow>> {
    let mut binds = Binds::default();
    let sql = list_sql(&mut binds, filter, after, order, limit);
    let rows: Vec<Row> = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(GraphUserRow::from).collect())
}

/// A page of `top` rows (one more is read to learn whether another page
/// follows).
pub async fn page(
    conn: &mut Conn,
    filter: Option<&Filter>,
    after: Option<&Cursor>,
    order: Order,
    top: i64,
) -> sqlx::Result<Page> {
    let top = top.max(1);
    let mut rows = list(conn, filter, after, order, top + 1).await?;
    let next = if rows.len() as i64 > top {
        rows.truncate(top as usize);
        rows.last().map(GraphUserRow::cursor)
    } else {
        None
    };
    Ok(Page { rows, next })
}

/// How many live users match `filter` (`@odata.count`).
pub async fn count(conn: &mut Conn, filter: Option<&Filter>) -> sqlx::Result<i64> {
    let mut binds = Binds::default();
    let sql = format!("SELECT COUNT(*) FROM users WHERE {}", live_matching(&mut binds, filter));
    let (n,): (i64,) = binds
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// The database's plan for [`list`] (EXPLAIN QUERY PLAN on SQLite,
/// EXPLAIN on PostgreSQL), for tests that check the indexes serve it.
pub async fn explain_list(
    conn: &mut Conn,
    filter: Option<&Filter>,
    after: Option<&Cursor>,
    order: Order,
    limit: i64,
) -> sqlx::Result<String> {
    let mut binds = Binds::default();
    let sql = list_sql(&mut binds, filter, after, order, limit);
    binds.explain(conn, &sql).await
}

fn list_sql(binds: &mut Binds, filter: Option<&Filter>, after: Option<&Cursor>, order: Order, limit: i64) -> String {
    let mut condition = match (filter, after) {
        (Some(f), Some(c)) => format!("deleted_at IS NULL AND {}", condition_after(binds, f, c, order)),
        _ => live_matching(binds, filter),
    };
    let (past, direction) = match order {
        Order::Asc => (">", ""),
        Order::Desc => ("<", " DESC"),
    };
    if let Some(c) = after {
        let name = binds.text(c.display_name_lower.clone());
        let id = binds.text(c.id.clone());
        condition.push_str(&format!(" AND (display_name_lower, id) {past} ({name}, {id})"));
    }
    format!(
        "SELECT {COLUMNS} FROM users WHERE {condition} \
         ORDER BY display_name_lower{direction}, id{direction} LIMIT {}",
        limit.max(0)
    )
}
