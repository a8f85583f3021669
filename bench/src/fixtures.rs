//! The benchmark's own people and data, beside the seeded directory: a
//! guest with 10 apps through 3 groups (one dynamic), a member in 200
//! groups, a guest with an invitation the benchmark can open, inviting
//! admins, and a backlog of mail.

use vestibule::app::AppState;
use vestibule::clock::Clock;
use vestibule::domain::membership_rule::MembershipRule;
use vestibule::domain::{DisplayName, Email, ExternalUserState, Role, UserType};
use vestibule::security::password::PasswordHasherService;
use vestibule::store::Db;
use vestibule::store::bulk::{self, Value};

use crate::seed::{
    assignment_row, group_row, insert_app_rows, insert_assignment_rows, insert_group_rows, new_id, unix_now,
};

#[derive(Clone, Debug)]
pub struct Fixtures {
    pub admin_id: String,
    pub guest_id: String,
    pub guest_email: String,
    pub member200_email: String,
    /// A seeded, invited guest whose profile is measured.
    pub profile_id: String,
}

const GUEST_COMPANY: &str = "Bench Partner Ltd";

pub async fn build(db: &Db, hasher: &PasswordHasherService, password: &str) -> anyhow::Result<Fixtures> {
    let now = unix_now();
    let clock = Clock::system();
    let mut conn = db.pool().acquire().await?;
    let admin_id = vestibule::store::users::find_by_sign_in_name(&mut conn, "admin@contoso.test")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the first admin is missing"))?
        .id;
    let profile_id = bulk::ids(&mut conn, "users", "creation_type = 'Invitation'", 1)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no seeded guest"))?;

    // The guest of My Apps: accepted, consented, in groups A, B and a
    // dynamic group of their company; 4 + 3 + 3 apps.
    let guest_email = "kenji.sato@benchpartner.example".to_owned();
    let guest_id = new_id();
    let email = Email::parse(&guest_email).map_err(anyhow::Error::msg)?;
    let name = DisplayName::parse("Kenji Sato").map_err(anyhow::Error::msg)?;
    let upn = vestibule::services::invite_form::guest_upn(&email, "contoso.test");
    let mut tx = db.begin().await?;
    vestibule::store::users::insert(
        &mut tx,
        &vestibule::store::users::NewUser {
            id: &guest_id,
            display_name: &name,
            mail: Some(&email),
            user_principal_name: &upn,
            user_type: UserType::Guest,
            creation_type: Some("Invitation"),
            external_user_state: Some(ExternalUserState::Accepted),
            company_name: Some(GUEST_COMPANY),
            password_hash: None,
            must_change_password: false,
            invited_by: None,
            now,
        },
    )
    .await?;
    vestibule::store::consents::record(&mut tx, &guest_id, 0, now).await?;
    let rule = MembershipRule::parse(&format!("user.companyName -eq \"{GUEST_COMPANY}\""))
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let groups = [new_id(), new_id(), new_id()];
    insert_group_rows(
        &mut tx,
        &[
            group_row(&groups[0], "Bench partner projects", None, now),
            group_row(&groups[1], "Bench partner finance", None, now),
            group_row(&groups[2], "Bench partner guests", Some(&rule), now),
        ],
    )
    .await?;
    let names: Vec<(String, String)> = (1..=10)
        .map(|i| (format!("Bench App {i}"), format!("https://app{i}.benchpartner.example")))
        .collect();
    let apps = insert_app_rows(&mut tx, &names, now).await?;
    let mut rows = Vec::new();
    for (i, (app, role)) in apps.iter().enumerate() {
        let group = &groups[if i < 4 {
            0
        } else if i < 7 {
            1
        } else {
            2
        }];
        rows.push(assignment_row(app, role, "Group", group, now));
    }
    insert_assignment_rows(&mut tx, &rows).await?;
    add_to_groups(&mut tx, &groups, &guest_id, now).await?;
    tx.commit().await?;

    // A member in 200 groups, which hold 20 apps between them.
    let member200_email = "many.groups@contoso.test".to_owned();
    let member = vestibule::services::accounts::create_admin(
        db,
        hasher,
        &clock,
        &member200_email,
        "Morgan Manygroups",
        password,
        Role::GuestInviter,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = db.begin().await?;
    let names: Vec<(String, String)> = (1..=20)
        .map(|i| (format!("Portfolio App {i}"), format!("https://portfolio{i}.example")))
        .collect();
    let apps = insert_app_rows(&mut tx, &names, now).await?;
    let ids: Vec<String> = (0..200).map(|_| new_id()).collect();
    let rows: Vec<Vec<Value>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| group_row(id, &format!("Portfolio group {i}"), None, now))
        .collect();
    insert_group_rows(&mut tx, &rows).await?;
    add_to_groups(&mut tx, &ids, &member.id, now).await?;
    let rows: Vec<Vec<Value>> = ids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (app, role) = &apps[i % apps.len()];
            assignment_row(app, role, "Group", g, now)
        })
        .collect();
    insert_assignment_rows(&mut tx, &rows).await?;
    tx.commit().await?;

    Ok(Fixtures {
        admin_id,
        guest_id,
        guest_email,
        member200_email,
        profile_id,
    })
}

