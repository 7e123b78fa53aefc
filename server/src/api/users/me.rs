//! `GET /api/v1/me`: the signed-in caller's account, as stored now (role and scope may have
//! changed since the access token was issued).

use actix_web::{HttpResponse, web};

use crate::api::auth::with_db;
use crate::app::AppState;
use crate::auth::users::{self, User};
use crate::auth::{AuthError, Principal};
use crate::error::ApiResult;

pub async fn me(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let user: User = with_db(&state, move |conn| {
        // an account deleted or disabled since the token was issued no longer exists for its holder
        match users::find_by_id(conn, &who.user_id)? {
            Some(row) if !row.disabled => row.to_user(),
            _ => Err(AuthError::InvalidToken),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}
