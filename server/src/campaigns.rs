//! Special campaigns (专项整治): their views, who sees which, and the evaluation — counts before
//! and during in the area, in rings around it and in a control area, judged by
//! `analytics::campaign`. Knows no HTTP.
//!
//! What the evaluation counts, inside the caller's jurisdiction and of the campaign's kinds:
//! - the area: a region's cells, or the incidents inside a drawn polygon;
//! - rings: incidents outside the area within 0–500 m and 500–1,000 m of it (UTM metres of the
//!   world's projection);
//! - control: the chosen control region, or the rest of the area's county, less the area and
//!   both rings.
//!
//! Periods: the baseline is the `baseline_days` before the start; the campaign's period runs from
//! its start to its end (or to now while it runs).

use crate::incident_index::{CategorySet, IncidentFilter};
use crate::state::AppState;
use analytics::campaign::{Displacement, MIN_COUNT, RateRatio, displacement, rate_ratio, ratio_of_ratios};
use chrono::{DateTime, Utc};
use geo::{BoundingRect, Contains, Coord, Distance, Euclidean, Intersects, LineString, MultiPolygon, Point, Polygon};
use model::CellCode;
use model::api::campaign::{CampaignStage, CampaignView, Evaluation, RateRatioView, RatioOfRatiosView, RingView};
use model::campaign::{Campaign, CampaignArea, RINGS_M};
use model::scope::Scope;
use store::StoreError;

/// A ring's incidents below this make its displacement quotient unreliable (a warning).
pub const MIN_RING_COUNT: u64 = 10;

/// The area's boundary, WGS84 (a region's, or the drawn polygon).
pub fn area_shape(s: &AppState, area: &CampaignArea) -> Option<MultiPolygon<f64>> {
    match area {
        CampaignArea::Region(code) => s.geography.region(*code).map(|r| r.boundary.clone()),
        CampaignArea::Polygon(rings) => polygon(rings).map(|p| MultiPolygon::new(vec![p])),
    }
}

/// A polygon from closed rings of lon/lat (outer first).
pub fn polygon(rings: &[Vec<[f64; 2]>]) -> Option<Polygon<f64>> {
    let ring = |r: &Vec<[f64; 2]>| LineString::new(r.iter().map(|&[x, y]| Coord { x, y }).collect());
    let (outer, holes) = rings.split_first()?;
    Some(Polygon::new(ring(outer), holes.iter().map(ring).collect()))
}

/// The cells a drawn polygon touches.
pub fn cells_touched(s: &AppState, p: &Polygon<f64>) -> Vec<CellCode> {
    let Some(b) = p.bounding_rect() else { return Vec::new() };
    let g = &s.geography;
    g.cells_in_box([b.min().x, b.min().y], [b.max().x, b.max().y])
        .filter(|&i| g.cells()[i as usize].boundary.intersects(p))
        .map(|i| g.cell_code(i))
        .collect()
}

/// Whether the caller's jurisdiction holds the whole area (only then may they see it: its
/// evaluation counts everything in it).
pub fn visible(s: &AppState, scope: &Scope, c: &Campaign) -> bool {
    match &c.area {
        CampaignArea::Region(code) => scope.allows_region(*code),
        CampaignArea::Polygon(rings) => polygon(rings).is_some_and(|p| {
            let cells = cells_touched(s, &p);
            !cells.is_empty() && cells.iter().all(|cell| scope.allows_cell(*cell))
        }),
    }
}

/// Where a campaign stands at `now`.
pub fn stage(c: &Campaign, now: DateTime<Utc>) -> CampaignStage {
    let (from, to) = c.bounds();
    if now < from {
        CampaignStage::Planned
    } else if now < to {
        CampaignStage::Running
    } else {
        CampaignStage::Finished
    }
}

