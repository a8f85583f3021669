//! Groups and their members, shaped like Graph's, through the portal's
//! group services. Vestibule's groups are security groups: `mailEnabled`
//! false, `securityEnabled` true, `groupTypes` empty (Assigned) or
//! `["DynamicMembership"]` with a rule in Entra's language; Microsoft 365
//! (`Unified`) groups are refused. Members are users, added by reference
//! (`members/$ref`, `members@odata.bind`, the id taken from the end of the
//! `@odata.id` whatever its host) and removed with `…/members/{id}/$ref`;
//! the same path without `$ref`, which in Graph deletes the user, is
//! refused by the scope's fallback (`mod.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::listing::{self, open_cursor, query_error};
use super::odata::{self, QueryOptions};
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{GroupMemberReadWriteAll, GroupReadAll, GroupReadWriteAll};
use crate::domain::graph_query::CompareOp;
use crate::domain::graph_query::clauses::{Clause, Literal, parse_conjunction};
use crate::services::group_members::MAX_REFERENCES;
use crate::services::groups::{self as group_service, GroupForm, GroupPatch};
use crate::services::{ServiceError, ServiceResult};
use crate::store;
use crate::store::graph_directory::NameFilter;
use crate::store::groups::Group;

const PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "description",
    "displayName",
    "groupTypes",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "securityEnabled",
    "visibility",
];

fn group_json(group: &Group) -> Map<String, Value> {
    let dynamic = group.is_dynamic();
    let Value::Object(fields) = json!({
        "id": group.id,
        "deletedDateTime": null,
        "createdDateTime": odata::timestamp(group.created_at),
        "description": group.description,
        "displayName": group.display_name,
        "groupTypes": if dynamic { vec!["DynamicMembership"] } else { vec![] },
        "mail": null,
        "mailEnabled": false,
        "mailNickname": group.mail_nickname,
        "membershipRule": group.membership_rule,
        "membershipRuleProcessingState": dynamic.then_some("On"),
        "securityEnabled": true,
        "visibility": null,
    }) else {
        unreachable!("a JSON object")
    };
    fields
}

/// The group, or Graph's 404 naming the id.
async fn load(state: &AppState, id: &str) -> Result<Group, GraphError> {
    let mut conn = state.db.pool().acquire().await?;
    store::groups::find(&mut conn, id)
        .await?
        .ok_or_else(|| GraphError::not_found(id))
}

/// `displayName eq '…'` or `startswith(displayName,'…')`.
fn name_filter(text: Option<&str>, resource: &str) -> Result<NameFilter, GraphError> {
    let Some(text) = text else {
        return Ok(NameFilter::All);
    };
    let clauses = parse_conjunction(text).map_err(query_error)?;
    match clauses.as_slice() {
        [
            Clause::Compare {
                property,
                op: CompareOp::Eq,
                value: Literal::Text(name),
            },
        ] if property.eq_ignore_ascii_case("displayName") => Ok(NameFilter::Is(name.to_lowercase())),
        [Clause::StartsWith { property, prefix }] if property.eq_ignore_ascii_case("displayName") => {
            Ok(NameFilter::StartsWith(prefix.to_lowercase()))
        }
        [clause] => Err(query_error(clause.refuse(resource))),
        _ => Err(GraphError::unsupported_query(
            "Only one clause is supported in this $filter: displayName eq '…' or startswith(displayName,'…').",
        )),
    }
}

pub async fn list(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadAll, GroupReadWriteAll, GroupMemberReadWriteAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["filter", "select", "top", "count", "skiptoken"])?;
    let filter = name_filter(options.filter.as_deref(), "Group")?;
    let selection = listing::parse_select(options.select.as_deref(), PROPERTIES, "group")?;
    let top = options.top()?;
    let after = open_cursor::<2>(&state, req.path(), &options)?.map(|[name, id]| (name, id));
    let mut conn = state.db.pool().acquire().await?;
    let count = if listing::wants_count(&options)? {
        Some(store::graph_directory::groups_count(&mut conn, &filter).await?)
    } else {
        None
    };
    let rows = store::graph_directory::groups_page(&mut conn, &filter, after.as_ref(), top as i64 + 1).await?;
    drop(conn);
    let (rows, next) = listing::finish_page(&state, req.path(), &options, rows, top, |(g, lower)| {
        vec![lower.clone(), g.id.clone()]
    });
    let values = rows
        .iter()
        .map(|(g, _)| listing::select(group_json(g), selection.as_deref()))
        .collect();
    let context = listing::context(&state, "groups", selection.as_deref());
    Ok(odata::json(
        StatusCode::OK,
        &odata::collection(context, count, values, next),
    ))
}

pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadAll, GroupReadWriteAll, GroupMemberReadWriteAll])?;
    let options = QueryOptions::parse(req.query_string())?;
    options.refuse_unsupported(&["select"])?;
    let selection = listing::parse_select(options.select.as_deref(), PROPERTIES, "group")?;
    let group = load(&state, &id).await?;
    let Value::Object(fields) = listing::select(group_json(&group), selection.as_deref()) else {
        return Err(GraphError::internal());
    };
    let context = format!("{}/$entity", listing::context(&state, "groups", selection.as_deref()));
    Ok(odata::json(StatusCode::OK, &odata::entity(context, fields)))
}

/// A request body's properties, read with Graph's refusals.
struct Body<'a>(&'a Map<String, Value>);

impl Body<'_> {
    fn text(&self, name: &str) -> Result<Option<&str>, GraphError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(GraphError::bad_request(format!(
                "The property '{name}' must be a string."
            ))),
        }
    }

    fn required_text(&self, name: &str) -> Result<&str, GraphError> {
        self.text(name)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| GraphError::bad_request(format!("Required property '{name}' is missing or empty.")))
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, GraphError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(GraphError::bad_request(format!(
                "The property '{name}' must be true or false."
            ))),
        }
    }

    /// `mailEnabled` false and `securityEnabled` true, when given (or
    /// required).
    fn security_group(&self, required: bool) -> Result<(), GraphError> {
        let missing = |name: &str| GraphError::bad_request(format!("Required property '{name}' is missing."));
        match self.flag("mailEnabled")? {
            Some(true) => {
                return Err(GraphError::bad_request(
                    "mailEnabled must be false: groups here are security groups, without a mailbox.",
                ));
            }
            None if required => return Err(missing("mailEnabled")),
            _ => {}
        }
        match self.flag("securityEnabled")? {
            Some(false) => Err(GraphError::bad_request(
                "securityEnabled must be true: groups here are security groups.",
            )),
            None if required => Err(missing("securityEnabled")),
            _ => Ok(()),
        }
    }

    /// `groupTypes`: true for `["DynamicMembership"]`, false for `[]`.
    fn dynamic(&self) -> Result<Option<bool>, GraphError> {
        let Some(value) = self.0.get("groupTypes").filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let types: Vec<&str> = value
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .filter(|t: &Vec<&str>| Some(t.len()) == value.as_array().map(Vec::len))
            .ok_or_else(|| GraphError::bad_request("groupTypes must be an array of strings."))?;
        if types.iter().any(|t| t.eq_ignore_ascii_case("Unified")) {
            return Err(GraphError::bad_request(
                "Microsoft 365 groups (groupTypes 'Unified') are not supported: create a security group.",
            ));
        }
        match types.as_slice() {
            [] => Ok(Some(false)),
            [t] if t.eq_ignore_ascii_case("DynamicMembership") => Ok(Some(true)),
            _ => Err(GraphError::bad_request(
                "groupTypes must be [] (assigned membership) or [\"DynamicMembership\"].",
            )),
        }
    }

    /// The ids of `members@odata.bind`: at most `MAX_REFERENCES`.
    fn member_binds(&self) -> Result<Vec<String>, GraphError> {
        if self.0.contains_key("owners@odata.bind") {
            return Err(GraphError::bad_request(
                "Group owners are not supported: leave out owners@odata.bind.",
            ));
        }
        let Some(value) = self.0.get("members@odata.bind").filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let references = value
            .as_array()
            .ok_or_else(|| GraphError::bad_request("members@odata.bind must be an array of references."))?;
        if references.len() > MAX_REFERENCES {
            return Err(GraphError::bad_request(format!(
                "At most {MAX_REFERENCES} members can be added in one request; {} were given.",
                references.len()
            )));
        }
        references.iter().map(reference_id).collect()
    }
}

