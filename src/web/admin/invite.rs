//! The Invite external user wizard: one form in tab-styled sections, a
//! Review + invite summary rendered by the server, then Invite.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::Permission;
use crate::domain::language::Language;
use crate::services::invitations::{self, InviteForm, MAX_ASSIGNMENTS};
use crate::services::{FieldErrors, ServiceError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::Authorized;
use crate::web::extractors::permits::InviteGuests;
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

type Admin = Authorized<InviteGuests>;

/// A group or an app role that can be granted with the invitation.
struct Choice {
    id: String,
    label: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    layout: Layout,
    form: InviteForm,
    errors: FieldErrors,
    may_invite_members: bool,
    group_choices: Vec<Choice>,
    role_choices: Vec<Choice>,
    max_assignments: usize,
    languages: [Language; 5],
}

#[derive(Template)]
#[template(path = "admin/invite_review.html")]
struct ReviewPage {
    layout: Layout,
    form: InviteForm,
    display_name: String,
    user_type: &'static str,
    chosen: Vec<String>,
    /// The chosen language's name, or the organization's language.
    language: String,
}

/// Assigned groups and enabled app roles an inviter may choose from, the
/// form's own choices ticked.
async fn choices(state: &AppState, form: &InviteForm) -> Result<(Vec<Choice>, Vec<Choice>), AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let groups = crate::store::groups::search(&mut conn, "", 200)
        .await?
        .into_iter()
        .filter(|g| !g.is_dynamic())
        .map(|g| Choice {
            chosen: form.group_ids.contains(&g.id),
            label: match &g.description {
                Some(d) => format!("{} ({d})", g.display_name),
                None => g.display_name.clone(),
            },
            id: g.id,
        })
        .collect();
    let roles = crate::store::applications::enabled_roles_with_apps(&mut conn)
        .await?
        .into_iter()
        .map(|(app_name, role)| Choice {
            chosen: form.app_role_ids.contains(&role.id),
            label: format!("{app_name}: {}", role.display_name),
            id: role.id,
        })
        .collect();
    Ok((groups, roles))
}

async fn form_page(
    admin: &Admin,
    state: &AppState,
    form: InviteForm,
    errors: FieldErrors,
) -> Result<InvitePage, AppError> {
    let may_invite_members = admin.may(Permission::InviteMembersOrAssignments);
    let (group_choices, role_choices) = if may_invite_members {
        choices(state, &form).await?
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(InvitePage {
        layout: Layout::signed_in("Invite external user", admin, Section::Users),
        form: bounded(form),
        errors,
        may_invite_members,
        group_choices,
        role_choices,
        max_assignments: MAX_ASSIGNMENTS,
        languages: Language::ALL,
    })
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
    cut(&mut form.language, 35);
    cut(&mut form.form_key, 64);
    form.group_ids.truncate(100);
    form.app_role_ids.truncate(100);
    form
}

#[derive(Deserialize)]
pub struct InviteQuery {
    /// From a group's Invite: the new guest joins it.
    group: Option<String>,
    /// From an application's picker: the new guest gets its default role.
    app: Option<String>,
}

pub async fn invite_form(
    admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<InviteQuery>,
) -> Result<HttpResponse, AppError> {
    let mut form = InviteForm {
        form_key: crate::security::secret::random_token(16),
        ..Default::default()
    };
    if let Some(group) = &query.group {
        form.group_ids.push(group.clone());
    }
    if let Some(app) = &query.app {
        let mut conn = state.db.pool().acquire().await?;
        let roles = crate::store::applications::roles(&mut conn, app).await?;
        if let Some(role) = roles
            .iter()
            .find(|r| r.is_default && r.enabled)
            .or(roles.iter().find(|r| r.enabled))
        {
            form.app_role_ids.push(role.id.clone());
        }
    }
    render(&form_page(&admin, &state, form, FieldErrors::default()).await?)
}

/// Previous: back to the form with what was entered.
pub async fn edit_invite(
    admin: Admin,
    state: web::Data<AppState>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = InviteForm::from_pairs(&pairs);
    render(&form_page(&admin, &state, form, FieldErrors::default()).await?)
}

/// Review + invite: checks everything, then shows the summary.
pub async fn review_invite(
    admin: Admin,
    state: web::Data<AppState>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = InviteForm::from_pairs(&pairs);
    match invitations::validate(&form, admin.may(Permission::InviteMembersOrAssignments)) {
        Ok(valid) => {
            let (groups, roles) = choices(&state, &form).await?;
            let chosen = groups
                .into_iter()
                .chain(roles)
                .filter(|c| c.chosen)
                .map(|c| c.label)
                .collect();
            render(&ReviewPage {
                layout: Layout::signed_in("Invite external user", &admin, Section::Users),
                display_name: valid.display_name.to_string(),
                user_type: valid.user_type.as_str(),
                chosen,
                language: match valid.language {
                    Some(l) => l.native_name().to_owned(),
                    None => "Organization's language".to_owned(),
                },
                form: bounded(form),
            })
        }
        Err(errors) => render_with(
            &form_page(&admin, &state, form, errors).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// Invite: writes everything in one transaction, then All users says so.
pub async fn invite_user(
    admin: Admin,
    state: web::Data<AppState>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = InviteForm::from_pairs(&pairs);
    let errors = match invitations::invite(&state, &admin.as_admin(), &form).await {
        Ok(_) => {
            admin.session.flash(FlashKind::Success, "Successfully invited user");
            return Ok(see_other("/admin/users"));
        }
        Err(ServiceError::Invalid(errors)) => errors,
        Err(ServiceError::Refused(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("", message);
            errors
        }
        Err(e) => return Err(e.into()),
    };
    render_with(
        &form_page(&admin, &state, form, errors).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
