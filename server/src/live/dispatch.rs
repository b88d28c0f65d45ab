//! Dispatch suggestions: the nearest available patrol units to an incident by estimated travel
//! time. Without a road network the estimate is the straight-line distance in projected metres
//! (UTM of the incident's zone) times a detour factor, at a unit's speed. Pure.

use analytics::projection::TransverseMercator;
use analytics::roads::RoadNetwork;
use model::api::live::Suggestion;
use model::live::{UnitState, UnitStatus};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// How travel time is estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    /// Road distance ÷ straight-line distance (1.3–1.4 is typical of towns; 1.5+ in mountains).
    pub detour_factor: f64,
    /// Average speed of a patrol car, km/h.
    pub speed_kmh: f64,
}

impl Default for Travel {
    fn default() -> Travel {
        Travel { detour_factor: 1.4, speed_kmh: 40.0 }
    }
}

/// The `k` available units nearest to (`lon`, `lat`) by estimated travel, nearest first,
/// measured in `utm` (the geography's projection, in which the road network was loaded). On a
/// road network the `4k` nearest by straight line are measured along the roads and re-ranked;
/// otherwise straight line × detour.
pub fn suggest<'a>(
    units: impl IntoIterator<Item = &'a UnitState>,
    lon: f64,
    lat: f64,
    k: usize,
    travel: Travel,
    utm: TransverseMercator,
    roads: Option<&RoadNetwork>,
) -> Vec<Suggestion> {
    let available: Vec<&UnitState> = units.into_iter().filter(|u| u.status == UnitStatus::Available).collect();
    let tree = RTree::bulk_load(
        available
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let (x, y) = utm.forward(u.lon, u.lat);
                GeomWithData::new([x, y], i)
            })
            .collect(),
    );
    let (x, y) = utm.forward(lon, lat);
    let metres_per_s = travel.speed_kmh.max(1.0) / 3.6;
    let detour = travel.detour_factor.max(1.0);
    let mut out: Vec<Suggestion> = tree
        .nearest_neighbor_iter([x, y])
        .take(if roads.is_some() { k.saturating_mul(4) } else { k })
        .map(|g| {
            let u = available[g.data];
            let [ux, uy] = *g.geom();
            let distance_m = (ux - x).hypot(uy - y);
            let road_m = match roads {
                Some(net) => net.travel_m([ux, uy], [x, y], detour),
                None => distance_m * detour,
            };
            Suggestion {
                unit: u.id,
                name: u.name.clone(),
                lon: u.lon,
                lat: u.lat,
                distance_m: distance_m.round(),
                road_m: road_m.round(),
                eta_s: (road_m / metres_per_s).round(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.eta_s.total_cmp(&b.eta_s).then(a.unit.cmp(&b.unit)));
    out.truncate(k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn unit(id: u64, lon: f64, lat: f64, status: UnitStatus) -> UnitState {
        UnitState { id, name: format!("u{id}"), lon, lat, status, incident: None, at: Utc::now() }
    }

    #[test]
    fn nearest_available_first_with_distance_and_eta() {
        // Liangzhou centre; one degree of latitude is ~111 km.
        let (lon, lat) = (102.64, 37.93);
        let units = [
            unit(1, lon, lat + 0.01, UnitStatus::Available),  // ~1.11 km north
            unit(2, lon, lat + 0.001, UnitStatus::Busy),      // nearest, but busy
            unit(3, lon, lat - 0.005, UnitStatus::Available), // ~0.56 km south
            unit(4, lon + 0.1, lat, UnitStatus::OffDuty),
            unit(5, lon + 0.05, lat, UnitStatus::Available), // ~4.4 km east
        ];
        let travel = Travel { detour_factor: 1.5, speed_kmh: 36.0 };
        let s = suggest(&units, lon, lat, 2, travel, TransverseMercator::utm_for(lon, lat), None);
        assert_eq!(s.iter().map(|s| s.unit).collect::<Vec<_>>(), [3, 1]);
        assert!((s[0].distance_m - 555.0).abs() < 5.0, "{}", s[0].distance_m);
        assert!((s[1].distance_m - 1110.0).abs() < 10.0, "{}", s[1].distance_m);
        // 36 km/h = 10 m/s; road = 1.5 × straight line.
        assert!((s[0].road_m - s[0].distance_m * 1.5).abs() <= 1.0);
        assert!((s[0].eta_s - s[0].road_m / 10.0).abs() <= 1.0);
        assert_eq!(
            suggest(&units, lon, lat, 10, travel, TransverseMercator::utm_for(lon, lat), None).len(),
            3,
            "only available units"
        );
        assert!(suggest(&[], lon, lat, 3, travel, TransverseMercator::utm_for(lon, lat), None).is_empty());
    }
}
