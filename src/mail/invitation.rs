//! The invitation email (SPEC §3) and the copy for its Cc recipient, each
//! an askama `.txt` + `.html` pair, composed and queued in the outbox for a
//! first invitation, a resend, a reset and Bulk invite alike. The personal
//! message is always plain text: escaped in HTML, never interpreted.

use askama::Template;

use super::MailContext;
use super::links;
use crate::i18n::{Language, Tr, escape_html};
use crate::store::organization::Organization;
use crate::store::outbox::OutgoingMail;
use crate::store::{self, Conn, Tx};

/// What both parts of the invitation say.
pub struct InvitationEmail {
    pub subject: String,
    pub org_name: String,
    pub org_domain: String,
    pub inviter_name: String,
    pub inviter_email: String,
    pub invitee_name: String,
    pub invitee_email: String,
    pub message: Option<String>,
    pub accept_url: String,
    pub privacy_url: Option<String>,
    pub block_url: String,
    pub language: Language,
}

#[derive(Template)]
#[template(path = "email/invitation.txt", escape = "none")]
struct InvitationText<'a> {
    e: &'a InvitationEmail,
    t: Tr,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    e: &'a InvitationEmail,
    t: Tr,
    /// "Block future invitations" (a link) from the organization to the
    /// address, in the email's language.
    block_html: String,
}

#[derive(Template)]
#[template(path = "email/invitation_cc.txt", escape = "none")]
struct CcText<'a> {
    e: &'a InvitationEmail,
    t: Tr,
}

#[derive(Template)]
#[template(path = "email/invitation_cc.html")]
struct CcHtml<'a> {
    e: &'a InvitationEmail,
    t: Tr,
}

impl InvitationEmail {
    /// The invitation's text and HTML bodies.
    pub fn render(&self) -> askama::Result<(String, String)> {
        let t = Tr::html(self.language);
        let link = format!(
            "<a href=\"{}\" style=\"color:#0f5bbd;\">{}</a>",
            escape_html(&self.block_url),
            t.get("invitation-block-link")
        );
        let block_html = t.with_link(
            "invitation-block-html",
            &link,
            &[("org", &self.org_name), ("address", &self.invitee_email)],
        );
        Ok((
            InvitationText {
                e: self,
                t: Tr::text(self.language),
            }
            .render()?,
            InvitationHtml { e: self, t, block_html }.render()?,
        ))
    }

    /// The Cc recipient's copy: who was invited, and no redemption link.
    pub fn render_cc(&self) -> askama::Result<(String, String)> {
        Ok((
            CcText {
                e: self,
                t: Tr::text(self.language),
            }
            .render()?,
            CcHtml {
                e: self,
                t: Tr::html(self.language),
            }
            .render()?,
        ))
    }
}

/// What the invitation email says, for a first invitation, a resend or a
/// reset.
pub struct InvitationMail<'a> {
    pub inviter_id: &'a str,
    pub user_id: &'a str,
    pub to: &'a str,
    pub invitee_name: &'a str,
    pub message: Option<&'a str>,
    pub cc: Option<&'a str>,
    pub ticket: &'a str,
    /// The invitation's message language; `None` follows the organization's.
    pub language: Option<Language>,
}

/// Why an invitation email could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The inviter is no longer in the directory.
    #[error("the inviter is no longer in the directory")]
    InviterGone,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Compose(#[from] anyhow::Error),
}

/// Queues the invitation email (and its Cc copy) in the caller's
/// transaction. The body carries the ticket, so it is wiped once sent. The
/// caller commits, then wakes the outbox worker.
pub async fn queue(
    tx: &mut Tx,
    context: &MailContext,
    org: &Organization,
    mail: &InvitationMail<'_>,
    now: i64,
) -> Result<(), QueueError> {
    let sender = InvitationSender::load(tx, context, org, mail.inviter_id)
        .await?
        .ok_or(QueueError::InviterGone)?;
    for message in sender.compose(mail)? {
        super::queue(tx, &message, now).await?;
    }
    Ok(())
}

/// What every invitation from one inviter has in common: the organization,
/// the inviter, the sender and the subject. Loaded once, it composes any
/// number of emails (Bulk invite composes thousands).
pub struct InvitationSender {
    context: MailContext,
    org_name: String,
    org_domain: String,
    privacy_url: Option<String>,
    inviter_name: String,
    inviter_email: String,
    from_name: String,
    /// The organization's language, for an invitation that names none.
    language: Language,
}

impl InvitationSender {
    /// Reads the inviter; `None` when they are no longer in the directory.
    /// An application inviting through the API is no person: the email
    /// names the organization as the inviter, by its primary domain, and
    /// has no Reply-To.
    pub async fn load(
        conn: &mut Conn,
        context: &MailContext,
        org: &Organization,
        inviter_id: &str,
    ) -> sqlx::Result<Option<Self>> {
        let (inviter_name, inviter_email) = match store::users::find_active(conn, inviter_id).await? {
            Some(inviter) => (
                inviter.display_name,
                inviter.mail.unwrap_or(inviter.user_principal_name),
            ),
            None if store::applications::find(conn, inviter_id).await?.is_some() => {
                (org.name.clone(), org.primary_domain.clone())
            }
            None => return Ok(None),
        };
        Ok(Some(Self {
            context: context.clone(),
            language: org.language(),
            org_name: org.name.clone(),
            org_domain: org.primary_domain.clone(),
            privacy_url: org.privacy_statement_url.clone(),
            inviter_name,
            inviter_email,
            from_name: super::from_name(org),
        }))
    }

