//! A year of incidents with the structure real crime has: strong spatial concentration (about
//! half in about 5% of cells, around focal points), daily and weekly cycles per category,
//! seasonality, a few emerging hot spots and near-repeat contagion in burglary and theft.

use crate::geography::{Geography, Setting};
use crate::names;
use crate::sample::{Weighted, exponential, metres_per_degree, normal, point_in, poisson};
use crate::{DemoIncident, DemoParams, EmergingCell, NearRepeatTruth};
use chrono::{DateTime, TimeZone, Utc};
use geo::{Contains, Coord, Point};
use model::time::{SHANGHAI_OFFSET_S, local_day_unix};
use model::{Category, CellCode, NewIncident, Severity, Source, Status, Subcategory};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

/// Share of background incidents per 110 category.
pub const CATEGORY_MIX: [(Category, f64); 8] = [
    (Category::CRIMINAL, 0.22),
    (Category::PUBLIC_ORDER, 0.18),
    (Category::TRAFFIC, 0.20),
    (Category::DISPUTE, 0.18),
    (Category::ASSISTANCE, 0.14),
    (Category::FIRE, 0.03),
    (Category::DISASTER, 0.02),
    (Category::OTHER, 0.03),
];

/// Subcategories in which near-repeat contagion is planted.
pub const NEAR_REPEAT_SUBCATEGORIES: [Subcategory; 2] = [Subcategory::BURGLARY, Subcategory::THEFT];
const BRANCHING_RATIO: f64 = 0.4;
const REPEAT_DISTANCE_MEAN_M: f64 = 50.0;
const REPEAT_LAG_MEAN_DAYS: f64 = 2.5;
const HOT_CELL_SHARE: f64 = 0.05;
const HOT_INCIDENT_SHARE: f64 = 0.52;
const EMERGING_CELLS: usize = 8;
const EMERGING_RAMP_DAYS: u32 = 90;
const EMERGING_FINAL_MULTIPLIER: f64 = 10.0;
/// Emerging cells lie at least this far from every planted hot cell, metres.
const EMERGING_CLEARANCE_M: f64 = 3_000.0;
/// Spread of incidents around a cell's focal point, metres.
const FOCUS_SIGMA_M: f64 = 70.0;

pub struct TruthParts {
    pub hot_cells: Vec<CellCode>,
    pub emerging: Vec<EmergingCell>,
    pub near_repeat: NearRepeatTruth,
}

fn subcategory_weight(s: Subcategory) -> f64 {
    match s.as_str() {
        "theft" => 35.0,
        "burglary" => 20.0,
        "vehicle_theft" => 10.0,
        "fraud" => 20.0,
        "robbery" => 5.0,
        "assault" => 10.0,
        "collision" => 70.0,
        "drunk_driving" => 12.0,
        "congestion" => 18.0,
        _ => 10.0,
    }
}

/// Seasonal multiplier by day of year: 1 + amplitude·cos(2π(doy − peak)/365).
fn seasonality(c: Category, doy: f64) -> f64 {
    let (amplitude, peak_doy) = match c {
        Category::CRIMINAL => (0.15, 200.0),
        Category::PUBLIC_ORDER => (0.25, 200.0),
        Category::TRAFFIC => (0.20, 15.0),
        Category::DISPUTE => (0.30, 40.0),
        Category::ASSISTANCE => (0.10, 200.0),
        Category::FIRE => (0.50, 30.0),
        Category::DISASTER => (0.80, 105.0),
        _ => (0.0, 0.0),
    };
    1.0 + amplitude * (2.0 * PI * (doy - peak_doy) / 365.0).cos()
}

/// Weekday multiplier, Monday = 0.
fn weekday_factor(c: Category, weekday: u32) -> f64 {
    let weekend = weekday >= 5;
    match c {
        Category::PUBLIC_ORDER if weekend => 1.35,
        Category::PUBLIC_ORDER if weekday == 4 => 1.15,
        Category::TRAFFIC if weekend => 0.8,
        Category::DISPUTE if weekend => 1.15,
        Category::CRIMINAL if weekday == 4 => 1.1,
        _ => 1.0,
    }
}

