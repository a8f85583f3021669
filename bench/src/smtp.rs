//! A minimal SMTP sink for the benchmark: greets, accepts every envelope
//! and message, and records when each recipient's message ended. Plain
//! SMTP on loopback; enough for lettre's pooled transport (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
pub struct Sink {
    /// (recipient in lower case, when its message was accepted)
    received: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Sink {
    /// Listens on a free loopback port; returns the sink and its address.
    pub async fn start() -> anyhow::Result<(Self, SocketAddr)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let sink = Self::default();
        let shared = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let sink = shared.clone();
                tokio::spawn(async move {
                    let _ = sink.session(socket).await;
                });
            }
        });
        Ok((sink, addr))
    }

    pub fn count(&self) -> usize {
        self.received.lock().expect("sink lock").len()
    }

    /// Everything received so far, and forget it.
    pub fn take(&self) -> Vec<(String, Instant)> {
        std::mem::take(&mut *self.received.lock().expect("sink lock"))
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        // Replies are small writes after the client's: without this, Nagle
        // and delayed ACKs hold each one for 40 ms.
        socket.set_nodelay(true)?;
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 bench-sink ESMTP\r\n").await?;
        let mut line = String::new();
        let mut recipients: Vec<String> = Vec::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-bench-sink\r\n250 8BITMIME\r\n",
                "HELO" => b"250 bench-sink\r\n",
                "MAIL" => {
                    recipients.clear();
                    b"250 OK\r\n"
                }
                "RCPT" => {
                    let address = line
                        .split_once(':')
                        .map(|(_, a)| a.trim().trim_start_matches('<').trim_end_matches('>'))
                        .unwrap_or("");
                    recipients.push(address.to_ascii_lowercase());
                    b"250 OK\r\n"
                }
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                    }
                    let now = Instant::now();
                    self.received
                        .lock()
                        .expect("sink lock")
                        .extend(recipients.drain(..).map(|r| (r, now)));
                    b"250 OK queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"250 OK\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}
