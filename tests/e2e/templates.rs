//! Every template under `templates/` is rendered somewhere in the browser
//! suite and audited there. `TEMPLATES` says where: for each file, the page
//! type of an audited page that is rendered from it, and a marker, a piece
//! of the file's literal text that no other template contains. A file with
//! no entry fails `every_template_has_an_entry_with_a_marker_of_its_own`;
//! an entry whose page was never audited with its marker on it fails
//! `assert_every_template_was_rendered` (called by the axe tour).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::checks;

pub struct Entry {
    /// The file, relative to `templates/`.
    pub file: &'static str,
    /// The page type (see `checks::page_type`) it is audited on; partial
    /// templates name one of the pages that include them, emails their
    /// HTML part in the development mailbox, text parts of emails the
    /// mailbox's page of the message.
    pub page: &'static str,
    /// Literal text of the file, found in no other template. Text parts of
    /// emails say what their HTML parts say, so theirs end at a line break.
    pub marker: &'static str,
    /// What the marker renders as on the audited page: the marker itself,
    /// or, for text in the guest's language, the English of its Fluent call.
    pub rendered: &'static str,
}

const fn entry(file: &'static str, page: &'static str, marker: &'static str) -> Entry {
    Entry {
        file,
        page,
        marker,
        rendered: marker,
    }
}

/// A template whose text comes from `locales/`: `marker` is its Fluent
/// call in the file, `rendered` the English it gives on the page.
const fn translated(file: &'static str, page: &'static str, marker: &'static str, rendered: &'static str) -> Entry {
    Entry {
        file,
        page,
        marker,
        rendered,
    }
}