/// A campaign as listed.
pub fn view(s: &AppState, id: u64, c: &Campaign, now: DateTime<Utc>) -> CampaignView {
    let area_name = match &c.area {
        CampaignArea::Region(code) => {
            s.geography.region(*code).map_or_else(|| code.to_string(), |r| r.region.name.clone())
        }
        CampaignArea::Polygon(_) => "自定范围".into(),
    };
    CampaignView {
        id,
        name: c.name.clone(),
        area: c.area.clone(),
        area_name,
        county: c.county,
        categories: c.categories.clone(),
        start: c.start,
        end: c.end,
        baseline_days: c.baseline_days,
        control: c.control,
        stage: stage(c, now),
        by: c.by.clone(),
        at: c.at,
    }
}

/// The campaigns the caller sees, newest first.
pub fn list(s: &AppState, scope: &Scope, now: DateTime<Utc>) -> Vec<CampaignView> {
    let all: Vec<(u64, Campaign)> = s.live.desk().campaigns().rev().map(|(id, c)| (id, c.clone())).collect();
    all.into_iter().filter(|(_, c)| visible(s, scope, c)).map(|(id, c)| view(s, id, &c, now)).collect()
}

/// Why a campaign cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// It has not begun.
    #[error("the campaign begins on {0}: there is nothing to evaluate yet")]
    NotBegun(chrono::NaiveDate),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The analysis could not run (busy, cancelled or failed).
    #[error(transparent)]
    Job(#[from] crate::jobs::JobError),
}

/// Where an incident lies relative to the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Area,
    Ring(usize),
    Control,
    Elsewhere,
}

fn rr_view(r: &RateRatio) -> RateRatioView {
    RateRatioView {
        before: r.before,
        before_days: r.before_days,
        after: r.after,
        after_days: r.after_days,
        ratio: r.ratio,
        ci_low: r.ci_low,
        ci_high: r.ci_high,
        p_value: r.p_value,
        too_few: r.too_few,
    }
}

fn reading(d: Option<Displacement>, has_control: bool) -> (&'static str, &'static str, &'static str) {
    match d {
        None if has_control => (
            "control_empty",
            "对照区在某一时段无警情，无法计算",
            "the control had no incident in a period: it cannot be computed",
        ),
        None => ("no_control", "无对照区，无法计算", "no control area: it cannot be computed"),
        Some(Displacement::NoEffect) => (
            "no_effect",
            "整治区域相对对照区未下降，谈不上转移",
            "the area did not fall relative to the control: nothing to displace",
        ),
        Some(Displacement::DiffusionBeyond) => (
            "diffusion_beyond",
            "周边降幅超过整治区域：效益扩散，且超出直接效果",
            "the ring fell more than the area: diffusion of benefits beyond the direct effect",
        ),
        Some(Displacement::Diffusion) => {
            ("diffusion", "周边也随之下降：效益扩散", "the ring fell too: diffusion of benefits")
        }
        Some(Displacement::Neither) => {
            ("neither", "周边无明显变化：既无转移也无扩散", "no change in the ring: neither displacement nor diffusion")
        }
        Some(Displacement::DisplacementLess) => (
            "displacement_less",
            "部分警情转移到周边，但少于整治区域的降幅（净效果为正）",
            "some crime moved to the ring, less than the area's fall (a net benefit)",
        ),
        Some(Displacement::DisplacementMore) => (
            "displacement_more",
            "转移到周边的警情超过整治区域的降幅（净效果为负）",
            "more crime moved to the ring than the area lost (a net harm)",
        ),
    }
}

