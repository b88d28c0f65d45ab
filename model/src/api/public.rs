//! The citizen channel (群众上报, 表决器): what a citizen sends without signing in, the receipt
//! with its tracking code, and the tracking page's answer, which shows the stage and dates of a
//! report and nothing more (no names, notes or departments).

use crate::department::Verdict;
use crate::{Category, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// Where a report stands, as the public sees it.
    PublicStage {
        /// 已受理: received, waiting for the centre.
        Received = ("received", "已受理", "received"),
        /// 处理中: a department is on it.
        InProgress = ("in_progress", "处理中", "in progress"),
        /// 已办结: the work is done, the centre checks back.
        Done = ("done", "已办结", "done"),
        /// 已结案: closed.
        Closed = ("closed", "已结案", "closed"),
        /// 不予受理: the centre found it invalid and closed it without a work order.
        Rejected = ("rejected", "不予受理", "not accepted"),
    }
}

impl PublicStage {
    /// The public stage of an event in `status`; `ever_assigned`: whether it ever had a work
    /// order (a closed event that never had one was rejected).
    pub fn of(status: Status, ever_assigned: bool) -> PublicStage {
        match status {
            Status::Reported => PublicStage::Received,
            Status::Assigned | Status::Accepted | Status::Returned | Status::Dispatched | Status::OnScene => {
                PublicStage::InProgress
            }
            Status::Completed | Status::Resolved | Status::Feedback => PublicStage::Done,
            Status::Closed if ever_assigned => PublicStage::Closed,
            Status::Closed => PublicStage::Rejected,
        }
    }
}

/// `POST /api/public/reports`: a citizen's (or a channel integration's) report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicReport {
    /// An event kind of the 综治 loop (the taxonomy's `department` kinds).
    pub kind: String,
    /// What happened, 1–500 characters.
    pub description: String,
    /// WGS84 longitude of the place.
    pub lon: f64,
    /// WGS84 latitude of the place.
    pub lat: f64,
    /// The address in words, at most 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A phone number for the call back (7–15 digits, an optional leading `+`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// One photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<crate::api::desk::PhotoBody>,
    /// The channel, for a signed-in integration only (`citizen_app`, `hotline_12345`,
    /// `wechat`); a citizen's report is `citizen_app`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The integration's own id of the report (signed-in integrations only): a resubmission
    /// with the same id is answered with the same receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// The answer to a report: the code that tracks it. Shown once; the server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The tracking code (查询码): 20 characters, 100 random bits.
    pub tracking_code: String,
    /// The tracking page, relative to the server.
    pub track_url: String,
}

/// One step of a report, as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicStep {
    /// The stage reached.
    pub stage: PublicStage,
    /// When.
    pub at: DateTime<Utc>,
}

/// `GET /api/public/track/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// The kind reported.
    pub kind: Category,
    /// Where it stands.
    pub stage: PublicStage,
    /// When it was received.
    pub reported_at: DateTime<Utc>,
    /// Each stage reached, oldest first (the first is `received`).
    pub steps: Vec<PublicStep>,
    /// Whether the verdict may be given now (closed, none given yet).
    pub verdict_open: bool,
    /// The verdict given through this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// `POST /api/public/track/{code}/verdict`: the public's verdict on a closed report (表决器).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicVerdict {
    /// 满意, 基本满意 or 不满意.
    pub verdict: Verdict,
    /// A comment, at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_sees_stages_not_statuses() {
        assert_eq!(PublicStage::of(Status::Reported, false), PublicStage::Received);
        assert_eq!(PublicStage::of(Status::Accepted, true), PublicStage::InProgress);
        assert_eq!(PublicStage::of(Status::Returned, true), PublicStage::InProgress);
        assert_eq!(PublicStage::of(Status::Feedback, true), PublicStage::Done);
        assert_eq!(PublicStage::of(Status::Closed, true), PublicStage::Closed);
        assert_eq!(PublicStage::of(Status::Closed, false), PublicStage::Rejected, "closed without an order");
    }
}
