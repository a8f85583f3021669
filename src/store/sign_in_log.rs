//! The sign-in log: every sign-in to the portal or to an application,
//! success or failure with its reason. Append-only, like the audit log.

use super::Conn;

/// One sign-in attempt.
#[derive(Clone, Debug, Default)]
pub struct SignInEntry<'a> {
    /// The user, when the attempt could be tied to one.
    pub user_id: Option<&'a str>,
    /// The user's name or the address typed.
    pub user_name: Option<&'a str>,
    /// None: the Vestibule portal itself.
    pub app_id: Option<&'a str>,
    pub app_name: Option<&'a str>,
    /// None: Success. Some((code, reason)): Failure, with Entra's error
    /// code where there is one ("50105") and the reason in words.
    pub failure: Option<(&'a str, &'a str)>,
    pub client_ip: Option<&'a str>,
}

pub async fn record(conn: &mut Conn, entry: &SignInEntry<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_log (id, occurred_at, user_id, user_name, user_name_lower, app_id, app_name, \
         status, error_code, failure_reason, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(entry.user_id)
    .bind(entry.user_name)
    .bind(entry.user_name.map(str::to_lowercase))
    .bind(entry.app_id)
    .bind(entry.app_name)
    .bind(if entry.failure.is_some() { "Failure" } else { "Success" })
    .bind(entry.failure.map(|(code, _)| code))
    .bind(entry.failure.map(|(_, reason)| reason))
    .bind(entry.client_ip)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
