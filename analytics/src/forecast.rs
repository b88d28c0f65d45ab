//! Shift forecasts per cell, and the rolling-origin backtest that measures them.
//!
//! The forecaster is a self-exciting point process in the spirit of Mohler et al. (2011, 2015),
//! the model behind the field-tested predictive-policing trials: the expected number of
//! incidents in a cell over the next `H` days is a long-term background rate plus a short-lived
//! boost around each recent incident that decays exponentially in time (near-repeat and
//! retaliation effects):
//!
//! ```text
//! risk(c) = H/D · [λ·n_c + (1 − λ)·s²·Σ_i K_h(|c − x_i|)]  +  β · Σ_i k_r(c, x_i) · (e^{−ω a_i} − e^{−ω (a_i + H)})
//! ```
//!
//! with `D` days of training data, `n_c` the cell's own count, `K_h` a quartic kernel of radius
//! `h` (unit integral; `s` is the cell spacing, so `s²·K` is a share of a cell), `a_i` the age of
//! incident `i` in days at the origin, decay `ω` per day, `β` follow-on incidents per incident,
//! and `k_r` either "same cell" (r = 0) or a quartic kernel of radius `r`. The family contains
//! the plain window counts (λ = 1, β = 0) and a kernel density (λ = 0, β = 0), so fitting can
//! only move away from them when the data say so. For a horizon shorter than a day (a shift) the
//! background may also follow each cell's own time of day ([`SelfExciting::by_hour`]): it is
//! multiplied by `m_c = (n_c^H + κ·p) / ((n_c + κ)·p)`, where `n_c^H` counts the cell's incidents
//! at the horizon's hours of the day, `p` is the area's share of incidents at those hours and
//! `κ` = [`HOUR_SHRINK`] shrinks a sparse cell towards the area's pattern (m = 1). The background
//! may also weigh recent weeks more ([`SelfExciting::recency_days`]): each incident counts
//! `e^{−a_i/τ}` and `D` becomes the window's weighted days `τ·(1 − e^{−D/τ})`, so the rate stays
//! incidents per day while a place ranks by how busy it has been lately. The parameters are fitted at each origin on
//! that origin's training data only: each set is scored by its hits (at half, once and twice the
//! area share) on each of the last [`INNER_ORIGINS`] days before it (each scored with data before
//! it; ties go to the simpler set), and the forecast averages the [`ENSEMBLE`] best sets. Nothing after an origin is ever seen.
//!
//! The baselines ([`Forecaster::BASELINES`]) are what analysts use without a model: counts of the
//! last 7, 14, 28, 56, 90, 180 and 365 days and of the whole training window (a count window
//! longer than the training window counts all of it), and a kernel density of the training
//! window at half, once and twice ArcGIS's default bandwidth.
//!
//! Scores: of the incidents of the test window, the share that fall in the forecast's top cells
//! covering `area_share` of the study area (hit rate), the hit rate divided by the area share
//! (PAI, Chainey et al. 2008), and the hits over the most any choice of as many cells could have
//! caught (PEI, the predictive efficiency index, Hunt 2016). The study area is every cell with
//! at least one incident before the first origin.
//!
//! [`compare`] says whether the model earns its place: its PAI against the best baseline's, with
//! a 95% confidence interval of the difference from a paired bootstrap over the origins (the same
//! resampled origins for both), and a verdict in words: better, no better, or worse.

use crate::kde::{default_bandwidth_m, quartic};
use rand::{Rng, SeedableRng};
use rstar::RTree;
use rstar::primitives::GeomWithData;

const DAY_S: i64 = 86_400;

/// Days before an origin used to fit the self-exciting parameters.
pub const INNER_ORIGINS: i64 = 14;

/// How many of the best parameter sets the forecast averages. Choosing one set from 14 noisy days
/// is itself noisy; averaging the best 20 of 175 steadies it. (Measured on Philadelphia, the data
/// the README reports: 20 beat every baseline in all five settings tried, 10 and 30 in four.)
pub const ENSEMBLE: usize = 20;

/// One incident: its cell, position (projected metres) and time (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellEvent {
    /// Index of its cell in the study's cells.
    pub cell: u32,
    /// Easting, metres.
    pub x_m: f64,
    /// Northing, metres.
    pub y_m: f64,
    /// Time, seconds.
    pub t_s: i64,
}

/// The parameters of the self-exciting forecaster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfExciting {
    /// Weight of the cell's own count in the background (λ, 0–1); the rest is smoothed.
    pub own_cell_share: f64,
    /// Radius of the background kernel, metres.
    pub background_m: f64,
    /// Radius of the triggering kernel, metres (0: the incident's own cell only).
    pub trigger_m: f64,
    /// Time decay of triggering, per day.
    pub decay_per_day: f64,
    /// Expected follow-on incidents per incident (β).
    pub boost: f64,
    /// For a horizon shorter than a day: the background follows each cell's own time of day
    /// (its share of incidents at the horizon's hours, shrunk towards the area's by
    /// [`HOUR_SHRINK`] incidents), so a street busy at night ranks higher for the night shift.
    pub by_hour: bool,
    /// How the background weighs the training window: `None`, every day alike; `Some(τ)`, an
    /// incident `a` days old counts `e^{−a/τ}` (the rate is then over the window's weighted
    /// days), so a place ranks by how busy it is lately, while older incidents still steady it.
    pub recency_days: Option<f64>,
}

/// Incidents' worth of the area's time-of-day pattern each cell's own is shrunk towards. 20, not
/// the first 5: on the shifts of April 2024 (Philadelphia, chosen before May and June were scored
/// again), recent counts times the time-of-day factor ranked as well or better with 20 than with
/// 5 in every setting tried (150 and 250 m, 1% and 5% of the area); a busy cell's hours are noisy
/// too.
pub const HOUR_SHRINK: f64 = 20.0;

/// The background's recency weighting the fit may choose ([`SelfExciting::recency_days`]):
/// about a month, between the last-28 and last-56 days counts.
pub const RECENCY_DAYS: f64 = 30.0;

/// The shortest training window, in days, for which the fit may choose the recency weighting.
/// Over a window of about τ the weights hardly differ (1 to 0.37), and the extra sets only made
/// the fit's choice noisier: on January 2024's daily origins with 30 training days, offering it
/// lowered the model's PAI in five of six settings.
pub const RECENCY_MIN_DAYS: f64 = 2.0 * RECENCY_DAYS;

/// A way to forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecaster {
    /// The self-exciting model, fitted at each origin.
    SelfExciting,
    /// Counts per cell over the last `days` days.
    RecentCounts {
        /// Days counted back from the origin.
        days: u32,
    },
    /// Counts per cell over the whole training window.
    WindowCounts,
    /// Quartic kernel density of the training window at `scale_pct` percent of ArcGIS's default
    /// bandwidth.
    Kde {
        /// The bandwidth, percent of the default.
        scale_pct: u32,
    },
}

impl Forecaster {
    /// The simple maps the model must beat.
    pub const BASELINES: [Forecaster; 11] = [
        Forecaster::RecentCounts { days: 7 },
        Forecaster::RecentCounts { days: 14 },
        Forecaster::RecentCounts { days: 28 },
        Forecaster::RecentCounts { days: 56 },
        Forecaster::RecentCounts { days: 90 },
        Forecaster::RecentCounts { days: 180 },
        Forecaster::RecentCounts { days: 365 },
        Forecaster::WindowCounts,
        Forecaster::Kde { scale_pct: 50 },
        Forecaster::Kde { scale_pct: 100 },
        Forecaster::Kde { scale_pct: 200 },
    ];

    /// The methods a backtest compares: the model first, then every baseline.
    pub const ALL: [Forecaster; 12] = [
        Forecaster::SelfExciting,
        Forecaster::BASELINES[0],
        Forecaster::BASELINES[1],
        Forecaster::BASELINES[2],
        Forecaster::BASELINES[3],
        Forecaster::BASELINES[4],
        Forecaster::BASELINES[5],
        Forecaster::BASELINES[6],
        Forecaster::BASELINES[7],
        Forecaster::BASELINES[8],
        Forecaster::BASELINES[9],
        Forecaster::BASELINES[10],
    ];

