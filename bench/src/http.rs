//! A small HTTP/1.1 keep-alive client over `tokio::net::TcpStream`: just
//! what the benchmark needs (GET and url-encoded POST, Content-Length or
//! chunked bodies, a cookie jar, no redirects followed), and a load
//! generator of many such connections for a fixed time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One keep-alive connection with its own cookies: one "browser".
pub struct Client {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            stream: None,
            buf: Vec::with_capacity(64 * 1024),
            cookies: BTreeMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Response> {
        let request = build_request("GET", path, &self.addr, &self.cookie_header(), None);
        self.send(&request).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Response> {
        let body = serde_urlencoded::to_string(fields)?;
        let request = build_request("POST", path, &self.addr, &self.cookie_header(), Some(&body));
        self.send(&request).await
    }

    /// Sends a ready request and reads the answer, reconnecting once when a
    /// kept-alive connection turns out to be closed.
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let stream = TcpStream::connect(self.addr).await?;
                stream.set_nodelay(true)?;
                self.stream = Some(stream);
                self.buf.clear();
            }
            match self.exchange(request).await {
                Ok(response) => return Ok(response),
                Err(e) if attempt == 0 => {
                    tracing::debug!(error = %e, "bench client: reconnecting");
                    self.stream = None;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns")
    }

    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        let stream = self.stream.as_mut().expect("connected");
        stream.write_all(request).await?;
        let (response, close, set_cookies) = read_response(stream, &mut self.buf).await?;
        for cookie in set_cookies {
            self.store_cookie(&cookie);
        }
        if close {
            self.stream = None;
        }
        Ok(response)
    }

    fn store_cookie(&mut self, header: &str) {
        let pair = header.split(';').next().unwrap_or("");
        let Some((name, value)) = pair.split_once('=') else {
            return;
        };
        let expired = header.to_ascii_lowercase().contains("max-age=0");
        if value.is_empty() || expired {
            self.cookies.remove(name.trim());
        } else {
            self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

/// `Host` is the address connected to: the benchmark's portal has no public
/// URL, so its public URL is that address, the one host it answers.
pub fn build_request(method: &str, path: &str, addr: &SocketAddr, cookie: &str, form: Option<&str>) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: vestibule-bench\r\n");
    if !cookie.is_empty() {
        r.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(body) = form {
        r.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        r.push_str("\r\n");
    }
    r.into_bytes()
}

/// A request with extra header lines (such as `Authorization`) and, for a
/// body, its content type and text.
pub fn build_request_with(
    method: &str,
    path: &str,
    addr: &SocketAddr,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: vestibule-bench\r\n");
    for (name, value) in headers {
        r.push_str(&format!("{name}: {value}\r\n"));
    }
    match body {
        Some((content_type, text)) => r.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{text}",
            text.len()
        )),
        None => r.push_str("\r\n"),
    }
    r.into_bytes()
}

/// Reads one response; `buf` keeps bytes that arrived after it.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<(Response, bool, Vec<String>)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head_len) = parsed.parse(buf)? {
            let status = parsed.code.unwrap_or(0);
            let mut length = None;
            let mut chunked = false;
            let mut close = false;
            let mut location = None;
            let mut cookies = Vec::new();
            for h in parsed.headers.iter() {
                let value = String::from_utf8_lossy(h.value);
                match h.name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse::<usize>().ok(),
                    "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    "location" => location = Some(value.into_owned()),
                    "set-cookie" => cookies.push(value.into_owned()),
                    _ => {}
                }
            }
            buf.drain(..head_len);
            let body = if chunked {
                read_chunked(stream, buf).await?
            } else {
                let n = length.unwrap_or(0);
                fill(stream, buf, n).await?;
                buf.drain(..n).collect()
            };
            return Ok((Response { status, location, body }, close, cookies));
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        anyhow::bail!("the server closed the connection");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, n: usize) -> anyhow::Result<()> {
    while buf.len() < n {
        read_more(stream, buf).await?;
    }
    Ok(())
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                break i;
            }
            read_more(stream, buf).await?;
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        buf.drain(..line_end + 2);
        fill(stream, buf, size + 2).await?;
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
        if size == 0 {
            return Ok(body);
        }
    }
}

/// What a load run measured.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Latency percentiles (ms) of microsecond samples.
pub fn percentiles(mut samples: Vec<u32>) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        f64::from(samples[i]) / 1000.0
    };
    (at(0.50), at(0.99))
}

/// `connections` keep-alive connections sending `GET path` with `cookie`
/// back to back for `duration`; a status other than 200 counts as an error.
pub async fn load(addr: SocketAddr, path: &str, cookie: &str, connections: usize, duration: Duration) -> LoadResult {
    load_request(
        addr,
        build_request("GET", path, &addr, cookie, None),
        connections,
        duration,
    )
    .await
}

/// `connections` keep-alive connections sending the ready `request` back
/// to back for `duration`; a status other than 200 counts as an error.
pub async fn load_request(addr: SocketAddr, request: Vec<u8>, connections: usize, duration: Duration) -> LoadResult {
    let request = std::sync::Arc::new(request);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(addr);
            let mut latencies = Vec::with_capacity(64 * 1024);
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.send(&request).await {
                    Ok(r) if r.status == 200 => {
                        latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((latencies, e)) = task.await {
            all.extend(latencies);
            errors += e;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let requests = all.len() as u64;
    let (p50_ms, p99_ms) = percentiles(all);
    LoadResult {
        requests,
        errors,
        seconds,
        rps: requests as f64 / seconds,
        p50_ms,
        p99_ms,
    }
}

/// The value of `name="…" value="…"` in a page's form.
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}
