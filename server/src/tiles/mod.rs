//! Vector tiles (`GET /tiles/{layer}/{z}/{x}/{y}.mvt`) of incidents, grid cells and regions,
//! generated from the in-memory indexes with the same filters as the JSON API.
//!
//! - `incidents`: raw points (id, category, status, severity, occurred_at) when the tile itself
//!   holds at most [`RAW_POINTS_MAX`] matches or from zoom [`RAW_ZOOM`]; otherwise binned on a
//!   64×64 grid per tile (`count`, dominant `category`, `cluster = true`, at the bin's centre),
//!   counted by [`crate::count_pyramid`] without reading the points.
//! - `cells`: polygons with `count`, `incidents_per_10k`, `change_pct_prev` (环比),
//!   `change_pct_yoy` (同比) for the window.
//! - `regions`: `regions` polygons (county always, townships from z8, villages from z10) and
//!   `region_labels` points.
//!
//! Polygons are simplified per zoom band once at start-up and clipped to each tile's buffered
//! extent. Tiles are `Cache-Control: private`.

pub mod mvt;

use crate::api::error::AppError;
use crate::api::params::Params;
use crate::count_pyramid::{TILE_BINS, TileBins};
use crate::geography::Geography;
use crate::incident_index::{Bbox, CategorySet, IncidentFilter};
use crate::shared_results::SharedResults;
use crate::state::AppState;
use analytics::clip::clip_ring;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use geo::{BoundingRect, Coord, InteriorPoint, MultiPolygon, Simplify};
use model::{Category, RegionLevel};
use mvt::{EXTENT, Layer, Value};
use store::StoreError;

/// Media type of a vector tile.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// From this zoom incidents are always raw points.
pub const RAW_ZOOM: u8 = 16;
/// Below [`RAW_ZOOM`], a tile with more matches than this is binned.
pub const RAW_POINTS_MAX: usize = 5_000;
/// Deepest zoom served.
pub const MAX_ZOOM: u8 = 20;
/// Side of a cluster cell in tile pixels.
pub const BIN_PX: f64 = EXTENT as f64 / TILE_BINS as f64;
/// Buffer around a tile, in tile units, so shapes continue under neighbours' edges.
const BUFFER: f64 = 64.0;
/// Zooms at which simplified geometry versions are made; from the last one up, originals.
const SIMPLIFY_ZOOMS: [u8; 5] = [4, 6, 8, 10, 12];

/// A tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row (XYZ, 0 at the north).
    pub y: u32,
}

impl TileId {
    /// Parses `z`, `x` and `y.mvt`, checking the ranges.
    pub fn parse(z: &str, x: &str, y_file: &str) -> Result<TileId, AppError> {
        let y = y_file.strip_suffix(".mvt").ok_or_else(|| AppError::bad("y", "tile paths end in .mvt"))?;
        let z: u8 = z
            .parse()
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or_else(|| AppError::bad("z", format!("zoom must be 0…{MAX_ZOOM}")))?;
        let n = 1u64 << z;
        let x: u32 = x
            .parse()
            .ok()
            .filter(|x| u64::from(*x) < n)
            .ok_or_else(|| AppError::bad("x", "column outside the zoom level"))?;
        let y: u32 = y
            .parse()
            .ok()
            .filter(|y| u64::from(*y) < n)
            .ok_or_else(|| AppError::bad("y", "row outside the zoom level"))?;
        Ok(TileId { z, x, y })
    }

    /// Web-Mercator position of a WGS84 point in this tile's units (0…EXTENT, y down).
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let n = f64::from(1u32 << self.z);
        let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        let wx = (lon + 180.0) / 360.0 * n;
        let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
        ((wx - f64::from(self.x)) * f64::from(EXTENT), (wy - f64::from(self.y)) * f64::from(EXTENT))
    }

    /// WGS84 bounds, grown by `buffer` tile units on every side.
    pub fn bounds(&self, buffer: f64) -> Bbox {
        let n = f64::from(1u32 << self.z);
        let b = buffer / f64::from(EXTENT);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        Bbox {
            min_lon: lon(f64::from(self.x) - b),
            max_lon: lon(f64::from(self.x) + 1.0 + b),
            min_lat: lat(f64::from(self.y) + 1.0 + b),
            max_lat: lat(f64::from(self.y) - b),
        }
    }
}

/// A polygon prepared for tiling: its bbox and simplified versions per zoom band.
struct Shape {
    bbox: Bbox,
    versions: Vec<MultiPolygon<f64>>,
}

