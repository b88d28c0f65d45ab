//! Incidents: the paged list (index records), one incident's full record, and submission.

use super::error::AppError;
use super::features::{geojson_response, incident_feature, incident_points_collection, typed_geojson_response};
use super::params::{Params, format_cursor};
use crate::auth::Caller;
use crate::geography::{CellIdx, Geography};
use crate::ingest::{AuditAs, IngestError, submit, submit_located};
use crate::intake::{incident_from_feature, incident_from_text};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use model::{IncidentId, NewIncident, Source};

/// `GET /api/incidents?bbox=&region=&from=&to=&category=&status=&limit=&cursor=`: newest first.
pub async fn list(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let query = p.incident_query(true)?;
    let limit = p.limit()?;
    let cursor = p.cursor()?;
    p.finish()?;
    let filter = query.filter(&s.geography, &caller.scope)?;
    let (page, next) = s.page(&filter, limit, cursor).await?;
    Ok(geojson_response(incident_points_collection(&page, &s.geography, next.map(format_cursor))))
}

fn parse_id(raw: &str) -> Result<IncidentId, AppError> {
    super::params::path_id(raw, "incident").map(IncidentId)
}

/// `GET /api/incidents/{id}`: the full record.
pub async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let not_found = || AppError::NotFound { message: format!("no incident {raw}"), field: None };
    // Outside the jurisdiction is the same 404 as not existing (the store applies the scope;
    // incidents older than a memory window are read there too).
    // Department staff read the incidents of their orders only.
    let scope = crate::work_orders::read_scope(&s, &caller, id.0).await?;
    let incident = s.store.incidents_by_id(&scope, vec![id]).await?.into_iter().next();
    let Some(incident) = incident else {
        s.audit(caller.audit("read_incident", raw.clone(), "denied")).await?;
        return Err(not_found());
    };
    // A case-detail read is on record before it is answered.
    s.audit(caller.audit("read_incident", raw.clone(), "ok")).await?;
    Ok(typed_geojson_response(&incident_feature(&incident, &s.geography, caller.masks_personal_data())))
}

/// `POST /api/incidents`: a GeoJSON Feature → 201 with the stored Feature (200 for a retry).
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let body = read_body(body, super::MAX_BODY_BYTES)?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest { message: format!("body is not valid JSON: {e}"), field: None })?;
    let new = reported_only(incident_from_feature(&value, s.clock.now(), Source::Call110))?;
    // The audit entry, alerts and links are written with the incident, in its transaction.
    let derive = Some(crate::live::derive(&s));
    let result = submit(&s.commit, &s.geography, &caller.scope, vec![new], Some(caller.attribution()), derive).await;
    let stored = match result {
        Ok(mut v) if !v.is_empty() => v.remove(0),
        Ok(_) => return Err(AppError::Internal("store returned no outcome".into())),
        Err(IngestError::Invalid { error, .. }) => return Err(error.into()),
        Err(IngestError::OutsideScope { .. }) => {
            s.audit(caller.audit("create_incident", "-", "denied")).await?;
            return Err(AppError::Forbidden { message: "the point lies outside your jurisdiction".into() });
        }
        Err(IngestError::Conflict { existing, .. }) => {
            return Err(AppError::Conflict {
                message: format!("(source, external_id) already names incident {existing} with different content"),
                field: Some("properties.external_id".into()),
            });
        }
        Err(IngestError::Store(e)) => return Err(e.into()),
    };
    let status = if stored.created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/api/incidents/{}", stored.incident.id.0);
    let mut response =
        typed_geojson_response(&incident_feature(&stored.incident, &s.geography, caller.masks_personal_data()));
    *response.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response.into_response())
}

/// A report through the API starts the event loop as `reported`: any other status is refused,
/// so no writer can close a case without its dispatch, handling and feedback on record.
/// (Historical imports with their statuses go through `safegrid import`.)
fn reported_only(
    read: Result<NewIncident, crate::intake::FieldError>,
) -> Result<NewIncident, crate::intake::FieldError> {
    let new = read?;
    if new.status != model::Status::Reported {
        return Err(crate::intake::FieldError {
            field: "properties.status".into(),
            message: format!(
                "a new report is {:?}; its status changes through POST /api/incidents/{{id}}/transitions",
                model::Status::Reported.as_str()
            ),
        });
    }
    Ok(new)
}

fn read_body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, AppError> {
    body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge { message: format!("request body exceeds {limit} bytes") }
        }
        _ => AppError::BadRequest { message: format!("cannot read request body: {r}"), field: None },
    })
}

/// Most items in one batch.
pub const MAX_BATCH_ITEMS: usize = 10_000;
/// Largest batch body.
pub const MAX_BATCH_BYTES: usize = 32 << 20;

