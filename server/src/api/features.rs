//! GeoJSON (RFC 7946) output: features of regions, cells, resources and incidents.
//! Coordinates are WGS84 lon/lat, 7 decimals (about 1 cm).

use crate::geography::Geography;
use crate::incident_index::IncidentPoint;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use geo::MultiPolygon;
use model::api::geo::{Feature, FeatureId};
use model::api::incidents::{IncidentDetail, PlaceNames};
use model::time::format_utc_seconds;
use model::{Incident, Region, RegionShape, Resource};
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// The media type of GeoJSON.
pub const GEO_JSON: &str = "application/geo+json";

/// A response with a GeoJSON body.
pub fn geojson_response(body: String) -> Response {
    ([(CONTENT_TYPE, GEO_JSON)], body).into_response()
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// GeoJSON geometry of a multipolygon.
pub fn multipolygon_json(mp: &MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                let rings: Vec<Value> = std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| Value::Array(r.0.iter().map(|c| json!([round7(c.x), round7(c.y)])).collect()))
                    .collect();
                Value::Array(rings)
            })
            .collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

/// A Feature.
pub fn feature(id: Value, geometry: Value, properties: Map<String, Value>) -> Value {
    json!({"type": "Feature", "id": id, "geometry": geometry, "properties": properties})
}

/// A FeatureCollection with extra top-level members.
pub fn collection(features: Vec<Value>, extra: Map<String, Value>) -> String {
    let mut m = Map::new();
    m.insert("type".into(), json!("FeatureCollection"));
    m.extend(extra);
    m.insert("features".into(), Value::Array(features));
    Value::Object(m).to_string()
}

/// Properties of a region.
pub fn region_properties(r: &Region) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("code".into(), json!(r.code));
    p.insert("name".into(), json!(r.name));
    p.insert("level".into(), json!(r.level));
    p.insert("parent_code".into(), json!(r.parent_code));
    p.insert("population".into(), json!(r.population));
    p.insert("households".into(), json!(r.households));
    p.insert("synthetic".into(), json!(r.synthetic));
    p
}

/// WGS84 bounds `[minLon, minLat, maxLon, maxLat]` of a multipolygon (`None` when empty).
pub fn bbox_of(mp: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    geo::BoundingRect::bounding_rect(mp).map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// A Feature with an RFC 7946 `bbox` member computed from its multipolygon.
pub fn feature_with_bbox(id: Value, mp: &MultiPolygon<f64>, properties: Map<String, Value>) -> Value {
    let mut f = feature(id, multipolygon_json(mp), properties);
    if let Some(b) = bbox_of(mp) {
        f["bbox"] = json!(b.map(round7));
    }
    f
}

/// A typed Feature of a multipolygon, with its RFC 7946 `bbox`.
pub fn typed_feature_with_bbox<P>(id: FeatureId, mp: &MultiPolygon<f64>, properties: P) -> Feature<P> {
    let mut f = Feature::new(id, multipolygon_json(mp), properties);
    f.bbox = bbox_of(mp).map(|b| b.map(round7));
    f
}

/// A response with a typed GeoJSON body.
pub fn typed_geojson_response<T: serde::Serialize>(body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => geojson_response(text),
        Err(e) => super::error::AppError::Internal(format!("answer not serialisable: {e}")).into_response(),
    }
}

/// A region Feature (with its bbox).
pub fn region_feature(r: &RegionShape) -> Value {
    feature_with_bbox(json!(r.region.code), &r.boundary, region_properties(&r.region))
}

/// A resource Feature.
pub fn resource_feature(r: &Resource) -> Value {
    let mut p = Map::new();
    p.insert("id".into(), json!(r.id));
    p.insert("kind".into(), json!(r.kind));
    p.insert("prevention".into(), json!(r.kind.prevention()));
    p.insert("name".into(), json!(r.name));
    p.insert("region_code".into(), json!(r.region_code));
    p.insert("subtype".into(), json!(r.subtype));
    if let Some(c) = r.camera {
        p.insert("heading_deg".into(), json!(c.heading_deg));
        p.insert("fov_deg".into(), json!(c.fov_deg));
        p.insert("range_m".into(), json!(c.range_m));
    }
    feature(json!(r.id), json!({"type": "Point", "coordinates": [r.lon, r.lat]}), p)
}

/// Writes the compact list Feature of an index record (no free text, no personal data).
pub fn write_incident_point(out: &mut String, p: &IncidentPoint, geography: &Geography) {
    let pl = geography.placement(p.cell);
    let _ = write!(
        out,
        r#"{{"type":"Feature","id":{id},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"id":{id},"category":"{cat}","subcategory":{sub},"status":"{st}","severity":"{sev}","source":"{src}","occurred_at":""#,
        id = p.id.0,
        lon = p.lon,
        lat = p.lat,
        cat = p.category.as_str(),
        sub = match p.subcategory {
            Some(s) => format!("\"{}\"", s.as_str()),
            None => "null".to_owned(),
        },
        st = p.status.as_str(),
        sev = p.severity.as_str(),
        src = p.source.as_str(),
    );
    format_utc_seconds(p.occurred_s, out);
    out.push_str(r#"","reported_at":""#);
    format_utc_seconds(p.reported_s, out);
    let _ = write!(
        out,
        r#"","county_code":"{}","township_code":"{}","village_code":"{}","cell_code":"{}"}}}}"#,
        pl.county_code, pl.township_code, pl.village_code, pl.cell_code
    );
}

/// Writes a FeatureCollection of index records with `next_cursor`.
pub fn incident_points_collection(
    points: &[IncidentPoint],
    geography: &Geography,
    next_cursor: Option<String>,
) -> String {
    let mut out = String::with_capacity(64 + points.len() * 420);
    out.push_str(r#"{"type":"FeatureCollection","count":"#);
    let _ = write!(out, "{}", points.len());
    out.push_str(r#","next_cursor":"#);
    match next_cursor {
        Some(c) => {
            let _ = write!(out, "\"{c}\"");
        }
        None => out.push_str("null"),
    }
    out.push_str(r#","features":["#);
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_incident_point(&mut out, p, geography);
    }
    out.push_str("]}");
    out
}

/// The full Feature of one incident, with the names of its regions and cell; reporter name and
/// phone masked (脱敏) when `mask`.
pub fn incident_feature(i: &Incident, geography: &Geography, mask: bool) -> Feature<IncidentDetail> {
    let name_of = |code| geography.region(code).map(|r| r.region.name.clone());
    let names = PlaceNames {
        county: name_of(i.placement.county_code),
        township: name_of(i.placement.township_code),
        village: name_of(i.placement.village_code),
        cell: geography.cell(i.placement.cell_code).map(|(_, c)| c.cell.name.clone()),
    };
    IncidentDetail::feature(i, names, mask)
}
