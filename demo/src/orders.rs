//! The demo's 综治 events and their work orders. Grid workers and citizens report them where
//! people live (cells weighted by population), mostly by day, at about one for every eight 110
//! calls (those the grid worker settles on the spot are not recorded). Each is walked through the
//! loop by the rules of `model::workflow` with the handling times of `handling`: assigned within
//! the hour, taken within hours, done within a day or two, followed up and closed. A few go first to the wrong department and come
//! back (退单), a few run late, a few reporters are dissatisfied and the work is redone.
//!
//! Only the last [`ORDER_HISTORY_DAYS`] keep their steps (the live log the command centre
//! reads); older events are stored closed.

use crate::geography::Geography;
use crate::handling::draw;
use crate::sample::{Weighted, exponential, point_in};
use crate::{DemoIncident, DemoParams};
use chrono::{DateTime, Duration, Utc};
use geo::Coord;
use model::department::{Department, ReturnReason, Verdict, WorkOrder};
use model::live::IncidentChange;
use model::taxonomy::Workflow;
use model::workflow::{Transition, decide};
use model::{Category, NewIncident, Severity, Source, Status};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Days before the end whose events keep their steps.
pub const ORDER_HISTORY_DAYS: i64 = 45;

/// 综治 events per 110 call.
pub const PER_POLICE_INCIDENT: f64 = 0.12;

/// Who takes the centre's steps.
pub const CENTRE: &str = "demo-centre";

/// Share of the events of [`HARD_KINDS`] that become long-running hard cases (积案: a family
/// dispute over land, a petition nobody can settle), whose handling takes 45 to 400 days.
pub const HARD_CASE_SHARE: f64 = 0.004;

/// The kinds whose events may become hard cases.
const HARD_KINDS: [&str; 4] = ["conflict", "petition_stability", "special_groups", "social_assistance"];

/// The kinds and their shares.
const KINDS: [(&str, f64); 12] = [
    ("conflict", 0.18),
    ("security_hazard", 0.08),
    ("work_safety_hazard", 0.06),
    ("fire_hazard", 0.07),
    ("city_management", 0.20),
    ("sanitation", 0.15),
    ("market_supervision", 0.06),
    ("public_utilities", 0.08),
    ("social_assistance", 0.05),
    ("special_groups", 0.03),
    ("petition_stability", 0.02),
    ("governance_other", 0.02),
];

#[derive(Debug, Clone)]
/// A generated 综治 event and the steps of its order (empty: stored as it was reported, or
/// closed before the kept history).
pub struct DemoEvent {
    /// The event.
    pub incident: DemoIncident,
    /// Its steps, oldest first (`id` 0: the store gives the incident its id).
    pub steps: Vec<IncidentChange>,
}

