//! Alert rules for a new incident: inside a key place's geofence, or opening a near-repeat
//! window (an earlier incident of the same category close in space and time: the pattern Knox
//! tests find for burglary and theft). Pure over the geography and the index.
//!
//! Near-repeat counts and 一事多报 links only reach incidents of the new report's own village.
//! Jurisdictions are unions of whole villages, so whoever sees an alert or a link sees every
//! incident behind it: no alert text counts, and no link names, an incident outside the
//! reader's jurisdiction.

use crate::geography::Geography;
use crate::incident_index::CellScope;
use crate::incident_index::{Bbox, CategorySet, IncidentFilter, IncidentIndex};
use analytics::projection::LocalPlane;
use chrono::{DateTime, Duration, Utc};
use model::live::{Alert, AlertKind, IncidentData};
use model::{Category, ResourceKind};
use rustc_hash::FxHashMap;

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
    /// Reports of one event (一事多报): same category, open, within this distance, metres…
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
            near_repeat_categories: vec![Category::CRIMINAL],
            live_hours: 24,
            same_event_m: 150.0,
            same_event_min: 30,
        }
    }
}

/// What the rules raise for one new incident.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Raised {
    /// The earlier open report of the same event (一事多报: same category, within
    /// `same_event_m` and `same_event_min`), the earliest if several.
    pub same_event: Option<u64>,
    /// Its alerts (ids are assigned when they are stored).
    pub alerts: Vec<Alert>,
}

/// The rules for new incidents, one [`Raised`] per item of `new`, which are compared with each
/// other and with `index` (which must not hold them yet: the rules run before the write that
/// stores them commits). Back-filled reports (occurred more than `live_hours` ago) raise
/// nothing. The index is read once for the whole batch and both rules, through the reports'
/// joint box (its order by position for a single report, its time order for a batch spread over the city):
/// the incidents of a rule's time window near some report are put in grid buckets at least as
/// wide as each report's search box, and a report looks at the 3 × 3 buckets of its category.
pub fn for_batch(
    new: &[IncidentData],
    geography: &Geography,
    index: &IncidentIndex,
    rules: &AlertRules,
    now: DateTime<Utc>,
) -> Vec<Raised> {
    let live_from = now - Duration::hours(rules.live_hours);
    let live: Vec<Query<'_>> = new
        .iter()
        .enumerate()
        .filter(|(_, i)| i.occurred_at >= live_from)
        .map(|(k, i)| Query { k, i, plane: LocalPlane::at(i.lon, i.lat) })
        .collect();
    let mut out = vec![Raised::default(); new.len()];
    if live.is_empty() {
        return out;
    }
    // 一事多报: earlier open reports of the category within `same_event_m` and
    // `same_event_min` either side. Near-repeat: earlier incidents of a near-repeat category
    // within `near_repeat_m` and `near_repeat_days` before.
    let window = Duration::minutes(rules.same_event_min);
    let within = |i: &IncidentData| (i.occurred_at - window, i.occurred_at + window);
    let before = |i: &IncidentData| (i.occurred_at - Duration::days(rules.near_repeat_days), i.occurred_at);
    let repeats: Vec<Query<'_>> =
        live.iter().filter(|q| rules.near_repeat_categories.contains(&q.i.category)).cloned().collect();
    let [same_event, near_repeat] = Buckets::gather(
        index,
        geography,
        new,
        [
            Reach { queries: &live, radius_m: rules.same_event_m, window: &within },
            Reach { queries: &repeats, radius_m: rules.near_repeat_m, window: &before },
        ],
    );
    for q in &live {
        let mut first: Option<u64> = None;
        let village = q.i.cell_code.village();
        same_event.visit(q, within, |p| {
            if p.id < q.i.id && p.open && p.village == Some(village) {
                first = Some(first.map_or(p.id, |f| f.min(p.id)));
            }
        });
        out[q.k].same_event = first;
    }
    for q in &live {
        out[q.k].alerts.extend(geofence_alerts(q, geography, rules, now));
    }
    for q in &repeats {
        let mut earlier = 0usize;
        let village = q.i.cell_code.village();
        near_repeat.visit(q, before, |p| earlier += usize::from(p.id != q.i.id && p.village == Some(village)));
        if earlier > 0 {
            out[q.k].alerts.push(near_repeat_alert(q.i, earlier, rules, now));
        }
    }
    out
}

/// A report's time window, both ends included.
type Window = (DateTime<Utc>, DateTime<Utc>);

