//! The patrol planner's request and answer (`POST /api/plans`), shared by the server that plans
//! and the frontend that shows the plan.

use crate::CellCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What to plan: the body of `POST /api/plans` (field names are the API's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Start of the shift (RFC 3339).
    pub shift_start: DateTime<Utc>,
    /// Length of the shift, hours (0.5–24).
    #[serde(default = "default_shift_hours")]
    pub shift_hours: f64,
    /// Patrol unit ids on duty.
    pub units: Vec<u64>,
    /// Minutes at each stop (Koper: 10–16).
    #[serde(default = "default_dwell_min")]
    pub dwell_min: f64,
    /// Minutes between visits to one place.
    #[serde(default = "default_revisit_min")]
    pub revisit_min: f64,
    /// Most distinct places per unit (2–5 is the evidence).
    #[serde(default = "default_max_places")]
    pub max_places: usize,
    /// Cells that must be visited (schools at closing time, markets).
    #[serde(default)]
    pub pinned: Vec<CellCode>,
    /// Cells not to visit.
    #[serde(default)]
    pub excluded: Vec<CellCode>,
    /// Seed of the random choice among near-equal places (default: from the shift start, so a
    /// plan is reproducible and shifts differ).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The special campaign (专项整治) the patrols serve, by id: the plan carries its tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<u64>,
}

impl PlanRequest {
    /// A request with the API's defaults (8 h, 15 min stops, 2 h revisits, 5 places).
    pub fn new(shift_start: DateTime<Utc>, units: Vec<u64>) -> PlanRequest {
        PlanRequest {
            shift_start,
            shift_hours: default_shift_hours(),
            units,
            dwell_min: default_dwell_min(),
            revisit_min: default_revisit_min(),
            max_places: default_max_places(),
            pinned: Vec::new(),
            excluded: Vec::new(),
            seed: None,
            campaign: None,
        }
    }
}

fn default_shift_hours() -> f64 {
    8.0
}
fn default_dwell_min() -> f64 {
    15.0
}
fn default_revisit_min() -> f64 {
    120.0
}
fn default_max_places() -> usize {
    5
}

/// One stop of a unit's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStop {
    /// The cell visited.
    pub cell_code: CellCode,
    /// Its name.
    pub cell_name: String,
    /// Where the unit stops (the cell's interior point), WGS84.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Arrival.
    pub arrive: DateTime<Utc>,
    /// Departure (arrival + dwell).
    pub leave: DateTime<Utc>,
    /// 1 for the first visit to this place in the shift, 2 for the next, …
    pub visit: u32,
    /// The cell's forecast risk (expected incidents in the shift, live boost included).
    pub risk: f64,
    /// Whether the planner pinned it.
    pub pinned: bool,
}

/// One unit's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPlan {
    /// Patrol unit id.
    pub unit: u64,
    /// Its name.
    pub name: String,
    /// Its station (start and end), WGS84 `[lon, lat]`.
    pub station: [f64; 2],
    /// Stops in order.
    pub stops: Vec<PlanStop>,
    /// The route, WGS84 `[lon, lat]` positions: station → stops → station.
    pub route: Vec<[f64; 2]>,
    /// Estimated distance driven, km.
    pub travel_km: f64,
    /// Back at the station.
    pub back_at: DateTime<Utc>,
}

/// A generated plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Shift start.
    pub shift_start: DateTime<Utc>,
    /// Shift end.
    pub shift_end: DateTime<Utc>,
    /// Minutes per stop.
    pub dwell_min: f64,
    /// Minutes between visits to one place.
    pub revisit_min: f64,
    /// Per unit.
    pub units: Vec<UnitPlan>,
    /// Share of the jurisdiction's forecast risk in the cells visited (0–1).
    pub coverage: f64,
    /// The same for the nearest-first baseline (0–1).
    pub naive_coverage: f64,
    /// The cells the nearest-first baseline would visit.
    pub naive_cells: Vec<CellCode>,
    /// Forecast risk of the jurisdiction (expected incidents in the shift).
    pub total_risk: f64,
    /// Candidate cells considered.
    pub candidates: usize,
    /// Cells with a live hot-spot alert among them.
    pub live_hot_spots: usize,
    /// Pinned cells no unit could reach within the shift.
    pub unreached_pinned: Vec<CellCode>,
    /// Incidents the forecast was fitted on.
    pub forecast_incidents: usize,
    /// Per county, the forecast method the plan followed and why (its forecast trial's finding).
    #[serde(default)]
    pub forecast_methods: Vec<super::hotspots::CountyMethod>,
    /// Seed used.
    pub seed: u64,
    /// The campaign the plan serves (id and name), when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<(u64, String)>,
}

impl Plan {
    /// The distinct cells visited.
    pub fn visited_cells(&self) -> HashSet<CellCode> {
        self.units.iter().flat_map(|u| u.stops.iter().map(|s| s.cell_code)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_plan_round_trips_and_a_request_takes_the_defaults() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
        let stop = PlanStop {
            cell_code: "620602001001001".parse().unwrap(),
            cell_name: "南苑社区第1网格".into(),
            lon: 102.62,
            lat: 37.95,
            arrive: t,
            leave: t + chrono::Duration::minutes(15),
            visit: 1,
            risk: 0.4,
            pinned: true,
        };
        let plan = Plan {
            shift_start: t,
            shift_end: t + chrono::Duration::hours(8),
            dwell_min: 15.0,
            revisit_min: 120.0,
            units: vec![UnitPlan {
                unit: 3,
                name: "巡逻一组".into(),
                station: [102.6, 37.9],
                stops: vec![stop],
                route: vec![[102.6, 37.9], [102.62, 37.95], [102.6, 37.9]],
                travel_km: 12.5,
                back_at: t + chrono::Duration::hours(1),
            }],
            coverage: 0.31,
            naive_coverage: 0.12,
            naive_cells: vec![],
            total_risk: 4.2,
            candidates: 40,
            live_hot_spots: 1,
            unreached_pinned: vec![],
            forecast_incidents: 900,
            forecast_methods: vec![],
            seed: 7,
            campaign: Some((1, "治安秩序专项整治".into())),
        };
        let text = serde_json::to_string(&plan).unwrap();
        assert!(text.contains(r#""cell_code":"620602001001001""#) && text.contains(r#""travel_km":12.5"#), "{text}");
        assert_eq!(serde_json::from_str::<Plan>(&text).unwrap(), plan);
        assert_eq!(plan.visited_cells().len(), 1);
        let req: PlanRequest = serde_json::from_str(r#"{"shift_start":"2026-11-01T08:00:00Z","units":[3]}"#).unwrap();
        assert_eq!(req, PlanRequest::new(t, vec![3]));
        assert!(
            serde_json::from_str::<PlanRequest>(r#"{"shift_start":"2026-11-01T08:00:00Z","units":[],"x":1}"#).is_err()
        );
    }
}