/// The 综治 events of the demo's period, oldest first.
pub fn generate(geo: &Geography, departments: &[Department], p: &DemoParams, police: usize) -> Vec<DemoEvent> {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x02a0_dde5);
    let kinds: Vec<(Category, f64)> =
        KINDS.iter().filter_map(|(code, w)| Category::parse(code).map(|c| (c, *w))).collect();
    if kinds.is_empty() || departments.is_empty() {
        return Vec::new();
    }
    let pick_kind = Weighted::new(kinds.iter().map(|(_, w)| *w));
    let pick_cell = Weighted::new(geo.cells.iter().map(|c| c.cell.population as f64 + 1.0));
    let end = p.end;
    let start = end - Duration::days(i64::from(p.days));
    let kept_from = end - Duration::days(ORDER_HISTORY_DAYS);
    let n = (police as f64 * PER_POLICE_INCIDENT).round() as usize;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let kind = kinds[pick_kind.pick(&mut rng)].0;
        let cell = pick_cell.pick(&mut rng);
        let Some(at) = point_in(&geo.cells[cell].boundary, &mut rng) else { continue };
        let at = Coord { x: (at.x * 1e7).round() / 1e7, y: (at.y * 1e7).round() / 1e7 };
        let Some(cell) = geo.cell_index.locate(at) else { continue };
        let cell_code = geo.cells[cell].cell.code;
        let Some(lead) = model::department::suggest(departments, kind.department_type(), cell_code) else { continue };
        // Mostly by day: 08:00–20:00 Beijing time.
        let day = rng.random_range(0..i64::from(p.days).max(1));
        let local_minute: i32 =
            if rng.random_bool(0.85) { rng.random_range(480..1200) } else { rng.random_range(0..1440) };
        let reported_at = start
            + Duration::days(day)
            + Duration::minutes(i64::from(local_minute) - i64::from(model::time::SHANGHAI_OFFSET_S / 60));
        if reported_at >= end {
            continue;
        }
        let source = if rng.random_bool(0.75) { Source::GridWorker } else { Source::CitizenApp };
        let mut incident = NewIncident {
            source,
            external_id: Some(format!("ZZ-{}-{k}", p.seed)),
            category: kind,
            subcategory: None,
            occurred_at: reported_at - Duration::minutes(rng.random_range(5..240)),
            reported_at,
            lon: at.x,
            lat: at.y,
            address: None,
            summary: Some(format!("{}（演示）", kind.label_zh())),
            reporter_name: None,
            reporter_phone: None,
            severity: if rng.random_bool(0.05) { Severity::Serious } else { Severity::Minor },
            status: Status::Closed,
        };
        let hard = HARD_KINDS.contains(&kind.as_str()) && rng.random_bool(HARD_CASE_SHARE);
        let steps = walk(kind, lead, departments, cell_code, reported_at, end, hard, &mut rng);
        incident.status = steps.last().map_or(Status::Reported, |c| c.to);
        // Older events closed since are kept closed, without their steps.
        let steps = if reported_at < kept_from && incident.status == Status::Closed { Vec::new() } else { steps };
        out.push(DemoEvent { incident: DemoIncident { incident, cell_code }, steps });
    }
    out.sort_by_key(|e| e.incident.incident.occurred_at);
    out
}

