//! JSON answers of the village desk's routes (一村一警): village profiles, officers' workload and
//! rebalancing, the officer's desk, visits, disputes and their statistics, the backlog (积案)
//! board. The server builds them (`server::desk`, `server::desk_records`), the frontend reads
//! them; the field names are the wire format.

use crate::code::{CellCode, RegionCode, RegionLevel};
use crate::desk::{AGE_BANDS, BacklogLimits, CaseTag, DisputeKind, DisputeStatus, MediationTrack, Referral, Reminder};
use crate::desk_book::{
    AssignmentChange, BacklogUpdate, CaseOrigin, DisputeChange, JudicialConfirmation, MediationSession,
};
use crate::incident::{Category, Status};
use crate::live::{Alert, QueueItem};
use crate::scorecard::Month;
use crate::screening::RiskGrade;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A region named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    /// Its code.
    pub code: RegionCode,
    /// Its name.
    pub name: String,
}

/// A grid cell named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRef {
    /// Its code.
    pub code: CellCode,
    /// Its name.
    pub name: String,
    /// Resident population, people.
    pub population: u64,
}

/// A point resource in a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Resource id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Sub-type (school, hospital, market …), if any.
    pub subtype: Option<String>,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
}

/// An officer covering a village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerRef {
    /// Officer id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Police number (警号).
    pub badge: String,
    /// Their police station's name.
    pub station: Option<String>,
}

/// Incidents of one category in a village profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// Category (API name).
    pub category: Category,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Incidents in the profile's recent window (the last 90 days).
    pub count: u32,
}

/// An open event of a village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenEvent {
    /// Incident id.
    pub id: u64,
    /// Category.
    pub category: Category,
    /// Status.
    pub status: Status,
    /// Reported at (UTC).
    pub reported_at: DateTime<Utc>,
    /// Cell.
    pub cell_code: CellCode,
}

/// `GET /api/villages/{code}`: a village's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageProfile {
    /// The village.
    pub village: Named,
    /// Its township.
    pub township: Option<Named>,
    /// Its county.
    pub county: Option<Named>,
    /// Resident population, people.
    pub population: u64,
    /// Households.
    pub households: u64,
    /// Whether boundary and figures are synthetic (the demo's are).
    pub synthetic: bool,
    /// Grid cells.
    pub cells: Vec<CellRef>,
    /// Grid workers (网格员).
    pub grid_workers: Vec<Place>,
    /// Key places (重点场所).
    pub key_places: Vec<Place>,
    /// Officers assigned (一村一警).
    pub officers: Vec<OfficerRef>,
    /// The township's police station.
    pub station: Option<Place>,
    /// Incidents in the last 90 days.
    pub incidents: u32,
    /// The same by category, largest first.
    pub categories: Vec<CategoryCount>,
    /// Incidents per week, oldest first (12 weeks ending now).
    pub weekly: Vec<u32>,
    /// Open events (not closed), all time.
    pub open_events: u32,
    /// The 20 newest open events.
    pub open_list: Vec<OpenEvent>,
    /// Cells with a hot-spot alert in the last 7 days.
    pub hot_cells: Vec<CellCode>,
    /// Near-repeat alerts in the village in the last 7 days.
    pub near_repeat_alerts: usize,
    /// Rank of the village among its county's villages in the caller's jurisdiction by recent
    /// incidents (1 = busiest).
    pub county_rank: usize,
    /// Villages of its county in the caller's jurisdiction.
    pub county_villages: usize,
}

/// A village in a workload answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageLoad {
    /// Code.
    pub code: RegionCode,
    /// Name.
    pub name: String,
    /// Population, people.
    pub population: u64,
    /// Incidents in the last 90 days.
    pub incidents: u32,
    /// Open events.
    pub open_events: u32,
    /// Workload index: population ÷ 1,000 + incidents of the last 90 days ÷ 10 + open events.
    pub load: f64,
}

/// One officer's workload inside the caller's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerLoad {
    /// The officer.
    pub officer: OfficerRef,
    /// Their villages inside the scope.
    pub villages: Vec<VillageLoad>,
    /// Population served, people.
    pub population: u64,
    /// Incidents in the last 90 days.
    pub incidents: u32,
    /// Open events.
    pub open_events: u32,
    /// Mean straight-line distance from the station to their villages, km.
    pub mean_distance_km: f64,
    /// Sum of the villages' workload indexes.
    pub load: f64,
    /// Open disputes in their villages.
    pub open_disputes: u32,
    /// Visits they recorded to these villages in the visit window (the last 28 days).
    pub visits_done: u32,
    /// Visits due in that window (one per village every [`crate::desk::VISIT_EVERY_DAYS`]).
    pub visits_due: u32,
}

