//! Shift patrol plans over the live state: the adapter around `analytics::patrol`. Candidate
//! places are the cells of the caller's jurisdiction ranked by the shift forecast (the
//! self-exciting model of `/api/hotspots/forecast`), cells with a live hot-spot alert weighted up;
//! units start and end at their station; travel follows the road network when one is loaded
//! (`--roads`), else straight line × the dispatch detour factor, at the unit type's speed. The
//! plan's `coverage` is the share of the jurisdiction's forecast risk in the cells it visits; `naive_coverage` is the same for the nearest-first baseline over the same
//! candidates.
//!
//! Invariants: every unit planned is a patrol unit inside the caller's scope; every stop is a cell
//! inside it; times are UTC instants at the boundary, seconds from the shift start inside.

use crate::cell_hotspots::{FORECAST_TRAIN_DAYS, HotspotError, MethodChoice, shift_forecast};
use crate::jobs::JobError;
use crate::query::{IncidentQuery, UnknownArea};
use crate::state::AppState;
use analytics::patrol::{PatrolSpec, Site, Travel, UnitStart};
use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::api::patrol::{Plan, PlanRequest, PlanStop, UnitPlan};
use model::live::AlertKind;
use model::scope::Scope;
use model::{CellCode, ResourceKind};
use std::collections::{HashMap, HashSet};

/// Most candidate cells handed to the route planner (the riskiest; pinned cells always).
pub const MAX_CANDIDATES: usize = 300;
/// Forecast risk of a cell with a live hot-spot alert (last 24 h) is multiplied by this.
pub const LIVE_HOTSPOT_BOOST: f64 = 2.0;
/// Longest shift planned, hours.
pub const MAX_SHIFT_HOURS: f64 = 24.0;
/// How far in the past a shift may start (a plan finished just after roll-call), minutes.
pub const START_GRACE_MIN: i64 = 60;

