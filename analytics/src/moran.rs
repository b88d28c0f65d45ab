//! Moran's I with row-standardised weights: the global statistic with its normal-approximation
//! z-score (for choosing a distance band by incremental spatial autocorrelation), and local Moran's I
//! (LISA) with quadrants HH/LH/LL/HL and pseudo p-values from seeded conditional permutations.
//! Numbers equal PySAL esda's `Moran` and `Moran_Local` (transformation 'r').

use crate::weights::Neighbours;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Global Moran's I and its normal-approximation moments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlobalMoran {
    /// Moran's I.
    pub i: f64,
    /// Its expectation under no autocorrelation, −1/(n − 1).
    pub expected: f64,
    /// Its variance under normality.
    pub variance: f64,
    /// (I − E[I]) / √Var.
    pub z: f64,
}

/// Global Moran's I of `values` with row-standardised `w` (features without neighbours get none).
///
/// ```
/// use analytics::{moran::global_moran, weights::Neighbours};
/// let smooth: Vec<f64> = (0..100).map(|i| (i / 10) as f64).collect();
/// assert!(global_moran(&smooth, &Neighbours::queen_lattice(10, 10)).z > 5.0);
/// ```
pub fn global_moran(values: &[f64], w: &Neighbours) -> GlobalMoran {
    let n = values.len();
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let z: Vec<f64> = values.iter().map(|v| v - mean).collect();
    let zz: f64 = z.iter().map(|v| v * v).sum();
    let mut s0 = 0.0;
    let mut num = 0.0;
    let mut col_sums = vec![0.0; n];
    let mut s1 = 0.0;
    for i in 0..n {
        let nb = w.of(i);
        if nb.is_empty() {
            continue;
        }
        let wij = 1.0 / nb.len() as f64;
        for &j in nb {
            let j = j as usize;
            num += wij * z[i] * z[j];
            s0 += wij;
            col_sums[j] += wij;
            // w_ji for row-standardised weights (0 if i is not j's neighbour).
            let wji = if w.of(j).binary_search(&(i as u32)).is_ok() { 1.0 / w.of(j).len() as f64 } else { 0.0 };
            s1 += (wij + wji).powi(2);
        }
    }
    // Pairs where only j lists i were not visited from i's side: add them from j's side.
    for j in 0..n {
        for &i in w.of(j) {
            if w.of(i as usize).binary_search(&(j as u32)).is_err() {
                s1 += (1.0 / w.of(j).len() as f64).powi(2);
            }
        }
    }
    let s1 = s1 / 2.0;
    let s2: f64 = (0..n).map(|i| ((if w.of(i).is_empty() { 0.0 } else { 1.0 }) + col_sums[i]).powi(2)).sum();
    let i_stat = if zz > 0.0 && s0 > 0.0 { nf / s0 * num / zz } else { 0.0 };
    let expected = -1.0 / (nf - 1.0);
    let variance = (nf * nf * s1 - nf * s2 + 3.0 * s0 * s0) / ((nf * nf - 1.0) * s0 * s0) - expected * expected;
    let z = if variance > 0.0 { (i_stat - expected) / variance.sqrt() } else { 0.0 };
    GlobalMoran { i: i_stat, expected, variance, z }
}

/// LISA quadrant of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High value among high neighbours (hot spot).
    HighHigh = 1,
    /// Low value among high neighbours (outlier).
    LowHigh = 2,
    /// Low value among low neighbours (cold spot).
    LowLow = 3,
    /// High value among low neighbours (outlier).
    HighLow = 4,
}

/// Local Moran's I of one feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalMoran {
    /// The local statistic, (n − 1)·z_i·lag_i / Σz².
    pub i: f64,
    /// Quadrant of (z_i, lag_i); zero counts as low, as in esda.
    pub quadrant: Quadrant,
    /// Folded pseudo p-value from conditional permutations, (extremes + 1)/(permutations + 1);
    /// 1 when `permutations` is 0.
    pub p_sim: f64,
    /// (I − mean of the permuted I) / their standard deviation, as esda's `z_sim`; 0 without
    /// permutations.
    pub z_sim: f64,
}