impl Shape {
    fn new(mp: &MultiPolygon<f64>) -> Shape {
        let bbox = mp.bounding_rect().map_or(Bbox { min_lon: 0.0, min_lat: 0.0, max_lon: 0.0, max_lat: 0.0 }, |r| {
            Bbox { min_lon: r.min().x, min_lat: r.min().y, max_lon: r.max().x, max_lat: r.max().y }
        });
        let mut versions: Vec<MultiPolygon<f64>> = SIMPLIFY_ZOOMS[..SIMPLIFY_ZOOMS.len() - 1]
            .iter()
            .map(|&z| {
                // Half a tile unit at the band's lowest zoom: invisible at every zoom of the band.
                let epsilon_deg = 360.0 / f64::from(1u32 << z) / f64::from(EXTENT) * 0.5;
                mp.simplify(epsilon_deg)
            })
            .collect();
        versions.push(mp.clone());
        Shape { bbox, versions }
    }

    fn at_zoom(&self, z: u8) -> &MultiPolygon<f64> {
        let band = SIMPLIFY_ZOOMS.iter().rposition(|&b| z >= b).unwrap_or(0);
        &self.versions[band.min(self.versions.len() - 1)]
    }

    fn meets(&self, b: &Bbox) -> bool {
        self.bbox.min_lon <= b.max_lon
            && self.bbox.max_lon >= b.min_lon
            && self.bbox.min_lat <= b.max_lat
            && self.bbox.max_lat >= b.min_lat
    }
}

/// Geometry prepared for tiles, parallel to the geography's regions and cells.
pub struct TileShapes {
    regions: Vec<Shape>,
    region_labels: Vec<Option<Coord<f64>>>,
    cells: Vec<Shape>,
}

impl TileShapes {
    /// Prepares every region and cell (simplification per zoom band, label points).
    pub fn new(g: &Geography) -> TileShapes {
        TileShapes {
            regions: g.regions().iter().map(|r| Shape::new(&r.boundary)).collect(),
            region_labels: g.regions().iter().map(|r| r.boundary.interior_point().map(|p| p.0)).collect(),
            cells: g.cells().iter().map(|c| Shape::new(&c.boundary)).collect(),
        }
    }
}

/// (from, to, categories, index version, scope) of a window's per-cell counts.
type CountsKey = (i64, i64, Option<CategorySet>, u64, crate::incident_index::CellScope);

/// Recent windows' per-cell counts for cell tiles: each tile needs three windows (the window,
/// its previous window and the same window a year before), a map view asks for a dozen tiles at
/// once, and the index changes with every new incident (the key's version). The counts of a
/// window the database answers are kept apart, across versions (`AppState::cell_counts`).
pub type CountsCache = SharedResults<CountsKey, Vec<u32>>;

/// The [`CountsCache`] of a server: three windows each of the latest eight views.
pub fn counts_cache() -> CountsCache {
    SharedResults::new(24, std::time::Duration::from_secs(600))
}

fn to_tile_rings(tile: &TileId, mp: &MultiPolygon<f64>) -> Vec<Vec<Vec<[i32; 2]>>> {
    let (min, max) =
        (Coord { x: -BUFFER, y: -BUFFER }, Coord { x: f64::from(EXTENT) + BUFFER, y: f64::from(EXTENT) + BUFFER });
    mp.0.iter()
        .map(|poly| {
            std::iter::once(poly.exterior())
                .chain(poly.interiors())
                .map(|ring| {
                    let projected: Vec<Coord<f64>> = ring
                        .0
                        .iter()
                        .map(|c| {
                            let (x, y) = tile.project(c.x, c.y);
                            Coord { x, y }
                        })
                        .collect();
                    clip_ring(&projected, min, max).iter().map(|c| [c.x.round() as i32, c.y.round() as i32]).collect()
                })
                .collect()
        })
        .collect()
}

fn pct_change(now: u32, before: u32) -> Option<f64> {
    (before > 0).then(|| ((f64::from(now) - f64::from(before)) / f64::from(before) * 1000.0).round() / 10.0)
}

