//! Validation of imported cells: broken geometry (bad coordinates, unclosed rings, fewer than
//! three distinct points, self-intersections, crossing rings), duplicate codes, overlaps between
//! cells above an area threshold, and the area of every cell. Every problem names the feature's
//! index in the input and its code.

use std::fmt;

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::codes::GridCode;

use super::cell::{GridCell, fixed_ring};
use super::fixed::{
    FixedBox, FixedPoint, Location, locate_in_rings, locate_midpoint_in_rings, metres_per_unit, ring_area_m2,
    segments_cross, segments_touch,
};

/// Knobs for [`validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationOptions {
    /// Overlaps between two cells up to this many square metres are tolerated (real data
    /// overlaps by slivers; routing resolves them deterministically anyway).
    pub overlap_threshold_m2: f64,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self { overlap_threshold_m2: 1.0 }
    }
}

/// What is wrong with one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// A position is NaN, infinite, or outside lon [-180, 180] / lat [-90, 90].
    BadCoordinate { polygon: usize, ring: usize, position: usize },
    /// The last position of a ring differs from the first.
    UnclosedRing { polygon: usize, ring: usize },
    /// A ring has fewer than three distinct positions.
    TooFewPoints { polygon: usize, ring: usize, distinct: usize },
    /// Two non-adjacent edges of one ring touch or cross.
    SelfIntersection { polygon: usize, ring: usize },
    /// Two rings of one polygon cross.
    RingsCross { polygon: usize, ring: usize, other_ring: usize },
    /// The code was already used by an earlier feature.
    DuplicateCode { first_index: usize },
    /// This cell and an earlier one share more than the threshold area.
    Overlap { other_index: usize, other_code: GridCode, area_m2: f64 },
}

/// One problem, located by the feature's index in the input and its code.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub index: usize,
    pub code: GridCode,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "feature {} ({}): ", self.index, self.code)?;
        match &self.kind {
            ProblemKind::BadCoordinate { polygon, ring, position } => write!(
                f,
                "polygon {polygon} ring {ring} position {position} is not a finite lon in [-180, 180], lat in [-90, 90]"
            ),
            ProblemKind::UnclosedRing { polygon, ring } => {
                write!(
                    f,
                    "polygon {polygon} ring {ring} is not closed (its last position differs from the first)"
                )
            }
            ProblemKind::TooFewPoints { polygon, ring, distinct } => {
                write!(
                    f,
                    "polygon {polygon} ring {ring} has {distinct} distinct positions, at least 3 are needed"
                )
            }
            ProblemKind::SelfIntersection { polygon, ring } => {
                write!(f, "polygon {polygon} ring {ring} intersects itself")
            }
            ProblemKind::RingsCross { polygon, ring, other_ring } => {
                write!(f, "polygon {polygon}: rings {other_ring} and {ring} cross")
            }
            ProblemKind::DuplicateCode { first_index } => {
                write!(f, "duplicate code, first used by feature {first_index}")
            }
            ProblemKind::Overlap { other_index, other_code, area_m2 } => {
                write!(f, "overlaps feature {other_index} ({other_code}) by {area_m2:.1} m²")
            }
        }
    }
}

/// The result of [`validate`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationReport {
    /// Problems in input order.
    pub problems: Vec<Problem>,
    /// The area of each cell in square metres, in input order (holes subtracted; NaN when the
    /// geometry has bad coordinates).
    pub areas_m2: Vec<f64>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A cell's rings in fixed units, grouped by polygon.
type FixedCell = Vec<Vec<Vec<FixedPoint>>>;

/// Check every cell; see the module documentation.
pub fn validate(cells: &[GridCell], options: ValidationOptions) -> ValidationReport {
    let mut report = ValidationReport::default();
    let mut fixed: Vec<Option<FixedCell>> = Vec::with_capacity(cells.len());
    for (index, cell) in cells.iter().enumerate() {
        let mut problems = Vec::new();
        let checked = check_geometry(cell, &mut problems);
        let area = checked.as_ref().map_or(f64::NAN, cell_area_m2);
        report.problems.extend(problems.into_iter().map(|kind| Problem { index, code: cell.code, kind }));
        report.areas_m2.push(area);
        fixed.push(checked);
    }
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by_key(|&i| (cells[i].code, i));
    for pair in order.windows(2) {
        if cells[pair[0]].code == cells[pair[1]].code {
            let first_index =
                order.iter().copied().find(|&i| cells[i].code == cells[pair[1]].code).unwrap_or(pair[0]);
            report.problems.push(Problem {
                index: pair[1],
                code: cells[pair[1]].code,
                kind: ProblemKind::DuplicateCode { first_index },
            });
        }
    }
    report.problems.extend(find_overlaps(cells, &fixed, options.overlap_threshold_m2));
    report.problems.sort_by_key(|p| p.index);
    report
}

