//! The hot-spot engine over the grid cells of the caller's jurisdiction. The study area never
//! reaches outside it, so no statistic depends on data the caller may not see. Every answer is a
//! GeoJSON FeatureCollection with `parameters` stating the method in words (Chinese and English).
//!
//! - `GET /api/hotspots?method=gi-star|optimized|local-moran&weights=distance:M&region=&from=&to=&category=`
//! - `GET /api/hotspots/emerging?step_days=7&steps=12&to=&…`: Esri's seventeen outcomes per cell
//! - `GET /api/hotspots/kde?bandwidth_m=&…`: quartic kernel density at each cell (incidents/km²)
//! - `GET /api/hotspots/near-repeat?to=&days=&…`: Knox test per category and the open alerts
//! - `GET /api/hotspots/forecast?at=&hours=8&area_share=0.05&…`: the self-exciting shift forecast

use super::DEFAULT_WINDOW_DAYS;
use super::error::AppError;
use super::features::{typed_feature_with_bbox, typed_geojson_response};
use super::params::Params;
use crate::auth::Caller;
use crate::cell_hotspots::{
    DEFAULT_BAND_M, FORECAST_TRAIN_DAYS, HotspotError, LISA_PERMUTATIONS, MAX_LISA_LINKS, MethodChoice, ShiftForecast,
    StudyArea, band_neighbours, shift_forecast,
};
use crate::incident_index::IncidentPoint;
use crate::state::AppState;
use analytics::emerging::emerging_hot_spots;
use analytics::forecast::{Forecaster, selected_count};
use analytics::gi_star::{MIN_FEATURES, hot_spots};
use analytics::kde::{default_bandwidth_m, density_per_km2};
use analytics::knox::{Event, KnoxParams, knox};
use analytics::moran::lisa_clusters;
use analytics::optimized::scale_of_analysis;
use analytics::weights::Weights;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use model::Category;
use model::api::geo::{Analysed, Feature, FeatureCollection, FeatureId};
use model::api::hotspots::{
    CellResult, CountyMethod, DensityCell, Description, EmergingCell, EmergingParameters, ForecastParameters,
    GiStarCell, HotspotParameters, KdeParameters, KnoxBand, KnoxTable, LisaCell, NearRepeatAlert, NearRepeatParameters,
    RiskCell,
};
use serde::Serialize;

/// One feature per study cell with `values(k)` beside its code and name.
fn features<V>(area: &StudyArea, s: &AppState, mut values: impl FnMut(usize) -> V) -> Vec<Feature<CellResult<V>>> {
    area.cells
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let cell = &s.geography.cells()[i as usize];
            let properties = CellResult { code: cell.cell.code, name: cell.cell.name.clone(), values: values(k) };
            typed_feature_with_bbox(FeatureId::Text(cell.cell.code.to_string()), &cell.boundary, properties)
        })
        .collect()
}

/// The common window: `to` defaults to now, `from` to `days` before it.
fn window(s: &AppState, query: &mut crate::query::IncidentQuery, days: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = query.to.unwrap_or_else(|| s.clock.now());
    let from = query.from.unwrap_or(to - Duration::days(days));
    (query.from, query.to) = (Some(from), Some(to));
    (from, to)
}

fn number(p: &mut Params, name: &str, default: f64, range: std::ops::RangeInclusive<f64>) -> Result<f64, AppError> {
    match p.one(name)? {
        None => Ok(default),
        Some(v) => match v.parse::<f64>() {
            Ok(x) if range.contains(&x) => Ok(x),
            _ => Err(AppError::bad(name, format!("{name} must be a number from {} to {}", range.start(), range.end()))),
        },
    }
}

fn answer<P: Serialize, X: Serialize>(features: Vec<Feature<P>>, parameters: X, warnings: Vec<String>) -> Response {
    typed_geojson_response(&FeatureCollection::new(features, Analysed { parameters, warnings }))
}

