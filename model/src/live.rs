//! The live log: every change a command centre watches (a new incident, a status change, a unit's
//! position, an alert and its acknowledgement) is one event with a sequence number the store
//! assigns. The live feed streams events in `seq` order, so a client resumes after a reconnect, on
//! any instance, with `since=<last seq>`. The JSON shapes of each event's `data` are here too.

use crate::code::CellCode;
use crate::incident::{Category, Severity, Source, Status, Subcategory};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an event is about; its `as_str` is the feed message's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveKind {
    /// A new incident (`data`: [`IncidentData`]).
    Incident,
    /// An incident's status changed (`data`: [`IncidentChange`]).
    IncidentChanged,
    /// A report was linked to another report's event, or split off again (`data`: [`IncidentLink`]).
    IncidentLinked,
    /// A patrol unit's position or status (`data`: [`UnitState`]).
    Unit,
    /// An alert was raised (`data`: [`Alert`]).
    Alert,
    /// An alert was acknowledged (`data`: [`AlertAck`]).
    AlertAcked,
    /// A village's officer changed (`data`: [`crate::desk_book::AssignmentChange`]; subject:
    /// the village code). Desk kinds are never sent to live-feed subscribers.
    Assignment,
    /// A village officer recorded a visit (`data`: [`crate::desk_book::Visit`]; subject: the
    /// officer id).
    Visit,
    /// A dispute was registered (`data`: [`crate::desk_book::NewDispute`]; subject: the
    /// dispute id).
    Dispute,
    /// A dispute moved on: a status change, a mediation session or both (`data`:
    /// [`crate::desk_book::DisputeChange`]; subject: the dispute id).
    DisputeChanged,
    /// A backlog case got a leader in charge, a target date or a progress note (`data`:
    /// [`crate::desk_book::BacklogUpdate`]; subject: the incident or dispute id).
    BacklogCase,
    /// A special campaign (专项整治) was declared (`data`: [`crate::campaign::Campaign`];
    /// subject: the campaign id).
    Campaign,
    /// A village's monthly dispute screening was filed or corrected (`data`:
    /// [`crate::screening::ScreeningReport`]; subject: [`crate::screening::subject`]).
    Screening,
    /// A petition (信访) was registered (`data`: [`crate::desk_book::NewPetition`]; subject:
    /// the petition id).
    Petition,
    /// A petition moved on, was extended or noted (`data`: [`crate::desk_book::PetitionChange`];
    /// subject: the petition id).
    PetitionChanged,
    /// A leader's reception or visit of petitioners (接访下访) was put on the calendar (`data`:
    /// [`crate::desk_book::Reception`]; subject: its id).
    Reception,
    /// A county's forecast methods were backtested on its own incidents, and one chosen (`data`:
    /// [`crate::forecast_trial::ForecastTrial`]; subject: the county code).
    ForecastTrial,
}

impl LiveKind {
    /// Every kind.
    pub const ALL: [LiveKind; 17] = [
        LiveKind::Incident,
        LiveKind::IncidentChanged,
        LiveKind::IncidentLinked,
        LiveKind::Unit,
        LiveKind::Alert,
        LiveKind::AlertAcked,
        LiveKind::Assignment,
        LiveKind::Visit,
        LiveKind::Dispute,
        LiveKind::DisputeChanged,
        LiveKind::BacklogCase,
        LiveKind::Campaign,
        LiveKind::Screening,
        LiveKind::Petition,
        LiveKind::PetitionChanged,
        LiveKind::Reception,
        LiveKind::ForecastTrial,
    ];

    /// The desk's kinds (the village desk's, the leaders' campaigns and the forecast trials): kept in the log for
    /// every instance, never on the live feed (they carry personal data and have their own
    /// routes).
    pub const DESK: [LiveKind; 11] = [
        LiveKind::Assignment,
        LiveKind::Visit,
        LiveKind::Dispute,
        LiveKind::DisputeChanged,
        LiveKind::BacklogCase,
        LiveKind::Campaign,
        LiveKind::Screening,
        LiveKind::Petition,
        LiveKind::PetitionChanged,
        LiveKind::Reception,
        LiveKind::ForecastTrial,
    ];

