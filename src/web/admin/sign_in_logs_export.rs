//! Export CSV: the sign-in log with the page's filters, as RFC 4180 text
//! streamed a page of rows at a time, like the audit log's export. Cells a
//! spreadsheet would read as a formula (a user name typed at sign-in is
//! anyone's text) are neutralised.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::stream;

use crate::app::AppState;
use crate::format::rfc4180::write_record;
use crate::store::Db;
use crate::store::sign_in_log::{self, SignInQuery, SignInRow};
use crate::web::admin::sign_in_logs::{Filters, SignInLogParams, application, render_sign_in_logs};
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;

/// Rows read by key and sent as one body chunk.
const CHUNK_ROWS: i64 = 1_000;

/// Entra's column names where it has the column.
const HEADER: [&str; 10] = [
    "Date (UTC)",
    "Id",
    "User",
    "User ID",
    "Application",
    "Application ID",
    "Status",
    "Sign-in error code",
    "Failure reason",
    "IP address",
];

pub async fn export_sign_in_logs_csv(
    admin: Authorized<ReadAuditLogs>,
    state: web::Data<AppState>,
    params: web::Query<SignInLogParams>,
) -> Result<HttpResponse, AppError> {
    let filters = Filters::parse(&params);
    if !filters.errors.is_empty() {
        return render_sign_in_logs(&admin, &state, filters).await;
    }
    let mut query = filters.query;
    query.before = None;
    let cursor = Cursor {
        db: state.db.clone(),
        query,
        started: false,
    };
    let body = stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        match cursor.next_chunk().await {
            Ok(Some((bytes, more))) => Some((Ok(bytes), more.then_some(cursor))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "sign-in log export stopped");
                Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"sign-in-logs.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

struct Cursor {
    db: Db,
    query: SignInQuery,
    started: bool,
}

impl Cursor {
    /// The next chunk (the header row comes with the first) and whether
    /// more may follow; `None` when nothing is left to send.
    async fn next_chunk(&mut self) -> Result<Option<(Bytes, bool)>, sqlx::Error> {
        let rows = {
            let mut conn = self.db.pool().acquire().await?;
            sign_in_log::list(&mut conn, &self.query, CHUNK_ROWS).await?
        };
        if rows.is_empty() && self.started {
            return Ok(None);
        }
        let mut out = String::with_capacity(rows.len() * 160 + 128);
        if !self.started {
            write_record(&mut out, HEADER.iter().copied());
            self.started = true;
        }
        for row in &rows {
            write_row(&mut out, row);
        }
        let more = rows.len() as i64 == CHUNK_ROWS;
        if let Some(last) = rows.last() {
            self.query.before = Some((last.occurred_at, last.id.clone()));
        }
        Ok(Some((Bytes::from(out), more)))
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn write_row(out: &mut String, r: &SignInRow) {
    let when = time::OffsetDateTime::from_unix_timestamp(r.occurred_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    write_record(
        out,
        [
            when.as_str(),
            &r.id,
            opt(&r.user_name),
            opt(&r.user_id),
            application(r),
            opt(&r.app_id),
            &r.status,
            opt(&r.error_code),
            opt(&r.failure_reason),
            opt(&r.client_ip),
        ],
    );
}
