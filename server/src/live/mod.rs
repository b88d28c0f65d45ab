//! The live command centre's adapter: the live log (store) → the board (live state) and the feed
//! (WebSocket subscribers).
//!
//! Writers append to the store's live log, apply what they wrote to the board at once (so their
//! own next read sees it) and wake the pump. The pump is the only publisher: it reads the log in
//! `seq` order from the store (its own writes, and with PostGIS other instances' writes announced
//! by `NOTIFY safegrid_events`), folds each event into the board and the incident index, and
//! broadcasts it. A broadcast channel of fixed capacity decouples subscribers from ingest: a
//! subscriber that falls behind by more than the capacity is told so and disconnected, and
//! resumes with `since=<last seq>` from the store.

pub mod alerts;
pub mod board;
pub mod demo_feed;
pub mod dispatch;
pub mod feed;
pub mod watch;

use crate::geography::Geography;
use crate::incident_index::IncidentIndex;
use board::{Applied, Board};
use chrono::{DateTime, Duration, Utc};
use model::Status;
use model::desk_book::DeskBook;
use model::live::{LiveEvent, LiveKind, QueueItem, UnitState, UnitStatus};
use model::workflow::{self, Deadlines};
use model::{Category, CellCode, ResourceKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use store::{Store, StoreError};
use tokio::sync::{Notify, broadcast};

/// Messages a subscriber may fall behind by before it is disconnected.
pub const FEED_CAPACITY: usize = 16_384;

/// Events the pump reads from the store at a time.
const PAGE: usize = 1000;

/// How far back the board is rebuilt from the log at start-up.
pub const BOARD_DAYS: i64 = 30;

/// Recent alerts kept on the board.
pub const MAX_ALERTS: usize = 2000;

/// One event ready to send: its filter keys and the whole message as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Store-assigned sequence number.
    pub seq: u64,
    /// Message type.
    pub kind: LiveKind,
    /// Cell, for region filters and jurisdiction.
    pub cell_code: Option<CellCode>,
    /// Category, for category filters.
    pub category: Option<Category>,
    /// `{"type":…,"seq":…,"data":…}`.
    pub json: String,
}

impl Published {
    /// The feed message of a stored event.
    pub fn of(e: &LiveEvent) -> Published {
        let json = format!(r#"{{"type":"{}","seq":{},"data":{}}}"#, e.event.kind.as_str(), e.seq, e.event.data);
        Published { seq: e.seq, kind: e.event.kind, cell_code: e.event.cell_code, category: e.event.category, json }
    }
}

/// The live state of one server instance.
pub struct Live {
    /// Open live feeds per user.
    pub feeds: Arc<Mutex<std::collections::HashMap<u64, usize>>>,
    board: Mutex<Board>,
    desk: RwLock<DeskBook>,
    sender: broadcast::Sender<Arc<Published>>,
    wake: Notify,
    published_seq: AtomicU64,
    /// Held while a page is broadcast and `published_seq` moved past it, and while a subscriber
    /// joins: a subscriber sees every event after the `seq` it is given, none twice.
    publishing: Mutex<()>,
}

impl Live {
    /// The board of `geography`'s patrol units at their stations, folded with the last
    /// [`BOARD_DAYS`] of the store's live log; the feed starts after the log's newest event.
    pub async fn load(store: &dyn Store, geography: &Geography, now: DateTime<Utc>) -> Result<Live, StoreError> {
        let units = geography
            .resources()
            .iter()
            .filter(|r| r.kind == ResourceKind::PatrolUnit)
            .map(|r| UnitState {
                id: r.id,
                name: r.name.clone(),
                lon: r.lon,
                lat: r.lat,
                status: UnitStatus::Available,
                incident: None,
                at: now,
            })
            .collect();
        let mut board = Board::new(units, MAX_ALERTS);
        let kinds = vec![
            LiveKind::IncidentChanged,
            LiveKind::IncidentLinked,
            LiveKind::Unit,
            LiveKind::Alert,
            LiveKind::AlertAcked,
        ];
        for e in store.events_since(now - Duration::days(BOARD_DAYS), kinds).await? {
            board.apply(&e);
        }
        let roster = geography.officers().iter().flat_map(|o| o.villages.iter().map(move |v| (*v, o.id)));
        let mut desk = DeskBook::new(roster);
        for e in store.events_since(DateTime::UNIX_EPOCH, LiveKind::DESK.to_vec()).await? {
            desk.apply(&e);
        }
        let last = store.last_seq().await?;
        let (sender, _) = broadcast::channel(FEED_CAPACITY);
        Ok(Live {
            feeds: Arc::default(),
            board: Mutex::new(board),
            desk: RwLock::new(desk),
            sender,
            wake: Notify::new(),
            published_seq: AtomicU64::new(last),
            publishing: Mutex::new(()),
        })
    }

