//! `safegrid hotspots` and `safegrid backtest` for analysts working on any CSV of points:
//! aggregation into square cells in the data's UTM zone or H3 hexagons, then Gi*, optimized Gi*
//! or local Moran's I; or a rolling-origin backtest of shift forecasts. The statistics live in
//! `analytics`; this module reads the file and writes the table.

use crate::config::{BacktestArgs, HotspotArgs, HotspotMethod, OutputFormat, PointsArgs, TableFormat};
use analytics::TransverseMercator;
use analytics::forecast::{BacktestSpec, CellEvent, Forecaster, Study, backtest as forecast_backtest, compare};
use analytics::gi_star::hot_spots;
use analytics::hex_grid::HexGrid;
use analytics::moran::lisa_clusters;
use analytics::optimized::scale_of_analysis;
use analytics::projection::utm_zone;
use analytics::square_grid::SquareGrid;
use analytics::weights::Neighbours;
use analytics::weights::Weights;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use model::time::parse_timestamp;
use serde_json::json;
use std::io::Write;

/// What to read from a CSV of points.
#[derive(Debug, Clone, Default)]
pub struct PointQuery<'a> {
    /// Longitude column.
    pub lon_col: &'a str,
    /// Latitude column.
    pub lat_col: &'a str,
    /// Time column (needed for a window).
    pub time_col: Option<&'a str>,
    /// Only at or after.
    pub from: Option<DateTime<Utc>>,
    /// Only before.
    pub to: Option<DateTime<Utc>>,
    /// The study area `[minLon, minLat, maxLon, maxLat]`; points outside are skipped.
    pub bbox: Option<[f64; 4]>,
}

/// The points read from a CSV file.
#[derive(Debug, Clone, Default)]
pub struct ReadPoints {
    /// WGS84 (lon, lat) of each point.
    pub lonlat: Vec<(f64, f64)>,
    /// The time of each point (empty without a time column).
    pub times: Vec<DateTime<Utc>>,
    /// Rows skipped: no coordinates, or outside the study area.
    pub skipped: usize,
}

/// The points of a CSV file (WGS84) matching `q`, and how many rows were skipped (no
/// coordinates, or outside the study area). Errors name the line.
pub fn read_points(input: impl std::io::Read, q: &PointQuery<'_>) -> anyhow::Result<ReadPoints> {
    let (lon_col, lat_col, time_col, window) = (q.lon_col, q.lat_col, q.time_col, (q.from, q.to));
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().context("line 1: reading the header")?.clone();
    let col = |flag: &str, name: &str| {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| {
            anyhow::anyhow!(
                "line 1: no column {name:?} ({flag}); the header has: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let (lon_i, lat_i) = (col("--lon-col", lon_col)?, col("--lat-col", lat_col)?);
    let time_i = time_col.map(|t| col("--time-col", t)).transpose()?;
    let mut out = ReadPoints::default();
    for record in reader.records() {
        let record = record.map_err(|e| anyhow::anyhow!("line {}: {e}", e.position().map_or(0, |p| p.line())))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (lon, lat) = (field(lon_i), field(lat_i));
        if lon.is_empty() || lat.is_empty() {
            out.skipped += 1;
            continue;
        }
        let number = |v: &str, name: &str| -> anyhow::Result<f64> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| anyhow::anyhow!("line {line}: {name} {v:?} is not a number"))
        };
        let (lon, lat) = (number(lon, "longitude")?, number(lat, "latitude")?);
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            bail!("line {line}: ({lon}, {lat}) is not a WGS84 longitude and latitude");
        }
        if q.bbox.is_some_and(|b| lon < b[0] || lat < b[1] || lon > b[2] || lat > b[3]) {
            out.skipped += 1;
            continue;
        }
        if let Some(ti) = time_i {
            let t = parse_timestamp(field(ti)).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
            if window.0.is_some_and(|f| t < f) || window.1.is_some_and(|to| t >= to) {
                continue;
            }
            out.times.push(t);
        }
        out.lonlat.push((lon, lat));
    }
    Ok(out)
}

