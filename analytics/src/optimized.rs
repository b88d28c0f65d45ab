//! The scale of analysis for Optimized Hot Spot Analysis, as ArcGIS chooses it: Incremental
//! Spatial Autocorrelation (global Moran's I at a series of growing distance bands) and the band
//! at the first peak of its z-score, where clustering is most pronounced. Without a peak the band
//! is the average distance to each feature's K nearest neighbours (K = 5% of the features,
//! between 3 and 30), capped at one standard distance.
//!
//! The series starts at the smallest band that gives every feature a neighbour and grows by the
//! mean nearest-neighbour distance (on a square grid: one cell side each step), ten bands, as the
//! Incremental Spatial Autocorrelation tool does by default. Bands whose lists would average more
//! than [`MAX_MEAN_NEIGHBOURS`] neighbours are not tried (memory grows with them).
//! Planar metres in (project first).

use crate::moran::global_moran;
use crate::weights::Neighbours;
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// How many distance bands the series tries.
pub const BANDS: usize = 10;

/// Bands averaging more neighbours than this are not tried.
pub const MAX_MEAN_NEIGHBOURS: f64 = 400.0;

/// Global Moran's I at one distance band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandMoran {
    /// The band, metres.
    pub band_m: f64,
    /// Moran's I.
    pub moran_i: f64,
    /// Its z-score.
    pub z: f64,
}

/// The chosen scale and how it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOfAnalysis {
    /// The distance band to use, metres.
    pub band_m: f64,
    /// Whether it is the first peak of the z-score series (otherwise the K-nearest fallback).
    pub peak: bool,
    /// The series, one entry per band tried.
    pub profile: Vec<BandMoran>,
}

/// Floating-point slack so a band equal to a lattice spacing includes those neighbours.
const SLACK: f64 = 1.0 + 1e-9;

/// Chooses the distance band for `values` at `centres_m`. `None` with fewer than 3 features or
/// when every value is the same (no autocorrelation to measure).
///
/// ```
/// use analytics::optimized::scale_of_analysis;
/// // A 30 × 30 lattice of 100 m cells with blobs about 5 cells wide.
/// let centres: Vec<[f64; 2]> = (0..900).map(|i| [(i % 30) as f64 * 100.0, (i / 30) as f64 * 100.0]).collect();
/// let values: Vec<f64> = (0..900).map(|i| {
///     let (r, c) = ((i / 30) as f64, (i % 30) as f64);
///     ((r / 5.0).sin() * (c / 5.0).cos() * 10.0).max(0.0)
/// }).collect();
/// let s = scale_of_analysis(&values, &centres).unwrap();
/// assert!(s.band_m >= 100.0 && s.band_m <= 1000.0);
/// ```
pub fn scale_of_analysis(values: &[f64], centres_m: &[[f64; 2]]) -> Option<ScaleOfAnalysis> {
    let n = values.len();
    if n < 3 || centres_m.len() != n || values.iter().all(|v| *v == values[0]) {
        return None;
    }
    let tree = RTree::bulk_load(centres_m.iter().enumerate().map(|(i, c)| GeomWithData::new(*c, i as u32)).collect());
    let nearest = |i: usize, k: usize| -> Vec<f64> {
        let c = centres_m[i];
        tree.nearest_neighbor_iter(c)
            .filter(|e| e.data as usize != i)
            .take(k)
            .map(|e| ((e.geom()[0] - c[0]).powi(2) + (e.geom()[1] - c[1]).powi(2)).sqrt())
            .collect()
    };
    let nn: Vec<f64> = (0..n).map(|i| nearest(i, 1).first().copied().unwrap_or(0.0)).collect();
    let start_m = nn.iter().copied().fold(0.0, f64::max);
    let increment_m = nn.iter().sum::<f64>() / n as f64;
    let mut profile = Vec::with_capacity(BANDS);
    if start_m > 0.0 && increment_m > 0.0 {
        let area = bounding_area_m2(centres_m);
        for k in 0..BANDS {
            let band_m = start_m + k as f64 * increment_m;
            // Expected neighbours in a band of this radius at the features' mean density.
            if area > 0.0 && std::f64::consts::PI * band_m * band_m * n as f64 / area > MAX_MEAN_NEIGHBOURS {
                break;
            }
            let w = Neighbours::distance_band(centres_m, band_m * SLACK);
            let m = global_moran(values, &w);
            profile.push(BandMoran { band_m, moran_i: m.i, z: m.z });
        }
    }
    if let Some(k) = first_peak(&profile) {
        return Some(ScaleOfAnalysis { band_m: profile[k].band_m, peak: true, profile });
    }
    let band_m = fallback_band_m(centres_m, &nearest);
    (band_m > 0.0).then_some(ScaleOfAnalysis { band_m, peak: false, profile })
}

/// The mean distance to the K-th nearest neighbour (K = 5% of the features, 3 to 30), capped at
/// one standard distance.
fn fallback_band_m(centres_m: &[[f64; 2]], nearest: &dyn Fn(usize, usize) -> Vec<f64>) -> f64 {
    let n = centres_m.len();
    let k = ((n as f64 * 0.05).round() as usize).clamp(3, 30).min(n - 1);
    let mean_knn = (0..n).map(|i| nearest(i, k).last().copied().unwrap_or(0.0)).sum::<f64>() / n as f64;
    mean_knn.min(standard_distance_m(centres_m))
}

