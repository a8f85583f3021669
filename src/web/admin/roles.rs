//! Roles and administrators: give and take directory roles.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::Role;
use crate::services::{ServiceError, roles};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::ManageRoles;
use crate::web::layout::{Layout, Section, render_with, see_other};
use crate::web::session::FlashKind;

struct Holder {
    user_id: String,
    display_name: String,
    user_principal_name: String,
    assigned: String,
}

struct RoleView {
    key: &'static str,
    label: &'static str,
    description: &'static str,
    holders: Vec<Holder>,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<RoleView>,
    error: Option<String>,
    entered_user: String,
    entered_role: String,
}

async fn page(
    state: &AppState,
    admin: &Authorized<ManageRoles>,
    error: Option<String>,
    entered_user: String,
    entered_role: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let holders = crate::store::roles::list_holders(&mut conn).await?;
    let roles = Role::ALL
        .into_iter()
        .map(|role| RoleView {
            key: role.key(),
            label: role.label(),
            description: role.description(),
            holders: holders
                .iter()
                .filter(|h| h.role == role.key())
                .map(|h| Holder {
                    user_id: h.user_id.clone(),
                    display_name: h.display_name.clone(),
                    user_principal_name: h.user_principal_name.clone(),
                    assigned: format_time(h.assigned_at),
                })
                .collect(),
        })
        .collect();
    render_with(
        &RolesPage {
            layout: Layout::signed_in("Roles and administrators", admin, Section::Roles),
            roles,
            error,
            entered_user,
            entered_role,
        },
        status,
    )
}

pub async fn roles_page(admin: Authorized<ManageRoles>, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    page(&state, &admin, None, String::new(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AddRoleForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    role: String,
}

pub async fn add_role(
    admin: Authorized<ManageRoles>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<AddRoleForm>,
) -> Result<HttpResponse, AppError> {
    let entered_user: String = form.user.chars().take(254).collect();
    let refuse = |message: String| {
        page(
            &state,
            &admin,
            Some(message),
            entered_user.clone(),
            form.role.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Some(role) = Role::from_key(&form.role) else {
        return refuse("Choose a role from the list.".into()).await;
    };
    if entered_user.trim().is_empty() {
        return refuse("Enter the email or user principal name of a member.".into()).await;
    }
    match roles::grant(&state, &admin.as_admin(), &entered_user, role).await {
        Ok(()) => {
            admin.session.flash(
                FlashKind::Success,
                format!("{} was given to {}.", role.label(), entered_user.trim()),
            );
            Ok(see_other("/admin/roles"))
        }
        Err(ServiceError::Refused(message)) => refuse(message).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveRoleForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

pub async fn remove_role(
    admin: Authorized<ManageRoles>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RemoveRoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = Role::from_key(&form.role).ok_or_else(|| AppError::BadRequest("Unknown role.".into()))?;
    match roles::revoke(&state, &admin.as_admin(), &form.user_id, role).await {
        Ok(()) => {
            admin
                .session
                .flash(FlashKind::Success, format!("{} was removed.", role.label()));
            Ok(see_other("/admin/roles"))
        }
        Err(ServiceError::Refused(message)) => {
            page(
                &state,
                &admin,
                Some(message),
                String::new(),
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