/// Why a shift could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PatrolError {
    /// A field of the request broke a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field (`units[2]`, `shift_hours`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The area asked for does not exist.
    #[error(transparent)]
    Area(#[from] UnknownArea),
    /// The shift forecast could not be made.
    #[error(transparent)]
    Forecast(#[from] HotspotError),
    /// The planner could not run (busy, cancelled or failed).
    #[error(transparent)]
    Job(#[from] JobError),
}

fn invalid(field: &str, message: impl Into<String>) -> PatrolError {
    PatrolError::Invalid { field: field.to_owned(), message: message.into() }
}

/// Checks a request against the clock and the caller's jurisdiction; the error names the field.
pub fn validate(req: &PlanRequest, now: DateTime<Utc>) -> Result<(), PatrolError> {
    if req.shift_start < now - Duration::minutes(START_GRACE_MIN) {
        return Err(invalid(
            "shift_start",
            format!("the shift starts in the past (more than {START_GRACE_MIN} minutes ago)"),
        ));
    }
    if !(0.5..=MAX_SHIFT_HOURS).contains(&req.shift_hours) {
        return Err(invalid("shift_hours", format!("must be between 0.5 and {MAX_SHIFT_HOURS}")));
    }
    if req.units.is_empty() {
        return Err(invalid("units", "name at least one patrol unit"));
    }
    if !(1.0..=120.0).contains(&req.dwell_min) {
        return Err(invalid("dwell_min", "must be between 1 and 120 minutes"));
    }
    if !(10.0..=24.0 * 60.0).contains(&req.revisit_min) {
        return Err(invalid("revisit_min", "must be between 10 and 1440 minutes"));
    }
    if !(1..=10).contains(&req.max_places) {
        return Err(invalid("max_places", "must be between 1 and 10"));
    }
    let mut seen = HashSet::new();
    for (i, u) in req.units.iter().enumerate() {
        if !seen.insert(u) {
            return Err(invalid(&format!("units[{i}]"), format!("unit {u} is named twice")));
        }
    }
    Ok(())
}

/// Plans the shift of `req` inside `scope` (validate first).
pub async fn plan(s: &AppState, scope: &Scope, req: &PlanRequest) -> Result<Plan, PatrolError> {
    let g = &s.geography;
    // Units: patrol units of the jurisdiction.
    let mut units = Vec::with_capacity(req.units.len());
    for (i, id) in req.units.iter().enumerate() {
        let unit = g
            .resources()
            .iter()
            .find(|r| r.kind == ResourceKind::PatrolUnit && r.id == *id && scope.allows_region(r.region_code));
        let Some(unit) = unit else {
            return Err(invalid(&format!("units[{i}]"), format!("no patrol unit {id} in your jurisdiction")));
        };
        units.push(unit);
    }
    for (field, cells) in [("pinned", &req.pinned), ("excluded", &req.excluded)] {
        for (i, c) in cells.iter().enumerate() {
            if g.cell(*c).is_none() || !scope.allows_cell(*c) {
                return Err(invalid(&format!("{field}[{i}]"), format!("no cell {c} in your jurisdiction")));
            }
        }
    }
    // Forecast risk over the jurisdiction.
    let hours = req.shift_hours;
    let at = req.shift_start;
    let query = IncidentQuery {
        from: Some(at - Duration::days(FORECAST_TRAIN_DAYS)),
        to: Some(at),
        ..IncidentQuery::default()
    };
    let filter = query.filter(g, scope)?;
    let forecast = shift_forecast(s, &filter, at, hours, 0.05, MethodChoice::ByTrial).await?;
    let live_hot: HashSet<CellCode> = {
        let since = s.clock.now() - Duration::hours(24);
        s.live.board().alerts().filter(|a| a.kind == AlertKind::Hotspot && a.at >= since).map(|a| a.cell_code).collect()
    };
    let risk: Vec<f64> = forecast
        .area
        .cells
        .iter()
        .zip(&forecast.parts.risk)
        .map(|(&c, &r)| if live_hot.contains(&g.cell_code(c)) { r * LIVE_HOTSPOT_BOOST } else { r })
        .collect();
    let total_risk: f64 = risk.iter().sum();
    // Candidates: the riskiest cells not excluded, and every pinned cell.
    let excluded: HashSet<CellCode> = req.excluded.iter().copied().collect();
    let pinned: HashSet<CellCode> = req.pinned.iter().copied().collect();
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_by(|&a, &b| risk[b].total_cmp(&risk[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&k| !excluded.contains(&g.cell_code(forecast.area.cells[k])))
        .filter(|&k| risk[k] > 0.0)
        .take(MAX_CANDIDATES)
        .collect();
    for (k, &c) in forecast.area.cells.iter().enumerate() {
        if pinned.contains(&g.cell_code(c)) && !chosen.contains(&k) {
            chosen.push(k);
        }
    }
    let utm = s.geography.projection();
    let sites: Vec<Site> = chosen
        .iter()
        .map(|&k| Site {
            x_m: forecast.area.centres_m[k][0],
            y_m: forecast.area.centres_m[k][1],
            risk: risk[k],
            pinned: pinned.contains(&g.cell_code(forecast.area.cells[k])),
        })
        .collect();
    let starts: Vec<UnitStart> = units
        .iter()
        .map(|u| {
            let (x_m, y_m) = utm.forward(u.lon, u.lat);
            let speed_m_per_s = speed_kmh(u.subtype.as_deref(), s.settings.travel.speed_kmh) / 3.6;
            UnitStart { x_m, y_m, speed_m_per_s }
        })
        .collect();
    let seed = req.seed.unwrap_or(at.timestamp() as u64);
    let spec = PatrolSpec {
        shift_s: hours * 3600.0,
        dwell_s: req.dwell_min * 60.0,
        revisit_gap_s: req.revisit_min * 60.0,
        max_places_per_unit: req.max_places,
        min_places_per_unit: req.max_places.min(2),
        seed,
        // A round within the revisit gap, so every place is revisited on time (when the shift
        // holds at least two rounds).
        max_round_s: if hours * 3600.0 >= 2.0 * req.revisit_min * 60.0 {
            req.revisit_min * 60.0
        } else {
            f64::INFINITY
        },
        ..PatrolSpec::default()
    };
    let detour = s.settings.travel.detour_factor.max(1.0);
    let roads = s.settings.roads.clone();
    let (planned, naive) = s
        .jobs
        .run(move |cancel| {
            // On roads the off-road access legs still get the detour factor.
            let travel = match roads.as_deref() {
                Some(network) => Travel::Roads { network, access_detour: detour },
                None => Travel::Straight { detour },
            };
            let planned = analytics::patrol::plan(&sites, &starts, travel, &spec);
            cancel.check()?;
            let naive = analytics::patrol::naive_plan(&sites, &starts, travel, &spec);
            Ok((planned, naive))
        })
        .await?;
    let planned = planned.map_err(|e| invalid("units", e.to_string()))?;
    let naive = naive.map_err(|e| invalid("units", e.to_string()))?;
    let mut naive_cells: Vec<CellCode> = naive
        .units
        .iter()
        .flat_map(|u| u.places.iter().map(|&i| g.cell_code(forecast.area.cells[chosen[i]])))
        .collect();
    naive_cells.sort_unstable();
    let lonlat = |p: [f64; 2]| {
        let (lon, lat) = utm.inverse(p[0], p[1]);
        [round6(lon), round6(lat)]
    };
    let seconds = |t: f64| at + Duration::milliseconds((t * 1000.0).round() as i64);
    let unit_plans = units
        .iter()
        .zip(&planned.units)
        .map(|(u, r)| {
            let mut visits: HashMap<usize, u32> = HashMap::new();
            let stops = r
                .stops
                .iter()
                .map(|st| {
                    let k = chosen[st.site];
                    let cell = &g.cells()[forecast.area.cells[k] as usize];
                    let point = cell.boundary.interior_point().map_or([0.0, 0.0], |p| [p.x(), p.y()]);
                    let visit = visits.entry(st.site).or_insert(0);
                    *visit += 1;
                    PlanStop {
                        cell_code: cell.cell.code,
                        cell_name: cell.cell.name.clone(),
                        lon: round6(point[0]),
                        lat: round6(point[1]),
                        arrive: seconds(st.arrive_s),
                        leave: seconds(st.leave_s),
                        visit: *visit,
                        risk: risk[k],
                        pinned: pinned.contains(&cell.cell.code),
                    }
                })
                .collect();
            let mut route: Vec<[f64; 2]> = Vec::new();
            for leg in &r.legs {
                for &p in leg {
                    let p = lonlat(p);
                    if route.last() != Some(&p) {
                        route.push(p);
                    }
                }
            }
            UnitPlan {
                unit: u.id,
                name: u.name.clone(),
                station: [u.lon, u.lat],
                stops,
                route,
                travel_km: (r.travel_m / 100.0).round() / 10.0,
                back_at: seconds(r.back_s),
            }
        })
        .collect();
    let share = |covered: f64| if total_risk > 0.0 { (covered / total_risk).clamp(0.0, 1.0) } else { 0.0 };
    Ok(Plan {
        shift_start: at,
        shift_end: at + Duration::seconds((hours * 3600.0) as i64),
        dwell_min: req.dwell_min,
        revisit_min: req.revisit_min,
        units: unit_plans,
        coverage: share(planned.covered_risk),
        naive_coverage: share(naive.covered_risk),
        naive_cells,
        total_risk,
        candidates: chosen.len(),
        live_hot_spots: chosen.iter().filter(|&&k| live_hot.contains(&g.cell_code(forecast.area.cells[k]))).count(),
        unreached_pinned: planned
            .unreached_pinned
            .iter()
            .map(|&i| g.cell_code(forecast.area.cells[chosen[i]]))
            .collect(),
        forecast_incidents: forecast.incidents,
        forecast_methods: forecast
            .counties
            .iter()
            .map(|c| crate::forecast_trials::county_method(s, c, MethodChoice::ByTrial, scope))
            .collect(),
        seed,
        campaign: None,
    })
}

/// Travel speed of a patrol unit by its type (the resource's subtype), km/h: foot patrols 5,
/// bicycles 12, e-bikes and motorcycles 25, anything else (a patrol car) `car_kmh`.
pub fn speed_kmh(subtype: Option<&str>, car_kmh: f64) -> f64 {
    match subtype {
        Some("foot" | "步巡") => 5.0,
        Some("bicycle" | "自行车") => 12.0,
        Some("ebike" | "motorcycle" | "电动车" | "摩托车") => 25.0,
        _ => car_kmh.max(1.0),
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The plan as a GeoJSON FeatureCollection: one LineString per unit route, one Point per stop.
pub fn plan_geojson(plan: &Plan) -> serde_json::Value {
    use serde_json::json;
    let mut features = Vec::new();
    for u in &plan.units {
        features.push(json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": u.route},
            "properties": {"kind": "route", "unit": u.unit, "name": u.name, "travel_km": u.travel_km, "back_at": u.back_at}}));
        for (i, st) in u.stops.iter().enumerate() {
            features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [st.lon, st.lat]},
                "properties": {"kind": "stop", "unit": u.unit, "name": u.name, "order": i + 1, "cell_code": st.cell_code,
                    "cell_name": st.cell_name, "arrive": st.arrive, "leave": st.leave, "visit": st.visit, "risk": st.risk, "pinned": st.pinned}}));
        }
    }
    json!({"type": "FeatureCollection", "features": features,
        "properties": {"shift_start": plan.shift_start, "shift_end": plan.shift_end, "coverage": plan.coverage, "naive_coverage": plan.naive_coverage}})
}