    /// Read access to the board.
    pub fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Read access to the village desk's records.
    pub fn desk(&self) -> std::sync::RwLockReadGuard<'_, DeskBook> {
        self.desk.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Folds stored events into the board, the desk and the index (status changes); safe to
    /// call again with the same events.
    pub fn apply(&self, events: &[LiveEvent], index: &RwLock<IncidentIndex>) {
        if events.iter().any(|e| e.event.kind.is_desk()) {
            let mut desk = self.desk.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for e in events.iter().filter(|e| e.event.kind.is_desk()) {
                desk.apply(e);
            }
        }
        let mut board = self.board();
        for e in events {
            if let Applied::Status { id, status } = board.apply(e) {
                index
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .set_status(model::IncidentId(id), status);
            }
        }
    }

    /// Folds events into the board only (reading back what it missed at start-up).
    pub fn apply_board(&self, events: &[LiveEvent]) {
        let mut board = self.board();
        for e in events {
            board.apply(e);
        }
    }

    /// Tells the pump there is something new in the store.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A receiver of every event published from now on, and the last `seq` published before it.
    pub fn subscribe(&self) -> (broadcast::Receiver<Arc<Published>>, u64) {
        let _joining = self.publishing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let rx = self.sender.subscribe();
        (rx, self.published_seq.load(Ordering::SeqCst))
    }

    /// Current subscribers.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Starts the pump: on every wake (and at least once a second) it reads the log past the last
/// published `seq`, folds it in and broadcasts it, in `seq` order.
pub fn spawn_pump(store: Arc<dyn Store>, live: Arc<Live>, index: Arc<RwLock<IncidentIndex>>) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = live.wake.notified() => {}
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
            loop {
                let after = live.published_seq.load(Ordering::SeqCst);
                let events = match store.events_after(after, PAGE).await {
                    Ok(events) => events,
                    Err(e) => {
                        tracing::warn!("reading the live log: {e}");
                        break;
                    }
                };
                let Some(last) = events.last().map(|e| e.seq) else { break };
                live.apply(&events, &index);
                // Desk records never go on the feed (they have their own routes).
                let published: Vec<Arc<Published>> =
                    events.iter().filter(|e| !e.event.kind.is_desk()).map(|e| Arc::new(Published::of(e))).collect();
                let _publishing = live.publishing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for p in published {
                    // No receivers is not an error: nobody is watching.
                    let _ = live.sender.send(p);
                }
                live.published_seq.store(last, Ordering::SeqCst);
                drop(_publishing);
                if events.len() < PAGE {
                    break;
                }
            }
        }
    });
}

/// The deployment's rules: dispatch travel estimate, alert thresholds, deadlines, the
/// assessment scorecard.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// Travel-time estimate for dispatch suggestions.
    pub travel: dispatch::Travel,
    /// Alert thresholds.
    pub rules: alerts::AlertRules,
    /// Per-category deadlines replacing [`Deadlines::default_for`].
    pub deadlines: Vec<(Category, model::workflow::Deadlines)>,
    /// The road network (`--roads`, UTM 48N metres): dispatch ETAs and patrol routes follow it.
    pub roads: Option<Arc<analytics::roads::RoadNetwork>>,
    /// How often an open live feed checks its session and scope again.
    pub session_recheck: std::time::Duration,
    /// The assessment scorecard's rules (`--scorecard`, default `data/scorecard.json`).
    pub scorecard: Arc<model::scorecard::ScorecardConfig>,
    /// The font briefings embed (`--briefing-font`, default Debian's Droid Sans Fallback when
    /// installed); without one the .docx names 宋体/黑体 and the print view the reader's fonts.
    pub briefing_font: Option<Arc<crate::docx::EmbeddedFont>>,
}

