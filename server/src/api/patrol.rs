//! Patrol plans and prevention coverage:
//! - `POST /api/plans?format=json|geojson|csv`: plan a shift (body: [`PlanRequest`]); planners
//!   only (roles that handle cases), units and cells inside the caller's jurisdiction.
//! - `GET /api/coverage?region=&planned=`: per-cell prevention strength, risk and gap as a
//!   FeatureCollection of cells (`planned`: comma-separated cell codes of planned visits).
//! - `GET /api/coverage/blind-spots?region=`: hot spots no camera sees, as cell points.
//! - `GET /api/coverage/suggestions?kind=camera|checkpoint&n=10&region=`: sites for new ones.

use super::error::AppError;
use super::features::{collection, feature, feature_with_bbox, geojson_response};
use super::params::{Params, json_body};
use crate::auth::Caller;
use crate::patrol::{plan, plan_csv, plan_geojson, validate};
use crate::prevention::{CellCoverage, NewResource, RISK_DAYS, blind_spots, cell_coverage, recent_points, suggest};
use crate::query::IncidentQuery;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use geo::InteriorPoint;
use model::CellCode;
use model::api::patrol::PlanRequest;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// `POST /api/plans`.
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !caller.user.role.handles_cases() {
        return Err(AppError::Forbidden {
            message: format!("the {} role does not plan patrols", caller.user.role.as_str()),
        });
    }
    let mut p = Params::parse(q.as_deref());
    let format = p.one("format")?.unwrap_or_else(|| "json".into());
    p.finish()?;
    if !["json", "geojson", "csv"].contains(&format.as_str()) {
        return Err(AppError::bad("format", "format is json, geojson or csv"));
    }
    let req: PlanRequest = json_body(&body)?;
    validate(&req, s.clock.now())?;
    // A campaign tag names one the caller sees.
    let campaign = match req.campaign {
        None => None,
        Some(id) => {
            let c = s.live.desk().campaign(id).cloned();
            let c = c
                .filter(|c| crate::campaigns::visible(&s, &caller.scope, c))
                .ok_or_else(|| AppError::unprocessable("campaign", format!("no campaign {id} in your jurisdiction")))?;
            Some((id, c.name))
        }
    };
    let mut planned = plan(&s, &caller.scope, &req).await?;
    planned.campaign = campaign;
    let mut entry = caller.audit("plan_patrol", format!("{} units", req.units.len()), "ok");
    entry.detail = Some(format!(
        "{}shift {} + {} h; coverage {:.3} (nearest-first {:.3})",
        planned.campaign.as_ref().map(|(id, name)| format!("campaign {id} {name}; ")).unwrap_or_default(),
        planned.shift_start.to_rfc3339(),
        req.shift_hours,
        planned.coverage,
        planned.naive_coverage
    ));
    s.audit(entry).await?;
    Ok(match format.as_str() {
        "geojson" => geojson_response(plan_geojson(&planned).to_string()),
        "csv" => {
            let text = plan_csv(&planned).map_err(|e| AppError::Internal(e.to_string()))?;
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response()
        }
        _ => axum::Json(planned).into_response(),
    })
}

/// The caller's cells (or a region of them) and their recent incidents.
async fn coverage_of(s: &AppState, caller: &Caller, p: &mut Params) -> Result<Vec<CellCoverage>, AppError> {
    let area = p.area("region")?;
    let planned_raw = p.one("planned")?;
    let mut planned: HashMap<CellCode, u32> = HashMap::new();
    for code in planned_raw.iter().flat_map(|v| v.split(',')).filter(|c| !c.is_empty()) {
        let c: CellCode = code.parse().map_err(|_| AppError::bad("planned", format!("{code:?} is not a cell code")))?;
        *planned.entry(c).or_default() += 1;
    }
    let now = s.clock.now();
    let query =
        IncidentQuery { area, from: Some(now - Duration::days(RISK_DAYS)), to: Some(now), ..Default::default() };
    let filter = query.filter(&s.geography, &caller.scope)?;
    let recent = recent_points(s, &filter).await?;
    let cells = crate::cell_hotspots::StudyArea::cells_of(s, &filter);
    let geography = s.geography.clone();
    let covered = s.live.desk().territories().into_values().flatten().collect();
    Ok(s.jobs.run(move |_| Ok(cell_coverage(&geography, &cells, &recent, &planned, &covered))).await?)
}

