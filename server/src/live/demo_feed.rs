//! `safegrid serve --demo-feed`: keeps the demo map alive like a city at work. New incidents are
//! reported where the last two months' incidents were (so hot spots stay hot), at the history's
//! own rate unless told otherwise. Each open event, the history's included, follows stage times
//! drawn as the history's were (`demo::handling`): the nearest available unit is dispatched,
//! drives there and arrives in its time, the incident is handled, reported back and closed; a
//! 综治 event is assigned to the suggested department, taken, done, followed up (now and then
//! dissatisfied, so redone) and closed. The open queue therefore stays as long as a few hours'
//! events, however long the feed runs. Idle units patrol nearby. Everything goes through the same
//! write paths as real reports and dispatchers, as user `demo-feed`.
//!
//! [`Feed::tick`] takes one step at the state's clock; the server calls it every [`TICK_S`]
//! seconds, a test as fast as it likes with a clock it moves.

use super::dispatch::suggest;
use crate::incident_index::{CellScope, IncidentFilter};
use crate::ingest::submit;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use demo::handling::{StageMinutes, draw, satisfaction};
use model::department::Verdict;
use model::live::{UnitState, UnitStatus};
use model::scope::Scope;
use model::taxonomy::Workflow;
use model::workflow::Transition;
use model::{Category, IncidentId, NewIncident, Severity, Source, Status, Subcategory};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use store::StoreError;

/// Seconds between ticks.
pub const TICK_S: u64 = 5;

/// Who the feed acts as in histories.
pub const ACTOR: &str = "demo-feed";

/// A patrol car's speed when it has time to spare, and at most, metres per second.
const DRIVE_M_PER_S: f64 = 12.0;
const DRIVE_MAX_M_PER_S: f64 = 25.0;

/// How far from the scene a unit counts as arrived, metres.
const ARRIVED_M: f64 = 60.0;

/// How far back the feed looks for incidents to imitate, and for the history's rate.
const TEMPLATE_DAYS: i64 = 60;

/// Minutes before trying again a step that could not be taken yet (no unit free, the unit not
/// there yet, a store error).
const RETRY_MIN: f64 = 1.0;

/// Tries, a minute apart, of a step the feed cannot take (no unit free, the unit not there,
/// no department to assign, a status outside the chain) before it leaves the event to the
/// people at the desk.
const MAX_TRIES: u32 = 60;

#[derive(Debug, Clone, Copy)]
struct Template {
    lon: f64,
    lat: f64,
    category: Category,
    subcategory: Option<Subcategory>,
    severity: Severity,
}

/// An open event the feed moves on: when its next step is due, its stage times, and how often
/// its next step could not be taken.
#[derive(Debug, Clone, Copy)]
struct Plan {
    next_at: DateTime<Utc>,
    times: StageMinutes,
    tries: u32,
}

/// What the feed does with an event whose step has come due.
enum Next {
    /// Take this step.
    Take(Transition),
    /// Not yet (no unit free, the unit still on its way): try again shortly.
    Wait,
    /// Nothing the feed can do.
    Nothing,
}

/// The feed between ticks.
pub struct Feed {
    templates: Vec<Template>,
    per_minute: f64,
    rng: ChaCha8Rng,
    reported: u64,
    open: BTreeMap<u64, Plan>,
    last: DateTime<Utc>,
}

