//! The role × route × target test of the API, generated from the same route
//! table: an application holding each single Graph permission (and one whose
//! permissions were never consented) requests every `/v1.0` route, for
//! every kind of target on routes that act on a user. A permission opens
//! only its routes; an application acts with the rules of a Guest Inviter
//! (User.Invite.All) or a User Administrator (every other write), so a user
//! who holds a directory role is out of its reach; a refused write leaves
//! every table as it was.

use reqwest::Method;
use serde_json::{Value, json};
use vestibule::domain::Role;
use vestibule::web::routes::Route;

use crate::route_access::{
    Asker, Expect, Rule, TargetKind, Walk, World, concrete, reaches, rules, state_for, targets_for,
};

/// Every permission the API permissions page offers, written out again.
const PERMISSIONS: [&str; 9] = [
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

/// The role an application's writes act with (SPEC §8): inviting alone is a
/// Guest Inviter's, the rest a User Administrator's.
fn api_acting_role(permission: &str) -> Role {
    if permission == "User.Invite.All" {
        Role::GuestInviter
    } else {
        Role::UserAdministrator
    }
}

fn expect(rule: Rule, permission: Option<&str>, target: TargetKind) -> Expect {
    let holds = |allowed: &[&str]| permission.is_some_and(|p| allowed.contains(&p));
    let on_user = |allowed: &[&str], found: bool| {
        if !holds(allowed) {
            Expect::Forbidden
        } else if !found {
            Expect::Gone
        } else if reaches(api_acting_role(permission.unwrap_or_default()), target) {
            Expect::Served
        } else {
            Expect::Forbidden
        }
    };
    match rule {
        Rule::Api(allowed) if holds(allowed) => Expect::Served,
        Rule::Api(_) => Expect::Forbidden,
        Rule::ApiOnUser(allowed) => on_user(allowed, !target.deleted()),
        Rule::ApiOnDeletedUser(allowed) => on_user(allowed, target.deleted()),
        _ => unreachable!("only API rules are walked here"),
    }
}

/// A JSON body that makes an allowed request do its work.
fn api_body(method: &str, pattern: &str, world: &World, fresh_email: &str) -> Option<Value> {
    let _ = world;
    match (method, pattern) {
        ("POST", "/v1.0/invitations") => Some(json!({
            "invitedUserEmailAddress": fresh_email,
            "inviteRedirectUrl": "https://myapps.fabrikam.test/"
        })),
        ("PATCH", "/v1.0/users/{id}") => Some(json!({"displayName": "Changed"})),
        _ => None,
    }
}

/// Requests every API route as an application holding `permission` (None:
/// added but never consented).
async fn walk_api_as(permission: Option<&'static str>) {
    let rules = rules();
    let mut walk = Walk::start(Asker::Anonymous).await;
    let granted: Vec<&str> = permission.into_iter().collect();
    let client = match permission {
        Some(_) => walk.app.api_client_with("Walker", &granted, true).await,
        None => walk.app.api_client_with("Walker", &["User.ReadWrite.All"], false).await,
    };
    let token = walk.app.api_token(&client).await;
    let mut wrong = Vec::new();
    let mut requests = 0;
    let routes: Vec<Route> = vestibule::web::routes::all()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .collect();
    assert!(!routes.is_empty());
    for route in routes {
        let rule = *rules
            .get(&(route.method, route.path))
            .unwrap_or_else(|| panic!("{} {} has no rule", route.method, route.path));
        assert!(
            rule.is_api(),
            "{} {} is an API route with a portal rule",
            route.method,
            route.path
        );
        for &kind in targets_for(rule) {
            let world = walk.world(kind, state_for(route.path)).await;
            let want = expect(rule, permission, kind);
            let before = if route.method != "GET" && matches!(want, Expect::Forbidden | Expect::Gone) {
                Some(walk.app.snapshot().await)
            } else {
                None
            };
            let email = format!("{}@fabrikam.test", walk.next("api"));
            let method = Method::from_bytes(route.method.as_bytes()).unwrap();
            let path = concrete(route.path, &world);
            let body = api_body(route.method, route.path, &world, &email);
            let res = walk.app.graph(&token, method, &path, body.as_ref()).await;
            requests += 1;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            let got = match status {
                403 => Expect::Forbidden,
                404 => Expect::Gone,
                200..=299 => Expect::Served,
                // A refusal of the input (a duplicate member, a user who cannot be
                // removed) is serving, not a refusal of who asks.
                400 | 409 => Expect::Served,
                _ => {
                    wrong.push(format!(
                        "{} {} ({kind:?}): status {status} {text}",
                        route.method, route.path
                    ));
                    continue;
                }
            };
            if got != want {
                wrong.push(format!(
                    "{} {} ({kind:?}): wanted {want:?}, got {status} {text}",
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
        }
    }
    assert!(requests > 0);
    assert!(
        wrong.is_empty(),
        "{permission:?}: {} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn an_application_without_admin_consent_gets_nothing() {
    walk_api_as(None).await;
}

#[tokio::test]
async fn each_permission_opens_only_its_routes_and_never_a_role_holder() {
    for permission in PERMISSIONS {
        walk_api_as(Some(permission)).await;
    }
}
