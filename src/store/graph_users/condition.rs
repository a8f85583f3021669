//! A parsed `$filter` as an SQL condition over `users` (see the notes of
//! the parent module).

use super::Cursor;
use crate::domain::graph_query::{CompareOp, Filter, Order, Property, Value};
use crate::store::{Binds, flag};

/// Live users, matching `filter` when there is one.
pub(super) fn live_matching(binds: &mut Binds, filter: Option<&Filter>) -> String {
    match filter {
        None => "deleted_at IS NULL".to_owned(),
        Some(f) => format!("deleted_at IS NULL AND {}", condition(binds, f)),
    }
}

/// `filter` as [`condition`] does, for rows past `cursor`: a
/// `startswith(displayName, …)` that must hold (at the top, or among
/// top-level `and`s) loses the bound of its range that the cursor already
/// implies, so the walk of the name-ordered index starts at the cursor and
/// still stops at the end of the prefix, instead of starting at the prefix
/// again on every page.
pub(super) fn condition_after(binds: &mut Binds, filter: &Filter, cursor: &Cursor, order: Order) -> String {
    match filter {
        Filter::StartsWith {
            property: Property::DisplayName,
            prefix,
        } => {
            let low = prefix.to_lowercase();
            let high = next_after_prefix(&low);
            let at = cursor.display_name_lower.as_str();
            match order {
                // Every name after the cursor is at or past the prefix.
                Order::Asc if at >= low.as_str() => match high {
                    Some(high) => format!("display_name_lower < {}", binds.text(high)),
                    None => "1 = 1".to_owned(),
                },
                // Every name before the cursor is before the end of the prefix.
                Order::Desc if high.as_deref().is_none_or(|h| at < h) => {
                    format!("display_name_lower >= {}", binds.text(low))
                }
                _ => condition(binds, filter),
            }
        }
        Filter::And(items) if !items.is_empty() => {
            let parts: Vec<String> = items.iter().map(|f| condition_after(binds, f, cursor, order)).collect();
            format!("({})", parts.join(" AND "))
        }
        _ => condition(binds, filter),
    }
}

/// How a property is stored and compared.
struct Column {
    /// The expression compared.
    sql: &'static str,
    /// The stored column, for null tests.
    stored: &'static str,
    /// Whether it can be null.
    nullable: bool,
    key: Key,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A stored lower-cased column (byte order on both databases): values
    /// are lower-cased here, and `startswith` is a key range.
    Lowered,
    /// Compared as `lower(value)`; `startswith` is a `LIKE`.
    LowerInSql,
    /// Canonical words, compared as they are.
    Exact,
    /// INTEGER 0 or 1.
    Flag,
    /// Unix seconds.
    Seconds,
}

fn column(p: Property) -> Column {
    let (sql, nullable, key) = match p {
        Property::Id => ("id", false, Key::Lowered),
        Property::DisplayName => ("display_name_lower", false, Key::Lowered),
        Property::Mail => ("mail_lower", true, Key::Lowered),
        Property::UserPrincipalName => ("upn_lower", false, Key::Lowered),
        Property::CompanyName => ("lower(company_name)", true, Key::LowerInSql),
        Property::UserType => ("user_type", false, Key::Exact),
        Property::ExternalUserState => ("external_user_state", true, Key::Exact),
        Property::AccountEnabled => ("account_enabled", false, Key::Flag),
        Property::CreatedDateTime => ("created_at", false, Key::Seconds),
    };
    let stored = match p {
        Property::CompanyName => "company_name",
        _ => sql,
    };
    Column {
        sql,
        stored,
        nullable,
        key,
    }
}

/// `filter` as an SQL condition that is never null.
fn condition(binds: &mut Binds, filter: &Filter) -> String {
    match filter {
        Filter::Compare { property, op, value } => compare(binds, column(*property), *op, value),
        Filter::In { property, values } => in_list(binds, column(*property), values),
        Filter::StartsWith { property, prefix } => starts_with(binds, column(*property), prefix),
        Filter::Not(inner) => format!("NOT ({})", condition(binds, inner)),
        Filter::And(items) if items.is_empty() => "1 = 1".to_owned(),
        Filter::Or(items) if items.is_empty() => "1 = 0".to_owned(),
        Filter::And(items) | Filter::Or(items) => {
            let joiner = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let parts: Vec<String> = items.iter().map(|f| condition(binds, f)).collect();
            format!("({})", parts.join(joiner))
        }
    }
}

/// `test` on `col`, with null giving false.
fn not_null(col: &Column, test: String) -> String {
    if col.nullable {
        format!("({} IS NOT NULL AND {test})", col.stored)
    } else {
        test
    }
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
    }
}

