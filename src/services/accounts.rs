//! Members with passwords: the first Global Administrator, admins created
//! from the command line, signing in, and changing a password.

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::{DisplayName, Email, NewPassword, Role, UserType};
use crate::security::password::PasswordHasherService;
use crate::services::{ServiceError, ServiceResult};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::users::{NewUser, User};
use crate::store::{self, Db};

/// The Global Administrator made on first start. `password` is set only
/// when it was generated, so it can be printed once.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: String,
    pub generated_password: Option<String>,
}

/// Writes the organization and, when the directory is empty, the first
/// Global Administrator.
pub async fn bootstrap(
    db: &Db,
    settings: &Settings,
    hasher: &PasswordHasherService,
    clock: &Clock,
) -> anyhow::Result<Option<FirstAdmin>> {
    let email_text = settings
        .admin_email
        .clone()
        .unwrap_or_else(|| format!("admin@{}", settings.org_domain));
    let email = Email::parse(&email_text)
        .map_err(|e| anyhow::anyhow!("invalid setting VESTIBULE_ADMIN_EMAIL ({email_text}): {e}"))?;
    let (password, generated) = match &settings.admin_password {
        Some(given) => (
            NewPassword::parse(given).map_err(|e| anyhow::anyhow!("invalid setting VESTIBULE_ADMIN_PASSWORD: {e}"))?,
            false,
        ),
        None => (NewPassword::generate(), true),
    };

    let now = clock.now();
    let mut tx = db.begin().await?;
    store::organization::insert_if_missing(&mut tx, &settings.org_name, &settings.org_domain, now).await?;
    if store::users::count_all(&mut tx).await? > 0 {
        tx.commit().await?;
        return Ok(None);
    }
    let hash = hasher.hash(password.expose().to_owned()).await?;
    let name = DisplayName::parse("Administrator").map_err(anyhow::Error::msg)?;
    let created = add_member_with_role(
        &mut tx,
        &Actor::system("Vestibule first start"),
        &email,
        &name,
        &hash,
        generated,
        Role::GlobalAdministrator,
        now,
    )
    .await;
    match created {
        Ok(_) => {}
        // Another instance bootstrapped at the same moment.
        Err(ServiceError::Store(e)) if store::is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("creating the first administrator: {e}")),
    }
    tx.commit().await?;
    Ok(Some(FirstAdmin {
        email: email.to_string(),
        generated_password: generated.then(|| password.into_inner()),
    }))
}

