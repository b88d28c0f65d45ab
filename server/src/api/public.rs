//! The citizen channel's routes, open without signing in (`crate::citizen` decides): report,
//! track, give the verdict. Each is throttled per address; a channel integration (12345 hotline,
//! WeChat) posts reports with a command-centre user's bearer token, its own `source` and
//! external id, unthrottled.

use super::error::AppError;
use crate::auth::{Caller, audit_source, request_source};
use crate::citizen::CitizenError;
use crate::ingest::IngestError;
use crate::state::AppState;
use crate::throttle::{Key, PUBLIC_REPORTS, TRACKING_MISSES};
use axum::Json;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::api::public::{PublicReport, PublicVerdict};

/// Largest report body: a photo of at most 2 MiB, base64, with the fields.
pub const MAX_REPORT_BODY_BYTES: usize = 3 << 20;

fn refused(e: CitizenError) -> AppError {
    match e {
        CitizenError::Invalid { field, message } => AppError::unprocessable(field, message),
        CitizenError::UnknownCode => {
            AppError::NotFound { message: "no report has this tracking code".into(), field: Some("code".into()) }
        }
        CitizenError::NotNow(message) => AppError::Conflict { message: message.into(), field: Some("verdict".into()) },
        CitizenError::Ingest(IngestError::Invalid { error, .. }) => error.into(),
        CitizenError::Ingest(IngestError::Conflict { .. }) => {
            AppError::unprocessable("external_id", "this external id already names another report")
        }
        // Only an integration files inside a jurisdiction (its user's).
        CitizenError::Ingest(IngestError::OutsideScope { .. }) => {
            AppError::Forbidden { message: "the place lies outside your jurisdiction".into() }
        }
        CitizenError::Ingest(IngestError::Store(e)) | CitizenError::Store(e) => e.into(),
        CitizenError::Change(e) => AppError::Internal(format!("storing a public step: {e}")),
    }
}

fn too_many(what: &str, until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> AppError {
    AppError::TooManyRequests {
        message: format!("too many {what} from this address; try again after {}", crate::auth::stamp(until)),
        retry_after_s: (until - now).num_seconds().max(1) as u64,
    }
}

/// `POST /api/public/reports`: a citizen's report (no session), or a channel integration's
/// (a command-centre user's bearer token, naming `source` and `external_id`). 201 with the receipt;
/// an integration's resubmission answers 200 with the same receipt.
pub async fn report(State(s): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (mut parts, body) = req.into_parts();
    let source = request_source(&parts, &s.trusted_proxies);
    // A request with a bearer token is a channel integration's: the token must be valid and
    // the user a command centre's. A browser's session cookie alone does not count: a citizen
    // page opened where someone is signed in still reports as a citizen.
    let caller = match parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
        true => Some(Caller::from_request_parts(&mut parts, &s).await?),
        false => None,
    };
    if let Some(c) = &caller
        && !c.user.role.leads()
    {
        return Err(AppError::Forbidden {
            message: "a channel integration signs in as a command-centre user (city, county or township)".into(),
        });
    }
    let now = s.clock.now();
    if caller.is_none() {
        let keys = [(Key::public_report(source.map(|p| p.client)), PUBLIC_REPORTS)];
        if let Err(until) = s.throttle.attempt(&keys, now) {
            return Err(too_many("reports", until, now));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_REPORT_BODY_BYTES).await.map_err(|_| AppError::PayloadTooLarge {
        message: format!("a report is at most {} MiB", MAX_REPORT_BODY_BYTES >> 20),
    })?;
    let report: PublicReport = super::params::json_body(&bytes)?;
    if caller.is_none() && report.external_id.is_some() {
        return Err(AppError::unprocessable(
            "external_id",
            "only a channel integration (a bearer token) sends an external id",
        ));
    }
    let channel = crate::citizen::channel(report.source.as_deref(), caller.is_some()).map_err(refused)?;
    let secret = match (&caller, &report.external_id) {
        (Some(_), Some(_)) => Some(
            s.store
                .meta(crate::citizen::SECRET_KEY)
                .await?
                .ok_or_else(|| AppError::Internal("the store has no tracking_secret".into()))?,
        ),
        _ => None,
    };
    let checked = crate::citizen::check(&report, channel, &s.geography, now, secret.as_deref()).map_err(refused)?;
    let photo = report.photo.clone().map(super::desk::photo).transpose()?;
    let by = match &caller {
        Some(c) => c.attribution(),
        None => {
            store::Attribution { actor: crate::citizen::PUBLIC_ACTOR.into(), role: None, source: audit_source(source) }
        }
    };
    let scope = caller.as_ref().map_or_else(model::scope::Scope::everything, |c| c.scope.clone());
    let (receipt, created) = crate::citizen::file(&s, checked, photo, by, &scope).await.map_err(refused)?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(receipt)).into_response())
}

