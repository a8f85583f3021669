use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, assert_redirect_to, new_client, spawn_app};

async fn change(app: &crate::common::TestApp, current: &str, new: &str, confirm: &str) -> reqwest::Response {
    app.submit(
        "/account/password",
        "/account/password",
        &[
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", confirm),
        ],
    )
    .await
}

#[tokio::test]
async fn bad_password_changes_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let cases = [
        (
            "Wrong-passw0rd",
            "Another-passw0rd",
            "Another-passw0rd",
            "The current password is not correct.",
        ),
        (ADMIN_PASSWORD, "Another-passw0rd", "Different-passw0rd", "do not match"),
        (ADMIN_PASSWORD, "short", "short", "8 to 256 characters"),
        (ADMIN_PASSWORD, "alllowercase", "alllowercase", "three of these"),
        (
            ADMIN_PASSWORD,
            ADMIN_PASSWORD,
            ADMIN_PASSWORD,
            "different from the current one",
        ),
    ];
    for (current, new, confirm, message) in cases {
        let res = change(&app, current, new, confirm).await;
        assert_eq!(res.status(), 422, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    // The original password still works.
    let res = app.sign_in_with(&new_client(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirect_to(&res, "/");
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let other_device = new_client();
    app.sign_in_with(&other_device, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.sign_in_as_admin().await;
    let res = change(&app, ADMIN_PASSWORD, "Changed-passw0rd", "Changed-passw0rd").await;
    assert_redirect_to(&res, "/");
    let html = app.get_html("/admin/users").await;
    assert!(html.contains("Your password was changed."));
    let res = app.get_with(&other_device, "/admin/users").await;
    assert_eq!(res.status(), 303, "the other session ended");
    let audit = app
        .count("SELECT COUNT(*) FROM audit_log WHERE activity = 'Change user password'")
        .await;
    assert_eq!(audit, 1);
}
