//! `safegrid hotspots`: Gi* hot spots of any CSV of points, on a square grid in the data's UTM
//! zone. The statistics are `analytics::gi_star`; this module reads the file and writes the table.

use crate::config::{HotspotArgs, OutputFormat};
use analytics::gi_star::hot_spots;
use analytics::square_grid::SquareGrid;
use analytics::weights::Neighbours;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use model::time::parse_timestamp;
use std::io::Write;

/// How neighbours are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// The 8 surrounding cells.
    Queen,
    /// Cells whose centres lie within this many metres.
    Distance(f64),
}

impl Weights {
    /// Parses `queen` or `distance:M`.
    pub fn parse(s: &str) -> Result<Weights, String> {
        match s.split_once(':') {
            None if s == "queen" => Ok(Weights::Queen),
            Some(("distance", m)) => match m.parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 => Ok(Weights::Distance(m)),
                _ => Err(format!("distance band {m:?} must be a positive number of metres")),
            },
            _ => Err(format!("weights {s:?}: use queen or distance:METRES")),
        }
    }
}

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

/// The points of a CSV file (WGS84) matching `q`, and how many rows were skipped (no
/// coordinates, or outside the study area). Errors name the line.
pub fn read_points(input: impl std::io::Read, q: &PointQuery<'_>) -> anyhow::Result<(Vec<(f64, f64)>, usize)> {
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
    let mut points = Vec::new();
    let mut skipped = 0;
    for record in reader.records() {
        let record = record.map_err(|e| anyhow::anyhow!("line {}: {e}", e.position().map_or(0, |p| p.line())))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (lon, lat) = (field(lon_i), field(lat_i));
        if lon.is_empty() || lat.is_empty() {
            skipped += 1;
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
            skipped += 1;
            continue;
        }
        if let Some(ti) = time_i {
            let t = parse_timestamp(field(ti)).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
            if window.0.is_some_and(|f| t < f) || window.1.is_some_and(|to| t >= to) {
                continue;
            }
        }
        points.push((lon, lat));
    }
    Ok((points, skipped))
}

