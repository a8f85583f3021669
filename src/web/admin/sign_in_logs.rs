//! Sign-in logs: every sign-in to the portal or to an application, with
//! filters (user, application, status, date range), newest first, paged by
//! key on `(occurred_at, id)`. The CSV export with the same filters lives
//! in `sign_in_logs_export`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::services::FieldErrors;
use crate::store::sign_in_log::{self, AppFilter, SignInQuery, SignInRow, Status};
use crate::web::admin::audit::{parse_day, start_of_day};
use crate::web::error::{AppError, urlencode};
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;
use crate::web::layout::{Layout, Section, render_with};

const PAGE_SIZE: i64 = 100;

/// The longest text a filter takes.
const MAX_FILTER_CHARS: usize = 256;

/// The Application column for sign-ins to the portal itself, and the
/// filter's value for them.
pub(super) const PORTAL_LABEL: &str = "Vestibule portal";
const PORTAL_VALUE: &str = "portal";

/// The filter form as submitted (GET), plus the paging key.
#[derive(Deserialize, Default)]
pub struct SignInLogParams {
    #[serde(default)]
    user: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before_at: Option<String>,
    before_id: Option<String>,
}

/// The filters as entered (for the form and links) and as a store query.
pub(super) struct Filters {
    pub user: String,
    pub app: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub query: SignInQuery,
    pub errors: FieldErrors,
}

impl Filters {
    pub(super) fn parse(params: &SignInLogParams) -> Self {
        let mut errors = FieldErrors::default();
        let mut field = |name: &'static str, s: &str| {
            let s = s.trim();
            if s.chars().count() > MAX_FILTER_CHARS {
                errors.add(name, format!("Enter at most {MAX_FILTER_CHARS} characters."));
            }
            s.chars().take(MAX_FILTER_CHARS).collect::<String>()
        };
        let user = field("user", &params.user);
        let app = field("app", &params.app);
        let status = field("status", &params.status);
        let from = field("from", &params.from);
        let to = field("to", &params.to);
        let app_filter = match app.as_str() {
            "" => None,
            PORTAL_VALUE => Some(AppFilter::Portal),
            other => match uuid::Uuid::try_parse(other) {
                Ok(id) => Some(AppFilter::Id(id.hyphenated().to_string())),
                Err(_) => {
                    errors.add("app", "Choose an application from the list.");
                    None
                }
            },
        };
        let status_filter = if status.is_empty() {
            None
        } else {
            let parsed = Status::parse(&status).ok_or_else(|| "Choose Success, Failure or All.".to_owned());
            errors.check("status", parsed)
        };
        let from_day = (!from.is_empty())
            .then(|| errors.check("from", parse_day(&from)))
            .flatten();
        let to_day = (!to.is_empty()).then(|| errors.check("to", parse_day(&to))).flatten();
        if let (Some(f), Some(t)) = (from_day, to_day)
            && t < f
        {
            errors.add("to", "The To date is before the From date.");
        }
        let before = params
            .before_at
            .as_deref()
            .and_then(|at| at.parse::<i64>().ok())
            .zip(params.before_id.clone().filter(|id| !id.is_empty() && id.len() <= 64));
        let query = SignInQuery {
            user_prefix: Some(user.to_lowercase()).filter(|u| !u.is_empty()),
            app: app_filter,
            status: status_filter,
            from: from_day.map(start_of_day),
            until: to_day.and_then(|d| d.next_day()).map(start_of_day),
            before,
        };
        Self {
            user,
            app,
            status: status_filter.map(|s| s.as_str().to_owned()).unwrap_or(status),
            from,
            to,
            query,
            errors,
        }
    }

    /// The filters as a query string, for Next page and Export CSV.
    pub(super) fn query_string(&self) -> String {
        format!(
            "user={}&app={}&status={}&from={}&to={}",
            urlencode(&self.user),
            urlencode(&self.app),
            urlencode(&self.status),
            urlencode(&self.from),
            urlencode(&self.to)
        )
    }
}

/// The Application column of a sign-in.
pub(super) fn application(row: &SignInRow) -> &str {
    match (&row.app_id, &row.app_name) {
        (None, _) => PORTAL_LABEL,
        (Some(_), Some(name)) => name,
        (Some(id), None) => id,
    }
}

/// The Failure reason column: "50126: Invalid username or password.", or
/// the reason alone when it has no code.
fn failure_reason(row: &SignInRow) -> String {
    match (row.error_code.as_deref(), row.failure_reason.as_deref()) {
        (Some(code), Some(reason)) => format!("{code}: {reason}"),
        (Some(code), None) => code.to_owned(),
        (None, reason) => reason.unwrap_or_default().to_owned(),
    }
}

struct SignInLine {
    when: String,
    user: String,
    application: String,
    status: String,
    failure_reason: String,
    client_ip: String,
}

