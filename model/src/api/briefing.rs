//! The monthly briefing (简报, `GET /api/briefing`): its figures, as the JSON answer gives them
//! and the print view and document show them.

use crate::api::campaign::CampaignView;
use crate::api::scorecard::ScorecardRow;
use crate::code::RegionLevel;
use crate::incident::Category;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One region's briefing for one month, inside the caller's jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Briefing {
    /// Region code.
    pub region: String,
    /// Region name.
    pub region_name: String,
    /// Its level.
    pub level: RegionLevel,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// Its first instant.
    pub from: DateTime<Utc>,
    /// The instant after it.
    pub to: DateTime<Utc>,
    /// Whether the month is still under way.
    pub partial: bool,
    /// When the briefing was made.
    pub generated_at: DateTime<Utc>,
    /// Incidents in the month, the month before and a year earlier (`None`: before the records).
    pub incidents: Trio,
    /// Per kind, the same three counts (every kind, in the taxonomy's order).
    pub by_category: Vec<CategoryTrio>,
    /// The areas one level down (cells for a village), for the map: incidents and the rate
    /// per 10,000 residents.
    pub areas: Vec<AreaFigure>,
    /// Significant hot spots of the month (Gi*, 1,500 m band, FDR), hottest first.
    pub hot_spots: Vec<HotSpotLine>,
    /// Open events of the region now, and how many of them are overdue.
    pub open_events: u64,
    /// Of them, past their stage's deadline.
    pub overdue_events: u64,
    /// The region's scorecard row at its level (county or township), and how many were ranked.
    pub scorecard: Option<(ScorecardRow, usize)>,
    /// Disputes registered in the month.
    pub disputes_registered: u64,
    /// Campaigns of the region running in the month.
    pub campaigns: Vec<CampaignView>,
}

/// A count this month, last month and the same month a year earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trio {
    /// This month.
    pub now: u64,
    /// The month before.
    pub previous: Option<u64>,
    /// A year earlier.
    pub year_ago: Option<u64>,
}

/// One kind's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryTrio {
    /// The kind.
    pub category: Category,
    /// Its counts.
    pub counts: Trio,
}

/// One area of the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaFigure {
    /// Code (region or cell).
    pub code: String,
    /// Name.
    pub name: String,
    /// Incidents in the month.
    pub incidents: u64,
    /// Residents.
    pub population: u64,
    /// Incidents per 10,000 residents.
    pub incidents_per_10k: f64,
}

/// A significant hot spot in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotSpotLine {
    /// Cell code.
    pub cell_code: String,
    /// Cell name.
    pub cell_name: String,
    /// Its village's name.
    pub village_name: String,
    /// Incidents in the month.
    pub incidents: u64,
    /// Confidence: 90, 95 or 99 (%).
    pub confidence: u8,
    /// Gi* z-score.
    pub z: f64,
}
