//! Export CSV: RFC 4180, streamed in chunks, formulas neutralised.

use crate::common::audit_seed::{GRACE, MAY_10, Seed, seed};
use crate::common::flows::new_group;
use crate::common::spawn_app;

/// An RFC 4180 reader: CRLF between records, quotes doubled inside quoted
/// fields; anything else malformed panics.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let (mut quoted, mut fresh, mut closed) = (false, true, false);
    while let Some(c) = chars.next() {
        if quoted {
            if c != '"' {
                field.push(c);
            } else if chars.peek() == Some(&'"') {
                chars.next();
                field.push('"');
            } else {
                quoted = false;
                closed = true;
            }
            continue;
        }
        match c {
            '"' if fresh => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            other => {
                assert!(!closed, "text after a closing quote");
                assert!(other != '"' && other != '\n', "a bare {other:?} in an unquoted field");
                field.push(other);
            }
        }
        fresh = matches!(c, ',' | '\r');
        closed = closed && !fresh;
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

#[tokio::test]
async fn a_csv_export_of_ten_thousand_entries_streams_well_formed_rows() {
    let app = spawn_app().await;
    let tricky = [
        "=HYPERLINK(\"http://x\")",
        "-2+3",
        "+1",
        "@SUM(A1)",
        "a, \"b\"\r\nc",
        "\tTab",
    ];
    let names: Vec<String> = (0..10_000)
        .map(|i| match i % 1000 {
            n @ 0..6 => tricky[n].to_owned(),
            _ => format!("user-{i}@contoso.test"),
        })
        .collect();
    let seeds: Vec<Seed> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                "Update user",
                "admin@contoso.test",
                Some(GRACE),
                n.as_str(),
                MAY_10 + i as i64,
            )
        })
        .collect();
    seed(&app, &seeds).await;
    app.sign_in_as_admin().await;
    let mut res = app.get("/admin/audit/export.csv?from=2024-05-01&to=2024-05-31").await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"audit-log.csv\"")
    );
    assert_eq!(header("transfer-encoding").as_deref(), Some("chunked"));
    assert_eq!(header("content-length"), None, "the size is not known in advance");
    let mut body = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = res.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(chunks > 1, "the export arrives in several chunks, not one ({chunks})");
    let records = parse_csv(&String::from_utf8(body).expect("UTF-8"));
    assert_eq!(records.len(), 10_001, "a header and every entry");
    assert_eq!(records[0][..3], ["Date (UTC)", "Id", "Activity"]);
    assert!(records.iter().all(|r| r.len() == 11), "every record has every column");
    let target = 8;
    assert_eq!(records[0][target], "Target");
    // Newest first: entry 9999 is the first record after the header.
    assert_eq!(records[1][target], "user-9999@contoso.test");
    assert_eq!(records[1][0], "2024-05-10T02:46:39Z");
    let mut ids: Vec<&str> = records[1..].iter().map(|r| r[1].as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 10_000, "no entry twice");
    // Entry i is record 10,000 - i.
    let by_target = |i: usize| records[10_000 - i][target].as_str();
    assert_eq!(by_target(0), "'=HYPERLINK(\"http://x\")");
    assert_eq!(by_target(1001), "'-2+3");
    assert_eq!(by_target(2002), "'+1");
    assert_eq!(by_target(3003), "'@SUM(A1)");
    assert_eq!(by_target(4004), "a, \"b\"\r\nc", "quotes and line breaks survive");
    assert_eq!(by_target(5005), "'\tTab");
    assert_eq!(
        records[10_000][10], "seeded, =HYPERLINK(\"http://x\")",
        "only a leading character makes a formula"
    );
    // The same filters as the page.
    let text = app
        .get("/admin/audit/export.csv?target=%3Dhyper&to=2024-05-31")
        .await
        .text()
        .await
        .unwrap();
    let records = parse_csv(&text);
    assert_eq!(records.len(), 1 + 10, "the header and the ten =HYPERLINK rows");
}

#[tokio::test]
async fn a_formula_in_a_display_name_is_neutralised_in_the_export() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    new_group(&app, "=HYPERLINK(\"http://x\")", "", None).await;
    let html = app.get_html("/admin/audit?activity=Add+group").await;
    assert!(html.contains("=HYPERLINK(&#34;http://x&#34;)") || html.contains("=HYPERLINK(&quot;http://x&quot;)"));
    let text = app
        .get("/admin/audit/export.csv?activity=Add+group")
        .await
        .text()
        .await
        .unwrap();
    let records = parse_csv(&text);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1][8], "'=HYPERLINK(\"http://x\")");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
}
