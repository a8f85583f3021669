//! Outbound HTTP to identity providers: their discovery documents, key
//! sets and token endpoints. Every request has a deadline, follows no
//! redirects and reads a bounded body; addresses were checked to be https
//! (or the loopback) before they get here.

use std::sync::OnceLock;
use std::time::Duration;

/// The most of a provider's answer that is read.
const MAX_BODY: usize = 256 * 1024;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Vestibule/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds")
    })
}

/// Why a provider's answer could not be used, in words for an admin or the
/// Sign-in logs.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the provider could not be reached ({0})")]
    Unreachable(String),
    #[error("the provider answered {0}")]
    Status(u16, serde_json::Value),
    #[error("the provider's answer is not JSON")]
    NotJson,
    #[error("the provider's answer is too large")]
    TooLarge,
}

async fn read_json(response: reqwest::Response) -> Result<(u16, serde_json::Value), FetchError> {
    let status = response.status().as_u16();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| FetchError::Unreachable(short(&e)))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
    }
    let value = serde_json::from_slice(&body).map_err(|_| FetchError::NotJson)?;
    Ok((status, value))
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

/// GETs a JSON document; anything but 200 is an error.
pub async fn get_json(url: &str) -> Result<serde_json::Value, FetchError> {
    let response = client()
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| FetchError::Unreachable(short(&e)))?;
    match read_json(response).await? {
        (200, value) => Ok(value),
        (status, value) => Err(FetchError::Status(status, value)),
    }
}

/// POSTs a form (a token request) and reads the JSON answer, whatever its status.
pub async fn post_form(url: &str, fields: &[(&str, &str)]) -> Result<(u16, serde_json::Value), FetchError> {
    let response = client()
        .post(url)
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .map_err(|e| FetchError::Unreachable(short(&e)))?;
    read_json(response).await
}