fn band_of(p: &mut Params) -> Result<f64, AppError> {
    match p.one("weights")? {
        None => Ok(DEFAULT_BAND_M),
        Some(w) => match Weights::parse(&w).map_err(|m| AppError::bad("weights", m))? {
            Weights::Distance(m) => Ok(m),
            Weights::Queen => Err(AppError::bad("weights", "grid cells are polygons: use distance:METRES")),
        },
    }
}

/// The statistics of one hot-spot request.
enum Stats {
    Lisa((Vec<analytics::moran::LisaCluster>, Vec<String>)),
    GiStar((Vec<analytics::gi_star::HotSpot>, Vec<String>)),
}

/// The cells of a hot-spot answer, by statistic.
enum CellFeatures {
    Lisa(Vec<Feature<CellResult<LisaCell>>>),
    GiStar(Vec<Feature<CellResult<GiStarCell>>>),
}

pub async fn hotspots(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    let method = p.one("method")?.unwrap_or_else(|| "gi-star".into());
    if !["gi-star", "optimized", "local-moran"].contains(&method.as_str()) {
        return Err(AppError::bad("method", "method must be gi-star, optimized or local-moran"));
    }
    let band_m = band_of(&mut p)?;
    p.finish()?;
    let (from, to) = window(&s, &mut query, DEFAULT_WINDOW_DAYS);
    let filter = query.filter(&s.geography, &caller.scope)?;
    let area = StudyArea::of(&s, &filter);
    area.check_band(band_m)?;
    let values = area.counts(&s, &filter).await?;
    let (centres_m, counts) = (area.centres_m.clone(), values.clone());
    let local_moran = method == "local-moran";
    let optimized = method == "optimized";
    // The statistics are CPU work bounded by the band and neighbour caps: a job off the async
    // workers.
    let computed = s
        .jobs
        .run(move |cancel| {
            let scale = if optimized { Some(scale_of_analysis(&counts, &centres_m)) } else { None };
            cancel.check()?;
            let band_m = match &scale {
                Some(Some(scale)) => scale.band_m.round(),
                _ => band_m,
            };
            let w = band_neighbours(&centres_m, band_m).and_then(|w| {
                let links: usize = (0..w.len()).map(|i| w.of(i).len()).sum();
                if local_moran && links > MAX_LISA_LINKS {
                    return Err(HotspotError::TooManyLinks { band_m, links });
                }
                Ok(w)
            });
            cancel.check()?;
            let stats = w.map(|w| {
                if local_moran {
                    Stats::Lisa(lisa_clusters(&counts, &w, LISA_PERMUTATIONS, 1))
                } else {
                    Stats::GiStar(hot_spots(&counts, &w, true))
                }
            });
            Ok((scale, band_m, stats))
        })
        .await?;
    let (scale, band_m, stats) = computed;
    let stats = stats?;
    let mut how_zh = String::new();
    let mut how_en = String::new();
    if let Some(scale) = scale {
        match scale {
            Some(scale) => {
                (how_zh, how_en) = if scale.peak {
                    (
                        format!("邻域距离由增量空间自相关选定（全局莫兰指数 z 值在 {band_m} 米处首次达到峰值）；"),
                        format!(
                            "the neighbourhood was chosen where clustering peaks (Global Moran's I z first peaks at {band_m} m); "
                        ),
                    )
                } else {
                    (
                        format!("空间自相关无峰值，邻域取到最近 5% 网格的平均距离（{band_m} 米）；"),
                        format!(
                            "clustering shows no peak, so the neighbourhood is the mean distance to the nearest 5% of cells ({band_m} m); "
                        ),
                    )
                };
            }
            None => {
                (how_zh, how_en) =
                    ("所有网格计数相同，无空间模式；".into(), "every cell has the same count: no pattern; ".into())
            }
        }
    }
    let n = area.cells.len();
    let (features, zh, en, warnings) = match stats {
        Stats::Lisa((lisa, warnings)) => {
            let features = features(&area, &s, |k| {
                let c = &lisa[k];
                LisaCell {
                    count: values[k],
                    local_i: c.local.i,
                    z: c.local.z_sim,
                    p: c.local.p_sim,
                    p_fdr: c.p_fdr,
                    bin: c.bin,
                    cluster: c.cluster.to_owned(),
                }
            });
            (
                CellFeatures::Lisa(features),
                format!(
                    "局部莫兰指数（LISA）聚集与异常：{n} 个网格，邻域为中心相距 {band_m} 米以内的网格，{LISA_PERMUTATIONS} 次条件置换，已做错误发现率（FDR）校正。HH 高高聚集，LL 低低聚集，HL/LH 为异常值。"
                ),
                format!(
                    "Local Moran's I (LISA) clusters and outliers over {n} grid cells; neighbours are cells whose centres lie within {band_m} m; {LISA_PERMUTATIONS} conditional permutations; corrected for false discoveries (FDR). HH high-high cluster, LL low-low cluster, HL/LH outliers."
                ),
                warnings,
            )
        }
        Stats::GiStar((cells, warnings)) => {
            let features = features(&area, &s, |k| {
                let c = &cells[k];
                GiStarCell { count: values[k], z: c.z, p: c.p, p_fdr: c.p_fdr, bin: c.bin }
            });
            (
                CellFeatures::GiStar(features),
                format!(
                    "Getis-Ord Gi* 热点分析：{n} 个网格，{how_zh}邻域为中心相距 {band_m} 米以内的网格，已做错误发现率（FDR）校正；置信度 99%/95%/90% 对应 ±3/±2/±1。"
                ),
                format!(
                    "Getis-Ord Gi* hot spots over {n} grid cells; {how_en}neighbours are cells whose centres lie within {band_m} m; corrected for false discoveries (FDR); bins ±3/±2/±1 = 99/95/90% confidence."
                ),
                warnings,
            )
        }
    };
    let parameters = HotspotParameters {
        method,
        cells: n,
        neighbourhood_m: band_m,
        fdr: true,
        from,
        to,
        description: Description { description_zh: zh, description_en: en },
    };
    Ok(match features {
        CellFeatures::Lisa(features) => answer(features, parameters, warnings),
        CellFeatures::GiStar(features) => answer(features, parameters, warnings),
    })
}