    /// The invitation email, and the Cc copy when there is a Cc recipient.
    pub fn compose(&self, mail: &InvitationMail<'_>) -> anyhow::Result<Vec<OutgoingMail>> {
        let public_url = &self.context.public_url;
        let language = mail.language.unwrap_or(self.language);
        let email = InvitationEmail {
            subject: crate::i18n::text_with(language, "invitation-subject", &[("inviter", &self.inviter_name)]),
            org_name: self.org_name.clone(),
            org_domain: self.org_domain.clone(),
            inviter_name: self.inviter_name.clone(),
            inviter_email: self.inviter_email.clone(),
            invitee_name: mail.invitee_name.to_owned(),
            invitee_email: mail.to.to_owned(),
            message: mail.message.map(str::to_owned),
            accept_url: links::accept_url(public_url, mail.ticket),
            privacy_url: self.privacy_url.clone(),
            block_url: links::block_link(public_url, &self.context.block_links, &mail.to.to_lowercase()),
            language,
        };
        let mut out = Vec::with_capacity(2);
        let (text, html) = email.render()?;
        out.push(self.message(
            "invitation",
            mail,
            mail.to,
            email.subject.clone(),
            text,
            html,
            Some(&email.block_url),
            true,
        )?);
        if let Some(cc) = mail.cc {
            let (text, html) = email.render_cc()?;
            let subject = crate::i18n::text_with(language, "invitation-cc-subject", &[("subject", &email.subject)]);
            out.push(self.message("invitation_cc", mail, cc, subject, text, html, None, false)?);
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        kind: &'static str,
        mail: &InvitationMail<'_>,
        to: &str,
        subject: String,
        text: String,
        html: String,
        list_unsubscribe: Option<&str>,
        carries_secret: bool,
    ) -> anyhow::Result<OutgoingMail> {
        let message_id = super::new_message_id(&self.org_domain);
        let message = super::build_message(
            &self.from_name,
            &self.context.from,
            self.inviter_email.contains('@').then_some(self.inviter_email.as_str()),
            to,
            &subject,
            text,
            html,
            list_unsubscribe,
            &message_id,
        )?;
        Ok(OutgoingMail {
            kind,
            user_id: Some(mail.user_id.to_owned()),
            recipient: to.to_owned(),
            subject,
            message_id,
            body: super::message_text(&message),
            carries_secret,
            priority: super::priority::BULK,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> InvitationEmail {
        InvitationEmail {
            subject: "Ada invited you".into(),
            org_name: "Contoso".into(),
            org_domain: "contoso.test".into(),
            inviter_name: "Ada".into(),
            inviter_email: "ada@contoso.test".into(),
            invitee_name: "Grace".into(),
            invitee_email: "grace@fabrikam.example".into(),
            message: Some("<script>alert(1)</script> & welcome".into()),
            accept_url: "https://portal.test/redeem?ticket=abc&x=1".into(),
            privacy_url: None,
            block_url: "https://portal.test/invitations/block?address=g&sig=s".into(),
            language: Language::English,
        }
    }

    #[test]
    fn the_message_is_text_in_both_parts() {
        let (text, html) = email().render().unwrap();
        assert!(
            text.contains("<script>alert(1)</script> & welcome"),
            "plain text keeps it verbatim"
        );
        assert!(!html.contains("<script>"), "HTML never interprets it");
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
        assert!(text.contains("https://portal.test/redeem?ticket=abc&x=1"));
        assert!(html.contains("Accept invitation"));
        assert!(text.contains("Contoso has not provided a privacy statement."));
    }

    #[test]
    fn the_cc_copy_has_no_link() {
        let (text, html) = email().render_cc().unwrap();
        assert!(!text.contains("redeem") && !html.contains("redeem"));
        assert!(text.contains("Grace (grace@fabrikam.example)"));
    }

    #[test]
    fn the_email_speaks_its_language() {
        let mut german = email();
        german.language = Language::German;
        let (text, html) = german.render().unwrap();
        assert!(text.contains("Einladung annehmen:"), "{text}");
        assert!(html.contains("<html lang=\"de\">") && html.contains(">Einladung annehmen</a>"));
        assert!(html.contains(">Zukünftige Einladungen blockieren</a> (von Contoso an grace@fabrikam.example)."));
        let (english_text, english_html) = email().render().unwrap();
        assert!(english_text.contains("Accept invitation:\nhttps://portal.test/redeem?ticket=abc&x=1"));
        assert!(english_html.contains(">Block future invitations</a> from Contoso to grace@fabrikam.example.</p>"));
    }
}
