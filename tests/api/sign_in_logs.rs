//! Sign-in logs: portal sign-ins by password and by code are recorded with
//! their status, reason and client address; the filters, paging by key,
//! the CSV export, refused filters, who may read the log, the query plans,
//! and a sign-in that goes on when its line cannot be written.

use reqwest::{Client, StatusCode};
use vestibule::store::sign_in_log::{self, AppFilter, SignInEntry, SignInQuery, Status};

use crate::common::audit_seed::{DAY, MAY_10};
use crate::common::flows::{accepted_guest, app_with_sink, code_for};
use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, assert_redirect_to, csrf_token, gallery_app, new_client, spawn_app,
    spawn_app_with,
};

/// The rows of a sign-in logs page, each as its cells' text.
fn rows(html: &str) -> Vec<Vec<String>> {
    html.split("data-testid=\"sign-in-row\"")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap()];
            row.split("<td>")
                .skip(1)
                .map(|cell| cell[..cell.find("</td>").unwrap()].to_owned())
                .collect()
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&").replace("&#38;", "&")
}

async fn page_rows(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let res = app.get(&format!("/admin/sign-in-logs?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    rows(&res.text().await.unwrap())
}

/// Columns of a row on the page.
const USER: usize = 1;
const APPLICATION: usize = 2;
const STATUS: usize = 3;
const REASON: usize = 4;
const CLIENT: usize = 5;

/// A sign-in posted through the trusted proxy for `client_ip`, on a fresh client.
async fn sign_in_from(app: &TestApp, client_ip: &str, email: &str, password: &str) -> reqwest::Response {
    let client = new_client();
    let html = app.get_with(&client, "/signin").await.text().await.unwrap();
    let token = csrf_token(&html);
    client
        .post(app.url("/signin"))
        .header("x-forwarded-for", client_ip)
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn behind_proxy(s: &mut vestibule::config::Settings) {
    s.trusted_proxies = vestibule::security::client_ip::TrustedProxies::parse("127.0.0.1").unwrap();
}

#[tokio::test]
async fn password_sign_ins_are_logged_with_status_reason_and_client_address() {
    let app = spawn_app_with(behind_proxy).await;
    let blocked = app.create_member("blocked@contoso.test", "Blocked-passw0rd", "").await;
    sqlx::query("UPDATE users SET account_enabled = 0 WHERE id = $1")
        .bind(&blocked)
        .execute(app.db.pool())
        .await
        .unwrap();
    let mut answers = Vec::new();
    for (ip, email, password) in [
        ("203.0.113.9", ADMIN_EMAIL, "Wrong-passw0rd"),
        ("198.51.100.7", "Nobody@Contoso.test", "Wrong-passw0rd"),
        ("2001:db8::5", "blocked@contoso.test", "Blocked-passw0rd"),
    ] {
        let res = sign_in_from(&app, ip, email, password).await;
        assert_eq!(res.status(), 401, "{email}");
        answers.push(res.text().await.unwrap());
        app.clock.advance(60);
    }
    for html in &answers {
        assert!(
            html.contains("Your email or password is incorrect."),
            "every refusal looks the same to the person signing in"
        );
        assert!(!html.contains("5012") && !html.contains("disabled") && !html.contains("does not exist"));
    }
    assert_redirect_to(
        &sign_in_from(&app, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD).await,
        "/",
    );
    app.clock.advance(60);
    app.sign_in_as_admin().await;

    let html = app.get_html("/admin/sign-in-logs").await;
    for label in [
        "<h1>Sign-in logs</h1>",
        "Date",
        "User",
        "Application",
        "Status",
        "Failure reason",
        "Client address",
        "Export CSV",
    ] {
        assert!(html.contains(label), "the page shows {label}");
    }
    assert!(
        html.contains(
            "<a href=\"/admin/sign-in-logs\" data-testid=\"nav-sign-in-logs\" aria-current=\"page\">Sign-in logs</a>"
        ),
        "the navigation links the page, beside Audit logs"
    );
    let audit = html.find("data-testid=\"nav-audit\"").unwrap();
    let sign_ins = html.find("data-testid=\"nav-sign-in-logs\"").unwrap();
    assert!(audit < sign_ins && !html[audit..sign_ins].contains("nav-settings"));
    let all = rows(&html);
    let summary: Vec<[&str; 5]> = all
        .iter()
        .map(|r| {
            [
                r[USER].as_str(),
                r[APPLICATION].as_str(),
                r[STATUS].as_str(),
                r[REASON].as_str(),
                r[CLIENT].as_str(),
            ]
        })
        .collect();
    assert_eq!(
        summary,
        [
            [ADMIN_EMAIL, "Vestibule portal", "Success", "", "127.0.0.1"],
            [ADMIN_EMAIL, "Vestibule portal", "Success", "", "198.51.100.20"],
            [
                "blocked@contoso.test",
                "Vestibule portal",
                "Failure",
                "50057: The user account is disabled.",
                "2001:db8::5"
            ],
            [
                "Nobody@Contoso.test",
                "Vestibule portal",
                "Failure",
                "50034: The user account does not exist in the directory.",
                "198.51.100.7"
            ],
            [
                ADMIN_EMAIL,
                "Vestibule portal",
                "Failure",
                "50126: Invalid username or password.",
                "203.0.113.9"
            ],
        ],
        "newest first"
    );
    // The failures that could be tied to a user are.
    let tied: i64 = app
        .count("SELECT COUNT(*) FROM sign_in_log WHERE status = 'Failure' AND user_id IS NOT NULL")
        .await;
    assert_eq!(tied, 2, "the wrong password and the blocked account");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_log WHERE app_id IS NOT NULL OR app_name IS NOT NULL")
            .await,
        0
    );
    // Looking at pages records nothing more.
    app.get_html("/admin/users").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_log").await, 5);
}

#[tokio::test]
async fn too_many_wrong_passwords_are_logged_as_a_locked_account() {
    let app = spawn_app_with(|s| s.signin_limit_per_account = 2).await;
    for _ in 0..2 {
        assert_eq!(app.sign_in(ADMIN_EMAIL, "Wrong-passw0rd").await.status(), 401);
    }
    assert_eq!(app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 429);
    let reasons: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error_code FROM sign_in_log ORDER BY occurred_at, id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        reasons,
        [
            ("Failure".to_owned(), Some("50126".to_owned())),
            ("Failure".to_owned(), Some("50126".to_owned())),
            ("Failure".to_owned(), Some("50053".to_owned())),
        ]
    );
}

/// Email me a sign-in code for a guest's `address` on `client`, wait for
/// the code, then enter `wrong` instead when given.
async fn code_sign_in(
    app: &TestApp,
    sink: &crate::common::smtp::SmtpSink,
    client: &Client,
    address: &str,
    wrong: Option<&str>,
) -> reqwest::Response {
    let sent = sink.messages().len();
    let res = app
        .submit_with(client, "/signin", "/signin/code", &[("email", address)])
        .await;
    assert_eq!(res.status(), 200);
    let right = code_for(sink, &address.to_lowercase(), sent + 1).await;
    let code = wrong.unwrap_or(&right);
    app.submit_with(client, "/signin", "/signin/code/verify", &[("code", code)])
        .await
}

#[tokio::test]
async fn code_sign_ins_and_redemption_are_logged() {
    let (app, sink) = app_with_sink().await;
    app.sign_in_as_admin().await;
    app.clock.advance(60);
    accepted_guest(&app, &sink, "grace@fabrikam.example").await;
    app.clock.advance(60);

    // A wrong code, then the right one from a second email.
    let guest = new_client();
    let res = code_sign_in(&app, &sink, &guest, "Grace@Fabrikam.example", Some("00000000")).await;
    assert_eq!(res.status(), 422);
    app.clock.advance(60);
    let res = code_sign_in(&app, &sink, &guest, "grace@fabrikam.example", None).await;
    assert_redirect_to(&res, "/myapps");
    app.clock.advance(60);
    // An address that was never sent a code.
    let stranger = new_client();
    let res = app
        .submit_with(
            &stranger,
            "/signin",
            "/signin/code",
            &[("email", "nobody@fabrikam.example")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .submit_with(&stranger, "/signin", "/signin/code/verify", &[("code", "12345678")])
        .await;
    assert_eq!(res.status(), 422);

    let grace = page_rows(&app, "user=grace").await;
    let summary: Vec<[&str; 3]> = grace
        .iter()
        .map(|r| [r[USER].as_str(), r[STATUS].as_str(), r[REASON].as_str()])
        .collect();
    assert_eq!(
        summary,
        [
            ["grace@fabrikam.example", "Success", ""],
            ["Grace@Fabrikam.example", "Failure", "Invalid one-time passcode."],
            ["grace@fabrikam.example", "Success", ""],
        ],
        "the code sign-in, its wrong code, and the redemption's Accept"
    );
    assert!(
        grace
            .iter()
            .all(|r| r[APPLICATION] == "Vestibule portal" && r[CLIENT] == "127.0.0.1")
    );
    let nobody = page_rows(&app, "user=nobody").await;
    assert_eq!(nobody.len(), 1);
    assert_eq!(nobody[0][STATUS], "Failure");
    assert!(
        nobody[0][REASON].starts_with("No valid one-time passcode"),
        "{nobody:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_log WHERE error_code = ''")
            .await,
        0,
        "a failure without a code stores none"
    );
}

/// One seeded line: user name, app (id, name), failure, time.
type Line<'a> = (&'a str, Option<(&'a str, &'a str)>, Option<(&'a str, &'a str)>, i64);

async fn seed(app: &TestApp, lines: &[Line<'_>]) {
    let mut tx = app.db.begin().await.unwrap();
    for (user, application, failure, at) in lines {
        let entry = SignInEntry {
            user_id: None,
            user_name: Some(user),
            app_id: application.map(|(id, _)| id),
            app_name: application.map(|(_, name)| name),
            failure: *failure,
            client_ip: Some("192.0.2.1"),
        };
        sign_in_log::record(&mut tx, &entry, *at).await.unwrap();
    }
    tx.commit().await.unwrap();
}

const NOT_ASSIGNED: (&str, &str) = (
    "50105",
    "The signed in user is not assigned to a role for the application.",
);

#[tokio::test]
async fn the_filters_each_work_and_combine() {
    let app = spawn_app().await;
    let (docusign, _) = gallery_app(&app, "docusign", "DocuSign").await;
    let ds = Some((docusign.id.as_str(), "DocuSign"));
    seed(
        &app,
        &[
            ("grace@fabrikam.example", None, None, MAY_10 + 3600),
            ("Grace@Fabrikam.example", ds, Some(NOT_ASSIGNED), MAY_10 + DAY + 10),
            ("henry@fabrikam.example", ds, None, MAY_10 + 2 * DAY),
            (
                "henry@fabrikam.example",
                None,
                Some(("50126", "Invalid username or password.")),
                MAY_10 + 3 * DAY,
            ),
        ],
    )
    .await;
    app.sign_in_as_admin().await;
    let html = app.get_html("/admin/sign-in-logs").await;
    assert!(html.contains("<option value=\"portal\">Vestibule portal</option>"));
    assert!(html.contains(&format!("<option value=\"{}\">DocuSign</option>", docusign.id)));
    assert!(html.contains("<option value=\"Failure\">Failure</option>"));
    assert!(html.contains("type=\"date\""));

    let count = |q: String| {
        let app = &app;
        async move { page_rows(app, &q).await.len() }
    };
    let may = "to=2024-05-31";
    assert_eq!(count(format!("user=GRA&{may}")).await, 2, "user prefix, any case");
    assert_eq!(count(format!("user=grace%40fab&{may}")).await, 2);
    assert_eq!(count(format!("user=race&{may}")).await, 0, "a prefix, not a substring");
    assert_eq!(count(format!("status=Failure&{may}")).await, 2);
    assert_eq!(count(format!("status=Success&{may}")).await, 2);
    assert_eq!(
        count("status=Success".to_owned()).await,
        3,
        "and the admin's own sign-in"
    );
    assert_eq!(count(format!("app={}", docusign.id)).await, 2);
    assert_eq!(count(format!("app=portal&{may}")).await, 2);
    assert_eq!(count("app=portal".to_owned()).await, 3);
    assert_eq!(
        count("from=2024-05-11&to=2024-05-12".to_owned()).await,
        2,
        "both days included"
    );
    assert_eq!(count("from=2024-05-10&to=2024-05-10".to_owned()).await, 1);
    assert_eq!(count(format!("user=henry&status=Failure&{may}")).await, 1);
    assert_eq!(
        count(format!("user=grace&app={}&status=Failure&from=2024-05-11", docusign.id)).await,
        1
    );
    assert_eq!(count(format!("user=grace&app={}&status=Success", docusign.id)).await, 0);
    let html = app.get_html("/admin/sign-in-logs?user=zed").await;
    assert!(html.contains("No sign-ins match."));

    let failures = page_rows(&app, &format!("status=Failure&{may}")).await;
    assert_eq!(failures[0][REASON], "50126: Invalid username or password.");
    assert_eq!(failures[1][APPLICATION], "DocuSign");
    assert_eq!(
        failures[1][REASON],
        "50105: The signed in user is not assigned to a role for the application."
    );
    assert_eq!(failures[1][0], "2024-05-11 00:00 UTC");

    // A deleted application's sign-ins can still be asked for.
    let gone = "0190a3f4-7c2b-7d4e-8f00-0000000000ff";
    seed(&app, &[("ivy@fabrikam.example", Some((gone, "Old app")), None, MAY_10)]).await;
    let html = app.get_html(&format!("/admin/sign-in-logs?app={gone}")).await;
    assert!(html.contains(&format!(
        "<option value=\"{gone}\" selected>Application {gone}</option>"
    )));
    assert_eq!(rows(&html).len(), 1);
    assert_eq!(rows(&html)[0][APPLICATION], "Old app");

    // The Export CSV link carries the filters.
    let html = app
        .get_html("/admin/sign-in-logs?user=grace&status=failure&app=portal")
        .await;
    assert!(html.contains("<option value=\"Failure\" selected>Failure</option>"));
    assert!(html.contains("<option value=\"portal\" selected>Vestibule portal</option>"));
    let start = html.find("/admin/sign-in-logs/export?").unwrap();
    let export = unescape(&html[start..start + html[start..].find('"').unwrap()]);
    assert_eq!(
        export,
        "/admin/sign-in-logs/export?user=grace&app=portal&status=Failure&from=&to="
    );
}

#[tokio::test]
async fn keyset_paging_returns_every_sign_in_exactly_once() {
    let app = spawn_app().await;
    // 250 lines, ten to a second: ties on the time are broken by the id.
    let names: Vec<String> = (0..250).map(|i| format!("paged-{i:03}@contoso.test")).collect();
    let lines: Vec<Line> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), None, None, MAY_10 + i as i64 / 10))
        .collect();
    seed(&app, &lines).await;
    app.sign_in_as_admin().await;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some("/admin/sign-in-logs?user=PAGED-&status=Success".to_owned());
    while let Some(href) = next.take() {
        assert!(!href.contains("offset"), "{href}");
        let html = app.get_html(&href).await;
        let page = rows(&html);
        sizes.push(page.len());
        seen.extend(page.into_iter().map(|r| r[USER].clone()));
        next = html.find("rel=\"next\"").map(|at| {
            let start = html[..at].rfind("href=\"").unwrap() + 6;
            unescape(&html[start..start + html[start..].find('"').unwrap()])
        });
        if let Some(n) = &next {
            assert!(
                n.contains("user=PAGED-") && n.contains("status=Success") && n.contains("before_at="),
                "the filters travel: {n}"
            );
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    let mut expected = names.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every line once, newest first");
}

/// An RFC 4180 reader for the export: CRLF between records, quotes doubled
/// inside quoted fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    vestibule::format::rfc4180::parse(text)
        .expect("well-formed CSV")
        .into_iter()
        .map(|r| r.fields)
        .collect()
}