/// Local Moran's I of every feature with `permutations` seeded conditional permutations each
/// (the feature's value fixed, its neighbours drawn from the others without replacement).
pub fn local_moran(values: &[f64], w: &Neighbours, permutations: usize, seed: u64) -> Vec<LocalMoran> {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let z: Vec<f64> = values.iter().map(|v| v - mean).collect();
    let zz: f64 = z.iter().map(|v| v * v).sum();
    let scale = if zz > 0.0 { (n as f64 - 1.0) / zz } else { 0.0 };
    let lag = |i: usize| -> f64 {
        let nb = w.of(i);
        if nb.is_empty() { 0.0 } else { nb.iter().map(|&j| z[j as usize]).sum::<f64>() / nb.len() as f64 }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The draw pool: every feature's index, the current feature kept in the last slot, so the
    // first n − 1 slots are "the others". `at[j]` is where feature j sits in the pool.
    let mut pool: Vec<usize> = (0..n).collect();
    let mut at: Vec<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let l = lag(i);
        let stat = scale * z[i] * l;
        let quadrant = match (z[i] > 0.0, l > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        };
        let k = w.of(i).len();
        let (p_sim, z_sim) = if permutations == 0 || k == 0 || n < 2 {
            (1.0, 0.0)
        } else {
            let slot = at[i];
            swap_in_pool(&mut pool, &mut at, slot, n - 1);
            let mut above = 0usize;
            let (mut sum, mut sum_sq) = (0.0, 0.0);
            let k = k.min(n - 1);
            for _ in 0..permutations {
                // k distinct features among the other n − 1: a partial Fisher–Yates shuffle of
                // the pool's first n − 1 slots, O(k) whatever k is. Any order of the pool
                // gives a uniform draw, so it is not reset between permutations.
                let mut s = 0.0;
                for t in 0..k {
                    let r = rng.random_range(t..n - 1);
                    swap_in_pool(&mut pool, &mut at, t, r);
                    s += z[pool[t]];
                }
                let permuted = scale * z[i] * (s / k as f64);
                sum += permuted;
                sum_sq += permuted * permuted;
                if permuted >= stat {
                    above += 1;
                }
            }
            let extremes = above.min(permutations - above);
            let m = permutations as f64;
            let (mean, var) = (sum / m, (sum_sq / m - (sum / m).powi(2)).max(0.0));
            let z_sim = if var > 0.0 { (stat - mean) / var.sqrt() } else { 0.0 };
            ((extremes as f64 + 1.0) / (m + 1.0), z_sim)
        };
        out.push(LocalMoran { i: stat, quadrant, p_sim, z_sim });
    }
    out
}

/// Swaps the pool's slots `a` and `b`, keeping `at` its inverse.
fn swap_in_pool(pool: &mut [usize], at: &mut [usize], a: usize, b: usize) {
    pool.swap(a, b);
    at[pool[a]] = a;
    at[pool[b]] = b;
}

/// A feature's local Moran's I cluster after the false-discovery correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LisaCluster {
    /// The local statistic and its permutation results.
    pub local: LocalMoran,
    /// Benjamini–Hochberg adjusted pseudo p-value.
    pub p_fdr: f64,
    /// +1…+3 for a high-high cluster at 90/95/99% (after FDR), −1…−3 for low-low, 0 otherwise.
    pub bin: i8,
    /// `HH`, `LL`, `HL`, `LH` when significant at 90% after FDR, else empty.
    pub cluster: &'static str,
}

