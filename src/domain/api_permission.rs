//! Application permissions of the Graph-shaped API, by Microsoft Graph's
//! names and app-role IDs, so that a script written for Entra asks for the
//! same ones here. An application holds a permission once it is added on
//! its API permissions page *and* a Global Administrator granted admin
//! consent; the token's `roles` claim lists them.
//!
//! Each permission opens one family of routes, and what it lets an
//! application do to users is never more than a User Administrator may
//! (`ApiPermission::acting_role`): an application never touches a user who
//! holds a directory role, as Entra refuses app-only changes to them.

use crate::domain::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiPermission {
    UserInviteAll,
    UserReadAll,
    UserReadWriteAll,
    GroupReadAll,
    GroupReadWriteAll,
    GroupMemberReadWriteAll,
    ApplicationReadAll,
    AppRoleAssignmentReadWriteAll,
    AuditLogReadAll,
}

impl ApiPermission {
    pub const ALL: [ApiPermission; 9] = [
        ApiPermission::UserInviteAll,
        ApiPermission::UserReadAll,
        ApiPermission::UserReadWriteAll,
        ApiPermission::GroupReadAll,
        ApiPermission::GroupReadWriteAll,
        ApiPermission::GroupMemberReadWriteAll,
        ApiPermission::ApplicationReadAll,
        ApiPermission::AppRoleAssignmentReadWriteAll,
        ApiPermission::AuditLogReadAll,
    ];

    /// Graph's name, as in a token's `roles` and on the page.
    pub fn name(self) -> &'static str {
        match self {
            ApiPermission::UserInviteAll => "User.Invite.All",
            ApiPermission::UserReadAll => "User.Read.All",
            ApiPermission::UserReadWriteAll => "User.ReadWrite.All",
            ApiPermission::GroupReadAll => "Group.Read.All",
            ApiPermission::GroupReadWriteAll => "Group.ReadWrite.All",
            ApiPermission::GroupMemberReadWriteAll => "GroupMember.ReadWrite.All",
            ApiPermission::ApplicationReadAll => "Application.Read.All",
            ApiPermission::AppRoleAssignmentReadWriteAll => "AppRoleAssignment.ReadWrite.All",
            ApiPermission::AuditLogReadAll => "AuditLog.Read.All",
        }
    }

    /// Graph's app-role ID of the permission (scripts and infrastructure
    /// code name permissions by it).
    pub fn id(self) -> &'static str {
        match self {
            ApiPermission::UserInviteAll => "09850681-111b-4a89-9bed-3f2cae46d706",
            ApiPermission::UserReadAll => "df021288-bdef-4463-88db-98f22de89214",
            ApiPermission::UserReadWriteAll => "741f803b-c850-494e-b5df-cde7c675a1ca",
            ApiPermission::GroupReadAll => "5b567255-7703-4780-807c-7be8301ae99b",
            ApiPermission::GroupReadWriteAll => "62a82d76-70ea-41e2-9197-370581804d09",
            ApiPermission::GroupMemberReadWriteAll => "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
            ApiPermission::ApplicationReadAll => "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
            ApiPermission::AppRoleAssignmentReadWriteAll => "06b708a9-e830-4db3-a914-8e69da51d44f",
            ApiPermission::AuditLogReadAll => "b0afded3-3588-46d8-8b3d-9842eff778da",
        }
    }

    /// What the permission lets an application do, as the page says it.
    pub fn description(self) -> &'static str {
        match self {
            ApiPermission::UserInviteAll => "Invite guest users to the organization",
            ApiPermission::UserReadAll => "Read all users' full profiles",
            ApiPermission::UserReadWriteAll => {
                "Read and write all users' full profiles: edit, delete, restore, reset redemption, invite members"
            }
            ApiPermission::GroupReadAll => "Read all groups and their members",
            ApiPermission::GroupReadWriteAll => "Read and write all groups, members included",
            ApiPermission::GroupMemberReadWriteAll => "Read and write all group memberships",
            ApiPermission::ApplicationReadAll => "Read all applications and their app roles",
            ApiPermission::AppRoleAssignmentReadWriteAll => "Manage app role assignments to users and groups",
            ApiPermission::AuditLogReadAll => "Read all audit log and sign-in log data",
        }
    }

    /// The permission with this Graph name (exact, as Graph compares them).
    pub fn parse(name: &str) -> Option<Self> {
        ApiPermission::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The directory role whose rules an application's writes go through:
    /// the services check its permission and its reach on every target.
    /// Only inviting alone is a Guest Inviter's; every other write is a User
    /// Administrator's, never a Global Administrator's.
    pub fn acting_role(self) -> Role {
        match self {
            ApiPermission::UserInviteAll => Role::GuestInviter,
            _ => Role::UserAdministrator,
        }
    }
}

/// The permissions of a token's `roles`, unknown names left out.
pub fn parse_all<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<ApiPermission> {
    let mut all: Vec<ApiPermission> = names.into_iter().filter_map(ApiPermission::parse).collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_unique_and_round_trip() {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for p in ApiPermission::ALL {
            assert!(names.insert(p.name()) && ids.insert(p.id()), "{p:?}");
            assert_eq!(ApiPermission::parse(p.name()), Some(p));
            assert!(uuid::Uuid::parse_str(p.id()).is_ok(), "{p:?}");
        }
        assert_eq!(ApiPermission::parse("user.invite.all"), None);
        assert_eq!(ApiPermission::parse("Directory.ReadWrite.All"), None);
    }

    #[test]
    fn no_permission_acts_as_a_global_administrator() {
        for p in ApiPermission::ALL {
            assert_ne!(p.acting_role(), Role::GlobalAdministrator, "{p:?}");
        }
        assert_eq!(ApiPermission::UserInviteAll.acting_role(), Role::GuestInviter);
    }

    #[test]
    fn parse_all_drops_unknown_names_and_repeats() {
        assert_eq!(
            parse_all(["User.Read.All", "Nope", "User.Read.All", "AuditLog.Read.All"]),
            vec![ApiPermission::UserReadAll, ApiPermission::AuditLogReadAll]
        );
    }
}