/// `GET /api/workload`: officers' workload and the villages nobody covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Per officer, heaviest first.
    pub officers: Vec<OfficerLoad>,
    /// Villages of the scope without an officer (flagged).
    pub unassigned: Vec<VillageLoad>,
    /// How the workload index is made, Chinese.
    pub load_formula_zh: String,
    /// The same in English.
    pub load_formula_en: String,
}

/// One suggested reassignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reassignment {
    /// The village.
    pub village: Named,
    /// Its officer now (None: uncovered).
    pub from: Option<OfficerRef>,
    /// The officer suggested.
    pub to: OfficerRef,
    /// The village's workload index.
    pub load: f64,
}

/// `GET /api/workload/rebalance`: a suggestion for the officers of a region (contiguous
/// villages, similar load).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebalanceSuggestion {
    /// Moves, in the order the heuristic made them (covering the uncovered villages first).
    pub moves: Vec<Reassignment>,
    /// Max ÷ mean officer load now (1 = even).
    pub spread_before: f64,
    /// The same after the moves.
    pub spread_after: f64,
    /// Officers considered, with their load now and after.
    pub officers: Vec<(OfficerRef, f64, f64)>,
}

/// A visit as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitView {
    /// Its id (the record's `seq`).
    pub id: u64,
    /// The officer.
    pub officer: Option<OfficerRef>,
    /// The village.
    pub village: Named,
    /// When (UTC).
    pub visited_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// Whom.
    pub people_met: String,
    /// Notes.
    pub notes: String,
    /// WGS84 longitude, degrees, if recorded.
    pub lon: Option<f64>,
    /// WGS84 latitude, degrees.
    pub lat: Option<f64>,
    /// `GET` address of the photo, if one is stored.
    pub photo_url: Option<String>,
    /// Recorded by.
    pub by: String,
    /// Recorded at (UTC).
    pub at: DateTime<Utc>,
}

/// A status a dispute may move to next, labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    /// The status.
    pub to: DisputeStatus,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
}

/// One change in a dispute's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeStep {
    /// Its `seq`.
    pub seq: u64,
    /// The change.
    #[serde(flatten)]
    pub change: DisputeChange,
}

/// A dispute as listed (`GET /api/disputes/{id}`, and the answer of its writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub kind_zh: String,
    /// Kind, English.
    pub kind_en: String,
    /// Current track.
    pub track: MediationTrack,
    /// Track, Chinese.
    pub track_zh: String,
    /// Track, English.
    pub track_en: String,
    /// Status.
    pub status: DisputeStatus,
    /// Status, Chinese.
    pub status_zh: String,
    /// Status, English.
    pub status_en: String,
    /// Title.
    pub title: String,
    /// Parties.
    pub parties: String,
    /// Summary.
    pub summary: String,
    /// Current mediator.
    pub mediator: String,
    /// The current mediator's id on the village's roster, when they are on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator_id: Option<u64>,
    /// Who the current mediator is (村干部, 法律明白人, 人民调解员, 乡贤), when on the roster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator_role: Option<crate::desk::MediatorRole>,
    /// Incident it came from.
    pub incident: Option<u64>,
    /// When it arose (UTC).
    pub opened_at: DateTime<Utc>,
    /// Registered by.
    pub registered_by: String,
    /// Sessions, oldest first.
    pub sessions: Vec<MediationSession>,
    /// Changes, oldest first.
    pub history: Vec<DisputeStep>,
    /// When closed (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// Latest outcome.
    pub outcome: String,
    /// 诉调对接: the court's reference when the court referred it to mediation.
    pub court_reference: Option<String>,
    /// Where the parties took it, when closed as referred.
    pub referral: Option<Referral>,
    /// The referral, Chinese.
    pub referral_zh: Option<String>,
    /// The referral, English.
    pub referral_en: Option<String>,
    /// When the parties agreed (UTC).
    pub agreed_at: Option<DateTime<Utc>>,
    /// The court's confirmation of the agreement (司法确认), if recorded.
    pub confirmation: Option<JudicialConfirmation>,
    /// Whether a confirmation may be recorded now (an agreement of people's mediation without one).
    pub confirmation_allowed: bool,
    /// The last day the parties may apply for judicial confirmation (30 days after the
    /// agreement, China calendar), while one may be recorded.
    pub confirmation_apply_by: Option<NaiveDate>,
    /// Days open (to now, or to its closing).
    pub age_days: i64,
    /// Whether it is a backlog case now.
    pub backlog: bool,
    /// The statuses it may move to now.
    pub next_steps: Vec<NextStep>,
}

