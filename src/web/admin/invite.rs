//! The Invite external user wizard: one form in tab-styled sections, a
//! Review + invite summary rendered by the server, then Invite.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::Permission;
use crate::services::invitations::{self, InviteForm};
use crate::services::{FieldErrors, ServiceError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::InviteGuests;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    layout: Layout,
    form: InviteForm,
    errors: FieldErrors,
    may_invite_members: bool,
}

#[derive(Template)]
#[template(path = "admin/invite_review.html")]
struct ReviewPage {
    layout: Layout,
    form: InviteForm,
    display_name: String,
    user_type: &'static str,
}

fn form_page(admin: &Authorized<InviteGuests>, form: InviteForm, errors: FieldErrors) -> InvitePage {
    InvitePage {
        layout: Layout::signed_in("Invite external user", admin, Section::Users),
        form,
        errors,
        may_invite_members: admin.may(Permission::InviteMembersOrAssignments),
    }
}

/// Keeps what was typed, bounded, for re-showing the form.
fn bounded(mut form: InviteForm) -> InviteForm {
    let cut = |s: &mut String, n: usize| *s = s.chars().take(n).collect();
    cut(&mut form.email, 254);
    cut(&mut form.display_name, 256);
    cut(&mut form.message, 2000);
    cut(&mut form.cc_recipient, 254);
    cut(&mut form.company_name, 64);
    cut(&mut form.redirect_url, 2048);
    cut(&mut form.form_key, 64);
    form
}

pub async fn invite_form(admin: Authorized<InviteGuests>) -> Result<HttpResponse, AppError> {
    let form = InviteForm {
        form_key: crate::security::secret::random_token(16),
        ..Default::default()
    };
    render(&form_page(&admin, form, FieldErrors::default()))
}

/// Previous: back to the form with what was entered.
pub async fn edit_invite(
    admin: Authorized<InviteGuests>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    render(&form_page(&admin, bounded(form), FieldErrors::default()))
}

/// Review + invite: checks everything, then shows the summary.
pub async fn review_invite(
    admin: Authorized<InviteGuests>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    match invitations::validate(&form, admin.may(Permission::InviteMembersOrAssignments)) {
        Ok(valid) => render(&ReviewPage {
            layout: Layout::signed_in("Invite external user", &admin, Section::Users),
            display_name: valid.display_name.to_string(),
            user_type: valid.user_type.as_str(),
            form: bounded(form),
        }),
        Err(errors) => render_with(
            &form_page(&admin, bounded(form), errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// Invite: writes everything in one transaction, then All users says so.
pub async fn invite_user(
    admin: Authorized<InviteGuests>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    match invitations::invite(&state, &admin.as_admin(), &form).await {
        Ok(_) => {
            admin.session.flash(FlashKind::Success, "Successfully invited user");
            Ok(see_other("/admin/users"))
        }
        Err(ServiceError::Invalid(errors)) => render_with(
            &form_page(&admin, bounded(form), errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(ServiceError::Refused(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("", message);
            render_with(
                &form_page(&admin, bounded(form), errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}
