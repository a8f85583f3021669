//! The role × route × target test, generated from the portal's own route
//! table (`vestibule::web::routes::all`). Every route must have a rule here
//! (SPEC §6 and §8): a new route without one fails
//! `every_route_has_a_rule_and_every_rule_a_route`. Each actor — anonymous,
//! a guest, a member without roles, and a holder of each directory role —
//! requests every route; routes that act on a user do so for a target
//! without roles (guest and member), a target holding each role, and
//! deleted targets. Each request gets a fresh world (target, group,
//! application, assignment), and a refused POST must leave every table as
//! it was.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Client;
use vestibule::domain::{Role, UserType};
use vestibule::web::routes::Route;

use crate::common::directory::Invited;
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, csrf_token, location, new_client, spawn_app_with};

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// Anyone, signed in or not: never refused for who they are.
    Anyone,
    /// Any signed-in user.
    SignedIn,
    /// A holder of one of these roles.
    Needs(&'static [Role]),
    /// A live user's profile: any admin role; a deleted target is not found.
    ReadUser,
    /// An action on a live user: a holder of one of these roles whose reach
    /// covers the target. A deleted target is not found.
    OnUser(&'static [Role]),
    /// An action on a deleted user: found only for deleted targets.
    OnDeletedUser(&'static [Role]),
    /// A signed-in guest's own page (Leave organization).
    GuestOnly,
    /// An API route: an application holding one of these permissions.
    /// Sessions get 401 (the API takes bearer tokens only).
    Api(&'static [&'static str]),
    /// An API route acting on a live user: one of these permissions, and
    /// the target within the reach of the role the application acts with
    /// (`api_acting_role`). A deleted target is not found.
    ApiOnUser(&'static [&'static str]),
    /// An API route acting on a deleted user: found only for deleted targets.
    ApiOnDeletedUser(&'static [&'static str]),
}

impl Rule {
    pub(crate) fn is_api(self) -> bool {
        matches!(self, Rule::Api(_) | Rule::ApiOnUser(_) | Rule::ApiOnDeletedUser(_))
    }
}

/// Graph's permissions, as SPEC §8 names them, per family of API routes.
pub(crate) const INVITE: &[&str] = &["User.Invite.All", "User.ReadWrite.All"];
/// Reading users: every live user, whoever holds a role (reading is not
/// acting on them).
pub(crate) const READ_USERS: &[&str] = &["User.Read.All", "User.ReadWrite.All"];
/// A user's groups: readable from the user's side or the groups'.
pub(crate) const READ_MEMBER_OF: &[&str] = &["User.Read.All", "User.ReadWrite.All", "Group.Read.All"];
/// Editing, deleting and restoring users.
pub(crate) const WRITE_USERS: &[&str] = &["User.ReadWrite.All"];
/// Every permission: `$batch` needs none of its own (each of its requests
/// is checked for its own), but an application holding none is refused.
pub(crate) const ANY_PERMISSION: &[&str] = &[
    "User.Invite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "AuditLog.Read.All",
];
/// Groups, service principals and the logs.
const GROUP_READ: &[&str] = &["Group.Read.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All"];
const GROUP_WRITE: &[&str] = &["Group.ReadWrite.All"];
const GROUP_MEMBERS: &[&str] = &["GroupMember.ReadWrite.All", "Group.ReadWrite.All"];
const APP_READ: &[&str] = &["Application.Read.All", "AppRoleAssignment.ReadWrite.All"];
const APP_ASSIGN: &[&str] = &["AppRoleAssignment.ReadWrite.All"];
const AUDIT_READ: &[&str] = &["AuditLog.Read.All"];

// SPEC §6, written out again here rather than read from the portal's own
// role table, so that a change there cannot change what this test expects.
const GA: Role = Role::GlobalAdministrator;
const UA: Role = Role::UserAdministrator;
const HD: Role = Role::HelpdeskAdministrator;
const GI: Role = Role::GuestInviter;
/// Every directory role: the admin portal, All users, Resend invitation and
/// Copy redemption URL.
const ADMINS: &[Role] = &[GA, UA, HD, GI];
/// Invite guests.
const INVITERS: &[Role] = &[GA, UA, GI];
/// Reset redemption status.
const RESETTERS: &[Role] = &[GA, UA, HD];
/// Edit, delete and restore users; groups, apps and their assignments; audit logs.
const MANAGERS: &[Role] = &[GA, UA];
/// Bulk invite: at least a User Administrator, as in Entra.
const BULK: &[Role] = &[GA, UA];
/// Settings, roles, and applications' Single sign-on and Certificates & secrets.
const GLOBAL: &[Role] = &[GA];

/// SPEC §8: whom a role may act on. A Global Administrator reaches everyone;
/// User and Helpdesk Administrators, users without roles; a Guest Inviter,
/// guests without roles.
pub(crate) fn reaches(role: Role, target: TargetKind) -> bool {
    match role {
        Role::GlobalAdministrator => true,
        Role::UserAdministrator | Role::HelpdeskAdministrator => target.roles().is_empty(),
        Role::GuestInviter => target.roles().is_empty() && target.user_type() == UserType::Guest,
    }
}

