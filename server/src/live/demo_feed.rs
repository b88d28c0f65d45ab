//! `safegrid serve --demo-feed`: keeps the demo map alive. Every tick it may report a synthetic
//! incident where the last two months' incidents were (so hot spots stay hot), dispatches the
//! nearest available unit, drives the unit there, and walks the incident through the event loop
//! (on scene, resolved, feedback, closed); idle units patrol nearby. Everything goes through
//! the same write paths as real reports and real dispatchers, as user `demo-feed`.

use super::dispatch::suggest;
use crate::incident_index::IncidentFilter;
use crate::ingest::submit;
use crate::state::AppState;
use chrono::Duration;
use model::department::Verdict;
use model::live::{UnitState, UnitStatus};
use model::scope::Scope;
use model::taxonomy::Workflow;
use model::workflow::Transition;
use model::{Category, IncidentId, NewIncident, Severity, Source, Status, Subcategory};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// Seconds between ticks.
pub const TICK_S: u64 = 5;

/// Who the feed acts as in histories.
pub const ACTOR: &str = "demo-feed";

/// A patrol car's speed on the way to an incident, metres per second.
const DRIVE_M_PER_S: f64 = 12.0;

#[derive(Debug, Clone, Copy)]
struct Template {
    lon: f64,
    lat: f64,
    category: Category,
    subcategory: Option<Subcategory>,
    severity: Severity,
}

/// Starts the feed: `per_minute` new incidents a minute on average.
pub fn spawn(state: AppState, per_minute: f64) {
    tokio::spawn(async move {
        let now = state.clock.now();
        let mut templates = Vec::new();
        let mut filter = IncidentFilter::new(crate::incident_index::CellScope::all());
        filter.from_s = Some((now - Duration::days(60)).timestamp());
        state.index().for_each(&filter, |p| {
            templates.push(Template {
                lon: p.lon,
                lat: p.lat,
                category: p.category,
                subcategory: p.subcategory,
                severity: p.severity,
            });
        });
        if templates.is_empty() {
            tracing::warn!("demo feed: no incidents in the last 60 days to imitate; not started");
            return;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(now.timestamp_millis() as u64);
        let mut open: BTreeMap<u64, u32> = BTreeMap::new();
        // The demo history's open 综治 orders move on too.
        state.index().for_each(&filter, |p| {
            if p.status.is_open() && p.category.workflow() == Workflow::Department {
                open.insert(p.id.0, 0);
            }
        });
        let mut n = 0u64;
        let p_new = (per_minute * TICK_S as f64 / 60.0).clamp(0.0, 1.0);
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(TICK_S)).await;
            if rng.random_bool(p_new) {
                n += 1;
                let t = templates[rng.random_range(0..templates.len())];
                if let Some(id) = report(&state, t, &mut rng, n).await {
                    open.insert(id, 0);
                }
            }
            advance(&state, &mut open, &mut rng).await;
            drive(&state, &mut rng).await;
        }
    });
}

