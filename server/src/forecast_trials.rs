//! Forecast trials (预测方法回测): each county's forecast methods backtested on its own incidents,
//! 8-hour shift by 8-hour shift, so that the forecast layer and the patrol planner use the method
//! that has earned it there (`analytics::forecast::Comparison::chosen`: the model only when it
//! beats the best simple map with a 95% interval above zero).
//!
//! A trial scores one shift a day over the last [`TRIAL_WEEKS`] weeks, the day, evening and
//! night shifts in turn, each method fitted on the [`FORECAST_TRAIN_DAYS`] before its shift, and
//! flags [`TRIAL_AREA_SHARE`] of the county's cells, as the forecast layer and the planner do. It
//! is kept as a live-log event ([`LiveKind::ForecastTrial`]) that names the version it decided on,
//! so several instances running the nightly check keep one trial per county and night.
//!
//! [`spawn`] runs the nightly check: a county whose newest trial is older than the last
//! [`NIGHTLY_HOUR`] o'clock (local) is tried again, one county at a time, one
//! [`Backtest::step`] per job of [`AppState::jobs`] (one shift's scoring, or two inner origins of
//! the model's weekly fit), so a trial never keeps a request waiting long. A county with no trial
//! yet is tried soon after start (a new deployment, the demo).

use crate::cell_hotspots::{CountyForecast, FORECAST_TRAIN_DAYS, MethodChoice};
use crate::desk_records::{desk_event, record};
use crate::query::{Area, IncidentQuery};
use crate::state::AppState;
use analytics::forecast::{Backtest, BacktestSpec, CellEvent, Forecaster, Study, compare};
use chrono::{DateTime, Utc};
use model::api::hotspots::{CountyMethod, FittedForecast, TrialBrief};
use model::forecast_trial::{ForecastTrial, TrialComparison, TrialScore};
use model::live::LiveKind;
use model::scope::Scope;
use model::{RegionCode, RegionLevel};
use std::sync::{Arc, Mutex};
use store::DeskCheck;

/// Weeks of shifts a trial scores.
pub const TRIAL_WEEKS: i64 = 8;
/// Hours of a shift.
pub const SHIFT_HOURS: i64 = 8;
/// Share of a county's cells a trial flags (the forecast layer's and the planner's).
pub const TRIAL_AREA_SHARE: f64 = 0.05;
/// The model's parameters are ranked again every this many shifts (weekly), each shift still
/// forecast from everything before it: ranking is most of a trial's cost.
pub const REFIT_EVERY_SHIFTS: usize = 7;
/// Local hour after which the nightly trials run.
pub const NIGHTLY_HOUR: i64 = 3;

/// Why a trial could not be run or kept.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    /// No county with this code.
    #[error("no county {0}")]
    UnknownCounty(RegionCode),
    /// The county has no incident before its first shift: nothing to score.
    #[error("no incidents to backtest in county {0} before its first shift")]
    NoIncidents(RegionCode),
    /// Reading incidents or keeping the trial failed; [`store::StoreError::Stale`]: another
    /// trial of the county was kept first (another instance, or a concurrent request).
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The backtest could not run (busy, cancelled or failed).
    #[error(transparent)]
    Job(#[from] crate::jobs::JobError),
}

/// The shifts a trial at `now` scores (start, Unix seconds, ascending): one a day over the last
/// [`TRIAL_WEEKS`] weeks of complete local days, the 00–08, 08–16 and 16–24 o'clock shifts in
/// turn (by day number), so each shift of the day is scored as often.
pub fn trial_shifts(now: DateTime<Utc>) -> Vec<i64> {
    let today = model::time::local_day_unix(now.timestamp());
    let offset = i64::from(model::time::SHANGHAI_OFFSET_S);
    (1..=TRIAL_WEEKS * 7)
        .rev()
        .map(|back| {
            let day = today - back;
            day * 86_400 - offset + day.rem_euclid(3) * SHIFT_HOURS * 3600
        })
        .collect()
}