    /// Whether this is one of [`LiveKind::DESK`].
    pub fn is_desk(self) -> bool {
        LiveKind::DESK.contains(&self)
    }

    /// Whether a writer may pack events of this kind into one live-log row ([`pack`]): kinds the
    /// store never looks up by `subject` (a packed row's `subject` column names its first event
    /// only).
    pub fn packs(self) -> bool {
        matches!(self, LiveKind::Incident | LiveKind::IncidentLinked | LiveKind::Unit | LiveKind::Alert)
    }

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveKind::Incident => "incident",
            LiveKind::IncidentChanged => "incident_changed",
            LiveKind::IncidentLinked => "incident_linked",
            LiveKind::Unit => "unit",
            LiveKind::Alert => "alert",
            LiveKind::AlertAcked => "alert_acked",
            LiveKind::Assignment => "assignment",
            LiveKind::Visit => "visit",
            LiveKind::Dispute => "dispute",
            LiveKind::DisputeChanged => "dispute_changed",
            LiveKind::BacklogCase => "backlog_case",
            LiveKind::Campaign => "campaign",
            LiveKind::Screening => "screening",
            LiveKind::Petition => "petition",
            LiveKind::PetitionChanged => "petition_changed",
            LiveKind::Reception => "reception",
            LiveKind::ForecastTrial => "forecast_trial",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<LiveKind> {
        LiveKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An event to append (the store assigns `seq`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLiveEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What it is.
    pub kind: LiveKind,
    /// The incident, unit or alert it is about (an alert's id is the `seq` of its `Alert` event).
    pub subject: u64,
    /// The cell it lies in, for region filters and jurisdiction (`None`: outside every cell).
    pub cell_code: Option<CellCode>,
    /// The incident category, for category filters.
    pub category: Option<Category>,
    /// Who did it (a username), if a person did.
    pub actor: Option<String>,
    /// The message's `data`, as JSON text.
    pub data: String,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// Store-assigned, increasing in commit order.
    pub seq: u64,
    /// The event.
    pub event: NewLiveEvent,
}

/// A row of the live log as stored. A row holds one event (`span` 1), or a run of `span`
/// consecutive events of one packable kind ([`LiveKind::packs`]) written together: then the row's
/// `seq` is its last event's and the others take the `span − 1` seqs below it, `at` is the latest
/// event's time, `subject` the first event's, `cell_code`, `category` and `actor` are empty, and
/// `data` is a JSON array of the events (`{"at", "subject", "cell_code", "category", "actor",
/// "data"}`). Readers see events, never rows ([`unpack`]). One row instead of one per event
/// (each with two index entries) is what lets a batch of 10,000 reports be logged at ingest
/// speed.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// The row's columns (a packed row's as above).
    pub event: NewLiveEvent,
    /// How many events the row holds, at least 1.
    pub span: u32,
}

/// Most events one packed row holds.
pub const MAX_SPAN: usize = 10_000;

/// The rows that log `events` in order: each run of two or more consecutive events of one
/// packable kind becomes one row (at most [`MAX_SPAN`] events), every other event a row of its
/// own. The rows' spans add up to `events.len()`.
pub fn pack(events: &[NewLiveEvent]) -> Vec<LogRow> {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < events.len() {
        let kind = events[start].kind;
        let mut end = start + 1;
        if kind.packs() {
            while end < events.len() && end - start < MAX_SPAN && events[end].kind == kind {
                end += 1;
            }
        }
        rows.push(pack_run(&events[start..end]));
        start = end;
    }
    rows
}

fn pack_run(run: &[NewLiveEvent]) -> LogRow {
    if let [one] = run {
        return LogRow { event: one.clone(), span: 1 };
    }
    let mut data = String::with_capacity(run.iter().map(|e| e.data.len() + 128).sum());
    data.push('[');
    for (k, e) in run.iter().enumerate() {
        if k > 0 {
            data.push(',');
        }
        data.push_str("{\"at\":\"");
        crate::time::format_utc_millis(e.at.timestamp_millis(), &mut data);
        data.push_str("\",\"subject\":");
        data.push_str(&e.subject.to_string());
        data.push_str(",\"cell_code\":");
        match e.cell_code {
            Some(c) => {
                data.push('"');
                data.push_str(&c.to_string());
                data.push('"');
            }
            None => data.push_str("null"),
        }
        data.push_str(",\"category\":");
        match e.category {
            Some(c) => {
                data.push('"');
                data.push_str(c.as_str());
                data.push('"');
            }
            None => data.push_str("null"),
        }
        data.push_str(",\"actor\":");
        match &e.actor {
            // A JSON string value's text, escaped; formatting a `Value` cannot fail.
            Some(a) => data.push_str(&serde_json::Value::String(a.clone()).to_string()),
            None => data.push_str("null"),
        }
        data.push_str(",\"data\":");
        data.push_str(if e.data.is_empty() { "null" } else { &e.data });
        data.push('}');
    }
    data.push(']');
    let first = &run[0];
    LogRow {
        event: NewLiveEvent {
            at: run.iter().map(|e| e.at).max().unwrap_or(first.at),
            kind: first.kind,
            subject: first.subject,
            cell_code: None,
            category: None,
            actor: None,
            data,
        },
        span: run.len() as u32,
    }
}

/// `events` as stored in `rows` (their [`pack`]), given each row's stored `seq` (its last
/// event's): every event with its own seq.
pub fn numbered(events: &[NewLiveEvent], rows: &[LogRow], row_seqs: &[u64]) -> Vec<LiveEvent> {
    let mut out = Vec::with_capacity(events.len());
    let mut members = events.iter();
    for (row, &last) in rows.iter().zip(row_seqs) {
        let first = last + 1 - u64::from(row.span);
        out.extend(
            members.by_ref().take(row.span as usize).zip(first..).map(|(e, seq)| LiveEvent { seq, event: e.clone() }),
        );
    }
    out
}

/// One event inside a packed row's `data`.
#[derive(Deserialize)]
struct Packed {
    at: DateTime<Utc>,
    subject: u64,
    cell_code: Option<CellCode>,
    category: Option<Category>,
    actor: Option<String>,
    data: Box<serde_json::value::RawValue>,
}

/// The events of a stored row whose `seq` is `seq` (its last event's), in order.
pub fn unpack(seq: u64, row: LogRow) -> Result<Vec<LiveEvent>, String> {
    if row.span <= 1 {
        return Ok(vec![LiveEvent { seq, event: row.event }]);
    }
    let span = u64::from(row.span);
    let bad = |why: String| format!("packed live-log row {seq}: {why}");
    let packed: Vec<Packed> = serde_json::from_str(&row.event.data).map_err(|e| bad(e.to_string()))?;
    if packed.len() as u64 != span || seq < span {
        return Err(bad(format!("{} events for a span of {span}", packed.len())));
    }
    let first = seq + 1 - span;
    Ok(packed
        .into_iter()
        .zip(first..)
        .map(|(p, seq)| {
            let data = p.data.get();
            LiveEvent {
                seq,
                event: NewLiveEvent {
                    at: p.at,
                    kind: row.event.kind,
                    subject: p.subject,
                    cell_code: p.cell_code,
                    category: p.category,
                    actor: p.actor,
                    data: if data == "null" { String::new() } else { data.to_owned() },
                },
            }
        })
        .collect())
}

/// `data` of an `incident` message: what the map needs to draw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentData {
    /// Incident id.
    pub id: u64,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Category.
    pub category: Category,
    /// Subcategory.
    pub subcategory: Option<Subcategory>,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: Status,
    /// Channel.
    pub source: Source,
    /// RFC 3339.
    pub occurred_at: DateTime<Utc>,
    /// RFC 3339.
    pub reported_at: DateTime<Utc>,
    /// Cell.
    pub cell_code: CellCode,
}

