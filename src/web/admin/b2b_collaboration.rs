//! The B2B collaboration box of a guest's profile: Resend invitation,
//! Reset redemption status, Copy redemption URL.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::user_action::UserAction;
use crate::services::{ServiceError, b2b_collaboration};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::{ResendInvitation, ResetRedemption};
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

#[derive(Deserialize)]
pub struct KeyedForm {
    #[serde(default)]
    form_key: String,
}

fn refused(e: ServiceError) -> AppError {
    match e {
        ServiceError::Refused(message) => AppError::Refused(message),
        other => other.into(),
    }
}

pub async fn resend(
    admin: Authorized<ResendInvitation>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<KeyedForm>,
) -> Result<HttpResponse, AppError> {
    b2b_collaboration::resend(&state, &admin.as_admin(), &id, &form.form_key)
        .await
        .map_err(refused)?;
    admin.session.flash(
        FlashKind::Success,
        "The invitation was sent again; the earlier link no longer works.",
    );
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Template)]
#[template(path = "admin/reset_redemption.html")]
struct ResetPage {
    layout: Layout,
    user_id: String,
    display_name: String,
    email: String,
    form_key: String,
    error: Option<String>,
}

async fn user(state: &AppState, id: &str) -> Result<crate::store::users::User, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    crate::store::users::find_active(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The user behind an action's page, when this admin may do `action` to them.
async fn reachable_user(
    state: &AppState,
    admin: &CurrentUser,
    action: UserAction,
    id: &str,
) -> Result<crate::store::users::User, AppError> {
    let user = user(state, id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let roles = crate::store::roles::roles_of(&mut conn, id).await?;
    admin.check_reach(action, &user, &roles)?;
    Ok(user)
}

pub async fn reset_form(
    admin: Authorized<ResetRedemption>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = reachable_user(&state, &admin, UserAction::ResetRedemption, &id).await?;
    render(&ResetPage {
        layout: Layout::signed_in("Reset redemption status", &admin, Section::Users),
        user_id: user.id,
        display_name: user.display_name,
        email: user.mail.unwrap_or_default(),
        form_key: crate::security::secret::random_token(16),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    form_key: String,
}

pub async fn reset(
    admin: Authorized<ResetRedemption>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    match b2b_collaboration::reset_redemption(&state, &admin.as_admin(), &id, &form.email, &form.form_key).await {
        Ok(()) => {
            admin.session.flash(
                FlashKind::Success,
                "Redemption status was reset and a new invitation was sent.",
            );
            Ok(see_other(&format!("/admin/users/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let user = user(&state, &id).await?;
            render_with(
                &ResetPage {
                    layout: Layout::signed_in("Reset redemption status", &admin, Section::Users),
                    user_id: user.id,
                    display_name: user.display_name,
                    email: form.email.chars().take(254).collect(),
                    form_key: crate::security::secret::random_token(16),
                    error: errors.get("email").map(str::to_owned),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(refused(e)),
    }
}

#[derive(Template)]
#[template(path = "admin/redemption_url.html")]
struct RedemptionUrlPage {
    layout: Layout,
    user_id: String,
    display_name: String,
    url: Option<String>,
}

pub async fn redemption_url_form(
    admin: Authorized<ResendInvitation>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = reachable_user(&state, &admin, UserAction::CopyRedemptionUrl, &id).await?;
    render(&RedemptionUrlPage {
        layout: Layout::signed_in("Copy redemption URL", &admin, Section::Users),
        user_id: user.id,
        display_name: user.display_name,
        url: None,
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn create_redemption_url(
    admin: Authorized<ResendInvitation>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let url = b2b_collaboration::copy_redemption_url(&state, &admin.as_admin(), &id)
        .await
        .map_err(refused)?;
    let user = user(&state, &id).await?;
    render(&RedemptionUrlPage {
        layout: Layout::signed_in("Copy redemption URL", &admin, Section::Users),
        user_id: user.id,
        display_name: user.display_name,
        url: Some(url),
    })
}
