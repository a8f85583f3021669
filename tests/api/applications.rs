//! Enterprise applications: the gallery, custom apps with logos, the logo
//! route, Properties, Roles, Delete, and who may reach them.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response};

use crate::common::{TestApp, assert_redirect_to, csrf_token, location, new_client, spawn_app};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const SVG: &str = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\">\
    <rect width=\"8\" height=\"8\" fill=\"#0f5bbd\"/></svg>";

/// A file for the logo input: its bytes and file name.
type Logo<'a> = Option<(&'a [u8], &'a str)>;

/// Posts a multipart form as a browser would after opening `page`: the
/// page's CSRF token (unless `csrf` is false), the text fields, and the
/// logo file input (empty when no file is chosen).
async fn post_multipart(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    logo: Logo<'_>,
    csrf: bool,
) -> Response {
    let html = app.get_with(client, page).await.text().await.unwrap();
    let mut form = Form::new();
    if csrf {
        form = form.text("csrf_token", csrf_token(&html));
    }
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let (bytes, name) = logo.unwrap_or((b"", ""));
    let part = Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    form = form.part("logo", part);
    client.post(app.url(action)).multipart(form).send().await.expect("POST")
}

/// Create your own application; returns the response.
async fn create_custom(app: &TestApp, name: &str, url: &str, logo: Logo<'_>) -> Response {
    post_multipart(
        app,
        &app.client,
        "/admin/apps/new",
        "/admin/apps/new",
        &[("display_name", name), ("homepage_url", url)],
        logo,
        true,
    )
    .await
}

fn app_id_from(res: &Response) -> String {
    let to = location(res);
    assert!(to.starts_with("/admin/apps/"), "redirected to the app, not {to:?}");
    to.trim_start_matches("/admin/apps/").to_owned()
}

