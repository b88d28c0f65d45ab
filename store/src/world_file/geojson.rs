//! World files as GeoJSON: a folder with one `<layer>.geojson` per layer, or one layer's file.
//! RFC 7946 says WGS84; the legacy `crs` member (`EPSG:4490`, `urn:ogc:def:crs:EPSG::4490`) is
//! honoured where a file has one.

use super::fields::{Row, Shape, Value, match_columns, push};
use super::transform::{SourceCrs, choose};
use super::{WorldFileError, WorldRead};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::HashMap;
use std::path::Path;
use world::Layer;

pub(super) fn read_folder(dir: &Path, crs: Option<analytics::crs::Crs>) -> Result<WorldRead, WorldFileError> {
    let mut out = WorldRead::default();
    for layer in Layer::ALL {
        let Some(path) =
            ["geojson", "json"].iter().map(|ext| dir.join(format!("{}.{ext}", layer.as_str()))).find(|p| p.is_file())
        else {
            continue;
        };
        read_layer(&path, layer, crs, &mut out)?;
    }
    Ok(out)
}

pub(super) fn read_one(path: &Path, crs: Option<analytics::crs::Crs>) -> Result<WorldRead, WorldFileError> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let layer = Layer::parse(&stem.to_ascii_lowercase()).ok_or_else(|| WorldFileError::Open {
        path: path.to_path_buf(),
        message: format!(
            "one layer's GeoJSON file is named after its layer: {}",
            Layer::ALL.map(|l| format!("{}.geojson", l.as_str())).join(", ")
        ),
    })?;
    let mut out = WorldRead::default();
    read_layer(path, layer, crs, &mut out)?;
    Ok(out)
}

fn epsg_of(name: &str) -> Option<i64> {
    let n = name.trim();
    if n.ends_with("CRS84") {
        return Some(4326);
    }
    n.rsplit(':').next()?.parse().ok()
}

fn read_layer(
    path: &Path,
    layer: Layer,
    crs: Option<analytics::crs::Crs>,
    out: &mut WorldRead,
) -> Result<(), WorldFileError> {
    let open = |message: String| WorldFileError::Open { path: path.to_path_buf(), message };
    let text = std::fs::read_to_string(path).map_err(|e| open(e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| open(format!("not JSON: {e}")))?;
    let features = doc["features"].as_array().ok_or_else(|| open("not a GeoJSON FeatureCollection".into()))?;
    let in_file = doc["crs"]["properties"]["name"]
        .as_str()
        .map(|name| epsg_of(name).and_then(SourceCrs::of_epsg).ok_or_else(|| name.to_owned()));
    let (transform, note) = choose(layer.as_str(), in_file, crs, true)?;
    if layer.has_geometry() {
        out.notes.push(note);
    }
    for (k, f) in features.iter().enumerate() {
        let number = k as u64 + 1;
        let bad = |field: &'static str, message: String| WorldFileError::Field {
            layer: layer.as_str(),
            row: number,
            field,
            message,
        };
        let props = f["properties"].as_object().cloned().unwrap_or_default();
        let names: Vec<String> = props.keys().cloned().collect();
        let matched = match_columns(layer, &names);
        let mut row = Row { layer, number, values: HashMap::new() };
        for (name, field) in names.iter().zip(matched) {
            let Some(field) = field else { continue };
            let value = match &props[name] {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Value::Integer(i),
                    None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                },
                serde_json::Value::String(s) => Value::Text(s.clone()),
                serde_json::Value::Array(a) => {
                    Value::List(a.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect())
                }
                serde_json::Value::Object(_) => return Err(bad(field, "an object is not a value".into())),
            };
            row.values.insert(field, value);
        }
        let g = &f["geometry"];
        let shape = if g.is_null() {
            Shape::None
        } else {
            let shape = geometry(g).map_err(|m| bad("geometry", m))?;
            match shape {
                Shape::Area(a) => Shape::Area(transform.geometry(&a)),
                Shape::Point(p) => Shape::Point(transform.geometry(&p)),
                Shape::None => Shape::None,
            }
        };
        push(&mut out.world, &row, shape)?;
    }
    out.layers.push(layer);
    Ok(())
}

fn position(v: &serde_json::Value) -> Result<Coord<f64>, String> {
    match v.as_array().map(Vec::as_slice) {
        Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => Ok(Coord { x, y }),
            _ => Err("a position is two numbers".into()),
        },
        _ => Err("a position is an array of two numbers".into()),
    }
}

fn polygon(v: &serde_json::Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("a polygon is an array of rings")?;
    let mut rings = rings.iter().map(|r| {
        r.as_array()
            .ok_or_else(|| "a ring is an array of positions".to_owned())
            .and_then(|ps| ps.iter().map(position).collect::<Result<Vec<_>, _>>())
            .map(LineString::new)
    });
    let exterior = rings.next().ok_or("a polygon needs an exterior ring")??;
    Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
}

fn geometry(g: &serde_json::Value) -> Result<Shape, String> {
    let c = &g["coordinates"];
    match g["type"].as_str() {
        Some("Point") => Ok(Shape::Point(Point::from(position(c)?))),
        Some("Polygon") => Ok(Shape::Area(MultiPolygon::new(vec![polygon(c)?]))),
        Some("MultiPolygon") => Ok(Shape::Area(MultiPolygon::new(
            c.as_array()
                .ok_or("a MultiPolygon is an array of polygons")?
                .iter()
                .map(polygon)
                .collect::<Result<_, _>>()?,
        ))),
        Some(other) => Err(format!("{other} is not a Point, Polygon or MultiPolygon")),
        None => Err("a geometry has a type".into()),
    }
}
