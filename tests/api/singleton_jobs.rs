//! Periodic jobs that must do their work once however many instances run
//! them: on PostgreSQL they take an advisory lock in a transaction and skip
//! their turn when another instance holds it. On SQLite (one process) the
//! same jobs run twice at once in the process, which their conditional
//! writes must survive too.

use vestibule::domain::Role;
use vestibule::services::Admin;
use vestibule::services::purge::purge_expired;
use vestibule::store::audit::Actor;
use vestibule::store::jobs::{Job, JobRun};

use crate::common::{TestApp, spawn_app};

const DAY: i64 = 86_400;

/// The other instance on PostgreSQL, or none on SQLite.
async fn second(app: &TestApp) -> Option<TestApp> {
    if app.settings.is_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    }
}

#[tokio::test]
async fn a_job_run_holds_its_lock_against_other_instances_until_it_ends() {
    let app = spawn_app().await;
    let first = JobRun::try_start(&app.db, Job::Purge).await.unwrap();
    assert!(first.is_some());
    let meanwhile = JobRun::try_start(&app.db, Job::Purge).await.unwrap();
    assert_eq!(
        meanwhile.is_none(),
        app.settings.is_postgres(),
        "on PostgreSQL a second run waits its turn; SQLite has one process"
    );
    assert!(
        JobRun::try_start(&app.db, Job::RateLimitCleanup)
            .await
            .unwrap()
            .is_some(),
        "another job has its own lock"
    );
    if let Some(run) = meanwhile {
        run.end().await.unwrap();
    }
    first.unwrap().end().await.unwrap();
    assert!(
        JobRun::try_start(&app.db, Job::Purge).await.unwrap().is_some(),
        "released when the run ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_purging_at_once_delete_and_audit_each_user_once() {
    const USERS: usize = 12;
    let a = spawn_app().await;
    let b = second(&a).await;
    let admin = Admin {
        actor: Actor::system("test"),
        id: "",
        roles: &[Role::GlobalAdministrator],
    };
    for i in 0..USERS {
        let id = a
            .create_member(&format!("gone{i}@contoso.test"), "Gone-passw0rd!", "")
            .await;
        vestibule::services::users::delete_user(&a.state, &admin, &id)
            .await
            .unwrap();
    }
    a.clock.advance(31 * DAY);
    let other = b.as_ref().unwrap_or(&a);
    let (by_a, by_b) = tokio::join!(purge_expired(&a.state), purge_expired(&other.state));
    assert_eq!(by_a.unwrap() + by_b.unwrap(), USERS, "each user purged by one instance");
    assert_eq!(
        a.count("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL").await,
        0
    );
    assert_eq!(
        a.count(
            "SELECT COUNT(*) FROM audit_log WHERE activity = 'Hard delete user' AND actor_name = 'Vestibule purge'"
        )
        .await,
        USERS as i64,
        "one audit line per user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_making_the_first_signing_keys_at_once_make_one_per_algorithm() {
    let a = spawn_app().await;
    let b = second(&a).await;
    sqlx::query("DELETE FROM signing_keys")
        .execute(a.db.pool())
        .await
        .unwrap();
    let other = b.as_ref().unwrap_or(&a);
    let (by_a, by_b) = tokio::join!(
        vestibule::services::signing_keys::ensure(&a.state),
        vestibule::services::signing_keys::ensure(&other.state)
    );
    by_a.unwrap();
    by_b.unwrap();
    let per_alg: Vec<(String, i64)> =
        sqlx::query_as("SELECT alg, COUNT(*) FROM signing_keys WHERE retired_at IS NULL GROUP BY alg ORDER BY alg")
            .fetch_all(a.db.pool())
            .await
            .unwrap();
    assert_eq!(per_alg, [("ES256".to_owned(), 1), ("RS256".to_owned(), 1)]);
}
