//! The JSON API under `/v1.0`, shaped like Microsoft Graph (its paths, its
//! JSON and its errors) so that Microsoft's own SDKs and scripts written for
//! Entra drive Vestibule with only the base URL and the credential changed.
//! Callers are applications with a `client_credentials` token (`caller`);
//! each route checks its Graph permission, then calls the same service the
//! portal's page does, as the application (`Caller::acting_for`).

pub mod caller;
pub mod deleted_items;
pub mod error;
pub mod invitations;
pub mod odata;
pub mod rate_limit;
pub mod user_json;
pub mod user_patch;
pub mod users;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, web};

use self::error::{GraphError, REQUEST_IDS, RequestIds};
use crate::web::routes::route_table;

route_table!(GRAPH_ROUTES, graph_routes, "/v1.0", {
    post "/invitations" => invitations::create,
    get "/users" => users::list,
    // Before `/users/{id}`, which would take `$count` for an id.
    get "/users/$count" => users::count,
    get "/users/{id}" => users::get,
    patch "/users/{id}" => users::update,
    delete "/users/{id}" => users::delete,
    get "/users/{id}/memberOf" => users::member_of,
    get "/directory/deletedItems/microsoft.graph.user" => deleted_items::list_users,
    post "/directory/deletedItems/{id}/restore" => deleted_items::restore,
});

/// The API's scope: its routes, its JSON limits and errors, and its
/// request IDs.
pub fn scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<EitherBody<BoxBody>>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/v1.0")
        .app_data(web::JsonConfig::default().limit(JSON_MAX).error_handler(|e, _| {
            use actix_web::error::JsonPayloadError;
            let graph = match &e {
                JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => GraphError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request_BadRequest",
                    format!("The request body is larger than {JSON_MAX} bytes."),
                ),
                JsonPayloadError::ContentType => GraphError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Request_BadRequest",
                    "The request body must be JSON, sent with Content-Type: application/json.",
                ),
                JsonPayloadError::Deserialize(d) => {
                    GraphError::bad_request(format!("The request body could not be read: {}", short(&d.to_string())))
                }
                _ => GraphError::bad_request("The request body could not be read."),
            };
            graph.into()
        }))
        .wrap(from_fn(context))
        .configure(graph_routes)
        .default_service(web::to(unknown_segment))
}

/// The largest JSON body the API reads (a `$batch` of 20 invitations fits
/// many times over).
pub const JSON_MAX: usize = 1024 * 1024;

/// A serde message cut to a readable length, without echoing long input.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Whether a path matches a route pattern (`{name}` matches one segment).
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == q.len()
        && p.iter()
            .zip(&q)
            .all(|(p, q)| (p.starts_with('{') && p.ends_with('}') && !q.is_empty()) || p == q)
}

/// What no route answered: a method a known path does not take (405), or
/// a segment Graph does not have.
async fn unknown_segment(req: actix_web::HttpRequest) -> Result<HttpResponse, GraphError> {
    if GRAPH_ROUTES.iter().any(|r| matches_pattern(r.path, req.path())) {
        return Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("The HTTP method '{}' is not allowed for this resource.", req.method()),
        ));
    }
    let segment: String = req
        .path()
        .trim_start_matches("/v1.0")
        .trim_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .chars()
        .take(100)
        .collect();
    Err(GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    ))
}

/// The `client-request-id` a client sent, when it is a sane value to echo.
fn client_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get("client-request-id")?.to_str().ok()?;
    (!value.is_empty() && value.len() <= 100 && value.bytes().all(|b| b.is_ascii_graphic())).then(|| value.to_owned())
}

/// Gives every request a `request-id` (echoing `client-request-id`), runs
/// it with those IDs at hand for error bodies, and turns the framework's
/// own bare errors (wrong method, …) into Graph's error JSON.
async fn context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let ids = RequestIds {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: client_request_id(&req),
    };
    let mut res = REQUEST_IDS
        .scope(ids.clone(), async move {
            let res = next.call(req).await?;
            let is_json = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/plain"));
            let status = res.status();
            if is_json || status.is_success() || status.is_redirection() || status == StatusCode::NO_CONTENT {
                return Ok::<_, actix_web::Error>(res.map_body(|_, b| EitherBody::left(b.boxed())));
            }
            let graph = match status {
                StatusCode::METHOD_NOT_ALLOWED => GraphError::new(
                    status,
                    "Request_BadRequest",
                    "The HTTP method is not allowed for this resource.",
                ),
                StatusCode::PAYLOAD_TOO_LARGE => {
                    GraphError::new(status, "Request_BadRequest", "The request body is too large.")
                }
                s if s.is_client_error() => GraphError::new(s, "Request_BadRequest", "The request is not valid."),
                _ => GraphError::internal(),
            };
            let (req, _) = res.into_parts();
            let answer: HttpResponse = actix_web::ResponseError::error_response(&graph);
            Ok(ServiceResponse::new(req, answer).map_into_right_body())
        })
        .await?;
    let headers = res.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&ids.request_id) {
        headers.insert(header::HeaderName::from_static("request-id"), v);
    }
    let client = ids.client_request_id.unwrap_or(ids.request_id);
    if let Ok(v) = header::HeaderValue::from_str(&client) {
        headers.insert(header::HeaderName::from_static("client-request-id"), v);
    }
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}
