//! All users at the store: every way of answering a search returns exactly
//! the rows of the simple definition (name or mail prefix, filters, after
//! the cursor, in name order), the capped count is exact up to its cap, and
//! the indexes serve every statement.

use std::collections::BTreeSet;

use crate::common::{TestApp, spawn_app};
use vestibule::domain::{ExternalUserState, UserType};
use vestibule::store::bulk::{Value, insert_rows};
use vestibule::store::directory::{self, MailHalf, SearchTuning, UserQuery};

const COLUMNS: &[&str] = &[
    "id",
    "display_name",
    "display_name_lower",
    "mail",
    "mail_lower",
    "user_principal_name",
    "upn_lower",
    "user_type",
    "external_user_state",
    "created_at",
    "deleted_at",
];

/// A user to write: display name, mail, type and state by number, deleted.
struct Person {
    name: String,
    mail: Option<String>,
    kind: usize,
    deleted: bool,
}

fn person(name: impl Into<String>, mail: Option<String>, n: usize) -> Person {
    Person {
        name: name.into(),
        mail,
        kind: n % 3,
        deleted: n % 11 == 5,
    }
}

async fn insert(app: &TestApp, people: &[Person]) {
    let rows: Vec<Vec<Value>> = people
        .iter()
        .map(|p| {
            let id = uuid::Uuid::new_v4().to_string();
            let upn = format!("{}@contoso.test", id.replace('-', ""));
            let (user_type, state) = match p.kind {
                0 => ("Member", None),
                1 => ("Guest", Some("PendingAcceptance".to_owned())),
                _ => ("Guest", Some("Accepted".to_owned())),
            };
            vec![
                id.into(),
                p.name.clone().into(),
                p.name.to_lowercase().into(),
                p.mail.clone().into(),
                p.mail.as_ref().map(|m| m.to_lowercase()).into(),
                upn.clone().into(),
                upn.into(),
                user_type.into(),
                state.into(),
                1_700_000_000i64.into(),
                Some(1_700_000_001i64).filter(|_| p.deleted).into(),
            ]
        })
        .collect();
    let mut conn = app.db.pool().acquire().await.unwrap();
    insert_rows(&mut conn, "users", COLUMNS, &rows, "").await.unwrap();
}

/// A directory where "ka" matches some users by name only, some by mail
/// only (spread over the alphabet, and bunched at its end), some by both,
/// with repeated names, missing mails, every type and state, and deleted
/// users among them all.
fn mixed_directory() -> Vec<Person> {
    let spread = [
        "Ada", "Bruno", "Chen", "Dmitri", "Ines", "Mira", "Olga", "Priya", "Tomás", "Wei",
    ];
    let mut people = Vec::new();
    for n in 0..60 {
        people.push(person(
            format!("Kaito {n:02}"),
            Some(format!("k{n}.name@contoso.test")),
            n,
        ));
        people.push(person(
            format!("{} {n:02}", spread[n % spread.len()]),
            Some(format!("Ka.spread{n}@fabrikam.example")),
            n + 1,
        ));
        people.push(person(
            format!("Zora {n:02}"),
            Some(format!("kat.late{n}@fabrikam.example")),
            n + 2,
        ));
        people.push(person(
            format!("Kai Both {n:02}"),
            Some(format!("kai.both{n}@contoso.test")),
            n,
        ));
        people.push(person(
            format!("{} Other {n:02}", spread[(n * 7) % spread.len()]),
            Some(format!("other{n}@contoso.test")),
            n + 1,
        ));
    }
    for n in 0..12 {
        // The same name many times: pages must break ties by id.
        people.push(person("Kai Same", Some(format!("same{n}@contoso.test")), n));
        people.push(person("Same Name", Some(format!("ka.same{n}@contoso.test")), n + 1));
        people.push(person(format!("Kaz NoMail {n}"), None, 3 * n));
        people.push(person(
            format!("Élodie {n}"),
            Some(format!("ka.elodie{n}@contoso.test")),
            n + 2,
        ));
    }
    people
}

/// The definition: one statement, both prefixes ORed, sorted, limited.
async fn reference(app: &TestApp, query: &UserQuery, limit: i64) -> Vec<String> {
    let (filter, binds) = reference_filter(query, true);
    let sql = format!("SELECT id FROM users WHERE {filter} ORDER BY display_name_lower, id LIMIT {limit}");
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(app.db.pool()).await.unwrap()
}

