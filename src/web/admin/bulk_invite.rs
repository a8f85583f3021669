//! All users › Bulk operations › Bulk invite, as Entra has it: Download the
//! template, Upload your csv file (checked at once against every rule, the
//! first rows and every error shown, nothing written), Submit (a job that
//! any instance's worker runs), then Bulk operation results with each
//! job's progress and results file.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::StreamExt as _;

use crate::app::AppState;
use crate::clock::format_time;
use crate::services::bulk_invite::MAX_FILE_BYTES;
use crate::services::bulk_jobs::{self, Upload};
use crate::services::{ServiceError, bulk_template};
use crate::store::Db;
use crate::store::bulk_jobs::{BulkJob, JobRow};
use crate::web::admin::log_export::{LogExport, csv_response};
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::BulkInvite;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::{FlashKind, TypedSession};

type Admin = Authorized<BulkInvite>;

/// Errors listed on the preview; a file with more says how many.
const LISTED_ERRORS: usize = 1_000;
/// A bigger upload is read to its end (to answer with the page rather
/// than a cut connection) up to here, then refused outright.
const MAX_DRAINED_BYTES: usize = 4 * MAX_FILE_BYTES;

struct PreviewRow {
    row: usize,
    email: String,
    display_name: String,
    redirect_url: String,
    send_message: bool,
    message: String,
}

struct ErrorRow {
    row: usize,
    column: &'static str,
    message: String,
}

/// What an upload found, as the page shows it.
struct Checked {
    job_id: Option<String>,
    file_name: String,
    total: usize,
    preview: Vec<PreviewRow>,
    errors: Vec<ErrorRow>,
    error_count: usize,
}

#[derive(Template)]
#[template(path = "admin/bulk_invite.html")]
struct BulkInvitePage {
    layout: Layout,
    /// Why the file could not be used at all.
    problem: Option<String>,
    checked: Option<Checked>,
    max_mb: usize,
}

fn page(admin: &Admin, problem: Option<String>, checked: Option<Checked>) -> BulkInvitePage {
    BulkInvitePage {
        layout: Layout::signed_in("Bulk invite", admin, Section::Users),
        problem,
        checked,
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
    }
}

fn preview_rows(rows: Vec<crate::services::bulk_invite::BulkRow>) -> Vec<PreviewRow> {
    rows.into_iter()
        .map(|r| PreviewRow {
            row: r.row,
            email: r.email,
            display_name: r.display_name,
            redirect_url: r.redirect_url,
            send_message: r.send_message,
            message: r.message,
        })
        .collect()
}

pub async fn bulk_invite_page(admin: Admin) -> Result<HttpResponse, AppError> {
    render(&page(&admin, None, None))
}

/// Download: the template `vestibule invite-bulk` reads.
pub async fn download_template(_admin: Admin) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"BulkInviteTemplate.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bulk_template::TEMPLATE)
}

/// The upload form: its CSRF token and the file.
struct UploadForm {
    file_name: String,
    /// `None` when the file was larger than the service takes.
    bytes: Option<Vec<u8>>,
    chosen: bool,
}

fn unreadable() -> AppError {
    AppError::BadRequest("The form could not be read.".into())
}

/// Reads the form, keeping no more of the file than the service takes (and
/// a byte to tell it was bigger), then checks the CSRF token.
async fn read_upload(session: &TypedSession, mut payload: Multipart) -> Result<UploadForm, AppError> {
    let mut token = String::new();
    let mut form = UploadForm {
        file_name: String::new(),
        bytes: Some(Vec::new()),
        chosen: false,
    };
    let mut fields = 0;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        fields += 1;
        if fields > 8 {
            return Err(AppError::PayloadTooLarge);
        }
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let is_file = name == "file" && file_name.is_some();
        let (keep, cap) = if is_file {
            (MAX_FILE_BYTES + 1, MAX_DRAINED_BYTES)
        } else {
            (1024, 1024)
        };
        let mut bytes = Vec::new();
        let mut size = 0usize;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            size += chunk.len();
            if size > cap {
                return Err(AppError::PayloadTooLarge);
            }
            let room = keep.saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if is_file {
            form.file_name = file_name.unwrap_or_default();
            form.chosen = !form.file_name.is_empty() || size > 0;
            form.bytes = (size <= MAX_FILE_BYTES).then_some(bytes);
        } else if name == "csrf_token" {
            token = String::from_utf8(bytes).map_err(|_| unreadable())?;
        }
    }
    if !session.csrf_matches(&token) {
        tracing::warn!("refused a bulk invite upload without a valid CSRF token");
        return Err(AppError::CsrfRejected);
    }
    Ok(form)
}

/// Upload your csv file: checked at once; a file that passes is kept for
/// Submit and its preview shown, one that does not lists every error (422).
pub async fn upload(admin: Admin, state: web::Data<AppState>, payload: Multipart) -> Result<HttpResponse, AppError> {
    let form = read_upload(&admin.session, payload).await?;
    let refuse = |message: String| render_with(&page(&admin, Some(message), None), StatusCode::UNPROCESSABLE_ENTITY);
    if !form.chosen {
        return refuse("Choose a CSV file to upload.".into());
    }
    let Some(bytes) = form.bytes else {
        return refuse(message_of(bulk_jobs::too_large()));
    };
    let file_name = form.file_name;
    if !file_name.to_ascii_lowercase().ends_with(".csv") {
        return refuse(format!(
            "{file_name} is not a CSV file: upload the bulk invite template saved as CSV."
        ));
    }
    let text = match bulk_jobs::file_text(bytes) {
        Ok(text) => text,
        Err(e) => return refuse(message_of(e)),
    };
    let upload = match bulk_jobs::upload(&state, &admin.as_admin(), &file_name, &text).await {
        Ok(upload) => upload,
        Err(ServiceError::Refused(m)) => return refuse(m),
        Err(e) => return Err(e.into()),
    };
    drop(text);
    let Upload {
        job_id,
        preview,
        total,
        errors,
    } = upload;
    if let Some(id) = job_id {
        return Ok(see_other(&format!("/admin/users/bulk-invite/{id}")));
    }
    let error_count = errors.len();
    let checked = Checked {
        job_id: None,
        file_name,
        total,
        preview: preview_rows(preview),
        errors: errors
            .into_iter()
            .take(LISTED_ERRORS)
            .map(|(row, e)| ErrorRow {
                row,
                column: e.column,
                message: e.message,
            })
            .collect(),
        error_count,
    };
    render_with(&page(&admin, None, Some(checked)), StatusCode::UNPROCESSABLE_ENTITY)
}

