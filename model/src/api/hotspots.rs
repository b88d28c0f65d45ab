//! The answers of the hot-spot engine (`/api/hotspots…`): GeoJSON FeatureCollections whose
//! features are grid cells (or, for near-repeat, alert points) and whose `parameters` state the
//! method in words, in Chinese and English.

use super::geo::{Analysed, FeatureCollection};
use crate::code::{CellCode, RegionCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The method in words, for the analysis panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// In Chinese.
    pub description_zh: String,
    /// In English.
    pub description_en: String,
}

/// A grid cell of the study area: its code and name beside the analysis' values `V`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult<V> {
    /// The cell's code (15 digits).
    pub code: CellCode,
    /// The cell's name.
    pub name: String,
    /// What the analysis found there.
    #[serde(flatten)]
    pub values: V,
}

/// Getis-Ord Gi* of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GiStarCell {
    /// Incidents in the window.
    pub count: f64,
    /// Gi* z-score.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Benjamini–Hochberg adjusted p-value.
    pub p_fdr: f64,
    /// Confidence bin, −3 (cold, 99%) to +3 (hot, 99%).
    pub bin: i8,
}

/// Local Moran's I (LISA) of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LisaCell {
    /// Incidents in the window.
    pub count: f64,
    /// The local statistic.
    pub local_i: f64,
    /// z-score from the permutations.
    pub z: f64,
    /// Pseudo p-value from the permutations.
    pub p: f64,
    /// Benjamini–Hochberg adjusted pseudo p-value.
    pub p_fdr: f64,
    /// +1…+3 high-high, −1…−3 low-low, 0 otherwise.
    pub bin: i8,
    /// `HH`, `LL`, `HL`, `LH` when significant, else empty.
    pub cluster: String,
}

/// The parameters of `GET /api/hotspots` (Gi*, optimized Gi* or local Moran's I).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotspotParameters {
    /// `gi-star`, `optimized` or `local-moran`.
    pub method: String,
    /// Cells in the study area.
    pub cells: usize,
    /// The neighbourhood distance between cell centres.
    pub neighbourhood_m: f64,
    /// Whether the p-values were corrected for false discoveries.
    pub fdr: bool,
    /// Start of the window.
    pub from: DateTime<Utc>,
    /// End of the window.
    pub to: DateTime<Utc>,
    /// In words.
    #[serde(flatten)]
    pub description: Description,
}

/// Cells of a Gi* answer (`gi-star`, `optimized`).
pub type GiStarAnswer = FeatureCollection<CellResult<GiStarCell>, Analysed<HotspotParameters>>;
/// Cells of a local Moran's I answer (`local-moran`).
pub type LisaAnswer = FeatureCollection<CellResult<LisaCell>, Analysed<HotspotParameters>>;

/// One cell's emerging hot-spot pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergingCell {
    /// Esri's pattern name in snake case (`new`, `intensifying`, …).
    pub pattern: String,
    /// The pattern in Chinese.
    pub label_zh: String,
    /// The pattern in English.
    pub label_en: String,
    /// Incidents per step, oldest first.
    pub counts: Vec<f64>,
}

/// The parameters of `GET /api/hotspots/emerging`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergingParameters {
    /// Always `emerging`.
    pub method: String,
    /// Cells in the study area.
    pub cells: usize,
    /// Days per step.
    pub step_days: i64,
    /// Steps.
    pub steps: i64,
    /// The neighbourhood distance between cell centres.
    pub neighbourhood_m: f64,
    /// Whether the p-values were corrected for false discoveries.
    pub fdr: bool,
    /// Start of the first step.
    pub from: DateTime<Utc>,
    /// End of the last step.
    pub to: DateTime<Utc>,
    /// In words.
    #[serde(flatten)]
    pub description: Description,
}

/// The answer of `GET /api/hotspots/emerging`.
pub type EmergingAnswer = FeatureCollection<CellResult<EmergingCell>, Analysed<EmergingParameters>>;

/// Kernel density at one cell's centre.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DensityCell {
    /// Incidents per km².
    pub density_per_km2: f64,
}

/// The parameters of `GET /api/hotspots/kde`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KdeParameters {
    /// Always `kde`.
    pub method: String,
    /// Cells in the study area.
    pub cells: usize,
    /// Incidents in the window.
    pub incidents: usize,
    /// Always `quartic`.
    pub kernel: String,
    /// The bandwidth.
    pub bandwidth_m: f64,
    /// `given` or `arcgis-default`.
    pub bandwidth_rule: String,
    /// Start of the window.
    pub from: DateTime<Utc>,
    /// End of the window.
    pub to: DateTime<Utc>,
    /// In words.
    #[serde(flatten)]
    pub description: Description,
}

