//! The grid cells of an area, by code, for the coverage view (which cells have no inspector),
//! and which cells an active inspector covers.

use diesel::prelude::*;

use super::schema::grid_cells;
use super::{DbConnection, StoreResult};

/// The codes of the cells whose code lies from `first` to `last` (an area's range of 15-digit
/// codes, as text of equal width), or of every cell; in code order.
pub fn cell_codes(conn: &mut DbConnection, range: Option<(String, String)>) -> StoreResult<Vec<String>> {
    let mut query = grid_cells::table.select(grid_cells::code).order(grid_cells::code).into_boxed();
    if let Some((first, last)) = range {
        query = query.filter(grid_cells::code.between(first, last));
    }
    Ok(query.load(conn)?)
}

/// Which of `cells` an active inspector covers (holds in their scope). Reads every active
/// inspector's scope: a city has a few thousand of them at most.
pub fn covered_cells(
    conn: &mut DbConnection,
    cells: &std::collections::BTreeSet<String>,
) -> StoreResult<std::collections::BTreeSet<String>> {
    use gridline_core::workflow::Role;
    use gridline_core::workflow::scope::Scope;

    use super::schema::users;
    if cells.is_empty() {
        return Ok(cells.clone());
    }
    let scopes: Vec<String> = users::table
        .filter(users::role.eq(Role::Inspector.as_str()))
        .filter(users::disabled.eq(false))
        .select(users::scope)
        .load(conn)?;
    let mut covered = std::collections::BTreeSet::new();
    for scope in scopes {
        // An unreadable scope covers nothing; the account's own reads refuse it.
        if let Ok(Scope::Grids { grids }) = serde_json::from_str::<Scope>(&scope) {
            covered.extend(grids.iter().map(ToString::to_string).filter(|g| cells.contains(g)));
        }
    }
    Ok(covered)
}
