//! One-time passcodes: only their HMAC is stored, with an attempt count.

use super::Conn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Redeem,
    SignIn,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::Redeem => "redeem",
            Purpose::SignIn => "signin",
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub id: String,
    pub user_id: Option<String>,
    pub code_digest: String,
    pub attempts: i64,
    pub expires_at: i64,
}

pub struct NewCode<'a> {
    pub purpose: Purpose,
    pub address_lower: &'a str,
    pub user_id: Option<&'a str>,
    pub code_digest: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores a new code and retires the address's earlier unused ones, so only
/// the newest code works.
pub async fn insert(conn: &mut Conn, code: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query("UPDATE one_time_codes SET used_at = $1 WHERE address_lower = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(code.now)
        .bind(code.address_lower)
        .bind(code.purpose.key())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO one_time_codes (id, purpose, address_lower, user_id, code_digest, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(code.purpose.key())
    .bind(code.address_lower)
    .bind(code.user_id)
    .bind(code.code_digest)
    .bind(code.now)
    .bind(code.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts one attempt on the address's newest unused code for a purpose
/// and returns it with the count that includes this attempt, or `None`
/// when there is no code with an attempt left: none sent, used, expired,
/// or out of attempts. Checking and counting are one statement, so
/// concurrent guesses cannot all pass a check made before any of them was
/// counted: the row's lock (on SQLite, the write lock) makes them take
/// their turns until the caller's transaction ends, and each sees the count
/// the one before it left.
pub async fn count_attempt(
    conn: &mut Conn,
    purpose: Purpose,
    address_lower: &str,
    now: i64,
    max_attempts: i64,
) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(
        "UPDATE one_time_codes SET attempts = attempts + 1 \
         WHERE id = (SELECT id FROM one_time_codes \
                     WHERE address_lower = $1 AND purpose = $2 AND used_at IS NULL \
                     ORDER BY created_at DESC, id DESC LIMIT 1) \
         AND used_at IS NULL AND expires_at >= $3 AND attempts < $4 \
         RETURNING id, user_id, code_digest, attempts, expires_at",
    )
    .bind(address_lower)
    .bind(purpose.key())
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(&mut *conn)
    .await
}

/// Uses the code up; false if it was already used (a concurrent request).
pub async fn mark_used(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE one_time_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A queued request for a sign-in code.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignInRequest {
    pub id: String,
    pub address: String,
    pub requested_at: i64,
}

/// Queues a request for a sign-in code to `address`, whoever it belongs to.
pub async fn queue_sign_in_request(conn: &mut Conn, address: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sign_in_code_requests (id, address, requested_at) VALUES ($1, $2, $3)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(address)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the oldest queued request off the queue; it is gone once the
/// transaction commits. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
/// another instance take the next one meanwhile.
pub async fn take_sign_in_request(conn: &mut Conn) -> sqlx::Result<Option<SignInRequest>> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM sign_in_code_requests WHERE id = \
         (SELECT id FROM sign_in_code_requests ORDER BY requested_at, id LIMIT 1{lock}) \
         RETURNING id, address, requested_at"
    )))
    .fetch_optional(&mut *conn)
    .await
}

/// Drops one request (one that could not be worked off).
pub async fn drop_sign_in_request(conn: &mut Conn, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_code_requests WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many requests for `address` are still queued (or being worked off).
pub async fn queued_sign_in_requests(conn: &mut Conn, address: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_code_requests WHERE address = $1")
        .bind(address)
        .fetch_one(&mut *conn)
        .await
}
