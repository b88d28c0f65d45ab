//! Random draws used by the generator: weighted choice, points in polygons, simple distributions.

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Cumulative weights for repeated weighted choice by binary search.
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut acc = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Weighted { cumulative }
    }

    pub fn total(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    pub fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let x = rng.random::<f64>() * self.total();
        self.cumulative.partition_point(|&c| c <= x).min(self.cumulative.len().saturating_sub(1))
    }
}

/// A uniformly random point inside `area` (rejection in its bounding box).
pub fn point_in(area: &MultiPolygon<f64>, rng: &mut ChaCha8Rng) -> Option<Coord<f64>> {
    let bbox = area.bounding_rect()?;
    for _ in 0..10_000 {
        let c = Coord {
            x: rng.random_range(bbox.min().x..=bbox.max().x),
            y: rng.random_range(bbox.min().y..=bbox.max().y),
        };
        if area.contains(&Point::from(c)) {
            return Some(c);
        }
    }
    None
}

/// Standard normal draw (Box–Muller).
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Exponential draw with the given mean.
pub fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * rng.random::<f64>().max(1e-12).ln()
}

/// Poisson draw (Knuth; fine for small means).
pub fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Metres per degree of longitude and latitude near `lat_deg` (local equirectangular scale).
pub fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let m_per_deg_lat = 111_132.0;
    (m_per_deg_lat * lat_deg.to_radians().cos(), m_per_deg_lat)
}