fn tile_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, MVT_TYPE), (header::CACHE_CONTROL, "private, max-age=60")], body).into_response()
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(s): State<AppState>,
    caller: crate::auth::Caller,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let id = TileId::parse(&z, &x, &y)?;
    let mut p = Params::parse(q.as_deref());
    // `world=N`: the published version the client shows, in the URL so that a new version is
    // fetched afresh past the browser's cache; a tile is always of the world this server loaded.
    if let Some(v) = p.one("world")? {
        v.parse::<u32>().map_err(|_| AppError::bad("world", "world: a version number"))?;
    }
    let body = match layer.as_str() {
        "incidents" => {
            let query = p.incident_query(true)?;
            p.finish()?;
            let mut filter = query.filter(&s.geography, &caller.scope)?;
            filter.bbox = Some(id.bounds(BUFFER));
            s.incidents_tile(&id, &filter).await?
        }
        "cells" => {
            let mut query = p.incident_query(false)?;
            p.finish()?;
            let to = query.to.unwrap_or_else(|| s.clock.now());
            let from = query.from.unwrap_or(to - Duration::days(crate::api::DEFAULT_WINDOW_DAYS));
            (query.from, query.to) = (Some(from), Some(to));
            let filter = query.filter(&s.geography, &caller.scope)?;
            cells_tile(&s, &id, &filter).await?
        }
        "regions" => {
            p.finish()?;
            regions_tile(&s, &id, &caller.scope)
        }
        other => {
            return Err(AppError::NotFound {
                message: format!("no tile layer {other:?}; layers are incidents, cells, regions"),
                field: Some("layer".into()),
            });
        }
    };
    Ok(tile_response(body))
}

/// Encodes the incidents of `filter` (which carries the tile's buffered bounds): binned when
/// the tile itself holds more than [`RAW_POINTS_MAX`] below [`RAW_ZOOM`], each bin a point at
/// its centre; otherwise every point, the buffer's too.
pub fn incidents_tile(s: &AppState, id: &TileId, filter: &IncidentFilter) -> Vec<u8> {
    let mut layer = Layer::new("incidents");
    let index = s.index();
    // Counted without reading the points (the count pyramid, or past it the Morton-ordered
    // records); otherwise the points are read once, for the bins and for the points.
    let from_pyramid = id.z < RAW_ZOOM && filter.statuses.is_none();
    let bins = from_pyramid.then(|| index.tile_bins(id.z, id.x, id.y, filter));
    let mut hits = Vec::new();
    if !from_pyramid {
        index.for_each(filter, |p| hits.push(*p));
    }
    drop(index);
    if id.z < RAW_ZOOM {
        let bins = bins.unwrap_or_else(|| {
            let mut b = TileBins::new(Category::count());
            for p in &hits {
                b.add_point(id.z, id.x, id.y, p);
            }
            b
        });
        if bins.total() > RAW_POINTS_MAX as u64 {
            add_bins(&mut layer, &bins);
            return mvt::encode(&[layer]);
        }
    }
    if from_pyramid {
        s.index().for_each(filter, |p| hits.push(*p));
    }
    hits.sort_unstable_by_key(|p| (p.occurred_s, p.id.0));
    for p in &hits {
        let (x, y) = id.project(p.lon, p.lat);
        layer.add_point(
            Some(p.id.0),
            x.round() as i32,
            y.round() as i32,
            &[
                ("id", Value::Int(p.id.0 as i64)),
                ("category", Value::Str(p.category.as_str().into())),
                ("status", Value::Str(p.status.as_str().into())),
                ("severity", Value::Str(p.severity.as_str().into())),
                ("occurred_at", Value::Int(p.occurred_s)),
                ("count", Value::Int(1)),
                ("cluster", Value::Bool(false)),
            ],
        );
    }
    mvt::encode(&[layer])
}

/// One point per non-empty bin, at the bin's centre, with its count and most frequent category.
fn add_bins(layer: &mut Layer, bins: &TileBins) {
    let side = EXTENT / TILE_BINS;
    for (bx, by, n, category) in bins.bins() {
        let category = Category::from_index(category).map_or("other", Category::as_str);
        layer.add_point(
            None,
            (bx * side + side / 2) as i32,
            (by * side + side / 2) as i32,
            &[
                ("count", Value::Int(i64::from(n))),
                ("category", Value::Str(category.into())),
                ("cluster", Value::Bool(true)),
            ],
        );
    }
}

