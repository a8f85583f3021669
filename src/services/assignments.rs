//! Users and groups of an application: Assign a role, Edit it, Remove it.

use crate::app::AppState;
use crate::domain::user_action::UserAction;
use crate::services::Admin;
use crate::services::users::check_reach;
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::{self, Tx};

/// Who receives a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Group(String),
}

impl Principal {
    pub fn kind(&self) -> &'static str {
        match self {
            Principal::User(_) => "User",
            Principal::Group(_) => "Group",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Principal::User(id) | Principal::Group(id) => id,
        }
    }
}

pub const MAX_AT_ONCE: usize = 100;

/// Refuses a change to a user principal's assignments when the user is
/// deleted (their assignments wait, unchanged, for a restore) or out of the
/// admin's reach. Groups have no reach of their own.
async fn check_principal(
    tx: &mut Tx,
    admin: &Admin<'_>,
    principal_type: &str,
    principal_id: &str,
) -> ServiceResult<()> {
    if principal_type == "User" {
        let user = store::users::find_active(tx, principal_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        check_reach(tx, admin, UserAction::ChangeApps, &user).await?;
    }
    Ok(())
}

/// Assign: every principal gets the role; all or nothing.
pub async fn assign(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    role_id: &str,
    principals: &[Principal],
) -> ServiceResult<usize> {
    if principals.is_empty() {
        return Err(ServiceError::Refused("Select at least one user or group.".into()));
    }
    if principals.len() > MAX_AT_ONCE {
        return Err(ServiceError::Refused(format!(
            "Select at most {MAX_AT_ONCE} at a time."
        )));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let mut added = 0;
    for principal in principals {
        if let Principal::User(id) = principal
            && let Some(user) = store::users::find_active(&mut tx, id).await?
        {
            check_reach(&mut tx, admin, UserAction::ChangeApps, &user).await?;
        }
        added += usize::from(assign_in(&mut tx, &admin.actor, app_id, role_id, principal, now).await?);
    }
    tx.commit().await?;
    Ok(added)
}

/// The refusal of an assignment the principal holds already, in Graph's
/// words (scripts match on them).
pub const ALREADY_ASSIGNED: &str = "Permission being assigned already exists on the object";

/// Assigns one role to one principal, who must exist (a live user within
/// the admin's reach, or a group) and must not hold it yet.
pub async fn assign_one(
    state: &AppState,
    admin: &Admin<'_>,
    app_id: &str,
    role_id: &str,
    principal: &Principal,
) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::applications::find(&mut tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    match principal {
        Principal::User(id) => check_principal(&mut tx, admin, "User", id).await?,
        Principal::Group(id) => {
            store::groups::find(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
        }
    }
    if store::assignments::holds(&mut tx, app_id, role_id, principal.kind(), principal.id()).await? {
        return Err(ServiceError::Refused(ALREADY_ASSIGNED.into()));
    }
    assign_in(&mut tx, &admin.actor, app_id, role_id, principal, now).await?;
    tx.commit().await?;
    Ok(())
}

/// One assignment inside the caller's transaction (also used by Invite).
pub async fn assign_in(
    tx: &mut Tx,
    actor: &Actor,
    app_id: &str,
    role_id: &str,
    principal: &Principal,
    now: i64,
) -> ServiceResult<bool> {
    let app = store::applications::find(tx, app_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let role = store::applications::find_role(tx, role_id).await?;
    let Some(role) = role.filter(|r| r.app_id == app.id) else {
        return Err(ServiceError::Refused(format!(
            "Choose one of {}'s roles.",
            app.display_name
        )));
    };
    if !role.enabled {
        return Err(ServiceError::Refused(format!(
            "The role {} is disabled.",
            role.display_name
        )));
    }
    let name = match principal {
        Principal::User(id) => match store::users::find_active(tx, id).await? {
            Some(user) => user.user_principal_name,
            None => {
                return Err(ServiceError::Refused(
                    "One of the selected users no longer exists.".into(),
                ));
            }
        },
        Principal::Group(id) => match store::groups::find(tx, id).await? {
            Some(group) => group.display_name,
            None => {
                return Err(ServiceError::Refused(
                    "One of the selected groups no longer exists.".into(),
                ));
            }
        },
    };
    let added = store::assignments::insert(tx, &app.id, &role.id, principal.kind(), principal.id(), now).await?;
    if added {
        let activity = match principal {
            Principal::User(_) => "Add app role assignment to user",
            Principal::Group(_) => "Add app role assignment to group",
        };
        store::audit::record(
            tx,
            actor,
            &AuditEntry {
                activity,
                category: "ApplicationManagement",
                target_id: Some(principal.id()),
                target_name: Some(&name),
                details: Some(format!("{}: {}", app.display_name, role.display_name)),
            },
            now,
        )
        .await?;
    }
    Ok(added)
}

/// Edit: another role of the same application.
pub async fn change_role(
    state: &AppState,
    admin: &Admin<'_>,
    assignment_id: &str,
    role_id: &str,
) -> ServiceResult<String> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = store::assignments::find(&mut tx, assignment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_principal(&mut tx, admin, &current.principal_type, &current.principal_id).await?;
    let role = store::applications::find_role(&mut tx, role_id).await?;
    let Some(role) = role.filter(|r| r.app_id == current.app_id && r.enabled) else {
        return Err(ServiceError::Refused("Choose one of this application's roles.".into()));
    };
    if role.id != current.app_role_id {
        if store::assignments::holds(
            &mut tx,
            &current.app_id,
            &role.id,
            &current.principal_type,
            &current.principal_id,
        )
        .await?
        {
            // The principal already holds the new role: the old one just goes.
            store::assignments::delete(&mut tx, assignment_id).await?;
        } else {
            store::assignments::set_role(&mut tx, assignment_id, &role.id).await?;
        }
        store::audit::record(
            &mut tx,
            &admin.actor,
            &AuditEntry {
                activity: "Update app role assignment",
                category: "ApplicationManagement",
                target_id: Some(&current.principal_id),
                target_name: Some(&current.principal_name),
                details: Some(format!("{} -> {}", current.role_name, role.display_name)),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(current.app_id)
}

pub async fn remove(state: &AppState, admin: &Admin<'_>, assignment_id: &str) -> ServiceResult<String> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = store::assignments::find(&mut tx, assignment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_principal(&mut tx, admin, &current.principal_type, &current.principal_id).await?;
    store::assignments::delete(&mut tx, assignment_id).await?;
    let activity = if current.principal_type == "Group" {
        "Remove app role assignment from group"
    } else {
        "Remove app role assignment from user"
    };
    store::audit::record(
        &mut tx,
        &admin.actor,
        &AuditEntry {
            activity,
            category: "ApplicationManagement",
            target_id: Some(&current.principal_id),
            target_name: Some(&current.principal_name),
            details: Some(current.role_name.clone()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(current.app_id)
}