/// The rule of every route, from SPEC §6 (who may do what) and §8 (on
/// which target).
pub(crate) fn rules() -> HashMap<(&'static str, &'static str), Rule> {
    use Rule::*;
    let table: &[(&str, &str, Rule)] = &[
        ("GET", "/", SignedIn),
        ("GET", "/healthz", Anyone),
        ("GET", "/readyz", Anyone),
        ("GET", "/static/{file:.*}", Anyone),
        ("GET", "/account/organizations", SignedIn),
        // Invite a guest, under the default guest invite settings (admin
        // roles that invite); tests/api/invite_guest.rs walks the others.
        ("GET", "/account/invite", Needs(INVITERS)),
        ("POST", "/account/invite", Needs(INVITERS)),
        ("GET", "/account/organizations/leave", GuestOnly),
        ("POST", "/account/organizations/leave", GuestOnly),
        ("POST", "/signout", Anyone),
        ("GET", "/account/password", SignedIn),
        ("POST", "/account/password", SignedIn),
        ("GET", "/myapps", SignedIn),
        ("GET", "/apps/{id}/logo", SignedIn),
        ("GET", "/invitations/block", Anyone),
        ("POST", "/invitations/block", Anyone),
        ("GET", "/signin", Anyone),
        ("POST", "/signin", Anyone),
        ("POST", "/signin/code", Anyone),
        ("POST", "/signin/code/verify", Anyone),
        ("GET", "/redeem", Anyone),
        ("POST", "/redeem/code", Anyone),
        ("POST", "/redeem/provider", Anyone),
        ("GET", "/redeem/verify", Anyone),
        ("POST", "/redeem/verify", Anyone),
        ("POST", "/redeem/continue", Anyone),
        ("GET", "/redeem/consent", Anyone),
        ("POST", "/redeem/accept", Anyone),
        ("POST", "/redeem/cancel", Anyone),
        ("GET", "/admin", Needs(ADMINS)),
        ("GET", "/admin/", Needs(ADMINS)),
        ("GET", "/admin/users", Needs(ADMINS)),
        ("GET", "/admin/users/invite", Needs(INVITERS)),
        ("POST", "/admin/users/invite", Needs(INVITERS)),
        ("POST", "/admin/users/invite/review", Needs(INVITERS)),
        ("POST", "/admin/users/invite/edit", Needs(INVITERS)),
        ("GET", "/admin/users/new", Needs(MANAGERS)),
        ("POST", "/admin/users/new", Needs(MANAGERS)),
        ("GET", "/admin/users/bulk-invite", Needs(BULK)),
        ("POST", "/admin/users/bulk-invite", Needs(BULK)),
        ("GET", "/admin/users/bulk-invite/template.csv", Needs(BULK)),
        ("GET", "/admin/users/bulk-invite/{id}", Needs(BULK)),
        ("POST", "/admin/users/bulk-invite/{id}/submit", Needs(BULK)),
        ("GET", "/admin/users/bulk-operations", Needs(BULK)),
        ("GET", "/admin/users/bulk-operations/{id}", Needs(BULK)),
        ("GET", "/admin/users/bulk-operations/{id}/progress", Needs(BULK)),
        ("GET", "/admin/users/bulk-operations/{id}/results.csv", Needs(BULK)),
        ("GET", "/admin/users/deleted", Needs(MANAGERS)),
        ("GET", "/admin/users/deleted/{id}/restore", OnDeletedUser(MANAGERS)),
        ("POST", "/admin/users/deleted/{id}/restore", OnDeletedUser(MANAGERS)),
        ("GET", "/admin/users/deleted/{id}/delete", OnDeletedUser(MANAGERS)),
        ("POST", "/admin/users/deleted/{id}/delete", OnDeletedUser(MANAGERS)),
        ("GET", "/admin/users/{id}", ReadUser),
        ("GET", "/admin/users/{id}/edit", OnUser(MANAGERS)),
        ("POST", "/admin/users/{id}/edit", OnUser(MANAGERS)),
        ("POST", "/admin/users/{id}/reset-password", OnUser(MANAGERS)),
        ("GET", "/admin/users/{id}/delete", OnUser(MANAGERS)),
        ("POST", "/admin/users/{id}/delete", OnUser(MANAGERS)),
        ("POST", "/admin/users/{id}/resend", OnUser(ADMINS)),
        ("GET", "/admin/users/{id}/reset-redemption", OnUser(RESETTERS)),
        ("POST", "/admin/users/{id}/reset-redemption", OnUser(RESETTERS)),
        ("GET", "/admin/users/{id}/redemption-url", OnUser(ADMINS)),
        ("POST", "/admin/users/{id}/redemption-url", OnUser(ADMINS)),
        ("GET", "/admin/apps/{id}/assignments", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}/assignments/add", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}/assignments/add", OnUser(MANAGERS)),
        ("GET", "/admin/apps/{id}/assignments/{aid}/edit", OnUser(MANAGERS)),
        ("POST", "/admin/apps/{id}/assignments/{aid}/edit", OnUser(MANAGERS)),
        ("POST", "/admin/apps/{id}/assignments/{aid}/remove", OnUser(MANAGERS)),
        ("GET", "/admin/groups", Needs(MANAGERS)),
        ("GET", "/admin/groups/new", Needs(MANAGERS)),
        ("POST", "/admin/groups/new", Needs(MANAGERS)),
        ("POST", "/admin/groups/new/validate", Needs(MANAGERS)),
        ("GET", "/admin/groups/{id}", Needs(MANAGERS)),
        ("GET", "/admin/groups/{id}/edit", Needs(MANAGERS)),
        ("POST", "/admin/groups/{id}/edit", Needs(MANAGERS)),
        ("POST", "/admin/groups/{id}/edit/validate", Needs(MANAGERS)),
        ("GET", "/admin/groups/{id}/delete", Needs(MANAGERS)),
        ("POST", "/admin/groups/{id}/delete", Needs(MANAGERS)),
        ("GET", "/admin/groups/{id}/members", Needs(MANAGERS)),
        ("GET", "/admin/groups/{id}/members/add", Needs(MANAGERS)),
        ("POST", "/admin/groups/{id}/members/add", OnUser(MANAGERS)),
        ("POST", "/admin/groups/{id}/members/remove", OnUser(MANAGERS)),
        ("GET", "/admin/apps", Needs(MANAGERS)),
        ("GET", "/admin/apps/new", Needs(MANAGERS)),
        ("POST", "/admin/apps/new", Needs(MANAGERS)),
        ("GET", "/admin/apps/new/{key}", Needs(MANAGERS)),
        ("POST", "/admin/apps/new/{key}", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}/delete", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}/delete", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}/roles", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}/roles", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}/roles/{role_id}", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}/roles/{role_id}", Needs(MANAGERS)),
        ("POST", "/admin/apps/{id}/roles/{role_id}/enabled", Needs(MANAGERS)),
        ("GET", "/admin/apps/{id}/single-sign-on", Needs(GLOBAL)),
        ("POST", "/admin/apps/{id}/single-sign-on", Needs(GLOBAL)),
        ("GET", "/admin/apps/{id}/credentials", Needs(GLOBAL)),
        ("POST", "/admin/apps/{id}/credentials/new", Needs(GLOBAL)),
        ("GET", "/admin/apps/{id}/credentials/{secret_id}/delete", Needs(GLOBAL)),
        ("POST", "/admin/apps/{id}/credentials/{secret_id}/delete", Needs(GLOBAL)),
        ("GET", "/admin/apps/{id}/api-permissions", Needs(GLOBAL)),
        ("POST", "/admin/apps/{id}/api-permissions/add", Needs(GLOBAL)),
        ("GET", "/admin/apps/{id}/api-permissions/consent", Needs(GLOBAL)),
        ("POST", "/admin/apps/{id}/api-permissions/consent", Needs(GLOBAL)),
        (
            "POST",
            "/admin/apps/{id}/api-permissions/{permission}/revoke",
            Needs(GLOBAL),
        ),
        (
            "POST",
            "/admin/apps/{id}/api-permissions/{permission}/remove",
            Needs(GLOBAL),
        ),
        ("GET", "/admin/settings", Needs(GLOBAL)),
        ("GET", "/admin/settings/organization", Needs(GLOBAL)),
        ("POST", "/admin/settings/organization", Needs(GLOBAL)),
        ("GET", "/admin/settings/collaboration", Needs(GLOBAL)),
        ("POST", "/admin/settings/collaboration", Needs(GLOBAL)),
        ("GET", "/admin/identity-providers", Needs(GLOBAL)),
        // Where a guest's identity provider sends the browser back.
        ("GET", "/federation/callback", Anyone),
        (
            "POST",
            "/admin/identity-providers/email-one-time-passcode",
            Needs(GLOBAL),
        ),
        ("GET", "/admin/identity-providers/new", Needs(GLOBAL)),
        ("POST", "/admin/identity-providers/new", Needs(GLOBAL)),
        ("GET", "/admin/identity-providers/{id}", Needs(GLOBAL)),
        ("POST", "/admin/identity-providers/{id}", Needs(GLOBAL)),
        ("GET", "/admin/identity-providers/{id}/delete", Needs(GLOBAL)),
        ("POST", "/admin/identity-providers/{id}/delete", Needs(GLOBAL)),
        ("GET", "/admin/audit", Needs(MANAGERS)),
        ("GET", "/admin/audit/export.csv", Needs(MANAGERS)),
        ("GET", "/admin/sign-in-logs", Needs(MANAGERS)),
        ("GET", "/admin/sign-in-logs/export", Needs(MANAGERS)),
        ("GET", "/admin/roles", Needs(GLOBAL)),
        ("POST", "/admin/roles/add", Needs(GLOBAL)),
        ("POST", "/admin/roles/remove", Needs(GLOBAL)),
        // OpenID Connect: the protocol decides (clients, tokens, sessions).
        ("GET", "/.well-known/openid-configuration", Anyone),
        ("GET", "/{tenant}/v2.0/.well-known/openid-configuration", Anyone),
        ("GET", "/{tenant}/discovery/v2.0/keys", Anyone),
        ("GET", "/{tenant}/oauth2/v2.0/authorize", Anyone),
        ("POST", "/{tenant}/oauth2/v2.0/authorize", Anyone),
        ("POST", "/{tenant}/oauth2/v2.0/token", Anyone),
        ("GET", "/oidc/userinfo", Anyone),
        ("POST", "/oidc/userinfo", Anyone),
        ("GET", "/{tenant}/oauth2/v2.0/logout", Anyone),
        ("POST", "/{tenant}/oauth2/v2.0/logout", Anyone),
        // The Graph-shaped API: applications with permissions, by bearer token.
        ("POST", "/v1.0/invitations", Api(INVITE)),
        ("GET", "/v1.0/users", Api(READ_USERS)),
        ("GET", "/v1.0/users/$count", Api(READ_USERS)),
        ("GET", "/v1.0/users/{id}", Api(READ_USERS)),
        ("PATCH", "/v1.0/users/{id}", ApiOnUser(WRITE_USERS)),
        ("DELETE", "/v1.0/users/{id}", ApiOnUser(WRITE_USERS)),
        ("GET", "/v1.0/users/{id}/memberOf", Api(READ_MEMBER_OF)),
        (
            "GET",
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            Api(READ_USERS),
        ),
        (
            "POST",
            "/v1.0/directory/deletedItems/{id}/restore",
            ApiOnDeletedUser(WRITE_USERS),
        ),
        ("POST", "/v1.0/$batch", Api(ANY_PERMISSION)),
        // The API's OpenAPI document is public, as Graph's metadata is.
        ("GET", "/v1.0/openapi.json", Anyone),
        // Groups, service principals and the logs.
        ("GET", "/v1.0/groups", Api(GROUP_READ)),
        ("POST", "/v1.0/groups", Api(GROUP_WRITE)),
        ("GET", "/v1.0/groups/{id}", Api(GROUP_READ)),
        ("PATCH", "/v1.0/groups/{id}", Api(GROUP_WRITE)),
        ("DELETE", "/v1.0/groups/{id}", Api(GROUP_WRITE)),
        ("GET", "/v1.0/groups/{id}/members", Api(GROUP_READ)),
        ("POST", "/v1.0/groups/{id}/members/$ref", ApiOnUser(GROUP_MEMBERS)),
        (
            "DELETE",
            "/v1.0/groups/{id}/members/{member_id}/$ref",
            ApiOnUser(GROUP_MEMBERS),
        ),
        ("GET", "/v1.0/servicePrincipals", Api(APP_READ)),
        ("GET", "/v1.0/servicePrincipals(appId='{app_id}')", Api(APP_READ)),
        ("GET", "/v1.0/servicePrincipals/{id}", Api(APP_READ)),
        ("GET", "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", Api(APP_READ)),
        (
            "POST",
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            ApiOnUser(APP_ASSIGN),
        ),
        (
            "DELETE",
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment_id}",
            ApiOnUser(APP_ASSIGN),
        ),
        ("GET", "/v1.0/auditLogs/directoryAudits", Api(AUDIT_READ)),
        ("GET", "/v1.0/auditLogs/signIns", Api(AUDIT_READ)),
        ("GET", "/dev/mailbox", Anyone),
        ("GET", "/dev/mailbox/{id}", Anyone),
        ("GET", "/dev/mailbox/{id}/html", Anyone),
    ];
    let mut rules = HashMap::new();
    for (method, path, rule) in table {
        assert!(rules.insert((*method, *path), *rule).is_none(), "{method} {path} twice");
    }
    rules
}

