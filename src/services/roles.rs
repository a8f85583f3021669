//! Giving and taking directory roles (Global Administrator only). Every
//! change ends the holder's sessions, so new rights apply at once.

use crate::app::AppState;
use crate::domain::{Role, UserType};
use crate::services::Admin;
use crate::services::{ServiceError, ServiceResult};
use crate::store;
use crate::store::audit::{Actor, AuditEntry};

pub async fn grant(state: &AppState, admin: &Admin<'_>, sign_in_name: &str, role: Role) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(user) = store::users::find_by_sign_in_name(&mut tx, sign_in_name).await? else {
        return Err(ServiceError::Refused(format!(
            "No user signs in as {}.",
            sign_in_name.trim()
        )));
    };
    if user.user_type != UserType::Member {
        return Err(ServiceError::Refused(
            "Only members can hold directory roles; guests never do.".into(),
        ));
    }
    if !store::roles::grant(&mut tx, &user.id, role, admin.actor.id.as_deref(), now).await? {
        return Err(ServiceError::Refused(format!(
            "{} already holds {}.",
            user.display_name,
            role.label()
        )));
    }
    store::users::bump_session_epoch(&mut tx, &user.id).await?;
    audit(
        &mut tx,
        &admin.actor,
        "Add member to role",
        &user.id,
        &user.user_principal_name,
        role,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn revoke(state: &AppState, admin: &Admin<'_>, user_id: &str, role: Role) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(user) = store::users::find_active(&mut tx, user_id).await? else {
        return Err(ServiceError::NotFound);
    };
    if role == Role::GlobalAdministrator
        && store::roles::count_active_holders_locked(&mut tx, role).await? <= 1
        && store::roles::roles_of(&mut tx, user_id).await?.contains(&role)
    {
        return Err(ServiceError::Refused(
            "The last Global Administrator cannot be removed: give the role to someone else first.".into(),
        ));
    }
    if !store::roles::revoke(&mut tx, user_id, role).await? {
        return Err(ServiceError::Refused(format!(
            "{} does not hold {}.",
            user.display_name,
            role.label()
        )));
    }
    store::users::bump_session_epoch(&mut tx, user_id).await?;
    audit(
        &mut tx,
        &admin.actor,
        "Remove member from role",
        user_id,
        &user.user_principal_name,
        role,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn audit(
    tx: &mut store::Tx,
    actor: &Actor,
    activity: &str,
    user_id: &str,
    user_name: &str,
    role: Role,
    now: i64,
) -> sqlx::Result<()> {
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity,
            category: "RoleManagement",
            target_id: Some(user_id),
            target_name: Some(user_name),
            details: Some(role.label().to_owned()),
        },
        now,
    )
    .await
}