/// The counties of the world, in code order.
pub fn counties(s: &AppState) -> Vec<RegionCode> {
    s.geography.regions_at(RegionLevel::County, None).map(|r| r.region.code).collect()
}

fn lock(run: &Mutex<Backtest>) -> std::sync::MutexGuard<'_, Backtest> {
    run.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `county`'s trial at `now` (not kept: see [`keep`]).
pub async fn run(s: &AppState, county: RegionCode, now: DateTime<Utc>, by: &str) -> Result<ForecastTrial, TrialError> {
    if county.level() != RegionLevel::County || s.geography.region(county).is_none() {
        return Err(TrialError::UnknownCounty(county));
    }
    let shifts = trial_shifts(now);
    let (first, last) = (shifts[0], shifts[shifts.len() - 1]);
    let query = IncidentQuery {
        area: Some(Area::Region(county)),
        from: DateTime::from_timestamp(first - FORECAST_TRAIN_DAYS * 86_400, 0),
        to: DateTime::from_timestamp(last + SHIFT_HOURS * 3600, 0),
        ..IncidentQuery::default()
    };
    let filter = query.filter(&s.geography, &Scope::everything()).map_err(|_| TrialError::UnknownCounty(county))?;
    let area = crate::cell_hotspots::StudyArea::of(s, &filter);
    let mut slot = vec![u32::MAX; s.geography.cells().len()];
    for (k, &i) in area.cells.iter().enumerate() {
        slot[i as usize] = k as u32;
    }
    let mut events = Vec::new();
    s.for_each_incident(&filter, |pt| {
        let cell = slot[pt.cell as usize];
        if cell != u32::MAX {
            let (x_m, y_m) = area.utm.forward(pt.lon, pt.lat);
            events.push(CellEvent { cell, x_m, y_m, t_s: pt.occurred_s });
        }
    })
    .await?;
    if !events.iter().any(|e| e.t_s < first) {
        return Err(TrialError::NoIncidents(county));
    }
    let spec = BacktestSpec {
        origins_s: shifts.clone(),
        train_s: FORECAST_TRAIN_DAYS * 86_400,
        test_s: SHIFT_HOURS * 3600,
        area_share: TRIAL_AREA_SHARE,
        refit_every: REFIT_EVERY_SHIFTS,
    };
    // One step a job (a shift's scoring, or a seventh of a fit): a trial never holds a place for
    // long, so requests wait at most one step behind it (jobs are served in order). When every
    // place stays taken, the trial waits.
    let run = Arc::new(Mutex::new(Backtest::new(Study::new(&area.centres_m), events, spec, Forecaster::ALL.to_vec())));
    loop {
        let step = run.clone();
        match s.jobs.run(move |_| Ok(lock(&step).step())).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(crate::jobs::JobError::Busy(_)) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            Err(e) => return Err(e.into()),
        }
    }
    let scores = match Arc::try_unwrap(run) {
        Ok(run) => run.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).into_scores(),
        Err(shared) => lock(&shared).clone().into_scores(),
    };
    let comparison = compare(&scores);
    let chosen = comparison.as_ref().map_or(Forecaster::SelfExciting, |c| c.chosen());
    let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or(now);
    Ok(ForecastTrial {
        county,
        ran_at: now,
        by: by.to_owned(),
        first_shift: at(first),
        last_shift: at(last),
        shifts: shifts.len(),
        shift_hours: SHIFT_HOURS as u32,
        train_days: FORECAST_TRAIN_DAYS as u32,
        area_share: TRIAL_AREA_SHARE,
        area_cells: scores.first().map_or(0, |s| s.area_cells),
        incidents: scores.first().map_or(0, |s| s.totals().1),
        scores: scores
            .iter()
            .map(|m| TrialScore {
                method: m.method.name(),
                hit_rate: m.hit_rate(),
                pai: m.pai(),
                pei: m.pei(),
                hits: m.totals().0,
            })
            .collect(),
        comparison: comparison.map(|c| TrialComparison {
            best_baseline: c.best_baseline.name(),
            model_pai: c.model_pai,
            baseline_pai: c.baseline_pai,
            difference: c.difference,
            ci95: c.ci95,
            verdict: c.verdict.as_str().to_owned(),
        }),
        chosen: chosen.name(),
    })
}

