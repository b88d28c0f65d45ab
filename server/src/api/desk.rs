//! The one-village-one-officer desk (一村一警), read side:
//! - `GET /api/villages/{code}`: a village's profile (404 outside the jurisdiction or for a
//!   code that is not a village).
//! - `GET /api/workload?region=`: officers' workload over the villages of the jurisdiction (or
//!   of `region` inside it) and the villages without an officer.

use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::desk::{village_profile, workload};
use crate::query::Area;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use model::RegionCode;
use model::scope::Scope;

/// `GET /api/villages/{code}`.
pub async fn village(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
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

/// The caller's scope narrowed by `region=`, for routes that take no other parameter.
fn region_only(caller: &Caller, q: Option<&str>) -> Result<Scope, AppError> {
    let mut p = Params::parse(q);
    let scope = narrowed(caller, &mut p)?;
    p.finish()?;
    Ok(scope)
}

/// `GET /api/workload`.
pub async fn load(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let scope = region_only(&caller, q.as_deref())?;
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
    let suggestion = s
        .jobs
        .run(move |_| Ok(crate::desk::rebalance(&s2, &scope, now, max_moves)))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(suggestion).into_response())
}

// ---- Write side and the desk's own views (records folded in `live::Live::desk`). ----

use crate::desk_records::{
    DisputeFilter, backlog_board, backlog_cases, desk_event, desk_of, dispute_stats, dispute_view, disputes_in,
    officer_in_scope, record, visit_view, visits_in,
};
use axum::http::{StatusCode, header};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use model::RegionLevel;
use model::api::desk::{
    AssignBody, AssignmentEntry, AssignmentList, AssignmentRecorded, BacklogBody, BacklogCaseView,
    BacklogUpdateRecorded, DisputeBody, DisputeList, DisputeStepBody, MyCase, MyCases, PhotoBody, ScreeningBody,
    VisitBody, VisitList,
};
use model::auth::Role;
use model::desk::{
    BacklogLimits, CaseTag, DeskError, DisputeKind, DisputeStatus, MediationTrack, Referral, Reminder, check_referral,
    confirmation_allowed, dispute_transition, is_backlog,
};
use model::desk_book::{
    AssignmentChange, BacklogUpdate, CaseOrigin, DisputeChange, JudicialConfirmation, MediationSession, NewDispute,
    Visit,
};
use model::live::LiveKind;
use model::scorecard::Month;
use model::screening::{self, RiskGrade, ScreeningError, ScreeningReport};
use serde_json::json;
use store::{DeskCheck, Photo, StoreError};

/// Largest photo stored with a visit (decoded), bytes.
pub const MAX_PHOTO_BYTES: usize = 2 << 20;
/// Body limit of `POST /api/visits` (a base64 photo and the text).
pub const MAX_VISIT_BODY_BYTES: usize = 3 << 20;

use super::params::json_body;

pub(super) fn unprocessable(field: &str, message: impl Into<String>) -> AppError {
    AppError::unprocessable(field, message)
}

/// Checks a required text field: trimmed, 1…max characters.
pub(super) fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(unprocessable(field, format!("{field} is required (必填)")));
    }
    optional_text(field, v, max)
}

/// Checks an optional text field: trimmed, at most max characters.
pub(super) fn optional_text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(unprocessable(field, format!("{field} is longer than {max} characters")));
    }
    Ok(v.to_owned())
}

/// A village of the caller's jurisdiction named in a body field (404 naming the field otherwise).
pub(super) fn village_in_scope(s: &AppState, caller: &Caller, field: &str, raw: &str) -> Result<RegionCode, AppError> {
    let code: RegionCode =
        raw.parse().map_err(|_| unprocessable(field, format!("{raw:?} is not a 12-digit village code")))?;
    if code.level() != RegionLevel::Village || s.geography.region(code).is_none() || !caller.scope.allows_region(code) {
        return Err(AppError::NotFound {
            message: format!("no village {code} in your jurisdiction"),
            field: Some(field.to_owned()),
        });
    }
    Ok(code)
}