/// A guest with a pending invitation whose ticket the benchmark knows:
/// (ticket, address, user id).
pub async fn pending_guest(state: &AppState) -> anyhow::Result<(String, String, String)> {
    let now = state.clock.now();
    let address = "amara.okafor@benchpartner.example".to_owned();
    let email = Email::parse(&address).map_err(anyhow::Error::msg)?;
    let name = DisplayName::parse("Amara Okafor").map_err(anyhow::Error::msg)?;
    let upn = vestibule::services::invite_form::guest_upn(&email, "contoso.test");
    let id = new_id();
    let ticket = vestibule::security::secret::random_token(32);
    let mut tx = state.db.begin().await?;
    vestibule::store::users::insert(
        &mut tx,
        &vestibule::store::users::NewUser {
            id: &id,
            display_name: &name,
            mail: Some(&email),
            user_principal_name: &upn,
            user_type: UserType::Guest,
            creation_type: Some("Invitation"),
            external_user_state: Some(ExternalUserState::PendingAcceptance),
            company_name: Some("Northwind Traders"),
            password_hash: None,
            must_change_password: false,
            invited_by: None,
            now,
        },
    )
    .await?;
    vestibule::store::invitations::insert(
        &mut tx,
        &vestibule::store::invitations::NewInvitation {
            id: &new_id(),
            user_id: &id,
            ticket_digest: &state.secrets.tickets.digest(&ticket),
            invited_email: &address,
            redirect_url: None,
            send_invite_message: false,
            message: None,
            cc_recipient: None,
            language: "en",
            invited_by: None,
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((ticket, address, id))
}

/// `n` Guest Inviters with `password`; their sign-in addresses.
pub async fn invite_admins(state: &AppState, n: usize, password: &str) -> anyhow::Result<Vec<String>> {
    let mut emails = Vec::new();
    for i in 0..n {
        let email = format!("inviter.{i}@contoso.test");
        vestibule::services::accounts::create_admin(
            &state.db,
            &state.hasher,
            &state.clock,
            &email,
            &format!("Inviter {i}"),
            password,
            Role::GuestInviter,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        emails.push(email);
    }
    Ok(emails)
}

/// Commits `n` plain messages to the outbox in one transaction.
pub async fn queue_backlog(state: &AppState, n: usize) -> anyhow::Result<()> {
    let now = state.clock.now();
    let from = vestibule::mail::sender_address(&state.settings);
    let mut tx = state.db.begin().await?;
    for i in 0..n {
        let to = format!("backlog.{i}@fabrikam.example");
        let id = vestibule::mail::new_message_id("contoso.test");
        let message = vestibule::mail::build_message(
            "Contoso Invitations",
            &from,
            None,
            &to,
            "Benchmark message",
            format!("Message {i}"),
            format!("<p>Message {i}</p>"),
            None,
            &id,
        )?;
        let mail = vestibule::store::outbox::OutgoingMail {
            kind: "bench",
            user_id: None,
            recipient: to,
            subject: "Benchmark message".into(),
            message_id: id,
            body: vestibule::mail::message_text(&message),
            carries_secret: false,
            priority: vestibule::mail::priority::BULK,
        };
        vestibule::mail::queue(&mut tx, &mail, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A bulk invite file (Entra's template) of `n` guests at addresses that
/// start with `BULK_PREFIX`: names from the seed lists, a personal
/// message for one in two, a redirect URL for one in four.
pub fn bulk_file(n: usize) -> String {
    let mut out = String::with_capacity(n * 120 + 400);
    out.push_str(vestibule::services::bulk_template::VERSION);
    out.push_str(
        "\r\nEmail address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,\
         Send invitation message (true or false) [sendEmail],Customized invitation message \
         [customizedMessageBody],Name of invitee [inviteeName]\r\n",
    );
    let mut rng = crate::data::Rng::new(7);
    for i in 0..n {
        let first = *rng.pick(crate::data::FIRST_NAMES);
        let last = *rng.pick(crate::data::LAST_NAMES);
        let (_, domain) = *rng.pick(crate::data::COMPANIES);
        let redirect = if i % 4 == 0 {
            "https://apps.contoso.test/projects"
        } else {
            ""
        };
        let (send, message) = if i % 2 == 0 {
            (
                "true",
                "\"Welcome to Contoso, where our projects live. Questions? Write to partners@contoso.test.\"",
            )
        } else {
            ("false", "")
        };
        out.push_str(&format!(
            "{BULK_PREFIX}{i}.{}@{domain},{redirect},{send},{message},{first} {last}\r\n",
            crate::data::mail_local(first, last)
        ));
    }
    out
}

/// How the benchmark's bulk addresses begin.
pub const BULK_PREFIX: &str = "bulkbench.";

/// Takes back what the bulk measurement wrote, so the figures after it
/// see the directory and the outbox as they were: its mail (never
/// sent), then its guests, whose invitations and memberships go with
/// them. The audit log keeps its lines, as it always does.
pub async fn discard_bulk(state: &AppState) -> anyhow::Result<()> {
    let range = format!("'{BULK_PREFIX}' AND '{}'", BULK_PREFIX.replace('.', "/"));
    let mut tx = state.db.begin().await?;
    bulk::delete(&mut tx, "outbox", &format!("recipient BETWEEN {range}")).await?;
    bulk::delete(&mut tx, "users", &format!("mail_lower BETWEEN {range}")).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn user_count(state: &AppState) -> anyhow::Result<i64> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(bulk::count(&mut conn, "users", "deleted_at IS NULL").await?)
}

/// Makes `user_id` a member of every group in `group_ids`.
async fn add_to_groups(
    tx: &mut vestibule::store::Tx,
    group_ids: &[String],
    user_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let members: Vec<Vec<Value>> = group_ids
        .iter()
        .map(|g| vec![g.clone().into(), user_id.into(), now.into()])
        .collect();
    bulk::insert_rows(tx, "group_members", &["group_id", "user_id", "added_at"], &members, "").await
}
