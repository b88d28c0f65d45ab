//! Getis-Ord Gi* hot-spot statistic with binary weights (the feature itself included), two-sided
//! p-values, Benjamini–Hochberg false-discovery-rate correction and ArcGIS-style confidence bins.
//!
//! For feature i with neighbour set N(i) ∪ {i} of size W and attribute values x (n features,
//! mean x̄, population standard deviation S):
//!
//! z_i = (Σ_{j∈N(i)∪{i}} x_j − x̄·W) / (S · √((n·W − W²)/(n − 1)))
//!
//! which is PySAL esda's `G_Local(y, w, transform='B', star=True)` z-score and ArcGIS's Hot Spot
//! Analysis statistic.

use crate::normal::two_sided_p;
use crate::weights::Neighbours;

/// Fewest features for which Gi* is reliable (ArcGIS warns below this).
pub const MIN_FEATURES: usize = 30;

/// The result for one feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotSpot {
    /// Gi* z-score.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p: f64,
    /// Benjamini–Hochberg adjusted p-value (false discovery rate).
    pub p_fdr: f64,
    /// Confidence bin from −3 (cold, 99%) to +3 (hot, 99%); 0 not significant.
    pub bin: i8,
}

/// Gi* z-scores of `values` under binary weights `w` (self included).
///
/// ```
/// use analytics::{gi_star::gi_star, weights::Neighbours};
/// let mut values = vec![1.0; 25];
/// values[12] = 30.0;
/// let z = gi_star(&values, &Neighbours::queen_lattice(5, 5));
/// assert!(z[12] > 1.0 && z[0] < 0.0);
/// ```
pub fn gi_star(values: &[f64], w: &Neighbours) -> Vec<f64> {
    let n = values.len() as f64;
    if values.is_empty() {
        return Vec::new();
    }
    let mean = values.iter().sum::<f64>() / n;
    let s = (values.iter().map(|v| v * v).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    (0..values.len())
        .map(|i| {
            let neighbours = w.of(i);
            let lag = values[i] + neighbours.iter().map(|&j| values[j as usize]).sum::<f64>();
            let wi = (neighbours.len() + 1) as f64;
            let den = s * ((n * wi - wi * wi) / (n - 1.0)).max(0.0).sqrt();
            if den > 0.0 { (lag - mean * wi) / den } else { 0.0 }
        })
        .collect()
}

/// Benjamini–Hochberg adjusted p-values: p_(k)·n/k made monotone from the largest down, capped at 1.
///
/// ```
/// let q = analytics::gi_star::benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
/// assert_eq!(q, vec![0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.5]);
/// ```
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; n];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * n as f64 / (rank + 1) as f64).min(1.0);
        adjusted[i] = running;
    }
    adjusted
}

/// ArcGIS's confidence bins: ±3 at p < 0.01, ±2 at p < 0.05, ±1 at p < 0.10, signed by z.
pub fn confidence_bin(z: f64, p: f64) -> i8 {
    let level = if p < 0.01 {
        3
    } else if p < 0.05 {
        2
    } else if p < 0.10 {
        1
    } else {
        0
    };
    if z < 0.0 { -level } else { level }
}

/// Gi* with p-values, FDR and bins (bins from the FDR-adjusted p-values when `fdr`), and the
/// warnings a user must see (too few features).
pub fn hot_spots(values: &[f64], w: &Neighbours, fdr: bool) -> (Vec<HotSpot>, Vec<String>) {
    let z = gi_star(values, w);
    let p: Vec<f64> = z.iter().map(|z| two_sided_p(*z)).collect();
    let q = benjamini_hochberg(&p);
    let cells = (0..z.len())
        .map(|i| HotSpot { z: z[i], p: p[i], p_fdr: q[i], bin: confidence_bin(z[i], if fdr { q[i] } else { p[i] }) })
        .collect();
    let mut warnings = Vec::new();
    if values.len() < MIN_FEATURES {
        warnings.push(format!(
            "only {} features: Gi* needs at least {MIN_FEATURES} for reliable results (特征数少于 {MIN_FEATURES}，结果不可靠)",
            values.len()
        ));
    }
    (cells, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("../reference/gi_star_esda.rs");

    fn count(r: usize, c: usize) -> f64 {
        let hot = if (2..5).contains(&r) && (3..6).contains(&c) { 15 } else { 0 };
        ((r * 7 + c * 3) % 11 + hot) as f64
    }

    fn lattice() -> Vec<f64> {
        (0..12).flat_map(|r| (0..10).map(move |c| count(r, c))).collect()
    }

    #[test]
    fn z_scores_equal_pysal_esda_with_queen_contiguity() {
        let z = gi_star(&lattice(), &Neighbours::queen_lattice(12, 10));
        for (i, (got, want)) in z.iter().zip(QUEEN).enumerate() {
            assert!((got - want).abs() < 1e-9, "cell {i}: {got} vs esda {want}");
        }
    }

    #[test]
    fn z_scores_equal_pysal_esda_with_a_distance_band() {
        let centres: Vec<[f64; 2]> =
            (0..12).flat_map(|r| (0..10).map(move |c| [c as f64 * 500.0, r as f64 * 500.0])).collect();
        let z = gi_star(&lattice(), &Neighbours::distance_band(&centres, 1100.0));
        for (i, (got, want)) in z.iter().zip(BAND_1100).enumerate() {
            assert!((got - want).abs() < 1e-9, "cell {i}: {got} vs esda {want}");
        }
    }

    #[test]
    fn the_planted_block_is_hot_and_fdr_is_more_conservative() {
        let (cells, warnings) = hot_spots(&lattice(), &Neighbours::queen_lattice(12, 10), true);
        assert!(warnings.is_empty());
        assert_eq!(cells[3 * 10 + 4].bin, 3, "centre of the planted block");
        assert!(cells.iter().all(|c| c.p_fdr >= c.p - 1e-15));
        let hot_fdr = cells.iter().filter(|c| c.bin > 0).count();
        let (raw, _) = hot_spots(&lattice(), &Neighbours::queen_lattice(12, 10), false);
        assert!(raw.iter().filter(|c| c.bin > 0).count() >= hot_fdr);
        let (_, warn) = hot_spots(&[1.0, 2.0, 3.0], &Neighbours::queen_lattice(1, 3), true);
        assert_eq!(warn.len(), 1);
    }

    #[test]
    fn bins_follow_arcgis_thresholds() {
        assert_eq!(confidence_bin(3.0, 0.005), 3);
        assert_eq!(confidence_bin(-2.1, 0.04), -2);
        assert_eq!(confidence_bin(1.7, 0.09), 1);
        assert_eq!(confidence_bin(1.0, 0.3), 0);
    }
}
