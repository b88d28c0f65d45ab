//! Foundation benchmarks (not run in CI): `cargo bench -p server --bench foundation`.
//!
//! Prints: the viewport query (index lookup + GeoJSON serialisation of up to 5,000 of the
//! ~210,000 demo incidents), start-up time on an existing demo store, the measured heap of the
//! in-memory incident index per incident (counting allocator), and vector-tile times per layer
//! and zoom over a year of incidents.

use chrono::{TimeZone, Utc};
use model::scope::Scope;
use server::api::features::incident_points_collection;
use server::boot::{load_state, world_data};
use server::clock::SystemClock;
use server::incident_index::{Bbox, CellScope, IncidentFilter, IncidentIndex, IncidentPoint};
use server::tiles::{self, TileId};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;
use std::time::Instant;
use store::Store;
use store::gpkg::GpkgStore;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated through the global allocator. stats_alloc already adds a
/// realloc's growth to `bytes_allocated` and its shrinkage to `bytes_deallocated`.
fn live_bytes() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Every record of an index (for building another).
fn index_points(index: &IncidentIndex) -> Vec<IncidentPoint> {
    let mut out = Vec::with_capacity(index.len());
    index.for_each(&IncidentFilter::new(CellScope::all()), |p| out.push(*p));
    out.sort_unstable_by_key(IncidentPoint::key);
    out
}

