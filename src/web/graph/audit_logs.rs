//! `GET /v1.0/auditLogs/directoryAudits` and `GET /v1.0/auditLogs/signIns`:
//! the portal's audit and sign-in logs in Graph's `directoryAudit` and
//! `signIn` shapes, newest first, paged by key on `(occurred_at, id)` as
//! the portal's own pages are. An entry made through the API names the
//! application as its initiator (`initiatedBy.app`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::listing::{self, open_cursor, query_error};
use super::odata::{self, QueryOptions};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::AuditLogReadAll;
use crate::domain::graph_query::CompareOp;
use crate::domain::graph_query::clauses::{Clause, Literal, parse_conjunction};
use crate::store;
use crate::store::audit::{AuditQuery, AuditRow};
use crate::store::sign_in_log::{SignInQuery, SignInRow};

/// What the sign-in log calls the portal itself.
const PORTAL_NAME: &str = "Vestibule portal";

/// A time window in whole seconds: from (inclusive), until (exclusive).
#[derive(Default)]
struct Window {
    from: Option<i64>,
    until: Option<i64>,
}

impl Window {
    /// Narrows the window by `property op time`; stored times are whole
    /// seconds, so a bound with a fraction rounds to the seconds it admits.
    fn narrow(&mut self, op: CompareOp, at: time::OffsetDateTime) -> bool {
        let floor = at.unix_timestamp();
        let ceil = floor + i64::from(at.nanosecond() > 0);
        let (from, until) = match op {
            CompareOp::Ge => (Some(ceil), None),
            CompareOp::Gt => (Some(floor + 1), None),
            CompareOp::Le => (None, Some(floor + 1)),
            CompareOp::Lt => (None, Some(ceil)),
            CompareOp::Eq | CompareOp::Ne => return false,
        };
        self.from = self.from.max(from);
        self.until = match (self.until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        true
    }
}

/// `$filter` on the logs: `{time} ge|gt|le|lt <DateTimeOffset>` clauses,
/// and on the audit log one `activityDisplayName eq '…'`, joined by `and`.
fn log_filter(
    text: Option<&str>,
    time_property: &str,
    resource: &str,
    activity: Option<&mut Option<String>>,
) -> Result<Window, GraphError> {
    let mut window = Window::default();
    let Some(text) = text else { return Ok(window) };
    let mut activity = activity;
    for clause in parse_conjunction(text).map_err(query_error)? {
        let name = clause.property();
        let taken = match (&clause, activity.as_deref_mut()) {
            (
                Clause::Compare {
                    op,
                    value: Literal::DateTime(at),
                    ..
                },
                _,
            ) if name.eq_ignore_ascii_case(time_property) => window.narrow(*op, *at),
            (
                Clause::Compare {
                    op: CompareOp::Eq,
                    value: Literal::Text(v),
                    ..
                },
                Some(slot),
            ) if name.eq_ignore_ascii_case("activityDisplayName") && slot.is_none() => {
                *slot = Some(v.clone());
                true
            }
            _ => false,
        };
        if !taken {
            return Err(query_error(clause.refuse(resource)));
        }
    }
    Ok(window)
}

/// The cursor of a log page: `(occurred_at, id)` of its last entry.
fn log_cursor(
    state: &AppState,
    req: &HttpRequest,
    options: &QueryOptions,
) -> Result<Option<(i64, String)>, GraphError> {
    match open_cursor::<2>(state, req.path(), options)? {
        None => Ok(None),
        Some([at, id]) => at
            .parse()
            .map(|at| Some((at, id)))
            .map_err(|_| GraphError::bad_request("The $skiptoken is not valid for this request.")),
    }
}

/// Graph's `targetResources[].type` for what an entry was about.
fn target_type(row: &AuditRow) -> &'static str {
    let activity = row.activity.to_ascii_lowercase();
    match row.category.as_str() {
        _ if activity.ends_with(" user") => "User",
        _ if activity.ends_with(" group") => "Group",
        "UserManagement" | "RoleManagement" | "Invitations" if row.target_id.is_some() => "User",
        "GroupManagement" => "Group",
        "ApplicationManagement" => "ServicePrincipal",
        _ => "Other",
    }
}

