//! The assessment scorecard (督导考核): the indicators regions are judged on, their weights and
//! directions (`data/scorecard.json`, or a city's own file), the rules that count each one, and
//! the weighted score and rank. Pure: the server gathers the tallies, this module judges them.
//!
//! The method, as README *Assessment scorecard* states it:
//! - an indicator is judged for a region only when its denominator reaches the rule's
//!   `min_denominator`; otherwise it is shown, marked too few, and not scored;
//! - a judged indicator scores 0–100 by its place between the worst and the best judged value
//!   of the same level (min–max), the direction deciding which end is best; when every region
//!   has the same value nothing tells them apart, and a share scores its own value (0 % → 0,
//!   100 % → 100, reversed when lower is better), a rate 100;
//! - the region's score is the weighted mean of its judged indicators' scores (weights of the
//!   others left out, so a missing indicator neither helps nor hurts); regions are ranked by it,
//!   equal scores sharing a rank (1, 2, 2, 4); a region with no judged indicator is not ranked.

use crate::time::{SHANGHAI_OFFSET_S, days_from_civil};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// One indicator of the scorecard.
    Indicator {
        /// 万人发案率: incidents that occurred in the period per 10,000 residents.
        IncidentsPer10k = ("incidents_per_10k", "万人发案率", "incidents per 10,000 residents"),
        /// 环节按时率: event-loop stages (110 calls and 综治 orders) done within their deadline.
        OnTimeRate = ("on_time_rate", "环节按时率", "stages on time"),
        /// 群众满意率: satisfied and basically satisfied verdicts over all verdicts.
        SatisfactionRate = ("satisfaction_rate", "群众满意率", "satisfaction"),
        /// 纠纷化解率: disputes closed with an agreement over disputes closed.
        DisputeResolutionRate = ("dispute_resolution_rate", "纠纷化解率", "disputes resolved"),
        /// 积案化解率: backlog cases at the period's start cleared by its end.
        BacklogClearance = ("backlog_clearance", "积案化解率", "backlog cleared"),
        /// 走访完成率: village visits done over visits due.
        VisitCompletion = ("visit_completion", "走访完成率", "village visits done"),
        /// 排查按时率: dispute screenings filed on time (where screenings exist).
        ScreeningOnTime = ("screening_on_time", "排查按时率", "screenings on time"),
    }
}

labelled_enum! {
    /// Which end of an indicator is good.
    Direction {
        /// More is better (rates of work done).
        HigherIsBetter = ("higher_is_better", "越高越好", "higher is better"),
        /// Less is better (incidents).
        LowerIsBetter = ("lower_is_better", "越低越好", "lower is better"),
    }
}

impl Indicator {
    /// Factor from numerator ÷ denominator to the indicator's value: 10,000 for the rate per
    /// population (Chinese practice states rates per 10,000 residents), 1 for shares.
    pub fn scale(self) -> f64 {
        match self {
            Self::IncidentsPer10k => 10_000.0,
            _ => 1.0,
        }
    }

    /// Whether the value is a share (0–1, shown as a percentage).
    pub fn is_share(self) -> bool {
        self != Self::IncidentsPer10k
    }
}

/// How one indicator counts in the score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRule {
    /// The indicator.
    pub indicator: Indicator,
    /// Its weight (any non-negative number; the score divides by the weights it uses).
    pub weight: f64,
    /// Which end is good.
    pub direction: Direction,
    /// Below this denominator the indicator is marked too few and not scored.
    pub min_denominator: u64,
}

/// The scorecard's configuration: one rule per indicator, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardConfig {
    /// What the file is (free text, ignored).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub about: String,
    /// The rules.
    pub indicators: Vec<IndicatorRule>,
}

/// The standard configuration's text (`data/scorecard.json`).
pub const STANDARD: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/scorecard.json"));