/// The items of a batch body as JSON texts with their NDJSON line numbers: a GeoJSON
/// FeatureCollection, or (Content-Type `application/x-ndjson`) one Feature per non-empty line.
fn batch_items(body: &[u8], ndjson: bool) -> Result<Vec<(Option<u64>, &str)>, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest { message: "body is not UTF-8".into(), field: None })?;
    if ndjson {
        // Counted while split: a body of many short lines is refused at the first line past
        // the limit, before it costs memory per line.
        let mut items = Vec::new();
        for (k, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            if items.len() == MAX_BATCH_ITEMS {
                return Err(too_many_items(&format!("line {}", k + 1)));
            }
            items.push((Some(k as u64 + 1), line));
        }
        return Ok(items);
    }
    /// The collection's members a batch reads; each feature is kept as text, parsed later.
    #[derive(serde::Deserialize)]
    struct Collection<'a> {
        #[serde(rename = "type")]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        features: Option<&'a serde_json::value::RawValue>,
    }
    let collection: Collection<'_> = match serde_json::from_str(text) {
        Ok(c) => c,
        // Valid JSON of another shape (an array, a string) is not a FeatureCollection.
        Err(e) if e.is_data() => Collection { kind: None, features: None },
        Err(e) => return Err(AppError::BadRequest { message: format!("body is not valid JSON: {e}"), field: None }),
    };
    if collection.kind.as_deref() != Some("FeatureCollection") {
        return Err(AppError::Unprocessable {
            message: "a batch is a GeoJSON FeatureCollection (or NDJSON with Content-Type application/x-ndjson)".into(),
            field: Some("type".into()),
        });
    }
    let features = match collection.features.map(|f| serde_json::from_str::<CappedFeatures<'_>>(f.get())) {
        Some(Ok(CappedFeatures(features))) => features,
        Some(Err(e)) if e.to_string().starts_with(TOO_MANY_ITEMS) => {
            return Err(too_many_items(&format!("features[{MAX_BATCH_ITEMS}]")));
        }
        _ => {
            return Err(AppError::Unprocessable {
                message: "features must be an array".into(),
                field: Some("features".into()),
            });
        }
    };
    Ok(features.into_iter().map(|f| (None, f.get())).collect())
}

/// The message a batch of more than [`MAX_BATCH_ITEMS`] items fails with while it is read.
const TOO_MANY_ITEMS: &str = "more than the items a batch may hold";

fn too_many_items(at: &str) -> AppError {
    AppError::Unprocessable {
        message: format!("{TOO_MANY_ITEMS}: at most {MAX_BATCH_ITEMS} per batch (refused at {at})"),
        field: Some("features".into()),
    }
}

/// A FeatureCollection's features as raw JSON texts, read until the limit: the 10,001st feature
/// stops the read, so a body of many tiny features costs no more than a full batch.
struct CappedFeatures<'a>(Vec<&'a serde_json::value::RawValue>);

impl<'de> serde::Deserialize<'de> for CappedFeatures<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = CappedFeatures<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of features")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(f) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                    if out.len() == MAX_BATCH_ITEMS {
                        return Err(serde::de::Error::custom(TOO_MANY_ITEMS));
                    }
                    out.push(f);
                }
                Ok(CappedFeatures(out))
            }
        }
        d.deserialize_seq(Visit)
    }
}

/// What one item of a batch reads as.
enum Read {
    /// The report and the cell it lies in (`None`: outside every cell).
    Valid(NewIncident, Option<CellIdx>),
    Invalid(model::api::ItemError),
    /// A line of an NDJSON body that is not JSON (the whole batch is a bad request).
    Unreadable(AppError),
}

