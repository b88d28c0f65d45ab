//! The event loops (快速收集、分解、处理、反馈) as pure rules: which status changes are legal in
//! the police chain and in a department's work order, what each needs, who may make it, when each
//! stage is due per category, and who is told when it is overdue (village → township → county →
//! city). No clock is read: times are parameters.

use crate::code::{RegionCode, RegionLevel};
use crate::department::{DepartmentCode, ReturnReason, Verdict, WorkOrder};
use crate::incident::{Category, Placement, Status};
use crate::taxonomy::Workflow;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A requested status change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The status to move to.
    pub to: Status,
    /// The patrol unit sent (required to dispatch, and to re-dispatch).
    #[serde(default)]
    pub unit: Option<u64>,
    /// The reporter's satisfaction, 1–5 (required for a police feedback).
    #[serde(default)]
    pub satisfaction: Option<u8>,
    /// Free text for the history.
    #[serde(default)]
    pub note: Option<String>,
    /// The lead department (required to assign and to reassign a work order).
    #[serde(default)]
    pub department: Option<DepartmentCode>,
    /// The 协办 departments of an assignment (none when absent).
    #[serde(default)]
    pub co_departments: Vec<DepartmentCode>,
    /// When the department must be done, if the centre sets it.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Why the department sends the order back (required to return).
    #[serde(default)]
    pub reason: Option<ReturnReason>,
    /// The reporter's verdict (required for a work order's 回访).
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// A 协办 or progress note that leaves the status as it is (`to` must be the current status).
    #[serde(default)]
    pub note_only: bool,
    /// 非警务警情分流: a police call that is no police matter closes, its facts going on as a
    /// 综治 event (`to` must be `closed`, from `reported`).
    #[serde(default)]
    pub diverted: bool,
    /// The department the acting user works for (`None`: a centre or an officer). Set by the
    /// server from the session, never read from a request.
    #[serde(skip)]
    pub by_department: Option<DepartmentCode>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// `to` does not follow `from`.
    #[error("cannot go from {} to {}; from {} the next step is {}", from.as_str(), to.as_str(), from.as_str(), next_steps(*workflow, *from))]
    Illegal {
        /// The loop.
        workflow: Workflow,
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
    /// Assigning needs a lead department.
    #[error("assigning needs a department")]
    DepartmentRequired,
    /// The lead department is also named as a 协办 department.
    #[error("the lead department {0} cannot also be a co-department")]
    LeadIsCoDepartment(DepartmentCode),
    /// Returning needs a reason.
    #[error("returning an order needs a reason: not_ours, wrong_address or duplicate")]
    ReasonRequired,
    /// A return visit needs the reporter's verdict.
    #[error("a return visit needs the verdict: satisfied, basically_satisfied or dissatisfied")]
    VerdictRequired,
    /// Closing a returned order as invalid, or a note, needs a note.
    #[error("{0} needs a note")]
    NoteRequired(&'static str),
    /// A department may only take, finish or return the orders it leads.
    #[error("only the lead department {lead} may {step} this order")]
    NotTheLead {
        /// The order's lead department.
        lead: DepartmentCode,
        /// What was tried.
        step: &'static str,
    },
    /// A department may only write on orders it works on.
    #[error("department {0} does not work on this order")]
    NotInvolved(DepartmentCode),
    /// Assigning, closing and the return visit are the centre's, not a department's.
    #[error("{0} is the centre's step, not a department's")]
    CentreOnly(&'static str),
    /// The step needs a work order and the event has none, or the police chain does not have it.
    #[error("{0}")]
    NotInThisLoop(String),
}

impl WorkflowError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            WorkflowError::Illegal { .. } | WorkflowError::CentreOnly(_) | WorkflowError::NotTheLead { .. } => "to",
            WorkflowError::NotInThisLoop(_) => "to",
            WorkflowError::UnitRequired => "unit",
            WorkflowError::SatisfactionRequired => "satisfaction",
            WorkflowError::DepartmentRequired | WorkflowError::NotInvolved(_) => "department",
            WorkflowError::LeadIsCoDepartment(_) => "co_departments",
            WorkflowError::ReasonRequired => "reason",
            WorkflowError::VerdictRequired => "verdict",
            WorkflowError::NoteRequired(_) => "note",
        }
    }

    /// Whether the step is refused for who asks (403), not for what was asked.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, WorkflowError::NotTheLead { .. } | WorkflowError::NotInvolved(_) | WorkflowError::CentreOnly(_))
    }
}