    /// A short name for tables (`self-exciting`, `last-90-days`, `whole-window`, `kde`,
    /// `kde-x0.5`, `kde-x2`).
    pub fn name(&self) -> String {
        match self {
            Forecaster::SelfExciting => "self-exciting".to_owned(),
            Forecaster::RecentCounts { days } => format!("last-{days}-days"),
            Forecaster::WindowCounts => "whole-window".to_owned(),
            Forecaster::Kde { scale_pct: 100 } => "kde".to_owned(),
            Forecaster::Kde { scale_pct } => format!("kde-x{}", f64::from(*scale_pct) / 100.0),
        }
    }

    /// The method of a [`Forecaster::name`].
    pub fn from_name(name: &str) -> Option<Forecaster> {
        Forecaster::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The method in Chinese words (近 90 天计数).
    pub fn label_zh(&self) -> String {
        match self {
            Forecaster::SelfExciting => "自激点过程模型".to_owned(),
            Forecaster::RecentCounts { days } => format!("近 {days} 天计数"),
            Forecaster::WindowCounts => "训练期全部计数".to_owned(),
            Forecaster::Kde { scale_pct } => format!("核密度（默认带宽 ×{}）", f64::from(*scale_pct) / 100.0),
        }
    }

    /// The method in English words (counts of the last 90 days).
    pub fn label_en(&self) -> String {
        match self {
            Forecaster::SelfExciting => "the self-exciting model".to_owned(),
            Forecaster::RecentCounts { days } => format!("counts of the last {days} days"),
            Forecaster::WindowCounts => "counts of the whole training window".to_owned(),
            Forecaster::Kde { scale_pct } => {
                format!("kernel density (default bandwidth ×{})", f64::from(*scale_pct) / 100.0)
            }
        }
    }
}

/// The study: cell centres (projected metres) and the typical spacing of cells.
#[derive(Debug, Clone)]
pub struct Study {
    centres: RTree<GeomWithData<[f64; 2], u32>>,
    cells: usize,
    spacing_m: f64,
}

impl Study {
    /// A study over cells with these centres.
    pub fn new(centres_m: &[[f64; 2]]) -> Study {
        let centres =
            RTree::bulk_load(centres_m.iter().enumerate().map(|(i, c)| GeomWithData::new(*c, i as u32)).collect());
        let nn: Vec<f64> = centres_m
            .iter()
            .filter_map(|c| {
                centres
                    .nearest_neighbor_iter(*c)
                    .nth(1)
                    .map(|e| ((e.geom()[0] - c[0]).powi(2) + (e.geom()[1] - c[1]).powi(2)).sqrt())
            })
            .collect();
        let spacing_m = if nn.is_empty() { 1.0 } else { nn.iter().sum::<f64>() / nn.len() as f64 };
        Study { centres, cells: centres_m.len(), spacing_m }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells == 0
    }

    /// Mean distance from a cell centre to the nearest other, metres.
    pub fn spacing_m(&self) -> f64 {
        self.spacing_m
    }

    /// Σ weight · s² · quartic(distance, radius) at every cell centre over (event, weight); with
    /// a radius of 0, Σ weight over each cell's own events.
    fn spread<'e>(&self, events: impl Iterator<Item = (&'e CellEvent, f64)>, radius_m: f64) -> Vec<f64> {
        let mut out = vec![0.0; self.cells];
        if radius_m <= 0.0 {
            for (e, weight) in events {
                out[e.cell as usize] += weight;
            }
            return out;
        }
        let area = self.spacing_m * self.spacing_m;
        for (e, weight) in events {
            let p = [e.x_m, e.y_m];
            for c in self.centres.locate_within_distance(p, radius_m * radius_m) {
                let d = ((c.geom()[0] - p[0]).powi(2) + (c.geom()[1] - p[1]).powi(2)).sqrt();
                out[c.data as usize] += weight * area * quartic(d, radius_m);
            }
        }
        out
    }

    /// The candidate parameter sets for a horizon and a training window, simplest first, scaled
    /// to the cell spacing. The recency weighting is offered only for a window of at least
    /// [`RECENCY_MIN_DAYS`].
    pub fn candidates(&self, horizon_s: i64, train_days: f64) -> Vec<SelfExciting> {
        let s = self.spacing_m;
        let mut backgrounds = vec![(1.0, 0.0)];
        for own in [0.5, 0.0] {
            for h in [1.0, 2.0, 3.0] {
                backgrounds.push((own, h * s));
            }
        }
        let mut triggers = vec![(0.0, 1.0, 0.0)];
        for r in [0.0, 1.5 * s] {
            for decay in [0.1, 0.5, 2.0] {
                for boost in [0.1, 0.3, 1.0, 3.0] {
                    triggers.push((r, decay, boost));
                }
            }
        }
        let mut out = Vec::new();
        let hours: &[bool] = if horizon_s < DAY_S { &[false, true] } else { &[false] };
        let recencies: &[Option<f64>] =
            if train_days >= RECENCY_MIN_DAYS { &[None, Some(RECENCY_DAYS)] } else { &[None] };
        for &recency_days in recencies {
            for &by_hour in hours {
                for &(trigger_m, decay_per_day, boost) in &triggers {
                    for &(own_cell_share, background_m) in &backgrounds {
                        out.push(SelfExciting {
                            own_cell_share,
                            background_m,
                            trigger_m,
                            decay_per_day,
                            boost,
                            by_hour,
                            recency_days,
                        });
                    }
                }
            }
        }
        out
    }

    /// The self-exciting risk over `[origin, origin + horizon)` from `train` (all before origin),
    /// which covers `train_days` days.
    pub fn self_exciting_risk(
        &self,
        p: &SelfExciting,
        train: &[CellEvent],
        train_days: f64,
        origin_s: i64,
        horizon_s: i64,
    ) -> Vec<f64> {
        let basis = Basis::new(self, train, train_days, origin_s, horizon_s, &[*p]);
        basis.risk(p)
    }

    /// Every candidate, best first by hits over the inner origins.
    pub fn fit_ranked(
        &self,
        train: &[CellEvent],
        train_start_s: i64,
        origin_s: i64,
        horizon_s: i64,
        active: &[bool],
        area_share: f64,
    ) -> Vec<SelfExciting> {
        let mut fit = self.fit_start(train_start_s, origin_s, horizon_s);
        self.fit_advance(&mut fit, train, active, area_share, usize::MAX);
        self.ranked(&fit.candidates, &fit.hits)
    }

    /// A fit at `origin_s` whose inner origins are still to be scored ([`Study::fit_advance`]).
    fn fit_start(&self, train_start_s: i64, origin_s: i64, horizon_s: i64) -> Fit {
        let candidates = self.candidates(horizon_s, (origin_s - train_start_s) as f64 / DAY_S as f64);
        let step = horizon_s.max(DAY_S);
        let inners: Vec<i64> =
            (1..=INNER_ORIGINS).map(|k| origin_s - k * step).filter(|&inner| inner > train_start_s + step).collect();
        let hits = vec![0.0; candidates.len()];
        Fit { candidates, inners, scored: 0, hits, train_start_s, horizon_s }
    }

    /// Scores the next `count` inner origins of `fit` (two at once where there are threads).
    fn fit_advance(&self, fit: &mut Fit, train: &[CellEvent], active: &[bool], area_share: f64, count: usize) {
        let (candidates, train_start_s, horizon_s) = (&fit.candidates, fit.train_start_s, fit.horizon_s);
        // The hits of every candidate at one inner origin.
        let hits_at = |inner: i64| -> Vec<f64> {
            let before: Vec<CellEvent> = train.iter().filter(|e| e.t_s < inner).copied().collect();
            let mut after = vec![0.0; self.cells];
            for e in train.iter().filter(|e| e.t_s >= inner && e.t_s < inner + horizon_s) {
                after[e.cell as usize] += 1.0;
            }
            let days = (inner - train_start_s) as f64 / DAY_S as f64;
            let basis = Basis::new(self, &before, days, inner, horizon_s, candidates);
            candidates
                .iter()
                .map(|p| {
                    // Hits at half, once and twice the area share: steadier than one share alone.
                    let risk = basis.risk(p);
                    [0.5, 1.0, 2.0]
                        .iter()
                        .map(|m| {
                            let top = top_cells(&risk, active, area_share * m);
                            top.iter().zip(&after).filter(|(t, _)| **t).map(|(_, n)| n).sum::<f64>()
                        })
                        .sum()
                })
                .collect()
        };
        let end = fit.inners.len().min(fit.scored.saturating_add(count));
        let per_origin = map_parallel(&fit.inners[fit.scored..end], hits_at);
        // Summed in origin order, so the result depends neither on the threads nor on the steps.
        for origin in &per_origin {
            for (h, x) in fit.hits.iter_mut().zip(origin) {
                *h += x;
            }
        }
        fit.scored = end;
    }

    /// The forecast averaged over the [`ENSEMBLE`] best of `ranked`: each set's surface is scaled
    /// to a common total (their mean), then averaged, so the result is still expected incidents.
    pub fn averaged_risk(
        &self,
        ranked: &[SelfExciting],
        train: &[CellEvent],
        train_days: f64,
        origin_s: i64,
        horizon_s: i64,
    ) -> Vec<f64> {
        self.averaged_parts(ranked, train, train_days, origin_s, horizon_s).risk
    }

    /// [`Study::averaged_risk`] with the part of each cell's risk that comes from the long-term
    /// background (the rest comes from recent incidents' triggering), weighted as the risk is.
    pub fn averaged_parts(
        &self,
        ranked: &[SelfExciting],
        train: &[CellEvent],
        train_days: f64,
        origin_s: i64,
        horizon_s: i64,
    ) -> RiskParts {
        let best = &ranked[..ranked.len().min(ENSEMBLE)];
        let basis = Basis::new(self, train, train_days, origin_s, horizon_s, best);
        let surfaces: Vec<(Vec<f64>, Vec<f64>)> = best.iter().map(|p| basis.parts(p)).collect();
        let totals: Vec<f64> = surfaces.iter().map(|(bg, tr)| bg.iter().chain(tr).sum::<f64>()).collect();
        let mean_total = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
        let mut risk = vec![0.0; self.cells];
        let mut background = vec![0.0; self.cells];
        for ((bg, tr), t) in surfaces.iter().zip(&totals) {
            let w = if *t > 0.0 { mean_total / t / surfaces.len() as f64 } else { 0.0 };
            for c in 0..self.cells {
                risk[c] += w * (bg[c] + tr[c]);
                background[c] += w * bg[c];
            }
        }
        RiskParts { risk, background }
    }

    /// Candidates by inner hits, best first (ties: simpler first).
    fn ranked(&self, candidates: &[SelfExciting], hits: &[f64]) -> Vec<SelfExciting> {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| hits[b].total_cmp(&hits[a]).then(a.cmp(&b)));
        order.into_iter().map(|i| candidates[i]).collect()
    }

    /// The risk per cell over `[origin, origin + horizon)` by `method`, from `train` (the events
    /// in `[train_start, origin)`).
    #[allow(clippy::too_many_arguments)]
    pub fn risk(
        &self,
        method: Forecaster,
        train: &[CellEvent],
        train_start_s: i64,
        origin_s: i64,
        horizon_s: i64,
        active: &[bool],
        area_share: f64,
    ) -> Vec<f64> {
        match method {
            // Fitted and averaged as the product forecasts ([`Study::forecast`]).
            Forecaster::SelfExciting => {
                self.forecast(method, train, train_start_s, origin_s, horizon_s, active, area_share).0.risk
            }
            Forecaster::RecentCounts { days } => {
                let since = origin_s - i64::from(days) * DAY_S;
                self.spread(train.iter().filter(|e| e.t_s >= since).map(|e| (e, 1.0)), 0.0)
            }
            Forecaster::WindowCounts => self.spread(train.iter().map(|e| (e, 1.0)), 0.0),
            Forecaster::Kde { scale_pct } => {
                let pts: Vec<[f64; 2]> = train.iter().map(|e| [e.x_m, e.y_m]).collect();
                match default_bandwidth_m(&pts) {
                    Some(h) => self.spread(train.iter().map(|e| (e, 1.0)), h * f64::from(scale_pct) / 100.0),
                    None => vec![0.0; self.cells],
                }
            }
        }
    }
}

