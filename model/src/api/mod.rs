//! JSON shapes of the HTTP API shared by server and frontend.

pub mod briefing;
pub mod campaign;
pub mod desk;
pub mod field;
pub mod geo;
pub mod hotspots;
pub mod incidents;
pub mod live;
pub mod patrol;
pub mod petition;
pub mod public;
pub mod regions;
pub mod scorecard;
pub mod work;
pub mod world;

use crate::code::CellCode;
use crate::incident::Category;
use serde::{Deserialize, Serialize};

/// The body of every error answer: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, for a person and for a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `bad_request`, `validation`, `not_found`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The query parameter or body field at fault (dotted path), when one is.
    pub field: Option<String>,
    /// For a batch: every item at fault (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemError>,
}

/// One item of a batch that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    /// Position in the batch, from 0.
    pub index: usize,
    /// Line of an NDJSON body, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The field at fault inside the item (dotted path).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// One stored item of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    /// Position in the batch, from 0.
    pub index: usize,
    /// The stored incident's id.
    pub id: u64,
    /// `false` when it was a retry of an already stored report.
    pub created: bool,
}

/// `POST /api/incidents/batch` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResult {
    /// New incidents.
    pub created: usize,
    /// Items that were already stored (retries).
    pub existing: usize,
    /// Every item, in order.
    pub items: Vec<BatchItem>,
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the store answers.
    pub status: String,
    /// Storage backend in use (`geopackage` or `postgis`).
    pub backend: String,
    /// Incidents held in the in-memory index.
    pub incidents: u64,
    /// Grid cells loaded.
    pub cells: u64,
    /// Server version.
    pub version: String,
    /// The published version of the world the server has loaded (none before the first).
    #[serde(default)]
    pub world_version: Option<u32>,
}

/// Count for one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Incidents in the window.
    pub count: u64,
}

/// Count for one local (Asia/Shanghai) calendar day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD` in Asia/Shanghai.
    pub date: String,
    /// Incidents that day.
    pub count: u64,
}

/// Count for one grid cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellCount {
    /// The cell.
    pub cell_code: CellCode,
    /// Incidents in the window.
    pub count: u64,
}

/// `GET /api/stats`: the picture of a region over a time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Incidents in the window.
    pub total: u64,
    /// Incidents not yet closed.
    pub open: u64,
    /// Every category, zero counts included.
    pub by_category: Vec<CategoryCount>,
    /// Every local day of the window, zero counts included.
    pub by_day: Vec<DayCount>,
    /// `hour_weekday[h][d]`: incidents at local hour h (0–23) on weekday d (0 = Monday).
    pub hour_weekday: Vec<[u64; 7]>,
    /// The busiest cells, most first (at most 10).
    pub top_cells: Vec<CellCount>,
    /// Grid cells in the region.
    pub cells_total: u64,
    /// Fewest cells that together hold half the window's incidents.
    pub cells_holding_half: u64,
    /// `cells_holding_half / cells_total` (0–1; 0 when there are no incidents).
    pub share_of_cells_holding_half: f64,
}

/// A base layer the map can show under SafeGrid's own data (an intranet PGIS or 天地图).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseLayer {
    /// Display name.
    pub name: String,
    /// `raster` (XYZ image tiles) or `vector` (a MapLibre style or TileJSON URL).
    pub kind: String,
    /// URL template with `{z}/{x}/{y}` (raster), any key included.
    pub url: String,
    /// Attribution text.
    pub attribution: String,
}

/// `GET /api/config`: public settings for the browser.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UiConfig {
    /// Optional base layers (none by default: the map's own vector data is the basemap).
    pub base_layers: Vec<BaseLayer>,
}

/// A region found by `GET /api/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionHit {
    /// 12-digit code, or 15 digits for a cell.
    pub code: String,
    /// Name.
    pub name: String,
    /// `city`, `county`, `township`, `village` or `cell`.
    pub level: String,
    /// WGS84 bounds `[minLon, minLat, maxLon, maxLat]`.
    pub bbox: [f64; 4],
}

/// An incident found by `GET /api/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentHit {
    /// Incident id.
    pub id: u64,
    /// Case number (external id), if any.
    pub external_id: Option<String>,
    /// Category.
    pub category: Category,
    /// When it happened (RFC 3339, UTC).
    pub occurred_at: String,
    /// Address.
    pub address: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
}

/// `GET /api/search?q=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchResults {
    /// Regions and cells whose name contains the query or whose code starts with it.
    pub regions: Vec<RegionHit>,
    /// Incidents whose case number equals, or address or summary contains, the query.
    pub incidents: Vec<IncidentHit>,
}

/// `GET /api/me`: the signed-in user and the regions whose subtrees they see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The user.
    pub user: crate::auth::User,
    /// Region codes (12 digits) at the roots of the user's jurisdiction, then single cells (15
    /// digits: a grid worker's).
    pub scope: Vec<String>,
}