#[test]
fn every_route_has_a_rule_and_every_rule_a_route() {
    let rules = rules();
    let routes = vestibule::web::routes::all();
    let missing: Vec<String> = routes
        .iter()
        .filter(|r| !rules.contains_key(&(r.method, r.path)))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(missing.is_empty(), "routes without a rule in this test: {missing:?}");
    let stale: Vec<_> = rules
        .keys()
        .filter(|(m, p)| !routes.contains(&Route { method: m, path: p }))
        .collect();
    assert!(
        stale.is_empty(),
        "rules for routes the portal does not serve: {stale:?}"
    );
}

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Asker {
    Anonymous,
    Guest,
    Member,
    Admin(Role),
}

impl Asker {
    fn roles(self) -> Vec<Role> {
        match self {
            Asker::Admin(role) => vec![role],
            _ => vec![],
        }
    }
}

/// The user a request acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetKind {
    Guest,
    Member,
    Holder(Role),
    Deleted(Option<Role>),
}

impl TargetKind {
    pub(crate) const ALL: [TargetKind; 8] = [
        TargetKind::Guest,
        TargetKind::Member,
        TargetKind::Holder(Role::GlobalAdministrator),
        TargetKind::Holder(Role::UserAdministrator),
        TargetKind::Holder(Role::HelpdeskAdministrator),
        TargetKind::Holder(Role::GuestInviter),
        TargetKind::Deleted(None),
        TargetKind::Deleted(Some(Role::GlobalAdministrator)),
    ];

