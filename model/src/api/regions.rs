//! The answers about regions and grid cells (`/api/regions…`, `/api/cells`).

use super::geo::Feature;
use crate::code::{CellCode, RegionCode};
use crate::region::Region;
use serde::{Deserialize, Serialize};

/// A village's officer as a region answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerRef {
    /// The officer's id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Police number (警号).
    pub badge: String,
    /// The station the officer works from.
    pub station_id: u64,
}

/// A region of `GET /api/regions/{code}`: the region with what lies below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionDetail {
    /// The region.
    #[serde(flatten)]
    pub region: Region,
    /// Regions one level down (cells for a village).
    pub children: usize,
    /// Grid cells inside.
    pub cells: usize,
    /// For a village: the officers covering it (absent for other levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officers: Option<Vec<OfficerRef>>,
}

/// The level member of a cell answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellLevel {
    /// Always `cell`.
    #[default]
    Cell,
}

/// A grid cell as `/api/regions…` and `/api/cells` answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellProperties {
    /// 15-digit code.
    pub code: CellCode,
    /// Name.
    pub name: String,
    /// Always `cell`.
    pub level: CellLevel,
    /// The village it belongs to.
    pub village_code: RegionCode,
    /// Resident population.
    pub population: u64,
    /// Whether the boundary was synthesised.
    pub synthetic: bool,
    /// Incidents in the asked window (`/api/cells` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Incidents per 10,000 residents in the window (万人发案率, `/api/cells` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents_per_10k: Option<f64>,
}

/// The answer of `GET /api/regions/{code}`: a region (12 digits) or a cell (15 digits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AreaFeature {
    /// A region.
    Region(Feature<RegionDetail>),
    /// A grid cell.
    Cell(Feature<CellProperties>),
}