#[tokio::test]
async fn the_csv_export_has_every_line_and_neutralises_formulas() {
    let app = spawn_app().await;
    let (docusign, _) = gallery_app(&app, "docusign", "DocuSign").await;
    let names: Vec<String> = (0..1_500).map(|i| format!("user-{i:04}@contoso.test")).collect();
    let mut lines: Vec<Line> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), None, None, MAY_10 + i as i64))
        .collect();
    lines.push((
        "=HYPERLINK(\"http://x\")",
        Some((docusign.id.as_str(), "DocuSign")),
        Some(NOT_ASSIGNED),
        MAY_10 + 2 * DAY,
    ));
    lines.push((
        "@SUM(A1)",
        None,
        Some(("", "Invalid one-time passcode.")),
        MAY_10 + 2 * DAY + 1,
    ));
    seed(&app, &lines).await;
    app.sign_in_as_admin().await;

    let res = app.get("/admin/sign-in-logs/export?to=2024-05-31").await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"sign-in-logs.csv\"")
    );
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    let text = res.text().await.unwrap();
    let records = parse_csv(&text);
    assert_eq!(
        records[0],
        [
            "Date (UTC)",
            "Id",
            "User",
            "User ID",
            "Application",
            "Application ID",
            "Status",
            "Sign-in error code",
            "Failure reason",
            "IP address"
        ]
    );
    assert_eq!(records.len(), 1 + 1_502, "a header and every line, over several chunks");
    assert!(records.iter().all(|r| r.len() == 10), "every record has every column");
    let mut ids: Vec<&str> = records[1..].iter().map(|r| r[1].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1_502, "no line twice");
    assert_eq!(records[1][2], "'@SUM(A1)", "newest first, the formula neutralised");
    assert_eq!(records[1][7], "", "no code");
    assert_eq!(records[1][8], "Invalid one-time passcode.");
    assert_eq!(records[1][4], "Vestibule portal");
    assert_eq!(records[2][2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(records[2][0], "2024-05-12T00:00:00Z");
    assert_eq!(records[2][3], "");
    assert_eq!(records[2][4], "DocuSign");
    assert_eq!(records[2][5], docusign.id);
    assert_eq!(records[2][6], "Failure");
    assert_eq!(records[2][7], "50105");
    assert_eq!(records[2][9], "192.0.2.1");
    assert_eq!(records[3][2], "user-1499@contoso.test");
    assert_eq!(records[3][6], "Success");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "quoted as RFC 4180 says"
    );

    // The same filters as the page.
    let text = app
        .get("/admin/sign-in-logs/export?status=Failure&to=2024-05-31")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(parse_csv(&text).len(), 1 + 2);
    let text = app
        .get(&format!("/admin/sign-in-logs/export?app={}", docusign.id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(parse_csv(&text).len(), 1 + 1);
}

#[tokio::test]
async fn bad_filters_are_refused_with_422_and_a_message_next_to_the_field() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let cases = [
        ("from=2024-13-01&user=bob", "from_error\">Enter a date as YYYY-MM-DD"),
        ("to=2024-02-30", "to_error\">That day does not exist."),
        (
            "from=2024-05-02&to=2024-05-01",
            "to_error\">The To date is before the From date.",
        ),
        ("status=Maybe", "status_error\">Choose Success, Failure or All."),
        ("app=DocuSign", "app_error\">Choose an application from the list."),
    ];
    for (query, message) in cases {
        let res = app.get(&format!("/admin/sign-in-logs?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{query}: {html}");
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("Correct the filters to see the sign-in log."));
        assert!(!html.contains("Export CSV") && !html.contains("data-testid=\"sign-in-table\""));
        let res = app.get(&format!("/admin/sign-in-logs/export?{query}")).await;
        assert_eq!(res.status(), 422, "the export refuses {query} the same way");
    }
    let res = app.get("/admin/sign-in-logs?from=2024-13-01&user=bob").await;
    assert!(
        res.text().await.unwrap().contains("value=\"bob\""),
        "the entered values stay"
    );
    let long = "x".repeat(300);
    let res = app.get(&format!("/admin/sign-in-logs?user={long}")).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("user_error\">Enter at most 256 characters.")
    );
    assert_eq!(
        app.get("/admin/sign-in-logs?before_at=x&before_id=").await.status(),
        200,
        "a bad key is the first page"
    );
    assert_eq!(
        app.get("/admin/sign-in-logs?status=success&app=PORTAL").await.status(),
        422,
        "the portal's value is exact"
    );
}

