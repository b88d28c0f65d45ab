//! The 综治 work orders' routes besides the steps (which are `live::transition` and
//! `live::assign`): the departments a centre may assign to, a department's work list, and the
//! public's verdicts as satisfaction rates.

use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use model::RegionCode;
use model::department::DepartmentCode;

fn region_param(p: &mut Params, caller: &Caller) -> Result<Option<RegionCode>, AppError> {
    let Some(raw) = p.one("region")? else { return Ok(None) };
    let code: RegionCode = raw.parse().map_err(|_| AppError::bad("region", "region is a 12-digit code"))?;
    if !caller.scope.allows_path_to(code) {
        return Err(AppError::Forbidden { message: format!("region {code} is outside your jurisdiction") });
    }
    Ok(Some(code))
}

/// `GET /api/departments?region=`: the departments serving the region (those inside it and those
/// above it that serve it), by code; department staff get their own department.
pub async fn departments(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let region = region_param(&mut p, &caller)?;
    p.finish()?;
    Ok(Json(crate::work_orders::departments_for(&s, &caller, region)).into_response())
}

/// `GET /api/queue?department=CODE`: a department's work list (待签收, 办理中, 被退回, with
/// 超时 counted). Department staff may ask for their own department only; a centre for a
/// department serving its jurisdiction, seeing the orders inside it.
pub async fn work_list(s: &AppState, caller: &Caller, raw: &str) -> Result<Response, AppError> {
    let unknown =
        || AppError::Unprocessable { message: format!("no department {raw:?}"), field: Some("department".into()) };
    let code = DepartmentCode::parse(raw).map_err(|_| unknown())?;
    let department = match crate::work_orders::department_of(s, caller) {
        Some(own) if own.code == code => own.clone(),
        Some(_) => return Err(AppError::Forbidden { message: "department staff see their own work list only".into() }),
        None if !caller.user.role.sees_situation() => {
            return Err(AppError::Forbidden { message: "this user has no department".into() });
        }
        None => {
            let d = s.geography.department(&code).ok_or_else(unknown)?;
            if !caller.scope.allows_path_to(d.region) {
                return Err(unknown());
            }
            d.clone()
        }
    };
    // Staff reach their department's region through the orders; a centre stays in its own.
    let scope = if caller.user.role.sees_situation() {
        caller.scope.clone()
    } else {
        model::scope::Scope::of(vec![department.region])
    };
    let list = crate::work_orders::work_list(s, &department, &scope, s.clock.now()).await?;
    Ok(Json(list).into_response())
}

/// Longest period a satisfaction report covers, days.
pub const MAX_SATISFACTION_DAYS: i64 = 366;

/// `GET /api/satisfaction?region=&department=&from=&to=`: the verdicts of return visits in the
/// period (default: the last 30 days), per department and per region one level below `region`
/// (default: the caller's jurisdiction, or the city).
pub async fn satisfaction(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let region = region_param(&mut p, &caller)?;
    let department = p
        .one("department")?
        .map(|d| DepartmentCode::parse(&d).map_err(|e| AppError::bad("department", e)))
        .transpose()?;
    let (from, to) = p.window()?;
    p.finish()?;
    let now = s.clock.now();
    // Up to now, inclusive (`to` is exclusive).
    let to = to.unwrap_or(now + chrono::Duration::milliseconds(1));
    let from = from.unwrap_or(to - chrono::Duration::days(30));
    if to - from > chrono::Duration::days(MAX_SATISFACTION_DAYS) {
        return Err(AppError::bad("from", format!("a report covers at most {MAX_SATISFACTION_DAYS} days")));
    }
    // Department staff: their own department's verdicts, in the region it serves.
    let (scope, department, region) = match crate::work_orders::department_of(&s, &caller) {
        Some(own) => {
            if department.as_ref().is_some_and(|d| *d != own.code) {
                return Err(AppError::Forbidden { message: "department staff see their own department only".into() });
            }
            (model::scope::Scope::of(vec![own.region]), Some(own.code.clone()), own.region)
        }
        None if !caller.user.role.sees_situation() => {
            return Err(AppError::Forbidden { message: "this user has no department".into() });
        }
        None => {
            let Some(region) = region
                .or_else(|| caller.scope.roots().first().copied().filter(|_| caller.scope.roots().len() == 1))
                .or_else(|| s.geography.city().map(|c| c.region.code))
            else {
                return Err(AppError::bad("region", "name the region"));
            };
            (caller.scope.clone(), department, region)
        }
    };
    let answer = crate::work_orders::satisfaction(&s, &scope, region, department.as_ref(), from, to).await?;
    Ok(Json(answer).into_response())
}
