//! [`GridIndex`]: the point → cell router. Every cell's geometry is one contiguous run of
//! `i32` words (ring structure and fixed-point vertices, in code order). Buckets are squares
//! sized from the cells themselves, and only occupied buckets are stored (a hash table), so
//! sparse data spread over a country costs what its cells cost. Each bucket holds, contiguously,
//! the bounding box of every cell polygon that meets it next to the cell's geometry offset. A
//! query reads one hash slot and one run of boxes, and runs the exact point-in-polygon test
//! (integer crossing number) only on the one or two cells whose box holds the point; only a
//! point in no cell pays for the tolerance search.
//!
//! Rules, identical on every platform and for every input order of the cells:
//! - the candidates are the cells whose closed area (edges included) contains the point;
//! - the smallest grid code among them wins;
//! - the answer is [`How::Boundary`] if the point lies exactly on an edge or vertex of any
//!   candidate (a shared edge, or the city's outer edge), [`How::Overlap`] if it lies strictly
//!   inside two or more cells (overlapping data), and [`How::Inside`] if strictly inside one;
//! - with no candidate, the cell with the nearest edge within the tolerance wins
//!   ([`How::Nearest`]; equal distances go to the smaller code); beyond it, [`Route::Unroutable`].
//!
//! A point is quantised to 1e-7 degree (about 1 cm) before any test, exactly like the cells.

use crate::codes::GridCode;
use crate::geo::{Crs, GeoPoint};

use super::GridError;
use super::cell::{GridCell, fixed_ring};
use super::fixed::{FixedBox, FixedPoint, Location, metres_per_unit, segment_distance_sq};

/// How far outside every cell a point may lie and still be routed, unless configured.
pub const DEFAULT_TOLERANCE_M: f64 = 50.0;

/// How a point found its cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum How {
    /// Strictly inside exactly one cell.
    Inside,
    /// Exactly on an edge or vertex; the smallest code among the touching cells won.
    Boundary,
    /// Strictly inside several overlapping cells; the smallest code won.
    Overlap,
    /// In no cell, but this close (metres) to the winning cell's edge.
    Nearest { distance_m: f64 },
}

impl How {
    /// Lower-case name, as printed by `gridline grid route`.
    pub fn as_str(&self) -> &'static str {
        match self {
            How::Inside => "inside",
            How::Boundary => "boundary",
            How::Overlap => "overlap",
            How::Nearest { .. } => "nearest",
        }
    }
}

/// The answer for one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Route {
    /// The point belongs to `code`.
    Cell { code: GridCode, how: How },
    /// Farther than the tolerance from every cell: send it to the city triage queue.
    Unroutable,
}

impl Route {
    /// The routed cell, if any.
    pub fn code(&self) -> Option<GridCode> {
        match self {
            Route::Cell { code, .. } => Some(*code),
            Route::Unroutable => None,
        }
    }

    /// `inside`, `boundary`, `overlap`, `nearest` or `unroutable`.
    pub fn how_str(&self) -> &'static str {
        match self {
            Route::Cell { how, .. } => how.as_str(),
            Route::Unroutable => "unroutable",
        }
    }
}

/// Heap bytes held by an index, split into the vertices themselves and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMemory {
    pub coordinate_bytes: usize,
    pub other_bytes: usize,
}

/// A bucket entry: the bounding box of one polygon of a cell kept next to where the cell's
/// geometry starts, so that a query rejects most candidates from one contiguous run of memory
/// without touching anything else. A MultiPolygon has one entry per polygon, so an island far
/// from its cell's main part does not make the cell large.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    bbox: FixedBox,
    /// Offset of the cell in [`GridIndex::geometry`]; ascends with the code, so it also
    /// orders and identifies cells.
    geometry: u32,
}

/// Words before a cell's polygons in [`GridIndex::geometry`]: the cell's index, its polygon count.
const CELL_HEADER: usize = 2;
/// The bucket side is the smallest power of two that keeps the bucket entries at or below this
/// many per cell: fewer entries cost less memory, more entries mean fewer candidates per query.
const ENTRIES_PER_CELL: u64 = 3;
/// A cell whose box covers more buckets than this (a huge rural cell among small urban ones)
/// goes to a short list checked on every query instead of filling thousands of buckets.
const WIDE_CELL_BUCKETS: u64 = 64;
/// Cells at most this wide and high (fixed units) run the point-in-polygon test in `i64`: with
/// the point inside the box, every product is below 2^60, so `i64` is exact; wider cells use
/// `i128`.
const NARROW_CELL_UNITS: i64 = 1 << 30;

