//! The membership rule of a Dynamic User group, in Entra's syntax:
//! `user.userType -eq "Guest" -and (user.companyName -in ["Fabrikam", "Contoso"])`.
//!
//! A rule is parsed once into an AST ([`MembershipRule::parse`]), evaluated
//! against a user's attributes ([`MembershipRule::matches`]) and printed back
//! in one canonical form (`Display`) that always parses to the same AST, so
//! the canonical text is what gets stored.

mod eval;
mod lexer;
mod parser;

use std::fmt;

/// Entra's limit on the length of a rule, in characters.
pub const MAX_LEN: usize = 3072;
/// How deeply parentheses and `-not` may nest.
pub const MAX_DEPTH: usize = 32;

/// A parsed rule. Built only by [`MembershipRule::parse`], so it is always
/// one that its own `Display` output parses back to.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipRule {
    expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Compare(Comparison),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// `user.<property> <operator> <value>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub property: Property,
    pub operator: Operator,
    pub value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    ObjectId,
    DisplayName,
    Mail,
    UserPrincipalName,
    UserType,
    CompanyName,
    AccountEnabled,
    ExternalUserState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    NotStartsWith,
    In,
    NotIn,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Bool(bool),
    Null,
    List(Vec<String>),
}

/// What a rule can look at: the user's properties with Entra's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserAttributes<'a> {
    pub object_id: &'a str,
    pub display_name: &'a str,
    pub mail: Option<&'a str>,
    pub user_principal_name: &'a str,
    /// "Member" or "Guest".
    pub user_type: &'a str,
    pub company_name: Option<&'a str>,
    pub account_enabled: bool,
    /// "PendingAcceptance" or "Accepted"; none for users never invited.
    pub external_user_state: Option<&'a str>,
}

/// Why a rule does not parse, and where: `position` is the 1-based character
/// column the admin should look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub position: usize,
    pub message: String,
}

impl RuleError {
    fn at(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position, self.message)
    }
}

impl std::error::Error for RuleError {}

impl MembershipRule {
    pub fn parse(input: &str) -> Result<MembershipRule, RuleError> {
        let chars: Vec<char> = input.chars().collect();
        if chars.len() > MAX_LEN {
            return Err(RuleError::at(
                MAX_LEN + 1,
                format!(
                    "a rule has at most {MAX_LEN} characters and this one has {}",
                    chars.len()
                ),
            ));
        }
        let tokens = lexer::tokenize(&chars)?;
        let rule = MembershipRule {
            expr: parser::parse(&tokens)?,
        };
        // The canonical form is what gets stored: it must fit the limit too.
        // (It is never nested deeper than the input, but `and` becomes
        // `-and` and quotes may gain a backslash, so it can be longer.)
        let canonical = rule.to_string().chars().count();
        if canonical > MAX_LEN {
            return Err(RuleError::at(
                1,
                format!(
                    "written in standard form (with -and, -or and double quotes) this rule has {canonical} \
                     characters, more than the {MAX_LEN} allowed"
                ),
            ));
        }
        Ok(rule)
    }

    /// Whether `user` belongs in the group.
    pub fn matches(&self, user: &UserAttributes<'_>) -> bool {
        eval::eval(&self.expr, user)
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl std::str::FromStr for MembershipRule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Property {
    pub const ALL: [Property; 8] = [
        Property::UserType,
        Property::Mail,
        Property::DisplayName,
        Property::CompanyName,
        Property::AccountEnabled,
        Property::ObjectId,
        Property::UserPrincipalName,
        Property::ExternalUserState,
    ];

    /// Entra's spelling, as printed after `user.`.
    pub fn name(self) -> &'static str {
        match self {
            Property::ObjectId => "objectId",
            Property::DisplayName => "displayName",
            Property::Mail => "mail",
            Property::UserPrincipalName => "userPrincipalName",
            Property::UserType => "userType",
            Property::CompanyName => "companyName",
            Property::AccountEnabled => "accountEnabled",
            Property::ExternalUserState => "externalUserState",
        }
    }

    /// Case-insensitive, like Entra.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    pub fn is_boolean(self) -> bool {
        self == Property::AccountEnabled
    }
}

impl Operator {
    pub const ALL: [Operator; 8] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Contains,
        Operator::NotContains,
        Operator::StartsWith,
        Operator::NotStartsWith,
        Operator::In,
        Operator::NotIn,
    ];

    /// Entra's spelling, with its dash.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Eq => "-eq",
            Operator::Ne => "-ne",
            Operator::Contains => "-contains",
            Operator::NotContains => "-notContains",
            Operator::StartsWith => "-startsWith",
            Operator::NotStartsWith => "-notStartsWith",
            Operator::In => "-in",
            Operator::NotIn => "-notIn",
        }
    }

    /// The word after the dash, case-insensitive: `parse("EQ")` is `Eq`.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name()[1..].eq_ignore_ascii_case(word))
    }
}

/// `s` in double quotes, with `"` and `\` escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(&quote(s)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(|s| quote(s)).collect();
                write!(f, "[{}]", items.join(", "))
            }
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "user.{} {} {}",
            self.property.name(),
            self.operator.name(),
            self.value
        )
    }
}

impl Expr {
    /// Or 1, And 2, Not and comparisons 3: a child printed where a higher
    /// level is required gets parentheses.
    fn level(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Not(_) | Expr::Compare(_) => 3,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.level() < min {
            f.write_str("(")?;
            self.write(f, 0)?;
            return f.write_str(")");
        }
        match self {
            // Left-associative: a left child of the same kind needs no parentheses.
            Expr::Or(l, r) => {
                l.write(f, 1)?;
                f.write_str(" -or ")?;
                r.write(f, 2)
            }
            Expr::And(l, r) => {
                l.write(f, 2)?;
                f.write_str(" -and ")?;
                r.write(f, 3)
            }
            // Always `-not (…)`, the way Entra writes it; the parser counts
            // `-not (` as one level, so this never nests deeper than the input.
            Expr::Not(inner) => {
                f.write_str("-not (")?;
                inner.write(f, 0)?;
                f.write_str(")")
            }
            Expr::Compare(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

impl fmt::Display for MembershipRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

#[cfg(test)]
mod tests;
