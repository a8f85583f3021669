//! `POST /v1.0/$batch`: Graph's JSON batching. Up to 20 requests in one
//! body, each answered in `responses` by its `id` with its own status,
//! headers and body; the batch itself answers 200 once it could be read,
//! and 400 when it could not (too many requests, duplicate ids, unknown or
//! circular `dependsOn`, an unreadable body). A request runs after those
//! it `dependsOn`, and answers 424 Failed Dependency when one of them did
//! not succeed.
//!
//! Each request is served by the very routes of `/v1.0`, not by a copy of
//! them: the batch builds the API's own scope (`super::scope`, the same
//! route table, extractors, JSON limits and request IDs) as a service,
//! and calls it with an ordinary HTTP request made from the entry — its
//! method, its URL under `/v1.0`, its headers and JSON body, and the
//! batch's own bearer token and client address. So every sub-request goes
//! through the `Caller` check (its permission, the rate limit per
//! application, the token still valid) and the same handler and service
//! as when it is sent alone, and there is no second list of routes to keep
//! in step with `GRAPH_ROUTES`.

use std::collections::HashMap;

use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Service, ServiceFactory};
use actix_web::http::{Method, StatusCode, Uri, header};
use actix_web::web::Bytes;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, web};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission;
use crate::web::middleware::ClientIp;

/// Most requests one batch may hold, as in Graph.
pub const MAX_REQUESTS: usize = 20;
/// The longest `url` of one request (a long `$filter` is a reason to batch).
const URL_MAX: usize = 8 * 1024;
/// Most headers one request may carry.
const HEADERS_MAX: usize = 30;

#[derive(Debug, Deserialize)]
pub struct BatchBody {
    requests: Vec<BatchRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchRequest {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
}

/// One answer in `responses`.
struct Answer {
    status: StatusCode,
    headers: Map<String, Value>,
    body: Option<Value>,
}

impl Answer {
    fn error(error: &GraphError) -> Self {
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), json!("application/json"));
        if let Some(seconds) = error.retry_after {
            headers.insert("Retry-After".into(), json!(seconds.to_string()));
        }
        Answer {
            status: error.status,
            headers,
            body: Some(error.body()),
        }
    }

    fn json(&self, id: &str) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(id));
        object.insert("status".into(), json!(self.status.as_u16()));
        object.insert("headers".into(), Value::Object(self.headers.clone()));
        if let Some(body) = &self.body {
            object.insert("body".into(), body.clone());
        }
        Value::Object(object)
    }
}

/// How a batch runs: each request after those it depends on, in the
/// order they were written otherwise.
#[derive(Debug)]
struct Plan {
    order: Vec<usize>,
    /// The requests each request depends on, by position.
    depends: Vec<Vec<usize>>,
}

