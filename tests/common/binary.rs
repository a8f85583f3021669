//! The `vestibule` binary as the tests start it: a clean environment, a
//! low argon2 cost, a free port, a graceful stop.

use std::process::{Command, Stdio};

pub fn vestibule(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vestibule"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("VESTIBULE_") {
            cmd.env_remove(key);
        }
    }
    // Portals started side by side each take a free metrics port.
    cmd.env("VESTIBULE_ARGON2_MEMORY_KIB", "8")
        .env("VESTIBULE_ARGON2_ITERATIONS", "1")
        .env("VESTIBULE_METRICS_BIND", "127.0.0.1:0");
    cmd
}

/// Starts the real binary on a free port, returning the child and its URL
/// once it has said where it listens (on stderr, with the other logs).
/// The caller waits for the child through `terminate`.
#[allow(clippy::zombie_processes)]
pub fn start_binary(
    dir: &std::path::Path,
    envs: &[(&str, &str)],
) -> (std::process::Child, String, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut cmd = vestibule(dir);
    cmd.env("VESTIBULE_BIND", "127.0.0.1:0")
        .env("VESTIBULE_ADMIN_PASSWORD", "Admin-Passw0rd!")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.envs(envs.iter().copied());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("the portal says where it listens");
        if line.contains("Vestibule is listening") {
            // http:// or, with TLS on, https://
            let start = line.find("http").unwrap();
            let url: String = line[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect();
            return (child, url.trim_end_matches("/signin").to_owned(), rx);
        }
    }
}

pub fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}
