//! `/api/v1/auth/*`: sign-in (password, one-time code, anonymous device), refresh and logout.
//! Every success answers a token pair (`access_token`, `token_type`, `expires_in`,
//! `refresh_token`, `user`); every failure a problem+json with a stable `code`.

pub mod device;
pub mod otp;
pub mod password;
pub mod session;

use actix_web::HttpRequest;

use crate::app::AppState;
use crate::auth::AuthResult;
use crate::error::ApiResult;
use crate::store::DbConnection;

/// The client address used for rate limits: the TCP peer. Forwarding headers are not trusted,
/// since any client can set them; behind a reverse proxy every client shares the proxy's
/// address, so the per-IP limits then act as a global brake.
pub(crate) fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".to_owned())
}

/// Run identity work on the blocking pool with a pooled connection.
pub(crate) async fn with_db<T, F>(state: &AppState, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> AuthResult<T> + Send + 'static,
{
    Ok(state.db.run(move |conn| Ok(work(conn))).await??)
}