/// `data` of an `incident_changed` message, and one step of an incident's history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentChange {
    /// Incident id.
    pub id: u64,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Unit dispatched (dispatch) or the unit in charge.
    pub unit: Option<u64>,
    /// Reporter's satisfaction 1–5 (feedback).
    pub satisfaction: Option<u8>,
    /// Free text.
    pub note: Option<String>,
    /// A work order's step: the order as it stands after it (lead, 协办, returns, rework).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<crate::department::WorkOrder>,
    /// The department whose staff made the step (absent: the centre or an officer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_department: Option<crate::department::DepartmentCode>,
    /// Why the department sent the order back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::department::ReturnReason>,
    /// The reporter's verdict at the return visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::department::Verdict>,
    /// A note that left the status as it was (协办 or progress).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub note_only: bool,
    /// A police call closed as no police matter, diverted to the 综治 loop (非警务警情分流).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub diverted: bool,
    /// The type of the photo stored with the step (a department's 办结), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    /// Username of who did it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// `data` of an `incident_linked` message: several reports of one event (一事多报) are linked to
/// the first report, which carries the event; splitting sets `event` to `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentLink {
    /// The report linked (or split off).
    pub id: u64,
    /// The first report of the event it belongs to (`None`: its own event again).
    pub event: Option<u64>,
    /// Who linked it (`auto` when the rule did).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A patrol unit's duty status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Free to be dispatched.
    Available,
    /// On an incident.
    Busy,
    /// Not on duty.
    OffDuty,
}

