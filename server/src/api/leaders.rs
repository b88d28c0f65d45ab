//! What leaders take to their meetings: `GET /api/scorecard` (督导考核) and special campaigns
//! (`/api/campaigns`, 专项整治) with their evaluation.

use super::error::AppError;
use super::params::Params;
use super::params::{json_body, path_id};
use crate::auth::Caller;
use crate::campaigns::{EvaluationError, cells_touched, polygon, visible};
use crate::csv_export::SafeCsv;
use crate::desk_records::{desk_event, record};
use crate::state::AppState;
use axum::Json;
use axum::extract::Path;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use model::RegionLevel;
use model::api::campaign::CampaignBody;
use model::api::scorecard::Scorecard;
use model::campaign::{Campaign, CampaignArea, MAX_NAME_CHARS, check_dates};
use model::live::LiveKind;
use model::scorecard::Month;
use model::{Category, RegionCode};
use store::DeskCheck;

/// Most vertices of a drawn campaign area.
pub const MAX_AREA_VERTICES: usize = 2_000;

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
    check_month(&s, month)?;
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
    head.push("receptions".to_owned());
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
        row.push(r.receptions.to_string());
        w.row(&row)?;
    }
    w.into_inner()
}

/// Most months back a scorecard or briefing reaches (each reads the live log from a year before
/// it to now).
pub const MAX_MONTHS_BACK: i32 = 36;

/// A month neither in the future nor more than [`MAX_MONTHS_BACK`] months ago.
fn check_month(s: &AppState, month: Month) -> Result<(), AppError> {
    let now = Month::of(s.clock.now());
    let back = (now.year - month.year) * 12 + now.month as i32 - month.month as i32;
    if back < 0 {
        return Err(AppError::bad("period", format!("{month} has not begun")));
    }
    if back > MAX_MONTHS_BACK {
        return Err(AppError::bad("period", format!("a period at most {MAX_MONTHS_BACK} months back")));
    }
    Ok(())
}

fn require_reader(caller: &Caller) -> Result<(), AppError> {
    if caller.user.role.reads_scorecard() {
        Ok(())
    } else {
        Err(AppError::Forbidden { message: "campaigns are for command centres and analysts".into() })
    }
}

/// A region of the campaign's kind: county, township or village, in the caller's jurisdiction.
fn campaign_region(s: &AppState, caller: &Caller, field: &str, raw: &str) -> Result<RegionCode, AppError> {
    let code: RegionCode =
        raw.parse().map_err(|_| AppError::unprocessable(field, format!("{raw:?} is not a 12-digit region code")))?;
    let level = s.geography.region(code).map(|r| r.region.level);
    if !matches!(level, Some(model::RegionLevel::County | model::RegionLevel::Township | model::RegionLevel::Village)) {
        return Err(AppError::unprocessable(field, format!("no county, township or village {code}")));
    }
    if !caller.scope.allows_region(code) {
        return Err(AppError::Forbidden { message: format!("{field} {code} is outside your jurisdiction") });
    }
    Ok(code)
}

/// The rings of a GeoJSON Polygon, checked: closed rings of at least 4 finite positions, at most
/// [`MAX_AREA_VERTICES`] in all.
fn polygon_rings(geometry: &serde_json::Value) -> Result<Vec<Vec<[f64; 2]>>, AppError> {
    let bad = |m: &str| AppError::unprocessable("geometry", format!("geometry: {m}"));
    if geometry.get("type").and_then(|t| t.as_str()) != Some("Polygon") {
        return Err(bad("a GeoJSON Polygon is expected"));
    }
    let rings = geometry.get("coordinates").and_then(|c| c.as_array()).ok_or_else(|| bad("no coordinates"))?;
    if rings.is_empty() {
        return Err(bad("no ring"));
    }
    let mut out = Vec::new();
    let mut vertices = 0;
    for ring in rings {
        let positions = ring.as_array().ok_or_else(|| bad("a ring is an array of positions"))?;
        let mut r = Vec::new();
        for p in positions {
            let xy = p.as_array().filter(|a| a.len() >= 2).ok_or_else(|| bad("a position is [lon, lat]"))?;
            let (x, y) = (xy[0].as_f64(), xy[1].as_f64());
            let (Some(x), Some(y)) = (x, y) else { return Err(bad("a position is two numbers")) };
            if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                return Err(bad("positions are WGS84 longitude and latitude"));
            }
            r.push([x, y]);
        }
        vertices += r.len();
        if r.len() < 4 || r.first() != r.last() {
            return Err(bad("each ring is closed and has at least 4 positions"));
        }
        out.push(r);
    }
    if vertices > MAX_AREA_VERTICES {
        return Err(bad(&format!("at most {MAX_AREA_VERTICES} positions")));
    }
    Ok(out)
}

