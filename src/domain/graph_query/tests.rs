use time::macros::datetime;

use super::*;

fn parse(text: &str) -> Filter {
    parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> QueryError {
    match parse_filter(text) {
        Ok(f) => panic!("{text}: parsed as {f:?}"),
        Err(e) => e,
    }
}

fn bad_request(text: &str) -> String {
    let e = err(text);
    assert_eq!(e.code(), "Request_BadRequest", "{text}: {e}");
    e.message().to_owned()
}

fn unsupported(text: &str) -> String {
    let e = err(text);
    assert_eq!(e.code(), "Request_UnsupportedQuery", "{text}: {e}");
    e.message().to_owned()
}

fn cmp(property: Property, op: CompareOp, value: Value) -> Filter {
    Filter::Compare { property, op, value }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn guest() -> Filter {
    cmp(Property::UserType, CompareOp::Eq, text("Guest"))
}

fn pending() -> Filter {
    cmp(Property::ExternalUserState, CompareOp::Eq, text("PendingAcceptance"))
}

fn starts(property: Property, prefix: &str) -> Filter {
    Filter::StartsWith {
        property,
        prefix: prefix.into(),
    }
}

fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

#[test]
fn the_filters_graph_documents_and_scripts_use_parse() {
    assert_eq!(parse("userType eq 'Guest'"), guest());
    assert_eq!(parse("startswith(displayName,'a')"), starts(Property::DisplayName, "a"));
    assert_eq!(parse("externalUserState eq 'PendingAcceptance'"), pending());
    assert_eq!(
        parse("userType eq 'Guest' and externalUserState eq 'PendingAcceptance'"),
        Filter::And(vec![guest(), pending()])
    );
    assert_eq!(
        parse("accountEnabled eq false"),
        cmp(Property::AccountEnabled, CompareOp::Eq, Value::Bool(false))
    );
    assert_eq!(
        parse("createdDateTime ge 2024-01-01T00:00:00Z"),
        cmp(
            Property::CreatedDateTime,
            CompareOp::Ge,
            Value::DateTime(datetime!(2024-01-01 00:00:00 UTC))
        )
    );
    assert_eq!(parse("mail eq 'x'"), cmp(Property::Mail, CompareOp::Eq, text("x")));
    assert_eq!(
        parse("userPrincipalName eq 'a@b.c' or mail eq 'a@b.c'"),
        Filter::Or(vec![
            cmp(Property::UserPrincipalName, CompareOp::Eq, text("a@b.c")),
            cmp(Property::Mail, CompareOp::Eq, text("a@b.c")),
        ])
    );
    assert_eq!(
        parse("NOT(userType eq 'Member')"),
        not(cmp(Property::UserType, CompareOp::Eq, text("Member")))
    );
    assert_eq!(
        parse("companyName ne null"),
        cmp(Property::CompanyName, CompareOp::Ne, Value::Null)
    );
}

#[test]
fn every_comparison_operator_parses_in_any_case() {
    for op in CompareOp::ALL {
        for spelling in [op.name().to_owned(), op.name().to_uppercase()] {
            assert_eq!(
                parse(&format!("displayName {spelling} 'x'")),
                cmp(Property::DisplayName, op, text("x"))
            );
        }
    }
    assert_eq!(
        parse("startsWith(displayName,'a')"),
        parse("STARTSWITH(displayName, 'a')")
    );
    assert_eq!(
        parse("userType eq 'Guest' AND mail EQ NULL Or accountEnabled eq TRUE"),
        Filter::Or(vec![
            Filter::And(vec![guest(), cmp(Property::Mail, CompareOp::Eq, Value::Null)]),
            cmp(Property::AccountEnabled, CompareOp::Eq, Value::Bool(true)),
        ])
    );
}

#[test]
fn property_names_are_read_in_any_case_and_given_graph_spelling() {
    for p in Property::ALL {
        assert_eq!(Property::parse(&p.name().to_uppercase()), Some(p));
        assert_eq!(Property::parse(p.name()), Some(p));
    }
    assert_eq!(parse("UserType eq 'Guest'"), guest());
    assert_eq!(
        parse("userprincipalname eq 'x'"),
        cmp(Property::UserPrincipalName, CompareOp::Eq, text("x"))
    );
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_regroup() {
    let a = || cmp(Property::Mail, CompareOp::Eq, text("a"));
    let b = || cmp(Property::Mail, CompareOp::Eq, text("b"));
    let c = || cmp(Property::Mail, CompareOp::Eq, text("c"));
    assert_eq!(
        parse("mail eq 'a' or mail eq 'b' and mail eq 'c'"),
        Filter::Or(vec![a(), Filter::And(vec![b(), c()])])
    );
    assert_eq!(
        parse("(mail eq 'a' or mail eq 'b') and mail eq 'c'"),
        Filter::And(vec![Filter::Or(vec![a(), b()]), c()])
    );
    assert_eq!(parse("((mail eq 'a'))"), a());
    assert_eq!(
        parse("mail eq 'a' or mail eq 'b' or mail eq 'c'"),
        Filter::Or(vec![a(), b(), c()])
    );
    // `not` takes the clause after it, before `and`.
    assert_eq!(
        parse("not mail eq 'a' and mail eq 'b'"),
        Filter::And(vec![not(a()), b()])
    );
    assert_eq!(parse("not not mail eq 'a'"), not(not(a())));
}

#[test]
fn startswith_may_be_compared_with_true_or_false() {
    let s = || starts(Property::Mail, "a");
    assert_eq!(parse("startswith(mail,'a') eq true"), s());
    assert_eq!(parse("startswith(mail,'a') ne false"), s());
    assert_eq!(parse("startswith(mail,'a') eq false"), not(s()));
    assert_eq!(parse("startswith(mail,'a') NE TRUE"), not(s()));
    assert!(unsupported("startswith(mail,'a') eq 'x'").contains("true or false"));
    assert!(unsupported("startswith(mail,'a') ge true").contains("true or false"));
    assert_eq!(
        parse("startswith(mail,'a') eq true and userType eq 'Guest'"),
        Filter::And(vec![s(), guest()])
    );
}

#[test]
fn strings_resolve_doubled_quotes_and_keep_any_character() {
    assert_eq!(
        parse("displayName eq 'O''Brien'"),
        cmp(Property::DisplayName, CompareOp::Eq, text("O'Brien"))
    );
    assert_eq!(
        parse("displayName eq 'Zoë 日本 🎉 %_\\'"),
        cmp(Property::DisplayName, CompareOp::Eq, text("Zoë 日本 🎉 %_\\"))
    );
    assert_eq!(parse("startswith(companyName,'')"), starts(Property::CompanyName, ""));
    assert_eq!(
        parse("mail eq 'and or not'"),
        cmp(Property::Mail, CompareOp::Eq, text("and or not"))
    );
}

#[test]
fn enum_values_take_their_canonical_case() {
    assert_eq!(parse("userType eq 'guest'"), guest());
    assert_eq!(parse("externalUserState eq 'pendingacceptance'"), pending());
    // Unknown values are kept: they match nobody, as in Graph.
    assert_eq!(
        parse("userType eq 'Robot'"),
        cmp(Property::UserType, CompareOp::Eq, text("Robot"))
    );
    assert_eq!(
        parse("userType in ('MEMBER', 'guest')"),
        Filter::In {
            property: Property::UserType,
            values: vec![text("Member"), text("Guest")]
        }
    );
    assert_eq!(
        parse("externalUserState eq null"),
        cmp(Property::ExternalUserState, CompareOp::Eq, Value::Null)
    );
}

#[test]
fn in_takes_one_to_fifteen_values_of_the_property_type() {
    assert_eq!(
        parse("mail in ('a@x.com','b@x.com')"),
        Filter::In {
            property: Property::Mail,
            values: vec![text("a@x.com"), text("b@x.com")]
        }
    );
    assert_eq!(
        parse("accountEnabled in (true)"),
        Filter::In {
            property: Property::AccountEnabled,
            values: vec![Value::Bool(true)]
        }
    );
    let list = |n: usize| (0..n).map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
    let Filter::In { values, .. } = parse(&format!("id in ({})", list(15))) else {
        panic!("an in list");
    };
    assert_eq!(values.len(), 15);
    let message = unsupported(&format!("id in ({})", list(16)));
    assert!(message.contains("at most 15"), "{message}");
    assert!(bad_request("id in ()").contains("expected a value for id"));
    assert!(bad_request("id in ('a',)").contains("expected a value"));
    assert!(bad_request("id in ('a' 'b')").contains("',' or a ')'"));
    assert!(bad_request("id in 'a'").contains("a list such as"));
    assert!(unsupported("mail in ('a', null)").contains("null is compared only with eq or ne"));
}

#[test]
fn date_times_are_rfc_3339_with_an_offset() {
    let at = |text: &str| match parse(&format!("createdDateTime lt {text}")) {
        Filter::Compare {
            value: Value::DateTime(at),
            ..
        } => at,
        other => panic!("{other:?}"),
    };
    assert_eq!(at("2024-01-01T00:00:00Z"), datetime!(2024-01-01 00:00:00 UTC));
    assert_eq!(at("2024-01-01T02:00:00+02:00"), datetime!(2024-01-01 00:00:00 UTC));
    assert_eq!(at("2024-01-01T00:00:00.25Z"), datetime!(2024-01-01 00:00:00.25 UTC));
    assert_eq!(at("'2024-01-01T00:00:00Z'"), datetime!(2024-01-01 00:00:00 UTC));
    assert_eq!(
        parse("createdDateTime in (2024-01-01T00:00:00Z, 2025-01-01T00:00:00Z)"),
        Filter::In {
            property: Property::CreatedDateTime,
            values: vec![
                Value::DateTime(datetime!(2024-01-01 00:00:00 UTC)),
                Value::DateTime(datetime!(2025-01-01 00:00:00 UTC))
            ]
        }
    );
    for wrong in [
        "2024-13-01T00:00:00Z",
        "2024-01-01",
        "2024-01-01T00:00:00",
        "20240101",
        "2024-02-30T00:00:00Z",
    ] {
        let message = bad_request(&format!("createdDateTime ge {wrong}"));
        assert!(message.contains("not a date and time"), "{wrong}: {message}");
    }
    // A + that a URL turned into a space.
    assert!(bad_request("createdDateTime ge 2024-01-01T00:00:00 02:00").contains("%2B"));
    assert!(unsupported("createdDateTime ge 'soon'").contains("such as 2024-01-01T00:00:00Z"));
    assert!(unsupported("createdDateTime ge true").contains("not a Boolean"));
    assert_eq!(
        parse("createdDateTime eq null"),
        cmp(Property::CreatedDateTime, CompareOp::Eq, Value::Null)
    );
}

#[test]
fn values_must_fit_the_property() {
    for text in [
        "accountEnabled eq 'true'",
        "accountEnabled eq 1",
        "accountEnabled ge true",
        "accountEnabled eq null",
        "displayName eq true",
        "displayName eq 42",
        "id eq 2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2",
        "id eq null",
        "id ge 'a'",
        "userType lt 'Member'",
        "externalUserState ge 'A'",
        "mail gt null",
        "mail eq userPrincipalName",
        "startswith(accountEnabled,'t')",
        "startswith(userType,'G')",
        "startswith(id,'0')",
        "startswith(createdDateTime,'2024')",
        "startswith(mail,null)",
    ] {
        let message = unsupported(text);
        assert!(
            message.starts_with("Unsupported or invalid query filter clause specified for property '"),
            "{text}: {message}"
        );
    }
    assert!(unsupported("accountEnabled eq 'true'").contains("true or false, without quotes"));
    assert!(unsupported("accountEnabled ge true").contains("use eq, ne or in"));
}

#[test]
fn what_vestibule_does_not_offer_is_unsupported_and_named() {
    let cases = [
        ("endswith(mail,'@contoso.com')", "'endswith'"),
        ("contains(displayName,'a')", "'contains'"),
        ("otherMails/any(x:x eq 'a@b.c')", "'otherMails'"),
        ("proxyAddresses/any(x:x eq 'SMTP:a@b.c')", "lambda operator 'any'"),
        (
            "signInActivity/lastSignInDateTime le 2019-06-01T00:00:00Z",
            "'signInActivity/lastSignInDateTime'",
        ),
        ("givenName eq 'Ada'", "'givenName'"),
        ("proxyaddresses eq 'x'", "'proxyAddresses'"),
        ("mail has 'x'", "'has'"),
    ];
    for (text, named) in cases {
        let message = unsupported(text);
        assert!(message.contains(named), "{text}: {message}");
    }
}

#[test]
fn syntax_errors_say_what_and_where() {
    assert_eq!(
        bad_request("nickname eq 'x'"),
        "Invalid filter clause: could not find a property named 'nickname' on type 'microsoft.graph.user' at position 1."
    );
    assert_eq!(
        bad_request("userType eq"),
        "Invalid filter clause: expected a value for userType, found the end of the filter at position 12."
    );
    assert!(bad_request("").contains("the filter is empty"));
    assert!(bad_request("   ").contains("the filter is empty"));
    assert!(bad_request("(userType eq 'Guest'").contains("to close the '(' at position 1"));
    assert!(bad_request("userType eq 'Guest')").contains("no matching '('"));
    assert!(bad_request("userType eq 'Guest' and").contains("expected a condition"));
    assert!(bad_request("userType eq 'Guest' mail eq 'x'").contains("expected and, or, or the end"));
    assert!(bad_request("'Guest' eq userType").contains("expected a condition"));
    assert!(bad_request("userType 'Guest'").contains("an operator such as eq"));
    assert!(bad_request("userType equals 'Guest'").contains("an operator such as eq"));
    assert!(bad_request("eq 'Guest'").contains("expected a property name"));
    assert!(bad_request("and(mail eq 'x')").contains("expected a property name"));
    assert!(bad_request("frobnicate(mail)").contains("unknown function"));
    assert!(bad_request("startswith(mail 'a')").contains("','"));
    assert!(bad_request("startswith(mail,'a'").contains("')'"));
    assert!(bad_request("startswith(mail,a)").contains("a string in single quotes"));
    assert!(bad_request("startswith('a',mail)").contains("expected a property name"));
    assert!(bad_request("mail eq 'x' ; drop table users").contains("';'"));
    assert!(bad_request("mail eq 'unterminated").contains("never closed"));
    assert!(bad_request("displayName eq 'Zoë' and Zoë eq 'x'").contains("unexpected character 'ë' at position 28"));
    assert!(bad_request("not").contains("expected a condition"));
}

#[test]
fn limits_end_hostile_input_with_an_error() {
    // Length: 100,000 characters.
    let long = format!("displayName eq '{}'", "a".repeat(100_000));
    assert!(unsupported(&long).contains("at most 2000"));
    let long_unicode = "日".repeat(MAX_FILTER_LEN + 1);
    assert!(unsupported(&long_unicode).contains("at most 2000"));
    // Within the length, a string of 1,900 multi-byte characters is fine.
    let name = "é".repeat(1900);
    assert_eq!(
        parse(&format!("displayName eq '{name}'")),
        cmp(Property::DisplayName, CompareOp::Eq, text(&name))
    );

    // Depth: parentheses and `not` each count.
    let nested = |n: usize| format!("{}mail eq 'x'{}", "(".repeat(n), ")".repeat(n));
    parse(&nested(MAX_DEPTH));
    assert!(unsupported(&nested(MAX_DEPTH + 1)).contains("levels deep"));
    assert!(unsupported(&"(".repeat(1999)).contains("levels deep"));
    let nots = |n: usize| format!("{}mail eq 'x'", "not ".repeat(n));
    parse(&nots(MAX_DEPTH));
    assert!(unsupported(&nots(MAX_DEPTH + 1)).contains("levels deep"));
    assert!(unsupported(&"not(".repeat(499)).contains("levels deep"));

    // Clauses.
    let clauses = |n: usize| vec!["mail eq 'x'"; n].join(" or ");
    let Filter::Or(items) = parse(&clauses(MAX_CLAUSES)) else {
        panic!("an or");
    };
    assert_eq!(items.len(), MAX_CLAUSES);
    assert!(unsupported(&clauses(MAX_CLAUSES + 1)).contains("at most 50"));
    let starts = vec!["startswith(mail,'a')"; MAX_CLAUSES + 1].join(" and ");
    assert!(unsupported(&starts).contains("at most 50"));
}

#[test]
fn arbitrary_input_never_panics() {
    // A fixed pseudo-random walk: valid filters with fragments of the
    // language and stray characters inserted, characters deleted, or cut
    // short. Every input parses or is refused with one of the two codes.
    let seeds = [
        "userType eq 'Guest' and externalUserState eq 'PendingAcceptance'",
        "(startswith(displayName,'a') or mail in ('x','y')) and not (accountEnabled eq false)",
        "createdDateTime ge 2024-01-01T00:00:00Z or companyName eq null",
        "displayName eq 'O''Brien 日本'",
    ];
    let fragments = [
        "(",
        ")",
        ",",
        " ",
        "'",
        "''",
        "'a'",
        " and ",
        " or ",
        "not ",
        " eq ",
        " ne ",
        " ge ",
        " in ",
        "null",
        "true",
        "startswith",
        "mail",
        "displayName",
        "accountEnabled",
        "2024-01-01T00:00:00Z",
        "1",
        "é",
        "日",
        "\u{0}",
        ":",
        "/",
        "any",
        "\"",
        "%",
        "_",
        "\\",
        "🎉",
        "\u{10FFFF}",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut parsed, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let mut chars: Vec<char> = seeds[random(seeds.len())].chars().collect();
        for _ in 0..random(4) {
            let at = random(chars.len() + 1);
            match random(3) {
                0 => {
                    let fragment = fragments[random(fragments.len())];
                    chars.splice(at..at, fragment.chars());
                }
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.truncate(at),
            }
        }
        let text: String = chars.into_iter().collect();
        match parse_filter(&text) {
            Ok(_) => parsed += 1,
            Err(e) => {
                assert!(
                    matches!(e.code(), "Request_BadRequest" | "Request_UnsupportedQuery") && !e.message().is_empty(),
                    "{text}: {e}"
                );
                refused += 1;
            }
        }
    }
    assert!(parsed > 1000 && refused > 1000, "{parsed} parsed, {refused} refused");
}

#[test]
fn errors_carry_graph_codes() {
    let bad = QueryError::BadRequest("x".into());
    assert_eq!((bad.code(), bad.message()), ("Request_BadRequest", "x"));
    let unsupported = QueryError::Unsupported("y".into());
    assert_eq!(
        (unsupported.code(), unsupported.message()),
        ("Request_UnsupportedQuery", "y")
    );
    assert_eq!(unsupported.to_string(), "Request_UnsupportedQuery: y");
}

#[test]
fn a_users_query_parses_every_option_with_graph_defaults() {
    let q = UsersQuery::parse(None, None, None, None).unwrap();
    assert_eq!(
        q,
        UsersQuery {
            filter: None,
            select: None,
            order: Order::Asc,
            top: DEFAULT_TOP
        }
    );
    let q = UsersQuery::parse(
        Some("userType eq 'Guest'"),
        Some("id,displayName"),
        Some("displayName desc"),
        Some("5"),
    )
    .unwrap();
    assert_eq!(q.filter, Some(guest()));
    assert_eq!(q.select, Some(vec![UserProperty::Id, UserProperty::DisplayName]));
    assert_eq!((q.order, q.top), (Order::Desc, 5));
    let e = UsersQuery::parse(Some("mail eq"), None, None, Some("5000")).unwrap_err();
    assert_eq!(e.code(), "Request_BadRequest", "the filter is read first");
}
