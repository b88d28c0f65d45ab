//! The Knox test for near-repeat victimisation: are events that are close in space also close in
//! time more often than chance? Pairs are counted in distance × time bands and compared with
//! Monte Carlo simulations that shuffle the event times (keeping where and when events happen,
//! breaking only their pairing), as the Near Repeat Calculator does (Ratcliffe 2009).
//!
//! Coordinates are planar metres (project first); times are seconds.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// One event: position in projected metres and time in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Easting, metres.
    pub x_m: f64,
    /// Northing, metres.
    pub y_m: f64,
    /// Time, seconds.
    pub t_s: i64,
}

/// Bands and simulations.
#[derive(Debug, Clone, PartialEq)]
pub struct KnoxParams {
    /// Upper edges of the distance bands, metres, ascending (the first band starts at 0).
    pub distance_bands_m: Vec<f64>,
    /// Upper edges of the time bands, seconds, ascending (the first band starts at 0).
    pub time_bands_s: Vec<i64>,
    /// Monte Carlo simulations.
    pub simulations: usize,
    /// Seed of the simulations.
    pub seed: u64,
}

impl KnoxParams {
    /// 100 m and 7-day bands, four of each, 99 simulations: the usual near-repeat table.
    pub fn standard(seed: u64) -> KnoxParams {
        KnoxParams {
            distance_bands_m: vec![100.0, 200.0, 300.0, 400.0],
            time_bands_s: (1..=4).map(|k| k * 7 * 86_400).collect(),
            simulations: 99,
            seed,
        }
    }
}

/// One distance × time band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnoxCell {
    /// Pairs observed in the band.
    pub observed: u64,
    /// Mean pairs over the simulations.
    pub expected: f64,
    /// observed / expected (0 when expected is 0).
    pub ratio: f64,
    /// One-sided Monte Carlo p-value of observing this many or more: (k + 1)/(simulations + 1).
    pub p: f64,
}

/// The Knox table, `cells[distance band][time band]`.
#[derive(Debug, Clone, PartialEq)]
pub struct KnoxResult {
    /// The bands.
    pub cells: Vec<Vec<KnoxCell>>,
    /// Event pairs within the largest distance band.
    pub close_pairs: usize,
}

/// Counts pairs per band for the given event times.
fn count(pairs: &[(u32, u32, u8)], times: &[i64], time_bands_s: &[i64], n_d: usize) -> Vec<u64> {
    let n_t = time_bands_s.len();
    let mut c = vec![0u64; n_d * n_t];
    let max_t = time_bands_s.last().copied().unwrap_or(0);
    for &(i, j, d) in pairs {
        let dt = (times[i as usize] - times[j as usize]).abs();
        if dt > max_t {
            continue;
        }
        let t = time_bands_s.partition_point(|&edge| edge < dt);
        c[d as usize * n_t + t] += 1;
    }
    c
}

/// Runs the Knox test.
///
/// ```
/// use analytics::knox::{knox, Event, KnoxParams};
/// // Pairs of events 20 m and one day apart, the pairs scattered in space and time.
/// let events: Vec<Event> = (0..200)
///     .flat_map(|k| {
///         let (x, y, t) = ((k * 7919 % 10_000) as f64, (k * 104_729 % 10_000) as f64, (k * 86_400 * 17 % 31_536_000) as i64);
///         [Event { x_m: x, y_m: y, t_s: t }, Event { x_m: x + 20.0, y_m: y, t_s: t + 86_400 }]
///     })
///     .collect();
/// let r = knox(&events, &KnoxParams::standard(1));
/// assert!(r.cells[0][0].ratio > 2.0 && r.cells[0][0].p <= 0.01);
/// ```
pub fn knox(events: &[Event], params: &KnoxParams) -> KnoxResult {
    let n_d = params.distance_bands_m.len();
    let n_t = params.time_bands_s.len();
    let max_d = params.distance_bands_m.last().copied().unwrap_or(0.0);
    let tree =
        RTree::bulk_load(events.iter().enumerate().map(|(i, e)| GeomWithData::new([e.x_m, e.y_m], i as u32)).collect());
    let mut pairs: Vec<(u32, u32, u8)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        for other in tree.locate_within_distance([e.x_m, e.y_m], max_d * max_d) {
            let j = other.data as usize;
            if j <= i {
                continue;
            }
            let d = ((events[j].x_m - e.x_m).powi(2) + (events[j].y_m - e.y_m).powi(2)).sqrt();
            let band = params.distance_bands_m.partition_point(|&edge| edge < d);
            if band < n_d {
                pairs.push((i as u32, j as u32, band as u8));
            }
        }
    }
    let mut times: Vec<i64> = events.iter().map(|e| e.t_s).collect();
    let observed = count(&pairs, &times, &params.time_bands_s, n_d);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut sum = vec![0u64; n_d * n_t];
    let mut at_least = vec![0usize; n_d * n_t];
    for _ in 0..params.simulations {
        times.shuffle(&mut rng);
        let sim = count(&pairs, &times, &params.time_bands_s, n_d);
        for k in 0..sim.len() {
            sum[k] += sim[k];
            if sim[k] >= observed[k] {
                at_least[k] += 1;
            }
        }
    }
    let sims = params.simulations.max(1) as f64;
    let cells = (0..n_d)
        .map(|d| {
            (0..n_t)
                .map(|t| {
                    let k = d * n_t + t;
                    let expected = sum[k] as f64 / sims;
                    KnoxCell {
                        observed: observed[k],
                        expected,
                        ratio: if expected > 0.0 { observed[k] as f64 / expected } else { 0.0 },
                        p: (at_least[k] as f64 + 1.0) / (params.simulations as f64 + 1.0),
                    }
                })
                .collect()
        })
        .collect();
    KnoxResult { cells, close_pairs: pairs.len() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn background(n: usize, seed: u64) -> Vec<Event> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| Event {
                x_m: rng.random_range(0.0..5_000.0),
                y_m: rng.random_range(0.0..5_000.0),
                t_s: rng.random_range(0..365 * 86_400),
            })
            .collect()
    }

    #[test]
    fn no_interaction_is_not_significant() {
        let r = knox(&background(3_000, 1), &KnoxParams::standard(2));
        let c = r.cells[0][0];
        assert!(c.p > 0.05, "{c:?}");
        assert!((c.ratio - 1.0).abs() < 0.5, "{c:?}");
    }

    #[test]
    fn planted_repeats_are_found_in_the_first_bands_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut events = background(3_000, 4);
        let parents = events.clone();
        for e in parents.iter().take(600) {
            events.push(Event {
                x_m: e.x_m + rng.random_range(-40.0..40.0),
                y_m: e.y_m + rng.random_range(-40.0..40.0),
                t_s: e.t_s + rng.random_range(0..5 * 86_400),
            });
        }
        let r = knox(&events, &KnoxParams::standard(5));
        assert!(r.cells[0][0].p <= 0.01 && r.cells[0][0].ratio > 2.0, "{:?}", r.cells[0][0]);
        assert!(r.cells[3][3].p > 0.01, "far bands stay quiet: {:?}", r.cells[3][3]);
        // Same seed, same table.
        assert_eq!(r, knox(&events, &KnoxParams::standard(5)));
    }
}