/// The batch's plan, or why the whole batch cannot be read.
fn plan(requests: &[BatchRequest]) -> Result<Plan, GraphError> {
    if requests.is_empty() {
        return Err(GraphError::bad_request("The batch holds no requests."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(GraphError::bad_request(format!(
            "A batch may hold at most {MAX_REQUESTS} requests; this one holds {}.",
            requests.len()
        )));
    }
    // Ids are compared without case, as Graph does.
    let mut index = HashMap::new();
    for (i, r) in requests.iter().enumerate() {
        let id = r.id.trim();
        if id.is_empty() || id.len() > 100 {
            return Err(GraphError::bad_request(
                "Each request needs an id of 1 to 100 characters.",
            ));
        }
        if index.insert(id.to_lowercase(), i).is_some() {
            let shown: String = id.chars().take(100).collect();
            return Err(GraphError::bad_request(format!(
                "The id '{shown}' is used by more than one request in the batch."
            )));
        }
    }
    let mut depends: Vec<Vec<usize>> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let mut on = Vec::new();
        for dependency in r.depends_on.iter().flatten() {
            match index.get(&dependency.trim().to_lowercase()) {
                Some(&j) if j != i => on.push(j),
                _ => {
                    let shown: String = dependency.chars().take(100).collect();
                    return Err(GraphError::bad_request(format!(
                        "Request '{}' depends on '{shown}', which is not another request of the batch.",
                        r.id.trim()
                    )));
                }
            }
        }
        depends.push(on);
    }
    let mut order = Vec::with_capacity(requests.len());
    let mut placed = vec![false; requests.len()];
    while order.len() < requests.len() {
        let ready = (0..requests.len()).find(|&i| !placed[i] && depends[i].iter().all(|&j| placed[j]));
        let Some(i) = ready else {
            return Err(GraphError::bad_request(
                "The dependsOn of the batch's requests form a cycle.",
            ));
        };
        placed[i] = true;
        order.push(i);
    }
    Ok(Plan { order, depends })
}

pub async fn run(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<BatchBody>,
) -> Result<HttpResponse, GraphError> {
    // Batching needs no permission of its own; a caller who holds none
    // could not have any of its requests served.
    caller.require(&ApiPermission::ALL)?;
    let requests = &body.requests;
    let Plan { order, depends } = plan(requests)?;
    // The API's own scope as a service, built for this batch (see the
    // module's comment): the same routes, handlers and checks.
    let api = App::new()
        .app_data(state.clone())
        .service(super::scope())
        .into_factory()
        .new_service(AppConfig::default())
        .await
        .map_err(|_| GraphError::internal())?;
    let mut answers: Vec<Option<Answer>> = (0..requests.len()).map(|_| None).collect();
    for i in order {
        let failed = depends[i]
            .iter()
            .find(|&&j| answers[j].as_ref().is_some_and(|a| !a.status.is_success()));
        let answer = match failed {
            Some(&j) => Answer::error(&GraphError::new(
                StatusCode::FAILED_DEPENDENCY,
                "FailedDependency",
                format!(
                    "Request '{}', which this one depends on, did not succeed.",
                    requests[j].id.trim()
                ),
            )),
            None => match outgoing(&req, &requests[i]) {
                Ok(sub) => call(&api, sub).await,
                Err(e) => Answer::error(&e),
            },
        };
        answers[i] = Some(answer);
    }
    let responses: Vec<Value> = answers
        .iter()
        .zip(requests)
        .filter_map(|(a, r)| a.as_ref().map(|a| a.json(r.id.trim())))
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({ "responses": responses }).to_string()))
}

/// Characters a written `url` may hold that a URI may not (a `$filter`
/// typed with its spaces and quotes); `%` stays, for what is already
/// encoded.
const URI_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The path and query under `/v1.0` that a request's relative `url` names.
fn target(url: &str) -> Result<Uri, GraphError> {
    let url = url.trim();
    if url.len() > URL_MAX {
        return Err(GraphError::bad_request("The request's url is too long."));
    }
    let relative = url.trim_start_matches('/');
    let scheme = relative.split(['/', '?']).next().unwrap_or("");
    if url.starts_with("//") || scheme.contains(':') {
        return Err(GraphError::bad_request(
            "The request's url must be relative to /v1.0, such as /users?$top=1.",
        ));
    }
    let path = relative.split('?').next().unwrap_or("");
    let first = percent_encoding::percent_decode_str(path.split('/').next().unwrap_or("")).decode_utf8_lossy();
    if first.eq_ignore_ascii_case("$batch") {
        return Err(GraphError::bad_request("A batch cannot hold another batch."));
    }
    let encoded: String = utf8_percent_encode(relative, URI_UNSAFE).collect();
    format!("/v1.0/{encoded}")
        .parse::<Uri>()
        .map_err(|_| GraphError::bad_request("The request's url could not be read."))
}

/// The HTTP request an entry of the batch stands for, with the batch's
/// own token and client address.
fn outgoing(outer: &HttpRequest, entry: &BatchRequest) -> Result<actix_http::Request, GraphError> {
    let method = match entry.method.trim().to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => {
            return Err(GraphError::bad_request(
                "The request's method must be GET, POST, PATCH, PUT or DELETE.",
            ));
        }
    };
    let uri = target(&entry.url)?;
    let given = entry.headers.as_ref();
    if given.is_some_and(|h| h.len() > HEADERS_MAX) {
        return Err(GraphError::bad_request("The request has too many headers."));
    }
    let mut headers = header::HeaderMap::new();
    for (name, value) in given.into_iter().flatten() {
        let Value::String(value) = value else {
            return Err(GraphError::bad_request("Each header of a request must be a string."));
        };
        let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.trim().as_bytes()),
            header::HeaderValue::from_str(value),
        ) else {
            return Err(GraphError::bad_request("A header of the request could not be read."));
        };
        // The batch's own credentials and framing stand for every request.
        if [
            header::AUTHORIZATION,
            header::HOST,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
        ]
        .contains(&name)
        {
            continue;
        }
        headers.insert(name, value);
    }
    let body = match &entry.body {
        None | Some(Value::Null) => Bytes::new(),
        Some(value) => {
            let json_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_ascii_lowercase());
            match json_type {
                None => {
                    headers.insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                }
                Some(t) if t.starts_with("application/json") => {}
                Some(_) => {
                    return Err(GraphError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "Request_BadRequest",
                        "A request in a batch may only carry a JSON body.",
                    ));
                }
            }
            Bytes::from(value.to_string())
        }
    };
    if let Some(token) = outer.headers().get(header::AUTHORIZATION) {
        headers.insert(header::AUTHORIZATION, token.clone());
    }
    if let Some(host) = outer.headers().get(header::HOST) {
        headers.insert(header::HOST, host.clone());
    }
    let mut sub = actix_http::Request::with_payload(actix_http::Payload::from(body));
    let head = sub.head_mut();
    head.method = method;
    head.uri = uri;
    head.headers = headers;
    head.peer_addr = outer.peer_addr();
    if let Some(ip) = outer.extensions().get::<ClientIp>().copied() {
        sub.extensions_mut().insert(ip);
    }
    Ok(sub)
}

