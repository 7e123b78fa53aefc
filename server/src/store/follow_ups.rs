//! What follows from an event in the event's own transaction: the one call the event inserts
//! make ([`super::events::insert`], [`super::events::insert_many`]), so a case's change and
//! what it sets going commit together or not at all.
//!
//! - the reporter's notice of a public change ([`super::notifications::enqueue`]);
//! - a call-back due after a closing, or done by a call-back ([`super::callbacks::follow`]);
//! - the helper parts and disputes a step sets or moves ([`super::joint::follow`]).

use diesel::QueryResult;

use super::DbConnection;
use super::events::EventRow;

pub fn record(conn: &mut DbConnection, events: &[EventRow]) -> QueryResult<()> {
    super::notifications::enqueue(conn, events)?;
    super::callbacks::follow(conn, events)?;
    super::joint::follow(conn, events)
}
