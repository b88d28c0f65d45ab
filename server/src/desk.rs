//! The one-village-one-officer desk (一村一警), read side: a village's profile and the officers'
//! workload, computed from memory (geography, incident index, live board). Every answer covers
//! only the villages of the caller's scope.
//!
//! Workload index of a village (documented in the API): population ÷ 1,000 + incidents of the
//! last 90 days ÷ 10 + open events — people served, demand, and what is waiting.

use crate::incident_index::{IncidentFilter, StatusSet};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::api::desk::{
    CategoryCount, CellRef, Named, OfficerLoad, OfficerRef, OpenEvent, Place, Reassignment, RebalanceSuggestion,
    VillageLoad, VillageProfile, Workload,
};
use model::live::AlertKind;
use model::scope::Scope;
use model::{Category, CellCode, RegionCode, RegionLevel, ResourceKind, Status};
use std::collections::{BTreeMap, HashMap};

/// Days of incidents in profiles and workload.
pub const RECENT_DAYS: i64 = 90;
/// Weeks in a village's incident trend.
pub const TREND_WEEKS: i64 = 12;

/// Incidents of the last [`RECENT_DAYS`] and open events per village (all villages of `scope`).
pub fn village_counts(s: &AppState, scope: &Scope, now: DateTime<Utc>) -> HashMap<RegionCode, (u32, u32)> {
    let g = &s.geography;
    let mut out: HashMap<RegionCode, (u32, u32)> = HashMap::new();
    let index = s.index();
    let mut recent = IncidentFilter::new(g.cells_in(scope));
    recent.from_s = Some((now - Duration::days(RECENT_DAYS)).timestamp());
    recent.to_s = Some(now.timestamp());
    index.for_each(&recent, |p| out.entry(g.cell_code(p.cell).village()).or_default().0 += 1);
    let mut open = IncidentFilter::new(g.cells_in(scope));
    let statuses: Vec<Status> = Status::ALL.iter().copied().filter(|s| *s != Status::Closed).collect();
    open.statuses = Some(StatusSet::of(&statuses));
    index.for_each(&open, |p| out.entry(g.cell_code(p.cell).village()).or_default().1 += 1);
    out
}

/// An officer as the desk names them, with their police station.
pub fn officer_ref(s: &AppState, o: &model::Officer) -> OfficerRef {
    let station = s
        .geography
        .resources()
        .iter()
        .find(|r| r.kind == ResourceKind::Station && r.id == o.station_id)
        .map(|r| r.name.clone());
    OfficerRef { id: o.id, name: o.name.clone(), badge: o.badge.clone(), station }
}

fn named(s: &AppState, code: RegionCode) -> Option<Named> {
    s.geography.region(code).map(|r| Named { code, name: r.region.name.clone() })
}

fn place(r: &model::Resource) -> Place {
    Place { id: r.id, name: r.name.clone(), subtype: r.subtype.clone(), lon: r.lon, lat: r.lat }
}