/// Relative rate by local hour (0–23).
fn hour_profile(c: Category, s: Option<Subcategory>) -> [f64; 24] {
    let mut w = [0.0; 24];
    for (h, v) in w.iter_mut().enumerate() {
        let x = h as f64;
        let bump = |centre: f64, width: f64| {
            let d = ((x - centre + 12.0).rem_euclid(24.0)) - 12.0;
            (-(d * d) / (2.0 * width * width)).exp()
        };
        *v = match (c, s) {
            (Category::CRIMINAL, Some(Subcategory::BURGLARY)) => 0.2 + bump(3.0, 2.0) + 0.5 * bump(14.0, 2.5),
            (Category::CRIMINAL, _) => 0.2 + bump(16.0, 3.0) + 0.4 * bump(22.0, 2.0),
            (Category::PUBLIC_ORDER, _) => 0.1 + bump(22.5, 2.5) + 0.3 * bump(15.0, 3.0),
            (Category::TRAFFIC, _) => 0.15 + bump(8.0, 1.2) + bump(18.0, 1.5) + 0.4 * bump(13.0, 2.0),
            (Category::FIRE, _) => 0.2 + bump(19.0, 2.5),
            _ => 0.1 + bump(11.0, 3.0) + 0.8 * bump(19.0, 2.5),
        };
    }
    w
}

struct Clock {
    first_local_day: i64,
    start_s: i64,
    end_s: i64,
}

impl Clock {
    fn new(p: &DemoParams) -> Clock {
        let end_s = p.end.timestamp();
        let start_s = end_s - i64::from(p.days) * 86_400;
        Clock { first_local_day: local_day_unix(start_s), start_s, end_s }
    }
    fn n_days(&self) -> usize {
        (local_day_unix(self.end_s - 1) - self.first_local_day + 1) as usize
    }
    /// UTC seconds of local day `d` (index from the first day) at local second `sec_of_day`.
    fn at(&self, d: usize, sec_of_day: i64) -> i64 {
        (self.first_local_day + d as i64) * 86_400 + sec_of_day - i64::from(SHANGHAI_OFFSET_S)
    }
    fn day_of_year(&self, d: usize) -> f64 {
        let t = self.at(d, 12 * 3600);
        let dt = Utc.timestamp_opt(t, 0).single().unwrap_or_default();
        f64::from(chrono::Datelike::ordinal(&dt))
    }
}

struct Draft {
    t_s: i64,
    category: Category,
    subcategory: Option<Subcategory>,
    at: Coord<f64>,
    cell: usize,
}

