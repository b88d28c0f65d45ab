//! Alerts no single write raises, checked once a minute: a grid cell crossing into a
//! significant hot spot (Gi*, FDR-corrected, 95%) over the live window, an open incident
//! whose overdue stage climbs a level (village → township → county → city), and a backlog case
//! in a leader's charge nearing or passing its target date (领导包案提醒, [`remind`]). For hot
//! spots and escalations what holds at start-up is the baseline: only changes after it alert.
//! With several instances each watches; an alert the board already holds (same kind, place and
//! text, from another instance or earlier) is not raised again. Reminders are recorded on the
//! case first, version-checked, so each is raised once by one instance, restarts included.

use crate::geography::CellIdx;
use crate::incident_index::{CellScope, IncidentFilter, StatusSet};
use crate::state::AppState;
use analytics::gi_star::hot_spots;
use analytics::weights::Neighbours;
use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::desk::Reminder;
use model::desk_book::{BacklogUpdate, CaseOrigin, REMINDER_BY};
use model::live::{Alert, AlertCase, AlertKind, LiveKind, NewLiveEvent};
use model::{RegionLevel, Status, workflow};
use std::collections::{HashMap, HashSet};

/// Days of the live hot-spot window.
pub const HOTSPOT_WINDOW_DAYS: i64 = 7;
/// Neighbourhood of the live Gi*, metres (the hot-spot engine's default).
pub const HOTSPOT_BAND_M: f64 = 1_500.0;

/// The cells significant as hot spots (bin ≥ 2: 95% after FDR) given per-cell counts.
pub fn hot_cells(counts: &[f64], w: &Neighbours) -> HashSet<usize> {
    let (cells, _) = hot_spots(counts, w, true);
    cells.iter().enumerate().filter(|(_, c)| c.bin >= 2).map(|(i, _)| i).collect()
}

/// What the watch remembers between checks.
struct Memory {
    hot: HashSet<usize>,
    levels: HashMap<u64, RegionLevel>,
}

/// Starts the watch: a check every `every`.
pub fn spawn(state: AppState, every: std::time::Duration) {
    let utm = state.geography.projection();
    let centres: Vec<[f64; 2]> = state
        .geography
        .cells()
        .iter()
        .map(|c| {
            let p = c.boundary.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y()));
            let (x, y) = utm.forward(p.0, p.1);
            [x, y]
        })
        .collect();
    let neighbours = Neighbours::distance_band(&centres, HOTSPOT_BAND_M);
    tokio::spawn(async move {
        let mut memory: Option<Memory> = None;
        loop {
            let now = state.clock.now();
            remind(&state, now).await;
            let (hot, levels) = look(&state, &neighbours, now);
            if let Some(m) = &memory {
                let mut raised = Vec::new();
                for &cell in hot.difference(&m.hot) {
                    raised.push(hotspot_alert(&state, cell as CellIdx, now));
                }
                for (&id, &level) in &levels {
                    // Levels order from the city down: a climb is a smaller level.
                    if m.levels.get(&id).is_none_or(|old| level < *old)
                        && let Some(a) = overdue_alert(&state, id, level, now)
                    {
                        raised.push(a);
                    }
                }
                raise(&state, raised, now).await;
            }
            memory = Some(Memory { hot, levels });
            tokio::time::sleep(every).await;
        }
    });
}

/// The live hot cells and each overdue open incident's escalation level.
fn look(state: &AppState, neighbours: &Neighbours, now: DateTime<Utc>) -> (HashSet<usize>, HashMap<u64, RegionLevel>) {
    let mut filter = IncidentFilter::new(CellScope::all());
    filter.from_s = Some((now - Duration::days(HOTSPOT_WINDOW_DAYS)).timestamp());
    filter.to_s = Some(now.timestamp() + 1);
    let counts: Vec<f64> =
        state.index().cell_counts(&filter, state.geography.cells().len()).into_iter().map(f64::from).collect();
    let hot = hot_cells(&counts, neighbours);
    let mut levels = HashMap::new();
    let mut open = IncidentFilter::new(CellScope::all());
    open.from_s = Some((now - Duration::days(3)).timestamp());
    let statuses: Vec<Status> = Status::ALL.iter().copied().filter(|s| s.is_open()).collect();
    open.statuses = Some(StatusSet::of(&statuses));
    let board = state.live.board();
    state.index().for_each(&open, |p| {
        let entered = board
            .stage(p.id.0)
            .map_or_else(|| DateTime::from_timestamp(p.reported_s, 0).unwrap_or(now), |s| s.entered_at);
        let deadlines = state.settings.deadlines(p.category);
        let Some(due) = workflow::due_at(&deadlines, p.status, entered, board.order(p.id.0)) else { return };
        let placement = state.geography.placement(p.cell);
        if let Some(e) = workflow::escalation(&deadlines, p.status, due, &placement, now) {
            levels.insert(p.id.0, e.level);
        }
    });
    (hot, levels)
}

