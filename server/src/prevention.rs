//! Prevention coverage of the three-dimensional system per cell (the adapter around
//! `analytics::coverage`): human (人防: grid workers, the village officers' share, stations,
//! patrol units based there, planned patrol visits), physical (物防: checkpoints; key places are
//! places to protect and add nothing) and technical (技防: camera view sectors clipped by range and field of
//! view, alarms) resources against risk (recent incidents), the gap between them, hot spots that
//! no camera sees (blind spots), and where new cameras or checkpoints would cover the most
//! unprotected incidents (maximal covering, lazy greedy).
//!
//! Each leg is a saturating score `1 − exp(−weighted count)` in 0–1 (the first resource matters
//! most, the tenth little); a cell's camera leg is the share of its recent incidents that happened
//! inside some camera's view (the area share when it had none). Strength is the mean of the three
//! legs; risk is the cell's recent incidents ÷ the busiest cell's; gap = risk × (1 − strength).

use crate::geography::Geography;
use crate::incident_index::IncidentFilter;
use analytics::TransverseMercator;
use analytics::coverage::{CameraSector, camera_coverage, suggest_sites};
use geo::{Area, MapCoords};
use model::{CellCode, ResourceKind};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;
use std::collections::HashMap;

/// Days of incidents that make a cell's risk.
pub const RISK_DAYS: i64 = 90;
/// Sample lattice per cell side for the camera area share.
pub const CAMERA_SAMPLES_PER_SIDE: usize = 8;
/// A hot spot: a cell in this top share of cells by recent incidents (with at least
/// [`HOT_SPOT_MIN_INCIDENTS`]).
pub const HOT_SPOT_SHARE: f64 = 0.10;
/// Fewest recent incidents of a hot spot.
pub const HOT_SPOT_MIN_INCIDENTS: u32 = 3;
/// Radius a suggested camera covers (a dome camera; the demo's cameras see 50–150 m), metres.
pub const CAMERA_SUGGESTION_RADIUS_M: f64 = 100.0;
/// Radius a checkpoint covers, metres.
pub const CHECKPOINT_RADIUS_M: f64 = 500.0;
/// Demand is pooled on a lattice of this spacing before choosing sites, metres.
pub const DEMAND_LATTICE_M: f64 = 50.0;

/// Coverage of one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellCoverage {
    /// The cell.
    pub cell_code: CellCode,
    /// Its name.
    pub name: String,
    /// Incidents in the last [`RISK_DAYS`].
    pub incidents: u32,
    /// Incidents ÷ the busiest cell's (0–1).
    pub risk: f64,
    /// 人防 score (0–1).
    pub human: f64,
    /// 物防 score (0–1).
    pub physical: f64,
    /// 技防 score (0–1).
    pub technical: f64,
    /// Mean of the three legs (0–1).
    pub strength: f64,
    /// risk × (1 − strength).
    pub gap: f64,
    /// Share of the cell's area inside some camera's view.
    pub camera_area_share: f64,
    /// Share of its recent incidents inside some camera's view (None without incidents).
    pub camera_incident_share: Option<f64>,
    /// Counts behind the scores.
    pub counts: ResourceCounts,
    /// In the top [`HOT_SPOT_SHARE`] by incidents.
    pub hot_spot: bool,
}

/// Resources counted in a cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResourceCounts {
    /// Grid workers.
    pub grid_workers: u32,
    /// Village officers' share (officers of the village ÷ its cells).
    pub officers: f64,
    /// Police stations.
    pub stations: u32,
    /// Patrol units based here.
    pub patrol_units: u32,
    /// Patrol visits planned (from the plan the caller passes).
    pub planned_visits: u32,
    /// Checkpoints.
    pub checkpoints: u32,
    /// Key places.
    pub key_places: u32,
    /// Cameras.
    pub cameras: u32,
    /// Alarms.
    pub alarms: u32,
}

fn saturate(x: f64) -> f64 {
    1.0 - (-x).exp()
}

/// Cameras as view sectors in UTM metres, in an R-tree by position.
pub struct CameraViews {
    utm: TransverseMercator,
    sectors: Vec<CameraSector>,
    tree: RTree<GeomWithData<[f64; 2], usize>>,
    max_range_m: f64,
}

impl CameraViews {
    /// The cameras of `geography`.
    pub fn of(geography: &Geography) -> CameraViews {
        let utm = geography.projection();
        let sectors: Vec<CameraSector> = geography
            .resources()
            .iter()
            .filter(|r| r.kind == ResourceKind::Camera)
            .filter_map(|r| {
                let v = r.camera?;
                let (x_m, y_m) = utm.forward(r.lon, r.lat);
                Some(CameraSector { x_m, y_m, heading_deg: v.heading_deg, fov_deg: v.fov_deg, range_m: v.range_m })
            })
            .collect();
        let max_range_m = sectors.iter().map(|c| c.range_m).fold(0.0, f64::max);
        let tree =
            RTree::bulk_load(sectors.iter().enumerate().map(|(i, c)| GeomWithData::new([c.x_m, c.y_m], i)).collect());
        CameraViews { utm, sectors, tree, max_range_m }
    }

