//! The compiled-in open sources: county boundaries (WGS84) and division codes (see data/README.md).

use crate::DemoError;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use model::{RegionCode, RegionLevel};

const COUNTIES: &str = include_str!("../../data/wuwei_counties.geojson");
const DIVISIONS: &str = include_str!("../../data/wuwei_divisions.csv");

/// One row of the division list.
#[derive(Debug, Clone)]
pub struct Division {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
}

/// Parsed sources.
pub struct Sources {
    pub divisions: Vec<Division>,
    pub counties: Vec<(RegionCode, MultiPolygon<f64>)>,
}

fn err(file: &'static str, message: impl Into<String>) -> DemoError {
    DemoError::Source { file, message: message.into() }
}

pub fn load() -> Result<Sources, DemoError> {
    const DIV: &str = "wuwei_divisions.csv";
    let mut divisions = Vec::new();
    for (i, line) in DIVISIONS.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 4 {
            return Err(err(DIV, format!("line {}: expected 4 fields", i + 1)));
        }
        let code = RegionCode::parse(f[0]).map_err(|e| err(DIV, format!("line {}: {e}", i + 1)))?;
        let level = f[2].parse().map_err(|()| err(DIV, format!("line {}: bad level {}", i + 1, f[2])))?;
        if code.level() != level {
            return Err(err(DIV, format!("line {}: level {} does not match code {code}", i + 1, f[2])));
        }
        divisions.push(Division { code, name: f[1].to_owned(), level });
    }
    divisions.sort_by_key(|d| d.code);

    const CTY: &str = "wuwei_counties.geojson";
    let fc: geojson::FeatureCollection = COUNTIES.parse().map_err(|e| err(CTY, format!("{e}")))?;
    let mut counties = Vec::new();
    for f in &fc.features {
        let code = f
            .property("code")
            .and_then(|v| v.as_str())
            .and_then(|s| RegionCode::parse(s).ok())
            .ok_or_else(|| err(CTY, "feature without a valid code"))?;
        let value = serde_json::to_value(f.geometry.as_ref().ok_or_else(|| err(CTY, "feature without geometry"))?)
            .map_err(|e| err(CTY, e.to_string()))?;
        let rings: Vec<Vec<Vec<[f64; 2]>>> =
            serde_json::from_value(value["coordinates"].clone()).map_err(|e| err(CTY, e.to_string()))?;
        let polygons = rings
            .into_iter()
            .map(|poly| {
                let mut rings =
                    poly.into_iter().map(|r| LineString::new(r.into_iter().map(|[x, y]| Coord { x, y }).collect()));
                let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
                Polygon::new(exterior, rings.collect())
            })
            .collect();
        counties.push((code, MultiPolygon::new(polygons)));
    }
    counties.sort_by_key(|c| c.0);
    Ok(Sources { divisions, counties })
}
