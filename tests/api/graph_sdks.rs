//! Microsoft's own Graph SDKs as the API's clients, each running a bulk
//! invitation script in the style of Microsoft's samples with only the base
//! URL and the credential changed: Python's msgraph-sdk over plain http
//! with a credential object that posts the client_credentials grant, and
//! over https with azure-identity's ClientSecretCredential; JavaScript's
//! @microsoft/microsoft-graph-client with @azure/identity over https. The
//! scripts (`clients/graph_sdk_script.py`, `clients/graph_client_script.mjs`)
//! look each address up and invite only the new ones, add every guest to a
//! group, assign an app role, page through all guests, read the audit log
//! and meet a 404; the test checks their summary against the database.
//! Skipped unless scripts/test installed the libraries (and required when
//! it did, through VESTIBULE_REQUIRE_CLIENTS=1).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use vestibule::domain::UserType;
use vestibule::services::groups::GroupForm;

use crate::common::clients::{Script, graph_node, graph_python, repository};
use crate::common::directory::Invited;
use crate::common::graph::ApiClient;
use crate::common::tls::spawn_app_with_tls;
use crate::common::{TestApp, spawn_app, system_admin};

/// What a bulk-invitation script needs, by Graph's names: invite, look
/// users up and list them, add group members, find the application and
/// assign its role, read the audit log.
const PERMISSIONS: [&str; 6] = [
    "User.Invite.All",
    "User.Read.All",
    "GroupMember.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "AuditLog.Read.All",
];
const SCRIPT_APP: &str = "Graph script";
const APPLICATION: &str = "Contoso Contracts";
const APP_ROLE: &str = "DocuSignSender";
const GROUP: &str = "Fabrikam partners";
const PAGE_SIZE: usize = 3;

/// The guests already in the directory when the script runs. The first two
/// are on its list (the second in other letter case, as a spreadsheet may
/// have it); the third is not, but is a guest all the same.
const EXISTING: [(&str, Invited); 3] = [
    ("existing.one@fabrikam.example", Invited::Pending),
    ("existing.two@fabrikam.example", Invited::Accepted),
    ("bystander@northwind.example", Invited::Accepted),
];

/// The script's list: (address, display name, sendInvitationMessage).
const GUESTS: [(&str, &str, bool); 7] = [
    ("ana@fabrikam.example", "Ana Fabrikam", true),
    ("ben@fabrikam.example", "Ben Fabrikam", false),
    ("existing.one@fabrikam.example", "Existing One", true),
    ("chloe@northwind.example", "Chloe Northwind", true),
    ("Existing.Two@Fabrikam.example", "Existing Two", false),
    ("o'brien@fabrikam.example", "Dana O'Brien", false),
    ("dev@northwind.example", "Dev Northwind", false),
];
/// How long a whole script may take: the Python SDK alone spends seconds
/// importing its models on the first answer it reads, and a loaded machine
/// stretches that.
const SCRIPT_TIME: Duration = Duration::from_secs(180);
const MESSAGE: &str = "Welcome to the Fabrikam partner workspace.";

/// A portal with the script's application (a secret, the permissions,
/// admin consent), a group, an application with an app role, and the
/// guests already there.
struct World {
    app: TestApp,
    client: ApiClient,
    tenant: String,
    group_id: String,
    application_id: String,
    role_id: String,
    existing: Vec<(String, String)>,
}

async fn world(app: TestApp) -> World {
    let client = app.api_client_with(SCRIPT_APP, &PERMISSIONS, true).await;
    let admin = system_admin();
    let group_id = vestibule::services::groups::create_group(
        &app.state,
        &admin,
        &GroupForm {
            display_name: GROUP.into(),
            description: "Partners invited by the onboarding script".into(),
            membership_type: "Assigned".into(),
            membership_rule: String::new(),
        },
    )
    .await
    .expect("the group");
    let application =
        vestibule::services::applications::create_from_gallery(&app.state, &admin, "docusign", APPLICATION)
            .await
            .expect("the application");
    let role_id: String = sqlx::query_scalar("SELECT id FROM app_roles WHERE app_id = $1 AND value = $2")
        .bind(&application.id)
        .bind(APP_ROLE)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let mut existing = Vec::new();
    for (email, state) in EXISTING {
        existing.push((email.to_owned(), app.invited_user(email, UserType::Guest, state).await));
    }
    let tenant = app.tenant_id().await;
    World {
        app,
        client,
        tenant,
        group_id,
        application_id: application.id,
        role_id,
        existing,
    }
}