    pub(crate) fn roles(self) -> Vec<Role> {
        match self {
            TargetKind::Holder(role) | TargetKind::Deleted(Some(role)) => vec![role],
            _ => vec![],
        }
    }

    pub(crate) fn user_type(self) -> UserType {
        match self {
            TargetKind::Guest | TargetKind::Deleted(None) => UserType::Guest,
            _ => UserType::Member,
        }
    }

    pub(crate) fn deleted(self) -> bool {
        matches!(self, TargetKind::Deleted(_))
    }
}

/// What a request should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Served: a page, a redirect onward, or a refusal of the input (400,
    /// 422) — never a refusal of who asks.
    Served,
    /// Sent to sign in first.
    SignIn,
    /// 403, and nothing written.
    Forbidden,
    /// The target is not there for this route: 404 or 422, nothing written.
    Gone,
    /// 401: an API route asked without a bearer token.
    NoToken,
}

fn expect(rule: Rule, asker: Asker, target: TargetKind) -> Expect {
    let roles = asker.roles();
    let signed_in = asker != Asker::Anonymous;
    let holds = |allowed: &[Role]| roles.iter().any(|r| allowed.contains(r));
    let on_user = |allowed: &[Role], found: bool| {
        if !signed_in {
            Expect::SignIn
        } else if !holds(allowed) {
            Expect::Forbidden
        } else if !found {
            Expect::Gone
        } else if roles.iter().any(|r| allowed.contains(r) && reaches(*r, target)) {
            Expect::Served
        } else {
            Expect::Forbidden
        }
    };
    match rule {
        _ if rule.is_api() => Expect::NoToken,
        Rule::Anyone => Expect::Served,
        Rule::SignedIn if signed_in => Expect::Served,
        Rule::SignedIn => Expect::SignIn,
        Rule::GuestOnly if !signed_in => Expect::SignIn,
        Rule::GuestOnly if asker == Asker::Guest => Expect::Served,
        Rule::GuestOnly => Expect::Forbidden,
        Rule::Needs(_) if !signed_in => Expect::SignIn,
        Rule::Needs(allowed) if holds(allowed) => Expect::Served,
        Rule::Needs(_) => Expect::Forbidden,
        Rule::ReadUser if !signed_in => Expect::SignIn,
        Rule::ReadUser if !holds(ADMINS) => Expect::Forbidden,
        Rule::ReadUser if target.deleted() => Expect::Gone,
        Rule::ReadUser => Expect::Served,
        Rule::OnUser(allowed) => on_user(allowed, !target.deleted()),
        Rule::OnDeletedUser(allowed) => on_user(allowed, target.deleted()),
        Rule::Api(_) | Rule::ApiOnUser(_) | Rule::ApiOnDeletedUser(_) => Expect::NoToken,
    }
}

