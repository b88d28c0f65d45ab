//! Strict query-string parsing: every parameter is known, given at most once unless it may
//! repeat, and well-formed; anything else is a 400 naming the parameter.

use super::error::AppError;
use crate::incident_index::{Bbox, Cursor};
use crate::query::{Area, IncidentQuery};
use chrono::{DateTime, Utc};
use model::{Category, Status};
use std::collections::BTreeMap;

/// Largest bbox accepted, square degrees (Wuwei spans about 7).
pub const MAX_BBOX_DEG2: f64 = 25.0;
/// Largest page of `GET /api/incidents`.
pub const MAX_LIMIT: usize = 5_000;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 100;

/// An optional `from` and `to`.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The parameters of one request, consumed as they are read.
pub struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    /// Splits a raw query string (`None`: no parameters).
    pub fn parse(raw: Option<&str>) -> Params {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Params(map)
    }

    /// A parameter that may appear once.
    pub fn one(&mut self, name: &str) -> Result<Option<String>, AppError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(mut v) if v.len() == 1 => Ok(v.pop().filter(|s| !s.is_empty())),
            Some(_) => Err(AppError::bad(name, format!("{name} may be given only once"))),
        }
    }

    /// A parameter that may repeat; comma-separated values are split too.
    pub fn many(&mut self, name: &str) -> Vec<String> {
        self.0
            .remove(name)
            .unwrap_or_default()
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Fails if any parameter was not consumed.
    pub fn finish(self) -> Result<(), AppError> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(k) => Err(AppError::bad(k, format!("unknown parameter {k:?}"))),
        }
    }

    /// `bbox=minLon,minLat,maxLon,maxLat` (WGS84).
    pub fn bbox(&mut self) -> Result<Option<Bbox>, AppError> {
        let Some(s) = self.one("bbox")? else {
            return Ok(None);
        };
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::bad("bbox", "bbox must be four numbers: minLon,minLat,maxLon,maxLat"))?;
        let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
            return Err(AppError::bad("bbox", "bbox must be four numbers: minLon,minLat,maxLon,maxLat"));
        };
        if !v.iter().all(|x| x.is_finite()) {
            return Err(AppError::bad("bbox", "bbox values must be finite"));
        }
        if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
            return Err(AppError::bad("bbox", "longitudes must lie in [-180, 180]"));
        }
        if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
            return Err(AppError::bad("bbox", "latitudes must lie in [-90, 90]"));
        }
        if min_lon > max_lon || min_lat > max_lat {
            return Err(AppError::bad("bbox", "bbox minimums must not exceed its maximums"));
        }
        if (max_lon - min_lon) * (max_lat - min_lat) > MAX_BBOX_DEG2 {
            return Err(AppError::bad("bbox", format!("bbox covers more than {MAX_BBOX_DEG2} square degrees")));
        }
        Ok(Some(Bbox { min_lon, min_lat, max_lon, max_lat }))
    }

    /// An RFC 3339 timestamp.
    pub fn time(&mut self, name: &str) -> Result<Option<DateTime<Utc>>, AppError> {
        let Some(s) = self.one(name)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&s).map(|t| Some(t.with_timezone(&Utc))).map_err(|_| {
            AppError::bad(name, format!("{name} must be an RFC 3339 timestamp such as 2024-01-17T17:18:00+08:00"))
        })
    }

    /// `from` and `to`, checked `from <= to`.
    pub fn window(&mut self) -> Result<Window, AppError> {
        let (from, to) = (self.time("from")?, self.time("to")?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::bad("from", "from must not be after to"));
        }
        Ok((from, to))
    }

    /// Repeatable `category` (code names, Chinese or English labels).
    pub fn categories(&mut self) -> Result<Vec<Category>, AppError> {
        self.many("category")
            .iter()
            .map(|s| {
                Category::parse_label(s).ok_or_else(|| {
                    let all: Vec<&str> = Category::all().iter().map(|c| c.as_str()).collect();
                    AppError::bad("category", format!("unknown category {s:?}; expected one of {}", all.join(", ")))
                })
            })
            .collect()
    }

    /// Repeatable `status`.
    pub fn statuses(&mut self) -> Result<Vec<Status>, AppError> {
        self.many("status")
            .iter()
            .map(|s| {
                Status::parse_label(s).ok_or_else(|| {
                    let all: Vec<&str> = Status::ALL.iter().map(|c| c.as_str()).collect();
                    AppError::bad("status", format!("unknown status {s:?}; expected one of {}", all.join(", ")))
                })
            })
            .collect()
    }

    /// `region=` a 12-digit region or 15-digit cell code.
    pub fn area(&mut self, name: &str) -> Result<Option<Area>, AppError> {
        self.one(name)?.map(|s| Area::parse(&s).map_err(|m| AppError::bad(name, m))).transpose()
    }

    /// `limit=` 1…MAX_LIMIT.
    pub fn limit(&mut self) -> Result<usize, AppError> {
        match self.one("limit")? {
            None => Ok(DEFAULT_LIMIT),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                _ => Err(AppError::bad("limit", format!("limit must be a whole number from 1 to {MAX_LIMIT}"))),
            },
        }
    }

    /// `cursor=` as returned in `next_cursor`.
    pub fn cursor(&mut self) -> Result<Option<Cursor>, AppError> {
        let Some(s) = self.one("cursor")? else {
            return Ok(None);
        };
        let bad = || AppError::bad("cursor", "cursor must be a next_cursor value from a previous page");
        let (t, id) = s.split_once('_').ok_or_else(bad)?;
        Ok(Some((t.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?)))
    }

    /// The common incident filter: region, bbox, from, to, category, status.
    pub fn incident_query(&mut self, with_status: bool) -> Result<IncidentQuery, AppError> {
        let area = self.area("region")?;
        let bbox = self.bbox()?;
        let (from, to) = self.window()?;
        let categories = self.categories()?;
        let statuses = if with_status { self.statuses()? } else { vec![] };
        Ok(IncidentQuery { area, bbox, from, to, categories, statuses })
    }
}

