//! OGC API – Features, Part 1 (Core, GeoJSON) at `/ogc`, for GIS clients (QGIS, GDAL's OAPIF
//! driver): the landing page, `/conformance`, `/collections`, one collection, its `items`
//! (`bbox`, `datetime` for incidents, `limit`, `next` links) and one item. The collections are
//! regions, cells, incidents, cameras, stations, key places and checkpoints.
//!
//! The same rules as the rest of the API: a signed-in caller (a Bearer token for a GIS client),
//! answers inside the caller's jurisdiction only, personal data masked for roles that do not
//! handle it, and a case read (`items/{id}` of incidents) on record in the audit log.

use super::error::AppError;
use super::features::{GEO_JSON, incident_feature, region_feature, resource_feature, typed_geojson_response};
use super::params::{MAX_LIMIT, Params, Window, format_cursor};
use super::regions::cell_level_feature;
use crate::auth::Caller;
use crate::query::IncidentQuery;
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use model::{CellCode, IncidentId, RegionCode, ResourceKind};
use serde_json::{Value, json};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Items per page when the client does not say.
const DEFAULT_ITEMS: usize = 10;
/// Most items per page of regions, cells and resources (incidents: the API's own limit).
const MAX_ITEMS: usize = 10_000;

/// The collections: id, title in Chinese, title in English.
const COLLECTIONS: [(&str, &str, &str); 7] = [
    ("regions", "行政区划", "Regions: city, counties, townships, villages"),
    ("cells", "网格", "Grid cells"),
    ("incidents", "警情", "Incidents (list fields; no free text or personal data)"),
    ("cameras", "视频监控", "Cameras"),
    ("stations", "派出所", "Police stations"),
    ("key_places", "重点场所", "Key places"),
    ("checkpoints", "卡口", "Checkpoints"),
];

fn kind_of(collection: &str) -> Option<ResourceKind> {
    match collection {
        "cameras" => Some(ResourceKind::Camera),
        "stations" => Some(ResourceKind::Station),
        "key_places" => Some(ResourceKind::KeyPlace),
        "checkpoints" => Some(ResourceKind::Checkpoint),
        _ => None,
    }
}

/// The URL the client reached us at: `Host`, and `https` when a proxy says so.
fn base(headers: &HeaderMap) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).is_some_and(|p| p == "https");
    format!("{}://{host}/ogc", if https { "https" } else { "http" })
}

