//! Deleted users: the soft-deleted users with the days left before the
//! purge, Restore user and Delete permanently (each confirmed on a page of
//! its own: GET shows, POST acts).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::UserType;
use crate::domain::user_action::{Target, UserAction, may_act_on};
use crate::services::ServiceError;
use crate::services::deleted_users as service;
use crate::store::users::User;
use crate::web::csrf::CsrfForm;
use crate::web::error::{AppError, urlencode};
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::DeleteUsers;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

const PAGE_SIZE: i64 = 100;
const DAY: i64 = 86_400;

struct Row {
    id: String,
    display_name: String,
    address: String,
    user_type: String,
    deleted_on: String,
    days_left: i64,
    can_restore: bool,
    can_delete_permanently: bool,
}

#[derive(Template)]
#[template(path = "admin/deleted_users.html")]
struct DeletedUsersPage {
    layout: Layout,
    rows: Vec<Row>,
    search: String,
    retention_days: u32,
    next_href: Option<String>,
    first_href: String,
    is_later_page: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    search: String,
    after_time: Option<i64>,
    after_id: Option<String>,
}

/// Whole days until the purge, counting a started day as a day.
fn days_left(deleted_at: i64, retention_days: u32, now: i64) -> i64 {
    let remaining = deleted_at + i64::from(retention_days) * DAY - now;
    if remaining <= 0 { 0 } else { (remaining + DAY - 1) / DAY }
}

pub async fn deleted_users(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    params: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let search: String = params.search.trim().chars().take(254).collect();
    let after = params.after_time.zip(params.after_id.as_deref());
    let mut conn = state.db.pool().acquire().await?;
    let mut rows = crate::store::deleted_users::list(
        &mut conn,
        Some(search.as_str()).filter(|s| !s.is_empty()),
        after,
        PAGE_SIZE + 1,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let held = crate::store::roles::roles_of_users(&mut conn, &ids).await?;
    drop(conn);
    let first_href = format!("/admin/users/deleted?search={}", urlencode(&search));
    let next_href = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "{first_href}&after_time={}&after_id={}",
            last.deleted_at,
            urlencode(&last.id)
        )),
        _ => None,
    };
    let retention_days = state.settings.purge_after_days;
    let now = state.clock.now();
    let rows = rows
        .into_iter()
        .map(|r| {
            let target = Target {
                roles: held.get(&r.id).map(Vec::as_slice).unwrap_or_default(),
                user_type: UserType::parse(&r.user_type).unwrap_or(UserType::Guest),
            };
            let may = |action| may_act_on(&admin.roles, action, target).is_ok();
            Row {
                can_restore: may(UserAction::Restore),
                can_delete_permanently: may(UserAction::DeletePermanently),
                days_left: days_left(r.deleted_at, retention_days, now),
                deleted_on: format_time(r.deleted_at),
                address: r.mail.unwrap_or(r.user_principal_name),
                id: r.id,
                display_name: r.display_name,
                user_type: r.user_type,
            }
        })
        .collect();
    render(&DeletedUsersPage {
        layout: Layout::signed_in("Deleted users", &admin, Section::Users),
        rows,
        search,
        retention_days,
        next_href,
        first_href,
        is_later_page: after.is_some(),
    })
}

/// The deleted user behind a confirmation page, if this admin may do
/// `action` to them.
async fn load_deleted(
    state: &AppState,
    admin: &Authorized<DeleteUsers>,
    action: UserAction,
    id: &str,
) -> Result<User, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let user = crate::store::users::find_deleted(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let roles = crate::store::roles::roles_of(&mut conn, id).await?;
    admin.check_reach(action, &user, &roles)?;
    Ok(user)
}

#[derive(Template)]
#[template(path = "admin/deleted_user_restore.html")]
struct RestorePage {
    layout: Layout,
    user_id: String,
    display_name: String,
    address: String,
    error: Option<String>,
}

impl RestorePage {
    fn new(admin: &Authorized<DeleteUsers>, user: User, error: Option<String>) -> Self {
        Self {
            layout: Layout::signed_in("Restore user", admin, Section::Users),
            address: user.mail.unwrap_or(user.user_principal_name),
            user_id: user.id,
            display_name: user.display_name,
            error,
        }
    }
}

pub async fn restore_form(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = load_deleted(&state, &admin, UserAction::Restore, &id).await?;
    render(&RestorePage::new(&admin, user, None))
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn restore_user(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    match service::restore_user(&state, &admin.as_admin(), &id).await {
        Ok(user) => {
            admin
                .session
                .flash(FlashKind::Success, format!("{} was restored.", user.display_name));
            Ok(see_other("/admin/users/deleted"))
        }
        Err(ServiceError::Refused(message)) => {
            let user = load_deleted(&state, &admin, UserAction::Restore, &id).await?;
            render_with(
                &RestorePage::new(&admin, user, Some(message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/deleted_user_purge.html")]
struct DeletePermanentlyPage {
    layout: Layout,
    user_id: String,
    display_name: String,
    address: String,
}

pub async fn delete_permanently_form(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = load_deleted(&state, &admin, UserAction::DeletePermanently, &id).await?;
    render(&DeletePermanentlyPage {
        layout: Layout::signed_in("Delete permanently", &admin, Section::Users),
        address: user.mail.unwrap_or(user.user_principal_name),
        user_id: user.id,
        display_name: user.display_name,
    })
}

pub async fn delete_permanently(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user = service::delete_permanently(&state, &admin.as_admin(), &id).await?;
    admin.session.flash(
        FlashKind::Success,
        format!("{} was deleted permanently.", user.display_name),
    );
    Ok(see_other("/admin/users/deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_counts_a_started_day_and_stops_at_zero() {
        let deleted = 1_000_000;
        assert_eq!(days_left(deleted, 30, deleted), 30);
        assert_eq!(days_left(deleted, 30, deleted + 10 * DAY + 5), 20);
        assert_eq!(days_left(deleted, 30, deleted + 30 * DAY - 1), 1);
        assert_eq!(days_left(deleted, 30, deleted + 30 * DAY), 0);
        assert_eq!(days_left(deleted, 30, deleted + 90 * DAY), 0);
    }
}
