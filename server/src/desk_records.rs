//! The village desk's records (一村一警): writing them (assignments, visits, disputes, backlog
//! notes; each one live-log event, see `model::desk_book`) and the views built from them — the
//! officer's desk (`GET /api/desk`), dispute lists and statistics, the backlog (积案) board and
//! its age heat layer. Every view covers only villages of the scope it is given.

use crate::desk::{Named, OfficerRef};
use crate::incident_index::{IncidentFilter, StatusSet};
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::InteriorPoint;
use model::desk::{
    AGE_BANDS, BacklogLimits, DisputeKind, DisputeStatus, MediationTrack, VISIT_EVERY_DAYS, age_band,
    age_band_label_en, age_band_label_zh, age_days, dispute_transition, is_backlog, visit_due,
};
use model::desk_book::{BacklogUpdate, CaseOrigin, DeskBook, DisputeChange, DisputeRecord, MediationSession};
use model::live::{Alert, AlertKind, LiveEvent, LiveKind, NewLiveEvent, QueueItem};
use model::scope::Scope;
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

fn named(s: &AppState, code: RegionCode) -> Named {
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

/// A visit as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisitView {
    /// Its id (the record's `seq`).
    pub id: u64,
    /// The officer.
    pub officer: Option<OfficerRef>,
    /// The village.
    pub village: Named,
    /// When.
    pub visited_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Whom.
    pub people_met: String,
    /// Notes.
    pub notes: String,
    /// Location, if recorded.
    pub lon: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// `GET` address of the photo, if one is stored.
    pub photo_url: Option<String>,
    /// Recorded by.
    pub by: String,
    /// Recorded at.
    pub at: DateTime<Utc>,
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

/// A status a dispute may move to next, labelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    /// The status.
    pub to: DisputeStatus,
    /// Chinese label.
    pub label_zh: &'static str,
    /// English label.
    pub label_en: &'static str,
}

/// One change in a dispute's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputeStep {
    /// Its `seq`.
    pub seq: u64,
    /// The change.
    #[serde(flatten)]
    pub change: DisputeChange,
}

/// A dispute as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputeView {
    /// Id.
    pub id: u64,
    /// Name it when changing the dispute (`version` of a transition).
    pub version: u64,
    /// The village.
    pub village: Named,
    /// Kind.
    pub kind: DisputeKind,
    /// Kind, Chinese.
    pub kind_zh: &'static str,
    /// Kind, English.
    pub kind_en: &'static str,
    /// Current track.
    pub track: MediationTrack,
    /// Track, Chinese.
    pub track_zh: &'static str,
    /// Track, English.
    pub track_en: &'static str,
    /// Status.
    pub status: DisputeStatus,
    /// Status, Chinese.
    pub status_zh: &'static str,
    /// Status, English.
    pub status_en: &'static str,
    /// Title.
    pub title: String,
    /// Parties.
    pub parties: String,
    /// Summary.
    pub summary: String,
    /// Current mediator.
    pub mediator: String,
    /// Incident it came from.
    pub incident: Option<u64>,
    /// When it arose.
    pub opened_at: DateTime<Utc>,
    /// Registered by.
    pub registered_by: String,
    /// Sessions, oldest first.
    pub sessions: Vec<MediationSession>,
    /// Changes, oldest first.
    pub history: Vec<DisputeStep>,
    /// When closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Latest outcome.
    pub outcome: String,
    /// Days open (to now, or to its closing).
    pub age_days: i64,
    /// Whether it is a backlog case now.
    pub backlog: bool,
    /// The statuses it may move to now.
    pub next_steps: Vec<NextStep>,
}

/// The legal next statuses of a dispute.
pub fn next_steps(status: DisputeStatus, track: MediationTrack) -> Vec<NextStep> {
    DisputeStatus::ALL
        .iter()
        .copied()
        .filter(|&to| dispute_transition(status, to, track).is_ok())
        .map(|to| NextStep { to, label_zh: to.label_zh(), label_en: to.label_en() })
        .collect()
}

