//! The OData system query options of `GET /v1.0/users`, as Microsoft Graph
//! reads them: `$filter`, `$select`, `$orderby` and `$top`.
//!
//! Each option is parsed into a value that is valid by construction: a
//! [`Filter`] names only properties Vestibule can filter on, compares each
//! with values of its type, and stays within the limits below, so the store
//! can turn it into SQL without checking anything again.
//!
//! Errors come in Graph's two kinds ([`QueryError`]): text that is not OData
//! (`400 Request_BadRequest`) and OData that Vestibule does not support, or
//! that goes past a limit (`400 Request_UnsupportedQuery`).
//!
//! Names: operators, functions and the words `true`, `false` and `null` are
//! case-insensitive, as in Graph. Property names are case-insensitive too
//! and come back in Graph's spelling: Graph accepts `$select=AccountEnabled`
//! and `$filter=userprincipalname eq '…'` on users, scripts written for it
//! use both, and no two user properties differ only in case.

pub mod clauses;
mod lexer;
mod options;
mod parser;

use std::fmt;

use time::OffsetDateTime;

pub use options::{DEFAULT_TOP, MAX_TOP, Order, UserProperty, parse_orderby, parse_select, parse_top};

/// The longest `$filter`, in characters.
pub const MAX_FILTER_LEN: usize = 2000;
/// How deeply parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 32;
/// The most comparisons (each `eq`, `in`, `startswith`, …) in one filter.
pub const MAX_CLAUSES: usize = 50;
/// The most values in one `in (…)` list: Graph's limit.
pub const MAX_IN_VALUES: usize = 15;

/// Why a query option is refused: Graph's `error.code` and a message that
/// says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// Not valid OData: `400 Request_BadRequest`.
    BadRequest(String),
    /// Valid, but not supported here, or past a limit:
    /// `400 Request_UnsupportedQuery`.
    Unsupported(String),
}

impl QueryError {
    /// Graph's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::BadRequest(_) => "Request_BadRequest",
            QueryError::Unsupported(_) => "Request_UnsupportedQuery",
        }
    }

    /// Graph's `error.message`.
    pub fn message(&self) -> &str {
        match self {
            QueryError::BadRequest(m) | QueryError::Unsupported(m) => m,
        }
    }

    /// A syntax error in `$filter` at a 1-based character position.
    pub(crate) fn syntax(position: usize, detail: impl fmt::Display) -> Self {
        QueryError::BadRequest(format!("Invalid filter clause: {detail} at position {position}."))
    }

    /// A clause on `property` that is valid OData but not supported.
    pub(crate) fn clause(property: &str, detail: impl fmt::Display) -> Self {
        QueryError::Unsupported(format!(
            "Unsupported or invalid query filter clause specified for property '{property}' of resource 'User': {detail}."
        ))
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for QueryError {}

/// A parsed `$filter`.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `property op value`; `value` has the property's type (or is null
    /// with `eq` and `ne`).
    Compare {
        property: Property,
        op: CompareOp,
        value: Value,
    },
    /// `property in (v1, v2, …)`: 1 to [`MAX_IN_VALUES`] values of the
    /// property's type, none null.
    In {
        property: Property,
        values: Vec<Value>,
    },
    /// `startswith(property, 'prefix')` on a text property.
    StartsWith {
        property: Property,
        prefix: String,
    },
    Not(Box<Filter>),
    /// Two or more.
    And(Vec<Filter>),
    /// Two or more.
    Or(Vec<Filter>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// OData's spelling.
    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Case-insensitive.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name().eq_ignore_ascii_case(word))
    }

    /// `eq` or `ne`.
    pub fn is_equality(self) -> bool {
        matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// A literal, already checked against the property it is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// As written (quotes and `''` resolved). For `userType` and
    /// `externalUserState`, a known value is given its canonical case
    /// (`'guest'` → `Guest`). Text compares case-insensitively.
    Text(String),
    Bool(bool),
    /// A DateTimeOffset, for `createdDateTime`.
    DateTime(OffsetDateTime),
    Null,
}

/// The user properties `$filter` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Property {
    Id,
    DisplayName,
    Mail,
    UserPrincipalName,
    UserType,
    ExternalUserState,
    AccountEnabled,
    CreatedDateTime,
    CompanyName,
}