impl Study {
    /// The forecast of `method` for `[origin, origin + horizon)` from `train` (the events of
    /// `[train_start, origin)`), as expected incidents per cell over the horizon, so that surfaces
    /// of different methods (one per county) rank on one scale: a simple map's counts are spread
    /// evenly over the days they count (a kernel density carries the incidents of its window). A
    /// simple map is all background; the model also returns
    /// its best-ranked parameters.
    #[allow(clippy::too_many_arguments)]
    pub fn forecast(
        &self,
        method: Forecaster,
        train: &[CellEvent],
        train_start_s: i64,
        origin_s: i64,
        horizon_s: i64,
        active: &[bool],
        area_share: f64,
    ) -> (RiskParts, Option<SelfExciting>) {
        let train_days = (origin_s - train_start_s) as f64 / DAY_S as f64;
        if method == Forecaster::SelfExciting {
            let ranked = self.fit_ranked(train, train_start_s, origin_s, horizon_s, active, area_share);
            let parts = self.averaged_parts(&ranked, train, train_days, origin_s, horizon_s);
            return (parts, ranked.first().copied());
        }
        let days = match method {
            Forecaster::RecentCounts { days } => f64::from(days).min(train_days),
            _ => train_days,
        };
        // A kernel sampled at cell centres does not sum to one incident when its radius is near
        // the spacing: every simple map is scaled to the incidents of its window instead.
        let since = origin_s - (days * DAY_S as f64) as i64;
        let counted = train.iter().filter(|e| e.t_s >= since && e.t_s < origin_s).count() as f64;
        let surface = self.risk(method, train, train_start_s, origin_s, horizon_s, active, area_share);
        let total: f64 = surface.iter().sum();
        let scale = if total > 0.0 { counted / total * horizon_s as f64 / DAY_S as f64 / days.max(1e-9) } else { 0.0 };
        let risk: Vec<f64> = surface.into_iter().map(|r| r * scale).collect();
        (RiskParts { background: risk.clone(), risk }, None)
    }
}

/// A forecast's risk per cell and the part of it from the long-term background.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskParts {
    /// Expected incidents per cell.
    pub risk: Vec<f64>,
    /// Of those, from the background rate (never more than `risk`).
    pub background: Vec<f64>,
}

impl RiskParts {
    /// The share of a cell's risk from the background (`None` for a cell of no risk).
    pub fn background_share(&self, cell: usize) -> Option<f64> {
        let r = self.risk[cell];
        (r > 0.0).then(|| (self.background[cell] / r).clamp(0.0, 1.0))
    }

    /// The share of the whole area's risk from the background (`None` when there is none).
    pub fn total_background_share(&self) -> Option<f64> {
        let r: f64 = self.risk.iter().sum();
        (r > 0.0).then(|| (self.background.iter().sum::<f64>() / r).clamp(0.0, 1.0))
    }
}

/// The background and triggering surfaces the candidates combine, computed once per origin.
struct Basis {
    /// Per cell, the time-of-day factor of [`SelfExciting::by_hour`] (1 for a day or longer).
    hourly: Vec<f64>,
    /// Per recency weighting: its scale (the horizon over the window's weighted days), the
    /// cells' own weighted counts and the smoothed ones per radius.
    backgrounds: Vec<Background>,
    trigger: Vec<((u64, u64), Vec<f64>)>,
}

struct Background {
    recency_days: Option<f64>,
    scale: f64,
    own: Vec<f64>,
    smooth: Vec<(f64, Vec<f64>)>,
}

