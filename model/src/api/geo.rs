//! GeoJSON (RFC 7946) answers with typed properties: a [`Feature`] carries its own properties
//! type, a [`FeatureCollection`] its own top-level members. The geometry stays a JSON value,
//! because its only reader is the map, which takes it as it is.

use serde::{Deserialize, Serialize};

/// The `type` member of a Feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureType {
    /// The only value.
    #[default]
    Feature,
}

/// The `type` member of a FeatureCollection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureCollectionType {
    /// The only value.
    #[default]
    FeatureCollection,
}

/// A feature's id: a number (incidents, resources) or a code (regions, cells).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureId {
    /// A numeric id.
    Number(u64),
    /// A code or other text.
    Text(String),
}

/// A GeoJSON Feature with properties of type `P`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature<P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The feature's id.
    pub id: FeatureId,
    /// `[minLon, minLat, maxLon, maxLat]` of a polygon feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// The geometry, WGS84 lon/lat.
    pub geometry: serde_json::Value,
    /// The properties.
    pub properties: P,
}

impl<P> Feature<P> {
    /// A feature of `id` at `geometry`.
    pub fn new(id: FeatureId, geometry: serde_json::Value, properties: P) -> Feature<P> {
        Feature { kind: FeatureType::Feature, id, bbox: None, geometry, properties }
    }

    /// A Point feature at (lon, lat).
    pub fn point(id: FeatureId, lon: f64, lat: f64, properties: P) -> Feature<P> {
        Feature::new(id, serde_json::json!({"type": "Point", "coordinates": [lon, lat]}), properties)
    }
}

/// A GeoJSON FeatureCollection of features with properties `P`, and top-level members `X`
/// (an analysis' `parameters` and `warnings`, for instance) flattened beside `features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureCollection<P, X = NoMembers> {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// Members beside `type` and `features`.
    #[serde(flatten)]
    pub members: X,
    /// The features.
    pub features: Vec<Feature<P>>,
}

impl<P, X> FeatureCollection<P, X> {
    /// A collection of `features` with `members`.
    pub fn new(features: Vec<Feature<P>>, members: X) -> FeatureCollection<P, X> {
        FeatureCollection { kind: FeatureCollectionType::FeatureCollection, members, features }
    }
}

/// No members beside `type` and `features`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoMembers {}

/// The members of an analysis answer: what was computed, in words, and what the user must know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysed<X> {
    /// The method and its parameters.
    pub parameters: X,
    /// What makes the result less reliable (too few cells, for instance).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Named {
        name: String,
    }

    #[test]
    fn a_collection_round_trips_with_its_members_beside_features() {
        let fc = FeatureCollection::new(
            vec![Feature::point(FeatureId::Number(7), 102.6, 37.9, Named { name: "a".into() })],
            Analysed { parameters: Named { name: "kde".into() }, warnings: vec!["few".into()] },
        );
        let text = serde_json::to_string(&fc).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["parameters"]["name"], "kde");
        assert_eq!(v["features"][0]["type"], "Feature");
        assert_eq!(v["features"][0]["id"], 7);
        assert!(v["features"][0].get("bbox").is_none());
        let back: FeatureCollection<Named, Analysed<Named>> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, fc);
    }

    #[test]
    fn a_wrong_type_member_is_refused() {
        let text = r#"{"type":"Feature","id":"620602","geometry":null,"properties":{"name":"x"}}"#;
        let f: Feature<Named> = serde_json::from_str(text).unwrap();
        assert_eq!(f.id, FeatureId::Text("620602".into()));
        assert!(serde_json::from_str::<Feature<Named>>(&text.replace("\"Feature\"", "\"Point\"")).is_err());
    }
}