/// Parses, validates and locates `items` in order, on two threads for a large batch (items are
/// independent; answers keep the items' order).
fn read_items(items: &[(Option<u64>, &str)], now: DateTime<Utc>, geography: &Geography) -> Vec<Read> {
    let read = |index: usize, (line, text): &(Option<u64>, &str)| {
        let read = match incident_from_text(text, now, Source::Call110) {
            Ok(read) => read,
            Err(e) => {
                let line = line.unwrap_or(index as u64 + 1);
                return Read::Unreadable(AppError::BadRequest {
                    message: format!("line {line}: not valid JSON: {e}"),
                    field: Some(format!("line {line}")),
                });
            }
        };
        match reported_only(read) {
            Ok(n) => {
                let cell = geography.locate(n.lon, n.lat);
                Read::Valid(n, cell)
            }
            Err(e) => Read::Invalid(model::api::ItemError { index, line: *line, field: e.field, message: e.message }),
        }
    };
    if items.len() < 2_000 {
        return items.iter().enumerate().map(|(index, item)| read(index, item)).collect();
    }
    // Two threads take chunks in turn, so that one slowed by other work on its core (the
    // previous batch's indexing, the live pump) leaves more of the batch to the other.
    const CHUNK_ITEMS: usize = 250;
    let chunks: Vec<&[(Option<u64>, &str)]> = items.chunks(CHUNK_ITEMS).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_chunks = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(chunk) = chunks.get(k) else { return done };
            let from = k * CHUNK_ITEMS;
            done.push((k, chunk.iter().enumerate().map(|(j, item)| read(from + j, item)).collect::<Vec<Read>>()));
        }
    };
    let mut done = std::thread::scope(|scope| {
        let other = scope.spawn(take_chunks);
        let mut done = take_chunks();
        // A panic on the other thread is the same bug as one here: let it unwind.
        done.extend(other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        done
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().flat_map(|(_, reads)| reads).collect()
}

/// `POST /api/incidents/batch`: many reports at once, all or nothing. Every item is checked
/// first and all faults are answered together (422, `error.items`); a stored
/// (source, external_id) with other content is 409 naming the item; an item outside the
/// caller's jurisdiction is 403. 201 when anything was created, 200 when every item was a retry.
pub async fn batch(
    State(s): State<AppState>,
    caller: Caller,
    headers: header::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    use model::api::{BatchItem, BatchResult, ItemError};
    caller.require_writer()?;
    let body = read_body(body, MAX_BATCH_BYTES)?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("ndjson") || t.contains("jsonlines"));
    let now = s.clock.now();
    let geography = s.geography.clone();
    // Parsing, validating and locating 10,000 items is CPU work: off the async workers.
    let read = tokio::task::spawn_blocking(move || -> Result<(Vec<Option<u64>>, Vec<Read>), AppError> {
        let raw = batch_items(&body, ndjson)?;
        if raw.is_empty() {
            return Err(AppError::Unprocessable {
                message: "the batch has no items".into(),
                field: Some("features".into()),
            });
        }
        if raw.len() > MAX_BATCH_ITEMS {
            return Err(AppError::Unprocessable {
                message: format!("{} items: at most {MAX_BATCH_ITEMS} per batch", raw.len()),
                field: Some("features".into()),
            });
        }
        Ok((raw.iter().map(|r| r.0).collect(), read_items(&raw, now, &geography)))
    });
    let (lines, read) = read.await.map_err(|e| AppError::Internal(format!("reading the batch: {e}")))??;
    let mut items = Vec::with_capacity(read.len());
    let mut faults = Vec::new();
    for r in read {
        match r {
            Read::Valid(n, cell) => items.push((n, cell)),
            Read::Invalid(fault) => faults.push(fault),
            Read::Unreadable(e) => return Err(e),
        }
    }
    let total = lines.len();
    let invalid = |faults: Vec<ItemError>| AppError::InvalidItems {
        message: format!("{} of {total} items are invalid; nothing was stored", faults.len()),
        items: faults,
    };
    if !faults.is_empty() {
        return Err(invalid(faults));
    }
    let n = items.len();
    let derive = Some(crate::live::derive(&s));
    // The batch's audit entry is written in its transaction ([`store::batch_audit`]).
    let by = Some(AuditAs::Batch(caller.attribution()));
    let stored = match submit_located(&s.commit, &s.geography, &caller.scope, items, by, derive).await {
        Ok(v) => v,
        Err(IngestError::Invalid { index, error }) => {
            let line = lines.get(index).copied().flatten();
            return Err(invalid(vec![ItemError { index, line, field: error.field, message: error.message }]));
        }
        Err(IngestError::OutsideScope { index }) => {
            s.audit(caller.audit("create_incidents", format!("batch of {n}"), "denied")).await?;
            return Err(AppError::Forbidden {
                message: format!("item {index} lies outside your jurisdiction; nothing was stored"),
            });
        }
        Err(IngestError::Conflict { index, existing }) => {
            return Err(AppError::Conflict {
                message: format!(
                    "item {index}: (source, external_id) already names incident {existing} with different content; nothing was stored"
                ),
                field: Some(format!("features[{index}].properties.external_id")),
            });
        }
        Err(IngestError::Store(e)) => return Err(e.into()),
    };
    let created = stored.iter().filter(|x| x.created).count();
    let result = BatchResult {
        created,
        existing: n - created,
        items: stored
            .iter()
            .enumerate()
            .map(|(index, x)| BatchItem { index, id: x.incident.id.0, created: x.created })
            .collect(),
    };
    let status = if created > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(result)).into_response())
}