/// `GET /api/disputes`: a page of disputes, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeList {
    /// Disputes matching the query, before `limit`.
    pub total: usize,
    /// The first `limit` of them.
    pub items: Vec<DisputeView>,
}

/// `GET /api/visits`: visits, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitList {
    /// The visits (at most `limit`).
    pub items: Vec<VisitView>,
}

/// Counts of one group of disputes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// Disputes of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindCount {
    /// Kind.
    pub kind: DisputeKind,
    /// Chinese.
    pub label_zh: String,
    /// English.
    pub label_en: String,
    /// Counts.
    #[serde(flatten)]
    pub count: DisputeCount,
}

/// Disputes of one village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageDisputes {
    /// The village.
    pub village: Named,
    /// Counts.
    #[serde(flatten)]
    pub count: DisputeCount,
    /// All disputes by kind (API name → count).
    pub by_kind: BTreeMap<String, u32>,
}

/// `GET /api/disputes/stats`: dispute statistics of a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeStats {
    /// Everything.
    #[serde(flatten)]
    pub count: DisputeCount,
    /// By kind, in display order.
    pub by_kind: Vec<KindCount>,
    /// By village, busiest first.
    pub by_village: Vec<VillageDisputes>,
    /// By current status (API name → count).
    pub by_status: BTreeMap<String, u32>,
    /// By current track (API name → count).
    pub by_track: BTreeMap<String, u32>,
}

/// A backlog case (积案).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// When it was opened (reported, or the dispute arose), UTC.
    pub opened_at: DateTime<Utc>,
    /// Days open.
    pub age_days: i64,
    /// Age band 0–3 ([`crate::desk::age_band`]).
    pub band: u8,
    /// Band, Chinese.
    pub band_zh: String,
    /// Band, English.
    pub band_en: String,
    /// The limit it passed, in days.
    pub limit_days: i64,
    /// The leader in charge (领导包案).
    pub leader_in_charge: Option<String>,
    /// The leader's account (username), when bound to one.
    pub leader_user: Option<String>,
    /// 骨头案 / 钉子案.
    pub tag: Option<CaseTag>,
    /// The tag, Chinese.
    pub tag_zh: Option<String>,
    /// The tag, English.
    pub tag_en: Option<String>,
    /// The department responsible beside the local region.
    pub department: Option<String>,
    /// The target date (China calendar day).
    pub target_date: Option<NaiveDate>,
    /// Whether the target date has passed (China time).
    pub target_missed: bool,
    /// Progress notes, oldest first.
    pub updates: Vec<BacklogUpdate>,
    /// Where (the event's point; a dispute's village): WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
}

/// Backlog counts of one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// `GET /api/backlog`: the backlog clearance board (积案清零) of a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacklogBoard {
    /// The server's now (UTC).
    pub now: DateTime<Utc>,
    /// The limits used.
    pub limits: BacklogLimits,
    /// Cases.
    pub total: u32,
    /// Of them 综治 events.
    pub events: u32,
    /// Of them disputes.
    pub disputes: u32,
    /// Of them petitions.
    pub petitions: u32,
    /// Police 110 events open past `limits.event_days` (超期未结): shown apart, not backlog.
    pub police_overdue: u32,
    /// The oldest of them (at most 200).
    pub police_overdue_cases: Vec<BacklogCaseView>,
    /// By age band.
    pub by_band: [u32; AGE_BANDS as usize],
    /// Band labels, Chinese.
    pub band_labels_zh: [String; AGE_BANDS as usize],
    /// Band labels, English.
    pub band_labels_en: [String; AGE_BANDS as usize],
    /// With a leader in charge.
    pub with_leader: u32,
    /// Past their target date.
    pub target_missed: u32,
    /// Per county, then per township (largest first within each level); only areas wholly
    /// inside the scope.
    pub areas: Vec<AreaBacklog>,
    /// For each of the last 12 weeks (oldest first): how many of today's cases, and of the
    /// disputes closed since, were already backlog cases at the week's end. Events closed since
    /// are not counted, so the trend shows how today's backlog built up.
    pub weekly: Vec<u32>,
    /// The oldest cases (at most 200); the counts cover all.
    pub cases: Vec<BacklogCaseView>,
}