impl Basis {
    fn new(
        study: &Study,
        train: &[CellEvent],
        train_days: f64,
        origin_s: i64,
        horizon_s: i64,
        candidates: &[SelfExciting],
    ) -> Basis {
        let h_days = horizon_s as f64 / DAY_S as f64;
        let own = study.spread(train.iter().map(|e| (e, 1.0)), 0.0);
        let mut hourly = vec![1.0; own.len()];
        if horizon_s < DAY_S && candidates.iter().any(|p| p.by_hour) {
            // Events at the horizon's hours of the day, per cell and over the area.
            let at_hours = |e: &&CellEvent| (e.t_s - origin_s).rem_euclid(DAY_S) < horizon_s;
            let own_at = study.spread(train.iter().filter(at_hours).map(|e| (e, 1.0)), 0.0);
            let total: f64 = own.iter().sum();
            let share = own_at.iter().sum::<f64>() / total.max(1.0);
            if share > 0.0 {
                for c in 0..own.len() {
                    hourly[c] = (own_at[c] + HOUR_SHRINK * share) / (own[c] + HOUR_SHRINK) / share;
                }
            }
        }
        let mut backgrounds: Vec<Background> = Vec::new();
        let mut trigger: Vec<((u64, u64), Vec<f64>)> = Vec::new();
        for p in candidates {
            let recency = p.recency_days;
            let weight = |e: &CellEvent| match recency {
                Some(tau) => (-((origin_s - e.t_s) as f64 / DAY_S as f64) / tau).exp(),
                None => 1.0,
            };
            let at = match backgrounds.iter().position(|b| b.recency_days == recency) {
                Some(i) => i,
                None => {
                    // The window's weighted days: ∫₀^D e^{−a/τ} da.
                    let days = train_days.max(1e-9);
                    let weighted_days = recency.map_or(days, |tau| tau * (1.0 - (-days / tau).exp()));
                    // Unweighted, the cells' own counts are those counted above.
                    let own = match recency {
                        Some(_) => study.spread(train.iter().map(|e| (e, weight(e))), 0.0),
                        None => own.clone(),
                    };
                    backgrounds.push(Background {
                        recency_days: recency,
                        scale: h_days / weighted_days,
                        own,
                        smooth: Vec::new(),
                    });
                    backgrounds.len() - 1
                }
            };
            let b = &mut backgrounds[at];
            if p.own_cell_share < 1.0 && !b.smooth.iter().any(|(h, _)| *h == p.background_m) {
                b.smooth.push((p.background_m, study.spread(train.iter().map(|e| (e, weight(e))), p.background_m)));
            }
            let key = (p.trigger_m.to_bits(), p.decay_per_day.to_bits());
            if p.boost > 0.0 && !trigger.iter().any(|(k, _)| *k == key) {
                let w = p.decay_per_day;
                let weights = train.iter().map(|e| {
                    let age = (origin_s - e.t_s) as f64 / DAY_S as f64;
                    (e, (-w * age).exp() - (-w * (age + h_days)).exp())
                });
                trigger.push((key, study.spread(weights, p.trigger_m)));
            }
        }
        Basis { hourly, backgrounds, trigger }
    }

    fn risk(&self, p: &SelfExciting) -> Vec<f64> {
        let (background, trigger) = self.parts(p);
        background.iter().zip(&trigger).map(|(b, t)| b + t).collect()
    }

    /// (background, triggering) per cell over the horizon.
    fn parts(&self, p: &SelfExciting) -> (Vec<f64>, Vec<f64>) {
        let lambda = p.own_cell_share;
        // A basis holds the background of every candidate it was built for.
        let Some(b) = self.backgrounds.iter().find(|b| b.recency_days == p.recency_days) else {
            return (vec![0.0; self.hourly.len()], vec![0.0; self.hourly.len()]);
        };
        let smooth = b.smooth.iter().find(|(h, _)| *h == p.background_m).map(|(_, v)| v);
        let key = (p.trigger_m.to_bits(), p.decay_per_day.to_bits());
        let trigger = self.trigger.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        let background = (0..b.own.len())
            .map(|c| {
                let hour = if p.by_hour { self.hourly[c] } else { 1.0 };
                b.scale * hour * (lambda * b.own[c] + smooth.map_or(0.0, |v| (1.0 - lambda) * v[c]))
            })
            .collect();
        let triggered = (0..b.own.len()).map(|c| trigger.map_or(0.0, |v| p.boost * v[c])).collect();
        (background, triggered)
    }
}

/// A fit of the model's parameters under way: the candidates' hits summed over the inner
/// origins scored so far.
#[derive(Debug, Clone)]
struct Fit {
    candidates: Vec<SelfExciting>,
    inners: Vec<i64>,
    scored: usize,
    hits: Vec<f64>,
    train_start_s: i64,
    horizon_s: i64,
}

impl Fit {
    fn done(&self) -> bool {
        self.scored >= self.inners.len()
    }
}

/// `f` over `items`, in order: on two threads where there are threads (the inner origins of a
/// fit are independent), inline on wasm32.
fn map_parallel<T: Copy + Sync, R: Send>(items: &[T], f: impl Fn(T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
        if threads > 1 && items.len() > 1 {
            let (a, b) = items.split_at(items.len() / 2);
            return std::thread::scope(|scope| {
                let right = scope.spawn(|| b.iter().map(|&x| f(x)).collect::<Vec<R>>());
                let mut out: Vec<R> = a.iter().map(|&x| f(x)).collect();
                // A panic in the other half is re-raised here, as it would be inline.
                out.extend(right.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                out
            });
        }
    }
    items.iter().map(|&x| f(x)).collect()
}

/// The `ceil(area_share × active cells)` active cells of highest risk (ties: lower index first),
/// as a mask over all cells.
pub fn top_cells(risk: &[f64], active: &[bool], area_share: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..risk.len()).filter(|&i| active[i]).collect();
    let k = selected_count(order.len(), area_share);
    if k < order.len() {
        order.select_nth_unstable_by(k, |&a, &b| risk[b].total_cmp(&risk[a]).then(a.cmp(&b)));
    }
    let mut top = vec![false; risk.len()];
    for &i in order.iter().take(k) {
        top[i] = true;
    }
    top
}

/// How many of `active` cells make `area_share` of the area (at least one).
pub fn selected_count(active: usize, area_share: f64) -> usize {
    ((area_share * active as f64).ceil() as usize).clamp(1, active.max(1))
}

/// The backtest's design.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSpec {
    /// Forecast origins, seconds (each fits only on data before it).
    pub origins_s: Vec<i64>,
    /// Training window before each origin, seconds.
    pub train_s: i64,
    /// Test window after each origin, seconds.
    pub test_s: i64,
    /// Share of the study area flagged, 0–1.
    pub area_share: f64,
    /// The model's parameters are ranked again at every `refit_every`-th origin (1: at each)
    /// on the data before it, and used at the origins up to the next; every forecast still uses
    /// all the data before its own origin. Ranking is most of a backtest's cost.
    pub refit_every: usize,
}

/// One origin's result for one method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OriginScore {
    /// The origin, seconds.
    pub origin_s: i64,
    /// Incidents in the test window.
    pub incidents: usize,
    /// Of those, in the flagged cells.
    pub hits: usize,
    /// The most hits any choice of as many cells of the study area could have caught (the test
    /// window's busiest cells): PEI's denominator.
    pub best_hits: usize,
}

/// A method's results over all origins.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodScore {
    /// The method.
    pub method: Forecaster,
    /// One entry per origin.
    pub origins: Vec<OriginScore>,
    /// Flagged cells per origin.
    pub flagged: usize,
    /// Cells in the study area.
    pub area_cells: usize,
}

impl MethodScore {
    /// (hits, incidents), all origins pooled.
    pub fn totals(&self) -> (usize, usize) {
        self.origins.iter().fold((0, 0), |(h, n), o| (h + o.hits, n + o.incidents))
    }

    /// Hits over incidents, all origins pooled.
    pub fn hit_rate(&self) -> f64 {
        let (h, n) = self.totals();
        if n == 0 { 0.0 } else { h as f64 / n as f64 }
    }

    /// Hit rate / share of the area flagged.
    pub fn pai(&self) -> f64 {
        self.hit_rate() / (self.flagged as f64 / self.area_cells.max(1) as f64)
    }

    /// Hits over the best possible hits with as many cells, all origins pooled (PEI, 0–1).
    pub fn pei(&self) -> f64 {
        let (h, best) = self.origins.iter().fold((0, 0), |(h, b), o| (h + o.hits, b + o.best_hits));
        if best == 0 { 0.0 } else { h as f64 / best as f64 }
    }

