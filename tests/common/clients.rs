//! The real client libraries the tests drive from outside: authlib and
//! Microsoft's Graph SDK (msgraph-sdk, azure-identity) in the repository's
//! `.venv` (Python), openid-client with jose and Microsoft's Graph client
//! with @azure/identity in `node_modules` (Node.js), all installed by
//! `scripts/test`. A test without them says it was skipped and passes,
//! unless VESTIBULE_REQUIRE_CLIENTS=1 (as scripts/test sets) makes it fail.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

/// How long a script may take to say its next line, or to end.
const STEP: Duration = Duration::from_secs(60);

pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("VESTIBULE_REQUIRE_CLIENTS").is_ok_and(|v| v == "1")
}

/// None after saying why, or a panic when the libraries are required.
fn missing<T>(what: &str) -> Option<T> {
    assert!(
        !required(),
        "{what}, and VESTIBULE_REQUIRE_CLIENTS=1: run scripts/test to install the client libraries"
    );
    eprintln!("skipped: {what}; run scripts/test to install the client libraries");
    None
}

/// The virtual environment's Python, when authlib and requests import there.
pub fn python() -> Option<PathBuf> {
    python_importing("authlib, requests")
}

/// The virtual environment's Python, when Microsoft's Graph SDK and
/// azure-identity import there.
pub fn graph_python() -> Option<PathBuf> {
    python_importing("msgraph, azure.identity")
}

fn python_importing(modules: &str) -> Option<PathBuf> {
    let python = repository().join(".venv/bin/python");
    let imports = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if imports {
        Some(python)
    } else {
        missing(&format!("{} cannot import {modules}", python.display()))
    }
}

/// `node`, when it is on the PATH (for scripts that need no package).
pub fn node_only() -> Option<PathBuf> {
    let runs = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        Some(PathBuf::from("node"))
    } else {
        missing("node is not on the PATH")
    }
}

/// `node`, when openid-client and jose are installed in `node_modules`.
pub fn node() -> Option<PathBuf> {
    node_with(&["openid-client", "jose"])
}

/// `node`, when Microsoft's Graph client and @azure/identity are installed
/// in `node_modules`.
pub fn graph_node() -> Option<PathBuf> {
    node_with(&["@microsoft/microsoft-graph-client", "@azure/identity"])
}

fn node_with(packages: &[&str]) -> Option<PathBuf> {
    let runs = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        return missing("node is not on the PATH");
    }
    for package in packages {
        let manifest = repository().join("node_modules").join(package).join("package.json");
        if !manifest.exists() {
            return missing(&format!("{} is missing", manifest.display()));
        }
    }
    Some(PathBuf::from("node"))
}

/// A script running as a child process: lines in and out (JSON for the
/// relying parties), its stderr kept for the failure message. Killed when
/// dropped.
pub struct Script {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Script {
    pub fn start(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Script {
        let name = format!("{} {}", program.display(), args.first().copied().unwrap_or(""));
        let mut child = Command::new(program)
            .args(args)
            .envs(envs.iter().copied())
            .env("PYTHONUNBUFFERED", "1")
            .current_dir(repository())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut from = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let into = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = from.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                into.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Script {
            name,
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// What the script wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The next line on stdout; a panic with stderr when the script ended
    /// or went quiet.
    pub async fn line(&mut self) -> String {
        self.line_within(STEP).await
    }

    /// The next line within `wait`, for a script that works longer before
    /// it speaks.
    pub async fn line_within(&mut self, wait: Duration) -> String {
        match tokio::time::timeout(wait, self.lines.recv()).await {
            Ok(Some(line)) => line,
            Ok(None) => {
                let status = self.wait().await;
                panic!(
                    "{} ended ({status:?}) before its next line; stderr:\n{}",
                    self.name,
                    self.stderr()
                )
            }
            Err(_) => panic!("{} said nothing for {wait:?}; stderr:\n{}", self.name, self.stderr()),
        }
    }

    /// The next line, a JSON object whose `step` must be `step`.
    pub async fn step(&mut self, step: &str) -> Value {
        self.step_within(step, STEP).await
    }

    /// `step`, waiting up to `wait` for it.
    pub async fn step_within(&mut self, step: &str, wait: Duration) -> Value {
        let line = self.line_within(wait).await;
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("{}: not JSON: {line}\nstderr:\n{}", self.name, self.stderr()));
        assert_eq!(value["step"], step, "{}: {line}\nstderr:\n{}", self.name, self.stderr());
        value
    }

    /// Ends the script's input, for a script that reads it to the end.
    pub fn close_input(&mut self) {
        drop(self.stdin.take());
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The exit status once the script has ended (None: it had not within
    /// a step's time).
    async fn wait(&mut self) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + STEP;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the stderr thread read the last of it.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Waits for the script to end, which it must do with success.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.wait().await;
        assert!(
            status.is_some_and(|s| s.success()),
            "{} failed: {status:?}; stderr:\n{}",
            self.name,
            self.stderr()
        );
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A free port on the loopback interface, for a server the test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `node`, when oidc-provider (the tests' home identity provider) is
/// installed in `node_modules`.
pub fn oidc_provider_node() -> Option<PathBuf> {
    node_with(&["oidc-provider"])
}