pub const TEMPLATES: &[Entry] = &[
    translated(
        "base.html",
        "/signin",
        "layout.t.get(\"page-skip\")",
        ">Skip to main content</a>",
    ),
    entry(
        "admin/app_assignments.html",
        "/admin/apps/{id}/assignments",
        "data-testid=\"add-assignment\"",
    ),
    entry(
        "admin/app_delete.html",
        "/admin/apps/{id}/delete",
        "<h1>Delete application</h1>",
    ),
    entry(
        "admin/app_gallery_create.html",
        "/admin/apps/new/docusign",
        "Back to the gallery",
    ),
    entry("admin/app_new.html", "/admin/apps/new", "Browse the gallery"),
    entry(
        "admin/app_api_permissions.html",
        "/admin/apps/{id}/api-permissions",
        "Configured permissions",
    ),
    entry(
        "admin/app_consent.html",
        "/admin/apps/{id}/api-permissions/consent",
        "Grant admin consent confirmation",
    ),
    entry(
        "admin/app_credentials.html",
        "/admin/apps/{id}/credentials",
        "data-testid=\"add-client-secret\"",
    ),
    entry(
        "admin/app_properties.html",
        "/admin/apps/{id}",
        "data-testid=\"app-facts\"",
    ),
    entry(
        "admin/app_role_edit.html",
        "/admin/apps/{id}/roles/{id}",
        "Edit app role",
    ),
    entry(
        "partials/app_role_fields.html",
        "/admin/apps/{id}/roles/{id}",
        "What the app receives in the roles claim",
    ),
    entry(
        "admin/app_roles.html",
        "/admin/apps/{id}/roles",
        "data-testid=\"app-roles\"",
    ),
    entry(
        "admin/app_single_sign_on.html",
        "/admin/apps/{id}/single-sign-on",
        "data-testid=\"sso-form\"",
    ),
    entry(
        "partials/app_tabs.html",
        "/admin/apps/{id}/roles",
        "data-testid=\"tab-properties\"",
    ),
    entry("admin/apps.html", "/admin/apps", "<h1>Enterprise applications</h1>"),
    entry(
        "admin/assignment_edit.html",
        "/admin/apps/{id}/assignments/{id}/edit",
        "<h1>Edit Assignment</h1>",
    ),
    entry("admin/audit.html", "/admin/audit", "<h1>Audit logs</h1>"),
    entry(
        "admin/sign_in_logs.html",
        "/admin/sign-in-logs",
        "<h1>Sign-in logs</h1>",
    ),
    entry(
        "admin/confirm_delete.html",
        "/admin/groups/{id}/delete",
        "data-testid=\"delete-confirmation\"",
    ),
    entry(
        "admin/deleted_user_purge.html",
        "/admin/users/deleted/{id}/delete",
        "<h1>Delete permanently</h1>",
    ),
    entry(
        "admin/deleted_user_restore.html",
        "/admin/users/deleted/{id}/restore",
        "<h1>Restore user</h1>",
    ),
    entry(
        "admin/deleted_users.html",
        "/admin/users/deleted",
        "<h1>Deleted users</h1>",
    ),
    entry("admin/group.html", "/admin/groups/{id}", "data-testid=\"edit-group\""),
    entry(
        "admin/group_form.html",
        "/admin/groups/new",
        "<label for=\"display_name\">Group name</label>",
    ),
    entry(
        "admin/group_members.html",
        "/admin/groups/{id}/members",
        "data-testid=\"add-members\"",
    ),
    entry("admin/groups.html", "/admin/groups", "<h1>All groups</h1>"),
    entry(
        "admin/invite.html",
        "/admin/users/invite",
        "data-testid=\"review-invite\"",
    ),
    entry(
        "admin/invite_review.html",
        "/admin/users/invite/review",
        "data-testid=\"invite-summary\"",
    ),
    entry(
        "admin/password_shown.html",
        "/admin/users/new",
        "<dt>Temporary password</dt>",
    ),
    entry(
        "admin/principal_picker.html",
        "/admin/groups/{id}/members/add",
        "data-testid=\"picker-search\"",
    ),
    entry(
        "admin/redemption_url.html",
        "/admin/users/{id}/redemption-url",
        "<h1>Copy redemption URL</h1>",
    ),
    entry(
        "admin/reset_redemption.html",
        "/admin/users/{id}/reset-redemption",
        "<h1>Reset redemption status</h1>",
    ),
    entry(
        "admin/identity_provider_form.html",
        "/admin/identity-providers/new",
        "data-testid=\"idp-metadata_url\"",
    ),
    entry(
        "admin/identity_providers.html",
        "/admin/identity-providers",
        "data-testid=\"new-oidc-provider\"",
    ),
    entry("admin/roles.html", "/admin/roles", "<h1>Roles and administrators</h1>"),
    entry("admin/settings.html", "/admin/settings", "<h1>Settings</h1>"),
    entry(
        "admin/settings_collaboration.html",
        "/admin/settings/collaboration",
        "<h1>External collaboration settings</h1>",
    ),
    entry(
        "admin/settings_organization.html",
        "/admin/settings/organization",
        "<h1>Organization properties</h1>",
    ),
    entry(
        "admin/user_delete.html",
        "/admin/users/{id}/delete",
        "<h1>Delete user</h1>",
    ),
    entry(
        "admin/user_edit.html",
        "/admin/users/{id}/edit",
        "<h1>Edit properties</h1>",
    ),
    entry("admin/user_new.html", "/admin/users/new", "<h1>New user</h1>"),
    entry(
        "admin/user_profile.html",
        "/admin/users/{id}",
        "aria-label=\"Actions on this user\"",
    ),
    entry("admin/users.html", "/admin/users", "<h1>All users</h1>"),
    entry(
        "admin/bulk_invite.html",
        "/admin/users/bulk-invite/{id}",
        "2. Upload your csv file",
    ),
    entry(
        "admin/bulk_results.html",
        "/admin/users/bulk-operations",
        "data-testid=\"jobs-table\"",
    ),
    entry(
        "admin/bulk_job.html",
        "/admin/users/bulk-operations/{id}",
        "data-testid=\"job-progress\"",
    ),
    entry(
        "auth/change_password.html",
        "/account/password",
        "<h1>Change password</h1>",
    ),
    translated(
        "auth/signin.html",
        "/signin",
        "<h1>{{ layout.t.get(\"signin-title\")",
        "<h1>Sign in</h1>",
    ),
    entry(
        "partials/dev_banner.html",
        "/dev/mailbox",
        "It is for development only.",
    ),
    entry("dev/mailbox.html", "/dev/mailbox", "<h1>Development mailbox</h1>"),
    entry("dev/message.html", "/dev/mailbox/{id}", "Open the HTML part"),
    translated(
        "email/code.html",
        "/dev/mailbox/{id}/html",
        "<p>{{ t.get(\"code-enter\")|safe }}</p>",
        "It expires in 30 minutes and works once.</p>",
    ),
    translated(
        "email/code.txt",
        "/dev/mailbox/{id}",
        "{{ t.get(\"code-enter\") }}\n",
        "It expires in 30 minutes and works once.\n",
    ),
    translated(
        "email/invitation.html",
        "/dev/mailbox/{id}/html",
        "{{ t.get(\"invitation-accept\")|safe }}</a>",
        "Accept invitation</a>",
    ),
    translated(
        "email/invitation.txt",
        "/dev/mailbox/{id}",
        "{{ t.get(\"invitation-accept\") }}:\n",
        "Accept invitation:\n",
    ),
    translated(
        "email/invitation_cc.html",
        "/dev/mailbox/{id}/html",
        "{{ t.get(\"invitation-cc-note\")|safe }}</p>",
        "only the invited person can accept the invitation.</p>",
    ),
    translated(
        "email/invitation_cc.txt",
        "/dev/mailbox/{id}",
        "\n{{ t.get(\"invitation-cc-note\") }}",
        "\nThis copy is for your information;",
    ),
    entry("errors/error.html", "/no-such-page", "data-testid=\"error-page\""),
    entry(
        "guest/block_invitations.html",
        "/invitations/block",
        "<h1>Block future invitations</h1>",
    ),
    translated(
        "guest/consent.html",
        "/redeem/consent",
        "<h1>{{ layout.t.get(\"consent-title\")",
        "<h1>Review permissions</h1>",
    ),
    translated(
        "guest/continue.html",
        "/redeem/accept",
        "<h1>{{ layout.t.get(\"continue-title\")",
        "<h1>You're all set</h1>",
    ),
    translated(
        "guest/enter_code.html",
        "/redeem/verify",
        "<h1>{{ layout.t.get(\"code-page-title\")",
        "<h1>Enter code</h1>",
    ),
    entry(
        "guest/leave.html",
        "/account/organizations/leave",
        "<h1>Leave organization</h1>",
    ),
    entry("guest/message.html", "/redeem", "data-testid=\"guest-message\""),
    translated(
        "guest/my_apps.html",
        "/myapps",
        "<h1>{{ layout.t.get(\"page-my-apps\")",
        "<h1>My Apps</h1>",
    ),
    entry(
        "guest/invite_guest.html",
        "/account/invite",
        "data-testid=\"invite-guest-submit\"",
    ),
    entry(
        "guest/organizations.html",
        "/account/organizations",
        "<h1>Organizations</h1>",
    ),
    entry("guest/redeem.html", "/redeem", "data-testid=\"redeem-page\""),
    entry(
        "oidc/problem.html",
        "/{id}/oauth2/v2.0/authorize",
        "data-testid=\"sign-in-problem\"",
    ),
    entry(
        "oidc/sign_out.html",
        "/{id}/oauth2/v2.0/logout",
        "data-testid=\"sign-out-confirm\"",
    ),
    entry("oidc/form_post.html", "form_post response", "id=\"form-post-response\""),
];

