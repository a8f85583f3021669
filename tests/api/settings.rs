use crate::common::{ADMIN_EMAIL, TestApp, assert_redirect_to, new_client, spawn_app};
use vestibule::store::organization::Organization;

const ORG_PAGE: &str = "/admin/settings/organization";
const COLLAB_PAGE: &str = "/admin/settings/collaboration";

async fn organization(app: &TestApp) -> Organization {
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::organization::get(&mut conn).await.unwrap().unwrap()
}

async fn audit_details(app: &TestApp, activity: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT details FROM audit_log WHERE activity = $1 ORDER BY occurred_at, id")
        .bind(activity)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// The organization form's fields, with `changes` laid over Contoso's values.
fn org_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Contoso"),
        ("primary_domain", "contoso.test"),
        ("privacy_statement_url", ""),
        ("privacy_contact", ""),
        ("terms_of_use", ""),
    ];
    for (key, value) in changes {
        fields.iter_mut().find(|(k, _)| k == key).unwrap().1 = value;
    }
    fields
}

async fn save_org(app: &TestApp, changes: &[(&str, &str)]) -> reqwest::Response {
    app.submit(ORG_PAGE, ORG_PAGE, &org_fields(changes)).await
}

#[tokio::test]
async fn organization_properties_are_saved_and_audited() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.get_html(ORG_PAGE).await;
    for label in [
        "<h1>Organization properties</h1>",
        ">Name</label>",
        ">Primary domain</label>",
        ">Privacy statement URL</label>",
        ">Privacy contact</label>",
        ">Terms of use</label>",
        "existing guests' user principal names",
        "Current version: 0",
    ] {
        assert!(form.contains(label), "{label}: {form}");
    }
    assert!(form.contains("value=\"Contoso\""), "the current name is filled in");
    let res = save_org(
        &app,
        &[
            ("name", "  Fabrikam Ltd "),
            ("primary_domain", "Fabrikam.EXAMPLE"),
            ("privacy_statement_url", "https://fabrikam.example/privacy"),
            ("privacy_contact", "privacy@fabrikam.example"),
            ("terms_of_use", "Be nice.\r\nNo spam."),
        ],
    )
    .await;
    assert_redirect_to(&res, "/admin/settings");
    let org = organization(&app).await;
    assert_eq!(org.name, "Fabrikam Ltd");
    assert_eq!(org.primary_domain, "fabrikam.example", "lower-cased");
    assert_eq!(
        org.privacy_statement_url.as_deref(),
        Some("https://fabrikam.example/privacy")
    );
    assert_eq!(org.privacy_contact.as_deref(), Some("privacy@fabrikam.example"));
    assert_eq!(org.terms_of_use.as_deref(), Some("Be nice.\nNo spam."));
    assert_eq!(org.terms_version, 1);
    // Existing user principal names keep the old domain.
    let upn: String = sqlx::query_scalar("SELECT user_principal_name FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(upn, ADMIN_EMAIL);
    let details = audit_details(&app, "Update organization settings").await;
    assert_eq!(details.len(), 1);
    for part in [
        "name: Contoso -> Fabrikam Ltd",
        "primaryDomain: contoso.test -> fabrikam.example",
        "privacyStatementUrl: (not set) -> https://fabrikam.example/privacy",
        "privacyContact: (not set) -> privacy@fabrikam.example",
        "termsOfUse: changed (version 0 -> 1)",
    ] {
        assert!(details[0].contains(part), "{part}: {}", details[0]);
    }
    let category: String =
        sqlx::query_scalar("SELECT category FROM audit_log WHERE activity = 'Update organization settings'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(category, "DirectoryManagement");
    // The index shows the new values, the flash and the three links.
    let index = app.get_html("/admin/settings").await;
    for text in [
        "The organization properties were saved.",
        "Fabrikam Ltd",
        "fabrikam.example",
        "https://fabrikam.example/privacy",
        "privacy@fabrikam.example",
        "Set (version 1)",
        ">Organization properties</a>",
        ">External collaboration settings</a>",
        ">Roles and administrators</a>",
        "href=\"/admin/settings/organization\"",
        "href=\"/admin/settings/collaboration\"",
        "href=\"/admin/roles\"",
    ] {
        assert!(index.contains(text), "{text}: {index}");
    }
    // Optional fields can be cleared again.
    let res = save_org(
        &app,
        &[("name", "Fabrikam Ltd"), ("primary_domain", "fabrikam.example")],
    )
    .await;
    assert_redirect_to(&res, "/admin/settings");
    let org = organization(&app).await;
    assert_eq!(org.privacy_statement_url, None);
    assert_eq!(org.privacy_contact, None);
    assert_eq!(org.terms_of_use, None);
}

#[tokio::test]
async fn the_terms_version_goes_up_only_when_the_terms_text_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let steps: [(&str, &str, i64); 7] = [
        ("no terms, another name", "", 0),
        ("terms set", "Terms v1", 1),
        ("the same text again", "Terms v1", 1),
        ("the same text from a browser", " Terms v1\r\n", 1),
        ("changed", "Terms v2", 2),
        ("cleared", "", 3),
        ("still cleared", "  ", 3),
    ];
    for (i, (what, terms, version)) in steps.into_iter().enumerate() {
        let name = format!("Contoso {i}");
        let res = save_org(&app, &[("name", name.as_str()), ("terms_of_use", terms)]).await;
        assert_redirect_to(&res, "/admin/settings");
        let org = organization(&app).await;
        assert_eq!(org.terms_version, version, "{what}");
        assert_eq!(org.name, name, "{what}: the save went through");
    }
    let form = app.get_html(ORG_PAGE).await;
    assert!(form.contains("Current version: 3"), "{form}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update organization settings'")
            .await,
        7
    );
}

