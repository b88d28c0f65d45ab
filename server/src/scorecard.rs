//! The assessment scorecard (督导考核): gathers each region's tallies for a month, the month
//! before (环比) and the same month a year earlier (同比) from the incidents, the live log and
//! the village desk, and has `model::scorecard` judge them. Knows no HTTP.
//!
//! What each indicator counts, per region of the level wholly inside the caller's jurisdiction:
//! - `incidents_per_10k`: incidents that occurred in the month ÷ resident population × 10,000;
//! - `on_time_rate`: status changes of the event loop (110 calls and 综治 orders) made in the
//!   month whose stage kept its category's allowance (`LiveSettings::deadlines`), over all such
//!   changes; a stage begins at the incident's previous change (its report for the first);
//! - `satisfaction_rate`: return-visit verdicts given in the month, 满意 + 基本满意 over all;
//! - `dispute_resolution_rate`: disputes closed in the month from an agreement over all closed;
//! - `backlog_clearance`: backlog cases (积案: 综治 events, disputes and petitions open past the
//!   desk's limits, `BacklogLimits`; police 110 events are not backlog) at the month's first
//!   instant closed by its end, over those cases;
//! - `visit_completion`: per village with an officer, visits made in the month (at most as many
//!   as were due) over visits due (one per `VISIT_EVERY_DAYS` whole days of the officer's time
//!   in the month, the current assignment);
//! - `screening_on_time`: villages whose dispute screening (矛盾纠纷排查) of the month was first
//!   filed by its due time (the month's end), over the villages, once the month has ended; a
//!   month that ended before the first screening anywhere is unavailable.
//!
//! With PostGIS and a memory window, backlog cases and the report time of a stage's first step
//! are looked up in the window only: months reaching before it count fewer backlog cases, and
//! first stages of incidents before it as late.

use crate::incident_index::IncidentFilter;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use model::api::scorecard::{IndicatorCell, IndicatorInfo, Scorecard, ScorecardRow};
use model::desk::{BacklogLimits, VISIT_EVERY_DAYS};
use model::live::{IncidentChange, LiveKind};
use model::scope::Scope;
use model::scorecard::{self as rules, Indicator, Month, Tally};
use model::screening;
use model::{IncidentId, RegionCode, RegionLevel, Status};
use std::collections::HashMap;
use store::StoreError;

/// How far before the earliest month the live log is read to find when stages began. Longer
/// than any stage's allowance, so a stage that began before it was late whatever its category.
pub const STAGE_LOOKBACK_DAYS: i64 = 120;

/// A comparison month may begin this long before the first incident held and still count (the
/// first incident of a complete record comes a little after its start).
pub const RECORDS_SLACK_S: i64 = 86_400;

/// The levels a scorecard ranks.
pub const LEVELS: [RegionLevel; 2] = [RegionLevel::County, RegionLevel::Township];

/// One region of the scorecard.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Code.
    pub code: RegionCode,
    /// Name.
    pub name: String,
    /// Resident population.
    pub population: u64,
}

/// The regions of `level` wholly inside `scope`, by code.
pub fn regions(s: &AppState, scope: &Scope, level: RegionLevel) -> Vec<Ranked> {
    s.geography
        .regions_at(level, None)
        .filter(|r| scope.allows_region(r.region.code))
        .map(|r| Ranked { code: r.region.code, name: r.region.name.clone(), population: r.region.population })
        .collect()
}

/// Tallies of one month: per region (same order as the regions), per indicator.
type MonthTallies = Vec<[Option<Tally>; Indicator::COUNT]>;

