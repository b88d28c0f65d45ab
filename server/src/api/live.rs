//! The live command centre's routes: the WebSocket feed, status changes and history, the event
//! queue with deadlines, patrol units (positions, dispatch suggestions) and alerts.

use super::error::AppError;
use super::params::Params;
use crate::auth::Caller;
use crate::live::ChangeError;
use crate::live::dispatch::suggest;
use crate::live::feed::{self, FeedFilter};
use crate::state::AppState;
use analytics::crs::Crs;
use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use model::api::live::{DispatchOptions, Progress, Suggestion};
use model::live::{Alert, AlertAck, IncidentChange, LiveKind, NewLiveEvent, UnitState, UnitStatus};
use model::workflow::{self, Transition, WorkflowError};
use model::{IncidentId, Status};
use serde::Deserialize;
use store::StoreError;

use super::params::json_body;
use super::params::path_id as parse_id;

/// Largest WebSocket message or frame a feed client may send, bytes.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 4 << 10;

/// `GET /api/live?region=&category=&since=`: the WebSocket live feed.
pub async fn live(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    headers: axum::http::HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    // A browser sends the session cookie with any page's WebSocket: only our own pages may
    // open the feed (cross-site WebSocket hijacking).
    if let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(AppError::Forbidden { message: format!("origin {origin} may not open the live feed") });
        }
    }
    let mut p = Params::parse(q.as_deref());
    let region = match p.one("region")? {
        None => None,
        Some(r) => {
            let code: model::RegionCode =
                r.parse().map_err(|_| AppError::bad("region", "region is a 12-digit code"))?;
            if !caller.scope.allows_region(code) {
                return Err(AppError::Forbidden { message: format!("region {code} is outside your jurisdiction") });
            }
            Some(code)
        }
    };
    let categories = p.categories()?;
    let since = match p.one("since")? {
        None => None,
        Some(v) => Some(
            v.parse::<u64>().map_err(|_| AppError::bad("since", "since is the seq of the last message received"))?,
        ),
    };
    p.finish()?;
    let filter =
        FeedFilter { scope: caller.scope.clone(), region, categories: (!categories.is_empty()).then_some(categories) };
    // Parameters are checked first, so a bad one is a clear 400 even without an upgrade.
    let upgrade = upgrade
        .map_err(|r| AppError::BadRequest { message: format!("GET /api/live is a WebSocket: {r}"), field: None })?;
    let (live, store) = (s.live.clone(), s.store.clone());
    let session = feed::Session {
        token_hash: caller.token_hash.clone(),
        user: caller.user.clone(),
        clock: s.clock.clone(),
        cache: s.sessions.clone(),
        every: s.settings.session_recheck,
        geography: s.geography.clone(),
    };
    let slot = feed::FeedSlot::take(&s.live.feeds, caller.user.id).ok_or_else(|| AppError::TooManyRequests {
        message: format!("at most {} live feeds per user are open at once", feed::MAX_FEEDS_PER_USER),
        retry_after_s: 30,
    })?;
    // The feed only sends; a client's messages are ignored, so they may be small.
    let upgrade = upgrade.max_message_size(MAX_CLIENT_MESSAGE_BYTES).max_frame_size(MAX_CLIENT_MESSAGE_BYTES);
    Ok(upgrade
        .on_upgrade(move |socket| async move {
            feed::run(socket, live, store, filter, since, session).await;
            drop(slot);
        })
        .into_response())
}

/// The body of `POST /api/incidents/{id}/transitions` (and, without `to`, of `…/assign`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    #[serde(default)]
    to: String,
    #[serde(default)]
    unit: Option<u64>,
    #[serde(default)]
    satisfaction: Option<u8>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    co_departments: Vec<String>,
    #[serde(default)]
    due_at: Option<String>,
    #[serde(default)]
    reason: Option<model::department::ReturnReason>,
    #[serde(default)]
    verdict: Option<model::department::Verdict>,
    #[serde(default)]
    note_only: bool,
    /// A photo of the work done, with a department's 办结 only.
    #[serde(default)]
    photo: Option<model::api::desk::PhotoBody>,
}

