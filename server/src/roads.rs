//! A road network from a GeoJSON file of LineStrings / MultiLineStrings (WGS84), projected to
//! UTM 48N metres for `analytics::roads::RoadNetwork`: patrol routes and dispatch ETAs follow
//! it when `--roads FILE` is given.

use analytics::TransverseMercator;
use analytics::roads::RoadNetwork;
use std::path::Path;

/// Vertices closer than this are one junction, metres.
pub const SNAP_M: f64 = 5.0;

/// Why a roads file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RoadsError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not GeoJSON.
    #[error("{path}: not GeoJSON: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A feature is not a line or lies outside WGS84 bounds.
    #[error("{path}: feature {index}: {message}")]
    Feature {
        /// The file.
        path: String,
        /// Index of the feature.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// No usable line at all.
    #[error("{path}: no LineString or MultiLineString features")]
    Empty {
        /// The file.
        path: String,
    },
}

/// Reads and projects a roads file.
pub fn load(path: &Path, utm: TransverseMercator) -> Result<RoadNetwork, RoadsError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RoadsError::Read { path: name.clone(), source })?;
    parse(&text, &name, utm)
}

/// Parses roads GeoJSON text (`name` for messages): a FeatureCollection, a Feature or a bare
/// geometry; LineString and MultiLineString geometries are used, others ignored.
pub fn parse(text: &str, name: &str, utm: TransverseMercator) -> Result<RoadNetwork, RoadsError> {
    let gj: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RoadsError::Parse { path: name.to_owned(), message: e.to_string() })?;
    let geometries: Vec<&serde_json::Value> = match gj["type"].as_str() {
        Some("FeatureCollection") => gj["features"].as_array().into_iter().flatten().map(|f| &f["geometry"]).collect(),
        Some("Feature") => vec![&gj["geometry"]],
        _ => vec![&gj],
    };
    let bad =
        |index: usize, message: &str| RoadsError::Feature { path: name.to_owned(), index, message: message.to_owned() };
    let mut lines: Vec<Vec<[f64; 2]>> = Vec::new();
    for (index, g) in geometries.into_iter().enumerate() {
        let coords = &g["coordinates"];
        let parts: Vec<&serde_json::Value> = match g["type"].as_str() {
            Some("LineString") => vec![coords],
            Some("MultiLineString") => coords.as_array().into_iter().flatten().collect(),
            _ => continue,
        };
        for part in parts {
            let Some(positions) = part.as_array() else {
                return Err(bad(index, "coordinates must be an array of positions"));
            };
            let mut line = Vec::with_capacity(positions.len());
            for p in positions {
                let (Some(lon), Some(lat)) = (p[0].as_f64(), p[1].as_f64()) else {
                    return Err(bad(index, "a position needs longitude and latitude"));
                };
                if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
                    return Err(bad(index, "coordinates are not WGS84 longitude/latitude"));
                }
                let (x, y) = utm.forward(lon, lat);
                line.push([x, y]);
            }
            if line.len() >= 2 {
                lines.push(line);
            }
        }
    }
    if lines.is_empty() {
        return Err(RoadsError::Empty { path: name.to_owned() });
    }
    Ok(RoadNetwork::from_lines(&lines, SNAP_M))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_a_network_and_bad_files_are_named() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[102.60,37.90],[102.62,37.90]]},"properties":{}},
            {"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[102.62,37.90],[102.62,37.92]]]},"properties":{}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[102.6,37.9]},"properties":{}}]}"#;
        let utm = TransverseMercator::utm(48, true);
        let net = parse(text, "roads.geojson", utm).unwrap();
        assert_eq!(net.node_count(), 3, "the shared corner is one junction");
        let (a, b) = (utm.forward(102.60, 37.90), utm.forward(102.62, 37.92));
        let straight = (a.0 - b.0).hypot(a.1 - b.1);
        let road = net.travel_m([a.0, a.1], [b.0, b.1], 1.0);
        assert!(road > straight * 1.3, "along the L: {road} vs {straight}");
        let e =
            parse(r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[500,37],[102,37]]}}"#, "x", utm)
                .unwrap_err();
        assert!(e.to_string().contains("feature 0"), "{e}");
        assert!(matches!(parse("{}", "x", utm), Err(RoadsError::Empty { .. })));
        assert!(matches!(parse("nope", "x", utm), Err(RoadsError::Parse { .. })));
    }
}
