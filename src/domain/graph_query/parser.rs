//! Recursive descent over the tokens, checking each clause against its
//! property as it goes. Precedence, loosest first:
//!
//! ```text
//! or         := and   ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | primary
//! primary    := "(" or ")" | startswith | comparison
//! startswith := "startswith" "(" PROPERTY "," STRING ")" [("eq" | "ne") BOOL]
//! comparison := PROPERTY ("eq" | "ne" | "gt" | "ge" | "lt" | "le") value
//!             | PROPERTY "in" "(" value ("," value)* ")"
//! value      := STRING | DATETIME | "true" | "false" | "null"
//! ```
//!
//! `not userType eq 'Guest'` reads as `not (userType eq 'Guest')`: strict
//! OData would apply `not` to the property and fail; the one meaning it can
//! have is the useful one. Parentheses and `not` each count a level against
//! [`MAX_DEPTH`], so hostile nesting ends in an error, never in a deep stack.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::lexer::{Tok, Token};
use super::{
    CompareOp, Filter, MAX_CLAUSES, MAX_DEPTH, MAX_IN_VALUES, Property, PropertyKind, QueryError, UserProperty, Value,
};

/// OData functions Vestibule does not offer, so their use is "unsupported"
/// rather than "unknown".
const FUNCTIONS: [&str; 26] = [
    "endswith",
    "contains",
    "substringof",
    "indexof",
    "length",
    "substring",
    "tolower",
    "toupper",
    "trim",
    "concat",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "date",
    "time",
    "now",
    "round",
    "floor",
    "ceiling",
    "cast",
    "isof",
    "matchespattern",
    "hassubset",
];

/// OData operators Vestibule does not offer.
const OPERATORS: [&str; 7] = ["has", "add", "sub", "mul", "div", "divby", "mod"];

/// Words that are never property names.
const KEYWORDS: [&str; 13] = [
    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false", "null",
];

/// Graph user properties that Vestibule neither filters on nor returns,
/// named so that filtering on them is "unsupported" rather than "unknown".
const OTHER_GRAPH_PROPERTIES: [&str; 12] = [
    "proxyAddresses",
    "signInActivity",
    "mailNickname",
    "department",
    "employeeId",
    "employeeType",
    "city",
    "country",
    "state",
    "usageLocation",
    "onPremisesSyncEnabled",
    "assignedLicenses",
];

const FILTERABLE: &str = "id, displayName, mail, userPrincipalName, userType, externalUserState, accountEnabled, \
                          createdDateTime, companyName";