/// The mediator in charge a body names, with their roster id: by `mediator_id`, someone on the
/// village's roster (422 naming `mediator_id` otherwise; a `mediator` name that is not theirs is a
/// 422 naming `mediator`), or by a `mediator` name alone (a committee, a court's mediator).
/// `None` when the body names neither.
fn mediator_named(
    s: &AppState,
    village: RegionCode,
    name: Option<&str>,
    id: Option<u64>,
) -> Result<Option<(String, Option<u64>)>, AppError> {
    if id.is_none() && name.is_some_and(|n| n.trim().is_empty()) {
        return Err(unprocessable(
            "mediator",
            "mediator is empty: name the mediator in charge (mediator or mediator_id)",
        ));
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match id {
        Some(id) => {
            let on_roster = s.geography.mediators_of(village).iter().find(|m| m.id == id).ok_or_else(|| {
                unprocessable("mediator_id", format!("mediator {id} is not on the roster of village {village}"))
            })?;
            if let Some(n) = name
                && n != on_roster.name
            {
                return Err(unprocessable(
                    "mediator",
                    format!("mediator {id} is {}, not {n}; name one or the other", on_roster.name),
                ));
            }
            Ok(Some((on_roster.name.clone(), Some(id))))
        }
        None => name.map(|n| Ok((text("mediator", n, 100)?, None))).transpose(),
    }
}

/// A time at or before now (+5 min of clock skew) and not more than `max_days` ago.
pub(super) fn past_time(
    field: &str,
    t: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max_days: i64,
) -> Result<DateTime<Utc>, AppError> {
    let t = t.unwrap_or(now);
    if t > now + Duration::minutes(5) {
        return Err(unprocessable(field, format!("{field} is in the future")));
    }
    if t < now - Duration::days(max_days) {
        return Err(unprocessable(field, format!("{field} is more than {max_days} days ago")));
    }
    Ok(t)
}

/// A value of a closed list named in a body field (422 naming the field and every value otherwise).
pub(super) fn parse_enum<T: Copy>(
    field: &str,
    raw: &str,
    all: &[T],
    parse: fn(&str) -> Option<T>,
    name: fn(T) -> &'static str,
) -> Result<T, AppError> {
    parse(raw).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        unprocessable(field, format!("unknown {field} {raw:?}; expected one of {}", names.join(", ")))
    })
}

fn stale(e: StoreError, field: &str) -> AppError {
    match e {
        StoreError::Stale { .. } => AppError::Conflict { message: e.to_string(), field: Some(field.to_owned()) },
        e => e.into(),
    }
}

/// Roles that lead townships, counties and the city: they reassign officers and take charge
/// of backlog cases.
fn require_leader(caller: &Caller, what: &str) -> Result<(), AppError> {
    if caller.user.role.leads() {
        Ok(())
    } else {
        Err(AppError::Forbidden { message: format!("the {} role may not {what}", caller.user.role.as_str()) })
    }
}

/// Roles that take personal charge of backlog cases (领导包案): command centres and leaders.
fn require_charge(caller: &Caller, what: &str) -> Result<(), AppError> {
    if caller.user.role.takes_charge() {
        Ok(())
    } else {
        Err(AppError::Forbidden { message: format!("the {} role may not {what}", caller.user.role.as_str()) })
    }
}

/// Dispute parties and visit notes are personal data: case handlers only.
fn require_handler(caller: &Caller) -> Result<(), AppError> {
    if caller.user.role.handles_cases() {
        Ok(())
    } else {
        Err(AppError::Forbidden { message: format!("the {} role does not handle cases", caller.user.role.as_str()) })
    }
}

/// `GET /api/desk`: the signed-in village officer's desk; leaders pass `officer=` (an officer
/// covering a village of their jurisdiction).
pub async fn desk(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let asked = p.one("officer")?;
    p.finish()?;
    require_handler(&caller)?;
    let id = match caller.user.role {
        Role::Village => match (caller.user.officer_id, asked) {
            (Some(own), None) => own,
            (Some(own), Some(raw)) if raw == own.to_string() => own,
            (_, Some(_)) => {
                return Err(AppError::Forbidden { message: "a village officer sees only their own desk".into() });
            }
            (None, None) => return Err(AppError::bad("officer", "this user is not linked to an officer")),
        },
        Role::Department => {
            return Err(AppError::Forbidden { message: "department staff have no village desk".into() });
        }
        Role::GridWorker => {
            return Err(AppError::Forbidden {
                message: "grid workers have no village desk (their tasks are at /m/)".into(),
            });
        }
        Role::City | Role::County | Role::Township | Role::Analyst | Role::Admin | Role::Leader => {
            let Some(raw) = asked else { return Err(AppError::bad("officer", "name the officer (officer=id)")) };
            let id: u64 = raw.parse().map_err(|_| AppError::bad("officer", format!("{raw:?} is not an officer id")))?;
            let visible = s.live.desk().villages_of(id).iter().any(|v| caller.scope.allows_region(*v))
                || officer_in_scope(&s, &caller.scope, id);
            if !visible {
                return Err(AppError::NotFound {
                    message: format!("no officer {id} in your jurisdiction"),
                    field: Some("officer".into()),
                });
            }
            id
        }
    };
    let now = s.clock.now();
    let d = desk_of(&s, id, &caller.scope, now)
        .ok_or_else(|| AppError::NotFound { message: format!("no officer {id}"), field: Some("officer".into()) })?;
    Ok(Json(d).into_response())
}

