//! Export CSV of the sign-in log with the page's filters: its columns and
//! rows; `log_export.rs` streams them, neutralising cells a spreadsheet
//! would read as a formula (a user name typed at sign-in is anyone's text).

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::format::rfc4180::write_record;
use crate::store::Db;
use crate::store::sign_in_log::{self, SignInQuery, SignInRow};
use crate::web::admin::log_export::{LogExport, csv_response, opt, rfc3339};
use crate::web::admin::sign_in_logs::{Filters, SignInLogParams, application, render_sign_in_logs};
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;

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
    Ok(csv_response(
        state.db.clone(),
        SignInLogExport(query),
        "sign-in-logs.csv",
    ))
}

/// The sign-in log by key, newest first.
struct SignInLogExport(SignInQuery);

impl LogExport for SignInLogExport {
    type Row = SignInRow;
    const HEADER: &'static [&'static str] = &HEADER;
    const NAME: &'static str = "sign-in log";

    async fn next_rows(&mut self, db: &Db, limit: i64) -> sqlx::Result<Vec<SignInRow>> {
        let rows = {
            let mut conn = db.pool().acquire().await?;
            sign_in_log::list(&mut conn, &self.0, limit).await?
        };
        if let Some(last) = rows.last() {
            self.0.before = Some((last.occurred_at, last.id.clone()));
        }
        Ok(rows)
    }

    fn write_row(out: &mut String, row: &SignInRow) {
        write_row(out, row);
    }
}

fn write_row(out: &mut String, r: &SignInRow) {
    let when = rfc3339(r.occurred_at);
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
