//! Camera and prevention coverage in planar metres (project first, UTM 48N for Wuwei): the view
//! sector of a camera, the share of each cell that some camera sees, and where to add sites so
//! that they cover the most unprotected risk (the maximal covering location problem).
//!
//! # The coverage estimator
//!
//! [`camera_coverage`] samples each cell on an `n × n` lattice of midpoints of its bounding box,
//! keeps the samples inside the polygon and reports the fraction of them inside at least one
//! view sector. For a cell crossed by one straight edge of a view, each lattice column (or row)
//! miscounts by at most half a sample, so the error is at most `1 / (2n)` (0.0625 at `n = 8`),
//! typically much less; each further edge or arc crossing the cell adds up to the same again,
//! and features narrower than the spacing (`cell width / n`) can be missed entirely. Cells whose
//! lattice misses the polygon (slivers) are judged by one interior point (share 0 or 1).

use geo::{BoundingRect, Contains, InteriorPoint, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A camera's view: a circular sector in metres.
///
/// ```
/// use analytics::coverage::CameraSector;
/// let cam = CameraSector { x_m: 0.0, y_m: 0.0, heading_deg: 90.0, fov_deg: 60.0, range_m: 50.0 };
/// assert!(cam.contains(30.0, 5.0)); // east, ahead
/// assert!(!cam.contains(-30.0, 0.0)); // behind
/// assert!(!cam.contains(60.0, 0.0)); // too far
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraSector {
    /// Easting of the camera, metres.
    pub x_m: f64,
    /// Northing of the camera, metres.
    pub y_m: f64,
    /// Direction of view, degrees clockwise from north (grid north of the projection).
    pub heading_deg: f64,
    /// Field of view, degrees (360 or more: all around).
    pub fov_deg: f64,
    /// Range of view, metres.
    pub range_m: f64,
}

impl CameraSector {
    /// The sector as a polygon in metres: the camera, `segments` chords along the arc, back to
    /// the camera (a `segments`-gon of the circle when the view is all around).
    pub fn sector_polygon(&self, segments: usize) -> Polygon<f64> {
        let segments = segments.max(1);
        let at = |deg: f64| {
            let a = deg.to_radians();
            (self.x_m + self.range_m * a.sin(), self.y_m + self.range_m * a.cos())
        };
        let mut ring: Vec<(f64, f64)> = Vec::with_capacity(segments + 3);
        if self.fov_deg >= 360.0 {
            ring.extend((0..segments.max(3)).map(|i| at(360.0 * i as f64 / segments.max(3) as f64)));
        } else {
            let start = self.heading_deg - self.fov_deg / 2.0;
            ring.push((self.x_m, self.y_m));
            ring.extend((0..=segments).map(|i| at(start + self.fov_deg * i as f64 / segments as f64)));
        }
        Polygon::new(ring.into(), Vec::new())
    }

    /// Is the point (metres) within range and within half the field of view of the heading
    /// (edges included; the camera's own position counts as seen)?
    pub fn contains(&self, x_m: f64, y_m: f64) -> bool {
        View::new(self).contains(x_m, y_m)
    }
}

/// A sector prepared for fast tests: unit heading vector and cosine of the half angle.
#[derive(Debug, Clone, Copy)]
struct View {
    x: f64,
    y: f64,
    hx: f64,
    hy: f64,
    cos_half: f64,
    range2: f64,
}

impl View {
    fn new(c: &CameraSector) -> View {
        let h = c.heading_deg.to_radians();
        let half = (c.fov_deg.clamp(0.0, 360.0) / 2.0).to_radians();
        // A small tolerance keeps points exactly on the edges inside despite rounding.
        let cos_half = if c.fov_deg >= 360.0 { -2.0 } else { half.cos() - 1e-12 };
        View { x: c.x_m, y: c.y_m, hx: h.sin(), hy: h.cos(), cos_half, range2: c.range_m * c.range_m }
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        let (dx, dy) = (x - self.x, y - self.y);
        let d2 = dx * dx + dy * dy;
        if d2 > self.range2 {
            return false;
        }
        d2 == 0.0 || dx * self.hx + dy * self.hy >= self.cos_half * d2.sqrt()
    }
}

/// The sample points of a cell inside its polygon: the `n × n` midpoint lattice of its bounding
/// box, or one interior point if no lattice point is inside.
fn samples(cell: &Polygon<f64>, n: usize) -> Vec<[f64; 2]> {
    let Some(bb) = cell.bounding_rect() else { return Vec::new() };
    let n = n.max(1);
    let (w, h) = (bb.width() / n as f64, bb.height() / n as f64);
    let mut out = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let p = [bb.min().x + (i as f64 + 0.5) * w, bb.min().y + (j as f64 + 0.5) * h];
            if cell.contains(&Point::new(p[0], p[1])) {
                out.push(p);
            }
        }
    }
    if out.is_empty()
        && let Some(p) = cell.interior_point()
    {
        out.push([p.x(), p.y()]);
    }
    out
}