fn json_response(body: Value) -> Response {
    ([(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// `f=json` (or `f=geojson`) is accepted; any other format is refused.
fn format_param(p: &mut Params) -> Result<(), AppError> {
    match p.one("f")?.as_deref() {
        None | Some("json" | "geojson") => Ok(()),
        Some(other) => Err(AppError::bad("f", format!("format {other:?} is not served: use f=json"))),
    }
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// `GET /ogc`: the landing page.
pub async fn landing(caller: Caller, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let _ = caller;
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    p.finish()?;
    let b = base(&headers);
    Ok(json_response(json!({
        "title": "SafeGrid 平安网格",
        "description": "武威市平安网格：行政区划、网格、警情与防控资源 (Wuwei public-safety grid: regions, grid cells, incidents, prevention resources)",
        "links": [
            link(b.clone(), "self", "application/json", "this document"),
            link(format!("{b}/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{b}/collections"), "data", "application/json", "the collections"),
        ]
    })))
}

/// `GET /ogc/conformance`.
pub async fn conformance(caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let _ = caller;
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    p.finish()?;
    Ok(json_response(json!({"conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    ]})))
}

/// WGS84 bounds of what the caller may see.
fn extent(s: &AppState, caller: &Caller) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for c in s.geography.cells().iter().filter(|c| caller.scope.allows_cell(c.cell.code)) {
        if let Some(r) = geo::BoundingRect::bounding_rect(&c.boundary) {
            b = [b[0].min(r.min().x), b[1].min(r.min().y), b[2].max(r.max().x), b[3].max(r.max().y)];
        }
    }
    if b[0].is_finite() { b } else { [-180.0, -90.0, 180.0, 90.0] }
}

fn collection_json(b: &str, id: &str, zh: &str, en: &str, bbox: [f64; 4]) -> Value {
    let mut extent = json!({"spatial": {"bbox": [bbox], "crs": CRS84}});
    if id == "incidents" {
        extent["temporal"] = json!({"interval": [[Value::Null, Value::Null]]});
    }
    json!({
        "id": id,
        "title": format!("{zh} ({en})"),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            link(format!("{b}/collections/{id}"), "self", "application/json", "this collection"),
            link(format!("{b}/collections/{id}/items"), "items", GEO_JSON, "its features"),
        ]
    })
}

fn find(id: &str) -> Result<(&'static str, &'static str, &'static str), AppError> {
    COLLECTIONS.into_iter().find(|c| c.0 == id).ok_or_else(|| AppError::NotFound {
        message: format!("no collection {id:?}; collections: {}", COLLECTIONS.map(|c| c.0).join(", ")),
        field: None,
    })
}

/// `GET /ogc/collections`.
pub async fn collections(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    p.finish()?;
    let b = base(&headers);
    let bbox = extent(&s, &caller);
    let list: Vec<Value> = COLLECTIONS.iter().map(|(id, zh, en)| collection_json(&b, id, zh, en, bbox)).collect();
    Ok(json_response(json!({
        "links": [link(format!("{b}/collections"), "self", "application/json", "the collections")],
        "collections": list,
    })))
}

/// `GET /ogc/collections/{id}`.
pub async fn collection(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (id, zh, en) = find(&id)?;
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    p.finish()?;
    Ok(json_response(collection_json(&base(&headers), id, zh, en, extent(&s, &caller))))
}

/// `datetime=`: an instant, or `start/end` with `..` (or nothing) for an open end.
fn datetime(v: &str) -> Result<Window, AppError> {
    let bad = |m: String| AppError::bad("datetime", m);
    let one = |s: &str| -> Result<Option<DateTime<Utc>>, AppError> {
        match s.trim() {
            "" | ".." => Ok(None),
            t => model::time::parse_timestamp(t).map(Some).map_err(|e| bad(format!("{t}: {e}"))),
        }
    };
    match v.split_once('/') {
        Some((a, b)) => {
            let (from, to) = (one(a)?, one(b)?);
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                return Err(bad("the interval's start is after its end".into()));
            }
            // The interval is closed; the index's `to` is exclusive.
            Ok((from, to.map(|t| t + chrono::Duration::milliseconds(1))))
        }
        None => {
            let t = one(v)?.ok_or_else(|| bad("an instant or an interval start/end".into()))?;
            Ok((Some(t), Some(t + chrono::Duration::milliseconds(1))))
        }
    }
}

fn page_limit(p: &mut Params, max: usize) -> Result<usize, AppError> {
    match p.one("limit")? {
        None => Ok(DEFAULT_ITEMS),
        // Larger asks are served at the most a page holds, as the standard allows.
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n.min(max)),
            _ => Err(AppError::bad("limit", "limit must be a whole number of 1 or more")),
        },
    }
}

fn offset(p: &mut Params) -> Result<usize, AppError> {
    match p.one("offset")? {
        None => Ok(0),
        Some(v) => v.parse::<usize>().map_err(|_| AppError::bad("offset", "offset must be a whole number")),
    }
}

/// A FeatureCollection with the standard's members and links.
fn items_page(features: Vec<Value>, matched: Option<usize>, self_href: String, next_href: Option<String>) -> Response {
    let mut links = vec![link(self_href, "self", GEO_JSON, "this page")];
    if let Some(n) = next_href {
        links.push(link(n, "next", GEO_JSON, "the next page"));
    }
    let mut body = json!({
        "type": "FeatureCollection",
        "timeStamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "numberReturned": features.len(),
        "links": links,
        "features": features,
    });
    if let Some(m) = matched {
        body["numberMatched"] = json!(m);
    }
    ([(CONTENT_TYPE, GEO_JSON)], body.to_string()).into_response()
}

fn with_param(href: &str, q: Option<&str>, name: &str, value: &str) -> String {
    let rest: Vec<&str> =
        q.unwrap_or("").split('&').filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(name)).collect();
    let mut parts = rest.join("&");
    if !parts.is_empty() {
        parts.push('&');
    }
    format!("{href}?{parts}{name}={value}")
}

/// `GET /ogc/collections/{id}/items`.
pub async fn items(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (id, _, _) = find(&id)?;
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    let href = format!("{}/collections/{id}/items", base(&headers));
    let self_href = match q.as_deref() {
        Some(q) if !q.is_empty() => format!("{href}?{q}"),
        _ => href.clone(),
    };
    let bbox = p.bbox()?;
    if id == "incidents" {
        let window = p.one("datetime")?.map(|v| datetime(&v)).transpose()?;
        let limit = page_limit(&mut p, MAX_LIMIT)?;
        let cursor = p.cursor()?;
        p.finish()?;
        let (from, to) = window.unwrap_or((None, None));
        let query = IncidentQuery { area: None, bbox, from, to, categories: vec![], statuses: vec![] };
        let filter = query.filter(&s.geography, &caller.scope)?;
        let matched: u64 = s.cell_counts(&filter).await?.iter().map(|&n| u64::from(n)).sum();
        let (page, next) = s.page(&filter, limit, cursor).await?;
        let features: Vec<Value> = page
            .iter()
            .filter_map(|pt| {
                let mut out = String::new();
                super::features::write_incident_point(&mut out, pt, &s.geography);
                serde_json::from_str(&out).ok()
            })
            .collect();
        let next_href = next.map(|c| with_param(&href, q.as_deref(), "cursor", &format_cursor(c)));
        return Ok(items_page(features, Some(matched as usize), self_href, next_href));
    }
    let _ = p.one("datetime")?; // These collections have no time: the standard lets them ignore it.
    let limit = page_limit(&mut p, MAX_ITEMS)?;
    let start = offset(&mut p)?;
    p.finish()?;
    let in_box = |w: [f64; 4]| {
        bbox.is_none_or(|b| w[0] <= b.max_lon && w[2] >= b.min_lon && w[1] <= b.max_lat && w[3] >= b.min_lat)
    };
    let all: Vec<Value> = match id {
        "regions" => s
            .geography
            .regions()
            .iter()
            .filter(|r| caller.scope.allows_region(r.region.code))
            .filter(|r| super::features::bbox_of(&r.boundary).is_some_and(in_box))
            .map(region_feature)
            .collect(),
        "cells" => s
            .geography
            .cells()
            .iter()
            .filter(|c| caller.scope.allows_cell(c.cell.code))
            .filter(|c| super::features::bbox_of(&c.boundary).is_some_and(in_box))
            .map(|c| serde_json::to_value(cell_level_feature(c, None)).unwrap_or(Value::Null))
            .collect(),
        _ => {
            let kind = kind_of(id);
            s.geography
                .resources()
                .iter()
                .filter(|r| Some(r.kind) == kind && caller.scope.allows_region(r.region_code))
                .filter(|r| in_box([r.lon, r.lat, r.lon, r.lat]))
                .map(resource_feature)
                .collect()
        }
    };
    let matched = all.len();
    let features: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
    let next_href = (start + features.len() < matched)
        .then(|| with_param(&href, q.as_deref(), "offset", &(start + limit).to_string()));
    Ok(items_page(features, Some(matched), self_href, next_href))
}

/// `GET /ogc/collections/{id}/items/{fid}`: one feature; outside the jurisdiction is the same
/// 404 as missing.
pub async fn item(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (id, _, _) = find(&id)?;
    let mut p = Params::parse(q.as_deref());
    format_param(&mut p)?;
    p.finish()?;
    let not_found = || AppError::NotFound { message: format!("no feature {fid} in {id}"), field: None };
    let feature: Value = match id {
        "regions" => {
            let code = RegionCode::parse(&fid).map_err(|_| not_found())?;
            let r = s.geography.region(code).filter(|_| caller.scope.allows_region(code)).ok_or_else(not_found)?;
            region_feature(r)
        }
        "cells" => {
            let code = CellCode::parse(&fid).map_err(|_| not_found())?;
            let (_, c) = s.geography.cell(code).filter(|_| caller.scope.allows_cell(code)).ok_or_else(not_found)?;
            serde_json::to_value(cell_level_feature(c, None)).unwrap_or(Value::Null)
        }
        "incidents" => {
            let n: u64 = fid.parse().map_err(|_| not_found())?;
            let found = s.store.incidents_by_id(&caller.scope, vec![IncidentId(n)]).await?.into_iter().next();
            let Some(incident) = found else {
                s.audit(caller.audit("read_incident", fid.clone(), "denied")).await?;
                return Err(not_found());
            };
            s.audit(caller.audit("read_incident", fid.clone(), "ok")).await?;
            return Ok(typed_geojson_response(&incident_feature(
                &incident,
                &s.geography,
                caller.masks_personal_data(),
            )));
        }
        _ => {
            let n: u64 = fid.parse().map_err(|_| not_found())?;
            let kind = kind_of(id);
            let r = s
                .geography
                .resources()
                .iter()
                .find(|r| r.id == n && Some(r.kind) == kind && caller.scope.allows_region(r.region_code))
                .ok_or_else(not_found)?;
            resource_feature(r)
        }
    };
    Ok(([(CONTENT_TYPE, GEO_JSON)], feature.to_string()).into_response())
}
