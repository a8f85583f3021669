//! An invitation's life after Invite: invitations from a group's and an
//! app's picker (seed 004), Resend while pending, Reset redemption status
//! and redeeming again, a mail scanner's GET, and a guest who leaves.

use crate::browser::Browser;
use crate::*;

/// Seed 004: Invite from a group's Add members picker and from an app's
/// Add Assignment picker; the new guests land in the group and the app;
/// Resend while pending replaces the link, and the new one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_are_invited_from_a_group_and_an_app_picker() {
    let (app, sink) = spawn_with_mail().await;
    let admin = admin_browser(&app).await;

    create_group(&admin, "Developer group", "Everyone who builds").await;
    admin.click_link("Add members").await;
    admin.wait_for_text("Search the directory").await;
    admin.click_link("Invite").await;
    admin.wait_for_path("/admin/users/invite").await;
    fill_invite_and_send(&admin, "carol@fabrikam.example", "Carol Shaw").await;
    assert!(row_of(&admin, "Carol Shaw").await.contains("Pending acceptance"));
    admin.click_link("All groups").await;
    admin.wait_for_path("/admin/groups").await;
    admin.click_link("Developer group").await;
    admin.click_link("Members").await;
    admin.wait_for_text("Carol Shaw").await;

    add_docusign(&admin).await;
    admin.click_link("Add user/group").await;
    admin.wait_for_text("Add Assignment").await;
    admin.click_link("Invite").await;
    admin.wait_for_path("/admin/users/invite").await;
    admin.fill("Email", "dave@northwind.example").await;
    admin.fill("Display name", "Dave Cutler").await;
    admin.click_button("Review + invite").await;
    admin.wait_for_path("/admin/users/invite/review").await;
    assert!(
        admin.page_text().await.contains("DocuSign: "),
        "the review lists the app role"
    );
    admin.click_button("Invite").await;
    admin.wait_for_text("Successfully invited user").await;
    admin.click_link("Enterprise applications").await;
    admin.wait_for_path("/admin/apps").await;
    admin.click_link("DocuSign").await;
    admin.click_link("Users and groups").await;
    admin.wait_for_text("Dave Cutler").await;

    // Resend while pending: the first link is replaced, the new one works.
    let first = invitation_link(&app, &sink, "dave@northwind.example", 1).await;
    open_profile(&admin, "Dave Cutler").await;
    admin.click_button("Resend invitation").await;
    admin
        .wait_for_text("The invitation was sent again; the earlier link no longer works.")
        .await;
    drop(admin);
    let guest = Browser::start().await;
    guest.goto(&first).await;
    guest.wait_for_text("This invitation link was replaced").await;
    drop(guest);
    let guest = redeem(&app, &sink, "dave@northwind.example", 2).await;
    guest.wait_for_text("DocuSign").await;
}

/// Reset redemption status sends a new invitation and makes the guest
/// Pending acceptance again; the guest redeems the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_redemption_status_and_the_guest_redeems_again() {
    let (app, sink) = spawn_with_mail().await;
    drop({
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
        admin
    });
    drop(redeem(&app, &sink, "grace@fabrikam.example", 1).await);

    let admin = admin_browser(&app).await;
    assert!(row_of(&admin, "Grace Hopper").await.contains("Accepted"));
    open_profile(&admin, "Grace Hopper").await;
    admin.click_link("Reset redemption status").await;
    admin.wait_for_text("Email address to send the invitation to").await;
    admin.click_button("Reset").await;
    admin
        .wait_for_text("Redemption status was reset and a new invitation was sent.")
        .await;
    admin.click_link("All users").await;
    admin.wait_for_path("/admin/users").await;
    assert!(row_of(&admin, "Grace Hopper").await.contains("Pending acceptance"));
    drop(admin);

    // Invitation, code, and now the new invitation.
    let guest = redeem(&app, &sink, "grace@fabrikam.example", 3).await;
    guest.wait_for_text("There are no apps to show").await;
    drop(guest);
    let admin = admin_browser(&app).await;
    assert!(row_of(&admin, "Grace Hopper").await.contains("Accepted"));
}

/// A mail scanner fetches the link (a plain GET, no cookies), and so does a
/// browser's link preview: the invitation stays Pending acceptance and the
/// guest can still redeem it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_opening_the_link_leaves_the_invitation_pending() {
    let (app, sink) = spawn_with_mail().await;
    drop({
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
        admin
    });
    let link = invitation_link(&app, &sink, "grace@fabrikam.example", 1).await;

    for _ in 0..2 {
        let res = common::bare_client().get(&link).send().await.expect("GET");
        assert!(res.status().is_success(), "{}", res.status());
    }
    {
        let preview = Browser::start().await;
        preview.goto(&link).await;
        assert_eq!(preview.heading().await, "Contoso");
    }
    {
        let admin = admin_browser(&app).await;
        assert!(row_of(&admin, "Grace Hopper").await.contains("Pending acceptance"));
    }

    let guest = redeem(&app, &sink, "grace@fabrikam.example", 1).await;
    guest.wait_for_text("There are no apps to show").await;
    drop(guest);
    let admin = admin_browser(&app).await;
    assert!(row_of(&admin, "Grace Hopper").await.contains("Accepted"));
}

/// A guest leaves from the user menu's Organizations; they can no longer
/// sign in, and the admin no longer sees them in All users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_leaves_the_organization() {
    let (app, sink) = spawn_with_mail().await;
    drop({
        let admin = admin_browser(&app).await;
        invite_with_the_wizard(&admin, "grace@fabrikam.example", "Grace Hopper").await;
        admin
    });
    let guest = redeem(&app, &sink, "grace@fabrikam.example", 1).await;
    guest.click_summary("Account menu for Grace Hopper").await;
    guest.click_link("Organizations").await;
    guest.wait_for_path("/account/organizations").await;
    assert!(guest.page_text().await.contains("You are a guest of Contoso"));
    guest.click_link("Leave organization").await;
    guest.wait_for_path("/account/organizations/leave").await;
    guest.click_button("Leave").await;
    guest.wait_for_text("You left the organization").await;
    guest.goto(&app.url("/myapps")).await;
    assert!(guest.current_path().await.starts_with("/signin"), "the session ended");
    drop(guest);

    let admin = admin_browser(&app).await;
    assert!(!admin.page_text().await.contains("Grace Hopper"), "gone from All users");
    admin.click_link("Deleted users").await;
    admin.wait_for_path("/admin/users/deleted").await;
    admin.wait_for_text("Grace Hopper").await;
}