async fn reference_count(app: &TestApp, query: &UserQuery) -> i64 {
    let (filter, binds) = reference_filter(query, false);
    let sql = format!("SELECT COUNT(*) FROM users WHERE {filter}");
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_one(app.db.pool()).await.unwrap()
}

fn reference_filter(query: &UserQuery, paged: bool) -> (String, Vec<String>) {
    let mut clauses = vec!["deleted_at IS NULL".to_owned()];
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(t) = query.user_type {
        clauses.push(format!("user_type = {}", bind(t.as_str().into())));
    }
    if let Some(s) = query.state {
        clauses.push(format!("external_user_state = {}", bind(s.as_str().into())));
    }
    if let Some(p) = query
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        let (a, b) = (bind(p.clone()), bind(format!("{p}\u{10FFFF}")));
        clauses.push(format!(
            "((display_name_lower >= {a} AND display_name_lower < {b}) OR (mail_lower >= {a} AND mail_lower < {b}))"
        ));
    }
    if let (true, Some((name, id))) = (paged, &query.after) {
        let (a, b) = (bind(name.clone()), bind(id.clone()));
        clauses.push(format!("(display_name_lower, id) > ({a}, {b})"));
    }
    (clauses.join(" AND "), binds)
}

const FILTERS: &[(Option<UserType>, Option<ExternalUserState>)] = &[
    (None, None),
    (Some(UserType::Guest), None),
    (Some(UserType::Member), None),
    (None, Some(ExternalUserState::PendingAcceptance)),
    (Some(UserType::Guest), Some(ExternalUserState::Accepted)),
];

#[tokio::test]
async fn every_way_of_answering_a_search_pages_exactly_like_the_definition() {
    let app = spawn_app().await;
    insert(&app, &mixed_directory()).await;
    let tunings = [
        // Few mail matches: fetched through the mail index and sorted.
        SearchTuning::default(),
        // Many: a page found by walking the name-ordered index.
        SearchTuning {
            sort_at_most: 3,
            walk_at_most: 1_000,
        },
        // Many, but a walk too short to fill a page: sorted after all.
        SearchTuning {
            sort_at_most: 3,
            walk_at_most: 12,
        },
    ];
    let mut seen = BTreeSet::new();
    let mut mail_only_on_a_page = false;
    let mut conn = app.db.pool().acquire().await.unwrap();
    for search in ["ka", " KA ", "k", "kai", "kat.", "ka.s", "zo", "nobody"] {
        for &(user_type, state) in FILTERS {
            for tuning in tunings {
                for limit in [7, 51] {
                    let mut query = UserQuery {
                        search: Some(search.to_owned()),
                        user_type,
                        state,
                        after: None,
                    };
                    let mut pages = 0;
                    loop {
                        let (rows, half) = directory::list_tuned(&mut conn, &query, limit, tuning).await.unwrap();
                        seen.insert(format!("{half:?}"));
                        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                        let expected = reference(&app, &query, limit).await;
                        assert_eq!(
                            ids, expected,
                            "search {search:?}, {user_type:?}, {state:?}, {tuning:?}, limit {limit}, page {pages}"
                        );
                        let p = search.trim().to_lowercase();
                        mail_only_on_a_page |= rows.iter().any(|r| {
                            !r.display_name_lower.starts_with(&p)
                                && r.mail.as_deref().is_some_and(|m| m.to_lowercase().starts_with(&p))
                        });
                        pages += 1;
                        match rows.last() {
                            Some(last) if rows.len() as i64 == limit => {
                                query.after = Some((last.display_name_lower.clone(), last.id.clone()));
                            }
                            _ => break,
                        }
                    }
                }
            }
        }
    }
    assert!(mail_only_on_a_page, "some pages mix in users found by mail only");
    for half in [MailHalf::Sorted, MailHalf::Walked, MailHalf::WalkedThenSorted] {
        assert!(seen.contains(&format!("{half:?}")), "{half:?} was exercised: {seen:?}");
    }
}