impl ScorecardConfig {
    /// Reads and checks a configuration: every indicator at most once, weights finite and not
    /// negative, at least one positive.
    pub fn parse(text: &str) -> Result<ScorecardConfig, String> {
        let config: ScorecardConfig = serde_json::from_str(text).map_err(|e| format!("scorecard file: {e}"))?;
        let mut seen = [false; Indicator::COUNT];
        for (i, r) in config.indicators.iter().enumerate() {
            let at = format!("indicators[{i}]");
            if std::mem::replace(&mut seen[r.indicator.index() as usize], true) {
                return Err(format!("{at}: {} is listed twice", r.indicator.as_str()));
            }
            if !r.weight.is_finite() || r.weight < 0.0 {
                return Err(format!("{at}.weight: {} is not a number ≥ 0", r.weight));
            }
        }
        if !config.indicators.iter().any(|r| r.weight > 0.0) {
            return Err("indicators: at least one weight must be above 0".into());
        }
        Ok(config)
    }

    /// The standard configuration (`data/scorecard.json`).
    pub fn standard() -> ScorecardConfig {
        #[allow(clippy::expect_used)]
        ScorecardConfig::parse(STANDARD).expect("data/scorecard.json is a valid scorecard")
    }
}

/// A numerator over a denominator, both counts (residents for the rate per population).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// What was done (or happened).
    pub numerator: u64,
    /// Out of how many (or per how many residents).
    pub denominator: u64,
}

impl Tally {
    /// Numerator ÷ denominator × the indicator's scale; `None` with nothing to divide by.
    pub fn value(self, indicator: Indicator) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64 * indicator.scale())
    }

    /// Adds one case, done or not.
    pub fn add(&mut self, done: bool) {
        self.numerator += u64::from(done);
        self.denominator += 1;
    }
}

/// How an indicator stands for one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// Scored.
    Scored,
    /// Denominator under the rule's minimum: shown, not scored.
    TooFew,
    /// No source of this indicator exists yet (e.g. no dispute screenings are filed).
    Unavailable,
}

impl Judgement {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scored => "scored",
            Self::TooFew => "too_few",
            Self::Unavailable => "unavailable",
        }
    }
}

/// One region's place: each configured indicator's score (0–100, `None` when not scored), the
/// weighted score and the rank.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Per rule of the configuration, in its order: the judgement and the score.
    pub indicators: Vec<(Judgement, Option<f64>)>,
    /// Weighted mean of the scored indicators.
    pub score: Option<f64>,
    /// 1 = best; `None` when nothing was scored.
    pub rank: Option<u32>,
}

/// Scores regions. `tallies[r][i]` is region `r`'s tally of the configuration's rule `i`
/// (`None`: the indicator has no source). Returns one [`Placed`] per region, same order.
pub fn score(config: &ScorecardConfig, tallies: &[Vec<Option<Tally>>]) -> Vec<Placed> {
    let rules = &config.indicators;
    let judged = |r: usize, i: usize| -> (Judgement, Option<f64>) {
        match tallies[r].get(i).copied().flatten() {
            None => (Judgement::Unavailable, None),
            Some(t) if t.denominator == 0 || t.denominator < rules[i].min_denominator => (Judgement::TooFew, None),
            Some(t) => (Judgement::Scored, t.value(rules[i].indicator)),
        }
    };
    let mut placed: Vec<Placed> = (0..tallies.len())
        .map(|r| Placed { indicators: (0..rules.len()).map(|i| judged(r, i)).collect(), score: None, rank: None })
        .collect();
    for (i, rule) in rules.iter().enumerate() {
        let values: Vec<f64> = placed.iter().filter_map(|p| p.indicators[i].1).collect();
        let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        for p in &mut placed {
            if let Some(v) = p.indicators[i].1 {
                let s = if hi - lo <= 1e-12 {
                    // Nothing to tell the regions apart: a share scores itself (0 % → 0), a rate 100.
                    match (rule.indicator.is_share(), rule.direction) {
                        (true, Direction::HigherIsBetter) => 100.0 * v.clamp(0.0, 1.0),
                        (true, Direction::LowerIsBetter) => 100.0 * (1.0 - v.clamp(0.0, 1.0)),
                        (false, _) => 100.0,
                    }
                } else {
                    match rule.direction {
                        Direction::HigherIsBetter => 100.0 * (v - lo) / (hi - lo),
                        Direction::LowerIsBetter => 100.0 * (hi - v) / (hi - lo),
                    }
                };
                p.indicators[i].1 = Some(s);
            }
        }
    }
    for p in &mut placed {
        let (mut sum, mut weights) = (0.0, 0.0);
        for (rule, &(_, s)) in rules.iter().zip(&p.indicators) {
            if let (Some(s), true) = (s, rule.weight > 0.0) {
                sum += rule.weight * s;
                weights += rule.weight;
            }
        }
        p.score = (weights > 0.0).then(|| sum / weights);
    }
    let scores: Vec<Option<f64>> = placed.iter().map(|p| p.score).collect();
    for (p, own) in placed.iter_mut().zip(&scores) {
        p.rank = own.map(|own| 1 + scores.iter().flatten().filter(|&&other| other > own + 1e-9).count() as u32);
    }
    placed
}

