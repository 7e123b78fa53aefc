//! [`GridIndex`]: the point → cell router. Cells live in flat arrays (fixed-point vertices,
//! ring and polygon offsets, one 32-byte record per cell, sorted by code) under a uniform
//! bucket grid whose buckets list the cells whose bounding box touches them. A query looks at
//! one bucket, filters by bounding box and runs the exact point-in-polygon test; only a point
//! in no cell pays for the tolerance search.
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
use super::fixed::{FixedBox, FixedPoint, Location, locate_in_rings, metres_per_unit, segment_distance_sq};

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

#[derive(Debug, Clone, Copy)]
struct CellRecord {
    bbox: FixedBox,
    code: GridCode,
    first_polygon: u32,
    polygon_count: u32,
}

/// A uniform grid of square buckets of `1 << shift` fixed units over the cells' extent.
#[derive(Debug, Clone)]
struct Buckets {
    extent: FixedBox,
    shift: u32,
    columns: u32,
    rows: u32,
    /// Bucket `b` lists `items[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

/// An inclusive range of bucket columns and rows.
#[derive(Debug, Clone, Copy)]
struct BucketRange {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Buckets {
    fn column(&self, x: i32) -> u32 {
        let offset = (i64::from(x) - i64::from(self.extent.min_x)).max(0) >> self.shift;
        (offset as u32).min(self.columns - 1)
    }

    fn row(&self, y: i32) -> u32 {
        let offset = (i64::from(y) - i64::from(self.extent.min_y)).max(0) >> self.shift;
        (offset as u32).min(self.rows - 1)
    }

    fn range(&self, b: &FixedBox) -> Option<BucketRange> {
        if self.extent.is_empty() || !self.extent.intersects(b) {
            return None;
        }
        Some(BucketRange {
            x0: self.column(b.min_x),
            y0: self.row(b.min_y),
            x1: self.column(b.max_x),
            y1: self.row(b.max_y),
        })
    }

