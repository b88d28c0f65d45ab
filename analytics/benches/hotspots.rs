//! Hot-spot statistics at 10k, 100k and 1M cells (not run in CI):
//! `cargo bench -p analytics --bench hotspots`. Square lattices with queen contiguity and
//! clustered counts; prints seconds per run.

#![allow(clippy::print_stdout)]

use analytics::gi_star::{gi_star, hot_spots};
use analytics::kde::density_per_km2;
use analytics::moran::local_moran;
use analytics::weights::Neighbours;
use std::time::Instant;

fn counts(side: usize) -> Vec<f64> {
    (0..side * side)
        .map(|i| {
            let (r, c) = ((i / side) as f64, (i % side) as f64);
            let d = ((r - side as f64 / 3.0).powi(2) + (c - side as f64 / 2.0).powi(2)).sqrt();
            ((i * 2_654_435_761) % 7) as f64 + 30.0 * (-d / (side as f64 / 20.0)).exp()
        })
        .collect()
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn main() {
    // The size esda was measured at here (3,190 cells: formula 0.07 s, 999 permutations 0.77 s).
    let side = 56; // 3,136 cells
    let v = counts(side);
    let w = Neighbours::queen_lattice(side as u32, side as u32);
    let (_, t) = time(|| gi_star(&v, &w));
    let (_, tl) = time(|| local_moran(&v, &w, 999, 1));
    println!(
        "{} cells: Gi* {:.6} s (esda 0.07 s), local Moran 999 permutations {:.3} s (esda 0.77 s)",
        side * side,
        t,
        tl
    );
    for side in [100usize, 317, 1000] {
        let n = side * side;
        let v = counts(side);
        let (w, tw) = time(|| Neighbours::queen_lattice(side as u32, side as u32));
        let (_, tg) = time(|| hot_spots(&v, &w, true));
        let perms = if n >= 1_000_000 { 99 } else { 999 };
        let (_, tl) = time(|| local_moran(&v, &w, perms, 1));
        let pts: Vec<[f64; 2]> =
            (0..n / 10).map(|i| [((i * 7919) % (side * 100)) as f64, ((i * 104_729) % (side * 100)) as f64]).collect();
        let centres: Vec<[f64; 2]> =
            (0..n).map(|i| [(i % side) as f64 * 100.0 + 50.0, (i / side) as f64 * 100.0 + 50.0]).collect();
        let (_, tk) = time(|| density_per_km2(&pts, &centres, 300.0));
        println!(
            "{n} cells: weights {tw:.3} s; Gi* + p + FDR + bins {tg:.3} s; local Moran {perms} permutations {tl:.2} s; \
             KDE of {} points at every cell centre (300 m) {tk:.3} s",
            n / 10
        );
    }
}
