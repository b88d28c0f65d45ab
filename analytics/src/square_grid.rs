//! Regular square grids of a given cell size in metres, laid out in a transverse Mercator (UTM)
//! projection chosen from the data, for aggregating points into counts. Every cell of the
//! rectangle covering the points is kept, zero counts included.

use crate::projection::TransverseMercator;

/// A `rows × cols` grid of `cell_m`-metre squares; row 0 is the southernmost, cells are numbered
/// row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct SquareGrid {
    /// The projection the grid is square in.
    pub projection: TransverseMercator,
    /// South-west corner, projected metres.
    pub origin_m: [f64; 2],
    /// Side of a cell, metres.
    pub cell_m: f64,
    /// Rows (south to north).
    pub rows: u32,
    /// Columns (west to east).
    pub cols: u32,
}

impl SquareGrid {
    /// The grid covering `points` (WGS84 lon, lat) in the UTM zone of their mean longitude, its
    /// corner snapped to a multiple of `cell_m`. `None` without points or with a cell size ≤ 0.
    ///
    /// ```
    /// use analytics::square_grid::SquareGrid;
    /// let g = SquareGrid::covering(&[(102.60, 37.90), (102.70, 37.95)], 500.0).unwrap();
    /// assert_eq!(g.projection.central_meridian_deg(), 105.0);
    /// assert_eq!(g.counts(&[(102.60, 37.90), (102.70, 37.95)]).iter().sum::<f64>(), 2.0);
    /// ```
    pub fn covering(points: &[(f64, f64)], cell_m: f64) -> Option<SquareGrid> {
        if points.is_empty() || !cell_m.is_finite() || cell_m <= 0.0 {
            return None;
        }
        let mean_lon = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
        let mean_lat = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
        let projection = TransverseMercator::utm_for(mean_lon, mean_lat);
        let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for &(lon, lat) in points {
            let (x, y) = projection.forward(lon, lat);
            min = [min[0].min(x), min[1].min(y)];
            max = [max[0].max(x), max[1].max(y)];
        }
        let origin_m = [(min[0] / cell_m).floor() * cell_m, (min[1] / cell_m).floor() * cell_m];
        let cols = (((max[0] - origin_m[0]) / cell_m).floor() as u32).saturating_add(1);
        let rows = (((max[1] - origin_m[1]) / cell_m).floor() as u32).saturating_add(1);
        Some(SquareGrid { projection, origin_m, cell_m, rows, cols })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.rows as usize * self.cols as usize
    }

    /// Whether the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (row, col) of the cell holding a WGS84 point, if inside the grid.
    pub fn cell_of(&self, lon: f64, lat: f64) -> Option<(u32, u32)> {
        let (x, y) = self.projection.forward(lon, lat);
        let c = ((x - self.origin_m[0]) / self.cell_m).floor();
        let r = ((y - self.origin_m[1]) / self.cell_m).floor();
        ((0.0..f64::from(self.cols)).contains(&c) && (0.0..f64::from(self.rows)).contains(&r))
            .then_some((r as u32, c as u32))
    }

    /// Centre of a cell, projected metres.
    pub fn centre_m(&self, row: u32, col: u32) -> [f64; 2] {
        [
            self.origin_m[0] + (f64::from(col) + 0.5) * self.cell_m,
            self.origin_m[1] + (f64::from(row) + 0.5) * self.cell_m,
        ]
    }

    /// Centre of a cell, WGS84 (lon, lat).
    pub fn centre_lonlat(&self, row: u32, col: u32) -> (f64, f64) {
        let [x, y] = self.centre_m(row, col);
        self.projection.inverse(x, y)
    }

    /// Corners of a cell, WGS84 (lon, lat), counter-clockwise from the south-west, closed.
    pub fn cell_ring(&self, row: u32, col: u32) -> [(f64, f64); 5] {
        let x0 = self.origin_m[0] + f64::from(col) * self.cell_m;
        let y0 = self.origin_m[1] + f64::from(row) * self.cell_m;
        let corners =
            [(x0, y0), (x0 + self.cell_m, y0), (x0 + self.cell_m, y0 + self.cell_m), (x0, y0 + self.cell_m), (x0, y0)];
        corners.map(|(x, y)| self.projection.inverse(x, y))
    }

    /// Points per cell, row by row (cells outside get none; points outside are ignored).
    pub fn counts(&self, points: &[(f64, f64)]) -> Vec<f64> {
        let mut counts = vec![0.0; self.len()];
        for &(lon, lat) in points {
            if let Some((r, c)) = self.cell_of(lon, lat) {
                counts[r as usize * self.cols as usize + c as usize] += 1.0;
            }
        }
        counts
    }

    /// Centres of every cell, projected metres, row by row.
    pub fn centres_m(&self) -> Vec<[f64; 2]> {
        (0..self.rows).flat_map(|r| (0..self.cols).map(move |c| (r, c))).map(|(r, c)| self.centre_m(r, c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_lands_in_a_cell_whose_square_holds_it() {
        let pts: Vec<(f64, f64)> =
            (0..500).map(|i| (-75.25 + (i % 37) as f64 * 0.004, 39.9 + (i % 53) as f64 * 0.003)).collect();
        let g = SquareGrid::covering(&pts, 250.0).unwrap();
        assert_eq!(g.projection.central_meridian_deg(), -75.0, "UTM 18N for Philadelphia");
        for &(lon, lat) in &pts {
            let (r, c) = g.cell_of(lon, lat).unwrap();
            let (x, y) = g.projection.forward(lon, lat);
            let [cx, cy] = g.centre_m(r, c);
            assert!((x - cx).abs() <= 125.0 + 1e-6 && (y - cy).abs() <= 125.0 + 1e-6);
        }
        assert_eq!(g.counts(&pts).iter().sum::<f64>(), 500.0);
        assert!(g.counts(&pts).contains(&0.0), "empty cells are kept");
    }
}