#[tokio::test]
async fn only_global_and_user_administrators_read_the_sign_in_log() {
    let app = spawn_app().await;
    for (i, (role, allowed)) in [
        ("global_administrator", true),
        ("user_administrator", true),
        ("helpdesk_administrator", false),
        ("guest_inviter", false),
        ("", false),
    ]
    .into_iter()
    .enumerate()
    {
        let email = format!("reader{i}@contoso.test");
        app.create_member(&email, "Reader-passw0rd", role).await;
        let client = new_client();
        assert_eq!(app.sign_in_with(&client, &email, "Reader-passw0rd").await.status(), 303);
        let want = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
        for path in [
            "/admin/sign-in-logs",
            "/admin/sign-in-logs?status=Failure",
            "/admin/sign-in-logs/export",
        ] {
            assert_eq!(app.get_with(&client, path).await.status(), want, "{path} as {role:?}");
        }
        let shell = app.get_with(&client, "/myapps").await.text().await.unwrap();
        assert_eq!(
            shell.contains("href=\"/admin/sign-in-logs\""),
            allowed,
            "the navigation link as {role:?}"
        );
    }
    let anonymous = new_client();
    let res = app.get_with(&anonymous, "/admin/sign-in-logs").await;
    assert_redirect_to(&res, "/signin?next=%2Fadmin%2Fsign-in-logs");
}