/// Keeps `trial` as decided on the county's trial of version `seen` (0: none); a newer trial
/// kept meanwhile makes it [`store::StoreError::Stale`].
pub async fn keep(s: &AppState, trial: &ForecastTrial, seen: u64) -> Result<u64, TrialError> {
    let event = desk_event(LiveKind::ForecastTrial, trial.county.as_u64(), &trial.by, trial.ran_at, trial);
    let check = DeskCheck::Version { kinds: vec![LiveKind::ForecastTrial], seq: seen };
    Ok(record(s, event, check, None).await?.seq)
}

/// The newest trial of `county` and its version.
pub fn latest(s: &AppState, county: RegionCode) -> Option<(u64, ForecastTrial)> {
    s.live.desk().latest_trial(county).map(|(seq, t)| (seq, t.clone()))
}

/// The method a county's forecast uses: its newest trial's choice, the model without one.
pub fn method_of(trial: Option<&ForecastTrial>) -> Forecaster {
    trial.and_then(|t| Forecaster::from_name(&t.chosen)).unwrap_or(Forecaster::SelfExciting)
}

/// Whether `county`'s newest trial is due again at `now`: none yet, or none since the last
/// [`NIGHTLY_HOUR`] o'clock (local).
pub fn due(latest: Option<&ForecastTrial>, now: DateTime<Utc>) -> bool {
    let offset = i64::from(model::time::SHANGHAI_OFFSET_S);
    let day = model::time::local_day_unix(now.timestamp() - NIGHTLY_HOUR * 3600);
    let last_run_hour = day * 86_400 - offset + NIGHTLY_HOUR * 3600;
    latest.is_none_or(|t| t.ran_at.timestamp() < last_run_hour)
}

/// Runs `county`'s trial and keeps it, unless a trial is already running in this instance (then
/// `false`: one at a time, so requested trials never crowd out other work). Runs in the
/// background: a trial of a large county takes longer than a request may.
pub fn start(s: &AppState, county: RegionCode, by: &str) -> bool {
    let Some(turn) = Turn::take(s, county) else { return false };
    let (s, by) = (s.clone(), by.to_owned());
    tokio::spawn(async move {
        let _turn = turn;
        match run_and_keep(&s, county, &by).await {
            // Kept, or another instance kept one first, or nothing to score.
            Ok(_) | Err(TrialError::Store(store::StoreError::Stale { .. })) | Err(TrialError::NoIncidents(_)) => {}
            Err(e) => tracing::warn!(%county, error = %e, "forecast trial failed"),
        }
    });
    true
}

/// This instance's one running trial, released when dropped (a panic included).
struct Turn {
    running: Arc<Mutex<std::collections::HashSet<RegionCode>>>,
    county: RegionCode,
}

impl Turn {
    /// The turn for `county`, unless a trial is running.
    fn take(s: &AppState, county: RegionCode) -> Option<Turn> {
        let mut running = lock_running(s);
        if !running.is_empty() {
            return None;
        }
        running.insert(county);
        Some(Turn { running: s.trials_running.clone(), county })
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.county);
    }
}

/// Whether `county`'s trial is running in this instance.
pub fn running(s: &AppState, county: RegionCode) -> bool {
    lock_running(s).contains(&county)
}

fn lock_running(s: &AppState) -> std::sync::MutexGuard<'_, std::collections::HashSet<RegionCode>> {
    s.trials_running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `county`'s trial now and keeps it as decided on the newest trial seen before it ran.