/// Geometry checks of one cell; its fixed rings when they can be used for overlap tests.
fn check_geometry(cell: &GridCell, problems: &mut Vec<ProblemKind>) -> Option<FixedCell> {
    let mut usable = true;
    let mut polygons = Vec::new();
    for (polygon, rings) in cell.geometry.polygons().iter().enumerate() {
        let mut fixed_rings: Vec<Vec<FixedPoint>> = Vec::new();
        for (ring, positions) in rings.iter().enumerate() {
            let bad = positions.iter().position(|&[lon, lat]| FixedPoint::from_degrees(lon, lat).is_none());
            if let Some(position) = bad {
                problems.push(ProblemKind::BadCoordinate { polygon, ring, position });
                usable = false;
                continue;
            }
            if positions.first() != positions.last() || positions.len() < 2 {
                problems.push(ProblemKind::UnclosedRing { polygon, ring });
            }
            let Some(mut points) = fixed_ring(positions) else { continue };
            points.dedup();
            if points.len() > 1 && points.first() == points.last() {
                points.pop();
            }
            let mut distinct = points.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() < 3 {
                problems.push(ProblemKind::TooFewPoints { polygon, ring, distinct: distinct.len() });
                usable = false;
                continue;
            }
            if ring_self_intersects(&points) {
                problems.push(ProblemKind::SelfIntersection { polygon, ring });
            }
            for (other_ring, other) in fixed_rings.iter().enumerate() {
                if rings_cross(&points, other.as_slice()) {
                    problems.push(ProblemKind::RingsCross { polygon, ring, other_ring });
                }
            }
            fixed_rings.push(points);
        }
        polygons.push(fixed_rings);
    }
    usable.then_some(polygons)
}

fn edges(ring: &[FixedPoint]) -> impl Iterator<Item = (FixedPoint, FixedPoint)> + '_ {
    ring.iter().copied().zip(ring.iter().copied().cycle().skip(1))
}

fn ring_self_intersects(ring: &[FixedPoint]) -> bool {
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // adjacent through the closing edge
            }
            let (c, d) = (ring[j], ring[(j + 1) % n]);
            if segments_touch(a, b, c, d) {
                return true;
            }
        }
    }
    false
}

fn rings_cross(first: &[FixedPoint], second: &[FixedPoint]) -> bool {
    edges(first).any(|(a, b)| edges(second).any(|(c, d)| segments_cross(a, b, c, d)))
}

fn cell_area_m2(cell: &FixedCell) -> f64 {
    cell.iter()
        .map(|rings| {
            let mut parts = rings.iter().map(|r| ring_area_m2(r).abs());
            let exterior = parts.next().unwrap_or(0.0);
            exterior - parts.sum::<f64>()
        })
        .sum()
}

fn locate_in_cell(cell: &FixedCell, p: FixedPoint) -> Location {
    let mut best = Location::Outside;
    for rings in cell {
        match locate_in_rings(rings.iter().map(Vec::as_slice), p) {
            Location::Boundary => return Location::Boundary,
            Location::Inside => best = Location::Inside,
            Location::Outside => {}
        }
    }
    best
}

fn all_edges(cell: &FixedCell) -> impl Iterator<Item = (FixedPoint, FixedPoint)> + '_ {
    cell.iter().flatten().flat_map(|ring| edges(ring))
}

fn locate_midpoint_in_cell(cell: &FixedCell, a: FixedPoint, b: FixedPoint) -> Location {
    let mut best = Location::Outside;
    for rings in cell {
        match locate_midpoint_in_rings(rings.iter().map(Vec::as_slice), a, b) {
            Location::Boundary => return Location::Boundary,
            Location::Inside => best = Location::Inside,
            Location::Outside => {}
        }
    }
    best
}