/// The scorecard of `level` inside `scope` for `month`.
pub async fn scorecard(s: &AppState, scope: &Scope, month: Month, level: RegionLevel) -> Result<Scorecard, StoreError> {
    let regions = regions(s, scope, level);
    let months = [month, month.previous(), month.year_ago()];
    let mut tallies = tally(s, scope, level, &regions, &months).await?;
    // A comparison month that began before the records did has nothing to compare with (its
    // zeros would read as a fall to nothing). With a database behind the memory window the
    // incident counts reach further back than the index; the backlog and the first stage of an
    // event still come from the index (see the module's doc).
    let first_record_s = if s.past.is_some() { None } else { s.index().first_occurred_s() };
    for (m, month) in months.iter().enumerate().skip(1) {
        if first_record_s.is_some_and(|first| month.start().timestamp() < first - RECORDS_SLACK_S) {
            tallies[m].iter_mut().for_each(|t| *t = [None; Indicator::COUNT]);
        }
    }
    let config = s.settings.scorecard.clone();
    let rows_now: Vec<Vec<Option<Tally>>> = tallies[0]
        .iter()
        .map(|t| config.indicators.iter().map(|r| t[r.indicator.index() as usize]).collect())
        .collect();
    let placed = rules::score(&config, &rows_now);
    // Receptions and visits held in each region in the month (a county's own 接访 and those in
    // its townships): counted beside the indicators.
    let (from, to) = month.bounds();
    let mut receptions = vec![0u32; regions.len()];
    for (_, r) in s.live.desk().receptions().filter(|(_, r)| r.held_at >= from && r.held_at < to) {
        if let Some(ri) = regions.iter().position(|g| g.code.contains(r.region)) {
            receptions[ri] += 1;
        }
    }
    let mut rows: Vec<ScorecardRow> = regions
        .iter()
        .enumerate()
        .map(|(ri, region)| {
            let cells = config
                .indicators
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    let ind = rule.indicator;
                    let at = |m: usize| tallies[m][ri][ind.index() as usize];
                    let value = |m: usize| at(m).and_then(|t| t.value(ind));
                    let now = at(0).unwrap_or_default();
                    let (judgement, score) = placed[ri].indicators[i];
                    let (v, prev, yoy) = (value(0), value(1), value(2));
                    let change = |other: Option<f64>| v.zip(other).map(|(a, b)| a - b);
                    IndicatorCell {
                        indicator: ind,
                        judgement,
                        numerator: now.numerator,
                        denominator: now.denominator,
                        value: v,
                        score,
                        previous: prev,
                        change_prev: change(prev),
                        year_ago: yoy,
                        change_yoy: change(yoy),
                    }
                })
                .collect();
            ScorecardRow {
                code: region.code.to_string(),
                name: region.name.clone(),
                rank: placed[ri].rank,
                score: placed[ri].score,
                cells,
                receptions: receptions[ri],
            }
        })
        .collect();
    rows.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    let (from, to) = month.bounds();
    Ok(Scorecard {
        partial: to > s.clock.now(),
        period: month.to_string(),
        from,
        to,
        previous_period: months[1].to_string(),
        year_ago_period: months[2].to_string(),
        level,
        indicators: config
            .indicators
            .iter()
            .map(|r| IndicatorInfo {
                indicator: r.indicator,
                label_zh: r.indicator.label_zh().into(),
                label_en: r.indicator.label_en().into(),
                weight: r.weight,
                direction: r.direction,
                min_denominator: r.min_denominator,
                is_share: r.indicator.is_share(),
            })
            .collect(),
        rows,
        method_zh: METHOD_ZH.into(),
        method_en: METHOD_EN.into(),
    })
}

/// The method in words (README, *Assessment scorecard*).
pub const METHOD_ZH: &str = "各指标分子、分母按自然月（北京时间）统计；分母低于配置下限的指标标注“样本不足”，不计分。\
计分指标按同级各地区的最差值至最佳值线性折算为 0–100 分（各地区数值全部相同时，比率类指标按自身数值计分，如 0% 计 0 分，万人发案率计 100 分），按配置权重加权平均得总分（未计分指标的权重不计入），\
总分相同者并列名次。环比为与上月之差，同比为与上年同月之差，单位同指标。";
/// The method in words, English.
pub const METHOD_EN: &str = "Each indicator's numerator and denominator count one calendar month (Beijing time). An indicator \
whose denominator is below its configured minimum is marked too few and not scored. Scored indicators map linearly from the \
level's worst to its best value onto 0–100 (when every region has the same value, a share scores its own value, 0 % \
scoring 0, and a rate per 10,000 scores 100); the score is their weighted mean (weights of \
unscored indicators left out); equal scores share a rank. Month-on-month and year-on-year changes are differences in the \
indicator's own units.";

