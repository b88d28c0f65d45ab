//! Answers of the live command centre's routes the frontend reads: an incident's place in the
//! event loop (history, transitions, merge, split) and the dispatch suggestions.

use crate::Status;
use crate::live::IncidentChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An incident's place in the event loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Incident id.
    pub id: u64,
    /// Current status.
    pub status: Status,
    /// Unit in charge.
    pub unit: Option<u64>,
    /// When the current stage is due (none once closed).
    pub due_at: Option<DateTime<Utc>>,
    /// Every status change, oldest first.
    pub history: Vec<IncidentChange>,
    /// The first report of the event this report is linked to (一事多报), if any.
    pub event: Option<u64>,
    /// Reports linked to this one's event.
    pub linked: Vec<u64>,
    /// Its loop: the police chain or a department's work order.
    #[serde(default = "police")]
    pub workflow: crate::taxonomy::Workflow,
    /// A work order as it stands (lead, 协办, returns, rework).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<crate::department::WorkOrder>,
    /// The department suggested for a work order still to assign (from its kind and place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_department: Option<crate::department::DepartmentCode>,
    /// The grid cell it lies in (where the departments to assign to must serve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_code: Option<crate::CellCode>,
}

fn police() -> crate::taxonomy::Workflow {
    crate::taxonomy::Workflow::Police
}

/// One suggested unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Unit id.
    pub unit: u64,
    /// Unit name.
    pub name: String,
    /// WGS84 longitude of its last report.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Straight-line distance, metres.
    pub distance_m: f64,
    /// Estimated road distance, metres.
    pub road_m: f64,
    /// Estimated travel time, seconds.
    pub eta_s: f64,
}

/// `GET /api/incidents/{id}/dispatch`: the nearest available units and how they were ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchOptions {
    /// The incident.
    pub incident: u64,
    /// How travel was estimated, in words.
    pub method: String,
    /// Road distance over straight-line distance, without a road network.
    pub detour_factor: f64,
    /// Assumed speed, km/h.
    pub speed_kmh: f64,
    /// Units, nearest first.
    pub units: Vec<Suggestion>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_dispatch_options_round_trip() {
        let p = Progress {
            id: 7,
            status: Status::Dispatched,
            unit: Some(3),
            due_at: None,
            history: vec![],
            event: Some(5),
            linked: vec![5, 7],
            workflow: crate::taxonomy::Workflow::Police,
            order: None,
            suggested_department: None,
            cell_code: None,
        };
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains(r#""status":"dispatched""#), "{text}");
        assert_eq!(serde_json::from_str::<Progress>(&text).unwrap(), p);
        let d = DispatchOptions {
            incident: 7,
            method: "straight line × detour factor".into(),
            detour_factor: 1.4,
            speed_kmh: 40.0,
            units: vec![Suggestion {
                unit: 3,
                name: "巡逻一组".into(),
                lon: 102.6,
                lat: 37.9,
                distance_m: 800.0,
                road_m: 1120.0,
                eta_s: 101.0,
            }],
        };
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.contains(r#""eta_s":101.0"#), "{text}");
        assert_eq!(serde_json::from_str::<DispatchOptions>(&text).unwrap(), d);
    }
}