/// The rows a request works on, made afresh for each request.
pub(crate) struct World {
    pub(crate) target: String,
    pub(crate) target_email: String,
    pub(crate) group: String,
    pub(crate) app: String,
    pub(crate) app_role: String,
    pub(crate) assignment: String,
    pub(crate) outbox: String,
    /// A client secret of the application.
    pub(crate) secret: String,
    /// The application's Application (client) ID.
    pub(crate) client_id: String,
    /// A bulk invite file the asker uploaded, validated and not submitted.
    pub(crate) bulk_upload: String,
    /// A submitted bulk invite job.
    pub(crate) bulk_job: String,
    /// An OpenID Connect identity provider.
    pub(crate) identity_provider: String,
}

pub(crate) struct Walk {
    pub(crate) app: TestApp,
    sink: SmtpSink,
    asker: Asker,
    client: Client,
    csrf: String,
    serial: usize,
    /// The signed-in asker's user id, if any.
    asker_id: Option<String>,
}

const PASSWORD: &str = "Route-walk-passw0rd";

impl Walk {
    pub(crate) async fn start(asker: Asker) -> Self {
        let sink = SmtpSink::start();
        let url = sink.url();
        let app = spawn_app_with(|s| {
            s.smtp_url = Some(url);
            s.mail_poll = Duration::from_millis(20);
            // Hundreds of requests from one address.
            s.signin_limit_per_ip = 100_000;
            s.guest_flow_limit_per_ip = 100_000;
        })
        .await;
        let mut walk = Walk {
            app,
            sink,
            asker,
            client: new_client(),
            csrf: String::new(),
            serial: 0,
            asker_id: None,
        };
        walk.sign_in().await;
        walk
    }

    pub(crate) fn next(&mut self, what: &str) -> String {
        self.serial += 1;
        format!("{what}{}", self.serial)
    }

    /// A new session for the asker (a new user each time: a guest may have
    /// left the organization, a member changed nothing but signed out).
    async fn sign_in(&mut self) {
        self.client = new_client();
        self.asker_id = None;
        let guest_email = format!("{}@fabrikam.test", self.next("asker"));
        let member_email = format!("{}@contoso.test", self.next("asker"));
        let app = &self.app;
        match self.asker {
            Asker::Anonymous => {}
            Asker::Guest => {
                let email = guest_email;
                app.invited_user(&email, UserType::Guest, Invited::Accepted).await;
                let sent = self.sink.messages().len();
                let res = app
                    .submit_with(&self.client, "/signin", "/signin/code", &[("email", &email)])
                    .await;
                assert_eq!(res.status(), 200, "the guest asks for a code");
                let code = code_in(&self.sink, &email, sent).await;
                let res = app
                    .submit_with(&self.client, "/signin", "/signin/code/verify", &[("code", &code)])
                    .await;
                if location(&res) == "/redeem/consent" {
                    let res = app
                        .submit_with(&self.client, "/redeem/consent", "/redeem/accept", &[])
                        .await;
                    assert_eq!(res.status(), 303, "the guest accepts");
                }
            }
            Asker::Member | Asker::Admin(_) => {
                let email = member_email;
                let role = match self.asker {
                    Asker::Admin(role) => role.key(),
                    _ => "",
                };
                self.asker_id = Some(app.create_member(&email, PASSWORD, role).await);
                let res = app.sign_in_with(&self.client, &email, PASSWORD).await;
                assert_eq!(res.status(), 303, "{:?} signs in", self.asker);
            }
        }
        let page = if self.asker == Asker::Anonymous {
            "/signin"
        } else {
            "/myapps"
        };
        let res = app.get_with(&self.client, page).await;
        assert_eq!(res.status(), 200, "{:?} opens {page}", self.asker);
        self.csrf = csrf_token(&res.text().await.unwrap());
    }

