//! The PostgreSQL side of live events: one dedicated connection per node that `LISTEN`s on
//! [`CHANNEL`] and rings the node's events [`Bell`] for every event committed by any node, and on
//! [`SIGNALS`] and rings its signals bell for every change of early warning's signals.
//!
//! diesel has no asynchronous notification API, only a non-blocking check
//! (`PgConnection::notifications_iter`), so the connection is checked every
//! [`CHECK_INTERVAL`] on the blocking pool. The loop is a task of the server's actix system and
//! ends with it. When the connection breaks it is re-opened after [`RETRY_AFTER`], and the
//! signal rung once it is back, since notifications sent in between were lost.

use std::time::Duration;

use actix_web::web;
use diesel::{Connection, ConnectionError, PgConnection, RunQueryDsl};

use super::Bell;
use crate::auth::revocation::{CHANNEL as REVOCATIONS, RevocationList};

/// The notification channel, where the store sends each event's sequence number.
pub use crate::store::events::CHANNEL;
/// The channel where a change of the signals is announced.
pub use crate::store::warning_signals::CHANNEL as SIGNALS;

/// The node's bells the listener rings, and the name its own notifications carry.
#[derive(Debug, Clone)]
pub struct Bells {
    pub events: Bell,
    pub signals: Bell,
    /// [`crate::store::Db::node`]: events and signals this node wrote rang its bells when the
    /// work committed, so their notifications are passed over (a second read of every stream
    /// for nothing). Revocations are always reloaded.
    pub node: std::sync::Arc<str>,
}

/// Which bells a check found rung.
#[derive(Debug, Clone, Copy, Default)]
struct Rang {
    events: bool,
    signals: bool,
}

impl Rang {
    /// Everything: what was sent while no connection listened is unknown.
    const ALL: Rang = Rang { events: true, signals: true };
}

/// How often the listening connection is checked for notifications: the cross-node latency.
const CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Pause before re-opening a lost listening connection.
const RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("cannot connect: {0}")]
    Connect(#[from] ConnectionError),
    #[error("listening failed: {0}")]
    Query(#[from] diesel::result::Error),
}

/// Starts the listener for the database at `url` on the current actix system. It also hears
/// [`crate::auth::revocation::CHANNEL`] and reloads `revocations` on it, so every node refuses a
/// revoked token within [`CHECK_INTERVAL`]. `metrics` tells whether it listens
/// (`gridline_live_listening`).
pub fn spawn(url: String, bells: Bells, revocations: RevocationList, metrics: crate::metrics::Metrics) {
    actix_web::rt::spawn(async move {
        let mut conn: Option<PgConnection> = None;
        let mut failing = false;
        loop {
            let url = url.clone();
            let list = revocations.clone();
            let node = bells.node.clone();
            let (kept, outcome) = match web::block(move || check(&url, conn, &list, &node)).await {
                Ok(answer) => answer,
                Err(_) => (None, Ok(Rang::default())),
            };
            conn = kept;
            match outcome {
                Ok(rang) => {
                    if failing {
                        tracing::info!("event listener connected again");
                        failing = false;
                    }
                    if rang.events {
                        bells.events.wake();
                    }
                    if rang.signals {
                        bells.signals.wake();
                    }
                    // After the bells a new connection rings: a stream that opens once this
                    // reads 1 has nothing left to read again.
                    metrics.listening(true);
                    actix_web::rt::time::sleep(CHECK_INTERVAL).await;
                }
                Err(e) => {
                    metrics.listening(false);
                    if !failing {
                        tracing::warn!(error = %e, "event listener lost the database; events from other nodes wait for the poll");
                        failing = true;
                    }
                    actix_web::rt::time::sleep(RETRY_AFTER).await;
                }
            }
        }
    });
}

/// Opens the connection if needed and drains its notifications. Returns the connection to keep
/// (none after an error) and which subscribers must read again.
fn check(
    url: &str,
    conn: Option<PgConnection>,
    revocations: &RevocationList,
    node: &str,
) -> (Option<PgConnection>, Result<Rang, ListenError>) {
    let (mut conn, mut rang, mut revoked) = match conn {
        Some(conn) => (conn, Rang::default(), false),
        None => match listen(url) {
            // Anything sent while no connection listened is unknown: read again.
            Ok(conn) => (conn, Rang::ALL, true),
            Err(e) => return (None, Err(e)),
        },
    };
    for notification in conn.notifications_iter() {
        match notification {
            Ok(n) if n.channel == REVOCATIONS => revoked = true,
            Ok(n) if n.payload == node => {}
            Ok(n) if n.channel == SIGNALS => rang.signals = true,
            Ok(_) => rang.events = true,
            Err(e) => return (None, Err(e.into())),
        }
    }
    if revoked {
        // Read on the listening connection itself: no pooled connection is taken for it.
        let mut as_store = crate::store::DbConnection::Pg(conn);
        if let Err(e) = revocations.reload(&mut as_store) {
            return (None, Err(e.into()));
        }
        let crate::store::DbConnection::Pg(back) = as_store else { return (None, Ok(Rang::ALL)) };
        conn = back;
    }
    (Some(conn), Ok(rang))
}

fn listen(url: &str) -> Result<PgConnection, ListenError> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {SIGNALS}")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {REVOCATIONS}")).execute(&mut conn)?;
    Ok(conn)
}