async fn report(state: &AppState, t: Template, rng: &mut impl Rng, n: u64) -> Option<u64> {
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

/// Moves each open demo incident on when its time has come.
async fn advance(state: &AppState, open: &mut BTreeMap<u64, u32>, rng: &mut impl Rng) {
    let ids: Vec<IncidentId> = open.keys().map(|id| IncidentId(*id)).collect();
    // One read a tick for every open incident (the history's open orders are hundreds).
    let Ok(found) = state.store.incidents_by_id(&Scope::everything(), ids.clone()).await else { return };
    for IncidentId(id) in ids {
        let ticks = open.get(&id).copied().unwrap_or(0) + 1;
        open.insert(id, ticks);
        let Some(incident) = found.iter().find(|i| i.id.0 == id).cloned() else {
            open.remove(&id);
            continue;
        };
        // A 综治 event's order: assigned to the suggested department, taken, done, followed up.
        if incident.fields.category.workflow() == Workflow::Department {
            if incident.fields.status == Status::Closed {
                open.remove(&id);
            } else if let Some(t) = order_step(state, &incident, ticks, rng)
                && let Err(e) = super::change(state, &incident, t, ACTOR, None).await
            {
                tracing::debug!("demo feed: order {id}: {e}");
            }
            continue;
        }
        let step = |to, unit, satisfaction| Transition { to, unit, satisfaction, ..Transition::default() };
        let t = match incident.fields.status {
            Status::Reported if ticks >= rng.random_range(1..4) => {
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
                drop(board);
                match nearest.first() {
                    Some(s) => step(Status::Dispatched, Some(s.unit), None),
                    None => continue,
                }
            }
            Status::Dispatched => {
                let unit = state.live.board().stage(id).and_then(|s| s.unit);
                let arrived = unit
                    .and_then(|u| state.live.board().unit(u).cloned())
                    .is_none_or(|u| distance_m(u.lon, u.lat, incident.fields.lon, incident.fields.lat) < 60.0);
                if !arrived {
                    continue;
                }
                step(Status::OnScene, None, None)
            }
            Status::OnScene if rng.random_bool(0.15) => step(Status::Resolved, None, None),
            Status::Resolved if rng.random_bool(0.3) => step(Status::Feedback, None, Some(rng.random_range(3..=5))),
            Status::Feedback if rng.random_bool(0.3) => step(Status::Closed, None, None),
            Status::Closed => {
                open.remove(&id);
                continue;
            }
            _ => continue,
        };
        if let Err(e) = super::change(state, &incident, t, ACTOR, None).await {
            tracing::debug!("demo feed: incident {id}: {e}");
        }
    }
}

/// The next step of a 综治 event's order, when its time has come: the centre assigns it to the
/// suggested department (again after a return), the department takes it and reports it done,
/// the centre records the reporter's verdict (now and then dissatisfied) and closes it.
fn order_step(state: &AppState, incident: &model::Incident, ticks: u32, rng: &mut impl Rng) -> Option<Transition> {
    let order = state.live.board().order(incident.id.0).cloned();
    let staff = |to: Status| {
        order.as_ref().map(|o| Transition { to, by_department: Some(o.department.clone()), ..Transition::default() })
    };
    match incident.fields.status {
        Status::Reported | Status::Returned if ticks >= rng.random_range(2..8) => {
            let department =
                crate::work_orders::suggestion(state, incident.fields.category, incident.placement.cell_code)?;
            Some(Transition { to: Status::Assigned, department: Some(department), ..Transition::default() })
        }
        Status::Assigned if rng.random_bool(0.2) => staff(Status::Accepted),
        Status::Accepted if rng.random_bool(0.05) => {
            staff(Status::Completed).map(|t| Transition { note: Some("已处置 (demo feed)".into()), ..t })
        }
        Status::Completed if rng.random_bool(0.2) => {
            let verdict = match rng.random_range(0..100) {
                0..85 => Verdict::Satisfied,
                85..95 => Verdict::BasicallySatisfied,
                _ => Verdict::Dissatisfied,
            };
            Some(Transition { to: Status::Feedback, verdict: Some(verdict), ..Transition::default() })
        }
        Status::Feedback if rng.random_bool(0.3) => Some(Transition { to: Status::Closed, ..Transition::default() }),
        _ => None,
    }
}

fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let dx = (lon2 - lon1) * 111_320.0 * lat1.to_radians().cos();
    let dy = (lat2 - lat1) * 110_540.0;
    dx.hypot(dy)
}

/// Busy units drive towards their incident; a few idle ones patrol a little.
async fn drive(state: &AppState, rng: &mut impl Rng) {
    let now = state.clock.now();
    let units: Vec<UnitState> = state.live.board().units().cloned().collect();
    let mut moved = Vec::new();
    for u in units {
        let target = match (u.status, u.incident) {
            (UnitStatus::Busy, Some(id)) => state.index().get(IncidentId(id)).map(|p| (p.lon, p.lat)),
            (UnitStatus::Available, _) if rng.random_bool(0.1) => {
                Some((u.lon + rng.random_range(-0.002..0.002), u.lat + rng.random_range(-0.0015..0.0015)))
            }
            _ => None,
        };
        let Some((tx, ty)) = target else { continue };
        let d = distance_m(u.lon, u.lat, tx, ty);
        if d < 5.0 {
            continue;
        }
        let f = (DRIVE_M_PER_S * TICK_S as f64 / d).min(1.0);
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
