//! `vestibule-bench seed`: realistic users, groups and applications
//! written in bulk. It appends to what the directory holds: new users are
//! numbered after the existing ones, join existing assigned groups at
//! random, and join every existing Dynamic User group whose rule they
//! match. Invented people, for measuring: no operator wants them in a real
//! directory, so this lives with the benchmark, not in the product.

use std::time::{Duration, Instant};

use sqlx::Connection;
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::domain::membership_rule::{MembershipRule, UserAttributes};
use vestibule::store::bulk::{self, Value};
use vestibule::store::{Conn, Db};

use crate::data::{self, COMPANIES, DEPARTMENTS, FIRST_NAMES, LAST_NAMES, Rng};

#[derive(clap::Args)]
pub struct SeedArgs {
    /// Users to add: 30% members, 25% pending guests, 45% accepted guests.
    #[arg(long, default_value_t = 10_000)]
    pub users: u64,
    /// Groups to add; one in ten is a Dynamic User group.
    #[arg(long, default_value_t = 100)]
    pub groups: u64,
    /// Enterprise applications to add, each with three app roles.
    #[arg(long, default_value_t = 20)]
    pub apps: u64,
    /// The database to fill (default: the configured VESTIBULE_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The random seed: the same seed writes the same names.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The command: migrates the database, writes the organization if it has
/// none yet, seeds it, and prints what it wrote and how long it took.
pub async fn run(mut settings: Settings, args: SeedArgs) -> anyhow::Result<()> {
    if let Some(url) = args.database_url {
        settings.database_url = url;
    }
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    vestibule::services::accounts::bootstrap_organization(&db, &settings, &Clock::system()).await?;
    let options = SeedOptions {
        users: args.users,
        groups: args.groups,
        apps: args.apps,
        seed: args.seed,
    };
    let report = seed(&db, &options).await?;
    db.close().await;
    println!(
        "seeded {} users ({} memberships, {} invitations), {} groups ({} dynamic), {} apps, {} assignments \
         into {} in {:.1} s",
        report.users,
        report.memberships,
        report.invitations,
        report.groups,
        report.dynamic_groups,
        report.apps,
        report.assignments,
        vestibule::store::redact_url(&settings.database_url),
        report.seconds
    );
    Ok(())
}

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub users: u64,
    pub groups: u64,
    pub apps: u64,
    /// The random seed: the same options write the same data.
    pub seed: u64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SeedReport {
    pub users: u64,
    pub groups: u64,
    pub dynamic_groups: u64,
    pub apps: u64,
    pub memberships: u64,
    pub assignments: u64,
    pub invitations: u64,
    pub seconds: f64,
}

/// Users per transaction.
const BATCH: u64 = 50_000;
/// Assigned groups a new user may join, at most.
const MAX_GROUPS_PER_USER: usize = 3;

pub async fn seed(db: &Db, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let mut conn = db.pool().acquire().await?;
    bulk::tune_for_loading(&mut conn, db.backend()).await?;
    let org = vestibule::store::organization::get(&mut conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the organization is missing: run `vestibule migrate` and start once"))?;
    let now = unix_now();
    let mut rng = Rng::new(options.seed ^ bulk::count(&mut conn, "users", "1 = 1").await? as u64);
    let mut report = SeedReport::default();

    let mut tx = conn.begin().await?;
    let (groups, dynamic) = insert_groups(&mut tx, &mut rng, options.groups, now).await?;
    report.groups = groups;
    report.dynamic_groups = dynamic;
    report.apps = insert_apps(&mut tx, &mut rng, options.apps, now).await?;
    report.assignments += assign_groups_to_apps(&mut tx, &mut rng, now).await?;
    tx.commit().await?;

    let assigned: Vec<String> = bulk::ids(&mut conn, "groups", "membership_type = 'Assigned'", 10_000).await?;
    let dynamic: Vec<(String, MembershipRule)> = vestibule::store::groups::dynamic_groups(&mut conn)
        .await?
        .into_iter()
        .filter_map(|(id, text)| MembershipRule::parse(&text).ok().map(|r| (id, r)))
        .collect();
    let roles = bulk::default_roles(&mut conn).await?;
    let inviter = bulk::first_admin(&mut conn).await?;

    let first_number = bulk::count(&mut conn, "users", "1 = 1").await? as u64;
    let mut done = 0;
    while done < options.users {
        let n = BATCH.min(options.users - done);
        let batch = UserBatch::generate(
            &mut rng,
            first_number + done,
            n,
            &org.primary_domain,
            &org.name,
            now,
            Context {
                assigned: &assigned,
                dynamic: &dynamic,
                roles: &roles,
                inviter: inviter.as_deref(),
            },
        );
        let mut tx = conn.begin().await?;
        batch.write(&mut tx).await?;
        tx.commit().await?;
        report.users += n;
        report.memberships += batch.members.len() as u64;
        report.assignments += batch.assignments.len() as u64;
        report.invitations += batch.invitations.len() as u64;
        done += n;
    }
    bulk::analyze(&mut conn, db.backend()).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

const GROUP_COLUMNS: &[&str] = &[
    "id",
    "display_name",
    "display_name_lower",
    "description",
    "membership_type",
    "membership_rule",
    "created_at",
    "updated_at",
];

/// A group row for `bulk::insert_rows` with `GROUP_COLUMNS`.
pub fn group_row(id: &str, name: &str, rule: Option<&MembershipRule>, now: i64) -> Vec<Value> {
    vec![
        id.into(),
        name.into(),
        name.to_lowercase().into(),
        Some(format!(
            "{name} ({})",
            if rule.is_some() { "dynamic" } else { "assigned" }
        ))
        .into(),
        (if rule.is_some() { "DynamicUser" } else { "Assigned" }).into(),
        rule.map(|r| r.to_string()).into(),
        now.into(),
        now.into(),
    ]
}

pub async fn insert_group_rows(conn: &mut Conn, rows: &[Vec<Value>]) -> sqlx::Result<u64> {
    bulk::insert_rows(conn, "groups", GROUP_COLUMNS, rows, "").await
}

/// One group in ten is dynamic: the guests of one partner company.
async fn insert_groups(conn: &mut Conn, rng: &mut Rng, n: u64, now: i64) -> anyhow::Result<(u64, u64)> {
    let mut rows = Vec::new();
    let mut dynamic = 0;
    for i in 0..n {
        let (company, _) = rng.pick(COMPANIES);
        if i % 10 == 9 {
            let rule = MembershipRule::parse(&format!(
                "user.userType -eq \"Guest\" -and user.companyName -eq \"{company}\""
            ))
            .map_err(|e| anyhow::anyhow!("a seed rule does not parse: {}", e.message))?;
            rows.push(group_row(&new_id(), &format!("{company} guests {i}"), Some(&rule), now));
            dynamic += 1;
        } else {
            let name = format!(
                "{} {} {i}",
                rng.pick(DEPARTMENTS),
                rng.pick(&["team", "project", "partners"])
            );
            rows.push(group_row(&new_id(), &name, None, now));
        }
    }
    insert_group_rows(conn, &rows).await?;
    Ok((n, dynamic))
}

const APP_COLUMNS: &[&str] = &[
    "id",
    "display_name",
    "display_name_lower",
    "homepage_url",
    "enabled",
    "visible_to_users",
    "assignment_required",
    "created_at",
    "updated_at",
];
const ROLE_COLUMNS: &[&str] = &[
    "id",
    "app_id",
    "display_name",
    "description",
    "value",
    "enabled",
    "is_default",
    "created_at",
];

/// Applications with Default Access and two more roles; returns the id of
/// each app's Default Access role, by app, in order.
pub async fn insert_app_rows(
    conn: &mut Conn,
    names: &[(String, String)],
    now: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let mut apps = Vec::new();
    let mut roles = Vec::new();
    let mut defaults = Vec::new();
    for (name, url) in names {
        let app_id = new_id();
        apps.push(vec![
            app_id.clone().into(),
            name.clone().into(),
            name.to_lowercase().into(),
            Some(url.clone()).into(),
            1.into(),
            1.into(),
            1.into(),
            now.into(),
            now.into(),
        ]);
        for (role, value, is_default) in [
            ("Default Access", None, 1),
            ("Reader", Some("reader"), 0),
            ("Contributor", Some("contributor"), 0),
        ] {
            let role_id = new_id();
            if is_default == 1 {
                defaults.push((app_id.clone(), role_id.clone()));
            }
            roles.push(vec![
                role_id.into(),
                app_id.clone().into(),
                role.into(),
                None::<String>.into(),
                value.map(str::to_owned).into(),
                1.into(),
                i64::from(is_default).into(),
                now.into(),
            ]);
        }
    }
    bulk::insert_rows(conn, "applications", APP_COLUMNS, &apps, "").await?;
    bulk::insert_rows(conn, "app_roles", ROLE_COLUMNS, &roles, "").await?;
    Ok(defaults)
}

async fn insert_apps(conn: &mut Conn, rng: &mut Rng, n: u64, _now: i64) -> sqlx::Result<u64> {
    let names: Vec<(String, String)> = (0..n)
        .map(|i| {
            let (name, url) = rng.pick(data::APP_NAMES);
            (format!("{name} {}", i + 1), (*url).to_owned())
        })
        .collect();
    insert_app_rows(conn, &names, _now).await?;
    Ok(n)
}

const ASSIGNMENT_COLUMNS: &[&str] = &[
    "id",
    "app_id",
    "app_role_id",
    "principal_type",
    "principal_id",
    "created_at",
];

pub fn assignment_row(app_id: &str, role_id: &str, principal_type: &str, principal_id: &str, now: i64) -> Vec<Value> {
    vec![
        new_id().into(),
        app_id.into(),
        role_id.into(),
        principal_type.into(),
        principal_id.into(),
        now.into(),
    ]
}

pub async fn insert_assignment_rows(conn: &mut Conn, rows: &[Vec<Value>]) -> sqlx::Result<u64> {
    bulk::insert_rows(
        conn,
        "app_role_assignments",
        ASSIGNMENT_COLUMNS,
        rows,
        "ON CONFLICT (app_id, principal_type, principal_id, app_role_id) DO NOTHING",
    )
    .await
}

/// Every group without an assignment gets one or two applications.
async fn assign_groups_to_apps(conn: &mut Conn, rng: &mut Rng, now: i64) -> sqlx::Result<u64> {
    let roles = bulk::default_roles(conn).await?;
    if roles.is_empty() {
        return Ok(0);
    }
    let groups = bulk::groups_without_apps(conn).await?;
    let mut rows = Vec::new();
    for group in &groups {
        for _ in 0..1 + rng.below(2) {
            let (app, role) = rng.pick(&roles);
            rows.push(assignment_row(app, role, "Group", group, now));
        }
    }
    insert_assignment_rows(conn, &rows).await
}

/// What new users can join.
#[derive(Clone, Copy)]
struct Context<'a> {
    assigned: &'a [String],
    dynamic: &'a [(String, MembershipRule)],
    roles: &'a [(String, String)],
    inviter: Option<&'a str>,
}

pub const USER_COLUMNS: &[&str] = &[
    "id",
    "display_name",
    "display_name_lower",
    "mail",
    "mail_lower",
    "user_principal_name",
    "upn_lower",
    "user_type",
    "creation_type",
    "external_user_state",
    "external_user_state_changed_at",
    "company_name",
    "account_enabled",
    "session_epoch",
    "created_at",
    "invited_by",
];
const INVITATION_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "ticket_digest",
    "invited_email",
    "invited_by",
    "status",
    "created_at",
    "redeemed_at",
];
const CONSENT_COLUMNS: &[&str] = &["id", "user_id", "consented_at", "terms_version"];
const MEMBER_COLUMNS: &[&str] = &["group_id", "user_id", "added_at"];

#[derive(Default)]
struct UserBatch {
    users: Vec<Vec<Value>>,
    invitations: Vec<Vec<Value>>,
    consents: Vec<Vec<Value>>,
    members: Vec<Vec<Value>>,
    assignments: Vec<Vec<Value>>,
}

impl UserBatch {
    /// 30% members, 25% guests who have not accepted yet, 45% guests who
    /// have (with their consent); up to three assigned groups each, the
    /// dynamic groups whose rules match, and a direct app for one in 30.
    fn generate(
        rng: &mut Rng,
        first_number: u64,
        n: u64,
        org_domain: &str,
        org_name: &str,
        now: i64,
        ctx: Context<'_>,
    ) -> Self {
        let mut b = UserBatch::default();
        for k in 0..n {
            let number = first_number + k;
            let first = *rng.pick(FIRST_NAMES);
            let last = *rng.pick(LAST_NAMES);
            let name = format!("{first} {last}");
            let local = data::mail_local(first, last);
            let roll = rng.below(100);
            let id = new_id();
            let created = now - rng.below(3 * 365 * 86_400) as i64;
            let (user_type, state, company, mail, upn) = if roll < 30 {
                let mail = format!("{local}.{number}@{org_domain}");
                ("Member", None, org_name, mail.clone(), mail)
            } else {
                let (company, domain) = *rng.pick(COMPANIES);
                let mail = format!("{local}.{number}@{domain}");
                let upn = format!("{}#EXT#@{org_domain}", mail.replace('@', "_"));
                let state = if roll < 55 { "PendingAcceptance" } else { "Accepted" };
                ("Guest", Some(state), company, mail, upn)
            };
            let attributes = UserAttributes {
                object_id: &id,
                display_name: &name,
                mail: Some(&mail),
                user_principal_name: &upn,
                user_type,
                company_name: Some(company),
                account_enabled: true,
                external_user_state: state,
            };
            for (group, rule) in ctx.dynamic {
                if rule.matches(&attributes) {
                    b.members
                        .push(vec![group.clone().into(), id.clone().into(), created.into()]);
                }
            }
            if !ctx.assigned.is_empty() {
                let joins = rng.below(MAX_GROUPS_PER_USER + 1);
                let start = rng.below(ctx.assigned.len());
                for j in 0..joins.min(ctx.assigned.len()) {
                    let group = &ctx.assigned[(start + j * 7919) % ctx.assigned.len()];
                    b.members
                        .push(vec![group.clone().into(), id.clone().into(), created.into()]);
                }
            }
            if !ctx.roles.is_empty() && rng.chance(3) {
                let (app, role) = rng.pick(ctx.roles);
                b.assignments.push(assignment_row(app, role, "User", &id, created));
            }
            if let Some(state) = state {
                let accepted = state == "Accepted";
                b.invitations.push(vec![
                    new_id().into(),
                    id.clone().into(),
                    format!("seed-{}", uuid::Uuid::new_v4().simple()).into(),
                    mail.clone().into(),
                    ctx.inviter.map(str::to_owned).into(),
                    (if accepted { "redeemed" } else { "pending" }).into(),
                    created.into(),
                    accepted.then_some(created + 3600).into(),
                ]);
                if accepted {
                    b.consents.push(vec![
                        new_id().into(),
                        id.clone().into(),
                        (created + 3600).into(),
                        0.into(),
                    ]);
                }
            }
            b.users.push(vec![
                id.clone().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                Some(mail.clone()).into(),
                Some(mail.to_lowercase()).into(),
                upn.clone().into(),
                upn.to_lowercase().into(),
                user_type.into(),
                state.map(|_| "Invitation".to_owned()).into(),
                state.map(str::to_owned).into(),
                state.map(|_| created).into(),
                Some(company.to_owned()).into(),
                1.into(),
                0.into(),
                created.into(),
                state.and(ctx.inviter.map(str::to_owned)).into(),
            ]);
        }
        b
    }

    async fn write(&self, conn: &mut Conn) -> sqlx::Result<()> {
        bulk::insert_rows(conn, "users", USER_COLUMNS, &self.users, "").await?;
        bulk::insert_rows(conn, "invitations", INVITATION_COLUMNS, &self.invitations, "").await?;
        bulk::insert_rows(conn, "consents", CONSENT_COLUMNS, &self.consents, "").await?;
        bulk::insert_rows(
            conn,
            "group_members",
            MEMBER_COLUMNS,
            &self.members,
            "ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .await?;
        insert_assignment_rows(conn, &self.assignments).await?;
        Ok(())
    }
}
