//! Export CSV of the audit log with the page's filters: its columns and
//! rows; `log_export.rs` streams them.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::format::rfc4180::write_record;
use crate::store::Db;
use crate::store::audit::{self, AuditQuery, AuditRow};
use crate::web::admin::audit::{AuditParams, Filters, render_audit_page};
use crate::web::admin::log_export::{LogExport, csv_response, opt, rfc3339};
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;

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
    Ok(csv_response(state.db.clone(), AuditExport(query), "audit-log.csv"))
}

/// The audit log by key, newest first.
struct AuditExport(AuditQuery);

impl LogExport for AuditExport {
    type Row = AuditRow;
    const HEADER: &'static [&'static str] = &HEADER;
    const NAME: &'static str = "audit log";

    async fn next_rows(&mut self, db: &Db, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
        let rows = {
            let mut conn = db.pool().acquire().await?;
            audit::list(&mut conn, &self.0, limit).await?
        };
        if let Some(last) = rows.last() {
            self.0.before = Some((last.occurred_at, last.id.clone()));
        }
        Ok(rows)
    }

    fn write_row(out: &mut String, row: &AuditRow) {
        write_row(out, row);
    }
}

fn write_row(out: &mut String, r: &AuditRow) {
    let when = rfc3339(r.occurred_at);
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