/// The view of one dispute at `now`.
pub fn dispute_view(s: &AppState, d: &DisputeRecord, now: DateTime<Utc>, limits: BacklogLimits) -> DisputeView {
    let r = &d.registered;
    DisputeView {
        id: d.id,
        version: d.version,
        village: named(s, r.village),
        kind: r.kind,
        kind_zh: r.kind.label_zh(),
        kind_en: r.kind.label_en(),
        track: d.track,
        track_zh: d.track.label_zh(),
        track_en: d.track.label_en(),
        status: d.status,
        status_zh: d.status.label_zh(),
        status_en: d.status.label_en(),
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

/// Counts of one group of disputes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DisputeCount {
    /// All.
    pub total: u32,
    /// Not closed.
    pub open: u32,
    /// Closed with an agreement carried out (closed after `agreed`).
    pub resolved: u32,
    /// Open past the backlog limit.
    pub backlog: u32,
}

impl DisputeCount {
    fn add(&mut self, d: &DisputeRecord, now: DateTime<Utc>, limits: BacklogLimits) {
        self.total += 1;
        if d.status.is_open() {
            self.open += 1;
        } else if d.changes.iter().any(|(_, c)| c.to == Some(DisputeStatus::Agreed)) {
            self.resolved += 1;
        }
        if is_backlog(d.registered.opened_at, now, limits.dispute_days, d.status.is_open()) {
            self.backlog += 1;
        }
    }
}

/// Disputes of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindCount {
    /// Kind.
    pub kind: DisputeKind,
    /// Chinese.
    pub label_zh: &'static str,
    /// English.
    pub label_en: &'static str,
    /// Counts.
    #[serde(flatten)]
    pub count: DisputeCount,
}

/// Disputes of one village.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageDisputes {
    /// The village.
    pub village: Named,
    /// Counts.
    #[serde(flatten)]
    pub count: DisputeCount,
    /// All disputes by kind (API name → count).
    pub by_kind: BTreeMap<&'static str, u32>,
}

/// Dispute statistics of a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputeStats {
    /// Everything.
    #[serde(flatten)]
    pub count: DisputeCount,
    /// By kind, in display order.
    pub by_kind: Vec<KindCount>,
    /// By village, busiest first.
    pub by_village: Vec<VillageDisputes>,
    /// By current status (API name → count).
    pub by_status: BTreeMap<&'static str, u32>,
    /// By current track (API name → count).
    pub by_track: BTreeMap<&'static str, u32>,
}

