//! The one-time passcode email: composed for a guest who redeems by code or
//! signs in with an emailed code, queued ahead of bulk mail.

use askama::Template;

use super::MailContext;
use crate::i18n::{Language, Tr};
use crate::store::organization::Organization;
use crate::store::outbox::OutgoingMail;

#[derive(Template)]
#[template(path = "email/code.txt", escape = "none")]
struct CodeText<'a> {
    org_name: &'a str,
    code: &'a str,
    t: Tr,
}

#[derive(Template)]
#[template(path = "email/code.html")]
struct CodeHtml<'a> {
    org_name: &'a str,
    code: &'a str,
    subject: &'a str,
    t: Tr,
}

/// Subject, text and HTML of the code email, in `language`.
pub fn render(org_name: &str, code: &str, language: Language) -> askama::Result<(String, String, String)> {
    let subject = crate::i18n::text_with(language, "code-subject", &[("org", org_name)]);
    let text = CodeText {
        org_name,
        code,
        t: Tr::text(language),
    }
    .render()?;
    let html = CodeHtml {
        org_name,
        code,
        subject: &subject,
        t: Tr::html(language),
    }
    .render()?;
    Ok((subject, text, html))
}

/// The code email to `to`, for the user the code belongs to. The body
/// carries the code, so the outbox wipes it once sent.
pub fn compose(
    context: &MailContext,
    org: &Organization,
    to: &str,
    user_id: &str,
    code: &str,
    language: Language,
) -> anyhow::Result<OutgoingMail> {
    let (subject, text, html) = render(&org.name, code, language)?;
    let message_id = super::new_message_id(&org.primary_domain);
    let message = super::build_message(
        &super::from_name(org),
        &context.from,
        None,
        to,
        &subject,
        text,
        html,
        None,
        &message_id,
    )?;
    Ok(OutgoingMail {
        kind: "code",
        user_id: Some(user_id.to_owned()),
        recipient: to.to_owned(),
        subject,
        message_id,
        body: super::message_text(&message),
        carries_secret: true,
        priority: super::priority::CODE,
    })
}
