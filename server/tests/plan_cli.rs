//! `safegrid plan` on the real binary over a fresh demo store: the plan's shape and rules
//! (per unit ordered stops with arrive/leave, a route, `coverage` ≥ `naive_coverage`), the CSV
//! and GeoJSON outputs, and flag errors that name the flag.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Timelike, Utc};
use common::BIN;
use std::process::Command;

fn plan(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out =
        Command::new(BIN).arg("plan").arg("--data-dir").arg(dir).args(args).env("RUST_LOG", "error").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn plan_prints_routes_that_keep_the_rules_and_beat_nearest_first() {
    let dir = tempfile::tempdir().unwrap();
    common::run(&["demo"], &["--data-dir".as_ref(), dir.path().as_os_str()], None);
    let start =
        (Utc::now() + Duration::hours(1)).with_minute(0).unwrap().with_second(0).unwrap().with_nanosecond(0).unwrap();
    let start_s = start.to_rfc3339();
    let (ok, out, err) =
        plan(dir.path(), &["--shift-start", &start_s, "--shift-hours", "8", "--units", "5", "--format", "json"]);
    assert!(ok, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let units = p["units"].as_array().unwrap();
    assert_eq!(units.len(), 5);
    let (coverage, naive) = (p["coverage"].as_f64().unwrap(), p["naive_coverage"].as_f64().unwrap());
    assert!(coverage > 0.0 && coverage <= 1.0 && naive >= 0.0, "{coverage} {naive}");
    assert!(coverage >= naive, "planned {coverage} < nearest-first {naive}");
    let end = start + Duration::hours(8);
    let mut owner = std::collections::HashMap::new();
    for u in units {
        let stops = u["stops"].as_array().unwrap();
        assert!(!stops.is_empty(), "{u}");
        let mut last_leave = start;
        for s in stops {
            let arrive: DateTime<Utc> = s["arrive"].as_str().unwrap().parse().unwrap();
            let leave: DateTime<Utc> = s["leave"].as_str().unwrap().parse().unwrap();
            assert_eq!(leave - arrive, Duration::minutes(15), "dwell {s}");
            assert!(arrive >= last_leave && leave <= end, "order and shift {s}");
            last_leave = leave;
            let cell = s["cell_code"].as_str().unwrap().to_owned();
            assert_eq!(*owner.entry(cell).or_insert(u["unit"].clone()), u["unit"], "a place belongs to one unit");
        }
        assert!(u["route"].as_array().unwrap().len() >= 2);
    }
    // CSV: a header and one row per stop.
    let (ok, csv, err) = plan(dir.path(), &["--shift-start", &start_s, "--units", "5", "--format", "csv"]);
    assert!(ok, "{err}");
    let stops: usize = units.iter().map(|u| u["stops"].as_array().unwrap().len()).sum();
    assert!(csv.starts_with("unit,unit_name,order,cell_code"), "{csv}");
    assert_eq!(csv.trim_end().lines().count(), stops + 1, "same seed, same plan");
    // Flag errors name the flag.
    for (args, flag) in [
        (vec!["--shift-start", &start_s, "--units", "0"], "--units"),
        (vec!["--shift-start", "2020-01-01T00:00:00Z", "--units", "2"], "--shift-start"),
        (vec!["--shift-start", "yesterday-ish", "--units", "2"], "--shift-start"),
        (vec!["--shift-start", &start_s, "--units", "100000"], "--units"),
        (vec!["--shift-start", &start_s, "--units", "2", "--shift-hours", "30"], "--shift-hours"),
    ] {
        let (ok, _, err) = plan(dir.path(), &args);
        assert!(!ok && err.contains(flag), "{args:?}: {err}");
    }
}