/// Incidents per 10,000 residents (万人发案率), to 2 decimals; 0 for an area nobody lives in.
/// Every rate per population SafeGrid shows uses this basis.
pub fn per_10k(count: u64, population: u64) -> f64 {
    if population == 0 {
        return 0.0;
    }
    (count as f64 * 10_000.0 / population as f64 * 100.0).round() / 100.0
}

/// A calendar month in local time (Asia/Shanghai), the scorecard's and the briefing's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl Month {
    /// Reads `YYYY-MM` (years 2000–2100).
    pub fn parse(text: &str) -> Result<Month, String> {
        let bad = || format!("{text:?} is not a month YYYY-MM");
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (year, month): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The local month holding `t`.
    pub fn of(t: DateTime<Utc>) -> Month {
        use chrono::Datelike;
        let d = crate::time::local_date(t);
        Month { year: d.year(), month: d.month() }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }

    /// The same month a year earlier.
    pub fn year_ago(self) -> Month {
        Month { year: self.year - 1, ..self }
    }

    /// Its first instant, local midnight of the 1st, in UTC (any month chrono can hold: parsed
    /// months are 2000–2100, clocks' months are what chrono gave).
    #[allow(clippy::expect_used)]
    pub fn start(self) -> DateTime<Utc> {
        let days = days_from_civil(i64::from(self.year), self.month, 1);
        DateTime::from_timestamp(days * 86_400 - i64::from(SHANGHAI_OFFSET_S), 0).expect("a month of 2000–2100")
    }

    /// `[start, end)` in UTC.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let next = if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { month: self.month + 1, ..self }
        };
        (self.start(), next.start())
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Month::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Whether a stage that began at `began` and ended at `ended` kept its allowance.
pub fn stage_on_time(began: DateTime<Utc>, ended: DateTime<Utc>, allowed_min: u32) -> bool {
    ended - began <= Duration::minutes(i64::from(allowed_min))
}

/// Whether a case opened at `opened` and closed at `closed` (`None`: still open) was a backlog
/// case at `at`: open then, and open longer than `limit_days`.
pub fn backlog_at(opened: DateTime<Utc>, closed: Option<DateTime<Utc>>, at: DateTime<Utc>, limit_days: i64) -> bool {
    let open_then = opened <= at && closed.is_none_or(|c| c > at);
    open_then && crate::desk::is_backlog(opened, at, limit_days, true)
}

/// How many visits a village was due in `[from, to)` when an officer has had it since
/// `assigned`: one per `every_days` whole days of the officer's time in the period.
pub fn visits_due(assigned: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>, every_days: i64) -> u64 {
    if every_days <= 0 {
        return 0;
    }
    let start = assigned.max(from);
    if start >= to {
        return 0;
    }
    ((to - start).num_seconds() / (every_days * 86_400)) as u64
}