/// Writes the organization row if this is the first start; used by
/// `admin create`, which may run before the portal ever served.
pub async fn bootstrap_organization(db: &Db, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    store::organization::insert_if_missing(&mut tx, &settings.org_name, &settings.org_domain, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// `vestibule admin create`: a member with a password and a directory role.
pub async fn create_admin(
    db: &Db,
    hasher: &PasswordHasherService,
    clock: &Clock,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> ServiceResult<User> {
    let email = Email::parse(email).map_err(ServiceError::Refused)?;
    let name = DisplayName::parse(name).map_err(ServiceError::Refused)?;
    let password = NewPassword::parse(password).map_err(ServiceError::Refused)?;
    let hash = hasher.hash(password.into_inner()).await?;
    let now = clock.now();
    let mut tx = db.begin().await?;
    if store::users::address_in_use(&mut tx, email.normalized()).await? {
        return Err(ServiceError::Refused(format!("{email} is already in the directory.")));
    }
    let id = add_member_with_role(
        &mut tx,
        &Actor::system("vestibule admin create"),
        &email,
        &name,
        &hash,
        false,
        role,
        now,
    )
    .await?;
    let user = store::users::find_active(&mut tx, &id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(user)
}

#[allow(clippy::too_many_arguments)]
async fn add_member_with_role(
    tx: &mut store::Tx,
    actor: &Actor,
    email: &Email,
    name: &DisplayName,
    password_hash: &str,
    must_change_password: bool,
    role: Role,
    now: i64,
) -> ServiceResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    store::users::insert(
        tx,
        &NewUser {
            id: &id,
            display_name: name,
            mail: Some(email),
            user_principal_name: email.as_str(),
            user_type: UserType::Member,
            creation_type: None,
            external_user_state: None,
            company_name: None,
            password_hash: Some(password_hash),
            must_change_password,
            invited_by: None,
            now,
        },
    )
    .await?;
    store::roles::grant(tx, &id, role, actor.id.as_deref(), now).await?;
    let target = Some(email.as_str());
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity: "Add user",
            category: "UserManagement",
            target_id: Some(&id),
            target_name: target,
            details: None,
        },
        now,
    )
    .await?;
    store::audit::record(
        tx,
        actor,
        &AuditEntry {
            activity: "Add member to role",
            category: "RoleManagement",
            target_id: Some(&id),
            target_name: target,
            details: Some(role.label().to_owned()),
        },
        now,
    )
    .await?;
    Ok(id)
}

/// Checks a member's password. Unknown addresses, guests, blocked users and
/// users without a password all fail the same way, after the same work.
pub async fn sign_in(
    db: &Db,
    hasher: &PasswordHasherService,
    email: &str,
    password: &str,
) -> ServiceResult<Option<User>> {
    Ok(match check_password(db, hasher, email, password).await? {
        PasswordCheck::SignedIn(user) => Some(user),
        _ => None,
    })
}

/// What a password sign-in found. Only `SignedIn` lets anyone in; the
/// other answers say why not, for the sign-in log, and must all look the
/// same to the person signing in.
#[derive(Debug)]
pub enum PasswordCheck {
    SignedIn(User),
    /// No live user has this address or user principal name.
    UnknownUser,
    /// The password is wrong, or the user has none.
    WrongPassword(User),
    /// The right password, but the user's sign-in is blocked.
    Blocked(User),
    /// The right password, but the user is a guest: guests sign in with codes.
    Guest(User),
}

/// Checks a password and says why it does not let the user in. Every
/// address costs the same work, whether it exists or not.
pub async fn check_password(
    db: &Db,
    hasher: &PasswordHasherService,
    email: &str,
    password: &str,
) -> ServiceResult<PasswordCheck> {
    let mut conn = db.pool().acquire().await?;
    let user = store::users::find_by_sign_in_name(&mut conn, email).await?;
    drop(conn);
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = hasher.verify(password.to_owned(), stored).await;
    Ok(match user {
        None => PasswordCheck::UnknownUser,
        Some(u) if !verified => PasswordCheck::WrongPassword(u),
        Some(u) if !u.account_enabled => PasswordCheck::Blocked(u),
        Some(u) if u.user_type != UserType::Member => PasswordCheck::Guest(u),
        Some(u) => PasswordCheck::SignedIn(u),
    })
}

/// Changes the signed-in user's own password; returns the new session
/// epoch, which ends every other session of the user.
pub async fn change_password(
    db: &Db,
    hasher: &PasswordHasherService,
    clock: &Clock,
    actor: &Actor,
    user: &User,
    current: &str,
    new: &str,
) -> ServiceResult<i64> {
    if !hasher.verify(current.to_owned(), user.password_hash.clone()).await {
        return Err(ServiceError::Refused("The current password is not correct.".into()));
    }
    let new = NewPassword::parse(new).map_err(ServiceError::Refused)?;
    if new.expose() == current {
        return Err(ServiceError::Refused(
            "Choose a password different from the current one.".into(),
        ));
    }
    let hash = hasher.hash(new.into_inner()).await?;
    let now = clock.now();
    let mut tx = db.begin().await?;
    let epoch = store::users::set_password(&mut tx, &user.id, &hash, false).await?;
    store::audit::record(
        &mut tx,
        actor,
        &AuditEntry {
            activity: "Change user password",
            category: "UserManagement",
            target_id: Some(&user.id),
            target_name: Some(&user.user_principal_name),
            details: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// Ends every session of the user that carries `epoch`: sessions already
/// ended by a newer epoch are left alone.
pub async fn sign_out(db: &Db, user_id: &str, epoch: i64) -> ServiceResult<()> {
    let mut tx = db.begin().await?;
    store::users::end_sessions_of_epoch(&mut tx, user_id, epoch).await?;
    tx.commit().await?;
    Ok(())
}
