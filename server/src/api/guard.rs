//! What every request passes before its route and every answer carries after it.
//!
//! - A state-changing request (`POST`, `PUT`, `PATCH`, `DELETE`) from a browser page of another
//!   origin is refused (403): its `Origin` must be this server's own, and `Sec-Fetch-Site`, where
//!   the browser sends it, must be `same-origin` or `none`. `SameSite=Strict` cookies do not
//!   stop a sibling application on the same host (another port is the same site).
//! - Its body, when it has one, must be JSON (`application/json`, `application/geo+json`, or
//!   NDJSON for batches): a `text/plain` or form body, which a page may send anywhere without
//!   asking, is refused (415).
//! - Every answer says `X-Content-Type-Options: nosniff`, may not be framed
//!   (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) and sends no referrer; the API's,
//!   tiles' and glyphs' answers carry the Content-Security-Policy `default-src 'none'`, the
//!   frontend's page its own, set in `web`.
//! - A request to those data paths that the browser marks as coming from a page of another
//!   origin (`Sec-Fetch-Site: same-site | cross-site`) is refused, reads included.

use super::error::AppError;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy of answers that are not the frontend's page: nothing may load, nothing may frame.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Body types a state-changing route takes.
const JSON_TYPES: [&str; 5] =
    ["application/json", "application/geo+json", "application/x-ndjson", "application/jsonlines", "application/jsonl"];

/// Whether the request's `Origin`, if any, is this server (by its `Host` header).
fn same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or("null");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest.trim_end_matches('/'));
    if host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
        return Err(AppError::Forbidden { message: format!("requests from origin {origin} are refused") });
    }
    from_another_page(headers)
}

/// Whether a state-changing request's body, if it has one, is JSON. `sized_body` says whether
/// the body itself is known to hold bytes (a request built in a test has no length header).
fn json_body(headers: &HeaderMap, sized_body: bool, path: &str) -> Result<(), AppError> {
    let has_body = sized_body
        || headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n.trim().parse::<u64>().map_or(true, |n| n > 0));
    if !has_body {
        return Ok(());
    }
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match mime {
        Some(m) if JSON_TYPES.contains(&m.as_str()) => Ok(()),
        Some(m) if m == FILE_TYPE && FILE_PATHS.contains(&path) => Ok(()),
        other => Err(AppError::UnsupportedMediaType {
            message: format!(
                "the body must be JSON (Content-Type application/json, or application/x-ndjson for a batch), not {}",
                other.as_deref().unwrap_or("untyped")
            ),
        }),
    }
}

/// An error answer that is not in the API's error shape (an extractor's plain-text rejection,
/// e.g. a body over the limit) in that shape, its text as the message; 5xx say only "internal
/// error".
async fn one_error_shape(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { text };
    let error = match status.as_u16() {
        413 => AppError::PayloadTooLarge { message },
        415 => AppError::UnsupportedMediaType { message },
        422 => AppError::Unprocessable { message, field: None },
        404 => AppError::NotFound { message, field: None },
        405 => AppError::MethodNotAllowed,
        401 => AppError::Unauthorized { message },
        403 => AppError::Forbidden { message },
        409 => AppError::Conflict { message, field: None },
        400..=499 => AppError::BadRequest { message, field: None },
        _ => AppError::Internal(message),
    };
    let mut shaped = error.into_response();
    *shaped.status_mut() = status;
    if let Some(v) = retry_after {
        shaped.headers_mut().insert(header::RETRY_AFTER, v);
    }
    shaped
}

/// Whether the browser says the request comes from a page of another origin (`Sec-Fetch-Site`
/// `same-site` or `cross-site`): refused on every API and tile path, reads included, since a
/// search or a case read is written to the audit log in the caller's name.
fn from_another_page(headers: &HeaderMap) -> Result<(), AppError> {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site @ ("same-site" | "cross-site")) => {
            Err(AppError::Forbidden { message: format!("{site} requests are refused") })
        }
        _ => Ok(()),
    }
}

/// The routes that take a file (a world file upload), and the one body type they take besides
/// JSON: like JSON it is not one a plain HTML form can send, so a cross-site page cannot post it
/// without the browser asking (CORS preflight), which this server never grants.
const FILE_PATHS: [&str; 2] = ["/api/world/check", "/api/world/publish"];
const FILE_TYPE: &str = "application/octet-stream";

/// The paths answered with data, not the frontend's files.
pub fn is_data_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/tiles/") || path.starts_with("/glyphs/")
}

/// The middleware: checks state-changing requests and requests from other pages, puts every
/// error answer in the one shape, then adds the security headers.
pub async fn guard(req: Request, next: Next) -> Response {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let data = is_data_path(req.uri().path());
    let checked = if changes_state {
        let sized_body = axum::body::HttpBody::size_hint(req.body()).lower() > 0;
        same_origin(req.headers()).and_then(|()| json_body(req.headers(), sized_body, req.uri().path()))
    } else if data {
        from_another_page(req.headers())
    } else {
        Ok(())
    };
    let mut response = match checked {
        Ok(()) => one_error_shape(next.run(req).await).await,
        Err(e) => e.into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Data answers may load nothing; the frontend's page carries its own policy (`web`), and
    // its scripts, the map's worker among them, run under the page's or their own.
    if data && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_our_own_origin_may_change_state() {
        assert!(same_origin(&headers(&[("host", "10.0.0.1:8080")])).is_ok(), "no Origin: an API client");
        assert!(same_origin(&headers(&[("host", "10.0.0.1:8080"), ("origin", "http://10.0.0.1:8080")])).is_ok());
        for bad in ["http://10.0.0.1:9090", "http://evil.example", "null", "http://10.0.0.1:8080.evil.example"] {
            assert!(same_origin(&headers(&[("host", "10.0.0.1:8080"), ("origin", bad)])).is_err(), "{bad}");
        }
        let sibling = headers(&[("host", "a:1"), ("origin", "http://a:1"), ("sec-fetch-site", "same-site")]);
        assert!(same_origin(&sibling).is_err());
    }

    #[test]
    fn bodies_must_be_json() {
        assert!(json_body(&headers(&[]), false, "/api/incidents").is_ok(), "no body");
        assert!(
            json_body(&headers(&[("content-length", "0"), ("content-type", "text/plain")]), false, "/api/incidents")
                .is_ok()
        );
        assert!(
            json_body(
                &headers(&[("content-length", "5"), ("content-type", "application/json; charset=utf-8")]),
                false,
                "/api/incidents"
            )
            .is_ok()
        );
        assert!(
            json_body(
                &headers(&[("content-length", "5"), ("content-type", "application/x-ndjson")]),
                false,
                "/api/incidents"
            )
            .is_ok()
        );
        for bad in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            assert!(
                json_body(&headers(&[("content-length", "5"), ("content-type", bad)]), false, "/api/incidents")
                    .is_err(),
                "{bad}"
            );
        }
        assert!(json_body(&headers(&[("content-length", "5")]), false, "/api/incidents").is_err(), "untyped");
        let file = headers(&[("content-length", "5"), ("content-type", FILE_TYPE)]);
        assert!(json_body(&file, false, "/api/world/check").is_ok(), "a world file upload");
        assert!(json_body(&file, false, "/api/incidents").is_err(), "bytes only where a file is taken");
        assert!(
            json_body(
                &headers(&[("transfer-encoding", "chunked"), ("content-type", "text/plain")]),
                false,
                "/api/incidents"
            )
            .is_err()
        );
        assert!(
            json_body(&headers(&[("content-type", "text/plain")]), true, "/api/incidents").is_err(),
            "a body without a length header"
        );
    }
}
