//! Fuzz target: GeoJSON grid import (`grid::parse_geojson`, then `grid::validate` and, when
//! the cells validate, `GridIndex::build`) on arbitrary text must return a value or an error,
//! never panic, abort or run away with memory. What parses must survive an export round trip.
#![no_main]

use gridline_core::grid::{GridIndex, ValidationOptions, parse_geojson, to_geojson, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(cells) = parse_geojson(text) else { return };
    let report = validate(&cells, ValidationOptions::default());
    if report.is_valid() {
        let _ = GridIndex::build(&cells);
    }
    let again = parse_geojson(&to_geojson(&cells)).expect("an exported collection parses back");
    assert_eq!(again.len(), cells.len());
});