/// How often an open live feed checks its session by default.
pub const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(3);

impl Default for LiveSettings {
    fn default() -> LiveSettings {
        LiveSettings {
            travel: dispatch::Travel::default(),
            rules: alerts::AlertRules::default(),
            deadlines: Vec::new(),
            roads: None,
            session_recheck: SESSION_RECHECK,
            scorecard: Arc::new(model::scorecard::ScorecardConfig::standard()),
            briefing_font: None,
        }
    }
}

impl LiveSettings {
    /// The deadlines of `category`.
    pub fn deadlines(&self, category: Category) -> model::workflow::Deadlines {
        self.deadlines
            .iter()
            .find(|(c, _)| *c == category)
            .map_or_else(|| model::workflow::Deadlines::default_for(category), |(_, d)| *d)
    }
}

/// The rules an incident write runs on the incidents it creates, inside its transaction
/// ([`store::Store::insert_deriving`]): their 一事多报 links and alerts (geofence,
/// near-repeat). The created incidents are not in the index yet: the write's group commit puts
/// them there once durable, before the next group's rules read it.
pub fn derive(state: &crate::state::AppState) -> store::Derive {
    let (geography, index, live, clock) =
        (state.geography.clone(), state.incidents.clone(), state.live.clone(), state.clock.clone());
    let rules = state.settings.rules.clone();
    Arc::new(move |created: &[&model::Incident]| {
        let now = clock.now();
        let data: Vec<model::live::IncidentData> = created.iter().map(|i| store::incident_data(i)).collect();
        let outcomes = {
            let index = index.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            alerts::for_batch(&data, &geography, &index, &rules, now)
        };
        // The board before the index, as everywhere.
        let board = live.board();
        let index = index.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut raised = Vec::new();
        for (incident, outcome) in created.iter().zip(outcomes) {
            if let Some(first) = outcome.same_event {
                // Link to the event's first report (the earlier report may itself be linked);
                // an event a leader merged across villages is not joined automatically, so no
                // automatic link names a report of another village.
                let village = incident.placement.cell_code.village();
                let event = board.event_of(first).unwrap_or(first);
                let same_village = index
                    .get(model::IncidentId(event))
                    .is_some_and(|p| geography.cell_code(p.cell).village() == village);
                if event == first || same_village {
                    raised.push(link_event(incident, Some(event), "auto", now));
                }
            }
            for alert in outcome.alerts {
                raised.push(model::live::NewLiveEvent {
                    at: now,
                    kind: LiveKind::Alert,
                    subject: 0,
                    cell_code: Some(alert.cell_code),
                    category: Some(incident.fields.category),
                    actor: None,
                    data: serde_json::to_string(&alert).unwrap_or_default(),
                });
            }
        }
        raised
    })
}

/// The open events of `filter` reported at or after `reported_from`, most urgent first: the
/// furthest escalated, then the earliest due (reports linked to another's event left out).
pub fn open_queue(
    s: &crate::state::AppState,
    mut filter: crate::incident_index::IncidentFilter,
    now: DateTime<Utc>,
    reported_from: DateTime<Utc>,
) -> Vec<QueueItem> {
    let open: Vec<Status> = Status::ALL.iter().copied().filter(|st| *st != Status::Closed).collect();
    filter.statuses = Some(crate::incident_index::StatusSet::of(&open));
    let reported_from = reported_from.timestamp();
    let mut items = Vec::new();
    let board = s.live.board();
    let index = s.index();
    // Only reports the filter's jurisdiction holds count: a report linked to an event the
    // caller cannot see stays in their queue, and the count of an event's reports is of those
    // they can see.
    let seen = |id: u64| index.get(model::IncidentId(id)).is_some_and(|p| filter.scope.contains(p.cell));
    let linked = board.linked_counts(seen);
    index.for_each(&filter, |pt| {
        // A report linked to another's event is worked there.
        if pt.reported_s < reported_from || board.event_of(pt.id.0).is_some_and(seen) {
            return;
        }
        let stage = board.stage(pt.id.0);
        let reported_at = DateTime::from_timestamp(pt.reported_s, 0).unwrap_or(now);
        let entered_at = stage.map_or(reported_at, |st| st.entered_at);
        let deadlines: Deadlines = s.settings.deadlines(pt.category);
        let Some(due_at) = workflow::due_at(&deadlines, pt.status, entered_at, board.order(pt.id.0)) else { return };
        let placement = s.geography.placement(pt.cell);
        let escalated_to = workflow::escalation(&deadlines, pt.status, due_at, &placement, now).map(|e| e.level);
        items.push(QueueItem {
            id: pt.id.0,
            lon: pt.lon,
            lat: pt.lat,
            category: pt.category,
            severity: pt.severity,
            status: pt.status,
            cell_code: placement.cell_code,
            reported_at,
            entered_at,
            due_at,
            due_in_s: (due_at - now).num_seconds(),
            escalated_to,
            unit: stage.and_then(|st| st.unit),
            department: board.order(pt.id.0).map(|o| o.department.clone()),
            reports: 1 + linked.get(&pt.id.0).copied().unwrap_or(0),
        });
    });
    drop(index);
    drop(board);
    // Levels order from the city down, so the furthest escalated is the smallest; on time is last.
    let urgency = |i: &QueueItem| i.escalated_to.map(std::cmp::Reverse);
    items.sort_by(|a, b| urgency(b).cmp(&urgency(a)).then(a.due_at.cmp(&b.due_at)).then(a.id.cmp(&b.id)));
    items
}