    /// Whether some camera sees the WGS84 point.
    pub fn sees(&self, lon: f64, lat: f64) -> bool {
        let (x, y) = self.utm.forward(lon, lat);
        self.tree
            .locate_within_distance([x, y], self.max_range_m * self.max_range_m)
            .any(|g| self.sectors[g.data].contains(x, y))
    }
}

/// Per-cell coverage of `cells` (indexes into `Geography::cells`, the caller's), risk from the
/// incident points `recent` (lon, lat, cell index: the last [`RISK_DAYS`]); `covered` are the
/// villages with an officer now (the desk's assignments).
pub fn cell_coverage(
    geography: &Geography,
    cells: &[u32],
    recent: &[(f64, f64, u32)],
    planned_visits: &HashMap<CellCode, u32>,
    covered: &std::collections::HashSet<model::RegionCode>,
) -> Vec<CellCoverage> {
    let mut slot = vec![usize::MAX; geography.cells().len()];
    for (k, &i) in cells.iter().enumerate() {
        slot[i as usize] = k;
    }
    let mut counts = vec![ResourceCounts::default(); cells.len()];
    for r in geography.resources() {
        let Some(k) = geography.locate(r.lon, r.lat).map(|c| slot[c as usize]).filter(|&k| k != usize::MAX) else {
            continue;
        };
        let c = &mut counts[k];
        match r.kind {
            ResourceKind::GridWorker => c.grid_workers += 1,
            ResourceKind::Station => c.stations += 1,
            ResourceKind::PatrolUnit => c.patrol_units += 1,
            ResourceKind::Checkpoint => c.checkpoints += 1,
            ResourceKind::KeyPlace => c.key_places += 1,
            ResourceKind::Camera => c.cameras += 1,
            ResourceKind::Alarm => c.alarms += 1,
        }
    }
    let mut cells_per_village: HashMap<model::RegionCode, u32> = HashMap::new();
    for &i in cells {
        *cells_per_village.entry(geography.cell_code(i).village()).or_default() += 1;
    }
    for (k, &i) in cells.iter().enumerate() {
        let code = geography.cell_code(i);
        let village = code.village();
        let officers = if covered.contains(&village) { 1.0 } else { 0.0 };
        counts[k].officers = officers / f64::from(cells_per_village.get(&village).copied().unwrap_or(1).max(1));
        counts[k].planned_visits = planned_visits.get(&code).copied().unwrap_or(0);
    }
    // Cameras: area share on a sample lattice, incident share exactly.
    let views = CameraViews::of(geography);
    let mut polygons = Vec::new();
    let mut owner = Vec::new();
    for (k, &i) in cells.iter().enumerate() {
        for p in &geography.cells()[i as usize].boundary.0 {
            polygons.push(p.map_coords(|c| {
                let (x, y) = views.utm.forward(c.x, c.y);
                geo::Coord { x, y }
            }));
            owner.push(k);
        }
    }
    let shares = camera_coverage(&polygons, &views.sectors, CAMERA_SAMPLES_PER_SIDE);
    let mut area = vec![0.0; cells.len()];
    let mut seen_area = vec![0.0; cells.len()];
    for ((p, share), &k) in polygons.iter().zip(&shares).zip(&owner) {
        let a = p.unsigned_area();
        area[k] += a;
        seen_area[k] += a * share;
    }
    let mut incidents = vec![0u32; cells.len()];
    let mut seen = vec![0u32; cells.len()];
    for &(lon, lat, cell) in recent {
        let k = slot[cell as usize];
        if k == usize::MAX {
            continue;
        }
        incidents[k] += 1;
        if views.sees(lon, lat) {
            seen[k] += 1;
        }
    }
    let busiest = incidents.iter().copied().max().unwrap_or(0).max(1);
    let hot_threshold = {
        let mut sorted = incidents.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let n = ((sorted.len() as f64) * HOT_SPOT_SHARE).ceil() as usize;
        sorted.get(n.saturating_sub(1)).copied().unwrap_or(u32::MAX).max(HOT_SPOT_MIN_INCIDENTS)
    };
    cells
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let c = &counts[k];
            let camera_area_share = if area[k] > 0.0 { seen_area[k] / area[k] } else { 0.0 };
            let camera_incident_share = (incidents[k] > 0).then(|| f64::from(seen[k]) / f64::from(incidents[k]));
            let human = saturate(
                f64::from(c.grid_workers) * 0.5
                    + c.officers
                    + f64::from(c.stations)
                    + f64::from(c.patrol_units) * 0.5
                    + f64::from(c.planned_visits) * 0.5,
            );
            let physical = saturate(f64::from(c.checkpoints));
            let camera = camera_incident_share.unwrap_or(camera_area_share);
            let technical = 1.0 - (1.0 - camera) * (1.0 - saturate(f64::from(c.alarms) * 0.5));
            let strength = (human + physical + technical) / 3.0;
            let risk = f64::from(incidents[k]) / f64::from(busiest);
            let cell = &geography.cells()[i as usize].cell;
            CellCoverage {
                cell_code: cell.code,
                name: cell.name.clone(),
                incidents: incidents[k],
                risk,
                human,
                physical,
                technical,
                strength,
                gap: risk * (1.0 - strength),
                camera_area_share,
                camera_incident_share,
                counts: c.clone(),
                hot_spot: incidents[k] >= hot_threshold,
            }
        })
        .collect()
}