pub async fn emerging(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    if query.from.is_some() {
        return Err(AppError::bad("from", "emerging hot spots run back from `to` over `steps` × `step_days`"));
    }
    let step_days = number(&mut p, "step_days", 7.0, 1.0..=90.0)? as i64;
    let steps = number(&mut p, "steps", 12.0, 4.0..=52.0)? as i64;
    let band_m = band_of(&mut p)?;
    p.finish()?;
    let to = query.to.unwrap_or_else(|| s.clock.now());
    let from = to - Duration::days(step_days * steps);
    query.from = Some(from);
    let filter = query.filter(&s.geography, &caller.scope)?;
    let area = StudyArea::of(&s, &filter);
    area.check_band(band_m)?;
    let mut cube: Vec<Vec<f64>> = Vec::with_capacity(steps as usize);
    for t in 0..steps {
        let mut f = filter.clone();
        f.from_s = Some((from + Duration::days(step_days * t)).timestamp());
        f.to_s = Some((from + Duration::days(step_days * (t + 1))).timestamp());
        cube.push(area.counts(&s, &f).await?);
    }
    let (centres_m, counts) = (area.centres_m.clone(), cube.clone());
    let patterns = s
        .jobs
        .run(move |cancel| {
            let w = band_neighbours(&centres_m, band_m);
            cancel.check()?;
            Ok(w.map(|w| emerging_hot_spots(&counts, &w)))
        })
        .await??;
    let n = area.cells.len();
    let warnings = if n < MIN_FEATURES {
        vec![format!("only {n} cells: fewer than {MIN_FEATURES} makes Gi* unreliable")]
    } else {
        vec![]
    };
    let features = features(&area, &s, |k| {
        let (zh, en) = patterns[k].label();
        EmergingCell {
            pattern: patterns[k].as_str().to_owned(),
            label_zh: zh.to_owned(),
            label_en: en.to_owned(),
            counts: cube.iter().map(|c| c[k]).collect(),
        }
    });
    let parameters = EmergingParameters {
        method: "emerging".into(),
        cells: n,
        step_days,
        steps,
        neighbourhood_m: band_m,
        fdr: true,
        from,
        to,
        description: Description {
            description_zh: format!(
                "时空热点趋势：{n} 个网格 × {steps} 个时段（每段 {step_days} 天），每个时段做 Gi*（邻域 {band_m} 米，FDR 校正），再以 Mann-Kendall 检验各网格趋势，按 Esri 的 17 类模式归类。"
            ),
            description_en: format!(
                "Emerging hot spots: {n} grid cells × {steps} steps of {step_days} days; Gi* per step (neighbours within {band_m} m, FDR), a Mann-Kendall trend per cell, and Esri's seventeen patterns."
            ),
        },
    };
    Ok(answer(features, parameters, warnings))
}