/// The answer of `GET /api/hotspots/kde`.
pub type KdeAnswer = FeatureCollection<CellResult<DensityCell>, Analysed<KdeParameters>>;

impl KdeAnswer {
    /// The highest density of any cell (0 when there is none), for the colour ramp.
    pub fn max_density_per_km2(&self) -> f64 {
        self.features.iter().map(|f| f.properties.values.density_per_km2).fold(0.0, f64::max)
    }
}

/// One cell of the shift forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskCell {
    /// Expected incidents over the shift.
    pub risk: f64,
    /// 1 is the riskiest.
    pub rank: usize,
    /// Among the riskiest `area_share` of the cells.
    pub flagged: bool,
    /// The share of the risk from the cell's long-term background, 0–1; the rest comes from
    /// recent incidents nearby (`None` for a cell of no risk).
    pub background_share: Option<f64>,
}

/// The parameters the forecast was fitted to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FittedForecast {
    /// Weight of the cell's own history against its neighbourhood's.
    pub own_cell_share: f64,
    /// Background smoothing distance.
    pub background_m: f64,
    /// Trigger distance.
    pub trigger_m: f64,
    /// Decay of the trigger.
    pub decay_per_day: f64,
    /// Weight of the trigger.
    pub boost: f64,
    /// Whether the background follows each cell's own time of day (shifts shorter than a day).
    #[serde(default)]
    pub by_hour: bool,
    /// The background's recency weighting in days (an incident `a` days old counts `e^{−a/τ}`);
    /// `None`: every day of the training window alike.
    #[serde(default)]
    pub recency_days: Option<f64>,
}

/// What a county's newest forecast trial found, in brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialBrief {
    /// When it ran.
    pub ran_at: DateTime<Utc>,
    /// Weeks of shifts scored.
    pub weeks: i64,
    /// Shifts scored.
    pub shifts: usize,
    /// The model's PAI.
    pub model_pai: f64,
    /// The best simple map.
    pub best_baseline: String,
    /// Its PAI.
    pub baseline_pai: f64,
    /// The 95% interval of the model's PAI minus the map's.
    pub ci95: (f64, f64),
    /// `better`, `no_better` or `worse`.
    pub verdict: String,
}

/// The method one county's cells were forecast with, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyMethod {
    /// The county.
    pub county_code: RegionCode,
    /// Its name.
    pub county_name: String,
    /// The method's name (`self-exciting`, `last-90-days` …).
    pub method: String,
    /// The method in Chinese words (近 90 天计数).
    pub label_zh: String,
    /// The method in English words.
    pub label_en: String,
    /// `trial` (its newest forecast trial chose it), `no_trial` (the model, until a trial has
    /// run) or `request` (asked for by name).
    pub chosen_by: String,
    /// The newest trial, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<TrialBrief>,
    /// The model's fitted parameters, where the method is the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitted: Option<FittedForecast>,
    /// One line: what the trial found and the method used (本区近 8 周：模型 PAI …).
    pub summary_zh: String,
    /// The same in English.
    pub summary_en: String,
}

/// The parameters of `GET /api/hotspots/forecast`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastParameters {
    /// `auto` (each county by its forecast trial) or the method asked for.
    pub method: String,
    /// Start of the shift.
    pub at: DateTime<Utc>,
    /// Length of the shift.
    pub hours: f64,
    /// Days of history fitted on.
    pub train_days: i64,
    /// Incidents fitted on.
    pub incidents: usize,
    /// Cells in the study area.
    pub cells: usize,
    /// Share of the cells flagged.
    pub area_share: f64,
    /// Cells flagged.
    pub flagged: usize,
    /// Members of the model's ensemble.
    pub ensemble: usize,
    /// Per county of the area, the method used and why.
    pub counties: Vec<CountyMethod>,
    /// In words.
    #[serde(flatten)]
    pub description: Description,
}

/// The answer of `GET /api/hotspots/forecast`.
pub type ForecastAnswer = FeatureCollection<CellResult<RiskCell>, Analysed<ForecastParameters>>;

