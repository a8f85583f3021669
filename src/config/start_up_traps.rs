//! Settings a new operator is likely to try that would start a portal
//! nobody can use: each is refused with a message that says what to do.

use super::Settings;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn session_key() -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64])
}

#[test]
fn an_http_public_url_on_another_machine_is_refused_with_what_to_do() {
    let key = session_key();
    for url in ["http://guests.example.org", "http://192.0.2.10:8080"] {
        let err = Settings::load(
            None,
            env(&[("VESTIBULE_PUBLIC_URL", url), ("VESTIBULE_SESSION_KEY", &key)]),
        )
        .unwrap_err();
        assert_eq!(err.key, "VESTIBULE_PUBLIC_URL", "{url}");
        for hint in [
            "https://",
            "Secure",
            "VESTIBULE_TLS_CERT_FILE",
            "VESTIBULE_ALLOW_INSECURE_PUBLIC_URL=true",
        ] {
            assert!(err.message.contains(hint), "{url}: {hint} in {}", err.message);
        }
    }
    // Without a public URL, a bind on another address means http://{BIND}.
    let err = Settings::load(
        None,
        env(&[("VESTIBULE_BIND", "192.0.2.10:8080"), ("VESTIBULE_SESSION_KEY", &key)]),
    )
    .unwrap_err();
    assert_eq!(err.key, "VESTIBULE_PUBLIC_URL");
    assert!(err.message.contains("http://192.0.2.10:8080"), "{}", err.message);
}

#[test]
fn a_lab_may_allow_an_http_public_url_and_then_gets_a_cookie_that_is_not_secure() {
    let key = session_key();
    let s = Settings::load(
        None,
        env(&[
            ("VESTIBULE_PUBLIC_URL", "http://guests.lab.test"),
            ("VESTIBULE_SESSION_KEY", &key),
            ("VESTIBULE_ALLOW_INSECURE_PUBLIC_URL", "true"),
        ]),
    )
    .unwrap();
    assert!(s.is_insecure_public_url());
    assert!(
        !s.session_cookie_secure(),
        "browsers drop a Secure cookie sent over http"
    );

    let err = Settings::load(None, env(&[("VESTIBULE_ALLOW_INSECURE_PUBLIC_URL", "maybe")])).unwrap_err();
    assert_eq!(err.key, "VESTIBULE_ALLOW_INSECURE_PUBLIC_URL");
}

#[test]
fn https_and_loopback_public_urls_keep_a_secure_cookie_whatever_the_setting() {
    let key = session_key();
    for url in [
        "https://guests.example.org",
        "http://localhost:8080",
        "http://127.0.0.1:9000",
    ] {
        for allow in ["false", "true"] {
            let s = Settings::load(
                None,
                env(&[
                    ("VESTIBULE_PUBLIC_URL", url),
                    ("VESTIBULE_SESSION_KEY", &key),
                    ("VESTIBULE_ALLOW_INSECURE_PUBLIC_URL", allow),
                ]),
            )
            .unwrap();
            assert!(!s.is_insecure_public_url(), "{url}");
            assert!(s.session_cookie_secure(), "{url} {allow}");
        }
    }
    assert!(Settings::default().session_cookie_secure());
}

#[test]
fn the_allowance_is_read_from_the_config_file_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vestibule.toml");
    std::fs::write(
        &path,
        format!(
            "public_url = \"http://guests.lab.test\"\nsession_key = \"{}\"\nallow_insecure_public_url = true\n",
            session_key()
        ),
    )
    .unwrap();
    let s = Settings::load(Some(&path), env(&[])).unwrap();
    assert!(s.allow_insecure_public_url && !s.session_cookie_secure());
}