fn audit_json(row: &AuditRow, apps: &[(String, Option<String>)]) -> Value {
    let app = row
        .actor_id
        .as_ref()
        .and_then(|id| apps.iter().find(|(app_id, _)| app_id == id));
    let initiated_by = match (&row.actor_id, app) {
        (Some(id), Some((_, client_id))) => json!({
            "app": {"appId": client_id, "displayName": row.actor_name, "servicePrincipalId": id, "servicePrincipalName": null},
            "user": null,
        }),
        (Some(id), None) => json!({
            "app": null,
            "user": {"id": id, "displayName": null, "userPrincipalName": row.actor_name, "ipAddress": row.client_ip},
        }),
        // The portal itself: its first start, the command line.
        (None, _) => json!({
            "app": {"appId": null, "displayName": row.actor_name, "servicePrincipalId": null, "servicePrincipalName": null},
            "user": null,
        }),
    };
    let targets: Vec<Value> = if row.target_id.is_some() || row.target_name.is_some() {
        vec![json!({
            "id": row.target_id,
            "displayName": row.target_name,
            "type": target_type(row),
            "userPrincipalName": (target_type(row) == "User").then_some(&row.target_name),
            "modifiedProperties": [],
        })]
    } else {
        Vec::new()
    };
    let details: Vec<Value> = row
        .details
        .iter()
        .map(|d| json!({"key": "details", "value": d}))
        .collect();
    let operation = match row.activity.split(' ').next().unwrap_or("") {
        w @ ("Add" | "Update" | "Delete" | "Remove" | "Restore" | "Assign") => w,
        _ => "Other",
    };
    json!({
        "id": row.id,
        "category": row.category,
        "correlationId": null,
        "result": row.result,
        "resultReason": "",
        "activityDisplayName": row.activity,
        "activityDateTime": odata::timestamp(row.occurred_at),
        "loggedByService": "Core Directory",
        "operationType": operation,
        "initiatedBy": initiated_by,
        "targetResources": targets,
        "additionalDetails": details,
    })
}

pub async fn directory_audits(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[AuditLogReadAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["filter", "top", "skiptoken"])?;
    let mut activity = None;
    let window = log_filter(
        options.filter.as_deref(),
        "activityDateTime",
        "directoryAudit",
        Some(&mut activity),
    )?;
    let top = options.top()?;
    let query = AuditQuery {
        activity,
        from: window.from,
        until: window.until,
        before: log_cursor(&state, &req, &options)?,
        ..AuditQuery::default()
    };
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::audit::list(&mut conn, &query, top as i64 + 1).await?;
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |r| {
        vec![r.occurred_at.to_string(), r.id.clone()]
    });
    let mut actors: Vec<&str> = rows.iter().filter_map(|r| r.actor_id.as_deref()).collect();
    actors.sort_unstable();
    actors.dedup();
    let apps = store::graph_directory::client_ids(&mut conn, &actors).await?;
    drop(conn);
    let values = rows.iter().map(|r| audit_json(r, &apps)).collect();
    let context = odata::context(&state, "auditLogs/directoryAudits");
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context, None, values, next),
    ))
}

fn sign_in_json(row: &SignInRow, apps: &[(String, Option<String>)]) -> Value {
    let client_id = row
        .app_id
        .as_ref()
        .and_then(|id| apps.iter().find(|(app_id, _)| app_id == id))
        .and_then(|(_, client_id)| client_id.clone());
    let error_code: Option<i64> = match (row.status.as_str(), &row.error_code) {
        ("Success", _) => Some(0),
        (_, Some(code)) => code.parse().ok(),
        (_, None) => None,
    };
    json!({
        "id": row.id,
        "createdDateTime": odata::timestamp(row.occurred_at),
        "userDisplayName": row.user_name,
        "userPrincipalName": row.user_name,
        "userId": row.user_id,
        "appId": client_id,
        "appDisplayName": if row.app_id.is_some() { row.app_name.as_deref() } else { Some(PORTAL_NAME) },
        "ipAddress": row.client_ip,
        "clientAppUsed": "Browser",
        "isInteractive": true,
        "resourceDisplayName": null,
        "status": {
            "errorCode": error_code,
            "failureReason": row.failure_reason,
            "additionalDetails": null,
        },
    })
}

pub async fn sign_ins(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[AuditLogReadAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["filter", "top", "skiptoken"])?;
    let window = log_filter(options.filter.as_deref(), "createdDateTime", "signIn", None)?;
    let top = options.top()?;
    let query = SignInQuery {
        from: window.from,
        until: window.until,
        before: log_cursor(&state, &req, &options)?,
        ..SignInQuery::default()
    };
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::sign_in_log::list(&mut conn, &query, top as i64 + 1).await?;
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |r| {
        vec![r.occurred_at.to_string(), r.id.clone()]
    });
    let mut app_ids: Vec<&str> = rows.iter().filter_map(|r| r.app_id.as_deref()).collect();
    app_ids.sort_unstable();
    app_ids.dedup();
    let apps = store::graph_directory::client_ids(&mut conn, &app_ids).await?;
    drop(conn);
    let values = rows.iter().map(|r| sign_in_json(r, &apps)).collect();
    let context = odata::context(&state, "auditLogs/signIns");
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context, None, values, next),
    ))
}