/// The method in words.
pub const METHOD_ZH: &str = "比较整治期间与整治前基线期（默认与整治期等长）的警情数：率比 = 整治期日均 ÷ 基线期日均，\
用精确条件泊松检验（给定总数时整治期警情数服从二项分布）求 p 值，用 Clopper–Pearson 区间求 95% 置信区间。\
对照区（默认为所在县区的其余部分，不含整治区域及其 1 公里范围）同样计算率比，两者之比（对数尺度的双重差分，Wald 区间）\
说明整治区域相对大势的变化。周边 0–500 米、500–1000 米两圈用加权转移指数（Bowers & Johnson, 2003）判断警情是转移到周边还是效益扩散。\
只统计本人辖区内、整治所针对类别的警情。";
/// The method, English.
pub const METHOD_EN: &str = "Incidents during the campaign are compared with a baseline before it (as long as the campaign by \
default): the rate ratio is the daily rate during over the daily rate before, tested with the exact conditional Poisson test \
(given the total, the count during is binomial), with a Clopper–Pearson 95% interval. A control area (the rest of the county by \
default, less the area and 1 km around it) gets the same ratio; the ratio of the two (difference in differences on the log \
scale, Wald interval) tells the area's change against the trend. Rings 0–500 m and 500–1,000 m around the area get Bowers & \
Johnson's (2003) weighted displacement quotient: did crime move next door, or did the benefit spread? Only incidents inside \
your jurisdiction and of the campaign's kinds are counted.";

