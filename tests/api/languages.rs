//! The guest's language: the invitation's message language (the wizard's
//! Language, the API's `messageLanguage`), else the organization's; the
//! emails, the redeem and code pages and the sign-in page speak it, and
//! `Accept-Language` chooses the pages' language first.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::common::flows::{app_with_sink, invite, invite_guest};

const ORG_PAGE: &str = "/admin/settings/organization";

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM users").await,
        app.count("SELECT COUNT(*) FROM invitations").await,
        app.count("SELECT COUNT(*) FROM outbox").await,
    )
}

async fn org_language(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT language FROM organization WHERE id = 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn invitation_language(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT language FROM invitations WHERE invited_email = $1")
        .bind(email)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The redeem page for `ticket`, asked for with `accept_language`.
async fn redeem_page(app: &TestApp, ticket: &str, accept_language: Option<&str>) -> String {
    let mut request = app.new_client().get(app.url(&format!("/redeem?ticket={ticket}")));
    if let Some(languages) = accept_language {
        request = request.header("Accept-Language", languages);
    }
    let res = request.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn set_org_language(app: &TestApp, language: &str) -> reqwest::Response {
    app.submit(
        ORG_PAGE,
        ORG_PAGE,
        &[
            ("name", "Contoso"),
            ("primary_domain", "contoso.test"),
            ("language", language),
        ],
    )
    .await
}

#[tokio::test]
async fn an_invitation_in_german_from_the_wizard_arrives_in_german() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let form = app.get_html("/admin/users/invite").await;
    assert!(form.contains("<label for=\"language\">Language</label>") && form.contains(">Deutsch</option>"));
    let ticket = invite_guest(&app, &sink, "anna@fabrikam.example", &[("language", "de")]).await;
    let mail = sink.messages();
    let m = mail.last().unwrap();
    assert_eq!(
        m.subject(),
        "Administrator hat Sie eingeladen, auf Anwendungen in der Organisation zuzugreifen"
    );
    let text = m.text().unwrap();
    assert!(
        text.contains("Einladung annehmen:") && text.contains("Organisation: Contoso (contoso.test)"),
        "{text}"
    );
    let html = m.html().unwrap();
    assert!(
        html.contains("<html lang=\"de\">") && html.contains(">Einladung annehmen</a>"),
        "{html}"
    );
    assert_eq!(invitation_language(&app, "anna@fabrikam.example").await, "de");

    // The redeem page speaks the invitation's language unless the browser
    // asks for another the portal speaks.
    let page = redeem_page(&app, &ticket, None).await;
    assert!(
        page.contains("<html lang=\"de\">") && page.contains(">Code senden</button>"),
        "{page}"
    );
    let page = redeem_page(&app, &ticket, Some("pt-BR, fr;q=0.8")).await;
    assert!(page.contains("<html lang=\"fr\">") && page.contains(">Envoyer le code</button>"));

    // The code email follows the invitation too.
    let guest = app.new_client();
    let res = app
        .submit_with(&guest, &format!("/redeem?ticket={ticket}"), "/redeem/code", &[])
        .await;
    assert_eq!(res.status(), 303);
    let mail = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mail[1].subject(), "Ihr Prüfcode für Contoso");
    let verify = app.get_with(&guest, "/redeem/verify").await.text().await.unwrap();
    assert!(
        verify.contains("<h1>Code eingeben</h1>") && verify.contains(">Überprüfen</button>"),
        "{verify}"
    );
    let res = app.submit_with(&guest, "/redeem/verify", "/redeem/cancel", &[]).await;
    assert_eq!(res.status(), 200);
    let cancelled = res.text().await.unwrap();
    assert!(cancelled.contains("<h1>Es wurde nichts geteilt</h1>") && cancelled.contains(">Zur Anmeldung</a>"));
}

#[tokio::test]
async fn the_api_sends_an_invitation_in_its_message_language() {
    let (app, sink) = app_with_sink().await;
    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({
                "invitedUserEmailAddress": "jonas@fabrikam.example",
                "inviteRedirectUrl": "https://myapps.example/",
                "sendInvitationMessage": true,
                "invitedUserMessageInfo": {"messageLanguage": "de-DE"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["invitedUserMessageInfo"]["messageLanguage"], "de-DE");
    let mail = sink.wait_for(1, Duration::from_secs(10)).await;
    assert!(
        mail[0]
            .subject()
            .ends_with("hat Sie eingeladen, auf Anwendungen in der Organisation zuzugreifen"),
        "{}",
        mail[0].subject()
    );
    assert!(mail[0].text().unwrap().contains("Einladung annehmen:"));
    assert_eq!(invitation_language(&app, "jonas@fabrikam.example").await, "de");
}

#[tokio::test]
async fn a_language_the_portal_does_not_speak_is_refused_with_no_change() {
    let (app, _sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let before = counts(&app).await;

    let client = app.api_client(&["User.Invite.All"]).await;
    let token = app.api_token(&client).await;
    let (status, body) = app
        .graph_json(
            &token,
            Method::POST,
            "/v1.0/invitations",
            Some(&json!({
                "invitedUserEmailAddress": "pedro@fabrikam.example",
                "inviteRedirectUrl": "https://myapps.example/",
                "sendInvitationMessage": true,
                "invitedUserMessageInfo": {"messageLanguage": "pt-BR"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("messageLanguage") && message.contains("Deutsch (de)"),
        "{message}"
    );

    let res = invite(
        &app,
        &app.client,
        &[("email", "pedro@fabrikam.example"), ("language", "klingon")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"language_error\">Choose a supported language"),
        "{page}"
    );
    assert_eq!(counts(&app).await, before, "nothing was written");

    let res = set_org_language(&app, "xx-YY").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Choose a supported language"));
    assert_eq!(org_language(&app).await, "en");
}

#[tokio::test]
async fn the_organizations_language_is_the_fallback() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let form = app.get_html(ORG_PAGE).await;
    assert!(
        form.contains("<option value=\"en\" selected>English</option>"),
        "{form}"
    );
    let res = set_org_language(&app, "es").await;
    assert_eq!(res.status(), 303);
    assert_eq!(org_language(&app).await, "es");

    let ticket = invite_guest(&app, &sink, "lucia@fabrikam.example", &[]).await;
    let mail = sink.messages();
    assert_eq!(
        mail.last().unwrap().subject(),
        "Administrator le invitó a acceder a las aplicaciones de su organización"
    );
    assert_eq!(invitation_language(&app, "lucia@fabrikam.example").await, "es");
    let page = redeem_page(&app, &ticket, None).await;
    assert!(page.contains("<html lang=\"es\">") && page.contains(">Enviar código</button>"));

    // The sign-in page a guest opens: the browser's language, else the
    // organization's.
    let signin = app
        .new_client()
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        signin.contains("<html lang=\"es\">") && signin.contains("Enviarme un código"),
        "{signin}"
    );
    let signin = app
        .new_client()
        .get(app.url("/signin"))
        .header("Accept-Language", "ja-JP")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(signin.contains("<html lang=\"ja\">") && signin.contains("<h1>サインイン</h1>"));
}

#[tokio::test]
async fn accept_language_fr_shows_the_redeem_page_in_french() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    let ticket = invite_guest(&app, &sink, "camille@fabrikam.example", &[]).await;
    assert_eq!(
        sink.messages().last().unwrap().subject(),
        "Administrator invited you to access applications within their organization"
    );
    let page = redeem_page(&app, &ticket, Some("fr")).await;
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(
        page.contains("vous a invité à accéder aux applications de Contoso."),
        "{page}"
    );
    assert!(page.contains("Invité en tant que <strong>camille@fabrikam.example</strong>."));
    assert!(page.contains(">Envoyer le code</button>") && page.contains("Invitation envoyée le "));
    let unknown = app
        .new_client()
        .get(app.url("/redeem?ticket=no-such-ticket"))
        .header("Accept-Language", "fr-FR")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 410);
    let unknown = unknown.text().await.unwrap();
    assert!(
        unknown.contains("<html lang=\"fr\">") && unknown.contains("Ce lien d&#39;invitation n&#39;est pas valide")
    );
    let english = redeem_page(&app, &ticket, None).await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("invited you to access applications within Contoso."));
    assert!(english.contains(">Send code</button>"));
}

#[tokio::test]
async fn a_guests_preferred_language_is_set_through_the_api_and_a_resend_follows_it() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    invite_guest(&app, &sink, "kenji@fabrikam.example", &[("language", "de")]).await;
    let id = crate::common::flows::user_id(&app, "kenji@fabrikam.example").await;
    let client = app.api_client(&["User.ReadWrite.All"]).await;
    let token = app.api_token(&client).await;
    let path = format!("/v1.0/users/{id}");

    let (status, body) = app
        .graph_json(
            &token,
            Method::PATCH,
            &path,
            Some(&json!({"preferredLanguage": "pt-BR"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let stored: Option<String> = sqlx::query_scalar("SELECT preferred_language FROM users WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, None, "nothing changed");

    let res = app
        .graph(
            &token,
            Method::PATCH,
            &path,
            Some(&json!({"preferredLanguage": "ja-JP"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, user) = app.graph_json(&token, Method::GET, &path, None).await;
    assert_eq!(user["preferredLanguage"], "ja-JP");

    let profile = app.get_html(&format!("/admin/users/{id}")).await;
    let key = crate::common::attribute_after(&profile, "name=\"form_key\" value=\"").unwrap();
    let res = app
        .submit(
            &format!("/admin/users/{id}"),
            &format!("/admin/users/{id}/resend"),
            &[("form_key", &key)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mail = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(
        mail[1].subject(),
        "Administrator により、組織内のアプリケーションへのアクセスに招待されました"
    );
}
