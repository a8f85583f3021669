//! `GET /v1.0/users` at the store: `$filter` parsed and run as SQL returns
//! the users Graph would (case-insensitive strings, OData's null rules,
//! LIKE wildcards taken literally, whole-second times), on live users only;
//! pages by key neither repeat nor skip a user in either order; the count
//! agrees; and the indexes of All users serve the common filters.

use std::collections::BTreeSet;

use time::macros::datetime;
use vestibule::domain::graph_query::{Order, parse_filter};
use vestibule::store::bulk::{Value, insert_rows};
use vestibule::store::graph_users::{self, Cursor, GraphUserRow};

use crate::common::{TestApp, spawn_app};

const COLUMNS: &[&str] = &[
    "id",
    "display_name",
    "display_name_lower",
    "mail",
    "mail_lower",
    "user_principal_name",
    "upn_lower",
    "user_type",
    "creation_type",
    "external_user_state",
    "external_user_state_changed_at",
    "company_name",
    "account_enabled",
    "created_at",
    "deleted_at",
];

/// A user to write.
struct Person {
    name: &'static str,
    mail: Option<&'static str>,
    guest: Option<&'static str>,
    company: Option<&'static str>,
    enabled: bool,
    created_at: i64,
    deleted: bool,
}

const fn person(name: &'static str, mail: Option<&'static str>) -> Person {
    Person {
        name,
        mail,
        guest: None,
        company: None,
        enabled: true,
        created_at: 1_700_000_000,
        deleted: false,
    }
}

/// Writes `people`, returning their ids in the same order. Guests get a
/// `#EXT#` user principal name, members their mail (or a made-up one).
async fn insert(app: &TestApp, people: &[Person]) -> Vec<String> {
    let mut ids = Vec::new();
    let rows: Vec<Vec<Value>> = people
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let id = uuid::Uuid::new_v4().to_string();
            ids.push(id.clone());
            let upn = match (p.guest, p.mail) {
                (Some(_), Some(mail)) => format!("{}#EXT#@contoso.test", mail.replace('@', "_")),
                (None, Some(mail)) => mail.to_owned(),
                (_, None) => format!("user{n}@contoso.test"),
            };
            let state = p.guest.map(str::to_owned);
            vec![
                id.into(),
                p.name.into(),
                p.name.to_lowercase().into(),
                p.mail.map(str::to_owned).into(),
                p.mail.map(str::to_lowercase).into(),
                upn.clone().into(),
                upn.to_lowercase().into(),
                (if p.guest.is_some() { "Guest" } else { "Member" }).into(),
                p.guest.map(|_| "Invitation".to_owned()).into(),
                state.clone().into(),
                state.map(|_| p.created_at + 60).into(),
                p.company.map(str::to_owned).into(),
                i64::from(p.enabled).into(),
                p.created_at.into(),
                Some(p.created_at + 1).filter(|_| p.deleted).into(),
            ]
        })
        .collect();
    let mut conn = app.db.pool().acquire().await.unwrap();
    insert_rows(&mut conn, "users", COLUMNS, &rows, "").await.unwrap();
    ids
}

/// A portal whose only live users are `people` (the configured
/// administrator is deleted, like any other deleted user).
async fn directory_of(people: &[Person]) -> (TestApp, Vec<String>) {
    let app = spawn_app().await;
    app.soft_delete(&app.admin_id().await).await;
    let ids = insert(&app, people).await;
    (app, ids)
}

const PENDING: Option<&str> = Some("PendingAcceptance");
const ACCEPTED: Option<&str> = Some("Accepted");
const NEW_YEAR_2024: i64 = datetime!(2024-01-01 00:00:00 UTC).unix_timestamp();

