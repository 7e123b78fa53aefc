//! Finding a case by the tracking number its reporter was given (`GL-261129-7KQ2MX`), for the
//! citizen's tracking page. The number is unique (a constraint on `cases.tracking_number`).

use diesel::prelude::*;

use super::schema::cases;
use super::{DbConnection, StoreResult};

/// The id of the case with `tracking_number`, if there is one.
pub fn case_id(conn: &mut DbConnection, tracking_number: &str) -> StoreResult<Option<String>> {
    Ok(cases::table
        .filter(cases::tracking_number.eq(tracking_number))
        .select(cases::id)
        .first::<String>(conn)
        .optional()?)
}
