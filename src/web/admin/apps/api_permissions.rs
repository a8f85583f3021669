//! An application's API permissions tab: the Graph-named application
//! permissions it asks for, **Add a permission**, **Grant admin consent**
//! (after a confirmation), and, per permission, Revoke admin consent and
//! Remove permission. Global Administrators only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::load_app;
use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::api_permission::ApiPermission;
use crate::services::api_permissions as service;
use crate::services::{FieldErrors, ServiceError};
use crate::store::applications::Application;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::ManageApiPermissions;
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

/// One configured permission as the table shows it.
struct PermissionRow {
    name: &'static str,
    description: &'static str,
    granted: bool,
    granted_on: String,
}

/// A permission that can still be added.
struct Choice {
    name: &'static str,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "admin/app_api_permissions.html")]
struct ApiPermissionsPage {
    layout: Layout,
    app: Application,
    tab: &'static str,
    organization: String,
    client_id: Option<String>,
    rows: Vec<PermissionRow>,
    choices: Vec<Choice>,
    any_not_granted: bool,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    admin: &CurrentUser,
    app_id: &str,
    errors: FieldErrors,
) -> Result<ApiPermissionsPage, AppError> {
    let app = load_app(state, app_id).await?;
    let configured = service::configured(state, app_id).await?;
    let org = crate::services::organization::current(state).await?;
    let mut conn = state.db.pool().acquire().await?;
    let client_id = crate::store::single_sign_on::config(&mut conn, app_id)
        .await?
        .and_then(|c| c.client_id);
    drop(conn);
    let rows: Vec<PermissionRow> = configured
        .iter()
        .map(|(p, row)| PermissionRow {
            name: p.name(),
            description: p.description(),
            granted: row.consented_at.is_some(),
            granted_on: row.consented_at.map(format_time).unwrap_or_default(),
        })
        .collect();
    let choices = ApiPermission::ALL
        .into_iter()
        .filter(|p| !configured.iter().any(|(c, _)| c == p))
        .map(|p| Choice {
            name: p.name(),
            description: p.description(),
        })
        .collect();
    Ok(ApiPermissionsPage {
        layout: Layout::signed_in(&format!("{} · API permissions", app.display_name), admin, Section::Apps),
        any_not_granted: rows.iter().any(|r| !r.granted),
        app,
        tab: "api-permissions",
        organization: org.name,
        client_id,
        rows,
        choices,
        errors,
    })
}

pub async fn api_permissions_page(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    render(&page(&state, &admin, &id, FieldErrors::default()).await?)
}

/// Add permissions: the checked `permission` boxes.
pub async fn add_permissions(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let names: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "permission")
        .map(|(_, v)| v)
        .take(ApiPermission::ALL.len() + 1)
        .collect();
    match service::add(&state, &admin.as_admin(), &id, &names).await {
        Ok(added) => {
            let names: Vec<&str> = added.iter().map(|p| p.name()).collect();
            admin.session.flash(
                FlashKind::Success,
                format!(
                    "Added {}. They take effect once admin consent is granted.",
                    names.join(", ")
                ),
            );
            Ok(see_other(&format!("/admin/apps/{id}/api-permissions")))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &page(&state, &admin, &id, errors).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/app_consent.html")]
struct ConsentPage {
    layout: Layout,
    app: Application,
    organization: String,
    pending: Vec<&'static str>,
}

/// Grant admin consent confirmation: which permissions it grants.
pub async fn consent_form(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let app = load_app(&state, &id).await?;
    let org = crate::services::organization::current(&state).await?;
    let pending = service::configured(&state, &id)
        .await?
        .into_iter()
        .filter(|(_, row)| row.consented_at.is_none())
        .map(|(p, _)| p.name())
        .collect();
    render(&ConsentPage {
        layout: Layout::signed_in("Grant admin consent confirmation", &admin, Section::Apps),
        app,
        organization: org.name,
        pending,
    })
}

#[derive(serde::Deserialize)]
pub struct NoFields {}

pub async fn grant_consent(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    match service::grant_admin_consent(&state, &admin.as_admin(), &id).await {
        Ok(granted) => admin.session.flash(
            FlashKind::Success,
            format!("Admin consent granted for {}.", granted.join(", ")),
        ),
        Err(ServiceError::Refused(message)) => admin.session.flash(FlashKind::Error, message),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/admin/apps/{id}/api-permissions")))
}

fn permission_of(name: &str) -> Result<ApiPermission, AppError> {
    ApiPermission::parse(name).ok_or(AppError::NotFound)
}

pub async fn revoke_consent(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    let permission = permission_of(&name)?;
    service::revoke_admin_consent(&state, &admin.as_admin(), &id, permission).await?;
    admin.session.flash(
        FlashKind::Success,
        format!("Admin consent for {} was revoked.", permission.name()),
    );
    Ok(see_other(&format!("/admin/apps/{id}/api-permissions")))
}

pub async fn remove_permission(
    admin: Authorized<ManageApiPermissions>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, name) = path.into_inner();
    let permission = permission_of(&name)?;
    service::remove(&state, &admin.as_admin(), &id, permission).await?;
    admin
        .session
        .flash(FlashKind::Success, format!("{} was removed.", permission.name()));
    Ok(see_other(&format!("/admin/apps/{id}/api-permissions")))
}
