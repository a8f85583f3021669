//! OData conventions every route shares: the system query options (with or
//! without `$`, keys percent-decoded: the JavaScript client sends `%24filter`
//! on later pages), `@odata.context`, collections with `@odata.count` and
//! an absolute `@odata.nextLink` whose `$skiptoken` is a signed cursor
//! (SDKs do not re-send headers on later pages, so the link carries all).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use base64::Engine;
use serde_json::{Map, Value};

use super::error::GraphError;
use crate::app::AppState;

/// Most items one page may hold (`$top`), as in Graph.
pub const TOP_MAX: usize = 999;
/// Items a page holds when `$top` is not given.
pub const TOP_DEFAULT: usize = 100;
/// The longest query string the API reads.
const QUERY_MAX: usize = 8 * 1024;

/// The system query options of a request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    pub filter: Option<String>,
    pub select: Option<String>,
    pub top: Option<String>,
    pub orderby: Option<String>,
    pub count: Option<String>,
    pub skiptoken: Option<String>,
    pub search: Option<String>,
    pub expand: Option<String>,
}

impl QueryOptions {
    /// Reads the query string; an option given twice, or one Graph does
    /// not know, is refused.
    pub fn parse(query: &str) -> Result<Self, GraphError> {
        if query.len() > QUERY_MAX {
            return Err(GraphError::bad_request("The query string is too long."));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| GraphError::bad_request("The query string could not be read."))?;
        let mut options = QueryOptions::default();
        for (key, value) in pairs {
            let (name, system) = match key.strip_prefix('$') {
                Some(name) => (name.to_ascii_lowercase(), true),
                None => (key.to_ascii_lowercase(), false),
            };
            let slot = match name.as_str() {
                "filter" => &mut options.filter,
                "select" => &mut options.select,
                "top" => &mut options.top,
                "orderby" => &mut options.orderby,
                "count" => &mut options.count,
                "skiptoken" => &mut options.skiptoken,
                "search" => &mut options.search,
                "expand" => &mut options.expand,
                _ if system => {
                    let shown: String = key.chars().take(40).collect();
                    return Err(GraphError::bad_request(format!(
                        "Query option '{shown}' is not allowed. Make sure that it is supported by the API."
                    )));
                }
                // Other parameters (a client's own) are not Graph's business.
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(GraphError::bad_request(format!(
                    "Query option '${name}' was specified more than once."
                )));
            }
        }
        Ok(options)
    }

    /// `$top`: 1 to 999, `TOP_DEFAULT` when absent.
    pub fn top(&self) -> Result<usize, GraphError> {
        match &self.top {
            None => Ok(TOP_DEFAULT),
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if (1..=TOP_MAX).contains(&n) => Ok(n),
                _ => Err(GraphError::bad_request(format!(
                    "Invalid page size specified: '{}'. Must be between 1 and {TOP_MAX} inclusive.",
                    text.chars().take(20).collect::<String>()
                ))),
            },
        }
    }

    /// `$count=true`.
    pub fn count(&self) -> Result<bool, GraphError> {
        match self.count.as_deref().map(str::trim) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(GraphError::bad_request("$count must be true or false.")),
        }
    }

    /// Refuses the options a route does not support.
    pub fn refuse_unsupported(&self, route_supports: &[&str]) -> Result<(), GraphError> {
        let given = [
            ("filter", self.filter.is_some()),
            ("select", self.select.is_some()),
            ("top", self.top.is_some()),
            ("orderby", self.orderby.is_some()),
            ("count", self.count.is_some()),
            ("skiptoken", self.skiptoken.is_some()),
            ("search", self.search.is_some()),
            ("expand", self.expand.is_some()),
        ];
        for (name, present) in given {
            if present && !route_supports.contains(&name) {
                return Err(GraphError::unsupported_query(format!(
                    "The query option ${name} is not supported on this resource."
                )));
            }
        }
        Ok(())
    }

    /// The options to repeat in a next link (all but `$skiptoken`), as
    /// `$name=value` pairs.
    fn carried(&self) -> Vec<(&'static str, &str)> {
        [
            ("$filter", &self.filter),
            ("$select", &self.select),
            ("$top", &self.top),
            ("$orderby", &self.orderby),
            ("$count", &self.count),
            ("$search", &self.search),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// `{public}/v1.0/$metadata#{fragment}`.
pub fn context(state: &AppState, fragment: &str) -> String {
    format!("{}/v1.0/$metadata#{fragment}", state.public_url.trim_end_matches('/'))
}

/// Signed cursors in `$skiptoken`: the cursor text, bound to the route and
/// the options that decide the order and the rows, so a token cannot be
/// forged nor moved to another query.
pub struct SkipToken;

impl SkipToken {
    fn binding(path: &str, options: &QueryOptions) -> String {
        format!(
            "{path}\n{}\n{}\n{}",
            options.filter.as_deref().unwrap_or(""),
            options.orderby.as_deref().unwrap_or(""),
            options.search.as_deref().unwrap_or("")
        )
    }

    pub fn sign(state: &AppState, path: &str, options: &QueryOptions, cursor: &str) -> String {
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cursor);
        let mac = state
            .secrets
            .api_paging
            .digest(&format!("{}\n{body}", Self::binding(path, options)));
        format!("{body}.{}", &mac[..32])
    }

    /// The cursor in `options.skiptoken`, None without one; a token that
    /// was altered or belongs to another query is refused.
    pub fn open(state: &AppState, path: &str, options: &QueryOptions) -> Result<Option<String>, GraphError> {
        let Some(token) = options.skiptoken.as_deref() else {
            return Ok(None);
        };
        let refused = || GraphError::bad_request("The $skiptoken is not valid for this request.");
        let (body, mac) = token.split_once('.').ok_or_else(refused)?;
        let expected = state
            .secrets
            .api_paging
            .digest(&format!("{}\n{body}", Self::binding(path, options)));
        if !crate::security::secret::constant_time_eq(mac, &expected[..32]) {
            return Err(refused());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| refused())?;
        String::from_utf8(bytes).map(Some).map_err(|_| refused())
    }

    /// The absolute next link: the public URL, the path, every option of
    /// this request and the new `$skiptoken`.
    pub fn next_link(state: &AppState, path: &str, options: &QueryOptions, cursor: &str) -> String {
        let token = Self::sign(state, path, options, cursor);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in options.carried() {
            query.append_pair(k, v);
        }
        query.append_pair("$skiptoken", &token);
        format!("{}{path}?{}", state.public_url.trim_end_matches('/'), query.finish())
    }
}

/// A JSON answer of the API.
pub fn json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        )
        .body(body.to_string())
}

