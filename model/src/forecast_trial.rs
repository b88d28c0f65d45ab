//! Forecast trials (预测方法回测): a county's forecast methods backtested on its own incidents,
//! shift by shift, and the method chosen for its forecast layer and patrol planner.
//!
//! A trial is a live-log event ([`crate::live::LiveKind::ForecastTrial`], subject: the county
//! code), folded by [`crate::desk_book::DeskBook`]; the newest trial of a county decides its
//! method. The scoring itself is `analytics::forecast`; this is what is kept of it.

use crate::code::RegionCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who runs the nightly trials (the `actor` of their events).
pub const NIGHTLY_BY: &str = "safegrid";

/// Trials of a county the desk book keeps in memory (the log keeps them all).
pub const TRIALS_KEPT: usize = 20;

/// One method's score over a trial's shifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialScore {
    /// The method's name (`self-exciting`, `last-90-days`, `kde-x2` …).
    pub method: String,
    /// Of the shifts' incidents, the share in the method's flagged cells.
    pub hit_rate: f64,
    /// Hit rate over the share of the area flagged.
    pub pai: f64,
    /// Hits over the most any as many cells could have caught (0–1).
    pub pei: f64,
    /// Incidents in the flagged cells, all shifts.
    pub hits: usize,
}

/// The model against the best simple map over a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialComparison {
    /// The best simple map's name.
    pub best_baseline: String,
    /// The model's PAI.
    pub model_pai: f64,
    /// The best simple map's PAI.
    pub baseline_pai: f64,
    /// Model minus baseline.
    pub difference: f64,
    /// 95% interval of the difference (paired bootstrap over the shifts).
    pub ci95: (f64, f64),
    /// `better`, `no_better` or `worse`.
    pub verdict: String,
}

/// A county's trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastTrial {
    /// The county.
    pub county: RegionCode,
    /// When it ran.
    pub ran_at: DateTime<Utc>,
    /// Who asked: [`NIGHTLY_BY`] or an analyst's username.
    pub by: String,
    /// Start of the first shift scored.
    pub first_shift: DateTime<Utc>,
    /// Start of the last shift scored.
    pub last_shift: DateTime<Utc>,
    /// Shifts scored.
    pub shifts: usize,
    /// Hours per shift.
    pub shift_hours: u32,
    /// Days of incidents before each shift that each method was fitted on.
    pub train_days: u32,
    /// Share of the county's cells flagged.
    pub area_share: f64,
    /// Cells of the county with an incident before the first shift (the scored area).
    pub area_cells: usize,
    /// Incidents in the shifts scored.
    pub incidents: usize,
    /// Every method's score, the model first.
    pub scores: Vec<TrialScore>,
    /// The model against the best simple map (`None` when there was nothing to score).
    pub comparison: Option<TrialComparison>,
    /// The method chosen: the model only when it is better than the best simple map (its 95%
    /// interval above zero), otherwise that simple map.
    pub chosen: String,
}

impl ForecastTrial {
    /// The weeks the shifts span (rounded, at least 1).
    pub fn weeks(&self) -> i64 {
        let hours = (self.last_shift - self.first_shift).num_hours() + i64::from(self.shift_hours);
        ((hours as f64 / 168.0).round() as i64).max(1)
    }

    /// Whether the trial is one a reader can trust: every field in range.
    pub fn is_sound(&self) -> bool {
        self.county.level() == crate::RegionLevel::County
            && self.first_shift <= self.last_shift
            && self.shift_hours > 0
            && self.area_share > 0.0
            && self.area_share < 1.0
            && self.scores.iter().all(|s| s.pai.is_finite() && (0.0..=1.0).contains(&s.hit_rate))
            && self.scores.iter().any(|s| s.method == self.chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial() -> ForecastTrial {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let score = |method: &str, pai| TrialScore { method: method.into(), hit_rate: 0.2, pai, pei: 0.5, hits: 10 };
        ForecastTrial {
            county: "620602000000".parse().unwrap(),
            ran_at: t("2026-11-01T19:00:00Z"),
            by: NIGHTLY_BY.into(),
            first_shift: t("2026-09-06T16:00:00Z"),
            last_shift: t("2026-10-31T08:00:00Z"),
            shifts: 56,
            shift_hours: 8,
            train_days: 365,
            area_share: 0.05,
            area_cells: 400,
            incidents: 50,
            scores: vec![score("self-exciting", 4.0), score("last-90-days", 4.2)],
            comparison: None,
            chosen: "last-90-days".into(),
        }
    }

    #[test]
    fn a_trial_spans_its_weeks_and_must_choose_a_method_it_scored() {
        let t = trial();
        assert!(t.is_sound());
        assert_eq!(t.weeks(), 8);
        assert!(!ForecastTrial { chosen: "kde".into(), ..t.clone() }.is_sound());
        assert!(!ForecastTrial { county: "620602001000".parse().unwrap(), ..t.clone() }.is_sound());
        assert!(!ForecastTrial { area_share: 1.0, ..t.clone() }.is_sound());
        let back: ForecastTrial = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
