//! `/api/v1/auth/*`: sign-in (password, one-time code, anonymous device), refresh and logout.
//! Every success answers a token pair (`access_token`, `token_type`, `expires_in`,
//! `refresh_token`, `user`); every failure a problem+json with a stable `code`.

pub mod device;
pub mod otp;
pub mod password;
pub mod session;

use actix_web::HttpRequest;

use crate::app::AppState;
use crate::auth::{AuthResult, throttle};
use crate::error::ApiResult;
use crate::store::DbConnection;

/// The client address used for rate limits: the TCP peer, unless the peer is one of the
/// proxies in `GRIDLINE_TRUSTED_PROXIES`, whose `X-Forwarded-For` then names the client (see
/// [`crate::config::TrustedProxies`]). Anyone else's forwarding header is ignored, since any
/// client can set it. An IPv6 client is counted by its /64 ([`throttle::limit_subject`]).
pub(crate) fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return "unknown".to_owned() };
    let forwarded_for = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = match req.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) => state.config.settings.trusted_proxies.client(peer, forwarded_for),
        None => peer,
    };
    throttle::limit_subject(client)
}

/// Run identity work on the blocking pool with a pooled connection.
pub(crate) async fn with_db<T, F>(state: &AppState, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> AuthResult<T> + Send + 'static,
{
    Ok(state.db.run(move |conn| Ok(work(conn))).await??)
}