pub async fn kde(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    let given = p.one("bandwidth_m")?;
    p.finish()?;
    let (from, to) = window(&s, &mut query, DEFAULT_WINDOW_DAYS);
    let filter = query.filter(&s.geography, &caller.scope)?;
    let area = StudyArea::of(&s, &filter);
    let mut points = Vec::new();
    s.for_each_incident(&filter, |pt| {
        let (x, y) = area.utm.forward(pt.lon, pt.lat);
        points.push([x, y]);
    })
    .await?;
    let (bandwidth_m, rule) = match given {
        Some(v) => match v.parse::<f64>() {
            Ok(h) if (10.0..=50_000.0).contains(&h) && h <= area.extent_m().max(DEFAULT_BAND_M) => (h, "given"),
            _ => {
                return Err(AppError::bad(
                    "bandwidth_m",
                    format!(
                        "bandwidth_m must be 10 to 50000 metres and at most the study area's extent ({} m)",
                        area.extent_m().max(DEFAULT_BAND_M).ceil()
                    ),
                ));
            }
        },
        None => (default_bandwidth_m(&points).unwrap_or(1_000.0).round(), "arcgis-default"),
    };
    let n_points = points.len();
    let centres_m = area.centres_m.clone();
    let density = s.jobs.run(move |_| Ok(density_per_km2(&points, &centres_m, bandwidth_m))).await?;
    let features = features(&area, &s, |k| DensityCell { density_per_km2: density[k] });
    let parameters = KdeParameters {
        method: "kde".into(),
        cells: area.cells.len(),
        incidents: n_points,
        kernel: "quartic".into(),
        bandwidth_m,
        bandwidth_rule: rule.into(),
        from,
        to,
        description: Description {
            description_zh: format!(
                "核密度估计：{} 起警情，四次核，带宽 {bandwidth_m} 米（{}），在每个网格中心计算，单位：起/平方公里。",
                n_points,
                if rule == "given" { "指定" } else { "ArcGIS 默认规则：0.9·min(SD, √(1/ln2)·Dm)·n^-0.2" }
            ),
            description_en: format!(
                "Kernel density of {} incidents: quartic kernel, bandwidth {bandwidth_m} m ({}), at each grid cell's centre, incidents per km².",
                n_points,
                if rule == "given" { "as given" } else { "ArcGIS default rule 0.9·min(SD, √(1/ln 2)·Dm)·n^-0.2" }
            ),
        },
    };
    Ok(answer(features, parameters, vec![]))
}

