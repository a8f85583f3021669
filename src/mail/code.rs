//! The one-time passcode email.

use askama::Template;

#[derive(Template)]
#[template(path = "email/code.txt", escape = "none")]
struct CodeText<'a> {
    org_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/code.html")]
struct CodeHtml<'a> {
    org_name: &'a str,
    code: &'a str,
}

/// Subject, text and HTML of the code email.
pub fn render(org_name: &str, code: &str) -> askama::Result<(String, String, String)> {
    let subject = format!("Your {org_name} verification code");
    let text = CodeText { org_name, code }.render()?;
    let html = CodeHtml { org_name, code }.render()?;
    Ok((subject, text, html))
}