pub async fn run_and_keep(s: &AppState, county: RegionCode, by: &str) -> Result<u64, TrialError> {
    let seen = latest(s, county).map_or(0, |(seq, _)| seq);
    let started = std::time::Instant::now();
    let trial = run(s, county, s.clock.now(), by).await?;
    let seq = keep(s, &trial, seen).await?;
    tracing::info!(%county, by, shifts = trial.shifts, seconds = started.elapsed().as_secs_f64(), chosen = %trial.chosen, "forecast trial kept");
    Ok(seq)
}

/// Starts every county's due trial, one county at a time (each waits for the one before);
/// returns how many were kept.
pub async fn run_due(s: &AppState, now: DateTime<Utc>) -> usize {
    let mut kept = 0;
    for county in counties(s) {
        if !due(latest(s, county).as_ref().map(|(_, t)| t), now) {
            continue;
        }
        let Some(_turn) = Turn::take(s, county) else { continue };
        match run_and_keep(s, county, model::forecast_trial::NIGHTLY_BY).await {
            Ok(_) => kept += 1,
            Err(TrialError::Store(store::StoreError::Stale { .. })) | Err(TrialError::NoIncidents(_)) => {}
            Err(e) => tracing::warn!(%county, error = %e, "forecast trial failed"),
        }
    }
    kept
}

/// How long after start the first check waits, so that start-up and the first pages are not
/// slowed by it.
pub const FIRST_CHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Starts the nightly trials: a check [`FIRST_CHECK_AFTER`] start, then every `every`.
pub fn spawn(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_CHECK_AFTER).await;
        loop {
            run_due(&state, state.clock.now()).await;
            tokio::time::sleep(every).await;
        }
    });
}

/// When the nightly trials next fall due after `now`.
pub fn next_nightly(now: DateTime<Utc>) -> DateTime<Utc> {
    let offset = i64::from(model::time::SHANGHAI_OFFSET_S);
    let day = model::time::local_day_unix(now.timestamp() - NIGHTLY_HOUR * 3600) + 1;
    DateTime::from_timestamp(day * 86_400 - offset + NIGHTLY_HOUR * 3600, 0).unwrap_or(now)
}

/// A trial's comparison as `analytics` states it (`None`: unreadable names).
pub fn comparison_of(c: &TrialComparison) -> Option<analytics::forecast::Comparison> {
    Some(analytics::forecast::Comparison {
        best_baseline: Forecaster::from_name(&c.best_baseline)?,
        model_pai: c.model_pai,
        baseline_pai: c.baseline_pai,
        difference: c.difference,
        ci95: c.ci95,
        verdict: analytics::forecast::Verdict::parse(&c.verdict)?,
    })
}

