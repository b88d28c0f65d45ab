//! Incidents: the paged list (index records), one incident's full record, and submission.

use super::AppState;
use super::error::AppError;
use super::features::{geojson_response, incident_feature, incident_points_collection};
use super::params::{Params, format_cursor};
use crate::ingest::{IngestError, submit};
use crate::intake::incident_from_feature;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::{IncidentId, Source};

/// `GET /api/incidents?bbox=&region=&from=&to=&category=&status=&limit=&cursor=`: newest first.
pub async fn list(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let query = p.incident_query(true)?;
    let limit = p.limit()?;
    let cursor = p.cursor()?;
    p.finish()?;
    let filter = query.filter(&s.geography)?;
    let (page, next) = s.index().page(&filter, limit, cursor);
    Ok(geojson_response(incident_points_collection(&page, &s.geography, next.map(format_cursor))))
}

fn parse_id(raw: &str) -> Result<IncidentId, AppError> {
    raw.parse::<u64>().map(IncidentId).map_err(|_| AppError::bad("id", "incident id must be a positive whole number"))
}

/// `GET /api/incidents/{id}`: the full record.
pub async fn one(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&raw)?;
    let not_found = || AppError::NotFound { message: format!("no incident {raw}"), field: None };
    if s.index().get(id).is_none() {
        return Err(not_found());
    }
    let incident = s.store.incidents_by_id(vec![id]).await?.into_iter().next().ok_or_else(not_found)?;
    Ok(geojson_response(incident_feature(&incident, &s.geography).to_string()))
}

/// `POST /api/incidents`: a GeoJSON Feature → 201 with the stored Feature (200 for a retry).
pub async fn create(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Result<Response, AppError> {
    let body = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge { message: format!("request body exceeds {} bytes", super::MAX_BODY_BYTES) }
        }
        _ => AppError::BadRequest { message: format!("cannot read request body: {r}"), field: None },
    })?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest { message: format!("body is not valid JSON: {e}"), field: None })?;
    let new = incident_from_feature(&value, s.clock.now(), Source::Call110)?;
    let result = submit(s.store.as_ref(), &s.geography, &s.incidents, vec![new]).await;
    let stored = match result {
        Ok(mut v) if !v.is_empty() => v.remove(0),
        Ok(_) => return Err(AppError::Internal("store returned no outcome".into())),
        Err(IngestError::Invalid { error, .. }) => return Err(error.into()),
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
    let body = incident_feature(&stored.incident, &s.geography).to_string();
    let mut response = geojson_response(body);
    *response.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response.into_response())
}
