//! Hot spots over the city's grid cells, as services: the study area a request reaches (its
//! cells inside the caller's scope, their centres in metres), distance bands checked against
//! it, and the shift forecast the patrol planner also uses (each county by the method its
//! forecast trial chose, `forecast_trials`). No HTTP here: the
//! handlers in `api::hotspots` parse requests and shape answers; `api::error` maps
//! [`HotspotError`] to statuses. The hot-spot CLI over files of points is `point_hotspots`.

use crate::incident_index::IncidentFilter;
use crate::jobs::JobError;
use crate::state::AppState;
use analytics::TransverseMercator;
use analytics::forecast::{CellEvent, Forecaster, Study};
use analytics::weights::Neighbours;
use chrono::{DateTime, Duration, Utc};
use geo::InteriorPoint;
use model::RegionCode;
use store::StoreError;

/// Default neighbourhood: cells whose centres lie within 1.5 km.
pub const DEFAULT_BAND_M: f64 = 1_500.0;

/// Permutations of local Moran's I (fixed seed, so the map does not flicker).
pub const LISA_PERMUTATIONS: usize = 999;

/// Most neighbours a cell may have under a distance band; a wider band is refused (422).
pub const MAX_NEIGHBOURS: usize = 1_000;

/// Most neighbour links (the sum of every cell's neighbours) local Moran's I permutes: its cost
/// is links × [`LISA_PERMUTATIONS`] draws, about a second at this bound.
pub const MAX_LISA_LINKS: usize = 200_000;

/// Why a hot-spot analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum HotspotError {
    /// The distance band is wider than the study area.
    #[error("the distance band {band_m} m is wider than the study area ({max_m} m across)")]
    BandWiderThanArea {
        /// The band asked for.
        band_m: f64,
        /// The widest band the area allows.
        max_m: f64,
    },
    /// The distance band gives some cell more than [`MAX_NEIGHBOURS`] neighbours.
    #[error(
        "a {band_m} m band gives a cell at least {at_least} neighbours; at most {MAX_NEIGHBOURS} are allowed: choose a shorter distance"
    )]
    TooManyNeighbours {
        /// The band asked for.
        band_m: f64,
        /// Neighbours of the first cell found over the cap.
        at_least: usize,
    },
    /// The distance band links more pairs of cells than local Moran's I permutes.
    #[error(
        "a {band_m} m band links {links} pairs of cells; local Moran's I permutes at most {MAX_LISA_LINKS}: choose a shorter distance or a smaller region"
    )]
    TooManyLinks {
        /// The band asked for.
        band_m: f64,
        /// Neighbour links under it.
        links: usize,
    },
    /// Reading incidents failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The analysis could not run (busy, cancelled or failed).
    #[error(transparent)]
    Job(#[from] JobError),
}

/// The cells of the study area and their centres in metres.
pub struct StudyArea {
    /// Cell indexes (into `Geography::cells`).
    pub cells: Vec<u32>,
    /// Their interior points, metres in the geography's projection.
    pub centres_m: Vec<[f64; 2]>,
    /// The projection of `centres_m`.
    pub utm: TransverseMercator,
}

impl StudyArea {
    /// The cells `filter` reaches: its region's range inside its scope.
    pub fn cells_of(s: &AppState, filter: &IncidentFilter) -> Vec<u32> {
        let range = filter.cells.clone().unwrap_or(0..s.geography.cells().len() as u32);
        range.filter(|i| filter.scope.contains(*i)).collect()
    }

    /// The cells `filter` reaches, with their centres in metres.
    pub fn of(s: &AppState, filter: &IncidentFilter) -> StudyArea {
        let cells = Self::cells_of(s, filter);
        let utm = s.geography.projection();
        let centres_m = cells
            .iter()
            .map(|&i| {
                let c =
                    s.geography.cells()[i as usize].boundary.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y()));
                let (x, y) = utm.forward(c.0, c.1);
                [x, y]
            })
            .collect();
        StudyArea { cells, centres_m, utm }
    }

    /// The longest distance between two cell centres of the area (its bounding box's diagonal),
    /// metres: no distance band needs to be wider.
    pub fn extent_m(&self) -> f64 {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for c in &self.centres_m {
            for d in 0..2 {
                lo[d] = lo[d].min(c[d]);
                hi[d] = hi[d].max(c[d]);
            }
        }
        if self.centres_m.is_empty() { 0.0 } else { (hi[0] - lo[0]).hypot(hi[1] - lo[1]) }
    }

    /// Checks a distance band against the area: at most its extent (or the default band, for a
    /// small area).
    pub fn check_band(&self, band_m: f64) -> Result<(), HotspotError> {
        let max_m = self.extent_m().max(DEFAULT_BAND_M).ceil();
        if band_m > max_m {
            return Err(HotspotError::BandWiderThanArea { band_m, max_m });
        }
        Ok(())
    }

    /// Incident counts per study cell under `filter`.
    pub async fn counts(&self, s: &AppState, filter: &IncidentFilter) -> Result<Vec<f64>, StoreError> {
        let all = s.cell_counts(filter).await?;
        Ok(self.cells.iter().map(|&i| f64::from(all[i as usize])).collect())
    }
}

/// Distance-band neighbours of `centres_m`, refused when a cell would have more than
/// [`MAX_NEIGHBOURS`].
pub fn band_neighbours(centres_m: &[[f64; 2]], band_m: f64) -> Result<Neighbours, HotspotError> {
    Neighbours::distance_band_capped(centres_m, band_m, MAX_NEIGHBOURS)
        .map_err(|e| HotspotError::TooManyNeighbours { band_m, at_least: e.at_least })
}

