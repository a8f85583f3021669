//! Export CSV: the audit log with the page's filters, as RFC 4180 text
//! streamed a page of rows at a time, so a large range neither waits for
//! the whole result nor holds it in memory (nor a pooled connection between
//! pages). Cells a spreadsheet would read as a formula are neutralised.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::stream;

use crate::app::AppState;
use crate::format::rfc4180::write_record;
use crate::store::Db;
use crate::store::audit::{self, AuditQuery, AuditRow};
use crate::web::admin::audit::{AuditParams, Filters, render_audit_page};
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;

/// Rows read by key and sent as one body chunk.
const CHUNK_ROWS: i64 = 1_000;

const HEADER: [&str; 11] = [
    "Date (UTC)",
    "Id",
    "Activity",
    "Category",
    "Result",
    "Initiated by",
    "Initiated by ID",
    "IP address",
    "Target",
    "Target ID",
    "Details",
];

pub async fn export_audit_csv(
    admin: Authorized<ReadAuditLogs>,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, AppError> {
    let filters = Filters::parse(&params);
    if !filters.errors.is_empty() {
        return render_audit_page(&admin, &state, filters).await;
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
                tracing::error!(error = %e, "audit log export stopped");
                Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

struct Cursor {
    db: Db,
    query: AuditQuery,
    started: bool,
}

impl Cursor {
    /// The next chunk (the header row comes with the first) and whether
    /// more may follow; `None` when nothing is left to send.
    async fn next_chunk(&mut self) -> Result<Option<(Bytes, bool)>, sqlx::Error> {
        let rows = {
            let mut conn = self.db.pool().acquire().await?;
            audit::list(&mut conn, &self.query, CHUNK_ROWS).await?
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

fn write_row(out: &mut String, r: &AuditRow) {
    let when = time::OffsetDateTime::from_unix_timestamp(r.occurred_at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    write_record(
        out,
        [
            when.as_str(),
            &r.id,
            &r.activity,
            &r.category,
            &r.result,
            opt(&r.actor_name),
            opt(&r.actor_id),
            opt(&r.client_ip),
            opt(&r.target_name),
            opt(&r.target_id),
            opt(&r.details),
        ],
    );
}