fn people() -> Vec<Person> {
    vec![
        Person {
            guest: PENDING,
            company: Some("Fabrikam"),
            created_at: datetime!(2023-06-01 12:00:00 UTC).unix_timestamp(),
            ..person("Ada Lovelace", Some("Ada@Fabrikam.example"))
        },
        Person {
            company: Some("Contoso"),
            created_at: NEW_YEAR_2024,
            ..person("Alan Turing", Some("alan@contoso.test"))
        },
        Person {
            guest: ACCEPTED,
            company: Some("Éditions Fasquelle"),
            created_at: datetime!(2024-03-01 00:00:00 UTC).unix_timestamp(),
            ..person("Émile Zola", Some("emile@litterature.example"))
        },
        Person {
            guest: ACCEPTED,
            company: Some("500 Ltd"),
            ..person("500 Startups", Some("five@startups.example"))
        },
        Person {
            company: Some("50% Club"),
            enabled: false,
            created_at: datetime!(2024-06-15 08:30:00 UTC).unix_timestamp(),
            ..person("50% Off", None)
        },
        Person {
            company: Some("A_B Corp"),
            ..person("5_0 Team", Some("team@five.example"))
        },
        Person {
            guest: PENDING,
            company: Some("AxB Corp"),
            enabled: false,
            created_at: datetime!(2023-12-31 23:59:59 UTC).unix_timestamp(),
            ..person("Grace Hopper", Some("grace@navy.example"))
        },
        Person {
            company: Some("Bang! Inc"),
            ..person("grace hopper", Some("ghopper@contoso.test"))
        },
        Person {
            guest: ACCEPTED,
            company: Some("Bang Inc"),
            ..person("O'Brien", Some("obrien@example.org"))
        },
        Person {
            guest: PENDING,
            company: Some("Fabrikam"),
            deleted: true,
            ..person("Ada Deleted", Some("ada.deleted@fabrikam.example"))
        },
    ]
}

async fn run(app: &TestApp, filter: &str) -> Vec<GraphUserRow> {
    let parsed = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let mut conn = app.db.pool().acquire().await.unwrap();
    let rows = graph_users::list(&mut conn, Some(&parsed), None, Order::Asc, 100)
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    let count = graph_users::count(&mut conn, Some(&parsed)).await.unwrap();
    assert_eq!(count, rows.len() as i64, "{filter}: the count agrees with the list");
    rows
}

