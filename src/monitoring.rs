//! The series this process exports as Prometheus text (`/metrics` on the
//! metrics listener, see `web::metrics`).
//!
//! Each portal keeps its own recorder instead of installing one for the
//! whole process, so two portals in one process (as the tests run them)
//! never count each other's requests. Counters and the latency histogram
//! are this process's since it started; the gauges read from the database
//! (outbox, invitations) are refreshed at each scrape and are the same on
//! every instance that shares the database.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Key, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

pub const HTTP_REQUESTS: &str = "vestibule_http_requests_total";
pub const HTTP_DURATION: &str = "vestibule_http_request_duration_seconds";
pub const SIGN_INS: &str = "vestibule_sign_ins_total";
pub const OUTBOX_MESSAGES: &str = "vestibule_outbox_messages";
pub const OUTBOX_OLDEST_AGE: &str = "vestibule_outbox_oldest_queued_age_seconds";
pub const INVITATIONS: &str = "vestibule_invitations";
pub const DB_POOL_CONNECTIONS: &str = "vestibule_db_pool_connections";
pub const DB_POOL_IDLE: &str = "vestibule_db_pool_idle_connections";
pub const DB_POOL_MAX: &str = "vestibule_db_pool_max_connections";

/// Every `result` of `vestibule_sign_ins_total`, each shown from the start
/// (at 0) so a dashboard has the series before the first attempt.
pub const SIGN_IN_RESULTS: &[&str] = &[
    "success",
    "invalid_password",
    "user_not_found",
    "account_disabled",
    "account_locked",
    "guest_password",
    "invalid_code",
    "no_valid_code",
    "other_failure",
];

/// The route label of a request no route matched: one value for every
/// unknown path, so probing cannot grow the series without bound.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency buckets, in seconds: from a cached page to
/// a slow password hash or a bulk upload.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static METADATA: Metadata<'static> = Metadata::new("vestibule", Level::INFO, Some(module_path!()));

/// One portal's recorder and the handle that renders it.
#[derive(Clone)]
pub struct Monitoring {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Default for Monitoring {
    fn default() -> Self {
        Self::new()
    }
}

impl Monitoring {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let describe: &[(&'static str, Option<Unit>, &'static str)] = &[
            (
                HTTP_REQUESTS,
                None,
                "HTTP requests answered, by method, route pattern and status",
            ),
            (
                HTTP_DURATION,
                Some(Unit::Seconds),
                "Time to answer an HTTP request, by method and route pattern",
            ),
            (
                SIGN_INS,
                None,
                "Sign-in attempts to the portal and to applications, by result",
            ),
            (
                OUTBOX_MESSAGES,
                None,
                "Email in the outbox by state: queued (not tried yet), retrying, sent, failed",
            ),
            (
                OUTBOX_OLDEST_AGE,
                Some(Unit::Seconds),
                "How long the oldest queued or retrying email has waited (0 when none)",
            ),
            (INVITATIONS, None, "Invitations by state: pending, redeemed, replaced"),
            (
                DB_POOL_CONNECTIONS,
                None,
                "Open database connections of this process, by pool",
            ),
            (DB_POOL_IDLE, None, "Idle database connections of this process, by pool"),
            (DB_POOL_MAX, None, "Most database connections a pool may open"),
        ];
        for (name, unit, text) in describe {
            let text = SharedString::const_str(text);
            if name.ends_with("_total") {
                recorder.describe_counter((*name).into(), *unit, text);
            } else if *name == HTTP_DURATION {
                recorder.describe_histogram((*name).into(), *unit, text);
            } else {
                recorder.describe_gauge((*name).into(), *unit, text);
            }
        }
        for result in SIGN_IN_RESULTS {
            let key = Key::from_parts(SIGN_INS, vec![Label::new("result", *result)]);
            recorder.register_counter(&key, &METADATA).increment(0);
        }
        Self {
            recorder: Arc::new(recorder),
            handle,
        }
    }

    /// Counts one answered request and its latency. `route` is the route's
    /// pattern (`/admin/users/{id}`), or `UNMATCHED_ROUTE`.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let route = SharedString::from(route.to_owned());
        let method = SharedString::from(method.to_owned());
        let count = Key::from_parts(
            HTTP_REQUESTS,
            vec![
                Label::new("method", method.clone()),
                Label::new("route", route.clone()),
                Label::new("status", status.to_string()),
            ],
        );
        self.recorder.register_counter(&count, &METADATA).increment(1);
        let latency = Key::from_parts(
            HTTP_DURATION,
            vec![Label::new("method", method), Label::new("route", route)],
        );
        self.recorder
            .register_histogram(&latency, &METADATA)
            .record(elapsed.as_secs_f64());
    }

    /// Counts one sign-in attempt: `result` is one of `SIGN_IN_RESULTS`.
    pub fn sign_in(&self, result: &'static str) {
        let key = Key::from_parts(SIGN_INS, vec![Label::new("result", result)]);
        self.recorder.register_counter(&key, &METADATA).increment(1);
    }

    /// Sets a gauge read from elsewhere (the database, the pool).
    pub fn set_gauge(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, (*v).to_owned())).collect();
        let key = Key::from_parts(name, labels);
        self.recorder.register_gauge(&key, &METADATA).set(value);
    }

    /// The series as Prometheus text (format 0.0.4).
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Folds recorded latencies into their buckets. Rendering does it too;
    /// this keeps memory flat when nothing scrapes.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }
}
