//! Rows that are worth nothing once their time has passed: one-time
//! passcodes, authorization codes, refresh tokens, sign-ins sent to an
//! identity provider, and the keys of forms already submitted. Each is
//! kept a while past its expiry (so a late request still finds "expired"
//! or "already used", and the refresh-token reuse check still sees a used
//! token until it would have expired), then deleted.

use super::Conn;

/// How many rows of each kind were deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    pub one_time_codes: u64,
    pub authorization_codes: u64,
    pub refresh_tokens: u64,
    pub federation_requests: u64,
    pub form_submissions: u64,
}

impl Deleted {
    pub fn total(&self) -> u64 {
        self.one_time_codes
            + self.authorization_codes
            + self.refresh_tokens
            + self.federation_requests
            + self.form_submissions
    }
}

async fn delete_before(conn: &mut Conn, sql: &'static str, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(sql).bind(before).execute(&mut *conn).await?.rows_affected())
}

/// Deletes what expired before `expired_before`, and form keys made before
/// `forms_before`.
pub async fn delete_expired(conn: &mut Conn, expired_before: i64, forms_before: i64) -> sqlx::Result<Deleted> {
    Ok(Deleted {
        one_time_codes: delete_before(conn, "DELETE FROM one_time_codes WHERE expires_at < $1", expired_before).await?,
        authorization_codes: delete_before(
            conn,
            "DELETE FROM authorization_codes WHERE expires_at < $1",
            expired_before,
        )
        .await?,
        refresh_tokens: delete_before(conn, "DELETE FROM refresh_tokens WHERE expires_at < $1", expired_before).await?,
        federation_requests: delete_before(
            conn,
            "DELETE FROM federation_requests WHERE expires_at < $1",
            expired_before,
        )
        .await?,
        form_submissions: delete_before(conn, "DELETE FROM form_submissions WHERE created_at < $1", forms_before)
            .await?,
    })
}
