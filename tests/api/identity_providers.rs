//! All identity providers: the built-in Email one-time passcode and the
//! OpenID Connect providers a Global Administrator adds (metadata read and
//! checked on save, the client secret sealed and never shown again),
//! edits, disables and deletes, each audited; bad input answers 422 and
//! writes nothing.

use reqwest::StatusCode;

use crate::common::{TestApp, assert_redirect_to, spawn_app};

const LIST: &str = "/admin/identity-providers";
const NEW: &str = "/admin/identity-providers/new";
const SECRET: &str = "s3cr3t-value-never-shown";

/// The portal's own discovery document: a real OpenID Connect provider on
/// the loopback.
fn metadata_url(app: &TestApp) -> String {
    app.url("/.well-known/openid-configuration")
}

fn fields<'a>(name: &'a str, metadata: &'a str, domains: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("display_name", name),
        ("metadata_url", metadata),
        ("client_id", "vestibule-client"),
        ("client_secret", SECRET),
        ("scope", "openid profile email"),
        ("email_claim", "email"),
        ("domains", domains),
        ("enabled", "on"),
    ]
}

async fn provider_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM identity_providers").await
}

async fn audits(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT activity, target_name, details FROM audit_log WHERE category = 'IdentityProvider' \
         ORDER BY occurred_at, id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn provider_id(app: &TestApp, name: &str) -> String {
    sqlx::query_scalar("SELECT id FROM identity_providers WHERE display_name = $1")
        .bind(name)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn sealed_secret(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT sealed_client_secret FROM identity_providers WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Adds a provider through the form and gives its id.
pub(crate) async fn add_provider(app: &TestApp, name: &str, metadata: &str, domains: &str) -> String {
    let res = app.submit(NEW, NEW, &fields(name, metadata, domains)).await;
    assert_redirect_to(&res, LIST);
    provider_id(app, name).await
}

#[tokio::test]
async fn providers_are_added_listed_edited_disabled_and_deleted_with_audit() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let settings = app.get_html("/admin/settings").await;
    assert!(settings.contains(r#"href="/admin/identity-providers""#), "{settings}");
    let collaboration = app.get_html("/admin/settings/collaboration").await;
    assert!(collaboration.contains(">All identity providers</a>"));

    let list = app.get_html(LIST).await;
    assert!(list.contains("<h1>All identity providers</h1>"));
    assert!(list.contains("<dt>Email one-time passcode</dt>"));
    assert!(list.contains("No OpenID Connect providers yet."));
    let form = app.get_html(NEW).await;
    for text in [
        "<h1>New OpenID Connect provider</h1>",
        ">Metadata URL</label>",
        ">Client ID</label>",
        ">Client secret</label>",
        r#"value="openid profile email""#,
        r#"name="email_claim" type="text"  value="email""#,
        ">Domain names</label>",
    ] {
        assert!(form.contains(text), "{text} missing from {form}");
    }

    // The Google preset fills in its name and metadata URL.
    assert!(list.contains(r#"href="/admin/identity-providers/new?preset=google""#));
    let google = app.get_html("/admin/identity-providers/new?preset=google").await;
    assert!(google.contains(r#"value="https://accounts.google.com/.well-known/openid-configuration""#));
    assert!(
        google.contains(r#"name="display_name" type="text" maxlength="100" required value="Google""#),
        "{google}"
    );

    let microsoft = app.get_html("/admin/identity-providers/new?preset=microsoft").await;
    assert!(
        microsoft
            .contains(r#"value="https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration""#)
    );
    assert!(
        microsoft.contains(r#"required value="Microsoft account""#),
        "{microsoft}"
    );

    let metadata = metadata_url(&app);
    let id = add_provider(&app, "Fabrikam ID", &metadata, "Fabrikam.test\nwoodgrove.test").await;
    let issuer: String = sqlx::query_scalar("SELECT issuer FROM identity_providers WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(issuer, app.issuer().await, "the issuer comes from the metadata");
    let sealed = sealed_secret(&app, &id).await;
    assert!(!sealed.contains(SECRET), "the secret is sealed at rest");
    let list = app.get_html(LIST).await;
    assert!(
        list.contains("Fabrikam ID</a>") && list.contains("fabrikam.test, woodgrove.test"),
        "{list}"
    );
    assert!(list.contains("<td>Enabled</td>"));

    // The edit page never shows the secret; left empty, the secret is kept.
    let edit = format!("{LIST}/{id}");
    let page = app.get_html(&edit).await;
    assert!(page.contains("Leave this empty to keep it") && !page.contains(SECRET));
    assert!(page.contains(&metadata));
    app.clock.advance(1);
    let res = app
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "Fabrikam accounts"),
                ("metadata_url", &metadata),
                ("client_id", "vestibule-client"),
                ("client_secret", ""),
                ("scope", ""),
                ("email_claim", ""),
                ("domains", "fabrikam.test"),
                ("required", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, LIST);
    assert_eq!(
        sealed_secret(&app, &id).await,
        sealed,
        "an empty secret keeps the saved one"
    );
    let list = app.get_html(LIST).await;
    assert!(
        list.contains("Fabrikam accounts</a>") && list.contains("<td>Disabled</td>"),
        "{list}"
    );
    assert!(!list.contains("woodgrove.test"));

    let delete = format!("{LIST}/{id}/delete");
    let page = app.get_html(&delete).await;
    assert!(page.contains("Delete Fabrikam accounts?"), "{page}");
    let res = app.submit(&delete, &delete, &[]).await;
    assert_redirect_to(&res, LIST);
    assert_eq!(provider_count(&app).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM identity_provider_domains").await, 0);

    let audits = audits(&app).await;
    let activities: Vec<&str> = audits.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        activities,
        [
            "Add identity provider",
            "Update identity provider",
            "Delete identity provider"
        ]
    );
    assert_eq!(audits[0].1, "Fabrikam ID");
    assert!(
        audits[0].2.contains("domains: fabrikam.test, woodgrove.test"),
        "{}",
        audits[0].2
    );
    let update = &audits[1].2;
    assert!(
        update.contains("displayName: Fabrikam ID -> Fabrikam accounts"),
        "{update}"
    );
    assert!(update.contains("enabled: true -> false") && update.contains("required: false -> true"));
    assert!(!update.contains("clientSecret"), "the secret did not change: {update}");
    assert!(audits.iter().all(|(_, _, d)| !d.contains(SECRET)));
}

#[tokio::test]
async fn bad_input_answers_422_with_the_reason_and_writes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let metadata = metadata_url(&app);
    add_provider(&app, "Fabrikam ID", &metadata, "fabrikam.test").await;
    let audit_before = audits(&app).await.len();
    let unreachable = "http://127.0.0.1:1/.well-known/openid-configuration".to_owned();
    let not_json = app.url("/signin");
    let not_provider = app.url("/contoso.test/discovery/v2.0/keys");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (fields("", &metadata, "contoso.test"), "Enter a display name."),
        (fields("Contoso", "", "contoso.test"), "Enter the metadata URL."),
        (
            fields(
                "Contoso",
                "http://idp.contoso.test/.well-known/openid-configuration",
                "contoso.test",
            ),
            "must be an https address",
        ),
        (
            fields("Contoso", &unreachable, "contoso.test"),
            "The metadata URL could not be read",
        ),
        (fields("Contoso", &not_json, "contoso.test"), "is not JSON"),
        (
            fields("Contoso", &not_provider, "contoso.test"),
            "The metadata document has no issuer.",
        ),
        (fields("Contoso", &metadata, ""), "Enter at least one domain name"),
        (
            fields("Contoso", &metadata, "contoso.test\nnot a domain"),
            "not a domain is not a domain name",
        ),
        (
            fields("Contoso", &metadata, "contoso.test\nFABRIKAM.test"),
            "fabrikam.test (served by Fabrikam ID) already belongs to another",
        ),
        (
            {
                let mut f = fields("Contoso", &metadata, "contoso.test");
                f.retain(|(k, _)| *k != "client_secret");
                f
            },
            "Enter the client secret.",
        ),
        (
            {
                let mut f = fields("Contoso", &metadata, "contoso.test");
                f.push(("scope", "profile email"));
                f.retain(|(k, v)| *k != "scope" || *v == "profile email");
                f
            },
            "The scope must include openid.",
        ),
    ];
    for (form, message) in cases {
        let res = app.submit(NEW, NEW, &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message} missing for {form:?}: {html}");
        assert!(!html.contains(SECRET), "the secret is never echoed");
        assert_eq!(provider_count(&app).await, 1, "{form:?}");
    }
    // An edit that fails keeps the provider as it was.
    let id = provider_id(&app, "Fabrikam ID").await;
    let edit = format!("{LIST}/{id}");
    let res = app
        .submit(&edit, &edit, &fields("Fabrikam ID", &unreachable, "fabrikam.test"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stored: String = sqlx::query_scalar("SELECT metadata_url FROM identity_providers WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, metadata);
    assert_eq!(audits(&app).await.len(), audit_before);
    assert_eq!(
        app.get(&format!("{LIST}/no-such-provider")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_email_one_time_passcode_at_redemption_is_set_on_all_identity_providers() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let page = app.get_html(LIST).await;
    assert!(
        page.contains(">Verify the invited address with a one-time passcode at redemption</label>")
            && page.contains(
                "data-testid=\"otp-at-redemption-input\" aria-describedby=\"otp_at_redemption_hint\" checked"
            ),
        "{page}"
    );
    const SAVE: &str = "/admin/identity-providers/email-one-time-passcode";
    // Unchecked: the box is absent from the form.
    assert_redirect_to(&app.submit(LIST, SAVE, &[]).await, LIST);
    let page = app.get_html(LIST).await;
    assert!(
        page.contains("The Email one-time passcode settings were saved."),
        "{page}"
    );
    assert!(!page.contains("aria-describedby=\"otp_at_redemption_hint\" checked"));
    assert!(!page.contains("Redemption also asks for a code."));
    let on: i64 = sqlx::query_scalar("SELECT otp_at_redemption FROM organization")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(on, 0);
    assert!(
        app.get_html("/admin/settings")
            .await
            .contains("data-testid=\"collab-otp\">No<")
    );
    app.clock.advance(1);
    assert_redirect_to(&app.submit(LIST, SAVE, &[("otp_at_redemption", "on")]).await, LIST);
    assert!(app.get_html(LIST).await.contains("Redemption also asks for a code."));
    let audit = audits(&app).await;
    assert_eq!(
        audit,
        [
            (
                "Update identity provider".to_owned(),
                "Email one-time passcode".to_owned(),
                "otpAtRedemption: on -> off".to_owned()
            ),
            (
                "Update identity provider".to_owned(),
                "Email one-time passcode".to_owned(),
                "otpAtRedemption: off -> on".to_owned()
            ),
        ]
    );

    // Saving External collaboration settings leaves it alone.
    let collab = "/admin/settings/collaboration";
    let fields = [
        ("guest_session_hours", "24"),
        ("allow_invites_from", "adminsAndGuestInviters"),
        ("domain_policy", "any"),
    ];
    assert_redirect_to(&app.submit(collab, collab, &fields).await, "/admin/settings");
    assert!(app.get_html(LIST).await.contains("Redemption also asks for a code."));
}