/// One occupied bucket in the hash table; `column == FREE` marks an unused slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    column: u32,
    row: u32,
    start: u32,
    len: u32,
}

const FREE: u32 = u32::MAX;
const FREE_SLOT: Slot = Slot { column: FREE, row: FREE, start: 0, len: 0 };

/// Square buckets of `1 << shift` fixed units, sized from the cells themselves (not from the
/// area they span), of which only the occupied ones are stored, in an open-addressing hash
/// table. Two cities a thousand kilometres apart cost what the two cities cost, not what the
/// country between them would.
#[derive(Debug, Clone)]
struct Buckets {
    extent: FixedBox,
    shift: u32,
    /// Power-of-two length, at most half full, linear probing.
    slots: Vec<Slot>,
    hash_shift: u32,
    /// Bucket by bucket; within a bucket, ascending by code.
    candidates: Vec<Candidate>,
    /// Cells with a polygon too large for buckets, ascending by code. A cell is either here
    /// or in buckets, never both, so no query meets it twice.
    wide: Vec<Candidate>,
}

/// An inclusive range of bucket columns and rows.
#[derive(Debug, Clone, Copy)]
struct BucketRange {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl BucketRange {
    fn contains(&self, column: u32, row: u32) -> bool {
        (self.x0..=self.x1).contains(&column) && (self.y0..=self.y1).contains(&row)
    }

    fn bucket_count(&self) -> u64 {
        (u64::from(self.x1 - self.x0) + 1) * (u64::from(self.y1 - self.y0) + 1)
    }
}

impl Buckets {
    /// For `x` within the extent.
    #[inline]
    fn column(&self, x: i32) -> u32 {
        ((i64::from(x) - i64::from(self.extent.min_x)).max(0) >> self.shift) as u32
    }

    /// For `y` within the extent.
    #[inline]
    fn row(&self, y: i32) -> u32 {
        ((i64::from(y) - i64::from(self.extent.min_y)).max(0) >> self.shift) as u32
    }

    /// The buckets that a box meets, clipped to the extent.
    fn range(&self, b: &FixedBox) -> Option<BucketRange> {
        if self.extent.is_empty() || !self.extent.intersects(b) {
            return None;
        }
        let e = &self.extent;
        Some(BucketRange {
            x0: self.column(b.min_x.max(e.min_x)),
            y0: self.row(b.min_y.max(e.min_y)),
            x1: self.column(b.max_x.min(e.max_x)),
            y1: self.row(b.max_y.min(e.max_y)),
        })
    }

    #[inline]
    fn home_slot(&self, column: u32, row: u32) -> usize {
        let key = (u64::from(row) << 32) | u64::from(column);
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.hash_shift) as usize
    }

    /// The candidates of bucket `(column, row)`, empty when no cell meets it.
    #[inline]
    fn bucket(&self, column: u32, row: u32) -> &[Candidate] {
        let mask = self.slots.len() - 1;
        let mut at = self.home_slot(column, row);
        loop {
            let Some(slot) = self.slots.get(at) else { return &[] };
            if slot.column == column && slot.row == row {
                let start = slot.start as usize;
                return self.candidates.get(start..start + slot.len as usize).unwrap_or(&[]);
            }
            if slot.column == FREE {
                return &[];
            }
            at = (at + 1) & mask;
        }
    }

    /// How many entries cells would make with buckets of `1 << shift` units, and how many
    /// cells would be wide.
    fn entries_at(cells: &[Candidate], extent: &FixedBox, shift: u32) -> (u64, usize) {
        let (mut entries, mut wide) = (0u64, 0usize);
        for c in cells {
            let span = |min: i32, max: i32, origin: i32| {
                let (a, b) = (i64::from(min) - i64::from(origin), i64::from(max) - i64::from(origin));
                ((b >> shift) - (a >> shift) + 1) as u64
            };
            let covered = span(c.bbox.min_x, c.bbox.max_x, extent.min_x)
                * span(c.bbox.min_y, c.bbox.max_y, extent.min_y);
            if covered > WIDE_CELL_BUCKETS {
                wide += 1;
            } else {
                entries += covered;
            }
        }
        (entries, wide)
    }

