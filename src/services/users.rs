//! Managing users in the directory: New user, Edit properties, Block
//! sign-in, Reset password, Delete user. Every action on a user passes
//! `check_reach` (only a Global Administrator acts on a user who holds a
//! directory role, SPEC §6), and no one can lock the directory out of its
//! last Global Administrator.

use crate::app::AppState;
use crate::domain::user::parse_company_name;
use crate::domain::user_action::{Refusal, Target, UserAction, may_act_on};
use crate::domain::{DisplayName, Email, NewPassword, Role, UserType};
use crate::services::{Admin, FieldErrors, ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::users::{NewUser, User};
use crate::store::{self, Tx};

/// Refuses `action` on `user` unless the admin's roles reach them; returns
/// the user's directory roles. Reads the roles in the caller's transaction,
/// so the decision and the change it guards commit together.
pub(crate) async fn check_reach(
    tx: &mut Tx,
    admin: &Admin<'_>,
    action: UserAction,
    user: &User,
) -> ServiceResult<Vec<Role>> {
    let roles = store::roles::roles_of(tx, &user.id).await?;
    let target = Target {
        roles: &roles,
        user_type: user.user_type,
    };
    may_act_on(admin.roles, action, target).map_err(refusal)?;
    Ok(roles)
}

pub(crate) fn refusal(refusal: Refusal) -> ServiceError {
    ServiceError::Denied(refusal.message().into())
}

/// Loads a live user the admin may do `action` to, or says why not.
async fn target_for(tx: &mut Tx, admin: &Admin<'_>, action: UserAction, id: &str) -> ServiceResult<(User, Vec<Role>)> {
    let user = store::users::find_active(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let roles = check_reach(tx, admin, action, &user).await?;
    Ok((user, roles))
}

/// Refuses a change that would leave no live Global Administrator.
async fn keep_a_global_administrator(tx: &mut Tx, roles: &[Role], what: &str) -> ServiceResult<()> {
    if roles.contains(&Role::GlobalAdministrator)
        && store::roles::count_active_holders_locked(tx, Role::GlobalAdministrator).await? <= 1
    {
        return Err(ServiceError::Refused(format!(
            "The last Global Administrator cannot be {what}: give the role to someone else first."
        )));
    }
    Ok(())
}

/// One UserManagement audit line about `user`.
pub(crate) async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    activity: &str,
    user: &User,
    details: Option<String>,
    now: i64,
) -> sqlx::Result<()> {
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity,
            category: "UserManagement",
            target_id: Some(&user.id),
            target_name: Some(&user.user_principal_name),
            details,
        },
        now,
    )
    .await
}