#[tokio::test]
async fn a_sign_in_goes_on_when_its_line_cannot_be_written() {
    let app = spawn_app().await;
    sqlx::query("DROP TABLE sign_in_log")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(app.sign_in(ADMIN_EMAIL, "Wrong-passw0rd").await.status(), 401);
    assert_redirect_to(&app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await, "/");
    assert_redirect_to(&app.get("/").await, "/admin/users");
}

#[tokio::test]
async fn the_filtered_lists_use_the_indexes() {
    let app = spawn_app().await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let postgres = app.settings.is_postgres();
    async fn set(conn: &mut sqlx::AnyConnection, postgres: bool, setting: &str, on: bool) {
        if postgres {
            let value = if on { "on" } else { "off" };
            sqlx::query(sqlx::AssertSqlSafe(format!("SET {setting} = {value}")))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    // An empty table makes any plan look cheap; ask whether an index can
    // serve each query at all.
    set(&mut conn, postgres, "enable_seqscan", false).await;
    set(&mut conn, postgres, "enable_bitmapscan", false).await;
    let key = Some((MAY_10, "0190a3f4-7c2b-7d4e-8f00-000000000001".to_owned()));
    let cases = [
        ("first page", SignInQuery::default(), "sign_in_log_time_idx"),
        (
            "next page in a date range",
            SignInQuery {
                from: Some(MAY_10),
                until: Some(MAY_10 + DAY),
                before: key.clone(),
                ..Default::default()
            },
            "sign_in_log_time_idx",
        ),
        (
            "status",
            SignInQuery {
                status: Some(Status::Failure),
                before: key.clone(),
                ..Default::default()
            },
            "sign_in_log_status_idx",
        ),
        (
            "application",
            SignInQuery {
                app: Some(AppFilter::Id("0190a3f4-7c2b-7d4e-8f00-000000000002".into())),
                before: key.clone(),
                ..Default::default()
            },
            "sign_in_log_app_idx",
        ),
        (
            "portal",
            SignInQuery {
                app: Some(AppFilter::Portal),
                before: key.clone(),
                ..Default::default()
            },
            "sign_in_log_app_idx",
        ),
        (
            "user prefix",
            SignInQuery {
                user_prefix: Some("gra".into()),
                ..Default::default()
            },
            "sign_in_log_user_idx",
        ),
    ];
    for (what, query, index) in cases {
        // A name prefix finds its lines in name order, so they are then
        // sorted by time (only the matches); every other filter walks its
        // index in time order and stops after one page.
        let in_time_order = !index.ends_with("user_idx");
        set(&mut conn, postgres, "enable_sort", !in_time_order).await;
        let plan = sign_in_log::explain_list(&mut conn, &query, 101).await.unwrap();
        assert!(plan.contains(index), "{what} uses {index}: {plan}");
        if in_time_order {
            assert!(
                !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
                "{what} needs no sort: {plan}"
            );
        }
        assert!(
            !plan.contains("Seq Scan") && !plan.lines().any(|l| l.trim() == "SCAN sign_in_log"),
            "{what} never scans the table: {plan}"
        );
    }
}