async fn names(app: &TestApp, filter: &str) -> BTreeSet<String> {
    run(app, filter).await.into_iter().map(|r| r.display_name).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

const EVERYONE: &[&str] = &[
    "Ada Lovelace",
    "Alan Turing",
    "Émile Zola",
    "500 Startups",
    "50% Off",
    "5_0 Team",
    "Grace Hopper",
    "grace hopper",
    "O'Brien",
];

fn everyone_but(but: &[&str]) -> BTreeSet<String> {
    EVERYONE
        .iter()
        .filter(|n| !but.contains(n))
        .map(|n| (*n).to_owned())
        .collect()
}

#[tokio::test]
async fn filters_return_the_users_graph_would() {
    let (app, ids) = directory_of(&people()).await;
    let guests = ["Ada Lovelace", "Émile Zola", "500 Startups", "Grace Hopper", "O'Brien"];
    let members = ["Alan Turing", "50% Off", "5_0 Team", "grace hopper"];
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        // eq, ne, in on words, in any case; null.
        ("userType eq 'Guest'".into(), set(&guests)),
        ("USERTYPE EQ 'guest'".into(), set(&guests)),
        ("userType ne 'Guest'".into(), set(&members)),
        ("userType in ('member','Robot')".into(), set(&members)),
        ("userType eq 'Robot'".into(), set(&[])),
        (
            "externalUserState eq 'PendingAcceptance'".into(),
            set(&["Ada Lovelace", "Grace Hopper"]),
        ),
        ("externalUserState eq null".into(), set(&members)),
        ("externalUserState ne null".into(), set(&guests)),
        // A user without a state is not Accepted: OData has no unknown.
        (
            "externalUserState ne 'Accepted'".into(),
            everyone_but(&["Émile Zola", "500 Startups", "O'Brien"]),
        ),
        (
            "not (externalUserState eq 'Accepted')".into(),
            everyone_but(&["Émile Zola", "500 Startups", "O'Brien"]),
        ),
        // Strings compare without regard to case, Unicode included.
        ("mail eq 'ADA@FABRIKAM.EXAMPLE'".into(), set(&["Ada Lovelace"])),
        ("mail eq null".into(), set(&["50% Off"])),
        ("mail ne null".into(), everyone_but(&["50% Off"])),
        ("mail ne 'alan@contoso.test'".into(), everyone_but(&["Alan Turing"])),
        (
            "mail in ('ada@fabrikam.example','GRACE@navy.example','nobody@x.example')".into(),
            set(&["Ada Lovelace", "Grace Hopper"]),
        ),
        ("userPrincipalName eq 'Alan@Contoso.TEST'".into(), set(&["Alan Turing"])),
        (
            "userPrincipalName eq 'ada_fabrikam.example#EXT#@contoso.test'".into(),
            set(&["Ada Lovelace"]),
        ),
        ("displayName eq 'ÉMILE ZOLA'".into(), set(&["Émile Zola"])),
        ("displayName eq 'émile zola'".into(), set(&["Émile Zola"])),
        ("displayName eq 'O''Brien'".into(), set(&["O'Brien"])),
        (
            "displayName eq 'GRACE HOPPER'".into(),
            set(&["Grace Hopper", "grace hopper"]),
        ),
        ("displayName ne 'Ada Lovelace'".into(), everyone_but(&["Ada Lovelace"])),
        (
            "displayName ge 'g' and displayName lt 'h'".into(),
            set(&["Grace Hopper", "grace hopper"]),
        ),
        (format!("id eq '{}'", ids[1].to_uppercase()), set(&["Alan Turing"])),
        (
            format!("id in ('{}', '{}', '{}')", ids[0], ids[2], ids[9]),
            set(&["Ada Lovelace", "Émile Zola"]),
        ),
        (format!("id ne '{}'", ids[0]), everyone_but(&["Ada Lovelace"])),
        // startswith: a prefix in any case; wildcards are literal.
        (
            "startswith(displayName,'GRA')".into(),
            set(&["Grace Hopper", "grace hopper"]),
        ),
        ("startswith(displayName,'é')".into(), set(&["Émile Zola"])),
        ("startswith(displayName,'50%')".into(), set(&["50% Off"])),
        ("startswith(displayName,'5_')".into(), set(&["5_0 Team"])),
        (
            "startswith(displayName,'5')".into(),
            set(&["500 Startups", "50% Off", "5_0 Team"]),
        ),
        ("startswith(displayName,'')".into(), set(EVERYONE)),
        ("startswith(mail,'ada')".into(), set(&["Ada Lovelace"])),
        ("not startswith(mail,'ada')".into(), everyone_but(&["Ada Lovelace"])),
        (
            "startswith(mail,'ada') eq false".into(),
            everyone_but(&["Ada Lovelace"]),
        ),
        ("startswith(userPrincipalName,'ADA_')".into(), set(&["Ada Lovelace"])),
        ("startswith(companyName,'50%')".into(), set(&["50% Off"])),
        ("startswith(companyName,'a_b')".into(), set(&["5_0 Team"])),
        ("startswith(companyName,'bang!')".into(), set(&["grace hopper"])),
        (
            "startswith(companyName,'BANG')".into(),
            set(&["grace hopper", "O'Brien"]),
        ),
        ("startswith(companyName,'Éditions')".into(), set(&["Émile Zola"])),
        // companyName: no stored lower-cased column, compared in lower case.
        ("companyName eq 'CONTOSO'".into(), set(&["Alan Turing"])),
        ("companyName eq 'Éditions Fasquelle'".into(), set(&["Émile Zola"])),
        (
            "companyName in ('fabrikam', 'contoso')".into(),
            set(&["Ada Lovelace", "Alan Turing"]),
        ),
        ("companyName ne 'Fabrikam'".into(), everyone_but(&["Ada Lovelace"])),
        ("companyName eq null".into(), set(&[])),
        // accountEnabled: INTEGER 0 or 1.
        ("accountEnabled eq false".into(), set(&["50% Off", "Grace Hopper"])),
        ("accountEnabled ne true".into(), set(&["50% Off", "Grace Hopper"])),
        (
            "accountEnabled in (true)".into(),
            everyone_but(&["50% Off", "Grace Hopper"]),
        ),
        // createdDateTime: whole Unix seconds, compared with any offset.
        (
            "createdDateTime ge 2024-01-01T00:00:00Z".into(),
            set(&["Alan Turing", "Émile Zola", "50% Off"]),
        ),
        (
            "createdDateTime gt 2024-01-01T00:00:00Z".into(),
            set(&["Émile Zola", "50% Off"]),
        ),
        (
            "createdDateTime eq 2024-01-01T01:00:00+01:00".into(),
            set(&["Alan Turing"]),
        ),
        (
            "createdDateTime eq '2024-01-01T00:00:00Z'".into(),
            set(&["Alan Turing"]),
        ),
        (
            "createdDateTime le 2023-12-31T23:59:59.5Z".into(),
            everyone_but(&["Alan Turing", "Émile Zola", "50% Off"]),
        ),
        (
            "createdDateTime gt 2023-12-31T23:59:59.5Z".into(),
            set(&["Alan Turing", "Émile Zola", "50% Off"]),
        ),
        ("createdDateTime eq 2023-12-31T23:59:59.5Z".into(), set(&[])),
        (
            "createdDateTime in (2023-12-31T23:59:59Z, 2024-03-01T00:00:00Z)".into(),
            set(&["Grace Hopper", "Émile Zola"]),
        ),
        ("createdDateTime eq null".into(), set(&[])),
        // and, or, not, parentheses.
        (
            "userType eq 'Guest' and externalUserState eq 'PendingAcceptance'".into(),
            set(&["Ada Lovelace", "Grace Hopper"]),
        ),
        (
            "userType eq 'Member' or accountEnabled eq false".into(),
            set(&["Alan Turing", "50% Off", "5_0 Team", "grace hopper", "Grace Hopper"]),
        ),
        (
            "(startswith(displayName,'a') or startswith(displayName,'g')) and not (userType eq 'Member')".into(),
            set(&["Ada Lovelace", "Grace Hopper"]),
        ),
        (
            "userPrincipalName eq 'alan@contoso.test' or mail eq 'alan@contoso.test'".into(),
            set(&["Alan Turing"]),
        ),
        ("not (not (mail eq null))".into(), set(&["50% Off"])),
    ];
    for (filter, expected) in cases {
        assert_eq!(names(&app, &filter).await, expected, "{filter}");
    }
}

