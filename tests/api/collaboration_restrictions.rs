//! Collaboration restrictions on External collaboration settings: any
//! domain, a deny list or an allow list of target domains, saved, validated
//! and audited as "Update policy"; held when inviting by every way in (the
//! wizard, Invite a guest, the API, bulk invite and every new link), and
//! when a pending guest redeems; not retroactive for accepted guests.

use reqwest::{Method, StatusCode};
use serde_json::json;
use vestibule::domain::Role;
use vestibule::services::ServiceError;
use vestibule::services::bulk_invite::{BulkOptions, RowStatus};

use crate::common::flows::{
    accepted_guest, app_with_sink, bulk_invite_as, invite, invite_guest, prove_address, user_id,
};
use crate::common::graph::assert_graph_error;
use crate::common::{ADMIN_EMAIL, TestApp, assert_redirect_to, csrf_token, new_client, spawn_app};

const COLLAB_PAGE: &str = "/admin/settings/collaboration";

fn denied(domain: &str) -> String {
    format!(
        "Invitations to {domain} are not allowed: the collaboration restrictions on External collaboration \
         settings deny invitations to this domain."
    )
}

fn not_allowed(domain: &str) -> String {
    format!(
        "Invitations to {domain} are not allowed: the collaboration restrictions on External collaboration \
         settings allow invitations only to the specified domains."
    )
}

/// Saves External collaboration settings with the default guest invite
/// level and the given restriction.
async fn save_policy(app: &TestApp, mode: &str, domains: &str, confirm: bool) -> reqwest::Response {
    app.clock.advance(1);
    let mut fields = vec![
        ("otp_at_redemption", "on"),
        ("guests_may_leave", "on"),
        ("guest_session_hours", "24"),
        ("allow_invites_from", "everyone"),
        ("domain_policy", mode),
        ("target_domains", domains),
    ];
    if confirm {
        fields.push(("confirm_list_switch", "yes"));
    }
    app.submit(COLLAB_PAGE, COLLAB_PAGE, &fields).await
}

async fn stored_policy(app: &TestApp) -> (String, String) {
    sqlx::query_as("SELECT invite_domain_policy, invite_target_domains FROM organization WHERE id = 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn policy_audits(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE activity = 'Update policy' AND category = 'Policy' \
         AND target_name = 'B2BManagementPolicy' ORDER BY occurred_at, id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_restrictions_are_offered_validated_saved_and_audited() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.get_html(COLLAB_PAGE).await;
    for text in [
        "<legend>Collaboration restrictions</legend>",
        ">Allow invitations to be sent to any domain (most inclusive)</label>",
        ">Deny invitations to the specified domains</label>",
        ">Allow invitations only to the specified domains (most restrictive)</label>",
        ">Target domains</label>",
        "value=\"any\" data-testid=\"domain-policy-any\" checked",
    ] {
        assert!(form.contains(text), "{text}: {form}");
    }
    assert_eq!(stored_policy(&app).await, ("any".into(), String::new()));

    let res = save_policy(&app, "deny", " Fabrikam.Example \r\n\r\n*.woodgrove.example\r\n", false).await;
    assert_redirect_to(&res, "/admin/settings");
    assert_eq!(
        stored_policy(&app).await,
        ("deny".into(), "fabrikam.example\n*.woodgrove.example".into())
    );
    let index = app.get_html("/admin/settings").await;
    assert!(
        index.contains("Deny invitations to the specified domains (2 target domains)"),
        "{index}"
    );
    let form = app.get_html(COLLAB_PAGE).await;
    assert!(form.contains("value=\"deny\" data-testid=\"domain-policy-deny\" checked"));
    assert!(
        form.contains(">fabrikam.example\n*.woodgrove.example</textarea>"),
        "{form}"
    );

    // Saving the same policy again changes nothing and is not audited.
    let res = save_policy(&app, "deny", "fabrikam.example\n*.woodgrove.example", false).await;
    assert_redirect_to(&res, "/admin/settings");
    // Back to any domain: the list goes.
    let res = save_policy(&app, "any", "kept.example", false).await;
    assert_redirect_to(&res, "/admin/settings");
    assert_eq!(stored_policy(&app).await, ("any".into(), String::new()));
    assert_eq!(
        policy_audits(&app).await,
        [
            "InvitationsAllowedAndBlockedDomainsPolicy: none -> BlockedDomains; BlockedDomains added: \
             fabrikam.example, *.woodgrove.example",
            "InvitationsAllowedAndBlockedDomainsPolicy: BlockedDomains -> none; BlockedDomains removed: \
             fabrikam.example, *.woodgrove.example",
        ]
    );
}

#[tokio::test]
async fn bad_target_domains_are_refused_by_line_and_nothing_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let over_25_kb: String = (0..1800).map(|i| format!("d{i:05}.example\n")).collect();
    let cases = [
        (
            "deny",
            "ok.example\nnot a domain",
            "Line 2: not a domain is not a domain name",
        ),
        ("deny", "*.", "Line 1: *. is not a domain name like *.example.org."),
        ("allow", "a.example\nA.example", "Line 2: a.example is listed twice."),
        ("allow", "  \n", "List at least one domain to allow, one per line."),
        ("deny", "", "List at least one domain to deny, one per line."),
        ("deny", "<script>.example", "is not a domain name"),
        ("deny", &over_25_kb, "Target domains may take at most 25 KB in all."),
        (
            "sideways",
            "a.example",
            "Choose which domains invitations may be sent to.",
        ),
    ];
    for (mode, domains, message) in cases {
        let res = save_policy(&app, mode, domains, false).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{mode} {domains:.40}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html:.3000}");
        assert!(html.contains("id=\"target_domains_error\""));
    }
    assert_eq!(stored_policy(&app).await, ("any".into(), String::new()));
    assert!(policy_audits(&app).await.is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update external collaboration settings'")
            .await,
        0,
        "the other settings on the form are not saved either"
    );
}

