//! Fixed-point coordinates (1e-7 degree integer units, about 1 cm) and the exact predicates the
//! router is built on. Integer orientation tests make "on the edge" an exact question with the
//! same answer on every CPU; the few floating-point steps (distances) use only IEEE basic
//! operations, which are correctly rounded everywhere, and never `libm` functions whose last
//! bit may differ between platforms.

use crate::geo::EARTH_RADIUS_M;

/// Integer units per degree.
pub const UNITS_PER_DEGREE: f64 = 1e7;

/// Metres per degree of latitude on the sphere of [`EARTH_RADIUS_M`].
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A position in 1e-7 degree units: `x` is longitude, `y` latitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FixedPoint {
    pub x: i32,
    pub y: i32,
}

impl FixedPoint {
    /// Quantise degrees; `None` when not finite or off the globe. Rounding a product is exact
    /// IEEE arithmetic, so every platform gets the same integers.
    pub fn from_degrees(lon: f64, lat: f64) -> Option<Self> {
        if !lon.is_finite()
            || !lat.is_finite()
            || !(-180.0..=180.0).contains(&lon)
            || !(-90.0..=90.0).contains(&lat)
        {
            return None;
        }
        Some(Self { x: (lon * UNITS_PER_DEGREE).round() as i32, y: (lat * UNITS_PER_DEGREE).round() as i32 })
    }

    /// Back to degrees `[lon, lat]`; quantising the result gives `self` again.
    pub fn to_degrees(self) -> [f64; 2] {
        [f64::from(self.x) / UNITS_PER_DEGREE, f64::from(self.y) / UNITS_PER_DEGREE]
    }
}

/// An axis-aligned box in fixed units, bounds included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedBox {
    pub min_x: i32,
    pub min_y: i32,
    pub max_x: i32,
    pub max_y: i32,
}

impl FixedBox {
    pub const EMPTY: FixedBox =
        FixedBox { min_x: i32::MAX, min_y: i32::MAX, max_x: i32::MIN, max_y: i32::MIN };

    pub fn extend(&mut self, p: FixedPoint) {
        self.min_x = self.min_x.min(p.x);
        self.min_y = self.min_y.min(p.y);
        self.max_x = self.max_x.max(p.x);
        self.max_y = self.max_y.max(p.y);
    }

    pub fn union(&mut self, other: &FixedBox) {
        self.min_x = self.min_x.min(other.min_x);
        self.min_y = self.min_y.min(other.min_y);
        self.max_x = self.max_x.max(other.max_x);
        self.max_y = self.max_y.max(other.max_y);
    }

    pub fn is_empty(&self) -> bool {
        self.min_x > self.max_x || self.min_y > self.max_y
    }

    #[inline]
    pub fn contains(&self, p: FixedPoint) -> bool {
        p.x >= self.min_x && p.x <= self.max_x && p.y >= self.min_y && p.y <= self.max_y
    }

    pub fn intersects(&self, other: &FixedBox) -> bool {
        self.min_x <= other.max_x
            && other.min_x <= self.max_x
            && self.min_y <= other.max_y
            && other.min_y <= self.max_y
    }

    /// The box grown by `dx`, `dy` units on each side (saturating).
    pub fn grown(&self, dx: i32, dy: i32) -> FixedBox {
        FixedBox {
            min_x: self.min_x.saturating_sub(dx),
            min_y: self.min_y.saturating_sub(dy),
            max_x: self.max_x.saturating_add(dx),
            max_y: self.max_y.saturating_add(dy),
        }
    }
}

/// Twice the signed area of triangle `a b p`: positive when `p` is left of `a → b`, zero when
/// the three are collinear. Exact: 64-bit differences, 128-bit products.
#[inline]
pub fn orient(a: FixedPoint, b: FixedPoint, p: FixedPoint) -> i128 {
    let (abx, aby) = (i64::from(b.x) - i64::from(a.x), i64::from(b.y) - i64::from(a.y));
    let (apx, apy) = (i64::from(p.x) - i64::from(a.x), i64::from(p.y) - i64::from(a.y));
    i128::from(abx) * i128::from(apy) - i128::from(aby) * i128::from(apx)
}

/// Where a point lies relative to an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Outside,
    /// On an edge or a vertex (exactly, in fixed units).
    Boundary,
    /// Strictly inside.
    Inside,
}

/// Locate `p` in a polygon given as rings (exterior first, then holes), each implicitly closed
/// (no repeated closing vertex). Even-odd crossing count with a ray towards +x, half-open in y
/// so that a vertex is counted once; any exact contact with an edge is reported as boundary.
#[inline]
pub fn locate_in_rings<'a>(rings: impl Iterator<Item = &'a [FixedPoint]>, p: FixedPoint) -> Location {
    locate_scaled(rings, i64::from(p.x), i64::from(p.y), 1)
}

/// Locate the midpoint of `a b` exactly, by working in doubled coordinates.
pub fn locate_midpoint_in_rings<'a>(
    rings: impl Iterator<Item = &'a [FixedPoint]>,
    a: FixedPoint,
    b: FixedPoint,
) -> Location {
    locate_scaled(rings, i64::from(a.x) + i64::from(b.x), i64::from(a.y) + i64::from(b.y), 2)
}

