//! Probes for load balancers and orchestrators.
//!
//! `/healthz`: the process is up. `/readyz`: the process can serve, in
//! plain text a script can match:
//!
//! - `503 database unavailable`: the database does not answer;
//! - `503 migrations pending: 20, 21`: this build expects migrations the
//!   database has not applied (run `vestibule migrate`, or start the
//!   instance that applies them);
//! - `200 degraded: outbox oldest message 412 s old`: the portal serves,
//!   but email waits longer than `VESTIBULE_READYZ_OUTBOX_MAX_AGE_SECS`.
//!   Still 200, because the outbox is shared by every instance: taking
//!   this one out of the load balancer would not send the mail sooner
//!   (see the README for what to look at);
//! - `200 ready`.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::store::stats;
use crate::web::error::PlainAnswer;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

/// The process can serve: its database answers and is migrated; a late
/// outbox is reported as degraded.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let text = |status: actix_web::http::StatusCode, body: String| {
        let mut res = HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(body);
        // A probe reads the reason, not the error page.
        res.extensions_mut().insert(PlainAnswer);
        res
    };
    let unavailable = |body: String| text(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, body);
    if !state.db.ping().await {
        return unavailable("database unavailable".into());
    }
    match state.db.pending_migrations().await {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => {
            let versions: Vec<String> = pending.iter().map(i64::to_string).collect();
            return unavailable(format!("migrations pending: {}", versions.join(", ")));
        }
        Err(e) => {
            tracing::warn!(error = %e, "readyz: the applied migrations could not be read");
            return unavailable("migrations pending: the applied migrations cannot be read".into());
        }
    }
    let oldest = match state.db.pool().acquire().await {
        Ok(mut conn) => stats::oldest_queued_at(&mut conn).await,
        Err(e) => Err(e),
    };
    let oldest = match oldest {
        Ok(oldest) => oldest,
        Err(e) => {
            tracing::warn!(error = %e, "readyz: the outbox could not be read");
            return unavailable("database unavailable".into());
        }
    };
    let age = oldest.map_or(0, |at| (state.clock.now() - at).max(0));
    let limit = i64::try_from(state.settings.readyz_outbox_max_age.as_secs()).unwrap_or(i64::MAX);
    if age > limit {
        return text(
            actix_web::http::StatusCode::OK,
            format!("degraded: outbox oldest message {age} s old"),
        );
    }
    text(actix_web::http::StatusCode::OK, "ready".into())
}
