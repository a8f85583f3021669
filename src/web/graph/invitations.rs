//! `POST /v1.0/invitations`: Graph's invitation, through the same service
//! as the portal's Invite external user. As in Graph,
//! `sendInvitationMessage` is false by default and then no email is sent:
//! the caller hands on `inviteRedeemUrl`, a live link, which is audited as
//! Copy redemption URL. An address that is already a pending guest gets a
//! new link (Entra's way to resend through the API); a member or an
//! accepted guest is refused unless `resetRedemption` names them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::error::GraphError;
use super::odata;
use crate::app::AppState;
use crate::domain::api_permission::ApiPermission::{UserInviteAll, UserReadWriteAll};
use crate::domain::language::Language;
use crate::domain::{Email, ExternalUserState, Role, UserType};
use crate::services::b2b_collaboration;
use crate::services::invitations::{self, Delivery, InviteForm};
use crate::store;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationBody {
    invited_user_email_address: Option<String>,
    invited_user_display_name: Option<String>,
    invite_redirect_url: Option<String>,
    send_invitation_message: Option<bool>,
    invited_user_message_info: Option<MessageInfo>,
    invited_user_type: Option<String>,
    reset_redemption: Option<bool>,
    invited_user: Option<DirectoryObject>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageInfo {
    customized_message_body: Option<String>,
    cc_recipients: Option<Vec<Recipient>>,
    message_language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: Option<EmailAddress>,
}

#[derive(Debug, Default, Deserialize)]
struct EmailAddress {
    name: Option<String>,
    address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DirectoryObject {
    id: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, GraphError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| GraphError::bad_request(format!("Required property '{name}' is missing or empty.")))
}

/// What the request asks for, checked before anything is written.
struct Asked<'a> {
    email: &'a str,
    redirect_url: &'a str,
    send: bool,
    member: bool,
    message: String,
    cc: String,
    language: Option<String>,
}

fn read(body: &InvitationBody) -> Result<Asked<'_>, GraphError> {
    let email = required(&body.invited_user_email_address, "invitedUserEmailAddress")?;
    let redirect_url = required(&body.invite_redirect_url, "inviteRedirectUrl")?;
    let member = match body.invited_user_type.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(t) if t.eq_ignore_ascii_case("Guest") => false,
        Some(t) if t.eq_ignore_ascii_case("Member") => true,
        Some(_) => {
            return Err(GraphError::bad_request("invitedUserType must be Guest or Member."));
        }
    };
    let info = body.invited_user_message_info.as_ref();
    let recipients = info.and_then(|i| i.cc_recipients.as_deref()).unwrap_or(&[]);
    let cc_addresses: Vec<&str> = recipients
        .iter()
        .filter_map(|r| r.email_address.as_ref().and_then(|e| e.address.as_deref()))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if cc_addresses.len() > 1 {
        return Err(GraphError::bad_request(
            "Only one additional message recipient (ccRecipients) is supported.",
        ));
    }
    let language = info
        .and_then(|i| i.message_language.as_deref())
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if let Some(l) = language
        && let Err(supported) = Language::parse(l)
    {
        return Err(GraphError::bad_request(format!(
            "messageLanguage must be a language tag such as de-DE. {supported}"
        )));
    }
    Ok(Asked {
        email,
        redirect_url,
        send: body.send_invitation_message.unwrap_or(false),
        member,
        message: info.and_then(|i| i.customized_message_body.clone()).unwrap_or_default(),
        cc: cc_addresses.first().map(|a| (*a).to_owned()).unwrap_or_default(),
        language: language.map(str::to_owned),
    })
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<InvitationBody>,
) -> Result<HttpResponse, GraphError> {
    caller.require(&[UserInviteAll, UserReadWriteAll])?;
    let asked = read(&body)?;
    if asked.member && !caller.app.holds_any(&[UserReadWriteAll]) {
        return Err(GraphError::denied_because(
            "Inviting a member needs User.ReadWrite.All.",
        ));
    }
    let delivery = if asked.send {
        Delivery::Email
    } else {
        Delivery::LinkOnly
    };
    let (user_id, ticket) = if body.reset_redemption.unwrap_or(false) {
        reset(&caller, &state, &body, &asked).await?
    } else {
        invite(&caller, &state, &body, &asked, delivery).await?
    };
    let invitation = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "inviteRedeemUrl": format!("{}/redeem?ticket={ticket}", state.public_url),
        "invitedUserDisplayName": body.invited_user_display_name,
        "invitedUserType": if asked.member { "Member" } else { "Guest" },
        "invitedUserEmailAddress": asked.email,
        "sendInvitationMessage": asked.send,
        "resetRedemption": body.reset_redemption.unwrap_or(false),
        "inviteRedirectUrl": asked.redirect_url,
        "status": "PendingAcceptance",
        "invitedUserMessageInfo": {
            "messageLanguage": asked.language,
            "customizedMessageBody": (!asked.message.is_empty()).then_some(&asked.message),
            "ccRecipients": cc_json(&body),
        },
        "invitedUser": { "id": user_id },
    });
    let Value::Object(fields) = invitation else {
        return Err(GraphError::internal());
    };
    Ok(odata::json(
        StatusCode::CREATED,
        &odata::entity(odata::context(&state, "invitations/$entity"), fields),
    ))
}

