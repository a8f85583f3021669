//! All users › Bulk operations › Bulk invite in the browser: a file with an
//! error, the file fixed, Submit, and the job's page following the job to
//! its results (with the page's script; the Refresh link is for pages
//! without it).

use std::time::Duration;

use crate::browser::Browser;
use crate::common::flows::template;
use crate::*;

/// From All users: Bulk invite, a file with an error (shown by row and
/// column), the file fixed, Submit. Returns the job's page path.
pub async fn upload_and_submit(admin: &Browser, app: &TestApp, rows: &[&str]) -> String {
    admin.goto(&app.url("/admin/users")).await;
    admin.click_summary("Bulk operations").await;
    admin.click_link("Bulk invite").await;
    admin.wait_for_path("/admin/users/bulk-invite").await;
    assert_eq!(admin.heading().await, "Bulk invite");
    let href = admin.link("Download").await.attr("href").await.unwrap();
    assert_eq!(href.as_deref(), Some("/admin/users/bulk-invite/template.csv"));

    let dir = app.settings.data_dir.clone();
    let mut bad: Vec<&str> = rows.to_vec();
    bad.push("not-an-address,,,");
    let bad_file = dir.join("guests-with-an-error.csv");
    std::fs::write(&bad_file, template(&bad)).unwrap();
    let input = admin.input_labelled("CSV file").await;
    input.send_keys(bad_file.to_str().unwrap()).await.unwrap();
    admin.click_button("Upload").await;
    admin.wait_for_text("Errors by row and column").await;
    assert!(admin.page_text().await.contains("[inviteeEmail]"));

    let good_file = dir.join("guests.csv");
    std::fs::write(&good_file, template(rows)).unwrap();
    let input = admin.input_labelled("CSV file").await;
    input.send_keys(good_file.to_str().unwrap()).await.unwrap();
    admin.click_button("Upload").await;
    admin.wait_for_text("File uploaded successfully").await;
    admin.click_button("Submit").await;
    admin.wait_for_text("Total Requests").await;
    let job = admin.current_path().await;
    assert!(job.starts_with("/admin/users/bulk-operations/"), "{job}");
    job
}

/// Runs the job of `job` (its page's path) as a worker would, here.
async fn run_the_job(app: &TestApp, job: &str) {
    use vestibule::services::bulk_jobs;
    let id = job.rsplit('/').next().unwrap();
    let claimed = bulk_jobs::claim(&app.state, "e2e-worker").await.unwrap();
    assert_eq!(claimed.as_deref(), Some(id));
    let options = vestibule::services::bulk_invite::JobOptions::default();
    assert!(
        bulk_jobs::process(&app.state, id, "e2e-worker", &options)
            .await
            .unwrap()
    );
}

/// The same, then the job's page until it is done (its script follows it).
pub async fn bulk_invite_through_the_page(admin: &Browser, app: &TestApp, rows: &[&str]) -> String {
    let job = upload_and_submit(admin, app, rows).await;
    admin
        .wait_for_text_within("Download results", Duration::from_secs(60))
        .await;
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_bulk_invites_guests_and_follows_the_job_to_its_results() {
    // No worker runs here: the test runs the job when it wants it run.
    let app = crate::common::spawn_app_without_bulk_worker().await;
    let admin = admin_browser(&app).await;
    let job = upload_and_submit(
        &admin,
        &app,
        &[
            "ada@fabrikam.example,,true,Welcome",
            "alan@fabrikam.example,,,",
            "grace@fabrikam.example,,,",
        ],
    )
    .await;
    assert_eq!(admin.by_testid("job-status").await.text().await.unwrap(), "Not started");
    assert!(!admin.page_text().await.contains("Download results"));
    // The page is not reloaded: what a script leaves on it stays.
    admin.execute("window.stillThisPage = true;", vec![]).await;
    run_the_job(&app, &job).await;
    admin
        .wait_for_text_within("Download results", Duration::from_secs(30))
        .await;
    assert_eq!(
        admin.execute("return window.stillThisPage === true;", vec![]).await,
        true
    );
    assert_eq!(admin.by_testid("job-status").await.text().await.unwrap(), "Completed");
    assert_eq!(admin.by_testid("job-success").await.text().await.unwrap(), "3");
    assert_eq!(admin.by_testid("job-total").await.text().await.unwrap(), "3");
    assert!(
        !admin.page_text().await.contains("Refresh"),
        "Refresh is for a running job"
    );
    let results = admin.link("Download results").await.attr("href").await.unwrap();
    assert_eq!(results, Some(format!("{job}/results.csv")));

    admin.click_link("Bulk operation results").await;
    admin.wait_for_path("/admin/users/bulk-operations").await;
    admin.wait_for_text("# Success").await;
    assert!(admin.page_text().await.contains("Completed"));
    admin.goto(&app.url("/admin/users?search=grace")).await;
    admin.wait_for_text("grace@fabrikam.example").await;
    drop(admin);

    // Without JavaScript: the same steps, and Refresh.
    let admin = Browser::start_without_javascript().await;
    sign_in_as_admin(&admin, &app).await;
    let job = upload_and_submit(&admin, &app, &["edsger@fabrikam.example,,,"]).await;
    assert_eq!(admin.by_testid("job-status").await.text().await.unwrap(), "Not started");
    run_the_job(&app, &job).await;
    admin.click_link("Refresh").await;
    admin.wait_for_text("Download results").await;
    assert_eq!(admin.by_testid("job-status").await.text().await.unwrap(), "Completed");
}
