//! An application's Single sign-on and Certificates & secrets pages: the
//! mode, the Application (client) ID with the issuer and metadata document,
//! exact redirect URIs, client secrets shown once and kept as digests, the
//! audit entries, who may use the pages, and where My Apps tiles lead.

use reqwest::{Client, Response};
use vestibule::domain::Role;

use crate::common::flows::docusign;
use crate::common::{TestApp, assert_redirect_to, attribute_after, new_client, spawn_app};

const PASSWORD: &str = "Sso-test-passw0rd";

fn sso_page(app_id: &str) -> String {
    format!("/admin/apps/{app_id}/single-sign-on")
}

fn credentials_page(app_id: &str) -> String {
    format!("/admin/apps/{app_id}/credentials")
}

/// The Single sign-on form: OpenID Connect with one redirect URI and RS256,
/// changed by `over`.
fn sso_fields<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("mode", "OpenIdConnect"),
        ("login_url", ""),
        ("redirect_uris", "https://docusign.example/signin-oidc"),
        ("post_logout_redirect_uris", ""),
        ("id_token_alg", "RS256"),
    ];
    for (k, v) in over {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields
}

async fn save_sso(app: &TestApp, client: &Client, app_id: &str, over: &[(&str, &str)]) -> Response {
    let page = sso_page(app_id);
    app.submit_with(client, &page, &page, &sso_fields(over)).await
}