/// One of the officer's villages on the desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskVillage {
    /// The village.
    pub village: Named,
    /// Population, people (synthetic in the demo).
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
    /// WGS84 bounding box `[west, south, east, north]`, degrees, for the map.
    pub bbox: [f64; 4],
}

/// A task on the desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskTask {
    /// `visit`, `event`, `dispute`, `backlog`, `screening` or `petition`.
    pub kind: String,
    /// The village.
    pub village: Named,
    /// The incident, dispute or case id (none for a visit).
    pub id: Option<u64>,
    /// What to do, Chinese.
    pub title_zh: String,
    /// The same in English.
    pub title_en: String,
    /// When due (UTC).
    pub due_at: Option<DateTime<Utc>>,
    /// Whether overdue.
    pub overdue: bool,
}

/// `GET /api/desk`: a village officer's desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desk {
    /// The server's now (UTC).
    pub now: DateTime<Utc>,
    /// The officer.
    pub officer: OfficerRef,
    /// Their villages.
    pub villages: Vec<DeskVillage>,
    /// Today's tasks: overdue first, then by due time.
    pub tasks: Vec<DeskTask>,
    /// Open events to follow up (reported in the last [`crate::desk::EVENT_BACKLOG_DAYS`] days,
    /// most urgent first; older ones are backlog cases).
    pub events: Vec<QueueItem>,
    /// Visits of the last 28 days in their villages, newest first.
    pub visits: Vec<VisitView>,
    /// Open disputes in their villages.
    pub disputes: Vec<DisputeView>,
    /// Near-repeat alerts of the last 28 days in their villages, newest first.
    pub alerts: Vec<Alert>,
    /// Backlog cases in their villages, oldest first.
    pub backlog: Vec<BacklogCaseView>,
}

/// `POST /api/assignments` answer: the assignment change as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRecorded {
    /// The change's `seq` in the live log (the village's new assignment version).
    pub seq: u64,
    /// The change.
    pub assignment: AssignmentChange,
}

/// One assignment change in `GET /api/assignments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentEntry {
    /// Its `seq` in the live log.
    pub seq: u64,
    /// The village's name.
    pub village: Option<String>,
    /// The new officer's name (`None`: uncovered, or an unknown officer).
    pub officer_name: Option<String>,
    /// The previous officer's name.
    pub previous_name: Option<String>,
    /// The change.
    pub change: AssignmentChange,
}

/// `GET /api/assignments`: assignment changes, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentList {
    /// The changes (at most `limit`).
    pub items: Vec<AssignmentEntry>,
}

/// `POST /api/backlog/{origin}/{id}` answer: the update as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacklogUpdateRecorded {
    /// The update's `seq` in the live log.
    pub seq: u64,
    /// The update.
    pub update: BacklogUpdate,
}

/// The body of `POST /api/assignments`: give a village to an officer (or to nobody).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The village's 12-digit code.
    pub village: String,
    /// The officer; `null` leaves the village uncovered.
    pub officer: Option<u64>,
    /// Why (optional).
    #[serde(default)]
    pub note: String,
    /// The assignment version the caller saw (`seq`; 0 for the roster); default: the current.
    pub version: Option<u64>,
}

/// A photo in a request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoBody {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// The image, base64 (standard alphabet).
    pub data: String,
}

/// The body of `POST /api/visits`: a visit the signed-in village officer made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// The village's 12-digit code.
    pub village: String,
    /// When (UTC; default: now).
    pub visited_at: Option<DateTime<Utc>>,
    /// Where.
    pub place: String,
    /// Whom.
    #[serde(default)]
    pub people_met: String,
    /// Notes.
    #[serde(default)]
    pub notes: String,
    /// WGS84 longitude, degrees (with `lat`, inside the village).
    pub lon: Option<f64>,
    /// WGS84 latitude, degrees.
    pub lat: Option<f64>,
    /// A photo (≤ 2 MiB decoded).
    pub photo: Option<PhotoBody>,
}

