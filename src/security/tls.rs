//! The https listener's configuration: a certificate chain and its private
//! key read from PEM files (`VESTIBULE_TLS_CERT_FILE`,
//! `VESTIBULE_TLS_KEY_FILE`), served with rustls on the aws-lc-rs provider.
//! Every error names the file and the setting it came from, so an operator
//! knows which one to fix.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why the TLS files could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

/// Reads the certificate chain and the private key and builds the server
/// configuration. TLS 1.2 and 1.3, no client certificates, HTTP/1.1 (the
/// listener adds no ALPN protocol).
pub fn server_config(cert_file: &Path, key_file: &Path) -> Result<ServerConfig, TlsError> {
    let certs = read_certificates(cert_file)?;
    let key = read_private_key(key_file)?;
    // Explicit, not the process default: ring is compiled in too (through
    // the database and SMTP clients), and with two providers rustls has no
    // default to pick.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            TlsError(format!(
                "the private key in {} (VESTIBULE_TLS_KEY_FILE) cannot serve the certificate in {} \
                 (VESTIBULE_TLS_CERT_FILE): {e}; check that the two files belong together",
                key_file.display(),
                cert_file.display()
            ))
        })
}

/// The certificates of a PEM file, the server's own first.
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let what = "TLS certificate file (VESTIBULE_TLS_CERT_FILE)";
    let text = read(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_pem(path, what, &e))?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "the {what} {} holds no certificate: expected PEM blocks beginning with \
             -----BEGIN CERTIFICATE-----, the server's certificate first, then its intermediates",
            path.display()
        )));
    }
    Ok(certs)
}

/// The first private key of a PEM file: PKCS#8 (`BEGIN PRIVATE KEY`),
/// RSA (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`).
pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let what = "TLS private key file (VESTIBULE_TLS_KEY_FILE)";
    let text = read(path, what)?;
    match PrivateKeyDer::from_pem_slice(&text) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(TlsError(format!(
            "the {what} {} holds no private key: expected an unencrypted PEM key beginning with \
             -----BEGIN PRIVATE KEY-----, -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----",
            path.display()
        ))),
        Err(e) => Err(bad_pem(path, what, &e)),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError(format!("cannot read the {what} {}: {e}", path.display())))
}

fn bad_pem(path: &Path, what: &str, e: &pem::Error) -> TlsError {
    TlsError(format!("the {what} {} is not valid PEM: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named_with_its_setting() {
        let err = read_certificates(Path::new("/nonexistent/cert.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/cert.pem") && err.contains("VESTIBULE_TLS_CERT_FILE"),
            "{err}"
        );
        let err = read_private_key(Path::new("/nonexistent/key.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/key.pem") && err.contains("VESTIBULE_TLS_KEY_FILE"),
            "{err}"
        );
    }

    #[test]
    fn files_without_pem_blocks_say_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-pem.txt");
        std::fs::write(&path, "hello\n").unwrap();
        let err = read_certificates(&path).unwrap_err().to_string();
        assert!(
            err.contains("holds no certificate") && err.contains("BEGIN CERTIFICATE"),
            "{err}"
        );
        let err = read_private_key(&path).unwrap_err().to_string();
        assert!(err.contains("holds no private key"), "{err}");
    }

    #[test]
    fn broken_base64_is_invalid_pem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").unwrap();
        let err = read_certificates(&path).unwrap_err().to_string();
        assert!(err.contains("is not valid PEM") && err.contains("cert.pem"), "{err}");
    }
}
