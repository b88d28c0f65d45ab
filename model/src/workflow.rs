//! The event loop (快速收集、分解、处理、反馈) as pure rules: which status changes are legal, what
//! each needs, when each stage is due per category, and who is told when it is overdue (village →
//! township → county → city). No clock is read: times are parameters.

use crate::code::{RegionCode, RegionLevel};
use crate::incident::{Category, Placement, Status};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A requested status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The status to move to.
    pub to: Status,
    /// The patrol unit sent (required to dispatch, and to re-dispatch).
    #[serde(default)]
    pub unit: Option<u64>,
    /// The reporter's satisfaction, 1–5 (required for feedback).
    #[serde(default)]
    pub satisfaction: Option<u8>,
    /// Free text for the history.
    #[serde(default)]
    pub note: Option<String>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// `to` does not follow `from`.
    #[error("cannot go from {} to {}; from {} the next step is {}", from.as_str(), to.as_str(), from.as_str(), next_steps(*from))]
    Illegal {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// Dispatching needs a unit.
    #[error("dispatching needs a unit")]
    UnitRequired,
    /// Feedback needs the reporter's satisfaction, 1–5.
    #[error("feedback needs the reporter's satisfaction, a whole number from 1 to 5")]
    SatisfactionRequired,
}

impl WorkflowError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            WorkflowError::Illegal { .. } => "to",
            WorkflowError::UnitRequired => "unit",
            WorkflowError::SatisfactionRequired => "satisfaction",
        }
    }
}

/// The statuses that may follow `from`.
pub fn next(from: Status) -> &'static [Status] {
    match from {
        Status::Reported => &[Status::Dispatched],
        // Re-dispatch: another unit takes over.
        Status::Dispatched => &[Status::Dispatched, Status::OnScene],
        Status::OnScene => &[Status::Resolved],
        Status::Resolved => &[Status::Feedback],
        Status::Feedback => &[Status::Closed],
        Status::Closed => &[],
    }
}

fn next_steps(from: Status) -> String {
    match next(from) {
        [] => "none (closed)".to_owned(),
        steps => steps.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "),
    }
}

/// Checks `t` against the current status.
pub fn check(from: Status, t: &Transition) -> Result<(), WorkflowError> {
    if !next(from).contains(&t.to) {
        return Err(WorkflowError::Illegal { from, to: t.to });
    }
    match t.to {
        Status::Dispatched if t.unit.is_none() => Err(WorkflowError::UnitRequired),
        Status::Feedback if !t.satisfaction.is_some_and(|s| (1..=5).contains(&s)) => {
            Err(WorkflowError::SatisfactionRequired)
        }
        _ => Ok(()),
    }
}

/// How long each stage may take for one category, in minutes: the time allowed in a status
/// before the next step is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// reported → dispatched.
    pub dispatch_min: u32,
    /// dispatched → on scene.
    pub arrive_min: u32,
    /// on scene → resolved.
    pub resolve_min: u32,
    /// resolved → feedback.
    pub feedback_min: u32,
    /// feedback → closed.
    pub close_min: u32,
}

impl Deadlines {
    /// Minutes allowed in `status` (`None`: closed, nothing is due).
    pub fn allowed_min(&self, status: Status) -> Option<u32> {
        match status {
            Status::Reported => Some(self.dispatch_min),
            Status::Dispatched => Some(self.arrive_min),
            Status::OnScene => Some(self.resolve_min),
            Status::Resolved => Some(self.feedback_min),
            Status::Feedback => Some(self.close_min),
            Status::Closed => None,
        }
    }

    /// The defaults for a category: the taxonomy's (`data/taxonomy.json`: emergencies such as
    /// criminal, fire, traffic and disaster are dispatched in 3 minutes and reached in 15;
    /// disputes and help requests in 10 and 30; every case gets 3 days for feedback and 7 to
    /// close). A deployment may replace them (`--deadlines`).
    pub fn default_for(category: Category) -> Deadlines {
        category.deadlines()
    }
}

/// When the current stage is due: `entered_at` (the time the incident entered `status`) plus the
/// allowance; `None` once closed.
pub fn due_at(deadlines: &Deadlines, status: Status, entered_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    deadlines.allowed_min(status).map(|m| entered_at + Duration::minutes(i64::from(m)))
}

/// Who must act on an overdue stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The level told.
    pub level: RegionLevel,
    /// That level's region.
    pub region: RegionCode,
    /// How long past due, in whole minutes.
    pub overdue_min: i64,
}

