//! An application's Users and groups: Add user/group (Add Assignment),
//! Edit (change the role), Remove.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::UserType;
use crate::domain::user_action::UserAction;
use crate::services::ServiceError;
use crate::services::assignments::{self as assignment_service, Principal};
use crate::store::applications::{AppRole, Application};
use crate::web::admin::picker::{Candidate, PickerPage, picked, user_candidates};
use crate::web::admin::users::reachable_ids;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ManageApps;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

type Admin = Authorized<ManageApps>;

async fn load(state: &AppState, id: &str) -> Result<(Application, Vec<AppRole>), AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let app = crate::store::applications::find(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let roles = crate::store::applications::roles(&mut conn, id)
        .await?
        .into_iter()
        .filter(|r| r.enabled)
        .collect();
    Ok((app, roles))
}

struct AssignmentView {
    id: String,
    principal_name: String,
    principal_type: String,
    role_name: String,
    assigned: String,
    can_change: bool,
}

#[derive(Template)]
#[template(path = "admin/app_assignments.html")]
struct AssignmentsPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    assignments: Vec<AssignmentView>,
}

pub async fn users_and_groups(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (app, _) = load(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let rows = crate::store::assignments::for_app(&mut conn, &app.id).await?;
    drop(conn);
    let users: Vec<(&str, UserType)> = rows
        .iter()
        .filter_map(|a| {
            Some((
                a.principal_id.as_str(),
                UserType::parse(a.principal_user_type.as_deref()?)?,
            ))
        })
        .collect();
    let changeable = reachable_ids(&state, &admin, UserAction::ChangeApps, &users).await?;
    let assignments = rows
        .into_iter()
        .map(|a| AssignmentView {
            can_change: a.principal_type == "Group" || changeable.contains(&a.principal_id),
            id: a.id,
            principal_name: a.principal_name,
            principal_type: a.principal_type,
            role_name: a.role_name,
            assigned: format_time(a.created_at),
        })
        .collect();
    render(&AssignmentsPage {
        layout: Layout::signed_in(&app.display_name, &admin, Section::Apps),
        app,
        tab: "assignments",
        assignments,
    })
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    search: String,
}

async fn picker(
    admin: &Admin,
    state: &AppState,
    app: &Application,
    roles: Vec<AppRole>,
    search: &str,
    error: Option<String>,
) -> Result<PickerPage, AppError> {
    let search: String = search.trim().chars().take(254).collect();
    let mut conn = state.db.pool().acquire().await?;
    let mut candidates = user_candidates(&mut conn, &search).await?;
    let groups = crate::store::groups::search(&mut conn, &search, 25).await?;
    candidates.extend(groups.into_iter().map(|g| Candidate {
        value: format!("Group:{}", g.id),
        label: format!(
            "{} (group{})",
            g.display_name,
            g.description.map(|d| format!(": {d}")).unwrap_or_default()
        ),
    }));
    Ok(PickerPage {
        layout: Layout::signed_in("Add Assignment", admin, Section::Apps),
        heading: "Add Assignment".into(),
        intro: format!("Select users or groups, then Select a role of {}.", app.display_name),
        legend: "Users and groups",
        search,
        search_action: format!("/admin/apps/{}/assignments/add", app.id),
        action: format!("/admin/apps/{}/assignments/add", app.id),
        submit_label: "Assign",
        invite_href: format!("/admin/users/invite?app={}", app.id),
        cancel_href: format!("/admin/apps/{}/assignments", app.id),
        candidates,
        roles,
        error,
    })
}

pub async fn add_assignment_form(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let (app, roles) = load(&state, &id).await?;
    render(&picker(&admin, &state, &app, roles, &q.search, None).await?)
}

pub async fn assign(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let mut principals: Vec<Principal> = picked(&pairs, "User")
        .into_iter()
        .map(|i| Principal::User(i.into()))
        .collect();
    principals.extend(picked(&pairs, "Group").into_iter().map(|i| Principal::Group(i.into())));
    let role_id = pairs
        .iter()
        .find(|(k, _)| k == "app_role_id")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match assignment_service::assign(&state, &admin.as_admin(), &id, role_id, &principals).await {
        Ok(n) => {
            let words = if n == 1 {
                "1 assignment was added.".to_owned()
            } else {
                format!("{n} assignments were added.")
            };
            admin.session.flash(FlashKind::Success, words);
            Ok(see_other(&format!("/admin/apps/{id}/assignments")))
        }
        Err(ServiceError::Refused(message)) => {
            let (app, roles) = load(&state, &id).await?;
            render_with(
                &picker(&admin, &state, &app, roles, "", Some(message)).await?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/assignment_edit.html")]
struct EditPage {
    layout: Layout,
    app_id: String,
    app_name: String,
    assignment_id: String,
    principal_name: String,
    current_role: String,
    roles: Vec<AppRole>,
    error: Option<String>,
}

async fn edit_page(
    admin: &Admin,
    state: &AppState,
    app_id: &str,
    assignment_id: &str,
    error: Option<String>,
) -> Result<EditPage, AppError> {
    let (app, roles) = load(state, app_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let assignment = crate::store::assignments::find(&mut conn, assignment_id)
        .await?
        .filter(|a| a.app_id == app.id)
        .ok_or(AppError::NotFound)?;
    if assignment.principal_type == "User" {
        // A deleted user's assignments wait, unchanged, for a restore.
        let user = crate::store::users::find_active(&mut conn, &assignment.principal_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let held = crate::store::roles::roles_of(&mut conn, &user.id).await?;
        admin.check_reach(UserAction::ChangeApps, &user, &held)?;
    }
    Ok(EditPage {
        layout: Layout::signed_in("Edit Assignment", admin, Section::Apps),
        app_id: app.id,
        app_name: app.display_name,
        assignment_id: assignment.id,
        principal_name: assignment.principal_name,
        current_role: assignment.app_role_id,
        roles,
        error,
    })
}

pub async fn edit_form(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (app_id, assignment_id) = path.into_inner();
    render(&edit_page(&admin, &state, &app_id, &assignment_id, None).await?)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    app_role_id: String,
}

pub async fn change_role(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (app_id, assignment_id) = path.into_inner();
    edit_page(&admin, &state, &app_id, &assignment_id, None).await?;
    match assignment_service::change_role(&state, &admin.as_admin(), &assignment_id, &form.app_role_id).await {
        Ok(_) => {
            admin.session.flash(FlashKind::Success, "The assignment was updated.");
            Ok(see_other(&format!("/admin/apps/{app_id}/assignments")))
        }
        Err(ServiceError::Refused(message)) => render_with(
            &edit_page(&admin, &state, &app_id, &assignment_id, Some(message)).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn remove(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (app_id, assignment_id) = path.into_inner();
    edit_page(&admin, &state, &app_id, &assignment_id, None).await?;
    assignment_service::remove(&state, &admin.as_admin(), &assignment_id).await?;
    admin.session.flash(FlashKind::Success, "The assignment was removed.");
    Ok(see_other(&format!("/admin/apps/{app_id}/assignments")))
}