/// The plan as CSV: one row per stop (unit, order, cell, arrive, leave, visit, risk).
pub fn plan_csv(plan: &Plan) -> Result<String, csv::Error> {
    let mut w = crate::csv_export::SafeCsv::new(Vec::new());
    w.row([
        "unit",
        "unit_name",
        "order",
        "cell_code",
        "cell_name",
        "lon",
        "lat",
        "arrive",
        "leave",
        "visit",
        "risk",
        "pinned",
    ])?;
    for u in &plan.units {
        for (i, st) in u.stops.iter().enumerate() {
            w.row([
                u.unit.to_string(),
                u.name.clone(),
                (i + 1).to_string(),
                st.cell_code.to_string(),
                st.cell_name.clone(),
                st.lon.to_string(),
                st.lat.to_string(),
                st.arrive.to_rfc3339(),
                st.leave.to_rfc3339(),
                st.visit.to_string(),
                format!("{:.4}", st.risk),
                st.pinned.to_string(),
            ])?;
        }
    }
    let bytes = w.into_inner()?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_types_have_their_own_speed() {
        assert_eq!(speed_kmh(Some("foot"), 40.0), 5.0);
        assert_eq!(speed_kmh(Some("步巡"), 40.0), 5.0);
        assert_eq!(speed_kmh(Some("bicycle"), 40.0), 12.0);
        assert_eq!(speed_kmh(Some("motorcycle"), 40.0), 25.0);
        assert_eq!(speed_kmh(None, 40.0), 40.0);
        assert_eq!(speed_kmh(Some("car"), 30.0), 30.0);
        assert_eq!(speed_kmh(None, 0.0), 1.0, "never zero");
    }

    #[test]
    fn validation_names_the_field() {
        let now = chrono::Utc::now();
        let ok = PlanRequest::new(now, vec![1, 2]);
        assert!(validate(&ok, now).is_ok());
        let field = |r: PlanRequest| {
            validate(&r, now).err().map(|e| match e {
                PatrolError::Invalid { field, .. } => field,
                other => panic!("{other}"),
            })
        };
        assert_eq!(
            field(PlanRequest { shift_start: now - Duration::hours(2), ..ok.clone() }).as_deref(),
            Some("shift_start")
        );
        assert_eq!(field(PlanRequest { units: vec![], ..ok.clone() }).as_deref(), Some("units"));
        assert_eq!(field(PlanRequest { units: vec![3, 3], ..ok.clone() }).as_deref(), Some("units[1]"));
        assert_eq!(field(PlanRequest { max_places: 0, ..ok.clone() }).as_deref(), Some("max_places"));
        assert_eq!(field(PlanRequest { revisit_min: 5.0, ..ok.clone() }).as_deref(), Some("revisit_min"));
        assert_eq!(field(PlanRequest { shift_hours: 25.0, ..ok }).as_deref(), Some("shift_hours"));
    }
}
