//! Binary spatial weights as neighbour lists: which features count as neighbours of which.
//! The feature itself is not listed; Gi* adds it.

use rstar::RTree;
use rstar::primitives::GeomWithData;

/// Neighbour lists, one per feature, each sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbours {
    lists: Vec<Vec<u32>>,
}

/// A distance band that would give a feature more neighbours than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyNeighbours {
    /// The first feature found over the limit.
    pub feature: usize,
    /// It has at least this many neighbours.
    pub at_least: usize,
}

impl Neighbours {
    /// Queen contiguity on a `rows × cols` lattice numbered row by row (up to 8 neighbours).
    ///
    /// ```
    /// let w = analytics::weights::Neighbours::queen_lattice(3, 3);
    /// assert_eq!(w.of(4).len(), 8);
    /// assert_eq!(w.of(0), [1, 3, 4]);
    /// ```
    pub fn queen_lattice(rows: u32, cols: u32) -> Neighbours {
        let mut lists = Vec::with_capacity((rows * cols) as usize);
        for r in 0..rows as i64 {
            for c in 0..cols as i64 {
                let mut l = Vec::with_capacity(8);
                for dr in -1..=1 {
                    for dc in -1..=1 {
                        let (rr, cc) = (r + dr, c + dc);
                        if (dr, dc) != (0, 0) && (0..rows as i64).contains(&rr) && (0..cols as i64).contains(&cc) {
                            l.push((rr * cols as i64 + cc) as u32);
                        }
                    }
                }
                lists.push(l);
            }
        }
        Neighbours { lists }
    }

    /// Every feature whose centre lies within `band_m` of a feature's centre (planar metres:
    /// pass projected coordinates). Uses an R-tree as a prefilter.
    pub fn distance_band(centres_m: &[[f64; 2]], band_m: f64) -> Neighbours {
        let tree =
            RTree::bulk_load(centres_m.iter().enumerate().map(|(i, c)| GeomWithData::new(*c, i as u32)).collect());
        let d2 = band_m * band_m;
        let lists = centres_m
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut l: Vec<u32> =
                    tree.locate_within_distance(*c, d2).map(|e| e.data).filter(|&j| j as usize != i).collect();
                l.sort_unstable();
                l
            })
            .collect();
        Neighbours { lists }
    }

    /// Like [`Neighbours::distance_band`], but gives up as soon as one feature would have more
    /// than `max_neighbours`, answering which one and a lower bound of its count, so a huge band
    /// costs no more than `max_neighbours` per feature.
    ///
    /// ```
    /// use analytics::weights::{Neighbours, TooManyNeighbours};
    /// let centres: Vec<[f64; 2]> = (0..10).map(|i| [i as f64 * 100.0, 0.0]).collect();
    /// assert_eq!(Neighbours::distance_band_capped(&centres, 150.0, 5).unwrap().of(3), &[2, 4]);
    /// assert_eq!(Neighbours::distance_band_capped(&centres, 1e9, 5), Err(TooManyNeighbours { feature: 0, at_least: 6 }));
    /// ```
    pub fn distance_band_capped(
        centres_m: &[[f64; 2]],
        band_m: f64,
        max_neighbours: usize,
    ) -> Result<Neighbours, TooManyNeighbours> {
        let tree =
            RTree::bulk_load(centres_m.iter().enumerate().map(|(i, c)| GeomWithData::new(*c, i as u32)).collect());
        let d2 = band_m * band_m;
        let mut lists = Vec::with_capacity(centres_m.len());
        for (i, c) in centres_m.iter().enumerate() {
            let mut l: Vec<u32> = tree
                .locate_within_distance(*c, d2)
                .map(|e| e.data)
                .filter(|&j| j as usize != i)
                .take(max_neighbours + 1)
                .collect();
            if l.len() > max_neighbours {
                return Err(TooManyNeighbours { feature: i, at_least: l.len() });
            }
            l.sort_unstable();
            lists.push(l);
        }
        Ok(Neighbours { lists })
    }

    /// The most neighbours any feature has.
    pub fn max_count(&self) -> usize {
        self.lists.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Neighbour lists as given (each is sorted and stripped of the feature itself here).
    pub fn from_lists(mut lists: Vec<Vec<u32>>) -> Neighbours {
        for (i, l) in lists.iter_mut().enumerate() {
            l.retain(|&j| j as usize != i);
            l.sort_unstable();
            l.dedup();
        }
        Neighbours { lists }
    }

    /// The neighbours of feature `i`.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.lists[i]
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

/// How neighbours are chosen, as a user writes it: `queen` or `distance:METRES`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// The 8 surrounding cells.
    Queen,
    /// Cells whose centres lie within this many metres.
    Distance(f64),
}

impl Weights {
    /// Parses `queen` or `distance:M`.
    ///
    /// ```
    /// use analytics::weights::Weights;
    /// assert_eq!(Weights::parse("distance:1500"), Ok(Weights::Distance(1500.0)));
    /// assert!(Weights::parse("distance:0").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Weights, String> {
        match s.split_once(':') {
            None if s == "queen" => Ok(Weights::Queen),
            Some(("distance", m)) => match m.parse::<f64>() {
                Ok(m) if m.is_finite() && m > 0.0 => Ok(Weights::Distance(m)),
                _ => Err(format!("distance band {m:?} must be a positive number of metres")),
            },
            _ => Err(format!("weights {s:?}: use queen or distance:METRES")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_band_equals_a_brute_force_scan() {
        let pts: Vec<[f64; 2]> =
            (0..200).map(|i| [((i * 37) % 101) as f64 * 10.0, ((i * 53) % 89) as f64 * 10.0]).collect();
        let w = Neighbours::distance_band(&pts, 95.0);
        for (i, p) in pts.iter().enumerate() {
            let want: Vec<u32> = (0..pts.len())
                .filter(|&j| j != i && ((pts[j][0] - p[0]).powi(2) + (pts[j][1] - p[1]).powi(2)) <= 95.0 * 95.0)
                .map(|j| j as u32)
                .collect();
            assert_eq!(w.of(i), want);
        }
    }

    #[test]
    fn a_band_just_over_the_diagonal_is_queen_contiguity() {
        let (rows, cols) = (5u32, 7u32);
        let centres: Vec<[f64; 2]> =
            (0..rows).flat_map(|r| (0..cols).map(move |c| [f64::from(c) * 500.0, f64::from(r) * 500.0])).collect();
        assert_eq!(Neighbours::distance_band(&centres, 750.0), Neighbours::queen_lattice(rows, cols));
    }

    #[test]
    fn weights_parse() {
        assert_eq!(Weights::parse("queen"), Ok(Weights::Queen));
        assert_eq!(Weights::parse("distance:750"), Ok(Weights::Distance(750.0)));
        assert!(Weights::parse("distance:-1").is_err());
        assert!(Weights::parse("rook").is_err());
    }
}
