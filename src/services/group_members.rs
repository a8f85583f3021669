//! Members of Assigned groups: Add members, Remove, and adding by
//! reference (one user, or up to `MAX_REFERENCES` at once when a group is
//! created or edited). Adding or removing a member acts on that user, so
//! the admin's reach must cover them (`UserAction::ChangeGroups`): only a
//! Global Administrator changes the groups of a user who holds a role.

use crate::app::AppState;
use crate::domain::user_action::UserAction;
use crate::services::groups::audit;
use crate::services::users::check_reach;
use crate::services::{Admin, ServiceError, ServiceResult};
use crate::store::audit::Actor;
use crate::store::groups::Group;
use crate::store::{self, Tx};

/// The most members one request may add by reference (Graph's limit for
/// `members@odata.bind`).
pub const MAX_REFERENCES: usize = 20;

/// The refusal of a member who is one already, in Graph's words (scripts
/// match on them).
pub const ALREADY_A_MEMBER: &str =
    "One or more added object references already exist for the following modified properties: 'members'.";

/// Add members: live users the admin reaches, and never into a dynamic group.
pub async fn add_members(
    state: &AppState,
    admin: &Admin<'_>,
    group_id: &str,
    user_ids: &[String],
) -> ServiceResult<usize> {
    if user_ids.is_empty() {
        return Err(ServiceError::Refused("Select at least one user.".into()));
    }
    if user_ids.len() > 100 {
        return Err(ServiceError::Refused("Select at most 100 users at a time.".into()));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut added = 0;
    for user_id in user_ids {
        if let Some(user) = store::users::find_active(&mut tx, user_id).await? {
            check_reach(&mut tx, admin, UserAction::ChangeGroups, &user).await?;
        }
        added += usize::from(add_member_in(&mut tx, &admin.actor, &group, user_id, now).await?);
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds one member inside the caller's transaction (also used when a new
/// guest is invited straight into a group). The caller has checked reach.
pub async fn add_member_in(tx: &mut Tx, actor: &Actor, group: &Group, user_id: &str, now: i64) -> ServiceResult<bool> {
    refuse_dynamic(group)?;
    let Some(user) = store::users::find_active(tx, user_id).await? else {
        return Err(ServiceError::Refused(
            "One of the selected users no longer exists.".into(),
        ));
    };
    let added = store::groups::add_member(tx, &group.id, user_id, now).await?;
    if added {
        let details = Some(format!("{} ({})", user.display_name, user.user_principal_name));
        audit(
            tx,
            actor,
            "Add member to group",
            (&group.id, &group.display_name),
            details,
            now,
        )
        .await?;
    }
    Ok(added)
}

fn refuse_dynamic(group: &Group) -> ServiceResult<()> {
    if group.is_dynamic() {
        return Err(ServiceError::Refused(format!(
            "{} is a Dynamic User group: its members come from its rule, so they cannot be added by hand.",
            group.display_name
        )));
    }
    Ok(())
}

/// Adds users by reference: each must be a live user (else not found)
/// whom the admin reaches, and none a member already (refused with
/// `ALREADY_A_MEMBER`): all of them, or none.
pub async fn add_references(
    state: &AppState,
    admin: &Admin<'_>,
    group_id: &str,
    user_ids: &[String],
) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    add_references_in(&mut tx, admin, &group, user_ids, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `add_references` inside the caller's transaction (New group and Edit
/// with their first members).
pub(crate) async fn add_references_in(
    tx: &mut Tx,
    admin: &Admin<'_>,
    group: &Group,
    user_ids: &[String],
    now: i64,
) -> ServiceResult<()> {
    if user_ids.len() > MAX_REFERENCES {
        return Err(ServiceError::Refused(format!(
            "At most {MAX_REFERENCES} members can be added in one request; {} were given.",
            user_ids.len()
        )));
    }
    for (i, user_id) in user_ids.iter().enumerate() {
        if user_ids[..i].contains(user_id) {
            return Err(ServiceError::Refused(format!("{user_id} is named twice.")));
        }
    }
    refuse_dynamic(group)?;
    for user_id in user_ids {
        let user = store::users::find_active(tx, user_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        check_reach(tx, admin, UserAction::ChangeGroups, &user).await?;
        if !add_member_in(tx, &admin.actor, group, user_id, now).await? {
            return Err(ServiceError::Refused(ALREADY_A_MEMBER.into()));
        }
    }
    Ok(())
}

pub async fn remove_member(state: &AppState, admin: &Admin<'_>, group_id: &str, user_id: &str) -> ServiceResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let group = store::groups::find(&mut tx, group_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if group.is_dynamic() {
        return Err(ServiceError::Refused(format!(
            "{} is a Dynamic User group: change its rule to change its members.",
            group.display_name
        )));
    }
    // A deleted user's memberships wait, unchanged, for a restore.
    let user = store::users::find_active(&mut tx, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_reach(&mut tx, admin, UserAction::ChangeGroups, &user).await?;
    if !store::groups::remove_member(&mut tx, group_id, user_id).await? {
        return Err(ServiceError::NotFound);
    }
    audit(
        &mut tx,
        &admin.actor,
        "Remove member from group",
        (group_id, &group.display_name),
        Some(user_id.to_owned()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