/// The statuses that may follow `from` in `workflow`.
pub fn next(workflow: Workflow, from: Status) -> &'static [Status] {
    match workflow {
        Workflow::Police => match from {
            Status::Reported => &[Status::Dispatched],
            // Re-dispatch: another unit takes over.
            Status::Dispatched => &[Status::Dispatched, Status::OnScene],
            Status::OnScene => &[Status::Resolved],
            Status::Resolved => &[Status::Feedback],
            Status::Feedback => &[Status::Closed],
            Status::Closed => &[],
            Status::Assigned | Status::Accepted | Status::Returned | Status::Completed => &[],
        },
        Workflow::Department => match from {
            // Accepted into the loop (分拨), or rejected as invalid (不予受理, with the reason).
            Status::Reported => &[Status::Assigned, Status::Closed],
            // 改派: the centre gives it to another department before it is taken.
            Status::Assigned => &[Status::Accepted, Status::Returned, Status::Assigned],
            Status::Accepted => &[Status::Completed, Status::Returned],
            // The centre reassigns it, or closes it as invalid.
            Status::Returned => &[Status::Assigned, Status::Closed],
            Status::Completed => &[Status::Feedback],
            Status::Feedback => &[Status::Closed],
            Status::Closed => &[],
            Status::Dispatched | Status::OnScene | Status::Resolved => &[],
        },
    }
}

fn next_steps(workflow: Workflow, from: Status) -> String {
    match next(workflow, from) {
        [] => "none".to_owned(),
        steps => steps.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "),
    }
}

/// What a legal transition leads to: the status stored (a dissatisfied first verdict sends the
/// order back to `accepted`, not on to `feedback`) and the order as it then stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The status after the change.
    pub status: Status,
    /// The work order after the change (`None`: the police chain).
    pub order: Option<WorkOrder>,
}

/// Checks `t` against the current status and work order, and decides what it leads to.
pub fn decide(
    workflow: Workflow,
    from: Status,
    order: Option<&WorkOrder>,
    t: &Transition,
) -> Result<Decision, WorkflowError> {
    if t.note_only {
        return decide_note(from, order, t);
    }
    if t.diverted {
        return match (workflow, from, t.to) {
            (Workflow::Police, Status::Reported, Status::Closed) => {
                Ok(Decision { status: Status::Closed, order: None })
            }
            _ => Err(WorkflowError::NotInThisLoop(
                "only a police call not yet dispatched is diverted to the 综治 loop".into(),
            )),
        };
    }
    if !next(workflow, from).contains(&t.to) {
        return Err(WorkflowError::Illegal { workflow, from, to: t.to });
    }
    match workflow {
        Workflow::Police => {
            match t.to {
                Status::Dispatched if t.unit.is_none() => return Err(WorkflowError::UnitRequired),
                Status::Feedback if !t.satisfaction.is_some_and(|s| (1..=5).contains(&s)) => {
                    return Err(WorkflowError::SatisfactionRequired);
                }
                _ => {}
            }
            Ok(Decision { status: t.to, order: None })
        }
        Workflow::Department => decide_order(from, order, t),
    }
}

