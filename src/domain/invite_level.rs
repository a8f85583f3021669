//! Guest invite settings: who in the organization may invite guests
//! (Entra's `authorizationPolicy.allowInvitesFrom`). Stored by Graph's key.

use crate::domain::role::{Permission, Role, any_allows};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteLevel {
    /// `everyone`: members and guests too.
    Everyone,
    /// `adminsGuestInvitersAndAllMembers`: members, not guests.
    AdminsGuestInvitersAndAllMembers,
    /// `adminsAndGuestInviters`: only the admin roles that invite (the default).
    AdminsAndGuestInviters,
    /// `none`: nobody, admins included.
    Nobody,
}

/// Who asks to invite, as far as the invite level cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inviter<'a> {
    /// A user holding directory roles, or an application acting with them.
    Roles(&'a [Role]),
    /// A member without an inviting role.
    Member,
    /// A guest who has accepted their invitation.
    Guest,
}

impl<'a> Inviter<'a> {
    /// A signed-in user as the invite level sees them: by their roles when
    /// one of them invites, otherwise by their user type.
    pub fn for_user(roles: &'a [Role], user_type: crate::domain::UserType) -> Inviter<'a> {
        if any_allows(roles, Permission::InviteGuests) {
            Inviter::Roles(roles)
        } else if user_type == crate::domain::UserType::Member {
            Inviter::Member
        } else {
            Inviter::Guest
        }
    }
}

impl InviteLevel {
    pub const ALL: [InviteLevel; 4] = [
        InviteLevel::Everyone,
        InviteLevel::AdminsGuestInvitersAndAllMembers,
        InviteLevel::AdminsAndGuestInviters,
        InviteLevel::Nobody,
    ];

    pub const DEFAULT: InviteLevel = InviteLevel::AdminsAndGuestInviters;

    /// The stored key, Graph's value.
    pub fn key(self) -> &'static str {
        match self {
            InviteLevel::Everyone => "everyone",
            InviteLevel::AdminsGuestInvitersAndAllMembers => "adminsGuestInvitersAndAllMembers",
            InviteLevel::AdminsAndGuestInviters => "adminsAndGuestInviters",
            InviteLevel::Nobody => "none",
        }
    }

    /// Entra's label on External collaboration settings.
    pub fn label(self) -> &'static str {
        match self {
            InviteLevel::Everyone => {
                "Anyone in the organization can invite guest users including guests and non-admins (most inclusive)"
            }
            InviteLevel::AdminsGuestInvitersAndAllMembers => {
                "Member users and users assigned to specific admin roles can invite guest users including guests with member permissions"
            }
            InviteLevel::AdminsAndGuestInviters => "Only users assigned to specific admin roles can invite guest users",
            InviteLevel::Nobody => {
                "No one in the organization can invite guest users including admins (most restrictive)"
            }
        }
    }

    /// A stored key; an unknown one (a row written by a newer version)
    /// reads as the default.
    pub fn from_key(key: &str) -> InviteLevel {
        Self::parse(key).unwrap_or(Self::DEFAULT)
    }

    /// The form's value.
    pub fn parse(input: &str) -> Result<InviteLevel, String> {
        Self::ALL
            .into_iter()
            .find(|level| level.key() == input.trim())
            .ok_or_else(|| "Choose who can invite guest users.".to_owned())
    }

    /// Whether `inviter` may invite a guest under this level. Roles are
    /// still asked for their own permission to invite.
    pub fn admits(self, inviter: Inviter<'_>) -> bool {
        match inviter {
            Inviter::Roles(roles) => self != InviteLevel::Nobody && any_allows(roles, Permission::InviteGuests),
            Inviter::Member => matches!(
                self,
                InviteLevel::Everyone | InviteLevel::AdminsGuestInvitersAndAllMembers
            ),
            Inviter::Guest => self == InviteLevel::Everyone,
        }
    }

    /// Why an inviter the level does not admit is refused.
    pub fn refusal(self) -> &'static str {
        match self {
            InviteLevel::Nobody => {
                "No one in this organization can invite guest users: the guest invite settings on External collaboration settings forbid it."
            }
            _ => "The guest invite settings on External collaboration settings do not let you invite guest users.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_keys_read_as_the_default() {
        for level in InviteLevel::ALL {
            assert_eq!(InviteLevel::parse(level.key()), Ok(level));
            assert_eq!(InviteLevel::from_key(level.key()), level);
        }
        assert!(InviteLevel::parse("anyone").is_err());
        assert!(InviteLevel::parse("").is_err());
        assert_eq!(InviteLevel::from_key("later"), InviteLevel::AdminsAndGuestInviters);
    }

    #[test]
    fn each_level_admits_whom_entra_says() {
        let inviter = [Role::GuestInviter];
        let helpdesk = [Role::HelpdeskAdministrator];
        let table = [
            (InviteLevel::Everyone, [true, true, true, false]),
            (
                InviteLevel::AdminsGuestInvitersAndAllMembers,
                [true, true, false, false],
            ),
            (InviteLevel::AdminsAndGuestInviters, [true, false, false, false]),
            (InviteLevel::Nobody, [false, false, false, false]),
        ];
        for (level, [roles, member, guest, no_invite_role]) in table {
            assert_eq!(level.admits(Inviter::Roles(&inviter)), roles, "{level:?} guest inviter");
            assert_eq!(level.admits(Inviter::Member), member, "{level:?} member");
            assert_eq!(level.admits(Inviter::Guest), guest, "{level:?} guest");
            assert_eq!(
                level.admits(Inviter::Roles(&helpdesk)),
                no_invite_role,
                "{level:?} helpdesk"
            );
        }
    }
}