#[tokio::test]
async fn rows_carry_every_column_the_api_shows() {
    let (app, ids) = directory_of(&people()).await;
    let rows = run(&app, "mail eq 'ada@fabrikam.example'").await;
    let [ada] = rows.as_slice() else {
        panic!("one row: {rows:?}");
    };
    assert_eq!(ada.id, ids[0]);
    assert_eq!(ada.display_name, "Ada Lovelace");
    assert_eq!(ada.display_name_lower, "ada lovelace");
    assert_eq!(ada.mail.as_deref(), Some("Ada@Fabrikam.example"));
    assert_eq!(ada.user_principal_name, "Ada_Fabrikam.example#EXT#@contoso.test");
    assert_eq!(ada.user_type, vestibule::domain::UserType::Guest);
    assert_eq!(
        ada.external_user_state,
        Some(vestibule::domain::ExternalUserState::PendingAcceptance)
    );
    let created = datetime!(2023-06-01 12:00:00 UTC).unix_timestamp();
    assert_eq!(ada.created_at, created);
    assert_eq!(ada.external_user_state_changed_at, Some(created + 60));
    assert_eq!(ada.company_name.as_deref(), Some("Fabrikam"));
    assert!(ada.account_enabled);
    assert_eq!(ada.creation_type.as_deref(), Some("Invitation"));
    let off = &run(&app, "displayName eq '50% Off'").await[0];
    assert!(!off.account_enabled);
    assert_eq!((off.mail.as_deref(), off.external_user_state), (None, None));
    assert_eq!(off.creation_type, None);
}

/// Every page of `filter` with `top` rows, each started from the
/// previous page's cursor carried as text, as `$skiptoken` carries it.
async fn all_pages(app: &TestApp, filter: Option<&str>, order: Order, top: i64) -> Vec<Vec<GraphUserRow>> {
    let parsed = filter.map(|f| parse_filter(f).unwrap());
    let mut conn = app.db.pool().acquire().await.unwrap();
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let after = token.as_deref().map(|t| Cursor::decode(t).expect("a cursor we wrote"));
        let page = graph_users::page(&mut conn, parsed.as_ref(), after.as_ref(), order, top)
            .await
            .unwrap();
        pages.push(page.rows);
        match page.next {
            Some(next) => token = Some(next.encode()),
            None => return pages,
        }
        assert!(pages.len() < 100, "paging ends");
    }
}

