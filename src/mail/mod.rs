//! Outgoing email, in one home. Each email is composed here (`invitation.rs`,
//! `code.rs`: text and HTML from an askama `.txt`/`.html` pair, the links it
//! carries from `links.rs`) and written to the outbox with `queue` or
//! `queue_all`, the only ways in, in the transaction of the change that
//! caused it. After the commit the caller wakes the worker
//! (`AppState::wake_mail`), and the worker (`worker.rs`) sends it through
//! the transport (`transport.rs`). Nothing here knows the web layer, the
//! services or the application context.

pub mod code;
pub mod invitation;
pub mod links;
pub mod smtp;
pub mod transport;
pub mod worker;

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::config::Settings;
use crate::security::secret::DigestKey;
use crate::store::Tx;
use crate::store::organization::Organization;
use crate::store::outbox::{self, OutgoingMail};

pub use transport::{SendError, Transport};

/// What composing any email needs from the running portal: where its links
/// point, the key that signs Block links, and the sender address.
#[derive(Clone)]
pub struct MailContext {
    /// The public URL with the real port filled in.
    pub public_url: String,
    pub block_links: DigestKey,
    /// The envelope sender and the address in From (`sender_address`).
    pub from: String,
}

/// The outbox sends higher priorities first: a code someone waits for goes
/// ahead of a bulk load of invitations.
pub mod priority {
    pub const CODE: i64 = 10;
    pub const BULK: i64 = 0;
}

/// The name in From: "Contoso Invitations".
pub fn from_name(org: &Organization) -> String {
    format!("{} Invitations", org.name)
}

/// The envelope sender and the address in From: `VESTIBULE_MAIL_FROM`, else
/// `invitations@{org_domain}`.
pub fn sender_address(settings: &Settings) -> String {
    match &settings.mail_from {
        Some(from) => from.clone(),
        None => format!("invitations@{}", settings.org_domain),
    }
}

/// A fresh Message-ID, `<uuid@domain>`.
pub fn new_message_id(domain: &str) -> String {
    format!("<{}@{}>", uuid::Uuid::new_v4(), domain)
}

/// A multipart/alternative message (text, then HTML) with our Message-ID,
/// and `List-Unsubscribe: <url>` when one is given.
#[allow(clippy::too_many_arguments)]
pub fn build_message(
    from_name: &str,
    from_address: &str,
    reply_to: Option<&str>,
    to: &str,
    subject: &str,
    text: String,
    html: String,
    list_unsubscribe: Option<&str>,
    message_id: &str,
) -> anyhow::Result<Message> {
    let from = Mailbox::new(
        Some(from_name.to_owned()),
        from_address
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid sender address {from_address:?}: {e}"))?,
    );
    let to: Mailbox = to
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid recipient address {to:?}: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id.to_owned()));
    if let Some(reply_to) = reply_to {
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid Reply-To address {reply_to:?}: {e}"))?;
        builder = builder.reply_to(reply_to);
    }
    if let Some(url) = list_unsubscribe {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(text, html))?)
}

/// The whole message as the outbox stores it. lettre writes 7-bit
/// (quoted-printable or base64) bodies and encoded headers, so the message
/// is ASCII; the lossy step never changes it.
pub fn message_text(message: &Message) -> String {
    match String::from_utf8(message.formatted()) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Writes one composed message to the outbox in the caller's transaction.
/// The caller commits, then wakes the worker (`AppState::wake_mail`).
pub async fn queue(tx: &mut Tx, mail: &OutgoingMail, now: i64) -> sqlx::Result<String> {
    outbox::enqueue(tx, &mail.as_new_mail(), now).await
}

/// Writes many composed messages in as few statements as the store allows
/// (Bulk invite), in the caller's transaction.
pub async fn queue_all(tx: &mut Tx, mails: Vec<OutgoingMail>, now: i64) -> sqlx::Result<()> {
    if mails.is_empty() {
        return Ok(());
    }
    outbox::enqueue_many(tx, mails, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_has_both_parts_our_id_and_the_unsubscribe_header() {
        let id = new_message_id("contoso.test");
        assert!(id.starts_with('<') && id.ends_with("@contoso.test>"), "{id}");
        let message = build_message(
            "Contoso Invitations",
            "invitations@contoso.test",
            Some("ada@contoso.test"),
            "grace@fabrikam.test",
            "Ada invited you",
            "Hello in text".into(),
            "<p>Hello in HTML</p>".into(),
            Some("https://portal.contoso.test/block?t=abc"),
            &id,
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
        assert!(
            raw.contains("List-Unsubscribe: <https://portal.contoso.test/block?t=abc>"),
            "{raw}"
        );
        assert!(raw.contains("Reply-To: ada@contoso.test"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn the_sender_defaults_to_the_organization_domain() {
        let mut settings = Settings {
            org_domain: "contoso.test".into(),
            ..Settings::default()
        };
        assert_eq!(sender_address(&settings), "invitations@contoso.test");
        settings.mail_from = Some("portal@mail.contoso.test".into());
        assert_eq!(sender_address(&settings), "portal@mail.contoso.test");
    }
}
