//! A group's members: `GET /groups/{id}/members`, `POST
//! /groups/{id}/members/$ref` and `DELETE /groups/{id}/members/{id}/$ref`.
//! Adding or removing a member acts on that user, so the application's
//! reach must cover them (the group services check it): a user who holds
//! a directory role is out of reach.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::listing::{self, open_cursor};
use super::odata::{self, QueryOptions};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{GroupMemberReadWriteAll, GroupReadAll, GroupReadWriteAll};
use crate::services::ServiceError;
use crate::services::groups as group_service;
use crate::store;
use crate::store::groups::MemberRow;

const PROPERTIES: &[&str] = &["id", "displayName", "mail", "userPrincipalName", "userType"];

fn member_json(m: &MemberRow) -> Map<String, Value> {
    let Value::Object(fields) = json!({
        "id": m.user_id,
        "displayName": m.display_name,
        "mail": m.mail,
        "userPrincipalName": m.user_principal_name,
        "userType": m.user_type,
    }) else {
        unreachable!("a JSON object")
    };
    fields
}

async fn require_group(state: &AppState, id: &str) -> Result<store::groups::Group, GraphError> {
    let mut conn = state.db.pool().acquire().await?;
    store::groups::find(&mut conn, id)
        .await?
        .ok_or_else(|| GraphError::not_found(id))
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadAll, GroupReadWriteAll, GroupMemberReadWriteAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["select", "top", "skiptoken"])?;
    let selection = listing::parse_select(options.select.as_deref(), PROPERTIES, "user")?;
    let top = options.top()?;
    let after = open_cursor::<2>(&state, req.path(), &options)?;
    let group = require_group(&state, &id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let after = after.as_ref().map(|[name, id]| (name.as_str(), id.as_str()));
    let rows = store::groups::members(&mut conn, &group.id, None, after, top as i64 + 1).await?;
    drop(conn);
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |m| {
        vec![m.display_name_lower.clone(), m.user_id.clone()]
    });
    let values = rows
        .iter()
        .map(|m| {
            // The type comes first whatever is selected: it tells users
            // from the other kinds of directory objects.
            let mut item = Map::new();
            item.insert("@odata.type".into(), json!("#microsoft.graph.user"));
            if let Value::Object(fields) = listing::select(member_json(m), selection.as_deref()) {
                item.extend(fields);
            }
            Value::Object(item)
        })
        .collect();
    let context = odata::context(&state, "directoryObjects");
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context, None, values, next),
    ))
}

#[derive(serde::Deserialize)]
pub struct Reference {
    #[serde(rename = "@odata.id")]
    odata_id: Option<String>,
}

pub async fn add(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Reference>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupMemberReadWriteAll, GroupReadWriteAll])?;
    let group = require_group(&state, &id).await?;
    let Some(reference) = body.odata_id.as_deref() else {
        return Err(GraphError::bad_request("Required property '@odata.id' is missing."));
    };
    let member_id = odata::id_of_reference(reference).ok_or_else(|| {
        let shown: String = reference.chars().take(120).collect();
        GraphError::bad_request(format!(
            "Invalid object reference '{shown}': use https://graph.microsoft.com/v1.0/directoryObjects/{{id}}."
        ))
    })?;
    let mut conn = state.db.pool().acquire().await?;
    if store::users::find_active(&mut conn, member_id).await?.is_none() {
        return Err(if store::groups::find(&mut conn, member_id).await?.is_some() {
            GraphError::bad_request(format!(
                "{member_id} is a group: only users can be members of a group here."
            ))
        } else {
            GraphError::not_found(member_id)
        });
    }
    drop(conn);
    let admin = caller.acting_for(GroupMemberReadWriteAll);
    match group_service::add_references(&state, &admin, &group.id, &[member_id.to_owned()]).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(ServiceError::NotFound) => Err(GraphError::not_found(member_id)),
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupMemberReadWriteAll, GroupReadWriteAll])?;
    let (group_id, member_id) = path.into_inner();
    let group = require_group(&state, &group_id).await?;
    let admin = caller.acting_for(GroupMemberReadWriteAll);
    match group_service::remove_member(&state, &admin, &group.id, &member_id).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(ServiceError::NotFound) => Err(GraphError::not_found(&member_id)),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /groups/{id}/members/{id}` without `/$ref`, which Graph answers
/// by deleting the user itself, is refused here (405), pointing to the
/// `$ref` form that removes the membership.
pub fn refuse_member_delete(req: &HttpRequest) -> Option<GraphError> {
    let segments: Vec<&str> = req.path().trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        ["", "v1.0", "groups", group, "members", member]
            if req.method() == actix_web::http::Method::DELETE && *member != "$ref" && !group.is_empty() =>
        {
            Some(GraphError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request_BadRequest",
                format!(
                    "DELETE on a member would delete the user, not the membership: to remove {} from the group, \
                     send DELETE /v1.0/groups/{}/members/{}/$ref.",
                    short(member),
                    short(group),
                    short(member)
                ),
            ))
        }
        _ => None,
    }
}

fn short(text: &str) -> String {
    text.chars().take(100).collect()
}
