//! The one organization this deployment belongs to.

use super::Conn;
use crate::domain::collaboration_restrictions::DomainPolicy;
use crate::domain::invite_level::InviteLevel;
use crate::domain::language::Language;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Organization {
    pub name: String,
    pub primary_domain: String,
    pub privacy_statement_url: Option<String>,
    pub privacy_contact: Option<String>,
    pub terms_of_use: Option<String>,
    pub terms_version: i64,
    pub updated_at: i64,
    /// Verify the invited address with a one-time passcode at redemption.
    pub otp_at_redemption: i64,
    /// Guests may leave the organization from Organizations.
    pub guests_may_leave: i64,
    pub guest_session_hours: i64,
    /// The tenant ID (Entra's `tid`): in the OpenID Connect issuer and in tokens.
    pub tenant_id: String,
    /// Who may invite guests: an `InviteLevel` key.
    pub allow_invites_from: String,
    /// Collaboration restrictions: a `RestrictionMode` key.
    pub invite_domain_policy: String,
    /// Collaboration restrictions: the target domains, one per line.
    pub invite_target_domains: String,
    /// What guests read when neither the invitation nor the guest names a
    /// language: a `Language` code.
    pub language: String,
}

impl Organization {
    pub fn invite_level(&self) -> InviteLevel {
        InviteLevel::from_key(&self.allow_invites_from)
    }

    pub fn domain_policy(&self) -> DomainPolicy {
        DomainPolicy::from_stored(&self.invite_domain_policy, &self.invite_target_domains)
    }

    pub fn language(&self) -> Language {
        Language::from_code(&self.language)
    }

    pub fn requires_code_at_redemption(&self) -> bool {
        self.otp_at_redemption != 0
    }

    pub fn lets_guests_leave(&self) -> bool {
        self.guests_may_leave != 0
    }
}

pub async fn get(conn: &mut Conn) -> sqlx::Result<Option<Organization>> {
    sqlx::query_as(
        "SELECT name, primary_domain, privacy_statement_url, privacy_contact, terms_of_use, \
         terms_version, updated_at, otp_at_redemption, guests_may_leave, guest_session_hours, \
         COALESCE(tenant_id, '') AS tenant_id, allow_invites_from, invite_domain_policy, invite_target_domains, \
         language FROM organization WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Writes the first start's name and domain; later starts keep what the
/// admins set.
pub async fn insert_if_missing(conn: &mut Conn, name: &str, domain: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO organization (id, name, primary_domain, terms_version, updated_at, tenant_id) \
         VALUES (1, $1, $2, 0, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(name)
    .bind(domain)
    .bind(now)
    .bind(uuid::Uuid::new_v4().to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The row, locked against other writers until the transaction ends
/// (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub async fn get_for_update(conn: &mut Conn) -> sqlx::Result<Option<Organization>> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM organization WHERE id = 1 FOR UPDATE")
            .fetch_optional(&mut *conn)
            .await?;
    }
    get(conn).await
}

/// Organization properties as Settings saves them (already validated).
pub struct Properties<'a> {
    pub name: &'a str,
    pub primary_domain: &'a str,
    pub privacy_statement_url: Option<&'a str>,
    pub privacy_contact: Option<&'a str>,
    pub terms_of_use: Option<&'a str>,
    pub language: Language,
}

/// Saves the properties. The terms version goes up by one exactly when the
/// terms text changes (set, changed or cleared); the comparison is made in
/// the statement, so it holds for concurrent saves too.
pub async fn update_properties(conn: &mut Conn, p: &Properties<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE organization SET name = $1, primary_domain = $2, privacy_statement_url = $3, \
         privacy_contact = $4, \
         terms_version = CASE WHEN COALESCE(terms_of_use, '') = COALESCE($5, '') \
         THEN terms_version ELSE terms_version + 1 END, \
         terms_of_use = $5, updated_at = $6, language = $7 WHERE id = 1",
    )
    .bind(p.name)
    .bind(p.primary_domain)
    .bind(p.privacy_statement_url)
    .bind(p.privacy_contact)
    .bind(p.terms_of_use)
    .bind(now)
    .bind(p.language.code())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// External collaboration settings as Settings saves them (already validated).
pub struct Collaboration {
    pub guests_may_leave: bool,
    pub guest_session_hours: i64,
    pub invite_level: InviteLevel,
}

/// Saves the external collaboration settings.
pub async fn update_collaboration(conn: &mut Conn, settings: &Collaboration) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE organization SET guests_may_leave = $1, guest_session_hours = $2, allow_invites_from = $3 \
         WHERE id = 1",
    )
    .bind(super::flag(settings.guests_may_leave))
    .bind(settings.guest_session_hours)
    .bind(settings.invite_level.key())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Saves the built-in Email one-time passcode provider's setting: whether
/// redemption asks for a code.
pub async fn update_otp_at_redemption(conn: &mut Conn, on: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE organization SET otp_at_redemption = $1 WHERE id = 1")
        .bind(super::flag(on))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Saves the collaboration restrictions (already validated).
pub async fn update_domain_policy(conn: &mut Conn, policy: &DomainPolicy) -> sqlx::Result<()> {
    sqlx::query("UPDATE organization SET invite_domain_policy = $1, invite_target_domains = $2 WHERE id = 1")
        .bind(policy.mode.key())
        .bind(policy.stored_list())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
