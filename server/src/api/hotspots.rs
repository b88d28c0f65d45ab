//! `GET /api/hotspots?region=&from=&to=&category=&weights=`: Gi* hot and cold spots over the grid
//! cells of the caller's jurisdiction (the study area never reaches outside it, so no statistic
//! depends on data the caller may not see), with its parameters stated in words.

use super::error::AppError;
use super::features::{collection, feature_with_bbox, geojson_response};
use super::params::Params;
use super::{AppState, DEFAULT_WINDOW_DAYS};
use crate::auth::Caller;
use crate::hotspots::Weights;
use analytics::TransverseMercator;
use analytics::gi_star::hot_spots;
use analytics::weights::Neighbours;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::Duration;
use geo::InteriorPoint;
use serde_json::{Map, Value, json};

/// Default neighbourhood: cells whose centres lie within 1.5 km.
pub const DEFAULT_BAND_M: f64 = 1_500.0;

pub async fn hotspots(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    let weights = match p.one("weights")? {
        None => Weights::Distance(DEFAULT_BAND_M),
        Some(w) => Weights::parse(&w).map_err(|m| AppError::bad("weights", m))?,
    };
    p.finish()?;
    let band_m = match weights {
        Weights::Distance(m) => m,
        Weights::Queen => return Err(AppError::bad("weights", "grid cells are polygons: use distance:METRES")),
    };
    let to = query.to.unwrap_or_else(|| s.clock.now());
    let from = query.from.unwrap_or(to - Duration::days(DEFAULT_WINDOW_DAYS));
    (query.from, query.to) = (Some(from), Some(to));
    let filter = query.filter(&s.geography, &caller.scope)?;
    let counts = s.index().cell_counts(&filter, s.geography.cells().len());
    let range = filter.cells.clone().unwrap_or(0..s.geography.cells().len() as u32);
    let area: Vec<u32> = range.filter(|i| filter.scope.contains(*i)).collect();
    let utm = TransverseMercator::utm(48, true);
    let centres: Vec<[f64; 2]> = area
        .iter()
        .map(|&i| {
            let c = s.geography.cells()[i as usize].boundary.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y()));
            let (x, y) = utm.forward(c.0, c.1);
            [x, y]
        })
        .collect();
    let values: Vec<f64> = area.iter().map(|&i| f64::from(counts[i as usize])).collect();
    let (cells, warnings) = hot_spots(&values, &Neighbours::distance_band(&centres, band_m), true);
    let features: Vec<Value> = area
        .iter()
        .zip(&cells)
        .zip(&values)
        .map(|((&i, h), &n)| {
            let cell = &s.geography.cells()[i as usize];
            let mut props = Map::new();
            props.insert("code".into(), json!(cell.cell.code));
            props.insert("name".into(), json!(cell.cell.name));
            props.insert("count".into(), json!(n));
            props.insert("z".into(), json!(h.z));
            props.insert("p".into(), json!(h.p));
            props.insert("p_fdr".into(), json!(h.p_fdr));
            props.insert("bin".into(), json!(h.bin));
            feature_with_bbox(json!(cell.cell.code), &cell.boundary, props)
        })
        .collect();
    let mut extra = Map::new();
    extra.insert(
        "parameters".into(),
        json!({
            "method": "gi-star",
            "cells": area.len(),
            "neighbourhood_m": band_m,
            "fdr": true,
            "from": from,
            "to": to,
            "description_zh": format!("Getis-Ord Gi* 热点分析：{} 个网格，邻域为中心相距 {band_m} 米以内的网格，已做错误发现率（FDR）校正；置信度 99%/95%/90% 对应 ±3/±2/±1。", area.len()),
            "description_en": format!("Getis-Ord Gi* hot spots over {} grid cells; neighbours are cells whose centres lie within {band_m} m; corrected for false discoveries (FDR); bins ±3/±2/±1 = 99/95/90% confidence.", area.len()),
        }),
    );
    extra.insert("warnings".into(), json!(warnings));
    Ok(geojson_response(collection(features, extra)))
}
