//! Regions of the governance hierarchy and the grid cells (网格) that partition villages.

use crate::code::{CellCode, RegionCode, RegionLevel};
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

/// A city, county, township or village (its boundary travels beside it, as GeoJSON or `geo` types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// 12-digit statistical division code.
    pub code: RegionCode,
    /// Official name (Chinese).
    pub name: String,
    /// Level in the hierarchy (implied by the code, kept for readers).
    pub level: RegionLevel,
    /// Enclosing region, `None` for the city.
    pub parent_code: Option<RegionCode>,
    /// Resident population.
    pub population: u64,
    /// Households.
    pub households: u64,
    /// Whether the boundary was synthesised (the open sources give none below county level).
    pub synthetic: bool,
}

/// A grid cell (网格): the smallest unit of grid management, inside one village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// 15-digit cell code (village code + 3 digits).
    pub code: CellCode,
    /// Display name, e.g. `南苑社区第3网格`.
    pub name: String,
    /// Resident population.
    pub population: u64,
    /// Whether the boundary was synthesised.
    pub synthetic: bool,
}

/// A region with its boundary (WGS84 lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionShape {
    /// The region.
    pub region: Region,
    /// Its boundary, WGS84 lon/lat degrees.
    pub boundary: MultiPolygon<f64>,
}

/// A grid cell with its boundary (WGS84 lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct CellShape {
    /// The cell.
    pub cell: Cell,
    /// Its boundary, WGS84 lon/lat degrees.
    pub boundary: MultiPolygon<f64>,
}