/// What a county's forecast says of its method: the trial's finding and the method used, in one
/// line per language. The trial's figures are the whole county's: a caller whose `scope` does not
/// hold the whole county is told the method only.
pub fn county_method(s: &AppState, c: &CountyForecast, choice: MethodChoice, scope: &Scope) -> CountyMethod {
    let name = s.geography.region(c.county).map(|r| r.region.name.clone()).unwrap_or_else(|| c.county.to_string());
    let chosen_by = match (choice, &c.trial) {
        (MethodChoice::Fixed(_), _) => "request",
        (MethodChoice::ByTrial, Some(_)) => "trial",
        (MethodChoice::ByTrial, None) => "no_trial",
    };
    let reveal = scope.allows_region(c.county);
    let comparison =
        c.trial.as_ref().filter(|_| reveal).and_then(|t| Some((t, comparison_of(t.comparison.as_ref()?)?)));
    let (label_zh, label_en) = (c.method.label_zh(), c.method.label_en());
    let (found_zh, found_en) = match (&comparison, &c.trial) {
        (Some((t, cmp)), _) => (
            format!("{name}近 {} 周（{} 个班次）：{}", t.weeks(), t.shifts, cmp.summary_zh()),
            format!("{name}, last {} weeks ({} shifts): {}", t.weeks(), t.shifts, cmp.summary_en()),
        ),
        (None, Some(t)) if !reveal => (
            format!("{name}按近 {} 周的预测方法回测选定方法", t.weeks()),
            format!("{name}'s method was chosen by its forecast trial over the last {} weeks", t.weeks()),
        ),
        (None, Some(_)) => {
            (format!("{name}的回测没有可评的警情"), format!("{name}'s forecast trial had no incidents to score"))
        }
        (None, None) => (format!("{name}尚无预测方法回测"), format!("{name} has no forecast trial yet")),
    };
    let (summary_zh, summary_en) = match chosen_by {
        "request" => (format!("{found_zh}；按要求采用{label_zh}。"), format!("{found_en}; using {label_en} as asked.")),
        "no_trial" => (format!("{found_zh}，暂用{label_zh}。"), format!("{found_en}: using {label_en} for now.")),
        _ => (format!("{found_zh}；采用{label_zh}。"), format!("{found_en}; using {label_en}.")),
    };
    CountyMethod {
        county_code: c.county,
        county_name: name,
        method: c.method.name(),
        label_zh,
        label_en,
        chosen_by: chosen_by.to_owned(),
        trial: comparison.map(|(t, cmp)| TrialBrief {
            ran_at: t.ran_at,
            weeks: t.weeks(),
            shifts: t.shifts,
            model_pai: cmp.model_pai,
            best_baseline: cmp.best_baseline.name(),
            baseline_pai: cmp.baseline_pai,
            ci95: cmp.ci95,
            verdict: cmp.verdict.as_str().to_owned(),
        }),
        fitted: c.fitted.map(|f| FittedForecast {
            own_cell_share: f.own_cell_share,
            background_m: f.background_m,
            trigger_m: f.trigger_m,
            decay_per_day: f.decay_per_day,
            boost: f.boost,
            by_hour: f.by_hour,
            recency_days: f.recency_days,
        }),
        summary_zh,
        summary_en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_trial_scores_one_shift_a_day_each_shift_of_the_day_in_turn() {
        // 2026-11-01 12:00 local.
        let shifts = trial_shifts(t("2026-11-01T04:00:00Z"));
        assert_eq!(shifts.len(), 56);
        assert!(shifts.windows(2).all(|w| w[0] < w[1]));
        let hours: Vec<u32> = shifts.iter().map(|&s| model::time::local_hour_weekday_unix(s).0).collect();
        assert_eq!(hours.iter().filter(|h| **h == 0).count(), 19);
        assert!(hours.iter().all(|h| [0, 8, 16].contains(h)));
        assert_eq!(hours[0..3].iter().collect::<std::collections::HashSet<_>>().len(), 3);
        // The last shift ends by the local midnight before `now`.
        let last_end = shifts[55] + SHIFT_HOURS * 3600;
        assert!(last_end <= t("2026-10-31T16:00:00Z").timestamp(), "{last_end}");
    }

    #[test]
    fn a_trial_is_due_once_a_night_after_three_oclock() {
        let trial = |ran: &str| ForecastTrial {
            county: "620602000000".parse().unwrap(),
            ran_at: t(ran),
            by: "safegrid".into(),
            first_shift: t(ran),
            last_shift: t(ran),
            shifts: 1,
            shift_hours: 8,
            train_days: 365,
            area_share: 0.05,
            area_cells: 1,
            incidents: 0,
            scores: Vec::new(),
            comparison: None,
            chosen: "kde".into(),
        };
        // 03:00 local on 1 November is 2026-10-31T19:00Z.
        let now = t("2026-10-31T19:30:00Z");
        assert!(due(None, now));
        assert!(due(Some(&trial("2026-10-31T18:59:00Z")), now));
        assert!(!due(Some(&trial("2026-10-31T19:00:00Z")), now));
        assert!(!due(Some(&trial("2026-10-31T19:00:00Z")), t("2026-11-01T18:59:00Z")));
        assert!(due(Some(&trial("2026-10-31T19:00:00Z")), t("2026-11-01T19:00:00Z")));
        assert_eq!(next_nightly(now), t("2026-11-01T19:00:00Z"));
    }
}
