//! The JSON shapes of the petition routes (信访): `/api/petitions`.

use super::desk::Named;
use crate::desk_book::PetitionChange;
use crate::petition::{Channel, PetitionKind, PetitionStatus, Petitioner, ReceptionKind};
use crate::scorecard::Month;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A status a petition may move to next, labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionNextStep {
    /// The status.
    pub to: PetitionStatus,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
}

/// One change in a petition's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionStep {
    /// Its `seq`.
    pub seq: u64,
    /// The change.
    #[serde(flatten)]
    pub change: PetitionChange,
}

/// A petition (`GET /api/petitions/{id}`, and the answer of its writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionView {
    /// Id.
    pub id: u64,
    /// Name it when moving the petition on.
    pub version: u64,
    /// The village it comes from.
    pub village: Named,
    /// How it came in.
    pub channel: Channel,
    /// Channel, Chinese.
    pub channel_zh: String,
    /// Channel, English.
    pub channel_en: String,
    /// What it is about.
    pub kind: PetitionKind,
    /// Kind, Chinese.
    pub kind_zh: String,
    /// Kind, English.
    pub kind_en: String,
    /// Status.
    pub status: PetitionStatus,
    /// Status, Chinese.
    pub status_zh: String,
    /// Status, English.
    pub status_en: String,
    /// The petitioners; names and phones masked for roles that do not handle cases.
    pub petitioners: Vec<Petitioner>,
    /// Whether the names and phones are masked in this answer.
    pub masked: bool,
    /// How many came (集体访 at 5 or more).
    pub headcount: u32,
    /// 集体访.
    pub collective: bool,
    /// The matter, in a line.
    pub matter: String,
    /// What the petitioners ask and why.
    pub summary: String,
    /// The petition it repeats (重复信访), if any.
    pub repeat_of: Option<u64>,
    /// The first petition of its group of repeats (itself when it repeats none).
    pub group: u64,
    /// Petitions in its group.
    pub group_size: u32,
    /// A desk dispute it concerns.
    pub dispute: Option<u64>,
    /// An incident it concerns.
    pub incident: Option<u64>,
    /// The leader's reception where it was received.
    pub reception: Option<u64>,
    /// When it was received (UTC).
    pub received_at: DateTime<Utc>,
    /// When its current stage began (UTC).
    pub stage_began_at: DateTime<Utc>,
    /// The current stage's deadline (UTC), if it has one.
    pub due_at: Option<DateTime<Utc>>,
    /// Whether that deadline has passed.
    pub overdue: bool,
    /// Who supervises it when overdue, Chinese (县级督办 …).
    pub supervision_zh: Option<String>,
    /// The same in English.
    pub supervision_en: Option<String>,
    /// The region handling it: the one assigned, else the village's township.
    pub handled_in: Named,
    /// The department assigned, if any.
    pub assigned_department: Option<String>,
    /// Why the answer's deadline was extended, if it was.
    pub extension_reason: Option<String>,
    /// Whether the deadline may be extended now.
    pub extension_allowed: bool,
    /// The latest opinion or reason (answer, review, re-check, refusal).
    pub opinion: String,
    /// When it was finished (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// Changes, oldest first.
    pub history: Vec<PetitionStep>,
    /// The statuses it may move to now.
    pub next_steps: Vec<PetitionNextStep>,
}

/// `GET /api/petitions`: petitions of the jurisdiction, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionList {
    /// Petitions matching the query, before `limit`.
    pub total: usize,
    /// Of them overdue.
    pub overdue: usize,
    /// The petitions.
    pub items: Vec<PetitionView>,
}

/// The body of `POST /api/petitions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetitionBody {
    /// The village's 12-digit code.
    pub village: String,
    /// Channel (API name of a [`Channel`]).
    pub channel: String,
    /// Kind (API name of a [`PetitionKind`]).
    pub kind: String,
    /// The petitioners (at least one).
    pub petitioners: Vec<Petitioner>,
    /// How many came (default: the petitioners named).
    pub headcount: Option<u32>,
    /// The matter, in a line.
    pub matter: String,
    /// What they ask and why.
    #[serde(default)]
    pub summary: String,
    /// The petition it repeats.
    pub repeat_of: Option<u64>,
    /// A desk dispute it concerns.
    pub dispute: Option<u64>,
    /// An incident it concerns.
    pub incident: Option<u64>,
    /// The leader's reception where it was received.
    pub reception: Option<u64>,
    /// When it was received (UTC; default: now).
    pub received_at: Option<DateTime<Utc>>,
}

/// The body of `POST /api/petitions/{id}/transitions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetitionStepBody {
    /// The status to move to (API name of a [`PetitionStatus`]).
    pub to: Option<String>,
    /// With `assigned`: the region handling it (12 digits, in the caller's jurisdiction).
    pub assigned_region: Option<String>,
    /// With `assigned`: the department handling it.
    pub assigned_department: Option<String>,
    /// The one extension of the answer's deadline, with its reason.
    pub extension_reason: Option<String>,
    /// The opinion, answer or reason.
    #[serde(default)]
    pub note: String,
    /// The petition's `version` the caller saw; default: the current.
    pub version: Option<u64>,
}

/// A leader's reception or visit (接访下访) on the calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceptionView {
    /// Id.
    pub id: u64,
    /// The leader.
    pub leader: String,
    /// 接访 or 下访.
    pub kind: ReceptionKind,
    /// Kind, Chinese.
    pub kind_zh: String,
    /// Kind, English.
    pub kind_en: String,
    /// When (UTC).
    pub held_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// The region it serves.
    pub region: Named,
    /// What came of it.
    pub notes: String,
    /// Petitions registered as received there.
    pub petitions: u32,
}

/// One leader's receptions and visits in the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderReceptions {
    /// The leader.
    pub leader: String,
    /// 接访 held.
    pub receptions: u32,
    /// 下访 made.
    pub visits: u32,
    /// Petitions received at them.
    pub petitions: u32,
}

/// `GET /api/receptions?region=&month=`: the month's calendar of receptions and visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceptionCalendar {
    /// The month.
    pub month: Month,
    /// Its receptions and visits, by time.
    pub items: Vec<ReceptionView>,
    /// Per leader (most first).
    pub by_leader: Vec<LeaderReceptions>,
}

/// The body of `POST /api/receptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptionBody {
    /// The leader (职务 and name).
    pub leader: String,
    /// `reception` (接访) or `visit` (下访).
    pub kind: String,
    /// When (UTC; within a year either way).
    pub held_at: DateTime<Utc>,
    /// Where.
    pub place: String,
    /// The region it serves (12 digits, in the jurisdiction).
    pub region: String,
    /// What came of it.
    #[serde(default)]
    pub notes: String,
}