fn templates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")
}

/// Every file under `dir`, as paths relative to `root` with `/` between.
fn files_under(root: &Path, dir: &Path, found: &mut BTreeSet<String>) {
    for item in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = item.expect("a directory entry").path();
        if path.is_dir() {
            files_under(root, &path, found);
        } else {
            let relative = path.strip_prefix(root).expect("under templates/");
            found.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// What is on disk and what `TEMPLATES` lists are the same files, and each
/// marker is in its own file and in no other.
#[test]
fn every_template_has_an_entry_with_a_marker_of_its_own() {
    let root = templates_dir();
    let mut on_disk = BTreeSet::new();
    files_under(&root, &root, &mut on_disk);
    let listed: BTreeSet<String> = TEMPLATES.iter().map(|t| t.file.to_owned()).collect();
    assert_eq!(listed.len(), TEMPLATES.len(), "a template is listed twice");
    let unlisted: Vec<&String> = on_disk.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "templates with no entry in TEMPLATES (say which audited page renders each): {unlisted:?}"
    );
    assert!(gone.is_empty(), "TEMPLATES lists files that do not exist: {gone:?}");

    let sources: Vec<(String, String)> = on_disk
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(root.join(f)).expect("a template")))
        .collect();
    let wrong: Vec<String> = TEMPLATES
        .iter()
        .filter_map(|t| {
            let holders: Vec<&str> = sources
                .iter()
                .filter(|(_, source)| source.contains(t.marker))
                .map(|(file, _)| file.as_str())
                .collect();
            (holders != [t.file]).then(|| format!("{:?} of {} is in {holders:?}", t.marker, t.file))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "each marker must be in its own file and in no other:\n  {}",
        wrong.join("\n  ")
    );
}

/// Fails unless, for every template, a page of its type was audited with
/// the template's marker in its HTML.
pub fn assert_every_template_was_rendered() {
    let pages = checks::rendered_pages();
    let missing: Vec<String> = TEMPLATES
        .iter()
        .filter(|t| {
            !pages
                .iter()
                .any(|(page, html)| page == t.page && html.contains(t.rendered))
        })
        .map(|t| format!("{} (on {}, marked by {:?})", t.file, t.page, t.rendered))
        .collect();
    assert!(
        missing.is_empty(),
        "templates never rendered on an audited page:\n  {}",
        missing.join("\n  ")
    );
}