    /// PAI over the origins `picked` (indices into `origins`, repeats allowed).
    fn pai_of(&self, picked: &[usize]) -> f64 {
        let (h, n) = picked.iter().fold((0, 0), |(h, n), &i| (h + self.origins[i].hits, n + self.origins[i].incidents));
        let rate = if n == 0 { 0.0 } else { h as f64 / n as f64 };
        rate / (self.flagged as f64 / self.area_cells.max(1) as f64)
    }
}

/// Whether the model beats the best simple map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The 95% interval of the PAI difference lies above zero.
    Better,
    /// The interval holds zero.
    NoBetter,
    /// The interval lies below zero.
    Worse,
}

impl Verdict {
    /// The verdict of an API name.
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Better, Verdict::NoBetter, Verdict::Worse].into_iter().find(|v| v.as_str() == s)
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::NoBetter => "no_better",
            Verdict::Worse => "worse",
        }
    }

    /// In Chinese, as a sentence's end (模型优于最佳简单方法).
    pub fn label_zh(self) -> &'static str {
        match self {
            Verdict::Better => "模型优于最佳简单方法",
            Verdict::NoBetter => "模型不优于最佳简单方法",
            Verdict::Worse => "模型劣于最佳简单方法",
        }
    }

    /// In English (the model is better than the best simple map).
    pub fn label_en(self) -> &'static str {
        match self {
            Verdict::Better => "the model is better than the best simple map",
            Verdict::NoBetter => "the model is no better than the best simple map",
            Verdict::Worse => "the model is worse than the best simple map",
        }
    }
}

/// The model against the best baseline of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline with the highest PAI over all origins (ties: the first of
    /// [`Forecaster::BASELINES`]).
    pub best_baseline: Forecaster,
    /// The model's PAI.
    pub model_pai: f64,
    /// The best baseline's PAI.
    pub baseline_pai: f64,
    /// Model minus baseline.
    pub difference: f64,
    /// The 95% interval of the difference (2.5th and 97.5th percentiles of [`BOOTSTRAP_RESAMPLES`]
    /// paired resamples of the origins, the best baseline chosen again in each, so that picking
    /// the best of many is not mistaken for the model losing).
    pub ci95: (f64, f64),
    /// What the interval says.
    pub verdict: Verdict,
}

impl Comparison {
    /// The method to use: the model only when it is better than the best simple map, otherwise
    /// that map (it does as well, and anyone can check it).
    pub fn chosen(&self) -> Forecaster {
        match self.verdict {
            Verdict::Better => Forecaster::SelfExciting,
            Verdict::NoBetter | Verdict::Worse => self.best_baseline,
        }
    }

    /// One line in Chinese: 模型 PAI 14.1，最佳简单方法（近 90 天计数）13.3，差 0.8（95% 置信区间 −0.2 至 1.7），模型不优于最佳简单方法.
    pub fn summary_zh(&self) -> String {
        format!(
            "模型 PAI {:.2}，最佳简单方法（{}）{:.2}，差 {:.2}（95% 置信区间 {:.2} 至 {:.2}），{}",
            self.model_pai,
            self.best_baseline.label_zh(),
            self.baseline_pai,
            self.difference,
            self.ci95.0,
            self.ci95.1,
            self.verdict.label_zh()
        )
    }

    /// The same in English.
    pub fn summary_en(&self) -> String {
        format!(
            "model PAI {:.2}, best simple map ({}) {:.2}, difference {:.2} (95% CI {:.2} to {:.2}): {}",
            self.model_pai,
            self.best_baseline.label_en(),
            self.baseline_pai,
            self.difference,
            self.ci95.0,
            self.ci95.1,
            self.verdict.label_en()
        )
    }
}

/// Resamples of the paired bootstrap.
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;

/// The model (the first score of [`Forecaster::SelfExciting`]) against the best of the other
/// scores; `None` without the model, a baseline or an origin. The bootstrap draws the origins
/// with replacement from a fixed seed, so the same backtest gives the same interval.
pub fn compare(scores: &[MethodScore]) -> Option<Comparison> {
    let model = scores.iter().find(|s| s.method == Forecaster::SelfExciting)?;
    let best = scores.iter().filter(|s| s.method != Forecaster::SelfExciting).fold(
        None::<&MethodScore>,
        |best, s| match best {
            Some(b) if b.pai() >= s.pai() => Some(b),
            _ => Some(s),
        },
    )?;
    let n = model.origins.len();
    let baselines: Vec<&MethodScore> = scores.iter().filter(|s| s.method != Forecaster::SelfExciting).collect();
    if n == 0 || baselines.iter().any(|b| b.origins.len() != n) {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5afe_9d1d);
    let mut differences: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let picked: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let best_here = baselines.iter().map(|b| b.pai_of(&picked)).fold(f64::NEG_INFINITY, f64::max);
            model.pai_of(&picked) - best_here
        })
        .collect();
    differences.sort_by(f64::total_cmp);
    let at = |q: f64| differences[((q * (differences.len() - 1) as f64).round() as usize).min(differences.len() - 1)];
    let ci95 = (at(0.025), at(0.975));
    let verdict = if ci95.0 > 0.0 {
        Verdict::Better
    } else if ci95.1 < 0.0 {
        Verdict::Worse
    } else {
        Verdict::NoBetter
    };
    Some(Comparison {
        best_baseline: best.method,
        model_pai: model.pai(),
        baseline_pai: best.pai(),
        difference: model.pai() - best.pai(),
        ci95,
        verdict,
    })
}

/// Runs every method of `methods` at every origin of `spec`. `events` may be in any order; the
/// study area is every cell with an incident before the first origin.
pub fn backtest(study: &Study, events: &[CellEvent], spec: &BacktestSpec, methods: &[Forecaster]) -> Vec<MethodScore> {
    let mut run = Backtest::new(study.clone(), events.to_vec(), spec.clone(), methods.to_vec());
    while run.step() {}
    run.into_scores()
}

/// A backtest run one origin at a time ([`Backtest::step`]), so that a server can run it as many
/// short jobs between other work. [`backtest`] runs it whole.
#[derive(Debug, Clone)]
pub struct Backtest {
    study: Study,
    events: Vec<CellEvent>,
    spec: BacktestSpec,
    active: Vec<bool>,
    scores: Vec<MethodScore>,
    ranked: Vec<SelfExciting>,
    /// The fit under way for the next origin, and the origin whose fit `ranked` is.
    fit: Option<Fit>,
    ranked_at: Option<usize>,
    next: usize,
}

/// Inner origins a [`Backtest::step`] scores while it fits: one per thread, so that a step is a
/// seventh of a fit, however many parameter sets there are.
pub const FIT_INNERS_PER_STEP: usize = 2;

impl Backtest {
    /// A run of `methods` at every origin of `spec`. `events` may be in any order; the study area
    /// is every cell with an incident before the first origin.
    pub fn new(study: Study, events: Vec<CellEvent>, spec: BacktestSpec, methods: Vec<Forecaster>) -> Backtest {
        let first = spec.origins_s.iter().copied().min().unwrap_or(0);
        let mut active = vec![false; study.len()];
        for e in events.iter().filter(|e| e.t_s < first) {
            active[e.cell as usize] = true;
        }
        let area_cells = active.iter().filter(|a| **a).count();
        let flagged = selected_count(area_cells, spec.area_share);
        let scores =
            methods.iter().map(|&method| MethodScore { method, origins: Vec::new(), flagged, area_cells }).collect();
        Backtest { study, events, spec, active, scores, ranked: Vec::new(), fit: None, ranked_at: None, next: 0 }
    }

