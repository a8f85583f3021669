//! Invitations (one row per ticket issued), blocked addresses, and
//! one-time form keys.

use super::bulk::Value;
use super::{Conn, flag};

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub ticket_digest: &'a str,
    pub invited_email: &'a str,
    pub redirect_url: Option<&'a str>,
    pub send_invite_message: bool,
    pub message: Option<&'a str>,
    pub cc_recipient: Option<&'a str>,
    pub language: &'a str,
    pub invited_by: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(conn: &mut Conn, inv: &NewInvitation<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO invitations (id, user_id, ticket_digest, invited_email, redirect_url, send_invite_message, \
         message, cc_recipient, language, invited_by, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11)",
    )
    .bind(inv.id)
    .bind(inv.user_id)
    .bind(inv.ticket_digest)
    .bind(inv.invited_email)
    .bind(inv.redirect_url)
    .bind(flag(inv.send_invite_message))
    .bind(inv.message)
    .bind(inv.cc_recipient)
    .bind(inv.language)
    .bind(inv.invited_by)
    .bind(inv.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Several invitations in as few statements as the parameter limit
/// allows (Bulk invite); the same columns as `insert`.
pub async fn insert_many(conn: &mut Conn, new: &[NewInvitation<'_>]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &[
        "id",
        "user_id",
        "ticket_digest",
        "invited_email",
        "redirect_url",
        "send_invite_message",
        "message",
        "cc_recipient",
        "language",
        "invited_by",
        "status",
        "created_at",
    ];
    let rows: Vec<Vec<Value>> = new
        .iter()
        .map(|i| {
            vec![
                i.id.into(),
                i.user_id.into(),
                i.ticket_digest.into(),
                i.invited_email.into(),
                i.redirect_url.map(str::to_owned).into(),
                flag(i.send_invite_message).into(),
                i.message.map(str::to_owned).into(),
                i.cc_recipient.map(str::to_owned).into(),
                i.language.into(),
                i.invited_by.map(str::to_owned).into(),
                "pending".into(),
                i.now.into(),
            ]
        })
        .collect();
    super::bulk::insert_owned_rows(conn, "invitations", COLUMNS, rows, "").await?;
    Ok(())
}

/// How "the user's newest invitation" is found. Every new invitation
/// replaces the user's earlier ones in its own transaction, so the one not
/// replaced is the newest; `created_at` (whole seconds) and then the id
/// only order the rest. Ordering by time first picked a replaced row
/// whenever a reset landed in the same second as the invitation and the
/// random id of the older one happened to sort last.
const NEWEST_FIRST: &str =
    "ORDER BY CASE WHEN i.status = 'replaced' THEN 1 ELSE 0 END, i.created_at DESC, i.id DESC LIMIT 1";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub user_id: String,
    pub invited_email: String,
    pub redirect_url: Option<String>,
    pub send_invite_message: i64,
    pub message: Option<String>,
    pub cc_recipient: Option<String>,
    pub invited_by_name: Option<String>,
    pub status: String,
    pub created_at: i64,
    /// The language it was sent in; '' when it followed the organization's.
    pub language: String,
}

/// The newest invitation of a user, with the inviter's name (a user's, or
/// an application's when it invited through the API).
pub async fn latest_for_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Option<InvitationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT i.id, i.user_id, i.invited_email, i.redirect_url, i.send_invite_message, i.message, \
         i.cc_recipient, COALESCE(u.display_name, a.display_name) AS invited_by_name, i.status, i.created_at, i.language \
         FROM invitations i LEFT JOIN users u ON u.id = i.invited_by \
         LEFT JOIN applications a ON a.id = i.invited_by \
         WHERE i.user_id = $1 {NEWEST_FIRST}"
    )))
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The user who already has this address, live or deleted: (id, deleted).
pub async fn holder_of_address(conn: &mut Conn, lower: &str) -> sqlx::Result<Option<(String, bool)>> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT id, deleted_at FROM users WHERE mail_lower = $1 OR upn_lower = $1 LIMIT 1")
            .bind(lower)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(id, deleted)| (id, deleted.is_some())))
}

/// Which of the lower-cased `addresses` users already have, live or
/// deleted, as `holder_of_address` answers for one: address → (id, deleted).
pub async fn holders_of_addresses(
    conn: &mut Conn,
    addresses: &[&str],
) -> sqlx::Result<std::collections::HashMap<String, (String, bool)>> {
    let mut holders = std::collections::HashMap::new();
    if addresses.is_empty() {
        return Ok(holders);
    }
    let mut query = sqlx::query_as::<_, (String, Option<i64>, Option<String>, String)>(sqlx::AssertSqlSafe(
        holders_sql(conn, addresses.len()),
    ));
    for _ in 0..2 {
        for address in addresses {
            query = query.bind(*address);
        }
    }
    let wanted: std::collections::HashSet<&str> = addresses.iter().copied().collect();
    for (id, deleted_at, mail_lower, upn_lower) in query.fetch_all(&mut *conn).await? {
        for key in mail_lower.into_iter().chain([upn_lower]) {
            if wanted.contains(key.as_str()) {
                holders.entry(key).or_insert_with(|| (id.clone(), deleted_at.is_some()));
            }
        }
    }
    Ok(holders)
}