/// The first band whose z-score is higher than both its neighbours in the series.
fn first_peak(profile: &[BandMoran]) -> Option<usize> {
    (1..profile.len().saturating_sub(1)).find(|&k| profile[k].z > profile[k - 1].z && profile[k].z > profile[k + 1].z)
}

fn bounding_area_m2(centres_m: &[[f64; 2]]) -> f64 {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for c in centres_m {
        min = [min[0].min(c[0]), min[1].min(c[1])];
        max = [max[0].max(c[0]), max[1].max(c[1])];
    }
    (max[0] - min[0]) * (max[1] - min[1])
}

/// √(mean squared distance from the mean centre).
fn standard_distance_m(centres_m: &[[f64; 2]]) -> f64 {
    let n = centres_m.len() as f64;
    let cx = centres_m.iter().map(|c| c[0]).sum::<f64>() / n;
    let cy = centres_m.iter().map(|c| c[1]).sum::<f64>() / n;
    (centres_m.iter().map(|c| (c[0] - cx).powi(2) + (c[1] - cy).powi(2)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lattice(side: usize, cell_m: f64) -> Vec<[f64; 2]> {
        (0..side * side).map(|i| [(i % side) as f64 * cell_m, (i / side) as f64 * cell_m]).collect()
    }

    #[test]
    fn the_series_starts_at_the_lattice_spacing_and_steps_by_it() {
        let centres = lattice(20, 250.0);
        let values: Vec<f64> = (0..400).map(|i| ((i * 7919) % 13) as f64).collect();
        let s = scale_of_analysis(&values, &centres).unwrap();
        assert_eq!(s.profile[0].band_m, 250.0);
        assert_eq!(s.profile[1].band_m, 500.0);
        assert!(s.profile.len() >= 5);
        for (b, want) in s.profile.iter().zip([250.0, 500.0, 750.0]) {
            let w = Neighbours::distance_band(&centres, want * SLACK);
            assert_eq!(b.z, global_moran(&values, &w).z);
        }
    }

    #[test]
    fn blobs_of_a_known_size_peak_near_that_size() {
        // Square blobs 6 cells wide on a 60 × 60 lattice of 100 m cells, repeating every 12
        // cells: autocorrelation rises while the band stays inside a blob, then falls.
        let side = 60;
        let centres = lattice(side, 100.0);
        let values: Vec<f64> = (0..side * side)
            .map(|i| {
                let (r, c) = (i / side, i % side);
                if (r % 12) < 6 && (c % 12) < 6 { 10.0 + (i % 3) as f64 } else { (i % 2) as f64 }
            })
            .collect();
        let s = scale_of_analysis(&values, &centres).unwrap();
        assert!(s.peak, "{:?}", s.profile);
        assert!((200.0..=500.0).contains(&s.band_m), "{}", s.band_m);
        let k = s.profile.iter().position(|b| b.band_m == s.band_m).unwrap();
        assert!(s.profile[k].z > s.profile[k - 1].z && s.profile[k].z > s.profile[k + 1].z);
    }

    #[test]
    fn without_a_peak_the_band_is_the_mean_distance_to_k_neighbours() {
        let centres = lattice(30, 100.0);
        let nearest = |i: usize, k: usize| -> Vec<f64> {
            let c = centres[i];
            let mut d: Vec<f64> = centres
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| ((o[0] - c[0]).powi(2) + (o[1] - c[1]).powi(2)).sqrt())
                .collect();
            d.sort_by(f64::total_cmp);
            d.truncate(k);
            d
        };
        // K = 5% of 900 = 45 → 30. Inside the lattice the 30th neighbour is √10 cells away;
        // at the edges it is further.
        let band = fallback_band_m(&centres, &nearest);
        assert!((316.0..=450.0).contains(&band), "{band}");
        // Three features: K = 3 is capped at n − 1 = 2, then at one standard distance.
        let three: [[f64; 2]; 3] = [[0.0, 0.0], [100.0, 0.0], [10_000.0, 0.0]];
        let near3 = |i: usize, k: usize| -> Vec<f64> {
            let mut d: Vec<f64> = (0..3).filter(|&j| j != i).map(|j| (three[j][0] - three[i][0]).abs()).collect();
            d.sort_by(f64::total_cmp);
            d.truncate(k);
            d
        };
        assert!((fallback_band_m(&three, &near3) - standard_distance_m(&three)).abs() < 1e-9);
        assert_eq!(first_peak(&[]), None);
        let flat = [BandMoran { band_m: 1.0, moran_i: 0.0, z: 1.0 }; 4];
        assert_eq!(first_peak(&flat), None);
    }

    #[test]
    fn degenerate_inputs_have_no_scale() {
        assert_eq!(scale_of_analysis(&[1.0, 2.0], &lattice(2, 1.0)[..2]), None);
        assert_eq!(scale_of_analysis(&[3.0; 9], &lattice(3, 100.0)), None);
    }
}
