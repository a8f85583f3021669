//! New user, the user profile, Edit properties, Reset password and
//! Delete user. The list itself is in `directory.rs`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::clock::format_time;
use crate::domain::user_action::{Target, UserAction, may_act_on};
use crate::domain::{ExternalUserState, Permission, Role, UserType};
use crate::services::users::{self as user_service, Properties};
use crate::services::{FieldErrors, ServiceError};
use crate::store::users::User;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::permits::{DeleteUsers, EditUsers, ReadUsers};
use crate::web::extractors::{Authorized, CurrentUser};
use crate::web::layout::{Layout, Section, render, render_with, see_other};
use crate::web::session::FlashKind;

impl CurrentUser {
    /// Whether this admin may do `action` to `user`, who holds `roles`: what
    /// a page shows follows the same rule the services enforce.
    pub fn reaches(&self, action: UserAction, user: &User, roles: &[Role]) -> bool {
        self.check_reach(action, user, roles).is_ok()
    }

    /// 403 for an action's page when `user` is out of this admin's reach.
    pub fn check_reach(&self, action: UserAction, user: &User, roles: &[Role]) -> Result<(), AppError> {
        let target = Target {
            roles,
            user_type: user.user_type,
        };
        may_act_on(&self.roles, action, target).map_err(|r| AppError::Denied(r.message().into()))
    }
}

/// Of `users` (id and user type), the ids this admin may do `action` to, so
/// that a list shows a row's buttons only when they would work.
pub(crate) async fn reachable_ids(
    state: &AppState,
    admin: &CurrentUser,
    action: UserAction,
    users: &[(&str, UserType)],
) -> Result<std::collections::HashSet<String>, AppError> {
    let ids: Vec<&str> = users.iter().map(|(id, _)| *id).collect();
    let mut conn = state.db.pool().acquire().await?;
    let held = crate::store::roles::roles_of_users(&mut conn, &ids).await?;
    Ok(users
        .iter()
        .filter(|(id, user_type)| {
            let target = Target {
                roles: held.get(*id).map(Vec::as_slice).unwrap_or_default(),
                user_type: *user_type,
            };
            may_act_on(&admin.roles, action, target).is_ok()
        })
        .map(|(id, _)| (*id).to_owned())
        .collect())
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewUserPage {
    layout: Layout,
    org_domain: String,
    display_name: String,
    user_principal_name: String,
    errors: FieldErrors,
}

async fn org_domain(state: &AppState) -> Result<String, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(crate::store::organization::get(&mut conn)
        .await?
        .map(|o| o.primary_domain)
        .unwrap_or_else(|| state.settings.org_domain.clone()))
}

