//! Bulk invite as a job, for the Bulk invite page: an uploaded file is
//! checked at once (the service's dry run) and, when every row passes,
//! kept in the database until Submit; Submit queues the job ("Bulk invite
//! users - started (bulk)") and a worker in any instance claims it by a
//! lease, writes its rows a chunk per transaction with the chunk's
//! results, resumes after the last committed chunk when a worker died,
//! and finishes it ("Bulk invite users - finished (bulk)") in the
//! transaction that records the last results.

use std::collections::HashSet;
use std::time::Duration;

use actix_web::web;
use tokio::sync::watch;

use crate::app::AppState;
use crate::domain::Permission;
use crate::domain::role::any_allows;
use crate::services::bulk_invite::{
    self, BulkOptions, BulkRow, CellError, JobLedger, JobOptions, LEASE_LOST, MAX_FILE_BYTES,
};
use crate::services::{Admin, ServiceError, ServiceResult, bulk_template};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::bulk_jobs::{self, BulkJob, JobRow, NewJob};

/// How long a claim holds a job; every committed chunk extends it. A
/// worker that dies holding it delays the job by at most this long.
pub const LEASE: Duration = Duration::from_secs(60);
/// Rows shown in the upload's preview.
pub const PREVIEW_ROWS: usize = 10;
/// How long an upload waits for Submit before it is forgotten.
pub const UPLOAD_KEPT_FOR: i64 = 24 * 3600;
/// Jobs listed on Bulk operation results.
pub const LISTED_JOBS: i64 = 200;

/// What an upload found.
pub struct Upload {
    /// Set when the whole file passed: the validated upload to submit.
    pub job_id: Option<String>,
    /// The file's first rows.
    pub preview: Vec<BulkRow>,
    pub total: usize,
    /// Every complaint, by row (as numbered in the file) and column.
    pub errors: Vec<(usize, CellError)>,
}

fn ensure_may_bulk_invite(admin: &Admin<'_>) -> ServiceResult<()> {
    if any_allows(admin.roles, Permission::BulkInvite) {
        Ok(())
    } else {
        Err(ServiceError::Denied(
            "Bulk invite needs a Global Administrator or a User Administrator.".into(),
        ))
    }
}

/// The file's text, or why it cannot be read.
pub fn file_text(bytes: Vec<u8>) -> ServiceResult<String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        ServiceError::Refused("The file is not CSV text: save it as CSV UTF-8 and upload it again.".into())
    })?;
    // Spreadsheets save CSV UTF-8 with a byte order mark.
    Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
}