/// Evaluates campaign `id` for a caller with `scope` at `now`.
pub async fn evaluate(
    s: &AppState,
    scope: &Scope,
    id: u64,
    c: &Campaign,
    now: DateTime<Utc>,
) -> Result<Evaluation, EvaluationError> {
    let (after_from, end) = c.bounds();
    if now <= after_from {
        return Err(EvaluationError::NotBegun(c.start));
    }
    let after_to = end.min(now);
    let (before_from, before_to) = c.baseline();
    let g = &s.geography;
    let area = area_shape(s, &c.area).unwrap_or_else(|| MultiPolygon::new(Vec::new()));
    let projection = g.projection();
    let control_root = c.control.unwrap_or(c.county);
    let mut filter = IncidentFilter::new(g.cells_in(scope));
    filter.from_s = Some(before_from.timestamp());
    filter.to_s = Some(after_to.timestamp());
    if !c.categories.is_empty() {
        filter.categories = Some(CategorySet::of(&c.categories));
    }
    let in_area_region = {
        let area = c.area.clone();
        move |cell: CellCode| match &area {
            CampaignArea::Region(code) => Some(code.contains(cell.village())),
            CampaignArea::Polygon(_) => None,
        }
    };
    // The points are copied out under the index's lock; the geometry runs as a job.
    let mut points: Vec<(CellCode, f64, f64, bool)> = Vec::new();
    let after_s = after_from.timestamp();
    s.for_each_incident(&filter, |p| points.push((g.cell_code(p.cell), p.lon, p.lat, p.occurred_s >= after_s))).await?;
    let classify = in_area_region.clone();
    let counts = s
        .jobs
        .run(move |cancel| {
            let project = |p: Coord<f64>| {
                let (x, y) = projection.forward(p.x, p.y);
                Coord { x, y }
            };
            let area_m = geo::MapCoords::map_coords(&area, project);
            let outer_m = RINGS_M[RINGS_M.len() - 1].1;
            // Points farther than this box from the area are outside every ring.
            let reach = area.bounding_rect().map(|b| {
                let (dx, dy) =
                    analytics::projection::LocalPlane::at(b.center().x, b.center().y).degrees_around(outer_m * 1.05);
                (b.min().x - dx, b.min().y - dy, b.max().x + dx, b.max().y + dy)
            });
            let mut counts = [[0u64; 2]; 2 + RINGS_M.len()]; // area, control, rings…; [before, after]
            for (k, &(cell, lon, lat, after)) in points.iter().enumerate() {
                if k % 65_536 == 0 {
                    cancel.check()?;
                }
                let place = if classify(cell).unwrap_or_else(|| area.contains(&Point::new(lon, lat))) {
                    Place::Area
                } else {
                    let near = reach.is_some_and(|(x0, y0, x1, y1)| lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1);
                    let d = if near {
                        let (x, y) = projection.forward(lon, lat);
                        Euclidean.distance(&area_m, &Point::new(x, y))
                    } else {
                        f64::INFINITY
                    };
                    match RINGS_M.iter().position(|&(inner, outer)| d > inner && d <= outer) {
                        Some(k) => Place::Ring(k),
                        None if d > outer_m && control_root.contains(cell.village()) => Place::Control,
                        None => Place::Elsewhere,
                    }
                };
                let period = usize::from(after);
                match place {
                    Place::Area => counts[0][period] += 1,
                    Place::Control => counts[1][period] += 1,
                    Place::Ring(k) => counts[2 + k][period] += 1,
                    Place::Elsewhere => {}
                }
            }
            Ok(counts)
        })
        .await?;
    let mut control_cells = false;
    // Is there any control cell in the caller's jurisdiction at all?
    let range = g.cell_range(control_root);
    for idx in range {
        if g.scope_allows_cell(scope, idx) && in_area_region(g.cell_code(idx)) != Some(true) {
            control_cells = true;
            break;
        }
    }
    let before_days = c.baseline_days as f64;
    let after_days = (after_to - after_from).num_seconds() as f64 / 86_400.0;
    let rr = |k: usize| rate_ratio(counts[k][0], before_days, counts[k][1], after_days);
    let target = rr(0);
    let control = control_cells.then(|| rr(1));
    let relative = control.and_then(|_| ratio_of_ratios((counts[0][0], counts[0][1]), (counts[1][0], counts[1][1])));
    // The quotient compares area, ring and control within each period: the periods' lengths cancel.
    let pair = |k: usize| (counts[k][0], counts[k][1]);
    let rings: Vec<RingView> = RINGS_M
        .iter()
        .enumerate()
        .map(|(k, &(inner_m, outer_m))| {
            let w = control.and_then(|_| displacement(pair(0), pair(2 + k), pair(1)));
            let (code, zh, en) = reading(w.map(|w| w.reading), control.is_some());
            RingView {
                inner_m,
                outer_m,
                rate_ratio: rr_view(&rr(2 + k)),
                wdq: w.and_then(|w| w.wdq),
                reading: code.into(),
                reading_zh: zh.into(),
                reading_en: en.into(),
                net_effect: w.map(|w| w.net_effect),
            }
        })
        .collect();
    let control_name = match c.control {
        Some(code) => g.region(code).map_or_else(|| code.to_string(), |r| r.region.name.clone()),
        None => g.region(c.county).map_or_else(|| c.county.to_string(), |r| format!("{}其余区域", r.region.name)),
    };
    let (mut warnings_zh, mut warnings_en) = (Vec::new(), Vec::new());
    let mut warn = |zh: String, en: String| {
        warnings_zh.push(zh);
        warnings_en.push(en);
    };
    if now < end {
        warn(
            "整治仍在进行，以下为中期评估".into(),
            "The campaign is still running: this is an interim evaluation.".into(),
        );
    }
    let first_record_s = if s.past.is_some() { None } else { s.index().first_occurred_s() };
    if first_record_s.is_some_and(|first| before_from.timestamp() < first - crate::scorecard::RECORDS_SLACK_S) {
        warn(
            "基线期早于数据起点，基线警情数偏少，率比会偏高".into(),
            "The baseline begins before the records do: its counts are short and the ratios read high.".into(),
        );
    }
    if target.too_few {
        warn(
            format!("整治区域前后合计仅 {} 起警情（少于 {MIN_COUNT} 起），不足以下结论", counts[0][0] + counts[0][1]),
            format!(
                "Only {} incidents in the area before and during (fewer than {MIN_COUNT}): too few to conclude.",
                counts[0][0] + counts[0][1]
            ),
        );
    }
    match control {
        None => warn(
            "辖区内没有对照区，无法排除大势影响".into(),
            "No control area in your jurisdiction: the general trend cannot be ruled out.".into(),
        ),
        Some(cr) if cr.too_few => warn(
            "对照区警情太少，对比不可靠".into(),
            "The control area has too few incidents for a reliable comparison.".into(),
        ),
        Some(_) => {}
    }
    for (k, ring) in rings.iter().enumerate() {
        let n = ring.rate_ratio.before + ring.rate_ratio.after;
        if n < MIN_RING_COUNT {
            warn(
                format!("第 {} 圈（{}–{} 米）仅 {n} 起警情，转移指数不可靠", k + 1, ring.inner_m, ring.outer_m),
                format!(
                    "Ring {} ({}–{} m) holds only {n} incidents: its quotient is unreliable.",
                    k + 1,
                    ring.inner_m,
                    ring.outer_m
                ),
            );
        }
    }
    let (summary_zh, summary_en) = summary(&target, relative.as_ref(), control.is_some());
    let target_view = rr_view(&target);
    Ok(Evaluation {
        campaign: view(s, id, c, now),
        before_from,
        before_to,
        after_from,
        after_to,
        target: target_view,
        control_name,
        control: control.as_ref().map(rr_view),
        relative: relative.map(|r| RatioOfRatiosView {
            ratio: r.ratio,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            p_value: r.p_value,
        }),
        rings,
        summary_zh,
        summary_en,
        warnings_zh,
        warnings_en,
        method_zh: METHOD_ZH.into(),
        method_en: METHOD_EN.into(),
    })
}

