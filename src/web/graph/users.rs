//! `/v1.0/users`: the list with `$filter`, `$select`, `$orderby`, `$top`,
//! `$count` and signed `$skiptoken` paging, `/users/$count`, one user by
//! object id or user principal name, PATCH and DELETE through the portal's
//! Edit properties and Delete user, and the groups a user belongs to.
//!
//! Reading users is not a write: an application holding User.Read.All or
//! User.ReadWrite.All sees every live user, role holders included, as every
//! admin role sees All users. Writes act as a User Administrator, so a user
//! who holds a directory role is out of reach (403).
//!
//! `$count=true` is honoured with or without `ConsistencyLevel: eventual`
//! (scripts written for Entra send it; SDKs do not repeat it on later
//! pages), and `@odata.count` is on the first page only, as in Graph.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::caller::Caller;
use super::error::GraphError;
use super::odata::{self, QueryOptions, SkipToken};
use super::user_json::{self, query_error, user_fields};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{self, GroupReadAll, UserReadAll, UserReadWriteAll};
use crate::domain::graph_query::{CompareOp, Filter, Order, Property, UserProperty, UsersQuery, parse_select};
use crate::domain::graph_query::{Value as Literal, parse_filter};
use crate::services;
use crate::store::graph_users::{self, Cursor, GraphUserRow};

/// Reading users.
pub const READ: &[ApiPermission] = &[UserReadAll, UserReadWriteAll];
/// A user's groups: what User.Read.All shows from the user's side, and
/// what Group.Read.All shows from the groups' (their members), so either
/// may read it.
pub const READ_MEMBER_OF: &[ApiPermission] = &[UserReadAll, UserReadWriteAll, GroupReadAll];

const PATH: &str = "/v1.0/users";

/// `$search` needs a search index Vestibule does not keep; `$filter` with
/// `startswith` covers what scripts use it for.
pub(super) fn refuse_search(options: &QueryOptions) -> Result<(), GraphError> {
    if options.search.is_some() {
        return Err(GraphError::unsupported_query(
            "$search is not supported; use $filter, such as startswith(displayName,'a').",
        ));
    }
    Ok(())
}

pub async fn list(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, GraphError> {
    caller.require(READ)?;
    let options = QueryOptions::parse(req.query_string())?;
    refuse_search(&options)?;
    options.refuse_unsupported(&["filter", "select", "top", "orderby", "count", "skiptoken"])?;
    let query = UsersQuery::parse(
        options.filter.as_deref(),
        options.select.as_deref(),
        options.orderby.as_deref(),
        options.top.as_deref(),
    )
    .map_err(query_error)?;
    let count = options.count()?;
    let after = match SkipToken::open(&state, PATH, &options)? {
        None => None,
        Some(text) => Some(
            Cursor::decode(&text)
                .ok_or_else(|| GraphError::bad_request("The $skiptoken is not valid for this request."))?,
        ),
    };
    let filter = query.filter.as_ref();
    let mut conn = state.db.pool().acquire().await?;
    let page = graph_users::page(&mut conn, filter, after.as_ref(), query.order, query.top).await?;
    // Graph counts on the first page only; later pages carry `$count` in
    // their link but not the count.
    let total = match count && after.is_none() {
        true => Some(graph_users::count(&mut conn, filter).await?),
        false => None,
    };
    drop(conn);
    let properties = query.select.as_deref().unwrap_or(&UserProperty::DEFAULT);
    let values: Vec<Value> = page
        .rows
        .iter()
        .map(|row| Value::Object(user_fields(row, properties)))
        .collect();
    let next = page
        .next
        .map(|cursor| SkipToken::next_link(&state, PATH, &options, &cursor.encode()));
    let fragment = user_json::selected("users", user_json::names(query.select.as_deref()));
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(odata::context(&state, &fragment), total, values, next),
    ))
}

/// `GET /users/$count`: a bare number as `text/plain`.
pub async fn count(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, GraphError> {
    caller.require(READ)?;
    let options = QueryOptions::parse(req.query_string())?;
    refuse_search(&options)?;
    options.refuse_unsupported(&["filter"])?;
    let filter: Option<Filter> = options
        .filter
        .as_deref()
        .map(parse_filter)
        .transpose()
        .map_err(query_error)?;
    let mut conn = state.db.pool().acquire().await?;
    let n = graph_users::count(&mut conn, filter.as_ref()).await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body(n.to_string()))
}

/// The live user whose object id or user principal name is `key`
/// (case-insensitive, as Graph compares them).
pub(super) async fn find_live(state: &AppState, key: &str) -> Result<GraphUserRow, GraphError> {
    let not_found = || GraphError::not_found(key);
    if key.is_empty() || key.len() > 1024 {
        return Err(not_found());
    }
    let is = |property| Filter::Compare {
        property,
        op: CompareOp::Eq,
        value: Literal::Text(key.to_owned()),
    };
    let filter = Filter::Or(vec![is(Property::Id), is(Property::UserPrincipalName)]);
    let mut conn = state.db.pool().acquire().await?;
    let rows = graph_users::list(&mut conn, Some(&filter), None, Order::Asc, 1).await?;
    rows.into_iter().next().ok_or_else(not_found)
}

pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    caller.require(READ)?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["select"])?;
    let select = options
        .select
        .as_deref()
        .map(parse_select)
        .transpose()
        .map_err(query_error)?;
    let row = find_live(&state, &key).await?;
    let properties = select.as_deref().unwrap_or(&UserProperty::DEFAULT);
    let fragment = user_json::selected("users", user_json::names(select.as_deref()));
    Ok(odata::json(
        StatusCode::OK,
        &odata::entity(
            odata::context(&state, &format!("{fragment}/$entity")),
            user_fields(&row, properties),
        ),
    ))
}

/// `PATCH /users/{id}`: the properties Edit properties changes (see
/// `user_patch`); 204 without a body.
pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[UserReadWriteAll])?;
    let changes = super::user_patch::read(&req, &body)?;
    let user = find_live(&state, &key).await?;
    let admin = caller.acting_for(UserReadWriteAll);
    services::users::change_properties(&state, &admin, &user.id, &changes).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /users/{id}`: Delete user, a soft delete (restorable from
/// deleted items); 204 without a body.
pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[UserReadWriteAll])?;
    let user = find_live(&state, &key).await?;
    let admin = caller.acting_for(UserReadWriteAll);
    services::users::delete_user(&state, &admin, &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /users/{id}/memberOf`: the user's groups, direct and dynamic, as
/// directory objects. A user belongs to few groups, so one page holds them.
pub async fn member_of(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    caller.require(READ_MEMBER_OF)?;
    let options = QueryOptions::parse(req.query_string())?;
    refuse_search(&options)?;
    options.refuse_unsupported(&["count"])?;
    let count = options.count()?;
    let user = find_live(&state, &key).await?;
    let mut conn = state.db.pool().acquire().await?;
    let groups = crate::store::groups::groups_of_user(&mut conn, &user.id).await?;
    drop(conn);
    let values: Vec<Value> = groups.iter().map(user_json::group_object).collect();
    let total = count.then_some(values.len() as i64);
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(odata::context(&state, "directoryObjects"), total, values, None),
    ))
}
