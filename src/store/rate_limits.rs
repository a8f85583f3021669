//! Rate-limit counters in the database, shared by every instance on it: a
//! GCRA (generic cell rate algorithm) whose whole state per key is its
//! theoretical arrival time (TAT), in milliseconds. A key allows `burst`
//! requests at once, then one per `interval_ms`; `tau_ms` is
//! `interval_ms * burst`.

use super::Conn;

/// Counts one request under `key` at `now_ms`, in one statement that both
/// instances may run at once: the row is created or moved forward only
/// when the request is allowed. Returns the new TAT when allowed, `None`
/// when the key is over its limit (`tat` then says for how long).
///
/// `CASE` rather than `GREATEST`/`MAX`, which the two stores spell
/// differently.
pub async fn take(conn: &mut Conn, key: &str, now_ms: i64, interval_ms: i64, tau_ms: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE \
            SET tat_ms = (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 \
          WHERE (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3 - $4 <= $2 \
         RETURNING tat_ms",
    )
    .bind(key)
    .bind(now_ms)
    .bind(interval_ms)
    .bind(tau_ms)
    .fetch_optional(&mut *conn)
    .await
}

/// Counts one event under `key` whatever its TAT (a failure that happened
/// is counted even when the key is over its limit).
pub async fn push(conn: &mut Conn, key: &str, now_ms: i64, interval_ms: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE \
            SET tat_ms = (CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END) + $3",
    )
    .bind(key)
    .bind(now_ms)
    .bind(interval_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps `key` until `until_ms` (a marker, deleted once it has passed).
pub async fn mark(conn: &mut Conn, key: &str, until_ms: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET tat_ms = $2")
        .bind(key)
        .bind(until_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many keys starting with `prefix` are still held at `now_ms`.
pub async fn count_held(conn: &mut Conn, prefix: &str, now_ms: i64) -> sqlx::Result<i64> {
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    sqlx::query_scalar("SELECT COUNT(*) FROM rate_limits WHERE key LIKE $1 ESCAPE '\\' AND tat_ms > $2")
        .bind(format!("{escaped}%"))
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await
}

/// The TAT of `key`, if it has a row.
pub async fn tat(conn: &mut Conn, key: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT tat_ms FROM rate_limits WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
}

/// Deletes the keys whose TAT has passed: they are fully recovered, the
/// same as a key with no row. Returns how many.
pub async fn delete_expired(conn: &mut Conn, now_ms: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM rate_limits WHERE tat_ms <= $1")
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