impl Feed {
    /// A feed imitating the last two months' incidents, `per_minute` new ones a minute (`None`:
    /// the rate of those two months), and moving on the events of those months still open, each
    /// in a time drawn for the stage it is in (one already past it moves at a random moment
    /// within that time, so they do not all move at once). An event whose stage has run past
    /// three times its allowance (a hard case, one stalled at a desk) is left to people. `None`
    /// when there is nothing to imitate.
    pub fn new(state: &AppState, per_minute: Option<f64>, seed: u64) -> Option<Feed> {
        let now = state.clock.now();
        let mut filter = IncidentFilter::new(CellScope::all());
        filter.from_s = Some((now - Duration::days(TEMPLATE_DAYS)).timestamp());
        filter.to_s = Some(now.timestamp());
        let mut templates = Vec::new();
        let mut open = Vec::new();
        state.index().for_each(&filter, |p| {
            templates.push(Template {
                lon: p.lon,
                lat: p.lat,
                category: p.category,
                subcategory: p.subcategory,
                severity: p.severity,
            });
            if p.status.is_open() {
                open.push((p.id.0, p.category, p.status, p.reported_s));
            }
        });
        if templates.is_empty() {
            return None;
        }
        let per_minute = per_minute.unwrap_or(templates.len() as f64 / (TEMPLATE_DAYS * 1440) as f64);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let board = state.live.board();
        let open = open
            .into_iter()
            .filter_map(|(id, category, status, reported_s)| {
                let entered_at =
                    board.stage(id).map(|s| s.entered_at).or_else(|| DateTime::from_timestamp(reported_s, 0))?;
                let deadlines = state.settings.deadlines(category);
                let allowed = f64::from(deadlines.allowed_min(status)?);
                if (now - entered_at).num_minutes() as f64 > 3.0 * allowed {
                    return None;
                }
                let times = draw(category, &deadlines, &mut rng);
                let stage = times.in_status(status)?;
                let due = entered_at + minutes(stage);
                let next_at = if due > now { due } else { now + minutes(rng.random_range(0.0..stage.max(1.0))) };
                Some((id, Plan { next_at, times, tries: 0 }))
            })
            .collect();
        drop(board);
        Some(Feed { templates, per_minute, rng, reported: 0, open, last: now })
    }

    /// New incidents a minute.
    pub fn per_minute(&self) -> f64 {
        self.per_minute
    }

    /// How many events the feed is moving on.
    pub fn open(&self) -> usize {
        self.open.len()
    }

    /// One step at the state's clock: the reports of the time since the last tick, every step
    /// that has come due, and the units' movements.
    pub async fn tick(&mut self, state: &AppState) {
        let now = state.clock.now();
        let elapsed_s = (now - self.last).num_milliseconds().max(0) as f64 / 1000.0;
        self.last = now;
        for _ in 0..poisson(&mut self.rng, self.per_minute * elapsed_s / 60.0) {
            let t = self.templates[self.rng.random_range(0..self.templates.len())];
            self.reported += 1;
            if let Some(id) = report(state, t, &mut self.rng, self.reported).await {
                let times = draw(t.category, &state.settings.deadlines(t.category), &mut self.rng);
                self.open.insert(id, Plan { next_at: now + minutes(times.0[0]), times, tries: 0 });
            }
        }
        self.advance(state, now).await;
        drive(state, &self.open, &mut self.rng, now, elapsed_s).await;
    }

    /// Takes every step that has come due.
    async fn advance(&mut self, state: &AppState, now: DateTime<Utc>) {
        let due: Vec<IncidentId> =
            self.open.iter().filter(|(_, p)| p.next_at <= now).map(|(id, _)| IncidentId(*id)).collect();
        if due.is_empty() {
            return;
        }
        let Ok(found) = state.store.incidents_by_id(&Scope::everything(), due.clone()).await else { return };
        for IncidentId(id) in due {
            let Some(incident) = found.iter().find(|i| i.id.0 == id) else {
                self.open.remove(&id);
                continue;
            };
            let Some(mut plan) = self.open.get(&id).copied() else { continue };
            let status = incident.fields.status;
            let next = match incident.fields.category.workflow() {
                Workflow::Police => police_step(state, incident, &mut self.rng),
                Workflow::Department => order_step(state, incident, &mut self.rng),
            };
            let t = match next {
                Next::Take(t) => t,
                Next::Nothing if status == Status::Closed => {
                    self.open.remove(&id);
                    continue;
                }
                Next::Wait | Next::Nothing if plan.tries >= MAX_TRIES => {
                    tracing::debug!("demo feed: leaves incident {id} ({}) to the desk", status.as_str());
                    self.open.remove(&id);
                    continue;
                }
                // The stage runs late.
                Next::Wait | Next::Nothing => {
                    plan.tries += 1;
                    plan.next_at = now + minutes(RETRY_MIN);
                    self.open.insert(id, plan);
                    continue;
                }
            };
            match super::change(state, incident, t, ACTOR, None).await {
                Ok(_) => {
                    plan.tries = 0;
                    let to = state.index().get(IncidentId(id)).map_or(Status::Closed, |p| p.status);
                    // Redone after a dissatisfied visit: the work takes its time again.
                    if to == Status::Accepted && status == Status::Completed {
                        plan.times = draw(
                            incident.fields.category,
                            &state.settings.deadlines(incident.fields.category),
                            &mut self.rng,
                        );
                    }
                    match plan.times.in_status(to) {
                        Some(m) => {
                            plan.next_at = now + minutes(m);
                            self.open.insert(id, plan);
                        }
                        None => {
                            self.open.remove(&id);
                        }
                    }
                }
                // Someone else moved it (a user at the desk): it is theirs now.
                Err(e @ super::ChangeError::Store(StoreError::Workflow(_) | StoreError::NotFound { .. })) => {
                    tracing::debug!("demo feed: incident {id}: {e}");
                    self.open.remove(&id);
                }
                // The unit was taken meanwhile, or the store failed: again shortly.
                Err(e) if plan.tries < MAX_TRIES => {
                    tracing::debug!("demo feed: incident {id}, again in a minute: {e}");
                    plan.tries += 1;
                    plan.next_at = now + minutes(RETRY_MIN);
                    self.open.insert(id, plan);
                }
                Err(e) => {
                    tracing::warn!("demo feed: leaves incident {id} to the desk: {e}");
                    self.open.remove(&id);
                }
            }
        }
    }
}