    async fn still_signed_in(&self) -> bool {
        self.asker == Asker::Anonymous || self.app.get_with(&self.client, "/myapps").await.status() == 200
    }

    pub(crate) async fn world(&mut self, kind: TargetKind, state: Invited) -> World {
        let target_email = format!("{}@fabrikam.test", self.next("target"));
        let group_name = self.next("Group ");
        let app_name = self.next("DocuSign ");
        let app = &self.app;
        let target = app.invited_user(&target_email, kind.user_type(), state).await;
        for role in kind.roles() {
            app.grant_role(&target, role).await;
        }
        let group = vestibule::services::groups::create_group(
            &app.state,
            &crate::common::system_admin(),
            &vestibule::services::groups::GroupForm {
                display_name: group_name,
                membership_type: "Assigned".into(),
                ..Default::default()
            },
        )
        .await
        .expect("a group");
        let (application, app_role) = crate::common::gallery_app(app, "docusign", &app_name).await;
        let now = app.clock.now();
        let mut conn = app.db.pool().acquire().await.unwrap();
        vestibule::store::groups::add_member(&mut conn, &group, &target, now)
            .await
            .unwrap();
        vestibule::store::assignments::insert(&mut conn, &application.id, &app_role, "User", &target, now)
            .await
            .unwrap();
        drop(conn);
        let assignment = sqlx::query_scalar("SELECT id FROM app_role_assignments WHERE principal_id = $1")
            .bind(&target)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let outbox = sqlx::query_scalar("SELECT id FROM outbox WHERE user_id = $1")
            .bind(&target)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let secret = uuid::Uuid::new_v4().to_string();
        let mut conn = app.db.pool().acquire().await.unwrap();
        vestibule::store::single_sign_on::insert_secret(
            &mut conn,
            &vestibule::store::single_sign_on::NewSecret {
                id: &secret,
                app_id: &application.id,
                description: "Walk",
                hint: "wal",
                digest: &secret,
                now,
                expires_at: now + 86_400,
            },
        )
        .await
        .unwrap();
        vestibule::store::api_permissions::add(&mut conn, &application.id, "User.Read.All", now)
            .await
            .unwrap();
        vestibule::store::api_permissions::grant_consent(&mut conn, &application.id, None, now)
            .await
            .unwrap();
        let client_id = uuid::Uuid::new_v4().to_string();
        vestibule::store::api_permissions::ensure_client_id(&mut conn, &application.id, &client_id)
            .await
            .unwrap();
        let identity_provider = uuid::Uuid::new_v4().to_string();
        vestibule::store::identity_providers::insert(
            &mut conn,
            &vestibule::store::identity_providers::ProviderRow {
                id: identity_provider.clone(),
                display_name: "Walk provider".into(),
                metadata_url: "https://idp.walk.test/.well-known/openid-configuration".into(),
                issuer: format!("https://idp.walk.test/{identity_provider}"),
                authorization_endpoint: "https://idp.walk.test/auth".into(),
                token_endpoint: "https://idp.walk.test/token".into(),
                jwks_uri: "https://idp.walk.test/jwks".into(),
                client_id: "walk".into(),
                sealed_client_secret: "sealed".into(),
                scope: "openid".into(),
                email_claim: "email".into(),
                required: 0,
                enabled: 1,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .unwrap();
        drop(conn);
        let (bulk_upload, bulk_job) = self.bulk_jobs().await;
        let app = &self.app;
        if kind.deleted() {
            app.soft_delete(&target).await;
        }
        World {
            target,
            target_email,
            group,
            app: application.id,
            app_role,
            assignment,
            outbox,
            secret,
            client_id,
            bulk_upload,
            bulk_job,
            identity_provider,
        }
    }

    /// A validated upload of the asker's (one new guest) and a finished
    /// job.
    async fn bulk_jobs(&mut self) -> (String, String) {
        let guest = format!("{}@fabrikam.test", self.next("bulk"));
        let file = crate::common::flows::template(&[&format!("{guest},,,")]);
        let started_by = self.asker_id.clone().unwrap_or_else(|| "nobody".into());
        let mut conn = self.app.db.pool().acquire().await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let id = uuid::Uuid::new_v4().to_string();
            vestibule::store::bulk_jobs::insert_validated(
                &mut conn,
                &vestibule::store::bulk_jobs::NewJob {
                    id: &id,
                    started_by: &started_by,
                    started_by_name: "walk",
                    client_ip: None,
                    file_name: "guests.csv",
                    file_text: &file,
                    total: 1,
                },
                self.app.clock.now(),
            )
            .await
            .unwrap();
            ids.push(id);
        }
        sqlx::query("UPDATE bulk_jobs SET status = 'completed', started_at = 1, finished_at = 2 WHERE id = $1")
            .bind(&ids[1])
            .execute(&mut *conn)
            .await
            .unwrap();
        (ids.remove(0), ids.remove(0))
    }

    async fn send(&mut self, route: &Route, world: &World) -> reqwest::Response {
        let path = concrete(route.path, world);
        let url = self.app.url(&path);
        if route.method == "GET" {
            return self.client.get(url).send().await.unwrap();
        }
        if route.path.starts_with("/v1.0/") {
            let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
            return self
                .client
                .request(method, url)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
        }
        let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), self.csrf.clone())];
        let email = format!("{}@fabrikam.test", self.next("new"));
        fields.extend(
            body(route.path, world, &email)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        let request = self.client.post(url);
        let request = if multipart(route.path) {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = form.text(k, v);
            }
            request.multipart(form)
        } else {
            request.form(&fields)
        };
        request.send().await.unwrap()
    }
}