fn guest_list() -> String {
    let guests: Vec<Value> = GUESTS
        .iter()
        .map(|(email, name, send)| {
            let mut guest = json!({"email": email, "displayName": name, "sendInvitationMessage": send});
            if *send {
                guest["message"] = json!(MESSAGE);
            }
            guest
        })
        .collect();
    Value::Array(guests).to_string()
}

fn is_existing(email: &str) -> bool {
    EXISTING.iter().any(|(e, _)| e.eq_ignore_ascii_case(email))
}

impl World {
    /// The script's settings, by Graph's names; `graph` is the base URL.
    fn config(&self, graph: &str, credential: &str) -> String {
        json!({
            "graph": graph,
            "authority": self.app.address,
            "credential": credential,
            "tenant": self.tenant,
            "client_id": self.client.client_id,
            "group_id": self.group_id,
            "application": APPLICATION,
            "app_role": APP_ROLE,
            "redirect_url": "https://partners.contoso.example/welcome",
            "page_size": PAGE_SIZE,
        })
        .to_string()
    }

    /// Runs a script to its end with the guest list on stdin and returns
    /// its summary.
    async fn run(&self, program: &Path, script: &str, config: &str, envs: &[(&str, &str)]) -> Value {
        let path = repository().join(script);
        let mut envs = envs.to_vec();
        envs.push(("GRAPH_CLIENT_SECRET", &self.client.secret));
        let mut process = Script::start(program, &[path.to_str().unwrap(), config], &envs);
        process.send(&guest_list());
        process.close_input();
        let summary = process.step_within("summary", SCRIPT_TIME).await;
        eprintln!("{summary:#}");
        let stderr = process.stderr();
        process.finish().await;
        // The requests each SDK made, for a failure's message.
        eprintln!("{script} stderr:\n{stderr}");
        summary
    }

    async fn user_ids(&self) -> Vec<(String, String)> {
        let mut ids = Vec::new();
        for (email, _, _) in GUESTS {
            let id: String = sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
                .bind(email.to_lowercase())
                .fetch_one(self.app.db.pool())
                .await
                .unwrap_or_else(|e| panic!("{email} is in the directory: {e}"));
            ids.push((email.to_owned(), id));
        }
        ids
    }