/// Every month's tallies (`months[k]` → result `[k]`), one pass over each source.
async fn tally(
    s: &AppState,
    scope: &Scope,
    level: RegionLevel,
    regions: &[Ranked],
    months: &[Month],
) -> Result<Vec<MonthTallies>, StoreError> {
    let g = &s.geography;
    let now = s.clock.now();
    let slot: HashMap<RegionCode, usize> = regions.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
    let region_of = |village: RegionCode| slot.get(&village.truncate(level)).copied();
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = months.iter().map(|m| m.bounds()).collect();
    let month_of = |t: DateTime<Utc>| bounds.iter().position(|(a, b)| *a <= t && t < *b);
    // Every indicator with a source starts at 0 of 0, so a region with nothing is "too few";
    // dispute screenings only for months after screenings began (below).
    let mut empty = [Some(Tally::default()); Indicator::COUNT];
    empty[Indicator::ScreeningOnTime.index() as usize] = None;
    let mut out: Vec<MonthTallies> = vec![vec![empty; regions.len()]; months.len()];
    fn at(out: &mut [MonthTallies], m: usize, r: usize, i: Indicator) -> &mut Tally {
        out[m][r][i.index() as usize].get_or_insert_with(Tally::default)
    }

    // Incidents per 10,000 residents.
    for (m, (from, to)) in bounds.iter().enumerate() {
        let mut f = IncidentFilter::new(g.cells_in(scope));
        f.from_s = Some(from.timestamp());
        f.to_s = Some(to.timestamp());
        let counts = s.cell_counts(&f).await?;
        let mut per_region = vec![0u64; regions.len()];
        for (idx, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            if let Some(r) = region_of(g.cell_code(idx as crate::geography::CellIdx).village()) {
                per_region[r] += u64::from(*n);
            }
        }
        for (r, n) in per_region.into_iter().enumerate() {
            *at(&mut out, m, r, Indicator::IncidentsPer10k) =
                Tally { numerator: n, denominator: regions[r].population };
        }
    }

    // Stages on time and verdicts, from the live log; closing times for the backlog.
    let earliest = bounds.iter().map(|b| b.0).min().unwrap_or_else(Utc::now);
    let window_start = earliest - Duration::days(STAGE_LOOKBACK_DAYS);
    let events = s.store.events_since(window_start, vec![LiveKind::IncidentChanged]).await?;
    let mut closed_at: HashMap<u64, DateTime<Utc>> = HashMap::new();
    {
        let index = s.index();
        let mut stage_began: HashMap<u64, DateTime<Utc>> = HashMap::new();
        for e in &events {
            let Ok(c) = serde_json::from_str::<IncidentChange>(&e.event.data) else { continue };
            let t = e.event.at;
            let moved = !c.note_only && c.from != c.to;
            if !moved && c.verdict.is_none() {
                continue;
            }
            let region =
                e.event.cell_code.filter(|cell| scope.allows_cell(*cell)).and_then(|cell| region_of(cell.village()));
            if moved {
                let began = stage_began.insert(c.id, t).unwrap_or_else(|| {
                    let reported = (c.from == Status::Reported)
                        .then(|| index.get(IncidentId(c.id)))
                        .flatten()
                        .and_then(|p| DateTime::from_timestamp(p.reported_s, 0));
                    reported.unwrap_or(window_start)
                });
                if c.to == Status::Closed {
                    closed_at.insert(c.id, t);
                }
                if let (Some(m), Some(r), Some(category)) = (month_of(t), region, e.event.category)
                    && let Some(allowed) = s.settings.deadlines(category).allowed_min(c.from)
                {
                    at(&mut out, m, r, Indicator::OnTimeRate).add(rules::stage_on_time(began, t, allowed));
                }
            }
            if let (Some(v), Some(m), Some(r)) = (c.verdict, month_of(t), region) {
                at(&mut out, m, r, Indicator::SatisfactionRate).add(v.is_satisfied());
            }
        }
    }

    // Backlog at each month's start, cleared by its end: events, then disputes.
    let limits = BacklogLimits::default();
    // (region, opened, closed, limit in days)
    struct Case(usize, DateTime<Utc>, Option<DateTime<Utc>>, i64);
    let mut cases: Vec<Case> = Vec::new();
    {
        let board = s.live.board();
        let index = s.index();
        let filter = IncidentFilter::new(g.cells_in(scope));
        let latest = bounds.iter().map(|b| b.0).max().unwrap_or(earliest);
        let opened_before = (latest - Duration::days(limits.event_days)).timestamp();
        index.for_each(&filter, |p| {
            // Police 110 events open too long are overdue (超期未结), not backlog cases.
            if p.reported_s >= opened_before
                || board.event_of(p.id.0).is_some()
                || p.category.workflow() == model::taxonomy::Workflow::Police
            {
                return;
            }
            let closed = match closed_at.get(&p.id.0) {
                Some(t) => Some(*t),
                // Closed without a logged closing (imported closed, or closed before the window):
                // never a backlog case of these months.
                None if p.status == Status::Closed => return,
                None => None,
            };
            let (Some(opened), Some(r)) =
                (DateTime::from_timestamp(p.reported_s, 0), region_of(g.cell_code(p.cell).village()))
            else {
                return;
            };
            cases.push(Case(r, opened, closed, limits.event_days));
        });
    }
    let desk = s.live.desk();
    for d in desk.disputes().filter(|d| scope.allows_region(d.registered.village)) {
        if let Some(r) = region_of(d.registered.village) {
            cases.push(Case(r, d.registered.opened_at, d.closed_at, limits.dispute_days));
            if let Some(m) = d.closed_at.and_then(month_of) {
                let statuses = d.changes.iter().filter_map(|(_, c)| c.to);
                at(&mut out, m, r, Indicator::DisputeResolutionRate).add(rules::dispute_resolved(statuses));
            }
        }
    }
    for p in desk.petitions().filter(|p| crate::petitions::in_scope(scope, p)) {
        if let Some(r) = region_of(p.registered.village) {
            cases.push(Case(r, p.registered.received_at, p.closed_at, limits.petition_days));
        }
    }
    for Case(r, opened, closed, limit_days) in cases {
        for (m, (from, to)) in bounds.iter().enumerate() {
            if rules::backlog_at(opened, closed, *from, limit_days) {
                at(&mut out, m, r, Indicator::BacklogClearance).add(closed.is_some_and(|c| c < *to));
            }
        }
    }

    // Village visits: done (at most as many as due) over due.
    let mut visits: HashMap<(RegionCode, usize), u64> = HashMap::new();
    for (_, v) in desk.visits() {
        if let Some(m) = month_of(v.visited_at) {
            *visits.entry((v.village, m)).or_default() += 1;
        }
    }
    let villages: Vec<RegionCode> =
        g.regions_at(RegionLevel::Village, None).map(|r| r.region.code).filter(|v| scope.allows_region(*v)).collect();
    for &village in &villages {
        let (Some(r), Some(assigned)) = (region_of(village), desk.assignment(village)) else { continue };
        if assigned.officer.is_none() {
            continue;
        }
        let since = assigned.since.unwrap_or(DateTime::<Utc>::MIN_UTC);
        for (m, (from, to)) in bounds.iter().enumerate() {
            // A month under way is due only up to now.
            let due = rules::visits_due(since, *from, (*to).min(now), VISIT_EVERY_DAYS);
            let done = visits.get(&(village, m)).copied().unwrap_or(0).min(due);
            let t = at(&mut out, m, r, Indicator::VisitCompletion);
            t.numerator += done;
            t.denominator += due;
        }
    }

    // Dispute screenings: villages whose screening of the month was first filed by its due
    // time, over the villages, for months due by now. Months that ended before the first
    // screening anywhere are unavailable (screening was not done through SafeGrid then).
    let began = desk.screenings().map(|r| r.first_filed_at).min();
    for (m, month) in months.iter().enumerate() {
        let due = screening::due_at(*month);
        if began.is_none_or(|t| t >= due) {
            continue;
        }
        for region in &mut out[m] {
            region[Indicator::ScreeningOnTime.index() as usize] = Some(Tally::default());
        }
        if due > now {
            continue;
        }
        for &village in &villages {
            if let Some(r) = region_of(village) {
                let filed =
                    desk.screening(village, *month).is_some_and(|x| screening::on_time(*month, x.first_filed_at));
                at(&mut out, m, r, Indicator::ScreeningOnTime).add(filed);
            }
        }
    }
    drop(desk);
    Ok(out)
}
