//! The one error type of the HTTP API. Every error answer has the body
//! `{"error": {"code", "message", "field"}}`; 5xx answers say only "internal error" and the cause
//! is logged.

use crate::intake::FieldError;
use crate::query::UnknownArea;
use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::api::{ErrorBody, ErrorDetail};

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
    /// 429: too many failed logins.
    TooManyRequests {
        /// Until when.
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

    /// The field named (if any) and the message, for command-line errors.
    pub fn field_and_message(&self) -> (Option<String>, String) {
        match self {
            AppError::BadRequest { message, field }
            | AppError::Unprocessable { message, field }
            | AppError::NotFound { message, field }
            | AppError::Conflict { message, field } => (field.clone(), message.clone()),
            AppError::Unauthorized { message }
            | AppError::Forbidden { message }
            | AppError::TooManyRequests { message, .. }
            | AppError::Timeout { message }
            | AppError::PayloadTooLarge { message }
            | AppError::InvalidItems { message, .. }
            | AppError::Internal(message) => (None, message.clone()),
            AppError::MethodNotAllowed => (None, "method not allowed".to_owned()),
        }
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

impl From<UnknownArea> for AppError {
    fn from(e: UnknownArea) -> AppError {
        AppError::NotFound { message: e.to_string(), field: Some("region".into()) }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut items = Vec::new();
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
            AppError::TooManyRequests { message } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message, None)
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
        (status, Json(body)).into_response()
    }
}
