//! Directory fixtures written through the portal's own services and store,
//! for tests that need many users in given states quickly, and a snapshot
//! of every table to prove that a refused request changed nothing.

use vestibule::domain::{DisplayName, Email, ExternalUserState, Role, UserType};
use vestibule::services::Admin;
use vestibule::services::invitations::InviteForm;
use vestibule::store::audit::Actor;
use vestibule::store::users::NewUser;

use super::{ADMIN_EMAIL, TestApp};

/// Where an invited user stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invited {
    Pending,
    Accepted,
}

impl TestApp {
    /// The configured Global Administrator's id.
    pub async fn admin_id(&self) -> String {
        sqlx::query_scalar("SELECT id FROM users WHERE mail_lower = $1")
            .bind(ADMIN_EMAIL)
            .fetch_one(self.db.pool())
            .await
            .expect("the configured admin")
    }

    /// Invites `email` as the configured Global Administrator through the
    /// Invite service (user, invitation, email in the outbox, audit), then
    /// marks the invitation redeemed when `state` is Accepted. Returns the id.
    pub async fn invited_user(&self, email: &str, user_type: UserType, state: Invited) -> String {
        let admin_id = self.admin_id().await;
        let admin = Admin {
            actor: Actor::system("test"),
            id: &admin_id,
            roles: &[Role::GlobalAdministrator],
        };
        let form = InviteForm {
            email: email.to_owned(),
            display_name: format!("Invited {email}"),
            user_type: user_type.as_str().to_owned(),
            ..InviteForm::default()
        };
        let invited = vestibule::services::invitations::invite(&self.state, &admin, &form)
            .await
            .unwrap_or_else(|e| panic!("{email} is invited: {e:?}"));
        if state == Invited::Accepted {
            let now = self.clock.now();
            let mut conn = self.db.pool().acquire().await.unwrap();
            let invitation = vestibule::store::invitations::latest_id_for_user(&mut conn, &invited.user_id)
                .await
                .unwrap()
                .expect("an invitation");
            assert!(
                vestibule::store::invitations::mark_redeemed(&mut conn, &invitation, now)
                    .await
                    .unwrap()
            );
            vestibule::store::users::mark_accepted(&mut conn, &invited.user_id, now)
                .await
                .unwrap();
        }
        invited.user_id
    }

    /// Writes `n` users in bulk (three in ten members, the rest guests,
    /// pending or accepted, each with an address and a UPN of their own),
    /// then refreshes the planner's statistics as a bulk load does: the
    /// directory that a query plan test needs, where the planners know the
    /// users table is large.
    pub async fn populate_directory(&self, n: usize) {
        struct Person {
            id: String,
            name: DisplayName,
            mail: Email,
            upn: String,
            user_type: UserType,
            state: Option<ExternalUserState>,
        }
        let people: Vec<Person> = (0..n)
            .map(|i| {
                let (user_type, state, mail, upn) = match i % 10 {
                    0..3 => {
                        let mail = format!("person.{i}@contoso.test");
                        (UserType::Member, None, mail.clone(), mail)
                    }
                    k => {
                        let mail = format!("person.{i}@fabrikam.example");
                        let upn = format!("person.{i}_fabrikam.example#EXT#@contoso.test");
                        let state = if k < 6 {
                            ExternalUserState::PendingAcceptance
                        } else {
                            ExternalUserState::Accepted
                        };
                        (UserType::Guest, Some(state), mail, upn)
                    }
                };
                Person {
                    id: uuid::Uuid::now_v7().to_string(),
                    name: DisplayName::parse(&format!("Directory Person {i:05}")).unwrap(),
                    mail: Email::parse(&mail).unwrap(),
                    upn,
                    user_type,
                    state,
                }
            })
            .collect();
        let now = self.clock.now();
        let rows: Vec<NewUser<'_>> = people
            .iter()
            .map(|p| NewUser {
                id: &p.id,
                display_name: &p.name,
                mail: Some(&p.mail),
                user_principal_name: &p.upn,
                user_type: p.user_type,
                creation_type: p.state.map(|_| "Invitation"),
                external_user_state: p.state,
                company_name: Some(if p.user_type == UserType::Member {
                    "Contoso"
                } else {
                    "Fabrikam"
                }),
                password_hash: None,
                must_change_password: false,
                invited_by: None,
                now,
            })
            .collect();
        let mut conn = self.db.pool().acquire().await.unwrap();
        vestibule::store::users::insert_many(&mut conn, &rows).await.unwrap();
        vestibule::store::bulk::analyze(&mut conn, self.db.backend())
            .await
            .unwrap();
    }

    /// Gives `user_id` a directory role, as Roles and administrators would.
    pub async fn grant_role(&self, user_id: &str, role: Role) {
        let mut conn = self.db.pool().acquire().await.unwrap();
        vestibule::store::roles::grant(&mut conn, user_id, role, None, self.clock.now())
            .await
            .unwrap();
    }

    /// Soft-deletes `user_id`, as Delete user does.
    pub async fn soft_delete(&self, user_id: &str) {
        let mut conn = self.db.pool().acquire().await.unwrap();
        assert!(
            vestibule::store::users::soft_delete(&mut conn, user_id, self.clock.now())
                .await
                .unwrap()
        );
    }

    /// Every row of every table, as text, in a stable order: equal snapshots
    /// before and after a request mean it wrote nothing. Queued mail is
    /// waited for first (up to 10 s), so the outbox worker's own writes are
    /// not taken for the request's.
    pub async fn snapshot(&self) -> Vec<String> {
        for _ in 0..500 {
            if self.count("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let tables: Vec<String> = if self.settings.database_url.starts_with("postgres") {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(self.db.pool())
            .await
            .unwrap()
        } else {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
                .fetch_all(self.db.pool())
                .await
                .unwrap()
        };
        let mut lines = Vec::new();
        // The migrations' own bookkeeping is no state of the portal's, and
        // rate-limit counters count refused requests too.
        for table in tables
            .into_iter()
            .filter(|t| !t.starts_with("_sqlx") && !t.starts_with("sqlite_") && t != "rate_limits")
        {
            let sql = format!("SELECT * FROM {table}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.db.pool())
                .await
                .unwrap();
            let mut text: Vec<String> = rows.iter().map(|row| format!("{table}: {}", row_text(row))).collect();
            text.sort();
            lines.extend(text);
        }
        lines
    }
}

/// One row's columns as text, whatever their types.
fn row_text(row: &sqlx::any::AnyRow) -> String {
    use sqlx::{Row, ValueRef};
    (0..row.len())
        .map(|i| {
            if row.try_get_raw(i).map(|v| v.is_null()).unwrap_or(false) {
                return "NULL".to_owned();
            }
            if let Ok(v) = row.try_get::<String, _>(i) {
                return v;
            }
            if let Ok(v) = row.try_get::<i64, _>(i) {
                return v.to_string();
            }
            if let Ok(v) = row.try_get::<f64, _>(i) {
                return v.to_string();
            }
            if let Ok(v) = row.try_get::<bool, _>(i) {
                return v.to_string();
            }
            if let Ok(v) = row.try_get::<Vec<u8>, _>(i) {
                return format!("{v:?}");
            }
            "?".to_owned()
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
