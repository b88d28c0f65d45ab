//! Answers of the 综治 work-order routes: a department's work list, the departments of a region,
//! and the public's verdicts as satisfaction rates.

use crate::department::{DepartmentCode, Verdict};
use crate::{Category, CellCode, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an order stands in a department's work list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// 待签收: assigned, not yet taken.
    Pending,
    /// 办理中: taken and being worked.
    InProgress,
    /// 被退回: the reporter was dissatisfied and the centre sent it back (重办).
    Returned,
}

/// One order of a department's work list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    /// Incident id.
    pub id: u64,
    /// Event kind.
    pub category: Category,
    /// Status.
    pub status: Status,
    /// Where it stands for the department.
    pub bucket: Bucket,
    /// Whether the department leads it (otherwise it helps, 协办).
    pub lead: bool,
    /// The lead department.
    pub department: DepartmentCode,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Its grid cell.
    pub cell_code: CellCode,
    /// Address as reported.
    pub address: Option<String>,
    /// What was reported.
    pub summary: Option<String>,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// When it entered its status.
    pub entered_at: DateTime<Utc>,
    /// When its stage is due.
    pub due_at: DateTime<Utc>,
    /// Seconds until due (negative: overdue).
    pub due_in_s: i64,
    /// Whether the stage is overdue (超时).
    pub overdue: bool,
    /// Times it was sent back by a department.
    pub returns: u32,
}

/// How many orders of a work list are in each bucket, and how many are overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCounts {
    /// 待签收.
    pub pending: usize,
    /// 办理中.
    pub in_progress: usize,
    /// 被退回 (重办).
    pub returned: usize,
    /// 超时.
    pub overdue: usize,
}

/// `GET /api/queue?department=`: a department's work list, overdue first, then by due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkList {
    /// The department.
    pub department: crate::department::Department,
    /// The server's time.
    pub now: DateTime<Utc>,
    /// Counts per bucket.
    pub counts: WorkCounts,
    /// The orders.
    pub items: Vec<WorkItem>,
}

/// Verdicts of one department or region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionRow {
    /// A department code or a 12-digit region code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// 满意.
    pub satisfied: usize,
    /// 基本满意.
    pub basically_satisfied: usize,
    /// 不满意.
    pub dissatisfied: usize,
    /// (satisfied + basically satisfied) / rated; `None` before any verdict.
    pub rate: Option<f64>,
}

impl SatisfactionRow {
    /// An empty row.
    pub fn new(code: String, name_zh: String, name_en: String) -> SatisfactionRow {
        SatisfactionRow { code, name_zh, name_en, satisfied: 0, basically_satisfied: 0, dissatisfied: 0, rate: None }
    }

    /// Counts one verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Satisfied => self.satisfied += 1,
            Verdict::BasicallySatisfied => self.basically_satisfied += 1,
            Verdict::Dissatisfied => self.dissatisfied += 1,
        }
        let rated = self.satisfied + self.basically_satisfied + self.dissatisfied;
        self.rate = Some((self.satisfied + self.basically_satisfied) as f64 / rated as f64);
    }

    /// Verdicts given.
    pub fn rated(&self) -> usize {
        self.satisfied + self.basically_satisfied + self.dissatisfied
    }
}

/// `GET /api/satisfaction`: the return visits' verdicts in a period, per department and per
/// region (the children of the region asked for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// All verdicts counted.
    pub total: SatisfactionRow,
    /// Per department (those with a verdict), best rate first.
    pub departments: Vec<SatisfactionRow>,
    /// Per region one level below the one asked for.
    pub regions: Vec<SatisfactionRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_counts_basically_satisfied_as_satisfied() {
        let mut r = SatisfactionRow::new("a".into(), "甲".into(), "A".into());
        assert_eq!(r.rate, None);
        r.add(Verdict::Satisfied);
        r.add(Verdict::BasicallySatisfied);
        r.add(Verdict::Dissatisfied);
        r.add(Verdict::Dissatisfied);
        assert_eq!((r.rated(), r.rate), (4, Some(0.5)));
    }
}