fn hotspot_alert(state: &AppState, cell: CellIdx, now: DateTime<Utc>) -> Alert {
    let c = &state.geography.cells()[cell as usize];
    let p = c.boundary.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y()));
    Alert {
        id: 0,
        kind: AlertKind::Hotspot,
        cell_code: c.cell.code,
        incident: None,
        place: None,
        lon: p.0,
        lat: p.1,
        message_zh: format!("{}成为显著热点（近 {HOTSPOT_WINDOW_DAYS} 天，Gi* 95% 置信，FDR 校正）", c.cell.name),
        message_en: format!(
            "{} became a significant hot spot (last {HOTSPOT_WINDOW_DAYS} days, Gi* 95%, FDR-corrected)",
            c.cell.name
        ),
        at: now,
        acked_by: None,
        acked_at: None,
        case: None,
    }
}

fn overdue_alert(state: &AppState, id: u64, level: RegionLevel, now: DateTime<Utc>) -> Option<Alert> {
    let p = *state.index().get(model::IncidentId(id))?;
    let placement = state.geography.placement(p.cell);
    // Who supervises whom (县级督办 of a township), and the department holding a work order.
    let name = |code: model::RegionCode| state.geography.region(code).map(|r| r.region.name.clone());
    let escalation =
        model::workflow::Escalation { level, region: placement.village_code.truncate(level), overdue_min: 0 };
    let supervisor = name(escalation.region).unwrap_or_default();
    let supervised = escalation.supervised(&placement).and_then(name);
    let holder = state.live.board().order(id).and_then(|o| state.geography.department(&o.department).cloned());
    let rank = match level {
        RegionLevel::City => "市级",
        RegionLevel::County => "县级",
        RegionLevel::Township => "乡镇",
        RegionLevel::Village => "村级",
    };
    let (by_zh, by_en) = match &supervised {
        Some(s) => (
            format!("{rank}督办（{supervisor} → {s}）"),
            format!("{} supervision ({supervisor} → {s})", level.as_str()),
        ),
        None => (format!("{rank}提醒（{supervisor}）"), format!("the village is told ({supervisor})")),
    };
    let (held_zh, held_en) = holder.map_or((String::new(), String::new()), |d| {
        (format!("，承办：{}", d.name_zh), format!("; held by {}", d.name_en))
    });
    Some(Alert {
        id: 0,
        kind: AlertKind::Overdue,
        cell_code: placement.cell_code,
        incident: Some(id),
        place: None,
        lon: p.lon,
        lat: p.lat,
        message_zh: format!("#{id}（{}，{}{held_zh}）超时未办：{by_zh}", p.category.label_zh(), p.status.label_zh()),
        message_en: format!("#{id} ({}, {}{held_en}) is overdue: {by_en}", p.category.label_en(), p.status.label_en()),
        at: now,
        acked_by: None,
        acked_at: None,
        case: None,
    })
}

