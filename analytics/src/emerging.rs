//! Emerging hot-spot analysis in the manner of ArcGIS: Gi* per time step (spatial neighbours,
//! FDR-corrected), a Mann-Kendall trend of each location's z-scores, and Esri's seventeen
//! outcomes (eight hot, eight cold, no pattern).

use crate::gi_star::hot_spots;
use crate::mann_kendall::mann_kendall;
use crate::weights::Neighbours;

/// Significance level for a bin to count as a hot or cold spot, and for the trend.
pub const ALPHA: f64 = 0.05;

/// Esri's emerging hot-spot outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Hot in the final step only.
    NewHot,
    /// One uninterrupted hot run ending at the final step, never hot before, under 90% of steps.
    ConsecutiveHot,
    /// Hot in ≥ 90% of steps including the final, rising.
    IntensifyingHot,
    /// Hot in ≥ 90% of steps including the final, no trend.
    PersistentHot,
    /// Hot in ≥ 90% of steps including the final, falling.
    DiminishingHot,
    /// Hot now, sometimes before, never cold.
    SporadicHot,
    /// Hot now, cold at some earlier step.
    OscillatingHot,
    /// Not hot now, hot in ≥ 90% of steps.
    HistoricalHot,
    /// The cold counterparts.
    NewCold,
    /// …
    ConsecutiveCold,
    /// …
    IntensifyingCold,
    /// …
    PersistentCold,
    /// …
    DiminishingCold,
    /// …
    SporadicCold,
    /// …
    OscillatingCold,
    /// …
    HistoricalCold,
    /// None of the above.
    NoPattern,
}

impl Pattern {
    /// API name, e.g. `new_hot`.
    pub fn as_str(self) -> &'static str {
        use Pattern::*;
        match self {
            NewHot => "new_hot",
            ConsecutiveHot => "consecutive_hot",
            IntensifyingHot => "intensifying_hot",
            PersistentHot => "persistent_hot",
            DiminishingHot => "diminishing_hot",
            SporadicHot => "sporadic_hot",
            OscillatingHot => "oscillating_hot",
            HistoricalHot => "historical_hot",
            NewCold => "new_cold",
            ConsecutiveCold => "consecutive_cold",
            IntensifyingCold => "intensifying_cold",
            PersistentCold => "persistent_cold",
            DiminishingCold => "diminishing_cold",
            SporadicCold => "sporadic_cold",
            OscillatingCold => "oscillating_cold",
            HistoricalCold => "historical_cold",
            NoPattern => "no_pattern",
        }
    }

    /// (Chinese, English) label for a duty officer.
    pub fn label(self) -> (&'static str, &'static str) {
        use Pattern::*;
        match self {
            NewHot => ("新热点", "New hot spot"),
            ConsecutiveHot => ("连续热点", "Consecutive hot spot"),
            IntensifyingHot => ("加剧热点", "Intensifying hot spot"),
            PersistentHot => ("持续热点", "Persistent hot spot"),
            DiminishingHot => ("减弱热点", "Diminishing hot spot"),
            SporadicHot => ("零星热点", "Sporadic hot spot"),
            OscillatingHot => ("振荡热点", "Oscillating hot spot"),
            HistoricalHot => ("历史热点", "Historical hot spot"),
            NewCold => ("新冷点", "New cold spot"),
            ConsecutiveCold => ("连续冷点", "Consecutive cold spot"),
            IntensifyingCold => ("加剧冷点", "Intensifying cold spot"),
            PersistentCold => ("持续冷点", "Persistent cold spot"),
            DiminishingCold => ("减弱冷点", "Diminishing cold spot"),
            SporadicCold => ("零星冷点", "Sporadic cold spot"),
            OscillatingCold => ("振荡冷点", "Oscillating cold spot"),
            HistoricalCold => ("历史冷点", "Historical cold spot"),
            NoPattern => ("无明显模式", "No pattern detected"),
        }
    }
}

