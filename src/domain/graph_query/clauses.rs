//! The small `$filter` language of the API's other collections (groups,
//! service principals, the audit and sign-in logs): clauses joined by
//! `and`, each `property op literal` or `startswith(property,'prefix')`,
//! optionally in parentheses. Graph itself supports little more on these
//! resources, and scripts written for it use exactly these forms. Each
//! route then checks the properties and operators it takes
//! ([`Clause::refuse`] words the refusal).
//!
//! Read with the users filter's lexer, so strings, `''` escapes, positions
//! and the hints for other languages' symbols are the same everywhere.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::lexer::{Tok, Token, tokenize};
use super::{CompareOp, MAX_CLAUSES, MAX_DEPTH, MAX_FILTER_LEN, QueryError, shorten};

/// A literal as written: a string, a DateTimeOffset, or a word
/// (`true`, `false`, `null`, or a number).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    DateTime(OffsetDateTime),
    Word(String),
}

/// One clause of a conjunction. The property is as typed: each route
/// compares it with its own names, case-insensitively as Graph does.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    Compare {
        property: String,
        op: CompareOp,
        value: Literal,
    },
    StartsWith {
        property: String,
        prefix: String,
    },
}

impl Clause {
    pub fn property(&self) -> &str {
        match self {
            Clause::Compare { property, .. } | Clause::StartsWith { property, .. } => property,
        }
    }

    /// Graph's refusal of a clause a resource does not support.
    pub fn refuse(&self, resource: &str) -> QueryError {
        QueryError::Unsupported(format!(
            "Unsupported or invalid query filter clause specified for property '{}' of resource '{resource}'.",
            shorten(self.property(), 40)
        ))
    }
}

/// Parses `clause and clause and …` (already percent-decoded).
pub fn parse_conjunction(text: &str) -> Result<Vec<Clause>, QueryError> {
    if text.len() > 4 * MAX_FILTER_LEN || text.chars().count() > MAX_FILTER_LEN {
        return Err(QueryError::Unsupported(format!(
            "The $filter has more than {MAX_FILTER_LEN} characters."
        )));
    }
    let chars: Vec<char> = text.chars().collect();
    let tokens = tokenize(&chars);
    let mut reader = Reader { tokens: &tokens, at: 0 };
    let mut clauses = Vec::new();
    reader.conjunction(&mut clauses, 0)?;
    let end = reader.next();
    match end.tok {
        Tok::End => Ok(clauses),
        Tok::Bad(e) => Err(e),
        other => Err(QueryError::syntax(
            end.pos,
            format!("expected 'and', found {}", other.describe()),
        )),
    }
}