/// Cheap exact pre-filter for cells that may share interior: a vertex or an edge midpoint
/// strictly inside the other, a proper edge crossing, or one lying entirely on or in the other
/// (identical cells). Neighbours that only share edges pass none of these.
fn may_overlap(a: &FixedCell, b: &FixedCell) -> bool {
    let vertices = |c: &FixedCell| c.iter().flatten().flatten().copied().collect::<Vec<_>>();
    let (va, vb) = (vertices(a), vertices(b));
    let inside_or_on = |points: &[FixedPoint], cell: &FixedCell| {
        let locations: Vec<Location> = points.iter().map(|&p| locate_in_cell(cell, p)).collect();
        (locations.contains(&Location::Inside), !locations.contains(&Location::Outside))
    };
    let (a_in_b, a_all_on_b) = inside_or_on(&va, b);
    let (b_in_a, b_all_on_a) = inside_or_on(&vb, a);
    let midpoint_inside = |from: &FixedCell, to: &FixedCell| {
        all_edges(from).any(|(p, q)| locate_midpoint_in_cell(to, p, q) == Location::Inside)
    };
    a_in_b
        || b_in_a
        || midpoint_inside(a, b)
        || midpoint_inside(b, a)
        || a_all_on_b
        || b_all_on_a
        || all_edges(a).any(|(p, q)| all_edges(b).any(|(r, s)| segments_cross(p, q, r, s)))
}

/// The cell as a geo multipolygon in metres around `origin`.
fn to_metres(cell: &FixedCell, origin: FixedPoint) -> MultiPolygon<f64> {
    let (kx, ky) = metres_per_unit(origin.y);
    let line = |ring: &Vec<FixedPoint>| {
        LineString::from(
            ring.iter()
                .map(|p| Coord {
                    x: (i64::from(p.x) - i64::from(origin.x)) as f64 * kx,
                    y: (i64::from(p.y) - i64::from(origin.y)) as f64 * ky,
                })
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon::new(
        cell.iter()
            .filter_map(|rings| {
                let (exterior, holes) = rings.split_first()?;
                Some(geo::Polygon::new(line(exterior), holes.iter().map(line).collect()))
            })
            .collect(),
    )
}

fn find_overlaps(cells: &[GridCell], fixed: &[Option<FixedCell>], threshold_m2: f64) -> Vec<Problem> {
    let bbox = |cell: &FixedCell| {
        let mut b = FixedBox::EMPTY;
        cell.iter().flatten().flatten().for_each(|&p| b.extend(p));
        b
    };
    let entries: Vec<GeomWithData<Rectangle<[i64; 2]>, usize>> = fixed
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let b = bbox(cell.as_ref()?);
            let rect = Rectangle::from_corners(
                [i64::from(b.min_x), i64::from(b.min_y)],
                [i64::from(b.max_x), i64::from(b.max_y)],
            );
            Some(GeomWithData::new(rect, i))
        })
        .collect();
    let tree = RTree::bulk_load(entries.clone());
    let mut problems = Vec::new();
    for entry in &entries {
        let j = entry.data;
        let Some(b) = fixed[j].as_ref() else { continue };
        let mut neighbours: Vec<usize> = tree
            .locate_in_envelope_intersecting(&rstar::RTreeObject::envelope(entry.geom()))
            .map(|e| e.data)
            .filter(|&i| i < j)
            .collect();
        neighbours.sort_unstable();
        for i in neighbours {
            let Some(a) = fixed[i].as_ref() else { continue };
            if !may_overlap(a, b) {
                continue;
            }
            let origin = a.iter().flatten().flatten().next().copied().unwrap_or(FixedPoint { x: 0, y: 0 });
            let area_m2 = to_metres(a, origin).intersection(&to_metres(b, origin)).unsigned_area();
            if area_m2 > threshold_m2 {
                problems.push(Problem {
                    index: j,
                    code: cells[j].code,
                    kind: ProblemKind::Overlap { other_index: i, other_code: cells[i].code, area_m2 },
                });
            }
        }
    }
    problems
}
