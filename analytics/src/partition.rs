//! Partition a region into Voronoi cells around sites, clipped to the region.
//!
//! Used to synthesise plausible township, village and grid-cell areas where the open sources
//! give names and codes but no boundaries. Sites must lie inside the area; each site's cell then
//! contains it, so no part is empty, and the parts cover the area without overlapping (up to
//! floating-point slivers along shared edges).

use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon};

/// Voronoi cells of `sites` clipped to `area`, in the order of `sites`.
///
/// Distances are measured with longitude scaled by `cos(latitude)` of the area's centre, so cells
/// are not stretched east–west at Wuwei's latitude.
///
/// ```
/// use analytics::partition::voronoi_partition;
/// use geo::{coord, polygon, Area, MultiPolygon};
/// let square = MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
/// let parts = voronoi_partition(&square, &[coord! {x: 0.25, y: 0.5}, coord! {x: 0.75, y: 0.5}]);
/// assert!((parts[0].unsigned_area() - 0.5).abs() < 1e-9);
/// ```
pub fn voronoi_partition(area: &MultiPolygon<f64>, sites: &[Coord<f64>]) -> Vec<MultiPolygon<f64>> {
    let Some(bbox) = area.bounding_rect() else {
        return vec![MultiPolygon::new(vec![]); sites.len()];
    };
    if sites.len() == 1 {
        return vec![area.clone()];
    }
    let kx = ((bbox.min().y + bbox.max().y) / 2.0).to_radians().cos().max(0.05);
    let pad = (bbox.width() + bbox.height()).max(1e-9);
    let frame = [
        Coord { x: (bbox.min().x - pad) * kx, y: bbox.min().y - pad },
        Coord { x: (bbox.max().x + pad) * kx, y: bbox.min().y - pad },
        Coord { x: (bbox.max().x + pad) * kx, y: bbox.max().y + pad },
        Coord { x: (bbox.min().x - pad) * kx, y: bbox.max().y + pad },
    ];
    let scaled: Vec<Coord<f64>> = sites.iter().map(|s| Coord { x: s.x * kx, y: s.y }).collect();
    scaled
        .iter()
        .enumerate()
        .map(|(i, si)| {
            let mut cell: Vec<Coord<f64>> = frame.to_vec();
            for (j, sj) in scaled.iter().enumerate() {
                if i == j || cell.is_empty() {
                    continue;
                }
                cell = clip_half_plane(&cell, *si, *sj);
            }
            if cell.len() < 3 {
                return MultiPolygon::new(vec![]);
            }
            let ring: Vec<Coord<f64>> = cell.iter().map(|c| Coord { x: c.x / kx, y: c.y }).collect();
            let convex = Polygon::new(LineString::new(ring), vec![]);
            convex.intersection(area)
        })
        .collect()
}

/// Keeps the part of convex polygon `poly` that is at least as close to `a` as to `b`
/// (Sutherland–Hodgman against the perpendicular bisector).
fn clip_half_plane(poly: &[Coord<f64>], a: Coord<f64>, b: Coord<f64>) -> Vec<Coord<f64>> {
    let n = Coord { x: b.x - a.x, y: b.y - a.y };
    let m = Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
    let side = |p: Coord<f64>| (p.x - m.x) * n.x + (p.y - m.y) * n.y; // ≤ 0: a's side
    let mut out = Vec::with_capacity(poly.len() + 1);
    for k in 0..poly.len() {
        let p = poly[k];
        let q = poly[(k + 1) % poly.len()];
        let (sp, sq) = (side(p), side(q));
        if sp <= 0.0 {
            out.push(p);
        }
        if (sp < 0.0 && sq > 0.0) || (sp > 0.0 && sq < 0.0) {
            let t = sp / (sp - sq);
            out.push(Coord { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Contains, Point, polygon};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn l_shape() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: 102.0, y: 37.0), (x: 103.0, y: 37.0), (x: 103.0, y: 37.4),
            (x: 102.4, y: 37.4), (x: 102.4, y: 38.0), (x: 102.0, y: 38.0),
        ]])
    }

    #[test]
    fn parts_cover_the_area_without_overlap() {
        let area = l_shape();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut sites = vec![];
        while sites.len() < 25 {
            let c = Coord { x: rng.random_range(102.0..103.0), y: rng.random_range(37.0..38.0) };
            if area.contains(&Point::from(c)) {
                sites.push(c);
            }
        }
        let parts = voronoi_partition(&area, &sites);
        let total: f64 = parts.iter().map(|p| p.unsigned_area()).sum();
        assert!((total - area.unsigned_area()).abs() < 1e-7, "{total}");
        for (site, part) in sites.iter().zip(&parts) {
            assert!(part.contains(&Point::from(*site)), "a site lies outside its own part");
        }
        // Random points fall in exactly one part: the site nearest in scaled distance.
        let kx = 37.5f64.to_radians().cos();
        for _ in 0..500 {
            let p = Coord { x: rng.random_range(102.0..103.0), y: rng.random_range(37.0..38.0) };
            if !area.contains(&Point::from(p)) {
                continue;
            }
            let hits: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].contains(&Point::from(p))).collect();
            assert!(hits.len() <= 1);
            let nearest = (0..sites.len())
                .min_by(|&a, &b| {
                    let d = |s: Coord<f64>| ((s.x - p.x) * kx).powi(2) + (s.y - p.y).powi(2);
                    d(sites[a]).total_cmp(&d(sites[b]))
                })
                .unwrap();
            if let [only] = hits[..] {
                assert_eq!(only, nearest);
            }
        }
    }
}
