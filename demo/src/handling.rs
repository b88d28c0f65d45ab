//! How long each stage of an event takes in the demo, so that the history and the live demo feed
//! (`server::live::demo_feed`) look like a city at work: a 110 call is dispatched in a minute or
//! two, reached in about ten, handled within the hour or two, reported back and closed the same
//! shift; a 综治 event is assigned within the hour, taken within hours, done within a day or two,
//! followed up and closed. Every draw is log-normal around a typical time; now and then a stage
//! runs past its allowance (mostly the short dispatch and arrival stages), so a few percent of
//! the open events are overdue at any moment, and none lies open for months.
//!
//! Police history: every 110 incident's stages are drawn; its status at `end` is the stage it
//! had reached. Those reported in the last [`POLICE_STEPS_DAYS`] keep their steps (with the
//! patrol unit of their township), so the command centre's clocks and on-time figures read
//! true; older ones are stored with the status alone (closed).

use crate::DemoIncident;
use crate::sample::normal;
use chrono::{DateTime, Duration, Utc};
use model::live::IncidentChange;
use model::taxonomy::Workflow;
use model::workflow::Deadlines;
use model::{Category, RegionLevel, Resource, ResourceKind, Status};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Days before the end whose 110 incidents keep their steps.
pub const POLICE_STEPS_DAYS: i64 = 2;

/// Who takes the command centre's steps in the police history.
pub const DISPATCHER: &str = "demo-dispatch";

/// Share of dispatch and arrival stages that run past their allowance.
const LATE_SHORT_STAGE: f64 = 0.03;

/// Share of the handling stages that run past their allowance: on scene (hours), and a
/// department's work (days, so each late one stays overdue for days).
const LATE_HANDLING: f64 = 0.015;
const LATE_HANDLING_ORDER: f64 = 0.004;

/// Share of the feedback and closing stages that run past their allowance.
const LATE_LONG_STAGE: f64 = 0.001;

/// Minutes each stage of one event takes, in the order of [`Deadlines`]: dispatch (assign),
/// arrival (accept), handling (complete), feedback (回访), closure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageMinutes(pub [f64; 5]);

impl StageMinutes {
    /// The minutes the stage entered with a step to `status` lasts (`None`: closed).
    pub fn in_status(&self, status: Status) -> Option<f64> {
        let i = match status {
            Status::Reported | Status::Returned => 0,
            Status::Dispatched | Status::Assigned => 1,
            Status::OnScene | Status::Accepted => 2,
            Status::Resolved | Status::Completed => 3,
            Status::Feedback => 4,
            Status::Closed => return None,
        };
        Some(self.0[i])
    }

    /// Minutes from report to closure.
    pub fn total(&self) -> f64 {
        self.0.iter().sum()
    }
}

/// Typical minutes an officer spends handling a 110 incident of `category` at the scene.
fn police_handling_min(category: Category) -> f64 {
    match category {
        Category::CRIMINAL => 75.0,
        Category::PUBLIC_ORDER => 45.0,
        Category::TRAFFIC => 35.0,
        Category::DISPUTE => 50.0,
        Category::ASSISTANCE => 30.0,
        Category::FIRE => 60.0,
        Category::DISASTER => 90.0,
        _ => 30.0,
    }
}

/// A log-normal draw around `median` (spread `sigma`), or with probability `late` a time past
/// the allowance; never more than three times the allowance.
fn stage(rng: &mut ChaCha8Rng, median: f64, sigma: f64, allowance_min: u32, late: f64) -> f64 {
    let allowance = f64::from(allowance_min.max(1));
    let m = if rng.random_bool(late) {
        allowance * rng.random_range(1.1..2.5)
    } else {
        median * (sigma * normal(rng)).exp()
    };
    m.clamp(0.5, 3.0 * allowance)
}

/// Draws the stage times of one event of `category` (its workflow's allowances `d`).
pub fn draw(category: Category, d: &Deadlines, rng: &mut ChaCha8Rng) -> StageMinutes {
    let (s, h, l) = (LATE_SHORT_STAGE, LATE_HANDLING, LATE_LONG_STAGE);
    let a = |m: u32| f64::from(m);
    StageMinutes(match category.workflow() {
        Workflow::Police => [
            stage(rng, 0.35 * a(d.dispatch_min), 0.5, d.dispatch_min, s),
            stage(rng, 0.45 * a(d.arrive_min), 0.45, d.arrive_min, s),
            stage(rng, police_handling_min(category).min(0.5 * a(d.resolve_min)), 0.6, d.resolve_min, h),
            stage(rng, 20.0, 0.6, d.feedback_min, l),
            stage(rng, 15.0, 0.6, d.close_min, l),
        ],
        Workflow::Department => [
            stage(rng, 0.25 * a(d.dispatch_min), 0.6, d.dispatch_min, s),
            stage(rng, 0.3 * a(d.arrive_min), 0.6, d.arrive_min, s),
            stage(rng, 0.1 * a(d.resolve_min), 0.7, d.resolve_min, LATE_HANDLING_ORDER),
            stage(rng, 180.0_f64.min(0.3 * a(d.feedback_min)), 0.7, d.feedback_min, l),
            stage(rng, 60.0_f64.min(0.3 * a(d.close_min)), 0.6, d.close_min, l),
        ],
    })
}