/// Raises the reminders due on `now`'s local day for backlog cases in a leader's charge (still
/// open): each is first recorded on the case as a `backlog_case` update naming the case's
/// version, so that of several instances one raises it and the others find it stale; then it
/// goes on the live feed as a [`AlertKind::CaseReminder`] alert at the case's place (the leader's
/// desk shows it from the case, `GET /api/my-cases`). A crash between the two loses the feed's
/// alert, not the reminder on the desk. An event older than the memory window is read from the
/// store; a case whose alert cannot be placed is not marked as reminded.
pub async fn remind(state: &AppState, now: DateTime<Utc>) {
    let today = model::time::local_date(now);
    // (origin, id, reminder, version), and each event's facts where the index holds it.
    let (due, mut events, missing) = {
        let book = state.live.desk();
        let index = state.index();
        let mut events: HashMap<u64, EventFacts> = HashMap::new();
        let mut missing = Vec::new();
        let due: Vec<(CaseOrigin, u64, Reminder, u64)> = book
            .case_files()
            .filter_map(|((origin, id), f)| Some((origin, id, f.reminder_to_raise(today)?)))
            .filter(|&(origin, id, _)| match origin {
                CaseOrigin::Event => {
                    match index.get(model::IncidentId(id)) {
                        Some(p) if p.status.is_open() => {
                            events.insert(id, (state.geography.cell_code(p.cell), p.lon, p.lat, p.category));
                        }
                        Some(_) => return false,
                        None => missing.push(model::IncidentId(id)),
                    }
                    true
                }
                CaseOrigin::Dispute => book.dispute(id).is_some_and(|d| d.status.is_open()),
                CaseOrigin::Petition => book.petition(id).is_some_and(|p| p.status.is_open()),
            })
            .map(|(origin, id, r)| (origin, id, r, book.case_subject_version(id)))
            .collect();
        (due, events, missing)
    };
    if !missing.is_empty() {
        match state.store.incidents_by_id(&model::scope::Scope::everything(), missing).await {
            Ok(found) => {
                for i in found.into_iter().filter(|i| i.fields.status.is_open()) {
                    events.insert(i.id.0, (i.placement.cell_code, i.fields.lon, i.fields.lat, i.fields.category));
                }
            }
            Err(e) => tracing::warn!("reading old events for case reminders: {e}"),
        }
    }
    let mut alerts = Vec::new();
    for (origin, id, reminder, version) in due {
        let event = events.get(&id).copied();
        let Some(alert) = case_alert(state, origin, id, reminder, event, now) else { continue };
        let update = BacklogUpdate {
            origin,
            id,
            leader_in_charge: None,
            leader_user: None,
            tag: None,
            department: None,
            target_date: None,
            note: String::new(),
            reminder: Some(reminder),
            by: REMINDER_BY.to_owned(),
            at: now,
        };
        let event = crate::desk_records::desk_event(LiveKind::BacklogCase, id, REMINDER_BY, now, &update);
        let check = store::DeskCheck::Version { kinds: vec![LiveKind::BacklogCase], seq: version };
        match crate::desk_records::record(state, event, check, None).await {
            Ok(_) => alerts.push(alert),
            // Another instance raised it, or the case changed meanwhile: the next check decides.
            Err(store::StoreError::Stale { .. }) => {}
            Err(e) => tracing::warn!("recording a case reminder: {e}"),
        }
    }
    raise(state, alerts, now).await;
}

/// An open event's cell, point and category.
type EventFacts = (model::CellCode, f64, f64, model::Category);