#[tokio::test]
async fn the_count_is_exact_up_to_the_cap_and_says_more_above_it() {
    let app = spawn_app().await;
    insert(&app, &mixed_directory()).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    for search in [
        None,
        Some("ka"),
        Some("k"),
        Some("kat."),
        Some("ka.s"),
        Some("kai"),
        Some("nobody"),
    ] {
        for &(user_type, state) in FILTERS {
            let query = UserQuery {
                search: search.map(str::to_owned),
                user_type,
                state,
                // The count ignores the cursor.
                after: Some(("m".into(), "m".into())),
            };
            let total = reference_count(
                &app,
                &UserQuery {
                    after: None,
                    ..query.clone()
                },
            )
            .await;
            let by_name = match search {
                Some(p) => {
                    let q = UserQuery {
                        search: None,
                        after: None,
                        ..query.clone()
                    };
                    let (filter, binds) = reference_filter(&q, false);
                    let sql = format!(
                        "SELECT COUNT(*) FROM users WHERE {filter} AND display_name_lower >= ${} AND display_name_lower < ${}",
                        binds.len() + 1,
                        binds.len() + 2
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
                    for b in binds {
                        q = q.bind(b);
                    }
                    q.bind(p.to_owned())
                        .bind(format!("{p}\u{10FFFF}"))
                        .fetch_one(app.db.pool())
                        .await
                        .unwrap()
                }
                None => total,
            };
            // Below, at and above the cap, with the name matches alone
            // below, at and above it too.
            let mut caps: Vec<i64> = vec![
                1,
                2,
                total - 1,
                total,
                total + 1,
                by_name - 1,
                by_name,
                by_name + 1,
                10_000,
            ];
            caps.retain(|c| *c >= 1);
            for cap in caps {
                let count = directory::count_capped(&mut conn, &query, cap).await.unwrap();
                assert_eq!(
                    count,
                    total.min(cap + 1),
                    "{search:?}, {user_type:?}, {state:?}: {total} users ({by_name} by name), cap {cap}"
                );
            }
        }
    }
}

#[tokio::test]
async fn all_users_counts_ten_thousand_exactly_and_more_as_ten_thousand_plus() {
    let app = spawn_app().await;
    // 9,999 users: with the administrator, 10,000. "ka" finds 6,000 by
    // name and 4,000 by mail only; one deleted match counts for nothing.
    let mut people: Vec<Person> = (0..6_000)
        .map(|n| Person {
            name: format!("Kaja {n:05}"),
            mail: Some(format!("kaja{n}@contoso.test")),
            kind: n % 3,
            deleted: false,
        })
        .collect();
    people.extend((0..3_999).map(|n| Person {
        name: format!("Mail Only {n:05}"),
        mail: Some(format!("ka.mail{n}@contoso.test")),
        kind: n % 3,
        deleted: false,
    }));
    people.push(Person {
        name: "Kaja Deleted".into(),
        mail: Some("ka.deleted@contoso.test".into()),
        kind: 1,
        deleted: true,
    });
    insert(&app, &people).await;
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/users").await;
    assert!(html.contains("10,000 users found"), "the whole directory");
    let html = app.get_html("/admin/users?search=ka").await;
    assert!(html.contains("9,999 users found"), "all but the administrator");
    insert(
        &app,
        &[Person {
            name: "Zed".into(),
            mail: Some("ka.zed@contoso.test".into()),
            kind: 0,
            deleted: false,
        }],
    )
    .await;
    let html = app.get_html("/admin/users").await;
    assert!(html.contains("10,000+ users found"), "10,001 users");
    // "10,000+" without a search is believed for a moment: after a
    // deletion the next pages still say so, then the exact count returns.
    sqlx::query("UPDATE users SET deleted_at = 1 WHERE display_name = 'Kaja 00001'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let html = app.get_html("/admin/users?after_name=kaja%2000000&after_id=%7E").await;
    assert!(html.contains("10,000+ users found"), "remembered");
    app.clock.advance(10);
    let html = app.get_html("/admin/users").await;
    assert!(html.contains("10,000 users found"), "counted again");
    sqlx::query("UPDATE users SET deleted_at = NULL WHERE display_name = 'Kaja 00001'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let html = app.get_html("/admin/users?search=ka").await;
    assert!(html.contains("10,000 users found"), "6,000 by name, 4,000 by mail only");
    insert(
        &app,
        &[Person {
            name: "Zoe".into(),
            mail: Some("ka.zoe@contoso.test".into()),
            kind: 0,
            deleted: false,
        }],
    )
    .await;
    let html = app.get_html("/admin/users?search=ka").await;
    assert!(html.contains("10,000+ users found"), "10,001 matches");
    // The first page comes in name order, the users found by mail only
    // ("Mail Only …") after those found by name ("Kaja …").
    assert_eq!(html.matches("data-testid=\"user-row\"").count(), 50);
    assert!(html.contains(">Kaja 00000<") && html.contains(">Kaja 00049<") && !html.contains(">Kaja 00050<"));
    let html = app
        .get_html("/admin/users?search=ka&after_name=kaja%2005999&after_id=%7E")
        .await;
    assert!(html.contains(">Mail Only 00000<") && !html.contains(">Kaja "), "{html}");
}

#[tokio::test]
async fn the_list_queries_use_the_indexes() {
    let app = spawn_app().await;
    insert(&app, &mixed_directory()).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let postgres = app.settings.is_postgres();
    if postgres {
        // As after autovacuum: statistics, and a visibility map that lets
        // PostgreSQL answer from an index alone. A small table makes a scan
        // look cheap; ask whether the indexes can serve these queries
        // (filter and order) at all.
        sqlx::query("VACUUM ANALYZE users").execute(&mut *conn).await.unwrap();
        for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = off")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    let after = Some(("m".to_owned(), "x".to_owned()));
    let queries = [
        ("first page", UserQuery::default()),
        (
            "next page",
            UserQuery {
                after: after.clone(),
                ..Default::default()
            },
        ),
        (
            "user type",
            UserQuery {
                user_type: Some(UserType::Guest),
                ..Default::default()
            },
        ),
        (
            "state",
            UserQuery {
                state: Some(ExternalUserState::PendingAcceptance),
                ..Default::default()
            },
        ),
        (
            "search",
            UserQuery {
                search: Some("ad".into()),
                ..Default::default()
            },
        ),
        (
            "search, next page from a mail match before the prefix",
            UserQuery {
                search: Some("ka".into()),
                after: Some(("ada".to_owned(), "x".to_owned())),
                ..Default::default()
            },
        ),
        (
            "search, filters, next page",
            UserQuery {
                search: Some("ad".into()),
                user_type: Some(UserType::Guest),
                state: Some(ExternalUserState::Accepted),
                after,
            },
        ),
    ];
    for (what, query) in queries {
        let by_name = if query.user_type.is_some() {
            "users_live_type_idx"
        } else {
            "users_live_name_idx"
        };
        let plans = directory::explain_list(&mut conn, &query, 51).await.unwrap();
        let steps: Vec<&str> = plans.iter().map(|(step, _)| *step).collect();
        let expected: &[&str] = if query.search.is_some() {
            &[
                "count",
                "page",
                "name page",
                "mail walk",
                "mail sorted",
                "page with mail ids",
            ]
        } else {
            &["count", "page"]
        };
        assert_eq!(steps, expected, "{what}");
        for (step, plan) in &plans {
            let indexes: &[&str] = match *step {
                "mail sorted" => &["users_live_mail_idx"],
                // The name matches, and the mail matches through their index.
                "page" if query.search.is_some() => &[by_name, "users_live_mail_idx"],
                // Any index of the live users counts them; order is no matter.
                "count" if query.search.is_none() => &["users_live_"],
                // The name matches, then the mail matches whose name does not.
                "count" => &[by_name, "users_live_mail_idx"],
                _ => &[by_name],
            };
            for index in indexes {
                assert!(plan.contains(index), "{what}, {step} uses {index}: {plan}");
            }
            assert!(
                !plan.contains("Seq Scan")
                    && !plan
                        .lines()
                        .any(|l| l.trim_start_matches(['|', '`', '-', ' ']) == "SCAN users"),
                "{what}, {step} never scans the table: {plan}"
            );
            // Walks in name order stop after a page, counts after the cap:
            // no sort. (The page's union sorts at most two pages; the mail
            // half's sort, at most `sort_at_most` entries.)
            if ["name page", "count", "mail walk"].contains(step) || (*step == "page" && query.search.is_none()) {
                assert!(
                    !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
                    "{what}, {step} needs no sort: {plan}"
                );
            }
            if what.contains("before the prefix") && ["name page", "page with mail ids"].contains(step) {
                assert!(
                    !plan.contains("(display_name_lower,id)>") && !plan.contains("'ada'"),
                    "{what}, {step} starts at the prefix, not at the cursor: {plan}"
                );
            }
            // The mail half never walks the names (only the name half does).
            let walks = plan.matches(by_name).count();
            match *step {
                "mail sorted" => assert_eq!(walks, 0, "{what}, {step}: {plan}"),
                "page" if query.search.is_some() => assert_eq!(walks, 1, "{what}, {step}: {plan}"),
                _ => {}
            }
        }
    }
}
