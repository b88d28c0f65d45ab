//! Regions, grid cells (with incident counts) and prevention resources.

use super::DEFAULT_WINDOW_DAYS;
use super::error::AppError;
use super::features::{
    collection, geojson_response, region_feature, resource_feature, typed_feature_with_bbox, typed_geojson_response,
};
use super::params::Params;
use crate::auth::Caller;
use crate::query::Area;
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::Duration;
use model::api::geo::{Feature, FeatureId};
use model::api::regions::{AreaFeature, CellLevel, CellProperties, OfficerRef, RegionDetail};
use model::{RegionCode, RegionLevel, ResourceKind};
use serde_json::{Map, Value, json};

pub(super) fn cell_level_feature(c: &model::CellShape, count: Option<u32>) -> Feature<CellProperties> {
    let incidents_per_10k = count.map(|n| model::scorecard::per_10k(u64::from(n), c.cell.population));
    let properties = CellProperties {
        code: c.cell.code,
        name: c.cell.name.clone(),
        level: CellLevel::Cell,
        village_code: c.cell.code.village(),
        population: c.cell.population,
        synthetic: c.cell.synthetic,
        count,
        incidents_per_10k,
    };
    typed_feature_with_bbox(FeatureId::Text(c.cell.code.to_string()), &c.boundary, properties)
}

/// A typed feature as a JSON value, for a collection that mixes levels.
fn value_of<P: serde::Serialize>(f: Feature<P>) -> Value {
    serde_json::to_value(f).unwrap_or(Value::Null)
}

/// `GET /api/regions?level=&parent=`: regions as a FeatureCollection.
pub async fn list(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let parent = p
        .one("parent")?
        .map(|v| {
            RegionCode::parse(&v)
                .map_err(|e| AppError::bad("parent", format!("parent must be a 12-digit region code: {e}")))
        })
        .transpose()?;
    let level = p.one("level")?;
    p.finish()?;
    if let Some(code) = parent {
        s.geography
            .region(code)
            .filter(|_| caller.scope.allows_path_to(code))
            .ok_or_else(|| AppError::NotFound { message: format!("no region {code}"), field: Some("parent".into()) })?;
    }
    let scope = &caller.scope;
    let cells_of = |parent: Option<RegionCode>| -> Vec<Value> {
        let range = parent.map_or(0..s.geography.cells().len() as u32, |c| s.geography.cell_range(c));
        s.geography.cells()[range.start as usize..range.end as usize]
            .iter()
            .filter(|c| scope.allows_cell(c.cell.code))
            .map(|c| value_of(cell_level_feature(c, None)))
            .collect()
    };
    let regions_at = |level: RegionLevel| -> Vec<Value> {
        s.geography
            .regions_at(level, parent)
            .filter(|r| scope.allows_region(r.region.code))
            .map(region_feature)
            .collect()
    };
    let default_level = parent.map_or(Some(RegionLevel::County), |c| c.level().child());
    let features: Vec<Value> = match level.as_deref() {
        Some("cell") => cells_of(parent),
        Some(l) => regions_at(
            l.parse::<RegionLevel>()
                .map_err(|()| AppError::bad("level", "level must be city, county, township, village or cell"))?,
        ),
        None => match default_level {
            Some(level) => regions_at(level),
            None => cells_of(parent),
        },
    };
    Ok(geojson_response(collection(features, Map::new())))
}

/// `GET /api/regions/{code}`: one region (12 digits) or cell (15 digits), with its children count
/// and, for villages, the officers covering it.
pub async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let area = Area::parse(&code).map_err(|m| AppError::bad("code", m))?;
    let not_found = || AppError::NotFound { message: format!("no region or cell {code}"), field: None };
    let body = match area {
        Area::Region(c) => {
            let r = s.geography.region(c).filter(|_| caller.scope.allows_region(c)).ok_or_else(not_found)?;
            let children = match c.level().child() {
                Some(l) => s.geography.regions_at(l, Some(c)).count(),
                None => s.geography.cell_range(c).len(),
            };
            let officers = (c.level() == RegionLevel::Village).then(|| {
                s.live
                    .desk()
                    .officer_of(c)
                    .and_then(|id| s.geography.officer(id))
                    .map(|o| OfficerRef {
                        id: o.id,
                        name: o.name.clone(),
                        badge: o.badge.clone(),
                        station_id: o.station_id,
                    })
                    .into_iter()
                    .collect()
            });
            let detail =
                RegionDetail { region: r.region.clone(), children, cells: s.geography.cell_range(c).len(), officers };
            AreaFeature::Region(typed_feature_with_bbox(FeatureId::Text(c.to_string()), &r.boundary, detail))
        }
        Area::Cell(c) => {
            let (_, cell) = s.geography.cell(c).filter(|_| caller.scope.allows_cell(c)).ok_or_else(not_found)?;
            AreaFeature::Cell(cell_level_feature(cell, None))
        }
    };
    Ok(typed_geojson_response(&body))
}