/// `POST /api/assignments` `{"village", "officer", "note"?, "version"?}`: a township, county or
/// city user gives a village of their jurisdiction to an officer of it (or to nobody); the
/// change is kept in the history (`GET /api/assignments`).
pub async fn assign(State(s): State<AppState>, caller: Caller, body: axum::body::Bytes) -> Result<Response, AppError> {
    require_leader(&caller, "reassign village officers")?;
    let body: AssignBody = json_body(&body)?;
    let village = village_in_scope(&s, &caller, "village", &body.village)?;
    let note = optional_text("note", &body.note, 500)?;
    if let Some(o) = body.officer {
        if s.geography.officer(o).is_none() {
            return Err(unprocessable("officer", format!("no officer {o}")));
        }
        if !officer_in_scope(&s, &caller.scope, o) {
            return Err(unprocessable("officer", format!("officer {o} works outside your jurisdiction")));
        }
    }
    let held = s.live.desk().assignment(village);
    let previous = held.and_then(|a| a.officer);
    let version = body.version.unwrap_or(held.map_or(0, |a| a.seq));
    if previous == body.officer {
        return Err(AppError::Conflict {
            message: format!("village {village} already has this assignment"),
            field: Some("officer".into()),
        });
    }
    let now = s.clock.now();
    let change =
        AssignmentChange { village, officer: body.officer, previous, note, by: caller.user.username.clone(), at: now };
    let event = desk_event(LiveKind::Assignment, village.as_u64(), &caller.user.username, now, &change);
    let check = DeskCheck::Version { kinds: vec![LiveKind::Assignment], seq: version };
    let logged = record(&s, event, check, None).await.map_err(|e| stale(e, "version"))?;
    let mut entry = caller.audit("reassign_village", village.to_string(), "ok");
    entry.detail = Some(format!("{:?} → {:?}", previous, body.officer));
    s.audit(entry).await?;
    Ok((StatusCode::CREATED, Json(AssignmentRecorded { seq: logged.seq, assignment: change })).into_response())
}

/// `GET /api/assignments?region=`: assignment changes in the jurisdiction, newest first.
pub async fn assignments(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let limit = p.limit()?;
    p.finish()?;
    let book = s.live.desk();
    let officer_name = |id: Option<u64>| id.and_then(|o| s.geography.officer(o)).map(|o| o.name.clone());
    let items: Vec<AssignmentEntry> = book
        .history()
        .rev()
        .filter(|(_, a)| scope.allows_region(a.village))
        .take(limit)
        .map(|(seq, a)| AssignmentEntry {
            seq,
            village: s.geography.region(a.village).map(|r| r.region.name.clone()),
            officer_name: officer_name(a.officer),
            previous_name: officer_name(a.previous),
            change: a.clone(),
        })
        .collect();
    Ok(Json(AssignmentList { items }).into_response())
}