/// Whether a dispute whose status changes were `statuses` (oldest first) was closed with an
/// agreement: the status before its last closing is 已达成协议.
pub fn dispute_resolved(statuses: impl IntoIterator<Item = crate::desk::DisputeStatus>) -> bool {
    use crate::desk::DisputeStatus;
    let (mut before, mut last) = (None, None);
    for st in statuses {
        before = last;
        last = Some(st);
    }
    last == Some(DisputeStatus::Closed) && before == Some(DisputeStatus::Agreed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rules: &[(Indicator, f64, Direction, u64)]) -> ScorecardConfig {
        ScorecardConfig {
            about: String::new(),
            indicators: rules
                .iter()
                .map(|&(indicator, weight, direction, min_denominator)| IndicatorRule {
                    indicator,
                    weight,
                    direction,
                    min_denominator,
                })
                .collect(),
        }
    }

    fn t(n: u64, d: u64) -> Option<Tally> {
        Some(Tally { numerator: n, denominator: d })
    }

    #[test]
    fn the_standard_file_holds_every_indicator_once() {
        let c = ScorecardConfig::standard();
        let listed: Vec<Indicator> = c.indicators.iter().map(|r| r.indicator).collect();
        assert_eq!(listed, Indicator::ALL);
        assert_eq!(c.indicators.iter().map(|r| r.weight).sum::<f64>(), 100.0);
        assert_eq!(c.indicators[0].direction, Direction::LowerIsBetter);
    }

    #[test]
    fn bad_files_are_refused_with_the_place() {
        let twice = r#"{"indicators":[
            {"indicator":"on_time_rate","weight":1,"direction":"higher_is_better","min_denominator":1},
            {"indicator":"on_time_rate","weight":1,"direction":"higher_is_better","min_denominator":1}]}"#;
        assert!(ScorecardConfig::parse(twice).unwrap_err().contains("indicators[1]"));
        let negative = r#"{"indicators":[{"indicator":"on_time_rate","weight":-1,"direction":"higher_is_better","min_denominator":1}]}"#;
        assert!(ScorecardConfig::parse(negative).unwrap_err().contains("indicators[0].weight"));
        let zero = r#"{"indicators":[{"indicator":"on_time_rate","weight":0,"direction":"higher_is_better","min_denominator":1}]}"#;
        assert!(ScorecardConfig::parse(zero).is_err());
        let unknown =
            r#"{"indicators":[{"indicator":"arrests","weight":1,"direction":"higher_is_better","min_denominator":1}]}"#;
        assert!(ScorecardConfig::parse(unknown).unwrap_err().contains("arrests"));
    }

    #[test]
    fn values_scale_rates_per_10000_residents() {
        assert_eq!(Tally { numerator: 30, denominator: 60_000 }.value(Indicator::IncidentsPer10k), Some(5.0));
        assert_eq!(Tally { numerator: 3, denominator: 4 }.value(Indicator::OnTimeRate), Some(0.75));
        assert_eq!(Tally::default().value(Indicator::OnTimeRate), None);
        assert_eq!(per_10k(3, 7_000), 4.29);
        assert_eq!(per_10k(3, 0), 0.0);
    }

    #[test]
    fn scores_follow_direction_weights_and_minimums() {
        use Direction::*;
        use Indicator::*;
        let c = config(&[(IncidentsPer10k, 1.0, LowerIsBetter, 1000), (OnTimeRate, 3.0, HigherIsBetter, 10)]);
        let rows = vec![
            vec![t(10, 10_000), t(9, 10)],  // 10 per 10k (best), 90 % (middle)
            vec![t(30, 10_000), t(10, 10)], // 30 per 10k (worst), 100 % (best)
            vec![t(20, 10_000), t(8, 10)],  // 20 per 10k, 80 % (worst)
            vec![t(0, 500), t(5, 5)],       // both too few
            vec![t(20, 10_000), None],      // rate only
        ];
        let p = score(&c, &rows);
        assert_eq!(p[0].indicators, vec![(Judgement::Scored, Some(100.0)), (Judgement::Scored, Some(50.0))]);
        assert_eq!(p[1].indicators, vec![(Judgement::Scored, Some(0.0)), (Judgement::Scored, Some(100.0))]);
        assert_eq!(p[3].indicators, vec![(Judgement::TooFew, None), (Judgement::TooFew, None)]);
        assert_eq!(p[4].indicators[1], (Judgement::Unavailable, None));
        // Weighted means: (1×100 + 3×50)/4, (1×0 + 3×100)/4, (1×50 + 3×0)/4, none, 50 on the rate alone.
        let scores: Vec<Option<f64>> = p.iter().map(|p| p.score).collect();
        assert_eq!(scores, vec![Some(62.5), Some(75.0), Some(12.5), None, Some(50.0)]);
        let ranks: Vec<Option<u32>> = p.iter().map(|p| p.rank).collect();
        assert_eq!(ranks, vec![Some(2), Some(1), Some(4), None, Some(3)]);
    }

    #[test]
    fn equal_values_share_a_rank_and_score_on_their_own_scale() {
        let c = config(&[(Indicator::SatisfactionRate, 1.0, Direction::HigherIsBetter, 1)]);
        let p = score(&c, &[vec![t(9, 10)], vec![t(18, 20)], vec![t(5, 10)]]);
        let got: Vec<(Option<f64>, Option<u32>)> = p.iter().map(|p| (p.score, p.rank)).collect();
        assert_eq!(got, vec![(Some(100.0), Some(1)), (Some(100.0), Some(1)), (Some(0.0), Some(3))]);
        // All alike: a share scores its own value, not full marks for 0 % everywhere.
        let alone = score(&c, &[vec![t(1, 10)]]);
        assert_eq!((alone[0].score, alone[0].rank), (Some(10.0), Some(1)));
        let none_done = score(&c, &[vec![t(0, 10)], vec![t(0, 20)]]);
        assert_eq!((none_done[0].score, none_done[1].score), (Some(0.0), Some(0.0)));
        let lower = config(&[(Indicator::IncidentsPer10k, 1.0, Direction::LowerIsBetter, 1)]);
        assert_eq!(score(&lower, &[vec![t(3, 10_000)], vec![t(6, 20_000)]])[1].score, Some(100.0));
    }

    #[test]
    fn a_zero_weight_indicator_is_shown_but_does_not_count() {
        let c = config(&[
            (Indicator::OnTimeRate, 1.0, Direction::HigherIsBetter, 1),
            (Indicator::VisitCompletion, 0.0, Direction::HigherIsBetter, 1),
        ]);
        let p = score(&c, &[vec![t(1, 2), t(2, 2)], vec![t(2, 2), t(0, 2)]]);
        assert_eq!(p[0].indicators[1], (Judgement::Scored, Some(100.0)));
        assert_eq!((p[0].score, p[1].score), (Some(0.0), Some(100.0)));
    }

    #[test]
    fn months_are_local_and_step_back() {
        let m = Month::parse("2026-01").unwrap();
        assert_eq!(m.to_string(), "2026-01");
        assert_eq!(m.previous(), Month { year: 2025, month: 12 });
        assert_eq!(m.year_ago(), Month { year: 2025, month: 1 });
        let (from, to) = m.bounds();
        assert_eq!(from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-01-31T16:00:00+00:00");
        assert_eq!(Month::of(from), m);
        assert_eq!(Month::of(from - Duration::seconds(1)), m.previous());
        assert_eq!(Month::parse("2026-12").unwrap().bounds().1, Month::parse("2027-01").unwrap().start());
        for bad in ["2026-13", "2026-00", "26-01", "2026-1", "2026/01", "", "1999-12"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stages_backlog_and_visits_count_as_stated() {
        let t0 = Month::parse("2026-11").unwrap().start();
        assert!(stage_on_time(t0, t0 + Duration::minutes(15), 15));
        assert!(!stage_on_time(t0, t0 + Duration::minutes(15) + Duration::seconds(1), 15));
        // Backlog at t0: open then and older than the limit.
        let old = t0 - Duration::days(40);
        assert!(backlog_at(old, None, t0, 30));
        assert!(backlog_at(old, Some(t0 + Duration::days(3)), t0, 30));
        assert!(!backlog_at(old, Some(t0 - Duration::days(1)), t0, 30), "closed before");
        assert!(!backlog_at(t0 - Duration::days(20), None, t0, 30), "too young");
        assert!(!backlog_at(t0 + Duration::days(1), None, t0, 0), "not yet opened");
        // Visits: whole periods of the officer's time in the month.
        let end = t0 + Duration::days(30);
        assert_eq!(visits_due(t0 - Duration::days(100), t0, end, 7), 4);
        assert_eq!(visits_due(t0 + Duration::days(16), t0, end, 7), 2);
        assert_eq!(visits_due(t0 + Duration::days(24), t0, end, 7), 0);
        assert_eq!(visits_due(end, t0, end, 7), 0);
        assert_eq!(visits_due(t0, t0, end, 0), 0);
        // Disputes: resolved when closed from an agreement.
        use crate::desk::DisputeStatus as D;
        assert!(dispute_resolved([D::Mediating, D::Agreed, D::Closed]));
        assert!(!dispute_resolved([D::Mediating, D::Failed, D::Closed]));
        assert!(!dispute_resolved([D::Mediating, D::Agreed]), "not closed");
        assert!(!dispute_resolved([D::Closed]));
    }
}
