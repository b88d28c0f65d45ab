//! Clipping rings to an axis-aligned rectangle (Sutherland–Hodgman), as vector tiles need:
//! each tile carries only the part of a polygon inside its buffered extent.
//!
//! A concave ring may come back with zero-width edges along the rectangle's sides; renderers
//! draw those as nothing, which is all tiles need.

use geo::Coord;

/// The part of closed ring `ring` inside `[min, max]`, closed again (first point repeated), or
/// empty when nothing of it is inside.
///
/// ```
/// use analytics::clip::clip_ring;
/// use geo::coord;
/// let square = [coord! {x: -5.0, y: -5.0}, coord! {x: 5.0, y: -5.0}, coord! {x: 5.0, y: 5.0}, coord! {x: -5.0, y: 5.0}, coord! {x: -5.0, y: -5.0}];
/// let clipped = clip_ring(&square, coord! {x: 0.0, y: 0.0}, coord! {x: 10.0, y: 10.0});
/// assert_eq!(clipped.len(), 5);
/// assert!(clipped.iter().all(|c| c.x >= 0.0 && c.y >= 0.0));
/// ```
pub fn clip_ring(ring: &[Coord<f64>], min: Coord<f64>, max: Coord<f64>) -> Vec<Coord<f64>> {
    let open = match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    };
    let mut pts: Vec<Coord<f64>> = open.to_vec();
    // Each edge of the rectangle: keep points where `inside` holds.
    type Edge = (
        fn(Coord<f64>, Coord<f64>, Coord<f64>) -> bool,
        fn(Coord<f64>, Coord<f64>, Coord<f64>, Coord<f64>, Coord<f64>) -> Coord<f64>,
    );
    let edges: [Edge; 4] = [
        (|p, mn, _| p.x >= mn.x, |a, b, mn, _, _| lerp_x(a, b, mn.x)),
        (|p, _, mx| p.x <= mx.x, |a, b, _, mx, _| lerp_x(a, b, mx.x)),
        (|p, mn, _| p.y >= mn.y, |a, b, mn, _, _| lerp_y(a, b, mn.y)),
        (|p, _, mx| p.y <= mx.y, |a, b, _, mx, _| lerp_y(a, b, mx.y)),
    ];
    for (inside, cross) in edges {
        if pts.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            let (ci, pi) = (inside(cur, min, max), inside(prev, min, max));
            if ci {
                if !pi {
                    out.push(cross(prev, cur, min, max, cur));
                }
                out.push(cur);
            } else if pi {
                out.push(cross(prev, cur, min, max, cur));
            }
        }
        pts = out;
    }
    if pts.len() < 3 {
        return Vec::new();
    }
    let first = pts[0];
    pts.push(first);
    pts
}

fn lerp_x(a: Coord<f64>, b: Coord<f64>, x: f64) -> Coord<f64> {
    let t = (x - a.x) / (b.x - a.x);
    Coord { x, y: a.y + t * (b.y - a.y) }
}

fn lerp_y(a: Coord<f64>, b: Coord<f64>, y: f64) -> Coord<f64> {
    let t = (y - a.y) / (b.y - a.y);
    Coord { x: a.x + t * (b.x - a.x), y }
}

/// Twice the signed area of a closed ring (shoelace; positive when counter-clockwise with y up).
pub fn ring_area2(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, LineString, Polygon, Rect, coord};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn clipped_area_equals_the_boolean_intersection() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (min, max) = (coord! {x: 0.0, y: 0.0}, coord! {x: 10.0, y: 10.0});
        let rect = Rect::new(min, max).to_polygon();
        for _ in 0..200 {
            // A random star-shaped (possibly concave) ring around a random centre.
            let c = coord! {x: rng.random_range(-5.0..15.0), y: rng.random_range(-5.0..15.0)};
            let n = rng.random_range(3..12);
            let mut ring: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = k as f64 / n as f64 * std::f64::consts::TAU;
                    let r = rng.random_range(1.0..8.0);
                    coord! {x: c.x + r * a.cos(), y: c.y + r * a.sin()}
                })
                .collect();
            ring.push(ring[0]);
            let clipped = clip_ring(&ring, min, max);
            let want = Polygon::new(LineString::new(ring.clone()), vec![]).intersection(&rect).unsigned_area();
            let got = ring_area2(&clipped).abs() / 2.0;
            // i_overlay snaps to a fixed-point grid: agree to 1e-6 relative.
            assert!((got - want).abs() < 1e-6 * (1.0 + want), "{got} vs {want}");
            assert!(
                clipped.iter().all(|p| p.x >= -1e-12 && p.x <= 10.0 + 1e-12 && p.y >= -1e-12 && p.y <= 10.0 + 1e-12)
            );
        }
    }

    #[test]
    fn outside_rings_vanish_and_inside_rings_stay() {
        let ring = [
            coord! {x: 20.0, y: 20.0},
            coord! {x: 30.0, y: 20.0},
            coord! {x: 30.0, y: 30.0},
            coord! {x: 20.0, y: 20.0},
        ];
        assert!(clip_ring(&ring, coord! {x: 0.0, y: 0.0}, coord! {x: 10.0, y: 10.0}).is_empty());
        let inner =
            [coord! {x: 2.0, y: 2.0}, coord! {x: 3.0, y: 2.0}, coord! {x: 3.0, y: 3.0}, coord! {x: 2.0, y: 2.0}];
        assert_eq!(clip_ring(&inner, coord! {x: 0.0, y: 0.0}, coord! {x: 10.0, y: 10.0}), inner.to_vec());
    }
}