/// The body of `POST /api/disputes`: a dispute to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// The village's 12-digit code.
    pub village: String,
    /// Kind (API name of a [`DisputeKind`]).
    pub kind: String,
    /// Track (API name of a [`MediationTrack`]; default: `peoples`).
    pub track: Option<String>,
    /// A short title.
    pub title: String,
    /// The parties.
    pub parties: String,
    /// What happened.
    #[serde(default)]
    pub summary: String,
    /// The mediator in charge (may be left out when `mediator_id` names them).
    #[serde(default)]
    pub mediator: String,
    /// The mediator's id on the village's roster (`GET /api/mediators?village=`).
    pub mediator_id: Option<u64>,
    /// When it arose (UTC; default: now).
    pub opened_at: Option<DateTime<Utc>>,
    /// The incident it came from, if any.
    pub incident: Option<u64>,
    /// 诉调对接: the court's reference (案号) when the people's court referred the case.
    pub court_reference: Option<String>,
}

/// A person on a village's mediator roster (`GET /api/mediators?region=`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediatorView {
    /// Id on the roster (a dispute's `mediator_id`).
    pub id: u64,
    /// Name.
    pub name: String,
    /// Who they are.
    pub role: crate::desk::MediatorRole,
    /// Role, Chinese.
    pub role_zh: String,
    /// Role, English.
    pub role_en: String,
    /// The village.
    pub village: Named,
    /// Phone (masked for roles that do not handle cases: 138****1234).
    pub phone: Option<String>,
}

/// A session in a transition body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    /// When it was held (UTC; default: now).
    pub held_at: Option<DateTime<Utc>>,
    /// Who mediated (default: the mediator in charge).
    pub mediator: Option<String>,
    /// What was said and agreed.
    #[serde(default)]
    pub notes: String,
}

/// The body of `POST /api/disputes/{id}/transitions`: a status change, a session, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeStepBody {
    /// The status to move to (API name of a [`DisputeStatus`]).
    pub to: Option<String>,
    /// A session held.
    pub session: Option<SessionBody>,
    /// The agreement, or why mediation failed or the case closed.
    #[serde(default)]
    pub outcome: String,
    /// A new mediator in charge.
    pub mediator: Option<String>,
    /// A new mediator in charge, by their id on the village's roster.
    pub mediator_id: Option<u64>,
    /// Where the parties took it (API name of a [`Referral`]): required with `to: referred`.
    pub referral: Option<String>,
    /// The court's confirmation of the agreement (司法确认).
    pub confirmation: Option<ConfirmationBody>,
    /// The dispute's `version` the caller saw; default: the current.
    pub version: Option<u64>,
}

/// A judicial confirmation in a transition body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationBody {
    /// The court.
    pub court: String,
    /// The ruling's reference (案号).
    pub reference: String,
    /// The day of the ruling (not in the future).
    pub confirmed_on: NaiveDate,
}

/// A case in a leader's charge, with its reminder (`GET /api/my-cases`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyCase {
    /// The case.
    #[serde(flatten)]
    pub case: BacklogCaseView,
    /// Its reminder now, if any.
    pub reminder: Option<Reminder>,
    /// The reminder, Chinese.
    pub reminder_zh: Option<String>,
    /// The reminder, English.
    pub reminder_en: Option<String>,
}

/// `GET /api/my-cases`: the backlog cases in the signed-in leader's charge, reminders first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyCases {
    /// The server's now (UTC).
    pub now: DateTime<Utc>,
    /// Of them with the target date at most 7 days away.
    pub due_soon: u32,
    /// Of them past the target date.
    pub missed: u32,
    /// The cases: missed, then due soon, then by target date.
    pub cases: Vec<MyCase>,
}

/// The body of `POST /api/backlog/{origin}/{id}`: take charge of a backlog case or note progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacklogBody {
    /// The leader who takes personal charge (领导包案), as the case names them.
    pub leader_in_charge: Option<String>,
    /// The leader's account (a township, county or city user whose jurisdiction holds the case).
    pub leader_user: Option<String>,
    /// 骨头案 (`bone`) or 钉子案 (`nail`).
    pub tag: Option<String>,
    /// The department responsible beside the local region.
    pub department: Option<String>,
    /// The date to clear it by (China calendar day, not in the past).
    pub target_date: Option<NaiveDate>,
    /// A progress note.
    #[serde(default)]
    pub note: String,
}

/// A dispute named in a screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeRef {
    /// Its id.
    pub id: u64,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: DisputeKind,
    /// Kind, Chinese.
    pub kind_zh: String,
    /// Kind, English.
    pub kind_en: String,
    /// Its status now.
    pub status: DisputeStatus,
}

