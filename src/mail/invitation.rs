//! The invitation email (SPEC §3) and the copy for its Cc recipient, each
//! an askama `.txt` + `.html` pair. The personal message is always plain
//! text: escaped in HTML, never interpreted.

use askama::Template;

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
}

#[derive(Template)]
#[template(path = "email/invitation.txt", escape = "none")]
struct InvitationText<'a> {
    e: &'a InvitationEmail,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    e: &'a InvitationEmail,
}

#[derive(Template)]
#[template(path = "email/invitation_cc.txt", escape = "none")]
struct CcText<'a> {
    e: &'a InvitationEmail,
}

#[derive(Template)]
#[template(path = "email/invitation_cc.html")]
struct CcHtml<'a> {
    e: &'a InvitationEmail,
}

impl InvitationEmail {
    /// The invitation's text and HTML bodies.
    pub fn render(&self) -> askama::Result<(String, String)> {
        Ok((
            InvitationText { e: self }.render()?,
            InvitationHtml { e: self }.render()?,
        ))
    }

    /// The Cc recipient's copy: who was invited, and no redemption link.
    pub fn render_cc(&self) -> askama::Result<(String, String)> {
        Ok((CcText { e: self }.render()?, CcHtml { e: self }.render()?))
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
}