/// Why a status change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The unit named for a dispatch is not a known patrol unit.
    #[error("no patrol unit {0}")]
    UnknownUnit(u64),
    /// The unit named for a dispatch is busy elsewhere or off duty.
    #[error("unit {0} is {status} and cannot be dispatched", status = .1.as_str())]
    UnitBusy(u64, UnitStatus),
    /// The store refused (illegal step: [`StoreError::Workflow`]; unknown incident) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The live-log event of a unit's state.
pub fn unit_event(geography: &Geography, u: UnitState) -> model::live::NewLiveEvent {
    model::live::NewLiveEvent {
        at: u.at,
        kind: LiveKind::Unit,
        subject: u.id,
        cell_code: geography.locate(u.lon, u.lat).map(|c| geography.cell_code(c)),
        category: None,
        actor: None,
        data: serde_json::to_string(&u).unwrap_or_default(),
    }
}

/// Incident `id`'s changes, oldest first, as its live-log events carry them (events that do not
/// read are left out).
pub async fn history(s: &crate::state::AppState, id: u64) -> Result<Vec<model::live::IncidentChange>, StoreError> {
    let events = s.store.subject_events(LiveKind::IncidentChanged, id).await?;
    Ok(events.iter().filter_map(|e| serde_json::from_str(&e.event.data).ok()).collect())
}

/// Moves `incident` one step along the event loop as user `by`: the store checks the step
/// against the stored status; a dispatch marks the unit busy, and resolving (or handing over to
/// another unit) frees the unit in charge. The board, the index and the feed follow.
pub async fn change(
    state: &crate::state::AppState,
    incident: &model::Incident,
    t: model::workflow::Transition,
    by: &str,
    photo: Option<store::Photo>,
) -> Result<Vec<LiveEvent>, ChangeError> {
    let id = incident.id.0;
    let now = state.clock.now();
    let in_charge = state.live.board().stage(id).and_then(|st| st.unit);
    let mut also = Vec::new();
    if let Some(unit_id) = t.unit.filter(|_| t.to == model::Status::Dispatched) {
        let unit = state.live.board().unit(unit_id).cloned().ok_or(ChangeError::UnknownUnit(unit_id))?;
        if unit.status != UnitStatus::Available && unit.incident != Some(id) {
            return Err(ChangeError::UnitBusy(unit_id, unit.status));
        }
        also.push(unit_event(
            &state.geography,
            UnitState { status: UnitStatus::Busy, incident: Some(id), at: now, ..unit },
        ));
    }
    let freed = in_charge
        .filter(|u| t.to == model::Status::Resolved || (t.to == model::Status::Dispatched && t.unit != Some(*u)));
    // Only a unit still on this incident is freed (one sent elsewhere since keeps its call).
    if let Some(unit) = freed.and_then(|u| state.live.board().unit(u).cloned()).filter(|u| u.incident == Some(id)) {
        also.push(unit_event(
            &state.geography,
            UnitState { status: UnitStatus::Available, incident: None, at: now, ..unit },
        ));
    }
    let changed = state.store.change_status(incident.id, t, by.to_owned(), now, photo).await?;
    let mut written = vec![changed];
    if !also.is_empty() {
        written.extend(state.event_log.append(also).await?);
    }
    state.live.apply(&written, &state.incidents);
    state.live.wake();
    Ok(written)
}