/// An order being walked: its steps so far, where it stands, and the end of the demo's time.
struct Walk {
    steps: Vec<IncidentChange>,
    status: Status,
    order: Option<WorkOrder>,
    at: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Walk {
    /// One step `wait_min` minutes after the last, decided by `model::workflow::decide`; false
    /// once past the end.
    fn step(&mut self, wait_min: f64, t: Transition, by: &str) -> bool {
        let next = self.at + Duration::seconds((wait_min.max(1.0) * 60.0).round() as i64);
        if next >= self.end {
            return false;
        }
        let Ok(decision) = decide(Workflow::Department, self.status, self.order.as_ref(), &t) else { return false };
        self.steps.push(IncidentChange {
            id: 0,
            from: self.status,
            to: decision.status,
            note: t.note.clone(),
            order: decision.order.clone(),
            by_department: t.by_department.clone(),
            reason: t.reason,
            verdict: t.verdict,
            by: by.to_owned(),
            at: next,
            ..IncidentChange::default()
        });
        self.status = decision.status;
        self.order = decision.order;
        self.at = next;
        true
    }
}

fn assign(to: &Department) -> Transition {
    Transition { to: Status::Assigned, department: Some(to.code.clone()), ..Transition::default() }
}

fn as_staff(to: Status, who: &Department) -> Transition {
    Transition { to, by_department: Some(who.code.clone()), ..Transition::default() }
}

/// The steps of one order until `end` (a hard case's work takes months).
#[allow(clippy::too_many_arguments)]
fn walk(
    kind: Category,
    lead: &Department,
    departments: &[Department],
    cell: model::CellCode,
    reported_at: DateTime<Utc>,
    end: DateTime<Utc>,
    hard: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<IncidentChange> {
    let d = kind.deadlines();
    let mut times = draw(kind, &d, rng);
    if hard {
        times.0[2] = rng.random_range(45.0..400.0) * 1440.0;
    }
    let mut w = Walk { steps: Vec::new(), status: Status::Reported, order: None, at: reported_at, end };
    // 分拨; 6% first go to the wrong department, which sends it back.
    let skip = rng.random_range(0..3);
    let wrong = departments
        .iter()
        .filter(|o| o.kind != lead.kind && o.region.contains(cell.village()))
        .nth(skip)
        .filter(|_| rng.random_bool(0.06));
    if !w.step(times.0[0], assign(wrong.unwrap_or(lead)), CENTRE) {
        return w.steps;
    }
    if let Some(x) = wrong {
        let back = Transition {
            reason: Some(ReturnReason::NotOurs),
            note: Some("非本部门职责".into()),
            ..as_staff(Status::Returned, x)
        };
        let by = format!("demo-{}", x.code);
        if !w.step(times.0[1] * 0.5, back, &by) || !w.step(exponential(rng, 30.0), assign(lead), CENTRE) {
            return w.steps;
        }
    }
    let by = format!("demo-{}", lead.code);
    if !w.step(times.0[1], as_staff(Status::Accepted, lead), &by) {
        return w.steps;
    }
    let mut verdicts = 0;
    loop {
        let done = Transition { note: Some("已处置".into()), ..as_staff(Status::Completed, lead) };
        if !w.step(times.0[2], done, &by) {
            return w.steps;
        }
        // 回访: mostly satisfied; a dissatisfied first verdict sends it back once.
        let x: f64 = rng.random();
        let verdict = match (verdicts, x) {
            (0, x) if x < 0.80 => Verdict::Satisfied,
            (0, x) if x < 0.94 => Verdict::BasicallySatisfied,
            (0, _) => Verdict::Dissatisfied,
            (_, x) if x < 0.70 => Verdict::Satisfied,
            (_, x) if x < 0.90 => Verdict::BasicallySatisfied,
            _ => Verdict::Dissatisfied,
        };
        verdicts += 1;
        let visit = Transition { to: Status::Feedback, verdict: Some(verdict), ..Transition::default() };
        if !w.step(times.0[3], visit, CENTRE) {
            return w.steps;
        }
        if w.status != Status::Accepted {
            break;
        }
        // Redone: the department's work and the visit take their time again.
        times = draw(kind, &d, rng);
    }
    w.step(times.0[4], Transition { to: Status::Closed, ..Transition::default() }, CENTRE);
    w.steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_walk_the_loop_by_its_rules_with_a_few_returned_late_or_redone() {
        let end = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let p = DemoParams { days: 60, base_incidents: 20_000, ..DemoParams::new(5, end) };
        let world = crate::generate(&p).unwrap();
        let events: Vec<&DemoEvent> = world.orders.iter().collect();
        assert!(events.len() > 1_000, "{}", events.len());
        let kept: Vec<&&DemoEvent> = events.iter().filter(|e| !e.steps.is_empty()).collect();
        assert!(kept.len() > 500);
        for e in &kept {
            // Each step follows the one before, from the event's status, by the model's rules.
            let mut status = Status::Reported;
            for c in &e.steps {
                assert_eq!(c.from, status);
                status = c.to;
            }
            assert_eq!(status, e.incident.incident.status);
            assert!(e.steps.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(e.steps.last().unwrap().at < end);
        }
        let share = |f: &dyn Fn(&DemoEvent) -> bool| kept.iter().filter(|e| f(e)).count() as f64 / kept.len() as f64;
        // The hard kinds are the taxonomy's.
        assert!(HARD_KINDS.iter().all(|k| Category::parse(k).is_some()));
        let returned = share(&|e| e.steps.iter().any(|c| c.to == Status::Returned));
        let redone = share(&|e| e.steps.iter().any(|c| c.verdict == Some(Verdict::Dissatisfied)));
        let open = share(&|e| e.incident.incident.status != Status::Closed);
        assert!((0.02..0.12).contains(&returned), "returned {returned}");
        assert!((0.02..0.15).contains(&redone), "dissatisfied {redone}");
        assert!(open < 0.35, "open {open}");
        // Older events are stored closed, without steps, except the hard cases still open; those
        // are few and all of the hard kinds.
        let old: Vec<&&DemoEvent> = events
            .iter()
            .filter(|e| e.incident.incident.reported_at < end - Duration::days(ORDER_HISTORY_DAYS))
            .collect();
        let (open_old, closed_old): (Vec<&&DemoEvent>, Vec<&&DemoEvent>) =
            old.iter().partition(|e| e.incident.incident.status != Status::Closed);
        assert!(!closed_old.is_empty() && closed_old.iter().all(|e| e.steps.is_empty()));
        assert!(open_old.len() <= 30, "{} old events open", open_old.len());
        assert!(
            open_old.iter().all(|e| !e.steps.is_empty() && HARD_KINDS.contains(&e.incident.incident.category.as_str()))
        );
    }
}
