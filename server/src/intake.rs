//! Turning a submitted GeoJSON Feature into a validated [`NewIncident`]: every rule a report must
//! satisfy, with the failing field named. Used by `POST /api/incidents` and `safegrid import`.
//!
//! Coordinates may arrive in WGS84, CGCS2000, GCJ-02 or BD-09 (`properties.crs`); they are
//! converted to WGS84 here, at the edge.

use analytics::crs::Crs;
use chrono::{DateTime, Duration, Utc};
use model::{Category, NewIncident, Severity, Source, Status, Subcategory};
use serde_json::{Map, Value};

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

fn text(props: &Map<String, Value>, key: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
    trimmed(props, key, max_chars).map(|t| t.map(str::to_owned))
}

/// A string property, trimmed; `None` when absent, null or blank.
fn trimmed<'a>(props: &'a Map<String, Value>, key: &str, max_chars: usize) -> Result<Option<&'a str>, FieldError> {
    let field = || format!("properties.{key}");
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
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

fn timestamp(props: &Map<String, Value>, key: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    let field = || format!("properties.{key}");
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            DateTime::parse_from_rfc3339(s.trim()).map(|t| Some(t.with_timezone(&Utc))).or_else(|_| {
                fail(&field(), format!("{s:?} is not an RFC 3339 timestamp such as 2024-01-17T17:18:00+08:00"))
            })
        }
        Some(_) => fail(&field(), "must be an RFC 3339 string"),
    }
}

/// A property naming one of `all` (by `parse`); an unknown name is answered with every name.
fn labelled<T: Copy>(
    props: &Map<String, Value>,
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
    let Some(obj) = feature.as_object() else {
        return fail("type", "body must be a GeoJSON Feature object");
    };
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return fail("type", "must be \"Feature\"");
    }
    let geometry = match obj.get("geometry") {
        Some(Value::Object(g)) => g,
        _ => return fail("geometry", "a Point geometry is required"),
    };
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return fail("geometry.type", "must be \"Point\"");
    }
    let coords: Vec<f64> = match geometry.get("coordinates") {
        Some(Value::Array(a)) if (2..=3).contains(&a.len()) => a.iter().filter_map(Value::as_f64).collect(),
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
    let props = match obj.get("properties") {
        Some(Value::Object(p)) => p,
        _ => {
            return fail("properties", "an object with at least category and occurred_at is required");
        }
    };
    if let Some(unknown) = props.keys().find(|k| !KNOWN.contains(&k.as_str()) && !DERIVED.contains(&k.as_str())) {
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