/// Whether `bytes` start like an image of `content_type`.
fn looks_like(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

/// A photo from a request, checked: a JPEG, PNG or WebP of at most [`MAX_PHOTO_BYTES`].
pub(super) fn photo(p: PhotoBody) -> Result<Photo, AppError> {
    if !matches!(p.content_type.as_str(), "image/jpeg" | "image/png" | "image/webp") {
        return Err(unprocessable("photo.content_type", "a photo is image/jpeg, image/png or image/webp"));
    }
    if p.data.len() > MAX_PHOTO_BYTES / 3 * 4 + 8 {
        return Err(unprocessable("photo.data", format!("the photo is larger than {} MiB", MAX_PHOTO_BYTES >> 20)));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(p.data.trim())
        .map_err(|e| unprocessable("photo.data", format!("not base64: {e}")))?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(unprocessable("photo.data", format!("the photo is larger than {} MiB", MAX_PHOTO_BYTES >> 20)));
    }
    if !looks_like(&p.content_type, &bytes) {
        return Err(unprocessable("photo.data", format!("the data is not a {} image", p.content_type)));
    }
    Ok(Photo { content_type: p.content_type, bytes })
}

/// `POST /api/visits`: the signed-in village officer records a visit to one of their villages
/// (`visited_at` within the last 30 days; optional point inside the village; optional photo,
/// base64, ≤ 2 MiB, stored with the record).
pub async fn create_visit(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let recorder = match caller.user.role {
        Role::Village => caller.user.officer_id,
        Role::City
        | Role::County
        | Role::Township
        | Role::Analyst
        | Role::Admin
        | Role::Department
        | Role::GridWorker
        | Role::Leader => None,
    };
    let Some(officer) = recorder else {
        return Err(AppError::Forbidden { message: "visits are recorded by the village officer".into() });
    };
    let body: VisitBody = json_body(&body)?;
    let village = village_in_scope(&s, &caller, "village", &body.village)?;
    let now = s.clock.now();
    let visited_at = past_time("visited_at", body.visited_at, now, 30)?;
    let place = text("place", &body.place, 200)?;
    let people_met = optional_text("people_met", &body.people_met, 500)?;
    let notes = optional_text("notes", &body.notes, 2000)?;
    match (body.lon, body.lat) {
        (None, None) => {}
        (Some(lon), Some(lat)) => {
            let inside = s.geography.locate(lon, lat).is_some_and(|c| s.geography.cell_code(c).village() == village);
            if !inside {
                return Err(unprocessable("lon", "the point is not inside the village"));
            }
        }
        (Some(_), None) => return Err(unprocessable("lat", "lat is required with lon")),
        (None, Some(_)) => return Err(unprocessable("lon", "lon is required with lat")),
    }
    let photo = body.photo.map(photo).transpose()?;
    let visit = Visit {
        officer,
        village,
        visited_at,
        place,
        people_met,
        notes,
        lon: body.lon,
        lat: body.lat,
        photo: photo.as_ref().map(|p| p.content_type.clone()),
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::Visit, officer, &caller.user.username, now, &visit);
    let logged = record(&s, event, DeskCheck::Nothing, photo).await?;
    s.audit(caller.audit("record_visit", format!("visit {}", logged.seq), "ok")).await?;
    Ok((StatusCode::CREATED, Json(visit_view(&s, logged.seq, &visit))).into_response())
}

/// `GET /api/visits?region=&officer=&limit=`: visits in the jurisdiction, newest first.
pub async fn list_visits(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let officer = p
        .one("officer")?
        .map(|v| v.parse::<u64>().map_err(|_| AppError::bad("officer", format!("{v:?} is not an officer id"))))
        .transpose()?;
    let limit = p.limit()?;
    p.finish()?;
    require_handler(&caller)?;
    let items = visits_in(&s, &s.live.desk(), &scope, officer, limit);
    Ok(Json(VisitList { items }).into_response())
}

/// `GET /api/visits/{id}/photo`: the photo stored with a visit of the jurisdiction.
pub async fn visit_photo(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = super::params::path_id(&raw, "visit")?;
    let not_found = || AppError::NotFound { message: format!("no photo of visit {raw}"), field: None };
    let visible = s.live.desk().visit(id).is_some_and(|v| caller.scope.allows_region(v.village));
    if !visible || !caller.user.role.handles_cases() {
        return Err(not_found());
    }
    let photo = s.store.photo(id).await?.ok_or_else(not_found)?;
    Ok(([(header::CONTENT_TYPE, photo.content_type)], photo.bytes).into_response())
}

/// `POST /api/disputes`: registers a dispute in a village of the jurisdiction.
pub async fn create_dispute(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let body: DisputeBody = json_body(&body)?;
    let village = village_in_scope(&s, &caller, "village", &body.village)?;
    let kind = DisputeKind::parse(&body.kind).ok_or_else(|| {
        let names: Vec<&str> = DisputeKind::ALL.iter().map(|k| k.as_str()).collect();
        unprocessable("kind", format!("unknown kind {:?}; expected one of {}", body.kind, names.join(", ")))
    })?;
    let track = match &body.track {
        None => MediationTrack::Peoples,
        Some(t) => MediationTrack::parse(t).ok_or_else(|| {
            unprocessable("track", format!("unknown track {t:?}; expected peoples, administrative or judicial"))
        })?,
    };
    let now = s.clock.now();
    let opened_at = past_time("opened_at", body.opened_at, now, 5 * 366)?;
    if let Some(id) = body.incident {
        let found = s.store.incidents_by_id(&caller.scope, vec![model::IncidentId(id)]).await?;
        if found.is_empty() {
            return Err(unprocessable("incident", format!("no incident {id} in your jurisdiction")));
        }
    }
    let (title, parties) = (text("title", &body.title, 100)?, text("parties", &body.parties, 500)?);
    let summary = optional_text("summary", &body.summary, 2000)?;
    let (mediator, mediator_id) = mediator_named(&s, village, Some(&body.mediator), body.mediator_id)?
        .ok_or_else(|| unprocessable("mediator", "name the mediator in charge (mediator or mediator_id)"))?;
    let dispute = NewDispute {
        village,
        kind,
        track,
        title,
        parties,
        summary,
        mediator,
        mediator_id,
        incident: body.incident,
        court_reference: body
            .court_reference
            .as_deref()
            .map(|r| text("court_reference", r, 60))
            .transpose()?
            .filter(|r| !r.is_empty()),
        opened_at,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::Dispute, 0, &caller.user.username, now, &dispute);
    let logged = record(&s, event, DeskCheck::NewSubject, None).await?;
    let id = logged.event.subject;
    s.audit(caller.audit("register_dispute", format!("dispute {id}"), "ok")).await?;
    let book = s.live.desk();
    let view = book.dispute(id).map(|d| dispute_view(&s, d, now, BacklogLimits::default()));
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

fn dispute_filter(p: &mut Params) -> Result<DisputeFilter, AppError> {
    match p.one("status")?.as_deref() {
        None | Some("open") => Ok(DisputeFilter::Open),
        Some("closed") => Ok(DisputeFilter::Closed),
        Some("all") => Ok(DisputeFilter::All),
        Some(o) => Err(AppError::bad("status", format!("status is open, closed or all, not {o:?}"))),
    }
}

/// `GET /api/disputes?region=&status=open|closed|all&limit=`: newest first (masked for roles
/// that do not handle cases).
pub async fn list_disputes(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let which = dispute_filter(&mut p)?;
    let limit = p.limit()?;
    p.finish()?;
    let mut items = disputes_in(&s, &s.live.desk(), &scope, which, s.clock.now());
    let total = items.len();
    items.truncate(limit);
    if !caller.user.role.handles_cases() {
        items.iter_mut().for_each(mask_dispute);
    }
    Ok(Json(DisputeList { total, items }).into_response())
}

/// `GET /api/mediators?region=`: the mediator rosters (法治带头人: 村干部, 法律明白人, 人民调解员,
/// 乡贤) of the villages in the caller's jurisdiction, or in `region` inside it, by village; phones
/// masked for roles that do not handle cases.
pub async fn mediators(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let scope = region_only(&caller, q.as_deref())?;
    let masked = caller.masks_personal_data();
    let list: Vec<model::api::desk::MediatorView> = s
        .geography
        .mediators_in(&scope)
        .map(|m| model::api::desk::MediatorView {
            id: m.id,
            name: m.name.clone(),
            role: m.role,
            role_zh: m.role.label_zh().to_owned(),
            role_en: m.role.label_en().to_owned(),
            village: crate::desk_records::named(&s, m.village),
            phone: m.phone.as_deref().map(|p| if masked { model::auth::mask_phone(p) } else { p.to_owned() }),
        })
        .collect();
    Ok(Json(list).into_response())
}

/// What a role that does not handle cases sees of a dispute: the parties' names masked (each
/// name of the list: 张三、李四 → 张*、李*), the title replaced by the kind and the free texts
/// that may name people (summary, session notes, outcomes) left out; kinds, tracks, statuses,
/// dates and the mediator stay.
fn mask_dispute(v: &mut model::api::desk::DisputeView) {
    // A title may name people too (张三欠薪): the kind stands for it, as on the backlog board.
    v.title = v.kind_zh.clone();
    v.parties = mask_names(&v.parties);
    v.summary.clear();
    v.outcome.clear();
    for x in &mut v.sessions {
        x.notes.clear();
    }
    for step in &mut v.history {
        step.change.outcome.clear();
        if let Some(x) = &mut step.change.session {
            x.notes.clear();
        }
    }
}

/// Masks every name of a list written with the usual separators (、，, ；; 和 and spaces).
pub fn mask_names(list: &str) -> String {
    let mut out = String::new();
    let mut name = String::new();
    for c in list.chars() {
        if matches!(c, '、' | '，' | ',' | '；' | ';' | ' ' | '和' | '与') {
            out.push_str(&model::auth::mask_name(&name));
            out.push(c);
            name.clear();
        } else {
            name.push(c);
        }
    }
    out.push_str(&model::auth::mask_name(&name));
    out
}

fn dispute_id(raw: &str) -> Result<u64, AppError> {
    super::params::path_id(raw, "dispute")
}

/// `GET /api/disputes/{id}`: one dispute with its sessions and history (masked for roles that do
/// not handle cases).
pub async fn one_dispute(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = dispute_id(&raw)?;
    let book = s.live.desk();
    let mut view = book
        .dispute(id)
        .filter(|d| caller.scope.allows_region(d.registered.village))
        .map(|d| dispute_view(&s, d, s.clock.now(), BacklogLimits::default()))
        .ok_or_else(|| AppError::NotFound { message: format!("no dispute {id}"), field: None })?;
    if !caller.user.role.handles_cases() {
        mask_dispute(&mut view);
    }
    Ok(Json(view).into_response())
}

/// `POST /api/disputes/{id}/transitions` `{"to"?, "session"?, "outcome"?, "mediator"?,
/// "referral"?, "confirmation"?, "version"?}`: moves a dispute on (illegal steps 409 naming
/// `to`; `referred` needs a `referral`, 422; a dispute changed since `version` 409 naming
/// `version`), records a mediation session, and/or records the court's confirmation of a
/// people's mediation agreement (409 naming `confirmation` where none may be recorded).
pub async fn dispute_step(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = dispute_id(&raw)?;
    let body: DisputeStepBody = json_body(&body)?;
    let now = s.clock.now();
    let (village, (status, track, version), mediator_now, agreed, confirmed) = {
        let book = s.live.desk();
        let d = book
            .dispute(id)
            .filter(|d| caller.scope.allows_region(d.registered.village))
            .ok_or_else(|| AppError::NotFound { message: format!("no dispute {id}"), field: None })?;
        (
            d.registered.village,
            (d.status, d.track, d.version),
            d.mediator.clone(),
            d.agreed_at.is_some(),
            d.confirmation.is_some(),
        )
    };
    let to = body
        .to
        .as_deref()
        .map(|t| {
            DisputeStatus::parse(t).ok_or_else(|| {
                let names: Vec<&str> = DisputeStatus::ALL.iter().map(|k| k.as_str()).collect();
                unprocessable("to", format!("unknown status {t:?}; expected one of {}", names.join(", ")))
            })
        })
        .transpose()?;
    let referral = body
        .referral
        .as_deref()
        .map(|r| parse_enum("referral", r, Referral::ALL, Referral::parse, Referral::as_str))
        .transpose()?;
    if to.is_none() && body.session.is_none() && body.confirmation.is_none() {
        return Err(unprocessable("to", "name a status (to), a session or a judicial confirmation"));
    }
    if let Err(e) = check_referral(to, referral) {
        return Err(unprocessable("referral", format!("{e} (转其他途径须注明去向)")));
    }
    if let Some(to) = to
        && let Err(e) = dispute_transition(status, to, track)
    {
        s.audit(caller.audit("change_dispute", format!("dispute {id}"), "denied")).await?;
        let message = match e {
            DeskError::NoHigherTrack => format!("{e} (司法调解为最后一级)"),
            _ => format!("{e} (状态不可由此变更)"),
        };
        return Err(AppError::Conflict { message, field: Some("to".into()) });
    }
    let confirmation = body
        .confirmation
        .map(|c| -> Result<JudicialConfirmation, AppError> {
            if !confirmation_allowed(agreed || to == Some(DisputeStatus::Agreed), track, confirmed) {
                return Err(AppError::Conflict {
                    message: format!(
                        "{} (仅人民调解协议可记录司法确认，且只记录一次)",
                        DeskError::ConfirmationNotAllowed
                    ),
                    field: Some("confirmation".into()),
                });
            }
            if c.confirmed_on > model::time::local_date(now) {
                return Err(unprocessable("confirmation.confirmed_on", "confirmation.confirmed_on is in the future"));
            }
            Ok(JudicialConfirmation {
                court: text("confirmation.court", &c.court, 60)?,
                reference: text("confirmation.reference", &c.reference, 60)?,
                confirmed_on: c.confirmed_on,
            })
        })
        .transpose()?;
    let session = body
        .session
        .map(|x| -> Result<MediationSession, AppError> {
            Ok(MediationSession {
                held_at: past_time("session.held_at", x.held_at, now, 366)?,
                mediator: match x.mediator {
                    Some(m) => text("session.mediator", &m, 100)?,
                    None => mediator_now.clone(),
                },
                notes: optional_text("session.notes", &x.notes, 2000)?,
            })
        })
        .transpose()?;
    let named = mediator_named(&s, village, body.mediator.as_deref(), body.mediator_id)?;
    let change = DisputeChange {
        id,
        to,
        session,
        outcome: optional_text("outcome", &body.outcome, 2000)?,
        mediator: named.as_ref().map(|(name, _)| name.clone()),
        mediator_id: named.and_then(|(_, id)| id),
        referral,
        confirmation,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::DisputeChanged, id, &caller.user.username, now, &change);
    let check = DeskCheck::Version {
        kinds: vec![LiveKind::Dispute, LiveKind::DisputeChanged],
        seq: body.version.unwrap_or(version),
    };
    record(&s, event, check, None).await.map_err(|e| stale(e, "version"))?;
    let mut entry = caller.audit("change_dispute", format!("dispute {id}"), "ok");
    entry.detail = to.map(|t| format!("{} → {}", status.as_str(), t.as_str()));
    s.audit(entry).await?;
    let book = s.live.desk();
    let view = book.dispute(id).map(|d| dispute_view(&s, d, now, BacklogLimits::default()));
    Ok(Json(view).into_response())
}

/// `GET /api/disputes/stats?region=`: counts by kind, village, status and track.
pub async fn dispute_statistics(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let scope = region_only(&caller, q.as_deref())?;
    Ok(Json(dispute_stats(&s, &s.live.desk(), &scope, s.clock.now())).into_response())
}

/// `GET /api/backlog?region=`: the backlog clearance board.
pub async fn backlog(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let scope = region_only(&caller, q.as_deref())?;
    let mut board = backlog_board(&s, &s.live.desk(), &scope, s.clock.now());
    redact_backlog(&s, &caller, &mut board.cases);
    redact_backlog(&s, &caller, &mut board.police_overdue_cases);
    Ok(Json(board).into_response())
}

/// For roles that do not handle cases (analysts, administrators), the backlog keeps its counts
/// and ages but not what `/api/disputes` refuses them: a dispute's title becomes its kind, and
/// progress notes are left out.
fn redact_backlog(s: &AppState, caller: &Caller, cases: &mut [BacklogCaseView]) {
    if caller.user.role.handles_cases() {
        return;
    }
    let book = s.live.desk();
    for c in cases {
        match c.origin {
            CaseOrigin::Dispute => {
                let kind = book.dispute(c.id).map(|d| d.registered.kind);
                c.title_zh = format!("纠纷：{}", kind.map_or("", |k| k.label_zh()));
                c.title_en = format!("dispute: {}", kind.map_or("", |k| k.label_en()));
            }
            CaseOrigin::Petition => {
                let kind = book.petition(c.id).map(|p| p.registered.kind);
                c.title_zh = format!("信访：{}", kind.map_or("", |k| k.label_zh()));
                c.title_en = format!("petition: {}", kind.map_or("", |k| k.label_en()));
            }
            CaseOrigin::Event => {}
        }
        c.updates.clear();
    }
}

/// `GET /api/backlog/heat?region=`: backlog cases as GeoJSON points with their age band (the
/// map's age heat layer).
pub async fn backlog_heat(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let scope = region_only(&caller, q.as_deref())?;
    let mut cases = backlog_cases(&s, &s.live.desk(), &scope, s.clock.now());
    redact_backlog(&s, &caller, &mut cases);
    let features: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {
                    "origin": c.origin.as_str(), "id": c.id, "band": c.band, "age_days": c.age_days,
                    "title_zh": c.title_zh, "title_en": c.title_en, "village": c.village.name,
                    "village_code": c.village.code,
                    "leader_in_charge": c.leader_in_charge,
                },
            })
        })
        .collect();
    Ok(Json(json!({"type": "FeatureCollection", "features": features})).into_response())
}