/// What one rule compares its reports with: incidents within `radius_m` of a report and inside
/// its time `window`.
struct Reach<'a, 'q> {
    queries: &'a [Query<'q>],
    radius_m: f64,
    window: &'a dyn Fn(&IncidentData) -> Window,
}

/// A live report of the batch: its position in the batch, and the plane its distances use.
#[derive(Clone)]
struct Query<'a> {
    k: usize,
    i: &'a IncidentData,
    plane: LocalPlane,
}

impl Query<'_> {
    fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        let (x, y) = self.plane.forward(lon, lat);
        x.hypot(y)
    }

    /// The box `radius_m` around the report (the exact distance is checked after).
    fn bbox(&self, radius_m: f64) -> Bbox {
        let (dlon, dlat) = self.plane.degrees_around(radius_m);
        Bbox {
            min_lon: self.i.lon - dlon,
            min_lat: self.i.lat - dlat,
            max_lon: self.i.lon + dlon,
            max_lat: self.i.lat + dlat,
        }
    }
}

/// An indexed incident a rule compares reports with.
#[derive(Debug, Clone, Copy)]
struct Near {
    id: u64,
    lon: f64,
    lat: f64,
    occurred_s: i64,
    open: bool,
    /// Its village (`None` only for a cell the geography does not hold).
    village: Option<model::RegionCode>,
}

/// Indexed incidents of the reports' categories in the union of their time windows, keyed by
/// (category, grid column, grid row); a bucket is at least as wide and high as any report's box,
/// and only the 3 × 3 buckets around each report are kept.
struct Buckets {
    radius_m: f64,
    width_deg: f64,
    height_deg: f64,
    /// The union of the reports' windows, Unix seconds, both ends included.
    from_s: i64,
    to_s: i64,
    /// The reports' categories.
    categories: CategorySet,
    map: FxHashMap<(u8, i64, i64), Vec<Near>>,
}

/// Unix seconds `[from, to]` of a window, as the index compares them (whole seconds, `to`
/// included).
fn seconds((from, to): (DateTime<Utc>, DateTime<Utc>)) -> (i64, i64) {
    (from.timestamp(), to.timestamp())
}

impl Buckets {
    /// One bucket map per rule, filled by a single read of the index (the union of the rules'
    /// time windows, categories and boxes) and with the batch's own reports.
    fn gather<const N: usize>(
        index: &IncidentIndex,
        geography: &Geography,
        new: &[IncidentData],
        rules: [Reach<'_, '_>; N],
    ) -> [Buckets; N] {
        // The rules' joint time window, categories and box.
        let (mut from_all, mut to_all) = (i64::MAX, i64::MIN);
        let (mut categories_all, mut reach_all) = (CategorySet::default(), Bbox::EMPTY);
        let mut buckets = rules.map(|rule| {
            let (mut width_deg, mut height_deg) = (f64::MIN_POSITIVE, f64::MIN_POSITIVE);
            let (mut from_s, mut to_s) = (i64::MAX, i64::MIN);
            let mut categories = CategorySet::default();
            for q in rule.queries {
                reach_all = reach_all.union(q.bbox(rule.radius_m));
                let (dlon, dlat) = q.plane.degrees_around(rule.radius_m);
                width_deg = width_deg.max(dlon);
                height_deg = height_deg.max(dlat);
                let (from, to) = seconds((rule.window)(q.i));
                from_s = from_s.min(from);
                to_s = to_s.max(to);
                categories = categories.union(CategorySet::of(&[q.i.category]));
            }
            (from_all, to_all, categories_all) =
                (from_all.min(from_s), to_all.max(to_s), categories_all.union(categories));
            let mut b = Buckets {
                radius_m: rule.radius_m,
                width_deg,
                height_deg,
                from_s,
                to_s,
                categories,
                map: FxHashMap::default(),
            };
            // Only the buckets some report looks at are filled: the time window may hold far
            // more incidents (a day of the whole city) than the reports' neighbourhoods.
            for q in rule.queries {
                for key in b.around(q) {
                    b.map.entry(key).or_default();
                }
            }
            b
        });
        if from_all > to_all {
            return buckets;
        }
        let mut filter = IncidentFilter::new(CellScope::all());
        filter.from_s = Some(from_all);
        filter.to_s = Some(to_all.saturating_add(1));
        filter.categories = Some(categories_all);
        // The index walks its order by position when the joint box holds few incidents (a single report),
        // its time order otherwise (a batch spread over the city).
        filter.bbox = Some(reach_all);
        let mut keep = |near: Near, category: Category| {
            for b in &mut buckets {
                if !b.categories.has(category) || near.occurred_s < b.from_s || near.occurred_s > b.to_s {
                    continue;
                }
                let key = b.key(category, near.lon, near.lat);
                if let Some(bucket) = b.map.get_mut(&key) {
                    bucket.push(near);
                }
            }
        };
        index.for_each(&filter, |p| {
            let village = geography.cells().get(p.cell as usize).map(|c| c.cell.code.village());
            let near = Near {
                id: p.id.0,
                lon: p.lon,
                lat: p.lat,
                occurred_s: p.occurred_s,
                open: p.status.is_open(),
                village,
            };
            keep(near, p.category);
        });
        for i in new {
            let occurred_s = i.occurred_at.timestamp();
            let village = Some(i.cell_code.village());
            keep(Near { id: i.id, lon: i.lon, lat: i.lat, occurred_s, open: i.status.is_open(), village }, i.category);
        }
        buckets
    }

