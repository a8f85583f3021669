//! Metrics: the middleware that counts every request of the public
//! listener, and the separate listener that serves them as Prometheus text
//! at `/metrics` (`VESTIBULE_METRICS_BIND`, loopback by default). The
//! public listener has no `/metrics`: what the series say (routes, sign-in
//! results, backlog) is for the operator's monitoring only.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::app::AppState;
use crate::monitoring::{self, UNMATCHED_ROUTE};
use crate::store::stats;

/// Counts the request by method, route pattern and status, and its time.
/// It wraps everything else, so it sees the status the client gets.
pub async fn count_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let route = req.match_pattern();
    let result = next.call(req).await;
    if let Some(state) = state {
        let status = match &result {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        let route = route.as_deref().unwrap_or(UNMATCHED_ROUTE);
        state
            .monitoring
            .http_request(method.as_str(), route, status.as_u16(), started.elapsed());
    }
    result
}

/// Starts the metrics listener: one worker, no signal handling of its own
/// (the portal stops it after the public listener has stopped).
pub fn serve(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(|| async {
                HttpResponse::NotFound()
                    .content_type("text/plain; charset=utf-8")
                    .body("not found: the metrics are at /metrics")
            }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run())
}

/// Reads the gauges that come from the database and the pool, then renders
/// every series. A database that does not answer leaves the last values
/// and is logged; the counters still render.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    if let Err(e) = refresh_database_gauges(&state).await {
        tracing::warn!(error = %e, "metrics: the database counts could not be read");
    }
    for (pool, size, idle, max) in state.db.pool_use() {
        let m = &state.monitoring;
        m.set_gauge(monitoring::DB_POOL_CONNECTIONS, &[("pool", pool)], f64::from(size));
        m.set_gauge(monitoring::DB_POOL_IDLE, &[("pool", pool)], idle as f64);
        m.set_gauge(monitoring::DB_POOL_MAX, &[("pool", pool)], f64::from(max));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.monitoring.render())
}

async fn refresh_database_gauges(state: &AppState) -> sqlx::Result<()> {
    let mut conn = state.db.pool().acquire().await?;
    let outbox = stats::outbox_counts(&mut conn).await?;
    let oldest = stats::oldest_queued_at(&mut conn).await?;
    let invitations = stats::invitation_counts(&mut conn).await?;
    drop(conn);
    let m = &state.monitoring;
    for (name, n) in [
        ("queued", outbox.queued),
        ("retrying", outbox.retrying),
        ("sent", outbox.sent),
        ("failed", outbox.failed),
    ] {
        m.set_gauge(monitoring::OUTBOX_MESSAGES, &[("state", name)], n as f64);
    }
    let age = oldest.map_or(0, |at| (state.clock.now() - at).max(0));
    m.set_gauge(monitoring::OUTBOX_OLDEST_AGE, &[], age as f64);
    for (name, n) in invitations {
        m.set_gauge(monitoring::INVITATIONS, &[("state", name)], n as f64);
    }
    Ok(())
}