/// (sso_mode, client_id, login_url, id_token_alg) as stored.
async fn stored_config(app: &TestApp, app_id: &str) -> (String, Option<String>, Option<String>, String) {
    sqlx::query_as("SELECT sso_mode, client_id, login_url, id_token_alg FROM applications WHERE id = $1")
        .bind(app_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn stored_uris(app: &TestApp, app_id: &str, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT uri FROM app_redirect_uris WHERE app_id = $1 AND kind = $2 ORDER BY created_at, uri")
        .bind(app_id)
        .bind(kind)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn audit_details(app: &TestApp, activity: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT details FROM audit_log WHERE activity = $1 ORDER BY occurred_at, id")
        .bind(activity)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// Askama escapes `/` in attribute values on some versions: read them back.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&#47;", "/").replace("&#x2F;", "/")
}

/// The href of the My Apps tile named `name`, or None when it has none.
fn tile_href(html: &str, name: &str) -> Option<String> {
    let tile = html
        .split("data-testid=\"app-tile\"")
        .skip(1)
        .find(|t| t.contains(&format!("<span>{name}</span>")))
        .unwrap_or_else(|| panic!("no tile {name} in {html}"));
    let tile = tile.split("</li>").next().unwrap();
    attribute_after(&unescape(tile), "href=\"")
}

#[tokio::test]
async fn openid_connect_gives_the_app_a_client_id_an_issuer_and_a_metadata_document() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let (id, _, _) = docusign(&app).await;

    let properties = app.get_html(&format!("/admin/apps/{id}")).await;
    assert!(
        properties.contains("data-testid=\"tab-single-sign-on\"") && properties.contains("Certificates &amp; secrets")
    );
    let page = app.get_html(&sso_page(&id)).await;
    assert!(page.contains("Select a single sign-on method"));
    assert!(page.contains(
        "id=\"mode-Linked\" type=\"radio\" name=\"mode\" value=\"Linked\" aria-describedby=\"mode-Linked-hint\" checked"
    ));
    assert!(
        !page.contains("Application (client) ID"),
        "no client ID before OpenID Connect"
    );
    for label in [
        "Disabled",
        "Linked",
        "OpenID Connect",
        "Redirect URIs",
        "ID token signing algorithm",
    ] {
        assert!(page.contains(&format!(">{label}</label>")), "{label} is labelled");
    }

    // OpenID Connect needs a redirect URI; nothing is saved without one.
    let res = save_sso(&app, &app.client, &id, &[("redirect_uris", " \n ")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Add at least one redirect URI.") && html.contains("aria-invalid=\"true\""));
    assert_eq!(
        stored_config(&app, &id).await,
        ("Linked".into(), None, None, "RS256".into())
    );

    // Redirect URIs one per line; a repeated one is kept once.
    let res = save_sso(
        &app,
        &app.client,
        &id,
        &[
            (
                "redirect_uris",
                "https://docusign.example/signin-oidc\r\nhttp://localhost:3000/cb\r\n\r\nhttps://docusign.example/signin-oidc",
            ),
            ("post_logout_redirect_uris", "https://docusign.example/signed-out"),
            ("id_token_alg", "ES256"),
        ],
    )
    .await;
    assert_redirect_to(&res, &sso_page(&id));
    let (mode, client_id, login_url, alg) = stored_config(&app, &id).await;
    assert_eq!(
        (mode.as_str(), login_url, alg.as_str()),
        ("OpenIdConnect", None, "ES256")
    );
    let client_id = client_id.expect("a client ID");
    assert!(uuid::Uuid::parse_str(&client_id).is_ok(), "{client_id}");
    assert_eq!(
        stored_uris(&app, &id, "Redirect").await,
        ["https://docusign.example/signin-oidc", "http://localhost:3000/cb"]
    );
    assert_eq!(
        stored_uris(&app, &id, "PostLogout").await,
        ["https://docusign.example/signed-out"]
    );

    let tenant: String = sqlx::query_scalar("SELECT tenant_id FROM organization")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let issuer = format!("{}/{tenant}/v2.0", app.state.public_url.trim_end_matches('/'));
    let page = unescape(&app.get_html(&sso_page(&id)).await);
    assert!(page.contains("Single sign-on was saved: OpenID Connect."));
    assert!(page.contains("Application (client) ID") && page.contains(&format!("value=\"{client_id}\"")));
    assert!(page.contains(&format!("value=\"{issuer}\"")), "the issuer {issuer}");
    assert!(page.contains(&format!("value=\"{issuer}/.well-known/openid-configuration\"")));
    assert!(page.contains("https://docusign.example/signin-oidc\nhttp://localhost:3000/cb</textarea>"));
    assert!(page.contains("<option value=\"ES256\" selected>"));
    assert!(page.contains("must use PKCE"), "without a secret it is a public client");

    // The client ID stays through Linked and back.
    assert_redirect_to(
        &save_sso(&app, &app.client, &id, &[("mode", "Linked")]).await,
        &sso_page(&id),
    );
    assert_eq!(stored_config(&app, &id).await.1.as_deref(), Some(client_id.as_str()));
    assert!(!app.get_html(&sso_page(&id)).await.contains("Application (client) ID"));
    assert_redirect_to(&save_sso(&app, &app.client, &id, &[]).await, &sso_page(&id));
    assert_eq!(stored_config(&app, &id).await.1.as_deref(), Some(client_id.as_str()));

    let details = audit_details(&app, "Update application").await;
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(
        details[0].contains("singleSignOnMode=OpenIdConnect (was Linked)"),
        "{}",
        details[0]
    );
    assert!(details[0].contains(&format!("appId={client_id}")) && details[0].contains("idTokenSigningAlg=ES256"));
    assert!(
        details[0].contains("redirectUris=2 (added: https://docusign.example/signin-oidc, http://localhost:3000/cb)")
    );
    assert!(details[1].contains("singleSignOnMode=Linked (was OpenIdConnect)"));
    assert!(
        details[1].contains("redirectUris=1 (removed: http://localhost:3000/cb)"),
        "{}",
        details[1]
    );
    assert!(details[1].contains("postLogoutRedirectUris=0 (removed: https://docusign.example/signed-out)"));
    assert!(
        details[2].contains("singleSignOnMode=OpenIdConnect (was Linked)") && details[2].contains("redirectUris=1;")
    );
    let target: String = sqlx::query_scalar("SELECT target_id FROM audit_log WHERE activity = 'Update application'")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(target, id);
}

#[tokio::test]
async fn bad_redirect_uris_and_fields_are_refused_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let (id, _, _) = docusign(&app).await;
    assert_redirect_to(&save_sso(&app, &app.client, &id, &[]).await, &sso_page(&id));

    let too_many: String = (0..257).map(|i| format!("https://docusign.example/cb/{i}\n")).collect();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("redirect_uris", "http://docusign.example/cb", "must use https"),
        (
            "redirect_uris",
            "https://*.docusign.example/cb",
            "cannot contain wildcards",
        ),
        (
            "redirect_uris",
            "https://docusign.example/cb#top",
            "cannot contain a fragment",
        ),
        ("redirect_uris", "docusign callback", "Line 1: "),
        (
            "redirect_uris",
            "https://docusign.example/ok\nhttps://user:pw@docusign.example/cb",
            "Line 2: A redirect URI cannot contain a user name or password.",
        ),
        ("redirect_uris", &too_many, "At most 256 URIs: remove 1."),
        (
            "post_logout_redirect_uris",
            "ftp://docusign.example/out",
            "must use https",
        ),
        (
            "login_url",
            "javascript:alert(1)",
            "Enter a full http:// or https:// address",
        ),
        ("mode", "Saml", "Choose Disabled, Linked or OpenID Connect."),
        ("id_token_alg", "HS256", "Choose RS256 or ES256."),
    ];
    let before = app.snapshot().await;
    for (field, value, message) in cases {
        let res = save_sso(
            &app,
            &app.client,
            &id,
            &[
                (field, value),
                ("id_token_alg", if field == "id_token_alg" { value } else { "ES256" }),
            ],
        )
        .await;
        assert_eq!(res.status(), 422, "{field} = {value:.60}");
        let html = unescape(&res.text().await.unwrap());
        assert!(html.contains(message), "{field} = {value:.60}: wanted {message:?}");
        assert!(html.contains("Nothing was saved") && html.contains("aria-invalid=\"true\""));
        assert_eq!(app.snapshot().await, before, "{field} = {value:.60} changed something");
    }
}