/// `POST /api/campaigns`: a leader declares a campaign over a region or a drawn area of their
/// jurisdiction (201 with it).
pub async fn create_campaign(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !caller.user.role.leads() {
        return Err(AppError::Forbidden {
            message: "campaigns are declared by city, county and township leaders".into(),
        });
    }
    let body: CampaignBody = json_body(&body)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::unprocessable("name", format!("a name of 1 to {MAX_NAME_CHARS} characters")));
    }
    let (area, county) = match (&body.region, &body.geometry) {
        (Some(raw), None) => {
            let code = campaign_region(&s, &caller, "region", raw)?;
            (CampaignArea::Region(code), code.truncate(model::RegionLevel::County))
        }
        (None, Some(geometry)) => {
            let rings = polygon_rings(geometry)?;
            let cells = polygon(&rings).map(|p| cells_touched(&s, &p)).unwrap_or_default();
            let Some(first) = cells.first() else {
                return Err(AppError::unprocessable("geometry", "the area touches no grid cell"));
            };
            let county = first.village().truncate(model::RegionLevel::County);
            if cells.iter().any(|c| !county.contains(c.village())) {
                return Err(AppError::unprocessable("geometry", "a campaign's area lies in one county"));
            }
            if cells.iter().any(|c| !caller.scope.allows_cell(*c)) {
                return Err(AppError::Forbidden { message: "the area reaches outside your jurisdiction".into() });
            }
            (CampaignArea::Polygon(rings), county)
        }
        _ => return Err(AppError::unprocessable("region", "give a region or a geometry, not both")),
    };
    let mut categories = Vec::new();
    for (i, raw) in body.categories.iter().enumerate() {
        let c = Category::parse(raw)
            .ok_or_else(|| AppError::unprocessable(&format!("categories[{i}]"), format!("unknown kind {raw:?}")))?;
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let date = |field: &str, text: &str| {
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::unprocessable(field, format!("{text:?} is not a date YYYY-MM-DD")))
    };
    let (start, end) = (date("start", &body.start)?, date("end", &body.end)?);
    let days = (end - start).num_days() + 1;
    let baseline_days = body.baseline_days.unwrap_or(days);
    check_dates(start, end, baseline_days).map_err(|(field, m)| AppError::unprocessable(field, m))?;
    let control = match &body.control {
        None => None,
        Some(raw) => {
            let code = campaign_region(&s, &caller, "control", raw)?;
            let overlaps = match &area {
                CampaignArea::Region(a) => a.contains(code) || code.contains(*a),
                CampaignArea::Polygon(rings) => {
                    polygon(rings).is_some_and(|p| cells_touched(&s, &p).iter().any(|c| code.contains(c.village())))
                }
            };
            if overlaps {
                return Err(AppError::unprocessable("control", "the control area overlaps the campaign's area"));
            }
            Some(code)
        }
    };
    let now = s.clock.now();
    let campaign = Campaign {
        name: name.to_owned(),
        area,
        county,
        categories,
        start,
        end,
        baseline_days,
        control,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::Campaign, 0, &caller.user.username, now, &campaign);
    let logged = record(&s, event, DeskCheck::NewSubject, None).await?;
    let id = logged.event.subject;
    s.audit(caller.audit("declare_campaign", format!("campaign {id}"), "ok")).await?;
    Ok((StatusCode::CREATED, Json(crate::campaigns::view(&s, id, &campaign, now))).into_response())
}