/// The cells points are aggregated into: squares in the data's UTM zone, or H3 hexagons.
#[derive(Debug, Clone)]
pub enum Layout {
    /// A square grid.
    Square(SquareGrid),
    /// H3 hexagons, with the UTM projection used for distances.
    Hex(HexGrid, TransverseMercator),
}

impl Layout {
    /// The layout covering `points` for the grid flags.
    pub fn covering(points: &[(f64, f64)], args: &PointsArgs) -> anyhow::Result<Layout> {
        if points.is_empty() {
            bail!("no points with coordinates in the file");
        }
        match args.h3_resolution {
            Some(r) => {
                let grid = HexGrid::covering(points, r).map_err(|e| anyhow::anyhow!("--h3-resolution: {e}"))?;
                let n = points.len() as f64;
                let (lon, lat) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
                Ok(Layout::Hex(grid, TransverseMercator::utm_for(lon, lat)))
            }
            None => {
                if !(args.cell_m.is_finite() && args.cell_m > 0.0) {
                    bail!("--cell-m must be a positive number of metres");
                }
                let grid = SquareGrid::covering(points, args.cell_m)
                    .ok_or_else(|| anyhow::anyhow!("no points with coordinates in the file"))?;
                if grid.len() > 4_000_000 {
                    bail!(
                        "the grid would have {} cells ({} × {}): use a larger --cell-m or a --bbox (a few misplaced points far away make the extent huge)",
                        grid.len(),
                        grid.cols,
                        grid.rows
                    );
                }
                Ok(Layout::Square(grid))
            }
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            Layout::Square(g) => g.len(),
            Layout::Hex(g, _) => g.len(),
        }
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell of a point.
    pub fn cell_of(&self, lon: f64, lat: f64) -> Option<usize> {
        match self {
            Layout::Square(g) => g.cell_of(lon, lat).map(|(r, c)| r as usize * g.cols as usize + c as usize),
            Layout::Hex(g, _) => g.cell_of(lon, lat),
        }
    }

    /// Points per cell, zero counts included.
    pub fn counts(&self, points: &[(f64, f64)]) -> Vec<f64> {
        match self {
            Layout::Square(g) => g.counts(points),
            Layout::Hex(g, _) => g.counts(points),
        }
    }

    /// Projected metres of a point.
    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        let (x, y) = match self {
            Layout::Square(g) => g.projection.forward(lon, lat),
            Layout::Hex(_, p) => p.forward(lon, lat),
        };
        [x, y]
    }

    /// Cell centres, projected metres.
    pub fn centres_m(&self) -> Vec<[f64; 2]> {
        match self {
            Layout::Square(g) => g.centres_m(),
            Layout::Hex(g, _) => (0..g.len())
                .map(|i| {
                    let (lon, lat) = g.centre_lonlat(i);
                    self.project(lon, lat)
                })
                .collect(),
        }
    }

    /// Neighbours by `weights`.
    pub fn neighbours(&self, weights: Weights) -> Neighbours {
        match (self, weights) {
            (Layout::Square(g), Weights::Queen) => Neighbours::queen_lattice(g.rows, g.cols),
            (Layout::Hex(g, _), Weights::Queen) => g.edge_neighbours(),
            (_, Weights::Distance(m)) => Neighbours::distance_band(&self.centres_m(), m),
        }
    }

    /// The cell's name: its number on a square grid, its H3 index on hexagons.
    pub fn id(&self, i: usize) -> String {
        match self {
            Layout::Square(_) => i.to_string(),
            Layout::Hex(g, _) => g.id(i),
        }
    }

    /// Row and column on a square grid.
    pub fn row_col(&self, i: usize) -> Option<(u32, u32)> {
        match self {
            Layout::Square(g) => Some(((i / g.cols as usize) as u32, (i % g.cols as usize) as u32)),
            Layout::Hex(..) => None,
        }
    }

    /// The centre, (lon, lat).
    pub fn centre_lonlat(&self, i: usize) -> (f64, f64) {
        match self {
            Layout::Square(g) => {
                let (r, c) = (i / g.cols as usize, i % g.cols as usize);
                g.centre_lonlat(r as u32, c as u32)
            }
            Layout::Hex(g, _) => g.centre_lonlat(i),
        }
    }

