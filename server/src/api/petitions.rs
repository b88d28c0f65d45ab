//! Petitions (信访): `POST /api/petitions`, `GET /api/petitions`, `GET /api/petitions/{id}` and
//! `POST /api/petitions/{id}/transitions`. Registered and moved on by case handlers inside
//! their jurisdiction; read by every role that sees the situation, with the petitioners' names
//! and phones masked for those that do not handle cases.

use super::desk::{narrowed, optional_text, parse_enum, past_time, text, unprocessable, village_in_scope};
use super::error::AppError;
use super::params::{Params, json_body, path_id};
use crate::auth::Caller;
use crate::desk_records::{desk_event, record};
use crate::petitions::{PetitionFilter, group_sizes, in_scope, petition_view, petitions_in, reception_calendar};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::RegionCode;
use model::api::petition::{PetitionBody, PetitionList, PetitionStepBody, ReceptionBody};
use model::desk_book::{NewPetition, PetitionChange, Reception};
use model::live::LiveKind;
use model::petition::{
    Channel, PetitionError, PetitionKind, PetitionStatus, Petitioner, ReceptionKind, check_request, extension_allowed,
    petition_transition,
};
use model::scorecard::Month;
use store::{DeskCheck, StoreError};

/// Most petitioners named on one petition (a collective one counts the rest in `headcount`).
pub const MAX_PETITIONERS: usize = 20;
/// Largest headcount accepted.
pub const MAX_HEADCOUNT: u32 = 10_000;

fn not_found(id: u64) -> AppError {
    AppError::NotFound { message: format!("no petition {id}"), field: None }
}