/// The live-log event linking `incident` to the event of report `first` (`None`: splitting it off).
pub fn link_event(
    incident: &model::Incident,
    first: Option<u64>,
    by: &str,
    at: DateTime<Utc>,
) -> model::live::NewLiveEvent {
    let link = model::live::IncidentLink { id: incident.id.0, event: first, by: by.to_owned(), at };
    model::live::NewLiveEvent {
        at,
        kind: LiveKind::IncidentLinked,
        subject: incident.id.0,
        cell_code: Some(incident.placement.cell_code),
        category: Some(incident.fields.category),
        actor: Some(by.to_owned()),
        data: serde_json::to_string(&link).unwrap_or_default(),
    }
}

/// Per-category deadlines from JSON `{"<category>": {"dispatch_min", "arrive_min", "resolve_min",
/// "feedback_min", "close_min"}}` (code names or Chinese labels); every allowance at least 1 minute.
pub fn parse_deadlines(text: &str) -> Result<Vec<(Category, model::workflow::Deadlines)>, String> {
    let raw: std::collections::BTreeMap<String, model::workflow::Deadlines> =
        serde_json::from_str(text).map_err(|e| format!("not a deadlines file: {e}"))?;
    let mut out = Vec::new();
    for (name, d) in raw {
        let category = Category::parse_label(&name).ok_or_else(|| format!("unknown category {name:?}"))?;
        if [d.dispatch_min, d.arrive_min, d.resolve_min, d.feedback_min, d.close_min].contains(&0) {
            return Err(format!("{name}: every allowance is at least 1 minute"));
        }
        out.push((category, d));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_event_reads_back_as_a_feed_message() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let ack = model::live::AlertAck { id: 41, by: "city".into(), at };
        let event = LiveEvent {
            seq: 42,
            event: model::live::NewLiveEvent {
                at,
                kind: LiveKind::AlertAcked,
                subject: 41,
                cell_code: None,
                category: None,
                actor: Some("city".into()),
                data: serde_json::to_string(&ack).unwrap(),
            },
        };
        let msg: model::live::FeedMessage = serde_json::from_str(&Published::of(&event).json).unwrap();
        assert_eq!((msg.kind.as_str(), msg.seq), ("alert_acked", 42));
        assert_eq!(serde_json::from_value::<model::live::AlertAck>(msg.data).unwrap(), ack);
        let hello: model::live::FeedMessage = serde_json::from_str(r#"{"type":"hello","seq":7}"#).unwrap();
        assert_eq!((hello.kind.as_str(), hello.seq, hello.data), ("hello", 7, serde_json::Value::Null));
    }

    #[test]
    fn deadlines_files_replace_the_defaults_and_name_what_is_wrong() {
        let d = r#"{"criminal": {"dispatch_min": 2, "arrive_min": 10, "resolve_min": 60, "feedback_min": 600, "close_min": 6000}}"#;
        let parsed = parse_deadlines(d).unwrap();
        let settings = LiveSettings { deadlines: parsed, ..LiveSettings::default() };
        assert_eq!(settings.deadlines(Category::CRIMINAL).dispatch_min, 2);
        assert_eq!(settings.deadlines(Category::DISPUTE), model::workflow::Deadlines::default_for(Category::DISPUTE));
        assert!(parse_deadlines(r#"{"crime": {"dispatch_min": 2, "arrive_min": 10, "resolve_min": 60, "feedback_min": 600, "close_min": 6000}}"#).unwrap_err().contains("crime"));
        assert!(
            parse_deadlines(&d.replace("\"dispatch_min\": 2", "\"dispatch_min\": 0"))
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(parse_deadlines(r#"{"criminal": {"dispatch_min": 2}}"#).unwrap_err().contains("arrive_min"));
    }
}