/// Serves one request through the API's scope and reads its answer.
async fn call<S, B>(api: &S, sub: actix_http::Request) -> Answer
where
    S: Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    match api.call(sub).await {
        Ok(res) => read(res.into_parts().1).await,
        Err(e) => read(e.error_response()).await,
    }
}

/// A response as an entry of `responses`: JSON bodies as JSON, others
/// (the text of `/users/$count`) as a string.
async fn read<B: MessageBody>(response: HttpResponse<B>) -> Answer {
    let status = response.status();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        if let Ok(value) = value.to_str() {
            headers.insert(title_case(name.as_str()), json!(value));
        }
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let Ok(bytes) = actix_web::body::to_bytes(response.into_body()).await else {
        return Answer::error(&GraphError::internal());
    };
    let body = if bytes.is_empty() {
        None
    } else if content_type.starts_with("application/json") {
        Some(serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())))
    } else {
        Some(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer { status, headers, body }
}

/// `content-type` as Graph writes it in a batch: `Content-Type`.
fn title_case(name: &str) -> String {
    if name.contains("-id") {
        // request-id and client-request-id are written in lower case.
        return name.to_owned();
    }
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, depends_on: &[&str]) -> BatchRequest {
        BatchRequest {
            id: id.into(),
            method: "GET".into(),
            url: "/users".into(),
            headers: None,
            body: None,
            depends_on: (!depends_on.is_empty()).then(|| depends_on.iter().map(|d| (*d).to_owned()).collect()),
        }
    }

    #[test]
    fn requests_run_after_what_they_depend_on_and_otherwise_in_order() {
        let plan = plan(&[entry("a", &["c"]), entry("b", &[]), entry("c", &["B"])]).unwrap();
        assert_eq!(plan.order, vec![1, 2, 0]);
        assert_eq!(plan.depends, vec![vec![2], vec![], vec![1]]);
    }

    #[test]
    fn unreadable_batches_are_refused() {
        assert!(plan(&[]).is_err());
        let many: Vec<_> = (0..=MAX_REQUESTS).map(|i| entry(&i.to_string(), &[])).collect();
        assert!(plan(&many).is_err());
        assert!(plan(&many[..MAX_REQUESTS]).is_ok());
        assert!(
            plan(&[entry("a", &[]), entry("A", &[])]).is_err(),
            "ids are compared without case"
        );
        assert!(plan(&[entry("a", &["x"])]).is_err());
        assert!(plan(&[entry("a", &["a"])]).is_err());
        assert!(plan(&[entry("a", &["b"]), entry("b", &["a"])]).is_err());
    }

    #[test]
    fn urls_are_relative_to_the_version_and_never_a_batch() {
        assert_eq!(target("/users?$top=1").unwrap(), "/v1.0/users?$top=1");
        assert_eq!(target("users/abc").unwrap(), "/v1.0/users/abc");
        assert_eq!(
            target("/users?$filter=mail eq 'a@b.c'").unwrap(),
            "/v1.0/users?$filter=mail%20eq%20'a@b.c'"
        );
        for refused in [
            "https://graph.microsoft.com/v1.0/users",
            "//evil.example/users",
            "http:users",
            "/$batch",
            "%24batch",
        ] {
            assert!(target(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn header_names_are_written_as_graph_writes_them() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("retry-after"), "Retry-After");
        assert_eq!(title_case("request-id"), "request-id");
    }
}