/// Days of incidents a shift forecast is fitted on (every method: the longest simple map counts
/// a year, and the model's background is the year's pattern).
pub const FORECAST_TRAIN_DAYS: i64 = 365;

/// How a forecast's method is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MethodChoice {
    /// Each county's by its newest forecast trial (the model where it has none).
    ByTrial,
    /// This one everywhere (an analyst comparing methods).
    Fixed(Forecaster),
}

/// One county's part of a shift forecast.
#[derive(Debug, Clone)]
pub struct CountyForecast {
    /// The county.
    pub county: RegionCode,
    /// The method used.
    pub method: Forecaster,
    /// Its newest trial, which chose `method` under [`MethodChoice::ByTrial`].
    pub trial: Option<model::forecast_trial::ForecastTrial>,
    /// The model's best-ranked parameters, where `method` is the model.
    pub fitted: Option<analytics::forecast::SelfExciting>,
}

/// A shift forecast over a study area.
pub struct ShiftForecast {
    /// The cells forecast.
    pub area: StudyArea,
    /// Expected incidents per cell of `area` over the shift, and the part of each from the
    /// long-term background (the rest from recent incidents; all of a simple map's).
    pub parts: analytics::forecast::RiskParts,
    /// Per county of the area, in code order: its method.
    pub counties: Vec<CountyForecast>,
    /// Incidents the forecast was fitted on.
    pub incidents: usize,
}

/// The forecast of `hours` from `at` for the cells of `filter`, whose window must be the
/// [`FORECAST_TRAIN_DAYS`] before `at`: each county of the area by its own method, fitted on its
/// own cells and incidents (as its trial scored it), on one scale (expected incidents).
pub async fn shift_forecast(
    s: &AppState,
    filter: &IncidentFilter,
    at: DateTime<Utc>,
    hours: f64,
    area_share: f64,
    choice: MethodChoice,
) -> Result<ShiftForecast, HotspotError> {
    let area = StudyArea::of(s, filter);
    // The area's cells by county (cells are sorted by code: each county is one run).
    let mut groups: Vec<(RegionCode, Vec<usize>)> = Vec::new();
    for (k, &i) in area.cells.iter().enumerate() {
        let county = s.geography.cell_code(i).village().truncate(model::RegionLevel::County);
        match groups.last_mut() {
            Some((c, members)) if *c == county => members.push(k),
            _ => groups.push((county, vec![k])),
        }
    }
    // slot: global cell → (group, index in group).
    let mut slot = vec![(u32::MAX, 0u32); s.geography.cells().len()];
    for (g, (_, members)) in groups.iter().enumerate() {
        for (j, &k) in members.iter().enumerate() {
            slot[area.cells[k] as usize] = (g as u32, j as u32);
        }
    }
    let mut events: Vec<Vec<CellEvent>> = vec![Vec::new(); groups.len()];
    s.for_each_incident(filter, |pt| {
        let (g, cell) = slot[pt.cell as usize];
        if g != u32::MAX {
            let (x_m, y_m) = area.utm.forward(pt.lon, pt.lat);
            events[g as usize].push(CellEvent { cell, x_m, y_m, t_s: pt.occurred_s });
        }
    })
    .await?;
    let incidents = events.iter().map(Vec::len).sum();
    let mut counties: Vec<CountyForecast> = groups
        .iter()
        .map(|(county, _)| {
            let trial = crate::forecast_trials::latest(s, *county).map(|(_, t)| t);
            let method = match choice {
                MethodChoice::ByTrial => crate::forecast_trials::method_of(trial.as_ref()),
                MethodChoice::Fixed(m) => m,
            };
            CountyForecast { county: *county, method, trial, fitted: None }
        })
        .collect();
    let plan: Vec<(Forecaster, Vec<[f64; 2]>, Vec<CellEvent>)> = groups
        .iter()
        .zip(&counties)
        .zip(events)
        .map(|(((_, members), c), ev)| (c.method, members.iter().map(|&k| area.centres_m[k]).collect(), ev))
        .collect();
    let n = area.cells.len();
    let (start_s, at_s, horizon_s) =
        ((at - Duration::days(FORECAST_TRAIN_DAYS)).timestamp(), at.timestamp(), (hours * 3600.0) as i64);
    // One job per county (a county's fit takes up to seconds): off the async workers, and other
    // requests get the place between counties.
    let mut parts = analytics::forecast::RiskParts { risk: vec![0.0; n], background: vec![0.0; n] };
    let mut fitted = Vec::with_capacity(plan.len());
    for ((method, centres_m, events), (_, members)) in plan.into_iter().zip(&groups) {
        let (county_parts, f) = s
            .jobs
            .run(move |cancel| {
                cancel.check()?;
                let study = Study::new(&centres_m);
                let active = vec![true; centres_m.len()];
                Ok(study.forecast(method, &events, start_s, at_s, horizon_s, &active, area_share))
            })
            .await?;
        for (j, &k) in members.iter().enumerate() {
            parts.risk[k] = county_parts.risk[j];
            parts.background[k] = county_parts.background[j];
        }
        fitted.push(f);
    }
    for (c, f) in counties.iter_mut().zip(fitted) {
        c.fitted = f;
    }
    Ok(ShiftForecast { area, parts, counties, incidents })
}