#[tokio::test]
async fn switching_between_allow_and_deny_asks_before_discarding_the_list() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    assert_redirect_to(
        &save_policy(&app, "deny", "fabrikam.example\nwoodgrove.example", false).await,
        "/admin/settings",
    );
    let res = save_policy(&app, "allow", "contoso-partner.example", false).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "Switching between an allow list and a deny list discards the current list of 2 domains: \
             fabrikam.example, woodgrove.example. Nothing was saved yet."
        ),
        "{html}"
    );
    assert!(html.contains("name=\"confirm_list_switch\""));
    assert!(html.contains("value=\"allow\" data-testid=\"domain-policy-allow\" checked"));
    assert!(html.contains(">contoso-partner.example</textarea>"));
    assert_eq!(
        stored_policy(&app).await,
        ("deny".into(), "fabrikam.example\nwoodgrove.example".into())
    );
    assert_eq!(policy_audits(&app).await.len(), 1);

    let res = save_policy(&app, "allow", "contoso-partner.example", true).await;
    assert_redirect_to(&res, "/admin/settings");
    assert_eq!(
        stored_policy(&app).await,
        ("allow".into(), "contoso-partner.example".into())
    );
    assert_eq!(
        policy_audits(&app).await[1],
        "InvitationsAllowedAndBlockedDomainsPolicy: BlockedDomains -> AllowedDomains; AllowedDomains added: \
         contoso-partner.example; BlockedDomains removed: fabrikam.example, woodgrove.example"
    );
}

