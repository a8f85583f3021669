//! An application registered to call the Graph-shaped API: a client ID, a
//! secret and granted permissions, a token from the token endpoint, and
//! requests to `/v1.0` with it.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use super::{TestApp, gallery_app, system_admin};

/// An application with API credentials.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub app_id: String,
    pub client_id: String,
    pub secret: String,
}

impl TestApp {
    /// A gallery application named `name` with a client secret and
    /// `permissions` added and, when `consented`, granted admin consent,
    /// through the services a Global Administrator's pages use.
    pub async fn api_client_with(&self, name: &str, permissions: &[&str], consented: bool) -> ApiClient {
        let (created, _) = gallery_app(self, "docusign", name).await;
        let admin = system_admin();
        let added = vestibule::services::single_sign_on::add_secret(&self.state, &admin, &created.id, "script", "6")
            .await
            .expect("a client secret");
        if !permissions.is_empty() {
            let names: Vec<String> = permissions.iter().map(|p| (*p).to_owned()).collect();
            vestibule::services::api_permissions::add(&self.state, &admin, &created.id, &names)
                .await
                .expect("permissions are added");
            if consented {
                vestibule::services::api_permissions::grant_admin_consent(&self.state, &admin, &created.id)
                    .await
                    .expect("admin consent");
            }
        }
        let client_id: Option<String> = sqlx::query_scalar("SELECT client_id FROM applications WHERE id = $1")
            .bind(&created.id)
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        ApiClient {
            app_id: created.id,
            client_id: client_id.unwrap_or_default(),
            secret: added.value,
        }
    }

    /// `api_client_with`, consented.
    pub async fn api_client(&self, permissions: &[&str]) -> ApiClient {
        self.api_client_with("Graph script", permissions, true).await
    }

    /// The token endpoint's answer to a `client_credentials` request with
    /// these form fields.
    pub async fn token_answer(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let tenant = self.tenant_id().await;
        let res = self
            .client
            .post(self.url(&format!("/{tenant}/oauth2/v2.0/token")))
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A `client_credentials` access token for Graph.
    pub async fn api_token(&self, client: &ApiClient) -> String {
        let (status, body) = self
            .token_answer(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client.client_id),
                ("client_secret", &client.secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("an access token").to_owned()
    }

    /// A request to the API with a bearer token and, for a body, JSON.
    pub async fn graph(&self, token: &str, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut req = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap()
    }

    /// `graph`, read as status and JSON (Null for an empty body).
    pub async fn graph_json(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let res = self.graph(token, method, path, body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Asserts a Graph error answer: status, `error.code`, and the
/// `innerError` with `request-id` and `date`.
pub fn assert_graph_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["error"]["innerError"]["request-id"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["innerError"]["date"].as_str().is_some(), "{body}");
}