/// Statistics of the disputes of `scope`.
pub fn dispute_stats(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> DisputeStats {
    let limits = BacklogLimits::default();
    let mut count = DisputeCount::default();
    let mut kinds: BTreeMap<DisputeKind, DisputeCount> = BTreeMap::new();
    let mut villages: BTreeMap<RegionCode, (DisputeCount, BTreeMap<&'static str, u32>)> = BTreeMap::new();
    let (mut by_status, mut by_track) = (BTreeMap::new(), BTreeMap::new());
    for d in desk.disputes().filter(|d| scope.allows_region(d.registered.village)) {
        count.add(d, now, limits);
        kinds.entry(d.registered.kind).or_default().add(d, now, limits);
        let v = villages.entry(d.registered.village).or_default();
        v.0.add(d, now, limits);
        *v.1.entry(d.registered.kind.as_str()).or_default() += 1;
        *by_status.entry(d.status.as_str()).or_default() += 1;
        *by_track.entry(d.track.as_str()).or_default() += 1;
    }
    let by_kind = DisputeKind::ALL
        .iter()
        .map(|&k| KindCount {
            kind: k,
            label_zh: k.label_zh(),
            label_en: k.label_en(),
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

/// A backlog case (积案).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogCaseView {
    /// An event or a dispute.
    pub origin: CaseOrigin,
    /// Its id.
    pub id: u64,
    /// What it is (category or dispute title), Chinese.
    pub title_zh: String,
    /// The same in English.
    pub title_en: String,
    /// The village.
    pub village: Named,
    /// When it was opened (reported, or the dispute arose).
    pub opened_at: DateTime<Utc>,
    /// Days open.
    pub age_days: i64,
    /// Age band 0–3 (`model::desk::age_band`).
    pub band: u8,
    /// Band, Chinese.
    pub band_zh: &'static str,
    /// Band, English.
    pub band_en: &'static str,
    /// The limit it passed, in days.
    pub limit_days: i64,
    /// The leader in charge (领导包案).
    pub leader_in_charge: Option<String>,
    /// The target date.
    pub target_date: Option<NaiveDate>,
    /// Whether the target date has passed (China time).
    pub target_missed: bool,
    /// Progress notes, oldest first.
    pub updates: Vec<BacklogUpdate>,
    /// Where (the event's point; a dispute's village).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// Every backlog case of `scope` at `now`, oldest first: open events reported more than
/// `limits.event_days` ago (reports linked to another's event are worked there and left out)
/// and open disputes that arose more than `limits.dispute_days` ago.
pub fn backlog_cases(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> Vec<BacklogCaseView> {
    let limits = BacklogLimits::default();
    let g = &s.geography;
    let today = model::time::local_date(now);
    let case =
        |origin: CaseOrigin, id: u64, titles: (String, String), village: RegionCode, opened_at, point: (f64, f64)| {
            let limit_days = match origin {
                CaseOrigin::Event => limits.event_days,
                CaseOrigin::Dispute => limits.dispute_days,
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
                band_zh: age_band_label_zh(band),
                band_en: age_band_label_en(band),
                limit_days,
                leader_in_charge: file.and_then(|f| f.leader_in_charge.clone()),
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
    for p in events {
        let opened_at = DateTime::from_timestamp(p.reported_s, 0).unwrap_or(now);
        if !is_backlog(opened_at, now, limits.event_days, true) {
            continue;
        }
        let titles = (p.category.label_zh().to_owned(), p.category.label_en().to_owned());
        out.push(case(CaseOrigin::Event, p.id.0, titles, g.cell_code(p.cell).village(), opened_at, (p.lon, p.lat)));
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
    out
}

/// Backlog counts of one area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaBacklog {
    /// The county or township.
    pub area: Named,
    /// `county` or `township`.
    pub level: RegionLevel,
    /// Cases.
    pub total: u32,
    /// By age band (0–3).
    pub by_band: [u32; AGE_BANDS as usize],
    /// With a leader in charge.
    pub with_leader: u32,
    /// Past their target date.
    pub target_missed: u32,
    /// Age of the oldest, days.
    pub oldest_days: i64,
}

/// The backlog clearance board (积案清零) of a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacklogBoard {
    /// The server's now.
    pub now: DateTime<Utc>,
    /// The limits used.
    pub limits: BacklogLimits,
    /// Cases.
    pub total: u32,
    /// Of them events.
    pub events: u32,
    /// Of them disputes.
    pub disputes: u32,
    /// By age band.
    pub by_band: [u32; AGE_BANDS as usize],
    /// Band labels, Chinese.
    pub band_labels_zh: [&'static str; AGE_BANDS as usize],
    /// Band labels, English.
    pub band_labels_en: [&'static str; AGE_BANDS as usize],
    /// With a leader in charge.
    pub with_leader: u32,
    /// Past their target date.
    pub target_missed: u32,
    /// Per county, then per township (largest first within each level); only areas wholly
    /// inside the scope.
    pub areas: Vec<AreaBacklog>,
    /// For each of the last [`BACKLOG_TREND_WEEKS`] weeks (oldest first): how many of today's
    /// cases, and of the disputes closed since, were already backlog cases at the week's end.
    /// Events closed since are not counted (their closing time is in each incident's history,
    /// not in the index), so the trend shows how today's backlog built up.
    pub weekly: Vec<u32>,
    /// The oldest [`BACKLOG_LIST_LIMIT`] cases.
    pub cases: Vec<BacklogCaseView>,
}

/// The backlog board of `scope` at `now`.
pub fn backlog_board(s: &AppState, desk: &DeskBook, scope: &Scope, now: DateTime<Utc>) -> BacklogBoard {
    let limits = BacklogLimits::default();
    let cases = backlog_cases(s, desk, scope, now);
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
            a.with_leader += u32::from(c.leader_in_charge.is_some());
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
                .filter(|c| c.origin == CaseOrigin::Event || desk.dispute(c.id).is_some_and(|d| d.status.is_open()))
                .filter(|c| is_backlog(c.opened_at, at, c.limit_days, true))
                .count();
            let closed_since = desk
                .disputes()
                .filter(|d| scope.allows_region(d.registered.village))
                .filter(|d| d.closed_at.is_some_and(|t| t > at))
                .filter(|d| is_backlog(d.registered.opened_at, at, limits.dispute_days, true))
                .count();
            (open_then + closed_since) as u32
        })
        .collect();
    let events = cases.iter().filter(|c| c.origin == CaseOrigin::Event).count() as u32;
    BacklogBoard {
        now,
        limits,
        total: cases.len() as u32,
        events,
        disputes: cases.len() as u32 - events,
        by_band,
        band_labels_zh: [0, 1, 2, 3].map(age_band_label_zh),
        band_labels_en: [0, 1, 2, 3].map(age_band_label_en),
        with_leader: cases.iter().filter(|c| c.leader_in_charge.is_some()).count() as u32,
        target_missed: cases.iter().filter(|c| c.target_missed).count() as u32,
        areas,
        weekly,
        cases: cases.into_iter().take(BACKLOG_LIST_LIMIT).collect(),
    }
}

/// One of the officer's villages on the desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeskVillage {
    /// The village.
    pub village: Named,
    /// Population (synthetic in the demo).
    pub population: u64,
    /// Grid cells.
    pub cells: usize,
    /// Since when the officer covers it (`None`: since before the desk's records).
    pub assigned_since: Option<DateTime<Utc>>,
    /// The last visit since then.
    pub last_visit: Option<DateTime<Utc>>,
    /// When the next visit is due.
    pub visit_due: Option<DateTime<Utc>>,
    /// Whether it is overdue.
    pub visit_overdue: bool,
    /// Open events.
    pub open_events: u32,
    /// Open disputes.
    pub open_disputes: u32,
    /// Bounding box `[west, south, east, north]`, for the map.
    pub bbox: [f64; 4],
}

/// A task on the desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeskTask {
    /// `visit`, `event`, `dispute` or `backlog`.
    pub kind: &'static str,
    /// The village.
    pub village: Named,
    /// The incident, dispute or case id (none for a visit).
    pub id: Option<u64>,
    /// What to do, Chinese.
    pub title_zh: String,
    /// The same in English.
    pub title_en: String,
    /// When due.
    pub due_at: Option<DateTime<Utc>>,
    /// Whether overdue.
    pub overdue: bool,
}

/// A village officer's desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desk {
    /// The server's now.
    pub now: DateTime<Utc>,
    /// The officer.
    pub officer: OfficerRef,
    /// Their villages.
    pub villages: Vec<DeskVillage>,
    /// Today's tasks: overdue first, then by due time.
    pub tasks: Vec<DeskTask>,
    /// Open events to follow up (reported in the last [`model::desk::EVENT_BACKLOG_DAYS`] days,
    /// most urgent first; older ones are backlog cases).
    pub events: Vec<QueueItem>,
    /// Visits of the last [`DESK_DAYS`] in their villages, newest first.
    pub visits: Vec<VisitView>,
    /// Open disputes in their villages.
    pub disputes: Vec<DisputeView>,
    /// Near-repeat alerts of the last [`DESK_DAYS`] in their villages, newest first.
    pub alerts: Vec<Alert>,
    /// Backlog cases in their villages, oldest first.
    pub backlog: Vec<BacklogCaseView>,
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
            kind: "visit",
            village: name.clone(),
            id: None,
            title_zh: format!("走访 {}", name.name),
            title_en: format!("Visit {}", name.name),
            due_at: due,
            overdue,
        });
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
            kind: "event",
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
            kind: "dispute",
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
            kind: "backlog",
            village: c.village.clone(),
            id: Some(c.id),
            title_zh: format!("积案化解：{}", c.title_zh),
            title_en: format!("Clear backlog case: {}", c.title_en),
            due_at: due,
            overdue: c.target_missed,
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
