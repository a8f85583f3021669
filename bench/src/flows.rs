//! What a browser does, step by step, for the benchmark: sign in with a
//! password or a one-time code, open an invitation, invite through the
//! wizard's form; and the same invitation through the service directly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;

use crate::http::{self, Client, form_value};
use vestibule::app::AppState;
use vestibule::domain::Role;
use vestibule::services::Admin;
use vestibule::services::invitations::{InviteForm, invite};
use vestibule::store::audit::Actor;
use vestibule::store::codes::{NewCode, Purpose};

/// The code the benchmark plants for its guests (only its digest is stored).
const CODE: &str = "24681357";

/// Signs in at /signin with a password, as the sign-in page's form does.
pub async fn sign_in(addr: SocketAddr, email: &str, password: &str) -> anyhow::Result<Client> {
    let mut client = Client::new(addr);
    let page = client.get("/signin").await?.text();
    let token = form_value(&page, "csrf_token").unwrap_or_default();
    let res = client
        .post_form(
            "/signin",
            &[("csrf_token", &token), ("email", email), ("password", password)],
        )
        .await?;
    anyhow::ensure!(res.status == 303, "sign-in of {email} answered {}", res.status);
    Ok(client)
}

/// Replaces the code just sent to `address` with the benchmark's own, so
/// no mail has to be read back.
async fn plant_code(state: &AppState, purpose: Purpose, address: &str, user_id: &str) -> anyhow::Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    vestibule::store::codes::insert(
        &mut tx,
        &NewCode {
            purpose,
            address_lower: &address.to_lowercase(),
            user_id: Some(user_id),
            code_digest: &state.secrets.codes.digest(CODE),
            now,
            expires_at: now + 3600,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A guest signs in with a code, as on the sign-in page: ask for a code,
/// then enter it. Lands on My Apps.
pub async fn guest_sign_in(addr: SocketAddr, state: &AppState, email: &str, user_id: &str) -> anyhow::Result<Client> {
    let mut client = Client::new(addr);
    let page = client.get("/signin").await?.text();
    let token = form_value(&page, "csrf_token").unwrap_or_default();
    let res = client
        .post_form("/signin/code", &[("csrf_token", &token), ("email", email)])
        .await?;
    anyhow::ensure!(res.status == 200, "asking for a code answered {}", res.status);
    // The code is sent after the answer: plant ours once it has been, so
    // ours is the newest.
    let mut conn = state.db.pool().acquire().await?;
    while vestibule::store::codes::queued_sign_in_requests(&mut conn, email).await? > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    drop(conn);
    plant_code(state, Purpose::SignIn, email, user_id).await?;
    let res = client
        .post_form("/signin/code/verify", &[("csrf_token", &token), ("code", CODE)])
        .await?;
    anyhow::ensure!(
        res.status == 303 && res.location.as_deref() == Some("/myapps"),
        "the guest's code answered {} {:?}",
        res.status,
        res.location
    );
    Ok(client)
}

/// A guest opens an invitation and verifies the code: the session now
/// holds a redemption in progress, on Review permissions.
pub async fn open_redemption(
    addr: SocketAddr,
    state: &AppState,
    ticket: &str,
    email: &str,
    user_id: &str,
) -> anyhow::Result<Client> {
    let mut client = Client::new(addr);
    let page = client.get(&format!("/redeem?ticket={ticket}")).await?;
    anyhow::ensure!(page.status == 200, "the redeem page answered {}", page.status);
    let token = form_value(&page.text(), "csrf_token").unwrap_or_default();
    let res = client.post_form("/redeem/code", &[("csrf_token", &token)]).await?;
    anyhow::ensure!(res.status == 303, "Send code answered {}", res.status);
    plant_code(state, Purpose::Redeem, email, user_id).await?;
    let res = client
        .post_form("/redeem/verify", &[("csrf_token", &token), ("code", CODE)])
        .await?;
    anyhow::ensure!(
        res.status == 303 && res.location.as_deref() == Some("/redeem/consent"),
        "the redemption code answered {} {:?}",
        res.status,
        res.location
    );
    Ok(client)
}

/// The address of the `n`th invitation of a run.
pub fn invitee(run: &str, worker: usize, n: u64) -> String {
    format!("bench.{run}.{worker}.{n}@fabrikam.example")
}

/// Invitations through the wizard's form by signed-in admins, one
/// connection each, for `duration`: each opens the form (a fresh CSRF
/// token and form key) and posts Invite. An invitation counts when the
/// answer is the wizard's redirect to All users; any other answer (the form
/// again with an error, a redirect to Sign in) is a failure. Returns
/// (invited, failed).
pub async fn invite_over_http(clients: Vec<Client>, run: &str, duration: Duration) -> (u64, u64) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for (worker, mut client) in clients.into_iter().enumerate() {
        let run = run.to_owned();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let email = invitee(&run, worker, n);
                let outcome: anyhow::Result<http::Response> = async {
                    let page = client.get("/admin/users/invite").await?.text();
                    let token = form_value(&page, "csrf_token").unwrap_or_default();
                    let key = form_value(&page, "form_key").unwrap_or_default();
                    let res = client
                        .post_form(
                            "/admin/users/invite",
                            &[
                                ("csrf_token", token.as_str()),
                                ("form_key", key.as_str()),
                                ("email", email.as_str()),
                                ("display_name", "Bench Guest"),
                            ],
                        )
                        .await?;
                    Ok(res)
                }
                .await;
                match outcome {
                    Ok(res) if invited(&res) => ok += 1,
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let mut totals = (0, 0);
    for task in tasks {
        if let Ok((ok, failed)) = task.await {
            totals.0 += ok;
            totals.1 += failed;
        }
    }
    totals
}

/// The wizard's answer to a successful Invite: 303 to All users.
fn invited(res: &http::Response) -> bool {
    res.status == 303 && res.location.as_deref() == Some(INVITED_LANDING)
}

/// Where the wizard sends the admin after an invitation.
const INVITED_LANDING: &str = "/admin/users";

/// Invitations through `services::invitations::invite`, `concurrency` at a
/// time on the calling thread, for `duration`. Returns each invitee's
/// address with the moment its transaction had committed.
pub async fn invite_directly(
    state: web::Data<AppState>,
    admin_id: &str,
    run: &str,
    concurrency: usize,
    duration: Duration,
) -> (Vec<(String, Instant)>, u64) {
    let deadline = Instant::now() + duration;
    let roles = [Role::GlobalAdministrator];
    let admin = Arc::new(Admin {
        actor: Actor {
            id: Some(admin_id.to_owned()),
            name: Some("bench".into()),
            client_ip: None,
        },
        id: admin_id,
        roles: &roles,
    });
    let loops = (0..concurrency).map(|worker| {
        let (state, admin) = (state.clone(), admin.clone());
        async move {
            let mut committed = Vec::new();
            let mut failed = 0u64;
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let email = invitee(run, worker, n);
                let form = InviteForm {
                    email: email.clone(),
                    display_name: "Bench Guest".into(),
                    form_key: vestibule::security::secret::random_token(16),
                    ..Default::default()
                };
                match invite(&state, &admin, &form).await {
                    Ok(_) => committed.push((email, Instant::now())),
                    Err(_) => failed += 1,
                }
            }
            (committed, failed)
        }
    });
    let mut all = Vec::new();
    let mut failed = 0;
    for (committed, f) in futures_util::future::join_all(loops).await {
        all.extend(committed);
        failed += f;
    }
    (all, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, location: Option<&str>) -> http::Response {
        http::Response {
            status,
            location: location.map(str::to_owned),
            body: Vec::new(),
        }
    }

    #[test]
    fn only_the_redirect_to_all_users_counts_as_an_invitation() {
        assert!(invited(&answer(303, Some("/admin/users"))));
        assert!(!invited(&answer(303, Some("/signin?next=%2Fadmin%2Fusers%2Finvite"))));
        assert!(!invited(&answer(303, Some("/account/password"))));
        assert!(!invited(&answer(303, None)));
        assert!(!invited(&answer(422, None)));
    }
}
