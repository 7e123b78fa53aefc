//! A synthetic city, deterministic by seed, for tests, benchmarks and the demo server.
//!
//! A lattice of jittered vertices is cut into 2×2-quad blocks, and each block is tiled by one
//! of several patterns: four single quads, two dominoes, an L with a square, a domino split on
//! its diagonal, a block with a hole that holds its own small cell, or a block with a hole
//! that holds an island of the previous cell (a MultiPolygon). Every cell edge runs between
//! shared lattice vertices, so neighbours share edges exactly and the tiling has no gaps or
//! overlaps. Cells average about 20,000 m² with the default box.
//!
//! Randomness is a self-contained SplitMix64, so a seed gives the same city forever.
//! Codes are hierarchical: blocks group into communities (4×4 blocks) and streets (8×8
//! communities) of district 310104; past 999 streets the district number steps on.

use crate::codes::GridCode;

use super::GridError;
use super::cell::{CellGeometry, GridCell, degree_ring};
use super::fixed::{FixedPoint, metres_per_unit};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorOptions {
    /// Exactly this many cells; the tiling covers the whole box whatever the count.
    pub cells: usize,
    pub seed: u64,
    /// `[min_lon, min_lat, max_lon, max_lat]` to fill; by default a box near Shanghai sized so
    /// that cells average about 20,000 m².
    pub bbox: Option<[f64; 4]>,
}

const FIRST_DISTRICT: u32 = 310104;
const DEFAULT_ORIGIN: [f64; 2] = [121.40, 31.15];
/// Nominal side of a 2×2-quad block with the default box, in metres.
const DEFAULT_BLOCK_M: f64 = 220.0;
/// Vertex jitter as a share of the quad side, in per mille.
const JITTER_PER_MILLE: i64 = 150;
const COMMUNITY_BLOCKS: usize = 4;
/// Block patterns, and how many cells all of them make together (see [`pattern_cells`]).
const PATTERNS: u64 = 7;
const CELLS_PER_PATTERN_ROUND: usize = 16;
const STREET_COMMUNITIES: usize = 8;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The jittered lattice: vertex `(i, j)` for `i` in `0..=2 * block_columns` and likewise `j`.
struct Lattice {
    seed: u64,
    min: FixedPoint,
    width: i64,
    height: i64,
    quads_x: i64,
    quads_y: i64,
}

impl Lattice {
    fn vertex(&self, i: i64, j: i64) -> FixedPoint {
        let axis = |k: i64, quads: i64, span: i64, salt: u64| {
            let nominal = k * span / quads;
            if k == 0 || k == quads {
                return nominal; // keep the outline on the box
            }
            let amplitude = span / quads * JITTER_PER_MILLE / 1000;
            let h = mix(self.seed ^ mix((i as u64) << 32 ^ (j as u64) ^ salt));
            nominal + (h % (2 * amplitude as u64 + 1)) as i64 - amplitude
        };
        let x = i64::from(self.min.x) + axis(i, self.quads_x, self.width, 0x5851_F42D_4C95_7F2D);
        let y = i64::from(self.min.y) + axis(j, self.quads_y, self.height, 0x1405_7B7E_F767_814F);
        FixedPoint { x: x as i32, y: y as i32 }
    }

    /// The counter-clockwise ring around quads `[a0, a1) × [b0, b1)` (lattice indices), through
    /// every lattice vertex on its outline.
    fn rectangle(&self, a0: i64, b0: i64, a1: i64, b1: i64) -> Vec<FixedPoint> {
        let mut ring = Vec::new();
        ring.extend((a0..a1).map(|a| self.vertex(a, b0)));
        ring.extend((b0..b1).map(|b| self.vertex(a1, b)));
        ring.extend((a0 + 1..=a1).rev().map(|a| self.vertex(a, b1)));
        ring.extend((b0 + 1..=b1).rev().map(|b| self.vertex(a0, b)));
        ring
    }

    /// A small axis-aligned square (counter-clockwise) around vertex `(i, j)`, well inside the
    /// four quads that meet there.
    fn hole_square(&self, i: i64, j: i64) -> Vec<FixedPoint> {
        let c = self.vertex(i, j);
        let half = (self.width / self.quads_x).min(self.height / self.quads_y) * 2 / 5;
        let half = half as i32;
        vec![
            FixedPoint { x: c.x - half, y: c.y - half },
            FixedPoint { x: c.x + half, y: c.y - half },
            FixedPoint { x: c.x + half, y: c.y + half },
            FixedPoint { x: c.x - half, y: c.y + half },
        ]
    }
}

