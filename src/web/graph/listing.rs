//! Pieces the collections share (groups, members, service principals,
//! app role assignments, the logs): `$select` against a resource's
//! properties, a page one row longer than `$top` to know whether another
//! follows, and cursors of a few strings signed into `$skiptoken`.

use actix_web::http::StatusCode;
use serde_json::{Map, Value};

use super::error::GraphError;
use super::odata::{self, QueryOptions, SkipToken};
use crate::app::AppState;
use crate::domain::graph_query::QueryError;

/// A `$filter` refusal as Graph words it.
pub fn query_error(e: QueryError) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, e.code(), e.message())
}

/// The properties `$select` names, in Graph's spelling (names compare
/// case-insensitively); None without `$select`. `id` always comes along,
/// as in Graph.
pub fn parse_select(
    select: Option<&str>,
    properties: &[&'static str],
    type_name: &str,
) -> Result<Option<Vec<&'static str>>, GraphError> {
    let Some(text) = select else { return Ok(None) };
    let mut chosen = Vec::new();
    for name in text.split(',').map(str::trim) {
        let Some(property) = properties.iter().find(|p| p.eq_ignore_ascii_case(name)) else {
            let shown: String = name.chars().take(60).collect();
            return Err(GraphError::bad_request(format!(
                "Could not find a property named '{shown}' on type 'microsoft.graph.{type_name}'."
            )));
        };
        if !chosen.contains(property) {
            chosen.push(*property);
        }
    }
    Ok(Some(chosen))
}

/// `fields` narrowed to the selection (and `id`), in the selection's order.
pub fn select(mut fields: Map<String, Value>, selection: Option<&[&'static str]>) -> Value {
    let Some(names) = selection else {
        return Value::Object(fields);
    };
    let mut out = Map::new();
    for name in std::iter::once(&"id").chain(names) {
        if let Some(value) = fields.remove(*name) {
            out.insert((*name).to_owned(), value);
        }
    }
    Value::Object(out)
}

/// `@odata.context` of a collection, narrowed as Graph narrows it:
/// `…$metadata#groups(id,displayName)`.
pub fn context(state: &AppState, collection: &str, selection: Option<&[&'static str]>) -> String {
    match selection {
        Some(names) => odata::context(state, &format!("{collection}({})", names.join(","))),
        None => odata::context(state, collection),
    }
}

/// The cursor in this request's `$skiptoken`: the strings the previous
/// page ended on, `N` of them.
pub fn open_cursor<const N: usize>(
    state: &AppState,
    path: &str,
    options: &QueryOptions,
) -> Result<Option<[String; N]>, GraphError> {
    let Some(text) = SkipToken::open(state, path, options)? else {
        return Ok(None);
    };
    let parts: Vec<String> = serde_json::from_str(&text)
        .map_err(|_| GraphError::bad_request("The $skiptoken is not valid for this request."))?;
    parts
        .try_into()
        .map(Some)
        .map_err(|_| GraphError::bad_request("The $skiptoken is not valid for this request."))
}

/// Cuts a page fetched with one row more than `top`; the next link, when
/// that row was there, continues after the page's last row.
pub fn finish_page<T>(
    state: &AppState,
    path: &str,
    options: &QueryOptions,
    mut rows: Vec<T>,
    top: usize,
    cursor_of: impl Fn(&T) -> Vec<String>,
) -> (Vec<T>, Option<String>) {
    if rows.len() <= top {
        return (rows, None);
    }
    rows.truncate(top);
    let link = rows.last().map(|last| {
        let cursor = Value::from(cursor_of(last)).to_string();
        SkipToken::next_link(state, path, options, &cursor)
    });
    (rows, link)
}

/// A query option's `$count=true`, honoured on the first page only (later
/// pages carry the option in their link, as Graph's do).
pub fn wants_count(options: &QueryOptions) -> Result<bool, GraphError> {
    Ok(options.count()? && options.skiptoken.is_none())
}

/// The `(appId='…')` key, or a path parameter, as sent: trimmed, bounded.
pub fn key(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty() && text.len() <= 100 && !text.chars().any(char::is_control)).then_some(text)
}