    fn key(&self, category: Category, lon: f64, lat: f64) -> (u8, i64, i64) {
        (category.index(), (lon / self.width_deg).floor() as i64, (lat / self.height_deg).floor() as i64)
    }

    /// The keys of the 3 × 3 buckets of `q`'s category around it: they hold its whole box.
    fn around(&self, q: &Query<'_>) -> impl Iterator<Item = (u8, i64, i64)> + use<> {
        let (c, col, row) = self.key(q.i.category, q.i.lon, q.i.lat);
        (-1..=1).flat_map(move |dc| (-1..=1).map(move |dr| (c, col + dc, row + dr)))
    }

    /// Calls `visit` for each gathered incident of `q`'s category inside its window and within
    /// the radius of it.
    fn visit(
        &self,
        q: &Query<'_>,
        window: impl Fn(&IncidentData) -> (DateTime<Utc>, DateTime<Utc>),
        mut visit: impl FnMut(&Near),
    ) {
        let (from_s, to_s) = seconds(window(q.i));
        let bbox = q.bbox(self.radius_m);
        for key in self.around(q) {
            for p in self.map.get(&key).map_or(&[][..], Vec::as_slice) {
                if (from_s..=to_s).contains(&p.occurred_s)
                    && bbox.contains(p.lon, p.lat)
                    && q.distance_m(p.lon, p.lat) <= self.radius_m
                {
                    visit(p);
                }
            }
        }
    }
}

fn alert(i: &IncidentData, kind: AlertKind, place: Option<u64>, now: DateTime<Utc>, zh: String, en: String) -> Alert {
    Alert {
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
        case: None,
    }
}

/// A report inside a key place's geofence.
fn geofence_alerts(q: &Query<'_>, geography: &Geography, rules: &AlertRules, now: DateTime<Utc>) -> Vec<Alert> {
    let i = q.i;
    let mut out = Vec::new();
    for r in geography.resources_near(ResourceKind::KeyPlace, i.lon, i.lat, rules.geofence_m) {
        let d = q.distance_m(r.lon, r.lat);
        if d <= rules.geofence_m {
            out.push(alert(
                i,
                AlertKind::Geofence,
                Some(r.id),
                now,
                format!("{}附近 {:.0} 米发生{}警情（#{}）", r.name, d, i.category.label_zh(), i.id),
                format!("{} incident #{} {:.0} m from key place {}", i.category.label_en(), i.id, d, r.name),
            ));
        }
    }
    out
}