impl UnitStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Available => "available",
            UnitStatus::Busy => "busy",
            UnitStatus::OffDuty => "off_duty",
        }
    }
}

/// `data` of a `unit` message: where a patrol unit is and whether it can be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitState {
    /// Unit id (the patrol unit's resource id).
    pub id: u64,
    /// Name.
    pub name: String,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Duty status.
    pub status: UnitStatus,
    /// The incident it is on, when busy.
    pub incident: Option<u64>,
    /// Time of the last report.
    pub at: DateTime<Utc>,
}

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A cell became a significant hot spot (Gi*, FDR) in the live window.
    Hotspot,
    /// A new incident opened a near-repeat window around it (same category, close in space and time
    /// to an earlier one).
    NearRepeat,
    /// An incident inside a key place's geofence.
    Geofence,
    /// An open incident passed its deadline and went up a level.
    Overdue,
    /// A backlog case in a leader's charge nears its target date, or passed it (领导包案提醒).
    CaseReminder,
}

impl AlertKind {
    /// Every kind, in the order the alert tray lists them.
    pub const ALL: [AlertKind; 5] =
        [AlertKind::Geofence, AlertKind::Hotspot, AlertKind::Overdue, AlertKind::CaseReminder, AlertKind::NearRepeat];

    /// Whether a new alert of this kind is announced over the map at once (an incident at a key
    /// place, a new significant hot spot); the others wait in the alert tray.
    pub fn is_urgent(self) -> bool {
        match self {
            AlertKind::Geofence | AlertKind::Hotspot => true,
            AlertKind::NearRepeat | AlertKind::Overdue | AlertKind::CaseReminder => false,
        }
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Hotspot => "hotspot",
            AlertKind::NearRepeat => "near_repeat",
            AlertKind::Geofence => "geofence",
            AlertKind::Overdue => "overdue",
            AlertKind::CaseReminder => "case_reminder",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            AlertKind::Hotspot => "热点预警",
            AlertKind::NearRepeat => "近重复预警",
            AlertKind::Geofence => "重点场所预警",
            AlertKind::Overdue => "超时督办",
            AlertKind::CaseReminder => "包案提醒",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            AlertKind::Hotspot => "hot spot",
            AlertKind::NearRepeat => "near-repeat",
            AlertKind::Geofence => "key place",
            AlertKind::Overdue => "overdue",
            AlertKind::CaseReminder => "case reminder",
        }
    }
}