/// Classifies one location from its per-step significance (+1 hot, −1 cold, 0 neither) and the
/// Mann-Kendall z and p of its z-scores. `hot` chooses which side is examined.
fn classify_side(sig: &[i8], trend_z: f64, trend_p: f64, hot: bool) -> Option<Pattern> {
    use Pattern::*;
    let s: i8 = if hot { 1 } else { -1 };
    let n = sig.len();
    if n == 0 {
        return None;
    }
    let count = sig.iter().filter(|&&v| v == s).count();
    let opposite_ever = sig.iter().any(|&v| v == -s);
    let share = count as f64 / n as f64;
    let last = sig[n - 1] == s;
    let pick = |h: Pattern, c: Pattern| if hot { h } else { c };
    if last {
        if count == 1 {
            return Some(pick(NewHot, NewCold));
        }
        let run = sig.iter().rev().take_while(|&&v| v == s).count();
        if run >= 2 && run == count && share < 0.9 {
            return Some(pick(ConsecutiveHot, ConsecutiveCold));
        }
        if share >= 0.9 {
            let rising = trend_p < ALPHA && trend_z > 0.0;
            let falling = trend_p < ALPHA && trend_z < 0.0;
            // For cold spots "intensifying" means ever colder: a falling z.
            return Some(match (hot, rising, falling) {
                (true, true, _) => IntensifyingHot,
                (true, _, true) => DiminishingHot,
                (true, _, _) => PersistentHot,
                (false, _, true) => IntensifyingCold,
                (false, true, _) => DiminishingCold,
                (false, _, _) => PersistentCold,
            });
        }
        return Some(if opposite_ever {
            pick(OscillatingHot, OscillatingCold)
        } else {
            pick(SporadicHot, SporadicCold)
        });
    }
    if share >= 0.9 {
        return Some(pick(HistoricalHot, HistoricalCold));
    }
    None
}

/// The outcome of every location of a space-time cube.
///
/// `cube[t][i]` is the value of location `i` at time step `t` (oldest first); `w` the spatial
/// neighbours of the locations. Gi* runs per step with FDR correction; a bin is a hot (cold) spot
/// when its FDR-adjusted p < [`ALPHA`] and z > 0 (< 0).
pub fn emerging_hot_spots(cube: &[Vec<f64>], w: &Neighbours) -> Vec<Pattern> {
    let n = w.len();
    let steps: Vec<Vec<(f64, i8)>> = cube
        .iter()
        .map(|values| {
            let (cells, _) = hot_spots(values, w, true);
            cells.iter().map(|c| (c.z, if c.p_fdr < ALPHA { if c.z > 0.0 { 1 } else { -1 } } else { 0 })).collect()
        })
        .collect();
    (0..n)
        .map(|i| {
            let zs: Vec<f64> = steps.iter().map(|s| s[i].0).collect();
            let sig: Vec<i8> = steps.iter().map(|s| s[i].1).collect();
            let trend = mann_kendall(&zs);
            classify_side(&sig, trend.z, trend.p, true)
                .or_else(|| classify_side(&sig, trend.z, trend.p, false))
                .unwrap_or(Pattern::NoPattern)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pattern::*;

    fn hot(sig: &[i8], z: f64, p: f64) -> Option<Pattern> {
        classify_side(sig, z, p, true).or_else(|| classify_side(sig, z, p, false))
    }

    #[test]
    fn esri_definitions() {
        assert_eq!(hot(&[0, 0, 0, 0, 1], 1.0, 0.5), Some(NewHot));
        assert_eq!(hot(&[0, 0, 0, 1, 1, 1], 2.5, 0.01), Some(ConsecutiveHot));
        assert_eq!(hot(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2.5, 0.01), Some(IntensifyingHot));
        assert_eq!(hot(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.2, 0.8), Some(PersistentHot));
        assert_eq!(hot(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], -2.5, 0.01), Some(DiminishingHot));
        assert_eq!(hot(&[1, 0, 1, 0, 0, 1], 0.0, 1.0), Some(SporadicHot));
        assert_eq!(hot(&[-1, 0, 1, 0, 0, 1], 0.0, 1.0), Some(OscillatingHot));
        assert_eq!(hot(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], 0.0, 1.0), Some(HistoricalHot));
        assert_eq!(hot(&[0, 0, 0, 0, -1], -1.0, 0.5), Some(NewCold));
        assert_eq!(hot(&[-1; 10], -2.5, 0.01), Some(IntensifyingCold));
        assert_eq!(hot(&[0, 1, 0, 0, 0], 0.0, 1.0), None);
    }

    #[test]
    fn a_location_warming_up_at_the_end_is_emerging() {
        // 8 × 8 lattice, 12 steps; the 3 × 3 block around location 27 grows in the last steps
        // (Gi* finds clusters: a lone spike is not a hot spot once the FDR is applied).
        let w = Neighbours::queen_lattice(8, 8);
        let cube: Vec<Vec<f64>> = (0..12)
            .map(|t| {
                (0..64)
                    .map(|i| {
                        let base = ((i * 13 + t * 7) % 5) as f64;
                        let in_block = (2..=4).contains(&(i / 8)) && (2..=4).contains(&(i % 8));
                        if in_block && t >= 9 { base + 10.0 * (t - 8) as f64 } else { base }
                    })
                    .collect()
            })
            .collect();
        let patterns = emerging_hot_spots(&cube, &w);
        assert!(matches!(patterns[27], NewHot | ConsecutiveHot), "{:?}", patterns[27]);
        assert_eq!(patterns[0], NoPattern);
    }
}