fn cc_json(body: &InvitationBody) -> Value {
    let recipients = body
        .invited_user_message_info
        .as_ref()
        .and_then(|i| i.cc_recipients.as_deref())
        .unwrap_or(&[]);
    Value::Array(
        recipients
            .iter()
            .map(|r| {
                let e = r.email_address.as_ref();
                let mut address = Map::new();
                address.insert("name".into(), json!(e.and_then(|e| e.name.as_deref())));
                address.insert("address".into(), json!(e.and_then(|e| e.address.as_deref())));
                json!({ "emailAddress": address })
            })
            .collect(),
    )
}

/// A new address is invited; a pending guest's address gets a new link.
async fn invite(
    caller: &Caller,
    state: &AppState,
    body: &InvitationBody,
    asked: &Asked<'_>,
    delivery: Delivery,
) -> Result<(String, String), GraphError> {
    let role = if asked.member || !caller.app.holds_any(&[UserInviteAll]) {
        Role::UserAdministrator
    } else {
        Role::GuestInviter
    };
    let admin = caller.acting_as(role);
    // A pending guest's address is invited again below without the
    // invitation service's own check.
    invitations::ensure_may_invite(state, &admin).await?;
    if let Ok(email) = Email::parse(asked.email) {
        let mut conn = state.db.pool().acquire().await?;
        let holder = store::invitations::holder_of_address(&mut conn, email.normalized()).await?;
        if let Some((id, deleted)) = holder {
            let user = store::users::find_active(&mut conn, &id).await?;
            drop(conn);
            return match user {
                Some(u)
                    if !deleted
                        && u.user_type == UserType::Guest
                        && u.external_user_state == Some(ExternalUserState::PendingAcceptance) =>
                {
                    let ticket = b2b_collaboration::reinvite_pending(state, &admin, &id, asked.send).await?;
                    Ok((id, ticket))
                }
                _ if deleted => Err(GraphError::bad_request(format!(
                    "{email} belongs to a deleted user ({id}): restore it from deleted items instead."
                ))),
                _ => Err(GraphError::bad_request(format!(
                    "{email} is already in the directory as user {id}. To invite them again, set resetRedemption and invitedUser.id."
                ))),
            };
        }
    }
    let form = InviteForm {
        email: asked.email.to_owned(),
        display_name: body.invited_user_display_name.clone().unwrap_or_default(),
        send_invite_message: (!asked.message.is_empty() || !asked.cc.is_empty()).then(|| "on".to_owned()),
        message: asked.message.clone(),
        cc_recipient: asked.cc.clone(),
        user_type: if asked.member { "Member" } else { "Guest" }.to_owned(),
        company_name: String::new(),
        redirect_url: asked.redirect_url.to_owned(),
        language: asked.language.clone().unwrap_or_default(),
        form_key: String::new(),
        group_ids: Vec::new(),
        app_role_ids: Vec::new(),
    };
    let (invited, ticket) = invitations::invite_with(state, &admin, &form, delivery).await?;
    let ticket = ticket.ok_or_else(GraphError::internal)?;
    Ok((invited.user_id, ticket))
}

/// `resetRedemption` with `invitedUser.id`: the user is invited again,
/// at `invitedUserEmailAddress` when it differs from their address.
async fn reset(
    caller: &Caller,
    state: &AppState,
    body: &InvitationBody,
    asked: &Asked<'_>,
) -> Result<(String, String), GraphError> {
    caller.require(&[UserReadWriteAll])?;
    let Some(user_id) = body
        .invited_user
        .as_ref()
        .and_then(|u| u.id.as_deref())
        .map(str::trim)
        .filter(|id| !id.is_empty())
    else {
        return Err(GraphError::bad_request(
            "resetRedemption needs invitedUser.id: the user to invite again.",
        ));
    };
    let mut conn = state.db.pool().acquire().await?;
    let user = store::users::find_active(&mut conn, user_id)
        .await?
        .ok_or_else(|| GraphError::not_found(user_id))?;
    drop(conn);
    let same_address = user
        .mail
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case(asked.email));
    let new_email = if same_address { "" } else { asked.email };
    let admin = caller.acting_for(UserReadWriteAll);
    let ticket = b2b_collaboration::reset_redemption_with(state, &admin, &user.id, new_email, "", asked.send)
        .await?
        .ok_or_else(GraphError::internal)?;
    Ok((user.id, ticket))
}