/// The profile of `village`, if it is a village inside `scope`.
pub fn village_profile(s: &AppState, scope: &Scope, village: RegionCode, now: DateTime<Utc>) -> Option<VillageProfile> {
    let g = &s.geography;
    if village.level() != RegionLevel::Village || !scope.allows_region(village) {
        return None;
    }
    let region = g.region(village)?;
    let range = g.cell_range(village);
    let cells: Vec<CellRef> = range
        .clone()
        .map(|i| &g.cells()[i as usize].cell)
        .map(|c| CellRef { code: c.code, name: c.name.clone(), population: c.population })
        .collect();
    let cell_codes: Vec<CellCode> = range.clone().map(|i| g.cell_code(i)).collect();
    // Grid workers and key places name the village they serve.
    let in_village = |r: &model::Resource| r.region_code == village;
    let grid_workers =
        g.resources().iter().filter(|r| r.kind == ResourceKind::GridWorker && in_village(r)).map(place).collect();
    let key_places =
        g.resources().iter().filter(|r| r.kind == ResourceKind::KeyPlace && in_village(r)).map(place).collect();
    let township = village.parent();
    let station =
        g.resources().iter().find(|r| r.kind == ResourceKind::Station && Some(r.region_code) == township).map(place);
    let officers =
        s.live.desk().officer_of(village).and_then(|id| g.officer(id)).map(|o| officer_ref(s, o)).into_iter().collect();
    // Incidents: categories and weekly trend over the village's cells.
    let mut filter = IncidentFilter::new(g.cells_in(&Scope::of(vec![village])));
    filter.cells = Some(range.clone());
    let from = now - Duration::days(RECENT_DAYS);
    let trend_from = now - Duration::weeks(TREND_WEEKS);
    let (mut incidents, mut by_category, mut weekly) =
        (0u32, BTreeMap::<Category, u32>::new(), vec![0u32; TREND_WEEKS as usize]);
    let mut open_events = 0u32;
    let mut open_list: Vec<OpenEvent> = Vec::new();
    {
        let index = s.index();
        index.for_each(&filter, |p| {
            if p.occurred_s >= from.timestamp() && p.occurred_s < now.timestamp() {
                incidents += 1;
                *by_category.entry(p.category).or_default() += 1;
            }
            if p.occurred_s >= trend_from.timestamp() && p.occurred_s < now.timestamp() {
                let week = ((p.occurred_s - trend_from.timestamp()) / (7 * 86_400)) as usize;
                if let Some(w) = weekly.get_mut(week) {
                    *w += 1;
                }
            }
            if p.status != Status::Closed {
                open_events += 1;
                open_list.push(OpenEvent {
                    id: p.id.0,
                    category: p.category,
                    status: p.status,
                    reported_at: DateTime::from_timestamp(p.reported_s, 0).unwrap_or(now),
                    cell_code: g.cell_code(p.cell),
                });
            }
        });
    }
    open_list.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(b.id.cmp(&a.id)));
    open_list.truncate(20);
    let mut categories: Vec<CategoryCount> = by_category
        .into_iter()
        .map(|(category, count)| CategoryCount {
            category,
            label_zh: category.label_zh().to_owned(),
            label_en: category.label_en().to_owned(),
            count,
        })
        .collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.count));
    // Hot-spot status: live alerts of the last week, and the village's rank in its county.
    let week_ago = now - Duration::days(7);
    let (mut hot_cells, mut near_repeat_alerts) = (Vec::new(), 0);
    for a in s.live.board().alerts().filter(|a| a.at >= week_ago && cell_codes.contains(&a.cell_code)) {
        match a.kind {
            AlertKind::Hotspot if !hot_cells.contains(&a.cell_code) => hot_cells.push(a.cell_code),
            AlertKind::NearRepeat => near_repeat_alerts += 1,
            _ => {}
        }
    }
    let county = village.truncate(RegionLevel::County);
    // Ranked among the county's villages the caller sees: no count outside the jurisdiction is
    // read, so the rank tells nothing of villages the caller may not see.
    let county_villages: Vec<RegionCode> = g
        .regions_at(RegionLevel::Village, Some(county))
        .map(|r| r.region.code)
        .filter(|v| scope.allows_region(*v))
        .collect();
    let counts = village_counts(s, &Scope::of(county_villages.clone()), now);
    let mine = counts.get(&village).map_or(0, |c| c.0);
    let county_rank = 1 + county_villages.iter().filter(|v| counts.get(v).map_or(0, |c| c.0) > mine).count();
    Some(VillageProfile {
        village: Named { code: village, name: region.region.name.clone() },
        township: township.and_then(|t| named(s, t)),
        county: named(s, county),
        population: region.region.population,
        households: region.region.households,
        synthetic: region.region.synthetic,
        cells,
        grid_workers,
        key_places,
        officers,
        station,
        incidents,
        categories,
        weekly,
        open_events,
        open_list,
        hot_cells,
        near_repeat_alerts,
        county_rank,
        county_villages: county_villages.len(),
    })
}

/// Days over which visits done are set against visits due.
pub const VISIT_WINDOW_DAYS: i64 = 28;

/// The workload index of a village.
pub fn village_load(population: u64, incidents: u32, open_events: u32) -> f64 {
    population as f64 / 1000.0 + f64::from(incidents) / 10.0 + f64::from(open_events)
}

