//! The phone app's routes (`crate::field` decides): a field report with photos, the caller's
//! own reports, their tasks.

use super::error::AppError;
use crate::auth::Caller;
use crate::field::FieldError;
use crate::ingest::IngestError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::api::field::{FieldReport, FieldReports, FieldTasks};

/// Largest field report: three photos resized on the phone (a few hundred KB each), base64.
pub const MAX_FIELD_BODY_BYTES: usize = 8 << 20;

fn refused(e: FieldError) -> AppError {
    match e {
        FieldError::NotInTheField => AppError::Forbidden { message: e.to_string() },
        FieldError::Invalid { field, message } => AppError::unprocessable(field, message),
        FieldError::Ingest(IngestError::Invalid { error, .. }) => error.into(),
        FieldError::Ingest(IngestError::OutsideScope { .. }) => {
            AppError::Forbidden { message: "the position lies outside your jurisdiction".into() }
        }
        FieldError::Ingest(IngestError::Conflict { .. }) => AppError::Conflict {
            message: "this phone id already names another report with different content".into(),
            field: Some("external_id".into()),
        },
        FieldError::Ingest(IngestError::Store(e)) | FieldError::Store(e) => e.into(),
        FieldError::Change(e) => AppError::Internal(format!("storing a photo: {e}")),
    }
}

/// `POST /api/field/reports`: 201 with the report as stored; a resend 200 with the same report.
pub async fn report(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<Response, AppError> {
    let r: FieldReport = super::params::json_body(&body)?;
    let now = s.clock.now();
    let new = crate::field::check(&caller, &r, now).map_err(refused)?;
    let photos = r
        .photos
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            super::desk::photo(p).map_err(|e| match e {
                AppError::Unprocessable { message, .. } => AppError::unprocessable(&format!("photos[{k}]"), message),
                other => other,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (view, created) = crate::field::report(&s, &caller, new, photos).await.map_err(refused)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(FieldReports { items: vec![view] })).into_response())
}

/// `GET /api/field/reports`: the caller's own reports, newest first.
pub async fn my_reports(
    State(s): State<AppState>,
    caller: Caller,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let items = crate::field::my_reports(&s, &caller).await.map_err(refused)?;
    Ok(Json(FieldReports { items }).into_response())
}

/// `GET /api/field/tasks`: 核查, 回访 and 走访 of the caller's cells or villages.
pub async fn tasks(State(s): State<AppState>, caller: Caller, _: super::params::NoQuery) -> Result<Response, AppError> {
    let now = s.clock.now();
    let items = crate::field::tasks(&s, &caller, now).await.map_err(refused)?;
    Ok(Json(FieldTasks { now, items }).into_response())
}