/// Starts the feed (see [`Feed::new`]); it ticks every [`TICK_S`] seconds until the runtime ends.
pub fn spawn(state: AppState, per_minute: Option<f64>) {
    tokio::spawn(async move {
        let seed = state.clock.now().timestamp_millis() as u64;
        let Some(mut feed) = Feed::new(&state, per_minute, seed) else {
            tracing::warn!("demo feed: no incidents in the last {TEMPLATE_DAYS} days to imitate; not started");
            return;
        };
        tracing::info!(
            per_minute = feed.per_minute(),
            open = feed.open(),
            "demo feed on: synthetic incidents and unit movements (演示实时数据流)"
        );
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(TICK_S)).await;
            feed.tick(&state).await;
        }
    });
}

fn minutes(m: f64) -> Duration {
    Duration::milliseconds((m * 60_000.0).round() as i64)
}

/// A Poisson draw (Knuth; the means here are small).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let l = (-mean.clamp(0.0, 50.0)).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

async fn report(state: &AppState, t: Template, rng: &mut ChaCha8Rng, n: u64) -> Option<u64> {
    let now = state.clock.now();
    let new = NewIncident {
        source: match t.category.workflow() {
            Workflow::Department => Source::GridWorker,
            Workflow::Police if rng.random_bool(0.8) => Source::Call110,
            Workflow::Police => Source::Patrol,
        },
        external_id: Some(format!("demo-feed-{}-{n}", now.timestamp())),
        category: t.category,
        subcategory: t.subcategory,
        occurred_at: now - Duration::seconds(rng.random_range(30..600)),
        reported_at: now,
        lon: t.lon + rng.random_range(-0.0008..0.0008),
        lat: t.lat + rng.random_range(-0.0006..0.0006),
        address: None,
        summary: Some("演示实时警情 (demo feed)".into()),
        reporter_name: None,
        reporter_phone: None,
        severity: t.severity,
        status: Status::Reported,
    };
    let derive = Some(super::derive(state));
    match submit(&state.commit, &state.geography, &Scope::everything(), vec![new], None, derive).await {
        Ok(stored) => stored.first().map(|s| s.incident.id.0),
        Err(e) => {
            tracing::warn!("demo feed: {e}");
            None
        }
    }
}

/// The police chain's next step: the nearest available unit is dispatched (wait while none is
/// free), then on scene once it is there, resolved, reported back, closed.
fn police_step(state: &AppState, incident: &model::Incident, rng: &mut ChaCha8Rng) -> Next {
    let step = |to| Next::Take(Transition { to, ..Transition::default() });
    match incident.fields.status {
        Status::Reported => {
            let board = state.live.board();
            let nearest = suggest(
                board.units(),
                incident.fields.lon,
                incident.fields.lat,
                1,
                state.settings.travel,
                state.geography.projection(),
                state.settings.roads.as_deref(),
            );
            match nearest.first() {
                Some(s) => {
                    Next::Take(Transition { to: Status::Dispatched, unit: Some(s.unit), ..Transition::default() })
                }
                None => Next::Wait,
            }
        }
        Status::Dispatched => {
            let board = state.live.board();
            let unit = board.stage(incident.id.0).and_then(|s| s.unit).and_then(|u| board.unit(u));
            let (lon, lat) = (incident.fields.lon, incident.fields.lat);
            // A unit of the history that is not on this call any more counts as there.
            match unit.filter(|u| u.incident == Some(incident.id.0)) {
                Some(u) if distance_m(u.lon, u.lat, lon, lat) > ARRIVED_M => Next::Wait,
                _ => step(Status::OnScene),
            }
        }
        Status::OnScene => step(Status::Resolved),
        Status::Resolved => Next::Take(Transition {
            to: Status::Feedback,
            satisfaction: Some(satisfaction(rng)),
            ..Transition::default()
        }),
        Status::Feedback => step(Status::Closed),
        _ => Next::Nothing,
    }
}

