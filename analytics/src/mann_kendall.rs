//! The Mann-Kendall trend test: is a series increasing or decreasing, without assuming a shape?
//! S = Σ_{i<j} sign(x_j − x_i); variance n(n−1)(2n+5)/18 minus the tie correction; z with the
//! continuity correction; two-sided p.

use crate::normal::two_sided_p;

/// The trend of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Kendall's S.
    pub s: i64,
    /// Normal z-score (continuity corrected).
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Mann-Kendall test of `x` (in time order).
///
/// ```
/// let t = analytics::mann_kendall::mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
/// assert_eq!(t.s, 45);
/// assert!(t.z > 3.0 && t.p < 0.001);
/// ```
pub fn mann_kendall(x: &[f64]) -> Trend {
    let n = x.len();
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    // Tie groups: Σ t(t−1)(2t+5).
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut k = 0;
    while k < n {
        let mut m = k + 1;
        while m < n && sorted[m] == sorted[k] {
            m += 1;
        }
        let t = (m - k) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        k = m;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if var <= 0.0 || s == 0 {
        0.0
    } else if s > 0 {
        (s as f64 - 1.0) / var.sqrt()
    } else {
        (s as f64 + 1.0) / var.sqrt()
    };
    Trend { s, z, p: two_sided_p(z) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_worked_example_with_ties() {
        // x = [1, 2, 2, 3, 1]: S = 3 (signs 1,1,1,0 | 0,1,-1 | 1,-1 | -1 → 1+1+1+0+0+1−1+1−1−1 = 2)
        let t = mann_kendall(&[1.0, 2.0, 2.0, 3.0, 1.0]);
        assert_eq!(t.s, 2);
        // var = (5·4·15 − [2·1·9 + 2·1·9]) / 18 = (300 − 36)/18 = 14.667; z = (2 − 1)/√14.667
        assert!((t.z - 1.0 / (264.0f64 / 18.0).sqrt()).abs() < 1e-12);
        let flat = mann_kendall(&[3.0; 8]);
        assert_eq!((flat.s, flat.z, flat.p), (0, 0.0, 1.0));
        assert!(mann_kendall(&[9.0, 7.0, 8.0, 5.0, 4.0, 2.0, 1.0, 0.0]).z < -2.0);
    }
}