pub fn generate(geo: &Geography, p: &DemoParams) -> (Vec<DemoIncident>, TruthParts) {
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x01c1_de17);
    let n_cells = geo.cells.len();
    let clock = Clock::new(p);
    let n_days = clock.n_days();

    // Background weight of each cell.
    let mut weight: Vec<f64> = (0..n_cells)
        .map(|i| {
            (geo.cells[i].cell.population as f64 + 50.0)
                * geo.cell_info[i].setting.urban_factor()
                * (0.6 * normal(&mut rng)).exp()
        })
        .collect();
    // Hot cells: about 5%, chosen favouring busy urban cells, boosted to hold about half.
    let n_hot = ((n_cells as f64) * HOT_CELL_SHARE).round() as usize;
    let mut hot = vec![false; n_cells];
    let mut hot_cells = Vec::new();
    while hot_cells.len() < n_hot.min(n_cells) {
        let pick = Weighted::new((0..n_cells).map(|i| if hot[i] { 0.0 } else { weight[i] * weight[i] })).pick(&mut rng);
        hot[pick] = true;
        hot_cells.push(pick);
    }
    let s_hot: f64 = (0..n_cells).filter(|&i| hot[i]).map(|i| weight[i]).sum();
    let s_rest: f64 = (0..n_cells).filter(|&i| !hot[i]).map(|i| weight[i]).sum();
    let boost = HOT_INCIDENT_SHARE / (1.0 - HOT_INCIDENT_SHARE) * s_rest / s_hot.max(1e-9);
    for i in 0..n_cells {
        if hot[i] {
            weight[i] *= boost;
        }
    }
    let cell_pick = Weighted::new(weight.iter().copied());

    // Emerging cells: places that were not hot and become hot. Busy enough to grow, non-rural, and
    // at least EMERGING_CLEARANCE_M from every planted hot cell, so that the ramp is a new hot
    // spot rather than the intensification of an existing one.
    let hot_foci: Vec<Coord<f64>> = (0..n_cells).filter(|&i| hot[i]).map(|i| geo.cell_info[i].focus).collect();
    let clear_of_hot = |i: usize| {
        let f = geo.cell_info[i].focus;
        let (mx, my) = metres_per_degree(f.y);
        hot_foci.iter().all(|h| ((h.x - f.x) * mx).hypot((h.y - f.y) * my) > EMERGING_CLEARANCE_M)
    };
    let mut candidates: Vec<usize> =
        (0..n_cells).filter(|&i| !hot[i] && geo.cell_info[i].setting != Setting::Rural && clear_of_hot(i)).collect();
    candidates.sort_by(|&a, &b| weight[a].total_cmp(&weight[b]));
    let lo = candidates.len() * 90 / 100;
    let hi = (candidates.len() * 97 / 100).max(lo + 1);
    let band = &candidates[lo..hi.min(candidates.len())];
    let mut emerging_idx: Vec<usize> = Vec::new();
    while emerging_idx.len() < EMERGING_CELLS.min(band.len()) {
        let c = band[rng.random_range(0..band.len())];
        if !emerging_idx.contains(&c) {
            emerging_idx.push(c);
        }
    }
    emerging_idx.sort_unstable();

    let mix = Weighted::new(CATEGORY_MIX.iter().map(|(_, w)| *w));
    let day_weights: Vec<Weighted> = CATEGORY_MIX
        .iter()
        .map(|(c, _)| {
            Weighted::new((0..n_days).map(|d| {
                let weekday = (((clock.first_local_day + d as i64) + 3).rem_euclid(7)) as u32;
                seasonality(*c, clock.day_of_year(d)) * weekday_factor(*c, weekday)
            }))
        })
        .collect();
    let sub_pick: Vec<(Vec<Subcategory>, Weighted)> = CATEGORY_MIX
        .iter()
        .map(|(c, _)| {
            let subs: Vec<Subcategory> = Subcategory::of(*c).collect();
            let w = Weighted::new(subs.iter().map(|s| subcategory_weight(*s)));
            (subs, w)
        })
        .collect();

    let draw_time = |rng: &mut ChaCha8Rng, ci: usize, sub: Option<Subcategory>, day: Option<usize>| -> i64 {
        let hours = Weighted::new(hour_profile(CATEGORY_MIX[ci].0, sub));
        loop {
            let d = day.unwrap_or_else(|| day_weights[ci].pick(rng));
            let h = hours.pick(rng) as i64;
            let t = clock.at(d, h * 3600 + rng.random_range(0..3600));
            if t >= clock.start_s && t < clock.end_s {
                return t;
            }
        }
    };
    let draw_place = |rng: &mut ChaCha8Rng, cell: usize| -> Coord<f64> {
        let shape = &geo.cells[cell].boundary;
        let focus_share = if hot[cell] { 0.7 } else { 0.45 };
        if rng.random::<f64>() < focus_share {
            let f = geo.cell_info[cell].focus;
            let (mx, my) = metres_per_degree(f.y);
            for _ in 0..20 {
                let c = Coord { x: f.x + normal(rng) * FOCUS_SIGMA_M / mx, y: f.y + normal(rng) * FOCUS_SIGMA_M / my };
                if shape.contains(&Point::from(c)) {
                    return c;
                }
            }
        }
        point_in(shape, rng).unwrap_or(geo.cell_info[cell].focus)
    };

    let mut drafts: Vec<Draft> = Vec::with_capacity(p.base_incidents * 11 / 10);
    for _ in 0..p.base_incidents {
        let ci = mix.pick(&mut rng);
        let category = CATEGORY_MIX[ci].0;
        let (subs, sw) = &sub_pick[ci];
        let subcategory = if subs.is_empty() { None } else { Some(subs[sw.pick(&mut rng)]) };
        let t_s = draw_time(&mut rng, ci, subcategory, None);
        let cell = cell_pick.pick(&mut rng);
        let at = draw_place(&mut rng, cell);
        drafts.push(Draft { t_s, category, subcategory, at, cell });
    }

    // Emerging hot spots: extra criminal incidents on a linear ramp over the last 90 days.
    let criminal_share = CATEGORY_MIX.iter().find(|(c, _)| *c == Category::CRIMINAL).map_or(0.0, |m| m.1);
    let criminal_rate_per_day = p.base_incidents as f64 * criminal_share / cell_pick.total() / n_days as f64;
    let mut emerging = Vec::new();
    let ramp_days = (EMERGING_RAMP_DAYS as usize).min(n_days);
    for &cell in &emerging_idx {
        let r = criminal_rate_per_day * weight[cell];
        for k in 0..ramp_days {
            let d = n_days - ramp_days + k;
            let extra = r * (EMERGING_FINAL_MULTIPLIER - 1.0) * (k as f64 + 1.0) / ramp_days as f64;
            for _ in 0..poisson(&mut rng, extra) {
                let (subs, sw) = &sub_pick[0];
                let subcategory = Some(subs[sw.pick(&mut rng)]);
                let t_s = draw_time(&mut rng, 0, subcategory, Some(d));
                let at = draw_place(&mut rng, cell);
                drafts.push(Draft { t_s, category: Category::CRIMINAL, subcategory, at, cell });
            }
        }
        emerging.push(EmergingCell {
            cell_code: geo.cells[cell].cell.code,
            ramp_start_days_before_end: EMERGING_RAMP_DAYS,
            final_multiplier: EMERGING_FINAL_MULTIPLIER,
        });
    }

    // Near-repeat offspring (one generation).
    let n_parents = drafts.len();
    let mut offspring = 0;
    for i in 0..n_parents {
        let Some(sub) = drafts[i].subcategory.filter(|s| NEAR_REPEAT_SUBCATEGORIES.contains(s)) else {
            continue;
        };
        for _ in 0..poisson(&mut rng, BRANCHING_RATIO) {
            let lag_s = (exponential(&mut rng, REPEAT_LAG_MEAN_DAYS).min(3.0 * REPEAT_LAG_MEAN_DAYS) * 86_400.0) as i64;
            let t_s = drafts[i].t_s + lag_s.max(60);
            if t_s >= clock.end_s {
                continue;
            }
            let d_m = exponential(&mut rng, REPEAT_DISTANCE_MEAN_M).min(3.0 * REPEAT_DISTANCE_MEAN_M);
            let theta = rng.random_range(0.0..2.0 * PI);
            let o = drafts[i].at;
            let (mx, my) = metres_per_degree(o.y);
            let at = Coord { x: o.x + d_m * theta.sin() / mx, y: o.y + d_m * theta.cos() / my };
            let Some(cell) = geo.cell_index.locate(at) else {
                continue;
            };
            drafts.push(Draft { t_s, category: Category::CRIMINAL, subcategory: Some(sub), at, cell });
            offspring += 1;
        }
    }

    drafts.sort_by(|a, b| a.t_s.cmp(&b.t_s).then(a.cell.cmp(&b.cell)));
    let incidents = finish(geo, drafts, &clock, &mut rng);
    let mut hot_codes: Vec<CellCode> = hot_cells.iter().map(|&i| geo.cells[i].cell.code).collect();
    hot_codes.sort_unstable();
    let truth = TruthParts {
        hot_cells: hot_codes,
        emerging,
        near_repeat: NearRepeatTruth {
            subcategories: NEAR_REPEAT_SUBCATEGORIES.iter().map(|s| s.as_str().to_owned()).collect(),
            branching_ratio: BRANCHING_RATIO,
            distance_mean_m: REPEAT_DISTANCE_MEAN_M,
            lag_mean_days: REPEAT_LAG_MEAN_DAYS,
            offspring,
        },
    };
    (incidents, truth)
}

