//! Printing and parsing together: Entra's examples, the canonical form, and a
//! property test over random rules with a fixed-seed xorshift generator.

use super::*;

fn canonical(input: &str) -> String {
    MembershipRule::parse(input)
        .unwrap_or_else(|e| panic!("{input}: {e}"))
        .to_string()
}

#[test]
fn entras_examples_print_in_canonical_form() {
    assert_eq!(
        canonical(r#"user.userType -eq "Guest""#),
        r#"user.userType -eq "Guest""#
    );
    assert_eq!(
        canonical(r#"(user.companyName -eq "Fabrikam") -and (user.mail -contains "@fabrikam.com")"#),
        r#"user.companyName -eq "Fabrikam" -and user.mail -contains "@fabrikam.com""#
    );
    assert_eq!(
        canonical(r#"USER.USERTYPE -EQ 'Guest' and (user.mail -startsWith 'a' OR user.mail -eq NULL)"#),
        r#"user.userType -eq "Guest" -and (user.mail -startsWith "a" -or user.mail -eq null)"#
    );
    assert_eq!(
        canonical(r#"not user.accountEnabled -eq TRUE -or user.companyName -notIn ['A',"b"]"#),
        r#"-not (user.accountEnabled -eq true) -or user.companyName -notIn ["A", "b"]"#
    );
    assert_eq!(
        canonical(r#"user.displayName -eq 'O\'Neil \\ "Jr"'"#),
        r#"user.displayName -eq "O'Neil \\ \"Jr\"""#
    );
}

#[test]
fn parentheses_are_printed_only_where_needed() {
    let a = r#"user.mail -eq null"#;
    for (input, printed) in [
        (format!("({a} -or {a}) -and {a}"), format!("({a} -or {a}) -and {a}")),
        (format!("{a} -and ({a} -or {a})"), format!("{a} -and ({a} -or {a})")),
        (format!("({a} -and {a}) -or {a}"), format!("{a} -and {a} -or {a}")),
        (format!("{a} -and ({a} -and {a})"), format!("{a} -and ({a} -and {a})")),
        (format!("({a} -and {a}) -and {a}"), format!("{a} -and {a} -and {a}")),
        (format!("{a} -or ({a} -or {a})"), format!("{a} -or ({a} -or {a})")),
        (format!("({a} -or {a}) -or {a}"), format!("{a} -or {a} -or {a}")),
        (format!("-not ({a} -and {a})"), format!("-not ({a} -and {a})")),
        (format!("-not -not {a}"), format!("-not (-not ({a}))")),
    ] {
        assert_eq!(canonical(&input), printed, "{input}");
    }
}

/// xorshift64: deterministic, so a failure always reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Flips the case of some ASCII letters.
    fn jumble(&mut self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if self.one_in(2) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    fn text(&mut self) -> String {
        const REAL: [&str; 11] = [
            "Guest",
            "Member",
            "Fabrikam",
            "fabrikam.com",
            "@contoso",
            "PendingAcceptance",
            "Accepted",
            "Grace",
            "",
            "null",
            "true",
        ];
        const CHARS: [char; 20] = [
            'a', 'Z', '0', ' ', '"', '\\', '\'', 'é', '日', '🙂', '(', ')', '-', ',', '[', ']', '\t', '.', '@', '#',
        ];
        if self.one_in(2) {
            let real = self.pick(&REAL);
            return self.jumble(real);
        }
        (0..self.below(9)).map(|_| self.pick(&CHARS)).collect()
    }

    fn comparison(&mut self) -> Comparison {
        let property = self.pick(&Property::ALL);
        if property.is_boolean() {
            let operator = self.pick(&[Operator::Eq, Operator::Ne]);
            let value = Value::Bool(self.one_in(2));
            return Comparison {
                property,
                operator,
                value,
            };
        }
        let operator = self.pick(&Operator::ALL);
        let value = match operator {
            Operator::In | Operator::NotIn => Value::List((0..1 + self.below(4)).map(|_| self.text()).collect()),
            Operator::Eq | Operator::Ne if self.one_in(5) => Value::Null,
            _ => Value::String(self.text()),
        };
        Comparison {
            property,
            operator,
            value,
        }
    }

    fn expr(&mut self, depth: usize) -> Expr {
        if depth == 0 || self.one_in(3) {
            return Expr::Compare(self.comparison());
        }
        match self.below(3) {
            0 => Expr::Not(Box::new(self.expr(depth - 1))),
            1 => Expr::And(Box::new(self.expr(depth - 1)), Box::new(self.expr(depth - 1))),
            _ => Expr::Or(Box::new(self.expr(depth - 1)), Box::new(self.expr(depth - 1))),
        }
    }

    fn user<'a>(&mut self, texts: &'a [String]) -> UserAttributes<'a> {
        let mut s = || texts[self.below(texts.len())].as_str();
        let (object_id, display_name, mail, upn, user_type, company, state) = (s(), s(), s(), s(), s(), s(), s());
        UserAttributes {
            object_id,
            display_name,
            mail: Some(mail).filter(|_| self.one_in(2)),
            user_principal_name: upn,
            user_type,
            company_name: Some(company).filter(|_| self.one_in(2)),
            account_enabled: self.one_in(2),
            external_user_state: Some(state).filter(|_| self.one_in(2)),
        }
    }
}

/// The same rule as `Display` gives, but spelled every other way the parser
/// accepts: any case, single quotes, words without dashes, extra parentheses.
fn write_noisy(rng: &mut Rng, expr: &Expr, min: u8, out: &mut String) {
    let extra = rng.one_in(6);
    let needed = expr.level() < min;
    if extra || needed {
        out.push_str(if rng.one_in(2) { "( " } else { "(" });
    }
    let keyword = |rng: &mut Rng, word: &str| {
        let dash = if rng.one_in(2) { "-" } else { "" };
        format!(" {dash}{} ", rng.jumble(word))
    };
    match expr {
        Expr::Or(l, r) => {
            write_noisy(rng, l, 1, out);
            out.push_str(&keyword(rng, "or"));
            write_noisy(rng, r, 2, out);
        }
        Expr::And(l, r) => {
            write_noisy(rng, l, 2, out);
            out.push_str(&keyword(rng, "and"));
            write_noisy(rng, r, 3, out);
        }
        Expr::Not(inner) => {
            out.push_str(keyword(rng, "not").trim_start());
            write_noisy(rng, inner, 3, out);
        }
        Expr::Compare(c) => {
            let property = rng.jumble(c.property.name());
            let operator = rng.jumble(c.operator.name());
            let value = match &c.value {
                Value::String(s) => noisy_quote(rng, s),
                Value::List(items) => {
                    let items: Vec<String> = items.iter().map(|s| noisy_quote(rng, s)).collect();
                    format!("[ {} ]", items.join(" ,"))
                }
                other => rng.jumble(&other.to_string()),
            };
            out.push_str(&format!("{} {operator}   {value}", rng.jumble("user.") + &property));
        }
    }
    if extra || needed {
        out.push(')');
    }
}

fn noisy_quote(rng: &mut Rng, s: &str) -> String {
    let q = if rng.one_in(2) { '\'' } else { '"' };
    let mut out = String::from(q);
    for c in s.chars() {
        // Escaping the other kind of quote is allowed too.
        if c == q || c == '\\' || ((c == '"' || c == '\'') && rng.one_in(2)) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(q);
    out
}

#[test]
fn printing_then_parsing_gives_the_same_rule() {
    let mut checked = 0;
    for seed in [
        0x9E37_79B9_7F4A_7C15_u64,
        0xD1B5_4A32_D192_ED03,
        0x2545_F491_4F6C_DD1D,
        42,
    ] {
        let mut rng = Rng(seed);
        for _ in 0..1000 {
            let depth = 1 + rng.below(6);
            let rule = MembershipRule { expr: rng.expr(depth) };
            let text = rule.to_string();
            if text.chars().count() > MAX_LEN {
                continue;
            }
            let again = MembershipRule::parse(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_eq!(again, rule, "{text}");
            assert_eq!(again.to_string(), text);

            let mut noisy = String::new();
            write_noisy(&mut rng, &rule.expr, 0, &mut noisy);
            if noisy.chars().count() <= MAX_LEN {
                let parsed = MembershipRule::parse(&noisy).unwrap_or_else(|e| panic!("{noisy}\n{e}"));
                assert_eq!(parsed, rule, "{noisy}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 3000, "only {checked} rules were short enough to check");
}

#[test]
fn a_reparsed_rule_matches_the_same_users_and_composes_with_others() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let texts: Vec<String> = (0..40).map(|_| rng.text()).collect();
    let mut matched = 0;
    let mut total = 0;
    for _ in 0..600 {
        let a = MembershipRule { expr: rng.expr(4) };
        let b = MembershipRule { expr: rng.expr(4) };
        let reparsed = MembershipRule::parse(&a.to_string()).unwrap();
        // Printed rules pasted into a bigger one keep their meaning: De Morgan.
        let combined = MembershipRule::parse(&format!("-not ({a}) -or -not ({b})")).unwrap();
        for _ in 0..4 {
            let user = rng.user(&texts);
            assert_eq!(reparsed.matches(&user), a.matches(&user), "{a}\n{user:?}");
            assert_eq!(
                combined.matches(&user),
                !(a.matches(&user) && b.matches(&user)),
                "{a}\n{b}\n{user:?}"
            );
            matched += usize::from(a.matches(&user));
            total += 1;
        }
    }
    // The users are drawn so that both outcomes happen often.
    assert!(matched > total / 10 && matched < total * 9 / 10, "{matched} of {total}");
}
