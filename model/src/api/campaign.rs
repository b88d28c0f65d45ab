//! Special campaigns' answers (`/api/campaigns`, `/api/campaigns/{id}/evaluation`).

use crate::campaign::CampaignArea;
use crate::code::RegionCode;
use crate::incident::Category;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The body of `POST /api/campaigns`: `region` or `geometry` (a GeoJSON Polygon, WGS84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    /// Name, 1–60 characters.
    pub name: String,
    /// A region code (county, township or village).
    #[serde(default)]
    pub region: Option<String>,
    /// A GeoJSON Polygon.
    #[serde(default)]
    pub geometry: Option<serde_json::Value>,
    /// Kinds targeted (codes; empty or absent: every kind).
    #[serde(default)]
    pub categories: Vec<String>,
    /// First day, `YYYY-MM-DD` (local).
    pub start: String,
    /// Last day, inclusive, `YYYY-MM-DD`.
    pub end: String,
    /// Days before the start to compare with (default: as long as the campaign).
    #[serde(default)]
    pub baseline_days: Option<i64>,
    /// A control region instead of the rest of the county.
    #[serde(default)]
    pub control: Option<String>,
}

/// Where a campaign stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStage {
    /// Not begun.
    Planned,
    /// Under way.
    Running,
    /// Over.
    Finished,
}

/// A campaign as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Where.
    pub area: CampaignArea,
    /// The region's name, or 自定范围 for a drawn area.
    pub area_name: String,
    /// The county it lies in.
    pub county: RegionCode,
    /// Kinds targeted (empty: all).
    pub categories: Vec<Category>,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Baseline length, days.
    pub baseline_days: i64,
    /// The chosen control region, if any.
    pub control: Option<RegionCode>,
    /// Planned, running or finished.
    pub stage: CampaignStage,
    /// Who declared it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A rate ratio with its exact test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRatioView {
    /// Incidents in the baseline.
    pub before: u64,
    /// Baseline length, days.
    pub before_days: f64,
    /// Incidents during the campaign (so far).
    pub after: u64,
    /// Days counted during the campaign.
    pub after_days: f64,
    /// Rate during ÷ rate before (`None`: nothing before).
    pub ratio: Option<f64>,
    /// 95 % interval, lower end.
    pub ci_low: f64,
    /// Upper end (`None`: unbounded).
    pub ci_high: Option<f64>,
    /// Two-sided p-value of equal rates (exact conditional Poisson test).
    pub p_value: f64,
    /// Too few incidents to conclude.
    pub too_few: bool,
}

/// The ratio of the target's rate ratio to the control's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatioOfRatiosView {
    /// Target ratio ÷ control ratio.
    pub ratio: f64,
    /// 95 % interval (log-scale Wald).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// One ring around the area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingView {
    /// Inner radius, metres.
    pub inner_m: f64,
    /// Outer radius, metres.
    pub outer_m: f64,
    /// Its counts and rate ratio.
    pub rate_ratio: RateRatioView,
    /// Weighted displacement quotient (`None`: no effect to displace, or no control).
    pub wdq: Option<f64>,
    /// Reading code: `no_effect`, `diffusion_beyond`, `diffusion`, `neither`,
    /// `displacement_less`, `displacement_more`, `no_control`.
    pub reading: String,
    /// The reading in Chinese.
    pub reading_zh: String,
    /// The reading in English.
    pub reading_en: String,
    /// Incidents prevented in the area and this ring together against the control's trend.
    pub net_effect: Option<f64>,
}

/// The evaluation of one campaign for the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The campaign.
    pub campaign: CampaignView,
    /// Baseline `[from, to)`.
    pub before_from: DateTime<Utc>,
    /// End of the baseline.
    pub before_to: DateTime<Utc>,
    /// The campaign's period counted `[from, to)` (to: its end, or now while it runs).
    pub after_from: DateTime<Utc>,
    /// End of the counted campaign period.
    pub after_to: DateTime<Utc>,
    /// The area's counts.
    pub target: RateRatioView,
    /// The control area's name.
    pub control_name: String,
    /// The control area's counts (`None`: no control area in the caller's jurisdiction).
    pub control: Option<RateRatioView>,
    /// Target ÷ control (difference in differences, log scale).
    pub relative: Option<RatioOfRatiosView>,
    /// The rings.
    pub rings: Vec<RingView>,
    /// The conclusion in one sentence.
    pub summary_zh: String,
    /// The conclusion, English.
    pub summary_en: String,
    /// Cautions (too few incidents, still running, no control …).
    pub warnings_zh: Vec<String>,
    /// Cautions, English.
    pub warnings_en: Vec<String>,
    /// The method in words.
    pub method_zh: String,
    /// The method, English.
    pub method_en: String,
}
