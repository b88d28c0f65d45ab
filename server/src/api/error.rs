//! The one error type of the HTTP API. Every error answer has the body
//! `{"error": {"code", "message", "field"}}`; 5xx answers say only "internal error" and the cause
//! is logged.

use crate::intake::FieldError;
use crate::query::UnknownArea;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::api::{ErrorBody, ErrorDetail};
use store::StoreError;

/// An HTTP error answer.
#[derive(Debug)]
pub enum AppError {
    /// 400: the query string or body could not be parsed.
    BadRequest {
        /// What was wrong.
        message: String,
        /// Which parameter.
        field: Option<String>,
    },
    /// 422: a well-formed body broke a rule.
    Unprocessable {
        /// What was wrong.
        message: String,
        /// Which field.
        field: Option<String>,
    },
    /// 401: not signed in.
    Unauthorized {
        /// What to do.
        message: String,
    },
    /// 403: signed in, but not allowed.
    Forbidden {
        /// Why not.
        message: String,
    },
    /// 429: too many failed attempts; answered with `Retry-After`.
    TooManyRequests {
        /// Until when.
        message: String,
        /// Seconds until the next attempt may be made.
        retry_after_s: u64,
    },
    /// 503: the server is busy with as many analyses as it runs at once; answered with
    /// `Retry-After`.
    Busy {
        /// What is busy.
        message: String,
        /// Seconds after which to try again.
        retry_after_s: u64,
    },
    /// 415: the body is not of a type the route takes.
    UnsupportedMediaType {
        /// What the route takes.
        message: String,
    },
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 503: the request ran past the time limit.
    Timeout {
        /// The limit.
        message: String,
    },
    /// 404: no such thing.
    NotFound {
        /// What was not found.
        message: String,
        /// Which parameter named it, if a query parameter did.
        field: Option<String>,
    },
    /// 409: conflicts with what is stored.
    Conflict {
        /// What conflicts.
        message: String,
        /// Which field.
        field: Option<String>,
    },
    /// 413: the body is larger than allowed.
    PayloadTooLarge {
        /// The limit.
        message: String,
    },
    /// 422: items of a batch broke rules (nothing of the batch was stored).
    InvalidItems {
        /// Summary.
        message: String,
        /// Every item at fault.
        items: Vec<model::api::ItemError>,
    },
    /// 500: something failed inside; the cause is logged, not shown.
    Internal(String),
}

impl AppError {
    /// A 400 naming a query parameter.
    pub fn bad(field: &str, message: impl Into<String>) -> AppError {
        AppError::BadRequest { message: message.into(), field: Some(field.to_owned()) }
    }

    /// A 422 naming a body field.
    pub fn unprocessable(field: &str, message: impl Into<String>) -> AppError {
        AppError::Unprocessable { message: message.into(), field: Some(field.to_owned()) }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> AppError {
        AppError::Unprocessable { message: format!("{}: {}", e.field, e.message), field: Some(e.field) }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<crate::jobs::JobError> for AppError {
    fn from(e: crate::jobs::JobError) -> AppError {
        use crate::jobs::JobError;
        match e {
            JobError::Busy(_) | JobError::Cancelled => {
                AppError::Busy { message: e.to_string(), retry_after_s: crate::jobs::RETRY_AFTER_S }
            }
            JobError::Failed(cause) => AppError::Internal(cause),
        }
    }
}

impl From<crate::cell_hotspots::HotspotError> for AppError {
    fn from(e: crate::cell_hotspots::HotspotError) -> AppError {
        use crate::cell_hotspots::HotspotError;
        match e {
            HotspotError::BandWiderThanArea { .. }
            | HotspotError::TooManyNeighbours { .. }
            | HotspotError::TooManyLinks { .. } => AppError::unprocessable("weights", e.to_string()),
            HotspotError::Store(e) => e.into(),
            HotspotError::Job(e) => e.into(),
        }
    }
}

impl From<crate::patrol::PatrolError> for AppError {
    fn from(e: crate::patrol::PatrolError) -> AppError {
        use crate::patrol::PatrolError;
        match e {
            PatrolError::Invalid { field, message } => AppError::unprocessable(&field, message),
            PatrolError::Area(e) => e.into(),
            PatrolError::Forecast(e) => e.into(),
            PatrolError::Job(e) => e.into(),
        }
    }
}

impl From<UnknownArea> for AppError {
    fn from(e: UnknownArea) -> AppError {
        AppError::NotFound { message: e.to_string(), field: Some("region".into()) }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut items = Vec::new();
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after_s, .. } | AppError::Busy { retry_after_s, .. } => {
                Some(*retry_after_s)
            }
            _ => None,
        };
        let (status, code, message, field) = match self {
            AppError::InvalidItems { message, items: bad } => {
                items = bad;
                (StatusCode::UNPROCESSABLE_ENTITY, "validation", message, None)
            }
            AppError::BadRequest { message, field } => (StatusCode::BAD_REQUEST, "bad_request", message, field),
            AppError::Unprocessable { message, field } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation", message, field)
            }
            AppError::NotFound { message, field } => (StatusCode::NOT_FOUND, "not_found", message, field),
            AppError::Unauthorized { message } => (StatusCode::UNAUTHORIZED, "unauthorized", message, None),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this endpoint".to_owned(),
                None,
            ),
            AppError::Timeout { message } => (StatusCode::SERVICE_UNAVAILABLE, "timeout", message, None),
            AppError::Forbidden { message } => (StatusCode::FORBIDDEN, "forbidden", message, None),
            AppError::TooManyRequests { message, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message, None)
            }
            AppError::Busy { message, .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy", message, None),
            AppError::UnsupportedMediaType { message } => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message, None)
            }
            AppError::Conflict { message, field } => (StatusCode::CONFLICT, "conflict", message, field),
            AppError::PayloadTooLarge { message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message, None)
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".to_owned(), None)
            }
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, field, items } };
        let mut response = (status, Json(body)).into_response();
        if let Some(s) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(s.max(1)));
        }
        response
    }
}