/// Longest note a step takes, characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// 422 naming `note` when a step's note is longer than [`MAX_NOTE_CHARS`].
fn checked_note(note: Option<&str>) -> Result<(), AppError> {
    match note {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(AppError::Unprocessable {
            message: format!("note is longer than {MAX_NOTE_CHARS} characters"),
            field: Some("note".into()),
        }),
        _ => Ok(()),
    }
}

/// Most 协办 departments one order names.
pub const MAX_CO_DEPARTMENTS: usize = 5;

async fn incident_in_scope(s: &AppState, caller: &Caller, id: u64) -> Result<model::Incident, AppError> {
    let scope = crate::work_orders::read_scope(s, caller, id).await?;
    s.store
        .incidents_by_id(&scope, vec![IncidentId(id)])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound { message: format!("no incident {id}"), field: None })
}

/// An incident's progress as `caller` sees it: the reports of its event (一事多报) only where
/// they lie in the caller's jurisdiction (a leader may merge reports across villages).
fn progress(s: &AppState, caller: &Caller, incident: &model::Incident, history: Vec<IncidentChange>) -> Progress {
    let status = history.last().map_or(incident.fields.status, |c| c.to);
    // A note leaves the stage's clock as it was.
    let entered = history.iter().rev().find(|c| !c.note_only).map_or(incident.fields.reported_at, |c| c.at);
    let unit = history.iter().rev().find_map(|c| c.unit);
    let order = history.iter().rev().find_map(|c| c.order.clone());
    let workflow = incident.fields.category.workflow();
    let suggested_department = matches!(status, Status::Reported | Status::Returned)
        .then(|| crate::work_orders::suggestion(s, incident.fields.category, incident.placement.cell_code))
        .flatten();
    let deadlines = s.settings.deadlines(incident.fields.category);
    let board = s.live.board();
    let index = s.index();
    let seen =
        |id: u64| index.get(IncidentId(id)).is_some_and(|p| s.geography.scope_allows_cell(&caller.scope, p.cell));
    let event = board.event_of(incident.id.0).filter(|e| seen(*e));
    let linked = board
        .linked_to(board.event_of(incident.id.0).unwrap_or(incident.id.0))
        .into_iter()
        .filter(|l| seen(*l))
        .collect();
    Progress {
        id: incident.id.0,
        status,
        unit,
        due_at: workflow::due_at(&deadlines, status, entered, order.as_ref()),
        history,
        event,
        linked,
        workflow,
        order,
        suggested_department,
        cell_code: Some(incident.placement.cell_code),
    }
}

/// `GET /api/incidents/{id}/history`: status, unit, deadline and every change.
pub async fn history(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&raw, "incident")?;
    let incident = incident_in_scope(&s, &caller, id).await?;
    let history = crate::live::history(&s, id).await?;
    Ok(Json(progress(&s, &caller, &incident, history)).into_response())
}

/// `POST /api/incidents/{id}/transitions` `{"to", "unit", "satisfaction", "note", "department",
/// "co_departments", "due_at", "reason", "verdict", "note_only"}`: the next step of the event's
/// loop (the police chain, or a department's work order). Illegal steps are 409 (field `to`); a
/// step missing what it needs is 422 naming the field; a step that is not the caller's (a
/// department taking another's order, staff assigning) is 403.
pub async fn transition(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let body: TransitionBody = json_body(&body)?;
    step(s, caller, raw, body).await
}

/// `POST /api/incidents/{id}/assign` `{"department", "co_departments", "due_at", "note"}`: 分拨, a
/// 综治 event given to a department by the centre (a step to `assigned`; again to reassign).
pub async fn assign(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let body: TransitionBody = json_body(&body)?;
    if !body.to.is_empty() || body.unit.is_some() || body.satisfaction.is_some() || body.note_only {
        return Err(AppError::bad("to", "assign takes department, co_departments, due_at and note only"));
    }
    step(s, caller, raw, TransitionBody { to: Status::Assigned.as_str().into(), ..body }).await
}