fn decide_order(from: Status, order: Option<&WorkOrder>, t: &Transition) -> Result<Decision, WorkflowError> {
    let centre_only = |step: &'static str| match &t.by_department {
        Some(_) => Err(WorkflowError::CentreOnly(step)),
        None => Ok(()),
    };
    let current = || {
        order
            .cloned()
            .ok_or_else(|| WorkflowError::NotInThisLoop("the event has no work order; assign it first".into()))
    };
    let lead_only = |step: &'static str, o: &WorkOrder| match &t.by_department {
        Some(d) if *d != o.department => Err(WorkflowError::NotTheLead { lead: o.department.clone(), step }),
        _ => Ok(()),
    };
    match t.to {
        Status::Assigned => {
            centre_only("assigning")?;
            let department = t.department.clone().ok_or(WorkflowError::DepartmentRequired)?;
            if t.co_departments.contains(&department) {
                return Err(WorkflowError::LeadIsCoDepartment(department));
            }
            let mut co = t.co_departments.clone();
            co.sort();
            co.dedup();
            let (returns, reworked) = order.map_or((0, false), |o| (o.returns, o.reworked));
            Ok(Decision {
                status: Status::Assigned,
                order: Some(WorkOrder { department, co_departments: co, due_at: t.due_at, returns, reworked }),
            })
        }
        Status::Accepted | Status::Completed => {
            let o = current()?;
            lead_only(if t.to == Status::Accepted { "accept" } else { "complete" }, &o)?;
            Ok(Decision { status: t.to, order: Some(o) })
        }
        Status::Returned => {
            let mut o = current()?;
            lead_only("return", &o)?;
            if t.reason.is_none() {
                return Err(WorkflowError::ReasonRequired);
            }
            o.returns += 1;
            Ok(Decision { status: Status::Returned, order: Some(o) })
        }
        Status::Feedback => {
            centre_only("the return visit")?;
            let mut o = current()?;
            let verdict = t.verdict.ok_or(WorkflowError::VerdictRequired)?;
            // 不满意 sends it back to the department once; a second one stands.
            if verdict == Verdict::Dissatisfied && !o.reworked {
                o.reworked = true;
                return Ok(Decision { status: Status::Accepted, order: Some(o) });
            }
            Ok(Decision { status: Status::Feedback, order: Some(o) })
        }
        Status::Closed => {
            centre_only("closing")?;
            let unnoted = t.note.as_deref().is_none_or(|n| n.trim().is_empty());
            if from == Status::Returned && unnoted {
                return Err(WorkflowError::NoteRequired("closing a returned order as invalid"));
            }
            if from == Status::Reported && unnoted {
                return Err(WorkflowError::NoteRequired("rejecting a report as invalid (不予受理)"));
            }
            Ok(Decision { status: Status::Closed, order: order.cloned() })
        }
        Status::Reported | Status::Dispatched | Status::OnScene | Status::Resolved => {
            Err(WorkflowError::NotInThisLoop(format!("{} is a step of the police chain", t.to.as_str())))
        }
    }
}

