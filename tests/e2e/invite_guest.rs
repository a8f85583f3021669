//! Invite a guest: under "Member users and users assigned to specific admin
//! roles can invite…", a member opens Invite a guest from My Apps' user
//! menu and the invitation arrives from them.

use crate::browser::Browser;
use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_invites_a_guest_from_my_apps_under_the_inclusive_level() {
    let (app, sink) = spawn_with_mail().await;
    app.create_member("member@contoso.test", "Member-passw0rd", "").await;
    {
        let admin = admin_browser(&app).await;
        admin.goto(&app.url("/admin/settings/collaboration")).await;
        admin
            .click_labelled(
                "Member users and users assigned to specific admin roles can invite guest users including \
                 guests with member permissions",
            )
            .await;
        admin.click_button("Save").await;
        admin
            .wait_for_text("The external collaboration settings were saved.")
            .await;
    }
    let member = Browser::start().await;
    member.goto(&app.url("/signin")).await;
    member.fill("Email", "member@contoso.test").await;
    member.fill("Password", "Member-passw0rd").await;
    member.click_button("Sign in").await;
    member.wait_for_path("/myapps").await;
    member.click_summary("Account menu for Test Member").await;
    member.click_link("Invite a guest").await;
    member.wait_for_path("/account/invite").await;
    assert_eq!(member.heading().await, "Invite a guest");
    member.fill("Email", "pat@woodgrove.example").await;
    member.fill("Display name", "Pat Partner").await;
    member.fill("Message", "Welcome to the project.").await;
    member.click_button("Invite").await;
    member
        .wait_for_text("An invitation was sent to pat@woodgrove.example.")
        .await;
    let mail = nth_mail_to(&sink, "pat@woodgrove.example", 1).await;
    assert_eq!(
        mail.subject(),
        "Test Member invited you to access applications within their organization"
    );
    assert!(mail.text().unwrap().contains("Welcome to the project."));
}