/// `GET /api/coverage`.
pub async fn coverage(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let cells = coverage_of(&s, &caller, &mut p).await?;
    p.finish()?;
    let features = cells
        .iter()
        .filter_map(|c| {
            let (_, shape) = s.geography.cell(c.cell_code)?;
            let Value::Object(props) = json!(c) else { return None };
            Some(feature_with_bbox(json!(c.cell_code), &shape.boundary, props))
        })
        .collect();
    let mut extra = Map::new();
    extra.insert("parameters".into(), json!({"risk_days": RISK_DAYS, "cells": cells.len(),
        "description_zh": format!("防控力量覆盖：人防、物防、技防三项得分（0–1）的平均为防控强度；风险为近 {RISK_DAYS} 天警情数与最多网格之比；缺口 = 风险 ×（1 − 强度）。"),
        "description_en": format!("Prevention coverage: strength is the mean of the human, physical and technical scores (0–1); risk is the last {RISK_DAYS} days' incidents relative to the busiest cell; gap = risk × (1 − strength).")}));
    Ok(geojson_response(collection(features, extra)))
}

/// `GET /api/coverage/blind-spots`.
pub async fn blind(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let cells = coverage_of(&s, &caller, &mut p).await?;
    p.finish()?;
    let features: Vec<Value> = blind_spots(&cells)
        .into_iter()
        .filter_map(|c| {
            let (_, shape) = s.geography.cell(c.cell_code)?;
            let point = shape.boundary.interior_point()?;
            let props = json!({"cell_code": c.cell_code, "name": c.name, "incidents": c.incidents, "risk": c.risk,
                "camera_area_share": c.camera_area_share, "cameras": c.counts.cameras});
            let Value::Object(props) = props else { return None };
            Some(feature(json!(c.cell_code), json!({"type": "Point", "coordinates": [point.x(), point.y()]}), props))
        })
        .collect();
    let mut extra = Map::new();
    extra.insert("parameters".into(), json!({"blind_spots": features.len(),
        "description_zh": format!("视频盲区：近 {RISK_DAYS} 天警情最多的 10% 网格中，没有一起警情发生在任何摄像头视野内的网格。"),
        "description_en": format!("Blind spots: cells among the busiest 10% of the last {RISK_DAYS} days none of whose incidents happened inside any camera's view.")}));
    Ok(geojson_response(collection(features, extra)))
}

/// `GET /api/coverage/suggestions`.
pub async fn suggestions(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let area = p.area("region")?;
    let kind = match p.one("kind")? {
        None => NewResource::Camera,
        Some(k) => NewResource::parse(&k).ok_or_else(|| AppError::bad("kind", "kind is camera or checkpoint"))?,
    };
    let n = match p.one("n")? {
        None => 10,
        Some(v) => {
            v.parse::<usize>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| AppError::bad("n", "n is 1–100"))?
        }
    };
    p.finish()?;
    let now = s.clock.now();
    let query =
        IncidentQuery { area, from: Some(now - Duration::days(RISK_DAYS)), to: Some(now), ..Default::default() };
    let filter = query.filter(&s.geography, &caller.scope)?;
    let recent: Vec<(f64, f64)> =
        recent_points(&s, &filter).await?.into_iter().map(|(lon, lat, _)| (lon, lat)).collect();
    let geography = s.geography.clone();
    let sites = s.jobs.run(move |_| Ok(suggest(&geography, &recent, kind, n))).await?;
    let features: Vec<Value> = sites
        .iter()
        .filter_map(|site| {
            let Value::Object(props) = json!(site) else { return None };
            Some(feature(json!(site.rank), json!({"type": "Point", "coordinates": [site.lon, site.lat]}), props))
        })
        .collect();
    let mut extra = Map::new();
    let covered: f64 = sites.iter().map(|x| x.covers_incidents).sum();
    extra.insert("parameters".into(), json!({"kind": match kind { NewResource::Camera => "camera", NewResource::Checkpoint => "checkpoint" },
        "radius_m": kind.radius_m(), "n": n, "covers_incidents": covered,
        "description_zh": format!("新增点位建议（最大覆盖，贪心）：覆盖近 {RISK_DAYS} 天未受保护警情最多的 {} 个位置，每处按 {:.0} 米半径计，共覆盖 {covered:.0} 起。", sites.len(), kind.radius_m()),
        "description_en": format!("Suggested sites (maximal covering, greedy): the {} places covering the most unprotected incidents of the last {RISK_DAYS} days, {:.0} m each; {covered:.0} incidents covered.", sites.len(), kind.radius_m())}));
    Ok(geojson_response(collection(features, extra)))
}