/// Share (0–1) of each cell's area (polygons in metres) that at least one camera sees,
/// estimated on `samples_per_side × samples_per_side` lattice points per cell (see the module
/// documentation for the error); 0 for empty cells.
///
/// ```
/// use analytics::coverage::{camera_coverage, CameraSector};
/// use geo::polygon;
/// let cell = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
/// // Looking east from the middle of the west edge with a 180° view: the whole cell.
/// let cam = CameraSector { x_m: 0.0, y_m: 5.0, heading_deg: 90.0, fov_deg: 180.0, range_m: 100.0 };
/// assert_eq!(camera_coverage(&[cell], &[cam], 8), vec![1.0]);
/// ```
pub fn camera_coverage(cells: &[Polygon<f64>], cameras: &[CameraSector], samples_per_side: usize) -> Vec<f64> {
    let views: Vec<View> = cameras.iter().map(View::new).collect();
    let boxes = cameras
        .iter()
        .enumerate()
        .filter(|(_, c)| c.x_m.is_finite() && c.y_m.is_finite() && c.range_m.is_finite() && c.range_m >= 0.0)
        .map(|(i, c)| {
            let r = c.range_m;
            GeomWithData::new(Rectangle::from_corners([c.x_m - r, c.y_m - r], [c.x_m + r, c.y_m + r]), i)
        })
        .collect();
    let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(boxes);
    cells
        .iter()
        .map(|cell| {
            let Some(bb) = cell.bounding_rect() else { return 0.0 };
            let near: Vec<&View> = tree
                .locate_in_envelope_intersecting(AABB::from_corners([bb.min().x, bb.min().y], [bb.max().x, bb.max().y]))
                .map(|e| &views[e.data])
                .collect();
            let pts = samples(cell, samples_per_side);
            if pts.is_empty() {
                return 0.0;
            }
            if near.is_empty() {
                return 0.0;
            }
            let seen = pts.iter().filter(|p| near.iter().any(|v| v.contains(p[0], p[1]))).count();
            seen as f64 / pts.len() as f64
        })
        .collect()
}

/// One chosen site of [`suggest_sites`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suggestion {
    /// Index into the candidates.
    pub candidate: usize,
    /// Weight of the demand points this pick covers that earlier picks did not.
    pub covered_weight: f64,
}

/// Heap entry of the lazy greedy: the larger bound first, ties to the lower candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    gain: f64,
    candidate: usize,
    round: usize,
}