/// A numeric id from a path (`/api/{what}s/{id}`), or 400 naming `id`.
pub fn path_id(raw: &str, what: &str) -> Result<u64, AppError> {
    raw.parse::<u64>().map_err(|_| AppError::bad("id", format!("{what} id must be a positive whole number")))
}

/// Formats a cursor for `next_cursor`.
pub fn format_cursor(c: Cursor) -> String {
    format!("{}_{}", c.0, c.1)
}

/// A JSON body as `T`; a 422 naming the field at fault as a dotted path: the one of the wrong
/// type (`end`, `items[2].lon`), or the one unknown, missing or repeated (serde names it).
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let unprocessable =
        |msg: String, field: Option<String>| AppError::Unprocessable { message: format!("body: {msg}"), field };
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let named = ["unknown field", "missing field", "duplicate field"].iter().any(|k| msg.starts_with(k));
        // An unknown field's path ends in it; a missing one's is its parent's.
        let field = if named {
            msg.split('`').nth(1).map(|name| match path.as_str() {
                "." => name.to_owned(),
                p if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
                p => format!("{p}.{name}"),
            })
        } else {
            (path != ".").then_some(path)
        };
        unprocessable(msg, field)
    })?;
    de.end().map_err(|e| unprocessable(e.to_string(), None))?;
    Ok(value)
}

/// A request that carries neither a body nor query parameters (sign-out, split, acknowledge):
/// anything else is a 400, so a malformed request never acts.
pub struct Bodyless;

impl<S: Send + Sync> axum::extract::FromRequest<S> for Bodyless {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Bodyless, AppError> {
        if let Some(q) = req.uri().query().filter(|q| !q.is_empty()) {
            let name = q.split(['=', '&']).next().unwrap_or(q).to_owned();
            return Err(AppError::bad(&name, format!("unknown parameter {name:?}")));
        }
        match axum::body::to_bytes(req.into_body(), 64).await {
            Ok(b) if b.is_empty() => Ok(Bodyless),
            _ => Err(AppError::BadRequest { message: "this request takes no body".into(), field: None }),
        }
    }
}

/// A request to a route that takes no query parameters: any is a 400 naming it, as on every
/// route that does take some (`Params::finish`).
pub struct NoQuery;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for NoQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<NoQuery, AppError> {
        match Params::parse(parts.uri.query()).0.into_keys().next() {
            None => Ok(NoQuery),
            Some(k) => Err(AppError::bad(&k, format!("unknown parameter {k:?}"))),
        }
    }
}