/// One village's screening of a month (`POST /api/screenings` answers it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningView {
    /// The village.
    pub village: Named,
    /// The month, `YYYY-MM`.
    pub month: Month,
    /// 零报告.
    pub zero_report: bool,
    /// The disputes found (those of the desk still known).
    pub disputes: Vec<DisputeRef>,
    /// Risk grade.
    pub risk: RiskGrade,
    /// Risk grade, Chinese (红 …).
    pub risk_zh: String,
    /// Risk grade, English.
    pub risk_en: String,
    /// What was checked and found.
    pub notes: String,
    /// Who filed the latest version.
    pub by: String,
    /// When it was first filed (UTC): on time is judged by it.
    pub first_filed_at: DateTime<Utc>,
    /// When the latest version was filed (UTC).
    pub filed_at: DateTime<Utc>,
    /// Whether the first filing was by the due time.
    pub on_time: bool,
    /// Versions filed (1: never corrected).
    pub versions: u32,
    /// Name it when correcting the screening.
    pub version: u64,
}

/// Where a village's screening of a month stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningState {
    /// Filed by the due time.
    OnTime,
    /// Filed after the due time.
    Late,
    /// Not filed, and the due time has passed.
    Overdue,
    /// Not filed, not due yet.
    Pending,
}

impl ScreeningState {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Late => "late",
            Self::Overdue => "overdue",
            Self::Pending => "pending",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::OnTime => "按时上报",
            Self::Late => "逾期补报",
            Self::Overdue => "逾期未报",
            Self::Pending => "待排查",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::OnTime => "filed on time",
            Self::Late => "filed late",
            Self::Overdue => "overdue",
            Self::Pending => "not yet filed",
        }
    }
}

/// One village on the screening board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageScreening {
    /// The village.
    pub village: Named,
    /// Where its screening stands.
    pub state: ScreeningState,
    /// The state, Chinese.
    pub state_zh: String,
    /// The state, English.
    pub state_en: String,
    /// The screening, if filed.
    pub screening: Option<ScreeningView>,
}

/// `GET /api/screenings?region=&month=`: every village of the jurisdiction and its screening of
/// the month, overdue first, then red to green, then by code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningBoard {
    /// The month.
    pub month: Month,
    /// When its screenings are due (UTC).
    pub due_at: DateTime<Utc>,
    /// Villages in the jurisdiction.
    pub villages_total: u32,
    /// Of them filed on time.
    pub on_time: u32,
    /// Filed late.
    pub late: u32,
    /// Overdue.
    pub overdue: u32,
    /// Not yet due and not filed.
    pub pending: u32,
    /// Zero reports among the filed.
    pub zero_reports: u32,
    /// Filed screenings by risk grade (红, 橙, 黄, 绿).
    pub by_risk: [u32; 4],
    /// The villages (at most `limit`, overdue first).
    pub villages: Vec<VillageScreening>,
}

/// The body of `POST /api/screenings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningBody {
    /// The village's 12-digit code.
    pub village: String,
    /// The month screened, `YYYY-MM` (default: this month).
    pub month: Option<String>,
    /// 零报告: nothing found.
    pub zero_report: bool,
    /// The desk's disputes found (ids, in this village); empty for a zero report.
    #[serde(default)]
    pub disputes: Vec<u64>,
    /// Risk grade (API name of a [`RiskGrade`]: red, orange, yellow, green).
    pub risk: String,
    /// What was checked and found.
    #[serde(default)]
    pub notes: String,
    /// The version corrected (the screening's `version`); none for a first filing.
    pub version: Option<u64>,
}

#[cfg(test)]
mod tests {
    //! The frontend reads what the server writes: every top-level answer survives a JSON round
    //! trip unchanged, and keeps the wire names the integration tests read.
    use super::*;
    use crate::incident::Severity;
    use crate::live::AlertKind;
    use serde::de::DeserializeOwned;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    fn village() -> Named {
        Named { code: "620602100001".parse().unwrap(), name: "东关村".into() }
    }

    fn cell() -> CellCode {
        CellCode::new(village().code, 3).unwrap()
    }

    fn officer() -> OfficerRef {
        OfficerRef { id: 7, name: "王警官".into(), badge: "620001".into(), station: Some("东关派出所".into()) }
    }

