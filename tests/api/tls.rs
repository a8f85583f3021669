//! The optional https listener: VESTIBULE_TLS_CERT_FILE and
//! VESTIBULE_TLS_KEY_FILE make VESTIBULE_BIND speak https (with HSTS), and
//! every mistake in them stops start-up with a message naming the setting
//! and the file.

use std::path::Path;

use reqwest::StatusCode;
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::startup::Application;

use crate::common::tls::{TestCertificate, client_builder_trusting, spawn_app_with_tls};
use crate::common::{ADMIN_EMAIL, binary, test_settings};

#[tokio::test]
async fn the_sign_in_page_answers_over_https_with_hsts() {
    let app = spawn_app_with_tls().await;
    assert!(app.address.starts_with("https://127.0.0.1:"), "{}", app.address);
    assert_eq!(app.state.public_url, app.address, "the default public URL is https");
    let ca = app.tls_ca_file.as_deref().expect("the CA's PEM file");
    assert!(std::fs::read_to_string(ca).unwrap().contains("BEGIN CERTIFICATE"));

    let res = app.get("/signin").await;
    assert_eq!(res.status(), StatusCode::OK);
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap().to_owned();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
    assert!(res.text().await.unwrap().contains("csrf_token"), "the sign-in form");

    // The session cookie is Secure and comes back over https: signing in works.
    let res = app.sign_in(ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!(app.get("/admin/users").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_certificate_is_for_localhost_too_and_untrusted_elsewhere() {
    let app = spawn_app_with_tls().await;
    let ca = app.tls_ca_file.clone().unwrap();
    // localhost is in the certificate, but not the public URL: the Host
    // check answers (so TLS itself succeeded) with 421.
    let res = client_builder_trusting(&ca)
        .build()
        .unwrap()
        .get(format!("https://localhost:{}/signin", app.port))
        .send()
        .await
        .expect("the certificate names localhost");
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    // A client that does not trust the test CA refuses the certificate.
    let other = TestCertificate::write_into(ca.parent().unwrap(), "stranger");
    let err = client_builder_trusting(&other.ca_file)
        .build()
        .unwrap()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect_err("a certificate from an untrusted CA");
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn node_trusts_the_portal_through_node_extra_ca_certs() {
    let Some(node) = crate::common::clients::node_only() else {
        return;
    };
    let app = spawn_app_with_tls().await;
    let ca = app.tls_ca_file.clone().unwrap();
    let url = app.url("/signin");
    let script = "fetch(process.argv[1]).then(r => console.log(r.status, r.headers.get('strict-transport-security')), \
                  e => { console.log('error', e.cause?.code ?? e.message); process.exit(1) })";
    let run = move |ca: Option<std::path::PathBuf>| {
        let mut cmd = std::process::Command::new(&node);
        cmd.args(["-e", script, &url]);
        match ca {
            Some(ca) => cmd.env("NODE_EXTRA_CA_CERTS", ca),
            None => cmd.env_remove("NODE_EXTRA_CA_CERTS"),
        };
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let (trusted, untrusted) = tokio::task::spawn_blocking(move || (run(Some(ca)), run(None)))
        .await
        .unwrap();
    assert!(trusted.starts_with("200 max-age=31536000"), "{trusted}");
    assert!(
        untrusted.starts_with("error"),
        "without the CA Node refuses: {untrusted}"
    );
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails() {
    let app = spawn_app_with_tls().await;
    let plain = format!("http://127.0.0.1:{}/signin", app.port);
    let result = crate::common::http_builder().build().unwrap().get(&plain).send().await;
    assert!(
        result.is_err(),
        "plain http was answered: {:?}",
        result.map(|r| r.status())
    );

    // What comes back to a plain request is no HTTP response (at most a TLS alert).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", app.port).as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));

    // The port itself is alive: https is answered.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// Starts a portal on these settings and returns why it did not start.
async fn start_error(adjust: impl FnOnce(&mut Settings, &Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    adjust(&mut settings, dir.path());
    match Application::build(settings, Clock::manual()).await {
        Ok(_) => panic!("the portal started"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn a_certificate_without_its_key_stops_start_up() {
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        s.tls_cert_file = Some(cert.cert_file);
    })
    .await;
    assert!(
        err.contains("invalid setting VESTIBULE_TLS_KEY_FILE: required when VESTIBULE_TLS_CERT_FILE is set"),
        "{err}"
    );
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        s.tls_key_file = Some(cert.key_file);
    })
    .await;
    assert!(
        err.contains("invalid setting VESTIBULE_TLS_CERT_FILE: required when VESTIBULE_TLS_KEY_FILE is set"),
        "{err}"
    );
}

#[test]
fn the_binary_refuses_one_tls_file_without_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let cert = TestCertificate::write_into(dir.path(), "portal");
    let out = binary::vestibule(dir.path())
        .env("VESTIBULE_BIND", "127.0.0.1:0")
        .env("VESTIBULE_TLS_CERT_FILE", &cert.cert_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid setting VESTIBULE_TLS_KEY_FILE: required when VESTIBULE_TLS_CERT_FILE is set"),
        "{err}"
    );

    let out = binary::vestibule(dir.path())
        .env("VESTIBULE_BIND", "127.0.0.1:0")
        .env("VESTIBULE_TLS_CERT_FILE", &cert.cert_file)
        .env("VESTIBULE_TLS_KEY_FILE", &cert.key_file)
        .env("VESTIBULE_PUBLIC_URL", "http://127.0.0.1:8443")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid setting VESTIBULE_PUBLIC_URL: is http://") && err.contains("https://"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_pem_file_is_named_in_the_start_up_error() {
    // Not PEM at all.
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        std::fs::write(&cert.cert_file, "not a certificate\n").unwrap();
        s.tls_cert_file = Some(cert.cert_file);
        s.tls_key_file = Some(cert.key_file);
    })
    .await;
    assert!(
        err.contains("portal-cert.pem")
            && err.contains("VESTIBULE_TLS_CERT_FILE")
            && err.contains("holds no certificate"),
        "{err}"
    );

    // A PEM block whose contents are broken.
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        std::fs::write(
            &cert.key_file,
            "-----BEGIN PRIVATE KEY-----\n%%%% not base64 %%%%\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        s.tls_cert_file = Some(cert.cert_file);
        s.tls_key_file = Some(cert.key_file);
    })
    .await;
    assert!(
        err.contains("portal-key.pem") && err.contains("VESTIBULE_TLS_KEY_FILE") && err.contains("is not valid PEM"),
        "{err}"
    );

    // The files swapped: the key file holds a certificate.
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        s.tls_cert_file = Some(cert.key_file);
        s.tls_key_file = Some(cert.cert_file);
    })
    .await;
    assert!(
        err.contains("portal-key.pem") && err.contains("holds no certificate"),
        "{err}"
    );

    // A file that is not there.
    let err = start_error(|s, dir| {
        s.tls_cert_file = Some(dir.join("missing-cert.pem"));
        s.tls_key_file = Some(dir.join("missing-key.pem"));
    })
    .await;
    assert!(
        err.contains("cannot read the TLS certificate file (VESTIBULE_TLS_CERT_FILE)")
            && err.contains("missing-cert.pem"),
        "{err}"
    );

    // A key that belongs to another certificate.
    let err = start_error(|s, dir| {
        let cert = TestCertificate::write_into(dir, "portal");
        let other = TestCertificate::write_into(dir, "other");
        s.tls_cert_file = Some(cert.cert_file);
        s.tls_key_file = Some(other.key_file);
    })
    .await;
    assert!(
        err.contains("other-key.pem") && err.contains("portal-cert.pem") && err.contains("belong together"),
        "{err}"
    );
}

#[test]
fn the_binary_names_a_bad_pem_file() {
    let dir = tempfile::tempdir().unwrap();
    let cert = TestCertificate::write_into(dir.path(), "portal");
    std::fs::write(&cert.key_file, "-----BEGIN PRIVATE KEY-----\nAAAA\n").unwrap();
    let out = binary::vestibule(dir.path())
        .env("VESTIBULE_BIND", "127.0.0.1:0")
        .env("VESTIBULE_TLS_CERT_FILE", &cert.cert_file)
        .env("VESTIBULE_TLS_KEY_FILE", &cert.key_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&cert.key_file.display().to_string()) && err.contains("is not valid PEM"),
        "{err}"
    );
    assert!(!dir.path().join("data").exists(), "stopped before opening the store");
}

#[test]
fn the_binary_serves_https_on_its_bind_address() {
    let dir = tempfile::tempdir().unwrap();
    let cert = TestCertificate::write_into(dir.path(), "portal");
    let (cert_file, key_file) = (
        cert.cert_file.display().to_string(),
        cert.key_file.display().to_string(),
    );
    let env = [
        ("VESTIBULE_TLS_CERT_FILE", cert_file.as_str()),
        ("VESTIBULE_TLS_KEY_FILE", key_file.as_str()),
    ];
    let (mut portal, url, _log) = binary::start_binary(dir.path(), &env);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let res = runtime.block_on(async {
        client_builder_trusting(&cert.ca_file)
            .build()
            .unwrap()
            .get(format!("{url}/signin"))
            .send()
            .await
    });
    assert!(binary::terminate(&mut portal).success());
    let res = res.expect("https is answered");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("strict-transport-security"));
}
