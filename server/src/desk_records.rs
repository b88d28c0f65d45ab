//! The village desk's records (一村一警): writing them (assignments, visits, disputes, backlog
//! notes; each one live-log event, see `model::desk_book`) and the views built from them — the
//! officer's desk (`GET /api/desk`), dispute lists and statistics, the backlog (积案) board and
//! its age heat layer. Every view covers only villages of the scope it is given.

use crate::incident_index::{IncidentFilter, StatusSet};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::api::desk::{
    AreaBacklog, BacklogBoard, BacklogCaseView, Desk, DeskTask, DeskVillage, DisputeCount, DisputeStats, DisputeStep,
    DisputeView, KindCount, Named, NextStep, OfficerRef, VillageDisputes, VisitView,
};
use model::desk::{
    BacklogLimits, CONFIRMATION_APPLY_DAYS, DisputeKind, DisputeStatus, MediationTrack, VISIT_EVERY_DAYS, age_band,
    age_band_label_en, age_band_label_zh, age_days, confirmation_allowed, dispute_transition, is_backlog, visit_due,
};
use model::desk_book::{CaseOrigin, DeskBook, DisputeRecord};
use model::live::{Alert, AlertKind, LiveEvent, LiveKind, NewLiveEvent};
use model::scope::Scope;
use model::scorecard::Month;
use model::screening;
use model::taxonomy::Workflow;
use model::{RegionCode, RegionLevel, Status};
use serde::Serialize;
use std::collections::BTreeMap;
use store::{DeskCheck, Photo, StoreError};

/// Weeks in the backlog board's trend.
pub const BACKLOG_TREND_WEEKS: i64 = 12;
/// Cases listed on the backlog board (oldest first); the counts cover all.
pub const BACKLOG_LIST_LIMIT: usize = 200;
/// Days a village officer's desk looks back for visits and near-repeat alerts.
pub const DESK_DAYS: i64 = 28;

/// Appends a desk event and folds it in at once, so the writer's next read sees it (the pump
/// folds it again, which changes nothing, and tells other instances' desks through the log).
pub async fn record(
    s: &AppState,
    event: NewLiveEvent,
    check: DeskCheck,
    photo: Option<Photo>,
) -> Result<LiveEvent, StoreError> {
    let logged = s.store.append_desk(event, check, photo).await?;
    s.live.apply(std::slice::from_ref(&logged), &s.incidents);
    s.live.wake();
    Ok(logged)
}

/// A desk event (no cell: desk records never go on the live feed).
pub fn desk_event(kind: LiveKind, subject: u64, actor: &str, at: DateTime<Utc>, data: &impl Serialize) -> NewLiveEvent {
    NewLiveEvent {
        at,
        kind,
        subject,
        cell_code: None,
        category: None,
        actor: Some(actor.to_owned()),
        data: serde_json::to_string(data).unwrap_or_default(),
    }
}

pub fn named(s: &AppState, code: RegionCode) -> Named {
    Named { code, name: s.geography.region(code).map(|r| r.region.name.clone()).unwrap_or_default() }
}

/// An officer by id, as the desk names them.
pub fn officer_by_id(s: &AppState, id: u64) -> Option<OfficerRef> {
    s.geography.officer(id).map(|o| crate::desk::officer_ref(s, o))
}

/// Whether an officer belongs to the scope: their police station lies in it.
pub fn officer_in_scope(s: &AppState, scope: &Scope, id: u64) -> bool {
    let Some(o) = s.geography.officer(id) else { return false };
    s.geography.resources().iter().any(|r| r.id == o.station_id && scope.allows_region(r.region_code))
}

/// A village's interior point (lon, lat), for cases placed by village.
fn village_point(s: &AppState, village: RegionCode) -> Option<(f64, f64)> {
    let p = s.geography.region(village)?.boundary.interior_point()?;
    Some((p.x(), p.y()))
}

/// The view of visit `id`.
pub fn visit_view(s: &AppState, id: u64, v: &model::desk_book::Visit) -> VisitView {
    VisitView {
        id,
        officer: officer_by_id(s, v.officer),
        village: named(s, v.village),
        visited_at: v.visited_at,
        place: v.place.clone(),
        people_met: v.people_met.clone(),
        notes: v.notes.clone(),
        lon: v.lon,
        lat: v.lat,
        photo_url: v.photo.as_ref().map(|_| format!("/api/visits/{id}/photo")),
        by: v.by.clone(),
        at: v.at,
    }
}

