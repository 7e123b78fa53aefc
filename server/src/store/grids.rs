//! Grid cells in the database: load them all (to build a routing index), read the revision
//! counter, and replace one area's cells in a single transaction.
//!
//! Each cell's geometry is kept as a one-feature GeoJSON FeatureCollection written by the
//! core's `to_geojson`, so reading it back goes through the same parser as an import.

use chrono::Utc;
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::grid::{GridCell, parse_geojson, to_geojson};

use super::schema::{grid_cells, grid_revision};
use super::{DbConnection, StoreError, StoreResult};

/// Rows per INSERT statement (7 columns: far below SQLite's bound-parameter limit).
const INSERT_CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = grid_cells)]
struct NewCellRow {
    code: String,
    district_code: String,
    street_code: String,
    community_code: String,
    name: Option<String>,
    geometry: String,
    imported_at: chrono::NaiveDateTime,
}

fn row_of(cell: &GridCell, now: chrono::NaiveDateTime) -> NewCellRow {
    let code = cell.code;
    NewCellRow {
        code: code.to_string(),
        district_code: code.area(AreaLevel::District).to_string(),
        street_code: code.area(AreaLevel::Street).to_string(),
        community_code: code.area(AreaLevel::Community).to_string(),
        name: (!cell.name.is_empty()).then(|| cell.name.clone()),
        geometry: to_geojson(std::slice::from_ref(cell)),
        imported_at: now,
    }
}

/// The grid revision: bumped by every import, so nodes know when to rebuild their index.
pub fn revision(conn: &mut DbConnection) -> StoreResult<i64> {
    Ok(grid_revision::table.select(grid_revision::revision).find(1).first(conn)?)
}

/// Every cell and the revision they belong to, read in one transaction.
pub fn load_all(conn: &mut DbConnection) -> StoreResult<(i64, Vec<GridCell>)> {
    super::write_transaction(conn, |conn| {
        let revision = revision(conn)?;
        let geometries: Vec<String> =
            grid_cells::table.select(grid_cells::geometry).order(grid_cells::code).load(conn)?;
        let mut cells = Vec::with_capacity(geometries.len());
        for text in geometries {
            let parsed =
                parse_geojson(&text).map_err(|e| StoreError::Corrupt(format!("grid cell geometry: {e}")))?;
            cells.extend(parsed);
        }
        Ok((revision, cells))
    })
}

/// Number of stored cells.
pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
    Ok(grid_cells::table.count().get_result(conn)?)
}

/// Replaces every cell inside `area` by `cells` (which the caller has checked lie in `area`)
/// and bumps the revision, all or nothing. Returns the new revision.
pub fn replace_area(conn: &mut DbConnection, area: AreaCode, cells: &[GridCell]) -> StoreResult<i64> {
    let now = Utc::now().naive_utc();
    let rows: Vec<NewCellRow> = cells.iter().map(|c| row_of(c, now)).collect();
    let prefix = format!("{area}%");
    super::write_transaction(conn, |conn| {
        // Writes first: a SQLite transaction that starts by writing waits for the lock
        // (busy_timeout) instead of failing when another writer holds it.
        diesel::update(grid_revision::table.find(1))
            .set((grid_revision::revision.eq(grid_revision::revision + 1), grid_revision::updated_at.eq(now)))
            .execute(conn)?;
        diesel::delete(grid_cells::table.filter(grid_cells::code.like(prefix))).execute(conn)?;
        for chunk in rows.chunks(INSERT_CHUNK) {
            crate::batch_insert!(conn, grid_cells::table, chunk)?;
        }
        revision(conn)
    })
}