/// The body of `POST /api/incidents/{id}/divert`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DivertBody {
    kind: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/incidents/{id}/divert` `{"kind", "note"?}`: 非警务警情分流. A 110 call not yet
/// dispatched that is no police matter closes (diverted), and its facts go on as a new 综治 event
/// of `kind`, reported when the call was; each history names the other. By a city, county or
/// township user; answers the new event's progress (201).
pub async fn divert(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    if !caller.user.role.leads() {
        return Err(AppError::Forbidden {
            message: "diverting a call is the 综治 centre's (city, county or township)".into(),
        });
    }
    let id = parse_id(&raw, "incident")?;
    let body: DivertBody = json_body(&body)?;
    let kind = model::Category::parse_label(&body.kind)
        .filter(|k| k.workflow() == model::taxonomy::Workflow::Department)
        .ok_or_else(|| {
            let kinds: Vec<&str> = model::Category::all()
                .iter()
                .filter(|k| k.workflow() == model::taxonomy::Workflow::Department)
                .map(|k| k.as_str())
                .collect();
            AppError::Unprocessable {
                message: format!("{:?} is not a 综治 kind; expected one of {}", body.kind, kinds.join(", ")),
                field: Some("kind".into()),
            }
        })?;
    checked_note(body.note.as_deref())?;
    let call = incident_in_scope(&s, &caller, id).await?;
    let by = caller.user.username.clone();
    let extra = body.note.map(|n| format!("：{n}")).unwrap_or_default();
    // The call closes first: the store's check makes a second diversion of it fail here.
    let close = Transition {
        to: Status::Closed,
        diverted: true,
        note: Some(format!("非警务警情分流{extra}")),
        ..Transition::default()
    };
    match crate::live::change(&s, &call, close, &by, None).await {
        Ok(_) => {}
        Err(ChangeError::Store(StoreError::Workflow(e))) => {
            return Err(AppError::Conflict { message: e.to_string(), field: Some("to".into()) });
        }
        Err(ChangeError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    }
    let event = model::NewIncident {
        category: kind,
        subcategory: None,
        external_id: None,
        status: Status::Reported,
        ..call.fields.clone()
    };
    let derive = Some(crate::live::derive(&s));
    let created =
        crate::ingest::submit(&s.commit, &s.geography, &caller.scope, vec![event], Some(caller.attribution()), derive)
            .await
            .map_err(|e| AppError::Internal(format!("the diverted call's 综治 event: {e}")))?;
    let new = created.into_iter().next().ok_or_else(|| AppError::Internal("no 综治 event was stored".into()))?.incident;
    let link = |incident: &model::Incident, note: String| Transition {
        to: incident.fields.status,
        note_only: true,
        note: Some(note),
        ..Transition::default()
    };
    let closed = model::Incident {
        fields: model::NewIncident { status: Status::Closed, ..call.fields.clone() },
        ..call.clone()
    };
    crate::live::change(&s, &closed, link(&closed, format!("分流至综治事件 #{}", new.id.0)), &by, None)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::live::change(&s, &new, link(&new, format!("由110警情 #{id} 分流{extra}")), &by, None)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut entry = caller.audit("divert_incident", raw.clone(), "ok");
    entry.detail = Some(format!("{} → {} #{}", call.fields.category.as_str(), kind.as_str(), new.id.0));
    s.audit(entry).await?;
    let history = crate::live::history(&s, new.id.0).await?;
    Ok((StatusCode::CREATED, Json(progress(&s, &caller, &new, history))).into_response())
}

/// `GET /api/incidents/{id}/photos/{step}`: the photo stored with step `step` (from 0, in the
/// order of the incident's history) of an incident the caller may read.
pub async fn step_photo(
    State(s): State<AppState>,
    caller: Caller,
    Path((raw, step)): Path<(String, String)>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&raw, "incident")?;
    let not_found =
        || AppError::NotFound { message: format!("no photo of step {step} of incident {raw}"), field: None };
    let step: usize = step.parse().map_err(|_| not_found())?;
    incident_in_scope(&s, &caller, id).await?;
    let events = s.store.subject_events(LiveKind::IncidentChanged, id).await?;
    let event = events.get(step).ok_or_else(not_found)?;
    let change: IncidentChange = serde_json::from_str(&event.event.data).map_err(|_| not_found())?;
    if change.photo.is_none() {
        return Err(not_found());
    }
    let photo = s.store.photo(event.seq).await?.ok_or_else(not_found)?;
    Ok(([(axum::http::header::CONTENT_TYPE, photo.content_type)], photo.bytes).into_response())
}

/// The departments of a step, checked: each exists and serves the event's place.
fn step_departments(
    s: &AppState,
    incident: &model::Incident,
    body: &TransitionBody,
) -> Result<(Option<model::department::DepartmentCode>, Vec<model::department::DepartmentCode>), AppError> {
    let cell = incident.placement.cell_code;
    let serving = |raw: &str, field: &str| -> Result<model::department::DepartmentCode, AppError> {
        let unknown =
            || AppError::Unprocessable { message: format!("no department {raw:?}"), field: Some(field.into()) };
        let code = model::department::DepartmentCode::parse(raw).map_err(|_| unknown())?;
        let d = s.geography.department(&code).ok_or_else(unknown)?;
        if !d.region.contains(cell.village()) {
            return Err(AppError::Unprocessable {
                message: format!("{} ({}) does not serve cell {cell}", d.name_zh, d.code),
                field: Some(field.into()),
            });
        }
        Ok(code)
    };
    if body.co_departments.len() > MAX_CO_DEPARTMENTS {
        return Err(AppError::Unprocessable {
            message: format!("at most {MAX_CO_DEPARTMENTS} co-departments"),
            field: Some("co_departments".into()),
        });
    }
    let lead = body.department.as_deref().map(|d| serving(d, "department")).transpose()?;
    let co = body.co_departments.iter().map(|d| serving(d, "co_departments")).collect::<Result<_, _>>()?;
    Ok((lead, co))
}

async fn step(s: AppState, caller: Caller, raw: String, body: TransitionBody) -> Result<Response, AppError> {
    // Grid workers write notes (核查) and the return visit (回访) on 综治 events only: the kind
    // is checked once the incident is read.
    let field_step = body.note_only || body.to == Status::Feedback.as_str();
    if !(caller.user.role == model::auth::Role::GridWorker && field_step) {
        caller.require_writer()?;
    }
    let id = parse_id(&raw, "incident")?;
    let to = Status::parse_label(&body.to).ok_or_else(|| {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        AppError::Unprocessable {
            message: format!("unknown status {:?}; expected one of {}", body.to, names.join(", ")),
            field: Some("to".into()),
        }
    })?;
    checked_note(body.note.as_deref())?;
    let now = s.clock.now();
    let due_at = match body.due_at.as_deref() {
        None => None,
        Some(v) => {
            let at = DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| AppError::bad("due_at", format!("{v:?} is not an RFC 3339 time")))?;
            if at <= now {
                return Err(AppError::Unprocessable {
                    message: "due_at is in the past".into(),
                    field: Some("due_at".into()),
                });
            }
            Some(at)
        }
    };
    let incident = incident_in_scope(&s, &caller, id).await?;
    let by_department = caller.user.department.clone().filter(|_| caller.user.role == model::auth::Role::Department);
    // Field users (grid workers, village officers) also make the return visit (回访) in their
    // cells and villages.
    let department_kind = incident.fields.category.workflow() == model::taxonomy::Workflow::Department;
    let field_callback = to == Status::Feedback && caller.user.role.in_the_field();
    if caller.user.role == model::auth::Role::GridWorker
        && !(department_kind && (body.note_only || field_callback) && body.photo.is_none())
    {
        return Err(AppError::Forbidden {
            message: "a grid worker writes notes (核查) and the return visit (回访) on 综治 events only".into(),
        });
    }
    if incident.fields.category.workflow() == model::taxonomy::Workflow::Department
        && by_department.is_none()
        && !caller.user.role.leads()
        && !body.note_only
        && !field_callback
    {
        return Err(AppError::Forbidden {
            message: "a work order is assigned, closed and followed up by the 综治 centre (city, county or township)"
                .into(),
        });
    }
    let (department, co_departments) = step_departments(&s, &incident, &body)?;
    if body.photo.is_some() && to != Status::Completed {
        return Err(AppError::unprocessable("photo", "a photo goes with 办结 (to: completed) only"));
    }
    let photo = body.photo.map(super::desk::photo).transpose()?;
    // A unit the caller may not command is answered as one that does not exist, before its
    // state is looked at, so the answer tells nothing of units outside the jurisdiction.
    if let Some(u) = body.unit.filter(|u| !unit_commandable(&s, &caller, *u)) {
        return Err(AppError::Unprocessable {
            message: format!("no patrol unit {u} in your jurisdiction"),
            field: Some("unit".into()),
        });
    }
    let assigned_to = department.clone();
    let t = Transition {
        to,
        unit: body.unit,
        satisfaction: body.satisfaction,
        note: body.note,
        department,
        co_departments,
        due_at,
        reason: body.reason,
        verdict: body.verdict,
        note_only: body.note_only,
        // Diverting is its own route (it also creates the 综治 event).
        diverted: false,
        by_department,
    };
    match crate::live::change(&s, &incident, t, &caller.user.username, photo).await {
        Ok(_) => {}
        Err(ChangeError::UnknownUnit(u)) => {
            return Err(AppError::Unprocessable { message: format!("no patrol unit {u}"), field: Some("unit".into()) });
        }
        Err(ChangeError::UnitBusy(u, status)) => {
            return Err(AppError::Conflict {
                message: format!("unit {u} is {} and cannot be dispatched", status.as_str()),
                field: Some("unit".into()),
            });
        }
        Err(ChangeError::Store(StoreError::Workflow(e))) => {
            s.audit(caller.audit("change_status", raw.clone(), "denied")).await?;
            return Err(match e {
                WorkflowError::Illegal { .. } => {
                    AppError::Conflict { message: e.to_string(), field: Some("to".into()) }
                }
                e if e.is_forbidden() => AppError::Forbidden { message: e.to_string() },
                _ => AppError::Unprocessable { message: e.to_string(), field: Some(e.field().into()) },
            });
        }
        Err(ChangeError::Store(StoreError::NotFound { .. })) => {
            return Err(AppError::NotFound { message: format!("no incident {id}"), field: None });
        }
        Err(ChangeError::Store(e)) => return Err(e.into()),
    }
    let mut entry = caller.audit("change_status", raw.clone(), "ok");
    entry.detail = Some(match assigned_to {
        Some(d) => format!("{} → {} ({d})", incident.fields.status.as_str(), to.as_str()),
        None => format!("{} → {}", incident.fields.status.as_str(), to.as_str()),
    });
    s.audit(entry).await?;
    let history = crate::live::history(&s, id).await?;
    Ok(Json(progress(&s, &caller, &incident, history)).into_response())
}

/// Whether the caller may see a unit: its station's region or its current cell is in their
/// jurisdiction.
fn unit_visible(s: &AppState, caller: &Caller, u: &UnitState) -> bool {
    unit_commandable(s, caller, u.id)
        || s.geography.locate(u.lon, u.lat).is_some_and(|c| s.geography.scope_allows_cell(&caller.scope, c))
}

/// Whether the caller may command a unit (dispatch it, report its position or status): its
/// home station's region is in their jurisdiction. A unit passing through is seen, not
/// commanded.
fn unit_commandable(s: &AppState, caller: &Caller, unit: u64) -> bool {
    s.geography.resources().iter().find(|r| r.id == unit).is_some_and(|r| caller.scope.allows_region(r.region_code))
}

/// `GET /api/units`: the patrol units in the caller's jurisdiction with their last report.
pub async fn units(State(s): State<AppState>, caller: Caller, _: super::params::NoQuery) -> Result<Response, AppError> {
    let board = s.live.board();
    let units: Vec<UnitState> = board.units().filter(|u| unit_visible(&s, &caller, u)).cloned().collect();
    Ok(Json(units).into_response())
}

/// The body of `POST /api/units/{id}/position`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionBody {
    lon: f64,
    lat: f64,
    #[serde(default)]
    crs: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

/// `POST /api/units/{id}/position` `{"lon","lat","crs"?,"status"?,"at"?}`: a GPS ping.
pub async fn position(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = parse_id(&raw, "unit")?;
    let body: PositionBody = json_body(&body)?;
    let unit = s.live.board().unit(id).cloned().filter(|u| unit_commandable(&s, &caller, u.id));
    let Some(unit) = unit else {
        return Err(AppError::NotFound { message: format!("no patrol unit {id} in your jurisdiction"), field: None });
    };
    let crs = match body.crs.as_deref() {
        None => Crs::Wgs84,
        Some(c) => Crs::parse(c).ok_or_else(|| AppError::Unprocessable {
            message: format!("unknown crs {c:?}; expected wgs84, cgcs2000, gcj02 or bd09"),
            field: Some("crs".into()),
        })?,
    };
    if !(-180.0..=180.0).contains(&body.lon) || !(-90.0..=90.0).contains(&body.lat) {
        return Err(AppError::Unprocessable { message: "lon/lat out of range".into(), field: Some("lon".into()) });
    }
    let (lon, lat) = crs.to_wgs84(body.lon, body.lat);
    if s.geography.locate(lon, lat).is_none() {
        return Err(AppError::Unprocessable {
            message: format!("({lon}, {lat}) lies outside the city"),
            field: Some("lon".into()),
        });
    }
    let status = match body.status.as_deref() {
        None => unit.status,
        Some("available") => UnitStatus::Available,
        Some("busy") => UnitStatus::Busy,
        Some("off_duty") => UnitStatus::OffDuty,
        Some(other) => {
            return Err(AppError::Unprocessable {
                message: format!("unknown status {other:?}; expected available, busy or off_duty"),
                field: Some("status".into()),
            });
        }
    };
    let now = s.clock.now();
    let at = body.at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(5) {
        return Err(AppError::Unprocessable { message: "at lies in the future".into(), field: Some("at".into()) });
    }
    let incident = if status == UnitStatus::Busy { unit.incident } else { None };
    let state = UnitState { lon, lat, status, incident, at, ..unit };
    s.log(vec![crate::live::unit_event(&s.geography, state.clone())]).await?;
    Ok(Json(state).into_response())
}

/// `GET /api/incidents/{id}/dispatch?k=`: the nearest available units with ETAs.
pub async fn dispatch(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let id = parse_id(&raw, "incident")?;
    let mut p = Params::parse(q.as_deref());
    let k = match p.one("k")? {
        None => 5,
        Some(v) => {
            v.parse::<usize>().ok().filter(|k| (1..=50).contains(k)).ok_or_else(|| AppError::bad("k", "k is 1–50"))?
        }
    };
    p.finish()?;
    let incident = incident_in_scope(&s, &caller, id).await?;
    let board = s.live.board();
    let units: Vec<&UnitState> = board.units().filter(|u| unit_commandable(&s, &caller, u.id)).collect();
    let suggestions: Vec<Suggestion> = suggest(
        units,
        incident.fields.lon,
        incident.fields.lat,
        k,
        s.settings.travel,
        s.geography.projection(),
        s.settings.roads.as_deref(),
    );
    Ok(Json(DispatchOptions {
        incident: id,
        method: "straight line × detour factor".into(),
        detour_factor: s.settings.travel.detour_factor,
        speed_kmh: s.settings.travel.speed_kmh,
        units: suggestions,
    })
    .into_response())
}

/// `GET /api/alerts?open=true`: recent alerts in the caller's jurisdiction, newest first.
pub async fn alerts(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let open_only = match p.one("open")?.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::bad("open", "open is true or false")),
    };
    p.finish()?;
    let board = s.live.board();
    let list: Vec<&Alert> = board
        .alerts()
        .filter(|a| caller.scope.allows_cell(a.cell_code) && (!open_only || a.acked_by.is_none()))
        .take(500)
        .collect();
    Ok(Json(list).into_response())
}

/// `POST /api/alerts/{id}/ack`: acknowledges an alert (200 with it; 409 if already acknowledged).
pub async fn ack(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::Bodyless,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = parse_id(&raw, "alert")?;
    let alert = s.live.board().alert(id).cloned();
    let Some(alert) = alert.filter(|a| caller.scope.allows_cell(a.cell_code)) else {
        return Err(AppError::NotFound { message: format!("no alert {id}"), field: None });
    };
    if let Some(by) = &alert.acked_by {
        return Err(AppError::Conflict {
            message: format!("alert {id} was already acknowledged by {by}"),
            field: None,
        });
    }
    let now = s.clock.now();
    let ack = AlertAck { id, by: caller.user.username.clone(), at: now };
    let event = NewLiveEvent {
        at: now,
        kind: LiveKind::AlertAcked,
        subject: id,
        cell_code: Some(alert.cell_code),
        category: None,
        actor: Some(caller.user.username.clone()),
        data: serde_json::to_string(&ack).unwrap_or_default(),
    };
    s.log(vec![event]).await?;
    s.audit(caller.audit("ack_alert", raw, "ok")).await?;
    let acked = s.live.board().alert(id).cloned();
    Ok(Json(acked).into_response())
}

/// `GET /api/queue?region=&days=&limit=`: open incidents reported in the last `days` (default 3),
/// most urgent first (overdue furthest escalated, then soonest due).
pub async fn queue(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    if let Some(department) = p.one("department")? {
        p.finish()?;
        return super::work::work_list(&s, &caller, &department).await;
    }
    let region = p.area("region")?;
    let days = match p.one("days")? {
        None => 3,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=90).contains(d))
            .ok_or_else(|| AppError::bad("days", "days is 1–90"))?,
    };
    let limit = p.limit()?;
    p.finish()?;
    let now = s.clock.now();
    let query = crate::query::IncidentQuery { area: region, ..Default::default() };
    let filter = query.filter(&s.geography, &caller.scope)?;
    let mut items = crate::live::open_queue(&s, filter, now, now - chrono::Duration::days(days));
    let total = items.len();
    items.truncate(limit);
    Ok((StatusCode::OK, Json(model::live::Queue { total, now, items })).into_response())
}

/// The body of `POST /api/incidents/{id}/merge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    into: u64,
}