#[tokio::test]
async fn every_way_in_refuses_a_restricted_domain_and_writes_nothing() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let api = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&api).await;
    app.create_member("member@contoso.test", "Member-passw0rd", "").await;
    let member = new_client();
    app.sign_in_with(&member, "member@contoso.test", "Member-passw0rd")
        .await;
    // A guest invited before the restriction, still pending.
    invite_guest(&app, &sink, "pending@fabrikam.example", &[]).await;
    let pending_id = user_id(&app, "pending@fabrikam.example").await;
    assert_redirect_to(
        &save_policy(&app, "deny", "fabrikam.example\n*.woodgrove.example", false).await,
        "/admin/settings",
    );
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    let invitations_before = app.count("SELECT COUNT(*) FROM invitations").await;
    let outbox_before = app.count("SELECT COUNT(*) FROM outbox").await;

    // The wizard: the exact domain and a subdomain of a starred one.
    for (address, domain) in [
        ("a@fabrikam.example", "fabrikam.example"),
        ("b@sales.woodgrove.example", "sales.woodgrove.example"),
    ] {
        let res = invite(&app, &app.client, &[("email", address)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{address}");
        let html = res.text().await.unwrap();
        assert!(html.contains(&denied(domain)), "{html}");
    }
    // Invite a guest, by a member under "Anyone in the organization…".
    let res = app
        .submit_with(
            &member,
            "/account/invite",
            "/account/invite",
            &[("email", "c@Fabrikam.Example")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(&denied("fabrikam.example")));
    // The API.
    let res = app
        .graph(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({"invitedUserEmailAddress": "d@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/"})),
        )
        .await;
    let status = res.status();
    let body = res.json().await.unwrap();
    assert_graph_error(status, &body, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&denied("fabrikam.example")),
        "{body}"
    );
    // A new link for the pending guest, from the API and from the profile.
    let res = app
        .graph(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({"invitedUserEmailAddress": "pending@fabrikam.example", "inviteRedirectUrl": "https://myapps.example/", "sendInvitationMessage": true})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let profile = format!("/admin/users/{pending_id}");
    let res = app
        .submit(&profile, &format!("/admin/users/{pending_id}/resend"), &[])
        .await;
    assert!(
        res.status() == StatusCode::UNPROCESSABLE_ENTITY || res.status() == StatusCode::CONFLICT,
        "{}",
        res.status()
    );
    assert!(res.text().await.unwrap().contains(&denied("fabrikam.example")));
    // Bulk invite, per row: the allowed rows go in.
    let rows = [
        "e@fabrikam.example,https://myapps.example/,true,Hi",
        "f@woodgrove.example,https://myapps.example/,true,Hi",
        "g@x.woodgrove.example,https://myapps.example/,true,Hi",
    ];
    let report = bulk_invite_as(
        &app,
        ADMIN_EMAIL,
        &[Role::GlobalAdministrator],
        &rows,
        BulkOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows[0].status, RowStatus::Failed(denied("fabrikam.example")));
    assert!(
        matches!(report.rows[1].status, RowStatus::Invited { .. }),
        "{:?}",
        report.rows[1]
    );
    assert_eq!(report.rows[2].status, RowStatus::Failed(denied("x.woodgrove.example")));

    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before + 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations").await,
        invitations_before + 1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        outbox_before + 1,
        "only the allowed bulk row's email"
    );

    // An allow list turns it around: only the listed domains.
    assert_redirect_to(
        &save_policy(&app, "allow", "fabrikam.example", true).await,
        "/admin/settings",
    );
    let res = invite(&app, &app.client, &[("email", "h@woodgrove.example")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(&not_allowed("woodgrove.example")));
    let res = invite(&app, &app.client, &[("email", "h@fabrikam.example")]).await;
    assert_redirect_to(&res, "/admin/users");
}

#[tokio::test]
async fn a_pending_guest_of_a_restricted_domain_cannot_redeem_and_accepted_guests_keep_access() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let (accepted, _) = accepted_guest(&app, &sink, "early@fabrikam.example").await;
    let ticket = invite_guest(&app, &sink, "late@fabrikam.example", &[]).await;
    // One pending guest already has Review permissions open when the
    // restriction is saved.
    let racing_ticket = invite_guest(&app, &sink, "racing@fabrikam.example", &[]).await;
    let racing = new_client();
    prove_address(&app, &sink, &racing, &racing_ticket, "racing@fabrikam.example").await;
    let review = app.get_with(&racing, "/redeem/consent").await.text().await.unwrap();
    let token = csrf_token(&review);

    assert_redirect_to(
        &save_policy(&app, "deny", "fabrikam.example", false).await,
        "/admin/settings",
    );
    let message = "Contoso no longer accepts guests from fabrikam.example, so this invitation can&#39;t be \
                   accepted. Nothing was changed. Contact the person who invited you.";
    let guest = new_client();
    let res = app.get_with(&guest, &format!("/redeem?ticket={ticket}")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains(message), "{html}");
    let res = app.post_raw(&racing, "/redeem/accept", &[("csrf_token", &token)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "checked again when accepting");
    assert!(res.text().await.unwrap().contains(message));
    // The service holds it inside the accepting transaction too.
    let racing_id = user_id(&app, "racing@fabrikam.example").await;
    let invitation: String = sqlx::query_scalar("SELECT id FROM invitations WHERE user_id = $1")
        .bind(&racing_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    match vestibule::services::redemption::accept(&app.state, &racing_id, Some(&invitation), None).await {
        Err(ServiceError::Denied(denial)) => assert_eq!(denial, message.replace("&#39;", "'")),
        other => panic!("accepted: {:?}", other.map(|(user, _)| user.id)),
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE external_user_state = 'PendingAcceptance' \
             AND mail_lower IN ('late@fabrikam.example', 'racing@fabrikam.example')"
        )
        .await,
        2,
        "nothing changes for them"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations WHERE status = 'redeemed'")
            .await,
        1,
        "only the guest who accepted before"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Redeem external user invite'")
            .await,
        1
    );

    // Not retroactive: the guest who accepted earlier keeps My Apps.
    assert_eq!(app.get_with(&accepted, "/myapps").await.status(), StatusCode::OK);

    // Lifting the restriction lets the pending guest accept.
    assert_redirect_to(&save_policy(&app, "any", "", false).await, "/admin/settings");
    let late = new_client();
    prove_address(&app, &sink, &late, &ticket, "late@fabrikam.example").await;
    assert_redirect_to(
        &app.submit_with(&late, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
}
