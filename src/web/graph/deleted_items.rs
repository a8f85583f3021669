//! `/v1.0/directory/deletedItems`: the soft-deleted users, newest deletion
//! first and paged like the users list, and Restore user through the
//! portal's service. A deleted user shows the user's properties and when
//! they were deleted (`deletedDateTime`, shown without `$select` too, since
//! it is what a script reads deleted items for).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::odata::{self, QueryOptions, SkipToken};
use super::user_json::{self, query_error, row_of, user_fields, user_property};
use super::users::{READ, refuse_search};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::UserReadWriteAll;
use crate::domain::graph_query::{DEFAULT_TOP, UserProperty, parse_select, parse_top};
use crate::services::{self, ServiceError};
use crate::store;
use crate::store::users::User;

const PATH: &str = "/v1.0/directory/deletedItems/microsoft.graph.user";
const DELETED_AT: &str = "deletedDateTime";

/// A property of a deleted user: one of a user's, or when it was deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    User(UserProperty),
    DeletedDateTime,
}

impl Shown {
    fn name(self) -> &'static str {
        match self {
            Shown::User(p) => p.name(),
            Shown::DeletedDateTime => DELETED_AT,
        }
    }
}

/// `$select` over a user's properties and `deletedDateTime`.
fn select(text: Option<&str>) -> Result<Option<Vec<Shown>>, GraphError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let mut shown = Vec::new();
    for item in text.split(',') {
        let next = if item.trim().eq_ignore_ascii_case(DELETED_AT) {
            vec![Shown::DeletedDateTime]
        } else {
            parse_select(item)
                .map_err(query_error)?
                .into_iter()
                .map(Shown::User)
                .collect()
        };
        for s in next {
            if !shown.contains(&s) {
                shown.push(s);
            }
        }
    }
    Ok(Some(shown))
}

fn deleted_user(user: &User, shown: &[Shown]) -> Value {
    let row = row_of(user);
    let fields: Map<String, Value> = shown
        .iter()
        .map(|s| {
            let value = match s {
                Shown::User(p) => user_property(&row, *p),
                Shown::DeletedDateTime => user.deleted_at.map_or(Value::Null, odata::timestamp),
            };
            (s.name().to_owned(), value)
        })
        .collect();
    Value::Object(fields)
}

/// The position after a deleted user: `{deleted_at}:{id}`.
fn cursor_after(user: &User) -> String {
    format!("{}:{}", user.deleted_at.unwrap_or_default(), user.id)
}

fn open_cursor(text: &str) -> Option<(i64, String)> {
    let (at, id) = text.split_once(':')?;
    Some((at.parse().ok()?, id.to_owned()))
}

/// `GET /directory/deletedItems/microsoft.graph.user`.
pub async fn list_users(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(READ)?;
    let options = QueryOptions::parse(req.query_string())?;
    refuse_search(&options)?;
    options.refuse_unsupported(&["select", "top", "count", "skiptoken"])?;
    let shown = select(options.select.as_deref())?;
    let top = options
        .top
        .as_deref()
        .map(parse_top)
        .transpose()
        .map_err(query_error)?
        .unwrap_or(DEFAULT_TOP);
    let count = options.count()?;
    let after = match SkipToken::open(&state, PATH, &options)? {
        None => None,
        Some(text) => Some(
            open_cursor(&text)
                .ok_or_else(|| GraphError::bad_request("The $skiptoken is not valid for this request."))?,
        ),
    };
    let mut conn = state.db.pool().acquire().await?;
    let after_key = after.as_ref().map(|(at, id)| (*at, id.as_str()));
    let mut users = store::deleted_users::users_page(&mut conn, after_key, top + 1).await?;
    let total = match count && after.is_none() {
        true => Some(store::deleted_users::count(&mut conn).await?),
        false => None,
    };
    drop(conn);
    let next = if users.len() as i64 > top {
        users.truncate(top as usize);
        users
            .last()
            .map(|last| SkipToken::next_link(&state, PATH, &options, &cursor_after(last)))
    } else {
        None
    };
    let default: Vec<Shown> = UserProperty::DEFAULT
        .into_iter()
        .map(Shown::User)
        .chain([Shown::DeletedDateTime])
        .collect();
    let fields = shown.as_deref().unwrap_or(&default);
    let values: Vec<Value> = users.iter().map(|u| deleted_user(u, fields)).collect();
    let names = shown.as_ref().map(|s| s.iter().map(|s| s.name()).collect());
    let fragment = user_json::selected("directoryObjects/microsoft.graph.user", names);
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(odata::context(&state, &fragment), total, values, next),
    ))
}

/// `POST /directory/deletedItems/{id}/restore`: Restore user; 200 with the
/// restored user as a directory object, as Graph answers.
pub async fn restore(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[UserReadWriteAll])?;
    if id.is_empty() || id.len() > 100 {
        return Err(GraphError::not_found(&id));
    }
    let admin = caller.acting_for(UserReadWriteAll);
    let user = match services::deleted_users::restore_user(&state, &admin, &id).await {
        Ok(user) => user,
        Err(ServiceError::NotFound) => return Err(GraphError::not_found(&id)),
        Err(e) => return Err(e.into()),
    };
    let mut fields = Map::new();
    fields.insert("@odata.type".into(), json!("#microsoft.graph.user"));
    fields.extend(user_fields(&row_of(&user), &UserProperty::DEFAULT));
    Ok(odata::json(
        StatusCode::OK,
        &odata::entity(odata::context(&state, "directoryObjects/$entity"), fields),
    ))
}
