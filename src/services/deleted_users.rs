//! Deleted users: Restore user and Delete permanently. A soft-deleted user
//! keeps their row, groups, app assignments and roles for the retention
//! period; restoring brings all of it back, deleting permanently removes it.
//! Only a Global Administrator does either to a user who holds a role.

use crate::app::AppState;
use crate::domain::user_action::UserAction;
use crate::services::Admin;
use crate::services::users::{audit, check_reach};
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::Actor;
use crate::store::users::User;
use crate::store::{self, Tx};

/// Entra's activity name for a permanent deletion.
pub const HARD_DELETE: &str = "Hard delete user";

/// Loads a soft-deleted user the admin may do `action` to, or says why not.
async fn deleted_target(tx: &mut Tx, admin: &Admin<'_>, action: UserAction, id: &str) -> ServiceResult<User> {
    let user = store::users::find_deleted(tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_reach(tx, admin, action, &user).await?;
    Ok(user)
}

fn address_taken(user: &User) -> ServiceError {
    let address = user.mail.as_deref().unwrap_or(&user.user_principal_name);
    ServiceError::Refused(format!(
        "{} cannot be restored: another user now has the address {address}. \
         Change or delete that user first.",
        user.display_name
    ))
}

/// Restore user: live again with their groups, app assignments and roles;
/// dynamic memberships are recomputed. Sessions from before the delete stay
/// ended; a pending invitation's link works again.
pub async fn restore_user(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<User> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = deleted_target(&mut tx, admin, UserAction::Restore, id).await?;
    if store::users::address_taken_by_other_live_user(&mut tx, id).await? {
        return Err(address_taken(&user));
    }
    match store::users::restore(&mut tx, id).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::NotFound),
        Err(e) if store::is_unique_violation(&e) => return Err(address_taken(&user)),
        Err(e) => return Err(e.into()),
    }
    crate::services::groups::refresh_user(&mut tx, id, now).await?;
    audit(&mut tx, &admin.actor, "Restore user", &user, None, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Delete permanently: the user and everything hanging off them, at once.
pub async fn delete_permanently(state: &AppState, admin: &Admin<'_>, id: &str) -> ServiceResult<User> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = deleted_target(&mut tx, admin, UserAction::DeletePermanently, id).await?;
    if !hard_delete_in(&mut tx, &admin.actor, &user, i64::MAX, None, now).await? {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await?;
    Ok(user)
}

/// Deletes `user` for good if they were soft-deleted before `deleted_before`,
/// and writes the audit line only then, in the caller's transaction; false
/// when someone else already did (or the user was restored meanwhile).
pub(crate) async fn hard_delete_in(
    tx: &mut Tx,
    actor: &Actor,
    user: &User,
    deleted_before: i64,
    reason: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    if !store::deleted_users::delete_permanently(tx, &user.id, deleted_before).await? {
        return Ok(false);
    }
    let mut details = format!(
        "displayName={}; mail={}; userPrincipalName={}; userType={}",
        user.display_name,
        user.mail.as_deref().unwrap_or(""),
        user.user_principal_name,
        user.user_type.as_str()
    );
    if let Some(reason) = reason {
        details.push_str("; ");
        details.push_str(reason);
    }
    audit(tx, actor, HARD_DELETE, user, Some(details), now).await?;
    Ok(true)
}