#[tokio::test]
async fn a_new_client_secret_is_shown_once_and_only_its_digest_is_kept() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let (id, _, _) = docusign(&app).await;
    assert_redirect_to(&save_sso(&app, &app.client, &id, &[]).await, &sso_page(&id));
    let page = app.get_html(&credentials_page(&id)).await;
    assert!(page.contains("No client secrets have been created for this application."));
    for label in ["Description", "Expires"] {
        assert!(page.contains(&format!(">{label}</label>")), "{label} is labelled");
    }
    for option in ["180 days (6 months)", "365 days (12 months)", "730 days (24 months)"] {
        assert!(page.contains(option), "{option}");
    }

    // Refusals add nothing.
    let new = format!("/admin/apps/{id}/credentials/new");
    let before = app.snapshot().await;
    for (description, expires, message) in [
        ("  ", "12", "Enter a description."),
        ("Production", "7", "Choose when the secret expires."),
        ("Production", "", "Choose when the secret expires."),
    ] {
        let res = app
            .submit(
                &credentials_page(&id),
                &new,
                &[("description", description), ("expires", expires)],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(app.snapshot().await, before);

    let res = app
        .submit(
            &credentials_page(&id),
            &new,
            &[("description", "Production"), ("expires", "12")],
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("it is shown only this once and cannot be shown again"));
    let value = attribute_after(&html, "id=\"new_secret_value\" type=\"text\" readonly value=\"").expect("the value");
    assert!(value.len() >= 40, "{value}");

    let (secret_id, hint, digest, created_at, expires_at): (String, String, String, i64, i64) =
        sqlx::query_as("SELECT id, hint, digest, created_at, expires_at FROM app_client_secrets WHERE app_id = $1")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(hint, value[..3]);
    assert_eq!(digest, app.state.secrets.client_secrets.digest(&value));
    assert_eq!(expires_at - created_at, 365 * 86_400);
    let everything = app.snapshot().await;
    assert!(
        !everything.iter().any(|line| line.contains(&value)),
        "the value is stored nowhere"
    );
    let mut conn = app.db.pool().acquire().await.unwrap();
    let now = app.clock.now();
    assert!(
        vestibule::store::single_sign_on::secret_matches(&mut conn, &id, &digest, now)
            .await
            .unwrap()
    );
    drop(conn);

    // The list shows the hint, never the value again.
    let page = app.get_html(&credentials_page(&id)).await;
    assert!(page.contains("Production") && page.contains(&format!("<code>{hint}***</code>")));
    assert!(page.contains(&secret_id) && !page.contains(&value));
    assert!(!app.get_html(&sso_page(&id)).await.contains("must use PKCE"));

    // Delete, after a confirmation.
    let delete = format!("/admin/apps/{id}/credentials/{secret_id}/delete");
    let confirm = app.get_html(&delete).await;
    assert!(confirm.contains("Delete client secret") && confirm.contains(&format!("Production ({hint}***)")));
    assert_redirect_to(&app.submit(&delete, &delete, &[]).await, &credentials_page(&id));
    assert_eq!(app.count("SELECT COUNT(*) FROM app_client_secrets").await, 0);
    assert!(
        app.get_html(&credentials_page(&id))
            .await
            .contains("The client secret Production was deleted.")
    );
    let res = app.submit(&credentials_page(&id), &delete, &[]).await;
    assert_eq!(res.status(), 404, "gone");
    assert_eq!(app.get(&delete).await.status(), 404);

    let details = audit_details(&app, "Update application – Certificates and secrets management").await;
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[0].contains("action=Add client secret") && details[0].contains(&format!("keyId={secret_id}")));
    assert!(details[1].contains("action=Delete client secret") && details[1].contains("keyDescription=Production"));
    assert!(details.iter().all(|d| !d.contains(&value)));
}

