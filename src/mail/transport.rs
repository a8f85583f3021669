//! Where mail goes: an SMTP server, the development mailbox, or nowhere yet.

use lettre::address::{Address, Envelope};

use super::smtp::{Server, SmtpPool};
use crate::config::Settings;

pub enum Transport {
    /// Pooled SMTP connections; TLS and credentials come from the URL.
    Smtp(SmtpPool),
    /// Development: the message stays in the outbox and is shown at
    /// `/dev/mailbox`; nothing leaves the machine.
    Mailbox,
    /// No SMTP server and a public address: messages stay queued until one
    /// is configured (start-up warns).
    Disabled,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is unreachable, or answered 4xx.
    #[error("{0}")]
    Temporary(String),
    /// Will never succeed: the server answered 5xx, or an address is invalid.
    #[error("{0}")]
    Permanent(String),
}

impl Transport {
    /// SMTP when a URL is set; else the mailbox when both the bind address
    /// and the public URL are loopback; else nothing.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(url) = &settings.smtp_url {
            let server = Server::from_url(url).map_err(|e| {
                anyhow::anyhow!(
                    "invalid setting VESTIBULE_SMTP_URL ({}): {e}",
                    crate::store::redact_url(url)
                )
            })?;
            Ok(Self::Smtp(SmtpPool::new(server, crate::mail::worker::CONCURRENT_SENDS)))
        } else if settings.is_loopback() {
            Ok(Self::Mailbox)
        } else {
            Ok(Self::Disabled)
        }
    }

    pub fn is_mailbox(&self) -> bool {
        matches!(self, Self::Mailbox)
    }

    pub fn is_disabled(&self) -> bool {
        matches!(self, Self::Disabled)
    }

    /// Hands `raw` (a whole RFC 5322 message) over for `to`.
    pub async fn send(&self, envelope_from: &str, to: &str, raw: &[u8]) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => {
                let envelope = envelope(envelope_from, to)?;
                smtp.send(&envelope, raw).await
            }
            Self::Mailbox => Ok(()),
            Self::Disabled => Err(SendError::Temporary("no SMTP server is configured".into())),
        }
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope, SendError> {
    let from: Address = from
        .parse()
        .map_err(|e| SendError::Permanent(format!("invalid sender address {from:?}: {e}")))?;
    let to: Address = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("invalid recipient address {to:?}: {e}")))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| SendError::Permanent(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_transport_follows_the_settings() {
        let mut settings = Settings::default();
        assert!(Transport::from_settings(&settings).unwrap().is_mailbox());
        settings.bind = "0.0.0.0:8080".parse().unwrap();
        settings.public_url = Some("http://localhost:8080".into());
        assert!(
            Transport::from_settings(&settings).unwrap().is_disabled(),
            "a loopback public URL on a bind reachable from the network gets no mailbox"
        );
        settings.bind = Settings::default().bind;
        settings.public_url = Some("https://portal.contoso.test".into());
        assert!(Transport::from_settings(&settings).unwrap().is_disabled());
        settings.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(matches!(
            Transport::from_settings(&settings).unwrap(),
            Transport::Smtp(_)
        ));
    }

    #[test]
    fn an_invalid_address_is_a_permanent_failure() {
        let err = envelope("invitations@contoso.test", "not an address").unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    }
}