    /// What every SDK must have done, in its summary and in the database.
    async fn check(&self, summary: &Value) {
        let library = summary["library"].as_str().unwrap_or("?");
        let steps = [
            "lookup",
            "invite",
            "group_members",
            "service_principal",
            "app_role_assignment",
            "paging",
            "audit",
        ];
        let expected: serde_json::Map<String, Value> = steps.iter().map(|s| ((*s).to_owned(), json!("ok"))).collect();
        assert_eq!(summary["steps"], Value::Object(expected), "{library}: every step");

        // Invited once each, the existing ones skipped with their ids.
        let pool = self.app.db.pool();
        let new: Vec<&str> = GUESTS.iter().map(|g| g.0).filter(|e| !is_existing(e)).collect();
        let invited: Vec<&str> = summary["invited"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["email"].as_str().unwrap())
            .collect();
        assert_eq!(invited, new, "{library}: the new addresses, in order");
        for invitation in summary["invited"].as_array().unwrap() {
            assert_eq!(invitation["status"], "PendingAcceptance", "{library}: {invitation}");
            assert_eq!(invitation["inviteRedeemUrl"], true, "{library}: {invitation}");
        }
        let skipped: Vec<(String, String)> = summary["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["email"].as_str().unwrap().to_lowercase(),
                    s["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(skipped, self.existing[..2].to_vec(), "{library}: the existing guests");
        let ids = self.user_ids().await;
        for (email, id) in &ids {
            let (user_type, state): (String, Option<String>) =
                sqlx::query_as("SELECT user_type, external_user_state FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .unwrap();
            assert_eq!(user_type, "Guest", "{library}: {email}");
            if !is_existing(email) {
                assert_eq!(state.as_deref(), Some("PendingAcceptance"), "{library}: {email}");
                let invitations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE user_id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .unwrap();
                assert_eq!(invitations, 1, "{library}: {email} is invited once");
            }
        }
        // An email only where sendInvitationMessage was true, with the
        // customized message.
        for (email, _, send) in GUESTS.iter().filter(|g| !is_existing(g.0)) {
            let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = $1")
                .bind(email)
                .fetch_all(pool)
                .await
                .unwrap();
            assert_eq!(bodies.len(), usize::from(*send), "{library}: {email}'s emails");
            assert!(bodies.iter().all(|b| b.contains(MESSAGE)), "{library}: {email}");
        }

        // Every guest on the list is in the group once; adding one again
        // is Graph's 400.
        let members: BTreeSet<String> = sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = $1")
            .bind(&self.group_id)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
        let listed: BTreeSet<String> = ids.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(members, listed, "{library}: the group's members");
        assert_eq!(summary["group_members_added"].as_array().unwrap().len(), GUESTS.len());
        assert_eq!(summary["duplicate_member"]["status"], 400, "{library}: {summary}");
        assert_eq!(summary["duplicate_member"]["code"], "Request_BadRequest", "{library}");

        // The app role, found by its value on the service principal found
        // by name, held by every guest on the list.
        assert_eq!(summary["service_principal"]["displayName"], APPLICATION, "{library}");
        assert_eq!(
            summary["service_principal"]["appRoleId"],
            self.role_id.as_str(),
            "{library}"
        );
        let holders: BTreeSet<String> = sqlx::query_scalar(
            "SELECT principal_id FROM app_role_assignments \
             WHERE app_id = $1 AND app_role_id = $2 AND principal_type = 'User'",
        )
        .bind(&self.application_id)
        .bind(&self.role_id)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        assert_eq!(holders, listed, "{library}: the role's holders");
        for assignment in summary["assignments"].as_array().unwrap() {
            assert_eq!(assignment["principalType"], "User", "{library}: {assignment}");
            assert_eq!(assignment["appRoleId"], self.role_id.as_str(), "{library}");
            assert_eq!(assignment["resourceDisplayName"], APPLICATION, "{library}");
        }
        assert_eq!(summary["assignments"].as_array().unwrap().len(), GUESTS.len());

        // All guests, in pages of at most PAGE_SIZE, each once; the count
        // on the first page.
        let all_guests: BTreeSet<String> =
            sqlx::query_scalar("SELECT mail FROM users WHERE user_type = 'Guest' AND deleted_at IS NULL")
                .fetch_all(pool)
                .await
                .unwrap()
                .into_iter()
                .collect();
        assert_eq!(all_guests.len(), EXISTING.len() + new.len());
        let mails: Vec<String> = summary["guests"]["mails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(mails.len(), all_guests.len(), "{library}: each guest once: {mails:?}");
        assert_eq!(mails.iter().cloned().collect::<BTreeSet<_>>(), all_guests, "{library}");
        assert_eq!(summary["guests"]["count"], all_guests.len(), "{library}: @odata.count");
        let pages: Vec<usize> = summary["guests"]["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_u64().unwrap() as usize)
            .collect();
        assert!(pages.len() >= 3, "{library}: {pages:?}");
        assert!(
            pages.iter().all(|&p| (1..=PAGE_SIZE).contains(&p)),
            "{library}: {pages:?}"
        );

        // The audit log names the script's application as the initiator of
        // each invitation, membership and assignment.
        let audit = summary["audit"].as_array().unwrap();
        let by_app = |activity: &str| -> Vec<&Value> {
            audit
                .iter()
                .filter(|e| e["activity"] == activity && e["app"] == SCRIPT_APP)
                .collect()
        };
        for (email, id) in ids.iter().filter(|(e, _)| !is_existing(e)) {
            assert!(
                by_app("Invite external user").iter().any(|e| e["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == id.as_str())),
                "{library}: {email}'s invitation names {SCRIPT_APP}: {audit:#?}"
            );
        }
        assert!(
            by_app("Invite external user")
                .iter()
                .all(|e| e["appId"] == self.client.client_id.as_str()),
            "{library}: the initiator's appId"
        );
        assert_eq!(
            by_app("Add member to group").len(),
            GUESTS.len(),
            "{library}: {audit:#?}"
        );
        assert_eq!(
            by_app("Add app role assignment to user").len(),
            GUESTS.len(),
            "{library}: {audit:#?}"
        );
        assert!(
            audit
                .iter()
                .filter(|e| e["activity"] == "Invite external user")
                .any(|e| e["app"] != SCRIPT_APP),
            "{library}: the existing guests' invitations were the portal's"
        );

        // A user that does not exist: Graph's 404 as the SDK's error type.
        let not_found = &summary["not_found"];
        assert_eq!(not_found["status"], 404, "{library}: {not_found}");
        assert_eq!(not_found["code"], "Request_ResourceNotFound", "{library}");
        assert!(
            not_found["request_id"].as_str().is_some_and(|r| !r.is_empty()),
            "{library}: {not_found}"
        );
        assert!(
            not_found["message"]
                .as_str()
                .unwrap()
                .contains(not_found["id"].as_str().unwrap()),
            "{library}: {not_found}"
        );
    }
}

#[tokio::test]
async fn msgraph_sdk_for_python_bulk_invites_over_http_with_a_credential_object() {
    let Some(python) = graph_python() else { return };
    let w = world(spawn_app().await).await;
    let config = w.config(&format!("{}/v1.0", w.app.address), "client_credentials");
    let summary = w.run(&python, "clients/graph_sdk_script.py", &config, &[]).await;
    assert!(
        summary["library"].as_str().unwrap().starts_with("msgraph-sdk 1."),
        "{summary}"
    );
    assert_eq!(summary["credential"], "ClientCredentials");
    assert_eq!(summary["token_requests"], 1, "one token serves the whole run");
    w.check(&summary).await;
}

#[tokio::test]
async fn msgraph_sdk_for_python_bulk_invites_over_https_with_azure_identity() {
    let Some(python) = graph_python() else { return };
    let w = world(spawn_app_with_tls().await).await;
    let ca = w.app.tls_ca_file.clone().unwrap();
    let ca = ca.to_str().unwrap();
    let config = w.config(&format!("{}/v1.0", w.app.address), "azure_identity");
    // MSAL reaches the token endpoint through requests, the SDK the API
    // through httpx: each trusts the test CA through its own variable.
    let summary = w
        .run(
            &python,
            "clients/graph_sdk_script.py",
            &config,
            &[("REQUESTS_CA_BUNDLE", ca), ("SSL_CERT_FILE", ca)],
        )
        .await;
    assert_eq!(summary["credential"], "ClientSecretCredential");
    w.check(&summary).await;
}

#[tokio::test]
async fn microsoft_graph_client_for_javascript_bulk_invites_over_https_with_azure_identity() {
    let Some(node) = graph_node() else { return };
    let w = world(spawn_app_with_tls().await).await;
    let ca = w.app.tls_ca_file.clone().unwrap();
    // The client joins its base URL and the version itself.
    let config = w.config(&format!("{}/", w.app.address), "azure_identity");
    let summary = w
        .run(
            &node,
            "clients/graph_client_script.mjs",
            &config,
            &[("NODE_EXTRA_CA_CERTS", ca.to_str().unwrap())],
        )
        .await;
    assert!(
        summary["library"]
            .as_str()
            .unwrap()
            .starts_with("@microsoft/microsoft-graph-client 3."),
        "{summary}"
    );
    assert!(
        summary["identity"].as_str().unwrap().starts_with("@azure/identity 4."),
        "{summary}"
    );
    w.check(&summary).await;
}
