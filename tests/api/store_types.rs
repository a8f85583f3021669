//! Every column type the schema uses round-trips through the store
//! unchanged, on SQLite and on PostgreSQL (through sqlx's Any driver).

use sqlx::{Connection, Row};
use vestibule::domain::{DisplayName, Email, ExternalUserState, UserType};
use vestibule::store::users::{self, NewUser};

use crate::common::spawn_app;

#[tokio::test]
async fn text_integers_flags_and_nulls_round_trip() {
    let app = spawn_app().await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    sqlx::query("CREATE TEMPORARY TABLE round_trip (t TEXT, b BIGINT, i INTEGER, n TEXT, nb BIGINT)")
        .execute(&mut *conn)
        .await
        .unwrap();
    let text = "Zoë 🚀 ' \" \\ <b>&amp; 中文";
    for (b, i) in [(i64::MAX, 1i64), (i64::MIN, 0), (1_795_000_000_123, 1)] {
        sqlx::query("INSERT INTO round_trip (t, b, i, n, nb) VALUES ($1, $2, $3, $4, $5)")
            .bind(text)
            .bind(b)
            .bind(i)
            .bind(None::<String>)
            .bind(None::<i64>)
            .execute(&mut *conn)
            .await
            .unwrap();
        let row = sqlx::query("SELECT t, b, i, n, nb FROM round_trip WHERE b = $1")
            .bind(b)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("t"), text);
        assert_eq!(row.get::<i64, _>("b"), b);
        assert_eq!(row.get::<i64, _>("i"), i);
        assert_eq!(row.get::<Option<String>, _>("n"), None);
        assert_eq!(row.get::<Option<i64>, _>("nb"), None);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM round_trip")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(count, 3);
    conn.ping().await.unwrap();
}

#[tokio::test]
async fn a_user_row_round_trips_every_field() {
    let app = spawn_app().await;
    let mut tx = app.db.begin().await.unwrap();
    let name = DisplayName::parse("Zoë O'Brien <script>").unwrap();
    let mail = Email::parse("Zoe.OBrien@Fabrikam.example").unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    users::insert(
        &mut tx,
        &NewUser {
            id: &id,
            display_name: &name,
            mail: Some(&mail),
            user_principal_name: "Zoe.OBrien_Fabrikam.example#EXT#@contoso.test",
            user_type: UserType::Guest,
            creation_type: Some("Invitation"),
            external_user_state: Some(ExternalUserState::PendingAcceptance),
            company_name: Some("Fabrikam, Ltd."),
            password_hash: None,
            must_change_password: true,
            invited_by: None,
            now: 1_795_000_000,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = app.db.pool().acquire().await.unwrap();
    let user = users::find_active(&mut conn, &id).await.unwrap().expect("the user");
    assert_eq!(user.display_name, "Zoë O'Brien <script>");
    assert_eq!(user.mail.as_deref(), Some("Zoe.OBrien@Fabrikam.example"));
    assert_eq!(
        user.user_principal_name,
        "Zoe.OBrien_Fabrikam.example#EXT#@contoso.test"
    );
    assert_eq!(user.user_type, UserType::Guest);
    assert_eq!(user.creation_type.as_deref(), Some("Invitation"));
    assert_eq!(user.external_user_state, Some(ExternalUserState::PendingAcceptance));
    assert_eq!(user.external_user_state_changed_at, Some(1_795_000_000));
    assert_eq!(user.company_name.as_deref(), Some("Fabrikam, Ltd."));
    assert_eq!(user.password_hash, None);
    assert!(user.must_change_password);
    assert!(user.account_enabled);
    assert_eq!(user.session_epoch, 0);
    assert_eq!(user.created_at, 1_795_000_000);
    assert_eq!(user.deleted_at, None);
    // Found by either sign-in name, in any case.
    let by_mail = users::find_by_sign_in_name(&mut conn, "zoe.obrien@fabrikam.EXAMPLE")
        .await
        .unwrap();
    assert_eq!(by_mail.map(|u| u.id), Some(id.clone()));
}

#[tokio::test]
async fn the_normalised_address_is_unique() {
    let app = spawn_app().await;
    let name = DisplayName::parse("Twin").unwrap();
    let insert = |mail: &'static str| {
        let db = app.db.clone();
        let name = name.clone();
        async move {
            let mail = Email::parse(mail).unwrap();
            let id = uuid::Uuid::new_v4().to_string();
            let upn = format!("{id}@contoso.test");
            let mut tx = db.begin().await?;
            users::insert(
                &mut tx,
                &NewUser {
                    id: &id,
                    display_name: &name,
                    mail: Some(&mail),
                    user_principal_name: &upn,
                    user_type: UserType::Guest,
                    creation_type: None,
                    external_user_state: None,
                    company_name: None,
                    password_hash: None,
                    must_change_password: false,
                    invited_by: None,
                    now: 1,
                },
            )
            .await?;
            tx.commit().await
        }
    };
    insert("twin@fabrikam.example").await.unwrap();
    let err = insert("TWIN@Fabrikam.example").await.unwrap_err();
    assert!(vestibule::store::is_unique_violation(&err), "{err}");
}

#[tokio::test]
async fn the_first_start_writes_the_organization_once() {
    let app = spawn_app().await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let org = vestibule::store::organization::get(&mut conn).await.unwrap().unwrap();
    assert_eq!(
        (org.name.as_str(), org.primary_domain.as_str()),
        ("Contoso", "contoso.test")
    );
    assert_eq!(org.privacy_statement_url, None);
    assert_eq!(org.terms_version, 0);
    vestibule::store::organization::insert_if_missing(&mut conn, "Other", "other.test", 2)
        .await
        .unwrap();
    let org = vestibule::store::organization::get(&mut conn).await.unwrap().unwrap();
    assert_eq!(org.name, "Contoso");
}
