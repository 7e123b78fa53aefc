//! The display names of the staff accounts that took steps, for the staff timeline: a step is
//! read as "Wang Li (dispatcher)", not an account id. Citizens' names are never looked up here:
//! the reporter's identity follows its own rule, and the public timeline shows no one.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::users;
use super::{DbConnection, StoreResult};

/// Display names by account id, for the staff accounts among `ids` (citizens are left out).
pub fn staff_names(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::role.ne("citizen"))
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
