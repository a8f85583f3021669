//! Bulk invite jobs: the uploaded file between its validation and Submit,
//! then the job, claimed by a lease (`lease_owner`, `lease_until`) as the
//! outbox's rows are, so one worker at a time works on it and a worker that
//! dies only delays it until its lease runs out. Each row's result is
//! written in the transaction of the invitations it describes, and only
//! while the writer still holds the lease (`record_rows`), so a row is
//! written once whichever instance resumes the job.

use super::Conn;
use super::bulk::{Value, insert_rows};

/// A job as the results pages show it (without its file).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BulkJob {
    pub id: String,
    pub started_by: String,
    pub started_by_name: String,
    pub client_ip: Option<String>,
    pub file_name: String,
    /// validated, queued, running, completed, failed
    pub status: String,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub error: Option<String>,
    pub uploaded_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const JOB_COLUMNS: &str = "id, started_by, started_by_name, client_ip, file_name, status, total, succeeded, \
                           failed, error, uploaded_at, started_at, finished_at";

/// An uploaded file that passed validation.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub started_by: &'a str,
    pub started_by_name: &'a str,
    pub client_ip: Option<&'a str>,
    pub file_name: &'a str,
    pub file_text: &'a str,
    pub total: i64,
}

pub async fn insert_validated(conn: &mut Conn, job: &NewJob<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO bulk_jobs (id, started_by, started_by_name, client_ip, file_name, file_text, status, \
         total, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, 'validated', $7, $8)",
    )
    .bind(job.id)
    .bind(job.started_by)
    .bind(job.started_by_name)
    .bind(job.client_ip)
    .bind(job.file_name)
    .bind(job.file_text)
    .bind(job.total)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets uploads validated before `before` and never submitted.
pub async fn discard_unsubmitted(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM bulk_jobs WHERE status = 'validated' AND uploaded_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

pub async fn find(conn: &mut Conn, id: &str) -> sqlx::Result<Option<BulkJob>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM bulk_jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// The job's file, as uploaded.
pub async fn file_text(conn: &mut Conn, id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT file_text FROM bulk_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Submitted jobs, newest first.
pub async fn list_submitted(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<BulkJob>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM bulk_jobs WHERE status <> 'validated' \
         ORDER BY started_at DESC, id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// Submit: a validated upload of `started_by` becomes a queued job. False
/// when it was submitted already (or is not theirs).
pub async fn submit(conn: &mut Conn, id: &str, started_by: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE bulk_jobs SET status = 'queued', started_at = $1 \
         WHERE id = $2 AND started_by = $3 AND status = 'validated'",
    )
    .bind(now)
    .bind(id)
    .bind(started_by)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a job waits for a worker (a read, so an idle worker's poll
/// takes no write lock).
pub async fn any_claimable(conn: &mut Conn, now: i64) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM bulk_jobs WHERE status IN ('queued', 'running') \
         AND (lease_until IS NULL OR lease_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Takes the oldest job that is waiting, or whose worker's lease ran out,
/// for `owner` until `lease_until`. Its id, if any.
pub async fn claim(conn: &mut Conn, owner: &str, now: i64, lease_until: i64) -> sqlx::Result<Option<String>> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE bulk_jobs SET lease_owner = $1, lease_until = $2, status = 'running' \
         WHERE id IN (SELECT id FROM bulk_jobs WHERE status IN ('queued', 'running') \
         AND (lease_until IS NULL OR lease_until < $3) ORDER BY started_at, id LIMIT 1{lock}) \
         RETURNING id"
    )))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// Extends `owner`'s lease; false when it is no longer theirs.
pub async fn renew(conn: &mut Conn, id: &str, owner: &str, lease_until: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE bulk_jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands the lease back, so another worker may resume at once.
pub async fn release(conn: &mut Conn, id: &str, owner: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE bulk_jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2")
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One row's result.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct JobRow {
    /// Into the file's guests, from 0.
    pub row_index: i64,
    /// As a spreadsheet numbers the file's rows.
    pub row_number: i64,
    pub email: String,
    /// "Success" or "Failed".
    pub status: String,
    pub reason: String,
}

/// Records rows' results and adds them to the job's counts, extending the
/// lease, in the caller's transaction: false (nothing written) when
/// `owner` no longer holds the job, and the caller must roll back.
pub async fn record_rows(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    rows: &[JobRow],
    lease_until: i64,
) -> sqlx::Result<bool> {
    let succeeded = rows.iter().filter(|r| r.status == "Success").count() as i64;
    let failed = rows.len() as i64 - succeeded;
    let done = sqlx::query(
        "UPDATE bulk_jobs SET succeeded = succeeded + $1, failed = failed + $2, lease_until = $3 \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(succeeded)
    .bind(failed)
    .bind(lease_until)
    .bind(id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            vec![
                Value::from(id),
                Value::Int(r.row_index),
                Value::Int(r.row_number),
                Value::from(r.email.as_str()),
                Value::from(r.status.as_str()),
                Value::from(r.reason.as_str()),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "bulk_job_rows",
        &["job_id", "row_index", "row_number", "email", "status", "reason"],
        &values,
        "",
    )
    .await?;
    Ok(true)
}

/// The indexes of the rows recorded so far.
pub async fn recorded_indexes(conn: &mut Conn, id: &str) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT row_index FROM bulk_job_rows WHERE job_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await
}

/// Ends `owner`'s job as `status` ("completed" or "failed"); false when
/// `owner` no longer holds it.
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    status: &str,
    error: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE bulk_jobs SET status = $1, error = $2, finished_at = $3, lease_owner = NULL, lease_until = NULL \
         WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(status)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` results after row index `after`, in the file's order.
pub async fn rows_after(conn: &mut Conn, id: &str, after: i64, limit: i64) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(
        "SELECT row_index, row_number, email, status, reason FROM bulk_job_rows \
         WHERE job_id = $1 AND row_index > $2 ORDER BY row_index LIMIT $3",
    )
    .bind(id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}
