//! Audit logs: the newest entries. Filters and export come later.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::clock::format_time;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;
use crate::web::layout::{Layout, Section, render};
use crate::web::state::AppState;

struct AuditLine {
    when: String,
    activity: String,
    category: String,
    actor: String,
    target: String,
    details: String,
    result: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditLine>,
}

pub async fn audit_logs(
    admin: Authorized<ReadAuditLogs>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let rows = crate::store::audit::recent(&mut conn, 200).await?;
    let entries = rows
        .into_iter()
        .map(|r| AuditLine {
            when: format_time(r.occurred_at),
            activity: r.activity,
            category: r.category,
            actor: r.actor_name.unwrap_or_default(),
            target: r.target_name.or(r.target_id).unwrap_or_default(),
            details: r.details.unwrap_or_default(),
            result: r.result,
        })
        .collect();
    render(&AuditPage {
        layout: Layout::signed_in("Audit logs", &admin, Section::Audit),
        entries,
    })
}