pub(super) fn parse(tokens: &[Token]) -> Result<Filter, QueryError> {
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
        clauses: 0,
    };
    if p.peek().tok == Tok::End {
        return Err(QueryError::BadRequest(
            "Invalid filter clause: the filter is empty; write a condition such as userType eq 'Guest'.".into(),
        ));
    }
    let filter = p.or()?;
    let t = p.peek();
    match &t.tok {
        Tok::End => Ok(filter),
        Tok::RParen => Err(QueryError::syntax(t.pos, "this ')' has no matching '('")),
        _ => Err(p.expected("and, or, or the end of the filter")),
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    depth: usize,
    clauses: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at]
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.at + ahead).map(|t| &t.tok)
    }

    /// The current token, moving past it (never past the last one).
    fn next(&mut self) -> Token {
        let t = self.tokens[self.at].clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    /// "expected X, found Y" at the current token; the token's own error
    /// when it could not be read.
    fn expected(&self, what: &str) -> QueryError {
        let t = self.peek();
        match &t.tok {
            Tok::Bad(e) => e.clone(),
            tok => QueryError::syntax(t.pos, format!("expected {what}, found {}", tok.describe())),
        }
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::Unsupported(format!(
                "The $filter nests parentheses and not more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} are supported."
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn count_clause(&mut self) -> Result<(), QueryError> {
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(QueryError::Unsupported(format!(
                "The $filter has more than {MAX_CLAUSES} clauses; at most {MAX_CLAUSES} are supported."
            )));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, QueryError> {
        let first = self.and()?;
        if !self.peek().tok.is_word("or") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok.is_word("or") {
            self.next();
            items.push(self.and()?);
        }
        Ok(Filter::Or(items))
    }

    fn and(&mut self) -> Result<Filter, QueryError> {
        let first = self.unary()?;
        if !self.peek().tok.is_word("and") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok.is_word("and") {
            self.next();
            items.push(self.unary()?);
        }
        Ok(Filter::And(items))
    }

    fn unary(&mut self) -> Result<Filter, QueryError> {
        if !self.peek().tok.is_word("not") {
            return self.primary();
        }
        self.next();
        self.enter()?;
        let inner = self.unary()?;
        self.leave();
        Ok(Filter::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Filter, QueryError> {
        match &self.peek().tok {
            Tok::LParen => {
                let open = self.next();
                self.enter()?;
                let inner = self.or()?;
                self.leave();
                if self.peek().tok != Tok::RParen {
                    return Err(self.expected(&format!("and, or, or a ')' to close the '(' at position {}", open.pos)));
                }
                self.next();
                Ok(inner)
            }
            Tok::Word(w) if Property::parse(w).is_none() && !is_keyword(w) && self.peek_at(1) == Some(&Tok::LParen) => {
                let w = w.clone();
                self.function(&w)
            }
            Tok::Word(_) => self.comparison(),
            _ => Err(self.expected("a condition such as userType eq 'Guest'")),
        }
    }

    /// `name(` where a condition starts.
    fn function(&mut self, name: &str) -> Result<Filter, QueryError> {
        if name.eq_ignore_ascii_case("startswith") {
            return self.starts_with();
        }
        if let Some((path, lambda)) = name.rsplit_once('/') {
            return Err(QueryError::clause(
                path,
                format!("the lambda operator '{lambda}' is not supported"),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if FUNCTIONS.contains(&lower.as_str()) {
            return Err(QueryError::Unsupported(format!(
                "The function '{name}' is not supported in $filter; the supported function is startswith."
            )));
        }
        Err(QueryError::syntax(
            self.peek().pos,
            format!("unknown function '{name}'"),
        ))
    }

    fn starts_with(&mut self) -> Result<Filter, QueryError> {
        let name = self.next();
        self.next(); // the '(' seen by `primary`
        let property = self.property()?;
        if property.kind() != PropertyKind::Text {
            return Err(QueryError::clause(
                property.name(),
                "startswith applies only to displayName, mail, userPrincipalName and companyName",
            ));
        }
        if self.peek().tok != Tok::Comma {
            return Err(self.expected("',' after the property in startswith"));
        }
        self.next();
        let t = self.peek().clone();
        let prefix = match &t.tok {
            Tok::Str(s) => s.clone(),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => {
                return Err(QueryError::clause(
                    property.name(),
                    "startswith takes a string, not null",
                ));
            }
            _ => return Err(self.expected("a string in single quotes, like 'a'")),
        };
        self.next();
        if self.peek().tok != Tok::RParen {
            return Err(self.expected(&format!("a ')' to close startswith at position {}", name.pos)));
        }
        self.next();
        self.count_clause()?;
        let filter = Filter::StartsWith { property, prefix };
        // `startswith(…) eq true`, as some OData clients write it.
        let op = match &self.peek().tok {
            Tok::Word(w) => CompareOp::parse(w),
            _ => None,
        };
        let Some(op) = op else {
            return Ok(filter);
        };
        let result = match self.peek_at(1) {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => true,
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => false,
            _ => {
                return Err(QueryError::Unsupported(
                    "The result of startswith can only be compared with true or false, using eq or ne.".into(),
                ));
            }
        };
        if !op.is_equality() {
            return Err(QueryError::Unsupported(
                "The result of startswith can only be compared with true or false, using eq or ne.".into(),
            ));
        }
        self.next();
        self.next();
        let keep = result == (op == CompareOp::Eq);
        Ok(if keep { filter } else { Filter::Not(Box::new(filter)) })
    }

    fn property(&mut self) -> Result<Property, QueryError> {
        let t = self.peek().clone();
        let Tok::Word(word) = &t.tok else {
            return Err(self.expected("a property name (a clause starts with it, as in userType eq 'Guest')"));
        };
        if let Some(property) = Property::parse(word) {
            self.next();
            return Ok(property);
        }
        if is_keyword(word) {
            return Err(self.expected("a property name"));
        }
        // A name cut short by a character that cannot be read: that
        // character is the problem.
        if let Some(Tok::Bad(e)) = self.peek_at(1) {
            return Err(e.clone());
        }
        let known = UserProperty::parse(word).map(|p| p.name()).or_else(|| {
            OTHER_GRAPH_PROPERTIES
                .iter()
                .copied()
                .find(|p| p.eq_ignore_ascii_case(word))
        });
        if let Some(name) = known {
            return Err(QueryError::clause(
                name,
                format!("filtering on it is not supported; filter on {FILTERABLE}"),
            ));
        }
        if word.contains('/') {
            return Err(QueryError::clause(word, "property paths are not supported"));
        }
        Err(QueryError::syntax(
            t.pos,
            format!(
                "could not find a property named '{}' on type 'microsoft.graph.user'",
                super::shorten(word, 40)
            ),
        ))
    }

    fn comparison(&mut self) -> Result<Filter, QueryError> {
        let property = self.property()?;
        let t = self.peek().clone();
        let word = match &t.tok {
            Tok::Word(w) => w.clone(),
            _ => return Err(self.expected(&format!("an operator such as eq, ne or in after '{}'", property.name()))),
        };
        if word.eq_ignore_ascii_case("in") {
            self.next();
            return self.in_list(property);
        }
        let Some(op) = CompareOp::parse(&word) else {
            if OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(&word)) {
                return Err(QueryError::Unsupported(format!(
                    "The operator '{word}' is not supported in $filter."
                )));
            }
            return Err(self.expected(&format!("an operator such as eq, ne or in after '{}'", property.name())));
        };
        let ordered = matches!(property.kind(), PropertyKind::Text | PropertyKind::DateTime);
        if !op.is_equality() && !ordered {
            return Err(QueryError::clause(
                property.name(),
                format!("the operator '{}' is not supported; use eq, ne or in", op.name()),
            ));
        }
        self.next();
        let value = self.value(property, op.is_equality())?;
        self.count_clause()?;
        Ok(Filter::Compare { property, op, value })
    }

    fn in_list(&mut self, property: Property) -> Result<Filter, QueryError> {
        if self.peek().tok != Tok::LParen {
            return Err(self.expected("a list such as ('a', 'b') after 'in'"));
        }
        let open = self.next();
        let mut values = Vec::new();
        loop {
            values.push(self.value(property, false)?);
            if values.len() > MAX_IN_VALUES {
                return Err(QueryError::Unsupported(format!(
                    "The 'in' list at position {} has more than {MAX_IN_VALUES} values; at most {MAX_IN_VALUES} are supported.",
                    open.pos
                )));
            }
            match self.peek().tok {
                Tok::Comma => {
                    self.next();
                }
                Tok::RParen => {
                    self.next();
                    break;
                }
                _ => {
                    return Err(self.expected(&format!("',' or a ')' to close the list at position {}", open.pos)));
                }
            }
        }
        self.count_clause()?;
        Ok(Filter::In { property, values })
    }

    /// The value compared with `property`; null only when `null_allowed`
    /// (after `eq` or `ne`) and the property can be null.
    fn value(&mut self, property: Property, null_allowed: bool) -> Result<Value, QueryError> {
        let t = self.peek().clone();
        let name = property.name();
        let kind = property.kind();
        let value = match &t.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => {
                if matches!(kind, PropertyKind::Id | PropertyKind::Bool) {
                    return Err(QueryError::clause(name, format!("{name} is never null")));
                }
                if !null_allowed {
                    return Err(QueryError::clause(name, "null is compared only with eq or ne"));
                }
                Value::Null
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {
                if kind != PropertyKind::Bool {
                    return Err(QueryError::clause(
                        name,
                        format!("{name} is not a Boolean; {}", hint(kind)),
                    ));
                }
                Value::Bool(w.eq_ignore_ascii_case("true"))
            }
            Tok::Word(w) if Property::parse(w).is_some() => {
                return Err(QueryError::clause(name, "comparing two properties is not supported"));
            }
            Tok::Str(s) => match kind {
                PropertyKind::Id | PropertyKind::Text => Value::Text(s.clone()),
                PropertyKind::Enum => Value::Text(
                    property
                        .enum_values()
                        .iter()
                        .find(|v| v.eq_ignore_ascii_case(s))
                        .map_or_else(|| s.clone(), |v| (*v).to_owned()),
                ),
                PropertyKind::Bool => return Err(QueryError::clause(name, hint(kind))),
                // Lenient: a quoted date and time is taken as one.
                PropertyKind::DateTime => match parse_datetime(s) {
                    Some(at) => Value::DateTime(at),
                    None => return Err(QueryError::clause(name, hint(kind))),
                },
            },
            Tok::Literal(l) => match kind {
                PropertyKind::DateTime => match parse_datetime(l) {
                    Some(at) => Value::DateTime(at),
                    None => {
                        return Err(QueryError::syntax(
                            t.pos,
                            format!(
                                "'{}' is not a date and time such as 2024-01-01T00:00:00Z \
                                 (in a URL, write a + in an offset as %2B)",
                                super::shorten(l, 40)
                            ),
                        ));
                    }
                },
                _ => return Err(QueryError::clause(name, hint(kind))),
            },
            _ => return Err(self.expected(&format!("a value for {name}"))),
        };
        self.next();
        Ok(value)
    }
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// How a value of `kind` is written.
fn hint(kind: PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Id | PropertyKind::Text | PropertyKind::Enum => "compare it with a string in single quotes",
        PropertyKind::Bool => "compare it with true or false, without quotes",
        PropertyKind::DateTime => "compare it with a date and time such as 2024-01-01T00:00:00Z",
    }
}

/// An RFC 3339 date and time with an offset: OData's DateTimeOffset.
fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}