/// Encodes cells with their counts for `filter`'s window (which must have `from` and `to`).
pub async fn cells_tile(s: &AppState, id: &TileId, filter: &IncidentFilter) -> Result<Vec<u8>, StoreError> {
    let (from, to) = (filter.from_s.unwrap_or(0), filter.to_s.unwrap_or(0));
    let version = s.index().version();
    // A window's counts per cell over the whole scope (the tile draws its own cells), by the
    // fields of its key only.
    let counts_of = |(a, b): (i64, i64)| {
        let window = IncidentFilter {
            from_s: Some(a),
            to_s: Some(b),
            categories: filter.categories,
            ..IncidentFilter::new(filter.scope.clone())
        };
        let key = (a, b, filter.categories, version, filter.scope.clone());
        async move { s.tile_counts.get_or_compute(key, std::time::Instant::now(), || s.cell_counts(&window)).await }
    };
    let year = 365 * 86_400;
    // For a year's window the previous window is the same window a year before: one key.
    let (now, prev, yoy) = (
        counts_of((from, to)).await?,
        counts_of((from - (to - from), from)).await?,
        counts_of((from - year, to - year)).await?,
    );
    let bounds = id.bounds(BUFFER);
    let mut layer = Layer::new("cells");
    let range = filter.cells.clone().unwrap_or(0..s.geography.cells().len() as u32);
    let mut candidates: Vec<u32> = s
        .geography
        .cells_in_box([bounds.min_lon, bounds.min_lat], [bounds.max_lon, bounds.max_lat])
        .filter(|i| range.contains(i) && filter.scope.contains(*i))
        .collect();
    candidates.sort_unstable();
    for i in candidates {
        let cell = &s.geography.cells()[i as usize];
        let rings = to_tile_rings(id, s.tiles.cells[i as usize].at_zoom(id.z));
        let (now, prev, yoy) = (now[i as usize], prev[i as usize], yoy[i as usize]);
        let pop = cell.cell.population;
        let mut props = vec![
            ("code", Value::Str(cell.cell.code.to_string().into())),
            ("name", Value::Str(cell.cell.name.clone().into())),
            ("count", Value::Int(i64::from(now))),
            ("population", Value::Int(pop as i64)),
            ("incidents_per_10k", Value::Double(model::scorecard::per_10k(u64::from(now), pop))),
        ];
        if let Some(c) = pct_change(now, prev) {
            props.push(("change_pct_prev", Value::Double(c)));
        }
        if let Some(c) = pct_change(now, yoy) {
            props.push(("change_pct_yoy", Value::Double(c)));
        }
        layer.add_polygon(Some(cell.cell.code.as_u64()), &rings, &props);
    }
    Ok(mvt::encode(&[layer]))
}

/// The deepest region level drawn at a zoom.
pub fn region_level_at(z: u8) -> RegionLevel {
    match z {
        0..8 => RegionLevel::County,
        8..10 => RegionLevel::Township,
        _ => RegionLevel::Village,
    }
}

/// Encodes region boundaries and label points down to [`region_level_at`] the tile's zoom,
/// inside `scope` (a county user sees their county and what lies in it).
pub fn regions_tile(s: &AppState, id: &TileId, scope: &model::scope::Scope) -> Vec<u8> {
    let bounds = id.bounds(BUFFER);
    let deepest = region_level_at(id.z);
    let mut polygons = Layer::new("regions");
    let mut labels = Layer::new("region_labels");
    for (i, r) in s.geography.regions().iter().enumerate() {
        let level = r.region.level;
        if level == RegionLevel::City
            || level > deepest
            || !s.tiles.regions[i].meets(&bounds)
            || !scope.allows_region(r.region.code)
        {
            continue;
        }
        let props = [
            ("code", Value::Str(r.region.code.to_string().into())),
            ("name", Value::Str(r.region.name.clone().into())),
            ("level", Value::Str(level.as_str().into())),
        ];
        polygons.add_polygon(
            Some(r.region.code.as_u64()),
            &to_tile_rings(id, s.tiles.regions[i].at_zoom(id.z)),
            &props,
        );
        if let Some(c) = s.tiles.region_labels[i] {
            let (x, y) = id.project(c.x, c.y);
            if (0.0..f64::from(EXTENT)).contains(&x) && (0.0..f64::from(EXTENT)).contains(&y) {
                labels.add_point(Some(r.region.code.as_u64()), x.round() as i32, y.round() as i32, &props);
            }
        }
    }
    mvt::encode(&[polygons, labels])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_math_round_trips() {
        let t = TileId { z: 10, x: 803, y: 395 };
        let b = t.bounds(0.0);
        let (x0, y0) = t.project(b.min_lon, b.max_lat);
        let (x1, y1) = t.project(b.max_lon, b.min_lat);
        assert!(x0.abs() < 1e-6 && y0.abs() < 1e-6, "{x0},{y0}");
        assert!((x1 - 4096.0).abs() < 1e-6 && (y1 - 4096.0).abs() < 1e-6, "{x1},{y1}");
        // Wuwei's centre lies in this z10 tile.
        let (x, y) = t.project(102.64, 37.93);
        assert!((0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y), "{x},{y}");
    }

    #[test]
    fn tile_ids_are_validated() {
        assert!(TileId::parse("10", "803", "395.mvt").is_ok());
        assert!(TileId::parse("10", "1024", "395.mvt").is_err());
        assert!(TileId::parse("21", "0", "0.mvt").is_err());
        assert!(TileId::parse("3", "0", "0.png").is_err());
        assert!(TileId::parse("a", "0", "0.mvt").is_err());
    }
}
