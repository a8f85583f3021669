//! Recursive descent over the tokens. Precedence, loosest first:
//!
//! ```text
//! or      := and   ( ("-or" | "or")   and   )*
//! and     := unary ( ("-and" | "and") unary )*
//! unary   := ("-not" | "not") unary | primary
//! primary := "(" or ")" | "user." PROPERTY OPERATOR value
//! value   := STRING | true | false | null | "[" STRING ("," STRING)* "]"
//! ```

use super::lexer::{Tok, Token};
use super::{Comparison, Expr, MAX_DEPTH, Operator, Property, RuleError, Value};

/// Entra operators this portal does not offer, named so the error can say so.
const UNSUPPORTED: [&str; 12] = [
    "endsWith",
    "notEndsWith",
    "match",
    "notMatch",
    "any",
    "all",
    "le",
    "ge",
    "lt",
    "gt",
    "like",
    "notLike",
];

const OPERATORS: &str = "-eq, -ne, -contains, -notContains, -startsWith, -notStartsWith, -in, -notIn";

pub(super) fn parse(tokens: &[Token]) -> Result<Expr, RuleError> {
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    if p.peek().tok == Tok::End {
        return Err(RuleError::at(
            1,
            "the rule is empty: write a condition such as user.userType -eq \"Guest\"",
        ));
    }
    let expr = p.or()?;
    let t = p.peek();
    match t.tok {
        Tok::End => Ok(expr),
        Tok::RParen => Err(RuleError::at(t.pos, "this \")\" has no matching \"(\"")),
        _ => Err(p.expected("-and, -or or the end of the rule")),
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at]
    }

    /// The current token, moving past it (never past the end).
    fn next(&mut self) -> Token {
        let t = self.tokens[self.at].clone();
        if t.tok != Tok::End {
            self.at += 1;
        }
        t
    }

    /// "expected X, found Y" at the current token.
    fn expected(&self, what: &str) -> RuleError {
        let t = self.peek();
        RuleError::at(t.pos, format!("expected {what}, found {}", t.tok.describe()))
    }

    fn enter(&mut self, pos: usize) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RuleError::at(
                pos,
                format!("parentheses and -not nest more than {MAX_DEPTH} levels deep here: simplify the rule"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.and()?;
        while self.peek().tok.is_keyword("or") {
            self.next();
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.unary()?;
        while self.peek().tok.is_keyword("and") {
            self.next();
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        if !self.peek().tok.is_keyword("not") {
            return self.primary();
        }
        let not = self.next();
        // `-not (` is one level, so the canonical `-not (…)` is never deeper
        // than what was typed.
        let own_level = self.peek().tok != Tok::LParen;
        if own_level {
            self.enter(not.pos)?;
        }
        let inner = self.unary()?;
        if own_level {
            self.depth -= 1;
        }
        Ok(Expr::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        if self.peek().tok != Tok::LParen {
            return self.comparison().map(Expr::Compare);
        }
        let open = self.next();
        self.enter(open.pos)?;
        let inner = self.or()?;
        self.depth -= 1;
        if self.peek().tok != Tok::RParen {
            return Err(self.expected(&format!(
                "-and, -or or a \")\" to close the \"(\" at character {}",
                open.pos
            )));
        }
        self.next();
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Comparison, RuleError> {
        let property = self.property()?;
        let operator = self.operator()?;
        if property.is_boolean() && !matches!(operator, Operator::Eq | Operator::Ne) {
            let pos = self.tokens[self.at - 1].pos;
            return Err(RuleError::at(
                pos,
                format!("{} is true or false, so it takes only -eq or -ne", property.name()),
            ));
        }
        let value = self.value(property, operator)?;
        Ok(Comparison {
            property,
            operator,
            value,
        })
    }

    fn property(&mut self) -> Result<Property, RuleError> {
        let after = match self.at.checked_sub(1).map(|i| &self.tokens[i].tok) {
            Some(prev) => format!(" after {}", prev.describe()),
            None => String::new(),
        };
        let condition = format!("a condition such as user.userType -eq \"Guest\"{after}");
        let t = self.peek().clone();
        let Tok::Word(word) = &t.tok else {
            return Err(self.expected(&condition));
        };
        let name = match word.get(..5) {
            Some(prefix) if prefix.eq_ignore_ascii_case("user.") => &word[5..],
            _ => {
                return Err(match Property::parse(word) {
                    Some(p) => RuleError::at(t.pos, format!("write the property as user.{}", p.name())),
                    None => self.expected(&condition),
                });
            }
        };
        let Some(property) = Property::parse(name) else {
            let names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
            let message = if name.is_empty() {
                format!("expected a property name after \"user.\", one of {}", names.join(", "))
            } else {
                format!("unknown property \"{name}\": use one of {}", names.join(", "))
            };
            return Err(RuleError::at(t.pos + 5, message));
        };
        self.next();
        Ok(property)
    }

    fn operator(&mut self) -> Result<Operator, RuleError> {
        let t = self.peek().clone();
        let found = match &t.tok {
            Tok::Dash(w) => Operator::parse(w).ok_or(w),
            Tok::Word(w) if Operator::parse(w).is_some() => {
                return Err(RuleError::at(t.pos, format!("write the operator with a dash: -{w}")));
            }
            _ => return Err(self.expected("an operator such as -eq")),
        };
        match found {
            Ok(op) => {
                self.next();
                Ok(op)
            }
            Err(w) if UNSUPPORTED.iter().any(|u| u.eq_ignore_ascii_case(w)) => Err(RuleError::at(
                t.pos,
                format!("the operator -{w} is not supported: use one of {OPERATORS}"),
            )),
            Err(_) => Err(self.expected("an operator such as -eq")),
        }
    }

    fn value(&mut self, property: Property, operator: Operator) -> Result<Value, RuleError> {
        let op = operator.name();
        let t = self.peek().clone();
        let value = match (&t.tok, operator) {
            (Tok::Word(w), _) if property.is_boolean() && w.eq_ignore_ascii_case("true") => Value::Bool(true),
            (Tok::Word(w), _) if property.is_boolean() && w.eq_ignore_ascii_case("false") => Value::Bool(false),
            (_, _) if property.is_boolean() => {
                return Err(self.expected(&format!("true or false (without quotes) after {op}")));
            }
            (Tok::LBracket, Operator::In | Operator::NotIn) => return self.list(op),
            (_, Operator::In | Operator::NotIn) => {
                return Err(self.expected(&format!("a list such as [\"a\", \"b\"] after {op}")));
            }
            (Tok::Str(s), _) => Value::String(s.clone()),
            (Tok::Word(w), Operator::Eq | Operator::Ne) if w.eq_ignore_ascii_case("null") => Value::Null,
            (Tok::Word(w), _) if w.eq_ignore_ascii_case("null") => {
                return Err(RuleError::at(t.pos, "null goes only with -eq or -ne"));
            }
            (Tok::Word(w), _) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {
                return Err(RuleError::at(
                    t.pos,
                    format!("{} holds text: put the value in quotes, like \"{w}\"", property.name()),
                ));
            }
            (Tok::LBracket, _) => {
                return Err(RuleError::at(t.pos, "a list of values goes only with -in or -notIn"));
            }
            _ => return Err(self.expected(&format!("a value in quotes after {op}, like \"Guest\""))),
        };
        self.next();
        Ok(value)
    }

    fn list(&mut self, op: &str) -> Result<Value, RuleError> {
        let open = self.next();
        if self.peek().tok == Tok::RBracket {
            return Err(RuleError::at(
                open.pos,
                format!("the list after {op} is empty: give at least one value"),
            ));
        }
        let mut items = Vec::new();
        loop {
            let Tok::Str(item) = &self.peek().tok else {
                return Err(self.expected("a value in quotes in the list"));
            };
            items.push(item.clone());
            self.next();
            match self.peek().tok {
                Tok::Comma => {
                    self.next();
                }
                Tok::RBracket => {
                    self.next();
                    return Ok(Value::List(items));
                }
                _ => {
                    return Err(self.expected(&format!("\",\" or a \"]\" to close the list at character {}", open.pos)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MAX_LEN, MembershipRule};
    use super::*;

    fn parse(input: &str) -> Expr {
        MembershipRule::parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .expr()
            .clone()
    }

    fn err(input: &str) -> RuleError {
        MembershipRule::parse(input).expect_err(input)
    }

    fn cmp(property: Property, operator: Operator, value: Value) -> Expr {
        Expr::Compare(Comparison {
            property,
            operator,
            value,
        })
    }

    fn guest() -> Expr {
        cmp(Property::UserType, Operator::Eq, Value::String("Guest".into()))
    }

    fn mail_null(operator: Operator) -> Expr {
        cmp(Property::Mail, operator, Value::Null)
    }

    fn and(l: Expr, r: Expr) -> Expr {
        Expr::And(Box::new(l), Box::new(r))
    }

    fn or(l: Expr, r: Expr) -> Expr {
        Expr::Or(Box::new(l), Box::new(r))
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    #[test]
    fn each_operator_parses_in_any_case() {
        for op in Operator::ALL {
            let value = if matches!(op, Operator::In | Operator::NotIn) {
                "[\"x\"]"
            } else {
                "\"x\""
            };
            for spelling in [
                op.name().to_string(),
                op.name().to_uppercase(),
                op.name().to_lowercase(),
            ] {
                let Expr::Compare(c) = parse(&format!("user.mail {spelling} {value}")) else {
                    panic!("{spelling}");
                };
                assert_eq!(c.operator, op, "{spelling}");
            }
        }
    }

    #[test]
    fn property_names_ignore_case_and_keep_entras_spelling() {
        for p in Property::ALL {
            let value = if p.is_boolean() { "true" } else { "\"x\"" };
            let upper = format!("USER.{} -EQ {value}", p.name().to_uppercase());
            let Expr::Compare(c) = parse(&upper) else { panic!() };
            assert_eq!(c.property, p);
            assert!(
                MembershipRule::parse(&upper)
                    .unwrap()
                    .to_string()
                    .starts_with(&format!("user.{} -eq", p.name()))
            );
        }
    }

    #[test]
    fn values_parse_to_their_kinds() {
        let Expr::Compare(c) = parse(r#"user.mail -in ['a', "b\"c", "日本"]"#) else {
            panic!()
        };
        assert_eq!(c.value, Value::List(vec!["a".into(), "b\"c".into(), "日本".into()]));
        let Expr::Compare(c) = parse("user.accountEnabled -ne False") else {
            panic!()
        };
        assert_eq!(c.value, Value::Bool(false));
        assert_eq!(parse("user.mail -eq Null"), mail_null(Operator::Eq));
        let Expr::Compare(c) = parse(r#"user.mail -eq "null""#) else {
            panic!()
        };
        assert_eq!(c.value, Value::String("null".into()));
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        let (a, b, c) = (guest(), mail_null(Operator::Eq), mail_null(Operator::Ne));
        let text = r#"user.userType -eq "Guest" -or user.mail -eq null -and -not user.mail -ne null"#;
        assert_eq!(parse(text), or(a.clone(), and(b.clone(), not(c.clone()))));
        let text = r#"-not user.userType -eq "Guest" -and user.mail -eq null -or user.mail -ne null"#;
        assert_eq!(parse(text), or(and(not(a.clone()), b.clone()), c.clone()));
        let text = r#"not (user.userType -eq "Guest" or user.mail -eq null) and user.mail -ne null"#;
        assert_eq!(parse(text), and(not(or(a.clone(), b.clone())), c.clone()));
    }

    #[test]
    fn chains_are_left_associative_and_parentheses_regroup() {
        let (a, b, c) = (guest(), mail_null(Operator::Eq), mail_null(Operator::Ne));
        let abc = r#"user.userType -eq "Guest" -and user.mail -eq null -and user.mail -ne null"#;
        assert_eq!(parse(abc), and(and(a.clone(), b.clone()), c.clone()));
        let regrouped = r#"user.userType -eq "Guest" -or (user.mail -eq null -or user.mail -ne null)"#;
        assert_eq!(parse(regrouped), or(a.clone(), or(b.clone(), c.clone())));
        assert_eq!(parse(r#"((( user.userType -eq "Guest" )))"#), a);
    }

    #[test]
    fn an_empty_rule_is_refused() {
        for empty in ["", "   ", "\n\t"] {
            assert_eq!(err(empty).position, 1);
            assert!(err(empty).message.contains("empty"));
        }
    }

    #[test]
    fn an_unsupported_operator_is_named_where_it_stands() {
        let e = err(r#"(user.companyName -eq "Fabrikam") -and (user.mail -endsWith "@fabrikam.com")"#);
        assert_eq!(e.position, 51);
        assert!(e.message.contains("-endsWith is not supported"), "{e}");
        assert!(e.message.contains("-notStartsWith"), "{e}");
        assert_eq!(err(r#"user.mail -match "x""#).position, 11);
    }

    #[test]
    fn typical_mistakes_are_reported_where_they_are() {
        let cases: &[(&str, usize, &str)] = &[
            (r#"user.mail -eq "abc"#, 15, "never closed"),
            (r#"user.department -eq "Sales""#, 6, "unknown property \"department\""),
            (r#"user. -eq "Sales""#, 6, "expected a property name"),
            (r#"mail -eq "a""#, 1, "write the property as user.mail"),
            (r#"user.mail eq "a""#, 11, "write the operator with a dash: -eq"),
            (
                r#"user.mail foo "a""#,
                11,
                "expected an operator such as -eq, found \"foo\"",
            ),
            (
                r#"user.mail -and "a""#,
                11,
                "expected an operator such as -eq, found \"-and\"",
            ),
            (
                "user.mail -eq",
                14,
                "expected a value in quotes after -eq, like \"Guest\", found the end of the rule",
            ),
            ("user.mail -eq Guest", 15, "found \"Guest\""),
            (
                r#"user.mail -eq "a" -and"#,
                23,
                "expected a condition such as user.userType -eq \"Guest\" after \"-and\"",
            ),
            (
                r#"user.mail -eq "a" -or -or user.mail -eq "b""#,
                23,
                "after \"-or\", found \"-or\"",
            ),
            (
                r#"(user.mail -eq "a""#,
                19,
                "to close the \"(\" at character 1, found the end of the rule",
            ),
            (
                r#"((user.mail -eq "a") "b")"#,
                22,
                "to close the \"(\" at character 1, found the text \"b\"",
            ),
            (r#"user.mail -eq "a")"#, 18, "this \")\" has no matching \"(\""),
            (
                r#"()"#,
                2,
                "expected a condition such as user.userType -eq \"Guest\" after \"(\", found \")\"",
            ),
            (
                r#"user.mail -eq "a" foo"#,
                19,
                "expected -and, -or or the end of the rule, found \"foo\"",
            ),
            (
                r#"user.mail -eq "a" user.mail -eq "b""#,
                19,
                "expected -and, -or or the end",
            ),
            (
                r#"user.accountEnabled -contains "t""#,
                21,
                "accountEnabled is true or false",
            ),
            (
                r#"user.accountEnabled -eq "true""#,
                25,
                "true or false (without quotes)",
            ),
            ("user.accountEnabled -eq null", 25, "true or false"),
            (
                "user.userType -eq true",
                19,
                "userType holds text: put the value in quotes, like \"true\"",
            ),
            ("user.mail -contains null", 21, "null goes only with -eq or -ne"),
            (r#"user.mail -in "a""#, 15, "a list such as [\"a\", \"b\"] after -in"),
            (r#"user.mail -eq ["a"]"#, 15, "only with -in or -notIn"),
            (r#"user.mail -notIn []"#, 18, "the list after -notIn is empty"),
            (
                r#"user.mail -in ["a" "b"]"#,
                20,
                "\",\" or a \"]\" to close the list at character 15",
            ),
            (
                r#"user.mail -in ["a", ]"#,
                21,
                "a value in quotes in the list, found \"]\"",
            ),
            (
                r#"user.mail -in ["a""#,
                19,
                "to close the list at character 15, found the end",
            ),
        ];
        for (input, position, message) in cases {
            let e = err(input);
            assert_eq!(e.position, *position, "{input}: {e}");
            assert!(e.message.contains(message), "{input}: {e}");
        }
    }

    #[test]
    fn the_error_reads_as_a_sentence_for_an_admin() {
        assert_eq!(
            err(r#"user.mail  foo "x""#).to_string(),
            "at character 12: expected an operator such as -eq, found \"foo\""
        );
    }

    #[test]
    fn rules_longer_than_entras_limit_are_refused() {
        let one = r#"user.mail -eq "a" -or "#;
        let mut long = one.repeat(MAX_LEN / one.len() + 1);
        long.push_str(r#"user.mail -eq "a""#);
        let e = err(&long);
        assert_eq!(e.position, MAX_LEN + 1);
        assert!(e.message.contains("at most 3072 characters"), "{e}");
        // Counted in characters, not bytes.
        let wide = format!(r#"user.mail -eq "{}""#, "日".repeat(MAX_LEN - 20));
        assert!(MembershipRule::parse(&wide).is_ok());
    }

    #[test]
    fn a_rule_whose_standard_form_is_too_long_is_refused() {
        // `or` becomes `-or`: within the limit as typed, over it once printed.
        let one = "user.mail -eq null or ";
        let mut text = one.repeat((MAX_LEN - 20) / one.len());
        text.push_str("user.mail -eq null");
        assert!(text.chars().count() <= MAX_LEN);
        let e = err(&text);
        assert_eq!(e.position, 1);
        assert!(e.message.contains("standard form"), "{e}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let ok = format!("{}user.mail -eq null{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(MembershipRule::parse(&ok).is_ok());
        let deep = format!(
            "{}user.mail -eq null{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = err(&deep);
        assert_eq!(e.position, MAX_DEPTH + 1);
        assert!(e.message.contains("more than 32 levels"), "{e}");
        let nots = format!("{}user.mail -eq null", "-not ".repeat(MAX_DEPTH + 1));
        assert_eq!(err(&nots).position, MAX_DEPTH * 5 + 1);
        // `-not (` counts once, so Entra's usual spelling goes as deep as parentheses.
        let not_parens = format!(
            "{}user.mail -eq null{}",
            "-not (".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(MembershipRule::parse(&not_parens).is_ok());
        // And a deep `-not` chain prints to something that parses again.
        let chain = MembershipRule::parse(&format!("{}user.mail -eq null", "not ".repeat(MAX_DEPTH))).unwrap();
        assert_eq!(MembershipRule::parse(&chain.to_string()).unwrap(), chain);
    }
}