/// Local Moran's I with FDR-corrected pseudo p-values, classified into clusters and outliers, and
/// the warnings a user must see (fewer than [`crate::gi_star::MIN_FEATURES`] features).
pub fn lisa_clusters(
    values: &[f64],
    w: &Neighbours,
    permutations: usize,
    seed: u64,
) -> (Vec<LisaCluster>, Vec<String>) {
    use crate::gi_star::{MIN_FEATURES, benjamini_hochberg, confidence_bin};
    let lisa = local_moran(values, w, permutations, seed);
    let p_fdr = benjamini_hochberg(&lisa.iter().map(|l| l.p_sim).collect::<Vec<_>>());
    let clusters = lisa
        .into_iter()
        .zip(p_fdr)
        .map(|(local, p_fdr)| {
            let (bin, cluster) = match (confidence_bin(1.0, p_fdr), local.quadrant) {
                (0, _) => (0, ""),
                (level, Quadrant::HighHigh) => (level, "HH"),
                (level, Quadrant::LowLow) => (-level, "LL"),
                (_, Quadrant::HighLow) => (0, "HL"),
                (_, Quadrant::LowHigh) => (0, "LH"),
            };
            LisaCluster { local, p_fdr, bin, cluster }
        })
        .collect();
    let n = values.len();
    let warnings = if n < MIN_FEATURES {
        vec![format!(
            "only {n} features: local Moran's I needs at least {MIN_FEATURES} for reliable results (特征数少于 {MIN_FEATURES}，结果不可靠)"
        )]
    } else {
        vec![]
    };
    (clusters, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("../reference/moran_esda.rs");

    fn lattice() -> Vec<f64> {
        (0..12)
            .flat_map(|r| {
                (0..10).map(move |c| {
                    ((r * 7 + c * 3) % 11 + if (2..5).contains(&r) && (3..6).contains(&c) { 15 } else { 0 }) as f64
                })
            })
            .collect()
    }

    #[test]
    fn global_moran_equals_esda() {
        let g = global_moran(&lattice(), &Neighbours::queen_lattice(12, 10));
        assert!((g.i - GLOBAL_I).abs() < 1e-12, "{} vs {GLOBAL_I}", g.i);
        assert!((g.expected - GLOBAL_EI).abs() < 1e-15);
        assert!((g.variance - GLOBAL_VI_NORM).abs() < 1e-12, "{} vs {GLOBAL_VI_NORM}", g.variance);
        assert!((g.z - GLOBAL_Z_NORM).abs() < 1e-9, "{} vs {GLOBAL_Z_NORM}", g.z);
    }

    #[test]
    fn local_moran_equals_esda_and_permutations_are_seeded() {
        let w = Neighbours::queen_lattice(12, 10);
        let l = local_moran(&lattice(), &w, 0, 1);
        for (k, (got, (want_i, want_q))) in l.iter().zip(LOCAL_I.iter().zip(LOCAL_Q)).enumerate() {
            assert!((got.i - want_i).abs() < 1e-9, "cell {k}: {} vs {want_i}", got.i);
            assert_eq!(got.quadrant as u8, want_q, "cell {k}");
        }
        let a = local_moran(&lattice(), &w, 199, 7);
        assert_eq!(a, local_moran(&lattice(), &w, 199, 7), "same seed, same p-values");
        assert!(a.iter().all(|c| (1.0 / 200.0..=0.5 + 1e-12).contains(&c.p_sim)));
        // The planted block's centre is a significant high-high cluster.
        assert_eq!(a[34].quadrant, Quadrant::HighHigh);
        assert!(a[34].p_sim <= 0.05, "{}", a[34].p_sim);
        // A significant cluster has a large simulated z; z_sim and p_sim agree in direction.
        assert!(a[34].z_sim > 1.6, "{}", a[34].z_sim);
        assert!(l.iter().all(|c| c.z_sim == 0.0));
        // Clusters: the same statistics, FDR-adjusted, labelled by quadrant when significant.
        let (clusters, warnings) = lisa_clusters(&lattice(), &w, 199, 7);
        assert!(warnings.is_empty());
        for (c, l) in clusters.iter().zip(&a) {
            assert_eq!(c.local, *l);
            assert!(c.p_fdr >= l.p_sim);
            assert_eq!(c.cluster.is_empty(), c.p_fdr >= 0.10);
            assert_eq!(c.bin != 0, matches!(c.cluster, "HH" | "LL"));
        }
        assert_eq!(clusters[34].cluster, "HH", "{:?}", clusters[34]);
        assert_eq!(lisa_clusters(&[1.0, 2.0, 3.0], &Neighbours::queen_lattice(1, 3), 99, 1).1.len(), 1);
    }

    #[test]
    fn permutations_draw_distinct_others_even_when_every_feature_is_a_neighbour() {
        // Every feature neighbours every other: the old rejection sampler needed about
        // n·ln n draws with a linear `contains` each per permutation; this one takes k swaps.
        let n = 400;
        let values: Vec<f64> = (0..n).map(|i| f64::from(i % 7)).collect();
        let w = Neighbours::from_lists((0..n).map(|_| (0..n).collect()).collect());
        let all = local_moran(&values, &w, 99, 3);
        // Every permuted lag is the true one (up to rounding in the sum's order): no
        // permutation is more extreme than the statistic by more than rounding.
        assert_eq!(all.len(), n as usize);
        for c in &all {
            assert!((0.01..=0.5 + 1e-12).contains(&c.p_sim), "{c:?}");
        }
        // A neighbourhood of half the features: permutation statistics vary and are seeded.
        let half = Neighbours::from_lists((0..n).map(|i| (0..n).filter(|j| (j + i) % 2 == 0).collect()).collect());
        let a = local_moran(&values, &half, 99, 3);
        assert_eq!(a, local_moran(&values, &half, 99, 3));
        assert!(a.iter().any(|c| c.z_sim != 0.0));
    }

    #[test]
    fn draws_are_uniform_over_the_others() {
        // One feature with one neighbour: each permutation draws one of the n − 1 others.
        // Feature 9 (value 100) has neighbour 4 (value 4): a draw is at least as extreme above
        // when its value is ≥ 4, which 5 of the 9 others are; so p ≈ min(5, 4)/9.
        let values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0];
        let w = Neighbours::from_lists((0..10).map(|i| vec![if i == 9 { 4 } else { (i + 1) as u32 }]).collect());
        let l = local_moran(&values, &w, 9_999, 5);
        let p = l[9].p_sim;
        assert!((p - 4.0 / 9.0).abs() < 0.02, "{p}");
    }
}