#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).single().ok_or_else(|| anyhow::anyhow!("time"))?;

    let t = Instant::now();
    // SAFEGRID_BENCH_INCIDENTS: base incidents of the demo world (default 200,000).
    let base: usize = std::env::var("SAFEGRID_BENCH_INCIDENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let world = demo::generate(&demo::DemoParams { base_incidents: base, ..demo::DemoParams::new(2024, end) })?;
    let generated_s = t.elapsed().as_secs_f64();
    let n = world.incidents.len();
    let t = Instant::now();
    rt.block_on(GpkgStore::open(dir.path())?.replace_world(world_data(world)))?;
    println!(
        "demo world: {n} incidents generated in {generated_s:.2} s, written in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // Start-up on the existing store: open, load geography and incidents, build indexes.
    let mut startup = Vec::new();
    let mut state = None;
    for _ in 0..3 {
        let t = Instant::now();
        let store = GpkgStore::open(dir.path())?;
        let s = rt.block_on(load_state(Arc::new(store), Arc::new(SystemClock)))?;
        startup.push(t.elapsed().as_secs_f64());
        state = Some(s);
    }
    let state = state.ok_or_else(|| anyhow::anyhow!("no state"))?;
    startup.sort_by(f64::total_cmp);
    println!("start-up on an existing demo store: median {:.2} s (runs: {:?})", startup[1], startup);

    // Heap of the index, measured: live bytes after building it from the store's rows, minus
    // live bytes before (the rows themselves are freed before the second reading).
    let rows = rt.block_on(state.store.load_incident_rows())?;
    let before = live_bytes();
    let points: Vec<IncidentPoint> =
        rows.iter().filter_map(|r| state.geography.cell(r.cell_code).map(|(i, _)| IncidentPoint::new(r, i))).collect();
    let index = IncidentIndex::new(points);
    let heap = live_bytes() - before;
    drop(rows);
    println!(
        "index heap: {:.1} bytes per incident, measured by a counting allocator ({:.1} MB for {} incidents; records {} B each)",
        heap as f64 / index.len() as f64,
        heap as f64 / 1e6,
        index.len(),
        std::mem::size_of::<IncidentPoint>()
    );
    let (pyramid_bytes, deep_bytes) = index.pyramid_heap_bytes();
    println!(
        "  of which the count pyramid {:.1} and the Morton-ordered records {:.1} bytes per incident (vectors and map entries, allocator overhead aside)",
        pyramid_bytes as f64 / index.len() as f64,
        deep_bytes as f64 / index.len() as f64
    );
    let (levels, (cell_series, cell_entries)) = index.pyramid().level_stats();
    for (z, bins, series, entries) in levels {
        println!("  pyramid z{z}: {bins} bins, {series} series, {entries} day entries");
    }
    println!("  cells: {cell_series} series, {cell_entries} day entries");

    // Live inserts: the index (its count pyramid included) takes new incidents one at a time and
    // in batches of 10,000 (copies of the newest, under fresh ids, a day later).
    {
        let mut live = IncidentIndex::new(index_points(&index));
        let newest: Vec<IncidentPoint> = index_points(&index).into_iter().rev().take(50_000).collect();
        let next_id = live.max_id() + 1;
        let fresh = |k: usize, p: &IncidentPoint| IncidentPoint {
            id: model::IncidentId(next_id + k as u64),
            occurred_s: p.occurred_s + 86_400,
            ..*p
        };
        let t = Instant::now();
        for (k, p) in newest.iter().enumerate() {
            live.insert(fresh(k, p));
        }
        let single_us = t.elapsed().as_secs_f64() * 1e6 / newest.len() as f64;
        let t = Instant::now();
        for (c, chunk) in newest.chunks(10_000).enumerate() {
            live.insert_many(chunk.iter().enumerate().map(|(k, p)| fresh(newest.len() + c * 10_000 + k, p)));
        }
        println!(
            "index inserts: {} one at a time {single_us:.1} µs each; in batches of 10,000 {:.1} µs each",
            newest.len(),
            t.elapsed().as_secs_f64() * 1e6 / newest.len() as f64
        );
    }

    // Viewport query: central Liangzhou at city zoom, then a county-wide box, limit 5,000.
    let boxes = [
        ("urban Liangzhou 0.12°×0.08°", Bbox { min_lon: 102.58, min_lat: 37.89, max_lon: 102.70, max_lat: 37.97 }),
        ("Liangzhou district 1.2°×1.0°", Bbox { min_lon: 101.9, min_lat: 37.3, max_lon: 103.1, max_lat: 38.3 }),
        ("whole city, last 7 days", Bbox { min_lon: 101.0, min_lat: 36.0, max_lon: 105.0, max_lat: 40.0 }),
    ];
    for (name, bbox) in boxes {
        let from_s = name.contains("7 days").then(|| end.timestamp() - 7 * 86_400);
        let filter = IncidentFilter { bbox: Some(bbox), from_s, ..IncidentFilter::new(CellScope::all()) };
        let mut times = Vec::new();
        let mut returned = 0;
        let mut bytes = 0;
        for _ in 0..200 {
            let t = Instant::now();
            let (page, next) = index.page(&filter, 5_000, None);
            let body = incident_points_collection(&page, &state.geography, next.map(|c| format!("{}_{}", c.0, c.1)));
            times.push(t.elapsed().as_secs_f64() * 1e3);
            returned = page.len();
            bytes = body.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "viewport {name}: {returned} incidents, {:.1} MB GeoJSON: median {:.2} ms, p95 {:.2} ms",
            bytes as f64 / 1e6,
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }

    // Vector tiles around Liangzhou at every zoom, a year of incidents (the heaviest window).
    let year = IncidentFilter {
        from_s: Some(end.timestamp() - 365 * 86_400),
        to_s: Some(end.timestamp()),
        ..IncidentFilter::new(CellScope::all())
    };
    let mut worst: Vec<(String, f64, usize)> = Vec::new();
    for z in [6u8, 8, 10, 12, 14, 16] {
        let n = f64::from(1u32 << z);
        let lat = 37.93f64.to_radians();
        let x = ((102.64 + 180.0) / 360.0 * n) as u32;
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        let tile = TileId { z, x, y };
        for layer in ["incidents", "cells", "regions"] {
            let mut times = Vec::new();
            let mut bytes = 0;
            for _ in 0..20 {
                let t = Instant::now();
                let body = match layer {
                    "incidents" => {
                        let f = IncidentFilter { bbox: Some(tile.bounds(64.0)), ..year.clone() };
                        tiles::incidents_tile(&state, &tile, &f)
                    }
                    "cells" => {
                        // A fresh window each round so the per-window counts are recomputed too.
                        let f = IncidentFilter { to_s: year.to_s.map(|t| t - times.len() as i64), ..year.clone() };
                        rt.block_on(tiles::cells_tile(&state, &tile, &f))?
                    }
                    _ => tiles::regions_tile(&state, &tile, &Scope::everything()),
                };
                times.push(t.elapsed().as_secs_f64() * 1e3);
                bytes = body.len();
            }
            times.sort_by(f64::total_cmp);
            worst.push((format!("{layer} z{z}"), times[times.len() - 1], bytes));
            println!(
                "tile {layer} z{z}/{x}/{y}: median {:.2} ms, max {:.2} ms, {:.0} KB",
                percentile(&times, 0.5),
                times[times.len() - 1],
                bytes as f64 / 1024.0
            );
        }
    }
    // Binned incident tiles: the count pyramid against a scan of the same window (a status filter
    // holding every status takes the scan path and counts the same incidents).
    let every_status = server::incident_index::StatusSet::of(model::Status::ALL);
    for z in [6u8, 8, 10, 12, 13, 14, 15] {
        let n = f64::from(1u32 << z);
        let lat = 37.93f64.to_radians();
        let x = ((102.64 + 180.0) / 360.0 * n) as u32;
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        let mut ms = [Vec::new(), Vec::new()];
        let mut totals = [0, 0];
        for _ in 0..20 {
            for (k, statuses) in [None, Some(every_status)].into_iter().enumerate() {
                let f = IncidentFilter { statuses, ..year.clone() };
                let t = Instant::now();
                let bins = index.tile_bins(z, x, y, &f);
                ms[k].push(t.elapsed().as_secs_f64() * 1e3);
                totals[k] = bins.total();
            }
        }
        assert_eq!(totals[0], totals[1], "z{z}: the pyramid and the scan count alike");
        for m in &mut ms {
            m.sort_by(f64::total_cmp);
        }
        println!(
            "binned incidents z{z}/{x}/{y} ({} incidents, a year): pyramid (z13–15: Morton-ordered records) median {:.3} ms, scan median {:.3} ms",
            totals[0],
            percentile(&ms[0], 0.5),
            percentile(&ms[1], 0.5)
        );
    }
    worst.sort_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((name, ms, _)) = worst.last() {
        println!("slowest tile: {name} at {ms:.2} ms");
    }
    Ok(())
}