    /// The bucket shift: start from the median cell's size and grow until the entries (and the
    /// wide list) are small enough.
    fn choose_shift(cells: &[Candidate], extent: &FixedBox) -> u32 {
        let mut sides: Vec<i64> = cells
            .iter()
            .map(|c| {
                (i64::from(c.bbox.max_x) - i64::from(c.bbox.min_x))
                    .max(i64::from(c.bbox.max_y) - i64::from(c.bbox.min_y))
            })
            .collect();
        let middle = sides.len() / 2;
        let median = *sides.select_nth_unstable(middle).1;
        let mut shift = 63 - (median.max(1) as u64).leading_zeros();
        let n = cells.len() as u64;
        while shift < 32 {
            let (entries, wide) = Self::entries_at(cells, extent, shift);
            if entries <= ENTRIES_PER_CELL * n && (wide as u64) <= n / 1024 + 8 {
                break;
            }
            shift += 1;
        }
        shift
    }

    /// Buckets over the polygons of the cells, given in ascending code order.
    fn build(cells: &[Candidate]) -> Buckets {
        let mut extent = FixedBox::EMPTY;
        cells.iter().for_each(|c| extent.union(&c.bbox));
        let mut buckets = Buckets {
            extent,
            shift: 0,
            slots: vec![FREE_SLOT; 2],
            hash_shift: 63,
            candidates: Vec::new(),
            wide: Vec::new(),
        };
        if cells.is_empty() || extent.is_empty() {
            return buckets;
        }
        buckets.shift = Self::choose_shift(cells, &extent);
        // (row, column, position in `cells`): sorting keeps the code order within a bucket and
        // lays neighbouring buckets out next to each other.
        let mut entries: Vec<(u32, u32, u32)> = Vec::new();
        let mut first = 0;
        for parts in cells.chunk_by(|a, b| a.geometry == b.geometry) {
            let ranges: Vec<Option<BucketRange>> = parts.iter().map(|c| buckets.range(&c.bbox)).collect();
            if ranges.iter().flatten().any(|r| r.bucket_count() > WIDE_CELL_BUCKETS) {
                buckets.wide.extend_from_slice(parts);
            } else {
                for (i, r) in ranges.iter().enumerate() {
                    let (Some(r), part) = (r, (first + i) as u32) else { continue };
                    for row in r.y0..=r.y1 {
                        entries.extend((r.x0..=r.x1).map(|column| (row, column, part)));
                    }
                }
            }
            first += parts.len();
        }
        entries.sort_unstable();
        let occupied = entries.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)).count();
        let table_len = (2 * occupied).next_power_of_two().max(2);
        buckets.hash_shift = 64 - table_len.trailing_zeros();
        buckets.slots = vec![FREE_SLOT; table_len];
        buckets.candidates = Vec::with_capacity(entries.len());
        let mask = table_len - 1;
        for run in entries.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (row, column) = (run[0].0, run[0].1);
            let slot = Slot { column, row, start: buckets.candidates.len() as u32, len: run.len() as u32 };
            buckets.candidates.extend(run.iter().map(|&(_, _, i)| cells[i as usize]));
            let mut at = buckets.home_slot(column, row);
            while buckets.slots[at].column != FREE {
                at = (at + 1) & mask;
            }
            buckets.slots[at] = slot;
        }
        buckets.wide.shrink_to_fit();
        buckets
    }

    fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.slots.capacity() * size_of::<Slot>()
            + (self.candidates.capacity() + self.wide.capacity()) * size_of::<Candidate>()
    }
}

/// What a query found among the candidates so far.
#[derive(Debug, Default)]
struct Hits {
    /// The smallest cell index (cells are numbered in code order) whose closed area holds the point.
    winner: Option<u32>,
    /// The geometry offset of the cell tested last: its other polygons' entries follow it and
    /// must not count it twice.
    last_tested: Option<u32>,
    containing: u32,
    on_boundary: bool,
}

