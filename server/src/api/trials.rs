//! Forecast trials (预测方法回测): what each county's backtest found, and an analyst's request
//! to run one now. The service is `forecast_trials`.

use super::error::AppError;
use super::params::{Params, json_body};
use crate::auth::Caller;
use crate::cell_hotspots::{CountyForecast, MethodChoice};
use crate::forecast_trials::{county_method, method_of, next_nightly, running, start};
use crate::state::AppState;
use analytics::forecast::Forecaster;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use model::api::hotspots::{TrialScoreView, TrialStarted, TrialView, TrialsAnswer};
use model::{RegionCode, RegionLevel};

/// The county named by `raw` (its 12-digit code).
fn county_named(s: &AppState, raw: &str) -> Result<RegionCode, AppError> {
    let code: RegionCode = raw.trim().parse().map_err(|e| AppError::unprocessable("county", format!("{e}")))?;
    if code.level() != RegionLevel::County || s.geography.region(code).is_none() {
        return Err(AppError::unprocessable("county", format!("{code} is not a county of the city")));
    }
    Ok(code)
}

/// `GET /api/forecast/trials?county=`: the county's trials, newest first (404 unless the whole
/// county is in the caller's jurisdiction: a trial's figures are the county's).
pub async fn list(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let raw = p.one("county")?.ok_or_else(|| AppError::bad("county", "name the county (its 12-digit code)"))?;
    p.finish()?;
    let county = county_named(&s, &raw)?;
    if !caller.user.role.sees_situation() || !caller.scope.allows_region(county) {
        return Err(AppError::NotFound { message: format!("no county {county} in your jurisdiction"), field: None });
    }
    let trials: Vec<TrialView> = s
        .live
        .desk()
        .trials(county)
        .map(|(version, t)| {
            let c = CountyForecast { county, method: method_of(Some(t)), trial: Some(t.clone()), fitted: None };
            let line = county_method(&s, &c, MethodChoice::ByTrial, &caller.scope);
            TrialView {
                version,
                ran_at: t.ran_at,
                by: t.by.clone(),
                first_shift: t.first_shift,
                last_shift: t.last_shift,
                shifts: t.shifts,
                shift_hours: t.shift_hours,
                train_days: t.train_days,
                area_share: t.area_share,
                area_cells: t.area_cells,
                incidents: t.incidents,
                scores: t
                    .scores
                    .iter()
                    .map(|x| {
                        let m = Forecaster::from_name(&x.method);
                        TrialScoreView {
                            method: x.method.clone(),
                            label_zh: m.map_or_else(|| x.method.clone(), |m| m.label_zh()),
                            label_en: m.map_or_else(|| x.method.clone(), |m| m.label_en()),
                            hit_rate: x.hit_rate,
                            pai: x.pai,
                            pei: x.pei,
                            hits: x.hits,
                        }
                    })
                    .collect(),
                chosen: t.chosen.clone(),
                summary_zh: line.summary_zh,
                summary_en: line.summary_en,
            }
        })
        .collect();
    Ok(Json(TrialsAnswer {
        county_code: county,
        county_name: s.geography.region(county).map(|r| r.region.name.clone()).unwrap_or_default(),
        running: running(&s, county),
        next_nightly_at: next_nightly(s.clock.now()),
        trials,
    })
    .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TrialBody {
    county: String,
}

/// `POST /api/forecast/trials` `{"county": code}`: runs the county's trial now, in the
/// background (202); command centres and analysts, for a county wholly in their jurisdiction.
pub async fn create(State(s): State<AppState>, caller: Caller, body: axum::body::Bytes) -> Result<Response, AppError> {
    if !caller.user.role.runs_trials() {
        return Err(AppError::Forbidden {
            message: "forecast trials are run by command centres and analysts (the nightly run needs no one)".into(),
        });
    }
    let body: TrialBody = json_body(&body)?;
    let county = county_named(&s, &body.county)?;
    if !caller.scope.allows_region(county) {
        return Err(AppError::Forbidden { message: format!("county {county} is not wholly in your jurisdiction") });
    }
    let started = start(&s, county, &caller.user.username);
    Ok((StatusCode::ACCEPTED, Json(TrialStarted { county_code: county, started })).into_response())
}