/// The placeholder of `value` keyed for `col`; `None` when no stored value
/// can equal it (a time between two whole seconds) or it does not fit the
/// column (which the parser rules out).
fn placeholder(binds: &mut Binds, col: &Column, value: &Value) -> Option<String> {
    match (col.key, value) {
        (Key::Lowered, Value::Text(s)) => Some(binds.text(s.to_lowercase())),
        (Key::LowerInSql, Value::Text(s)) => Some(format!("lower({})", binds.text(s.clone()))),
        (Key::Exact, Value::Text(s)) => Some(binds.text(s.clone())),
        (Key::Flag, Value::Bool(b)) => Some(binds.int(flag(*b))),
        (Key::Seconds, Value::DateTime(at)) if at.nanosecond() == 0 => Some(binds.int(at.unix_timestamp())),
        _ => None,
    }
}

fn compare(binds: &mut Binds, col: Column, op: CompareOp, value: &Value) -> String {
    if *value == Value::Null {
        return match op {
            CompareOp::Ne => format!("{} IS NOT NULL", col.stored),
            _ => format!("{} IS NULL", col.stored),
        };
    }
    // Stored times are whole seconds: against t.5, `ge` and `gt` mean
    // "from t + 1", `le` and `lt` "up to t", `eq` nothing, `ne` everything.
    let (op, value) = match (col.key, value) {
        (Key::Seconds, Value::DateTime(at)) if at.nanosecond() != 0 => {
            let whole = Value::DateTime(at.replace_nanosecond(0).unwrap_or(*at));
            match op {
                CompareOp::Eq => return "1 = 0".to_owned(),
                CompareOp::Ne => return "1 = 1".to_owned(),
                CompareOp::Gt | CompareOp::Ge => (CompareOp::Gt, whole),
                CompareOp::Lt | CompareOp::Le => (CompareOp::Le, whole),
            }
        }
        _ => (op, value.clone()),
    };
    let Some(param) = placeholder(binds, &col, &value) else {
        return "1 = 0".to_owned();
    };
    let test = format!("{} {} {param}", col.sql, sql_op(op));
    match (op, col.nullable) {
        (CompareOp::Ne, true) => format!("({} IS NULL OR {test})", col.stored),
        _ => not_null(&col, test),
    }
}

fn in_list(binds: &mut Binds, col: Column, values: &[Value]) -> String {
    let params: Vec<String> = values.iter().filter_map(|v| placeholder(binds, &col, v)).collect();
    if params.is_empty() {
        return "1 = 0".to_owned();
    }
    let test = format!("{} IN ({})", col.sql, params.join(", "));
    not_null(&col, test)
}

fn starts_with(binds: &mut Binds, col: Column, prefix: &str) -> String {
    let test = match col.key {
        Key::Lowered => {
            let prefix = prefix.to_lowercase();
            let low = binds.text(prefix.clone());
            match next_after_prefix(&prefix) {
                Some(high) => {
                    let high = binds.text(high);
                    format!("{c} >= {low} AND {c} < {high}", c = col.sql)
                }
                None => format!("{} >= {low}", col.sql),
            }
        }
        Key::LowerInSql => {
            let pattern = binds.text(format!("{}%", escape_like(prefix)));
            format!("{} LIKE lower({pattern}) ESCAPE '!'", col.sql)
        }
        // The parser allows startswith on text properties only.
        Key::Exact | Key::Flag | Key::Seconds => return "1 = 0".to_owned(),
    };
    if col.nullable {
        format!("({} IS NOT NULL AND {test})", col.stored)
    } else {
        format!("({test})")
    }
}