/// One index search per column: with `mail_lower IN (…) OR upn_lower IN
/// (…)` SQLite scans the whole table once the lists are long.
fn holders_sql(conn: &Conn, n: usize) -> String {
    const SELECT: &str = "SELECT id, deleted_at, mail_lower, upn_lower FROM users";
    format!(
        "{SELECT} WHERE mail_lower IN ({}) UNION ALL {SELECT} WHERE upn_lower IN ({})",
        super::bulk::placeholders(conn, 1, n),
        super::bulk::placeholders(conn, n + 1, n)
    )
}

/// The database's plan for `holders_of_addresses` with `n` addresses, for
/// a test that checks it searches the unique indexes (EXPLAIN QUERY PLAN
/// on SQLite, EXPLAIN on PostgreSQL).
pub async fn explain_holders(conn: &mut Conn, n: usize) -> sqlx::Result<String> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let explain = if postgres { "EXPLAIN" } else { "EXPLAIN QUERY PLAN" };
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("{explain} {}", holders_sql(conn, n))));
    for i in 0..2 * n {
        query = query.bind(format!("nobody.{}@example.com", i % n));
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(super::plan_text(&rows, postgres))
}

/// Which of the lower-cased `addresses` asked not to be invited.
pub async fn blocked_among(conn: &mut Conn, addresses: &[&str]) -> sqlx::Result<std::collections::HashSet<String>> {
    if addresses.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT address_lower FROM blocked_addresses WHERE address_lower IN ({})",
        super::bulk::placeholders(conn, 1, addresses.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for address in addresses {
        query = query.bind(*address);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

pub async fn is_blocked(conn: &mut Conn, lower: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blocked_addresses WHERE address_lower = $1")
        .bind(lower)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// Records that the address's owner asked not to be invited again.
pub async fn block(conn: &mut Conn, lower: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO blocked_addresses (address_lower, blocked_at) VALUES ($1, $2) ON CONFLICT (address_lower) DO NOTHING")
        .bind(lower)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Claims a one-time form key; false when the form was already submitted.
pub async fn claim_form_key(conn: &mut Conn, key: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO form_submissions (form_key, created_at) VALUES ($1, $2) ON CONFLICT (form_key) DO NOTHING",
    )
    .bind(key)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// An invitation found by its ticket's digest, with its user.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TicketRow {
    pub id: String,
    pub user_id: String,
    pub invited_email: String,
    pub redirect_url: Option<String>,
    pub status: String,
    pub inviter_name: Option<String>,
    pub inviter_email: Option<String>,
    pub user_deleted_at: Option<i64>,
    pub user_state: Option<String>,
    pub user_display_name: String,
    /// The language it was sent in; '' when it followed the organization's.
    pub language: String,
    pub created_at: i64,
}

const TICKET_SELECT: &str = "SELECT i.id, i.user_id, i.invited_email, i.redirect_url, i.status, \
    inv.display_name AS inviter_name, inv.mail AS inviter_email, u.deleted_at AS user_deleted_at, \
    u.external_user_state AS user_state, u.display_name AS user_display_name, \
    i.language, i.created_at FROM invitations i JOIN users u ON u.id = i.user_id LEFT JOIN users inv ON inv.id = i.invited_by";

pub async fn find_by_digest(conn: &mut Conn, digest: &str) -> sqlx::Result<Option<TicketRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_SELECT} WHERE i.ticket_digest = $1"
    )))
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<TicketRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} WHERE i.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// The user's newest invitation id.
pub async fn latest_id_for_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT i.id FROM invitations i WHERE i.user_id = $1 {NEWEST_FIRST}"
    )))
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Redeems a pending invitation; false if it was not pending any more.
pub async fn mark_redeemed(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET status = 'redeemed', redeemed_at = $1 WHERE id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks the user's pending invitations replaced: their links now say a
/// newer one exists.
pub async fn replace_pending(conn: &mut Conn, user_id: &str, now: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE invitations SET status = 'replaced', replaced_at = $1 WHERE user_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Marks every earlier invitation of the user replaced, redeemed ones
/// included (Reset redemption status: old links say a newer one exists).
pub async fn replace_all(conn: &mut Conn, user_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET status = 'replaced', replaced_at = $1 WHERE user_id = $2 AND status <> 'replaced'",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
