//! The demo city: on an empty database in development (`GRIDLINE_DEMO_SEED`, never in
//! production), a generated district of about 200 grid cells and one staff account of each
//! role (the read-only `viewer` watches the whole city, for a wall screen), whose generated
//! passwords are printed once on the console (never logged), with three `curl` commands to
//! try. The default taxonomy is seeded for every database at start-up.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use gridline_core::codes::{AreaCode, AreaLevel};
use gridline_core::grid::{GeneratorOptions, GridCell, generate_city};

use crate::app::{AppState, StartError};
use crate::store::grids;

/// Cells in the demo district.
pub const DEMO_CELLS: usize = 200;
/// Handling unit of the demo handler account (one of the default taxonomy's units).
const DEMO_HANDLING_UNIT: &str = "water";

/// What was seeded, for the console.
#[derive(Debug)]
pub struct DemoCity {
    pub cells: usize,
    /// (login, role, password)
    pub accounts: Vec<(String, String, String)>,
    /// A point inside the first cell (lat, lon).
    pub sample_point: (f64, f64),
}

fn sample_point(cell: &GridCell) -> (f64, f64) {
    let ring = cell.geometry.polygons().first().and_then(|p| p.first()).cloned().unwrap_or_default();
    let n = ring.len().max(1) as f64;
    let (lon, lat) = ring.iter().fold((0.0, 0.0), |(x, y), [lon, lat]| (x + lon, y + lat));
    (lat / n, lon / n)
}

/// Seeds the demo city when asked and the database has no grid yet. Blocking.
pub fn seed_if_empty(state: &AppState) -> Result<Option<DemoCity>, StartError> {
    if !state.config.demo_seed {
        return Ok(None);
    }
    let mut conn = state.db.get()?;
    if grids::count(&mut conn)? > 0 {
        return Ok(None);
    }
    let cells = generate_city(GeneratorOptions { cells: DEMO_CELLS, seed: 2026, bbox: None })
        .map_err(|e| StartError::Seed(e.to_string()))?;
    let first =
        cells.iter().min_by_key(|c| c.code).ok_or_else(|| StartError::Seed("no cell generated".into()))?;
    let mut by_district: BTreeMap<AreaCode, Vec<GridCell>> = BTreeMap::new();
    for cell in &cells {
        by_district.entry(cell.code.area(AreaLevel::District)).or_default().push(cell.clone());
    }
    for (district, cells) in &by_district {
        grids::replace_area(&mut conn, *district, cells)?;
    }
    let users =
        crate::auth::users::seed_demo_users(&mut conn, first.code, DEMO_HANDLING_UNIT, crate::auth::now())
            .map_err(|e| StartError::Seed(e.to_string()))?;
    drop(conn);
    state.router.refresh_blocking(&state.db)?;
    let accounts = users
        .into_iter()
        .map(|(user, password)| (user.login.unwrap_or_default(), user.role.as_str().to_owned(), password))
        .collect();
    Ok(Some(DemoCity { cells: cells.len(), accounts, sample_point: sample_point(first) }))
}

/// The console text shown once after seeding: accounts and three commands to try.
pub fn welcome(city: &DemoCity, addr: SocketAddr) -> String {
    let base = format!("http://{addr}");
    let (lat, lon) = city.sample_point;
    let mut out = format!(
        "\nDemo city seeded: {} grid cells, the default categories, and these accounts\n",
        city.cells
    );
    out.push_str("(passwords are shown only now):\n");
    for (login, role, password) in &city.accounts {
        out.push_str(&format!("  {role:<14} login {login:<11} password {password}\n"));
    }
    out.push_str(&format!(
        "\nDashboard: open {base}/dashboard and sign in as the dispatcher above \
         (or as the district admin for its district's emergency view, or as the viewer, \
         read-only, for a wall screen).\n"
    ));
    out.push_str(&format!(
        "Hotline: open {base}/hotline and sign in as the operator above to take calls and call reporters back.\n"
    ));
    out.push_str(&format!("Citizens: open {base}/report on a phone to report a problem.\n"));
    out.push_str("\nTry:\n");
    out.push_str(&format!("  curl -s '{base}/api/v1/grids/route?lat={lat:.6}&lon={lon:.6}'\n"));
    out.push_str(&format!(
        "  TOKEN=$(curl -s -X POST {base}/api/v1/auth/anonymous | sed -n 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/p')\n"
    ));
    out.push_str(&format!(
        "  curl -s -X POST {base}/api/v1/reports -H \"authorization: Bearer $TOKEN\" \
         -H \"idempotency-key: $(cat /proc/sys/kernel/random/uuid)\" -H 'content-type: application/json' \
         -d '{{\"category\":\"E0101\",\"description\":\"Overflowing rubbish bin\",\
         \"position\":{{\"lat\":{lat:.6},\"lon\":{lon:.6},\"crs\":\"wgs84\",\"accuracy_m\":8}}}}'\n\n"
    ));
    out
}
