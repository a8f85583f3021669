//! Service principals: Vestibule's enterprise applications as Graph shows
//! them (`id` the application's id, `appId` its Application (client) ID,
//! null until it has one), looked up by id, by `(appId='…')` or with
//! `$filter`, with their app roles; and their app role assignments
//! (`appRoleAssignedTo`), made through the portal's assignment service.
//! Default Access, which every application has, is Graph's implicit role
//! `00000000-0000-0000-0000-000000000000`: not listed in `appRoles`, and
//! the id assignments to it carry.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::listing::{self, open_cursor, query_error};
use super::odata::{self, QueryOptions};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{AppRoleAssignmentReadWriteAll, ApplicationReadAll};
use crate::domain::graph_query::CompareOp;
use crate::domain::graph_query::clauses::{Clause, Literal, parse_conjunction};
use crate::store;
use crate::store::applications::AppRole;
use crate::store::graph_directory::{AppFilter, NameFilter, ServicePrincipalRow};

/// Graph's id of the default role, which grants access and nothing more.
pub const DEFAULT_ACCESS_ID: &str = "00000000-0000-0000-0000-000000000000";

const PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "accountEnabled",
    "appId",
    "appRoleAssignmentRequired",
    "appRoles",
    "displayName",
    "homepage",
    "loginUrl",
    "servicePrincipalType",
    "tags",
];

fn app_role_json(role: &AppRole) -> Value {
    json!({
        "allowedMemberTypes": ["User"],
        "description": role.description,
        "displayName": role.display_name,
        "id": role.id,
        "isEnabled": role.enabled,
        "origin": "Application",
        "value": role.value,
    })
}

fn service_principal_json(app: &ServicePrincipalRow, roles: &[AppRole]) -> Map<String, Value> {
    let app_roles: Vec<Value> = roles
        .iter()
        .filter(|r| r.app_id == app.id && !r.is_default)
        .map(app_role_json)
        .collect();
    // Entra's tag for "Visible to users? No": the app has no My Apps tile.
    let tags: Vec<&str> = if app.visible_to_users == 0 {
        vec!["HideApp"]
    } else {
        vec![]
    };
    let Value::Object(fields) = json!({
        "id": app.id,
        "deletedDateTime": null,
        "accountEnabled": app.enabled != 0,
        "appId": app.client_id,
        "appRoleAssignmentRequired": app.assignment_required != 0,
        "appRoles": app_roles,
        "displayName": app.display_name,
        "homepage": app.homepage_url,
        "loginUrl": app.login_url,
        "servicePrincipalType": "Application",
        "tags": tags,
    }) else {
        unreachable!("a JSON object")
    };
    fields
}

fn filter(text: Option<&str>) -> Result<AppFilter, GraphError> {
    let mut filter = AppFilter::default();
    let Some(text) = text else { return Ok(filter) };
    for clause in parse_conjunction(text).map_err(query_error)? {
        let name = clause.property();
        match &clause {
            Clause::Compare {
                op: CompareOp::Eq,
                value: Literal::Text(v),
                ..
            } if name.eq_ignore_ascii_case("displayName") && filter.name == NameFilter::All => {
                filter.name = NameFilter::Is(v.to_lowercase());
            }
            Clause::StartsWith { prefix, .. }
                if name.eq_ignore_ascii_case("displayName") && filter.name == NameFilter::All =>
            {
                filter.name = NameFilter::StartsWith(prefix.to_lowercase());
            }
            Clause::Compare {
                op: CompareOp::Eq,
                value: Literal::Text(v),
                ..
            } if name.eq_ignore_ascii_case("appId") && filter.client_id.is_none() => {
                filter.client_id = Some(v.to_lowercase());
            }
            _ => return Err(query_error(clause.refuse("ServicePrincipal"))),
        }
    }
    Ok(filter)
}

pub async fn list(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, GraphError> {
    caller.require(&[ApplicationReadAll, AppRoleAssignmentReadWriteAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["filter", "select", "top", "count", "skiptoken"])?;
    let filter = filter(options.filter.as_deref())?;
    let selection = listing::parse_select(options.select.as_deref(), PROPERTIES, "servicePrincipal")?;
    let top = options.top()?;
    let after = open_cursor::<2>(&state, req.path(), &options)?.map(|[name, id]| (name, id));
    let mut conn = state.db.pool().acquire().await?;
    let count = if listing::wants_count(&options)? {
        Some(store::graph_directory::service_principals_count(&mut conn, &filter).await?)
    } else {
        None
    };
    let rows =
        store::graph_directory::service_principals_page(&mut conn, &filter, after.as_ref(), top as i64 + 1).await?;
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |a| {
        vec![a.display_name_lower.clone(), a.id.clone()]
    });
    let ids: Vec<&str> = rows.iter().map(|a| a.id.as_str()).collect();
    let roles = store::graph_directory::roles_of(&mut conn, &ids).await?;
    drop(conn);
    let values = rows
        .iter()
        .map(|a| listing::select(service_principal_json(a, &roles), selection.as_deref()))
        .collect();
    let context = listing::context(&state, "servicePrincipals", selection.as_deref());
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context, count, values, next),
    ))
}

/// One service principal, with `$select`.
async fn answer_one(
    state: &AppState,
    app: Option<ServicePrincipalRow>,
    key: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["select"])?;
    let selection = listing::parse_select(options.select.as_deref(), PROPERTIES, "servicePrincipal")?;
    let app = app.ok_or_else(|| GraphError::not_found(key))?;
    let mut conn = state.db.pool().acquire().await?;
    let roles = store::graph_directory::roles_of(&mut conn, &[app.id.as_str()]).await?;
    drop(conn);
    let Value::Object(fields) = listing::select(service_principal_json(&app, &roles), selection.as_deref()) else {
        return Err(GraphError::internal());
    };
    let context = format!(
        "{}/$entity",
        listing::context(state, "servicePrincipals", selection.as_deref())
    );
    Ok(odata::json(StatusCode::OK, &odata::entity(context, fields)))
}

pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[ApplicationReadAll, AppRoleAssignmentReadWriteAll])?;
    let mut conn = state.db.pool().acquire().await?;
    let app = store::graph_directory::service_principal(&mut conn, &id).await?;
    drop(conn);
    answer_one(&state, app, &id, &req).await
}

/// `GET /servicePrincipals(appId='{appId}')`: by Application (client) ID.
pub async fn get_by_app_id(
    caller: Caller,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[ApplicationReadAll, AppRoleAssignmentReadWriteAll])?;
    let key = listing::key(&app_id).ok_or_else(|| GraphError::bad_request("The appId is not valid."))?;
    let filter = AppFilter {
        client_id: Some(key.to_lowercase()),
        ..AppFilter::default()
    };
    let mut conn = state.db.pool().acquire().await?;
    let app = store::graph_directory::service_principals_page(&mut conn, &filter, None, 1)
        .await?
        .pop();
    drop(conn);
    answer_one(&state, app, &format!("appId='{key}'"), &req).await
}

/// The service principal, or Graph's 404 naming the id.
pub(super) async fn require_app(state: &AppState, id: &str) -> Result<ServicePrincipalRow, GraphError> {
    let mut conn = state.db.pool().acquire().await?;
    store::graph_directory::service_principal(&mut conn, id)
        .await?
        .ok_or_else(|| GraphError::not_found(id))
}