/// An option of the Application filter.
struct AppOption {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin/sign_in_logs.html")]
struct SignInLogsPage {
    layout: Layout,
    entries: Vec<SignInLine>,
    apps: Vec<AppOption>,
    user: String,
    app: String,
    status: String,
    from: String,
    to: String,
    errors: FieldErrors,
    next_href: Option<String>,
    first_href: String,
    export_href: String,
    is_later_page: bool,
}

pub async fn sign_in_logs(
    admin: Authorized<ReadAuditLogs>,
    state: web::Data<AppState>,
    params: web::Query<SignInLogParams>,
) -> Result<HttpResponse, AppError> {
    let filters = Filters::parse(&params);
    render_sign_in_logs(&admin, &state, filters).await
}

/// The page for `filters`: the sign-ins, or the form again with 422 and
/// the messages when a filter is wrong.
pub(super) async fn render_sign_in_logs(
    admin: &Authorized<ReadAuditLogs>,
    state: &AppState,
    filters: Filters,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let mut apps: Vec<AppOption> = vec![AppOption {
        value: PORTAL_VALUE.to_owned(),
        label: PORTAL_LABEL.to_owned(),
    }];
    apps.extend(
        crate::store::applications::list(&mut conn)
            .await?
            .into_iter()
            .map(|a| AppOption {
                value: a.id,
                label: a.display_name,
            }),
    );
    if let Some(AppFilter::Id(id)) = &filters.query.app
        && !apps.iter().any(|a| a.value == *id)
    {
        // A deleted application still has its sign-ins.
        apps.push(AppOption {
            value: id.clone(),
            label: format!("Application {id}"),
        });
    }
    let valid = filters.errors.is_empty();
    let mut rows = if valid {
        sign_in_log::list(&mut conn, &filters.query, PAGE_SIZE + 1).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let query_string = filters.query_string();
    let next_href = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/admin/sign-in-logs?{query_string}&before_at={}&before_id={}",
            last.occurred_at,
            urlencode(&last.id)
        )),
        _ => None,
    };
    let entries = rows
        .iter()
        .map(|r| SignInLine {
            when: format_time(r.occurred_at),
            user: r.user_name.clone().or_else(|| r.user_id.clone()).unwrap_or_default(),
            application: application(r).to_owned(),
            status: r.status.clone(),
            failure_reason: failure_reason(r),
            client_ip: r.client_ip.clone().unwrap_or_default(),
        })
        .collect();
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_with(
        &SignInLogsPage {
            layout: Layout::signed_in("Sign-in logs", admin, Section::SignInLogs),
            entries,
            apps,
            user: filters.user,
            app: filters.app,
            status: filters.status,
            from: filters.from,
            to: filters.to,
            errors: filters.errors,
            next_href,
            first_href: format!("/admin/sign-in-logs?{query_string}"),
            export_href: format!("/admin/sign-in-logs/export?{query_string}"),
            is_later_page: filters.query.before.is_some(),
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(params: SignInLogParams) -> Filters {
        Filters::parse(&params)
    }

    #[test]
    fn filters_are_parsed_and_refused_clearly() {
        let f = parse(SignInLogParams {
            user: " Grace ".into(),
            app: "0190A3F4-7C2B-7D4E-8F00-123456789ABC".into(),
            status: "failure".into(),
            from: "2026-03-01".into(),
            to: "2026-03-01".into(),
            ..Default::default()
        });
        assert!(f.errors.is_empty());
        assert_eq!(f.query.user_prefix.as_deref(), Some("grace"));
        assert_eq!(
            f.query.app,
            Some(AppFilter::Id("0190a3f4-7c2b-7d4e-8f00-123456789abc".into()))
        );
        assert_eq!(f.query.status, Some(Status::Failure));
        assert_eq!(f.status, "Failure", "the form shows the status as offered");
        assert_eq!(f.query.until.unwrap() - f.query.from.unwrap(), 86_400);

        let f = parse(SignInLogParams {
            app: "portal".into(),
            ..Default::default()
        });
        assert_eq!(f.query.app, Some(AppFilter::Portal));
        assert!(f.query.status.is_none() && f.query.user_prefix.is_none());

        let f = parse(SignInLogParams {
            user: "x".repeat(257),
            app: "DocuSign".into(),
            status: "Interrupted".into(),
            from: "2026-02-30".into(),
            ..Default::default()
        });
        assert_eq!(f.errors.get("user"), Some("Enter at most 256 characters."));
        assert_eq!(f.errors.get("app"), Some("Choose an application from the list."));
        assert_eq!(f.errors.get("status"), Some("Choose Success, Failure or All."));
        assert_eq!(f.errors.get("from"), Some("That day does not exist."));
        assert_eq!(f.user.chars().count(), 256);
    }

    #[test]
    fn a_bad_paging_key_is_the_first_page() {
        let f = parse(SignInLogParams {
            before_at: Some("x".into()),
            before_id: Some("abc".into()),
            ..Default::default()
        });
        assert!(f.errors.is_empty() && f.query.before.is_none());
    }

    #[test]
    fn failure_reasons_carry_their_code() {
        let row = |code: Option<&str>, reason: Option<&str>, app: Option<&str>| SignInRow {
            id: String::new(),
            occurred_at: 0,
            user_id: None,
            user_name: None,
            app_id: app.map(str::to_owned),
            app_name: app.map(|_| "DocuSign".to_owned()),
            status: "Failure".into(),
            error_code: code.map(str::to_owned),
            failure_reason: reason.map(str::to_owned),
            client_ip: None,
        };
        assert_eq!(
            failure_reason(&row(Some("50126"), Some("Invalid username or password."), None)),
            "50126: Invalid username or password."
        );
        assert_eq!(
            failure_reason(&row(None, Some("Invalid one-time passcode."), None)),
            "Invalid one-time passcode."
        );
        assert_eq!(failure_reason(&row(None, None, None)), "");
        assert_eq!(application(&row(None, None, None)), PORTAL_LABEL);
        assert_eq!(application(&row(None, None, Some("id"))), "DocuSign");
    }
}