/// A note that leaves the status as it is: a department writes one on the orders it works on
/// (lead or 协办), the centre on any.
fn decide_note(from: Status, order: Option<&WorkOrder>, t: &Transition) -> Result<Decision, WorkflowError> {
    if t.to != from {
        return Err(WorkflowError::NotInThisLoop(format!(
            "a note keeps the status: send \"to\": \"{}\"",
            from.as_str()
        )));
    }
    if t.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(WorkflowError::NoteRequired("a note"));
    }
    if let Some(d) = &t.by_department
        && !order.is_some_and(|o| o.involves(d))
    {
        return Err(WorkflowError::NotInvolved(d.clone()));
    }
    Ok(Decision { status: from, order: order.cloned() })
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
    /// A work order's stages take the same five allowances: assign (and reassign after a
    /// return) as dispatch, accept as arrive, complete as resolve.
    pub fn allowed_min(&self, status: Status) -> Option<u32> {
        match status {
            Status::Reported | Status::Returned => Some(self.dispatch_min),
            Status::Dispatched | Status::Assigned => Some(self.arrive_min),
            Status::OnScene | Status::Accepted => Some(self.resolve_min),
            Status::Resolved | Status::Completed => Some(self.feedback_min),
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
/// allowance, or for a work order's department stages the centre's own due time when it set one;
/// `None` once closed.
pub fn due_at(
    deadlines: &Deadlines,
    status: Status,
    entered_at: DateTime<Utc>,
    order: Option<&WorkOrder>,
) -> Option<DateTime<Utc>> {
    let set = order.and_then(|o| o.due_at).filter(|_| status == Status::Accepted);
    set.or_else(|| deadlines.allowed_min(status).map(|m| entered_at + Duration::minutes(i64::from(m))))
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

impl Escalation {
    /// The region the supervising level supervises (督办): the event's region one level below
    /// it (a county supervises the township, the city the county); `None` while only the
    /// village is told.
    pub fn supervised(&self, placement: &Placement) -> Option<RegionCode> {
        match self.level {
            RegionLevel::City => Some(placement.county_code),
            RegionLevel::County => Some(placement.township_code),
            RegionLevel::Township => Some(placement.village_code),
            RegionLevel::Village => None,
        }
    }
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
        Transition { to: s, unit: Some(7), satisfaction: Some(4), ..Transition::default() }
    }

    fn check(from: Status, t: &Transition) -> Result<(), WorkflowError> {
        decide(Workflow::Police, from, None, t).map(|d| assert_eq!(d, Decision { status: t.to, order: None }))
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
                        assert_eq!(e, WorkflowError::Illegal { workflow: Workflow::Police, from: *from, to: *target });
                        assert_eq!(e.field(), "to");
                        refused += 1;
                    }
                }
            }
        }
        assert_eq!(refused, Status::COUNT * Status::COUNT - 6);
        let msg = check(Status::Reported, &to(Status::Closed)).unwrap_err().to_string();
        assert_eq!(msg, "cannot go from reported to closed; from reported the next step is dispatched");
        assert!(
            check(Status::Closed, &to(Status::Reported)).unwrap_err().to_string().ends_with("the next step is none")
        );
    }

    #[test]
    fn dispatch_needs_a_unit_and_feedback_a_satisfaction() {
        let bare = |s| Transition { to: s, ..Transition::default() };
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
        let due = due_at(&d, Status::Dispatched, dispatched_at, None).unwrap();
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
        // Who is supervised: the level below the supervising one, on the event's path.
        let supervised = |min| at(min).and_then(|e| e.supervised(&placement)).map(|r| r.to_string());
        assert_eq!(supervised(1), None, "the village is told, nobody supervises yet");
        assert_eq!(supervised(30).as_deref(), Some("620602001001"));
        assert_eq!(supervised(60).as_deref(), Some("620602001000"), "县级督办 of the township");
        assert_eq!(supervised(120).as_deref(), Some("620602000000"), "市级督办 of the county");
        // Closed: nothing is due, nothing escalates.
        assert_eq!(due_at(&d, Status::Closed, dispatched_at, None), None);
        assert_eq!(escalation(&d, Status::Closed, due, &placement, due + Duration::days(30)), None);
        // Emergencies are due sooner than disputes.
        let dispute = Deadlines::default_for(Category::DISPUTE);
        assert!(d.dispatch_min < dispute.dispatch_min && d.arrive_min < dispute.arrive_min);
    }

    fn code(s: &str) -> DepartmentCode {
        DepartmentCode::parse(s).unwrap()
    }

    /// One order's steps, each taken by the centre (`None`) or a department.
    struct Order {
        status: Status,
        order: Option<WorkOrder>,
    }

    impl Order {
        fn step(&mut self, by: Option<&str>, t: Transition) -> Result<Status, WorkflowError> {
            let t = Transition { by_department: by.map(code), ..t };
            let d = decide(Workflow::Department, self.status, self.order.as_ref(), &t)?;
            self.status = d.status;
            self.order = d.order;
            Ok(d.status)
        }
    }

    fn assign(dept: &str, co: &[&str]) -> Transition {
        Transition {
            to: Status::Assigned,
            department: Some(code(dept)),
            co_departments: co.iter().map(|c| code(c)).collect(),
            ..Transition::default()
        }
    }

    fn plain(to: Status) -> Transition {
        Transition { to, ..Transition::default() }
    }

    #[test]
    fn a_work_order_goes_out_comes_back_is_reassigned_redone_and_closed() {
        let mut o = Order { status: Status::Reported, order: None };
        assert_eq!(o.step(None, assign("water", &["zfj", "zfj"])), Ok(Status::Assigned));
        assert_eq!(o.order.as_ref().unwrap().co_departments, [code("zfj")], "co-departments deduplicated");
        // 退单 needs a reason, and only the lead may send it back.
        assert_eq!(o.step(Some("water"), plain(Status::Returned)), Err(WorkflowError::ReasonRequired));
        let back = Transition { reason: Some(ReturnReason::NotOurs), ..plain(Status::Returned) };
        assert_eq!(
            o.step(Some("zfj"), back.clone()),
            Err(WorkflowError::NotTheLead { lead: code("water"), step: "return" })
        );
        assert_eq!(o.step(Some("water"), back), Ok(Status::Returned));
        // 改派 is the centre's.
        assert_eq!(o.step(Some("water"), assign("power", &[])), Err(WorkflowError::CentreOnly("assigning")));
        assert_eq!(o.step(None, assign("power", &[])), Ok(Status::Assigned));
        assert_eq!(o.order.as_ref().map(|w| (w.department.as_str(), w.returns)), Some(("power", 1)));
        assert_eq!(o.step(Some("water"), plain(Status::Accepted)).unwrap_err().field(), "to", "no longer theirs");
        assert_eq!(o.step(Some("power"), plain(Status::Accepted)), Ok(Status::Accepted));
        assert_eq!(o.step(Some("power"), plain(Status::Completed)), Ok(Status::Completed));
        // 回访: a verdict is needed; the first 不满意 sends it back, flagged.
        assert_eq!(o.step(None, plain(Status::Feedback)), Err(WorkflowError::VerdictRequired));
        let verdict = |v| Transition { verdict: Some(v), ..plain(Status::Feedback) };
        assert_eq!(
            o.step(Some("power"), verdict(Verdict::Satisfied)),
            Err(WorkflowError::CentreOnly("the return visit"))
        );
        assert_eq!(o.step(None, verdict(Verdict::Dissatisfied)), Ok(Status::Accepted));
        assert!(o.order.as_ref().unwrap().reworked);
        assert_eq!(o.step(Some("power"), plain(Status::Completed)), Ok(Status::Completed));
        assert_eq!(o.step(None, verdict(Verdict::Satisfied)), Ok(Status::Feedback));
        assert_eq!(o.step(Some("power"), plain(Status::Closed)), Err(WorkflowError::CentreOnly("closing")));
        assert_eq!(o.step(None, plain(Status::Closed)), Ok(Status::Closed));
        assert!(next(Workflow::Department, Status::Closed).is_empty());
    }

    #[test]
    fn a_second_dissatisfied_verdict_stands_and_a_returned_order_closes_only_with_a_note() {
        let reworked =
            WorkOrder { department: code("a"), co_departments: vec![], due_at: None, returns: 0, reworked: true };
        let mut o = Order { status: Status::Completed, order: Some(reworked) };
        let dissatisfied = Transition { verdict: Some(Verdict::Dissatisfied), ..plain(Status::Feedback) };
        assert_eq!(o.step(None, dissatisfied), Ok(Status::Feedback));
        let mut r = Order { status: Status::Returned, order: o.order.clone() };
        assert_eq!(r.step(None, plain(Status::Closed)).unwrap_err().field(), "note");
        let with_note = Transition { note: Some("重复工单，已并入 #12".into()), ..plain(Status::Closed) };
        assert_eq!(r.step(None, with_note), Ok(Status::Closed));
    }

    #[test]
    fn assigning_needs_a_lead_that_is_not_also_a_helper_and_the_loops_do_not_mix() {
        let mut o = Order { status: Status::Reported, order: None };
        assert_eq!(o.step(None, plain(Status::Assigned)), Err(WorkflowError::DepartmentRequired));
        assert_eq!(o.step(None, assign("a", &["a"])).unwrap_err().field(), "co_departments");
        let e = o.step(None, Transition { unit: Some(1), ..plain(Status::Dispatched) }).unwrap_err();
        assert!(matches!(e, WorkflowError::Illegal { workflow: Workflow::Department, .. }), "{e}");
        assert!(e.to_string().ends_with("the next step is assigned or closed"), "{e}");
        // A report not yet assigned is rejected as invalid (不予受理) only with the reason, by the
        // centre.
        assert_eq!(o.step(None, plain(Status::Closed)).unwrap_err().field(), "note");
        let reject = Transition { note: Some("重复上报".into()), ..plain(Status::Closed) };
        assert_eq!(o.step(Some("a"), reject.clone()).unwrap_err().field(), "to", "the centre's step");
        assert_eq!(o.step(None, reject), Ok(Status::Closed));
        // The police chain has no work-order steps.
        assert!(decide(Workflow::Police, Status::Reported, None, &assign("a", &[])).is_err());
        for st in [Status::Assigned, Status::Accepted, Status::Returned, Status::Completed] {
            assert!(next(Workflow::Police, st).is_empty());
        }
    }

    #[test]
    fn notes_keep_the_status_and_come_only_from_those_on_the_order() {
        let order = WorkOrder {
            department: code("a"),
            co_departments: vec![code("b")],
            due_at: None,
            returns: 0,
            reworked: false,
        };
        let mut o = Order { status: Status::Accepted, order: Some(order) };
        let note = |to, text: &str| Transition { note_only: true, note: Some(text.into()), ..plain(to) };
        assert_eq!(o.step(Some("b"), note(Status::Accepted, "协办：已派人现场核实")), Ok(Status::Accepted));
        assert_eq!(o.step(None, note(Status::Accepted, "中心：请加快")), Ok(Status::Accepted));
        assert_eq!(o.step(Some("c"), note(Status::Accepted, "x")), Err(WorkflowError::NotInvolved(code("c"))));
        assert_eq!(o.step(Some("b"), note(Status::Accepted, " ")).unwrap_err().field(), "note");
        assert_eq!(o.step(Some("b"), note(Status::Completed, "x")).unwrap_err().field(), "to");
        assert!(WorkflowError::NotInvolved(code("c")).is_forbidden());
    }

    #[test]
    fn only_an_undispatched_police_call_is_diverted_and_it_closes() {
        let divert = Transition { diverted: true, ..plain(Status::Closed) };
        assert_eq!(
            decide(Workflow::Police, Status::Reported, None, &divert),
            Ok(Decision { status: Status::Closed, order: None })
        );
        assert_eq!(decide(Workflow::Police, Status::Dispatched, None, &divert).unwrap_err().field(), "to");
        assert!(decide(Workflow::Department, Status::Reported, None, &divert).is_err());
        // Without the flag a police call still cannot close from `reported`.
        assert!(decide(Workflow::Police, Status::Reported, None, &plain(Status::Closed)).is_err());
    }

    #[test]
    fn the_centre_s_due_time_replaces_the_completion_allowance() {
        let d = Deadlines::default_for(Category::CRIMINAL);
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
        let set = at + Duration::days(2);
        let order =
            WorkOrder { department: code("a"), co_departments: vec![], due_at: Some(set), returns: 0, reworked: false };
        assert_eq!(due_at(&d, Status::Accepted, at, Some(&order)), Some(set));
        assert_eq!(
            due_at(&d, Status::Assigned, at, Some(&order)),
            Some(at + Duration::minutes(i64::from(d.arrive_min)))
        );
        assert_eq!(due_at(&d, Status::Returned, at, None), Some(at + Duration::minutes(i64::from(d.dispatch_min))));
    }
}