/// The routing index. Immutable once built, `Send + Sync`: share it behind an `Arc` and rebuild
/// when the grid changes.
#[derive(Debug, Clone)]
pub struct GridIndex {
    /// Every cell's geometry, one after the other in code order, as `i32` words: the cell
    /// header (its index, its polygon count), then per polygon its ring count, then per ring
    /// its vertex count and the vertices as `x, y` pairs (no closing repeat). Reading one
    /// cell is one pass over one contiguous run.
    geometry: Vec<i32>,
    vertex_count: usize,
    /// Ascending; cell `i` is `codes[i]`.
    codes: Vec<GridCode>,
    names: String,
    name_starts: Vec<u32>,
    buckets: Buckets,
    tolerance_m: f64,
}

impl GridIndex {
    /// Build from cells in any order. Refuses a coordinate that is not finite or off the globe,
    /// a cell without any vertex, and a code given twice (either would make answers depend on
    /// the input); geometry quality is [`super::validate`]'s job.
    pub fn build(cells: &[GridCell]) -> Result<GridIndex, GridError> {
        let mut order: Vec<usize> = (0..cells.len()).collect();
        order.sort_unstable_by_key(|&i| cells[i].code);
        for pair in order.windows(2) {
            if cells[pair[0]].code == cells[pair[1]].code {
                let (first, second) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
                return Err(GridError::DuplicateCode {
                    index: second,
                    first_index: first,
                    code: cells[first].code,
                });
            }
        }
        let word_estimate: usize = cells
            .iter()
            .flat_map(|c| c.geometry.polygons())
            .map(|polygon| 1 + polygon.iter().map(|r| 1 + 2 * r.len()).sum::<usize>())
            .sum::<usize>()
            + CELL_HEADER * cells.len();
        let mut index = GridIndex {
            geometry: Vec::with_capacity(word_estimate),
            vertex_count: 0,
            codes: Vec::with_capacity(cells.len()),
            names: String::new(),
            name_starts: Vec::with_capacity(cells.len() + 1),
            buckets: Buckets::build(&[]),
            tolerance_m: DEFAULT_TOLERANCE_M,
        };
        index.name_starts.push(0);
        let mut candidates = Vec::with_capacity(cells.len());
        let too_big = |index: usize, code: GridCode| GridError::TooLarge { index, code };
        let count = |n: usize, i: usize, code: GridCode| i32::try_from(n).map_err(|_| too_big(i, code));
        for (position, &i) in order.iter().enumerate() {
            let cell = &cells[i];
            let start = u32::try_from(index.geometry.len()).map_err(|_| too_big(i, cell.code))?;
            let polygons = cell.geometry.polygons();
            index.geometry.push(position as i32);
            index.geometry.push(count(polygons.len(), i, cell.code)?);
            let mut any_vertex = false;
            for polygon in polygons {
                index.geometry.push(count(polygon.len(), i, cell.code)?);
                let mut bbox = FixedBox::EMPTY;
                for ring in polygon {
                    let fixed =
                        fixed_ring(ring).ok_or(GridError::Coordinate { index: i, code: cell.code })?;
                    index.geometry.push(count(fixed.len(), i, cell.code)?);
                    for p in &fixed {
                        bbox.extend(*p);
                        index.geometry.extend([p.x, p.y]);
                    }
                    index.vertex_count += fixed.len();
                }
                // A polygon's holes lie inside its exterior, but the box covers all rings in
                // case the data says otherwise: the test itself reads every ring.
                if !bbox.is_empty() {
                    candidates.push(Candidate { bbox, geometry: start });
                    any_vertex = true;
                }
            }
            if !any_vertex {
                return Err(GridError::EmptyGeometry { index: i, code: cell.code });
            }
            u32::try_from(index.geometry.len()).map_err(|_| too_big(i, cell.code))?;
            index.codes.push(cell.code);
            index.names.push_str(&cell.name);
            let end = u32::try_from(index.names.len()).map_err(|_| too_big(i, cell.code))?;
            index.name_starts.push(end);
        }
        index.geometry.shrink_to_fit();
        index.names.shrink_to_fit();
        index.buckets = Buckets::build(&candidates);
        Ok(index)
    }