    /// The closed boundary, (lon, lat).
    pub fn ring(&self, i: usize) -> Vec<(f64, f64)> {
        match self {
            Layout::Square(g) => {
                let (r, c) = (i / g.cols as usize, i % g.cols as usize);
                g.cell_ring(r as u32, c as u32).to_vec()
            }
            Layout::Hex(g, _) => g.ring(i),
        }
    }

    /// In words, for the summary line.
    pub fn describe(&self) -> String {
        match self {
            Layout::Square(g) => format!(
                "{} squares of {} m ({} × {}) in UTM zone {}",
                g.len(),
                g.cell_m,
                g.cols,
                g.rows,
                utm_zone(g.projection.central_meridian_deg())
            ),
            Layout::Hex(g, _) => format!(
                "{} H3 hexagons of resolution {} (edges ≈ {:.0} m)",
                g.len(),
                u8::from(g.resolution),
                g.resolution.edge_length_m()
            ),
        }
    }
}

/// One cell of a hot-spot table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellResult {
    /// z-score (Gi* z, or the simulated z of local Moran's I).
    pub z: f64,
    /// Two-sided p-value (Gi*) or pseudo p-value (local Moran).
    pub p: f64,
    /// Benjamini–Hochberg adjusted p.
    pub p_fdr: f64,
    /// −3…+3: hot (cold) spot or high-high (low-low) cluster at 99/95/90% after FDR.
    pub bin: i8,
    /// Local Moran's I and its class (HH, LL, HL, LH; "" when not significant); Gi* leaves them empty.
    pub lisa: Option<(f64, &'static str)>,
}

/// What a hot-spot run computed, and how, in words.
#[derive(Debug, Clone)]
pub struct HotspotRun {
    /// One per cell.
    pub cells: Vec<CellResult>,
    /// The method's parameters for the output's header.
    pub parameters: serde_json::Value,
    /// The summary sentence.
    pub summary: String,
    /// Warnings a user must see.
    pub warnings: Vec<String>,
}

