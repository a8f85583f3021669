//! A second portal on a test portal's database, as a second instance
//! behind a load balancer would be: its own listener, process state
//! (memory, workers) and HTTP client; the same settings, keys, clock and
//! public URL (tokens name it as their issuer), which its client names in
//! `Host` as the load balancer would pass it on.

use super::{TestApp, client_with_jar};

impl TestApp {
    /// Starts another instance on this portal's database. PostgreSQL only:
    /// a SQLite database is served by one process. Speak to it with its
    /// `client`, which names the public host.
    pub async fn second_instance(&self) -> TestApp {
        assert!(
            self.settings.is_postgres(),
            "several instances share a PostgreSQL database only"
        );
        let mut settings = self.settings.clone();
        settings.bind = "127.0.0.1:0".parse().unwrap();
        settings.public_url = Some(self.state.public_url.clone());
        let app = vestibule::startup::Application::build(settings.clone(), self.clock.clone())
            .await
            .expect("the second instance starts");
        let port = app.port();
        let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        let public_host = self.state.public_url.split("://").nth(1).unwrap_or_default();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::HOST, public_host.parse().unwrap());
        let (client, jar) = client_with_jar(self.client_builder().default_headers(headers));
        let scheme = if self.tls_ca_file.is_some() { "https" } else { "http" };
        TestApp {
            address: format!("{scheme}://127.0.0.1:{port}"),
            port,
            metrics_address,
            client,
            jar,
            generated_admin_password: None,
            db: state.db.clone(),
            clock: self.clock.clone(),
            settings,
            state,
            tls_ca_file: self.tls_ca_file.clone(),
            _dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }
}
