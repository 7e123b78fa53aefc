//! The signed-in session: the access and refresh tokens, kept in the store so a restart stays
//! signed in, and the refresh that happens exactly once however many requests find the access
//! token expired at the same moment (a mutex-guarded single flight: the first caller refreshes;
//! the others wait on the mutex and then find a newer token than the one that failed).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{OptionalExtension, params};

use super::backoff::{Verdict, verdict};
use super::error::{Error, Result};
use super::store::Store;
use super::transport::Transport;
use super::wire;

/// An access token (short-lived JWT) and the refresh token that renews it.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

/// The tokens in memory and in the store, and the refresh single flight.
pub struct Session {
    store: Arc<Store>,
    tokens: Mutex<Option<Tokens>>,
    refresh_flight: Mutex<()>,
    refreshes: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Session {
    /// The session saved in `store`, if any.
    pub fn load(store: Arc<Store>) -> Result<Self> {
        let tokens = store
            .conn()
            .query_row("SELECT access_token, refresh_token FROM session WHERE singleton = 1", [], |r| {
                Ok(Tokens { access_token: r.get(0)?, refresh_token: r.get(1)? })
            })
            .optional()?;
        Ok(Self {
            store,
            tokens: Mutex::new(tokens),
            refresh_flight: Mutex::new(()),
            refreshes: AtomicU64::new(0),
        })
    }

    /// Keep `tokens` (after sign-in) in memory and in the store.
    pub fn set(&self, tokens: Tokens) -> Result<()> {
        let mut current = lock(&self.tokens);
        self.store.conn().execute(
            "INSERT INTO session (singleton, access_token, refresh_token) VALUES (1, ?1, ?2)
             ON CONFLICT (singleton) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token",
            params![tokens.access_token, tokens.refresh_token],
        )?;
        *current = Some(tokens);
        Ok(())
    }

    /// Forget the session (sign-out, or a refresh token the server no longer accepts).
    pub fn clear(&self) -> Result<()> {
        let mut current = lock(&self.tokens);
        self.store.conn().execute("DELETE FROM session", [])?;
        *current = None;
        Ok(())
    }

    /// Sign out: forget the session on this device, then ask the server to revoke the refresh
    /// token's whole family (`POST /api/v1/auth/logout`), so a copy of the token left anywhere
    /// (a backup, a stolen phone image) can no longer renew a session.
    ///
    /// Best effort: the local session is gone whatever happens, and offline (or with the server
    /// unavailable) the token is simply forgotten, not revoked; it then dies with its family's
    /// lifetime on the server. Returns whether the server confirmed the revocation (`false`
    /// too when there was no session). Holds the refresh single flight, so a refresh running
    /// at the same moment cannot bring the session back. Fails only when the store cannot
    /// forget the session.
    pub fn sign_out(&self, transport: &dyn Transport, server_url: &str) -> Result<bool> {
        let _flight = lock(&self.refresh_flight);
        let refresh_token = lock(&self.tokens).as_ref().map(|t| t.refresh_token.clone());
        self.clear()?;
        let Some(refresh_token) = refresh_token else { return Ok(false) };
        let Ok(request) = wire::logout(server_url, &refresh_token) else { return Ok(false) };
        Ok(transport.send(request).is_ok_and(|response| verdict(response.status) == Verdict::Delivered))
    }

    /// The access token to send, if signed in.
    pub fn access_token(&self) -> Option<String> {
        lock(&self.tokens).as_ref().map(|t| t.access_token.clone())
    }

    /// How many refreshes this session has sent to the server.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// The server refused `stale_access`: return a fresh access token, refreshing at most once
    /// for all the callers that saw the same stale token. A refused refresh token signs out.
    pub fn refresh(&self, stale_access: &str, transport: &dyn Transport, server_url: &str) -> Result<String> {
        let _flight = lock(&self.refresh_flight);
        let refresh_token = match lock(&self.tokens).as_ref() {
            None => return Err(Error::SignedOut),
            Some(current) if current.access_token != stale_access => return Ok(current.access_token.clone()),
            Some(current) => current.refresh_token.clone(),
        };
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let response = transport.send(wire::refresh(server_url, &refresh_token)?)?;
        match verdict(response.status) {
            Verdict::Delivered => {
                let answer: wire::TokenAnswer =
                    serde_json::from_slice(&response.body).map_err(|e| Error::Protocol {
                        endpoint: wire::REFRESH_PATH,
                        reason: format!("expected access_token and refresh_token: {e}"),
                    })?;
                let access = answer.access_token.clone();
                self.set(Tokens { access_token: answer.access_token, refresh_token: answer.refresh_token })?;
                Ok(access)
            }
            Verdict::Retry => Err(Error::ServerUnavailable { status: response.status }),
            Verdict::Reauthenticate | Verdict::Refused | Verdict::Conflict => {
                self.clear()?;
                Err(Error::SignedOut)
            }
        }
    }
}
