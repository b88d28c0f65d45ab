//! Turning a submitted GeoJSON Feature into a validated [`NewIncident`]: every rule a report must
//! satisfy, with the failing field named. Used by `POST /api/incidents` and `safegrid import`.
//!
//! Coordinates may arrive in WGS84, CGCS2000, GCJ-02 or BD-09 (`properties.crs`); they are
//! converted to WGS84 here, at the edge.

use analytics::crs::Crs;
use chrono::{DateTime, Duration, Utc};
use model::{Category, NewIncident, Severity, Source, Status, Subcategory};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// How far in the future a timestamp may lie (clock skew between reporting devices).
pub const FUTURE_TOLERANCE_S: i64 = 300;
/// Longest address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2_000;
/// Longest name or external id, in characters.
pub const MAX_SHORT_CHARS: usize = 100;

/// A rule a submitted incident broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `properties.category`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn fail<T>(field: &str, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError { field: field.to_owned(), message: message.into() })
}

/// Properties produced by the server (exports) that are accepted on input and ignored.
const DERIVED: &[&str] = &[
    "id",
    "county_code",
    "township_code",
    "village_code",
    "cell_code",
    "county_name",
    "township_name",
    "village_name",
    "cell_name",
];

const KNOWN: &[&str] = &[
    "crs",
    "source",
    "external_id",
    "category",
    "subcategory",
    "occurred_at",
    "reported_at",
    "address",
    "summary",
    "reporter_name",
    "reporter_phone",
    "severity",
    "status",
];

/// A JSON value as the rules read it: strings borrowed from the text they were read from where
/// they hold no escapes, objects as their members in order (a repeated key: the last counts, as
/// in [`Value`]). A batch's items are read into this, not into [`Value`]: no map, and no string
/// per member that holds no escapes, is built and dropped.
#[derive(Debug)]
enum Json<'a> {
    Null,
    Bool,
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// An object's member `key` (the last of that name).
    fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(members) => member(members, key),
            _ => None,
        }
    }
}