/// `POST /api/petitions`: registers a petition from a village of the jurisdiction (201).
pub async fn create(State(s): State<AppState>, caller: Caller, body: axum::body::Bytes) -> Result<Response, AppError> {
    caller.require_writer()?;
    let body: PetitionBody = json_body(&body)?;
    let village = village_in_scope(&s, &caller, "village", &body.village)?;
    let channel = parse_enum("channel", &body.channel, Channel::ALL, Channel::parse, Channel::as_str)?;
    let kind = parse_enum("kind", &body.kind, PetitionKind::ALL, PetitionKind::parse, PetitionKind::as_str)?;
    if body.petitioners.is_empty() || body.petitioners.len() > MAX_PETITIONERS {
        return Err(unprocessable("petitioners", format!("name 1 to {MAX_PETITIONERS} petitioners")));
    }
    let mut petitioners = Vec::new();
    for (k, p) in body.petitioners.iter().enumerate() {
        let phone = optional_text(&format!("petitioners[{k}].phone"), &p.phone, 20)?;
        if !phone.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ') {
            return Err(unprocessable(
                &format!("petitioners[{k}].phone"),
                "a phone number has digits, spaces, + and - only",
            ));
        }
        petitioners.push(Petitioner { name: text(&format!("petitioners[{k}].name"), &p.name, 40)?, phone });
    }
    let headcount = body.headcount.unwrap_or(petitioners.len() as u32);
    if headcount < petitioners.len() as u32 || headcount > MAX_HEADCOUNT {
        return Err(unprocessable(
            "headcount",
            format!("headcount is at least the petitioners named and at most {MAX_HEADCOUNT}"),
        ));
    }
    let now = s.clock.now();
    let received_at = past_time("received_at", body.received_at, now, 366)?;
    {
        let book = s.live.desk();
        if let Some(prev) = body.repeat_of
            && !book.petition(prev).is_some_and(|p| in_scope(&caller.scope, p))
        {
            return Err(unprocessable("repeat_of", format!("no petition {prev} in your jurisdiction")));
        }
        if let Some(d) = body.dispute
            && !book.dispute(d).is_some_and(|d| caller.scope.allows_region(d.registered.village))
        {
            return Err(unprocessable("dispute", format!("no dispute {d} in your jurisdiction")));
        }
        if let Some(r) = body.reception
            && !book.reception(r).is_some_and(|r| caller.scope.allows_region(r.region))
        {
            return Err(unprocessable("reception", format!("no reception {r} in your jurisdiction")));
        }
    }
    if let Some(id) = body.incident {
        let found = s.store.incidents_by_id(&caller.scope, vec![model::IncidentId(id)]).await?;
        if found.is_empty() {
            return Err(unprocessable("incident", format!("no incident {id} in your jurisdiction")));
        }
    }
    let petition = NewPetition {
        village,
        channel,
        kind,
        petitioners,
        headcount,
        matter: text("matter", &body.matter, 100)?,
        summary: optional_text("summary", &body.summary, 4000)?,
        repeat_of: body.repeat_of,
        dispute: body.dispute,
        incident: body.incident,
        reception: body.reception,
        received_at,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::Petition, 0, &caller.user.username, now, &petition);
    let logged = record(&s, event, DeskCheck::NewSubject, None).await?;
    let id = logged.event.subject;
    s.audit(caller.audit("register_petition", format!("petition {id}"), "ok")).await?;
    let book = s.live.desk();
    let sizes = group_sizes(&book);
    let view = book.petition(id).map(|p| petition_view(&s, &book, &sizes, p, now, true));
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /api/petitions?region=&status=open|overdue|closed|all&limit=`: newest first.
pub async fn list(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let which = match p.one("status")?.as_deref() {
        None | Some("open") => PetitionFilter::Open,
        Some("overdue") => PetitionFilter::Overdue,
        Some("closed") => PetitionFilter::Closed,
        Some("all") => PetitionFilter::All,
        Some(o) => return Err(AppError::bad("status", format!("status is open, overdue, closed or all, not {o:?}"))),
    };
    let limit = p.limit()?;
    p.finish()?;
    let now = s.clock.now();
    let book = s.live.desk();
    let mut items = petitions_in(&s, &book, &scope, which, now, caller.user.role.handles_cases());
    let total = items.len();
    let overdue = items.iter().filter(|x| x.overdue).count();
    items.truncate(limit);
    Ok(Json(PetitionList { total, overdue, items }).into_response())
}

/// `GET /api/petitions/{id}`.
pub async fn one(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    _: super::params::NoQuery,
) -> Result<Response, AppError> {
    let id = path_id(&raw, "petition")?;
    let book = s.live.desk();
    let p = book.petition(id).filter(|p| in_scope(&caller.scope, p)).ok_or_else(|| not_found(id))?;
    let sizes = group_sizes(&book);
    Ok(Json(petition_view(&s, &book, &sizes, p, s.clock.now(), caller.user.role.handles_cases())).into_response())
}

/// `POST /api/petitions/{id}/transitions` `{"to"?, "assigned_region"?, "assigned_department"?,
/// "extension_reason"?, "note"?, "version"?}`: moves a petition on (illegal steps 409 naming
/// `to`; a review or re-check asked for more than 30 days after the opinion 409 naming `to`;
/// a changed version 409 naming `version`) and/or extends its deadline once (409 naming
/// `extension_reason` when it may not be).
pub async fn step(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.require_writer()?;
    let id = path_id(&raw, "petition")?;
    let body: PetitionStepBody = json_body(&body)?;
    let now = s.clock.now();
    let (status, stage_began, extended, version) = {
        let book = s.live.desk();
        let p = book.petition(id).filter(|p| in_scope(&caller.scope, p)).ok_or_else(|| not_found(id))?;
        (p.status, p.stage_began, p.extension_reason.is_some(), p.version)
    };
    let to = body
        .to
        .as_deref()
        .map(|t| parse_enum("to", t, PetitionStatus::ALL, PetitionStatus::parse, PetitionStatus::as_str))
        .transpose()?;
    if to.is_none() && body.extension_reason.is_none() && body.note.trim().is_empty() {
        return Err(unprocessable("to", "name a status (to), an extension or a note"));
    }
    if let Some(to) = to {
        let refused = petition_transition(status, to).and_then(|()| check_request(to, stage_began, now));
        if let Err(e) = refused {
            s.audit(caller.audit("change_petition", format!("petition {id}"), "denied")).await?;
            let hint = match e {
                PetitionError::RequestTooLate => "（复查、复核须在收到意见之日起30日内提出）",
                _ => "（状态不可由此变更）",
            };
            return Err(AppError::Conflict { message: format!("{e} {hint}"), field: Some("to".into()) });
        }
    }
    let (assigned_region, assigned_department) = if to == Some(PetitionStatus::Assigned) {
        let region = body
            .assigned_region
            .as_deref()
            .map(|raw| {
                let code: RegionCode = raw
                    .parse()
                    .map_err(|_| unprocessable("assigned_region", format!("{raw:?} is not a 12-digit region code")))?;
                if s.geography.region(code).is_none() || !caller.scope.allows_region(code) {
                    return Err(unprocessable("assigned_region", format!("no region {code} in your jurisdiction")));
                }
                Ok(code)
            })
            .transpose()?;
        let department = body.assigned_department.as_deref().map(|d| text("assigned_department", d, 60)).transpose()?;
        if region.is_none() && department.is_none() {
            return Err(unprocessable("assigned_region", "交办 names a region or a department"));
        }
        (region, department)
    } else {
        if body.assigned_region.is_some() || body.assigned_department.is_some() {
            return Err(unprocessable("assigned_region", "a region or department is named only with to: assigned"));
        }
        (None, None)
    };
    let extension_reason = match &body.extension_reason {
        None => None,
        Some(reason) => {
            if !extension_allowed(to.unwrap_or(status), extended) {
                return Err(AppError::Conflict {
                    message: format!("{} （办理期限只能延长一次）", PetitionError::ExtensionNotAllowed),
                    field: Some("extension_reason".into()),
                });
            }
            Some(text("extension_reason", reason, 500)?)
        }
    };
    let needs_reason = matches!(
        to,
        Some(
            PetitionStatus::NotAccepted
                | PetitionStatus::Answered
                | PetitionStatus::Reviewed
                | PetitionStatus::Rechecked
        )
    );
    if needs_reason && body.note.trim().is_empty() {
        return Err(unprocessable("note", "the opinion or reason is written down (须写明意见或理由)"));
    }
    let change = PetitionChange {
        id,
        to,
        assigned_region,
        assigned_department,
        extension_reason,
        note: optional_text("note", &body.note, 4000)?,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::PetitionChanged, id, &caller.user.username, now, &change);
    let check = DeskCheck::Version {
        kinds: vec![LiveKind::Petition, LiveKind::PetitionChanged],
        seq: body.version.unwrap_or(version),
    };
    record(&s, event, check, None).await.map_err(|e| match e {
        StoreError::Stale { .. } => AppError::Conflict { message: e.to_string(), field: Some("version".into()) },
        e => e.into(),
    })?;
    let mut entry = caller.audit("change_petition", format!("petition {id}"), "ok");
    entry.detail = to.map(|t| format!("{} → {}", status.as_str(), t.as_str()));
    s.audit(entry).await?;
    let book = s.live.desk();
    let sizes = group_sizes(&book);
    let view = book.petition(id).map(|p| petition_view(&s, &book, &sizes, p, now, true));
    Ok(Json(view).into_response())
}

/// `POST /api/receptions` `{"leader", "kind": reception|visit, "held_at", "place", "region",
/// "notes"?}`: puts a leader's reception or visit of petitioners (接访下访) on the calendar
/// (201); township, county and city users, in a region of their jurisdiction.
pub async fn create_reception(
    State(s): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !caller.user.role.takes_charge() {
        return Err(AppError::Forbidden {
            message: format!("the {} role does not keep the leaders' calendar", caller.user.role.as_str()),
        });
    }
    let body: ReceptionBody = json_body(&body)?;
    let region: RegionCode = body
        .region
        .parse()
        .map_err(|_| unprocessable("region", format!("{:?} is not a 12-digit region code", body.region)))?;
    if s.geography.region(region).is_none() || !caller.scope.allows_region(region) {
        return Err(AppError::NotFound {
            message: format!("no region {region} in your jurisdiction"),
            field: Some("region".into()),
        });
    }
    let kind = parse_enum("kind", &body.kind, ReceptionKind::ALL, ReceptionKind::parse, ReceptionKind::as_str)?;
    let now = s.clock.now();
    if (body.held_at - now).num_days().abs() > 366 {
        return Err(unprocessable("held_at", "held_at is more than a year away"));
    }
    let reception = Reception {
        leader: text("leader", &body.leader, 40)?,
        kind,
        held_at: body.held_at,
        place: text("place", &body.place, 100)?,
        region,
        notes: optional_text("notes", &body.notes, 2000)?,
        by: caller.user.username.clone(),
        at: now,
    };
    let event = desk_event(LiveKind::Reception, 0, &caller.user.username, now, &reception);
    let logged = record(&s, event, DeskCheck::NewSubject, None).await?;
    let id = logged.event.subject;
    s.audit(caller.audit("schedule_reception", format!("reception {id}"), "ok")).await?;
    let book = s.live.desk();
    let calendar = reception_calendar(&s, &book, &caller.scope, Month::of(reception.held_at));
    let view = calendar.items.into_iter().find(|r| r.id == id);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /api/receptions?region=&month=`: the month's calendar (default this month) of
/// receptions and visits in the jurisdiction, with each leader's counts.
pub async fn list_receptions(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let scope = narrowed(&caller, &mut p)?;
    let month = match p.one("month")? {
        None => Month::of(s.clock.now()),
        Some(m) => Month::parse(&m).map_err(|e| AppError::bad("month", e))?,
    };
    p.finish()?;
    let book = s.live.desk();
    Ok(Json(reception_calendar(&s, &book, &scope, month)).into_response())
}
