//! Block future invitations: the link in every invitation email. A GET
//! only shows the confirmation; the POST records the block.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::AppState;
use crate::services::block_invitations::block_future_invitations;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::{Layout, render};
use crate::web::session::TypedSession;

#[derive(Template)]
#[template(path = "guest/block_invitations.html")]
struct BlockPage {
    layout: Layout,
    address: String,
    sig: String,
    org_name: String,
    done: bool,
}

#[derive(Deserialize)]
pub struct BlockParams {
    #[serde(default)]
    address: String,
    #[serde(default)]
    sig: String,
}

async fn org_name(state: &AppState) -> Result<String, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(crate::store::organization::get(&mut conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

fn signed(state: &AppState, params: &BlockParams) -> bool {
    let lower = params.address.trim().to_lowercase();
    crate::mail::links::block_signature_is_valid(&state.secrets.block_links, &lower, &params.sig)
}

pub async fn block_page(
    state: web::Data<AppState>,
    session: TypedSession,
    params: web::Query<BlockParams>,
) -> Result<HttpResponse, AppError> {
    if !signed(&state, &params) {
        return Err(AppError::NotFound);
    }
    render(&BlockPage {
        layout: Layout::anonymous("Block future invitations", &session),
        address: params.address.trim().to_lowercase(),
        sig: params.sig.clone(),
        org_name: org_name(&state).await?,
        done: false,
    })
}

pub async fn confirm_block(
    state: web::Data<AppState>,
    session: TypedSession,
    CsrfForm(params): CsrfForm<BlockParams>,
) -> Result<HttpResponse, AppError> {
    block_future_invitations(&state, &params.address, &params.sig).await?;
    render(&BlockPage {
        layout: Layout::anonymous("Block future invitations", &session),
        address: params.address.trim().to_lowercase(),
        sig: String::new(),
        org_name: org_name(&state).await?,
        done: true,
    })
}