pub async fn new_user_form(admin: Authorized<EditUsers>, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    render(&NewUserPage {
        layout: Layout::signed_in("New user", &admin, Section::Users),
        org_domain: org_domain(&state).await?,
        display_name: String::new(),
        user_principal_name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    user_principal_name: String,
}

#[derive(Template)]
#[template(path = "admin/password_shown.html")]
struct PasswordShownPage {
    layout: Layout,
    heading: &'static str,
    intro: String,
    user_id: String,
    user_principal_name: String,
    password: String,
}

pub async fn create_user(
    admin: Authorized<EditUsers>,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let domain = org_domain(&state).await?;
    let created = user_service::create_member(
        &state,
        &admin.as_admin(),
        &domain,
        &form.display_name,
        &form.user_principal_name,
    )
    .await;
    match created {
        Ok((user, password)) => render_with(
            &PasswordShownPage {
                layout: Layout::signed_in("User created", &admin, Section::Users),
                heading: "User created",
                intro: format!("{} was added to the directory.", user.display_name),
                user_id: user.id,
                user_principal_name: user.user_principal_name,
                password: password.into_inner(),
            },
            StatusCode::CREATED,
        ),
        Err(ServiceError::Invalid(errors)) => render_with(
            &NewUserPage {
                layout: Layout::signed_in("New user", &admin, Section::Users),
                org_domain: domain,
                display_name: form.display_name.chars().take(256).collect(),
                user_principal_name: form.user_principal_name.chars().take(254).collect(),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/user_profile.html")]
struct ProfilePage {
    layout: Layout,
    user: crate::store::users::User,
    mail: String,
    creation_type: String,
    company_name: String,
    created: String,
    roles: Vec<&'static str>,
    invitation_state: Option<&'static str>,
    state_changed: String,
    can_edit: bool,
    can_reset_password: bool,
    can_delete: bool,
    /// The Audit logs link: the entries about this user.
    can_read_audit: bool,
    is_member_with_password: bool,
    invitation: Option<InvitationView>,
    emails: Vec<EmailView>,
    groups: Vec<crate::store::groups::Group>,
    apps: Vec<crate::store::assignments::UserAppRow>,
    /// Identities: the identity providers the user signs in with (none:
    /// Email one-time passcode).
    identities: Vec<String>,
    /// Resend and Copy redemption URL: pending invited users.
    can_resend: bool,
    can_copy_url: bool,
    /// Reset redemption status: accepted invited users.
    can_reset: bool,
    form_key: String,
}

struct InvitationView {
    invited_by: String,
    invited_at: String,
    redirect_url: String,
    message: String,
    cc_recipient: String,
}

/// One email to the user, with its delivery state.
struct EmailView {
    subject: String,
    recipient: String,
    state: String,
    attempts: i64,
}

async fn load_user(state: &AppState, id: &str) -> Result<(User, Vec<Role>), AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let user = crate::store::users::find_active(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let roles = crate::store::roles::roles_of(&mut conn, id).await?;
    Ok((user, roles))
}

pub async fn user_profile(
    admin: Authorized<ReadUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (user, roles) = load_user(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let invitation = crate::store::invitations::latest_for_user(&mut conn, &user.id)
        .await?
        .map(|i| InvitationView {
            invited_by: i.invited_by_name.unwrap_or_default(),
            invited_at: format_time(i.created_at),
            redirect_url: i.redirect_url.unwrap_or_else(|| "My Apps".into()),
            message: i.message.unwrap_or_default(),
            cc_recipient: i.cc_recipient.unwrap_or_default(),
        });
    let emails = crate::store::outbox::list_for_user(&mut conn, &user.id)
        .await?
        .into_iter()
        .map(|m| EmailView {
            state: match m.status.as_str() {
                "sent" => format!("Sent {}", m.sent_at.map(format_time).unwrap_or_default()),
                "failed" => format!("Failed: {}", m.last_error.unwrap_or_default()),
                _ => match m.last_error {
                    Some(error) => format!("Queued (retrying: {error})"),
                    None => "Queued".to_owned(),
                },
            },
            subject: m.subject,
            recipient: m.recipient,
            attempts: m.attempts,
        })
        .collect();
    let groups = crate::store::groups::groups_of_user(&mut conn, &user.id).await?;
    let apps = crate::store::assignments::for_user(&mut conn, &user.id).await?;
    let identities = crate::store::identity_providers::identities_of(&mut conn, &user.id).await?;
    drop(conn);
    let invited = user.creation_type.as_deref() == Some("Invitation");
    let state_is = |s: ExternalUserState| user.external_user_state == Some(s);
    let may = |action: UserAction| admin.reaches(action, &user, &roles);
    render(&ProfilePage {
        layout: Layout::signed_in(&user.display_name, &admin, Section::Users),
        mail: user.mail.clone().unwrap_or_default(),
        creation_type: user.creation_type.clone().unwrap_or_default(),
        company_name: user.company_name.clone().unwrap_or_default(),
        created: format_time(user.created_at),
        roles: roles.iter().map(|r| r.label()).collect(),
        invitation_state: user.external_user_state.map(|s| s.label()),
        state_changed: user.external_user_state_changed_at.map(format_time).unwrap_or_default(),
        can_edit: may(UserAction::Edit),
        can_reset_password: may(UserAction::ResetPassword),
        can_delete: may(UserAction::Delete) && user.id != admin.user.user.id,
        can_read_audit: admin.may(Permission::ReadAuditLogs),
        is_member_with_password: user.user_type == UserType::Member && user.password_hash.is_some(),
        can_resend: invited && state_is(ExternalUserState::PendingAcceptance) && may(UserAction::ResendInvitation),
        can_copy_url: invited && state_is(ExternalUserState::PendingAcceptance) && may(UserAction::CopyRedemptionUrl),
        can_reset: invited && state_is(ExternalUserState::Accepted) && may(UserAction::ResetRedemption),
        form_key: crate::security::secret::random_token(16),
        invitation,
        emails,
        groups,
        apps,
        identities,
        user,
    })
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
struct EditPage {
    layout: Layout,
    user_id: String,
    user_principal_name: String,
    display_name: String,
    company_name: String,
    user_type: String,
    block_sign_in: bool,
    errors: FieldErrors,
}

pub async fn edit_form(
    admin: Authorized<EditUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (user, roles) = load_user(&state, &id).await?;
    admin.check_reach(UserAction::Edit, &user, &roles)?;
    render(&EditPage {
        layout: Layout::signed_in("Edit properties", &admin, Section::Users),
        user_id: user.id,
        user_principal_name: user.user_principal_name,
        display_name: user.display_name,
        company_name: user.company_name.unwrap_or_default(),
        user_type: user.user_type.as_str().to_owned(),
        block_sign_in: !user.account_enabled,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    user_type: String,
    block_sign_in: Option<String>,
}

pub async fn edit_user(
    admin: Authorized<EditUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<HttpResponse, AppError> {
    let properties = Properties {
        display_name: form.display_name.clone(),
        company_name: form.company_name.clone(),
        user_type: form.user_type.clone(),
        block_sign_in: form.block_sign_in.is_some(),
    };
    let errors = match user_service::edit_properties(&state, &admin.as_admin(), &id, &properties).await {
        Ok(()) => {
            admin
                .session
                .flash(FlashKind::Success, "The user's properties were saved.");
            return Ok(see_other(&format!("/admin/users/{id}")));
        }
        Err(ServiceError::Invalid(errors)) => errors,
        Err(ServiceError::Refused(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("", message);
            errors
        }
        Err(e) => return Err(e.into()),
    };
    let (user, _) = load_user(&state, &id).await?;
    render_with(
        &EditPage {
            layout: Layout::signed_in("Edit properties", &admin, Section::Users),
            user_id: user.id,
            user_principal_name: user.user_principal_name,
            display_name: form.display_name.chars().take(256).collect(),
            company_name: form.company_name.chars().take(64).collect(),
            user_type: form.user_type,
            block_sign_in: properties.block_sign_in,
            errors,
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn reset_password(
    admin: Authorized<EditUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let password = user_service::reset_password(&state, &admin.as_admin(), &id).await?;
    let (user, _) = load_user(&state, &id).await?;
    render(&PasswordShownPage {
        layout: Layout::signed_in("Password reset", &admin, Section::Users),
        heading: "Password reset",
        intro: format!(
            "{} has a new temporary password; their sessions have ended.",
            user.display_name
        ),
        user_id: user.id,
        user_principal_name: user.user_principal_name,
        password: password.into_inner(),
    })
}

#[derive(Template)]
#[template(path = "admin/user_delete.html")]
struct DeletePage {
    layout: Layout,
    user_id: String,
    display_name: String,
    user_principal_name: String,
}

pub async fn delete_form(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (user, roles) = load_user(&state, &id).await?;
    admin.check_reach(UserAction::Delete, &user, &roles)?;
    render(&DeletePage {
        layout: Layout::signed_in("Delete user", &admin, Section::Users),
        user_id: user.id,
        display_name: user.display_name,
        user_principal_name: user.user_principal_name,
    })
}

pub async fn delete_user(
    admin: Authorized<DeleteUsers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let user = user_service::delete_user(&state, &admin.as_admin(), &id).await?;
    admin
        .session
        .flash(FlashKind::Success, format!("{} was deleted.", user.display_name));
    Ok(see_other("/admin/users"))
}