#[tokio::test]
async fn roles_other_than_global_administrator_are_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let (id, _, _) = docusign(&app).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let now = app.clock.now();
    vestibule::store::single_sign_on::insert_secret(
        &mut conn,
        &vestibule::store::single_sign_on::NewSecret {
            id: "secret-1",
            app_id: &id,
            description: "Existing",
            hint: "abc",
            digest: "0123",
            now,
            expires_at: now + 86_400,
        },
    )
    .await
    .unwrap();
    drop(conn);

    let askers = [
        (Role::UserAdministrator.key(), "ua@contoso.test"),
        (Role::HelpdeskAdministrator.key(), "hd@contoso.test"),
        (Role::GuestInviter.key(), "gi@contoso.test"),
        ("", "member@contoso.test"),
    ];
    for (role, email) in askers {
        app.create_member(email, PASSWORD, role).await;
        let client = new_client();
        assert_eq!(app.sign_in_with(&client, email, PASSWORD).await.status(), 303);
        for page in [
            sso_page(&id),
            credentials_page(&id),
            format!("/admin/apps/{id}/credentials/secret-1/delete"),
        ] {
            assert_eq!(app.get_with(&client, &page).await.status(), 403, "{role:?} GET {page}");
        }
        let before = app.snapshot().await;
        let posts: [(String, Vec<(&str, &str)>); 3] = [
            (sso_page(&id), sso_fields(&[])),
            (
                format!("/admin/apps/{id}/credentials/new"),
                vec![("description", "Stolen"), ("expires", "6")],
            ),
            (format!("/admin/apps/{id}/credentials/secret-1/delete"), vec![]),
        ];
        for (action, fields) in posts {
            let res = app.submit_with(&client, "/myapps", &action, &fields).await;
            assert_eq!(res.status(), 403, "{role:?} POST {action}");
        }
        assert_eq!(app.snapshot().await, before, "{role:?} changed something");
        if role == Role::UserAdministrator.key() {
            // Properties stay theirs; the tabs they cannot open are not shown.
            let properties = app.get_with(&client, &format!("/admin/apps/{id}")).await;
            assert_eq!(properties.status(), 200);
            let html = properties.text().await.unwrap();
            assert!(!html.contains("tab-single-sign-on") && !html.contains("tab-credentials"));
        }
    }
}

#[tokio::test]
async fn my_apps_tiles_follow_the_single_sign_on_mode() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let (id, default, _) = docusign(&app).await;
    let user = app.create_member("ann@contoso.test", PASSWORD, "").await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    vestibule::store::assignments::insert(&mut conn, &id, &default, "User", &user, app.clock.now())
        .await
        .unwrap();
    drop(conn);
    let homepage: String = sqlx::query_scalar("SELECT homepage_url FROM applications WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let ann = new_client();
    assert_eq!(app.sign_in_with(&ann, "ann@contoso.test", PASSWORD).await.status(), 303);
    let my_apps = || async { app.get_with(&ann, "/myapps").await.text().await.unwrap() };

    // Linked (every app before Single sign-on): the homepage.
    assert_eq!(tile_href(&my_apps().await, "DocuSign"), Some(homepage.clone()));

    // OpenID Connect: the sign-on URL, or the homepage when there is none.
    assert_redirect_to(&save_sso(&app, &app.client, &id, &[]).await, &sso_page(&id));
    assert_eq!(tile_href(&my_apps().await, "DocuSign"), Some(homepage.clone()));
    let login = "https://docusign.example/login?from=myapps";
    assert_redirect_to(
        &save_sso(&app, &app.client, &id, &[("login_url", login)]).await,
        &sso_page(&id),
    );
    let html = my_apps().await;
    assert_eq!(
        tile_href(&html, "DocuSign").map(|h| h.replace("&amp;", "&")),
        Some(login.to_owned())
    );

    // Linked again: the homepage, though a sign-on URL is kept.
    assert_redirect_to(
        &save_sso(&app, &app.client, &id, &[("mode", "Linked"), ("login_url", login)]).await,
        &sso_page(&id),
    );
    assert_eq!(tile_href(&my_apps().await, "DocuSign"), Some(homepage));

    // Disabled: the tile stays, without a link, and says why.
    assert_redirect_to(
        &save_sso(&app, &app.client, &id, &[("mode", "Disabled"), ("redirect_uris", "")]).await,
        &sso_page(&id),
    );
    let html = my_apps().await;
    assert_eq!(tile_href(&html, "DocuSign"), None);
    assert!(html.contains("Sign-in is not set up for this app."));
}