/// The village loads of `scope` by code (every village of the scope).
pub fn village_loads(s: &AppState, scope: &Scope, now: DateTime<Utc>) -> BTreeMap<RegionCode, VillageLoad> {
    let counts = village_counts(s, scope, now);
    s.geography
        .regions()
        .iter()
        .filter(|r| r.region.level == RegionLevel::Village && scope.allows_region(r.region.code))
        .map(|r| {
            let (incidents, open_events) = counts.get(&r.region.code).copied().unwrap_or((0, 0));
            let v = VillageLoad {
                code: r.region.code,
                name: r.region.name.clone(),
                population: r.region.population,
                incidents,
                open_events,
                load: village_load(r.region.population, incidents, open_events),
            };
            (r.region.code, v)
        })
        .collect()
}

/// The workload of the officers of `scope`'s villages.
pub fn workload(s: &AppState, scope: &Scope, now: DateTime<Utc>) -> Workload {
    let g = &s.geography;
    let loads = village_loads(s, scope, now);
    let utm = s.geography.projection();
    let book = s.live.desk();
    let territories = book.territories();
    let since = now - Duration::days(VISIT_WINDOW_DAYS);
    let mut officers: Vec<OfficerLoad> = territories
        .iter()
        .filter_map(|(id, covered)| {
            let o = g.officer(*id)?;
            let villages: Vec<VillageLoad> = covered.iter().filter_map(|v| loads.get(v).cloned()).collect();
            if villages.is_empty() {
                return None;
            }
            let station = g.resources().iter().find(|r| r.kind == ResourceKind::Station && r.id == o.station_id);
            let distances: Vec<f64> = villages
                .iter()
                .filter_map(|v| {
                    let st = station?;
                    let p = g.region(v.code)?.boundary.interior_point()?;
                    let (a, b) = (utm.forward(st.lon, st.lat), utm.forward(p.x(), p.y()));
                    Some((a.0 - b.0).hypot(a.1 - b.1) / 1000.0)
                })
                .collect();
            let mean_distance_km =
                if distances.is_empty() { 0.0 } else { distances.iter().sum::<f64>() / distances.len() as f64 };
            Some(OfficerLoad {
                officer: officer_ref(s, o),
                population: villages.iter().map(|v| v.population).sum(),
                incidents: villages.iter().map(|v| v.incidents).sum(),
                open_events: villages.iter().map(|v| v.open_events).sum(),
                load: villages.iter().map(|v| v.load).sum(),
                mean_distance_km: (mean_distance_km * 10.0).round() / 10.0,
                open_disputes: book
                    .disputes()
                    .filter(|d| d.status.is_open() && villages.iter().any(|v| v.code == d.registered.village))
                    .count() as u32,
                visits_done: book
                    .visits()
                    .filter(|(_, v)| {
                        v.officer == o.id && v.visited_at >= since && villages.iter().any(|x| x.code == v.village)
                    })
                    .count() as u32,
                visits_due: (villages.len() as i64 * (VISIT_WINDOW_DAYS / model::desk::VISIT_EVERY_DAYS)) as u32,
                villages,
            })
        })
        .collect();
    officers.sort_by(|a, b| b.load.total_cmp(&a.load).then(a.officer.id.cmp(&b.officer.id)));
    let unassigned = loads.into_values().filter(|v| book.officer_of(v.code).is_none()).collect();
    Workload {
        officers,
        unassigned,
        load_formula_zh: "工作量指数 = 人口 ÷ 1000 + 近 90 天警情数 ÷ 10 + 未结事件数".to_owned(),
        load_formula_en: "workload index = population ÷ 1,000 + incidents of the last 90 days ÷ 10 + open events"
            .to_owned(),
    }
}