/// A p-value as a sentence gives it.
fn p_text(p: f64) -> String {
    if p < 0.001 { "p < 0.001".into() } else { format!("p = {p:.3}") }
}

/// The conclusion in one sentence: against the control when there is one, else the area alone.
fn summary(
    target: &RateRatio,
    relative: Option<&analytics::campaign::RatioOfRatios>,
    has_control: bool,
) -> (String, String) {
    if target.too_few {
        return ("警情太少，无法判断整治效果".into(), "Too few incidents to judge the campaign.".into());
    }
    let pct = |r: f64| ((1.0 - r) * 100.0).abs();
    match relative {
        Some(r) if r.ci_high < 1.0 => (
            format!(
                "相对对照区，整治区域警情下降 {:.0}%（95% 置信区间 {:.0}%–{:.0}%，{}），效果显著",
                pct(r.ratio),
                pct(r.ci_high),
                pct(r.ci_low),
                p_text(r.p_value)
            ),
            format!(
                "Against the control, incidents in the area fell {:.0}% (95% CI {:.0}%–{:.0}%, {}): a significant effect.",
                pct(r.ratio),
                pct(r.ci_high),
                pct(r.ci_low),
                p_text(r.p_value)
            ),
        ),
        Some(r) if r.ci_low > 1.0 => (
            format!("相对对照区，整治区域警情反而上升 {:.0}%（{}）", (r.ratio - 1.0) * 100.0, p_text(r.p_value)),
            format!(
                "Against the control, incidents in the area rose {:.0}% ({}).",
                (r.ratio - 1.0) * 100.0,
                p_text(r.p_value)
            ),
        ),
        Some(r) => (
            format!("相对对照区，整治区域警情无显著变化（比值 {:.2}，{}）", r.ratio, p_text(r.p_value)),
            format!(
                "Against the control, no significant change in the area (ratio {:.2}, {}).",
                r.ratio,
                p_text(r.p_value)
            ),
        ),
        None if has_control => (
            "整治区域或对照区某一时段无警情，无法与对照区比较".into(),
            "The area or the control had no incident in a period: no comparison with the control.".into(),
        ),
        None => {
            let ratio = target.ratio.unwrap_or(f64::NAN);
            (
                format!("整治区域警情率比 {ratio:.2}（{}），未与对照区比较", p_text(target.p_value)),
                format!("Rate ratio in the area {ratio:.2} ({}), not compared with a control.", p_text(target.p_value)),
            )
        }
    }
}
