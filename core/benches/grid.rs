//! Grid routing benchmarks: route (random points over the city) at 40,625 and 1,000,000
//! cells and over two distant cities in one index (sparse, country-wide data), building the index from parsed cells, and generating the synthetic city. Also prints
//! the index memory per cell. Run with `scripts/bench-grid` (see docs/benchmarks.md).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use gridline_core::codes::GridCode;
use gridline_core::geo::GeoPoint;
use gridline_core::grid::{GeneratorOptions, GridCell, GridIndex, generate_city};

/// Random points over the cells' box (SplitMix64, fixed seed).
fn random_points(cells: &[GridCell], count: usize) -> Vec<GeoPoint> {
    let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
    for &[lon, lat] in cells.iter().flat_map(|c| c.geometry.polygons()).flatten().flatten() {
        (min_lon, min_lat, max_lon, max_lat) =
            (min_lon.min(lon), min_lat.min(lat), max_lon.max(lon), max_lat.max(lat));
    }
    let mut state = 0x5EED_u64;
    let mut unit = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .filter_map(|_| {
            GeoPoint::new(min_lat + unit() * (max_lat - min_lat), min_lon + unit() * (max_lon - min_lon)).ok()
        })
        .collect()
}

fn route_benchmark(c: &mut Criterion, cell_count: usize) {
    let cells =
        generate_city(GeneratorOptions { cells: cell_count, seed: 1, bbox: None }).unwrap_or_default();
    let Ok(index) = GridIndex::build(&cells) else { return };
    let memory = index.memory();
    eprintln!(
        "grid index, {cell_count} cells: {:.1} bytes/cell beyond coordinates, {:.1} bytes/cell of coordinates",
        memory.other_bytes as f64 / cell_count as f64,
        memory.coordinate_bytes as f64 / cell_count as f64
    );
    let points = random_points(&cells, 1 << 16);
    let mut next = 0usize;
    c.bench_function(&format!("grid/route/{cell_count}_cells"), |b| {
        b.iter(|| {
            next = (next + 1) & (points.len() - 1);
            black_box(index.route(black_box(points[next])))
        })
    });
}

/// Two cities of 20,000 cells each, Shanghai and Urumqi (about 3,300 km apart), in one index;
/// random points alternate between the two cities' boxes.
fn two_cities_benchmark(c: &mut Criterion) {
    let boxes = [[121.40, 31.15, 121.70, 31.45], [87.45, 43.70, 87.75, 44.00]];
    let mut cells = Vec::new();
    let mut points = Vec::new();
    for (k, &bbox) in boxes.iter().enumerate() {
        let mut city =
            generate_city(GeneratorOptions { cells: 20_000, seed: 1 + k as u64, bbox: Some(bbox) })
                .unwrap_or_default();
        for cell in &mut city {
            let code = cell.code;
            // The second city is another district, so the codes stay distinct.
            let district = code.district() + k as u32;
            if let Ok(moved) = GridCode::from_parts(
                district,
                code.street_number(),
                code.community_number(),
                code.grid_number(),
            ) {
                cell.code = moved;
            }
        }
        points.push(random_points(&city, 1 << 15));
        cells.extend(city);
    }
    let Ok(index) = GridIndex::build(&cells) else { return };
    eprintln!(
        "grid index, two cities, {} cells: {:.1} bytes/cell beyond coordinates",
        cells.len(),
        index.memory().other_bytes as f64 / cells.len() as f64
    );
    let points: Vec<GeoPoint> = points[0].iter().zip(&points[1]).flat_map(|(&a, &b)| [a, b]).collect();
    let mut next = 0usize;
    c.bench_function("grid/route/two_cities_40000_cells", |b| {
        b.iter(|| {
            next = (next + 1) & (points.len() - 1);
            black_box(index.route(black_box(points[next])))
        })
    });
}

fn routing(c: &mut Criterion) {
    route_benchmark(c, 40_625);
    route_benchmark(c, 1_000_000);
    two_cities_benchmark(c);
}

fn building(c: &mut Criterion) {
    let mut group = c.benchmark_group("grid/1000000_cells");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    let options = GeneratorOptions { cells: 1_000_000, seed: 1, bbox: None };
    group.bench_function("generate", |b| b.iter(|| black_box(generate_city(options))));
    let cells = generate_city(options).unwrap_or_default();
    group.bench_function("build", |b| {
        b.iter_batched(
            || (),
            |()| black_box(GridIndex::build(&cells).map(|i| i.len())),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, routing, building);
criterion_main!(benches);