/// What a property holds, which decides the operators and values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyKind {
    /// The object id: `eq`, `ne`, `in`.
    Id,
    /// Free text: every comparison, `in`, `startswith`, and null.
    Text,
    /// One of a few words (`Member`, `Guest`): `eq`, `ne`, `in`, and null.
    Enum,
    /// `true` or `false`: `eq`, `ne`, `in`.
    Bool,
    /// A DateTimeOffset: every comparison, `in`, and null.
    DateTime,
}

impl Property {
    pub const ALL: [Property; 9] = [
        Property::Id,
        Property::DisplayName,
        Property::Mail,
        Property::UserPrincipalName,
        Property::UserType,
        Property::ExternalUserState,
        Property::AccountEnabled,
        Property::CreatedDateTime,
        Property::CompanyName,
    ];

    /// Graph's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Property::Id => "id",
            Property::DisplayName => "displayName",
            Property::Mail => "mail",
            Property::UserPrincipalName => "userPrincipalName",
            Property::UserType => "userType",
            Property::ExternalUserState => "externalUserState",
            Property::AccountEnabled => "accountEnabled",
            Property::CreatedDateTime => "createdDateTime",
            Property::CompanyName => "companyName",
        }
    }

    /// Case-insensitive (see the module's notes).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    pub fn kind(self) -> PropertyKind {
        match self {
            Property::Id => PropertyKind::Id,
            Property::DisplayName | Property::Mail | Property::UserPrincipalName | Property::CompanyName => {
                PropertyKind::Text
            }
            Property::UserType | Property::ExternalUserState => PropertyKind::Enum,
            Property::AccountEnabled => PropertyKind::Bool,
            Property::CreatedDateTime => PropertyKind::DateTime,
        }
    }

    /// The values of an enum property, in their canonical case.
    pub fn enum_values(self) -> &'static [&'static str] {
        match self {
            Property::UserType => &["Member", "Guest"],
            Property::ExternalUserState => &["PendingAcceptance", "Accepted"],
            _ => &[],
        }
    }
}

impl Filter {
    /// Parses a `$filter` value (already percent-decoded).
    pub fn parse(text: &str) -> Result<Filter, QueryError> {
        parse_filter(text)
    }
}

/// Parses a `$filter` value (already percent-decoded).
pub fn parse_filter(text: &str) -> Result<Filter, QueryError> {
    // Bytes first: a character is at most 4 bytes, so this bounds the
    // count below without walking a huge input.
    if text.len() > 4 * MAX_FILTER_LEN || text.chars().count() > MAX_FILTER_LEN {
        return Err(QueryError::Unsupported(format!(
            "The $filter has {} characters; at most {MAX_FILTER_LEN} are supported.",
            text.chars().count()
        )));
    }
    let chars: Vec<char> = text.chars().collect();
    let tokens = lexer::tokenize(&chars);
    parser::parse(&tokens)
}

/// `$filter`, `$select`, `$orderby` and `$top` of one request, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct UsersQuery {
    pub filter: Option<Filter>,
    /// `None`: Graph's default properties ([`UserProperty::DEFAULT`]).
    pub select: Option<Vec<UserProperty>>,
    pub order: Order,
    /// The page size: 1 to [`MAX_TOP`], [`DEFAULT_TOP`] when not given.
    pub top: i64,
}

impl UsersQuery {
    /// Each option as it came in the query string (percent-decoded), `None`
    /// when absent. The first error, in the order of the arguments, wins.
    pub fn parse(
        filter: Option<&str>,
        select: Option<&str>,
        orderby: Option<&str>,
        top: Option<&str>,
    ) -> Result<Self, QueryError> {
        Ok(Self {
            filter: filter.map(parse_filter).transpose()?,
            select: select.map(parse_select).transpose()?,
            order: orderby.map(parse_orderby).transpose()?.unwrap_or_default(),
            top: top.map(parse_top).transpose()?.unwrap_or(DEFAULT_TOP),
        })
    }
}

/// `s` cut to `max` characters, with an ellipsis when cut: for messages
/// that quote what was sent.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max).chain("…".chars()).collect()
    }
}

#[cfg(test)]
mod tests;
