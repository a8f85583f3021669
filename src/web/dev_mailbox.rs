//! The development mailbox: with no SMTP server, a loopback bind address
//! and a loopback public URL, mail stays in the outbox and is read here.
//! Off (404) in any other run. The Host check of every request (see
//! `web::middleware`) keeps a DNS-rebinding page from reading it; the
//! mailbox checks `Host` again itself, so a path the middleware lets
//! through for any host could never expose it.
//!
//! The HTML part of a message is never put into our page (our CSP forbids
//! its inline styles, and it would be a way in for script): it is served on
//! its own address under a sandboxing Content-Security-Policy.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use mail_parser::{MessageParser, PartType};

use crate::app::AppState;
use crate::clock::format_time;
use crate::security::origin::Origin;
use crate::store::outbox::{self, OutboxMessage};
use crate::web::error::AppError;
use crate::web::layout::{Layout, render};
use crate::web::routes::route_table;

/// The policy of a served HTML part: no script, no plugins, no network;
/// the message's own inline styles and embedded images only.
const HTML_PART_POLICY: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Headers shown on a message's page, in this order.
const SHOWN_HEADERS: [&str; 8] = [
    "From",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
];

route_table!(ROUTES, routes, "/dev", {
    get "/mailbox" => mailbox,
    get "/mailbox/{id}" => mailbox_message,
    get "/mailbox/{id}/html" => mailbox_message_html,
});

struct Line {
    id: String,
    subject: String,
    recipient: String,
    when: String,
    status: String,
}

#[derive(Template)]
#[template(path = "dev/mailbox.html")]
struct MailboxPage {
    layout: Layout,
    messages: Vec<Line>,
}

#[derive(Template)]
#[template(path = "dev/message.html")]
struct MessagePage {
    layout: Layout,
    id: String,
    subject: String,
    status: String,
    headers: Vec<(String, String)>,
    text: Option<String>,
    has_html: bool,
    has_body: bool,
}

/// The mailbox answers only on a portal reachable from this machine alone
/// (bind address and public URL on loopback, no SMTP server), and only a
/// request whose `Host` names the public URL's host and port.
fn ensure_enabled(state: &AppState, req: &HttpRequest) -> Result<(), AppError> {
    if !(state.mailbox_enabled() && state.settings.is_loopback()) {
        return Err(AppError::NotFound);
    }
    if !host_is_public(req, &state.public_url) {
        return Err(AppError::WrongHost {
            public_url: state.public_url.clone(),
        });
    }
    Ok(())
}

fn host_is_public(req: &HttpRequest, public_url: &str) -> bool {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
    match (host, Origin::of_url(public_url)) {
        (Some(host), Some(public)) => public.is_addressed_by(host),
        _ => false,
    }
}

pub async fn mailbox(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    ensure_enabled(&state, &req)?;
    let mut conn = state.db.pool().acquire().await?;
    let rows = outbox::list_recent(&mut conn, 200).await?;
    let messages = rows
        .into_iter()
        .map(|r| Line {
            id: r.id,
            subject: r.subject,
            recipient: r.recipient,
            when: format_time(r.created_at),
            status: status_label(&r.status, r.attempts, r.last_error.as_deref()),
        })
        .collect();
    render(&MailboxPage {
        layout: Layout::bare("Development mailbox"),
        messages,
    })
}

pub async fn mailbox_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let message = find(&state, &req, &id).await?;
    let parsed = message.body.as_deref().map(parse).unwrap_or_default();
    render(&MessagePage {
        layout: Layout::bare(&message.subject),
        status: status_label(&message.status, message.attempts, message.last_error.as_deref()),
        headers: parsed.headers,
        text: parsed.text,
        has_html: parsed.html.is_some(),
        has_body: message.body.is_some(),
        id: message.id,
        subject: message.subject,
    })
}

