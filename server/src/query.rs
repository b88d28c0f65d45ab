//! Incident queries in domain terms, shared by the HTTP API and the CLI: a region (or cell), a
//! box, a time window, categories and statuses, resolved against the geography into an
//! [`IncidentFilter`] on the in-memory index.

use crate::geography::Geography;
use crate::incident_index::{Bbox, CategorySet, IncidentFilter, StatusSet};
use chrono::{DateTime, Utc};
use model::scope::Scope;
use model::{Category, CellCode, RegionCode, Status};

/// A region filter: a division code (its whole subtree) or one grid cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// A city, county, township or village.
    Region(RegionCode),
    /// One grid cell.
    Cell(CellCode),
}

impl Area {
    /// Parses a 12-digit region code or a 15-digit cell code.
    pub fn parse(s: &str) -> Result<Area, String> {
        match s.len() {
            12 => RegionCode::parse(s).map(Area::Region).map_err(|e| e.to_string()),
            15 => CellCode::parse(s).map(Area::Cell).map_err(|e| e.to_string()),
            _ => Err(format!("expected a 12-digit region code or a 15-digit cell code, got {s:?}")),
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Area::Region(c) => c.fmt(f),
            Area::Cell(c) => c.fmt(f),
        }
    }
}

/// What a caller asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentQuery {
    /// Inside this region or cell.
    pub area: Option<Area>,
    /// Inside this box.
    pub bbox: Option<Bbox>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Any of these categories (empty: all).
    pub categories: Vec<Category>,
    /// Any of these statuses (empty: all).
    pub statuses: Vec<Status>,
}

/// A query named a region or cell that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no region or cell {0}")]
pub struct UnknownArea(pub String);

impl IncidentQuery {
    /// The index filter for this query inside `scope`. A region or cell outside the scope is
    /// reported as unknown (its existence is not revealed).
    pub fn filter(&self, geography: &Geography, scope: &Scope) -> Result<IncidentFilter, UnknownArea> {
        let cells = match self.area {
            None => None,
            Some(Area::Region(code)) => {
                geography
                    .region(code)
                    .filter(|_| scope.allows_path_to(code))
                    .ok_or_else(|| UnknownArea(code.to_string()))?;
                Some(geography.cell_range(code))
            }
            Some(Area::Cell(code)) => {
                let (idx, _) = geography
                    .cell(code)
                    .filter(|_| scope.allows_cell(code))
                    .ok_or_else(|| UnknownArea(code.to_string()))?;
                Some(idx..idx + 1)
            }
        };
        Ok(IncidentFilter {
            scope: geography.cells_in(scope),
            bbox: self.bbox,
            cells,
            from_s: self.from.map(|t| t.timestamp()),
            to_s: self.to.map(|t| t.timestamp()),
            categories: (!self.categories.is_empty()).then(|| CategorySet::of(&self.categories)),
            statuses: (!self.statuses.is_empty()).then(|| StatusSet::of(&self.statuses)),
        })
    }
}