#[tokio::test]
async fn pages_follow_each_other_without_repeats_or_gaps_in_either_order() {
    // Eight guests, four of them with the same name in different cases,
    // so ties fall across page boundaries and are broken by id.
    let mut directory = people();
    for name in [
        "Sam Same", "SAM SAME", "sam same", "Sam Same", "Zed", "Yves", "Xu", "Ümit",
    ] {
        directory.push(Person {
            guest: ACCEPTED,
            ..person(name, None)
        });
    }
    let (app, _) = directory_of(&directory).await;
    let filter = "userType eq 'Guest' and externalUserState eq 'Accepted'";
    let mut conn = app.db.pool().acquire().await.unwrap();
    let parsed = parse_filter(filter).unwrap();
    let everything = graph_users::list(&mut conn, Some(&parsed), None, Order::Asc, 999)
        .await
        .unwrap();
    assert_eq!(everything.len(), 11);
    assert_eq!(graph_users::count(&mut conn, Some(&parsed)).await.unwrap(), 11);
    let keys: Vec<(String, String)> = everything
        .iter()
        .map(|r| (r.display_name_lower.clone(), r.id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "in (lower-cased name, id) order");
    assert_eq!(
        everything.last().unwrap().display_name,
        "Ümit",
        "byte order puts Ü after Z"
    );

    let pages = all_pages(&app, Some(filter), Order::Asc, 4).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 4, 3], "three pages");
    let walked: Vec<GraphUserRow> = pages.into_iter().flatten().collect();
    assert_eq!(walked, everything, "the pages together are the list, once each");

    let pages = all_pages(&app, Some(filter), Order::Desc, 4).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 3]);
    let mut backwards: Vec<GraphUserRow> = pages.into_iter().flatten().collect();
    backwards.reverse();
    assert_eq!(backwards, everything, "descending is the same list reversed");

    // A page that ends exactly at the end says so.
    let pages = all_pages(&app, Some(filter), Order::Asc, 11).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [11]);
    // No filter: every live user, in one-row pages.
    let pages = all_pages(&app, None, Order::Asc, 1).await;
    assert_eq!(pages.len(), 17);
    assert!(pages.iter().all(|p| p.len() == 1));
    let all: Vec<String> = pages.into_iter().flatten().map(|r| r.id).collect();
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 17);
    assert_eq!(graph_users::count(&mut conn, None).await.unwrap(), 17);
}

#[tokio::test]
async fn the_common_filters_walk_the_indexes_of_all_users() {
    let app = spawn_app().await;
    app.populate_directory(3000).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let postgres = app.settings.is_postgres();
    if postgres {
        // As in the directory's plan test: can the indexes serve these
        // queries at all, whatever a small table makes look cheap.
        sqlx::query("VACUUM ANALYZE users").execute(&mut *conn).await.unwrap();
        for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = off")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    // A cursor inside the prefix below, as on its second page.
    let after = Cursor {
        display_name_lower: "directory person 02500".into(),
        id: "x".into(),
    };
    let filters = [
        None,
        Some("startswith(displayName,'Directory Person 02')"),
        Some("userType eq 'Guest'"),
        Some("userType eq 'Member' and externalUserState eq null"),
        Some("userType eq 'Guest' and startswith(displayName,'directory person 02')"),
    ];
    for filter in filters {
        let parsed = filter.map(|f| parse_filter(f).unwrap());
        for order in [Order::Asc, Order::Desc] {
            for cursor in [None, Some(&after)] {
                let plan = graph_users::explain_list(&mut conn, parsed.as_ref(), cursor, order, 101)
                    .await
                    .unwrap();
                let what = format!("{filter:?} {order:?} after {cursor:?}");
                // Name order, whole or within a user type: the planner may
                // walk the names and test the type when most users match.
                assert!(
                    plan.contains("users_live_name_idx") || plan.contains("users_live_type_idx"),
                    "{what} walks a name-ordered index: {plan}"
                );
                assert!(
                    !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
                    "{what} needs no sort: {plan}"
                );
                assert!(
                    !plan.contains("Seq Scan")
                        && !plan
                            .lines()
                            .any(|l| l.trim_start_matches(['|', '`', '-', ' ']) == "SCAN users"),
                    "{what} never scans the table: {plan}"
                );
                // A later page starts its walk at the cursor, not at the
                // start of the prefix.
                if cursor.is_some() && filter.is_some_and(|f| f.contains("startswith")) {
                    let past = if order == Order::Asc { ">" } else { "<" };
                    let bound = if postgres {
                        format!("ROW(display_name_lower, id) {past} ROW(")
                    } else {
                        format!("(display_name_lower,id){past}(?,?)")
                    };
                    let index_lines: Vec<&str> = plan
                        .lines()
                        .filter(|l| l.contains("Index Cond") || l.contains("USING INDEX"))
                        .collect();
                    assert!(
                        index_lines.iter().any(|l| l.contains(&bound)),
                        "{what} seeks to the cursor: {plan}"
                    );
                }
            }
        }
    }
    // An address is found through a mail index, whatever the order.
    let parsed = parse_filter("mail eq 'Person.45@fabrikam.example'").unwrap();
    let plan = graph_users::explain_list(&mut conn, Some(&parsed), None, Order::Asc, 101)
        .await
        .unwrap();
    assert!(plan.contains("mail"), "a mail index: {plan}");
    let rows = graph_users::list(&mut conn, Some(&parsed), None, Order::Asc, 101)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}
