//! Published versions of the world: what each publication changed, by whom, and the world itself
//! kept whole so that an old version can be published again (`safegrid world rollback`).
//! Both backends keep a version's world as the bytes of [`encode`]: JSON with each boundary as
//! hex WKB, the same on either store.

use crate::GeographyData;
use crate::gpkg::blob::{multipolygon_from_wkb, wkb_multipolygon};
use model::{Cell, CellShape, IncidentId, Officer, Placement, Region, RegionShape, Resource};
use serde::{Deserialize, Serialize};

/// A new world to publish.
#[derive(Debug, Clone, Default)]
pub struct Publication {
    /// The world.
    pub geography: GeographyData,
    /// Every stored incident's placement in the new grid (incidents not listed keep theirs).
    pub placements: Vec<(IncidentId, Placement)>,
    /// Who publishes (a username, or `cli` for the command line).
    pub by: String,
    /// What it is, in words (`import cells.gpkg`, `rollback to 3`).
    pub note: String,
    /// What changed, as JSON (the `world::Difference` counts per layer).
    pub changes: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The version this publication was decided on (0: none yet). When given, the store refuses
    /// the publication with [`crate::StoreError::StaleWorld`] if another was published since.
    pub follows: Option<u32>,
}

impl Publication {
    /// Version 1 of a store written whole (`safegrid demo`, a copy): its world, by `safegrid`, now.
    pub fn whole_store(geography: &GeographyData) -> Publication {
        Publication {
            geography: geography.clone(),
            by: "safegrid".into(),
            note: "the whole store written (demo world or copy)".into(),
            changes: "{}".into(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ..Publication::default()
        }
    }
}

pub use model::api::world::WorldVersion;

#[derive(Serialize, Deserialize)]
struct Stored {
    regions: Vec<(Region, String)>,
    cells: Vec<(Cell, String)>,
    resources: Vec<Resource>,
    officers: Vec<Officer>,
    #[serde(default)]
    departments: Vec<model::department::Department>,
    #[serde(default)]
    mediators: Vec<model::desk::Mediator>,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A world as the bytes a version keeps.
pub fn encode(g: &GeographyData) -> Vec<u8> {
    let stored = Stored {
        regions: g.regions.iter().map(|r| (r.region.clone(), hex(&wkb_multipolygon(&r.boundary)))).collect(),
        cells: g.cells.iter().map(|c| (c.cell.clone(), hex(&wkb_multipolygon(&c.boundary)))).collect(),
        resources: g.resources.clone(),
        officers: g.officers.clone(),
        departments: g.departments.clone(),
        mediators: g.mediators.clone(),
    };
    serde_json::to_vec(&stored).unwrap_or_default()
}

/// The world of a version's bytes.
pub fn decode(bytes: &[u8]) -> Result<GeographyData, String> {
    let stored: Stored = serde_json::from_slice(bytes).map_err(|e| format!("version world: {e}"))?;
    let shape = |h: &str| {
        unhex(h)
            .ok_or_else(|| "version world: bad hex".to_owned())
            .and_then(|b| multipolygon_from_wkb(&b).map_err(|e| format!("version world: {e}")))
    };
    Ok(GeographyData {
        regions: stored
            .regions
            .into_iter()
            .map(|(region, h)| Ok(RegionShape { region, boundary: shape(&h)? }))
            .collect::<Result<_, String>>()?,
        cells: stored
            .cells
            .into_iter()
            .map(|(cell, h)| Ok(CellShape { cell, boundary: shape(&h)? }))
            .collect::<Result<_, String>>()?,
        resources: stored.resources,
        officers: stored.officers,
        departments: stored.departments,
        mediators: stored.mediators,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};
    use model::{CellCode, RegionCode, RegionLevel};

    #[test]
    fn a_world_round_trips_through_its_bytes() {
        let square =
            MultiPolygon::new(vec![polygon![(x: 102.6, y: 37.9), (x: 102.61, y: 37.9), (x: 102.61, y: 37.91)]]);
        let village = RegionCode::parse("620602001001").unwrap();
        let g = GeographyData {
            regions: vec![RegionShape {
                region: Region {
                    code: village,
                    name: "村".into(),
                    level: RegionLevel::Village,
                    parent_code: village.parent(),
                    population: 10,
                    households: 4,
                    synthetic: false,
                },
                boundary: square.clone(),
            }],
            cells: vec![CellShape {
                cell: Cell {
                    code: CellCode::new(village, 1).unwrap(),
                    name: "网格".into(),
                    population: 10,
                    synthetic: false,
                },
                boundary: square,
            }],
            resources: vec![],
            officers: vec![],
            departments: vec![model::department::Department {
                code: model::department::DepartmentCode::parse("water-620602").unwrap(),
                kind: "water".into(),
                name_zh: "供水公司".into(),
                name_en: "water".into(),
                region: "620602000000".parse().unwrap(),
            }],
            mediators: vec![model::desk::Mediator {
                id: 7,
                name: "王调解".into(),
                role: model::desk::MediatorRole::LegalLiterate,
                village,
                phone: Some("17012345678".into()),
            }],
        };
        // A version stored before departments existed reads with none.
        let old = String::from_utf8(encode(&g)).unwrap().replace(r#","departments":"#, r#","old_departments":"#);
        assert!(decode(old.as_bytes()).unwrap().departments.is_empty());
        // And one stored before the mediator rosters, with none.
        let old = String::from_utf8(encode(&g)).unwrap().replace(r#","mediators":"#, r#","old_mediators":"#);
        assert!(decode(old.as_bytes()).unwrap().mediators.is_empty());
        let back = decode(&encode(&g)).unwrap();
        assert_eq!(back.departments, g.departments);
        assert_eq!(back.mediators, g.mediators);
        assert_eq!((back.regions, back.cells), (g.regions, g.cells));
        assert!(decode(b"{").is_err());
        assert_eq!(unhex("0a0"), None);
    }
}
