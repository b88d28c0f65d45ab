//! Patrol planning and prevention coverage benchmark (not run in CI):
//! `cargo bench -p server --bench patrol`. Over the full demo city (default demo size):
//! - the time to plan a shift for 20 units (forecast fit included), over 12 shifts of the last
//!   two months of history, each planned only on the incidents before it;
//! - coverage of the plan and of the nearest-first baseline as forecast risk, and as the share
//!   of the incidents that then actually happened during the shift in the cells each visits;
//! - the time of the per-cell coverage (camera view sectors over every cell, resources, risk).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use model::api::patrol::PlanRequest;
use model::scope::Scope;
use model::{CellCode, ResourceKind};
use server::boot::load_state;
use server::clock::FixedClock;
use server::patrol::plan;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use store::Store;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(store::gpkg::GpkgStore::open(dir.path()).unwrap());
    server::boot::seed_demo(store.as_ref(), &demo::DemoParams::new(7, end), None).await.unwrap();
    let clock = Arc::new(FixedClock::new(end));
    let state = load_state(store.clone(), clock.clone()).await.unwrap();
    let g = &state.geography;
    let all_units: Vec<u64> =
        g.resources().iter().filter(|r| r.kind == ResourceKind::PatrolUnit).map(|r| r.id).collect();
    // 20 units spread over the city's stations.
    let step = (all_units.len() / 20).max(1);
    let units: Vec<u64> = all_units.iter().step_by(step).take(20).copied().collect();
    let cameras = g.resources().iter().filter(|r| r.kind == ResourceKind::Camera).count();
    println!(
        "demo city: {} cells, {} incidents, {} patrol units ({} planned), {cameras} cameras",
        g.cells().len(),
        state.index().len(),
        all_units.len(),
        units.len()
    );
    let rows = store.load_incident_rows().await.unwrap();
    let (mut times, mut cov, mut naive_cov, mut hit, mut naive_hit) = (vec![], vec![], vec![], vec![], vec![]);
    for k in 0..12 {
        // Day and night shifts, every five days back from the end of the history.
        let start = end - Duration::days(5 * (k / 2) + 2) + Duration::hours(if k % 2 == 0 { 0 } else { 12 });
        clock.set(start);
        let req = PlanRequest::new(start, units.clone());
        let t = Instant::now();
        let p = plan(&state, &Scope::everything(), &req).await.unwrap();
        times.push(t.elapsed().as_secs_f64());
        let visited = p.visited_cells();
        let naive: HashSet<CellCode> = p.naive_cells.iter().copied().collect();
        let (from, to) = (start.timestamp(), (start + Duration::hours(8)).timestamp());
        let during: Vec<CellCode> =
            rows.iter().filter(|r| r.occurred_s >= from && r.occurred_s < to).map(|r| r.cell_code).collect();
        let share = |cells: &HashSet<CellCode>| {
            during.iter().filter(|c| cells.contains(c)).count() as f64 / during.len().max(1) as f64
        };
        cov.push(p.coverage);
        naive_cov.push(p.naive_coverage);
        hit.push(share(&visited));
        naive_hit.push(share(&naive));
        println!(
            "shift {start}: plan {:.2} s; forecast risk covered {:.3} (nearest-first {:.3}); incidents that followed: {} in the city, {:.3} in planned cells ({} cells), {:.3} in nearest-first cells ({} cells)",
            times[k as usize],
            p.coverage,
            p.naive_coverage,
            during.len(),
            hit[k as usize],
            visited.len(),
            naive_hit[k as usize],
            naive.len()
        );
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "20 units, 12 shifts: plan time median {:.2} s, max {:.2} s; forecast risk covered {:.3} vs nearest-first {:.3}; incidents that followed in visited cells {:.3} vs {:.3}",
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1],
        mean(&cov),
        mean(&naive_cov),
        mean(&hit),
        mean(&naive_hit)
    );
    // Per-cell coverage of the whole city.
    clock.set(end);
    let cells: Vec<u32> = (0..g.cells().len() as u32).collect();
    let from = (end - Duration::days(server::prevention::RISK_DAYS)).timestamp();
    let recent: Vec<(f64, f64, u32)> = {
        let index = state.index();
        let mut filter = server::incident_index::IncidentFilter::new(server::incident_index::CellScope::all());
        (filter.from_s, filter.to_s) = (Some(from), Some(end.timestamp()));
        let mut v = Vec::new();
        index.for_each(&filter, |p| v.push((p.lon, p.lat, p.cell)));
        v
    };
    let covered = g.officers().iter().flat_map(|o| o.villages.iter().copied()).collect();
    let mut t_cov = Vec::new();
    let mut blind = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let c = server::prevention::cell_coverage(g, &cells, &recent, &Default::default(), &covered);
        t_cov.push(t.elapsed().as_secs_f64());
        blind = server::prevention::blind_spots(&c).len();
    }
    t_cov.sort_by(f64::total_cmp);
    println!(
        "coverage of {} cells with {cameras} cameras and {} incidents of {} days: median {:.3} s, max {:.3} s ({blind} blind spots)",
        cells.len(),
        recent.len(),
        server::prevention::RISK_DAYS,
        t_cov[2],
        t_cov[4]
    );
    let t = Instant::now();
    let pts: Vec<(f64, f64)> = recent.iter().map(|&(x, y, _)| (x, y)).collect();
    let s = server::prevention::suggest(g, &pts, server::prevention::NewResource::Camera, 20);
    println!(
        "20 camera sites by maximal covering: {:.3} s, covering {:.0} unprotected incidents",
        t.elapsed().as_secs_f64(),
        s.iter().map(|x| x.covers_incidents).sum::<f64>()
    );
}