fn member<'m, 'a>(members: &'m [(Cow<'a, str>, Json<'a>)], key: &str) -> Option<&'m Json<'a>> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl<'de> serde::Deserialize<'de> for Json<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Json<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json<'de>, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json<'de>, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Json<'de>, E> {
                Ok(Json::Bool)
            }
            // As `Value::as_f64` reads every number.
            fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
                Ok(Json::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
                Ok(Json::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
                Ok(Json::Number(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Owned(v)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
                while let Some((key, value)) = map.next_entry::<Json<'de>, Json<'de>>()? {
                    // JSON's keys are strings.
                    let Json::String(key) = key else {
                        return Err(serde::de::Error::custom("an object's key is not a string"));
                    };
                    members.push((key, value));
                }
                Ok(Json::Object(members))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// An object's members.
type Members<'m, 'a> = &'m [(Cow<'a, str>, Json<'a>)];

fn text(props: Members<'_, '_>, key: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
    trimmed(props, key, max_chars).map(|t| t.map(str::to_owned))
}

/// A string property, trimmed; `None` when absent, null or blank.
fn trimmed<'m>(props: Members<'m, '_>, key: &str, max_chars: usize) -> Result<Option<&'m str>, FieldError> {
    let field = || format!("properties.{key}");
    match member(props, key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => {
            let t = s.trim();
            if t.chars().count() > max_chars {
                return fail(&field(), format!("longer than {max_chars} characters"));
            }
            if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return fail(&field(), "contains control characters");
            }
            Ok((!t.is_empty()).then_some(t))
        }
        Some(_) => fail(&field(), "must be a string"),
    }
}

fn timestamp(props: Members<'_, '_>, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    let field = || format!("properties.{key}");
    match member(props, key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => {
            DateTime::parse_from_rfc3339(s.trim()).map(|t| Some(t.with_timezone(&Utc))).or_else(|_| {
                fail(&field(), format!("{s:?} is not an RFC 3339 timestamp such as 2024-01-17T17:18:00+08:00"))
            })
        }
        Some(_) => fail(&field(), "must be an RFC 3339 string"),
    }
}

/// A property naming one of `all` (by `parse`); an unknown name is answered with every name.
fn labelled<T: Copy>(
    props: Members<'_, '_>,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<Option<T>, FieldError> {
    let Some(s) = trimmed(props, key, MAX_SHORT_CHARS)? else {
        return Ok(None);
    };
    match parse(s) {
        Some(v) => Ok(Some(v)),
        None => {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            fail(&format!("properties.{key}"), format!("unknown {key} {s:?}; expected one of {}", names.join(", ")))
        }
    }
}

/// Validates a GeoJSON Feature (already parsed JSON) as a new incident at time `now`.
/// `default_source` applies when `properties.source` is absent.
pub fn incident_from_feature(
    feature: &Value,
    now: DateTime<Utc>,
    default_source: Source,
) -> Result<NewIncident, FieldError> {
    match Json::deserialize(feature) {
        Ok(json) => incident_from_json(&json, now, default_source),
        // Every value reads as a `Json`.
        Err(e) => fail("type", format!("unreadable feature: {e}")),
    }
}

/// [`incident_from_feature`] of a Feature's JSON text, read without building a [`Value`]: the
/// outer error when `text` is not JSON, the inner one when the Feature breaks a rule (the same
/// rules and answers as for the parsed text).
pub fn incident_from_text(
    text: &str,
    now: DateTime<Utc>,
    default_source: Source,
) -> Result<Result<NewIncident, FieldError>, serde_json::Error> {
    let json: Json<'_> = serde_json::from_str(text)?;
    Ok(incident_from_json(&json, now, default_source))
}

fn incident_from_json(
    feature: &Json<'_>,
    now: DateTime<Utc>,
    default_source: Source,
) -> Result<NewIncident, FieldError> {
    let Json::Object(obj) = feature else {
        return fail("type", "body must be a GeoJSON Feature object");
    };
    if member(obj, "type").and_then(Json::as_str) != Some("Feature") {
        return fail("type", "must be \"Feature\"");
    }
    let geometry = match member(obj, "geometry") {
        Some(g @ Json::Object(_)) => g,
        _ => return fail("geometry", "a Point geometry is required"),
    };
    if geometry.get("type").and_then(Json::as_str) != Some("Point") {
        return fail("geometry.type", "must be \"Point\"");
    }
    let coords: Vec<f64> = match geometry.get("coordinates") {
        Some(Json::Array(a)) if (2..=3).contains(&a.len()) => a
            .iter()
            .filter_map(|v| match v {
                Json::Number(x) => Some(*x),
                _ => None,
            })
            .collect(),
        _ => return fail("geometry.coordinates", "must be [longitude, latitude]"),
    };
    if coords.len() < 2 || !coords.iter().all(|v| v.is_finite()) {
        return fail("geometry.coordinates", "must be two finite numbers [longitude, latitude]");
    }
    let (lon, lat) = (coords[0], coords[1]);
    if !(-180.0..=180.0).contains(&lon) {
        return fail("geometry.coordinates", format!("longitude {lon} is outside [-180, 180]"));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return fail("geometry.coordinates", format!("latitude {lat} is outside [-90, 90]"));
    }
    let props = match member(obj, "properties") {
        Some(Json::Object(p)) => p.as_slice(),
        _ => {
            return fail("properties", "an object with at least category and occurred_at is required");
        }
    };
    // The first unknown name in [`Value`]'s key order (sorted), whatever order the text has.
    if let Some(unknown) =
        props.iter().map(|(k, _)| k.as_ref()).filter(|k| !KNOWN.contains(k) && !DERIVED.contains(k)).min()
    {
        return fail(&format!("properties.{unknown}"), "unknown property");
    }
    let crs = match text(props, "crs", 16)? {
        None => Crs::Wgs84,
        Some(s) => match Crs::parse(&s) {
            Some(c) => c,
            None => {
                return fail("properties.crs", format!("unknown crs {s:?}; expected wgs84, cgcs2000, gcj02 or bd09"));
            }
        },
    };
    let (lon, lat) = crs.to_wgs84(lon, lat);

    let category = labelled(props, "category", Category::parse_label, Category::all(), Category::as_str)?;
    let Some(category) = category else {
        return fail("properties.category", "is required");
    };
    let subcategory =
        labelled(props, "subcategory", Subcategory::parse_label, Subcategory::all(), Subcategory::as_str)?;
    if let Some(s) = subcategory
        && s.category() != category
    {
        return fail(
            "properties.subcategory",
            format!("{} belongs to category {}, not {}", s.as_str(), s.category().as_str(), category.as_str()),
        );
    }
    let limit = now + Duration::seconds(FUTURE_TOLERANCE_S);
    let Some(occurred_at) = timestamp(props, "occurred_at")? else {
        return fail("properties.occurred_at", "is required");
    };
    if occurred_at > limit {
        return fail("properties.occurred_at", "lies in the future");
    }
    let reported_at = timestamp(props, "reported_at")?.unwrap_or(now.max(occurred_at));
    if reported_at > limit {
        return fail("properties.reported_at", "lies in the future");
    }
    if reported_at < occurred_at {
        return fail("properties.reported_at", "is before occurred_at");
    }
    let source = labelled(props, "source", Source::parse_label, Source::ALL, Source::as_str)?.unwrap_or(default_source);
    let severity =
        labelled(props, "severity", Severity::parse_label, Severity::ALL, Severity::as_str)?.unwrap_or(Severity::Minor);
    let status =
        labelled(props, "status", Status::parse_label, Status::ALL, Status::as_str)?.unwrap_or(Status::Reported);
    let reporter_phone = text(props, "reporter_phone", 20)?;
    if let Some(p) = &reporter_phone
        && (p.len() < 3 || !p.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ')))
    {
        return fail("properties.reporter_phone", "must be digits, with optional + - and spaces");
    }
    Ok(NewIncident {
        source,
        external_id: text(props, "external_id", MAX_SHORT_CHARS)?,
        category,
        subcategory,
        occurred_at,
        reported_at,
        lon,
        lat,
        address: text(props, "address", MAX_ADDRESS_CHARS)?,
        summary: text(props, "summary", MAX_SUMMARY_CHARS)?,
        reporter_name: text(props, "reporter_name", MAX_SHORT_CHARS)?,
        reporter_phone,
        severity,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
    }

    fn good() -> Value {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.64, 37.93]},
               "properties": {"category": "刑事", "subcategory": "burglary", "occurred_at": "2026-10-31T22:00:00+08:00",
                              "summary": "  门锁被撬  ", "reporter_phone": "138 0000 0000"}})
    }

    #[test]
    fn a_good_feature_is_accepted_and_normalised() {
        let n = incident_from_feature(&good(), now(), Source::Call110).unwrap();
        assert_eq!(n.category, Category::CRIMINAL);
        assert_eq!(n.subcategory, Some(Subcategory::BURGLARY));
        assert_eq!(n.occurred_at, Utc.with_ymd_and_hms(2026, 10, 31, 14, 0, 0).unwrap());
        assert_eq!(n.reported_at, now());
        assert_eq!(n.summary.as_deref(), Some("门锁被撬"));
        assert_eq!(n.status, Status::Reported);
        assert_eq!(n.source, Source::Call110);
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/type", json!("Point"), "type"),
            ("/geometry", Value::Null, "geometry"),
            ("/geometry/type", json!("LineString"), "geometry.type"),
            ("/geometry/coordinates", json!([200.0, 37.0]), "geometry.coordinates"),
            ("/geometry/coordinates", json!([102.0, -91.0]), "geometry.coordinates"),
            ("/geometry/coordinates", json!(["a", 1]), "geometry.coordinates"),
            ("/properties/category", json!("crime"), "properties.category"),
            ("/properties/category", Value::Null, "properties.category"),
            ("/properties/subcategory", json!("collision"), "properties.subcategory"),
            ("/properties/occurred_at", json!("yesterday"), "properties.occurred_at"),
            ("/properties/occurred_at", json!("2027-01-01T00:00:00Z"), "properties.occurred_at"),
            ("/properties/reported_at", json!("2026-10-01T00:00:00Z"), "properties.reported_at"),
            ("/properties/crs", json!("utm"), "properties.crs"),
            ("/properties/reporter_phone", json!("call me"), "properties.reporter_phone"),
            ("/properties/status", json!("lost"), "properties.status"),
            ("/properties/colour", json!("red"), "properties.colour"),
            ("/properties/address", json!("x".repeat(201)), "properties.address"),
            ("/properties/summary", json!(12), "properties.summary"),
        ];
        for (pointer, value, field) in cases {
            let mut f = good();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let parent = if parent.is_empty() { &mut f } else { f.pointer_mut(parent).unwrap() };
            parent.as_object_mut().unwrap().insert(key.into(), value);
            let e = incident_from_feature(&f, now(), Source::Call110).unwrap_err();
            assert_eq!(e.field, field, "{pointer}: {}", e.message);
        }
    }

    #[test]
    fn a_features_text_is_answered_as_its_parsed_value_is() {
        let good = good().to_string();
        let props = |p: &str| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[102.64,37.93]}},"properties":{{{p}}}}}"#
            )
        };
        let mut texts = vec![
            good.clone(),
            "[1, 2]".to_owned(),
            "null".to_owned(),
            r#""Feature""#.to_owned(),
            r#"{"type":"Feature"}"#.to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[102,37]},"properties":{"category":"刑事","occurred_at":"2026-10-31T22:00:00Z"}}"#.to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":["a",102.6,37.9]},"properties":{"category":"刑事","occurred_at":"2026-10-31T22:00:00Z"}}"#.to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[102.6,37.9,1,2]},"properties":{}}"#.to_owned(),
            r#"{"type":"Feature","type":"Point","geometry":{"type":"Point","coordinates":[102.6,37.9]},"properties":{}}"#.to_owned(),
            r#"{"type":"Point","type":"Feature","geometry":{"type":"Point","coordinates":[102.6,37.9]},"properties":{"category":"刑事","occurred_at":"2026-10-31T22:00:00Z"}}"#.to_owned(),
            r#"{"type":"Feature","geometry":[102.6,37.9],"properties":{}}"#.to_owned(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[102.6,37.9]},"properties":[1]}"#.to_owned(),
        ];
        texts.extend(
            [
                // A repeated key: the last counts.
                r#""category":"crime","category":"刑事","occurred_at":"2026-10-31T22:00:00Z""#,
                r#""category":"刑事","category":"crime","occurred_at":"2026-10-31T22:00:00Z""#,
                // Escapes in keys and values.
                r#""cat\u0065gory":"\u5211\u4e8b","occurred_at":"2026-10-31T22:00:00Z","summary":"a\"b\\c\n""#,
                // Unknown names out of order: the same one is named.
                r#""zeta":1,"category":"刑事","alpha":[],"occurred_at":"2026-10-31T22:00:00Z""#,
                r#""category":"刑事","occurred_at":"2026-10-31T22:00:00Z","summary":{"a":1}"#,
                r#""category":"刑事","occurred_at":"2026-10-31T22:00:00Z","address":true,"summary":null"#,
                r#""category":"刑事","occurred_at":1700000000"#,
                r#""category":"刑事","occurred_at":"2026-10-31T22:00:00Z","reporter_phone":"\u0007""#,
                r#""category":"刑事","occurred_at":"2026-10-31T22:00:00Z","crs":"gcj02","severity":"major""#,
            ]
            .map(props),
        );
        for text in texts {
            let value: Value = serde_json::from_str(&text).unwrap();
            let from_text = incident_from_text(&text, now(), Source::Call110).unwrap();
            assert_eq!(from_text, incident_from_feature(&value, now(), Source::Call110), "{text}");
        }
        // Escaped keys and values are read as what they spell.
        let escaped = props(r#""cat\u0065gory":"\u5211\u4e8b","occurred_at":"2026-10-31T22:00:00Z","summary":"a\"b""#);
        let n = incident_from_text(&escaped, now(), Source::Call110).unwrap().unwrap();
        assert_eq!((n.category, n.summary.as_deref()), (Category::CRIMINAL, Some("a\"b")));
        assert!(incident_from_text(r#"{"type":"Feature","#, now(), Source::Call110).is_err());
        assert!(incident_from_text(&format!("{good} x"), now(), Source::Call110).is_err());
    }

    #[test]
    fn gcj02_input_is_converted_to_wgs84() {
        let mut f = good();
        let (glon, glat) = analytics::crs::wgs84_to_gcj02(102.64, 37.93);
        f["geometry"]["coordinates"] = json!([glon, glat]);
        f["properties"]["crs"] = json!("gcj02");
        let n = incident_from_feature(&f, now(), Source::Call110).unwrap();
        assert!((n.lon - 102.64).abs() < 1e-9 && (n.lat - 37.93).abs() < 1e-9);
    }

    #[test]
    fn retries_compare_content_not_progress() {
        let a = incident_from_feature(&good(), now(), Source::Call110).unwrap();
        let mut b = a.clone();
        b.status = Status::Closed;
        b.reported_at = now() + Duration::seconds(10);
        assert!(a.same_report(&b));
        b.summary = Some("别的".into());
        assert!(!a.same_report(&b));
    }
}