/// `%`, `_` and `!` escaped with `!`, for `LIKE … ESCAPE '!'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// The least string greater than every string that starts with `prefix`,
/// in code point order (which is byte order in UTF-8): `prefix` with its
/// last character that can be incremented incremented and what follows it
/// dropped. `None` when there is none (an empty prefix, or only U+10FFFF):
/// then no upper bound is needed.
fn next_after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::list_sql;
    use super::*;
    use crate::domain::graph_query::parse_filter;

    fn sql(filter: &str) -> String {
        let mut binds = Binds::default();
        live_matching(&mut binds, Some(&parse_filter(filter).unwrap()))
    }

    #[test]
    fn values_are_bound_never_written_into_the_text() {
        let text = sql("displayName eq 'x'' OR 1=1 --' or startswith(companyName,'%') or mail in ('a','b')");
        assert!(!text.contains("OR 1=1"), "{text}");
        assert!(!text.contains("'%"), "{text}");
        assert_eq!(
            text,
            "deleted_at IS NULL AND (display_name_lower = $1 OR \
             (company_name IS NOT NULL AND lower(company_name) LIKE lower($2) ESCAPE '!') OR \
             (mail_lower IS NOT NULL AND mail_lower IN ($3, $4)))"
        );
    }

    #[test]
    fn null_gives_false_so_not_and_ne_keep_two_values() {
        assert_eq!(
            sql("mail ne 'a'"),
            "deleted_at IS NULL AND (mail_lower IS NULL OR mail_lower <> $1)"
        );
        assert_eq!(
            sql("not (companyName ge 'a')"),
            "deleted_at IS NULL AND NOT ((company_name IS NOT NULL AND lower(company_name) >= lower($1)))"
        );
        assert_eq!(sql("mail eq null"), "deleted_at IS NULL AND mail_lower IS NULL");
        assert_eq!(sql("userType ne 'Guest'"), "deleted_at IS NULL AND user_type <> $1");
    }

    #[test]
    fn times_between_seconds_compare_with_whole_seconds() {
        assert_eq!(
            sql("createdDateTime ge 2024-01-01T00:00:00Z"),
            "deleted_at IS NULL AND created_at >= $1"
        );
        assert_eq!(
            sql("createdDateTime ge 2024-01-01T00:00:00.5Z"),
            "deleted_at IS NULL AND created_at > $1"
        );
        assert_eq!(
            sql("createdDateTime lt 2024-01-01T00:00:00.5Z"),
            "deleted_at IS NULL AND created_at <= $1"
        );
        assert_eq!(
            sql("createdDateTime eq 2024-01-01T00:00:00.5Z"),
            "deleted_at IS NULL AND 1 = 0"
        );
        assert_eq!(
            sql("createdDateTime ne 2024-01-01T00:00:00.5Z"),
            "deleted_at IS NULL AND 1 = 1"
        );
        assert_eq!(
            sql("createdDateTime in (2024-01-01T00:00:00.5Z)"),
            "deleted_at IS NULL AND 1 = 0"
        );
    }

    #[test]
    fn a_name_prefix_after_a_cursor_keeps_only_the_bound_the_cursor_does_not_imply() {
        let page = |filter: &str, at: &str, order: Order| {
            let mut binds = Binds::default();
            let cursor = Cursor {
                display_name_lower: at.into(),
                id: "x".into(),
            };
            let f = parse_filter(filter).unwrap();
            let sql = list_sql(&mut binds, Some(&f), Some(&cursor), order, 10);
            let start = sql.find("WHERE ").unwrap() + 6;
            let end = sql.find(" ORDER BY").unwrap();
            sql[start..end].to_owned()
        };
        let s = "startswith(displayName,'Gr')";
        assert_eq!(
            page(s, "grace", Order::Asc),
            "deleted_at IS NULL AND display_name_lower < $1 AND (display_name_lower, id) > ($2, $3)"
        );
        // A cursor before the prefix: the prefix's start is the better bound.
        assert_eq!(
            page(s, "ada", Order::Asc),
            "deleted_at IS NULL AND (display_name_lower >= $1 AND display_name_lower < $2) \
             AND (display_name_lower, id) > ($3, $4)"
        );
        assert_eq!(
            page(s, "grace", Order::Desc),
            "deleted_at IS NULL AND display_name_lower >= $1 AND (display_name_lower, id) < ($2, $3)"
        );
        assert_eq!(
            page(s, "zed", Order::Desc),
            "deleted_at IS NULL AND (display_name_lower >= $1 AND display_name_lower < $2) \
             AND (display_name_lower, id) < ($3, $4)"
        );
        assert_eq!(
            page(
                &format!("userType eq 'Guest' and ({s} and accountEnabled eq true)"),
                "grace",
                Order::Asc
            ),
            "deleted_at IS NULL AND (user_type = $1 AND (display_name_lower < $2 AND account_enabled = $3)) \
             AND (display_name_lower, id) > ($4, $5)"
        );
        // Under `or` or `not` the prefix is not required, so it stays whole.
        assert!(page(&format!("not {s}"), "grace", Order::Asc).contains("NOT ((display_name_lower >= $1"));
    }

    #[test]
    fn like_wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape_like("50%_a!b\\"), "50!%!_a!!b\\");
    }

    #[test]
    fn the_upper_bound_of_a_prefix_is_exact() {
        assert_eq!(next_after_prefix("ab").as_deref(), Some("ac"));
        assert_eq!(next_after_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(next_after_prefix("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(next_after_prefix("z\u{10FFFF}\u{10FFFF}").as_deref(), Some("{"));
        assert_eq!(next_after_prefix(""), None);
        assert_eq!(next_after_prefix("\u{10FFFF}"), None);
    }
}
