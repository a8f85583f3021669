//! The guest's side of seeds 000 and 003: redeeming from the inbox, Review
//! permissions, My Apps (empty, then with DocuSign). Both also run on
//! PostgreSQL in `scripts/test` (the filter `guest::`).

use crate::browser::Browser;
use crate::*;

/// Seed 000 from end to end: the admin invites, the guest redeems in their
/// own browser with the code from the second email, accepts on Review
/// permissions and lands on My Apps; the admin sees Accepted and deletes
/// the test user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_redeems_the_invitation_and_lands_on_my_apps() {
    let (app, sink) = spawn_with_mail().await;
    {
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
        let row = row_of(&admin, "Grace Hopper").await;
        assert!(row.contains("Guest") && row.contains("Pending acceptance"), "{row}");
    }

    let link = invitation_link(&app, &sink, "grace@fabrikam.example", 1).await;
    {
        let guest = Browser::start().await;
        guest.goto(&link).await;
        assert_eq!(guest.heading().await, "Contoso");
        assert!(
            guest
                .page_text()
                .await
                .contains("Administrator (admin@contoso.test) invited you")
        );
        prove_address_with_a_code(&guest, &sink, &link).await;
        assert_eq!(guest.heading().await, "Review permissions");
        let text = guest.page_text().await;
        assert!(
            text.contains("Permissions requested by") && text.contains("Contoso"),
            "{text}"
        );
        assert!(text.contains("Contoso has not provided links to their terms for you to review"));
        guest
            .screenshot_to(screenshots().as_deref(), "review-permissions")
            .await;
        guest.click_button("Accept").await;
        guest.wait_for_path("/myapps").await;
        guest.wait_for_text("There are no apps to show").await;
    }

    let admin = admin_browser(&app).await;
    let row = row_of(&admin, "Grace Hopper").await;
    assert!(row.contains("Guest") && row.contains("Accepted"), "{row}");
    admin.click_link("Grace Hopper").await;
    admin.wait_for_text("B2B collaboration").await;
    admin.click_link("Delete user").await;
    admin.wait_for_text("Delete Grace Hopper").await;
    admin.click_button("Delete").await;
    admin.wait_for_text("Grace Hopper was deleted.").await;
    assert!(!admin.page_text().await.contains("grace@fabrikam.example"));
}

/// Seed 003: the Developer group, DocuSign from the gallery, the group
/// assigned the DocuSign Sender role; the guest, who signs in again days
/// later with a code, sees DocuSign on My Apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_in_the_developer_group_sees_docusign_on_my_apps() {
    let (app, sink) = spawn_with_mail().await;
    let shots = screenshots();
    {
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
    }
    {
        let guest = redeem(&app, &sink, "grace@fabrikam.example", 1).await;
        guest.wait_for_text("There are no apps to show").await;
    }
    {
        let admin = admin_browser(&app).await;
        create_group(&admin, "Developer group", "Everyone who builds").await;
        add_group_member(&admin, "grace", "Grace Hopper (grace@fabrikam.example, Guest)").await;
        admin.screenshot_to(shots.as_deref(), "group-members").await;

        add_docusign(&admin).await;
        fill_assignment(
            &admin,
            "Developer",
            "Developer group (group: Everyone who builds)",
            "DocuSign Sender",
        )
        .await;
        admin.screenshot_to(shots.as_deref(), "add-assignment").await;
        admin.click_button("Assign").await;
        admin.wait_for_text("1 assignment was added.").await;
        let row = row_of(&admin, "Developer group").await;
        assert!(row.contains("DocuSign Sender"), "{row}");
        admin.screenshot_to(shots.as_deref(), "app-assignments").await;
    }
    // Days later the guest comes back and signs in with a code.
    app.clock.advance(3 * 24 * 3600);
    let guest = Browser::start().await;
    guest_signs_in_with_a_code(&guest, &app, &sink, "grace@fabrikam.example").await;
    guest.wait_for_path("/myapps").await;
    guest.wait_for_text("DocuSign").await;
    let href = guest
        .execute(
            "return document.querySelector('[data-testid=app-tile] a').getAttribute('href');",
            vec![],
        )
        .await;
    assert!(
        href.as_str().unwrap_or_default().starts_with("https://"),
        "the tile links to DocuSign: {href}"
    );
    guest.screenshot_to(shots.as_deref(), "my-apps-docusign").await;
}
