//! Counts for monitoring: the outbox by state and its oldest waiting
//! message, the invitations by state. Read by `/metrics` at each scrape
//! and by `/readyz`; each is one aggregate over an indexed column.

use super::Conn;

/// The outbox by state. `queued` has not been tried yet; `retrying` is
/// queued again after a failed try; together they are the backlog.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    pub retrying: i64,
    pub sent: i64,
    pub failed: i64,
}

pub async fn outbox_counts(conn: &mut Conn) -> sqlx::Result<OutboxCounts> {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT status, COUNT(*), COUNT(CASE WHEN attempts > 0 THEN 1 END) FROM outbox GROUP BY status")
            .fetch_all(&mut *conn)
            .await?;
    let mut counts = OutboxCounts::default();
    for (status, n, tried) in rows {
        match status.as_str() {
            "queued" => {
                counts.queued += n - tried;
                counts.retrying += tried;
            }
            "sent" => counts.sent += n,
            "failed" => counts.failed += n,
            _ => {}
        }
    }
    Ok(counts)
}

/// When the oldest message still to send (queued or retrying) was queued.
pub async fn oldest_queued_at(conn: &mut Conn) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE status = 'queued'")
        .fetch_one(&mut *conn)
        .await
}

/// Invitations per state, every state named (zero when none).
pub async fn invitation_counts(conn: &mut Conn) -> sqlx::Result<Vec<(&'static str, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM invitations GROUP BY status")
        .fetch_all(&mut *conn)
        .await?;
    Ok(["pending", "redeemed", "replaced"]
        .into_iter()
        .map(|state| {
            let n = rows.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
            (state, n)
        })
        .collect())
}