    /// The same index with another tolerance for [`How::Nearest`] (metres, finite, >= 0).
    pub fn with_tolerance_m(mut self, tolerance_m: f64) -> Result<GridIndex, GridError> {
        if !tolerance_m.is_finite() || tolerance_m < 0.0 {
            return Err(GridError::Tolerance(tolerance_m));
        }
        self.tolerance_m = tolerance_m;
        Ok(self)
    }

    pub fn tolerance_m(&self) -> f64 {
        self.tolerance_m
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Every code, ascending.
    pub fn codes(&self) -> impl Iterator<Item = GridCode> + '_ {
        self.codes.iter().copied()
    }

    /// The name of a cell.
    pub fn name(&self, code: GridCode) -> Option<&str> {
        let i = self.codes.binary_search(&code).ok()?;
        let (start, end) = (*self.name_starts.get(i)?, *self.name_starts.get(i + 1)?);
        self.names.get(start as usize..end as usize)
    }

    /// Heap use, for capacity planning. The ring structure words of the geometry count as
    /// "other"; only the vertices themselves are coordinates.
    pub fn memory(&self) -> IndexMemory {
        use std::mem::size_of;
        let coordinate_bytes = self.vertex_count * size_of::<FixedPoint>();
        let other = self.geometry.capacity() * size_of::<i32>() - coordinate_bytes
            + self.codes.capacity() * size_of::<GridCode>()
            + self.names.capacity()
            + self.name_starts.capacity() * size_of::<u32>()
            + self.buckets.heap_bytes();
        IndexMemory { coordinate_bytes, other_bytes: other }
    }

    /// Route a point given in `crs`; it is converted to WGS-84 first.
    pub fn route_in(&self, point: GeoPoint, crs: Crs) -> Route {
        self.route(crs.to_wgs84(point))
    }

    /// How far (metres) `point` lies from cell `code`: 0 inside it or on its edge, else the
    /// distance to its nearest edge; `None` for a code the index does not hold or a point off
    /// the globe. What an on-site step is checked against ([`OnSite::check`]).
    pub fn distance_to_cell_m(&self, code: GridCode, point: GeoPoint) -> Option<f64> {
        let target = u32::try_from(self.codes.binary_search(&code).ok()?).ok()?;
        let p = FixedPoint::from_degrees(point.lon(), point.lat())?;
        // Cells follow each other in code order, so the walk stops at the cell itself.
        let mut at = 0;
        while at < self.geometry.len() {
            let words = &self.geometry[at..];
            let len = cell_words(words);
            if words[0] as u32 == target {
                let cell = &words[..len];
                if locate_in_cell::<true>(cell, p).1 != Location::Outside {
                    return Some(0.0);
                }
                let (kx, ky) = metres_per_unit(p.y);
                let mut best = f64::INFINITY;
                for_each_ring(cell, |ring| {
                    let point = |k: usize| FixedPoint { x: ring[2 * k], y: ring[2 * k + 1] };
                    let n = ring.len() / 2;
                    for k in 0..n {
                        best = best.min(segment_distance_sq(point((k + n - 1) % n), point(k), p, kx, ky));
                    }
                });
                return Some(best.sqrt());
            }
            at += len;
        }
        None
    }