/// Visits in `scope` (optionally one officer's), newest first, at most `limit`.
pub fn visits_in(s: &AppState, desk: &DeskBook, scope: &Scope, officer: Option<u64>, limit: usize) -> Vec<VisitView> {
    let mut out: Vec<VisitView> = desk
        .visits()
        .filter(|(_, v)| scope.allows_region(v.village) && officer.is_none_or(|o| v.officer == o))
        .map(|(id, v)| visit_view(s, id, v))
        .collect();
    out.sort_by(|a, b| b.visited_at.cmp(&a.visited_at).then(b.id.cmp(&a.id)));
    out.truncate(limit);
    out
}

/// The legal next statuses of a dispute.
pub fn next_steps(status: DisputeStatus, track: MediationTrack) -> Vec<NextStep> {
    DisputeStatus::ALL
        .iter()
        .copied()
        .filter(|&to| dispute_transition(status, to, track).is_ok())
        .map(|to| NextStep { to, label_zh: to.label_zh().to_owned(), label_en: to.label_en().to_owned() })
        .collect()
}

/// The view of one dispute at `now`.
pub fn dispute_view(s: &AppState, d: &DisputeRecord, now: DateTime<Utc>, limits: BacklogLimits) -> DisputeView {
    let r = &d.registered;
    let on_roster = d.mediator_id.and_then(|id| s.geography.mediators_of(r.village).iter().find(|m| m.id == id));
    DisputeView {
        mediator_id: on_roster.map(|m| m.id),
        mediator_role: on_roster.map(|m| m.role),
        id: d.id,
        version: d.version,
        village: named(s, r.village),
        kind: r.kind,
        kind_zh: r.kind.label_zh().to_owned(),
        kind_en: r.kind.label_en().to_owned(),
        track: d.track,
        track_zh: d.track.label_zh().to_owned(),
        track_en: d.track.label_en().to_owned(),
        status: d.status,
        status_zh: d.status.label_zh().to_owned(),
        status_en: d.status.label_en().to_owned(),
        title: r.title.clone(),
        parties: r.parties.clone(),
        summary: r.summary.clone(),
        mediator: d.mediator.clone(),
        incident: r.incident,
        opened_at: r.opened_at,
        registered_by: r.by.clone(),
        sessions: d.sessions.clone(),
        history: d.changes.iter().map(|(seq, c)| DisputeStep { seq: *seq, change: c.clone() }).collect(),
        closed_at: d.closed_at,
        outcome: d.outcome.clone(),
        court_reference: r.court_reference.clone(),
        referral: d.referral,
        referral_zh: d.referral.map(|x| x.label_zh().to_owned()),
        referral_en: d.referral.map(|x| x.label_en().to_owned()),
        agreed_at: d.agreed_at,
        confirmation: d.confirmation.clone(),
        confirmation_allowed: confirmation_allowed(d.agreed_at.is_some(), d.track, d.confirmation.is_some()),
        confirmation_apply_by: d
            .agreed_at
            .filter(|_| confirmation_allowed(true, d.track, d.confirmation.is_some()))
            .map(|t| model::time::local_date(t) + Duration::days(CONFIRMATION_APPLY_DAYS)),
        age_days: age_days(r.opened_at, d.closed_at.unwrap_or(now)),
        backlog: is_backlog(r.opened_at, now, limits.dispute_days, d.status.is_open()),
        next_steps: next_steps(d.status, d.track),
    }
}

/// Which disputes a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeFilter {
    /// Not closed.
    Open,
    /// Closed.
    Closed,
    /// All.
    All,
}

/// Disputes of `scope`, newest first.
pub fn disputes_in(
    s: &AppState,
    desk: &DeskBook,
    scope: &Scope,
    which: DisputeFilter,
    now: DateTime<Utc>,
) -> Vec<DisputeView> {
    let limits = BacklogLimits::default();
    let mut out: Vec<DisputeView> = desk
        .disputes()
        .filter(|d| scope.allows_region(d.registered.village))
        .filter(|d| match which {
            DisputeFilter::Open => d.status.is_open(),
            DisputeFilter::Closed => !d.status.is_open(),
            DisputeFilter::All => true,
        })
        .map(|d| dispute_view(s, d, now, limits))
        .collect();
    out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    out
}

