//! Email me a sign-in code. The request only queues the address, the same
//! one write whoever it belongs to, and answers; a task of the process
//! that took it then looks the address up and, for a guest, sends the
//! code. Doing the look-up and the send while the browser waited made the
//! answer slower for guests than for anyone else, which told which
//! addresses are guests.

use actix_web::web;

use crate::app::AppState;
use crate::services::ServiceResult;
use crate::services::redemption::{CODE_LIFETIME_SECS, guest_by_address, write_code};
use crate::store::codes::{Purpose, SignInRequest};
use crate::store::{self, Tx};

/// Queues a request for a sign-in code to `address` and wakes this
/// process's task.
pub async fn request(state: &AppState, address: &str) -> ServiceResult<()> {
    let mut tx = state.db.begin().await?;
    store::codes::queue_sign_in_request(&mut tx, address, state.clock.now()).await?;
    tx.commit().await?;
    state.sign_in_codes_wake.notify_one();
    Ok(())
}

/// Starts the task that works off the queue: at once (requests left by a
/// process that stopped before it got to them), then whenever this
/// process queues one.
pub fn spawn(state: web::Data<AppState>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = send_requested(&state).await {
                tracing::error!(error = %format!("{e:#}"), "sign-in codes: cannot work off the queue");
            }
            state.sign_in_codes_wake.notified().await;
        }
    });
}

/// Works off the queued requests, one transaction each, until none is
/// left; returns how many it took. A request that cannot be worked off is
/// dropped (the guest can ask again) rather than left to block the rest.
pub async fn send_requested(state: &AppState) -> ServiceResult<usize> {
    let mut taken = 0;
    loop {
        let mut tx = state.db.begin().await?;
        let Some(request) = store::codes::take_sign_in_request(&mut tx).await? else {
            return Ok(taken);
        };
        taken += 1;
        match send_if_guest(state, &mut tx, &request).await {
            Ok(sent) => {
                tx.commit().await?;
                if sent {
                    state.wake_mail();
                }
            }
            Err(e) => {
                drop(tx);
                tracing::error!(error = %format!("{e:#}"), "sign-in codes: dropped a request that failed");
                let mut tx = state.db.begin().await?;
                store::codes::drop_sign_in_request(&mut tx, &request.id).await?;
                tx.commit().await?;
            }
        }
    }
}

/// Sends the code when the address belongs to a guest and the request is
/// recent enough to be waited for; true when a code was queued.
async fn send_if_guest(state: &AppState, tx: &mut Tx, request: &SignInRequest) -> ServiceResult<bool> {
    if request.requested_at + CODE_LIFETIME_SECS < state.clock.now() {
        return Ok(false);
    }
    let Some(guest) = guest_by_address(tx, &request.address).await? else {
        return Ok(false);
    };
    let to = guest.mail.clone().unwrap_or_else(|| request.address.clone());
    write_code(state, tx, Purpose::SignIn, &to, &guest.id).await?;
    Ok(true)
}