fn source_for(rng: &mut ChaCha8Rng) -> Source {
    match rng.random_range(0..100) {
        0..70 => Source::Call110,
        70..80 => Source::Patrol,
        80..90 => Source::GridWorker,
        90..97 => Source::CitizenApp,
        _ => Source::Sensor,
    }
}

fn severity_for(c: Category, rng: &mut ChaCha8Rng) -> Severity {
    let x: f64 = rng.random();
    let serious_bias = matches!(c, Category::CRIMINAL | Category::FIRE | Category::DISASTER);
    let (major, serious) = if serious_bias { (0.04, 0.2) } else { (0.01, 0.08) };
    if x < major / 5.0 {
        Severity::Critical
    } else if x < major {
        Severity::Major
    } else if x < major + serious {
        Severity::Serious
    } else {
        Severity::Minor
    }
}

fn finish(geo: &Geography, drafts: Vec<Draft>, clock: &Clock, rng: &mut ChaCha8Rng) -> Vec<DemoIncident> {
    let township_name = |code: model::RegionCode| {
        let t = code.truncate(model::RegionLevel::Township);
        geo.regions
            .binary_search_by_key(&t, |r| r.region.code)
            .map(|i| geo.regions[i].region.name.as_str())
            .unwrap_or("")
    };
    let village_name = |code: model::RegionCode| {
        geo.regions
            .binary_search_by_key(&code, |r| r.region.code)
            .map(|i| geo.regions[i].region.name.as_str())
            .unwrap_or("")
    };
    let mut seq_day = (0i64, 0u32);
    drafts
        .into_iter()
        .filter_map(|d| {
            // Stored coordinates have 7 decimals (about 1 cm); keep the cell the rounded point is in.
            let rounded = Coord { x: (d.at.x * 1e7).round() / 1e7, y: (d.at.y * 1e7).round() / 1e7 };
            let (at, cell) = match geo.cell_index.locate(rounded) {
                Some(c) => (rounded, c),
                None => (d.at, d.cell),
            };
            let cell_code = geo.cells[cell].cell.code;
            let source = source_for(rng);
            let local_day = local_day_unix(d.t_s);
            if seq_day.0 != local_day {
                seq_day = (local_day, 0);
            }
            seq_day.1 += 1;
            let date = Utc.timestamp_opt(d.t_s + i64::from(SHANGHAI_OFFSET_S), 0).single().unwrap_or_default();
            let external_id = format!("J6206{}{:05}", date.format("%Y%m%d"), seq_day.1);
            let report_lag_s = match source {
                Source::Call110 | Source::Sensor => rng.random_range(30..900),
                _ => rng.random_range(300..7_200),
            };
            // Not reported yet by the end: not in the history.
            let reported_s = d.t_s + report_lag_s;
            if reported_s >= clock.end_s {
                return None;
            }
            let occurred_at: DateTime<Utc> = Utc.timestamp_opt(d.t_s, 0).single().unwrap_or_default();
            let reported_at: DateTime<Utc> = Utc.timestamp_opt(reported_s, 0).single().unwrap_or_default();
            let village = cell_code.village();
            let village_short = village_name(village)
                .trim_end_matches("居民委员会")
                .trim_end_matches("居委会")
                .trim_end_matches("村委会");
            let address = format!("{}{}{}号附近", township_name(village), village_short, rng.random_range(1..300));
            let with_reporter = matches!(source, Source::Call110 | Source::CitizenApp) && rng.random::<f64>() < 0.85;
            let incident = NewIncident {
                source,
                external_id: Some(external_id),
                category: d.category,
                subcategory: d.subcategory,
                occurred_at,
                reported_at,
                lon: at.x,
                lat: at.y,
                address: Some(address),
                summary: Some(names::summary(d.category, d.subcategory, rng)),
                reporter_name: with_reporter.then(|| names::person(rng)),
                reporter_phone: with_reporter.then(|| names::phone(rng)),
                severity: severity_for(d.category, rng),
                // Set from the drawn handling times (`handling::police_history`).
                status: Status::Closed,
            };
            Some(DemoIncident { incident, cell_code })
        })
        .collect()
}