/// Counts dispute `d` into `count` at `now`.
fn add_dispute(count: &mut DisputeCount, d: &DisputeRecord, now: DateTime<Utc>, limits: BacklogLimits) {
    count.total += 1;
    if d.status.is_open() {
        count.open += 1;
    } else if d.changes.iter().any(|(_, c)| c.to == Some(DisputeStatus::Agreed)) {
        count.resolved += 1;
    }
    if is_backlog(d.registered.opened_at, now, limits.dispute_days, d.status.is_open()) {
        count.backlog += 1;
    }
}

/// Statistics of the disputes of `scope`.
pub fn dispute_stats(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> DisputeStats {
    let limits = BacklogLimits::default();
    let mut count = DisputeCount::default();
    let mut kinds: BTreeMap<DisputeKind, DisputeCount> = BTreeMap::new();
    let mut villages: BTreeMap<RegionCode, (DisputeCount, BTreeMap<String, u32>)> = BTreeMap::new();
    let (mut by_status, mut by_track) = (BTreeMap::new(), BTreeMap::new());
    for d in desk.disputes().filter(|d| scope.allows_region(d.registered.village)) {
        add_dispute(&mut count, d, now, limits);
        add_dispute(kinds.entry(d.registered.kind).or_default(), d, now, limits);
        let v = villages.entry(d.registered.village).or_default();
        add_dispute(&mut v.0, d, now, limits);
        *v.1.entry(d.registered.kind.as_str().to_owned()).or_default() += 1;
        *by_status.entry(d.status.as_str().to_owned()).or_default() += 1;
        *by_track.entry(d.track.as_str().to_owned()).or_default() += 1;
    }
    let by_kind = DisputeKind::ALL
        .iter()
        .map(|&k| KindCount {
            kind: k,
            label_zh: k.label_zh().to_owned(),
            label_en: k.label_en().to_owned(),
            count: kinds.remove(&k).unwrap_or_default(),
        })
        .collect();
    let mut by_village: Vec<VillageDisputes> = villages
        .into_iter()
        .map(|(code, (count, by_kind))| VillageDisputes { village: named(s, code), count, by_kind })
        .collect();
    by_village.sort_by(|a, b| b.count.total.cmp(&a.count.total).then(a.village.code.cmp(&b.village.code)));
    DisputeStats { count, by_kind, by_village, by_status, by_track }
}

/// Every backlog case (积案) of `scope` at `now`, oldest first: open 综治 events reported more
/// than `limits.event_days` ago (reports linked to another's event are worked there and left
/// out), open disputes that arose more than `limits.dispute_days` ago and open petitions
/// received more than `limits.petition_days` ago. Police 110 events open as long are not
/// backlog: [`police_overdue`] lists them.
pub fn backlog_cases(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> Vec<BacklogCaseView> {
    old_cases(s, desk, scope, now).0
}

/// Police 110 events of `scope` still open `limits.event_days` after their report (超期未结),
/// oldest first: shown apart from the backlog.
pub fn police_overdue(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> Vec<BacklogCaseView> {
    old_cases(s, desk, scope, now).1
}

/// (backlog cases, overdue police events), each oldest first.
fn old_cases(
    s: &AppState,
    desk: &DeskBook,
    scope: &Scope,
    now: DateTime<Utc>,
) -> (Vec<BacklogCaseView>, Vec<BacklogCaseView>) {
    let limits = BacklogLimits::default();
    let g = &s.geography;
    let today = model::time::local_date(now);
    let case =
        |origin: CaseOrigin, id: u64, titles: (String, String), village: RegionCode, opened_at, point: (f64, f64)| {
            let limit_days = match origin {
                CaseOrigin::Event => limits.event_days,
                CaseOrigin::Dispute => limits.dispute_days,
                CaseOrigin::Petition => limits.petition_days,
            };
            let file = desk.case_file(origin, id);
            let age = age_days(opened_at, now);
            let band = age_band(age);
            let target_date = file.and_then(|f| f.target_date);
            BacklogCaseView {
                origin,
                id,
                title_zh: titles.0,
                title_en: titles.1,
                village: named(s, village),
                opened_at,
                age_days: age,
                band,
                band_zh: age_band_label_zh(band).to_owned(),
                band_en: age_band_label_en(band).to_owned(),
                limit_days,
                leader_in_charge: file.and_then(|f| f.leader_in_charge.clone()),
                leader_user: file.and_then(|f| f.leader_user.clone()),
                tag: file.and_then(|f| f.tag),
                tag_zh: file.and_then(|f| f.tag).map(|t| t.label_zh().to_owned()),
                tag_en: file.and_then(|f| f.tag).map(|t| t.label_en().to_owned()),
                department: file.and_then(|f| f.department.clone()),
                target_date,
                target_missed: target_date.is_some_and(|t| t < today),
                updates: file.map(|f| f.updates.iter().map(|(_, u)| u.clone()).collect()).unwrap_or_default(),
                lon: point.0,
                lat: point.1,
            }
        };
    let mut out = Vec::new();
    let mut filter = IncidentFilter::new(g.cells_in(scope));
    let open: Vec<Status> = Status::ALL.iter().copied().filter(|st| *st != Status::Closed).collect();
    filter.statuses = Some(StatusSet::of(&open));
    let limit_s = (now - Duration::days(limits.event_days)).timestamp();
    filter.to_s = Some(now.timestamp());
    let board = s.live.board();
    let index = s.index();
    let mut events = Vec::new();
    // A report linked to an event is worked there, when that event is in the scope.
    let worked_elsewhere = |id: u64| {
        board
            .event_of(id)
            .is_some_and(|e| index.get(model::IncidentId(e)).is_some_and(|q| filter.scope.contains(q.cell)))
    };
    index.for_each(&filter, |p| {
        if p.reported_s < limit_s && !worked_elsewhere(p.id.0) {
            events.push(*p);
        }
    });
    drop(index);
    drop(board);
    let mut police = Vec::new();
    for p in events {
        let opened_at = DateTime::from_timestamp(p.reported_s, 0).unwrap_or(now);
        if !is_backlog(opened_at, now, limits.event_days, true) {
            continue;
        }
        let titles = (p.category.label_zh().to_owned(), p.category.label_en().to_owned());
        let c = case(CaseOrigin::Event, p.id.0, titles, g.cell_code(p.cell).village(), opened_at, (p.lon, p.lat));
        match p.category.workflow() {
            Workflow::Department => out.push(c),
            Workflow::Police => police.push(c),
        }
    }
    for p in desk.petitions().filter(|p| crate::petitions::in_scope(scope, p)) {
        let r = &p.registered;
        if !is_backlog(r.received_at, now, limits.petition_days, p.status.is_open()) {
            continue;
        }
        let point = village_point(s, r.village).unwrap_or((0.0, 0.0));
        let titles = (format!("信访：{}", r.matter), format!("petition: {}", r.matter));
        out.push(case(CaseOrigin::Petition, p.id, titles, r.village, r.received_at, point));
    }
    for d in desk.disputes().filter(|d| scope.allows_region(d.registered.village)) {
        let r = &d.registered;
        if !is_backlog(r.opened_at, now, limits.dispute_days, d.status.is_open()) {
            continue;
        }
        let point = village_point(s, r.village).unwrap_or((0.0, 0.0));
        let titles = (format!("纠纷：{}", r.title), format!("dispute: {}", r.title));
        out.push(case(CaseOrigin::Dispute, d.id, titles, r.village, r.opened_at, point));
    }
    out.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
    police.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
    (out, police)
}

/// The backlog board of `scope` at `now`.
pub fn backlog_board(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> BacklogBoard {
    let limits = BacklogLimits::default();
    let (cases, police) = old_cases(s, desk, scope, now);
    let mut areas: BTreeMap<RegionCode, AreaBacklog> = BTreeMap::new();
    let mut by_band = [0u32; 4];
    for c in &cases {
        by_band[usize::from(c.band.min(3))] += 1;
        for level in [RegionLevel::County, RegionLevel::Township] {
            let code = c.village.code.truncate(level);
            // Only areas wholly inside the scope (a township user gets no partial county row).
            if !scope.allows_region(code) {
                continue;
            }
            let a = areas.entry(code).or_insert_with(|| AreaBacklog {
                area: named(s, code),
                level,
                total: 0,
                by_band: [0; 4],
                with_leader: 0,
                target_missed: 0,
                oldest_days: 0,
            });
            a.total += 1;
            a.by_band[usize::from(c.band.min(3))] += 1;
            a.with_leader += u32::from(c.leader_in_charge.is_some() || c.leader_user.is_some());
            a.target_missed += u32::from(c.target_missed);
            a.oldest_days = a.oldest_days.max(c.age_days);
        }
    }
    let mut areas: Vec<AreaBacklog> = areas.into_values().collect();
    areas.sort_by(|a, b| {
        (a.level != RegionLevel::County).cmp(&(b.level != RegionLevel::County)).then(b.total.cmp(&a.total))
    });
    // Trend: at each week's end, today's cases already past their limit, and closed disputes
    // that were open and past it then.
    let weekly = (0..BACKLOG_TREND_WEEKS)
        .rev()
        .map(|w| {
            let at = now - Duration::weeks(w);
            let open_then = cases
                .iter()
                .filter(|c| match c.origin {
                    CaseOrigin::Event => true,
                    CaseOrigin::Dispute => desk.dispute(c.id).is_some_and(|d| d.status.is_open()),
                    CaseOrigin::Petition => desk.petition(c.id).is_some_and(|p| p.status.is_open()),
                })
                .filter(|c| is_backlog(c.opened_at, at, c.limit_days, true))
                .count();
            let closed_since = desk
                .disputes()
                .filter(|d| scope.allows_region(d.registered.village))
                .filter(|d| d.closed_at.is_some_and(|t| t > at))
                .filter(|d| is_backlog(d.registered.opened_at, at, limits.dispute_days, true))
                .count();
            let petitions_closed_since = desk
                .petitions()
                .filter(|p| crate::petitions::in_scope(scope, p))
                .filter(|p| p.closed_at.is_some_and(|t| t > at))
                .filter(|p| is_backlog(p.registered.received_at, at, limits.petition_days, true))
                .count();
            (open_then + closed_since + petitions_closed_since) as u32
        })
        .collect();
    let count = |origin| cases.iter().filter(|c| c.origin == origin).count() as u32;
    BacklogBoard {
        now,
        limits,
        total: cases.len() as u32,
        events: count(CaseOrigin::Event),
        disputes: count(CaseOrigin::Dispute),
        petitions: count(CaseOrigin::Petition),
        police_overdue: police.len() as u32,
        police_overdue_cases: police.into_iter().take(BACKLOG_LIST_LIMIT).collect(),
        by_band,
        band_labels_zh: [0, 1, 2, 3].map(|b| age_band_label_zh(b).to_owned()),
        band_labels_en: [0, 1, 2, 3].map(|b| age_band_label_en(b).to_owned()),
        with_leader: cases.iter().filter(|c| c.leader_in_charge.is_some() || c.leader_user.is_some()).count() as u32,
        target_missed: cases.iter().filter(|c| c.target_missed).count() as u32,
        areas,
        weekly,
        cases: cases.into_iter().take(BACKLOG_LIST_LIMIT).collect(),
    }
}

/// The desk of officer `id` as a caller with scope `within` sees it: their current villages in
/// that scope (all of them for the officer themself, whose scope they are), or `None` for an
/// unknown officer. An officer covering villages of two townships shows a leader of one
/// township only that township's villages and records.
pub fn desk_of(s: &AppState, id: u64, within: &Scope, now: DateTime<Utc>) -> Option<Desk> {
    let officer = officer_by_id(s, id)?;
    let g = &s.geography;
    let book = s.live.desk();
    let codes: Vec<RegionCode> = book.villages_of(id).into_iter().filter(|v| within.allows_region(*v)).collect();
    let scope = Scope::of(codes.clone());
    let limits = BacklogLimits::default();
    let events = crate::live::open_queue(
        s,
        IncidentFilter::new(g.cells_in(&scope)),
        now,
        now - Duration::days(limits.event_days),
    );
    let disputes = disputes_in(s, &book, &scope, DisputeFilter::Open, now);
    let backlog = backlog_cases(s, &book, &scope, now);
    let mut tasks = Vec::new();
    let mut villages = Vec::new();
    for &code in &codes {
        let Some(region) = g.region(code) else { continue };
        let assigned_since = book.assignment(code).and_then(|a| a.since);
        let last_visit = book.last_visit_since(code, assigned_since);
        // Villages on the roster since before the desk's records are due today if never visited.
        let clock_start = assigned_since.unwrap_or(now - Duration::days(VISIT_EVERY_DAYS));
        let due = visit_due(last_visit, clock_start, now, VISIT_EVERY_DAYS);
        let overdue = due.is_some_and(|d| now > d);
        let rect = geo::BoundingRect::bounding_rect(&region.boundary);
        let bbox = rect.map_or([0.0; 4], |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
        let name = named(s, code);
        tasks.push(DeskTask {
            kind: "visit".to_owned(),
            village: name.clone(),
            id: None,
            title_zh: format!("走访 {}", name.name),
            title_en: format!("Visit {}", name.name),
            due_at: due,
            overdue,
        });
        // This month's dispute screening, and last month's when it is missing (unless the
        // officer took the village over after it was due).
        let this_month = Month::of(now);
        for month in [this_month.previous(), this_month] {
            let took_over_after = assigned_since.is_some_and(|t| t >= screening::due_at(month));
            if book.screening(code, month).is_some() || (month != this_month && took_over_after) {
                continue;
            }
            tasks.push(DeskTask {
                kind: "screening".to_owned(),
                village: name.clone(),
                id: None,
                title_zh: format!("{month} 矛盾纠纷排查 {}", name.name),
                title_en: format!("Dispute screening of {} for {month}", name.name),
                due_at: Some(screening::due_at(month)),
                overdue: screening::is_overdue(month, false, now),
            });
        }
        villages.push(DeskVillage {
            population: region.region.population,
            cells: g.cell_range(code).len(),
            assigned_since,
            last_visit,
            visit_due: due,
            visit_overdue: overdue,
            open_events: 0,
            open_disputes: disputes.iter().filter(|d| d.village.code == code).count() as u32,
            bbox,
            village: name,
        });
    }
    let counts = crate::desk::village_counts(s, &scope, now);
    for v in &mut villages {
        v.open_events = counts.get(&v.village.code).map_or(0, |c| c.1);
    }
    for e in events.iter().take(20) {
        tasks.push(DeskTask {
            kind: "event".to_owned(),
            village: named(s, e.cell_code.village()),
            id: Some(e.id),
            title_zh: format!("跟进 {} #{}（{}）", e.category.label_zh(), e.id, e.status.label_zh()),
            title_en: format!("Follow up {} #{} ({})", e.category.label_en(), e.id, e.status.label_en()),
            due_at: Some(e.due_at),
            overdue: e.due_in_s < 0,
        });
    }
    for d in &disputes {
        let due = d.opened_at + Duration::days(limits.dispute_days);
        tasks.push(DeskTask {
            kind: "dispute".to_owned(),
            village: d.village.clone(),
            id: Some(d.id),
            title_zh: format!("调处纠纷「{}」（{}）", d.title, d.status_zh),
            title_en: format!("Mediate \"{}\" ({})", d.title, d.status_en),
            due_at: Some(due),
            overdue: now > due,
        });
    }
    for c in backlog.iter().filter(|c| c.target_date.is_some()) {
        let due = c.target_date.and_then(|t| t.and_hms_opt(16, 0, 0)).map(|t| t.and_utc());
        tasks.push(DeskTask {
            kind: "backlog".to_owned(),
            village: c.village.clone(),
            id: Some(c.id),
            title_zh: format!("积案化解：{}", c.title_zh),
            title_en: format!("Clear backlog case: {}", c.title_en),
            due_at: due,
            overdue: c.target_missed,
        });
    }
    // Petitions from their villages waiting on a deadline of ours (acceptance, answer, review).
    for p in book.petitions().filter(|p| p.status.is_open() && crate::petitions::in_scope(&scope, p)) {
        let Some(due) = crate::petitions::due_of(p) else { continue };
        tasks.push(DeskTask {
            kind: "petition".to_owned(),
            village: named(s, p.registered.village),
            id: Some(p.id),
            title_zh: format!("信访「{}」（{}）", p.registered.matter, p.status.label_zh()),
            title_en: format!("Petition \"{}\" ({})", p.registered.matter, p.status.label_en()),
            due_at: Some(due),
            overdue: now > due,
        });
    }
    tasks.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due_at.cmp(&b.due_at)));
    let since = now - Duration::days(DESK_DAYS);
    let visits = visits_in(s, &book, &scope, None, 200).into_iter().filter(|v| v.visited_at >= since).collect();
    drop(book);
    let mut alerts: Vec<Alert> = s
        .live
        .board()
        .alerts()
        .filter(|a| a.kind == AlertKind::NearRepeat && a.at >= since && scope.allows_cell(a.cell_code))
        .cloned()
        .collect();
    alerts.sort_by_key(|a| std::cmp::Reverse(a.at));
    Some(Desk { now, officer, villages, tasks, events, visits, disputes, alerts, backlog })
}
