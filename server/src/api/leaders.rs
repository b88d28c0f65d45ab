//! What leaders take to their meetings: `GET /api/scorecard` (督导考核).

use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::csv_export::SafeCsv;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::RegionLevel;
use model::api::scorecard::Scorecard;
use model::scorecard::Month;

/// `GET /api/scorecard?period=YYYY-MM&level=county|township&format=json|csv`: one row per
/// region of that level wholly inside the caller's jurisdiction, ranked (default: the last
/// whole month; the counties when the caller has several, else the townships).
pub async fn scorecard(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let period = p.one("period")?;
    let level = p.one("level")?;
    let format = p.one("format")?.unwrap_or_else(|| "json".into());
    p.finish()?;
    if !caller.user.role.reads_scorecard() {
        return Err(AppError::Forbidden {
            message: "the scorecard ranks counties and townships for command centres and analysts".into(),
        });
    }
    let month = match period {
        Some(text) => Month::parse(&text).map_err(|e| AppError::bad("period", e))?,
        None => Month::of(s.clock.now()).previous(),
    };
    let level = match level.as_deref() {
        None => {
            let counties = crate::scorecard::regions(&s, &caller.scope, RegionLevel::County);
            if counties.len() > 1 { RegionLevel::County } else { RegionLevel::Township }
        }
        Some(text) => crate::scorecard::LEVELS
            .into_iter()
            .find(|l| l.as_str() == text)
            .ok_or_else(|| AppError::bad("level", "level is county or township"))?,
    };
    if !["json", "csv"].contains(&format.as_str()) {
        return Err(AppError::bad("format", "format is json or csv"));
    }
    if crate::scorecard::regions(&s, &caller.scope, level).is_empty() {
        return Err(AppError::unprocessable(
            "level",
            format!("no {} lies wholly in your jurisdiction (辖区内没有完整的该级地区)", level.as_str()),
        ));
    }
    let card = crate::scorecard::scorecard(&s, &caller.scope, month, level).await?;
    Ok(match format.as_str() {
        "csv" => {
            let bytes = scorecard_csv(&card).map_err(|e| AppError::Internal(e.to_string()))?;
            let name = format!("attachment; filename=\"scorecard-{}-{}.csv\"", card.period, level.as_str());
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)], bytes)
                .into_response()
        }
        _ => axum::Json(card).into_response(),
    })
}

/// The scorecard as CSV: one row per region; per indicator its value, numerator, denominator,
/// judgement, score, 环比 and 同比 changes. Numbers as the JSON has them.
pub fn scorecard_csv(card: &Scorecard) -> Result<Vec<u8>, csv::Error> {
    let mut w = SafeCsv::new(Vec::new());
    let mut head: Vec<String> = ["period", "level", "rank", "code", "name", "score"].map(String::from).to_vec();
    for i in &card.indicators {
        let k = i.indicator.as_str();
        for suffix in ["", "_numerator", "_denominator", "_judgement", "_score", "_change_prev", "_change_yoy"] {
            head.push(format!("{k}{suffix}"));
        }
    }
    w.row(&head)?;
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in &card.rows {
        let mut row = vec![
            card.period.clone(),
            card.level.as_str().to_owned(),
            r.rank.map(|k| k.to_string()).unwrap_or_default(),
            r.code.clone(),
            r.name.clone(),
            num(r.score),
        ];
        for c in &r.cells {
            row.extend([
                num(c.value),
                c.numerator.to_string(),
                c.denominator.to_string(),
                c.judgement.as_str().to_owned(),
                num(c.score),
                num(c.change_prev),
                num(c.change_yoy),
            ]);
        }
        w.row(&row)?;
    }
    w.into_inner()
}