    fn dispute() -> DisputeView {
        let change = DisputeChange {
            id: 3,
            to: Some(DisputeStatus::Mediating),
            session: Some(MediationSession { held_at: at(60), mediator: "李".into(), notes: "谈".into() }),
            outcome: String::new(),
            mediator: None,
            mediator_id: None,
            referral: None,
            confirmation: None,
            by: "v1".into(),
            at: at(120),
        };
        DisputeView {
            id: 3,
            version: 11,
            village: village(),
            kind: DisputeKind::Neighbour,
            kind_zh: "邻里".into(),
            kind_en: "neighbours".into(),
            track: MediationTrack::Peoples,
            track_zh: "人民调解".into(),
            track_en: "people's mediation".into(),
            status: DisputeStatus::Mediating,
            status_zh: "调解中".into(),
            status_en: "mediating".into(),
            title: "宅基地".into(),
            parties: "甲、乙".into(),
            summary: String::new(),
            mediator: "李".into(),
            mediator_id: Some(5),
            mediator_role: Some(crate::desk::MediatorRole::PeoplesMediator),
            incident: Some(42),
            opened_at: at(0),
            registered_by: "v1".into(),
            sessions: change.session.clone().into_iter().collect(),
            history: vec![DisputeStep { seq: 11, change }],
            closed_at: None,
            outcome: String::new(),
            court_reference: Some("(2026)甘0602民诉前调7号".into()),
            referral: Some(Referral::Arbitration),
            referral_zh: Some("仲裁".into()),
            referral_en: Some("arbitration".into()),
            agreed_at: None,
            confirmation: Some(JudicialConfirmation {
                court: "凉州区人民法院".into(),
                reference: "(2026)甘0602民特3号".into(),
                confirmed_on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            }),
            confirmation_allowed: false,
            confirmation_apply_by: None,
            age_days: 2,
            backlog: false,
            next_steps: vec![NextStep {
                to: DisputeStatus::Registered,
                label_zh: "已登记".into(),
                label_en: "registered".into(),
            }],
        }
    }

    fn backlog_case() -> BacklogCaseView {
        BacklogCaseView {
            origin: CaseOrigin::Event,
            id: 42,
            title_zh: "盗窃".into(),
            title_en: "theft".into(),
            village: village(),
            opened_at: at(-40 * 86_400),
            age_days: 40,
            band: 1,
            band_zh: "1–2 月".into(),
            band_en: "1–2 months".into(),
            limit_days: 30,
            leader_in_charge: Some("张所长".into()),
            leader_user: Some("county".into()),
            tag: Some(CaseTag::Bone),
            tag_zh: Some("骨头案".into()),
            tag_en: Some("hard case".into()),
            department: Some("县自然资源局".into()),
            target_date: NaiveDate::from_ymd_opt(2026, 12, 31),
            target_missed: false,
            updates: vec![BacklogUpdate {
                origin: CaseOrigin::Event,
                id: 42,
                leader_in_charge: None,
                leader_user: None,
                tag: None,
                department: None,
                target_date: None,
                note: "走访".into(),
                reminder: None,
                by: "t1".into(),
                at: at(30),
            }],
            lon: 102.625,
            lat: 37.875,
        }
    }

    fn village_load() -> VillageLoad {
        VillageLoad {
            code: village().code,
            name: village().name,
            population: 1500,
            incidents: 20,
            open_events: 1,
            load: 4.5,
        }
    }

