//! `…/servicePrincipals/{id}/appRoleAssignedTo`: who holds the
//! application's roles, Assign (a user or a group, one role) and Remove,
//! through the portal's assignment service, which checks the application's
//! reach on a user principal (`UserAction::ChangeApps`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::listing::{self, open_cursor};
use super::odata::{self, QueryOptions};
use super::service_principals::{DEFAULT_ACCESS_ID, require_app};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{AppRoleAssignmentReadWriteAll, ApplicationReadAll};
use crate::services::ServiceError;
use crate::services::assignments::{self, Principal};
use crate::store;
use crate::store::graph_directory::AssignedToRow;

fn assignment_json(a: &AssignedToRow) -> Map<String, Value> {
    let role_id = if a.role_is_default != 0 {
        DEFAULT_ACCESS_ID
    } else {
        a.app_role_id.as_str()
    };
    let Value::Object(fields) = json!({
        "id": a.id,
        "deletedDateTime": null,
        "appRoleId": role_id,
        "createdDateTime": odata::timestamp(a.created_at),
        "principalDisplayName": a.principal_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceDisplayName": a.app_name,
        "resourceId": a.app_id,
    }) else {
        unreachable!("a JSON object")
    };
    fields
}

fn context(state: &AppState, app_id: &str, entity: bool) -> String {
    let suffix = if entity { "/$entity" } else { "" };
    odata::context(
        state,
        &format!("servicePrincipals('{app_id}')/appRoleAssignedTo{suffix}"),
    )
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[ApplicationReadAll, AppRoleAssignmentReadWriteAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["top", "skiptoken"])?;
    let top = options.top()?;
    let after = open_cursor::<3>(&state, req.path(), &options)?.map(|[t, p, r]| (t, p, r));
    let app = require_app(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::graph_directory::assigned_to_page(&mut conn, &app.id, after.as_ref(), top as i64 + 1).await?;
    drop(conn);
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |a| {
        vec![a.principal_type.clone(), a.principal_id.clone(), a.app_role_id.clone()]
    });
    let values = rows.iter().map(|a| Value::Object(assignment_json(a))).collect();
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context(&state, &app.id, false), None, values, next),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentBody {
    principal_id: Option<String>,
    resource_id: Option<String>,
    app_role_id: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, GraphError> {
    value
        .as_deref()
        .and_then(listing::key)
        .ok_or_else(|| GraphError::bad_request(format!("Required property '{name}' is missing or empty.")))
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AssignmentBody>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[AppRoleAssignmentReadWriteAll])?;
    let app = require_app(&state, &id).await?;
    let principal_id = required(&body.principal_id, "principalId")?;
    let resource_id = required(&body.resource_id, "resourceId")?;
    let role_id = required(&body.app_role_id, "appRoleId")?;
    if resource_id != app.id {
        return Err(GraphError::bad_request(format!(
            "resourceId must be the service principal of the request, {}.",
            app.id
        )));
    }
    let mut conn = state.db.pool().acquire().await?;
    let roles = store::applications::roles(&mut conn, &app.id).await?;
    let role = roles
        .iter()
        .find(|r| r.id == role_id || (r.is_default && role_id == DEFAULT_ACCESS_ID))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "Permission being assigned was not found on application '{}'.",
                app.id
            ))
        })?;
    let principal = if store::users::find_active(&mut conn, principal_id).await?.is_some() {
        Principal::User(principal_id.to_owned())
    } else if store::groups::find(&mut conn, principal_id).await?.is_some() {
        Principal::Group(principal_id.to_owned())
    } else {
        return Err(GraphError::not_found(principal_id));
    };
    drop(conn);
    let admin = caller.acting_for(AppRoleAssignmentReadWriteAll);
    match assignments::assign_one(&state, &admin, &app.id, &role.id, &principal).await {
        Ok(()) => {}
        Err(ServiceError::NotFound) => return Err(GraphError::not_found(principal_id)),
        Err(e) => return Err(e.into()),
    }
    let mut conn = state.db.pool().acquire().await?;
    let created =
        store::graph_directory::assigned_to_by_key(&mut conn, &app.id, &role.id, principal.kind(), principal.id())
            .await?
            .ok_or_else(GraphError::internal)?;
    Ok(odata::json(
        StatusCode::CREATED,
        &odata::entity(context(&state, &app.id, true), assignment_json(&created)),
    ))
}

pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[AppRoleAssignmentReadWriteAll])?;
    let (app_id, assignment_id) = path.into_inner();
    let app = require_app(&state, &app_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let found = store::graph_directory::assigned_to(&mut conn, &assignment_id).await?;
    drop(conn);
    if found.is_none_or(|a| a.app_id != app.id) {
        return Err(GraphError::not_found(&assignment_id));
    }
    let admin = caller.acting_for(AppRoleAssignmentReadWriteAll);
    match assignments::remove(&state, &admin, &assignment_id).await {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(ServiceError::NotFound) => Err(GraphError::not_found(&assignment_id)),
        Err(e) => Err(e.into()),
    }
}