pub fn too_large() -> ServiceError {
    ServiceError::Refused(format!(
        "The file is larger than {} MB: split it into several files.",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

/// Checks an uploaded file against every rule, writing nothing but, when
/// it passes, the upload itself (to submit later).
pub async fn upload(state: &AppState, admin: &Admin<'_>, file_name: &str, text: &str) -> ServiceResult<Upload> {
    ensure_may_bulk_invite(admin)?;
    if text.trim().is_empty() {
        return Err(ServiceError::Refused(
            "The file is empty: download the template, list one guest per row and upload it.".into(),
        ));
    }
    let rows = bulk_template::read(text).map_err(ServiceError::Refused)?;
    let options = BulkOptions {
        dry_run: true,
        ..BulkOptions::default()
    };
    let report = bulk_invite::bulk_invite(state, admin, &rows, &options).await?;
    let errors: Vec<(usize, CellError)> = report
        .rows
        .iter()
        .flat_map(|r| r.errors.iter().map(|e| (r.row, e.clone())))
        .collect();
    let job_id = if report.failed() == 0 {
        let id = uuid::Uuid::now_v7().to_string();
        let now = state.clock.now();
        let mut conn = state.db.pool().acquire().await?;
        // Uploads never submitted are forgotten after a day.
        bulk_jobs::discard_unsubmitted(&mut conn, now - UPLOAD_KEPT_FOR).await?;
        let name = admin.actor.name.clone().unwrap_or_default();
        bulk_jobs::insert_validated(
            &mut conn,
            &NewJob {
                id: &id,
                started_by: admin.id,
                started_by_name: &name,
                client_ip: admin.actor.client_ip.as_deref(),
                file_name: &file_name.chars().take(255).collect::<String>(),
                file_text: text,
                total: rows.len() as i64,
            },
            now,
        )
        .await?;
        Some(id)
    } else {
        None
    };
    let total = rows.len();
    let mut preview = rows;
    preview.truncate(PREVIEW_ROWS);
    Ok(Upload {
        job_id,
        preview,
        total,
        errors,
    })
}

/// A validated upload of this admin's, with its first rows.
pub async fn validated(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<(BulkJob, Vec<BulkRow>)> {
    ensure_may_bulk_invite(admin)?;
    let mut conn = state.db.pool().acquire().await?;
    let job = bulk_jobs::find(&mut conn, id)
        .await?
        .filter(|j| j.started_by == admin.id && j.status == "validated")
        .ok_or(ServiceError::NotFound)?;
    let text = bulk_jobs::file_text(&mut conn, id).await?.unwrap_or_default();
    drop(conn);
    let mut rows = bulk_template::read(&text).unwrap_or_default();
    rows.truncate(PREVIEW_ROWS);
    Ok((job, rows))
}

/// Submit: the validated upload becomes a job, audited as started, and
/// this instance's worker is woken.
pub async fn submit(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<()> {
    ensure_may_bulk_invite(admin)?;
    crate::services::invitations::ensure_may_invite(state, admin).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let job = bulk_jobs::find(&mut tx, id)
        .await?
        .filter(|j| j.started_by == admin.id)
        .ok_or(ServiceError::NotFound)?;
    if !bulk_jobs::submit(&mut tx, id, admin.id, now).await? {
        return Err(ServiceError::Refused("This file was submitted already.".into()));
    }
    let details = format!("job={id}; file={}; total={}", job.file_name, job.total);
    let entry = AuditEntry {
        activity: "Bulk invite users - started (bulk)",
        category: "UserManagement",
        target_id: None,
        target_name: None,
        details: Some(details),
    };
    crate::store::audit::record(&mut tx, &admin.actor, &entry, now).await?;
    tx.commit().await?;
    state.bulk_wake.notify_one();
    Ok(())
}

/// Bulk operation results: submitted jobs, newest first.
pub async fn jobs(state: &AppState, admin: &Admin<'_>) -> ServiceResult<Vec<BulkJob>> {
    ensure_may_bulk_invite(admin)?;
    let mut conn = state.db.pool().acquire().await?;
    Ok(bulk_jobs::list_submitted(&mut conn, LISTED_JOBS).await?)
}

/// One submitted job.
pub async fn job(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<BulkJob> {
    ensure_may_bulk_invite(admin)?;
    let mut conn = state.db.pool().acquire().await?;
    bulk_jobs::find(&mut conn, id)
        .await?
        .filter(|j| j.status != "validated")
        .ok_or(ServiceError::NotFound)
}

/// A page of a job's results after row index `after`.
pub async fn results_after(state: &AppState, id: &str, after: i64, limit: i64) -> sqlx::Result<Vec<JobRow>> {
    let mut conn = state.db.pool().acquire().await?;
    bulk_jobs::rows_after(&mut conn, id, after, limit).await
}

/// Takes the next job waiting (or left by a dead worker) for `owner`.
pub async fn claim(state: &AppState, owner: &str) -> sqlx::Result<Option<String>> {
    let now = state.clock.now();
    let mut conn = state.db.pool().acquire().await?;
    if !bulk_jobs::any_claimable(&mut conn, now).await? {
        return Ok(None);
    }
    drop(conn);
    let mut tx = state.db.begin().await?;
    let id = bulk_jobs::claim(&mut tx, owner, now, now + lease_secs()).await?;
    tx.commit().await?;
    Ok(id)
}

fn lease_secs() -> i64 {
    LEASE.as_secs() as i64
}

/// Works on a job `owner` claimed: writes what no earlier run recorded,
/// then finishes it. True when finished; false when it stopped after
/// `options.max_chunks`, holding its lease as a worker that died would.
pub async fn process(state: &AppState, id: &str, owner: &str, options: &JobOptions) -> ServiceResult<bool> {
    let (job, text, roles, recorded) = {
        let mut conn = state.db.pool().acquire().await?;
        let job = bulk_jobs::find(&mut conn, id).await?.ok_or(ServiceError::NotFound)?;
        let text = bulk_jobs::file_text(&mut conn, id).await?.unwrap_or_default();
        let roles = crate::store::roles::roles_of(&mut conn, &job.started_by).await?;
        let recorded: HashSet<usize> = bulk_jobs::recorded_indexes(&mut conn, id)
            .await?
            .into_iter()
            .map(|i| i as usize)
            .collect();
        (job, text, roles, recorded)
    };
    let rows = bulk_template::read(&text).map_err(ServiceError::Refused)?;
    let admin = Admin {
        actor: actor_of(&job),
        id: &job.started_by,
        roles: &roles,
    };
    let ledger = JobLedger {
        job_id: id,
        owner,
        lease_secs: lease_secs(),
        rows: &rows,
    };
    let Some(rest) = bulk_invite::write_job(state, &admin, &ledger, &recorded, options).await? else {
        return Ok(false);
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !ledger.record(&mut tx, &rest, now).await? {
        return Err(ServiceError::Refused(LEASE_LOST.into()));
    }
    finish(&mut tx, &job, owner, None, now).await?;
    tx.commit().await?;
    Ok(true)
}

fn actor_of(job: &BulkJob) -> Actor {
    Actor {
        id: Some(job.started_by.clone()),
        name: Some(job.started_by_name.clone()),
        client_ip: job.client_ip.clone(),
    }
}

/// Ends the job, completed or (with `error`) failed, with its "finished"
/// audit entry; the caller commits.
async fn finish(
    tx: &mut crate::store::Conn,
    job: &BulkJob,
    owner: &str,
    error: Option<&str>,
    now: i64,
) -> ServiceResult<()> {
    let status = if error.is_some() { "failed" } else { "completed" };
    if !bulk_jobs::finish(tx, &job.id, owner, status, error, now).await? {
        return Err(ServiceError::Refused(LEASE_LOST.into()));
    }
    let counts = bulk_jobs::find(tx, &job.id).await?.ok_or(ServiceError::NotFound)?;
    let mut details = format!(
        "job={}; succeeded={}; failed={}; total={}",
        job.id, counts.succeeded, counts.failed, counts.total
    );
    if let Some(error) = error {
        details.push_str(&format!("; stopped: {error}"));
    }
    let entry = AuditEntry {
        activity: "Bulk invite users - finished (bulk)",
        category: "UserManagement",
        target_id: None,
        target_name: None,
        details: Some(details),
    };
    crate::store::audit::record(tx, &actor_of(job), &entry, now).await?;
    Ok(())
}

/// Ends a job that cannot go on (its inviter is gone, the file no longer
/// reads) as failed.
async fn fail(state: &AppState, id: &str, owner: &str, error: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let job = bulk_jobs::find(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    finish(&mut tx, &job, owner, Some(error), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The running worker. Dropping it stops the worker too.
pub struct BulkWorkerHandle {
    pub id: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl BulkWorkerHandle {
    /// Stops the worker: a chunk being written rolls back, and the lease is
    /// handed back so another instance resumes the job at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts this process's bulk invite worker: it wakes on Submit here and
/// polls for jobs submitted elsewhere or left by a dead worker.
pub fn spawn(state: web::Data<AppState>) -> BulkWorkerHandle {
    let id = uuid::Uuid::new_v4().to_string();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(state, id.clone(), stopped));
    BulkWorkerHandle { id, stop, task }
}

async fn run(state: web::Data<AppState>, owner: String, mut stopped: watch::Receiver<bool>) {
    // As often as the outbox looks for other instances' mail, but no more
    // than once a second: a job is long, and Submit here wakes the worker.
    let poll = state.settings.mail_poll.max(Duration::from_secs(1));
    loop {
        if *stopped.borrow() {
            break;
        }
        let claimed = match claim(&state, &owner).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "bulk invite: cannot claim a job");
                None
            }
        };
        if let Some(id) = claimed {
            tracing::info!(job = %id, "bulk invite: working on a job");
            let work = work(&state, &id, &owner);
            let finished = tokio::select! {
                finished = work => finished,
                _ = stopped.changed() => false,
            };
            if !finished {
                if let Ok(mut conn) = state.db.pool().acquire().await
                    && let Err(e) = bulk_jobs::release(&mut conn, &id, &owner).await
                {
                    tracing::warn!(error = %e, "bulk invite: cannot hand back a lease; it expires on its own");
                }
            } else {
                // Another job may wait.
                continue;
            }
        }
        tokio::select! {
            _ = state.bulk_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
        }
    }
}

/// Works on a claimed job; true when it is no longer this worker's.
async fn work(state: &AppState, id: &str, owner: &str) -> bool {
    match process(state, id, owner, &JobOptions::default()).await {
        Ok(_) => {
            tracing::info!(job = %id, "bulk invite: job finished");
            true
        }
        Err(ServiceError::Refused(m)) if m == LEASE_LOST => {
            tracing::warn!(job = %id, "bulk invite: another worker took the job over");
            true
        }
        Err(e @ (ServiceError::NotFound | ServiceError::Refused(_) | ServiceError::Denied(_))) => {
            let error = match &e {
                ServiceError::NotFound => "The inviter is no longer in the directory.".to_owned(),
                other => other.to_string(),
            };
            tracing::warn!(job = %id, %error, "bulk invite: the job cannot go on");
            if let Err(e) = fail(state, id, owner, &error).await {
                tracing::error!(job = %id, error = %e, "bulk invite: cannot end the job");
                return false;
            }
            true
        }
        Err(e) => {
            tracing::error!(job = %id, error = %e, "bulk invite: the job stopped; it will be resumed");
            false
        }
    }
}