    /// A point strictly inside cell `code` that routes to it, for a place named by a cell code
    /// rather than clicked (a street office relocating a case "to cell …"). `None` for a code
    /// the index does not hold, or a cell so thin or so overlapped that no scan line finds a
    /// point inside it alone.
    ///
    /// The point is the middle of the widest inside stretch of a horizontal line through the
    /// cell, tried at the middle height first: for the convex cells most cities draw that is
    /// near the centre, and unlike a centroid it is inside an L- or C-shaped cell too.
    pub fn point_in_cell(&self, code: GridCode) -> Option<GeoPoint> {
        let target = u32::try_from(self.codes.binary_search(&code).ok()?).ok()?;
        let mut at = 0;
        let cell = loop {
            let words = self.geometry.get(at..)?;
            let len = cell_words(words);
            if words[0] as u32 == target {
                break &words[..len];
            }
            at += len;
        };
        let (mut low, mut high) = (i64::MAX, i64::MIN);
        for_each_ring(cell, |ring| {
            for y in ring.iter().skip(1).step_by(2) {
                (low, high) = (low.min(i64::from(*y)), high.max(i64::from(*y)));
            }
        });
        if low >= high {
            return None;
        }
        // Heights as fractions of the cell's height: the middle, then ever finer in between.
        let heights = [(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (1, 8), (3, 8), (5, 8), (7, 8)];
        heights.iter().find_map(|&(n, d)| {
            // An odd doubled height never equals a vertex's (doubled, even) height, so no
            // crossing falls exactly on a vertex.
            let y2 = 2 * (low + (high - low) * n / d) + 1;
            let mut crossings = Vec::new();
            for_each_ring(cell, |ring| {
                let n = ring.len() / 2;
                for k in 0..n {
                    let j = (k + n - 1) % n;
                    let (ax, ay) = (f64::from(ring[2 * j]), 2 * i64::from(ring[2 * j + 1]));
                    let (bx, by) = (f64::from(ring[2 * k]), 2 * i64::from(ring[2 * k + 1]));
                    if (ay > y2) != (by > y2) {
                        crossings.push(ax + (bx - ax) * (y2 - ay) as f64 / (by - ay) as f64);
                    }
                }
            });
            crossings.sort_by(f64::total_cmp);
            let widest = crossings.chunks_exact(2).max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))?;
            // Its middle first; a quarter in from either end where another cell overlaps it.
            [0.5, 0.25, 0.75].into_iter().find_map(|share| {
                let x = widest[0] + (widest[1] - widest[0]) * share;
                let p = FixedPoint { x: x.round() as i32, y: (y2 / 2) as i32 };
                let [lon, lat] = p.to_degrees();
                let point = GeoPoint::new(lat, lon).ok()?;
                // Strictly inside this cell and no other, so the point reads unambiguously.
                let inside = locate_in_cell::<true>(cell, p).1 == Location::Inside;
                (inside && self.route(point) == Route::Cell { code, how: How::Inside }).then_some(point)
            })
        })
    }

    /// Route a WGS-84 point. See the module documentation for the rules.
    pub fn route(&self, point: GeoPoint) -> Route {
        let Some(p) = FixedPoint::from_degrees(point.lon(), point.lat()) else {
            return Route::Unroutable;
        };
        self.route_fixed(p)
    }

    pub(crate) fn route_fixed(&self, p: FixedPoint) -> Route {
        let buckets = &self.buckets;
        if buckets.extent.contains(p) {
            let mut hits = Hits::default();
            self.visit(buckets.bucket(buckets.column(p.x), buckets.row(p.y)), p, &mut hits);
            if !buckets.wide.is_empty() {
                self.visit(&buckets.wide, p, &mut hits);
            }
            if let Some(i) = hits.winner {
                let how = if hits.on_boundary {
                    How::Boundary
                } else if hits.containing > 1 {
                    How::Overlap
                } else {
                    How::Inside
                };
                return Route::Cell { code: self.codes[i as usize], how };
            }
        }
        self.nearest(p)
    }

    /// Test the candidates whose box holds `p`.
    #[inline]
    fn visit(&self, candidates: &[Candidate], p: FixedPoint, hits: &mut Hits) {
        for candidate in candidates {
            if !candidate.bbox.contains(p) || hits.last_tested == Some(candidate.geometry) {
                continue;
            }
            hits.last_tested = Some(candidate.geometry);
            let (cell, location) = self.locate(candidate, p);
            match location {
                Location::Outside => continue,
                Location::Boundary => hits.on_boundary = true,
                Location::Inside => {}
            }
            hits.containing += 1;
            hits.winner = Some(hits.winner.map_or(cell, |w| w.min(cell)));
        }
    }

    /// The cell's index and where `p` (inside the cell's box) lies relative to it.
    #[inline]
    fn locate(&self, candidate: &Candidate, p: FixedPoint) -> (u32, Location) {
        let b = &candidate.bbox;
        let narrow = i64::from(b.max_x) - i64::from(b.min_x) < NARROW_CELL_UNITS
            && i64::from(b.max_y) - i64::from(b.min_y) < NARROW_CELL_UNITS;
        let start = candidate.geometry as usize;
        if narrow {
            locate_in_cell::<false>(&self.geometry[start..], p)
        } else {
            locate_in_cell::<true>(&self.geometry[start..], p)
        }
    }

    /// The cell's index and its squared distance (m²) from `p`.
    fn distance_sq(&self, candidate: &Candidate, p: FixedPoint, kx: f64, ky: f64) -> (u32, f64) {
        let words = &self.geometry[candidate.geometry as usize..];
        let mut best = f64::INFINITY;
        let cell = for_each_ring(words, |ring| {
            let point = |k: usize| FixedPoint { x: ring[2 * k], y: ring[2 * k + 1] };
            let n = ring.len() / 2;
            if n == 0 {
                return;
            }
            let mut a = point(n - 1);
            for k in 0..n {
                let b = point(k);
                best = best.min(segment_distance_sq(a, b, p, kx, ky));
                a = b;
            }
        });
        (cell, best)
    }

    fn nearest(&self, p: FixedPoint) -> Route {
        match self.nearest_within(p, self.tolerance_m) {
            Some((d, i)) if d <= self.tolerance_m * self.tolerance_m => {
                Route::Cell { code: self.codes[i as usize], how: How::Nearest { distance_m: d.sqrt() } }
            }
            _ => Route::Unroutable,
        }
    }

    /// The cell nearest to a WGS-84 point however far it lies, with the distance in metres to
    /// its edge (0 inside): which street a report that routed to no cell is closest to, so the
    /// street office nearest to it sees it in triage. `None` for an empty index or a point off
    /// the globe. Walks every bucket when the point is far away: for the rare unroutable report,
    /// never on the routing path.
    pub fn nearest_cell(&self, point: GeoPoint) -> Option<(GridCode, f64)> {
        let p = FixedPoint::from_degrees(point.lon(), point.lat())?;
        let (d, i) = self.nearest_within(p, f64::INFINITY)?;
        Some((self.codes[i as usize], d.sqrt()))
    }

    /// The squared distance (m²) and the index of the cell nearest to `p` among those whose
    /// box lies within `reach_m` metres of it.
    fn nearest_within(&self, p: FixedPoint, reach_m: f64) -> Option<(f64, u32)> {
        let (kx, ky) = metres_per_unit(p.y);
        let reach = |k: f64| ((reach_m / k).ceil() + 1.0).min(f64::from(i32::MAX / 4)) as i32;
        let query = FixedBox { min_x: p.x, min_y: p.y, max_x: p.x, max_y: p.y }.grown(reach(kx), reach(ky));
        let buckets = &self.buckets;
        let range = buckets.range(&query)?;
        let mut best: Option<(f64, u32)> = None;
        let mut consider = |candidate: &Candidate| {
            if !candidate.bbox.intersects(&query) {
                return;
            }
            let (cell, d) = self.distance_sq(candidate, p, kx, ky);
            if best.is_none_or(|(best_d, best_cell)| d < best_d || (d == best_d && cell < best_cell)) {
                best = Some((d, cell));
            }
        };
        let mut visit_bucket = |column: u32, row: u32, candidates: &[Candidate]| {
            for candidate in candidates {
                // A cell sits in several buckets: visit it only in the first one it shares
                // with the query.
                let first_column = buckets.column(candidate.bbox.min_x).max(range.x0);
                let first_row = buckets.row(candidate.bbox.min_y).max(range.y0);
                if column == first_column && row == first_row {
                    consider(candidate);
                }
            }
        };
        if range.bucket_count() <= buckets.slots.len() as u64 {
            for row in range.y0..=range.y1 {
                for column in range.x0..=range.x1 {
                    visit_bucket(column, row, buckets.bucket(column, row));
                }
            }
        } else {
            // A tolerance wider than the occupied buckets: walking the table is cheaper.
            for slot in &buckets.slots {
                if slot.column != FREE && range.contains(slot.column, slot.row) {
                    let start = slot.start as usize;
                    let run = buckets.candidates.get(start..start + slot.len as usize).unwrap_or(&[]);
                    visit_bucket(slot.column, slot.row, run);
                }
            }
        }
        buckets.wide.iter().for_each(&mut consider);
        best
    }
}