/// Hot spots none of whose recent incidents any camera saw, busiest first.
pub fn blind_spots(coverage: &[CellCoverage]) -> Vec<&CellCoverage> {
    let mut out: Vec<&CellCoverage> =
        coverage.iter().filter(|c| c.hot_spot && c.camera_incident_share == Some(0.0)).collect();
    out.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.cell_code.cmp(&b.cell_code)));
    out
}

/// What to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewResource {
    /// Cameras (cover [`CAMERA_SUGGESTION_RADIUS_M`]).
    Camera,
    /// Checkpoints (cover [`CHECKPOINT_RADIUS_M`]).
    Checkpoint,
}

impl NewResource {
    /// Parses the API name.
    pub fn parse(s: &str) -> Option<NewResource> {
        match s {
            "camera" => Some(NewResource::Camera),
            "checkpoint" => Some(NewResource::Checkpoint),
            _ => None,
        }
    }

    /// The radius a new one covers, metres.
    pub fn radius_m(self) -> f64 {
        match self {
            NewResource::Camera => CAMERA_SUGGESTION_RADIUS_M,
            NewResource::Checkpoint => CHECKPOINT_RADIUS_M,
        }
    }
}

/// A suggested site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteSuggestion {
    /// Rank (1 first).
    pub rank: usize,
    /// WGS84 longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The cell it stands in.
    pub cell_code: Option<CellCode>,
    /// Unprotected recent incidents it would cover (beyond the earlier suggestions).
    pub covers_incidents: f64,
    /// Radius assumed, metres.
    pub radius_m: f64,
}

/// Up to `n` sites for new resources covering the most recent incidents (`recent`: lon, lat)
/// that no existing one protects: outside every camera's view, or farther than
/// [`CHECKPOINT_RADIUS_M`] from every checkpoint.
pub fn suggest(geography: &Geography, recent: &[(f64, f64)], kind: NewResource, n: usize) -> Vec<SiteSuggestion> {
    let utm = geography.projection();
    let protected: Box<dyn Fn(f64, f64) -> bool> = match kind {
        NewResource::Camera => {
            let views = CameraViews::of(geography);
            Box::new(move |lon, lat| views.sees(lon, lat))
        }
        NewResource::Checkpoint => {
            let tree = RTree::bulk_load(
                geography
                    .resources()
                    .iter()
                    .filter(|r| r.kind == ResourceKind::Checkpoint)
                    .map(|r| {
                        let (x, y) = utm.forward(r.lon, r.lat);
                        [x, y]
                    })
                    .collect(),
            );
            Box::new(move |lon, lat| {
                let (x, y) = utm.forward(lon, lat);
                tree.locate_within_distance([x, y], CHECKPOINT_RADIUS_M * CHECKPOINT_RADIUS_M).next().is_some()
            })
        }
    };
    // Unprotected incidents pooled on a lattice: each node is a demand point and a candidate.
    let mut pooled: HashMap<(i64, i64), f64> = HashMap::new();
    for &(lon, lat) in recent {
        if protected(lon, lat) {
            continue;
        }
        let (x, y) = utm.forward(lon, lat);
        *pooled.entry(((x / DEMAND_LATTICE_M).round() as i64, (y / DEMAND_LATTICE_M).round() as i64)).or_default() +=
            1.0;
    }
    let mut nodes: Vec<((i64, i64), f64)> = pooled.into_iter().collect();
    nodes.sort_by_key(|(k, _)| *k);
    let points: Vec<[f64; 2]> =
        nodes.iter().map(|((i, j), _)| [*i as f64 * DEMAND_LATTICE_M, *j as f64 * DEMAND_LATTICE_M]).collect();
    let demand: Vec<([f64; 2], f64)> = points.iter().zip(&nodes).map(|(p, (_, w))| (*p, *w)).collect();
    suggest_sites(&points, &demand, kind.radius_m(), n)
        .into_iter()
        .enumerate()
        .map(|(r, s)| {
            let [x, y] = points[s.candidate];
            let (lon, lat) = utm.inverse(x, y);
            SiteSuggestion {
                rank: r + 1,
                lon: (lon * 1e6).round() / 1e6,
                lat: (lat * 1e6).round() / 1e6,
                cell_code: geography.locate(lon, lat).map(|c| geography.cell_code(c)),
                covers_incidents: s.covered_weight,
                radius_m: kind.radius_m(),
            }
        })
        .collect()
}

/// The incident points of `filter` (lon, lat, cell index), for [`cell_coverage`] and [`suggest`].
pub async fn recent_points(
    s: &crate::state::AppState,
    filter: &IncidentFilter,
) -> Result<Vec<(f64, f64, u32)>, store::StoreError> {
    let mut out = Vec::new();
    s.for_each_incident(filter, |p| out.push((p.lon, p.lat, p.cell))).await?;
    Ok(out)
}