async fn role_names(app: &TestApp, app_id: &str) -> Vec<(String, i64, i64)> {
    sqlx::query_as("SELECT display_name, enabled, is_default FROM app_roles WHERE app_id = $1 ORDER BY display_name")
        .bind(app_id)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, activity: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE activity = $1")
        .bind(activity)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn assert_safe_logo_headers(res: &Response, content_type: &str) {
    assert_eq!(res.status(), 200);
    assert_eq!(header(res, "content-type"), content_type);
    assert_eq!(header(res, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(res, "content-security-policy"),
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    );
    assert_eq!(header(res, "cache-control"), "private, max-age=3600");
}

#[tokio::test]
async fn docusign_from_the_gallery_has_default_access_sender_and_viewer() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let list = app.get_html("/admin/apps").await;
    assert!(list.contains("New application") && list.contains("No applications yet"));
    let gallery = app.get_html("/admin/apps/new").await;
    for name in ["DocuSign", "Salesforce", "Slack", "GitHub", "Zoom", "ServiceNow"] {
        assert!(gallery.contains(&format!(">{name}<")), "{name} is in the gallery");
    }
    assert!(gallery.contains("src=\"data:image/svg+xml;base64,"), "monogram tiles");
    assert!(gallery.contains("Create your own application"));
    let step = app.get_html("/admin/apps/new/docusign").await;
    assert!(step.contains("value=\"DocuSign\""), "the name is prefilled");
    assert_eq!(app.get("/admin/apps/new/myspace").await.status(), 404);

    // The name is checked: nothing is written for an empty or overlong one.
    let long = "d".repeat(257);
    for (name, message) in [("  ", "Enter a name."), (long.as_str(), "at most 256 characters")] {
        let res = app
            .submit(
                "/admin/apps/new/docusign",
                "/admin/apps/new/docusign",
                &[("display_name", name)],
            )
            .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains(message) && html.contains("aria-invalid=\"true\""),
            "{message}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);

    let res = app
        .submit(
            "/admin/apps/new/docusign",
            "/admin/apps/new/docusign",
            &[("display_name", "DocuSign")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let id = app_id_from(&res);
    let roles = role_names(&app, &id).await;
    let names: Vec<&str> = roles.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["Default Access", "DocuSign Sender", "DocuSign Viewer"]);
    assert!(roles.iter().all(|(_, enabled, _)| *enabled == 1));
    assert_eq!(roles.iter().filter(|(_, _, default)| *default == 1).count(), 1);
    assert_eq!(roles[0].2, 1, "Default Access is the default role");

    let page = app.get_html(&format!("/admin/apps/{id}")).await;
    assert!(page.contains("DocuSign was added."), "a notification");
    assert!(page.contains("value=\"https://account.docusign.com/\""));
    assert!(page.contains("Gallery: DocuSign"));
    assert!(page.contains(&format!("href=\"/admin/apps/{id}/assignments\"")) && page.contains("Users and groups"));
    let roles_page = app.get_html(&format!("/admin/apps/{id}/roles")).await;
    assert_eq!(roles_page.matches("data-testid=\"role-row\"").count(), 3);

    // Renamed on the Create step, it is a second app with the same roles.
    let res = app
        .submit(
            "/admin/apps/new/docusign",
            "/admin/apps/new/docusign",
            &[("display_name", " DocuSign (EU) ")],
        )
        .await;
    let eu = app_id_from(&res);
    assert_eq!(role_names(&app, &eu).await.len(), 3);
    let list = app.get_html("/admin/apps").await;
    assert_eq!(list.matches("data-testid=\"app-row\"").count(), 2);
    assert!(list.find(">DocuSign<").unwrap() < list.find(">DocuSign (EU)<").unwrap());
    assert_eq!(audit_count(&app, "Add application").await, 2);

    // Without a logo, the tile is the generated monogram.
    let res = app.get(&format!("/apps/{id}/logo")).await;
    assert_safe_logo_headers(&res, "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(">DS</text>"), "{svg}");
}

#[tokio::test]
async fn custom_apps_keep_png_and_svg_logos_served_with_their_type() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = create_custom(
        &app,
        "Expenses",
        "https://expenses.contoso.test/",
        Some((PNG, "tile.png")),
    )
    .await;
    assert_eq!(res.status(), 303);
    let png_app = app_id_from(&res);
    // Checked by content: an SVG called .png is still an SVG.
    let res = create_custom(
        &app,
        "Wiki",
        "http://wiki.contoso.test",
        Some((SVG.as_bytes(), "logo.png")),
    )
    .await;
    let svg_app = app_id_from(&res);
    let res = create_custom(&app, "Plain", "https://plain.contoso.test", None).await;
    let plain_app = app_id_from(&res);

    let res = app.get(&format!("/apps/{png_app}/logo")).await;
    assert_safe_logo_headers(&res, "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let res = app.get(&format!("/apps/{svg_app}/logo")).await;
    assert_safe_logo_headers(&res, "image/svg+xml");
    assert_eq!(res.text().await.unwrap(), SVG);
    let res = app.get(&format!("/apps/{plain_app}/logo")).await;
    assert_safe_logo_headers(&res, "image/svg+xml");
    assert!(res.text().await.unwrap().contains(">P</text>"));
    assert_eq!(app.get("/apps/no-such-app/logo").await.status(), 404);

    // Custom apps have Default Access only, and show in the list with their tiles.
    assert_eq!(role_names(&app, &png_app).await.len(), 1);
    let list = app.get_html("/admin/apps").await;
    assert!(list.contains(&format!("src=\"/apps/{png_app}/logo?v=")));
    assert!(list.contains("https://expenses.contoso.test/"));
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT logo_type, gallery_key FROM applications WHERE id = $1")
            .bind(&svg_app)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, (Some("image/svg+xml".into()), None));

    // Signed out, the logo is not served.
    let res = app.get_with(&new_client(), &format!("/apps/{png_app}/logo")).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn hostile_svgs_other_images_big_logos_and_bad_fields_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let big_png = [PNG, &vec![0u8; 101 * 1024][..]].concat();
    let long_name = "a".repeat(257);
    let cases: Vec<(&str, &str, Logo<'_>, &str)> = vec![
        (
            "Evil",
            "https://evil.example",
            Some((
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
                "x.svg",
            )),
            "contains a script",
        ),
        (
            "Evil",
            "https://evil.example",
            Some((b"<svg onload=\"alert(1)\"/>", "x.svg")),
            "contains an event handler",
        ),
        (
            "Evil",
            "https://evil.example",
            Some((b"<svg><image href=\"https://evil.example/t.png\"/></svg>", "x.svg")),
            "an external reference",
        ),
        (
            "Evil",
            "https://evil.example",
            Some((b"<svg><foreignObject><p>x</p></foreignObject></svg>", "x.svg")),
            "embedded HTML",
        ),
        (
            "Gif",
            "https://gif.example",
            Some((b"GIF89a\x01\0\x01\0\0\0\0;", "x.gif")),
            "Upload a PNG or SVG image.",
        ),
        (
            "Big",
            "https://big.example",
            Some((&big_png, "big.png")),
            "100 KB or smaller",
        ),
        (&long_name, "https://long.example", None, "at most 256 characters"),
        ("", "https://empty.example", None, "Enter a name."),
        (
            "Bad URL",
            "javascript:alert(1)",
            None,
            "Enter a full http:// or https:// address",
        ),
        ("No URL", "", None, "Enter the homepage URL"),
    ];
    for (name, url, logo, message) in cases {
        let res = create_custom(&app, name, url, logo).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
        assert!(html.contains("class=\"field-error\""), "the message sits by the field");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM app_roles").await, 0);
    assert_eq!(audit_count(&app, "Add application").await, 0);
    // The entered values come back for correction (the file must be chosen again).
    let res = create_custom(&app, "Big", "https://big.example", Some((&big_png, "big.png"))).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Big\"") && html.contains("value=\"https://big.example\""));
}

#[tokio::test]
async fn the_multipart_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let fields = [("display_name", "Forged"), ("homepage_url", "https://forged.example")];
    let res = post_multipart(
        &app,
        &app.client,
        "/admin/apps/new",
        "/admin/apps/new",
        &fields,
        Some((PNG, "x.png")),
        false,
    )
    .await;
    assert_eq!(res.status(), 403);
    let mut form = Form::new().text("csrf_token", "not-the-token");
    for (k, v) in fields {
        form = form.text(k, v);
    }
    let res = app
        .client
        .post(app.url("/admin/apps/new"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 0);
    // Properties too.
    let id = app_id_from(&create_custom(&app, "Real", "https://real.example", None).await);
    let page = format!("/admin/apps/{id}");
    let res = post_multipart(
        &app,
        &app.client,
        &page,
        &page,
        &[("display_name", "Renamed")],
        None,
        false,
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(app.get_html("/admin/apps").await.contains(">Real<"));
}

#[tokio::test]
async fn properties_are_edited_with_a_new_logo_and_audited_and_refusals_change_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app_id_from(&create_custom(&app, "Portal", "https://portal.contoso.test", None).await);
    let page = format!("/admin/apps/{id}");
    let html = app.get_html(&page).await;
    for label in [
        "Enabled for users to sign in?",
        "Assignment required?",
        "Visible to users?",
        "Notes",
        "only users assigned to the app, directly or through a group, can sign in to it",
        "Delete application",
    ] {
        assert!(html.contains(label), "{label}");
    }
    // New apps are enabled, visible and need assignment.
    assert_eq!(html.matches(" checked>").count(), 3);

    let res = post_multipart(
        &app,
        &app.client,
        &page,
        &page,
        &[
            ("display_name", "Partner portal"),
            ("homepage_url", "https://partners.contoso.test/start"),
            ("enabled", "on"),
            ("notes", "Owned by the partner team."),
        ],
        Some((SVG.as_bytes(), "new.svg")),
        true,
    )
    .await;
    assert_redirect_to(&res, &page);
    let row: (String, String, i64, i64, i64, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT display_name, homepage_url, enabled, visible_to_users, assignment_required, notes, logo_type \
         FROM applications WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "Partner portal".into(),
            "https://partners.contoso.test/start".into(),
            1,
            0,
            0,
            Some("Owned by the partner team.".into()),
            Some("image/svg+xml".into())
        )
    );
    let html = app.get_html(&page).await;
    assert!(html.contains("The properties were saved."));
    let res = app.get(&format!("/apps/{id}/logo")).await;
    assert_eq!(res.text().await.unwrap(), SVG);
    assert_eq!(audit_count(&app, "Update application").await, 1);
    let details: String = sqlx::query_scalar("SELECT details FROM audit_log WHERE activity = 'Update application'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(details.contains("displayName=Partner portal") && details.contains("visibleToUsers=false"));

    // Without a new file the logo stays; refusals write nothing.
    let long_notes = "n".repeat(1025);
    let long_name = "p".repeat(257);
    for (fields, message) in [
        (
            vec![
                ("display_name", "X"),
                ("homepage_url", "ftp://files.example"),
                ("notes", ""),
            ],
            "Enter a full http:// or https:// address",
        ),
        (
            vec![
                ("display_name", "X"),
                ("homepage_url", "https://x.example"),
                ("notes", long_notes.as_str()),
            ],
            "Notes have at most 1024 characters.",
        ),
        (
            vec![
                ("display_name", long_name.as_str()),
                ("homepage_url", "https://x.example"),
            ],
            "A name has at most 256 characters.",
        ),
    ] {
        let res = post_multipart(&app, &app.client, &page, &page, &fields, None, true).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}");
        assert!(
            html.contains("value=\"X\"") || html.contains(&long_name),
            "entered values stay"
        );
    }
    let res = post_multipart(
        &app,
        &app.client,
        &page,
        &page,
        &[("display_name", "X"), ("homepage_url", "https://x.example")],
        Some((b"GIF89a", "x.gif")),
        true,
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(audit_count(&app, "Update application").await, 1);
    let (name, logo_type): (String, String) =
        sqlx::query_as("SELECT display_name, logo_type FROM applications WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), logo_type.as_str()), ("Partner portal", "image/svg+xml"));
}

#[tokio::test]
async fn roles_are_added_edited_and_disabled_but_default_access_stays_enabled() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            "/admin/apps/new/docusign",
            "/admin/apps/new/docusign",
            &[("display_name", "DocuSign")],
        )
        .await;
    let id = app_id_from(&res);
    let roles_page = format!("/admin/apps/{id}/roles");
    let res = app
        .submit(
            &roles_page,
            &roles_page,
            &[
                ("display_name", "DocuSign Admin"),
                ("description", "Manages the account."),
                ("value", "DocuSignAdmin"),
            ],
        )
        .await;
    assert_redirect_to(&res, &roles_page);
    assert_eq!(role_names(&app, &id).await.len(), 4);
    assert_eq!(audit_count(&app, "Add app role").await, 1);

    // Refusals: each 422 with the message by its field, nothing written.
    let long_name = "r".repeat(101);
    let long_description = "d".repeat(251);
    let long_value = "v".repeat(121);
    let cases = [
        (
            vec![("display_name", "docusign sender")],
            "already has a role named DocuSign Sender",
        ),
        (vec![("display_name", "")], "Enter a display name."),
        (vec![("display_name", long_name.as_str())], "at most 100 characters"),
        (
            vec![("display_name", "Auditor"), ("description", long_description.as_str())],
            "at most 250 characters",
        ),
        (
            vec![("display_name", "Auditor"), ("value", "has spaces")],
            "cannot contain spaces",
        ),
        (
            vec![("display_name", "Auditor"), ("value", long_value.as_str())],
            "at most 120 characters",
        ),
        (
            vec![("display_name", "Auditor"), ("value", "DocuSignAdmin")],
            "already has the value",
        ),
    ];
    for (fields, message) in cases {
        let res = app.submit(&roles_page, &roles_page, &fields).await;
        assert_eq!(res.status(), 422, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("aria-invalid=\"true\""));
    }
    assert_eq!(role_names(&app, &id).await.len(), 4);
    assert_eq!(audit_count(&app, "Add app role").await, 1);

    let role_id = |name: &'static str| {
        let db = app.db.clone();
        let id = id.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT id FROM app_roles WHERE app_id = $1 AND display_name = $2")
                .bind(id)
                .bind(name)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    // Edit a role: rename, and the new name must stay unique.
    let viewer = role_id("DocuSign Viewer").await;
    let edit = format!("/admin/apps/{id}/roles/{viewer}");
    let res = app
        .submit(&edit, &edit, &[("display_name", "DocuSign Sender"), ("enabled", "on")])
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "DocuSign Reader"),
                ("value", "Reader"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, &roles_page);
    let html = app.get_html(&roles_page).await;
    assert!(html.contains("DocuSign Reader") && !html.contains("DocuSign Viewer"));

    // Disable from the list, then enable again.
    let sender = role_id("DocuSign Sender").await;
    let toggle = format!("/admin/apps/{id}/roles/{sender}/enabled");
    assert_redirect_to(
        &app.submit(&roles_page, &toggle, &[("enabled", "false")]).await,
        &roles_page,
    );
    let enabled: i64 = sqlx::query_scalar("SELECT enabled FROM app_roles WHERE id = $1")
        .bind(&sender)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(enabled, 0);
    let html = app.get_html(&roles_page).await;
    assert!(html.contains("was disabled") && html.contains("data-testid=\"enable-role\""));
    assert_redirect_to(
        &app.submit(&roles_page, &toggle, &[("enabled", "true")]).await,
        &roles_page,
    );
    assert_eq!(audit_count(&app, "Update app role").await, 3);

    // Default Access: editable, never disabled.
    let default = role_id("Default Access").await;
    let html = app.get_html(&roles_page).await;
    assert!(
        !html.contains(&format!("/roles/{default}/enabled")),
        "no Disable button"
    );
    let edit = format!("/admin/apps/{id}/roles/{default}");
    let res = app.submit(&edit, &edit, &[("display_name", "Default Access")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Default Access cannot be disabled"));
    let res = app
        .submit(
            &roles_page,
            &format!("/admin/apps/{id}/roles/{default}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "Access"),
                ("description", "Signs in."),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_redirect_to(&res, &roles_page);
    let (name, enabled): (String, i64) = sqlx::query_as("SELECT display_name, enabled FROM app_roles WHERE id = $1")
        .bind(&default)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((name.as_str(), enabled), ("Access", 1));
    assert_eq!(audit_count(&app, "Update app role").await, 4);
    // A role of another app is not reachable under this one.
    let other = app_id_from(&create_custom(&app, "Other", "https://other.example", None).await);
    assert_eq!(
        app.get(&format!("/admin/apps/{other}/roles/{sender}")).await.status(),
        404
    );
}

#[tokio::test]
async fn deleting_an_application_takes_its_roles_and_assignments_along() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let res = app
        .submit(
            "/admin/apps/new/slack",
            "/admin/apps/new/slack",
            &[("display_name", "Slack")],
        )
        .await;
    let id = app_id_from(&res);
    let keep = app_id_from(&create_custom(&app, "Keep", "https://keep.example", None).await);
    let admin_id: String = sqlx::query_scalar("SELECT id FROM users LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let role: String = sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND is_default = 1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO app_role_assignments (id, app_id, app_role_id, principal_type, principal_id, created_at) \
         VALUES ('a1', $1, $2, 'User', $3, 0)",
    )
    .bind(&id)
    .bind(&role)
    .bind(&admin_id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let confirm = app.get_html(&format!("/admin/apps/{id}/delete")).await;
    assert!(confirm.contains("its 1 assignment go with it") || confirm.contains("its 1 assignment"));
    let res = app
        .submit(
            &format!("/admin/apps/{id}/delete"),
            &format!("/admin/apps/{id}/delete"),
            &[],
        )
        .await;
    assert_redirect_to(&res, "/admin/apps");
    assert!(app.get_html("/admin/apps").await.contains("Slack was deleted."));
    assert_eq!(app.count("SELECT COUNT(*) FROM app_role_assignments").await, 0);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_roles WHERE app_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 1);
    assert_eq!(role_names(&app, &keep).await.len(), 1);
    let details: String = sqlx::query_scalar("SELECT details FROM audit_log WHERE activity = 'Delete application'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(details, "assignmentsRemoved=1");
    assert_eq!(app.get(&format!("/admin/apps/{id}")).await.status(), 404);
}

#[tokio::test]
async fn only_global_and_user_administrators_manage_applications() {
    let (app, sink) = crate::common::flows::app_with_sink().await;
    app.sign_in_as_admin().await;
    let id = app_id_from(&create_custom(&app, "Shared", "https://shared.example", Some((PNG, "x.png"))).await);
    let pages = [
        "/admin/apps".to_owned(),
        "/admin/apps/new".to_owned(),
        "/admin/apps/new/zoom".to_owned(),
        format!("/admin/apps/{id}"),
        format!("/admin/apps/{id}/roles"),
        format!("/admin/apps/{id}/delete"),
    ];
    for (i, (role, want)) in [
        ("user_administrator", 200),
        ("helpdesk_administrator", 403),
        ("guest_inviter", 403),
        ("", 403),
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("person{i}@contoso.test");
        app.create_member(&email, "Person-passw0rd", role).await;
        let client = new_client();
        assert_eq!(app.sign_in_with(&client, &email, "Person-passw0rd").await.status(), 303);
        for page in &pages {
            assert_eq!(app.get_with(&client, page).await.status(), want, "{page} as {role:?}");
        }
        // The logo is for every signed-in user: My Apps shows it.
        assert_eq!(app.get_with(&client, &format!("/apps/{id}/logo")).await.status(), 200);
        if want == 403 {
            let res = post_multipart(
                &app,
                &client,
                "/myapps",
                "/admin/apps/new",
                &[("display_name", "Sneaky"), ("homepage_url", "https://sneaky.example")],
                None,
                true,
            )
            .await;
            assert_eq!(res.status(), 403, "creating as {role:?}");
            let res = app
                .submit_with(
                    &client,
                    "/myapps",
                    &format!("/admin/apps/{id}/roles"),
                    &[("display_name", "X")],
                )
                .await;
            assert_eq!(res.status(), 403, "adding a role as {role:?}");
        }
    }
    // A User Administrator adds an app.
    let ua = new_client();
    app.sign_in_with(&ua, "person0@contoso.test", "Person-passw0rd").await;
    let res = app
        .submit_with(
            &ua,
            "/admin/apps/new/zoom",
            "/admin/apps/new/zoom",
            &[("display_name", "Zoom")],
        )
        .await;
    assert_eq!(res.status(), 303);

    // A guest reaches none of it, but sees tiles.
    let guest = accepted_guest(&app, &sink, "gwen@fabrikam.example").await;
    for page in &pages {
        assert_eq!(app.get_with(&guest, page).await.status(), 403, "{page} as a guest");
    }
    assert_eq!(app.get_with(&guest, &format!("/apps/{id}/logo")).await.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM applications").await, 2);
}

/// A guest who accepted an invitation (without the one-time passcode),
/// signed in on their own client.
async fn accepted_guest(app: &TestApp, sink: &crate::common::smtp::SmtpSink, email: &str) -> Client {
    let before = sink.messages().len();
    let res = crate::common::flows::invite(app, &app.client, &[("email", email)]).await;
    assert_redirect_to(&res, "/admin/users");
    let mail = sink.wait_for(before + 1, std::time::Duration::from_secs(10)).await;
    let text = mail.last().unwrap().text().unwrap();
    let start = text.find("ticket=").unwrap() + 7;
    let ticket: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    sqlx::query("UPDATE organization SET otp_at_redemption = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The instance reads the organization through a short cache.
    app.state.organization.forget();
    let client = new_client();
    let link = format!("/redeem?ticket={ticket}");
    assert_redirect_to(
        &app.submit_with(&client, &link, "/redeem/continue", &[]).await,
        "/redeem/consent",
    );
    assert_redirect_to(
        &app.submit_with(&client, "/redeem/consent", "/redeem/accept", &[]).await,
        "/myapps",
    );
    client
}
