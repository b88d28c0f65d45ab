//! Validating the demo world (2,800 cells) as `safegrid world validate` does (not run in CI):
//! `cargo bench -p world --bench validate`. Prints seconds per run and what was found.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;
use world::{Rules, WorldFile, WorldParts, validate};

fn main() {
    let end = chrono::DateTime::parse_from_rfc3339("2026-11-01T04:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let demo = demo::generate(&demo::DemoParams { base_incidents: 1_000, ..demo::DemoParams::new(2024, end) }).unwrap();
    let parts = WorldParts {
        regions: demo.regions,
        cells: demo.cells,
        resources: demo.resources,
        officers: demo.officers,
        departments: demo.departments,
        mediators: demo.mediators,
    };
    let file = WorldFile::from_parts(&parts);
    let rules = Rules::default();
    let mut best = f64::INFINITY;
    let mut report = None;
    for _ in 0..5 {
        let t = Instant::now();
        report = Some(validate(&file, &rules));
        best = best.min(t.elapsed().as_secs_f64());
    }
    let report = report.unwrap();
    println!(
        "validate: {} regions, {} cells, {} resources, {} grid workers: best of 5 {:.3} s; {} errors, {} warnings",
        file.regions.len(),
        file.cells.len(),
        file.resources.len(),
        file.grid_workers.len(),
        best,
        report.errors().count(),
        report.warnings().count()
    );
}
