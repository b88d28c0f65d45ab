//! Incidents: the paged list (index records), one incident's full record, and submission.

use super::AppState;
use super::error::AppError;
use super::features::{geojson_response, incident_feature, incident_points_collection};
use super::params::{Params, format_cursor};
use crate::auth::Caller;
use crate::ingest::{IngestError, submit};
use crate::intake::incident_from_feature;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::{IncidentId, Source};

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
    raw.parse::<u64>().map(IncidentId).map_err(|_| AppError::bad("id", "incident id must be a positive whole number"))
}

/// `GET /api/incidents/{id}`: the full record.
pub async fn one(State(s): State<AppState>, caller: Caller, Path(raw): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let not_found = || AppError::NotFound { message: format!("no incident {raw}"), field: None };
    // Outside the jurisdiction is the same 404 as not existing (the store applies the scope;
    // incidents older than a memory window are read there too).
    let incident = s.store.incidents_by_id(&caller.scope, vec![id]).await?.into_iter().next();
    let Some(incident) = incident else {
        s.store.append_audit(caller.audit("read_incident", raw.clone(), "denied")).await?;
        return Err(not_found());
    };
    // A case-detail read is on record before it is answered.
    s.store.append_audit(caller.audit("read_incident", raw.clone(), "ok")).await?;
    Ok(geojson_response(incident_feature(&incident, &s.geography, caller.masks_personal_data()).to_string()))
}

/// `POST /api/incidents`: a GeoJSON Feature → 201 with the stored Feature (200 for a retry).
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let body = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge { message: format!("request body exceeds {} bytes", super::MAX_BODY_BYTES) }
        }
        _ => AppError::BadRequest { message: format!("cannot read request body: {r}"), field: None },
    })?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest { message: format!("body is not valid JSON: {e}"), field: None })?;
    let new = incident_from_feature(&value, s.clock.now(), Source::Call110)?;
    let result = submit(s.store.as_ref(), &s.geography, &s.incidents, &caller.scope, vec![new]).await;
    let stored = match result {
        Ok(mut v) if !v.is_empty() => v.remove(0),
        Ok(_) => return Err(AppError::Internal("store returned no outcome".into())),
        Err(IngestError::Invalid { error, .. }) => return Err(error.into()),
        Err(IngestError::OutsideScope { .. }) => {
            s.store.append_audit(caller.audit("create_incident", "-", "denied")).await?;
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
    let mut entry = caller.audit("create_incident", stored.incident.id.0.to_string(), "ok");
    entry.detail = (!stored.created).then(|| "retry of an existing report".to_owned());
    s.store.append_audit(entry).await?;
    let location = format!("/api/incidents/{}", stored.incident.id.0);
    let body = incident_feature(&stored.incident, &s.geography, caller.masks_personal_data()).to_string();
    let mut response = geojson_response(body);
    *response.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response.into_response())
}