/// `POST /api/backlog/{origin}/{id}` (`origin`: `event`, `dispute` or `petition`): sets the leader in charge
/// and the target date (township, county and city users) or adds a progress note (any case
/// handler) on a backlog case of the jurisdiction.
pub async fn update_backlog(
    State(s): State<AppState>,
    caller: Caller,
    Path((origin_raw, raw)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    // Case handlers note progress; leaders (领导, read-only for cases otherwise) take charge too.
    if !caller.user.role.takes_charge() {
        caller.require_writer()?;
    }
    let origin = CaseOrigin::parse(&origin_raw)
        .ok_or_else(|| AppError::bad("origin", format!("origin is event, dispute or petition, not {origin_raw:?}")))?;
    let id = super::params::path_id(&raw, "case")?;
    let body: BacklogBody = json_body(&body)?;
    let leader = body.leader_in_charge.as_deref().map(|l| text("leader_in_charge", l, 50)).transpose()?;
    let leader_user = body.leader_user.as_deref().map(|l| text("leader_user", l, 64)).transpose()?;
    let tag = body
        .tag
        .as_deref()
        .map(|t| {
            CaseTag::parse(t).ok_or_else(|| unprocessable("tag", format!("unknown tag {t:?}; expected bone or nail")))
        })
        .transpose()?;
    let department = body.department.as_deref().map(|d| text("department", d, 60)).transpose()?;
    let note = optional_text("note", &body.note, 2000)?;
    let charge = leader.is_some()
        || leader_user.is_some()
        || body.target_date.is_some()
        || tag.is_some()
        || department.is_some();
    if !charge && note.is_empty() {
        return Err(unprocessable("note", "give a leader in charge, a target date, a tag, a department or a note"));
    }
    if charge {
        require_charge(&caller, "assign a leader, a target date, a tag or a department")?;
    }
    let now = s.clock.now();
    if let Some(t) = body.target_date
        && t < model::time::local_date(now)
    {
        return Err(unprocessable("target_date", "the target date has passed"));
    }
    let not_found =
        || AppError::NotFound { message: format!("no {origin_raw} {id} in your jurisdiction"), field: None };
    let limits = BacklogLimits::default();
    let (opened_at, open, limit, village) = match origin {
        CaseOrigin::Dispute => {
            let book = s.live.desk();
            let d =
                book.dispute(id).filter(|d| caller.scope.allows_region(d.registered.village)).ok_or_else(not_found)?;
            (d.registered.opened_at, d.status.is_open(), limits.dispute_days, d.registered.village)
        }
        CaseOrigin::Petition => {
            let book = s.live.desk();
            let p = book.petition(id).filter(|p| crate::petitions::in_scope(&caller.scope, p)).ok_or_else(not_found)?;
            (p.registered.received_at, p.status.is_open(), limits.petition_days, p.registered.village)
        }
        CaseOrigin::Event => {
            let found = s.store.incidents_by_id(&caller.scope, vec![model::IncidentId(id)]).await?;
            let i = found.into_iter().next().ok_or_else(not_found)?;
            // A police 110 event open too long is overdue (超期未结), not a backlog case.
            if i.fields.category.workflow() == model::taxonomy::Workflow::Police {
                return Err(AppError::Conflict {
                    message: format!(
                        "event {id} is a police 110 event: one open past {} days is overdue (超期未结), not a backlog case",
                        limits.event_days
                    ),
                    field: None,
                });
            }
            (
                i.fields.reported_at,
                i.fields.status != model::Status::Closed,
                limits.event_days,
                i.placement.village_code,
            )
        }
    };
    if !is_backlog(opened_at, now, limit, open) {
        return Err(AppError::Conflict {
            message: format!(
                "{origin_raw} {id} is not a backlog case ({}, open {} days, limit {limit})",
                if open { "open" } else { "closed" },
                model::desk::age_days(opened_at, now)
            ),
            field: None,
        });
    }
    // The leader's account: a leading user, enabled, whose jurisdiction holds the case.
    if let Some(name) = &leader_user {
        let user = s.store.user_by_name(name).await?.map(|(u, _)| u);
        let fits = user.as_ref().is_some_and(|u| {
            !u.disabled
                && u.role.takes_charge()
                && crate::auth::scope_of(u, &s.live.desk(), &s.geography).allows_region(village)
        });
        if !fits {
            return Err(unprocessable(
                "leader_user",
                format!("{name:?} is no township, county or city user whose jurisdiction holds the case"),
            ));
        }
    }
    let update = BacklogUpdate {
        origin,
        id,
        leader_in_charge: leader,
        leader_user,
        tag,
        department,
        target_date: body.target_date,
        note,
        reminder: None,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::BacklogCase, id, &caller.user.username, now, &update);
    let logged = record(&s, event, DeskCheck::Nothing, None).await?;
    s.audit(caller.audit("update_backlog_case", format!("{origin_raw} {id}"), "ok")).await?;
    Ok((StatusCode::CREATED, Json(BacklogUpdateRecorded { seq: logged.seq, update })).into_response())
}

/// `POST /api/screenings` `{"village", "month"?, "zero_report", "disputes"?, "risk", "notes"?,
/// "version"?}`: files a village's monthly dispute screening (201), or corrects one (200, naming
/// the `version` corrected; 409 naming `version` when it was filed or corrected meanwhile, or is
/// filed already and no version is named). The village officer for their villages, the
/// village's 网格长, the police station for its villages.
pub async fn create_screening(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !caller.user.role.files_screenings() {
        return Err(AppError::Forbidden {
            message: format!("the {} role does not file dispute screenings", caller.user.role.as_str()),
        });
    }
    let body: ScreeningBody = json_body(&body)?;
    let village = village_in_scope(&s, &caller, "village", &body.village)?;
    let now = s.clock.now();
    let month = match &body.month {
        None => Month::of(now),
        Some(m) => Month::parse(m).map_err(|e| unprocessable("month", e))?,
    };
    if month < Month::of(now - Duration::days(366)) {
        return Err(unprocessable("month", format!("{month} is more than a year ago")));
    }
    let risk = RiskGrade::parse(&body.risk).ok_or_else(|| {
        unprocessable("risk", format!("unknown risk {:?}; expected red, orange, yellow or green", body.risk))
    })?;
    {
        let book = s.live.desk();
        for id in &body.disputes {
            if book.dispute(*id).is_none_or(|d| d.registered.village != village) {
                return Err(unprocessable("disputes", format!("no dispute {id} registered in village {village}")));
            }
        }
    }
    if let Err(e) = screening::check(month, body.zero_report, &body.disputes, now) {
        let field = match e {
            ScreeningError::ZeroReportMismatch => "zero_report",
            ScreeningError::TooManyDisputes => "disputes",
            ScreeningError::FutureMonth => "month",
        };
        return Err(unprocessable(field, e.to_string()));
    }
    let report = ScreeningReport {
        village,
        month,
        zero_report: body.zero_report,
        disputes: body.disputes,
        risk,
        notes: optional_text("notes", &body.notes, 2000)?,
        by: caller.user.username.clone(),
        at: now,
    };
    let subject = screening::subject(village, month);
    let event = desk_event(LiveKind::Screening, subject, &caller.user.username, now, &report);
    let check = DeskCheck::Version { kinds: vec![LiveKind::Screening], seq: body.version.unwrap_or(0) };
    record(&s, event, check, None).await.map_err(|e| match e {
        StoreError::Stale { .. } if body.version.is_none() => AppError::Conflict {
            message: format!("the screening of {village} for {month} is filed already; name its version to correct it"),
            field: Some("version".into()),
        },
        e => stale(e, "version"),
    })?;
    s.audit(caller.audit("file_screening", format!("screening {village} {month}"), "ok")).await?;
    let book = s.live.desk();
    let view = book.screening(village, month).map(|r| crate::screenings::screening_view(&s, &book, r));
    let status = if body.version.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(view)).into_response())
}

