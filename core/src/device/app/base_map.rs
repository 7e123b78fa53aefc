//! The base map under the grid cells: pluggable by the platform, with the offline grid package
//! as the default. Without a provider the new-report map is the cells themselves (outlines,
//! names, the routed cell lit), which needs no tile server and works offline. A city that has
//! a base map (an offline tile extract shipped with its build, or its own tile server) plugs
//! it in as a [`BaseMapProvider`]: the core works out which Web Mercator tiles (the "slippy
//! map" z/x/y scheme every tile source uses) cover the map's view and asks the provider for
//! each one's image; the shell draws them under the cells at the bounds the core gives.

use std::f64::consts::PI;

use super::new_report::MapPoint;

/// The equator's length in metres (WGS-84), which one tile spans at zoom 0.
const EQUATOR_M: f64 = 40_075_016.686;
/// The deepest zoom tile sources serve.
const MAX_ZOOM: u8 = 19;
/// Tiles across the view's width: a view spans about two tiles, so a screen is sharp without
/// asking for many.
const TILES_ACROSS: f64 = 2.0;
/// The most tiles one view asks for.
const MAX_TILES: usize = 36;

/// A source of base-map tiles, implemented by the shell.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait BaseMapProvider: Send + Sync {
    /// The image of tile `x`, `y` at `zoom` (Web Mercator, the slippy-map scheme) as the shell
    /// draws it: a file path, a `file://` or an `https://` URL; `None` where it has none (the
    /// cells are drawn anyway). Called while rendering: answer from what is at hand, never
    /// block on a download.
    fn tile(&self, zoom: u8, x: u32, y: u32) -> Option<String>;
}

/// One base-map tile to draw under the cells, with where it goes (WGS-84 bounds).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BaseTile {
    /// What the provider answered for the tile.
    pub source: String,
    pub zoom: u8,
    pub x: u32,
    pub y: u32,
    /// The north-west corner.
    pub north_west: MapPoint,
    /// The south-east corner.
    pub south_east: MapPoint,
}

fn tile_x(lon: f64, n: f64) -> f64 {
    (lon + 180.0) / 360.0 * n
}

fn tile_y(lat: f64, n: f64) -> f64 {
    // Web Mercator stops at about ±85.0511°.
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n
}

fn lon_of(x: f64, n: f64) -> f64 {
    x / n * 360.0 - 180.0
}

fn lat_of(y: f64, n: f64) -> f64 {
    (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees()
}

/// The zoom at which a view `span_m` across at latitude `lat` spans about [`TILES_ACROSS`]
/// tiles.
pub(crate) fn zoom_for(span_m: f64, lat: f64) -> u8 {
    let tile_m = span_m / TILES_ACROSS;
    let ground = EQUATOR_M * lat.to_radians().cos().max(0.01);
    let zoom = (ground / tile_m.max(1.0)).log2().floor();
    // A float within 0..=19 after the clamp, so the cast cannot truncate.
    zoom.clamp(0.0, f64::from(MAX_ZOOM)) as u8
}

/// The tiles covering a view `span_m` across around `centre`, as `provider` has them.
pub(crate) fn tiles(provider: &dyn BaseMapProvider, centre: MapPoint, span_m: f64) -> Vec<BaseTile> {
    let zoom = zoom_for(span_m, centre.lat);
    let n = f64::from(1_u32 << zoom);
    let half_lat = span_m / 2.0 / 111_320.0;
    let half_lon = span_m / 2.0 / (111_320.0 * centre.lat.to_radians().cos().max(0.01));
    let last = (1_u32 << zoom) - 1;
    // Within 0..n after the clamp, so the casts cannot truncate or wrap.
    let index = |t: f64| t.floor().clamp(0.0, f64::from(last)) as u32;
    let (x0, x1) = (index(tile_x(centre.lon - half_lon, n)), index(tile_x(centre.lon + half_lon, n)));
    let (y0, y1) = (index(tile_y(centre.lat + half_lat, n)), index(tile_y(centre.lat - half_lat, n)));
    let mut out = Vec::new();
    for y in y0..=y1 {
        for x in x0..=x1 {
            if out.len() == MAX_TILES {
                return out;
            }
            let Some(source) = provider.tile(zoom, x, y) else { continue };
            let (fx, fy) = (f64::from(x), f64::from(y));
            out.push(BaseTile {
                source,
                zoom,
                x,
                y,
                north_west: MapPoint { lat: lat_of(fy, n), lon: lon_of(fx, n) },
                south_east: MapPoint { lat: lat_of(fy + 1.0, n), lon: lon_of(fx + 1.0, n) },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Every;
    impl BaseMapProvider for Every {
        fn tile(&self, zoom: u8, x: u32, y: u32) -> Option<String> {
            Some(format!("tiles/{zoom}/{x}/{y}.png"))
        }
    }

    struct OnlyEvenColumns;
    impl BaseMapProvider for OnlyEvenColumns {
        fn tile(&self, _: u8, x: u32, _: u32) -> Option<String> {
            x.is_multiple_of(2).then(|| x.to_string())
        }
    }

    #[test]
    fn the_tiles_cover_the_view_and_hold_its_centre() {
        let centre = MapPoint { lat: 31.2304, lon: 121.4737 };
        let tiles = tiles(&Every, centre, 600.0);
        assert!((2..=MAX_TILES).contains(&tiles.len()), "{}", tiles.len());
        // Shanghai at 600 m across: zoom 16 (a tile is about 520 m wide there).
        assert_eq!(tiles[0].zoom, 16);
        let holds = |t: &BaseTile, p: MapPoint| {
            t.north_west.lat >= p.lat
                && p.lat >= t.south_east.lat
                && t.north_west.lon <= p.lon
                && p.lon <= t.south_east.lon
        };
        assert!(tiles.iter().any(|t| holds(t, centre)));
        assert_eq!(tiles[0].source, format!("tiles/16/{}/{}.png", tiles[0].x, tiles[0].y));
        // The slippy-map numbering of the tile holding the centre (the OSM wiki formulas).
        let at_centre = tiles.iter().find(|t| holds(t, centre)).unwrap();
        assert_eq!((at_centre.x, at_centre.y), (54881, 26778));
    }

    #[test]
    fn zoom_follows_the_span_within_the_sources_range() {
        assert_eq!(zoom_for(20_000.0, 31.0), 11);
        assert_eq!(zoom_for(1.0, 31.0), MAX_ZOOM);
        assert_eq!(zoom_for(1.0e9, 0.0), 0);
    }

    #[test]
    fn tiles_the_provider_lacks_are_left_out() {
        let centre = MapPoint { lat: 31.2304, lon: 121.4737 };
        assert!(tiles(&OnlyEvenColumns, centre, 2000.0).iter().all(|t| t.x % 2 == 0));
    }
}
