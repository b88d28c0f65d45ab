//! The phone app's routes (`/m/`, grid workers and village officers): a report made in the field
//! with up to three photos, idempotent on the phone's own id, the reporter's own reports, and the
//! tasks of their cells or villages (核查, 回访, 走访).

use crate::api::desk::PhotoBody;
use crate::{Category, CellCode, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most photos a field report carries.
pub const MAX_FIELD_PHOTOS: usize = 3;

/// `POST /api/field/reports`: a report made on the phone, sent when the network allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldReport {
    /// The phone's own id of the report (8–64 letters, digits, `-` or `_`): a resend with the
    /// same id is the same report, stored once.
    pub external_id: String,
    /// An event kind of the taxonomy.
    pub kind: String,
    /// What was found, 1–500 characters.
    pub description: String,
    /// WGS84 longitude (the phone's GPS, or the place picked on the map).
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// When the report was made on the phone (default: when it arrives); at most 7 days back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<DateTime<Utc>>,
    /// Up to [`MAX_FIELD_PHOTOS`] photos, resized on the phone.
    #[serde(default)]
    pub photos: Vec<PhotoBody>,
}

/// One of the caller's own reports, and where it stands in the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReportView {
    /// Incident id.
    pub id: u64,
    /// The phone's id of it.
    pub external_id: String,
    /// The kind.
    pub kind: Category,
    /// Where it stands.
    pub status: Status,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Photos stored with it.
    pub photos: usize,
}

/// `POST /api/field/reports` answer and `GET /api/field/reports` item list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReports {
    /// Newest first.
    pub items: Vec<FieldReportView>,
}

/// What a task asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// 核查: go and see whether a report from the public is true.
    Verify,
    /// 回访: ask the reporter's verdict on work a department finished.
    Callback,
    /// 走访: visit a village (village officers).
    Visit,
}

/// A task of the phone's 我的任务.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldTask {
    /// What to do.
    pub kind: TaskKind,
    /// The incident (核查, 回访).
    pub id: Option<u64>,
    /// Its kind (核查, 回访).
    pub category: Option<Category>,
    /// The cell (核查, 回访).
    pub cell_code: Option<CellCode>,
    /// The village (走访: the village to visit).
    pub village: Option<crate::api::desk::Named>,
    /// What to do, Chinese.
    pub title_zh: String,
    /// The same in English.
    pub title_en: String,
    /// Where (WGS84), when known.
    pub lon: Option<f64>,
    /// Where (WGS84), when known.
    pub lat: Option<f64>,
    /// When due.
    pub due_at: Option<DateTime<Utc>>,
    /// Whether overdue.
    pub overdue: bool,
}

/// `GET /api/field/tasks`: overdue first, then by due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldTasks {
    /// The server's now.
    pub now: DateTime<Utc>,
    /// The tasks.
    pub items: Vec<FieldTask>,
}