/// Generate a city; fails only on a bounding box that is not finite, off the globe or empty,
/// or on more cells than the district numbering can hold.
pub fn generate_city(options: GeneratorOptions) -> Result<Vec<GridCell>, GridError> {
    let n = options.cells;
    // The patterns average 16 / 7 cells per block: lay out about as many blocks as that needs,
    // then steer the patterns so that every block is used and the count comes out exact.
    let blocks = (n * PATTERNS as usize).div_ceil(CELLS_PER_PATTERN_ROUND).max(1);
    let (min, max, columns) = match options.bbox {
        Some([min_lon, min_lat, max_lon, max_lat]) => {
            let bad = || {
                GridError::Generator(
                    "the box must be min_lon,min_lat,max_lon,max_lat on the globe with min < max".to_owned(),
                )
            };
            let min = FixedPoint::from_degrees(min_lon, min_lat).ok_or_else(bad)?;
            let max = FixedPoint::from_degrees(max_lon, max_lat).ok_or_else(bad)?;
            if min.x >= max.x || min.y >= max.y {
                return Err(bad());
            }
            let (kx, ky) = metres_per_unit(((i64::from(min.y) + i64::from(max.y)) / 2) as i32);
            let aspect = (f64::from(max.x - min.x) * kx) / (f64::from(max.y - min.y) * ky);
            let columns = ((blocks as f64 * aspect).sqrt().ceil() as usize).clamp(1, blocks);
            (min, max, columns)
        }
        None => {
            let columns = (blocks as f64).sqrt().ceil() as usize;
            let rows = blocks.div_ceil(columns);
            let min = FixedPoint::from_degrees(DEFAULT_ORIGIN[0], DEFAULT_ORIGIN[1])
                .ok_or_else(|| GridError::Generator("the default origin is off the globe".to_owned()))?;
            let (kx, ky) = metres_per_unit(min.y);
            let max = FixedPoint {
                x: min.x + (columns as f64 * DEFAULT_BLOCK_M / kx) as i32,
                y: min.y + (rows as f64 * DEFAULT_BLOCK_M / ky) as i32,
            };
            (min, max, columns)
        }
    };
    let rows = blocks.div_ceil(columns);
    let lattice = Lattice {
        seed: options.seed,
        min,
        width: i64::from(max.x) - i64::from(min.x),
        height: i64::from(max.y) - i64::from(min.y),
        quads_x: 2 * columns as i64,
        quads_y: 2 * rows as i64,
    };
    let community_columns = columns.div_ceil(COMMUNITY_BLOCKS);
    let street_columns = community_columns.div_ceil(STREET_COMMUNITIES);
    let mut grids_in_community = vec![0u16; community_columns * rows.div_ceil(COMMUNITY_BLOCKS)];
    let mut rng = SplitMix64(options.seed);
    let mut cells: Vec<GridCell> = Vec::with_capacity(n);
    let mut block = 0usize;
    while cells.len() < n && block < columns * rows {
        let (bx, by) = (block % columns, block / columns);
        let blocks_left = columns * rows - block;
        block += 1;
        let (community_x, community_y) = (bx / COMMUNITY_BLOCKS, by / COMMUNITY_BLOCKS);
        let community_index = community_y * community_columns + community_x;
        let street_index =
            (community_y / STREET_COMMUNITIES) * street_columns + community_x / STREET_COMMUNITIES;
        let community =
            (community_y % STREET_COMMUNITIES) * STREET_COMMUNITIES + community_x % STREET_COMMUNITIES + 1;
        let mut district = FIRST_DISTRICT;
        for _ in 0..street_index / 999 {
            district += if (district + 1).is_multiple_of(100) { 2 } else { 1 };
        }
        let street = street_index % 999 + 1;
        let mut next_code = || -> Result<GridCode, GridError> {
            let counter = &mut grids_in_community[community_index];
            *counter += 1;
            GridCode::from_parts(district, street as u16, community as u16, *counter)
                .map_err(|e| GridError::Generator(format!("too many cells for the district numbering: {e}")))
        };
        let (i, j) = (2 * bx as i64, 2 * by as i64);
        let needed = n - cells.len();
        let pattern = steer(rng.next() % PATTERNS, needed, blocks_left - 1, cells.is_empty());
        let rings: Vec<(Vec<FixedPoint>, Option<Vec<FixedPoint>>)> = match pattern {
            0 => vec![
                (lattice.rectangle(i, j, i + 1, j + 1), None),
                (lattice.rectangle(i + 1, j, i + 2, j + 1), None),
                (lattice.rectangle(i, j + 1, i + 1, j + 2), None),
                (lattice.rectangle(i + 1, j + 1, i + 2, j + 2), None),
            ],
            1 => vec![
                (lattice.rectangle(i, j, i + 2, j + 1), None),
                (lattice.rectangle(i, j + 1, i + 2, j + 2), None),
            ],
            2 => vec![
                (lattice.rectangle(i, j, i + 1, j + 2), None),
                (lattice.rectangle(i + 1, j, i + 2, j + 2), None),
            ],
            3 => {
                let v = |a, b| lattice.vertex(i + a, j + b);
                let l_shape = vec![v(0, 0), v(1, 0), v(2, 0), v(2, 1), v(1, 1), v(1, 2), v(0, 2), v(0, 1)];
                vec![(l_shape, None), (lattice.rectangle(i + 1, j + 1, i + 2, j + 2), None)]
            }
            4 => {
                let v = |a, b| lattice.vertex(i + a, j + b);
                vec![
                    (vec![v(0, 0), v(1, 0), v(2, 0), v(2, 1)], None),
                    (vec![v(0, 0), v(2, 1), v(1, 1), v(0, 1)], None),
                    (lattice.rectangle(i, j + 1, i + 2, j + 2), None),
                ]
            }
            other => {
                let square = lattice.hole_square(i + 1, j + 1);
                let mut hole = square.clone();
                hole.reverse();
                let outer = (lattice.rectangle(i, j, i + 2, j + 2), Some(hole));
                if other == 5 || cells.is_empty() {
                    vec![outer, (square, None)]
                } else {
                    if let Some(previous) = cells.last_mut() {
                        add_island(previous, &square);
                    }
                    vec![outer]
                }
            }
        };
        for (exterior, hole) in rings {
            if cells.len() == n {
                break;
            }
            let code = next_code()?;
            let mut polygon = vec![degree_ring(&exterior)];
            polygon.extend(hole.as_deref().map(degree_ring));
            let name = format!("{street}街道{community}社区{}号网格", code.grid_number());
            cells.push(GridCell { code, name, geometry: CellGeometry::Polygon(polygon) });
        }
    }
    Ok(cells)
}