/// `GET /api/campaigns`: the campaigns wholly inside the caller's jurisdiction, newest first.
pub async fn list_campaigns(
    State(s): State<AppState>,
    caller: Caller,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    require_reader(&caller)?;
    Ok(Json(crate::campaigns::list(&s, &caller.scope, s.clock.now())).into_response())
}

/// `GET /api/campaigns/{id}/evaluation`: did it work, and did crime move next door (404 for a
/// campaign outside the caller's jurisdiction; 409 before it begins).
pub async fn evaluation(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_reader(&caller)?;
    let id = path_id(&id, "campaign")?;
    let campaign = s.live.desk().campaign(id).cloned();
    let campaign = campaign
        .filter(|c| visible(&s, &caller.scope, c))
        .ok_or_else(|| AppError::NotFound { message: format!("no campaign {id} in your jurisdiction"), field: None })?;
    match crate::campaigns::evaluate(&s, &caller.scope, id, &campaign, s.clock.now()).await {
        Ok(e) => Ok(Json(e).into_response()),
        Err(EvaluationError::NotBegun(d)) => Err(AppError::Conflict {
            message: format!("the campaign begins on {d}: there is nothing to evaluate yet"),
            field: None,
        }),
        Err(EvaluationError::Store(e)) => Err(e.into()),
        Err(EvaluationError::Job(e)) => Err(e.into()),
    }
}

/// `GET /api/briefing?region=CODE&period=YYYY-MM&format=json|html&lang=zh|en`: the monthly
/// briefing (简报) of a region of the caller's jurisdiction (default: its first region; the last
/// whole month). `html` is the print view.
pub async fn briefing(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    require_reader(&caller)?;
    let mut p = Params::parse(q.as_deref());
    let region = p.one("region")?;
    let period = p.one("period")?;
    let format = p.one("format")?.unwrap_or_else(|| "json".into());
    let lang = p.one("lang")?.unwrap_or_else(|| "zh".into());
    p.finish()?;
    let region: RegionCode = match region {
        Some(raw) => raw.parse().map_err(|_| AppError::bad("region", "region is a 12-digit code"))?,
        None => caller.scope.roots().first().copied().ok_or_else(|| AppError::bad("region", "name a region"))?,
    };
    if s.geography.region(region).is_none() {
        return Err(AppError::NotFound { message: format!("no region {region}"), field: Some("region".into()) });
    }
    if !caller.scope.allows_region(region) {
        return Err(AppError::Forbidden { message: format!("region {region} is outside your jurisdiction") });
    }
    let month = match period {
        Some(text) => Month::parse(&text).map_err(|e| AppError::bad("period", e))?,
        None => Month::of(s.clock.now()).previous(),
    };
    check_month(&s, month)?;
    if !["json", "html", "docx"].contains(&format.as_str()) {
        return Err(AppError::bad("format", "format is json, html or docx"));
    }
    if !["zh", "en"].contains(&lang.as_str()) {
        return Err(AppError::bad("lang", "lang is zh or en"));
    }
    let (b, shapes) = crate::briefing::briefing(&s, &caller.scope, region, month).await?;
    s.audit(caller.audit("read_briefing", format!("{region} {month}"), "ok")).await?;
    Ok(match format.as_str() {
        "html" => {
            // Subsetting the embedded font is CPU work: a job.
            let zh = lang == "zh";
            let font = s.settings.briefing_font.clone();
            let page = s.jobs.run(move |_| Ok(crate::briefing::html(&b, &shapes, zh, font.as_deref()))).await?;
            let headers = [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, crate::briefing::HTML_CSP),
            ];
            (headers, page).into_response()
        }
        "docx" => {
            // The rasterised map and the font subset are CPU work: a job.
            let zh = lang == "zh";
            let font = s.settings.briefing_font.clone();
            let bytes = s
                .jobs
                .run(move |_| Ok(crate::briefing::docx(&b, &shapes, zh, font.as_deref())))
                .await?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let name = format!("attachment; filename=\"briefing-{region}-{month}.docx\"");
            let kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
            ([(header::CONTENT_TYPE, kind.to_owned()), (header::CONTENT_DISPOSITION, name)], bytes).into_response()
        }
        _ => Json(b).into_response(),
    })
}
