//! `gridline grid import` against a fresh SQLite database: a good file lands in one go and
//! bumps the grid revision, a second file replaces its area's cells, and a bad file lists
//! every problem, exits with 2 and leaves the database as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use gridline_core::codes::GridCode;
use gridline_core::grid::{GeneratorOptions, GridCell, generate_city, to_geojson};
use gridline_server::store::{Db, grids};

fn city(cells: usize) -> Vec<GridCell> {
    generate_city(GeneratorOptions { cells, seed: 11, bbox: None }).unwrap()
}

fn import(file: &Path, database_url: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(["grid", "import", file.to_str().unwrap(), "--database-url", database_url])
        .args(extra)
        .output()
        .unwrap()
}

/// (revision, number of cells) in the database.
fn stored(database_url: &str) -> (i64, i64) {
    let db = Db::connect(database_url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = db.get().unwrap();
    (grids::revision(&mut conn).unwrap(), grids::count(&mut conn).unwrap())
}

#[test]
fn import_replaces_an_area_and_a_bad_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("fresh.sqlite3").display());
    let cells = city(30);
    let street = cells[0].code.to_string()[..9].to_owned();
    assert!(cells.iter().all(|c| c.code.to_string().starts_with(&street)));

    let full = dir.path().join("full.geojson");
    std::fs::write(&full, to_geojson(&cells)).unwrap();
    let out = import(&full, &database_url, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("imported 30 cells into area {street}")), "{stdout}");
    let (first_revision, count) = stored(&database_url);
    assert_eq!(count, 30);
    assert!(String::from_utf8_lossy(&out.stderr).contains("writing 30 cells"));

    // A smaller file for the same street replaces its cells (and is imported once more).
    let part = dir.path().join("part.geojson");
    std::fs::write(&part, to_geojson(&cells[..12])).unwrap();
    let out = import(&part, &database_url, &["--area", &street]);
    assert!(out.status.success());
    assert_eq!(stored(&database_url), (first_revision + 1, 12));

    // Two faults: a cell repeated, and a cell of another street than --area.
    let mut bad = cells[..12].to_vec();
    bad.push(cells[3].clone());
    let mut stray = cells[20].clone();
    let code = stray.code.to_string();
    let other_street = code[6..9].parse::<u16>().unwrap() + 1;
    stray.code = GridCode::parse(&format!("{}{other_street:03}{}", &code[..6], &code[9..])).unwrap();
    bad.push(stray.clone());
    let bad_file = dir.path().join("bad.geojson");
    std::fs::write(&bad_file, to_geojson(&bad)).unwrap();
    let out = import(&bad_file, &database_url, &["--area", &street]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let problems: Vec<&str> = stdout.lines().collect();
    assert!(
        problems.iter().any(|p| p.contains(&stray.code.to_string()) && p.contains("not inside area")),
        "{stdout}"
    );
    assert!(problems.iter().any(|p| p.contains(&cells[3].code.to_string())), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{} problem(s); nothing was imported", problems.len())), "{stderr}");
    assert_eq!(stored(&database_url), (first_revision + 1, 12));

    // A file that is not GeoJSON: one problem, non-zero exit.
    let garbage = dir.path().join("garbage.geojson");
    std::fs::write(&garbage, "{\"type\": \"Point\"}").unwrap();
    let out = import(&garbage, &database_url, &["--area", &street]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stored(&database_url), (first_revision + 1, 12));
}