/// How many new cells a block pattern makes (pattern 6 adds an island to the previous cell
/// instead of a cell of its own, when there is one).
fn pattern_cells(pattern: u64, first: bool) -> usize {
    match pattern {
        0 => 4,
        4 => 3,
        6 if !first => 1,
        _ => 2,
    }
}

/// The drawn pattern if it leaves `needed` reachable with the `blocks_after` blocks still to
/// come (1 to 4 cells each); otherwise the pattern closest in cell count that does.
fn steer(drawn: u64, needed: usize, blocks_after: usize, first: bool) -> u64 {
    let least = needed.saturating_sub(4 * blocks_after).max(1);
    let most = needed.saturating_sub(blocks_after).max(1);
    let count = pattern_cells(drawn, first);
    if (least..=most).contains(&count) {
        return drawn;
    }
    match count.clamp(least, most) {
        1 if !first => 6,
        1 | 2 => 1,
        3 => 4,
        _ => 0,
    }
}

/// Make `cell` a MultiPolygon with `island` as an extra part.
fn add_island(cell: &mut GridCell, island: &[FixedPoint]) {
    let part = vec![degree_ring(island)];
    let geometry = std::mem::replace(&mut cell.geometry, CellGeometry::MultiPolygon(Vec::new()));
    cell.geometry = match geometry {
        CellGeometry::Polygon(polygon) => CellGeometry::MultiPolygon(vec![polygon, part]),
        CellGeometry::MultiPolygon(mut polygons) => {
            polygons.push(part);
            CellGeometry::MultiPolygon(polygons)
        }
    };
}
