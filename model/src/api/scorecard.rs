//! The assessment scorecard's answer (`GET /api/scorecard`).

use crate::code::RegionLevel;
use crate::scorecard::{Direction, Indicator, Judgement};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The scorecard of one level of the caller's jurisdiction for one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The month, `YYYY-MM` (local time).
    pub period: String,
    /// Its first instant.
    pub from: DateTime<Utc>,
    /// The instant after it.
    pub to: DateTime<Utc>,
    /// Whether the month is still under way (its figures are month-to-date).
    pub partial: bool,
    /// The month compared with for 环比.
    pub previous_period: String,
    /// The month compared with for 同比.
    pub year_ago_period: String,
    /// The regions' level.
    pub level: RegionLevel,
    /// The indicators as configured, in display order.
    pub indicators: Vec<IndicatorInfo>,
    /// One row per region, best rank first (unranked last, by code).
    pub rows: Vec<ScorecardRow>,
    /// The method in words.
    pub method_zh: String,
    /// The method in words, English.
    pub method_en: String,
}

/// One indicator's rule, for the legend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorInfo {
    /// The indicator.
    pub indicator: Indicator,
    /// Chinese name.
    pub label_zh: String,
    /// English name.
    pub label_en: String,
    /// Its weight.
    pub weight: f64,
    /// Which end is good.
    pub direction: Direction,
    /// The smallest denominator it is judged on.
    pub min_denominator: u64,
    /// Whether the value is a share (0–1, shown as a percentage) rather than a rate per 10,000.
    pub is_share: bool,
}

/// One region's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardRow {
    /// Region code.
    pub code: String,
    /// Region name.
    pub name: String,
    /// Rank, 1 = best (`None`: nothing could be scored).
    pub rank: Option<u32>,
    /// Weighted score 0–100.
    pub score: Option<f64>,
    /// One cell per indicator, in the order of `Scorecard::indicators`.
    pub cells: Vec<IndicatorCell>,
    /// Leaders' receptions and visits of petitioners (接访下访) held in the region in the month:
    /// counted, not scored.
    #[serde(default)]
    pub receptions: u32,
}

/// One indicator of one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorCell {
    /// The indicator.
    pub indicator: Indicator,
    /// Scored, too few to judge, or unavailable.
    pub judgement: Judgement,
    /// Numerator (incidents, stages on time, …).
    pub numerator: u64,
    /// Denominator (residents, stages, …).
    pub denominator: u64,
    /// Numerator ÷ denominator (× 10,000 for the rate per population); `None` with a zero denominator.
    pub value: Option<f64>,
    /// Its score 0–100 among the level's regions, when scored.
    pub score: Option<f64>,
    /// The value of the month before (`None` also when that month began before the records).
    pub previous: Option<f64>,
    /// `value − previous` (环比), in the indicator's units.
    pub change_prev: Option<f64>,
    /// The value of the same month a year earlier.
    pub year_ago: Option<f64>,
    /// `value − year_ago` (同比).
    pub change_yoy: Option<f64>,
}