    /// Serializes `value`, reads it back, and checks both equal; returns the JSON.
    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> serde_json::Value {
        let text = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, value, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn desk_round_trips() {
        let desk = Desk {
            now: at(0),
            officer: officer(),
            villages: vec![DeskVillage {
                village: village(),
                population: 1500,
                cells: 4,
                assigned_since: None,
                last_visit: Some(at(-86_400)),
                visit_due: Some(at(13 * 86_400)),
                visit_overdue: false,
                open_events: 1,
                open_disputes: 1,
                bbox: [102.5, 37.75, 102.75, 38.0],
            }],
            tasks: vec![DeskTask {
                kind: "visit".into(),
                village: village(),
                id: None,
                title_zh: "走访 东关村".into(),
                title_en: "Visit 东关村".into(),
                due_at: Some(at(13 * 86_400)),
                overdue: false,
            }],
            events: vec![QueueItem {
                id: 42,
                lon: 102.625,
                lat: 37.875,
                category: Category::CRIMINAL,
                severity: Severity::Minor,
                status: Status::Dispatched,
                cell_code: cell(),
                reported_at: at(-3600),
                entered_at: at(-1800),
                due_at: at(1800),
                due_in_s: 1800,
                escalated_to: Some(RegionLevel::Township),
                unit: Some(5),
                reports: 2,
                department: None,
            }],
            visits: vec![VisitView {
                id: 9,
                officer: Some(officer()),
                village: village(),
                visited_at: at(-86_400),
                place: "村委会".into(),
                people_met: "村主任".into(),
                notes: String::new(),
                lon: Some(102.625),
                lat: Some(37.875),
                photo_url: Some("/api/visits/9/photo".into()),
                by: "v1".into(),
                at: at(-86_000),
            }],
            disputes: vec![dispute()],
            alerts: vec![Alert {
                id: 77,
                kind: AlertKind::NearRepeat,
                cell_code: cell(),
                incident: Some(42),
                place: None,
                lon: 102.625,
                lat: 37.875,
                message_zh: "近重复".into(),
                message_en: "near repeat".into(),
                at: at(-600),
                acked_by: None,
                acked_at: None,
                case: None,
            }],
            backlog: vec![backlog_case()],
        };
        let json = round_trip(&desk);
        assert_eq!(json["villages"][0]["village"]["code"], "620602100001");
        assert_eq!(json["tasks"][0]["kind"], "visit");
    }

    #[test]
    fn workload_round_trips() {
        let workload = Workload {
            officers: vec![OfficerLoad {
                officer: officer(),
                villages: vec![village_load()],
                population: 1500,
                incidents: 20,
                open_events: 1,
                mean_distance_km: 2.5,
                load: 4.5,
                open_disputes: 1,
                visits_done: 1,
                visits_due: 2,
            }],
            unassigned: vec![village_load()],
            load_formula_zh: "工作量指数".into(),
            load_formula_en: "workload index".into(),
        };
        let json = round_trip(&workload);
        assert_eq!(json["officers"][0]["officer"]["badge"], "620001");
        let suggestion = RebalanceSuggestion {
            moves: vec![Reassignment { village: village(), from: None, to: officer(), load: 4.5 }],
            spread_before: 1.5,
            spread_after: 1.25,
            officers: vec![(officer(), 4.5, 3.0)],
        };
        round_trip(&suggestion);
    }

    #[test]
    fn dispute_stats_round_trip_with_counts_at_the_top() {
        let count = DisputeCount { total: 3, open: 2, resolved: 1, backlog: 1 };
        let stats = DisputeStats {
            count: count.clone(),
            by_kind: vec![KindCount {
                kind: DisputeKind::Neighbour,
                label_zh: "邻里".into(),
                label_en: "neighbours".into(),
                count: count.clone(),
            }],
            by_village: vec![VillageDisputes {
                village: village(),
                count,
                by_kind: BTreeMap::from([("neighbour".to_owned(), 3)]),
            }],
            by_status: BTreeMap::from([("mediating".to_owned(), 2), ("closed".to_owned(), 1)]),
            by_track: BTreeMap::from([("peoples".to_owned(), 3)]),
        };
        let json = round_trip(&stats);
        assert_eq!(json["total"], 3);
        assert_eq!(json["by_kind"][0]["resolved"], 1);
        assert_eq!(json["by_village"][0]["by_kind"]["neighbour"], 3);
    }

    #[test]
    fn backlog_board_round_trips() {
        let board = BacklogBoard {
            now: at(0),
            limits: BacklogLimits::default(),
            total: 1,
            events: 1,
            disputes: 0,
            petitions: 0,
            police_overdue: 1,
            police_overdue_cases: vec![backlog_case()],
            by_band: [0, 1, 0, 0],
            band_labels_zh: ["<1 月", "1–2 月", "2–3 月", ">3 月"].map(str::to_owned),
            band_labels_en: ["<1 month", "1–2 months", "2–3 months", ">3 months"].map(str::to_owned),
            with_leader: 1,
            target_missed: 0,
            areas: vec![AreaBacklog {
                area: Named { code: "620602100000".parse().unwrap(), name: "东关街道".into() },
                level: RegionLevel::Township,
                total: 1,
                by_band: [0, 1, 0, 0],
                with_leader: 1,
                target_missed: 0,
                oldest_days: 40,
            }],
            weekly: vec![0, 1],
            cases: vec![backlog_case()],
        };
        let json = round_trip(&board);
        assert_eq!(json["cases"][0]["origin"], "event");
        assert_eq!(json["cases"][0]["target_date"], "2026-12-31");
    }

    #[test]
    fn dispute_view_round_trips_with_its_history_flattened() {
        let json = round_trip(&dispute());
        assert_eq!(json["history"][0]["seq"], 11);
        assert_eq!(json["history"][0]["to"], "mediating");
        assert_eq!(json["next_steps"][0]["to"], "registered");
        round_trip(&DisputeList { total: 1, items: vec![dispute()] });
    }
}
