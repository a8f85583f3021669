//! Audit logs: filters (activity, initiator, target, date range), newest
//! first, paged by key on `(occurred_at, id)`. The CSV export with the same
//! filters lives in `audit_export`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::services::FieldErrors;
use crate::store::audit::{self, AuditQuery, TargetFilter};
use crate::web::error::{AppError, urlencode};
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ReadAuditLogs;
use crate::web::layout::{Layout, Section, render_with};

const PAGE_SIZE: i64 = 100;

/// The filter form as submitted (GET), plus the paging key.
#[derive(Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    activity: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before_at: Option<String>,
    before_id: Option<String>,
}

/// The filters as entered (for the form and links) and as a store query.
pub(super) struct Filters {
    pub activity: String,
    pub actor: String,
    pub target: String,
    pub from: String,
    pub to: String,
    pub query: AuditQuery,
    pub errors: FieldErrors,
}

impl Filters {
    pub(super) fn parse(params: &AuditParams) -> Self {
        let field = |s: &str| s.trim().chars().take(256).collect::<String>();
        let (activity, actor, target) = (field(&params.activity), field(&params.actor), field(&params.target));
        let (from, to) = (field(&params.from), field(&params.to));
        let mut errors = FieldErrors::default();
        let from_day = (!from.is_empty())
            .then(|| errors.check("from", parse_day(&from)))
            .flatten();
        let to_day = (!to.is_empty()).then(|| errors.check("to", parse_day(&to))).flatten();
        if let (Some(f), Some(t)) = (from_day, to_day)
            && t < f
        {
            errors.add("to", "The To date is before the From date.");
        }
        let target_filter = match uuid::Uuid::try_parse(&target) {
            Ok(id) => Some(TargetFilter::Id(id.hyphenated().to_string())),
            Err(_) if target.is_empty() => None,
            Err(_) => Some(TargetFilter::NamePrefix(target.to_lowercase())),
        };
        let before = params
            .before_at
            .as_deref()
            .and_then(|at| at.parse::<i64>().ok())
            .zip(params.before_id.clone().filter(|id| !id.is_empty() && id.len() <= 64));
        let query = AuditQuery {
            activity: Some(activity.clone()).filter(|a| !a.is_empty()),
            actor_prefix: Some(actor.to_lowercase()).filter(|a| !a.is_empty()),
            target: target_filter,
            from: from_day.map(start_of_day),
            until: to_day.and_then(|d| d.next_day()).map(start_of_day),
            before,
        };
        Self {
            activity,
            actor,
            target,
            from,
            to,
            query,
            errors,
        }
    }

    /// The filters as a query string, for Next page and Export CSV.
    pub(super) fn query_string(&self) -> String {
        format!(
            "activity={}&actor={}&target={}&from={}&to={}",
            urlencode(&self.activity),
            urlencode(&self.actor),
            urlencode(&self.target),
            urlencode(&self.from),
            urlencode(&self.to)
        )
    }
}

/// "2026-03-01" (what `<input type="date">` sends) → that UTC day.
pub(super) fn parse_day(s: &str) -> Result<time::Date, String> {
    let message = || "Enter a date as YYYY-MM-DD, for example 2026-03-01.".to_owned();
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(message());
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(message());
    }
    let month = m
        .parse::<u8>()
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(message)?;
    let year = y.parse::<i32>().map_err(|_| message())?;
    let day = d.parse::<u8>().map_err(|_| message())?;
    time::Date::from_calendar_date(year, month, day).map_err(|_| "That day does not exist.".to_owned())
}

pub(super) fn start_of_day(day: time::Date) -> i64 {
    day.midnight().assume_utc().unix_timestamp()
}

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
    activities: Vec<String>,
    activity: String,
    actor: String,
    target: String,
    from: String,
    to: String,
    errors: FieldErrors,
    next_href: Option<String>,
    first_href: String,
    export_href: String,
    is_later_page: bool,
}

pub async fn audit_logs(
    admin: Authorized<ReadAuditLogs>,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, AppError> {
    let filters = Filters::parse(&params);
    render_audit_page(&admin, &state, filters).await
}

/// The page for `filters`: the entries, or the form again with 422 and the
/// messages when a date is wrong.
pub(super) async fn render_audit_page(
    admin: &Authorized<ReadAuditLogs>,
    state: &AppState,
    filters: Filters,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let mut activities = audit::activities(&mut conn).await?;
    if !filters.activity.is_empty() && !activities.contains(&filters.activity) {
        activities.push(filters.activity.clone());
    }
    let valid = filters.errors.is_empty();
    let mut rows = if valid {
        audit::list(&mut conn, &filters.query, PAGE_SIZE + 1).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let query_string = filters.query_string();
    let next_href = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/admin/audit?{query_string}&before_at={}&before_id={}",
            last.occurred_at,
            urlencode(&last.id)
        )),
        _ => None,
    };
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
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_with(
        &AuditPage {
            layout: Layout::signed_in("Audit logs", admin, Section::Audit),
            entries,
            activities,
            activity: filters.activity,
            actor: filters.actor,
            target: filters.target,
            from: filters.from,
            to: filters.to,
            errors: filters.errors,
            next_href,
            first_href: format!("/admin/audit?{query_string}"),
            export_href: format!("/admin/audit/export.csv?{query_string}"),
            is_later_page: filters.query.before.is_some(),
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_parsed_strictly() {
        assert_eq!(
            start_of_day(parse_day("2026-03-01").unwrap()),
            time::macros::datetime!(2026-03-01 0:00 UTC).unix_timestamp()
        );
        for bad in [
            "2026-3-1",
            "01/03/2026",
            "2026-13-01",
            "tomorrow",
            "",
            "2026-03-01x",
            "+2026-03-01",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_day("2026-02-30").unwrap_err(), "That day does not exist.");
    }

    #[test]
    fn the_to_day_is_inclusive_and_ids_are_targets() {
        let f = Filters::parse(&AuditParams {
            from: "2026-03-01".into(),
            to: "2026-03-01".into(),
            target: "0190A3F4-7C2B-7D4E-8F00-123456789ABC".into(),
            ..Default::default()
        });
        assert!(f.errors.is_empty());
        assert_eq!(f.query.until.unwrap() - f.query.from.unwrap(), 86_400);
        assert_eq!(
            f.query.target,
            Some(TargetFilter::Id("0190a3f4-7c2b-7d4e-8f00-123456789abc".into()))
        );
        let f = Filters::parse(&AuditParams {
            from: "2026-03-02".into(),
            to: "2026-03-01".into(),
            target: "Grace".into(),
            ..Default::default()
        });
        assert!(f.errors.get("to").is_some());
        assert_eq!(f.query.target, Some(TargetFilter::NamePrefix("grace".into())));
    }
}