/// `safegrid hotspots`.
pub fn run(args: HotspotArgs) -> anyhow::Result<()> {
    let weights = Weights::parse(&args.weights).map_err(|e| anyhow::anyhow!("--weights: {e}"))?;
    if !(args.cell_m.is_finite() && args.cell_m > 0.0) {
        bail!("--cell-m must be a positive number of metres");
    }
    let window = (
        args.from.as_deref().map(parse_timestamp).transpose().map_err(|e| anyhow::anyhow!("--from: {e}"))?,
        args.to.as_deref().map(parse_timestamp).transpose().map_err(|e| anyhow::anyhow!("--to: {e}"))?,
    );
    if (window.0.is_some() || window.1.is_some()) && args.time_col.is_none() {
        bail!("--from/--to need --time-col");
    }
    let bbox = args
        .bbox
        .as_deref()
        .map(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            match v[..] {
                [a, b, c, d] if a < c && b < d => Ok([a, b, c, d]),
                _ => Err(anyhow::anyhow!("--bbox must be minLon,minLat,maxLon,maxLat")),
            }
        })
        .transpose()?;
    let file = std::fs::File::open(&args.input).with_context(|| format!("opening {}", args.input.display()))?;
    let query = PointQuery {
        lon_col: &args.lon_col,
        lat_col: &args.lat_col,
        time_col: args.time_col.as_deref(),
        from: window.0,
        to: window.1,
        bbox,
    };
    let (points, skipped) = read_points(file, &query)?;
    let grid = SquareGrid::covering(&points, args.cell_m)
        .ok_or_else(|| anyhow::anyhow!("no points with coordinates in the file"))?;
    if grid.len() > 4_000_000 {
        bail!("the grid would have {} cells: use a larger --cell-m", grid.len());
    }
    let counts = grid.counts(&points);
    let w = match weights {
        Weights::Queen => Neighbours::queen_lattice(grid.rows, grid.cols),
        Weights::Distance(m) => Neighbours::distance_band(&grid.centres_m(), m),
    };
    let (cells, warnings) = hot_spots(&counts, &w, true);
    let zone = (grid.projection.central_meridian_deg() + 183.0) / 6.0;
    let weights_words = match weights {
        Weights::Queen => "queen contiguity: each cell with its 8 surrounding cells (邻接：周围8个网格)".to_owned(),
        Weights::Distance(m) => format!("distance band: cells whose centres lie within {m} m (距离带 {m} 米)"),
    };
    let hot = |b: i8| cells.iter().filter(|c| c.bin == b).count();
    eprintln!(
        "Gi* hot spots of {} points ({} rows without coordinates or outside the study area skipped) on {} cells of {} m ({} × {}) in UTM zone {zone:.0}; \
         neighbours by {weights_words}; significance corrected for false discoveries (Benjamini-Hochberg FDR). \
         Hot 99/95/90%: {}/{}/{}; cold: {}/{}/{}.",
        points.len(),
        skipped,
        grid.len(),
        args.cell_m,
        grid.cols,
        grid.rows,
        hot(3),
        hot(2),
        hot(1),
        hot(-3),
        hot(-2),
        hot(-1),
    );
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Csv => {
            writeln!(out, "cell,row,col,lon,lat,count,z,p,p_fdr,bin")?;
            for r in 0..grid.rows {
                for c in 0..grid.cols {
                    let i = r as usize * grid.cols as usize + c as usize;
                    let (lon, lat) = grid.centre_lonlat(r, c);
                    let h = &cells[i];
                    writeln!(
                        out,
                        "{i},{r},{c},{lon:.7},{lat:.7},{},{:.6},{:.6e},{:.6e},{}",
                        counts[i], h.z, h.p, h.p_fdr, h.bin
                    )?;
                }
            }
        }
        OutputFormat::Geojson => {
            write!(
                out,
                r#"{{"type":"FeatureCollection","parameters":{{"method":"gi-star","cell_m":{},"weights":{},"fdr":true,"utm_zone":{zone:.0},"points":{},"skipped":{skipped}}},"warnings":{},"features":["#,
                args.cell_m,
                serde_json::to_string(&args.weights)?,
                points.len(),
                serde_json::to_string(&warnings)?,
            )?;
            for r in 0..grid.rows {
                for c in 0..grid.cols {
                    let i = r as usize * grid.cols as usize + c as usize;
                    let h = &cells[i];
                    let ring: Vec<[f64; 2]> = grid
                        .cell_ring(r, c)
                        .iter()
                        .map(|&(x, y)| [(x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7])
                        .collect();
                    let (lon, lat) = grid.centre_lonlat(r, c);
                    let f = serde_json::json!({"type": "Feature", "id": i,
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                        "properties": {"cell": i, "row": r, "col": c, "lon": lon, "lat": lat, "count": counts[i],
                                       "z": h.z, "p": h.p, "p_fdr": h.p_fdr, "bin": h.bin}});
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut out, &f)?;
                }
            }
            writeln!(out, "]}}")?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse() {
        assert_eq!(Weights::parse("queen"), Ok(Weights::Queen));
        assert_eq!(Weights::parse("distance:750"), Ok(Weights::Distance(750.0)));
        assert!(Weights::parse("distance:-1").is_err());
        assert!(Weights::parse("rook").is_err());
    }

    #[test]
    fn rows_without_coordinates_are_skipped_and_bad_values_name_their_line() {
        let csv = "lon,lat,t\n102.6,37.9,2024-01-01 00:00:00+00\n,,2024-01-01 00:00:00+00\n102.7,37.95,2024-02-01 00:00:00+00\n";
        let q = PointQuery { lon_col: "lon", lat_col: "lat", time_col: Some("t"), ..Default::default() };
        let (pts, skipped) = read_points(csv.as_bytes(), &q).unwrap();
        assert_eq!((pts.len(), skipped), (2, 1));
        let to = parse_timestamp("2024-01-15").ok();
        let (pts, _) = read_points(csv.as_bytes(), &PointQuery { to, ..q.clone() }).unwrap();
        assert_eq!(pts.len(), 1);
        let (pts, skipped) =
            read_points(csv.as_bytes(), &PointQuery { bbox: Some([102.5, 37.8, 102.65, 38.0]), ..q.clone() }).unwrap();
        assert_eq!((pts.len(), skipped), (1, 2));
        let bad = "lon,lat\n102.6,37.9\n102.x,37.9\n";
        let q = PointQuery { lon_col: "lon", lat_col: "lat", ..Default::default() };
        let err = read_points(bad.as_bytes(), &q).unwrap_err().to_string();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = read_points(bad.as_bytes(), &PointQuery { lon_col: "x", ..q }).unwrap_err().to_string();
        assert!(err.starts_with("line 1:") && err.contains("--lon-col"), "{err}");
    }
}
