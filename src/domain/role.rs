//! Directory roles and what each may do (SPEC §6).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    GlobalAdministrator,
    UserAdministrator,
    HelpdeskAdministrator,
    GuestInviter,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::GlobalAdministrator,
        Role::UserAdministrator,
        Role::HelpdeskAdministrator,
        Role::GuestInviter,
    ];

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "global_administrator",
            Role::UserAdministrator => "user_administrator",
            Role::HelpdeskAdministrator => "helpdesk_administrator",
            Role::GuestInviter => "guest_inviter",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global Administrator",
            Role::UserAdministrator => "User Administrator",
            Role::HelpdeskAdministrator => "Helpdesk Administrator",
            Role::GuestInviter => "Guest Inviter",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Can do everything, including settings and roles.",
            Role::UserAdministrator => "Manages users, groups and app assignments; invites guests and members.",
            Role::HelpdeskAdministrator => "Reads users, resends invitations and resets redemption status.",
            Role::GuestInviter => "Invites guests and reads users.",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::GlobalAdministrator => true,
            Role::UserAdministrator => !matches!(
                permission,
                ManageSettings | ManageRoles | ManageSingleSignOn | ManageApiPermissions
            ),
            Role::HelpdeskAdministrator => {
                matches!(permission, AdminPortal | ReadUsers | ResendInvitation | ResetRedemption)
            }
            Role::GuestInviter => matches!(permission, AdminPortal | ReadUsers | InviteGuests | ResendInvitation),
        }
    }
}

/// Something an admin page or action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Any directory role: the admin shell itself.
    AdminPortal,
    ReadUsers,
    InviteGuests,
    /// Bulk invite from a CSV file: at least a User Administrator, as in
    /// Entra (a Guest Inviter invites one guest at a time).
    BulkInvite,
    /// Inviting with user type Member, or with group and app assignments.
    InviteMembersOrAssignments,
    ResendInvitation,
    ResetRedemption,
    EditUsers,
    DeleteUsers,
    ManageGroups,
    ManageApps,
    /// An application's Single sign-on and Certificates & secrets: how it
    /// signs users in through Vestibule and the secrets it does so with
    /// (SPEC §8: Global Administrators only).
    ManageSingleSignOn,
    /// An application's API permissions and their admin consent.
    ManageApiPermissions,
    ReadAuditLogs,
    ManageSettings,
    ManageRoles,
}

/// True when any of `roles` allows `permission`.
pub fn any_allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.allows(permission))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn the_matrix_follows_the_spec() {
        let ga = Role::GlobalAdministrator;
        let ua = Role::UserAdministrator;
        let hd = Role::HelpdeskAdministrator;
        let gi = Role::GuestInviter;
        assert!(ga.allows(ManageRoles) && ga.allows(ManageSettings));
        assert!(!ua.allows(ManageRoles) && !ua.allows(ManageSettings));
        assert!(ua.allows(InviteMembersOrAssignments) && ua.allows(ManageGroups) && ua.allows(DeleteUsers));
        assert!(hd.allows(ResetRedemption) && !hd.allows(InviteGuests) && !hd.allows(EditUsers));
        assert!(gi.allows(InviteGuests) && gi.allows(ReadUsers) && gi.allows(ResendInvitation));
        assert!(!gi.allows(ResetRedemption) && !gi.allows(InviteMembersOrAssignments) && !gi.allows(ManageGroups));
        assert!(ga.allows(BulkInvite) && ua.allows(BulkInvite));
        assert!(!gi.allows(BulkInvite) && !hd.allows(BulkInvite));
        assert!(ga.allows(ManageSingleSignOn) && ga.allows(ManageApiPermissions));
        assert!(
            !ua.allows(ManageApiPermissions) && !hd.allows(ManageApiPermissions) && !gi.allows(ManageApiPermissions)
        );
        assert!(!ua.allows(ManageSingleSignOn) && !hd.allows(ManageSingleSignOn) && !gi.allows(ManageSingleSignOn));
        assert!(!any_allows(&[], AdminPortal));
    }

    #[test]
    fn keys_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_key(r.key()), Some(r));
        }
        assert_eq!(Role::from_key("root"), None);
    }
}
