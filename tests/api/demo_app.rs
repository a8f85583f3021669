//! The demo app (demo/app.py, on authlib) against the running portal: a
//! guest holding one of its app roles opens it from My Apps, signs in
//! through Vestibule, is greeted with the role, and signs out of both. The
//! test is the guest's browser, following the redirects between the two by
//! hand. Skipped unless scripts/test installed authlib (and required when
//! it did, through VESTIBULE_REQUIRE_CLIENTS=1).

use reqwest::{Client, Response};
use vestibule::services::applications::{self, RoleInput};
use vestibule::services::assignments::{self, Principal};

use crate::common::clients::{Script, free_port, python};
use crate::common::flows::{accepted_guest, app_with_sink, user_id};
use crate::common::{attribute_after, location, system_admin};

const GUEST: &str = "grace@fabrikam.test";

async fn get(browser: &Client, url: &str) -> Response {
    browser.get(url).send().await.unwrap()
}

/// Where a redirect answer sends the browser, checking its status.
fn redirect(res: &Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status, "{}", res.url());
    location(res)
}

#[tokio::test]
async fn a_guest_opens_the_demo_from_my_apps_and_is_greeted_with_their_role() {
    let Some(python) = python() else { return };
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;

    // The quickstart: the app, its role, its OpenID Connect client and
    // secret, the guest assigned to the role.
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let sign_on = format!("{base}/login");
    let homepage = format!("{base}/");
    let demo_app = applications::create_custom(&app.state, &system_admin(), "Vestibule demo", &homepage, None)
        .await
        .expect("the app is created");
    let reader = applications::add_role(
        &app.state,
        &system_admin(),
        &demo_app.id,
        &RoleInput {
            display_name: "Reader".into(),
            description: "Reads the demo".into(),
            value: "Demo.Reader".into(),
            enabled: true,
        },
    )
    .await
    .expect("the role is added");
    // Its Single sign-on and Certificates & secrets pages, as
    // docs/demo-app.md says.
    let sso = format!("/admin/apps/{}/single-sign-on", demo_app.id);
    let fields = [
        ("mode", "OpenIdConnect"),
        ("login_url", sign_on.as_str()),
        ("redirect_uris", &format!("{base}/signin-oidc")),
        ("post_logout_redirect_uris", homepage.as_str()),
        ("id_token_alg", "RS256"),
    ];
    let res = app.submit(&sso, &sso, &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let page = app.get_html(&sso).await.replace("&#x2f;", "/");
    let client_id = attribute_after(&page, "id=\"client_id\" type=\"text\" readonly value=\"").expect("the client ID");
    let issuer = attribute_after(&page, "id=\"issuer\" type=\"text\" readonly value=\"").expect("the issuer");
    assert_eq!(issuer, app.issuer().await);
    let credentials = format!("/admin/apps/{}/credentials", demo_app.id);
    let res = app
        .submit(
            &credentials,
            &format!("{credentials}/new"),
            &[("description", "Demo"), ("expires", "6")],
        )
        .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    let secret = attribute_after(&html, "id=\"new_secret_value\" type=\"text\" readonly value=\"").expect("the secret");
    let (guest, _) = accepted_guest(&app, &sink, GUEST).await;
    let guest_id = user_id(&app, GUEST).await;
    assignments::assign(
        &app.state,
        &system_admin(),
        &demo_app.id,
        &reader.id,
        &[Principal::User(guest_id)],
    )
    .await
    .expect("the guest is assigned");

    let port_text = port.to_string();
    let mut demo = Script::start(
        &python,
        &["demo/app.py"],
        &[
            ("VESTIBULE_ISSUER", issuer.as_str()),
            ("DEMO_CLIENT_ID", client_id.as_str()),
            ("DEMO_CLIENT_SECRET", secret.as_str()),
            ("DEMO_PORT", port_text.as_str()),
        ],
    );
    let ready = demo.line().await;
    assert!(ready.contains(&format!("{base}/")), "{ready}");

    // Refusals get a clear page: an answer to a sign-in this browser did
    // not start, and an error from Vestibule.
    let res = get(&guest, &format!("{base}/signin-oidc?code=stolen&state=forged")).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Sign-in failed: state mismatch"));
    let res = get(
        &guest,
        &format!("{base}/signin-oidc?error=access_denied&error_description=Not+for+you&state=x"),
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Sign-in failed: access_denied") && html.contains("Not for you"),
        "{html}"
    );

    // My Apps shows the tile, which opens the demo's sign-on URL (not its
    // homepage).
    let my_apps = app.get_with(&guest, "/myapps").await.text().await.unwrap();
    assert!(
        my_apps.replace("&#x2f;", "/").contains(&format!("href=\"{sign_on}\"")),
        "{my_apps}"
    );
    let home = get(&guest, &format!("{base}/")).await.text().await.unwrap();
    assert!(home.contains("data-testid=\"demo-sign-in\""), "{home}");

    // The demo sends the browser to Vestibule, which sends it back with a
    // code; the demo exchanges it and checks the ID token.
    let to_vestibule = redirect(&get(&guest, &sign_on).await, 302);
    let authorize = issuer.replace("/v2.0", "/oauth2/v2.0/authorize?");
    assert!(to_vestibule.starts_with(&authorize), "{to_vestibule}");
    assert!(to_vestibule.contains("code_challenge_method=S256") && to_vestibule.contains("nonce="));
    let back = redirect(&get(&guest, &to_vestibule).await, 302);
    assert!(back.starts_with(&format!("{base}/signin-oidc?code=")), "{back}");
    let res = get(&guest, &back).await;
    let status = res.status();
    let to_home = location(&res);
    assert_eq!(status, 303, "{}\nstderr:\n{}", res.text().await.unwrap(), demo.stderr());
    assert_eq!(to_home, "/");
    let home = get(&guest, &format!("{base}/")).await.text().await.unwrap();
    assert!(
        home.contains("<p data-testid=\"demo-greeting\">Hello, Grace Guest</p>"),
        "{home}"
    );
    assert!(
        home.contains(&format!("<p data-testid=\"demo-email\">{GUEST}</p>")),
        "{home}"
    );
    assert!(
        home.contains("<p data-testid=\"demo-roles\">Your roles: Demo.Reader</p>"),
        "{home}"
    );
    let replayed = get(&guest, &back).await;
    assert_eq!(replayed.status(), 400, "the callback is good once");

    // Sign out: the demo, then Vestibule with the ID token as the hint,
    // then back to the demo's home page.
    let res = guest.post(format!("{base}/logout")).send().await.unwrap();
    let end_session = redirect(&res, 303);
    let logout = issuer.replace("/v2.0", "/oauth2/v2.0/logout?");
    assert!(
        end_session.starts_with(&logout) && end_session.contains("id_token_hint="),
        "{end_session}"
    );
    let back = redirect(&get(&guest, &end_session).await, 302);
    assert!(back.starts_with(&format!("{base}/?state=")), "{back}");
    let home = get(&guest, &back).await.text().await.unwrap();
    assert!(home.contains("You have signed out."), "{home}");
    assert!(home.contains("data-testid=\"demo-sign-in\""), "{home}");
    assert_eq!(
        app.get_with(&guest, "/myapps").await.status(),
        303,
        "signed out of Vestibule too"
    );
}