#[tokio::test]
async fn bad_organization_properties_are_refused_with_422_and_nothing_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let before = organization(&app).await;
    // A write would now show in updated_at.
    app.clock.advance(60);
    let long_terms = "t".repeat(10_001);
    let long_name = "n".repeat(257);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("name", "", "Enter the organization&#39;s name."),
        ("name", "   ", "Enter the organization&#39;s name."),
        ("name", long_name.as_str(), "The name has at most 256 characters."),
        ("primary_domain", "", "Enter the organization&#39;s primary domain."),
        (
            "primary_domain",
            "not a domain",
            "Enter a domain name like contoso.com.",
        ),
        ("primary_domain", "contoso", "Enter a domain name like contoso.com."),
        (
            "primary_domain",
            "-bad-.example",
            "Enter a domain name like contoso.com.",
        ),
        (
            "privacy_statement_url",
            "javascript:alert(1)",
            "Enter a full http:// or https:// address",
        ),
        (
            "privacy_statement_url",
            "ftp://files.example",
            "Enter a full http:// or https:// address",
        ),
        ("privacy_contact", "not-an-address", "needs an @ and a domain"),
        ("privacy_contact", "a!b@contoso.test", "cannot contain the character !"),
        ("terms_of_use", long_terms.as_str(), "at most 10,000 characters"),
    ];
    for (field, value, message) in cases {
        let res = save_org(&app, &[(field, value)]).await;
        assert_eq!(res.status(), 422, "{field}={value:.40}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}: {html}");
        assert!(
            html.contains(&format!("id=\"{field}_error\"")),
            "{field}: the message sits next to its field"
        );
        assert!(html.contains("aria-invalid=\"true\""), "{field}: the field is marked");
    }
    // Several at once: each field gets its own message, and good values are kept.
    let res = save_org(
        &app,
        &[
            ("name", "Kept Name"),
            ("primary_domain", "bad domain"),
            ("privacy_contact", "nope"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"primary_domain_error\"") && html.contains("id=\"privacy_contact_error\""));
    assert!(html.contains("value=\"Kept Name\"") && html.contains("value=\"bad domain\""));
    let after = organization(&app).await;
    assert_eq!(after.name, before.name);
    assert_eq!(after.primary_domain, before.primary_domain);
    assert_eq!(after.privacy_statement_url, None);
    assert_eq!(after.privacy_contact, None);
    assert_eq!(after.terms_of_use, None);
    assert_eq!(after.terms_version, 0);
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update organization settings'")
            .await,
        0
    );
}

#[tokio::test]
async fn collaboration_settings_are_saved_and_audited() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.get_html(COLLAB_PAGE).await;
    for text in [
        "<h1>External collaboration settings</h1>",
        ">Guests may leave the organization</label>",
        ">Guest session length (hours)</label>",
        "<legend>Guest invite settings</legend>",
        "<legend>Collaboration restrictions</legend>",
        ">Allow invitations to be sent to any domain (most inclusive)</label>",
        ">Deny invitations to the specified domains</label>",
        ">Allow invitations only to the specified domains (most restrictive)</label>",
        ">Target domains</label>",
        "value=\"24\"",
    ] {
        assert!(form.contains(text), "{text}: {form}");
    }
    assert!(
        !form.contains("otp_at_redemption"),
        "the code at redemption is set on All identity providers"
    );
    assert_eq!(
        form.matches(" checked").count(),
        3,
        "Guests may leave is on by default, and one guest invite level and one restriction are chosen"
    );
    // Unchecked boxes are simply absent from the form.
    let res = app
        .submit(
            COLLAB_PAGE,
            COLLAB_PAGE,
            &[
                ("guest_session_hours", " 72 "),
                ("allow_invites_from", "adminsAndGuestInviters"),
                ("domain_policy", "any"),
            ],
        )
        .await;
    assert_redirect_to(&res, "/admin/settings");
    let org = organization(&app).await;
    assert!(org.requires_code_at_redemption(), "not this page's setting any more");
    assert!(!org.lets_guests_leave());
    assert_eq!(org.guest_session_hours, 72);
    let index = app.get_html("/admin/settings").await;
    assert!(index.contains("The external collaboration settings were saved."));
    assert!(index.contains("data-testid=\"collab-otp\">Yes<"), "{index}");
    assert!(index.contains("data-testid=\"collab-may-leave\">No<"));
    assert!(index.contains("data-testid=\"collab-session-hours\">72<"));
    let form = app.get_html(COLLAB_PAGE).await;
    assert_eq!(
        form.matches(" checked").count(),
        2,
        "the guest invite level and the restriction alone"
    );
    assert!(form.contains("value=\"72\""));
    // And back on, at the limits of the range.
    for hours in ["720", "1"] {
        app.clock.advance(1);
        let res = app
            .submit(
                COLLAB_PAGE,
                COLLAB_PAGE,
                &[
                    ("otp_at_redemption", "on"),
                    ("guests_may_leave", "on"),
                    ("guest_session_hours", hours),
                    ("allow_invites_from", "adminsAndGuestInviters"),
                    ("domain_policy", "any"),
                ],
            )
            .await;
        assert_redirect_to(&res, "/admin/settings");
    }
    let org = organization(&app).await;
    assert!(org.requires_code_at_redemption() && org.lets_guests_leave());
    assert_eq!(org.guest_session_hours, 1);
    let details = audit_details(&app, "Update external collaboration settings").await;
    assert_eq!(details.len(), 3);
    assert_eq!(details[0], "guestsMayLeave: on -> off; guestSessionHours: 24 -> 72");
    assert_eq!(details[1], "guestsMayLeave: off -> on; guestSessionHours: 72 -> 720");
    assert_eq!(details[2], "guestSessionHours: 720 -> 1");
}