/// The feed's alert of a case reminder: at the event's point (`event`, for an event case), or a
/// dispute's or petition's village; the case named by its kind (never a title or a name, which
/// are personal data). `None` where it cannot be placed.
fn case_alert(
    state: &AppState,
    origin: CaseOrigin,
    id: u64,
    reminder: Reminder,
    event: Option<EventFacts>,
    now: DateTime<Utc>,
) -> Option<Alert> {
    let book = state.live.desk();
    let file = book.case_file(origin, id)?;
    let target_date = file.target_date?;
    let g = &state.geography;
    let village_place = |village: model::RegionCode| {
        let p = g.region(village)?.boundary.interior_point()?;
        let cell = g.locate(p.x(), p.y()).filter(|&c| g.cell_code(c).village() == village).or_else(|| {
            let range = g.cell_range(village);
            (!range.is_empty()).then_some(range.start)
        })?;
        Some((g.cell_code(cell), p.x(), p.y()))
    };
    let (cell_code, lon, lat, what_zh, what_en) = match origin {
        CaseOrigin::Event => {
            let (cell, lon, lat, c) = event?;
            (cell, lon, lat, format!("事件#{id}（{}）", c.label_zh()), format!("event #{id} ({})", c.label_en()))
        }
        CaseOrigin::Dispute => {
            let d = book.dispute(id)?;
            let (cell, lon, lat) = village_place(d.registered.village)?;
            let k = d.registered.kind;
            (cell, lon, lat, format!("纠纷#{id}（{}）", k.label_zh()), format!("dispute #{id} ({})", k.label_en()))
        }
        CaseOrigin::Petition => {
            let p = book.petition(id)?;
            let (cell, lon, lat) = village_place(p.registered.village)?;
            let k = p.registered.kind;
            (cell, lon, lat, format!("信访#{id}（{}）", k.label_zh()), format!("petition #{id} ({})", k.label_en()))
        }
    };
    let leader = file.leader_in_charge.clone().or_else(|| file.leader_user.clone()).unwrap_or_default();
    let (tag_zh, tag_en) = file
        .tag
        .map_or((String::new(), String::new()), |t| (format!("，{}", t.label_zh()), format!(", {}", t.label_en())));
    let (when_zh, when_en) = match reminder {
        Reminder::DueSoon => {
            let days = (target_date - model::time::local_date(now)).num_days();
            (
                format!("距化解期限 {target_date} 还有 {days} 天"),
                format!("{days} day(s) to its target date {target_date}"),
            )
        }
        Reminder::Missed => (format!("已超过化解期限 {target_date}"), format!("passed its target date {target_date}")),
    };
    Some(Alert {
        id: 0,
        kind: AlertKind::CaseReminder,
        cell_code,
        incident: (origin == CaseOrigin::Event).then_some(id),
        place: None,
        lon,
        lat,
        message_zh: format!("领导包案提醒：{what_zh}{tag_zh}{when_zh}，包案领导：{leader}"),
        message_en: format!("Case in a leader's charge: {what_en}{tag_en}: {when_en}; leader: {leader}"),
        at: now,
        acked_by: None,
        acked_at: None,
        case: Some(AlertCase { origin, id, reminder, target_date, leader_user: file.leader_user.clone() }),
    })
}

/// Appends the alerts the board does not already hold from the last day.
async fn raise(state: &AppState, alerts: Vec<Alert>, now: DateTime<Utc>) {
    let fresh: Vec<NewLiveEvent> = {
        let board = state.live.board();
        alerts
            .into_iter()
            .filter(|a| {
                !board.alerts().any(|b| {
                    b.kind == a.kind
                        && b.cell_code == a.cell_code
                        && b.message_en == a.message_en
                        && b.at > now - Duration::days(1)
                })
            })
            .map(|a| NewLiveEvent {
                at: now,
                kind: LiveKind::Alert,
                subject: 0,
                cell_code: Some(a.cell_code),
                category: None,
                actor: None,
                data: serde_json::to_string(&a).unwrap_or_default(),
            })
            .collect()
    };
    if fresh.is_empty() {
        return;
    }
    if let Err(e) = state.log(fresh).await {
        tracing::warn!("raising alerts: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_of_counts_is_hot_and_a_flat_field_is_not() {
        // A 15 × 15 lattice 1 km apart; neighbours within 1.5 km (queen-like).
        let centres: Vec<[f64; 2]> =
            (0..225).map(|i| [f64::from(i % 15) * 1000.0, f64::from(i / 15) * 1000.0]).collect();
        let w = Neighbours::distance_band(&centres, HOTSPOT_BAND_M);
        let flat = vec![2.0; 225];
        assert!(hot_cells(&flat, &w).is_empty());
        let mut clustered = vec![1.0; 225];
        for (r, c) in [(7, 7), (7, 8), (8, 7), (8, 8), (6, 7), (7, 6)] {
            clustered[r * 15 + c] = 12.0;
        }
        let hot = hot_cells(&clustered, &w);
        assert!(hot.contains(&(7 * 15 + 7)) && hot.contains(&(8 * 15 + 8)), "{hot:?}");
        assert!(!hot.contains(&0), "a far corner is not hot");
    }
}
