//! Point location among many polygons: an R-tree of bounding boxes as a prefilter, refined by an
//! exact point-in-polygon test. Coordinates are whatever the polygons use (WGS84 degrees in SafeGrid).

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Finds which of a fixed set of polygons contains a point.
///
/// ```
/// use analytics::PolygonIndex;
/// use geo::{coord, polygon, MultiPolygon};
/// let a = MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
/// let b = MultiPolygon::new(vec![polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)]]);
/// let index = PolygonIndex::new(vec![a, b]);
/// assert_eq!(index.locate(coord! {x: 1.5, y: 0.5}), Some(1));
/// assert_eq!(index.locate(coord! {x: 3.0, y: 0.5}), None);
/// ```
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    tree: RTree<Entry>,
    shapes: Vec<MultiPolygon<f64>>,
}

impl PolygonIndex {
    /// Bulk-loads the index; polygon `i` is reported as `i`.
    pub fn new(shapes: Vec<MultiPolygon<f64>>) -> PolygonIndex {
        let entries = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect();
        PolygonIndex { tree: RTree::bulk_load(entries), shapes }
    }

    /// The lowest-numbered polygon containing `c` (a point on a shared edge goes to the lower number).
    pub fn locate(&self, c: Coord<f64>) -> Option<usize> {
        let p = Point::from(c);
        self.tree.locate_all_at_point([c.x, c.y]).map(|e| e.data).filter(|&i| self.shapes[i].intersects(&p)).min()
    }

    /// Polygons whose bounding box meets the box `[min, max]` (a prefilter, not exact).
    pub fn candidates_in_box(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.tree.locate_in_envelope_intersecting(AABB::from_corners(min, max)).map(|e| e.data)
    }

    /// The polygons, in index order.
    pub fn shapes(&self) -> &[MultiPolygon<f64>] {
        &self.shapes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::voronoi_partition;
    use geo::{Contains, polygon};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn index_agrees_with_a_linear_scan() {
        let square =
            MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let sites: Vec<Coord<f64>> =
            (0..60).map(|_| Coord { x: rng.random_range(0.01..0.99), y: rng.random_range(0.01..0.99) }).collect();
        let parts = voronoi_partition(&square, &sites);
        let index = PolygonIndex::new(parts.clone());
        for _ in 0..2000 {
            let c = Coord { x: rng.random_range(-0.1..1.1), y: rng.random_range(-0.1..1.1) };
            let scan = parts.iter().position(|p| p.intersects(&Point::from(c)));
            assert_eq!(index.locate(c), scan);
            if let Some(i) = index.locate(c) {
                assert!(parts[i].contains(&Point::from(c)) || parts[i].intersects(&Point::from(c)));
            }
        }
    }
}