/// A report opening a near-repeat window: `earlier` incidents of its category within reach.
fn near_repeat_alert(i: &IncidentData, earlier: usize, rules: &AlertRules, now: DateTime<Utc>) -> Alert {
    let (m, days) = (rules.near_repeat_m, rules.near_repeat_days);
    let (category_zh, category_en) = (i.category.label_zh(), i.category.label_en());
    alert(
        i,
        AlertKind::NearRepeat,
        None,
        now,
        format!(
            "近重复：{m:.0} 米内近 {days} 天已有 {earlier} 起{category_zh}，未来 {days} 天周边风险升高（#{}）",
            i.id
        ),
        format!(
            "Near-repeat: {earlier} earlier {category_en} within {m:.0} m in {days} days; risk nearby stays raised for {days} days (#{})",
            i.id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident_index::IncidentPoint;
    use model::{CellCode, IncidentId, Severity, Source, Status};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const CATEGORIES: [Category; 3] = [Category::CRIMINAL, Category::PUBLIC_ORDER, Category::TRAFFIC];

    /// 4,000 incidents in a 5 × 6 km patch over the last 20 days, three categories, every
    /// status, so that the rules' radii and windows catch many.
    fn world(now: DateTime<Utc>) -> Vec<IncidentPoint> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let now_s = now.timestamp();
        let mut points: Vec<IncidentPoint> = (0..4_000)
            .map(|k| IncidentPoint {
                id: IncidentId(k + 1),
                lon: rng.random_range(102.60..102.66),
                lat: rng.random_range(37.90..37.95),
                occurred_s: now_s - rng.random_range(0..20 * 86_400),
                reported_s: 0,
                cell: 0,
                category: CATEGORIES[rng.random_range(0..CATEGORIES.len())],
                subcategory: None,
                status: Status::ALL[rng.random_range(0..Status::ALL.len())],
                severity: Severity::Minor,
                source: Source::Call110,
            })
            .collect();
        // The newest 650 are the batch: 50 live reports anywhere in the patch and 400 in 1 km of
        // it, all in the last three hours, then 200 back-filled ones from one to two days ago.
        for (k, p) in points.iter_mut().enumerate().skip(3_350) {
            if k < 3_400 {
                p.occurred_s = now_s - rng.random_range(0..3 * 3_600);
            } else if k < 3_800 {
                p.occurred_s = now_s - rng.random_range(0..3 * 3_600);
                p.lon = rng.random_range(102.620..102.632);
                p.lat = rng.random_range(37.920..37.929);
            } else {
                p.occurred_s = now_s - rng.random_range(25 * 3_600..48 * 3_600);
            }
        }
        for p in &mut points {
            p.cell = u32::from(p.lon >= VILLAGE_BORDER_LON);
        }
        points
    }

    /// The patch is two villages of one cell each, west and east of this meridian (through the
    /// dense 1 km square, so links and repeats meet the border).
    const VILLAGE_BORDER_LON: f64 = 102.626;

    const CELLS: [&str; 2] = ["620602100001001", "620602100002001"];

    fn two_villages() -> Geography {
        let rect = |w: f64, e: f64| {
            geo::MultiPolygon::new(vec![geo::Polygon::new(
                geo::LineString::from(vec![(w, 37.8), (e, 37.8), (e, 38.0), (w, 38.0), (w, 37.8)]),
                vec![],
            )])
        };
        let cell = |k: usize, boundary| model::CellShape {
            cell: model::Cell {
                code: CellCode::parse(CELLS[k]).unwrap_or_else(|e| panic!("{e}")),
                name: format!("{k}"),
                population: 0,
                synthetic: true,
            },
            boundary,
        };
        Geography::new(store::GeographyData {
            cells: vec![cell(0, rect(102.5, VILLAGE_BORDER_LON)), cell(1, rect(VILLAGE_BORDER_LON, 102.7))],
            ..Default::default()
        })
    }

    fn data(p: &IncidentPoint) -> IncidentData {
        let at = DateTime::from_timestamp(p.occurred_s, 250_000_000).unwrap_or_default();
        IncidentData {
            id: p.id.0,
            lon: p.lon,
            lat: p.lat,
            category: p.category,
            subcategory: None,
            severity: p.severity,
            status: p.status,
            source: p.source,
            occurred_at: at,
            reported_at: at,
            cell_code: CellCode::parse(CELLS[p.cell as usize]).unwrap_or_else(|e| panic!("{e}")),
        }
    }

    /// The rules as written, by a scan of every incident.
    fn by_scan(
        i: &IncidentData,
        all: &[IncidentPoint],
        rules: &AlertRules,
        now: DateTime<Utc>,
    ) -> (Option<u64>, usize) {
        if i.occurred_at < now - Duration::hours(rules.live_hours) {
            return (None, 0);
        }
        let plane = LocalPlane::at(i.lon, i.lat);
        let within = |p: &IncidentPoint, m: f64, from: DateTime<Utc>, to: DateTime<Utc>| {
            p.category == i.category
                && CELLS[p.cell as usize] == i.cell_code.to_string()
                && (from.timestamp()..=to.timestamp()).contains(&p.occurred_s)
                && plane.distance_m(i.lon, i.lat, p.lon, p.lat) <= m
        };
        let window = Duration::minutes(rules.same_event_min);
        let first = all
            .iter()
            .filter(|p| {
                p.id.0 < i.id
                    && p.status.is_open()
                    && within(p, rules.same_event_m, i.occurred_at - window, i.occurred_at + window)
            })
            .map(|p| p.id.0)
            .min();
        let earlier = if rules.near_repeat_categories.contains(&i.category) {
            let from = i.occurred_at - Duration::days(rules.near_repeat_days);
            all.iter().filter(|p| p.id.0 != i.id && within(p, rules.near_repeat_m, from, i.occurred_at)).count()
        } else {
            0
        };
        (first, earlier)
    }

    #[test]
    fn a_batch_raises_what_a_scan_of_every_incident_finds() {
        let now = DateTime::from_timestamp(1_760_000_000, 0).unwrap_or_default();
        let all = world(now);
        // The batch is not indexed yet: its reports meet each other in the batch.
        let index = IncidentIndex::new(all[..3_350].to_vec());
        let geography = two_villages();
        let rules = AlertRules::default();
        let batch: Vec<IncidentData> = all[3_350..].iter().map(data).collect();
        let raised = for_batch(&batch, &geography, &index, &rules, now);
        assert_eq!(raised.len(), batch.len());
        // Alone, with the rest of the batch already indexed, a report is looked up through the
        // order by position (the batch, spread over the whole patch, through the time order): the same answers.
        for k in [0, 49, 50, 120, 449] {
            let others: Vec<IncidentPoint> = all.iter().filter(|p| p.id.0 != batch[k].id).copied().collect();
            assert_eq!(
                for_batch(&batch[k..=k], &geography, &IncidentIndex::new(others), &rules, now),
                vec![raised[k].clone()],
                "report {k}"
            );
        }
        let (mut linked, mut repeats, mut backfilled) = (0, 0, 0);
        for (i, r) in batch.iter().zip(&raised) {
            let (first, earlier) = by_scan(i, &all, &rules, now);
            assert_eq!(r.same_event, first, "report {} links to the earliest open report of its event", i.id);
            let alerts: Vec<&Alert> = r.alerts.iter().filter(|a| a.kind == AlertKind::NearRepeat).collect();
            if earlier == 0 {
                assert!(alerts.is_empty(), "report {}: no earlier incident, no near-repeat alert", i.id);
            } else {
                assert_eq!(alerts.len(), 1, "report {}", i.id);
                assert!(
                    alerts[0].message_en.starts_with(&format!("Near-repeat: {earlier} earlier")),
                    "{}",
                    alerts[0].message_en
                );
                assert_eq!(alerts[0].incident, Some(i.id));
            }
            linked += usize::from(first.is_some());
            repeats += usize::from(earlier > 0);
            backfilled += usize::from(i.occurred_at < now - Duration::hours(rules.live_hours));
        }
        // The village border cuts through the dense square: some reports have near neighbours
        // only across it, which the rules leave out.
        let plain = AlertRules::default();
        let across = batch
            .iter()
            .filter(|i| {
                let west = i.lon < VILLAGE_BORDER_LON;
                all.iter().any(|p| {
                    (p.lon < VILLAGE_BORDER_LON) != west
                        && p.category == i.category
                        && LocalPlane::at(i.lon, i.lat).distance_m(i.lon, i.lat, p.lon, p.lat) <= plain.same_event_m
                })
            })
            .count();
        assert!(across > 10, "{across} reports near the border");
        // The data exercises every branch: links, repeats, quiet reports and back-filled ones.
        assert!(linked > 20 && linked < 500, "{linked} linked");
        assert!(repeats > 20 && repeats < 200, "{repeats} near-repeats");
        assert!(backfilled > 100, "{backfilled} back-filled");
    }

    #[test]
    fn a_batch_of_back_filled_reports_raises_nothing() {
        let now = DateTime::from_timestamp(1_760_000_000, 0).unwrap_or_default();
        let all = world(now);
        let (old, rest): (Vec<IncidentPoint>, Vec<IncidentPoint>) =
            all.iter().partition(|p| p.occurred_s < now.timestamp() - 2 * 86_400 && p.id.0 <= 200);
        let index = IncidentIndex::new(rest);
        let geography = two_villages();
        let old: Vec<IncidentData> = old.iter().map(data).collect();
        assert!(old.len() > 50, "{} back-filled reports", old.len());
        let raised = for_batch(&old, &geography, &index, &AlertRules::default(), now);
        assert_eq!(raised, vec![Raised::default(); old.len()]);
    }
}