struct Reader<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.at.min(self.tokens.len() - 1)].tok
    }

    /// `item and item and …`, where an item is a clause or a conjunction
    /// in parentheses; stops before anything else (`)`, the end).
    fn conjunction(&mut self, clauses: &mut Vec<Clause>, depth: usize) -> Result<(), QueryError> {
        loop {
            if self.peek() == &Tok::LParen {
                if depth == MAX_DEPTH {
                    return Err(QueryError::Unsupported(format!(
                        "The $filter nests parentheses more than {MAX_DEPTH} deep."
                    )));
                }
                self.next();
                self.conjunction(clauses, depth + 1)?;
                self.expect(&Tok::RParen, "')'")?;
            } else {
                if clauses.len() == MAX_CLAUSES {
                    return Err(QueryError::Unsupported(format!(
                        "The $filter has more than {MAX_CLAUSES} clauses."
                    )));
                }
                let clause = self.clause()?;
                clauses.push(clause);
            }
            let next = self.peek();
            if next.is_word("and") {
                self.next();
            } else if next.is_word("or") {
                return Err(QueryError::Unsupported(
                    "The 'or' operator is not supported on this resource: send one request per alternative.".into(),
                ));
            } else {
                return Ok(());
            }
        }
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.at.min(self.tokens.len() - 1)].clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        token
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), QueryError> {
        let token = self.next();
        match &token.tok {
            t if t == want => Ok(()),
            Tok::Bad(e) => Err(e.clone()),
            t => Err(QueryError::syntax(
                token.pos,
                format!("expected {what}, found {}", t.describe()),
            )),
        }
    }

    /// `property op literal` or `startswith(property,'prefix')`.
    fn clause(&mut self) -> Result<Clause, QueryError> {
        let token = self.next();
        match &token.tok {
            t if t.is_word("not") => Err(QueryError::Unsupported(
                "The 'not' operator is not supported on this resource.".into(),
            )),
            t if t.is_word("startswith") => {
                self.expect(&Tok::LParen, "'(' after startswith")?;
                let property = self.property()?;
                self.expect(&Tok::Comma, "','")?;
                let prefix = match self.next() {
                    Token { tok: Tok::Str(s), .. } => s,
                    Token { tok: Tok::Bad(e), .. } => return Err(e),
                    t => {
                        return Err(QueryError::syntax(
                            t.pos,
                            format!("startswith takes a string such as 'a', found {}", t.tok.describe()),
                        ));
                    }
                };
                self.expect(&Tok::RParen, "')'")?;
                Ok(Clause::StartsWith { property, prefix })
            }
            Tok::Word(property) => {
                let op_token = self.next();
                let op = match &op_token.tok {
                    Tok::Word(w) => CompareOp::parse(w),
                    Tok::Bad(e) => return Err(e.clone()),
                    _ => None,
                };
                let Some(op) = op else {
                    return Err(QueryError::syntax(
                        op_token.pos,
                        format!(
                            "expected an operator (eq, ne, gt, ge, lt, le), found {}",
                            op_token.tok.describe()
                        ),
                    ));
                };
                let value = self.literal()?;
                Ok(Clause::Compare {
                    property: property.clone(),
                    op,
                    value,
                })
            }
            Tok::Bad(e) => Err(e.clone()),
            t => Err(QueryError::syntax(
                token.pos,
                format!("expected a property, found {}", t.describe()),
            )),
        }
    }

    fn property(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Token { tok: Tok::Word(w), .. } => Ok(w),
            Token { tok: Tok::Bad(e), .. } => Err(e),
            t => Err(QueryError::syntax(
                t.pos,
                format!("expected a property, found {}", t.tok.describe()),
            )),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let token = self.next();
        match token.tok {
            Tok::Str(s) => Ok(Literal::Text(s)),
            Tok::Literal(l) => match OffsetDateTime::parse(&l, &Rfc3339) {
                Ok(at) => Ok(Literal::DateTime(at)),
                Err(_) => Ok(Literal::Word(l)),
            },
            Tok::Word(w) => Ok(Literal::Word(w)),
            Tok::Bad(e) => Err(e),
            t => Err(QueryError::syntax(
                token.pos,
                format!("expected a value, found {}", t.describe()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_joined_by_and_are_read_in_order() {
        let clauses = parse_conjunction(
            "((activityDateTime ge 2024-05-01T00:00:00Z) and activityDisplayName eq 'Add group') AND startswith(displayName,'O''B')",
        )
        .unwrap();
        assert_eq!(clauses.len(), 3);
        assert!(matches!(
            &clauses[0],
            Clause::Compare { property, op: CompareOp::Ge, value: Literal::DateTime(at) }
                if property == "activityDateTime" && at.unix_timestamp() == 1_714_521_600
        ));
        assert_eq!(
            clauses[1],
            Clause::Compare {
                property: "activityDisplayName".into(),
                op: CompareOp::Eq,
                value: Literal::Text("Add group".into())
            }
        );
        assert_eq!(
            clauses[2],
            Clause::StartsWith {
                property: "displayName".into(),
                prefix: "O'B".into()
            }
        );
    }

    #[test]
    fn or_not_and_broken_text_are_refused_with_graph_codes() {
        for (text, code) in [
            ("displayName eq 'a' or displayName eq 'b'", "Request_UnsupportedQuery"),
            ("not displayName eq 'a'", "Request_UnsupportedQuery"),
            ("displayName == 'a'", "Request_BadRequest"),
            ("displayName eq 'a", "Request_BadRequest"),
            ("displayName eq", "Request_BadRequest"),
            ("startswith(displayName, 1)", "Request_BadRequest"),
            ("(displayName eq 'a'", "Request_BadRequest"),
            ("displayName eq 'a')", "Request_BadRequest"),
            ("()", "Request_BadRequest"),
            ("displayName eq 'a' and", "Request_BadRequest"),
            ("displayName eq 'a' displayName", "Request_BadRequest"),
            ("", "Request_BadRequest"),
        ] {
            let e = parse_conjunction(text).unwrap_err();
            assert_eq!(e.code(), code, "{text}: {e}");
        }
        let long = vec!["a eq 'b'"; MAX_CLAUSES + 1].join(" and ");
        assert_eq!(parse_conjunction(&long).unwrap_err().code(), "Request_UnsupportedQuery");
        assert!(parse_conjunction(&"x".repeat(MAX_FILTER_LEN + 1)).is_err());
        let deep = format!("{}a eq 'b'{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert_eq!(parse_conjunction(&deep).unwrap_err().code(), "Request_UnsupportedQuery");
        let fine = format!("{}a eq 'b'{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_conjunction(&fine).is_ok());
    }

    #[test]
    fn refusals_name_the_property_and_the_resource() {
        let clause = &parse_conjunction("mail eq 'a'").unwrap()[0];
        assert_eq!(
            clause.refuse("group").message(),
            "Unsupported or invalid query filter clause specified for property 'mail' of resource 'group'."
        );
    }
}