pub async fn mailbox_message_html(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let message = find(&state, &req, &id).await?;
    let html = message
        .body
        .as_deref()
        .map(parse)
        .and_then(|p| p.html)
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, HTML_PART_POLICY))
        .body(html))
}

async fn find(state: &AppState, req: &HttpRequest, id: &str) -> Result<OutboxMessage, AppError> {
    ensure_enabled(state, req)?;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound);
    }
    let mut conn = state.db.pool().acquire().await?;
    outbox::find(&mut conn, id).await?.ok_or(AppError::NotFound)
}

fn status_label(status: &str, attempts: i64, last_error: Option<&str>) -> String {
    match (status, last_error) {
        ("sent", _) => "Kept here (not sent anywhere)".into(),
        ("failed", Some(reason)) => format!("Failed: {reason}"),
        (_, Some(reason)) => format!("Queued; attempt {attempts} failed: {reason}"),
        _ => "Queued".into(),
    }
}

/// What the pages show of a stored message.
#[derive(Default)]
struct Parsed {
    headers: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
}

fn parse(raw: &str) -> Parsed {
    let Some(message) = MessageParser::default().parse(raw.as_bytes()) else {
        return Parsed {
            text: Some(raw.to_owned()),
            ..Parsed::default()
        };
    };
    let mut headers = Vec::new();
    for wanted in SHOWN_HEADERS {
        let value = if wanted == "Subject" {
            message.subject().map(str::to_owned)
        } else {
            message
                .headers_raw()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        if let Some(value) = value {
            headers.push((wanted.to_owned(), value));
        }
    }
    let text = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    let html = message.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    Parsed { headers, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_and_the_headers_are_read_from_a_built_message() {
        let message = crate::mail::build_message(
            "Contoso Invitations",
            "invitations@contoso.test",
            None,
            "grace@fabrikam.test",
            "Grüße from Contoso",
            "A line long enough that quoted-printable encoding has to fold it somewhere in the middle: https://portal.contoso.test/redeem?t=abcdef".into(),
            "<p style=\"color:red\">Hello</p>".into(),
            None,
            "<1@contoso.test>",
        )
        .unwrap();
        let parsed = parse(&String::from_utf8(message.formatted()).unwrap());
        assert!(
            parsed
                .text
                .unwrap()
                .contains("https://portal.contoso.test/redeem?t=abcdef")
        );
        assert_eq!(parsed.html.as_deref(), Some("<p style=\"color:red\">Hello</p>"));
        let subject = parsed.headers.iter().find(|(n, _)| n == "Subject").unwrap();
        assert_eq!(subject.1, "Grüße from Contoso");
        assert!(
            parsed
                .headers
                .iter()
                .any(|(n, v)| n == "Message-ID" && v == "<1@contoso.test>")
        );
    }

    #[test]
    fn only_the_public_urls_host_and_port_reach_the_mailbox() {
        let public = "http://127.0.0.1:8080";
        let with_host = |host: Option<&str>| {
            let mut req = actix_web::test::TestRequest::get().uri("/dev/mailbox");
            if let Some(host) = host {
                req = req.insert_header((header::HOST, host));
            }
            host_is_public(&req.to_http_request(), public)
        };
        assert!(with_host(Some("127.0.0.1:8080")));
        for host in [
            None,
            Some("evil.test"),
            Some("evil.test:8080"),
            Some("localhost:8080"),
            Some("127.0.0.1:8081"),
            Some("127.0.0.1"),
        ] {
            assert!(!with_host(host), "{host:?}");
        }
    }

    #[test]
    fn a_text_only_message_has_no_html_part() {
        let raw = "From: a@b.test\r\nTo: c@d.test\r\nSubject: Hi\r\nContent-Type: text/plain\r\n\r\nHello\r\n";
        let parsed = parse(raw);
        assert!(parsed.html.is_none());
        assert_eq!(parsed.text.as_deref().map(str::trim_end), Some("Hello"));
    }
}