/// The escalation of a stage due at `due` at time `now`: nothing before it is due; then the
/// village; past twice the allowance the township; past four times the county; past eight
/// times the city. (A 15-minute arrival is the township's at 30 minutes late, the county's at 60,
/// the city's at 120.)
pub fn escalation(
    deadlines: &Deadlines,
    status: Status,
    due: DateTime<Utc>,
    placement: &Placement,
    now: DateTime<Utc>,
) -> Option<Escalation> {
    let allowed = i64::from(deadlines.allowed_min(status)?).max(1);
    let overdue_min = (now - due).num_minutes();
    if now <= due {
        return None;
    }
    let (level, region) = if overdue_min >= 8 * allowed {
        (RegionLevel::City, placement.county_code.truncate(RegionLevel::City))
    } else if overdue_min >= 4 * allowed {
        (RegionLevel::County, placement.county_code)
    } else if overdue_min >= 2 * allowed {
        (RegionLevel::Township, placement.township_code)
    } else {
        (RegionLevel::Village, placement.village_code)
    };
    Some(Escalation { level, region, overdue_min })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn to(s: Status) -> Transition {
        Transition { to: s, unit: Some(7), satisfaction: Some(4), note: None }
    }

    #[test]
    fn the_loop_runs_in_order_and_every_other_step_is_refused() {
        let chain =
            [Status::Reported, Status::Dispatched, Status::OnScene, Status::Resolved, Status::Feedback, Status::Closed];
        for w in chain.windows(2) {
            assert_eq!(check(w[0], &to(w[1])), Ok(()), "{:?} → {:?}", w[0], w[1]);
        }
        let mut refused = 0;
        for from in Status::ALL {
            for target in Status::ALL {
                let legal = chain.windows(2).any(|w| w == [*from, *target])
                    || (*from == Status::Dispatched && *target == Status::Dispatched);
                match check(*from, &to(*target)) {
                    Ok(()) => assert!(legal, "{from:?} → {target:?} must be refused"),
                    Err(e) => {
                        assert!(!legal, "{from:?} → {target:?}: {e}");
                        assert_eq!(e, WorkflowError::Illegal { from: *from, to: *target });
                        assert_eq!(e.field(), "to");
                        refused += 1;
                    }
                }
            }
        }
        assert_eq!(refused, 36 - 6);
        let msg = check(Status::Reported, &to(Status::Closed)).unwrap_err().to_string();
        assert_eq!(msg, "cannot go from reported to closed; from reported the next step is dispatched");
        assert!(check(Status::Closed, &to(Status::Reported)).unwrap_err().to_string().contains("none (closed)"));
    }

    #[test]
    fn dispatch_needs_a_unit_and_feedback_a_satisfaction() {
        let bare = |s| Transition { to: s, unit: None, satisfaction: None, note: None };
        assert_eq!(check(Status::Reported, &bare(Status::Dispatched)), Err(WorkflowError::UnitRequired));
        assert_eq!(check(Status::Dispatched, &bare(Status::Dispatched)), Err(WorkflowError::UnitRequired));
        assert_eq!(check(Status::Resolved, &bare(Status::Feedback)), Err(WorkflowError::SatisfactionRequired));
        for bad in [0, 6, 200] {
            let t = Transition { satisfaction: Some(bad), ..bare(Status::Feedback) };
            assert_eq!(check(Status::Resolved, &t).map_err(|e| e.field()), Err("satisfaction"));
        }
        assert_eq!(check(Status::Dispatched, &bare(Status::OnScene)), Ok(()));
    }

    #[test]
    fn overdue_stages_climb_village_township_county_city() {
        let placement = Placement::of_cell("620602001001001".parse().unwrap());
        let d = Deadlines::default_for(Category::CRIMINAL);
        let dispatched_at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
        let due = due_at(&d, Status::Dispatched, dispatched_at).unwrap();
        assert_eq!(due, dispatched_at + Duration::minutes(15));
        let at = |min: i64| escalation(&d, Status::Dispatched, due, &placement, due + Duration::minutes(min));
        assert_eq!(at(0), None, "on time");
        assert_eq!(escalation(&d, Status::Dispatched, due, &placement, due - Duration::minutes(5)), None);
        let level = |min| at(min).map(|e| (e.level, e.region.to_string(), e.overdue_min));
        assert_eq!(level(1), Some((RegionLevel::Village, "620602001001".into(), 1)));
        assert_eq!(level(29), Some((RegionLevel::Village, "620602001001".into(), 29)));
        assert_eq!(level(30), Some((RegionLevel::Township, "620602001000".into(), 30)));
        assert_eq!(level(60), Some((RegionLevel::County, "620602000000".into(), 60)));
        assert_eq!(level(119), Some((RegionLevel::County, "620602000000".into(), 119)));
        assert_eq!(level(120), Some((RegionLevel::City, "620600000000".into(), 120)));
        // Closed: nothing is due, nothing escalates.
        assert_eq!(due_at(&d, Status::Closed, dispatched_at), None);
        assert_eq!(escalation(&d, Status::Closed, due, &placement, due + Duration::days(30)), None);
        // Emergencies are due sooner than disputes.
        let dispute = Deadlines::default_for(Category::DISPUTE);
        assert!(d.dispatch_min < dispute.dispatch_min && d.arrive_min < dispute.arrive_min);
    }
}
