//! The grid cells of an area, by code, for the coverage view (which cells have no inspector).

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