/// How many words the cell whose geometry starts `words` takes.
fn cell_words(words: &[i32]) -> usize {
    let mut at = CELL_HEADER;
    for _ in 0..words[1] {
        let rings = words[at];
        at += 1;
        for _ in 0..rings {
            at += 1 + 2 * words[at] as usize;
        }
    }
    at
}

/// Where someone stands relative to a case's cell, for a step taken on site (核查, 核实): inside
/// the cell, outside it but within the routing tolerance (the same slack a report gets), or
/// too far away, with the distance to say so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnSite {
    Inside,
    WithinTolerance { distance_m: f64 },
    TooFar { distance_m: f64, tolerance_m: f64 },
}

impl OnSite {
    /// Check `point` against cell `code` of `index`; `None` when the index does not hold the
    /// cell (the phone's package is older than the case) or the point is off the globe.
    pub fn check(index: &GridIndex, code: GridCode, point: GeoPoint) -> Option<OnSite> {
        let distance_m = index.distance_to_cell_m(code, point)?;
        let tolerance_m = index.tolerance_m();
        Some(if distance_m == 0.0 {
            OnSite::Inside
        } else if distance_m <= tolerance_m {
            OnSite::WithinTolerance { distance_m }
        } else {
            OnSite::TooFar { distance_m, tolerance_m }
        })
    }