/// Villages whose boundaries touch or overlap, as index lists (by bounding box, then exactly).
fn adjacency(boundaries: &[&geo::MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    use geo::{BoundingRect, Intersects};
    use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};
    let rects: Vec<Option<geo::Rect<f64>>> = boundaries.iter().map(|b| b.bounding_rect()).collect();
    let tree = RTree::bulk_load(
        rects
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.map(|r| GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect(),
    );
    let mut out = vec![Vec::new(); boundaries.len()];
    for (i, r) in rects.iter().enumerate() {
        let Some(r) = r else { continue };
        // A hair of slack: neighbours share edges, and a float may leave a sliver between them.
        let e = 1e-7;
        let env = AABB::from_corners([r.min().x - e, r.min().y - e], [r.max().x + e, r.max().y + e]);
        for other in tree.locate_in_envelope_intersecting(env) {
            let j = other.data;
            if j > i && boundaries[i].intersects(boundaries[j]) {
                out[i].push(j);
                out[j].push(i);
            }
        }
    }
    out
}

/// A suggestion to rebalance the officers of `scope`'s villages: every uncovered village given to
/// an adjacent officer, then at most `max_moves` reassignments. No officers: no moves.
pub fn rebalance(
    s: &AppState,
    scope: &Scope,
    now: DateTime<Utc>,
    max_moves: usize,
) -> Result<RebalanceSuggestion, analytics::balance::BalanceError> {
    use analytics::balance::{BalanceOfficer, BalanceSpec, BalanceVillage};
    let g = &s.geography;
    let loads = village_loads(s, scope, now);
    let shaped: Vec<(&VillageLoad, &model::RegionShape)> =
        loads.values().filter_map(|v| g.region(v.code).map(|r| (v, r))).collect();
    let villages: Vec<&VillageLoad> = shaped.iter().map(|(v, _)| *v).collect();
    let boundaries: Vec<&geo::MultiPolygon<f64>> = shaped.iter().map(|(_, r)| &r.boundary).collect();
    let neighbours = adjacency(&boundaries);
    // Officers of these villages, by id.
    let territories = s.live.desk().territories();
    let owner: HashMap<RegionCode, u64> =
        territories.iter().flat_map(|(o, vs)| vs.iter().map(move |v| (*v, *o))).collect();
    let officers: Vec<&model::Officer> = territories
        .iter()
        .filter(|(_, covered)| covered.iter().any(|v| loads.contains_key(v)))
        .filter_map(|(id, _)| g.officer(*id))
        .collect();
    let slot: HashMap<u64, usize> = officers.iter().enumerate().map(|(k, o)| (o.id, k)).collect();
    if officers.is_empty() {
        return Ok(RebalanceSuggestion {
            moves: Vec::new(),
            spread_before: 1.0,
            spread_after: 1.0,
            officers: Vec::new(),
        });
    }
    let utm = s.geography.projection();
    let station_of = |o: &model::Officer| {
        g.resources()
            .iter()
            .find(|r| r.kind == ResourceKind::Station && r.id == o.station_id)
            .map(|r| utm.forward(r.lon, r.lat))
    };
    let input: Vec<BalanceVillage> = villages
        .iter()
        .zip(&neighbours)
        .zip(&boundaries)
        .map(|((v, n), b)| {
            let (x_m, y_m) = b.interior_point().map_or((0.0, 0.0), |p| utm.forward(p.x(), p.y()));
            BalanceVillage {
                load: v.load,
                x_m,
                y_m,
                neighbours: n.clone(),
                officer: owner.get(&v.code).and_then(|id| slot.get(id).copied()),
            }
        })
        .collect();
    let stations: Vec<BalanceOfficer> = officers
        .iter()
        .map(|o| {
            let (x_m, y_m) = station_of(o).unwrap_or((0.0, 0.0));
            BalanceOfficer { x_m, y_m }
        })
        .collect();
    let officer_ref = |k: usize| officer_ref(s, officers[k]);
    let r = analytics::balance::rebalance(&input, &stations, &BalanceSpec { max_moves, ..BalanceSpec::default() })?;
    let moves = r
        .moves
        .iter()
        .map(|m| Reassignment {
            village: Named { code: villages[m.village].code, name: villages[m.village].name.clone() },
            from: m.from.map(officer_ref),
            to: officer_ref(m.to),
            load: villages[m.village].load,
        })
        .collect();
    Ok(RebalanceSuggestion {
        moves,
        spread_before: r.spread_before,
        spread_after: r.spread_after,
        officers: (0..officers.len()).map(|k| (officer_ref(k), r.load_before[k], r.load_after[k])).collect(),
    })
}
