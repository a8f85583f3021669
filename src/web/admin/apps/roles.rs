//! An application's Roles tab: the list with Add a role, Edit, and
//! Disable / Enable. Default Access can be edited but never disabled.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{keep, load_app};
use crate::app::AppState;
use crate::services::applications::{self as app_service, RoleInput};
use crate::services::{FieldErrors, ServiceError};
use crate::store::applications::{AppRole, Application};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::ManageApps;
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

#[derive(Template)]
#[template(path = "admin/app_roles.html")]
struct RolesPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    roles: Vec<AppRole>,
    display_name: String,
    description: String,
    value: String,
    errors: FieldErrors,
}

async fn load_roles(state: &AppState, app_id: &str) -> Result<Vec<AppRole>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(crate::store::applications::roles(&mut conn, app_id).await?)
}

pub async fn roles_page(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = load_app(&state, &id).await?;
    let roles = load_roles(&state, &app.id).await?;
    render(&RolesPage {
        layout: Layout::signed_in(&format!("{} · Roles", app.display_name), &admin, Section::Apps),
        app,
        tab: "roles",
        roles,
        display_name: String::new(),
        description: String::new(),
        value: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    value: String,
    enabled: Option<String>,
}

impl RoleForm {
    fn input(&self, enabled: bool) -> RoleInput {
        RoleInput {
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            value: self.value.clone(),
            enabled,
        }
    }
}

pub async fn add_role(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let added = app_service::add_role(&state, &admin.as_admin(), &id, &form.input(true)).await;
    match added {
        Ok(role) => {
            admin
                .session
                .flash(FlashKind::Success, format!("The role {} was added.", role.display_name));
            Ok(see_other(&format!("/admin/apps/{id}/roles")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let app = load_app(&state, &id).await?;
            let roles = load_roles(&state, &app.id).await?;
            render_with(
                &RolesPage {
                    layout: Layout::signed_in(&format!("{} · Roles", app.display_name), &admin, Section::Apps),
                    app,
                    tab: "roles",
                    roles,
                    display_name: keep(&form.display_name, 120),
                    description: keep(&form.description, 300),
                    value: keep(&form.value, 140),
                    errors,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_role_edit.html")]
struct EditRolePage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    role: AppRole,
    display_name: String,
    description: String,
    value: String,
    enabled: bool,
    errors: FieldErrors,
}

async fn load_role(state: &AppState, app_id: &str, role_id: &str) -> Result<(Application, AppRole), AppError> {
    let app = load_app(state, app_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let role = crate::store::applications::find_role(&mut conn, role_id)
        .await?
        .filter(|r| r.app_id == app.id)
        .ok_or(AppError::NotFound)?;
    Ok((app, role))
}

fn edit_page(
    admin: &CurrentUser,
    app: Application,
    role: AppRole,
    form: Option<(&RoleForm, bool)>,
    errors: FieldErrors,
) -> EditRolePage {
    let (display_name, description, value, enabled) = match form {
        Some((f, enabled)) => (
            keep(&f.display_name, 120),
            keep(&f.description, 300),
            keep(&f.value, 140),
            enabled,
        ),
        None => (
            role.display_name.clone(),
            role.description.clone().unwrap_or_default(),
            role.value.clone().unwrap_or_default(),
            role.enabled,
        ),
    };
    EditRolePage {
        layout: Layout::signed_in("Edit app role", admin, Section::Apps),
        app,
        tab: "roles",
        role,
        display_name,
        description,
        value,
        enabled,
        errors,
    }
}

pub async fn edit_role_form(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (app, role) = load_role(&state, &path.0, &path.1).await?;
    render(&edit_page(&admin, app, role, None, FieldErrors::default()))
}

pub async fn save_role(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let enabled = form.enabled.is_some();
    let (app, role) = load_role(&state, &path.0, &path.1).await?;
    let saved = app_service::update_role(&state, &admin.as_admin(), &app.id, &role.id, &form.input(enabled)).await;
    match saved {
        Ok(role) => {
            admin
                .session
                .flash(FlashKind::Success, format!("The role {} was saved.", role.display_name));
            Ok(see_other(&format!("/admin/apps/{}/roles", app.id)))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &edit_page(&admin, app, role, Some((&form, enabled)), errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

/// Disable or Enable from the list; a refusal shows on the role's edit page.
pub async fn set_role_enabled(
    admin: Authorized<ManageApps>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<EnabledForm>,
) -> Result<HttpResponse, AppError> {
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose Enable or Disable.".into())),
    };
    let (_, role) = load_role(&state, &path.0, &path.1).await?;
    let saved = app_service::set_role_enabled(&state, &admin.as_admin(), &path.0, &role.id, enabled).await;
    match saved {
        Ok(role) => {
            let verb = if role.enabled { "enabled" } else { "disabled" };
            admin.session.flash(
                FlashKind::Success,
                format!("The role {} was {verb}.", role.display_name),
            );
            Ok(see_other(&format!("/admin/apps/{}/roles", path.0)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let (app, role) = load_role(&state, &path.0, &path.1).await?;
            let form = RoleForm {
                display_name: role.display_name.clone(),
                description: role.description.clone().unwrap_or_default(),
                value: role.value.clone().unwrap_or_default(),
                enabled: enabled.then(String::new),
            };
            render_with(
                &edit_page(&admin, app, role, Some((&form, enabled)), errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}
