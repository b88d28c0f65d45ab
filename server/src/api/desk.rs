//! The one-village-one-officer desk (一村一警), read side:
//! - `GET /api/villages/{code}`: a village's profile (404 outside the jurisdiction or for a
//!   code that is not a village).
//! - `GET /api/workload?region=`: officers' workload over the villages of the jurisdiction (or
//!   of `region` inside it) and the villages without an officer.

use super::AppState;
use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::desk::{village_profile, workload};
use crate::query::Area;
use crate::scope::Scope;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use model::RegionCode;

/// `GET /api/villages/{code}`.
pub async fn village(State(s): State<AppState>, caller: Caller, Path(raw): Path<String>) -> Result<Response, AppError> {
    let code: RegionCode =
        raw.parse().map_err(|_| AppError::bad("code", format!("{raw:?} is not a 12-digit region code")))?;
    let profile = village_profile(&s, &caller.scope, code, s.clock.now()).ok_or_else(|| AppError::NotFound {
        message: format!("no village {code} in your jurisdiction"),
        field: None,
    })?;
    Ok(Json(profile).into_response())
}

/// The caller's scope, or `region` inside it (404 outside, 400 for a cell).
pub fn narrowed(caller: &Caller, p: &mut Params) -> Result<Scope, AppError> {
    match p.area("region")? {
        None => Ok(caller.scope.clone()),
        Some(Area::Cell(_)) => Err(AppError::bad("region", "a region (12 digits), not a cell")),
        Some(Area::Region(r)) if caller.scope.allows_region(r) => Ok(Scope::of(vec![r])),
        Some(Area::Region(r)) => {
            Err(AppError::NotFound { message: format!("no region {r} in your jurisdiction"), field: None })
        }
    }
}

/// `GET /api/workload`.
pub async fn load(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    p.finish()?;
    Ok(Json(workload(&s, &scope, s.clock.now())).into_response())
}

/// `GET /api/workload/rebalance?region=&max_moves=20`: a suggestion to move villages between
/// the region's officers (contiguous territories, similar workload) that a county or township
/// user may act on; it changes nothing.
pub async fn rebalance(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let max_moves = match p.one("max_moves")? {
        None => 20,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| AppError::bad("max_moves", "max_moves is 1–200"))?,
    };
    p.finish()?;
    let now = s.clock.now();
    let s2 = s.clone();
    let suggestion = tokio::task::spawn_blocking(move || crate::desk::rebalance(&s2, &scope, now, max_moves))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(suggestion).into_response())
}