/// The sign-in code mailed to `to` (its invitation may arrive around it).
async fn code_in(sink: &SmtpSink, to: &str, sent: usize) -> String {
    let code_of = |text: &str| {
        text.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 8)
            .map(str::to_owned)
    };
    for count in sent + 1..sent + 4 {
        let mail = sink.wait_for(count, Duration::from_secs(10)).await;
        let found = mail
            .iter()
            .filter(|m| m.to == [to.to_owned()] && !m.subject().contains("invited you"))
            .find_map(|m| code_of(&m.text()?));
        if let Some(code) = found {
            return code;
        }
    }
    panic!("no sign-in code reached {to}");
}

/// The route's path with its parameters filled in from the world. A new
/// kind of parameter needs a line here, or the walk stops at its route.
pub(crate) fn concrete(pattern: &str, world: &World) -> String {
    let mut out = Vec::new();
    let segments: Vec<&str> = pattern.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let before = if i > 0 { segments[i - 1] } else { "" };
        let keyed: String;
        let value = match (*segment, before) {
            ("{id}", "users") | ("{id}", "deleted") | ("{id}", "deletedItems") => world.target.as_str(),
            ("{id}", "groups") => world.group.as_str(),
            ("{id}", "apps") | ("{id}", "servicePrincipals") => world.app.as_str(),
            ("{member_id}", _) => world.target.as_str(),
            ("{assignment_id}", _) => world.assignment.as_str(),
            // Graph's key syntax inside a segment: servicePrincipals(appId='{app_id}').
            (s, _) if s.contains("{app_id}") => {
                keyed = s.replace("{app_id}", &world.client_id);
                keyed.as_str()
            }
            ("{id}", "mailbox") => world.outbox.as_str(),
            ("{id}", "bulk-invite") => world.bulk_upload.as_str(),
            ("{id}", "bulk-operations") => world.bulk_job.as_str(),
            ("{id}", "identity-providers") => world.identity_provider.as_str(),
            ("{aid}", _) => world.assignment.as_str(),
            ("{role_id}", _) => world.app_role.as_str(),
            ("{secret_id}", _) => world.secret.as_str(),
            ("{permission}", _) => "User.Read.All",
            ("{key}", "new") => "docusign",
            ("{file:.*}", _) => "css/vestibule.css",
            // The organization's primary domain names the tenant.
            ("{tenant}", _) => "contoso.test",
            (s, _) if s.starts_with('{') => panic!("no value for {s} in {pattern}: teach `concrete` about it"),
            (s, _) => s,
        };
        out.push(value.to_owned());
    }
    out.join("/")
}

/// Form fields that make an allowed request do its work.
fn body(pattern: &str, world: &World, fresh_email: &str) -> Vec<(&'static str, String)> {
    let target_principal = format!("User:{}", world.target);
    match pattern {
        "/signin" => vec![("email", "nobody@contoso.test".into()), ("password", "wrong".into())],
        "/signin/code" => vec![("email", "nobody@fabrikam.test".into())],
        "/admin/users/invite" | "/admin/users/invite/review" | "/admin/users/invite/edit" | "/account/invite" => {
            vec![("email", fresh_email.to_owned())]
        }
        "/admin/users/new" => vec![
            ("display_name", "New Member".into()),
            ("user_principal_name", fresh_email.replace("fabrikam", "contoso")),
        ],
        "/admin/users/{id}/edit" => vec![("display_name", "Changed Name".into()), ("user_type", "Member".into())],
        "/admin/apps/{id}/assignments/add" => {
            vec![("principal", target_principal), ("app_role_id", world.app_role.clone())]
        }
        "/admin/apps/{id}/assignments/{aid}/edit" => vec![("app_role_id", world.app_role.clone())],
        "/admin/groups/{id}/members/add" => vec![("principal", target_principal)],
        "/admin/groups/{id}/members/remove" => vec![("user_id", world.target.clone())],
        "/admin/groups/new" | "/admin/groups/{id}/edit" => vec![
            ("display_name", "Another group".into()),
            ("membership_type", "Assigned".into()),
        ],
        "/admin/apps/new" | "/admin/apps/new/{key}" | "/admin/apps/{id}" => {
            vec![("display_name", "Another app".into())]
        }
        "/admin/apps/{id}/single-sign-on" => vec![
            ("mode", "OpenIdConnect".into()),
            ("redirect_uris", "https://app.fabrikam.test/signin-oidc".into()),
            ("id_token_alg", "RS256".into()),
        ],
        "/admin/apps/{id}/credentials/new" => vec![("description", "Walk".into()), ("expires", "6".into())],
        "/admin/roles/add" => vec![("user", world.target_email.clone()), ("role", "guest_inviter".into())],
        _ => vec![],
    }
}