/// `GET /api/public/track/{code}`: the report's stage and dates, nothing more.
pub async fn track(State(s): State<AppState>, Path(code): Path<String>, req: Request) -> Result<Response, AppError> {
    let client = request_source(&req.into_parts().0, &s.trusted_proxies).map(|p| p.client);
    let keys = lookup_allowed(&s, client)?;
    let answer = looked_up(&s, &keys, crate::citizen::track(&s, &code).await)?;
    Ok(Json(answer).into_response())
}

/// `POST /api/public/track/{code}/verdict {"verdict", "comment"?}`: the public's verdict on a
/// closed report (表决器), once.
pub async fn verdict(State(s): State<AppState>, Path(code): Path<String>, req: Request) -> Result<Response, AppError> {
    let (parts, body) = req.into_parts();
    let client = request_source(&parts, &s.trusted_proxies).map(|p| p.client);
    let keys = lookup_allowed(&s, client)?;
    let bytes = axum::body::to_bytes(body, super::MAX_BODY_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge { message: "the body is too large".into() })?;
    let v: PublicVerdict = super::params::json_body(&bytes)?;
    let answer = looked_up(&s, &keys, crate::citizen::give_verdict(&s, &code, &v).await)?;
    Ok(Json(answer).into_response())
}

type LookupKeys = [(Key, crate::throttle::Policy); 1];

/// Before a lookup by tracking code: an address past its allowance of unknown codes is refused
/// before anything is read, even for a known code (guessing stays slow).
fn lookup_allowed(s: &AppState, client: Option<std::net::IpAddr>) -> Result<LookupKeys, AppError> {
    let now = s.clock.now();
    let keys = [(Key::tracking_miss(client), TRACKING_MISSES)];
    match s.throttle.wait_until(&keys, now) {
        Some(until) => Err(too_many("unknown tracking codes", until, now)),
        None => Ok(keys),
    }
}

/// After a lookup: an unknown code counts against the address.
fn looked_up<T>(s: &AppState, keys: &LookupKeys, answer: Result<T, CitizenError>) -> Result<T, AppError> {
    if matches!(answer, Err(CitizenError::UnknownCode)) {
        s.throttle.fail(keys, s.clock.now());
    }
    answer.map_err(refused)
}

/// How far township outlines are simplified for the citizen's map, degrees (about 100 m).
pub const AREA_SIMPLIFY_DEG: f64 = 0.001;

/// `GET /api/public/areas`: the city's townships and streets as outlines (code, name), simplified,
/// for the citizen's map: administrative boundaries, public anywhere, and nothing else.
pub async fn areas(State(s): State<AppState>, _: super::params::NoQuery) -> Response {
    use geo::Simplify;
    let features: Vec<serde_json::Value> = s
        .geography
        .regions()
        .iter()
        .filter(|r| r.region.level == model::RegionLevel::Township)
        .map(|r| {
            let outline = r.boundary.simplify(AREA_SIMPLIFY_DEG);
            serde_json::json!({"type": "Feature", "geometry": super::features::multipolygon_json(&outline),
                               "properties": {"code": r.region.code.to_string(), "name": r.region.name}})
        })
        .collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    let mut response = super::features::geojson_response(body);
    response
        .headers_mut()
        .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("public, max-age=3600"));
    response
}
