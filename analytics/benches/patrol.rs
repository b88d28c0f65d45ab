//! Patrol planning and camera coverage at dashboard scale (not run in CI):
//! `cargo bench -p analytics --bench patrol`. Prints seconds per run.

#![allow(clippy::print_stdout)]

use analytics::coverage::{CameraSector, camera_coverage, suggest_sites};
use analytics::patrol::{PatrolSpec, Site, Travel, UnitStart, coverage, naive_plan, plan};
use analytics::roads::RoadNetwork;
use geo::polygon;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // 300 risky cells in a 20 km square, 20 units from 5 stations, an 8 h shift.
    let sites: Vec<Site> = (0..300)
        .map(|_| Site {
            x_m: rng.random_range(0.0..20_000.0),
            y_m: rng.random_range(0.0..20_000.0),
            risk: rng.random_range(0.0..1.0f64).powi(3) * 10.0,
            pinned: false,
        })
        .collect();
    let stations: Vec<[f64; 2]> =
        (0..5).map(|_| [rng.random_range(3_000.0..17_000.0), rng.random_range(3_000.0..17_000.0)]).collect();
    let units: Vec<UnitStart> =
        (0..20).map(|i| UnitStart { x_m: stations[i % 5][0], y_m: stations[i % 5][1], speed_m_per_s: 8.0 }).collect();
    for (label, spec) in
        [("8 h shift", PatrolSpec::default()), ("2 h shift", PatrolSpec { shift_s: 7200.0, ..PatrolSpec::default() })]
    {
        let travel = Travel::Straight { detour: 1.3 };
        let (p, t) = time(|| plan(&sites, &units, travel, &spec));
        let (n, tn) = time(|| naive_plan(&sites, &units, travel, &spec));
        if let (Ok(p), Ok(n)) = (p, n) {
            println!(
                "plan 20 units × 300 sites ({label}, straight): {t:.3} s, coverage {:.3} (naive {:.3} in {tn:.4} s)",
                coverage(&p),
                coverage(&n)
            );
        }
    }
    // A 200 m street lattice over the same square: 101 × 101 nodes.
    let mut lines = Vec::new();
    for i in 0..=100 {
        let c = i as f64 * 200.0;
        lines.push((0..=100).map(|j| [c, j as f64 * 200.0]).collect::<Vec<_>>());
        lines.push((0..=100).map(|j| [j as f64 * 200.0, c]).collect::<Vec<_>>());
    }
    let (net, tb) = time(|| RoadNetwork::from_lines(&lines, 5.0));
    let travel = Travel::Roads { network: &net, access_detour: 1.3 };
    let (p, t) = time(|| plan(&sites, &units, travel, &PatrolSpec::default()));
    if let Ok(p) = p {
        println!(
            "plan 20 units × 300 sites (8 h shift, roads: {} nodes built in {tb:.3} s): {t:.3} s, coverage {:.3}",
            net.node_count(),
            coverage(&p)
        );
    }

    // 2,000 cells of 250 m, 1,000 cameras with 60–120° views of 50–150 m.
    let cells: Vec<geo::Polygon<f64>> = (0..2_000)
        .map(|i| {
            let (x, y) = ((i % 50) as f64 * 250.0, (i / 50) as f64 * 250.0);
            polygon![(x: x, y: y), (x: x + 250.0, y: y), (x: x + 250.0, y: y + 250.0), (x: x, y: y + 250.0)]
        })
        .collect();
    let cameras: Vec<CameraSector> = (0..1_000)
        .map(|_| CameraSector {
            x_m: rng.random_range(0.0..12_500.0),
            y_m: rng.random_range(0.0..10_000.0),
            heading_deg: rng.random_range(0.0..360.0),
            fov_deg: rng.random_range(60.0..120.0),
            range_m: rng.random_range(50.0..150.0),
        })
        .collect();
    let (share, t) = time(|| camera_coverage(&cells, &cameras, 8));
    let mean = share.iter().sum::<f64>() / share.len() as f64;
    println!("camera_coverage 1,000 cameras × 2,000 cells (8 × 8 samples): {t:.3} s, mean share {mean:.3}");
    let candidates: Vec<[f64; 2]> =
        (0..2_000).map(|_| [rng.random_range(0.0..12_500.0), rng.random_range(0.0..10_000.0)]).collect();
    let demand: Vec<([f64; 2], f64)> = (0..20_000)
        .map(|_| ([rng.random_range(0.0..12_500.0), rng.random_range(0.0..10_000.0)], rng.random_range(0.0..1.0)))
        .collect();
    let (picks, t) = time(|| suggest_sites(&candidates, &demand, 300.0, 50));
    let w: f64 = picks.iter().map(|p| p.covered_weight).sum();
    println!("suggest_sites 50 of 2,000 candidates, 20,000 demand points, 300 m: {t:.3} s, covered weight {w:.1}");
}