/// `data` of an `alert` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Alert id: the `seq` of the event that raised it (0 before it is stored).
    pub id: u64,
    /// What raised it.
    pub kind: AlertKind,
    /// The cell concerned.
    pub cell_code: CellCode,
    /// The incident that raised it, if one did.
    pub incident: Option<u64>,
    /// The key place concerned (geofence).
    pub place: Option<u64>,
    /// WGS84 longitude of what to look at.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Text in Chinese.
    pub message_zh: String,
    /// Text in English.
    pub message_en: String,
    /// When raised.
    pub at: DateTime<Utc>,
    /// Who acknowledged it (alert lists only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_by: Option<String>,
    /// When it was acknowledged (alert lists only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_at: Option<DateTime<Utc>>,
    /// The backlog case a case reminder is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<AlertCase>,
}

/// The backlog case of a [`AlertKind::CaseReminder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCase {
    /// An event, a dispute or a petition.
    pub origin: crate::desk_book::CaseOrigin,
    /// Its id.
    pub id: u64,
    /// Near or past the target date.
    pub reminder: crate::desk::Reminder,
    /// The target date (China calendar day).
    pub target_date: chrono::NaiveDate,
    /// The leader's account in charge.
    pub leader_user: Option<String>,
}

/// `data` of an `alert_acked` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertAck {
    /// The alert.
    pub id: u64,
    /// Username.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// One open incident in the event queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    /// Incident id.
    pub id: u64,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: Status,
    /// Cell.
    pub cell_code: CellCode,
    /// When reported.
    pub reported_at: DateTime<Utc>,
    /// When it entered its status.
    pub entered_at: DateTime<Utc>,
    /// When the current stage is due.
    pub due_at: DateTime<Utc>,
    /// Seconds until due (negative: overdue).
    pub due_in_s: i64,
    /// The level it has been escalated to when overdue (`village`, `township`, `county`, `city`).
    pub escalated_to: Option<crate::code::RegionLevel>,
    /// The unit in charge.
    pub unit: Option<u64>,
    /// Reports of this event (1 + those linked to it, 一事多报).
    #[serde(default)]
    pub reports: usize,
    /// A work order's lead department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<crate::department::DepartmentCode>,
}

/// `GET /api/queue` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// Open incidents matching (before the limit).
    pub total: usize,
    /// The server's now.
    pub now: DateTime<Utc>,
    /// Most urgent first.
    pub items: Vec<QueueItem>,
}