impl Eq for Bound {}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain.total_cmp(&other.gain).then_with(|| other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Up to `n` candidate sites (metres) chosen greedily to cover the most demand weight within
/// `radius_m` (maximal covering location problem, lazy greedy / CELF: the same picks as plain
/// greedy, ties to the lower index, at least `1 − 1/e` of the optimum). Stops early when no
/// candidate adds weight; non-finite or non-positive weights count as 0.
///
/// ```
/// use analytics::coverage::suggest_sites;
/// let demand = [([0.0, 0.0], 1.0), ([10.0, 0.0], 1.0), ([100.0, 0.0], 5.0)];
/// let picks = suggest_sites(&[[5.0, 0.0], [100.0, 1.0]], &demand, 20.0, 2);
/// assert_eq!(picks.iter().map(|p| p.candidate).collect::<Vec<_>>(), vec![1, 0]);
/// assert_eq!(picks[1].covered_weight, 2.0);
/// ```
pub fn suggest_sites(candidates: &[[f64; 2]], demand: &[([f64; 2], f64)], radius_m: f64, n: usize) -> Vec<Suggestion> {
    let weight: Vec<f64> = demand.iter().map(|&(_, w)| if w.is_finite() && w > 0.0 { w } else { 0.0 }).collect();
    let tree: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
        demand
            .iter()
            .enumerate()
            .filter(|(i, (p, _))| weight[*i] > 0.0 && p[0].is_finite() && p[1].is_finite())
            .map(|(i, &(p, _))| GeomWithData::new(p, i))
            .collect(),
    );
    let r2 = if radius_m.is_finite() && radius_m > 0.0 { radius_m * radius_m } else { 0.0 };
    let covers: Vec<Vec<usize>> = candidates
        .iter()
        .map(|&c| {
            if !(c[0].is_finite() && c[1].is_finite()) {
                return Vec::new();
            }
            let mut v: Vec<usize> = tree.locate_within_distance(c, r2).map(|e| e.data).collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut covered = vec![false; demand.len()];
    let gain = |c: usize, covered: &[bool]| covers[c].iter().filter(|&&d| !covered[d]).map(|&d| weight[d]).sum::<f64>();
    let mut heap: BinaryHeap<Bound> =
        (0..candidates.len()).map(|c| Bound { gain: gain(c, &covered), candidate: c, round: 0 }).collect();
    let mut picks = Vec::new();
    while picks.len() < n {
        let Some(top) = heap.pop() else { break };
        if top.round == picks.len() {
            if top.gain <= 0.0 {
                break;
            }
            for &d in &covers[top.candidate] {
                covered[d] = true;
            }
            picks.push(Suggestion { candidate: top.candidate, covered_weight: top.gain });
        } else {
            heap.push(Bound { gain: gain(top.candidate, &covered), candidate: top.candidate, round: picks.len() });
        }
    }
    picks
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
        polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side)]
    }

    #[test]
    fn sector_contains_ahead_not_behind_not_beyond_and_respects_the_edges() {
        let cam = CameraSector { x_m: 100.0, y_m: 200.0, heading_deg: 30.0, fov_deg: 90.0, range_m: 50.0 };
        let at = |deg: f64, r: f64| {
            let a = f64::to_radians(deg);
            (100.0 + r * a.sin(), 200.0 + r * a.cos())
        };
        let (x, y) = at(30.0, 40.0);
        assert!(cam.contains(x, y));
        let (x, y) = at(210.0, 10.0);
        assert!(!cam.contains(x, y));
        let (x, y) = at(30.0, 50.5);
        assert!(!cam.contains(x, y));
        for edge in [30.0 - 45.0, 30.0 + 45.0] {
            let inside = if edge < 30.0 { edge + 1.0 } else { edge - 1.0 };
            let outside = if edge < 30.0 { edge - 1.0 } else { edge + 1.0 };
            let (x, y) = at(inside, 30.0);
            assert!(cam.contains(x, y), "just inside {inside}°");
            let (x, y) = at(outside, 30.0);
            assert!(!cam.contains(x, y), "just outside {outside}°");
            let (x, y) = at(edge, 30.0);
            assert!(cam.contains(x, y), "on the edge {edge}°");
        }
        // Heading across north: 350° ± 20° sees 5° but not 20°.
        let north = CameraSector { x_m: 0.0, y_m: 0.0, heading_deg: 350.0, fov_deg: 40.0, range_m: 10.0 };
        assert!(north.contains(5f64.to_radians().sin(), 5f64.to_radians().cos()));
        assert!(!north.contains(20f64.to_radians().sin(), 20f64.to_radians().cos()));
        let all = CameraSector { fov_deg: 360.0, ..north };
        assert!(all.contains(0.0, -9.0));
    }

    #[test]
    fn sector_polygon_agrees_with_contains() {
        let cam = CameraSector { x_m: 0.0, y_m: 0.0, heading_deg: 120.0, fov_deg: 70.0, range_m: 100.0 };
        let poly = cam.sector_polygon(64);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..5000 {
            let (x, y) = (rng.random_range(-120.0..120.0), rng.random_range(-120.0..120.0));
            // Away from the arc, where chords and arc differ, the two agree.
            let r = f64::hypot(x, y);
            if (r - 100.0).abs() < 1.0 {
                continue;
            }
            let p = Point::new(x, y);
            if poly.contains(&p) {
                assert!(cam.contains(x, y));
            } else if cam.contains(x, y) {
                // Only just on an edge.
                let bearing = x.atan2(y).to_degrees().rem_euclid(360.0);
                assert!((bearing - 85.0).abs() < 1e-6 || (bearing - 155.0).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn coverage_full_none_and_half() {
        let cell = square(1000.0, 1000.0, 100.0);
        let big = CameraSector { x_m: 1050.0, y_m: 1050.0, heading_deg: 0.0, fov_deg: 360.0, range_m: 500.0 };
        let far = CameraSector { x_m: 5000.0, y_m: 5000.0, heading_deg: 0.0, fov_deg: 360.0, range_m: 500.0 };
        assert_eq!(camera_coverage(std::slice::from_ref(&cell), &[big], 8), vec![1.0]);
        assert_eq!(camera_coverage(std::slice::from_ref(&cell), &[far], 8), vec![0.0]);
        assert_eq!(camera_coverage(std::slice::from_ref(&cell), &[], 8), vec![0.0]);
        // A 180° view looking east from the cell's vertical midline: the east half.
        let east = CameraSector { x_m: 1050.0, y_m: 1050.0, heading_deg: 90.0, fov_deg: 180.0, range_m: 1000.0 };
        assert_eq!(camera_coverage(std::slice::from_ref(&cell), &[east], 8), vec![0.5]);
        // Tilted half planes through the centre: within the 1/(2n) bound of the estimator.
        for heading in [17.0, 33.0, 45.0, 71.0, 128.0, 200.0] {
            for n in [8usize, 16] {
                let cam = CameraSector { heading_deg: heading, ..east };
                let share = camera_coverage(std::slice::from_ref(&cell), &[cam], n)[0];
                assert!((share - 0.5).abs() <= 0.5 / n as f64, "heading {heading} n {n}: {share}");
            }
        }
        // A triangle cell: lattice points outside it are ignored.
        let tri = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 0.0, y: 100.0)];
        let west = CameraSector { x_m: 25.0, y_m: 0.0, heading_deg: 270.0, fov_deg: 180.0, range_m: 1000.0 };
        // West of x = 25: 1 − 0.75² = 0.4375 of the triangle.
        let share = camera_coverage(&[tri], &[west], 16)[0];
        assert!((share - 0.4375).abs() < 0.06, "{share}");
    }

    #[test]
    fn rtree_coverage_equals_a_linear_scan() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..10 {
            let cells: Vec<Polygon<f64>> = (0..100)
                .map(|i| square((i % 10) as f64 * 100.0, (i / 10) as f64 * 100.0, rng.random_range(50.0..100.0)))
                .collect();
            let cams: Vec<CameraSector> = (0..200)
                .map(|_| CameraSector {
                    x_m: rng.random_range(-100.0..1100.0),
                    y_m: rng.random_range(-100.0..1100.0),
                    heading_deg: rng.random_range(-360.0..720.0),
                    fov_deg: rng.random_range(10.0..400.0),
                    range_m: rng.random_range(0.0..150.0),
                })
                .collect();
            let fast = camera_coverage(&cells, &cams, 6);
            let slow: Vec<f64> = cells
                .iter()
                .map(|c| {
                    let pts = samples(c, 6);
                    pts.iter().filter(|p| cams.iter().any(|cam| cam.contains(p[0], p[1]))).count() as f64
                        / pts.len() as f64
                })
                .collect();
            assert_eq!(fast, slow);
        }
    }

    /// Plain greedy: recompute every candidate's gain each round.
    fn plain_greedy(cands: &[[f64; 2]], demand: &[([f64; 2], f64)], r: f64, n: usize) -> Vec<Suggestion> {
        let mut covered = vec![false; demand.len()];
        let mut out = Vec::new();
        for _ in 0..n {
            let mut best: Option<(usize, f64)> = None;
            for (c, p) in cands.iter().enumerate() {
                let g: f64 = demand
                    .iter()
                    .enumerate()
                    .filter(|(d, (q, _))| !covered[*d] && (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2) <= r * r)
                    .map(|(_, (_, w))| *w)
                    .sum();
                if best.is_none_or(|b| g > b.1) {
                    best = Some((c, g));
                }
            }
            let Some((c, g)) = best else { break };
            if g <= 0.0 {
                break;
            }
            for (d, (q, _)) in demand.iter().enumerate() {
                if (q[0] - cands[c][0]).powi(2) + (q[1] - cands[c][1]).powi(2) <= r * r {
                    covered[d] = true;
                }
            }
            out.push(Suggestion { candidate: c, covered_weight: g });
        }
        out
    }

    fn union_weight(picks: &[usize], cands: &[[f64; 2]], demand: &[([f64; 2], f64)], r: f64) -> f64 {
        demand
            .iter()
            .filter(|(q, _)| {
                picks.iter().any(|&c| (q[0] - cands[c][0]).powi(2) + (q[1] - cands[c][1]).powi(2) <= r * r)
            })
            .map(|(_, w)| w)
            .sum()
    }

    #[test]
    fn lazy_greedy_equals_plain_greedy_and_is_near_optimal() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let cands: Vec<[f64; 2]> =
                (0..10).map(|_| [rng.random_range(0.0..500.0), rng.random_range(0.0..500.0)]).collect();
            // Integer weights make ties (and their lower-index rule) common.
            let demand: Vec<([f64; 2], f64)> = (0..40)
                .map(|_| ([rng.random_range(0.0..500.0), rng.random_range(0.0..500.0)], rng.random_range(1..4) as f64))
                .collect();
            let r = rng.random_range(50.0..200.0);
            let n = rng.random_range(1..5);
            let lazy = suggest_sites(&cands, &demand, r, n);
            let plain = plain_greedy(&cands, &demand, r, n);
            assert_eq!(lazy, plain);
            // No double counting: the gains add up to the weight of the union.
            let picks: Vec<usize> = lazy.iter().map(|s| s.candidate).collect();
            let total: f64 = lazy.iter().map(|s| s.covered_weight).sum();
            assert!((total - union_weight(&picks, &cands, &demand, r)).abs() < 1e-9);
            let mut sorted = picks.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), picks.len());
            // Brute force over all sets of n candidates.
            let mut opt: f64 = 0.0;
            for mask in 0u32..(1 << cands.len()) {
                if mask.count_ones() as usize == n {
                    let set: Vec<usize> = (0..cands.len()).filter(|i| mask & (1 << i) != 0).collect();
                    opt = opt.max(union_weight(&set, &cands, &demand, r));
                }
            }
            assert!(total >= (1.0 - (-1f64).exp()) * opt - 1e-9, "greedy {total} optimum {opt}");
        }
    }
}
