//! Who may act on which user: the one rule every action on a user goes
//! through, in the portal and in anything built on its services.
//!
//! An action needs its permission *and* a role whose reach covers the
//! target (Entra's rule for privileged targets):
//! - a Global Administrator reaches every user;
//! - User and Helpdesk Administrators reach users who hold no directory role;
//! - a Guest Inviter reaches guests who hold no directory role (the users it
//!   may invite).
//!
//! So only a Global Administrator ever changes, blocks, deletes, restores,
//! resets or re-invites a user who holds a role, and a role holder's address
//! (which Reset redemption status can change) is never changed by anyone else.

use crate::domain::role::Permission;
use crate::domain::{Role, UserType};

/// Something an admin does to one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    /// Edit properties, including Block sign-in.
    Edit,
    ResetPassword,
    Delete,
    Restore,
    DeletePermanently,
    ResendInvitation,
    ResetRedemption,
    CopyRedemptionUrl,
    /// Adding the user to a group, or removing them from one.
    ChangeGroups,
    /// Assigning the user to an application, changing or removing that.
    ChangeApps,
}

impl UserAction {
    pub const ALL: [UserAction; 10] = [
        UserAction::Edit,
        UserAction::ResetPassword,
        UserAction::Delete,
        UserAction::Restore,
        UserAction::DeletePermanently,
        UserAction::ResendInvitation,
        UserAction::ResetRedemption,
        UserAction::CopyRedemptionUrl,
        UserAction::ChangeGroups,
        UserAction::ChangeApps,
    ];

    /// The permission the action needs, whoever the target.
    pub fn permission(self) -> Permission {
        match self {
            UserAction::Edit | UserAction::ResetPassword => Permission::EditUsers,
            UserAction::Delete | UserAction::Restore | UserAction::DeletePermanently => Permission::DeleteUsers,
            UserAction::ResendInvitation | UserAction::CopyRedemptionUrl => Permission::ResendInvitation,
            UserAction::ResetRedemption => Permission::ResetRedemption,
            UserAction::ChangeGroups => Permission::ManageGroups,
            UserAction::ChangeApps => Permission::ManageApps,
        }
    }
}

/// What decides whether a user is within an admin's reach.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub roles: &'a [Role],
    pub user_type: UserType,
}

impl Role {
    /// True when this role's holder may act on `target` at all.
    pub fn reaches(self, target: Target<'_>) -> bool {
        match self {
            Role::GlobalAdministrator => true,
            Role::UserAdministrator | Role::HelpdeskAdministrator => target.roles.is_empty(),
            Role::GuestInviter => target.roles.is_empty() && target.user_type == UserType::Guest,
        }
    }
}

/// Why an action on a user is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// None of the actor's roles has the action's permission.
    NotPermitted,
    /// The permission is there, but the target is out of reach.
    OutOfReach(&'static str),
}

impl Refusal {
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::NotPermitted => "Your role cannot do this.",
            Refusal::OutOfReach(message) => message,
        }
    }
}

/// Decides whether an admin holding `actor_roles` may do `action` to `target`.
pub fn may_act_on(actor_roles: &[Role], action: UserAction, target: Target<'_>) -> Result<(), Refusal> {
    let permission = action.permission();
    let permitted: Vec<Role> = actor_roles.iter().copied().filter(|r| r.allows(permission)).collect();
    if permitted.is_empty() {
        return Err(Refusal::NotPermitted);
    }
    if permitted.iter().any(|r| r.reaches(target)) {
        return Ok(());
    }
    Err(Refusal::OutOfReach(if target.roles.is_empty() {
        "A Guest Inviter can act only on guests."
    } else {
        "Only a Global Administrator can act on a user who holds a directory role."
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    fn target(roles: &[Role], user_type: UserType) -> Target<'_> {
        Target { roles, user_type }
    }

    #[test]
    fn only_a_global_administrator_acts_on_a_role_holder() {
        for held in Role::ALL {
            let holder = target(std::slice::from_ref(&held), UserType::Member);
            for action in UserAction::ALL {
                assert_eq!(may_act_on(&[GlobalAdministrator], action, holder), Ok(()));
                for actor in [UserAdministrator, HelpdeskAdministrator, GuestInviter] {
                    assert!(
                        may_act_on(&[actor], action, holder).is_err(),
                        "{actor:?} may not {action:?} a {held:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn user_and_helpdesk_administrators_reach_users_without_roles() {
        for user_type in [UserType::Member, UserType::Guest] {
            let plain = target(&[], user_type);
            for action in UserAction::ALL {
                assert_eq!(may_act_on(&[UserAdministrator], action, plain), Ok(()), "{action:?}");
            }
            for action in [
                UserAction::ResendInvitation,
                UserAction::CopyRedemptionUrl,
                UserAction::ResetRedemption,
            ] {
                assert_eq!(may_act_on(&[HelpdeskAdministrator], action, plain), Ok(()));
            }
            assert_eq!(
                may_act_on(&[HelpdeskAdministrator], UserAction::Edit, plain),
                Err(Refusal::NotPermitted)
            );
        }
    }

    #[test]
    fn a_guest_inviter_resends_and_copies_for_guests_only() {
        let guest = target(&[], UserType::Guest);
        let member = target(&[], UserType::Member);
        for action in [UserAction::ResendInvitation, UserAction::CopyRedemptionUrl] {
            assert_eq!(may_act_on(&[GuestInviter], action, guest), Ok(()));
            assert!(matches!(
                may_act_on(&[GuestInviter], action, member),
                Err(Refusal::OutOfReach(_))
            ));
            // A second role that reaches members widens the reach.
            assert_eq!(
                may_act_on(&[GuestInviter, HelpdeskAdministrator], action, member),
                Ok(())
            );
        }
        assert_eq!(
            may_act_on(&[GuestInviter], UserAction::ResetRedemption, guest),
            Err(Refusal::NotPermitted)
        );
        assert_eq!(may_act_on(&[], UserAction::Edit, guest), Err(Refusal::NotPermitted));
    }
}