/// A 综治 event's next step: the centre assigns it to the suggested department (again after a
/// return), the department takes it and reports it done, the centre records the reporter's
/// verdict (now and then dissatisfied) and closes it.
fn order_step(state: &AppState, incident: &model::Incident, rng: &mut ChaCha8Rng) -> Next {
    order_transition(state, incident, rng).map_or(Next::Nothing, Next::Take)
}

fn order_transition(state: &AppState, incident: &model::Incident, rng: &mut ChaCha8Rng) -> Option<Transition> {
    let order = state.live.board().order(incident.id.0).cloned();
    let staff = |to: Status| {
        order.as_ref().map(|o| Transition { to, by_department: Some(o.department.clone()), ..Transition::default() })
    };
    match incident.fields.status {
        Status::Reported | Status::Returned => {
            let department =
                crate::work_orders::suggestion(state, incident.fields.category, incident.placement.cell_code)?;
            Some(Transition { to: Status::Assigned, department: Some(department), ..Transition::default() })
        }
        Status::Assigned => staff(Status::Accepted),
        Status::Accepted => {
            staff(Status::Completed).map(|t| Transition { note: Some("已处置 (demo feed)".into()), ..t })
        }
        Status::Completed => {
            let verdict = match rng.random_range(0..100) {
                0..85 => Verdict::Satisfied,
                85..95 => Verdict::BasicallySatisfied,
                _ => Verdict::Dissatisfied,
            };
            Some(Transition { to: Status::Feedback, verdict: Some(verdict), ..Transition::default() })
        }
        Status::Feedback => Some(Transition { to: Status::Closed, ..Transition::default() }),
        _ => None,
    }
}

fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let dx = (lon2 - lon1) * 111_320.0 * lat1.to_radians().cos();
    let dy = (lat2 - lat1) * 110_540.0;
    dx.hypot(dy)
}

/// Busy units drive towards their incident, fast enough to arrive when its arrival is due (12 to
/// 25 m/s); a few idle ones patrol a little.
async fn drive(state: &AppState, open: &BTreeMap<u64, Plan>, rng: &mut ChaCha8Rng, now: DateTime<Utc>, elapsed_s: f64) {
    if elapsed_s <= 0.0 {
        return;
    }
    let units: Vec<UnitState> = state.live.board().units().cloned().collect();
    let mut moved = Vec::new();
    for u in units {
        let target = match (u.status, u.incident) {
            (UnitStatus::Busy, Some(id)) => state.index().get(IncidentId(id)).map(|p| {
                // On the way: arrive when the arrival is due; there already: join the scene now.
                let left_s = match (p.status, open.get(&id)) {
                    (Status::Dispatched, Some(plan)) => (plan.next_at - now).num_seconds() as f64,
                    // Sent by a person, or left to one: at a patrol car's pace.
                    (Status::Dispatched, None) => f64::INFINITY,
                    _ => 0.0,
                };
                (p.lon, p.lat, left_s)
            }),
            (UnitStatus::Available, _) if rng.random_bool(0.1) => Some((
                u.lon + rng.random_range(-0.002..0.002),
                u.lat + rng.random_range(-0.0015..0.0015),
                f64::INFINITY,
            )),
            _ => None,
        };
        let Some((tx, ty, left_s)) = target else { continue };
        let d = distance_m(u.lon, u.lat, tx, ty);
        if d < 5.0 {
            continue;
        }
        let speed = (d / left_s.max(elapsed_s)).clamp(DRIVE_M_PER_S, DRIVE_MAX_M_PER_S);
        let f = (speed * elapsed_s / d).min(1.0);
        let (lon, lat) = (u.lon + (tx - u.lon) * f, u.lat + (ty - u.lat) * f);
        if state.geography.locate(lon, lat).is_none() {
            continue;
        }
        moved.push(super::unit_event(&state.geography, UnitState { lon, lat, at: now, ..u }));
    }
    if moved.is_empty() {
        return;
    }
    if let Err(e) = state.log(moved).await {
        tracing::warn!("demo feed: units: {e}");
    }
}
