//! Kernel density with the quartic (biweight) kernel, as ArcGIS Kernel Density, with its default
//! bandwidth rule. Planar metres in, incidents per square kilometre out.

use rstar::RTree;

/// Quartic kernel of radius `h_m` at distance `d_m`: 3/(π h²)·(1 − (d/h)²)², zero beyond `h`.
/// It integrates to 1 over the plane.
pub fn quartic(d_m: f64, h_m: f64) -> f64 {
    if d_m >= h_m || h_m <= 0.0 {
        return 0.0;
    }
    let u = d_m / h_m;
    3.0 / (std::f64::consts::PI * h_m * h_m) * (1.0 - u * u).powi(2)
}

/// ArcGIS's default search radius: 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−0.2), where SD is the
/// standard distance of the points from their mean centre and Dm the median of those distances.
/// `None` for fewer than two points or coincident points.
///
/// ```
/// let pts = [[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]];
/// let h = analytics::kde::default_bandwidth_m(&pts).unwrap();
/// // SD = Dm = 707.1 m: h = 0.9 · 707.1 · 4^(−0.2)
/// assert!((h - 0.9 * 707.106_781_186_547_6 * 4f64.powf(-0.2)).abs() < 1e-9);
/// ```
pub fn default_bandwidth_m(points_m: &[[f64; 2]]) -> Option<f64> {
    let n = points_m.len();
    if n < 2 {
        return None;
    }
    let cx = points_m.iter().map(|p| p[0]).sum::<f64>() / n as f64;
    let cy = points_m.iter().map(|p| p[1]).sum::<f64>() / n as f64;
    let mut d: Vec<f64> = points_m.iter().map(|p| ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()).collect();
    let sd = (d.iter().map(|x| x * x).sum::<f64>() / n as f64).sqrt();
    d.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 { d[n / 2] } else { (d[n / 2 - 1] + d[n / 2]) / 2.0 };
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * median) * (n as f64).powf(-0.2);
    (h > 0.0).then_some(h)
}

/// Density at each of `at_m` (e.g. grid-cell centres) from `points_m`, incidents per km².
pub fn density_per_km2(points_m: &[[f64; 2]], at_m: &[[f64; 2]], bandwidth_m: f64) -> Vec<f64> {
    let tree = RTree::bulk_load(points_m.to_vec());
    at_m.iter()
        .map(|c| {
            tree.locate_within_distance(*c, bandwidth_m * bandwidth_m)
                .map(|p| quartic(((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt(), bandwidth_m))
                .sum::<f64>()
                * 1e6
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_surface_integrates_to_the_number_of_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let pts: Vec<[f64; 2]> =
            (0..50).map(|_| [rng.random_range(2_000.0..8_000.0), rng.random_range(2_000.0..8_000.0)]).collect();
        let cell = 20.0;
        let at: Vec<[f64; 2]> =
            (0..500).flat_map(|r| (0..500).map(move |c| [(c as f64 + 0.5) * cell, (r as f64 + 0.5) * cell])).collect();
        let d = density_per_km2(&pts, &at, 800.0);
        let total: f64 = d.iter().sum::<f64>() / 1e6 * cell * cell;
        assert!((total - 50.0).abs() < 0.5, "{total}");
    }

    #[test]
    fn index_query_equals_a_brute_force_sum() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let pts: Vec<[f64; 2]> =
            (0..300).map(|_| [rng.random_range(0.0..3_000.0), rng.random_range(0.0..3_000.0)]).collect();
        let at: Vec<[f64; 2]> =
            (0..100).map(|_| [rng.random_range(0.0..3_000.0), rng.random_range(0.0..3_000.0)]).collect();
        let fast = density_per_km2(&pts, &at, 350.0);
        for (c, f) in at.iter().zip(&fast) {
            let slow: f64 =
                pts.iter().map(|p| quartic(((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt(), 350.0)).sum::<f64>()
                    * 1e6;
            assert!((f - slow).abs() < 1e-9 * (1.0 + slow));
        }
        assert_eq!(quartic(400.0, 350.0), 0.0);
        assert!(default_bandwidth_m(&[[1.0, 1.0]]).is_none());
    }
}
