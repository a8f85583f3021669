//! Certificates made at test time for the https listener: a test CA and a
//! server certificate it signed for `127.0.0.1` and `localhost`, written as
//! PEM files. Clients trust the CA (`ca_file`), as a lab trusts its own CA;
//! a Node client is given the same file in `NODE_EXTRA_CA_CERTS`.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use reqwest::ClientBuilder;

use super::{TestApp, spawn_with_tls};

/// The PEM files of one test certificate.
#[derive(Clone, Debug)]
pub struct TestCertificate {
    /// The CA certificate that signed the server's: what clients trust.
    pub ca_file: PathBuf,
    /// The server's certificate chain (its own certificate, then the CA's).
    pub cert_file: PathBuf,
    /// The server's private key (PKCS#8).
    pub key_file: PathBuf,
}

impl TestCertificate {
    /// Makes a CA and a server certificate for 127.0.0.1 and localhost, and
    /// writes `{name}-ca.pem`, `{name}-cert.pem` and `{name}-key.pem` into
    /// `dir`.
    pub fn write_into(dir: &Path, name: &str) -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Vestibule test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();

        let certificate = Self {
            ca_file: dir.join(format!("{name}-ca.pem")),
            cert_file: dir.join(format!("{name}-cert.pem")),
            key_file: dir.join(format!("{name}-key.pem")),
        };
        std::fs::write(&certificate.ca_file, ca.pem()).unwrap();
        std::fs::write(&certificate.cert_file, format!("{}{}", cert.pem(), ca.pem())).unwrap();
        std::fs::write(&certificate.key_file, key.serialize_pem()).unwrap();
        certificate
    }
}

pub fn ca_certificate(ca_file: &Path) -> reqwest::Certificate {
    reqwest::Certificate::from_pem(&std::fs::read(ca_file).unwrap()).expect("the test CA in PEM")
}

/// A client builder that trusts only the CA in `ca_file`, not the system's.
pub fn client_builder_trusting(ca_file: &Path) -> ClientBuilder {
    reqwest::Client::builder().tls_certs_only([ca_certificate(ca_file)])
}

/// A portal whose listener speaks https with a fresh test certificate. Its
/// `address` is `https://127.0.0.1:{port}`, its clients trust the test CA,
/// and `tls_ca_file` names the CA's PEM file.
pub async fn spawn_app_with_tls() -> TestApp {
    spawn_app_with_tls_and(|_| {}).await
}

/// The same, after `adjust` has changed the settings (TLS files included).
pub async fn spawn_app_with_tls_and(adjust: impl FnOnce(&mut vestibule::config::Settings)) -> TestApp {
    spawn_with_tls(adjust).await
}