/// The Knox test of one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnoxTable {
    /// The category (snake case).
    pub category: String,
    /// Incidents of the category in the window.
    pub incidents: usize,
    /// Whether there were enough to test.
    pub tested: bool,
    /// Observed over expected pairs in the closest band (tested only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// Its Monte Carlo p-value (tested only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Whether the closest band shows a significant near-repeat effect (tested only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near_repeat: Option<bool>,
    /// Every band: distance rows × time columns (tested only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<Vec<KnoxBand>>,
}

/// One distance × time band of a Knox table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KnoxBand {
    /// Pairs observed.
    pub observed: u64,
    /// Pairs expected under no interaction.
    pub expected: f64,
    /// Observed over expected.
    pub ratio: f64,
    /// Monte Carlo p-value.
    pub p: f64,
}

/// A near-repeat alert: an incident whose raised-risk window is still open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearRepeatAlert {
    /// The incident.
    pub id: u64,
    /// Its category (snake case).
    pub category: String,
    /// Its cell.
    pub cell_code: CellCode,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the raised risk ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// Radius of the raised risk.
    pub radius_m: f64,
    /// The category's Knox ratio.
    pub ratio: f64,
    /// Cells the alert circle touches, in the caller's jurisdiction.
    pub cells: Vec<String>,
}

/// The parameters of `GET /api/hotspots/near-repeat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearRepeatParameters {
    /// Always `near-repeat`.
    pub method: String,
    /// Start of the window.
    pub from: DateTime<Utc>,
    /// End of the window.
    pub to: DateTime<Utc>,
    /// Upper bounds of the distance bands.
    pub distance_bands_m: Vec<f64>,
    /// Upper bounds of the time bands.
    pub time_bands_days: Vec<i64>,
    /// Monte Carlo simulations per test.
    pub simulations: usize,
    /// One table per category.
    pub knox: Vec<KnoxTable>,
    /// Alerts answered.
    pub alerts: usize,
    /// In words.
    #[serde(flatten)]
    pub description: Description,
}

/// The answer of `GET /api/hotspots/near-repeat`.
pub type NearRepeatAnswer = FeatureCollection<NearRepeatAlert, Analysed<NearRepeatParameters>>;

/// One method's score in a forecast trial, named in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialScoreView {
    /// The method's name.
    pub method: String,
    /// In Chinese words.
    pub label_zh: String,
    /// In English words.
    pub label_en: String,
    /// Share of the shifts' incidents in the flagged cells.
    pub hit_rate: f64,
    /// Hit rate over the share of the area flagged.
    pub pai: f64,
    /// Hits over the best possible (0–1).
    pub pei: f64,
    /// Incidents in the flagged cells.
    pub hits: usize,
}

/// One forecast trial of a county (`GET /api/forecast/trials`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialView {
    /// Its version (the live-log seq).
    pub version: u64,
    /// When it ran.
    pub ran_at: DateTime<Utc>,
    /// `safegrid` (nightly) or the analyst who asked.
    pub by: String,
    /// Start of the first and of the last shift scored.
    pub first_shift: DateTime<Utc>,
    /// Start of the last shift scored.
    pub last_shift: DateTime<Utc>,
    /// Shifts scored.
    pub shifts: usize,
    /// Hours per shift.
    pub shift_hours: u32,
    /// Days each method was fitted on.
    pub train_days: u32,
    /// Share of the county's cells flagged.
    pub area_share: f64,
    /// Cells scored.
    pub area_cells: usize,
    /// Incidents in the shifts.
    pub incidents: usize,
    /// Every method, the model first.
    pub scores: Vec<TrialScoreView>,
    /// The method chosen.
    pub chosen: String,
    /// The trial in one line.
    pub summary_zh: String,
    /// The same in English.
    pub summary_en: String,
}

/// The answer of `GET /api/forecast/trials?county=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialsAnswer {
    /// The county.
    pub county_code: RegionCode,
    /// Its name.
    pub county_name: String,
    /// Whether a trial of it is running (in the instance that answered).
    pub running: bool,
    /// When the nightly trials next fall due.
    pub next_nightly_at: DateTime<Utc>,
    /// Its trials, newest first (the newest decides its forecast method).
    pub trials: Vec<TrialView>,
}

/// The answer of `POST /api/forecast/trials` (202: the trial runs in the background).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialStarted {
    /// The county.
    pub county_code: RegionCode,
    /// `false` when a trial of it was already running (no second one was started).
    pub started: bool,
}