pub async fn near_repeat(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    let days = number(&mut p, "days", 180.0, 28.0..=730.0)? as i64;
    p.finish()?;
    let (from, to) = window(&s, &mut query, days);
    let filter = query.filter(&s.geography, &caller.scope)?;
    let utm = s.geography.projection();
    let mut by_category: Vec<(Category, Vec<IncidentPoint>)> = Vec::new();
    s.for_each_incident(&filter, |pt| match by_category.iter_mut().find(|(c, _)| *c == pt.category) {
        Some((_, points)) => points.push(*pt),
        None => by_category.push((pt.category, vec![*pt])),
    })
    .await?;
    by_category.sort_by_key(|(c, _)| c.as_str());
    let params = KnoxParams::standard(1);
    let (d0, t0) = (params.distance_bands_m[0], params.time_bands_s[0]);
    let events_of = |points: &[IncidentPoint]| -> Vec<Event> {
        points
            .iter()
            .map(|pt| {
                let (x_m, y_m) = utm.forward(pt.lon, pt.lat);
                Event { x_m, y_m, t_s: pt.occurred_s }
            })
            .collect()
    };
    // The Knox tests (Monte Carlo simulations over every pair in the band) are one job; a
    // category with too few incidents is not tested.
    let tested: Vec<Vec<Event>> =
        by_category.iter().map(|(_, points)| if points.len() < 30 { Vec::new() } else { events_of(points) }).collect();
    let knox_params = params.clone();
    let results = s
        .jobs
        .run(move |cancel| {
            let mut out = Vec::with_capacity(tested.len());
            for events in &tested {
                cancel.check()?;
                out.push((!events.is_empty()).then(|| knox(events, &knox_params)));
            }
            Ok(out)
        })
        .await?;
    let mut tables = Vec::new();
    let mut features = Vec::new();
    for ((category, points), result) in by_category.iter().zip(results) {
        let Some(result) = result else {
            tables.push(KnoxTable {
                category: category.as_str().to_owned(),
                incidents: points.len(),
                tested: false,
                ratio: None,
                p: None,
                near_repeat: None,
                bands: Vec::new(),
            });
            continue;
        };
        let events = events_of(points);
        let first = result.cells[0][0];
        let significant = first.p <= 0.05 && first.ratio > 1.0;
        tables.push(KnoxTable {
            category: category.as_str().to_owned(),
            incidents: points.len(),
            tested: true,
            ratio: Some(first.ratio),
            p: Some(first.p),
            near_repeat: Some(significant),
            bands: result
                .cells
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|c| KnoxBand { observed: c.observed, expected: c.expected, ratio: c.ratio, p: c.p })
                        .collect()
                })
                .collect(),
        });
        if !significant {
            continue;
        }
        // Alerts: incidents whose near-repeat window is still open at `to`.
        for (e, pt) in events.iter().zip(points) {
            if e.t_s + t0 > to.timestamp() && e.t_s <= to.timestamp() {
                let id = pt.id.0;
                let cell = &s.geography.cells()[pt.cell as usize];
                // The cells the alert circle touches: its centre and 16 points of its rim, those in
                // the caller's jurisdiction.
                let (x, y) = (e.x_m, e.y_m);
                let mut around: Vec<u32> = (0..16)
                    .filter_map(|k| {
                        let a = f64::from(k) * std::f64::consts::PI / 8.0;
                        let (lon, lat) = utm.inverse(x + d0 * a.cos(), y + d0 * a.sin());
                        s.geography.locate(lon, lat)
                    })
                    .chain([pt.cell])
                    .filter(|c| filter.scope.contains(*c))
                    .collect();
                around.sort_unstable();
                around.dedup();
                let cells: Vec<String> =
                    around.iter().map(|&c| s.geography.cells()[c as usize].cell.code.to_string()).collect();
                let alert = NearRepeatAlert {
                    id,
                    category: category.as_str().to_owned(),
                    cell_code: cell.cell.code,
                    occurred_at: DateTime::<Utc>::from_timestamp(e.t_s, 0),
                    expires_at: DateTime::<Utc>::from_timestamp(e.t_s + t0, 0),
                    radius_m: d0,
                    ratio: first.ratio,
                    cells,
                };
                features.push(Feature::point(FeatureId::Number(id), pt.lon, pt.lat, alert));
            }
        }
    }
    let alerts = features.len();
    let parameters = NearRepeatParameters {
        method: "near-repeat".into(),
        from,
        to,
        distance_bands_m: params.distance_bands_m.clone(),
        time_bands_days: params.time_bands_s.iter().map(|t| t / 86_400).collect(),
        simulations: params.simulations,
        knox: tables,
        alerts,
        description: Description {
            description_zh: format!(
                "近重复分析：按类别做 Knox 检验（{d0} 米 × {} 天，{} 次蒙特卡洛模拟）；对存在近重复效应的类别，近 {} 天内的警情周边 {d0} 米为高风险区（共 {alerts} 处）。",
                t0 / 86_400,
                params.simulations,
                t0 / 86_400
            ),
            description_en: format!(
                "Near-repeat: a Knox test per category ({d0} m × {} days, {} Monte Carlo simulations); for categories with a near-repeat effect, the {d0} m around each incident of the last {} days is at raised risk ({alerts} alerts).",
                t0 / 86_400,
                params.simulations,
                t0 / 86_400
            ),
        },
    };
    Ok(answer(features, parameters, vec![]))
}