/// Runs `method` over `counts` on `layout`.
pub fn analyse(
    layout: &Layout,
    counts: &[f64],
    method: HotspotMethod,
    weights: Weights,
    permutations: usize,
    seed: u64,
) -> anyhow::Result<HotspotRun> {
    let weights_words = |w: Weights| match (w, layout) {
        (Weights::Queen, Layout::Square(_)) => {
            "queen contiguity: each cell with its 8 surrounding cells (邻接：周围8个网格)".to_owned()
        }
        (Weights::Queen, Layout::Hex(..)) => {
            "edge contiguity: each hexagon with its 6 neighbours (邻接：周围6个六边形)".to_owned()
        }
        (Weights::Distance(m), _) => {
            format!("distance band: cells whose centres lie within {m:.0} m (距离带 {m:.0} 米)")
        }
    };
    let weights_json = |w: Weights| match w {
        Weights::Queen => json!("queen"),
        Weights::Distance(m) => json!(format!("distance:{m}")),
    };
    match method {
        HotspotMethod::GiStar | HotspotMethod::Optimized => {
            let (weights, scale) = if method == HotspotMethod::Optimized {
                let s = scale_of_analysis(counts, &layout.centres_m())
                    .ok_or_else(|| anyhow::anyhow!("every cell has the same count: there is no pattern to analyse"))?;
                (Weights::Distance(s.band_m), Some(s))
            } else {
                (weights, None)
            };
            let (cells, warnings) = hot_spots(counts, &layout.neighbours(weights), true);
            let hot = |b: i8| cells.iter().filter(|c| c.bin == b).count();
            let how = match &scale {
                Some(s) if s.peak => format!(
                    "the band was chosen where clustering peaks (Global Moran's I z = {:.2} at {:.0} m, the first peak over {} bands from {:.0} m; 增量空间自相关峰值)",
                    s.profile.iter().find(|b| b.band_m == s.band_m).map_or(0.0, |b| b.z),
                    s.band_m,
                    s.profile.len(),
                    s.profile.first().map_or(0.0, |b| b.band_m)
                ),
                Some(s) => format!(
                    "no peak of clustering over {} bands, so the band is the mean distance to the nearest 5% of cells ({:.0} m)",
                    s.profile.len(),
                    s.band_m
                ),
                None => String::new(),
            };
            let summary = format!(
                "Gi* hot spots; neighbours by {}{}{how}; significance corrected for false discoveries (Benjamini-Hochberg FDR). \
                 Hot 99/95/90%: {}/{}/{}; cold: {}/{}/{}.",
                weights_words(weights),
                if how.is_empty() { "" } else { "; " },
                hot(3),
                hot(2),
                hot(1),
                hot(-3),
                hot(-2),
                hot(-1)
            );
            let mut parameters = json!({"method": if scale.is_some() { "optimized" } else { "gi-star" },
                "weights": weights_json(weights), "fdr": true});
            if let Some(s) = &scale {
                parameters["band_m"] = json!(s.band_m);
                parameters["band_at_peak"] = json!(s.peak);
                parameters["moran_profile"] =
                    s.profile.iter().map(|b| json!({"band_m": b.band_m, "moran_i": b.moran_i, "z": b.z})).collect();
            }
            let cells =
                cells.iter().map(|h| CellResult { z: h.z, p: h.p, p_fdr: h.p_fdr, bin: h.bin, lisa: None }).collect();
            Ok(HotspotRun { cells, parameters, summary, warnings })
        }
        HotspotMethod::LocalMoran => {
            if permutations < 99 {
                bail!("--permutations must be at least 99 for pseudo p-values worth reading");
            }
            let (lisa, warnings) = lisa_clusters(counts, &layout.neighbours(weights), permutations, seed);
            let cells: Vec<CellResult> = lisa
                .iter()
                .map(|c| CellResult {
                    z: c.local.z_sim,
                    p: c.local.p_sim,
                    p_fdr: c.p_fdr,
                    bin: c.bin,
                    lisa: Some((c.local.i, c.cluster)),
                })
                .collect();
            let class = |c: &str| cells.iter().filter(|r| r.lisa.is_some_and(|(_, k)| k == c)).count();
            let summary = format!(
                "Local Moran's I (LISA) clusters and outliers; neighbours by {}; {permutations} conditional permutations (seed {seed}); \
                 pseudo p-values corrected for false discoveries (Benjamini-Hochberg FDR) at 90%. \
                 High-high clusters (高高聚集): {}; low-low (低低聚集): {}; high-low outliers (高低异常): {}; low-high outliers (低高异常): {}.",
                weights_words(weights),
                class("HH"),
                class("LL"),
                class("HL"),
                class("LH")
            );
            let parameters = json!({"method": "local-moran", "weights": weights_json(weights), "fdr": true,
                "permutations": permutations, "seed": seed});
            Ok(HotspotRun { cells, parameters, summary, warnings })
        }
    }
}

fn parse_bbox(bbox: Option<&str>) -> anyhow::Result<Option<[f64; 4]>> {
    bbox.map(|b| {
        let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        match v[..] {
            [a, b, c, d] if a < c && b < d => Ok([a, b, c, d]),
            _ => Err(anyhow::anyhow!("--bbox must be minLon,minLat,maxLon,maxLat")),
        }
    })
    .transpose()
}