/// `GET /api/screenings?region=&month=&limit=`: the screening board of a month (default: this
/// month): every village of the jurisdiction counted, the first `limit` listed.
pub async fn list_screenings(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let now = s.clock.now();
    let month = match p.one("month")? {
        None => Month::of(now),
        Some(m) => Month::parse(&m).map_err(|e| AppError::bad("month", e))?,
    };
    let limit = p.limit()?;
    p.finish()?;
    let book = s.live.desk();
    Ok(Json(crate::screenings::board(&s, &book, &scope, month, now, limit)).into_response())
}

/// `GET /api/my-cases`: the backlog cases of the jurisdiction in the signed-in leader's charge
/// (bound to their account), with the reminder of each: missed, then due within 7 days, then
/// by target date.
pub async fn my_cases(
    State(s): State<AppState>,
    caller: Caller,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    require_charge(&caller, "take charge of backlog cases")?;
    let now = s.clock.now();
    let today = model::time::local_date(now);
    let book = s.live.desk();
    let mut cases: Vec<MyCase> = backlog_cases(&s, &book, &caller.scope, now)
        .into_iter()
        .filter(|c| c.leader_user.as_deref() == Some(caller.user.username.as_str()))
        .map(|case| {
            let reminder = case.target_date.and_then(|t| model::desk::reminder(t, today));
            MyCase {
                reminder,
                reminder_zh: reminder.map(|r| r.label_zh().to_owned()),
                reminder_en: reminder.map(|r| r.label_en().to_owned()),
                case,
            }
        })
        .collect();
    drop(book);
    let rank = |r: Option<Reminder>| match r {
        Some(Reminder::Missed) => 0,
        Some(Reminder::DueSoon) => 1,
        None => 2,
    };
    cases.sort_by(|a, b| rank(a.reminder).cmp(&rank(b.reminder)).then(a.case.target_date.cmp(&b.case.target_date)));
    let count = |r| cases.iter().filter(|c| c.reminder == Some(r)).count() as u32;
    Ok(Json(MyCases { now, due_soon: count(Reminder::DueSoon), missed: count(Reminder::Missed), cases })
        .into_response())
}