#[tokio::test]
async fn bad_session_lengths_are_refused_with_422_and_nothing_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    for hours in ["0", "721", "abc", "", "1.5", "-1"] {
        let res = app
            .submit(
                COLLAB_PAGE,
                COLLAB_PAGE,
                &[
                    ("guest_session_hours", hours),
                    ("allow_invites_from", "adminsAndGuestInviters"),
                    ("domain_policy", "any"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{hours:?}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Enter a whole number of hours from 1 to 720."),
            "{hours:?}: {html}"
        );
        assert!(html.contains("id=\"guest_session_hours_error\"") && html.contains("aria-invalid=\"true\""));
        assert!(
            html.contains(&format!("value=\"{hours}\"")),
            "the entered value is kept"
        );
        assert_eq!(
            html.matches(" checked").count(),
            2,
            "the boxes, the level and the restriction as submitted"
        );
    }
    let org = organization(&app).await;
    assert!(org.requires_code_at_redemption() && org.lets_guests_leave());
    assert_eq!(org.guest_session_hours, 24);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Update external collaboration settings'")
            .await,
        0
    );
}

#[tokio::test]
async fn only_a_global_administrator_opens_or_saves_settings() {
    let app = spawn_app().await;
    for (email, password, role) in [
        ("uadmin@contoso.test", "UserAdmin-passw0rd", "user_administrator"),
        ("inviter@contoso.test", "Inviter-passw0rd", "guest_inviter"),
    ] {
        app.create_member(email, password, role).await;
        let client = new_client();
        app.sign_in_with(&client, email, password).await;
        assert_eq!(
            app.get_with(&client, "/admin/users").await.status(),
            200,
            "{role} is signed in"
        );
        for page in ["/admin/settings", ORG_PAGE, COLLAB_PAGE] {
            assert_eq!(app.get_with(&client, page).await.status(), 403, "{role} GET {page}");
        }
        // With a valid token (from the sign-out form every page carries), so
        // the refusal is the role's, not the CSRF check's.
        let org_fields = org_fields(&[("name", "Hijacked"), ("terms_of_use", "Gotcha")]);
        let collab_fields = [("guest_session_hours", "700")];
        for (action, fields) in [(ORG_PAGE, &org_fields[..]), (COLLAB_PAGE, &collab_fields[..])] {
            let res = app.submit_with(&client, "/admin/users", action, fields).await;
            assert_eq!(res.status(), 403, "{role} POST {action}");
            assert!(!res.text().await.unwrap().contains("This form has expired"));
        }
    }
    let org = organization(&app).await;
    assert_eq!(org.name, "Contoso");
    assert_eq!(org.terms_version, 0);
    assert_eq!(org.guest_session_hours, 24);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity LIKE 'Update % settings'")
            .await,
        0
    );
}

#[tokio::test]
async fn settings_forms_without_a_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = app
        .post_raw(&app.client, ORG_PAGE, &org_fields(&[("name", "No Token")]))
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("This form has expired"));
    let res = app
        .post_raw(&app.client, COLLAB_PAGE, &[("guest_session_hours", "99")])
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .post_raw(
            &app.client,
            COLLAB_PAGE,
            &[("csrf_token", "forged"), ("guest_session_hours", "99")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let org = organization(&app).await;
    assert_eq!(org.name, "Contoso");
    assert_eq!(org.guest_session_hours, 24);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE activity LIKE 'Update % settings'")
            .await,
        0
    );
}