/// The id at the end of a reference such as
/// `https://graph.microsoft.com/v1.0/directoryObjects/{id}`.
fn reference_id(value: &Value) -> Result<String, GraphError> {
    value
        .as_str()
        .and_then(odata::id_of_reference)
        .map(str::to_owned)
        .ok_or_else(|| {
            let shown: String = value.to_string().chars().take(120).collect();
            GraphError::bad_request(format!(
                "Invalid object reference {shown}: use https://graph.microsoft.com/v1.0/directoryObjects/{{id}}."
            ))
        })
}

/// Refuses references to what cannot be a member: a group (groups do not
/// nest here) gets 400, anything but a live user 404, naming the id.
async fn check_members(state: &AppState, ids: &[String]) -> Result<(), GraphError> {
    let mut conn = state.db.pool().acquire().await?;
    for id in ids {
        if store::users::find_active(&mut conn, id).await?.is_some() {
            continue;
        }
        if store::groups::find(&mut conn, id).await?.is_some() {
            return Err(GraphError::bad_request(format!(
                "{id} is a group: only users can be members of a group here."
            )));
        }
        return Err(GraphError::not_found(id));
    }
    Ok(())
}

/// A service's answer, with its not-found naming `id`.
fn naming<T>(result: ServiceResult<T>, id: &str) -> Result<T, GraphError> {
    result.map_err(|e| match e {
        ServiceError::NotFound => GraphError::not_found(id),
        e => e.into(),
    })
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadWriteAll])?;
    let body = Body(&body);
    let display_name = body.required_text("displayName")?;
    body.security_group(true)?;
    let mail_nickname = body.required_text("mailNickname")?;
    let dynamic = body.dynamic()?.unwrap_or(false);
    let rule = body.text("membershipRule")?;
    match (dynamic, rule) {
        (true, None) => {
            return Err(GraphError::bad_request(
                "A DynamicMembership group needs a membershipRule.",
            ));
        }
        (false, Some(_)) => {
            return Err(GraphError::bad_request(
                "membershipRule needs groupTypes [\"DynamicMembership\"].",
            ));
        }
        _ => {}
    }
    if let Some(state) = body.text("membershipRuleProcessingState")?
        && !state.eq_ignore_ascii_case("On")
    {
        return Err(GraphError::bad_request(
            "membershipRuleProcessingState must be On: rules here are always processed.",
        ));
    }
    let members = body.member_binds()?;
    check_members(&state, &members).await?;
    let form = GroupForm {
        display_name: display_name.to_owned(),
        description: body.text("description")?.unwrap_or_default().to_owned(),
        membership_type: if dynamic { "DynamicUser" } else { "Assigned" }.to_owned(),
        membership_rule: rule.unwrap_or_default().to_owned(),
    };
    let admin = caller.acting_for(GroupReadWriteAll);
    let id = group_service::create_group_with(&state, &admin, &form, Some(mail_nickname), &members).await?;
    let group = load(&state, &id).await?;
    let context = odata::context(&state, "groups/$entity");
    Ok(odata::json(
        StatusCode::CREATED,
        &odata::entity(context, group_json(&group)),
    ))
}

pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadWriteAll])?;
    let group = load(&state, &id).await?;
    let body = Body(&body);
    body.security_group(false)?;
    if body.dynamic()?.is_some_and(|d| d != group.is_dynamic()) {
        return Err(GraphError::bad_request(
            "groupTypes cannot change: create a new group with the other membership type.",
        ));
    }
    let patch = GroupPatch {
        display_name: match body.0.get("displayName") {
            None => None,
            Some(_) => Some(body.required_text("displayName")?.to_owned()),
        },
        description: body
            .0
            .contains_key("description")
            .then(|| body.text("description").map(|d| d.map(str::to_owned)))
            .transpose()?,
        membership_rule: body.text("membershipRule")?.map(str::to_owned),
        mail_nickname: body.text("mailNickname")?.map(str::to_owned),
    };
    let members = body.member_binds()?;
    check_members(&state, &members).await?;
    let admin = caller.acting_for(GroupReadWriteAll);
    naming(
        group_service::patch_group(&state, &admin, &group.id, &patch, &members).await,
        &group.id,
    )?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[GroupReadWriteAll])?;
    let admin = caller.acting_for(GroupReadWriteAll);
    naming(group_service::delete_group(&state, &admin, &id).await, &id)?;
    Ok(HttpResponse::NoContent().finish())
}