    /// Close enough for the step.
    pub fn allowed(&self) -> bool {
        !matches!(self, OnSite::TooFar { .. })
    }
}

/// Call `f` with every ring (as `x, y` words) of the cell whose geometry starts `words`;
/// returns the cell's index.
fn for_each_ring(words: &[i32], mut f: impl FnMut(&[i32])) -> u32 {
    let cell = words[0] as u32;
    let mut at = CELL_HEADER;
    for _ in 0..words[1] {
        let rings = words[at];
        at += 1;
        for _ in 0..rings {
            let n = 2 * words[at] as usize;
            f(&words[at + 1..at + 1 + n]);
            at += 1 + n;
        }
    }
    cell
}

/// [`super::fixed::locate_in_rings`] over the cell whose geometry starts `words`, for a point
/// inside the cell's box: the same even-odd crossing count, half-open in y, with any exact
/// contact reported as boundary. `WIDE` selects `i128` products for cells too large for `i64`.
#[inline]
fn locate_in_cell<const WIDE: bool>(words: &[i32], p: FixedPoint) -> (u32, Location) {
    let cell = words[0] as u32;
    let mut best = Location::Outside;
    let mut at = CELL_HEADER;
    for _ in 0..words[1] {
        let rings = words[at];
        at += 1;
        let mut inside = false;
        for _ in 0..rings {
            let n = 2 * words[at] as usize;
            let ring = &words[at + 1..at + 1 + n];
            at += 1 + n;
            match ring_crossings::<WIDE>(ring, p) {
                Some(odd) => inside ^= odd,
                None => return (cell, Location::Boundary),
            }
        }
        if inside {
            best = Location::Inside;
        }
    }
    (cell, best)
}

/// Whether a ray from `p` towards +x crosses the ring an odd number of times, or `None` when
/// `p` lies exactly on it.
#[inline(always)]
fn ring_crossings<const WIDE: bool>(ring: &[i32], p: FixedPoint) -> Option<bool> {
    let n = ring.len();
    if n < 2 {
        return Some(false);
    }
    let (px, py) = (p.x, p.y);
    let (mut ax, mut ay) = (ring[n - 2], ring[n - 1]);
    let mut inside = false;
    for vertex in ring.chunks_exact(2) {
        let (bx, by) = (vertex[0], vertex[1]);
        if bx == px && by == py {
            return None;
        }
        if (ay > py) != (by > py) {
            let (dx, dy) = (i64::from(bx) - i64::from(ax), i64::from(by) - i64::from(ay));
            let (ex, ey) = (i64::from(px) - i64::from(ax), i64::from(py) - i64::from(ay));
            let sign = if WIDE {
                (i128::from(dx) * i128::from(ey) - i128::from(dy) * i128::from(ex)).signum() as i64
            } else {
                (dx * ey - dy * ex).signum()
            };
            if sign == 0 {
                return None;
            }
            if (sign > 0) == (by > ay) {
                inside = !inside;
            }
        } else if ay == py && by == py && ax.min(bx) <= px && px <= ax.max(bx) {
            return None;
        }
        (ax, ay) = (bx, by);
    }
    Some(inside)
}