/// One message of the live feed (`GET /api/live`): `{"type", "seq", "data"}`. The first is
/// `{"type":"hello","seq":N}` (no data: the feed continues after N); the others carry a live-log
/// event, `type` being its [`LiveKind`] and `data` its own shape ([`IncidentData`],
/// [`UnitState`], [`Alert`], [`AlertAck`], …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedMessage {
    /// `hello` or a [`LiveKind`] name.
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's `seq` (for `hello`: the last one before the feed starts).
    pub seq: u64,
    /// The event's data (`null` for `hello`).
    #[serde(default)]
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: LiveKind, k: u64) -> NewLiveEvent {
        let at = DateTime::from_timestamp_millis(1_764_000_000_123 + k as i64 * 1_001).unwrap();
        NewLiveEvent {
            at,
            kind,
            subject: 100 + k,
            cell_code: (!k.is_multiple_of(3)).then(|| CellCode::parse("620602100201001").unwrap()),
            category: (k.is_multiple_of(2)).then_some(Category::PUBLIC_ORDER),
            actor: (k % 4 == 1).then(|| format!("王警官 \"{k}\" \\ ok")),
            data: if k % 5 == 4 {
                String::new()
            } else {
                format!(r#"{{"id":{k},"note":"巡逻 \"{k}\"","xs":[1,2.5,null]}}"#)
            },
        }
    }

    /// Writes `rows` as a store does (each row's seq is the previous row's plus its span) and
    /// reads them back; checks that what the writer answers ([`numbered`]) is what is read.
    fn store_and_read(events: &[NewLiveEvent], rows: Vec<LogRow>, last_seq: u64) -> Vec<LiveEvent> {
        let row_seqs: Vec<u64> = rows
            .iter()
            .scan(last_seq, |seq, row| {
                *seq += u64::from(row.span);
                Some(*seq)
            })
            .collect();
        let answered = numbered(events, &rows, &row_seqs);
        let read: Vec<LiveEvent> =
            rows.into_iter().zip(&row_seqs).flat_map(|(row, &seq)| unpack(seq, row).unwrap()).collect();
        assert_eq!(answered, read);
        read
    }

    #[test]
    fn packing_groups_runs_of_packable_kinds_and_reads_back_every_event() {
        use LiveKind::*;
        let kinds =
            [Incident, Incident, Incident, IncidentChanged, Incident, Alert, Alert, Unit, Visit, Visit, IncidentLinked];
        let events: Vec<NewLiveEvent> = kinds.iter().enumerate().map(|(k, &kind)| ev(kind, k as u64)).collect();
        let rows = pack(&events);
        let spans: Vec<u32> = rows.iter().map(|r| r.span).collect();
        // Desk kinds and status changes are never packed (the store looks them up by subject).
        assert_eq!(spans, [3, 1, 1, 2, 1, 1, 1, 1]);
        assert_eq!(rows[0].event.at, events[2].at);
        assert_eq!(
            (rows[0].event.cell_code, rows[0].event.category, rows[0].event.actor.as_deref()),
            (None, None, None)
        );
        let read = store_and_read(&events, rows, 41);
        assert_eq!(read.len(), events.len());
        for (k, (got, want)) in read.iter().zip(&events).enumerate() {
            assert_eq!(got.seq, 42 + k as u64);
            assert_eq!(&got.event, want, "event {k}");
        }
    }

    #[test]
    fn a_packed_row_holds_at_most_max_span_events() {
        let events: Vec<NewLiveEvent> = (0..MAX_SPAN as u64 + 3).map(|k| ev(LiveKind::Incident, k)).collect();
        let rows = pack(&events);
        assert_eq!(rows.iter().map(|r| r.span).collect::<Vec<_>>(), [MAX_SPAN as u32, 3]);
        let read = store_and_read(&events, rows, 0);
        assert_eq!(read.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=MAX_SPAN as u64 + 3).collect::<Vec<_>>());
        assert_eq!(read.last().map(|e| &e.event), events.last());
    }

    #[test]
    fn a_damaged_packed_row_is_an_error_naming_its_seq() {
        let mut row = pack(&[ev(LiveKind::Unit, 1), ev(LiveKind::Unit, 2)]).remove(0);
        row.span = 3;
        let err = unpack(9, row.clone()).unwrap_err();
        assert!(err.contains("row 9") && err.contains("span of 3"), "{err}");
        row.span = 2;
        row.event.data.truncate(10);
        assert!(unpack(9, row).unwrap_err().contains("row 9"));
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for k in LiveKind::ALL {
            assert_eq!(LiveKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert_eq!(LiveKind::parse("incidents"), None);
        assert_eq!(serde_json::to_string(&UnitStatus::OffDuty).unwrap(), "\"off_duty\"");
    }

    #[test]
    fn alert_kinds_are_listed_once_by_their_wire_names() {
        for k in AlertKind::ALL {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        let distinct: std::collections::HashSet<AlertKind> = AlertKind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), AlertKind::ALL.len());
        for k in [
            AlertKind::Hotspot,
            AlertKind::NearRepeat,
            AlertKind::Geofence,
            AlertKind::Overdue,
            AlertKind::CaseReminder,
        ] {
            assert!(AlertKind::ALL.contains(&k), "{k:?} is missing from the tray's list");
        }
    }
}
