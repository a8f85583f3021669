//! The binary started as a new operator would: settings that would give a
//! portal nobody can use stop start-up with a message saying what to do,
//! and a SQLite URL written by hand works as the default one does.

use reqwest::StatusCode;

use crate::common::binary::{start_binary, terminate, vestibule};
use crate::common::clients::free_port;
use crate::common::flows::session_key;
use crate::common::http_builder;

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_url_without_a_mode_creates_the_file_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new/folder/portal.db");
    let url = format!("sqlite://{}", file.display());
    assert!(url.starts_with("sqlite:///"), "an absolute path: {url}");

    let out = vestibule(dir.path())
        .arg("migrate")
        .env("VESTIBULE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(file.exists(), "migrate created the file and its folder");

    std::fs::remove_dir_all(dir.path().join("new")).unwrap();
    let (mut child, address, _logs) = start_binary(dir.path(), &[("VESTIBULE_DATABASE_URL", &url)]);
    let res = http_builder()
        .build()
        .unwrap()
        .get(format!("{address}/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(terminate(&mut child).success());
    assert!(file.exists(), "serve created the file and its folder");
}

#[test]
fn an_http_public_url_on_another_machine_stops_start_up_saying_to_use_https() {
    let dir = tempfile::tempdir().unwrap();
    let out = vestibule(dir.path())
        .env("VESTIBULE_BIND", "127.0.0.1:0")
        .env("VESTIBULE_PUBLIC_URL", "http://guests.lab.test")
        .env("VESTIBULE_SESSION_KEY", session_key())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for hint in [
        "invalid setting VESTIBULE_PUBLIC_URL",
        "use https://",
        "VESTIBULE_TLS_CERT_FILE",
        "VESTIBULE_ALLOW_INSECURE_PUBLIC_URL=true",
    ] {
        assert!(err.to_lowercase().contains(&hint.to_lowercase()), "{hint}: {err}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

/// The `Set-Cookie` of the session a sign-in page starts, asked for with
/// `host` (the public URL's).
async fn session_cookie(port: u16, host: &str) -> String {
    let res = http_builder()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{port}/signin"))
        .header("host", host)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("vestibule_session="))
        .expect("the sign-in page starts a session")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lab_allowed_on_plain_http_gets_a_session_cookie_without_secure() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let key = session_key();
    let (mut child, address, _logs) = start_binary(
        dir.path(),
        &[
            ("VESTIBULE_BIND", &bind),
            ("VESTIBULE_PUBLIC_URL", "http://guests.lab.test"),
            ("VESTIBULE_SESSION_KEY", &key),
            ("VESTIBULE_ALLOW_INSECURE_PUBLIC_URL", "true"),
        ],
    );
    assert_eq!(address, "http://guests.lab.test");
    let cookie = session_cookie(port, "guests.lab.test").await;
    assert!(!cookie.to_lowercase().contains("secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(terminate(&mut child).success());

    // The default local run keeps Secure: browsers honour it on loopback.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let (mut child, _, _logs) = start_binary(dir.path(), &[("VESTIBULE_BIND", &bind)]);
    let cookie = session_cookie(port, &bind).await;
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(terminate(&mut child).success());
}