pub async fn forecast(State(s): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let mut p = Params::parse(q.as_deref());
    let mut query = p.incident_query(false)?;
    if query.from.is_some() || query.to.is_some() {
        return Err(AppError::bad("from", "a forecast starts at `at` and uses the year before it"));
    }
    let at = match p.one("at")? {
        None => s.clock.now(),
        Some(v) => model::time::parse_timestamp(&v).map_err(|e| AppError::bad("at", e))?,
    };
    let hours = number(&mut p, "hours", 8.0, 1.0..=72.0)?;
    let area_share = number(&mut p, "area_share", 0.05, 0.001..=0.5)?;
    let choice = match p.one("method")?.as_deref() {
        None | Some("auto") => MethodChoice::ByTrial,
        Some(name) => MethodChoice::Fixed(Forecaster::from_name(name).ok_or_else(|| {
            let names: Vec<String> = Forecaster::ALL.iter().map(Forecaster::name).collect();
            AppError::bad("method", format!("unknown method {name:?}; expected auto or one of {}", names.join(", ")))
        })?),
    };
    p.finish()?;
    query.from = Some(at - Duration::days(FORECAST_TRAIN_DAYS));
    query.to = Some(at);
    let filter = query.filter(&s.geography, &caller.scope)?;
    let ShiftForecast { area, parts, counties, incidents } =
        shift_forecast(&s, &filter, at, hours, area_share, choice).await?;
    let risk = &parts.risk;
    let train_days = FORECAST_TRAIN_DAYS;
    // Rank 1 is the riskiest (ties: lower index first, as the flagging does); the top ranks are flagged.
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_by(|&a, &b| risk[b].total_cmp(&risk[a]).then(a.cmp(&b)));
    let mut rank = vec![0usize; risk.len()];
    for (r, &k) in order.iter().enumerate() {
        rank[k] = r + 1;
    }
    let n_flagged = selected_count(risk.len(), area_share);
    let features = features(&area, &s, |k| RiskCell {
        risk: risk[k],
        rank: rank[k],
        flagged: rank[k] <= n_flagged,
        background_share: parts.background_share(k),
    });
    let methods: Vec<CountyMethod> =
        counties.iter().map(|c| crate::forecast_trials::county_method(&s, c, choice, &caller.scope)).collect();
    // The model in words where it is used: how much of the shift's risk is the places'
    // long-term pattern and how much the last days' incidents, and its best-ranked parameters.
    // Over the cells forecast by the model (a simple map is all background).
    let modelled_counties: Vec<model::RegionCode> =
        counties.iter().filter(|c| c.fitted.is_some()).map(|c| c.county).collect();
    let modelled: Vec<usize> = (0..area.cells.len())
        .filter(|&k| {
            let county = s.geography.cell_code(area.cells[k]).village().truncate(model::RegionLevel::County);
            modelled_counties.contains(&county)
        })
        .collect();
    let (model_risk, model_background) =
        modelled.iter().fold((0.0, 0.0), |(r, b), &k| (r + parts.risk[k], b + parts.background[k]));
    let background_pct = if model_risk > 0.0 { (model_background / model_risk).clamp(0.0, 1.0) * 100.0 } else { 100.0 };
    let mut explained_zh = String::new();
    let mut explained_en = String::new();
    if let Some(fitted) = counties.iter().find_map(|c| c.fitted) {
        explained_zh = format!(
            "模型所预测网格的预期警情中约 {background_pct:.0}% 来自各处长期规律，{:.0}% 来自近期警情的激发（模型最佳参数：本格历史权重 {:.0}%，背景平滑半径 {:.0} 米，激发半径 {:.0} 米，激发每天衰减 {:.1}，每起警情平均引发 {:.1} 起{}{}）。",
            100.0 - background_pct,
            fitted.own_cell_share * 100.0,
            fitted.background_m,
            fitted.trigger_m,
            fitted.decay_per_day,
            fitted.boost,
            if fitted.by_hour { "；背景按各网格自身在该时段的警情比例调整" } else { "" },
            fitted
                .recency_days
                .map_or(String::new(), |d| format!("；背景中近期警情权重更大（{d:.0} 天前的警情约计 37%）")),
        );
        explained_en = format!(
            " About {background_pct:.0}% of the expected incidents come from each place's long-term pattern and {:.0}% from the boost after recent incidents (the model's best-ranked parameters: own-cell weight {:.0}%, background radius {:.0} m, trigger radius {:.0} m, decay {:.1} per day, {:.1} follow-on incidents per incident{}{}).",
            100.0 - background_pct,
            fitted.own_cell_share * 100.0,
            fitted.background_m,
            fitted.trigger_m,
            fitted.decay_per_day,
            fitted.boost,
            if fitted.by_hour {
                "; the background follows each cell's own share of incidents at these hours"
            } else {
                ""
            },
            fitted.recency_days.map_or(String::new(), |d| format!(
                "; the background weighs recent incidents more (one {d:.0} days old counts about 37%)"
            )),
        );
    }
    let (how_zh, how_en) = match choice {
        MethodChoice::ByTrial => (
            "各县区用其回测中胜出的方法（无回测时用自激点过程模型：长期背景 + 近期警情的短时激发）".to_owned(),
            "each county by the method that won its backtest (without one, the self-exciting model: a long-term background plus short-lived boosts after recent incidents)".to_owned(),
        ),
        MethodChoice::Fixed(m) => (format!("按要求各县区均用{}", m.label_zh()), format!("every county by {}, as asked", m.label_en())),
    };
    let parameters = ForecastParameters {
        method: match choice {
            MethodChoice::ByTrial => "auto".to_owned(),
            MethodChoice::Fixed(m) => m.name(),
        },
        at,
        hours,
        train_days,
        incidents,
        cells: area.cells.len(),
        area_share,
        flagged: n_flagged,
        ensemble: analytics::forecast::ENSEMBLE,
        counties: methods.clone(),
        description: Description {
            description_zh: format!(
                "班次预测：{how_zh}，以此前 {train_days} 天 {incidents} 起警情预测 {hours} 小时内各网格的预期警情数；标出风险最高的 {n_flagged} 个网格（面积的 {:.0}%）。{explained_zh}",
                area_share * 100.0
            ),
            description_en: format!(
                "Shift forecast: {how_en}, from the {incidents} incidents of the previous {train_days} days; expected incidents per cell over the next {hours} hours; the {n_flagged} riskiest cells ({:.0}% of the area) flagged.{explained_en}",
                area_share * 100.0
            ),
        },
    };
    Ok(answer(features, parameters, vec![]))
}