/// `POST /api/incidents/{id}/merge` `{"into": other}`: report `id` is another report of
/// `other`'s event (一事多报); it leaves the queue and is worked with that event.
pub async fn merge(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = parse_id(&raw, "incident")?;
    let body: MergeBody = json_body(&body)?;
    let incident = incident_in_scope(&s, &caller, id).await?;
    let into = incident_in_scope(&s, &caller, body.into).await.map_err(|_| AppError::Unprocessable {
        message: format!("no incident {} in your jurisdiction", body.into),
        field: Some("into".into()),
    })?;
    let first = s.live.board().event_of(into.id.0).unwrap_or(into.id.0);
    if first == id {
        return Err(AppError::Unprocessable {
            message: "a report cannot be merged into itself".into(),
            field: Some("into".into()),
        });
    }
    if !s.live.board().linked_to(id).is_empty() {
        return Err(AppError::Conflict {
            message: format!("incident {id} is the first report of an event: merge its other reports first"),
            field: Some("into".into()),
        });
    }
    s.log(vec![crate::live::link_event(&incident, Some(first), &caller.user.username, s.clock.now())]).await?;
    s.audit(caller.audit("merge_incident", format!("{id} → {first}"), "ok")).await?;
    let history = crate::live::history(&s, id).await?;
    Ok(Json(progress(&s, &caller, &incident, history)).into_response())
}

/// `POST /api/incidents/{id}/split`: report `id` is its own event again (409 if it is not linked).
pub async fn split(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::Bodyless,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = parse_id(&raw, "incident")?;
    let incident = incident_in_scope(&s, &caller, id).await?;
    if s.live.board().event_of(id).is_none() {
        return Err(AppError::Conflict {
            message: format!("incident {id} is not linked to another event"),
            field: None,
        });
    }
    s.log(vec![crate::live::link_event(&incident, None, &caller.user.username, s.clock.now())]).await?;
    s.audit(caller.audit("split_incident", raw, "ok")).await?;
    let history = crate::live::history(&s, id).await?;
    Ok(Json(progress(&s, &caller, &incident, history)).into_response())
}
