//! Alert rules for a new incident: inside a key place's geofence, or opening a near-repeat
//! window (an earlier incident of the same category close in space and time: the pattern Knox
//! tests find for burglary and theft). Pure over the geography and the index.

use crate::geography::Geography;
use crate::incident_index::CellScope;
use crate::incident_index::{Bbox, CategorySet, IncidentFilter, IncidentIndex};
use analytics::projection::LocalPlane;
use chrono::{DateTime, Duration, Utc};
use model::live::{Alert, AlertKind, IncidentData};
use model::{Category, ResourceKind};

/// Thresholds of the alert rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRules {
    /// Radius of a key place's geofence, metres.
    pub geofence_m: f64,
    /// Near-repeat distance, metres.
    pub near_repeat_m: f64,
    /// Near-repeat time window, days.
    pub near_repeat_days: i64,
    /// Categories with near-repeat alerts.
    pub near_repeat_categories: Vec<Category>,
    /// Incidents that occurred longer ago than this (back-filled reports) raise no alert, hours.
    pub live_hours: i64,
    /// Reports of one event (一警多报): same category, open, within this distance, metres…
    pub same_event_m: f64,
    /// …and this many minutes of each other's occurrence.
    pub same_event_min: i64,
}

impl Default for AlertRules {
    fn default() -> AlertRules {
        AlertRules {
            geofence_m: 200.0,
            near_repeat_m: 400.0,
            near_repeat_days: 14,
            near_repeat_categories: vec![Category::Criminal],
            live_hours: 24,
            same_event_m: 150.0,
            same_event_min: 30,
        }
    }
}

/// The alerts a new incident raises (ids are assigned when they are stored).
pub fn for_incident(
    i: &IncidentData,
    geography: &Geography,
    index: &IncidentIndex,
    rules: &AlertRules,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    if i.occurred_at < now - Duration::hours(rules.live_hours) {
        return Vec::new();
    }
    let plane = LocalPlane::at(i.lon, i.lat);
    let distance_m = |lon: f64, lat: f64| {
        let (x, y) = plane.forward(lon, lat);
        x.hypot(y)
    };
    let alert = |kind, place, zh: String, en: String| Alert {
        id: 0,
        kind,
        cell_code: i.cell_code,
        incident: Some(i.id),
        place,
        lon: i.lon,
        lat: i.lat,
        message_zh: zh,
        message_en: en,
        at: now,
        acked_by: None,
        acked_at: None,
    };
    let mut out = Vec::new();
    let category_zh = i.category.label_zh();
    let category_en = i.category.label_en();
    for r in geography.resources_near(ResourceKind::KeyPlace, i.lon, i.lat, rules.geofence_m) {
        let d = distance_m(r.lon, r.lat);
        if d <= rules.geofence_m {
            out.push(alert(
                AlertKind::Geofence,
                Some(r.id),
                format!("{}附近 {:.0} 米发生{}警情（#{}）", r.name, d, category_zh, i.id),
                format!("{} incident #{} {:.0} m from key place {}", category_en, i.id, d, r.name),
            ));
        }
    }
    if rules.near_repeat_categories.contains(&i.category) {
        let from = i.occurred_at - Duration::days(rules.near_repeat_days);
        let filter = around(i, &plane, rules.near_repeat_m, from, i.occurred_at);
        let mut earlier = 0usize;
        index.for_each(&filter, |p| {
            if p.id.0 != i.id && distance_m(p.lon, p.lat) <= rules.near_repeat_m {
                earlier += 1;
            }
        });
        if earlier > 0 {
            let (m, days) = (rules.near_repeat_m, rules.near_repeat_days);
            out.push(alert(
                AlertKind::NearRepeat,
                None,
                format!("近重复：{m:.0} 米内近 {days} 天已有 {earlier} 起{category_zh}，未来 {days} 天周边风险升高（#{}）", i.id),
                format!(
                    "Near-repeat: {earlier} earlier {category_en} within {m:.0} m in {days} days; risk nearby stays raised for {days} days (#{})",
                    i.id
                ),
            ));
        }
    }
    out
}

/// The earlier open report of the same event as `i` (一警多报: same category, within
/// `same_event_m` and `same_event_min`), the earliest if several; `None` for back-filled reports.
pub fn same_event(i: &IncidentData, index: &IncidentIndex, rules: &AlertRules, now: DateTime<Utc>) -> Option<u64> {
    if i.occurred_at < now - Duration::hours(rules.live_hours) {
        return None;
    }
    let plane = LocalPlane::at(i.lon, i.lat);
    let window = Duration::minutes(rules.same_event_min);
    let filter = around(i, &plane, rules.same_event_m, i.occurred_at - window, i.occurred_at + window);
    let mut first: Option<u64> = None;
    index.for_each(&filter, |p| {
        let (x, y) = plane.forward(p.lon, p.lat);
        if p.id.0 < i.id && p.status.is_open() && x.hypot(y) <= rules.same_event_m {
            first = Some(first.map_or(p.id.0, |f| f.min(p.id.0)));
        }
    });
    first
}

/// Incidents of `i`'s category in the box `radius_m` around it (exact distance is the caller's
/// check) that occurred from `from` to `to`, both included.
fn around(
    i: &IncidentData,
    plane: &LocalPlane,
    radius_m: f64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> IncidentFilter {
    let (dlon, dlat) = plane.degrees_around(radius_m);
    let mut filter = IncidentFilter::new(CellScope::all());
    filter.bbox =
        Some(Bbox { min_lon: i.lon - dlon, min_lat: i.lat - dlat, max_lon: i.lon + dlon, max_lat: i.lat + dlat });
    filter.from_s = Some(from.timestamp());
    filter.to_s = Some(to.timestamp() + 1);
    filter.categories = Some(CategorySet::of(&[i.category]));
    filter
}