    /// Origins scored so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.spec.origins_s.len())
    }

    /// Does the next part of the run: the next [`FIT_INNERS_PER_STEP`] inner origins of a fit of
    /// the model's parameters when one is due, else scores the next origin; `false` once every
    /// origin is scored.
    pub fn step(&mut self) -> bool {
        let Some(&origin) = self.spec.origins_s.get(self.next) else { return false };
        let (study, spec, active) = (&self.study, &self.spec, &self.active);
        let start = origin - spec.train_s;
        let train: Vec<CellEvent> = self.events.iter().filter(|e| e.t_s >= start && e.t_s < origin).copied().collect();
        let models = self.scores.iter().any(|s| s.method == Forecaster::SelfExciting);
        let due = self.ranked.is_empty() || self.next.is_multiple_of(spec.refit_every.max(1));
        if models && due && self.ranked_at != Some(self.next) {
            let fit = self.fit.get_or_insert_with(|| study.fit_start(start, origin, spec.test_s));
            if !fit.done() {
                study.fit_advance(fit, &train, active, spec.area_share, FIT_INNERS_PER_STEP);
                return true;
            }
            if let Some(fit) = self.fit.take() {
                self.ranked = study.ranked(&fit.candidates, &fit.hits);
            }
            self.ranked_at = Some(self.next);
        }
        let test: Vec<u32> =
            self.events.iter().filter(|e| e.t_s >= origin && e.t_s < origin + spec.test_s).map(|e| e.cell).collect();
        // The best any `flagged` cells could do: the busiest cells of the test window.
        let flagged = self.scores.first().map_or(0, |s| s.flagged);
        let mut per_cell = vec![0usize; study.len()];
        for &c in &test {
            per_cell[c as usize] += 1;
        }
        let mut busiest: Vec<usize> = (0..study.len()).filter(|&c| active[c]).map(|c| per_cell[c]).collect();
        busiest.sort_unstable_by(|a, b| b.cmp(a));
        let best_hits: usize = busiest.iter().take(flagged).sum();
        for score in &mut self.scores {
            let risk = match score.method {
                Forecaster::SelfExciting => {
                    let days = spec.train_s as f64 / DAY_S as f64;
                    study.averaged_risk(&self.ranked, &train, days, origin, spec.test_s)
                }
                m => study.risk(m, &train, start, origin, spec.test_s, active, spec.area_share),
            };
            let top = top_cells(&risk, active, spec.area_share);
            let hits = test.iter().filter(|c| top[**c as usize]).count();
            score.origins.push(OriginScore { origin_s: origin, incidents: test.len(), hits, best_hits });
        }
        self.next += 1;
        true
    }

    /// Every method's scores over the origins scored.
    pub fn into_scores(self) -> Vec<MethodScore> {
        self.scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn lattice(side: u32, cell_m: f64) -> Vec<[f64; 2]> {
        (0..side * side)
            .map(|i| [f64::from(i % side) * cell_m + cell_m / 2.0, f64::from(i / side) * cell_m + cell_m / 2.0])
            .collect()
    }

    fn event(x_m: f64, y_m: f64, t_s: i64, side: u32, cell_m: f64) -> CellEvent {
        let cell = (y_m / cell_m) as u32 * side + (x_m / cell_m) as u32;
        CellEvent { cell, x_m, y_m, t_s }
    }

    /// The window's own-cell counts as a parameter set: no smoothing, no triggering.
    fn own_cell_counts() -> SelfExciting {
        SelfExciting {
            own_cell_share: 1.0,
            background_m: 0.0,
            trigger_m: 0.0,
            decay_per_day: 1.0,
            boost: 0.0,
            by_hour: false,
            recency_days: None,
        }
    }

    #[test]
    fn top_cells_take_the_highest_risk_and_break_ties_by_index() {
        let risk = [0.0, 5.0, 1.0, 5.0, 9.0, 0.0];
        let active = [true, true, true, true, false, true];
        assert_eq!(top_cells(&risk, &active, 0.4), [false, true, false, true, false, false]);
        assert_eq!(top_cells(&risk, &active, 0.01), [false, true, false, false, false, false]);
        assert_eq!(selected_count(100, 0.01), 1);
        assert_eq!(selected_count(101, 0.01), 2);
        assert_eq!(selected_count(0, 0.5), 1);
    }

    #[test]
    fn recent_counts_and_kde_see_only_their_window() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        assert!((study.spacing_m() - 100.0).abs() < 1e-9);
        let day = DAY_S;
        let train = [event(50.0, 50.0, 0, side, cell_m), event(950.0, 950.0, 9 * day, side, cell_m)];
        let active = vec![true; 100];
        let r = study.risk(Forecaster::RecentCounts { days: 7 }, &train, 0, 10 * day, day, &active, 0.01);
        assert_eq!((r[0], r[99]), (0.0, 1.0));
        let r = study.risk(Forecaster::Kde { scale_pct: 100 }, &train, 0, 10 * day, day, &active, 0.01);
        assert!(r[0] > 0.0 && (r[0] - r[99]).abs() < 1e-12, "{} {}", r[0], r[99]);
        // The whole window counts both; a narrower kernel keeps more of the surface in the
        // incidents' own cells than the default, a wider one less.
        let r = study.risk(Forecaster::WindowCounts, &train, 0, 10 * day, day, &active, 0.01);
        assert_eq!((r[0], r[99], r[1]), (1.0, 1.0, 0.0));
        let own_share = |scale_pct| {
            let r = study.risk(Forecaster::Kde { scale_pct }, &train, 0, 10 * day, day, &active, 0.01);
            (r[0] + r[99]) / r.iter().sum::<f64>()
        };
        let (narrow, default, wide) = (own_share(50), own_share(100), own_share(200));
        assert!(narrow > default && default > wide, "{narrow} {default} {wide}");
    }

    #[test]
    fn self_exciting_risk_decays_and_integrates_the_horizon() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        let p = SelfExciting {
            own_cell_share: 0.0,
            background_m: 150.0,
            trigger_m: 150.0,
            decay_per_day: 0.5,
            boost: 1.0,
            by_hour: false,
            recency_days: None,
        };
        let old = [event(450.0, 450.0, 0, side, cell_m)];
        let fresh = [event(450.0, 450.0, 9 * DAY_S, side, cell_m)];
        let at = |train: &[CellEvent], h: i64| study.self_exciting_risk(&p, train, 10.0, 10 * DAY_S, h)[44];
        assert!(at(&fresh, DAY_S) > at(&old, DAY_S));
        // Background alone over one day: s² K(0) · 1/10 per day.
        let area = cell_m * cell_m;
        let bg = SelfExciting { boost: 0.0, ..p };
        let b = study.self_exciting_risk(&bg, &old, 10.0, 10 * DAY_S, DAY_S)[44];
        assert!((b - area * quartic(0.0, 150.0) / 10.0).abs() < 1e-12);
        // Triggering over [o, o + H): β s² K(0) (e^{−ω·1} − e^{−ω·2}) for an incident one day old.
        let t = at(&fresh, DAY_S) - study.self_exciting_risk(&bg, &fresh, 10.0, 10 * DAY_S, DAY_S)[44];
        assert!((t - area * quartic(0.0, 150.0) * ((-0.5f64).exp() - (-1.0f64).exp())).abs() < 1e-12, "{t}");
        // Own-cell background: the window count over the days.
        let own = SelfExciting { own_cell_share: 1.0, boost: 0.0, ..p };
        let r = study.self_exciting_risk(&own, &[old[0], fresh[0]], 10.0, 10 * DAY_S, 2 * DAY_S);
        assert_eq!((r[44], r[45]), (2.0 * 2.0 / 10.0, 0.0));
    }

    /// A synthetic city: a steady background concentrated in a few places plus bursts of
    /// follow-on incidents around recent ones. The self-exciting model must beat counting.
    #[test]
    fn the_model_beats_the_baselines_where_incidents_excite_each_other() {
        let (side, cell_m) = (40u32, 250.0);
        let study = Study::new(&lattice(side, cell_m));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let centres = [(2000.0, 2500.0), (7000.0, 6000.0), (4000.0, 8000.0)];
        let mut events = Vec::new();
        let days = 60;
        for d in 0..days {
            for _ in 0..25 {
                let (cx, cy) = centres[rng.random_range(0..3)];
                let x: f64 = (cx + rng.random_range(-1500.0..1500.0f64)).clamp(0.0, 9999.0);
                let y: f64 = (cy + rng.random_range(-1500.0..1500.0f64)).clamp(0.0, 9999.0);
                let t = d * DAY_S + rng.random_range(0..DAY_S);
                events.push(event(x, y, t, side, cell_m));
                // Each incident sets off follow-ons nearby over the next days.
                if rng.random_bool(0.3) {
                    for _ in 0..rng.random_range(1..4) {
                        let lag = (rng.random_range(0.0..1.0f64).ln() * -1.5 * DAY_S as f64) as i64;
                        let fx = (x + rng.random_range(-120.0..120.0f64)).clamp(0.0, 9999.0);
                        let fy = (y + rng.random_range(-120.0..120.0f64)).clamp(0.0, 9999.0);
                        if t + lag < days * DAY_S {
                            events.push(event(fx, fy, t + lag, side, cell_m));
                        }
                    }
                }
            }
        }
        let spec = BacktestSpec {
            origins_s: (50..60).map(|d| d * DAY_S).collect(),
            train_s: 28 * DAY_S,
            test_s: DAY_S,
            area_share: 0.02,
            refit_every: 1,
        };
        let scores = backtest(&study, &events, &spec, &Forecaster::ALL);
        let rate = |m: Forecaster| scores.iter().find(|s| s.method == m).unwrap().hit_rate();
        let model = rate(Forecaster::SelfExciting);
        for baseline in &Forecaster::ALL[1..] {
            assert!(model > rate(*baseline), "{model} vs {} {}", baseline.name(), rate(*baseline));
        }
        let s = &scores[0];
        assert_eq!(s.origins.len(), 10);
        assert!((s.pai() - model / (s.flagged as f64 / s.area_cells as f64)).abs() < 1e-12);
        // Ranking the parameters every fifth origin: the same at the origins where it ranks, the
        // baselines untouched.
        let weekly = backtest(&study, &events, &BacktestSpec { refit_every: 5, ..spec }, &Forecaster::ALL);
        assert_eq!(weekly[1..], scores[1..]);
        assert_eq!((weekly[0].origins[0], weekly[0].origins[5]), (scores[0].origins[0], scores[0].origins[5]));
    }

    #[test]
    fn a_fit_is_spread_over_short_steps_and_scores_as_if_fitted_at_once() {
        let (side, cell_m) = (20u32, 200.0);
        let study = Study::new(&lattice(side, cell_m));
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let events: Vec<CellEvent> = (0..1_500)
            .map(|_| {
                let (x, y) = (rng.random_range(0.0..3999.0f64), rng.random_range(0.0..3999.0f64));
                event(x.min(x * 0.3 + 200.0), y, rng.random_range(0..40 * DAY_S), side, cell_m)
            })
            .collect();
        let spec = BacktestSpec {
            origins_s: vec![30 * DAY_S, 31 * DAY_S],
            train_s: 30 * DAY_S,
            test_s: 8 * 3600,
            area_share: 0.05,
            refit_every: 1,
        };
        let mut run = Backtest::new(study.clone(), events.clone(), spec.clone(), vec![Forecaster::SelfExciting]);
        let mut steps = 0;
        while run.step() {
            steps += 1;
            assert!(run.progress().0 <= 2);
        }
        // Per origin: 14 inner origins, two a step, then the scoring step.
        assert_eq!(steps, 2 * (INNER_ORIGINS as usize).div_ceil(FIT_INNERS_PER_STEP) + 2, "{steps}");
        let scores = run.into_scores();
        let active: Vec<bool> = {
            let mut a = vec![false; study.len()];
            for e in events.iter().filter(|e| e.t_s < 30 * DAY_S) {
                a[e.cell as usize] = true;
            }
            a
        };
        for (k, &origin) in spec.origins_s.iter().enumerate() {
            let start = origin - spec.train_s;
            let train: Vec<CellEvent> = events.iter().filter(|e| e.t_s >= start && e.t_s < origin).copied().collect();
            let ranked = study.fit_ranked(&train, start, origin, spec.test_s, &active, spec.area_share);
            let risk = study.averaged_risk(&ranked, &train, 30.0, origin, spec.test_s);
            let top = top_cells(&risk, &active, spec.area_share);
            let hits = events
                .iter()
                .filter(|e| e.t_s >= origin && e.t_s < origin + spec.test_s && top[e.cell as usize])
                .count();
            assert_eq!(scores[0].origins[k].hits, hits, "origin {k}");
        }
    }

    #[test]
    fn for_a_shift_the_background_can_follow_each_cells_own_hours() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        assert_eq!(study.candidates(DAY_S, 30.0).len(), 175);
        assert_eq!(study.candidates(8 * 3600, 30.0).len(), 350);
        assert_eq!(study.candidates(DAY_S, RECENCY_MIN_DAYS).len(), 350);
        assert_eq!(study.candidates(8 * 3600, 365.0).len(), 700);
        // Cell 0 is busy at night (02:00), cell 99 by day (14:00), as often.
        let mut train = Vec::new();
        for d in 0..30 {
            train.push(event(50.0, 50.0, d * DAY_S + 2 * 3600, side, cell_m));
            train.push(event(950.0, 950.0, d * DAY_S + 14 * 3600, side, cell_m));
        }
        let plain = own_cell_counts();
        let hourly = SelfExciting { by_hour: true, ..plain };
        let night = 30 * DAY_S;
        let r = study.self_exciting_risk(&plain, &train, 30.0, night, 8 * 3600);
        assert!((r[0] - r[99]).abs() < 1e-12, "without hours the two are alike");
        let r = study.self_exciting_risk(&hourly, &train, 30.0, night, 8 * 3600);
        assert!(r[0] > 1.5 * r[99], "the night cell ranks first for the night shift: {} {}", r[0], r[99]);
        let r = study.self_exciting_risk(&hourly, &train, 30.0, night + 8 * 3600, 8 * 3600);
        assert!(r[99] > 1.5 * r[0], "and the day cell for the day shift: {} {}", r[0], r[99]);
        // A day or longer holds every hour: no change.
        let r = study.self_exciting_risk(&hourly, &train, 30.0, night, DAY_S);
        assert!((r[0] - r[99]).abs() < 1e-12);
    }

    #[test]
    fn a_recency_weighted_background_ranks_the_place_busy_lately_on_the_same_scale() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        // Cell 0: one incident every day for 60 days. Cell 11: 30 in the first 30 days; cell 22:
        // 30 in the last 30.
        let mut train = Vec::new();
        for d in 0..60 {
            train.push(event(50.0, 50.0, d * DAY_S + DAY_S / 2, side, cell_m));
            let busy = if d < 30 { (150.0, 150.0) } else { (250.0, 250.0) };
            train.push(event(busy.0, busy.1, d * DAY_S + DAY_S / 2, side, cell_m));
        }
        let flat = own_cell_counts();
        let recent = SelfExciting { recency_days: Some(RECENCY_DAYS), ..flat };
        let origin = 60 * DAY_S;
        let r = study.self_exciting_risk(&flat, &train, 60.0, origin, DAY_S);
        assert!((r[0] - 1.0).abs() < 1e-12 && (r[11] - r[22]).abs() < 1e-12, "flat: {} {} {}", r[0], r[11], r[22]);
        let r = study.self_exciting_risk(&recent, &train, 60.0, origin, DAY_S);
        // A steady place keeps its rate (one a day, to within the half-day offsets).
        assert!((r[0] - 1.0).abs() < 0.02, "steady: {}", r[0]);
        assert!(r[22] > 2.0 * r[11], "busy lately {} against busy long ago {}", r[22], r[11]);
        assert!((r[11] + r[22] - r[0]).abs() < 0.02, "the two halves make one steady place");
        // The fit may choose either weighting, for every other parameter set.
        let c = study.candidates(DAY_S, 60.0);
        assert_eq!(c.iter().filter(|p| p.recency_days.is_some()).count() * 2, c.len());
        assert!(study.candidates(DAY_S, 59.0).iter().all(|p| p.recency_days.is_none()), "not over a short window");
    }

    #[test]
    fn the_averaged_forecast_splits_into_background_and_recent_events() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        let train = [event(450.0, 450.0, 2 * DAY_S, side, cell_m), event(150.0, 850.0, 9 * DAY_S, side, cell_m)];
        let p = SelfExciting {
            own_cell_share: 0.5,
            background_m: 150.0,
            trigger_m: 0.0,
            decay_per_day: 0.5,
            boost: 1.0,
            by_hour: false,
            recency_days: None,
        };
        let parts = study.averaged_parts(&[p], &train, 10.0, 10 * DAY_S, DAY_S);
        assert_eq!(parts.risk, study.averaged_risk(&[p], &train, 10.0, 10 * DAY_S, DAY_S));
        assert!(parts.background.iter().zip(&parts.risk).all(|(b, r)| *b <= *r + 1e-12));
        // The fresh incident's own cell owes more of its risk to triggering than the old one's.
        let (fresh, old) = (parts.background_share(81).unwrap(), parts.background_share(44).unwrap());
        assert!(fresh < old && old < 1.0, "{fresh} {old}");
        let total = parts.total_background_share().unwrap();
        assert!((0.0..1.0).contains(&total));
        // Without triggering every share is one; a cell of no risk has none.
        let calm = study.averaged_parts(&[SelfExciting { boost: 0.0, ..p }], &train, 10.0, 10 * DAY_S, DAY_S);
        assert_eq!((calm.background_share(44), calm.total_background_share()), (Some(1.0), Some(1.0)));
        assert_eq!(calm.background_share(9), None);
    }

    /// A score from (hits, incidents, best hits) per origin.
    fn scored(method: Forecaster, origins: &[(usize, usize, usize)]) -> MethodScore {
        MethodScore {
            method,
            origins: origins
                .iter()
                .enumerate()
                .map(|(k, &(hits, incidents, best_hits))| OriginScore {
                    origin_s: k as i64,
                    incidents,
                    hits,
                    best_hits,
                })
                .collect(),
            flagged: 10,
            area_cells: 1_000,
        }
    }

    #[test]
    fn the_comparison_names_the_best_baseline_and_its_interval_decides_the_verdict() {
        let day = |hits| (hits, 100, 40);
        let model = scored(Forecaster::SelfExciting, &[day(20), day(22), day(18), day(21), day(19), day(20)]);
        let weak = scored(Forecaster::RecentCounts { days: 7 }, &[day(5); 6]);
        let strong =
            scored(Forecaster::RecentCounts { days: 90 }, &[day(10), day(12), day(9), day(11), day(10), day(9)]);
        // PAI = hit rate / (10 / 1000); PEI = hits / best hits.
        assert!((model.pai() - 20.0).abs() < 1e-9 && (model.pei() - 0.5).abs() < 1e-9);
        let c = compare(&[model.clone(), weak.clone(), strong.clone()]).unwrap();
        assert_eq!(c.best_baseline, Forecaster::RecentCounts { days: 90 });
        assert!((c.difference - (20.0 - 10.166_666_666_666_666)).abs() < 1e-9, "{c:?}");
        assert!(c.ci95.0 > 0.0 && c.ci95.0 <= c.difference && c.difference <= c.ci95.1, "{c:?}");
        assert_eq!(c.verdict, Verdict::Better);
        assert_eq!(c.chosen(), Forecaster::SelfExciting);
        assert!(c.summary_zh().contains("近 90 天计数") && c.summary_zh().ends_with("模型优于最佳简单方法"));
        assert!(c.summary_en().contains("counts of the last 90 days"), "{}", c.summary_en());
        assert_eq!(compare(&[model.clone(), weak.clone(), strong.clone()]), Some(c), "a fixed seed");
        // A model that wins some origins and loses others is no better; one that loses all, worse.
        let mixed = scored(Forecaster::SelfExciting, &[day(15), day(5), day(14), day(6), day(16), day(4)]);
        let no_better = compare(&[mixed, strong.clone()]).unwrap();
        assert_eq!(no_better.verdict, Verdict::NoBetter);
        assert_eq!(no_better.chosen(), Forecaster::RecentCounts { days: 90 }, "a simple map wins a tie");
        assert_eq!(Verdict::parse(no_better.verdict.as_str()), Some(Verdict::NoBetter));
        assert_eq!(compare(&[weak.clone(), strong.clone()]), None, "no model");
        let loser = MethodScore { method: Forecaster::SelfExciting, ..weak };
        let c = compare(&[loser, strong]).unwrap();
        assert_eq!((c.verdict, c.ci95.1 < 0.0), (Verdict::Worse, true), "{c:?}");
    }

    #[test]
    fn every_method_is_named_once_and_forecasts_expected_incidents_over_the_horizon() {
        for m in Forecaster::ALL {
            assert_eq!(Forecaster::from_name(&m.name()), Some(m));
        }
        assert_eq!(Forecaster::from_name("last-3-days"), None);
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // 600 incidents over 60 days, a third of them in cell 0.
        let train: Vec<CellEvent> = (0..600)
            .map(|i| {
                let (x, y) = if i % 3 == 0 {
                    (50.0, 50.0)
                } else {
                    (rng.random_range(0.0..999.0), rng.random_range(0.0..999.0))
                };
                event(x, y, rng.random_range(0..60 * DAY_S), side, cell_m)
            })
            .collect();
        let active = vec![true; 100];
        let horizon_s = 8 * 3600;
        for m in Forecaster::ALL {
            let (parts, fitted) = study.forecast(m, &train, 0, 60 * DAY_S, horizon_s, &active, 0.05);
            let total: f64 = parts.risk.iter().sum();
            // About 10 incidents a day: 3.3 in 8 hours (a recent window counts only its own days).
            assert!((2.0..5.0).contains(&total), "{}: {total}", m.name());
            assert_eq!(fitted.is_some(), m == Forecaster::SelfExciting, "{}", m.name());
            let top = top_cells(&parts.risk, &active, 0.01);
            assert!(top[0], "{}: the busiest cell ranks first", m.name());
            if m != Forecaster::SelfExciting {
                assert_eq!(parts.total_background_share(), Some(1.0), "{}", m.name());
            }
        }
    }

    #[test]
    fn the_best_possible_hits_take_the_busiest_cells_and_bound_every_method() {
        let (side, cell_m) = (10, 100.0);
        let study = Study::new(&lattice(side, cell_m));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let events: Vec<CellEvent> = (0..400)
            .map(|_| {
                let (x, y) = (rng.random_range(0.0..999.0), rng.random_range(0.0..999.0));
                event(x, y, rng.random_range(0..20 * DAY_S), side, cell_m)
            })
            .collect();
        let spec = BacktestSpec {
            origins_s: vec![15 * DAY_S],
            train_s: 15 * DAY_S,
            test_s: 5 * DAY_S,
            area_share: 0.05,
            refit_every: 1,
        };
        let scores = backtest(&study, &events, &spec, &Forecaster::ALL);
        let mut counts = vec![0usize; 100];
        for e in events.iter().filter(|e| e.t_s >= 15 * DAY_S) {
            counts[e.cell as usize] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let best: usize = counts.iter().take(5).sum();
        for s in &scores {
            assert_eq!(s.origins[0].best_hits, best, "{}", s.method.name());
            assert!(s.origins[0].hits <= best && s.pei() <= 1.0, "{}", s.method.name());
        }
    }

    #[test]
    fn nothing_after_an_origin_changes_its_forecast() {
        let (side, cell_m) = (20u32, 200.0);
        let study = Study::new(&lattice(side, cell_m));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut events: Vec<CellEvent> = (0..600)
            .map(|_| {
                let (x, y) = (rng.random_range(0.0..3999.0), rng.random_range(0.0..3999.0));
                event(x, y, rng.random_range(0..30 * DAY_S), side, cell_m)
            })
            .collect();
        let spec = BacktestSpec {
            origins_s: vec![20 * DAY_S],
            train_s: 20 * DAY_S,
            test_s: DAY_S,
            area_share: 0.05,
            refit_every: 1,
        };
        let before = backtest(&study, &events, &spec, &Forecaster::ALL);
        // Pile incidents after the test window into one cell: no forecast may move.
        for _ in 0..500 {
            events.push(event(100.0, 100.0, 25 * DAY_S, side, cell_m));
        }
        assert_eq!(backtest(&study, &events, &spec, &Forecaster::ALL), before);
    }
}