/// [`locate_in_rings`] for the point `(px, py) / scale`, with the rings multiplied by `scale`.
#[inline(always)]
fn locate_scaled<'a>(
    rings: impl Iterator<Item = &'a [FixedPoint]>,
    px: i64,
    py: i64,
    scale: i64,
) -> Location {
    let mut inside = false;
    for ring in rings {
        let Some(&last) = ring.last() else { continue };
        let (mut ax, mut ay) = (i64::from(last.x) * scale, i64::from(last.y) * scale);
        for &b in ring {
            let (bx, by) = (i64::from(b.x) * scale, i64::from(b.y) * scale);
            if bx == px && by == py {
                return Location::Boundary;
            }
            if (ay > py) != (by > py) {
                let o = i128::from(bx - ax) * i128::from(py - ay) - i128::from(by - ay) * i128::from(px - ax);
                if o == 0 {
                    return Location::Boundary;
                }
                if (o > 0) == (by > ay) {
                    inside = !inside;
                }
            } else if ay == py && by == py && (ax.min(bx)..=ax.max(bx)).contains(&px) {
                return Location::Boundary;
            }
            (ax, ay) = (bx, by);
        }
    }
    if inside { Location::Inside } else { Location::Outside }
}

/// `cos` of an angle in degrees in [-90, 90] from a Taylor series in IEEE basic operations
/// only, so it is bit-identical on every platform (unlike `f64::cos`). Error below 1e-14.
pub fn cos_degrees(degrees: f64) -> f64 {
    let x = degrees.clamp(-90.0, 90.0) * (std::f64::consts::PI / 180.0);
    let x2 = x * x;
    // cos x = sum (-1)^k x^2k / (2k)!, evaluated from the highest term down.
    let mut sum = 0.0;
    let mut k = 12u32;
    while k > 0 {
        let denominator = f64::from((2 * k - 1) * (2 * k));
        sum = 1.0 - x2 / denominator * sum;
        k -= 1;
    }
    sum.max(0.0)
}

/// Metres per fixed unit along x (longitude) and y (latitude) around latitude `y`.
pub fn metres_per_unit(y: i32) -> (f64, f64) {
    let ky = METRES_PER_DEGREE / UNITS_PER_DEGREE;
    let kx = ky * cos_degrees(f64::from(y) / UNITS_PER_DEGREE).max(1e-6);
    (kx, ky)
}

/// Squared distance in square metres from `p` to segment `a b`, with metres per unit `kx`,
/// `ky`. The segment is taken in a canonical direction so that the two cells sharing an edge
/// compute bit-identical distances, and the closest point is an exact endpoint when the
/// projection falls outside the segment.
#[inline]
pub fn segment_distance_sq(a: FixedPoint, b: FixedPoint, p: FixedPoint, kx: f64, ky: f64) -> f64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let ax = (i64::from(a.x) - i64::from(p.x)) as f64 * kx;
    let ay = (i64::from(a.y) - i64::from(p.y)) as f64 * ky;
    let bx = (i64::from(b.x) - i64::from(p.x)) as f64 * kx;
    let by = (i64::from(b.y) - i64::from(p.y)) as f64 * ky;
    let (dx, dy) = (bx - ax, by - ay);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 { -(ax * dx + ay * dy) / len_sq } else { 0.0 };
    let (cx, cy) = if t <= 0.0 {
        (ax, ay)
    } else if t >= 1.0 {
        (bx, by)
    } else {
        (ax + t * dx, ay + t * dy)
    };
    cx * cx + cy * cy
}

/// Whether segments `a b` and `c d` share any point (touching and collinear overlap count).
pub fn segments_touch(a: FixedPoint, b: FixedPoint, c: FixedPoint, d: FixedPoint) -> bool {
    let (o1, o2) = (orient(a, b, c).signum(), orient(a, b, d).signum());
    let (o3, o4) = (orient(c, d, a).signum(), orient(c, d, b).signum());
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Whether segments `a b` and `c d` cross at a single point interior to both.
pub fn segments_cross(a: FixedPoint, b: FixedPoint, c: FixedPoint, d: FixedPoint) -> bool {
    let (o1, o2) = (orient(a, b, c).signum(), orient(a, b, d).signum());
    let (o3, o4) = (orient(c, d, a).signum(), orient(c, d, b).signum());
    o1 * o2 < 0 && o3 * o4 < 0
}

/// For `p` collinear with `a b`: whether it lies within the segment's extent.
fn on_segment(a: FixedPoint, b: FixedPoint, p: FixedPoint) -> bool {
    (a.x.min(b.x)..=a.x.max(b.x)).contains(&p.x) && (a.y.min(b.y)..=a.y.max(b.y)).contains(&p.y)
}

/// Signed area of a ring in square metres (positive when counter-clockwise), in a local
/// equirectangular projection at the ring's first vertex.
pub fn ring_area_m2(ring: &[FixedPoint]) -> f64 {
    let Some(&origin) = ring.first() else { return 0.0 };
    let (kx, ky) = metres_per_unit(origin.y);
    let mut twice = 0i128;
    let mut previous = ring[ring.len() - 1];
    for &current in ring {
        let (x1, y1) =
            (i64::from(previous.x) - i64::from(origin.x), i64::from(previous.y) - i64::from(origin.y));
        let (x2, y2) =
            (i64::from(current.x) - i64::from(origin.x), i64::from(current.y) - i64::from(origin.y));
        twice += i128::from(x1) * i128::from(y2) - i128::from(x2) * i128::from(y1);
        previous = current;
    }
    twice as f64 / 2.0 * kx * ky
}
