//! The outbox: every email, written in the same transaction as the change
//! that caused it, then claimed and sent by a worker. A claim is a lease
//! (`lease_owner`, `lease_until`) that the worker renews while it sends, so
//! several workers — several processes on one PostgreSQL — never send one
//! row at the same time, and a worker that dies holding a lease only delays
//! its rows until the lease expires. (Delivery is still at least once: see
//! `mail::worker` for what a crash can repeat.)

use super::bulk::Value;
use super::{Conn, flag};

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewMail<'a> {
    /// "invitation", "invitation_cc", "code", …
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub recipient: &'a str,
    pub subject: &'a str,
    /// `<uuid@domain>`, as in the message's Message-ID header.
    pub message_id: &'a str,
    /// The whole RFC 5322 message (lettre's `Message::formatted()`).
    pub body: &'a str,
    /// A ticket or a code is in the body: wipe it once sent or failed.
    pub carries_secret: bool,
    /// Higher first: codes 10, invitations 0.
    pub priority: i64,
}

/// Queues a message, due at once. Returns its id.
pub async fn enqueue(conn: &mut Conn, mail: &NewMail<'_>, now: i64) -> sqlx::Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO outbox (id, created_at, kind, user_id, recipient, subject, message_id, body, \
         carries_secret, priority, status, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $2)",
    )
    .bind(&id)
    .bind(now)
    .bind(mail.kind)
    .bind(mail.user_id)
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.message_id)
    .bind(mail.body)
    .bind(flag(mail.carries_secret))
    .bind(mail.priority)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// A composed message that owns its parts, as `mail` composes it.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub kind: &'static str,
    pub user_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub message_id: String,
    /// The whole RFC 5322 message.
    pub body: String,
    pub carries_secret: bool,
    /// Higher first: codes 10, invitations 0.
    pub priority: i64,
}

impl OutgoingMail {
    pub fn as_new_mail(&self) -> NewMail<'_> {
        NewMail {
            kind: self.kind,
            user_id: self.user_id.as_deref(),
            recipient: &self.recipient,
            subject: &self.subject,
            message_id: &self.message_id,
            body: &self.body,
            carries_secret: self.carries_secret,
            priority: self.priority,
        }
    }
}

/// Queues several messages, due at once, in as few statements as the
/// parameter limit allows (Bulk invite). The bodies are bound as they are,
/// without a copy.
pub async fn enqueue_many(conn: &mut Conn, mails: Vec<OutgoingMail>, now: i64) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &[
        "id",
        "created_at",
        "kind",
        "user_id",
        "recipient",
        "subject",
        "message_id",
        "body",
        "carries_secret",
        "priority",
        "status",
        "attempts",
        "next_attempt_at",
    ];
    let rows: Vec<Vec<Value>> = mails
        .into_iter()
        .map(|m| {
            vec![
                uuid::Uuid::now_v7().to_string().into(),
                now.into(),
                m.kind.into(),
                m.user_id.into(),
                m.recipient.into(),
                m.subject.into(),
                m.message_id.into(),
                m.body.into(),
                flag(m.carries_secret).into(),
                m.priority.into(),
                "queued".into(),
                0i64.into(),
                now.into(),
            ]
        })
        .collect();
    super::bulk::insert_owned_rows(conn, "outbox", COLUMNS, rows, "").await?;
    Ok(())
}

/// A row a worker holds the lease of, with what it needs to send it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub message_id: String,
    pub body: Option<String>,
    pub carries_secret: i64,
    pub priority: i64,
    /// Counting this one.
    pub attempts: i64,
}

const CLAIMED_COLUMNS: &str = "id, kind, recipient, message_id, body, carries_secret, priority, attempts";

/// Takes the lease of up to `limit` due rows, highest priority first, and
/// counts an attempt on each. A row whose lease has expired is due again.
///
/// On PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent workers pass each
/// other's rows; on SQLite the caller runs this in a write transaction
/// (`Db::begin`, `BEGIN IMMEDIATE`), which serializes the claims.
pub async fn claim(conn: &mut Conn, owner: &str, now: i64, lease_until: i64, limit: i64) -> sqlx::Result<Vec<Claimed>> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $3 \
         AND (lease_until IS NULL OR lease_until < $3) \
         ORDER BY priority DESC, next_attempt_at LIMIT $4{lock}) \
         RETURNING {CLAIMED_COLUMNS}"
    );
    let mut rows: Vec<Claimed> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    // RETURNING keeps no order; send the more urgent ones first.
    rows.sort_by_key(|r| std::cmp::Reverse(r.priority));
    Ok(rows)
}

