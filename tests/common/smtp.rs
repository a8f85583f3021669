//! An SMTP server inside the test process (mailin-embedded on a port-0
//! listener): it keeps every message it accepts, can refuse the next ones
//! with a chosen reply code, can be slow (it waits before answering each
//! message), and can start "down" (its port reserved but not listening, so
//! connections are refused) and come up later. It can also hold every
//! message at its DATA command, so no message is between "accepted" and
//! "recorded as sent" by its sender at the moment a test kills one.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, PartType};
use mailin_embedded::{Handler, Response, Server, response};

/// One accepted message: the envelope, and the raw message as sent.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    messages: Vec<Received>,
    /// Refuse this many next messages with this code.
    refuse: Option<(u16, usize)>,
    /// How long each message's end of data waits for its answer.
    delay: Duration,
    /// While true, DATA commands wait for their answer (`hold_data`).
    hold_data: bool,
    /// Messages past their DATA command whose end of data has not come yet.
    in_data: usize,
}

#[derive(Clone)]
struct Sink {
    current: Received,
    shared: Arc<Mutex<Shared>>,
}

impl Handler for Sink {
    // A refusal comes at RCPT: mailin stays in the DATA state after an error
    // at the end of data, which would leave the client waiting.
    fn rcpt(&mut self, _to: &str) -> Response {
        let mut shared = self.shared.lock().unwrap();
        if let Some((code, left)) = shared.refuse {
            shared.refuse = (left > 1).then_some((code, left - 1));
            return Response::custom(code, format!("test sink refuses this message ({code})"));
        }
        response::OK
    }

    // A held DATA command waits here: its client can only have sent the
    // envelope, so if the client dies meanwhile nothing is delivered (the
    // session ends at end of file without an end of data).
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        loop {
            let mut shared = self.shared.lock().unwrap();
            if !shared.hold_data {
                shared.in_data += 1;
                break;
            }
            drop(shared);
            std::thread::sleep(Duration::from_millis(10));
        }
        self.current = Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        };
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.extend_from_slice(buf);
        Ok(())
    }

    // A slow server takes the message in full, works on it, keeps it and
    // only then answers: a client that gives up or dies meanwhile has had
    // its message delivered without knowing it, as with a real server.
    fn data_end(&mut self) -> Response {
        let delay = self.shared.lock().unwrap().delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut shared = self.shared.lock().unwrap();
        shared.in_data -= 1;
        shared.messages.push(std::mem::take(&mut self.current));
        response::OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl SmtpSink {
    /// A sink that accepts mail from now on.
    pub fn start() -> Self {
        let sink = Self::down();
        sink.come_up();
        sink
    }

    /// A sink whose port is chosen but not listened on yet: sends fail with
    /// "connection refused" until `come_up`.
    pub fn down() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self {
            port,
            shared: Arc::default(),
        }
    }

    /// Starts listening on the sink's port.
    pub fn come_up(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("the sink's port is still free");
        let mut server = Server::new(Sink {
            current: Received::default(),
            shared: self.shared.clone(),
        });
        // One thread per SMTP session; pooled client connections hold one each
        // (two portals with a pool of 16 connections each, and room to spare).
        server
            .with_name("sink.test")
            .with_num_threads(64)
            .with_tcp_listener(listener);
        // `serve` blocks forever and its error is not Send: keep it on its thread.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
    }

    /// `smtp://127.0.0.1:{port}`, for `Settings::smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Refuses the next `count` messages with `code` (5xx: permanent,
    /// 4xx: temporary).
    pub fn refuse_next(&self, count: usize, code: u16) {
        self.shared.lock().unwrap().refuse = (count > 0).then_some((code, count));
    }

    /// Makes the sink wait `delay` before it answers each message (a slow
    /// or content-scanning server).
    pub fn delay_each(&self, delay: Duration) {
        self.shared.lock().unwrap().delay = delay;
    }

    /// Holds every message at its DATA command until `release_data`.
    pub fn hold_data(&self) {
        self.shared.lock().unwrap().hold_data = true;
    }

    pub fn release_data(&self) {
        self.shared.lock().unwrap().hold_data = false;
    }

    /// Messages whose data is being sent: none once `hold_data` has held
    /// every new message and those already past DATA were accepted.
    pub fn messages_in_data(&self) -> usize {
        self.shared.lock().unwrap().in_data
    }

    /// How many messages each recipient got.
    pub fn count_by_recipient(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for message in self.shared.lock().unwrap().messages.iter() {
            for to in &message.to {
                *counts.entry(to.clone()).or_default() += 1;
            }
        }
        counts
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.lock().unwrap().messages.clone()
    }

    /// Waits until at least `count` messages arrived (at most `within`).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count || start.elapsed() > within {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Received {
    /// The decoded message (quoted-printable and encoded words undone).
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default().parse(&self.data).expect("a MIME message")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed()
            .headers_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// The text/plain part, decoded.
    pub fn text(&self) -> Option<String> {
        self.parsed().text_bodies().find_map(|p| match &p.body {
            PartType::Text(t) => Some(t.to_string()),
            _ => None,
        })
    }

    /// The text/html part, decoded; None when the message has none.
    pub fn html(&self) -> Option<String> {
        self.parsed().html_bodies().find_map(|p| match &p.body {
            PartType::Html(h) => Some(h.to_string()),
            _ => None,
        })
    }
}