/// `GET /api/cells?bbox=&region=&from=&to=&category=`: cells with incident counts for the window
/// (default: the last 30 days).
pub async fn cells(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    p.finish()?;
    let now = s.clock.now();
    let to = query.to.unwrap_or(now);
    let from = query.from.unwrap_or(to - Duration::days(DEFAULT_WINDOW_DAYS));
    (query.from, query.to) = (Some(from), Some(to));
    let bbox = query.bbox.take();
    let filter = query.filter(&s.geography, &caller.scope)?;
    let counts = s.cell_counts(&filter).await?;
    let range = filter.cells.clone().unwrap_or(0..s.geography.cells().len() as u32);
    let in_box: Option<std::collections::HashSet<u32>> =
        bbox.map(|b| s.geography.cells_in_box([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]).collect());
    let features: Vec<Value> = range
        .filter(|i| in_box.as_ref().is_none_or(|set| set.contains(i)) && filter.scope.contains(*i))
        .map(|i| value_of(cell_level_feature(&s.geography.cells()[i as usize], Some(counts[i as usize]))))
        .collect();
    let mut extra = Map::new();
    extra.insert("from".into(), json!(from));
    extra.insert("to".into(), json!(to));
    Ok(geojson_response(collection(features, extra)))
}

/// `GET /api/resources?kind=&region=&bbox=`: prevention resources.
pub async fn resources(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let kinds: Vec<ResourceKind> = p
        .many("kind")
        .iter()
        .map(|k| {
            ResourceKind::parse(k).ok_or_else(|| {
                let all: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
                AppError::bad("kind", format!("unknown kind {k:?}; expected one of {}", all.join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    let region = p
        .one("region")?
        .map(|v| {
            RegionCode::parse(&v).map_err(|e| AppError::bad("region", format!("region must be a 12-digit code: {e}")))
        })
        .transpose()?;
    let bbox = p.bbox()?;
    p.finish()?;
    if let Some(code) = region {
        s.geography
            .region(code)
            .filter(|_| caller.scope.allows_path_to(code))
            .ok_or_else(|| AppError::NotFound { message: format!("no region {code}"), field: Some("region".into()) })?;
    }
    let features: Vec<Value> = s
        .geography
        .resources()
        .iter()
        .filter(|r| kinds.is_empty() || kinds.contains(&r.kind))
        .filter(|r| region.is_none_or(|c| c.contains(r.region_code)) && caller.scope.allows_region(r.region_code))
        .filter(|r| bbox.is_none_or(|b| b.contains(r.lon, r.lat)))
        .map(resource_feature)
        .collect();
    Ok(geojson_response(collection(features, Map::new())))
}

/// `GET /api/regions/{code}/path`: the region or cell and its ancestors, city first, without
/// geometry (for breadcrumbs).
pub async fn path(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    _: super::params::NoQuery,
) -> Result<axum::Json<Vec<model::api::RegionHit>>, AppError> {
    let area = Area::parse(&code).map_err(|m| AppError::bad("code", m))?;
    let not_found = || AppError::NotFound { message: format!("no region or cell {code}"), field: None };
    let bbox = |mp: &geo::MultiPolygon<f64>| super::features::bbox_of(mp).unwrap_or([0.0; 4]);
    let (region, cell) = match area {
        Area::Region(c) => (c, None),
        Area::Cell(c) => (c.village(), Some(s.geography.cell(c).ok_or_else(not_found)?.1)),
    };
    let visible = match area {
        Area::Region(c) => caller.scope.allows_path_to(c),
        Area::Cell(c) => caller.scope.allows_cell(c),
    };
    s.geography.region(region).filter(|_| visible).ok_or_else(not_found)?;
    let mut out = Vec::new();
    for level in RegionLevel::ALL {
        if level > region.level() {
            break;
        }
        if let Some(r) = s.geography.region(region.truncate(level)) {
            out.push(model::api::RegionHit {
                code: r.region.code.to_string(),
                name: r.region.name.clone(),
                level: level.as_str().into(),
                bbox: bbox(&r.boundary),
            });
        }
    }
    if let Some(c) = cell {
        out.push(model::api::RegionHit {
            code: c.cell.code.to_string(),
            name: c.cell.name.clone(),
            level: "cell".into(),
            bbox: bbox(&c.boundary),
        });
    }
    Ok(axum::Json(out))
}