fn multipart(pattern: &str) -> bool {
    matches!(
        pattern,
        "/admin/apps/new" | "/admin/apps/{id}" | "/admin/users/bulk-invite"
    )
}

/// Where a route's target needs to stand for its action to apply.
pub(crate) fn state_for(pattern: &str) -> Invited {
    if pattern.ends_with("/reset-redemption") {
        Invited::Accepted
    } else {
        Invited::Pending
    }
}

pub(crate) fn targets_for(rule: Rule) -> &'static [TargetKind] {
    match rule {
        Rule::ReadUser | Rule::OnUser(_) | Rule::OnDeletedUser(_) => &TargetKind::ALL,
        Rule::ApiOnUser(_) | Rule::ApiOnDeletedUser(_) => &TargetKind::ALL,
        _ => &[TargetKind::Guest],
    }
}

/// Requests every route as `asker`, against every target its rule names.
async fn walk_as(asker: Asker) {
    let rules = rules();
    let mut walk = Walk::start(asker).await;
    let mut wrong = Vec::new();
    let mut requests = 0;
    for route in vestibule::web::routes::all() {
        let rule = *rules
            .get(&(route.method, route.path))
            .unwrap_or_else(|| panic!("{} {} has no rule in this test", route.method, route.path));
        // Without a bearer token, one target shows the 401.
        let targets = if rule.is_api() {
            &[TargetKind::Guest][..]
        } else {
            targets_for(rule)
        };
        for &kind in targets {
            let world = walk.world(kind, state_for(route.path)).await;
            let want = expect(rule, asker, kind);
            let before = if route.method != "GET" && matches!(want, Expect::Forbidden | Expect::Gone | Expect::NoToken)
            {
                Some(walk.app.snapshot().await)
            } else {
                None
            };
            let res = walk.send(&route, &world).await;
            requests += 1;
            let status = res.status().as_u16();
            let to = location(&res);
            let got = match status {
                303 if to.starts_with("/signin") && !route.path.starts_with("/signin") => Expect::SignIn,
                401 if rule.is_api() => Expect::NoToken,
                403 => Expect::Forbidden,
                404 => Expect::Gone,
                422 if want == Expect::Gone => Expect::Gone,
                200..=399 | 400 | 401 | 410 | 413 | 422 | 429 => Expect::Served,
                _ => {
                    wrong.push(format!("{} {} ({kind:?}): status {status}", route.method, route.path));
                    continue;
                }
            };
            // Public pages answer 404 for what is not there (an unknown
            // ticket, a logo-less app) and may send one on to sign in (Sign
            // out does): that is serving, not a refusal.
            let got = match (rule, got) {
                (Rule::Anyone, Expect::Gone | Expect::SignIn) | (Rule::SignedIn, Expect::Gone) => Expect::Served,
                (_, got) => got,
            };
            if got != want {
                wrong.push(format!(
                    "{} {} ({kind:?}): wanted {want:?}, got {status} {to}",
                    route.method, route.path
                ));
            }
            if let Some(before) = before {
                let after = walk.app.snapshot().await;
                if after != before {
                    let changed: Vec<_> = after.iter().filter(|l| !before.contains(l)).take(3).collect();
                    wrong.push(format!(
                        "{} {} ({kind:?}): refused with {status} but wrote {changed:?}",
                        route.method, route.path
                    ));
                }
            }
            // Sign out ends even an anonymous session (and its CSRF token).
            if route.path == "/signout" || !walk.still_signed_in().await {
                walk.sign_in().await;
            }
        }
    }
    assert!(requests > 100, "the walk made {requests} requests");
    assert!(
        wrong.is_empty(),
        "{asker:?}: {} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn anonymous_visitors_get_public_pages_and_are_sent_to_sign_in_elsewhere() {
    walk_as(Asker::Anonymous).await;
}

#[tokio::test]
async fn guests_get_their_own_pages_and_no_admin_route() {
    walk_as(Asker::Guest).await;
}

#[tokio::test]
async fn members_without_a_role_get_their_own_pages_and_no_admin_route() {
    walk_as(Asker::Member).await;
}

#[tokio::test]
async fn global_administrators_reach_every_route_and_every_target() {
    walk_as(Asker::Admin(Role::GlobalAdministrator)).await;
}

#[tokio::test]
async fn user_administrators_reach_users_without_roles() {
    walk_as(Asker::Admin(Role::UserAdministrator)).await;
}

#[tokio::test]
async fn helpdesk_administrators_reinvite_users_without_roles_and_nothing_more() {
    walk_as(Asker::Admin(Role::HelpdeskAdministrator)).await;
}

#[tokio::test]
async fn guest_inviters_invite_and_reinvite_guests_only() {
    walk_as(Asker::Admin(Role::GuestInviter)).await;
}
