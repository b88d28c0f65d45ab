//! Hexagonal cells of the H3 system (Uber's hierarchical hexagons, via the pure-Rust `h3o`), for
//! aggregating points into counts. The study area is every cell whose centre lies in the points'
//! bounding box widened by one edge length, so zero-count cells are kept, as with square grids.

use crate::weights::Neighbours;
use h3o::{CellIndex, LatLng, Resolution};
use std::collections::{HashMap, VecDeque};

/// Largest study area accepted, cells.
pub const MAX_CELLS: usize = 4_000_000;

/// The H3 cells of a study area, in ascending index order.
#[derive(Debug, Clone)]
pub struct HexGrid {
    /// The H3 resolution (0–15).
    pub resolution: Resolution,
    cells: Vec<CellIndex>,
    index: HashMap<CellIndex, u32>,
}

/// Why a hexagonal grid could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HexGridError {
    /// The resolution is not 0–15.
    #[error("H3 resolution {0} must be 0 to 15")]
    Resolution(u8),
    /// No points.
    #[error("no points")]
    NoPoints,
    /// Too many cells.
    #[error("the study area would have more than {MAX_CELLS} H3 cells: use a coarser resolution")]
    TooLarge,
}

impl HexGrid {
    /// The H3 resolution whose mean edge length is nearest `edge_m`.
    ///
    /// ```
    /// // Resolution 8 hexagons have edges of about 531 m.
    /// assert_eq!(analytics::hex_grid::HexGrid::resolution_for_edge_m(500.0), 8);
    /// ```
    pub fn resolution_for_edge_m(edge_m: f64) -> u8 {
        (0u8..=15)
            .min_by(|&a, &b| {
                let e = |r: u8| Resolution::try_from(r).map_or(f64::INFINITY, |r| (r.edge_length_m() - edge_m).abs());
                e(a).total_cmp(&e(b))
            })
            .unwrap_or(8)
    }

    /// The cells covering `points` (WGS84 lon, lat) at `resolution`.
    ///
    /// ```
    /// use analytics::hex_grid::HexGrid;
    /// let pts = [(102.60, 37.90), (102.64, 37.93)];
    /// let g = HexGrid::covering(&pts, 8).unwrap();
    /// assert_eq!(g.counts(&pts).iter().sum::<f64>(), 2.0);
    /// assert!(g.len() > 20);
    /// ```
    pub fn covering(points: &[(f64, f64)], resolution: u8) -> Result<HexGrid, HexGridError> {
        let res = Resolution::try_from(resolution).map_err(|_| HexGridError::Resolution(resolution))?;
        let seeds: Vec<CellIndex> =
            points.iter().filter_map(|&(lon, lat)| LatLng::new(lat, lon).ok()).map(|ll| ll.to_cell(res)).collect();
        if seeds.is_empty() {
            return Err(HexGridError::NoPoints);
        }
        let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for &(lon, lat) in points {
            min = [min[0].min(lon), min[1].min(lat)];
            max = [max[0].max(lon), max[1].max(lat)];
        }
        let edge_deg_lat = res.edge_length_m() / 111_320.0;
        let mid_lat = ((min[1] + max[1]) / 2.0).to_radians().cos().max(0.01);
        let edge_deg_lon = edge_deg_lat / mid_lat;
        let inside = |c: CellIndex| {
            let ll = LatLng::from(c);
            ll.lng() >= min[0] - edge_deg_lon
                && ll.lng() <= max[0] + edge_deg_lon
                && ll.lat() >= min[1] - edge_deg_lat
                && ll.lat() <= max[1] + edge_deg_lat
        };
        let mut seen: std::collections::HashSet<CellIndex> = seeds.iter().copied().collect();
        let mut queue: VecDeque<CellIndex> = seen.iter().copied().collect();
        while let Some(c) = queue.pop_front() {
            for n in c.grid_disk::<Vec<_>>(1) {
                if !seen.contains(&n) && inside(n) {
                    if seen.len() >= MAX_CELLS {
                        return Err(HexGridError::TooLarge);
                    }
                    seen.insert(n);
                    queue.push_back(n);
                }
            }
        }
        let mut cells: Vec<CellIndex> = seen.into_iter().collect();
        cells.sort_unstable();
        let index = cells.iter().enumerate().map(|(i, c)| (*c, i as u32)).collect();
        Ok(HexGrid { resolution: res, cells, index })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The H3 index of cell `i` (15 hex digits, e.g. `8831aa5051fffff`).
    pub fn id(&self, i: usize) -> String {
        self.cells[i].to_string()
    }

    /// The cell holding a point, if it is in the study area.
    pub fn cell_of(&self, lon: f64, lat: f64) -> Option<usize> {
        let c = LatLng::new(lat, lon).ok()?.to_cell(self.resolution);
        self.index.get(&c).map(|&i| i as usize)
    }

    /// Points per cell, zero counts included; points outside the study area are not counted.
    pub fn counts(&self, points: &[(f64, f64)]) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        for &(lon, lat) in points {
            if let Some(i) = self.cell_of(lon, lat) {
                out[i] += 1.0;
            }
        }
        out
    }

    /// Cells sharing an edge (up to 6; the hexagonal counterpart of queen contiguity).
    pub fn edge_neighbours(&self) -> Neighbours {
        Neighbours::from_lists(
            self.cells
                .iter()
                .map(|c| c.grid_disk::<Vec<_>>(1).into_iter().filter_map(|n| self.index.get(&n).copied()).collect())
                .collect(),
        )
    }

    /// The centre of cell `i`, (lon, lat).
    pub fn centre_lonlat(&self, i: usize) -> (f64, f64) {
        let ll = LatLng::from(self.cells[i]);
        (ll.lng(), ll.lat())
    }

    /// The closed boundary ring of cell `i`, (lon, lat).
    pub fn ring(&self, i: usize) -> Vec<(f64, f64)> {
        let b = self.cells[i].boundary();
        let mut ring: Vec<(f64, f64)> = b.iter().map(|ll| (ll.lng(), ll.lat())).collect();
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_lands_in_a_cell_and_neighbours_are_mutual() {
        let pts: Vec<(f64, f64)> =
            (0..300).map(|i| (102.55 + (i % 17) as f64 * 0.006, 37.88 + (i % 23) as f64 * 0.004)).collect();
        let g = HexGrid::covering(&pts, 8).unwrap();
        assert_eq!(g.counts(&pts).iter().sum::<f64>(), 300.0);
        let w = g.edge_neighbours();
        let mut interior = 0;
        for i in 0..g.len() {
            assert!(w.of(i).len() <= 6);
            interior += usize::from(w.of(i).len() == 6);
            for &j in w.of(i) {
                assert!(w.of(j as usize).contains(&(i as u32)), "{i} {j}");
            }
        }
        assert!(interior > g.len() / 3, "{interior} of {}", g.len());
        // The ring is closed and surrounds the centre.
        let ring = g.ring(0);
        assert_eq!(ring.first(), ring.last());
        assert!(ring.len() == 7 || ring.len() == 8);
        let (x, y) = g.centre_lonlat(0);
        let (mx, my) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        let k = (ring.len() - 1) as f64;
        assert!((mx / k - x).abs() < 1e-3 && (my / k - y).abs() < 1e-3);
        assert_eq!(g.id(0).len(), 15);
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(HexGrid::covering(&[(102.6, 37.9)], 16).unwrap_err(), HexGridError::Resolution(16));
        assert_eq!(HexGrid::covering(&[], 8).unwrap_err(), HexGridError::NoPoints);
        assert_eq!(HexGrid::resolution_for_edge_m(1_300.0), 7);
    }
}