/// New user: a member with a temporary password that must be changed at
/// first sign-in. Returns the user and the password, shown once.
pub async fn create_member(
    state: &AppState,
    admin: &Admin<'_>,
    org_domain: &str,
    display_name: &str,
    user_principal_name: &str,
) -> ServiceResult<(User, NewPassword)> {
    let mut errors = FieldErrors::default();
    let name = errors.check("display_name", DisplayName::parse(display_name));
    let upn = errors.check(
        "user_principal_name",
        Email::parse(user_principal_name).map_err(|e| e.replace("email address", "user principal name")),
    );
    if let Some(upn) = &upn
        && upn.domain() != org_domain
    {
        errors.add(
            "user_principal_name",
            format!("The domain must be the organization's domain, {org_domain}."),
        );
    }
    let (Some(name), Some(upn), true) = (name, upn, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let in_use = || {
        let mut errors = FieldErrors::default();
        errors.add("user_principal_name", format!("{upn} is already in the directory."));
        ServiceError::Invalid(errors)
    };
    let password = NewPassword::generate();
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if store::users::address_in_use(&mut tx, upn.normalized()).await? {
        return Err(in_use());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = store::users::insert(
        &mut tx,
        &NewUser {
            id: &id,
            display_name: &name,
            mail: Some(&upn),
            user_principal_name: upn.as_str(),
            user_type: UserType::Member,
            creation_type: None,
            external_user_state: None,
            company_name: None,
            password_hash: Some(&hash),
            must_change_password: true,
            invited_by: None,
            now,
        },
    )
    .await;
    match inserted {
        Err(e) if store::is_unique_violation(&e) => return Err(in_use()),
        other => other?,
    }
    let user = store::users::find_active(&mut tx, &id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    crate::services::groups::refresh_user(&mut tx, &id, now).await?;
    audit(&mut tx, &admin.actor, "Add user", &user, None, now).await?;
    tx.commit().await?;
    Ok((user, password))
}

/// What Edit properties may change.
pub struct Properties {
    pub display_name: String,
    pub company_name: String,
    pub user_type: String,
    pub block_sign_in: bool,
}

/// Some of Edit properties' fields, each `None` when it stays as it is:
/// the API's PATCH names only what it changes. An empty company name
/// clears it.
#[derive(Clone, Debug, Default)]
pub struct PropertyChanges {
    pub display_name: Option<String>,
    pub company_name: Option<String>,
    pub user_type: Option<String>,
    pub account_enabled: Option<bool>,
    /// Graph's `preferredLanguage`; empty clears it.
    pub preferred_language: Option<String>,
}

impl PropertyChanges {
    pub fn is_empty(&self) -> bool {
        self.preferred_language.is_none()
            && self.display_name.is_none()
            && self.company_name.is_none()
            && self.user_type.is_none()
            && self.account_enabled.is_none()
    }
}

pub async fn edit_properties(state: &AppState, admin: &Admin<'_>, id: &str, form: &Properties) -> ServiceResult<()> {
    let changes = PropertyChanges {
        display_name: Some(form.display_name.clone()),
        company_name: Some(form.company_name.clone()),
        user_type: Some(form.user_type.clone()),
        account_enabled: Some(!form.block_sign_in),
        preferred_language: None,
    };
    change_properties(state, admin, id, &changes).await
}

/// Edit properties for the fields `changes` names; the others keep their
/// stored values, read in the same transaction as the write. No change at
/// all still checks that the user is there and within reach, and writes
/// nothing.
pub async fn change_properties(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
    changes: &PropertyChanges,
) -> ServiceResult<()> {
    let mut errors = FieldErrors::default();
    let name = changes
        .display_name
        .as_deref()
        .map(|n| errors.check("display_name", DisplayName::parse(n)));
    let company = changes
        .company_name
        .as_deref()
        .map(|c| errors.check("company_name", parse_company_name(c)));
    let user_type = changes.user_type.as_deref().map(|t| {
        errors.check(
            "user_type",
            UserType::parse(t).ok_or_else(|| "Choose Member or Guest.".to_string()),
        )
    });
    let language = changes.preferred_language.as_deref().map(|tag| {
        let tag = tag.trim();
        if tag.is_empty() {
            Some(None)
        } else {
            errors.check("preferred_language", parse_preferred_language(tag).map(Some))
        }
    });
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (user, roles) = target_for(&mut tx, admin, UserAction::Edit, id).await?;
    if changes.is_empty() {
        return Ok(());
    }
    let name = match name.flatten() {
        Some(name) => name,
        None => DisplayName::parse(&user.display_name).map_err(|e| {
            let mut errors = FieldErrors::default();
            errors.add("display_name", e);
            ServiceError::Invalid(errors)
        })?,
    };
    let company = company.flatten().unwrap_or_else(|| user.company_name.clone());
    let user_type = user_type.flatten().unwrap_or(user.user_type);
    let block_sign_in = !changes.account_enabled.unwrap_or(user.account_enabled);
    if user_type == UserType::Guest && !roles.is_empty() {
        return Err(ServiceError::Refused(
            "A user with a directory role stays a member: take the roles away first.".into(),
        ));
    }
    if block_sign_in && user.account_enabled {
        if user.id == admin.id {
            return Err(ServiceError::Refused("You cannot block your own sign-in.".into()));
        }
        keep_a_global_administrator(&mut tx, &roles, "blocked").await?;
    }
    store::users::update_properties(&mut tx, id, &name, company.as_deref(), user_type).await?;
    if block_sign_in == user.account_enabled {
        store::users::set_account_enabled(&mut tx, id, !block_sign_in).await?;
    }
    let mut language_detail = String::new();
    if let Some(Some(language)) = language {
        store::users::set_preferred_language(&mut tx, id, language.as_deref()).await?;
        language_detail = format!("; preferredLanguage={}", language.as_deref().unwrap_or(""));
    }
    crate::services::groups::refresh_user(&mut tx, id, now).await?;
    let details = format!(
        "displayName={}; companyName={}; userType={}; accountEnabled={}{language_detail}",
        name,
        company.as_deref().unwrap_or(""),
        user_type.as_str(),
        !block_sign_in
    );
    audit(&mut tx, &admin.actor, "Update user", &user, Some(details), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Reset password: members only; a new temporary password, changed at
/// next sign-in; every session of the user ends.
pub async fn reset_password(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<NewPassword> {
    let password = NewPassword::generate();
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (user, _) = target_for(&mut tx, admin, UserAction::ResetPassword, id).await?;
    if user.user_type != UserType::Member || user.creation_type.as_deref() == Some("Invitation") {
        return Err(ServiceError::Refused(
            "Guests sign in with a code sent to their address; they have no password to reset.".into(),
        ));
    }
    store::users::set_password(&mut tx, id, &hash, true).await?;
    audit(&mut tx, &admin.actor, "Reset user password", &user, None, now).await?;
    tx.commit().await?;
    Ok(password)
}

/// Delete user: a soft delete (restorable), which ends the user's sessions
/// and voids their invitation link.
pub async fn delete_user(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<User> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (user, roles) = target_for(&mut tx, admin, UserAction::Delete, id).await?;
    if user.id == admin.id {
        return Err(ServiceError::Refused("You cannot delete your own account.".into()));
    }
    keep_a_global_administrator(&mut tx, &roles, "deleted").await?;
    store::users::soft_delete(&mut tx, id, now).await?;
    let activity = if user.creation_type.as_deref() == Some("Invitation") {
        "Delete external user"
    } else {
        "Delete user"
    };
    audit(&mut tx, &admin.actor, activity, &user, None, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// A preferred language as Graph takes it: a BCP 47 tag of a language the
/// portal speaks (`de-DE`, `fr`), kept as written.
fn parse_preferred_language(tag: &str) -> Result<String, String> {
    crate::domain::language::Language::parse(tag).map(|_| tag.to_owned())
}
