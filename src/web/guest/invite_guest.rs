//! Invite a guest: the page a member (or a guest) opens from the user menu
//! when the guest invite settings let them invite. Only the address, the
//! display name and a personal message; the invitation is the wizard's.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::invite_level::Inviter;
use crate::services::invitations::{InviteForm, MAX_MESSAGE_CHARS};
use crate::services::{FieldErrors, ServiceError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::CurrentUser;
use crate::web::layout::{Layout, Section, render_with, see_other};
use crate::web::session::FlashKind;

#[derive(Template)]
#[template(path = "guest/invite_guest.html")]
struct InviteGuestPage {
    layout: Layout,
    org_name: String,
    form: InviteGuestFields,
    max_message_chars: usize,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct InviteGuestFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    message: String,
    /// One per opening of the page: a double submit invites once.
    #[serde(default)]
    form_key: String,
}

/// Whether the guest invite settings (as this instance knows them) let the
/// user invite: the page and the user menu's link follow this; the
/// invitation itself is checked against the database.
pub async fn may_invite(state: &AppState, user: &CurrentUser) -> Result<bool, AppError> {
    let org = crate::services::organization::current(state).await?;
    Ok(org
        .invite_level()
        .admits(Inviter::for_user(&user.roles, user.user.user_type)))
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    form: InviteGuestFields,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let org = crate::services::organization::current(state).await?;
    let mut layout = Layout::signed_in("Invite a guest", user, Section::MyApps);
    layout.may_invite_guests = true;
    render_with(
        &InviteGuestPage {
            layout,
            org_name: org.name,
            form,
            max_message_chars: MAX_MESSAGE_CHARS,
            errors,
        },
        status,
    )
}

/// Refuses, before anything else, a user the guest invite settings do not admit.
async fn ensure_may_invite(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    if may_invite(state, user).await? {
        return Ok(());
    }
    let org = crate::services::organization::current(state).await?;
    Err(AppError::Denied(org.invite_level().refusal().into()))
}

/// `GET /account/invite`.
pub async fn invite_guest_form(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    ensure_may_invite(&state, &user).await?;
    let form = InviteGuestFields {
        form_key: crate::security::secret::random_token(16),
        ..InviteGuestFields::default()
    };
    page(&state, &user, form, FieldErrors::default(), StatusCode::OK).await
}

/// `POST /account/invite`: invites, then back to an empty page that says so.
pub async fn invite_guest(
    user: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<InviteGuestFields>,
) -> Result<HttpResponse, AppError> {
    ensure_may_invite(&state, &user).await?;
    let invited = crate::services::invitations::invite_as_user(
        &state,
        &user.as_admin(),
        Inviter::for_user(&user.roles, user.user.user_type),
        &InviteForm {
            email: form.email.clone(),
            display_name: form.display_name.clone(),
            message: form.message.clone(),
            form_key: form.form_key.clone(),
            ..InviteForm::default()
        },
    )
    .await;
    match invited {
        Ok(_) => {
            let address = form.email.trim();
            user.session
                .flash(FlashKind::Success, format!("An invitation was sent to {address}."));
            Ok(see_other("/account/invite"))
        }
        Err(ServiceError::Invalid(errors)) => {
            // Echo what was entered, cut to a little over each limit.
            let cut = |s: &str, max: usize| s.chars().take(max + 1).collect::<String>();
            let echoed = InviteGuestFields {
                email: cut(&form.email, crate::domain::email::MAX_LEN),
                display_name: cut(&form.display_name, 256),
                message: cut(&form.message, MAX_MESSAGE_CHARS),
                form_key: cut(&form.form_key, 64),
            };
            page(&state, &user, echoed, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