/// One entity with its `@odata.context` first.
pub fn entity(context: String, fields: Map<String, Value>) -> Value {
    let mut object = Map::new();
    object.insert("@odata.context".into(), Value::String(context));
    object.extend(fields);
    Value::Object(object)
}

/// A page of a collection.
pub fn collection(context: String, count: Option<i64>, values: Vec<Value>, next_link: Option<String>) -> Value {
    let mut object = Map::new();
    object.insert("@odata.context".into(), Value::String(context));
    if let Some(n) = count {
        object.insert("@odata.count".into(), Value::from(n));
    }
    if let Some(link) = next_link {
        object.insert("@odata.nextLink".into(), Value::String(link));
    }
    object.insert("value".into(), Value::Array(values));
    Value::Object(object)
}

/// The id at the end of an `@odata.id` (`…/directoryObjects/{id}`,
/// `…/users/{id}`, `…/groups/{id}`), whatever its host: scripts write
/// Graph's own host there.
pub fn id_of_reference(odata_id: &str) -> Option<&str> {
    let path = odata_id.trim().trim_end_matches('/');
    let (collection, id) = path.rsplit_once('/')?;
    let collection = collection.rsplit('/').next()?;
    let known = ["directoryObjects", "users", "groups", "servicePrincipals"];
    (known.iter().any(|k| k.eq_ignore_ascii_case(collection)) && !id.is_empty() && id.len() <= 100).then_some(id)
}

/// Graph's timestamps: `2024-01-02T03:04:05Z`.
pub fn timestamp(unix: i64) -> Value {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_with_or_without_dollar_and_percent_encoded() {
        let a = QueryOptions::parse("$filter=mail%20eq%20'a'&$top=5").unwrap();
        let b = QueryOptions::parse("%24filter=mail+eq+'a'&%24top=5").unwrap();
        let c = QueryOptions::parse("filter=mail eq 'a'&top=5").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.filter.as_deref(), Some("mail eq 'a'"));
        assert_eq!(a.top().unwrap(), 5);
    }

    #[test]
    fn repeated_and_unknown_system_options_are_refused() {
        assert!(QueryOptions::parse("$top=1&top=2").is_err());
        assert!(QueryOptions::parse("$frobnicate=1").is_err());
        assert!(QueryOptions::parse("client=mine").is_ok());
        assert!(QueryOptions::parse(&"a".repeat(QUERY_MAX + 1)).is_err());
    }

    #[test]
    fn top_is_bounded() {
        for bad in ["0", "1000", "-1", "x", ""] {
            let o = QueryOptions {
                top: Some(bad.into()),
                ..Default::default()
            };
            assert!(o.top().is_err(), "{bad}");
        }
        let o = QueryOptions {
            top: Some("999".into()),
            ..Default::default()
        };
        assert_eq!(o.top().unwrap(), 999);
    }

    #[test]
    fn reference_ids_are_taken_from_any_host() {
        assert_eq!(
            id_of_reference("https://graph.microsoft.com/v1.0/directoryObjects/abc"),
            Some("abc")
        );
        assert_eq!(id_of_reference("http://127.0.0.1:1/v1.0/users/u-1"), Some("u-1"));
        assert_eq!(id_of_reference("https://x/v1.0/applications/abc"), None);
        assert_eq!(id_of_reference("abc"), None);
    }
}
