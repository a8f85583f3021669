//! A group's Members: the list, Add members (search, tick, Select) and
//! Remove. Dynamic User groups show their members but refuse changes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::UserType;
use crate::domain::user_action::UserAction;
use crate::services::ServiceError;
use crate::services::groups as group_service;
use crate::store::groups::{Group, MemberRow};
use crate::web::admin::groups::{Admin, SearchQuery, load};
use crate::web::admin::picker::{PickerPage, picked, user_candidates};
use crate::web::admin::users::reachable_ids;
use crate::web::csrf::CsrfForm;
use crate::web::error::{AppError, urlencode};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

#[derive(Template)]
#[template(path = "admin/group_members.html")]
struct MembersPage {
    layout: Layout,
    group: Group,
    members: Vec<MemberView>,
    search: String,
    next_href: Option<String>,
    error: Option<String>,
}

struct MemberView {
    user_id: String,
    display_name: String,
    mail: String,
    user_type: String,
    can_remove: bool,
}

const MEMBERS_PAGE: i64 = 50;

async fn members_page(
    admin: &Admin,
    state: &AppState,
    group: Group,
    q: &SearchQuery,
    error: Option<String>,
) -> Result<MembersPage, AppError> {
    let search: String = q.search.trim().chars().take(254).collect();
    let after = q.after_name.as_deref().zip(q.after_id.as_deref());
    let mut conn = state.db.pool().acquire().await?;
    let mut rows: Vec<MemberRow> =
        crate::store::groups::members(&mut conn, &group.id, Some(&search), after, MEMBERS_PAGE + 1).await?;
    let next_href = if rows.len() as i64 > MEMBERS_PAGE {
        rows.truncate(MEMBERS_PAGE as usize);
        rows.last().map(|last| {
            format!(
                "/admin/groups/{}/members?search={}&after_name={}&after_id={}",
                group.id,
                urlencode(&search),
                urlencode(&last.display_name_lower),
                urlencode(&last.user_id)
            )
        })
    } else {
        None
    };
    drop(conn);
    let users: Vec<(&str, UserType)> = rows
        .iter()
        .map(|m| {
            (
                m.user_id.as_str(),
                UserType::parse(&m.user_type).unwrap_or(UserType::Guest),
            )
        })
        .collect();
    let removable = reachable_ids(state, admin, UserAction::ChangeGroups, &users).await?;
    Ok(MembersPage {
        layout: Layout::signed_in(&group.display_name, admin, Section::Groups),
        members: rows
            .into_iter()
            .map(|m| MemberView {
                can_remove: removable.contains(&m.user_id),
                user_id: m.user_id,
                display_name: m.display_name,
                mail: m.mail.unwrap_or_default(),
                user_type: m.user_type,
            })
            .collect(),
        group,
        search,
        next_href,
        error,
    })
}

pub async fn members(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    render(&members_page(&admin, &state, group, &q, None).await?)
}

pub async fn add_members_form(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let group = load(&state, &id).await?;
    if group.is_dynamic() {
        let error = "This is a Dynamic User group: its members come from its rule, so they cannot be added by hand.";
        let page = members_page(
            &admin,
            &state,
            group,
            &SearchQuery {
                search: String::new(),
                after_name: None,
                after_id: None,
            },
            Some(error.into()),
        )
        .await?;
        return render_with(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    render(&picker(&admin, &state, &group, &q.search, None).await?)
}

async fn picker(
    admin: &Admin,
    state: &AppState,
    group: &Group,
    search: &str,
    error: Option<String>,
) -> Result<PickerPage, AppError> {
    let search: String = search.trim().chars().take(254).collect();
    let mut conn = state.db.pool().acquire().await?;
    let candidates = user_candidates(&mut conn, &search).await?;
    Ok(PickerPage {
        layout: Layout::signed_in("Add members", admin, Section::Groups),
        heading: "Add members".into(),
        intro: format!(
            "Search the directory and select the users to add to {}.",
            group.display_name
        ),
        legend: "Users",
        search,
        search_action: format!("/admin/groups/{}/members/add", group.id),
        action: format!("/admin/groups/{}/members/add", group.id),
        submit_label: "Select",
        invite_href: format!("/admin/users/invite?group={}", group.id),
        cancel_href: format!("/admin/groups/{}/members", group.id),
        candidates,
        roles: Vec::new(),
        error,
    })
}

pub async fn add_members(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let user_ids: Vec<String> = picked(&pairs, "User").into_iter().map(str::to_owned).collect();
    match group_service::add_members(&state, &admin.as_admin(), &id, &user_ids).await {
        Ok(n) => {
            let words = if n == 1 {
                "1 member was added.".to_owned()
            } else {
                format!("{n} members were added.")
            };
            admin.session.flash(FlashKind::Success, words);
            Ok(see_other(&format!("/admin/groups/{id}/members")))
        }
        Err(ServiceError::Refused(message)) => {
            let group = load(&state, &id).await?;
            render_with(
                &picker(&admin, &state, &group, "", Some(message)).await?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    user_id: String,
}

pub async fn remove_member(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    match group_service::remove_member(&state, &admin.as_admin(), &id, &form.user_id).await {
        Ok(()) => {
            admin.session.flash(FlashKind::Success, "The member was removed.");
            Ok(see_other(&format!("/admin/groups/{id}/members")))
        }
        Err(ServiceError::Refused(message)) => {
            let group = load(&state, &id).await?;
            let q = SearchQuery {
                search: String::new(),
                after_name: None,
                after_id: None,
            };
            render_with(
                &members_page(&admin, &state, group, &q, Some(message)).await?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}