    #[inline]
    fn bucket(&self, column: u32, row: u32) -> &[u32] {
        let b = (row * self.columns + column) as usize;
        match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&start), Some(&end)) => self.items.get(start as usize..end as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn build(boxes: &[FixedBox]) -> Buckets {
        let mut extent = FixedBox::EMPTY;
        boxes.iter().for_each(|b| extent.union(b));
        if extent.is_empty() {
            return Buckets { extent, shift: 0, columns: 1, rows: 1, starts: vec![0, 0], items: Vec::new() };
        }
        let width = i64::from(extent.max_x) - i64::from(extent.min_x);
        let height = i64::from(extent.max_y) - i64::from(extent.min_y);
        // About two buckets per cell at most: the shift is the smallest that fits.
        let budget = (2 * boxes.len() as i64).max(1);
        let mut shift = 0;
        while ((width >> shift) + 1) * ((height >> shift) + 1) > budget {
            shift += 1;
        }
        let columns = ((width >> shift) + 1) as u32;
        let rows = ((height >> shift) + 1) as u32;
        let mut buckets = Buckets { extent, shift, columns, rows, starts: Vec::new(), items: Vec::new() };
        let mut counts = vec![0u32; (columns * rows) as usize + 1];
        let ranges: Vec<Option<BucketRange>> = boxes.iter().map(|b| buckets.range(b)).collect();
        for range in ranges.iter().flatten() {
            for row in range.y0..=range.y1 {
                for column in range.x0..=range.x1 {
                    counts[(row * columns + column) as usize + 1] += 1;
                }
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut items = vec![0u32; counts[counts.len() - 1] as usize];
        for (cell, range) in ranges.iter().enumerate() {
            let Some(range) = range else { continue };
            for row in range.y0..=range.y1 {
                for column in range.x0..=range.x1 {
                    let slot = &mut fill[(row * columns + column) as usize];
                    items[*slot as usize] = cell as u32;
                    *slot += 1;
                }
            }
        }
        buckets.starts = counts;
        buckets.items = items;
        buckets
    }
}

/// The routing index. Immutable once built, `Send + Sync`: share it behind an `Arc` and rebuild
/// when the grid changes.
#[derive(Debug, Clone)]
pub struct GridIndex {
    coords: Vec<FixedPoint>,
    /// Ring `r` is `coords[ring_starts[r]..ring_starts[r + 1]]`.
    ring_starts: Vec<u32>,
    /// Polygon `k` is rings `polygon_starts[k]..polygon_starts[k + 1]`.
    polygon_starts: Vec<u32>,
    /// Sorted by code; bucket items index this.
    cells: Vec<CellRecord>,
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
        let vertex_estimate: usize =
            cells.iter().flat_map(|c| c.geometry.polygons()).flatten().map(|r| r.len()).sum();
        let mut index = GridIndex {
            coords: Vec::with_capacity(vertex_estimate),
            ring_starts: vec![0],
            polygon_starts: vec![0],
            cells: Vec::with_capacity(cells.len()),
            names: String::new(),
            name_starts: Vec::with_capacity(cells.len() + 1),
            buckets: Buckets::build(&[]),
            tolerance_m: DEFAULT_TOLERANCE_M,
        };
        index.name_starts.push(0);
        let too_big = |index: usize, code: GridCode| GridError::TooLarge { index, code };
        for &i in &order {
            let cell = &cells[i];
            let first_polygon = index.polygon_starts.len() as u32 - 1;
            let mut bbox = FixedBox::EMPTY;
            for polygon in cell.geometry.polygons() {
                for ring in polygon {
                    let fixed =
                        fixed_ring(ring).ok_or(GridError::Coordinate { index: i, code: cell.code })?;
                    fixed.iter().for_each(|&p| bbox.extend(p));
                    index.coords.extend_from_slice(&fixed);
                    let end = u32::try_from(index.coords.len()).map_err(|_| too_big(i, cell.code))?;
                    index.ring_starts.push(end);
                }
                index.polygon_starts.push(index.ring_starts.len() as u32 - 1);
            }
            if bbox.is_empty() {
                return Err(GridError::EmptyGeometry { index: i, code: cell.code });
            }
            let polygon_count = index.polygon_starts.len() as u32 - 1 - first_polygon;
            index.cells.push(CellRecord { bbox, code: cell.code, first_polygon, polygon_count });
            index.names.push_str(&cell.name);
            let end = u32::try_from(index.names.len()).map_err(|_| too_big(i, cell.code))?;
            index.name_starts.push(end);
        }
        let boxes: Vec<FixedBox> = index.cells.iter().map(|c| c.bbox).collect();
        index.buckets = Buckets::build(&boxes);
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
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every code, ascending.
    pub fn codes(&self) -> impl Iterator<Item = GridCode> + '_ {
        self.cells.iter().map(|c| c.code)
    }

    /// The name of a cell.
    pub fn name(&self, code: GridCode) -> Option<&str> {
        let i = self.cells.binary_search_by_key(&code, |c| c.code).ok()?;
        let (start, end) = (*self.name_starts.get(i)?, *self.name_starts.get(i + 1)?);
        self.names.get(start as usize..end as usize)
    }

    /// Heap use, for capacity planning.
    pub fn memory(&self) -> IndexMemory {
        use std::mem::size_of;
        let other = self.ring_starts.capacity() * size_of::<u32>()
            + self.polygon_starts.capacity() * size_of::<u32>()
            + self.cells.capacity() * size_of::<CellRecord>()
            + self.names.capacity()
            + self.name_starts.capacity() * size_of::<u32>()
            + self.buckets.starts.capacity() * size_of::<u32>()
            + self.buckets.items.capacity() * size_of::<u32>();
        IndexMemory { coordinate_bytes: self.coords.capacity() * size_of::<FixedPoint>(), other_bytes: other }
    }

    /// Route a point given in `crs`; it is converted to WGS-84 first.
    pub fn route_in(&self, point: GeoPoint, crs: Crs) -> Route {
        self.route(crs.to_wgs84(point))
    }

    /// Route a WGS-84 point. See the module documentation for the rules.
    pub fn route(&self, point: GeoPoint) -> Route {
        let Some(p) = FixedPoint::from_degrees(point.lon(), point.lat()) else {
            return Route::Unroutable;
        };
        self.route_fixed(p)
    }

    pub(crate) fn route_fixed(&self, p: FixedPoint) -> Route {
        if self.buckets.extent.contains(p) {
            let bucket = self.buckets.bucket(self.buckets.column(p.x), self.buckets.row(p.y));
            let mut winner: Option<usize> = None;
            let mut containing = 0u32;
            let mut on_boundary = false;
            for &i in bucket {
                let i = i as usize;
                let Some(cell) = self.cells.get(i) else { continue };
                if !cell.bbox.contains(p) {
                    continue;
                }
                match self.locate(cell, p) {
                    Location::Outside => continue,
                    Location::Boundary => on_boundary = true,
                    Location::Inside => {}
                }
                containing += 1;
                // Bucket items ascend by code, so the first hit is the smallest code.
                winner.get_or_insert(i);
            }
            if let Some(i) = winner {
                let how = if on_boundary {
                    How::Boundary
                } else if containing > 1 {
                    How::Overlap
                } else {
                    How::Inside
                };
                return Route::Cell { code: self.cells[i].code, how };
            }
        }
        self.nearest(p)
    }

    fn polygon_rings(&self, polygon: usize) -> impl Iterator<Item = &[FixedPoint]> + '_ {
        let (first, last) =
            (self.polygon_starts[polygon] as usize, self.polygon_starts[polygon + 1] as usize);
        (first..last)
            .map(move |r| &self.coords[self.ring_starts[r] as usize..self.ring_starts[r + 1] as usize])
    }

    fn locate(&self, cell: &CellRecord, p: FixedPoint) -> Location {
        let first = cell.first_polygon as usize;
        let mut best = Location::Outside;
        for polygon in first..first + cell.polygon_count as usize {
            match locate_in_rings(self.polygon_rings(polygon), p) {
                Location::Boundary => return Location::Boundary,
                Location::Inside => best = Location::Inside,
                Location::Outside => {}
            }
        }
        best
    }

    fn distance_sq(&self, cell: &CellRecord, p: FixedPoint, kx: f64, ky: f64) -> f64 {
        let first = cell.first_polygon as usize;
        let mut best = f64::INFINITY;
        for polygon in first..first + cell.polygon_count as usize {
            for ring in self.polygon_rings(polygon) {
                let Some(&last) = ring.last() else { continue };
                let mut a = last;
                for &b in ring {
                    best = best.min(segment_distance_sq(a, b, p, kx, ky));
                    a = b;
                }
            }
        }
        best
    }

    fn nearest(&self, p: FixedPoint) -> Route {
        let (kx, ky) = metres_per_unit(p.y);
        let reach = |k: f64| ((self.tolerance_m / k).ceil() + 1.0).min(f64::from(i32::MAX / 4)) as i32;
        let query = FixedBox { min_x: p.x, min_y: p.y, max_x: p.x, max_y: p.y }.grown(reach(kx), reach(ky));
        let Some(range) = self.buckets.range(&query) else {
            return Route::Unroutable;
        };
        let mut best: Option<(f64, usize)> = None;
        for row in range.y0..=range.y1 {
            for column in range.x0..=range.x1 {
                for &i in self.buckets.bucket(column, row) {
                    let i = i as usize;
                    let Some(cell) = self.cells.get(i) else { continue };
                    // A cell sits in several buckets: visit it only in the first one it shares
                    // with the query.
                    let first_column = self.buckets.column(cell.bbox.min_x).max(range.x0);
                    let first_row = self.buckets.row(cell.bbox.min_y).max(range.y0);
                    if column != first_column || row != first_row || !cell.bbox.intersects(&query) {
                        continue;
                    }
                    let d = self.distance_sq(cell, p, kx, ky);
                    let better = match best {
                        None => true,
                        Some((best_d, best_i)) => d < best_d || (d == best_d && i < best_i),
                    };
                    if better {
                        best = Some((d, i));
                    }
                }
            }
        }
        match best {
            Some((d, i)) if d <= self.tolerance_m * self.tolerance_m => {
                Route::Cell { code: self.cells[i].code, how: How::Nearest { distance_m: d.sqrt() } }
            }
            _ => Route::Unroutable,
        }
    }
}