/// The 110 history's steps and the units still out at its end.
#[derive(Debug, Clone, Default)]
pub struct PoliceHistory {
    /// The steps of the calls reported in the last [`POLICE_STEPS_DAYS`] and of every call still
    /// open: (index in the incidents, steps oldest first), in the incidents' order.
    pub steps: Vec<(usize, Vec<IncidentChange>)>,
    /// The patrol units on a call at the end (dispatched or on scene): (unit id, index of the
    /// call), each unit once.
    pub busy_units: Vec<(u64, usize)>,
}

/// Sets each 110 incident's status at `end` from its drawn stage times, and returns the steps of
/// the recent and the open calls and the units still out. A call is dispatched to a unit of its
/// township; a call still out at the end gets a unit no other such call holds (the nearest of
/// its township's, else the nearest; the nearest, shared, when every unit is out). Incidents
/// older than any event could stay open are closed without a draw.
pub fn police_history(
    incidents: &mut [DemoIncident],
    resources: &[Resource],
    end: DateTime<Utc>,
    seed: u64,
) -> PoliceHistory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0110_57a6);
    let units: Vec<&Resource> = resources.iter().filter(|r| r.kind == ResourceKind::PatrolUnit).collect();
    let steps_from = end - Duration::days(POLICE_STEPS_DAYS);
    let mut out = PoliceHistory::default();
    let mut out_on_calls = std::collections::HashSet::new();
    for (i, d) in incidents.iter_mut().enumerate() {
        let incident = &mut d.incident;
        if incident.category.workflow() != Workflow::Police {
            continue;
        }
        let deadlines = incident.category.deadlines();
        // Each stage is capped at three times its allowance: nothing reported before this is open.
        let longest = 2
            * (i64::from(deadlines.dispatch_min)
                + i64::from(deadlines.arrive_min)
                + i64::from(deadlines.resolve_min)
                + i64::from(deadlines.feedback_min)
                + i64::from(deadlines.close_min));
        incident.status = Status::Closed;
        if incident.reported_at < end - Duration::minutes(longest) {
            continue;
        }
        let times = draw(incident.category, &deadlines, &mut rng);
        let township = d.cell_code.village().truncate(RegionLevel::Township);
        let reached = |k: usize| incident.reported_at + minutes(times.0[..=k].iter().sum());
        // Still out at the end (dispatched before it, not yet resolved): a unit of its own.
        let out_at_end = reached(0) < end && reached(2) >= end;
        let (lon, lat) = (incident.lon, incident.lat);
        let distance = |u: &&&Resource| (u.lon - lon).powi(2) + (u.lat - lat).powi(2);
        let unit = if out_at_end {
            let free = |u: &&&Resource| !out_on_calls.contains(&u.id);
            units
                .iter()
                .filter(|u| u.region_code == township && free(u))
                .min_by(|a, b| distance(a).total_cmp(&distance(b)))
                .or_else(|| units.iter().filter(free).min_by(|a, b| distance(a).total_cmp(&distance(b))))
                // More calls out than units: the nearest, shared (busy with the first of them).
                .or_else(|| units.iter().min_by(|a, b| distance(a).total_cmp(&distance(b))))
                .map(|u| u.id)
        } else {
            units.iter().filter(|u| u.region_code == township).chain(units.iter()).map(|u| u.id).next()
        };
        if let Some(u) = unit.filter(|u| out_at_end && !out_on_calls.contains(u)) {
            out_on_calls.insert(u);
            out.busy_units.push((u, i));
        }
        let mut steps = Vec::new();
        let mut status = Status::Reported;
        let mut at = incident.reported_at;
        let path = [Status::Dispatched, Status::OnScene, Status::Resolved, Status::Feedback, Status::Closed];
        for (k, to) in path.into_iter().enumerate() {
            let next = at + minutes(times.0[k]);
            if next >= end {
                break;
            }
            steps.push(IncidentChange {
                id: 0,
                from: status,
                to,
                unit: (to == Status::Dispatched).then_some(unit).flatten(),
                satisfaction: (to == Status::Feedback).then(|| satisfaction(&mut rng)),
                by: DISPATCHER.to_owned(),
                at: next,
                ..IncidentChange::default()
            });
            status = to;
            at = next;
        }
        incident.status = status;
        if incident.reported_at >= steps_from || status != Status::Closed {
            out.steps.push((i, steps));
        }
    }
    out
}

fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0).round() as i64)
}

/// A reporter's satisfaction at the feedback call, 1–5: mostly satisfied.
pub fn satisfaction(rng: &mut ChaCha8Rng) -> u8 {
    match rng.random_range(0..100) {
        0..70 => 5,
        70..90 => 4,
        90..96 => 3,
        96..98 => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::workflow::{Transition, decide};

    #[test]
    fn a_110_call_is_closed_within_hours_and_few_stages_run_late() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let c = Category::TRAFFIC;
        let d = c.deadlines();
        let draws: Vec<StageMinutes> = (0..20_000).map(|_| draw(c, &d, &mut rng)).collect();
        let mut totals: Vec<f64> = draws.iter().map(StageMinutes::total).collect();
        totals.sort_by(f64::total_cmp);
        let median = totals[totals.len() / 2];
        assert!((60.0..240.0).contains(&median), "median report to closure {median} min");
        let late_dispatch = draws.iter().filter(|m| m.0[0] > f64::from(d.dispatch_min)).count() as f64 / 20_000.0;
        let late_arrival = draws.iter().filter(|m| m.0[1] > f64::from(d.arrive_min)).count() as f64 / 20_000.0;
        assert!((0.01..0.08).contains(&late_dispatch), "late dispatch {late_dispatch}");
        assert!((0.01..0.10).contains(&late_arrival), "late arrival {late_arrival}");
        // Never more than three times any allowance.
        let allowed = [d.dispatch_min, d.arrive_min, d.resolve_min, d.feedback_min, d.close_min];
        assert!(draws.iter().all(|m| m.0.iter().zip(allowed).all(|(t, a)| *t <= 3.0 * f64::from(a))));
    }

    #[test]
    fn the_police_history_walks_the_chain_and_leaves_tens_open() {
        let end = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        // Sixty days at the default world's rate (200,000 a year).
        let p = crate::DemoParams { days: 60, base_incidents: 33_000, ..crate::DemoParams::new(5, end) };
        let world = crate::generate(&p).unwrap();
        let police: Vec<&DemoIncident> =
            world.incidents.iter().filter(|d| d.incident.category.workflow() == Workflow::Police).collect();
        let per_day = police.len() as f64 / 60.0;
        let open: Vec<&&DemoIncident> = police.iter().filter(|d| d.incident.status != Status::Closed).collect();
        // Little's law: about two hours' calls are open, not months' worth.
        assert!(open.len() as f64 <= per_day / 24.0 * 6.0, "{} open of {per_day:.0} a day", open.len());
        assert!(open.len() >= 5, "{} open", open.len());
        assert!(open.iter().all(|d| d.incident.reported_at > end - Duration::days(30)));
        for (i, steps) in &world.police.steps {
            let d = &world.incidents[*i];
            let mut status = Status::Reported;
            let mut at = d.incident.reported_at;
            for c in steps {
                // Each step is legal by the model's rules, after the one before, before the end.
                let t = Transition { to: c.to, unit: c.unit, satisfaction: c.satisfaction, ..Transition::default() };
                assert_eq!(decide(Workflow::Police, status, None, &t).map(|x| x.status), Ok(c.to));
                assert!(c.at >= at && c.at < end);
                status = c.to;
                at = c.at;
            }
            assert_eq!(status, d.incident.status);
        }
        let with_steps = world.police.steps.len() as f64;
        assert!(with_steps >= per_day * POLICE_STEPS_DAYS as f64 * 0.8, "{with_steps} with steps");
        // Every call still out holds a unit of its own, the one its dispatch named.
        let out: Vec<&&DemoIncident> = open
            .iter()
            .filter(|d| matches!(d.incident.status, Status::Dispatched | Status::OnScene))
            .copied()
            .collect();
        assert!(!out.is_empty());
        assert_eq!(world.police.busy_units.len(), out.len());
        let units: std::collections::HashSet<u64> = world.police.busy_units.iter().map(|b| b.0).collect();
        assert_eq!(units.len(), out.len(), "a unit on two calls");
        for (unit, i) in &world.police.busy_units {
            let steps = &world.police.steps.iter().find(|(k, _)| k == i).unwrap().1;
            assert_eq!(steps[0].unit, Some(*unit));
        }
    }
}
