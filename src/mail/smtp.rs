//! The SMTP client: lettre speaks the protocol (EHLO, STARTTLS, AUTH, MAIL,
//! RCPT, DATA) over connections opened here, with TCP_NODELAY, and kept in
//! a small pool.
//!
//! lettre 0.11's own transport never sets TCP_NODELAY, and it writes a
//! message's body and the closing `<CRLF>.<CRLF>` in two writes: Nagle holds
//! the second until the server acknowledges the first, which a server's
//! delayed ACK puts off for 40 ms — 40 ms for every message, on any link.
//! Opening the socket here is the one way to set the option from outside.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::{
    SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT,
    authentication::{Credentials, DEFAULT_MECHANISMS},
    extension::ClientId,
};
use tokio::net::TcpStream;

use super::SendError;

/// How long opening a connection (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// A pooled connection unused for longer is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is secured, as in lettre's URLs.
#[derive(Clone)]
enum Security {
    /// `smtp://host`: plain text.
    None,
    /// `smtp://host?tls=required`: STARTTLS or fail.
    StartTls(TlsParameters),
    /// `smtp://host?tls=opportunistic`: STARTTLS when offered.
    Opportunistic(TlsParameters),
    /// `smtps://host`: TLS from the first byte.
    Wrapper(TlsParameters),
}

/// Where mail goes, from `VESTIBULE_SMTP_URL`.
pub struct Server {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl Server {
    /// Reads a URL the way lettre's `from_url` does: `smtp://` (port 25) or
    /// with `?tls=required|opportunistic` (587), `smtps://` (465);
    /// `user:password@` for AUTH; a path names the client in EHLO.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = url.host_str().ok_or("no host")?.to_owned();
        let tls = || TlsParameters::new(host.clone()).map_err(|e| e.to_string());
        let mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (security, port) = match (url.scheme(), mode.as_deref()) {
            ("smtp", None) => (Security::None, SMTP_PORT),
            ("smtp", Some("required")) => (Security::StartTls(tls()?), SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic(tls()?), SUBMISSION_PORT),
            ("smtps", _) => (Security::Wrapper(tls()?), SUBMISSIONS_PORT),
            (scheme, mode) => return Err(format!("unknown scheme {scheme:?} or tls={mode:?}")),
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        Ok(Self {
            port: url.port().unwrap_or(port),
            host,
            security,
            hello,
            credentials,
        })
    }

    /// A new connection, greeted, secured and authenticated.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            SendError::Temporary(format!(
                "cannot connect to the SMTP server {}:{}: {e}",
                self.host, self.port
            ))
        };
        let open = async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| unreachable(&e))?;
            tcp.set_nodelay(true).map_err(|e| unreachable(&e))?;
            let stream: Box<dyn AsyncTokioStream> = match &self.security {
                Security::Wrapper(tls) => Box::new(wrap_tls(tcp, tls.clone()).await.map_err(|e| unreachable(&e))?),
                _ => Box::new(tcp),
            };
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
                .await
                .map_err(classify)
        };
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, open)
            .await
            .map_err(|_| unreachable(&"timed out"))??;
        match &self.security {
            Security::StartTls(tls) => conn.starttls(tls.clone(), &self.hello).await.map_err(classify)?,
            Security::Opportunistic(tls) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &self.hello).await.map_err(classify)?
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await.map_err(classify)?;
        }
        Ok(conn)
    }
}

/// TLS from the first byte (`smtps`), set up by lettre on our socket.
#[allow(deprecated)]
async fn wrap_tls(tcp: TcpStream, tls: TlsParameters) -> Result<TlsStream, lettre::transport::smtp::Error> {
    let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
    stream.upgrade_tls(tls).await?;
    Ok(TlsStream(stream))
}

/// lettre's TLS stream (futures-io) as the tokio stream its connection takes.
#[allow(deprecated)]
#[derive(Debug)]
struct TlsStream(AsyncNetworkStream);

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl tokio::io::AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(futures_util::AsyncRead::poll_read(
            Pin::new(&mut self.0),
            cx,
            buf.initialize_unfilled()
        ))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for TlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        futures_util::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_util::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_util::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

/// A temporary or permanent failure, as the server's reply says.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Temporary(e.to_string())
    }
}

/// Connections to one server, reused while they stay healthy. Sends are not
/// limited here (the outbox worker bounds them); at most `max_idle`
/// connections wait between sends, the rest are closed.
pub struct SmtpPool {
    server: Server,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpPool {
    pub fn new(server: Server, max_idle: usize) -> Self {
        Self {
            server,
            idle: Mutex::new(Vec::with_capacity(max_idle)),
            max_idle,
        }
    }

    /// Sends `raw` (a whole RFC 5322 message) to the envelope's recipients.
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let mut conn = self.checkout().await?;
        // On any failure lettre has quit and closed the connection itself.
        let sent = conn.send(envelope, raw).await.map_err(classify);
        if !conn.has_broken() {
            self.park(conn);
        }
        sent.map(|_| ())
    }

    /// The most recently used connection that still answers NOOP, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let parked = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some((mut conn, since)) = parked else {
                return self.server.connect().await;
            };
            if since.elapsed() < IDLE_TIMEOUT && conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
        // Else dropped: closed without QUIT, as a server must accept.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_lettre_reads_them() {
        let plain = Server::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((plain.host.as_str(), plain.port), ("127.0.0.1", 2525));
        assert!(matches!(plain.security, Security::None));
        assert!(plain.credentials.is_none());

        let wrapped =
            Server::from_url("smtps://ada%40contoso.test:p%40ss@mail.contoso.test/portal.contoso.test").unwrap();
        assert_eq!(wrapped.port, 465);
        assert!(matches!(wrapped.security, Security::Wrapper(_)));
        assert_eq!(wrapped.hello, ClientId::Domain("portal.contoso.test".into()));
        assert_eq!(
            wrapped.credentials,
            Some(Credentials::new("ada@contoso.test".into(), "p@ss".into()))
        );

        let starttls = Server::from_url("smtp://mail.contoso.test?tls=required").unwrap();
        assert_eq!(starttls.port, 587);
        assert!(matches!(starttls.security, Security::StartTls(_)));
        let opportunistic = Server::from_url("smtp://mail.contoso.test?tls=opportunistic").unwrap();
        assert!(matches!(opportunistic.security, Security::Opportunistic(_)));

        assert!(Server::from_url("smtp://mail.contoso.test?tls=sometimes").is_err());
        assert!(Server::from_url("imap://mail.contoso.test").is_err());
        assert!(Server::from_url("not a url").is_err());
    }
}