/// Reads the points of the input file (optionally only those in a time window) and lays the grid
/// over them.
fn read_and_lay_out(
    points: &PointsArgs,
    time_col: Option<&str>,
    window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> anyhow::Result<(ReadPoints, Layout)> {
    let file = std::fs::File::open(&points.input).with_context(|| format!("opening {}", points.input.display()))?;
    let query = PointQuery {
        lon_col: &points.lon_col,
        lat_col: &points.lat_col,
        time_col,
        from: window.0,
        to: window.1,
        bbox: parse_bbox(points.bbox.as_deref())?,
    };
    let read = read_points(file, &query)?;
    let layout = Layout::covering(&read.lonlat, points)?;
    Ok((read, layout))
}

/// `safegrid hotspots`: the table on standard output, the summary on standard error.
pub fn run(args: HotspotArgs) -> anyhow::Result<()> {
    write_hotspots(args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
}

/// `safegrid hotspots` writing the table to `out` and the summary and warnings to `log`.
pub fn write_hotspots(args: HotspotArgs, out: &mut dyn Write, log: &mut dyn Write) -> anyhow::Result<()> {
    let weights = Weights::parse(&args.weights).map_err(|e| anyhow::anyhow!("--weights: {e}"))?;
    let window = (
        args.from.as_deref().map(parse_timestamp).transpose().map_err(|e| anyhow::anyhow!("--from: {e}"))?,
        args.to.as_deref().map(parse_timestamp).transpose().map_err(|e| anyhow::anyhow!("--to: {e}"))?,
    );
    if (window.0.is_some() || window.1.is_some()) && args.time_col.is_none() {
        bail!("--from/--to need --time-col");
    }
    let (read, layout) = read_and_lay_out(&args.points, args.time_col.as_deref(), window)?;
    let counts = layout.counts(&read.lonlat);
    let result = analyse(&layout, &counts, args.method, weights, args.permutations, args.seed)?;
    writeln!(
        log,
        "{} points ({} rows without coordinates or outside the study area skipped) on {}. {}",
        read.lonlat.len(),
        read.skipped,
        layout.describe(),
        result.summary
    )?;
    for w in &result.warnings {
        writeln!(log, "warning: {w}")?;
    }
    let mut out = std::io::BufWriter::new(out);
    let lisa = args.method == HotspotMethod::LocalMoran;
    match args.format {
        OutputFormat::Csv => {
            let mut w = crate::csv_export::SafeCsv::new(&mut out);
            let mut header = vec!["cell", "row", "col", "lon", "lat", "count", "z", "p", "p_fdr", "bin"];
            if lisa {
                header.extend(["local_i", "cluster"]);
            }
            w.row(header)?;
            for (i, h) in result.cells.iter().enumerate() {
                let (lon, lat) = layout.centre_lonlat(i);
                let (row, col) =
                    layout.row_col(i).map_or((String::new(), String::new()), |(r, c)| (r.to_string(), c.to_string()));
                let mut cells = vec![
                    layout.id(i),
                    row,
                    col,
                    format!("{lon:.7}"),
                    format!("{lat:.7}"),
                    counts[i].to_string(),
                    format!("{:.6}", h.z),
                    format!("{:.6e}", h.p),
                    format!("{:.6e}", h.p_fdr),
                    h.bin.to_string(),
                ];
                if let Some((li, class)) = h.lisa {
                    cells.extend([format!("{li:.6}"), class.to_string()]);
                }
                w.row(cells)?;
            }
            w.flush()?;
        }
        OutputFormat::Geojson => {
            let mut parameters = result.parameters.clone();
            parameters["grid"] = match &layout {
                Layout::Square(g) => {
                    json!({"kind": "square", "cell_m": g.cell_m, "utm_zone": utm_zone(g.projection.central_meridian_deg())})
                }
                Layout::Hex(g, _) => json!({"kind": "h3", "resolution": u8::from(g.resolution)}),
            };
            parameters["points"] = json!(read.lonlat.len());
            parameters["skipped"] = json!(read.skipped);
            parameters["description"] = json!(result.summary);
            write!(
                out,
                r#"{{"type":"FeatureCollection","parameters":{},"warnings":{},"features":["#,
                parameters,
                serde_json::to_string(&result.warnings)?,
            )?;
            for (i, h) in result.cells.iter().enumerate() {
                let ring: Vec<[f64; 2]> =
                    layout.ring(i).iter().map(|&(x, y)| [(x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7]).collect();
                let (lon, lat) = layout.centre_lonlat(i);
                let (row, col) = layout.row_col(i).map_or((None, None), |(r, c)| (Some(r), Some(c)));
                let mut props = json!({"cell": layout.id(i), "row": row, "col": col, "lon": lon, "lat": lat, "count": counts[i],
                                       "z": h.z, "p": h.p, "p_fdr": h.p_fdr, "bin": h.bin});
                if let Some((li, class)) = h.lisa {
                    props["local_i"] = json!(li);
                    props["cluster"] = json!(class);
                }
                let f = json!({"type": "Feature", "id": i, "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props});
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut out, &f)?;
            }
            writeln!(out, "]}}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `safegrid backtest`: the table on standard output, the summary on standard error.
pub fn backtest(args: BacktestArgs) -> anyhow::Result<()> {
    write_backtest(args, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
}

/// `safegrid backtest` writing the table to `out` and the summary to `log`.
pub fn write_backtest(args: BacktestArgs, out: &mut dyn Write, log: &mut dyn Write) -> anyhow::Result<()> {
    if !(args.area_share > 0.0 && args.area_share < 1.0) {
        bail!("--area-share must be between 0 and 1 (e.g. 0.01 for 1%)");
    }
    if args.train_days == 0 || args.test_days == 0 || args.origins == 0 || args.test_hours == Some(0) {
        bail!("--train-days, --test-days, --test-hours and --origins must be at least 1");
    }
    let (read, layout) = read_and_lay_out(&args.points, Some(&args.time_col), (None, None))?;
    let events: Vec<CellEvent> = read
        .lonlat
        .iter()
        .zip(&read.times)
        .filter_map(|(&(lon, lat), t)| {
            let cell = layout.cell_of(lon, lat)? as u32;
            let [x_m, y_m] = layout.project(lon, lat);
            Some(CellEvent { cell, x_m, y_m, t_s: t.timestamp() })
        })
        .collect();
    let (first_s, last_s) = events.iter().fold((i64::MAX, i64::MIN), |(a, b), e| (a.min(e.t_s), b.max(e.t_s)));
    const DAY_S: i64 = 86_400;
    // The origins end at the last complete UTC day of the data.
    let end_s = last_s.div_euclid(DAY_S) * DAY_S;
    let step_s = args.test_hours.map_or(i64::from(args.test_days) * DAY_S, |h| i64::from(h) * 3_600);
    let test_window = match args.test_hours {
        Some(h) => format!("{h} hour(s)"),
        None => format!("{} day(s)", args.test_days),
    };
    let mut origins_s: Vec<i64> = (1..=i64::from(args.origins)).map(|k| end_s - k * step_s).collect();
    origins_s.reverse();
    if origins_s[0] <= first_s + 7 * DAY_S {
        bail!(
            "the data span {} days: too short for {} origins of {test_window} each with a week of training before the first",
            (end_s - first_s) / DAY_S,
            args.origins,
        );
    }
    let spec = BacktestSpec {
        origins_s,
        train_s: i64::from(args.train_days) * DAY_S,
        test_s: step_s,
        area_share: args.area_share,
        refit_every: 1,
    };
    let study = Study::new(&layout.centres_m());
    let scores = forecast_backtest(&study, &events, &spec, &Forecaster::ALL);
    // Origins are midnights unless shifts are scored: then their hour counts too.
    let origin_format = if args.test_hours.is_some() { "%Y-%m-%d %H:%M" } else { "%Y-%m-%d" };
    let fmt_day =
        |s: i64| DateTime::<Utc>::from_timestamp(s, 0).map_or(String::new(), |d| d.format(origin_format).to_string());
    writeln!(
        log,
        "{} points ({} rows without coordinates or outside the study area skipped) on {}; {} origins from {} to {} (UTC), \
         each method fitted on the {} days before its origin only and scored on the {test_window} after; the top {} of {} cells with incidents before the first origin ({:.1}% of the area) flagged.",
        events.len(),
        read.skipped,
        layout.describe(),
        spec.origins_s.len(),
        fmt_day(spec.origins_s[0]),
        fmt_day(spec.origins_s[spec.origins_s.len() - 1]),
        args.train_days,
        scores.first().map_or(0, |s| s.flagged),
        scores.first().map_or(0, |s| s.area_cells),
        args.area_share * 100.0
    )?;
    let model = scores.first().map_or(0.0, |s| s.hit_rate());
    for s in &scores[1..] {
        let wins = scores[0].origins.iter().zip(&s.origins).filter(|(a, b)| a.hits > b.hits).count();
        let losses = scores[0].origins.iter().zip(&s.origins).filter(|(a, b)| a.hits < b.hits).count();
        writeln!(
            log,
            "self-exciting vs {}: hit rate {:.4} vs {:.4} ({}); better at {wins} origins, worse at {losses}",
            s.method.name(),
            model,
            s.hit_rate(),
            if model > s.hit_rate() {
                "better"
            } else if model < s.hit_rate() {
                "WORSE"
            } else {
                "equal"
            }
        )?;
    }
    let comparison = compare(&scores);
    if let Some(c) = &comparison {
        writeln!(log, "{}", c.summary_zh())?;
        writeln!(log, "{}", c.summary_en())?;
    }
    let mut out = std::io::BufWriter::new(out);
    match args.format {
        TableFormat::Csv => {
            let mut w = crate::csv_export::SafeCsv::new(&mut out);
            w.row(["method", "hit_rate", "pai", "hits", "incidents", "flagged_cells", "area_cells", "origins", "pei"])?;
            for s in &scores {
                let (h, n) = s.totals();
                w.row([
                    s.method.name().to_string(),
                    format!("{:.6}", s.hit_rate()),
                    format!("{:.4}", s.pai()),
                    h.to_string(),
                    n.to_string(),
                    s.flagged.to_string(),
                    s.area_cells.to_string(),
                    s.origins.len().to_string(),
                    format!("{:.4}", s.pei()),
                ])?;
            }
            w.flush()?;
        }
        TableFormat::Json => {
            let methods: Vec<serde_json::Value> = scores
                .iter()
                .map(|s| {
                    json!({"method": s.method.name(), "label_zh": s.method.label_zh(), "label_en": s.method.label_en(),
                        "hit_rate": s.hit_rate(), "pai": s.pai(), "pei": s.pei(),
                        "flagged_cells": s.flagged, "area_cells": s.area_cells,
                        "origins": s.origins.iter().map(|o| json!({"origin": fmt_day(o.origin_s), "hits": o.hits,
                            "incidents": o.incidents, "best_hits": o.best_hits})).collect::<Vec<_>>()})
                })
                .collect();
            let doc = json!({"parameters": {"train_days": args.train_days, "test_days": args.test_days, "test_hours": args.test_hours,
                "area_share": args.area_share, "origins": args.origins, "events": events.len(), "skipped": read.skipped},
                "methods": methods,
                "comparison": comparison.as_ref().map(|c| json!({"best_baseline": c.best_baseline.name(),
                    "model_pai": c.model_pai, "baseline_pai": c.baseline_pai, "difference": c.difference,
                    "ci95": [c.ci95.0, c.ci95.1], "verdict": c.verdict.as_str(),
                    "summary_zh": c.summary_zh(), "summary_en": c.summary_en()}))});
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_without_coordinates_are_skipped_and_bad_values_name_their_line() {
        let csv = "lon,lat,t\n102.6,37.9,2024-01-01 00:00:00+00\n,,2024-01-01 00:00:00+00\n102.7,37.95,2024-02-01 00:00:00+00\n";
        let q = PointQuery { lon_col: "lon", lat_col: "lat", time_col: Some("t"), ..Default::default() };
        let r = read_points(csv.as_bytes(), &q).unwrap();
        assert_eq!((r.lonlat.len(), r.times.len(), r.skipped), (2, 2, 1));
        let to = parse_timestamp("2024-01-15").ok();
        let r = read_points(csv.as_bytes(), &PointQuery { to, ..q.clone() }).unwrap();
        assert_eq!(r.lonlat.len(), 1);
        let r =
            read_points(csv.as_bytes(), &PointQuery { bbox: Some([102.5, 37.8, 102.65, 38.0]), ..q.clone() }).unwrap();
        assert_eq!((r.lonlat.len(), r.skipped), (1, 2));
        let bad = "lon,lat\n102.6,37.9\n102.x,37.9\n";
        let q = PointQuery { lon_col: "lon", lat_col: "lat", ..Default::default() };
        let err = read_points(bad.as_bytes(), &q).unwrap_err().to_string();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = read_points(bad.as_bytes(), &PointQuery { lon_col: "x", ..q }).unwrap_err().to_string();
        assert!(err.starts_with("line 1:") && err.contains("--lon-col"), "{err}");
    }
}