fn message_of(e: ServiceError) -> String {
    e.to_string()
}

/// A validated upload: "File uploaded successfully", its first rows, Submit.
pub async fn validated(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (job, rows) = bulk_jobs::validated(&state, &admin.as_admin(), &path).await?;
    let checked = Checked {
        job_id: Some(job.id),
        file_name: job.file_name,
        total: job.total as usize,
        preview: preview_rows(rows),
        errors: Vec::new(),
        error_count: 0,
    };
    render(&page(&admin, None, Some(checked)))
}

/// Submit: the job starts; its page follows it.
pub async fn submit(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    crate::web::csrf::CsrfForm(_): crate::web::csrf::CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    match bulk_jobs::submit(&state, &admin.as_admin(), &path).await {
        Ok(()) => {
            admin.session.flash(
                FlashKind::Success,
                "Bulk invite started: follow it below or on Bulk operation results.",
            );
            Ok(see_other(&format!("/admin/users/bulk-operations/{}", path.as_str())))
        }
        Err(ServiceError::Refused(m)) => Err(AppError::Refused(m)),
        Err(e) => Err(e.into()),
    }
}

/// One job, as the pages and the progress endpoint show it.
struct JobView {
    id: String,
    file_name: String,
    started_by: String,
    status: &'static str,
    done: bool,
    succeeded: i64,
    failed: i64,
    total: i64,
    percent: i64,
    started: String,
    finished: String,
    error: String,
}

impl From<BulkJob> for JobView {
    fn from(job: BulkJob) -> Self {
        let processed = job.succeeded + job.failed;
        let status = match job.status.as_str() {
            "queued" => "Not started",
            "running" => "In progress",
            "completed" => "Completed",
            "failed" => "Failed",
            _ => "Validated",
        };
        Self {
            done: matches!(job.status.as_str(), "completed" | "failed"),
            percent: (processed * 100).checked_div(job.total).unwrap_or(100),
            id: job.id,
            file_name: job.file_name,
            started_by: job.started_by_name,
            status,
            succeeded: job.succeeded,
            failed: job.failed,
            total: job.total,
            started: job.started_at.map(format_time).unwrap_or_default(),
            finished: job.finished_at.map(format_time).unwrap_or_default(),
            error: job.error.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/bulk_results.html")]
struct ResultsPage {
    layout: Layout,
    jobs: Vec<JobView>,
}

/// Bulk operation results.
pub async fn results_page(admin: Admin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let jobs = bulk_jobs::jobs(&state, &admin.as_admin()).await?;
    render(&ResultsPage {
        layout: Layout::signed_in("Bulk operation results", &admin, Section::Users),
        jobs: jobs.into_iter().map(JobView::from).collect(),
    })
}

#[derive(Template)]
#[template(path = "admin/bulk_job.html")]
struct JobPage {
    layout: Layout,
    job: JobView,
}

/// One job: its progress (refreshed by a script, or by Refresh), then its
/// results file.
pub async fn job_page(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let job = bulk_jobs::job(&state, &admin.as_admin(), &path).await?;
    render(&JobPage {
        layout: Layout::signed_in("Bulk invite users", &admin, Section::Users),
        job: job.into(),
    })
}

/// The job's progress as JSON, for the page's script.
pub async fn job_progress(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let job: JobView = bulk_jobs::job(&state, &admin.as_admin(), &path).await?.into();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "status": job.status,
            "done": job.done,
            "succeeded": job.succeeded,
            "failed": job.failed,
            "total": job.total,
            "percent": job.percent,
            "finished": job.finished,
        })))
}

/// The results file: row, email, status, reason, in the file's order.
pub async fn results_csv(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let job = bulk_jobs::job(&state, &admin.as_admin(), &path).await?;
    Ok(csv_response(
        state.db.clone(),
        ResultsExport {
            state: state.clone(),
            job_id: job.id,
            after: -1,
        },
        "BulkInviteResults.csv",
    ))
}

struct ResultsExport {
    state: web::Data<AppState>,
    job_id: String,
    after: i64,
}

impl LogExport for ResultsExport {
    type Row = JobRow;
    const HEADER: &'static [&'static str] = &["row", "email", "status", "reason"];
    const NAME: &'static str = "bulk invite results";

    async fn next_rows(&mut self, _db: &Db, limit: i64) -> sqlx::Result<Vec<JobRow>> {
        let rows = bulk_jobs::results_after(&self.state, &self.job_id, self.after, limit).await?;
        if let Some(last) = rows.last() {
            self.after = last.row_index;
        }
        Ok(rows)
    }

    fn write_row(out: &mut String, row: &JobRow) {
        let number = row.row_number.to_string();
        crate::format::rfc4180::write_record(out, [number.as_str(), &row.email, &row.status, &row.reason]);
    }
}