/// Lets the current PostgreSQL transaction commit without waiting for its
/// WAL to reach the disk (`synchronous_commit = off`; SQLite's WAL with
/// `synchronous=NORMAL` already works so). The worker commits each few
/// results with the claims that refill its send slots, so that wait would
/// idle every slot once per commit. A crash of the database server itself can
/// then lose the last fraction of a second of these commits: a "sent" mark
/// lost sends that message again, a claim or renewal lost lets another
/// worker take a row early; at least once either way.
pub async fn commit_without_flush(conn: &mut Conn) -> sqlx::Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether any row is due (what `claim` would take), without writing:
/// a worker asks before it takes the write lock to claim.
pub async fn any_due(conn: &mut Conn, now: i64) -> sqlx::Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Records the delivery of rows sent at `now`, in one statement. A body
/// is wiped when it carries a secret, unless `keep_body` (the development
/// mailbox, whose copy is the only one). Returns the ids recorded: those
/// whose lease `owner` still held.
pub async fn mark_sent(
    conn: &mut Conn,
    ids: &[&str],
    owner: &str,
    now: i64,
    keep_body: bool,
) -> sqlx::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE outbox SET status = 'sent', sent_at = $2, sent_by = $1, lease_owner = NULL, \
         lease_until = NULL, last_error = NULL, \
         body = CASE WHEN carries_secret = 1 AND $3 = 0 THEN NULL ELSE body END \
         WHERE lease_owner = $1 AND status = 'queued' AND id IN ({}) RETURNING id",
        placeholders(4, ids.len())
    );
    let query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(now)
        .bind(flag(keep_body));
    returned_ids(conn, query, ids).await
}

/// Extends to `lease_until` the leases `owner` holds on `ids` (rows whose
/// sends are still in flight). Returns the ids renewed: one missing has
/// lost its lease, which ran out before and another worker took.
pub async fn renew(conn: &mut Conn, ids: &[&str], owner: &str, lease_until: i64) -> sqlx::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE outbox SET lease_until = $2 WHERE lease_owner = $1 AND status = 'queued' \
         AND id IN ({}) RETURNING id",
        placeholders(3, ids.len())
    );
    let query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(lease_until);
    returned_ids(conn, query, ids).await
}

/// `$first, $first+1, …`: `count` numbered parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds `ids` after the query's other parameters, runs it, and returns
/// the ids it answered with.
async fn returned_ids<'q>(
    conn: &mut Conn,
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, (String,), <sqlx::Any as sqlx::Database>::Arguments>,
    ids: &[&'q str],
) -> sqlx::Result<Vec<String>> {
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().map(|(id,)| id).collect())
}

/// Gives the row back to the queue, due again at `next_attempt_at`.
pub async fn mark_retry(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    error: &str,
    next_attempt_at: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $4, last_error = $3, lease_owner = NULL, lease_until = NULL \
         WHERE id = $1 AND lease_owner = $2 AND status = 'queued'",
    )
    .bind(id)
    .bind(owner)
    .bind(error)
    .bind(next_attempt_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up on the row, keeping the reason; a secret body is wiped.
pub async fn mark_failed(conn: &mut Conn, id: &str, owner: &str, error: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'failed', failed_at = $4, last_error = $3, lease_owner = NULL, \
         lease_until = NULL, body = CASE WHEN carries_secret = 1 THEN NULL ELSE body END \
         WHERE id = $1 AND lease_owner = $2 AND status = 'queued'",
    )
    .bind(id)
    .bind(owner)
    .bind(error)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands back every lease `owner` holds without having tried to send
/// (a worker shutting down), so another worker need not wait for them.
pub async fn release(conn: &mut Conn, owner: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 \
         WHERE lease_owner = $1 AND status = 'queued'",
    )
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// A message's delivery state, without its body.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// "queued", "sent" or "failed".
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const ROW_COLUMNS: &str = "id, kind, recipient, subject, status, attempts, last_error, created_at, sent_at";

/// The messages sent (or to be sent) to a user, newest first.
pub async fn list_for_user(conn: &mut Conn, user_id: &str) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS} FROM outbox WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
    )))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// The newest messages, for the development mailbox.
pub async fn list_recent(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// One message with its body (None once wiped).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub body: Option<String>,
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<OutboxMessage>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS}, message_id, body FROM outbox WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}
