//! Rebalancing the villages of 一村一警 between officers: a suggestion that keeps every officer's
//! villages contiguous and evens out their loads.
//!
//! Positions are planar metres (project lon/lat first, UTM 48N for Wuwei). A village's `load` is
//! any non-negative workload score (e.g. a weighted sum of population, incidents and open
//! events); adjacency is the `neighbours` lists, read as undirected (an edge listed on either
//! side counts for both; self-loops and repeats are ignored).
//!
//! # Loads and spread
//!
//! The cost of village `v` for officer `o` is `load(v) + distance_weight × km(v, station(o))`;
//! an officer's load is the sum of the costs of his villages. The default `distance_weight` is 0
//! (loads are in the caller's units, so no non-zero default has a meaning; set it to make far
//! villages weigh more). The spread of a set of officer loads is `max / mean` over all officers
//! (1.0 = perfectly even; 1.0 too when every load is 0).
//!
//! # Heuristic
//!
//! (a) Every unassigned village is assigned, one at a time, lowest index first among those with
//!     an assigned neighbour: to the least-loaded officer owning one of its neighbours (ties:
//!     lowest officer index). When no unassigned village has an assigned neighbour, the
//!     lowest-index one goes to the officer of the nearest station (ties: lowest index), and its
//!     cluster then grows from it. These assignments are always made and are not limited by
//!     `max_moves`.
//!
//! (b) Then, while fewer than `max_moves` reassignments were made and the spread is above
//!     `1 + tolerance`: among the villages of the most-loaded officer (ties: lowest index), if he
//!     has at least two, every border village `v` and every other officer `r` owning a neighbour
//!     of `v` is a candidate move. A candidate is valid when it strictly lowers the sum of squared
//!     officer loads, does not raise the spread, and does not split the donor's territory (a BFS
//!     over the donor's villages without `v` still joins all of `v`'s donor neighbours). The valid
//!     move lowering the sum of squares most is made (ties: lowest village, then lowest receiver
//!     index); when there is none, the search stops.
//!
//! So a connected territory stays connected, every move takes a village to an officer already
//! next to it, the sum of squares strictly falls with each move (no cycles), and the spread
//! never rises. With `distance_weight = 0` a move lowering the sum of squares keeps the receiver
//! below the donor's old load, so the spread test never binds. The result is a local optimum
//! for single-village moves from the most-loaded officer, not a global one.

use std::collections::BTreeSet;
use thiserror::Error;

/// Relative size below which a fall in the sum of squared loads is not an improvement.
const EPS: f64 = 1e-9;

/// A village to assign: its workload, position, neighbours and current officer.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceVillage {
    /// Workload score (finite, ≥ 0), in the caller's units.
    pub load: f64,
    /// Easting of the village centre, metres.
    pub x_m: f64,
    /// Northing of the village centre, metres.
    pub y_m: f64,
    /// Indices of adjacent villages (sharing a border).
    pub neighbours: Vec<usize>,
    /// Index of the officer now covering it, if any.
    pub officer: Option<usize>,
}

/// An officer, placed at his police station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceOfficer {
    /// Easting of the station, metres.
    pub x_m: f64,
    /// Northing of the station, metres.
    pub y_m: f64,
}

/// How far and how hard to rebalance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceSpec {
    /// Reassignments of already assigned villages at most (default 20).
    pub max_moves: usize,
    /// Load units added per km between a village and its officer's station (finite, ≥ 0;
    /// default 0: distance is ignored).
    pub distance_weight: f64,
    /// Stop once the spread (max / mean officer load) is at most `1 + tolerance` (finite, ≥ 0;
    /// default 0.15).
    pub tolerance: f64,
}

impl Default for BalanceSpec {
    fn default() -> Self {
        BalanceSpec { max_moves: 20, distance_weight: 0.0, tolerance: 0.15 }
    }
}

/// One change of a village's officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// Village index.
    pub village: usize,
    /// Officer before (`None`: the village was unassigned).
    pub from: Option<usize>,
    /// Officer after.
    pub to: usize,
}

/// The suggested assignment and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebalance {
    /// Officer index of every village.
    pub assignment: Vec<usize>,
    /// The changes in the order made: first the assignments of unassigned villages, then the
    /// reassignments; applied to the input they give `assignment`.
    pub moves: Vec<Move>,
    /// Load of each officer before (unassigned villages count for nobody).
    pub load_before: Vec<f64>,
    /// Load of each officer after.
    pub load_after: Vec<f64>,
    /// [`spread`] of `load_before`.
    pub spread_before: f64,
    /// [`spread`] of `load_after`.
    pub spread_after: f64,
}

/// Why a rebalancing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum BalanceError {
    /// There is no officer to assign villages to.
    #[error("no officers")]
    NoOfficers,
    /// A village lists a neighbour that is not a village index.
    #[error("village {village} lists neighbour {neighbour}, but there are only {villages} villages")]
    NeighbourOutOfRange {
        /// The village index.
        village: usize,
        /// The bad neighbour index.
        neighbour: usize,
        /// The number of villages.
        villages: usize,
    },
    /// A village's officer is not an officer index.
    #[error("village {village} has officer {officer}, but there are only {officers} officers")]
    OfficerOutOfRange {
        /// The village index.
        village: usize,
        /// The bad officer index.
        officer: usize,
        /// The number of officers.
        officers: usize,
    },
    /// A village has a non-finite position, or a load that is not finite and ≥ 0.
    #[error("village {index} has a non-finite position or a load that is not finite and ≥ 0")]
    NonFiniteVillage {
        /// The village index.
        index: usize,
    },
    /// An officer's station has a non-finite position.
    #[error("officer {index} has a non-finite station position")]
    NonFiniteOfficer {
        /// The officer index.
        index: usize,
    },
    /// A spec field is not finite and ≥ 0.
    #[error("balance spec field {field} must be finite and ≥ 0, got {value}")]
    NonFiniteSpec {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

/// The spread of officer loads: max / mean over all of them (1.0 when there are none or all are
/// 0; ≥ 1 otherwise).
///
/// ```
/// use analytics::balance::spread;
/// assert_eq!(spread(&[2.0, 2.0]), 1.0);
/// assert_eq!(spread(&[3.0, 1.0]), 1.5);
/// ```
pub fn spread(loads: &[f64]) -> f64 {
    let total: f64 = loads.iter().sum();
    if loads.is_empty() || total <= 0.0 {
        return 1.0;
    }
    let max = loads.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max / (total / loads.len() as f64)
}

/// Suggests an officer for every village: assigns the unassigned ones and moves border villages
/// from the most-loaded officer to his neighbours while that evens the loads (the module
/// documentation has the rules). Deterministic.
///
/// ```
/// use analytics::balance::{rebalance, BalanceOfficer, BalanceSpec, BalanceVillage, Move};
/// // Six villages in a row, 1 km apart, each of load 1; officer 0 has five of them.
/// let villages: Vec<BalanceVillage> = (0..6)
///     .map(|i: usize| BalanceVillage {
///         load: 1.0,
///         x_m: i as f64 * 1000.0,
///         y_m: 0.0,
///         neighbours: [i.wrapping_sub(1), i + 1].into_iter().filter(|&j| j < 6).collect(),
///         officer: Some(if i < 5 { 0 } else { 1 }),
///     })
///     .collect();
/// let officers = [BalanceOfficer { x_m: 0.0, y_m: 0.0 }, BalanceOfficer { x_m: 5000.0, y_m: 0.0 }];
/// let r = rebalance(&villages, &officers, &BalanceSpec::default()).unwrap();
/// assert_eq!(r.assignment, [0, 0, 0, 1, 1, 1]);
/// assert_eq!(r.moves, [Move { village: 4, from: Some(0), to: 1 }, Move { village: 3, from: Some(0), to: 1 }]);
/// assert_eq!((r.spread_before, r.spread_after), (5.0 / 3.0, 1.0));
/// ```
pub fn rebalance(
    villages: &[BalanceVillage],
    officers: &[BalanceOfficer],
    spec: &BalanceSpec,
) -> Result<Rebalance, BalanceError> {
    let mut state = State::new(villages, officers, spec)?;
    let load_before = state.load.clone();
    let mut moves = Vec::new();
    state.assign_unassigned(&mut moves);
    state.improve(spec, &mut moves);
    let assignment = state.owner.iter().map(|o| o.unwrap_or(0)).collect();
    Ok(Rebalance {
        assignment,
        moves,
        spread_before: spread(&load_before),
        spread_after: spread(&state.load),
        load_before,
        load_after: state.load,
    })
}

/// The working assignment.
struct State<'a> {
    villages: &'a [BalanceVillage],
    officers: &'a [BalanceOfficer],
    distance_weight: f64,
    /// Undirected adjacency, sorted, without repeats or self-loops.
    adj: Vec<Vec<usize>>,
    owner: Vec<Option<usize>>,
    load: Vec<f64>,
    /// BFS marks: `seen[v] == stamp` means visited in the current search.
    seen: Vec<u64>,
    stamp: u64,
}

impl<'a> State<'a> {
    fn new(
        villages: &'a [BalanceVillage],
        officers: &'a [BalanceOfficer],
        spec: &BalanceSpec,
    ) -> Result<State<'a>, BalanceError> {
        if officers.is_empty() {
            return Err(BalanceError::NoOfficers);
        }
        for (field, value) in [("distance_weight", spec.distance_weight), ("tolerance", spec.tolerance)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(BalanceError::NonFiniteSpec { field, value });
            }
        }
        if let Some(index) = officers.iter().position(|o| !(o.x_m.is_finite() && o.y_m.is_finite())) {
            return Err(BalanceError::NonFiniteOfficer { index });
        }
        let n = villages.len();
        let mut adj = vec![Vec::new(); n];
        for (i, v) in villages.iter().enumerate() {
            if !(v.x_m.is_finite() && v.y_m.is_finite() && v.load.is_finite() && v.load >= 0.0) {
                return Err(BalanceError::NonFiniteVillage { index: i });
            }
            if let Some(officer) = v.officer.filter(|&o| o >= officers.len()) {
                return Err(BalanceError::OfficerOutOfRange { village: i, officer, officers: officers.len() });
            }
            for &j in &v.neighbours {
                if j >= n {
                    return Err(BalanceError::NeighbourOutOfRange { village: i, neighbour: j, villages: n });
                }
                if j != i {
                    adj[i].push(j);
                    adj[j].push(i);
                }
            }
        }
        for a in &mut adj {
            a.sort_unstable();
            a.dedup();
        }
        let mut state = State {
            villages,
            officers,
            distance_weight: spec.distance_weight,
            adj,
            owner: villages.iter().map(|v| v.officer).collect(),
            load: vec![0.0; officers.len()],
            seen: vec![0; n],
            stamp: 0,
        };
        state.load = (0..officers.len()).map(|o| state.load_of(o)).collect();
        Ok(state)
    }

    /// Cost of village `v` for officer `o`: its load plus the distance term.
    fn cost(&self, v: usize, o: usize) -> f64 {
        let (village, station) = (&self.villages[v], &self.officers[o]);
        let km = (village.x_m - station.x_m).hypot(village.y_m - station.y_m) / 1000.0;
        village.load + self.distance_weight * km
    }

    /// Officer `o`'s load, summed in village order (so it does not depend on the move history).
    fn load_of(&self, o: usize) -> f64 {
        (0..self.owner.len()).filter(|&v| self.owner[v] == Some(o)).map(|v| self.cost(v, o)).sum()
    }

    fn set_owner(&mut self, v: usize, to: usize, moves: &mut Vec<Move>) {
        let from = self.owner[v].replace(to);
        moves.push(Move { village: v, from, to });
        if let Some(f) = from {
            self.load[f] = self.load_of(f);
        }
        self.load[to] = self.load_of(to);
    }

    /// Step (a): every unassigned village to an adjacent officer, or else the nearest station.
    fn assign_unassigned(&mut self, moves: &mut Vec<Move>) {
        let n = self.owner.len();
        let mut frontier: BTreeSet<usize> = (0..n)
            .filter(|&v| self.owner[v].is_none() && self.adj[v].iter().any(|&u| self.owner[u].is_some()))
            .collect();
        let mut next_free = 0;
        loop {
            let (v, o) = if let Some(v) = frontier.pop_first() {
                let mut best: Option<usize> = None;
                for o in self.adj[v].iter().filter_map(|&u| self.owner[u]) {
                    if best.is_none_or(|b| self.load[o] < self.load[b] || (self.load[o] == self.load[b] && o < b)) {
                        best = Some(o);
                    }
                }
                // A frontier village always has an assigned neighbour; the fallback is never taken.
                (v, best.unwrap_or_else(|| self.nearest_station(v)))
            } else {
                while next_free < n && self.owner[next_free].is_some() {
                    next_free += 1;
                }
                if next_free == n {
                    break;
                }
                let v = next_free;
                (v, self.nearest_station(v))
            };
            self.set_owner(v, o, moves);
            for i in 0..self.adj[v].len() {
                let u = self.adj[v][i];
                if self.owner[u].is_none() {
                    frontier.insert(u);
                }
            }
        }
    }

    fn nearest_station(&self, v: usize) -> usize {
        let village = &self.villages[v];
        let d2 = |o: &BalanceOfficer| (o.x_m - village.x_m).powi(2) + (o.y_m - village.y_m).powi(2);
        let mut best = 0;
        for (o, officer) in self.officers.iter().enumerate().skip(1) {
            if d2(officer) < d2(&self.officers[best]) {
                best = o;
            }
        }
        best
    }

    /// Step (b): moves from the most-loaded officer while they help.
    fn improve(&mut self, spec: &BalanceSpec, moves: &mut Vec<Move>) {
        let n = self.owner.len();
        for _ in 0..spec.max_moves {
            let spread_now = spread(&self.load);
            if spread_now <= 1.0 + spec.tolerance {
                return;
            }
            let mut donor = 0;
            for (o, &l) in self.load.iter().enumerate() {
                if l > self.load[donor] {
                    donor = o;
                }
            }
            if self.owner.iter().filter(|&&o| o == Some(donor)).count() < 2 {
                return;
            }
            let a = self.load[donor];
            let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
            for v in (0..n).filter(|&v| self.owner[v] == Some(donor)) {
                let mut receivers: Vec<usize> =
                    self.adj[v].iter().filter_map(|&u| self.owner[u]).filter(|&o| o != donor).collect();
                receivers.sort_unstable();
                receivers.dedup();
                for r in receivers {
                    let (give, take, b) = (self.cost(v, donor), self.cost(v, r), self.load[r]);
                    let delta = (a - give).powi(2) + (b + take).powi(2) - a * a - b * b;
                    if delta < -EPS * (1.0 + a * a) {
                        candidates.push((delta, v, r));
                    }
                }
            }
            candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
            let chosen = candidates.into_iter().find(|&(_, v, r)| {
                let mut after = self.load.clone();
                after[donor] -= self.cost(v, donor);
                after[r] += self.cost(v, r);
                spread(&after) <= spread_now && self.stays_connected(v, donor)
            });
            match chosen {
                Some((_, v, r)) => self.set_owner(v, r, moves),
                None => return,
            }
        }
    }

    /// Whether taking `v` from officer `o` leaves the rest of `v`'s piece of his territory joined.
    fn stays_connected(&mut self, v: usize, o: usize) -> bool {
        let targets: Vec<usize> = self.adj[v].iter().copied().filter(|&u| self.owner[u] == Some(o)).collect();
        let Some((&start, rest)) = targets.split_first() else {
            return true;
        };
        if rest.is_empty() {
            return true;
        }
        self.stamp += 1;
        let stamp = self.stamp;
        self.seen[v] = stamp;
        self.seen[start] = stamp;
        let mut queue = vec![start];
        let mut missing = rest.len();
        while let Some(x) = queue.pop() {
            for &y in &self.adj[x] {
                if self.seen[y] != stamp && self.owner[y] == Some(o) {
                    self.seen[y] = stamp;
                    if rest.contains(&y) {
                        missing -= 1;
                        if missing == 0 {
                            return true;
                        }
                    }
                    queue.push(y);
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Villages on a jittered `w × h` grid 1 km apart with 4-neighbour adjacency, loads mostly
    /// 0–10 with a few heavy ones, and `k` officers whose territories grow from random seeds by
    /// random frontier steps (officers with random appetites) until `grown` of the villages are
    /// assigned. Every territory is connected.
    fn instance(seed: u64, w: usize, h: usize, k: usize, grown: f64) -> (Vec<BalanceVillage>, Vec<BalanceOfficer>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = w * h;
        let mut villages: Vec<BalanceVillage> = (0..n)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let mut neighbours = Vec::new();
                if x > 0 {
                    neighbours.push(i - 1);
                }
                if x + 1 < w {
                    neighbours.push(i + 1);
                }
                if y > 0 {
                    neighbours.push(i - w);
                }
                if y + 1 < h {
                    neighbours.push(i + w);
                }
                let heavy = if rng.random_bool(0.1) { 5.0 } else { 1.0 };
                BalanceVillage {
                    load: heavy * rng.random_range(0.0..10.0),
                    x_m: x as f64 * 1000.0 + rng.random_range(-300.0..300.0),
                    y_m: y as f64 * 1000.0 + rng.random_range(-300.0..300.0),
                    neighbours,
                    officer: None,
                }
            })
            .collect();
        let mut officers = Vec::new();
        while officers.len() < k {
            let s = rng.random_range(0..n);
            if villages[s].officer.is_none() {
                villages[s].officer = Some(officers.len());
                officers.push(BalanceOfficer { x_m: villages[s].x_m + 50.0, y_m: villages[s].y_m - 50.0 });
            }
        }
        let appetite: Vec<f64> = (0..k).map(|_| rng.random_range(0.1..3.0)).collect();
        let target = ((n as f64 * grown) as usize).max(k);
        let mut assigned = k;
        let mut stuck = vec![false; k];
        while assigned < target && stuck.iter().any(|s| !s) {
            let mut pick = rng.random_range(0.0..appetite.iter().sum::<f64>());
            let mut o = 0;
            while o + 1 < k && pick >= appetite[o] {
                pick -= appetite[o];
                o += 1;
            }
            let frontier: Vec<usize> = (0..n)
                .filter(|&v| {
                    villages[v].officer.is_none()
                        && villages[v].neighbours.iter().any(|&u| villages[u].officer == Some(o))
                })
                .collect();
            if frontier.is_empty() {
                stuck[o] = true;
                continue;
            }
            let v = frontier[rng.random_range(0..frontier.len())];
            villages[v].officer = Some(o);
            assigned += 1;
        }
        (villages, officers)
    }

    fn cost(villages: &[BalanceVillage], officers: &[BalanceOfficer], w: f64, v: usize, o: usize) -> f64 {
        let km = (villages[v].x_m - officers[o].x_m).hypot(villages[v].y_m - officers[o].y_m) / 1000.0;
        villages[v].load + w * km
    }

    fn loads(villages: &[BalanceVillage], officers: &[BalanceOfficer], w: f64, owner: &[Option<usize>]) -> Vec<f64> {
        let mut load = vec![0.0; officers.len()];
        for (v, o) in owner.iter().enumerate() {
            if let Some(o) = *o {
                load[o] += cost(villages, officers, w, v, o);
            }
        }
        load
    }

    fn sum_sq(loads: &[f64]) -> f64 {
        loads.iter().map(|l| l * l).sum()
    }

    /// Connected pieces of officer `o`'s territory (full BFS, symmetric adjacency), optionally
    /// without village `skip`.
    fn pieces(villages: &[BalanceVillage], owner: &[Option<usize>], o: usize, skip: Option<usize>) -> usize {
        let n = villages.len();
        let mut adj = vec![Vec::new(); n];
        for (i, v) in villages.iter().enumerate() {
            for &j in &v.neighbours {
                adj[i].push(j);
                adj[j].push(i);
            }
        }
        let mine = |v: usize| owner[v] == Some(o) && Some(v) != skip;
        let mut seen = vec![false; n];
        let mut count = 0;
        for s in 0..n {
            if !mine(s) || seen[s] {
                continue;
            }
            count += 1;
            seen[s] = true;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(x) = queue.pop_front() {
                for &y in &adj[x] {
                    if mine(y) && !seen[y] {
                        seen[y] = true;
                        queue.push_back(y);
                    }
                }
            }
        }
        count
    }

    /// Replays `r.moves` on the input and checks every rule of the module documentation against
    /// brute-force oracles; returns the number of reassignments.
    fn check(villages: &[BalanceVillage], officers: &[BalanceOfficer], spec: &BalanceSpec, r: &Rebalance) -> usize {
        let w = spec.distance_weight;
        let tol = 1e-9;
        let mut owner: Vec<Option<usize>> = villages.iter().map(|v| v.officer).collect();
        let before = loads(villages, officers, w, &owner);
        assert_eq!(r.load_before, before);
        assert_eq!(r.spread_before, spread(&before));
        let unassigned = owner.iter().filter(|o| o.is_none()).count();
        // Phase (a): the unassigned villages, each once.
        let n = villages.len();
        let touches = |a: usize, b: usize| villages[a].neighbours.contains(&b) || villages[b].neighbours.contains(&a);
        for (i, m) in r.moves.iter().take(unassigned).enumerate() {
            assert_eq!(m.from, None, "move {i}");
            assert_eq!(owner[m.village], None, "move {i} assigns village {} twice", m.village);
            let load = loads(villages, officers, w, &owner);
            let adjacent: Vec<usize> =
                (0..n).filter(|&u| u != m.village && touches(u, m.village)).filter_map(|u| owner[u]).collect();
            let frontier: Vec<usize> = (0..n)
                .filter(|&v| owner[v].is_none() && (0..n).any(|u| u != v && owner[u].is_some() && touches(u, v)))
                .collect();
            if adjacent.is_empty() {
                // Only when no unassigned village has an assigned neighbour, lowest index first.
                assert!(frontier.is_empty(), "move {i}: an adjacent assignment was possible");
                assert_eq!(owner.iter().position(Option::is_none), Some(m.village), "move {i}");
                let d = |o: usize| {
                    (officers[o].x_m - villages[m.village].x_m).hypot(officers[o].y_m - villages[m.village].y_m)
                };
                assert!((0..officers.len()).all(|o| d(m.to) <= d(o)), "move {i}: not the nearest station");
            } else {
                assert_eq!(frontier.first(), Some(&m.village), "move {i}: not the lowest-index frontier village");
                assert!(adjacent.contains(&m.to), "move {i}: officer {} owns no neighbour", m.to);
                assert!(adjacent.iter().all(|&o| load[m.to] <= load[o]), "move {i}: not the least loaded");
            }
            owner[m.village] = Some(m.to);
        }
        assert!(owner.iter().all(Option::is_some), "every village assigned after phase (a)");
        // Phase (b): each reassignment from the most-loaded officer to an adjacent one, lowering
        // the sum of squares, not raising the spread, not splitting the donor.
        let reassignments = &r.moves[unassigned..];
        assert!(reassignments.len() <= spec.max_moves);
        for (i, m) in reassignments.iter().enumerate() {
            let from = m.from.unwrap_or_else(|| panic!("reassignment {i} has no donor"));
            assert_eq!(owner[m.village], Some(from));
            assert_ne!(m.to, from);
            let load = loads(villages, officers, w, &owner);
            let max = load.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(load.iter().position(|&l| l == max), Some(from), "reassignment {i}: not the most loaded");
            assert!(spread(&load) > 1.0 + spec.tolerance - tol);
            assert!((0..n).any(|u| owner[u] == Some(m.to) && touches(u, m.village)), "reassignment {i}: not adjacent");
            let pieces_before = pieces(villages, &owner, from, None);
            let pieces_without = pieces(villages, &owner, from, Some(m.village));
            assert!(pieces_without <= pieces_before, "reassignment {i} splits officer {from}");
            assert!(owner.iter().filter(|&&o| o == Some(from)).count() >= 2);
            let mut next = owner.clone();
            next[m.village] = Some(m.to);
            let after = loads(villages, officers, w, &next);
            assert!(sum_sq(&after) < sum_sq(&load), "reassignment {i} does not lower the sum of squares");
            assert!(spread(&after) <= spread(&load) + tol, "reassignment {i} raises the spread");
            owner = next;
        }
        let assignment: Vec<usize> = owner.iter().map(|o| o.unwrap_or(usize::MAX)).collect();
        assert_eq!(r.assignment, assignment);
        let after = loads(villages, officers, w, &owner);
        for (got, want) in r.load_after.iter().zip(&after) {
            assert!((got - want).abs() <= tol * (1.0 + want), "{got} vs {want}");
        }
        assert!((r.spread_after - spread(&after)).abs() <= tol);
        // Why it stopped: balanced, out of moves, or no valid move from the most-loaded officer.
        if spread(&after) > 1.0 + spec.tolerance + tol && reassignments.len() < spec.max_moves {
            let max = after.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let donor = after.iter().position(|&l| l == max).unwrap_or(0);
            let kept = owner.iter().filter(|&&o| o == Some(donor)).count();
            for v in (0..villages.len()).filter(|&v| kept >= 2 && owner[v] == Some(donor)) {
                for u in (0..n).filter(|&u| touches(u, v)) {
                    let Some(to) = owner[u].filter(|&o| o != donor) else { continue };
                    let mut next = owner.clone();
                    next[v] = Some(to);
                    let moved = loads(villages, officers, w, &next);
                    let helps = sum_sq(&moved) < sum_sq(&after) - EPS * (1.0 + max * max) * 2.0
                        && spread(&moved) < spread(&after) - tol
                        && pieces(villages, &next, donor, None) <= pieces(villages, &owner, donor, None);
                    assert!(!helps, "stopped early: village {v} could go from {donor} to {to}");
                }
            }
        }
        reassignments.len()
    }

    #[test]
    fn random_instances_keep_territories_contiguous_and_even_out_loads() {
        let mut reassigned = 0;
        let mut improved = 0;
        for seed in 0..120 {
            let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
            let (w, h, k) = (rng.random_range(3..12), rng.random_range(3..12), rng.random_range(2..7));
            let grown = if seed % 3 == 0 { 0.6 } else { 1.0 };
            let (villages, officers) = instance(seed, w, h, k, grown);
            for distance_weight in [0.0, 0.8] {
                let spec = BalanceSpec { max_moves: 15, distance_weight, tolerance: 0.1 };
                let r = rebalance(&villages, &officers, &spec).unwrap();
                reassigned += check(&villages, &officers, &spec, &r);
                let owner: Vec<Option<usize>> = r.assignment.iter().map(|&o| Some(o)).collect();
                for o in 0..k {
                    assert_eq!(pieces(&villages, &owner, o, None), 1, "seed {seed}: officer {o} split");
                }
                if grown == 1.0 {
                    let before = sum_sq(&r.load_before);
                    assert!(sum_sq(&r.load_after) <= before + 1e-9 * before, "seed {seed}");
                    assert!(r.spread_after <= r.spread_before + 1e-12, "seed {seed}");
                    if r.spread_after < r.spread_before - 1e-9 {
                        improved += 1;
                    }
                }
            }
        }
        // The instances are lopsided: the search must actually do something.
        assert!(reassigned > 1000, "{reassigned} reassignments");
        assert!(improved > 140, "{improved} of 160 improved");
    }

    #[test]
    fn unassigned_villages_go_to_the_least_loaded_adjacent_officer_or_the_nearest_station() {
        for seed in 0..60 {
            let (mut villages, officers) = instance(500 + seed, 8, 7, 4, 0.5);
            // Cut a few unassigned villages loose: islands and a detached pair.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let n = villages.len();
            for _ in 0..4 {
                let v = rng.random_range(0..n);
                if villages[v].officer.is_none() {
                    villages[v].neighbours.clear();
                    for village in &mut villages {
                        village.neighbours.retain(|&x| x != v);
                    }
                }
            }
            villages.push(BalanceVillage {
                load: 3.0,
                x_m: 2500.0,
                y_m: 9000.0,
                neighbours: vec![n + 1],
                officer: None,
            });
            villages.push(BalanceVillage { load: 4.0, x_m: 3500.0, y_m: 9000.0, neighbours: vec![], officer: None });
            let spec = BalanceSpec { max_moves: 0, ..BalanceSpec::default() };
            let r = rebalance(&villages, &officers, &spec).unwrap();
            assert_eq!(check(&villages, &officers, &spec, &r), 0);
            assert_eq!(r.moves.len(), villages.iter().filter(|v| v.officer.is_none()).count());
            // The detached pair: the first goes to the nearest station, the second follows it.
            assert_eq!(r.assignment[n], r.assignment[n + 1]);
        }
        // A hand-made case: village 1 touches officers 0 (load 5) and 1 (load 2).
        let v =
            |load, x_m, neighbours: Vec<usize>, officer| BalanceVillage { load, x_m, y_m: 0.0, neighbours, officer };
        let villages = vec![
            v(5.0, 0.0, vec![1], Some(0)),
            v(1.0, 1000.0, vec![0, 2], None),
            v(2.0, 2000.0, vec![], Some(1)),
            v(1.0, 9000.0, vec![], None),
        ];
        let officers = [BalanceOfficer { x_m: 0.0, y_m: 0.0 }, BalanceOfficer { x_m: 8000.0, y_m: 0.0 }];
        let spec = BalanceSpec { max_moves: 0, ..BalanceSpec::default() };
        let r = rebalance(&villages, &officers, &spec).unwrap();
        assert_eq!(r.assignment, [0, 1, 1, 1]);
        assert_eq!(
            r.moves,
            [Move { village: 1, from: None, to: 1 }, Move { village: 3, from: None, to: 1 }],
            "adjacency first, then the nearest station"
        );
        assert_eq!(r.load_before, [5.0, 2.0]);
        assert_eq!(r.load_after, [5.0, 4.0]);
    }

    #[test]
    fn a_line_is_split_evenly() {
        let villages: Vec<BalanceVillage> = (0..6)
            .map(|i: usize| BalanceVillage {
                load: 1.0,
                x_m: i as f64 * 1000.0,
                y_m: 0.0,
                neighbours: if i + 1 < 6 { vec![i + 1] } else { vec![] }, // one side only: read as undirected
                officer: Some(if i < 5 { 0 } else { 1 }),
            })
            .collect();
        let officers = [BalanceOfficer { x_m: 0.0, y_m: 0.0 }, BalanceOfficer { x_m: 5000.0, y_m: 0.0 }];
        let r = rebalance(&villages, &officers, &BalanceSpec::default()).unwrap();
        assert_eq!(r.assignment, [0, 0, 0, 1, 1, 1]);
        assert_eq!(r.moves, [Move { village: 4, from: Some(0), to: 1 }, Move { village: 3, from: Some(0), to: 1 }]);
        assert_eq!((r.load_before, r.load_after), (vec![5.0, 1.0], vec![3.0, 3.0]));
        assert_eq!((r.spread_before, r.spread_after), (5.0 / 3.0, 1.0));
        // With a tolerance of 0.5 it stops after one move (spread 4/3).
        let r = rebalance(&villages, &officers, &BalanceSpec { tolerance: 0.5, ..BalanceSpec::default() }).unwrap();
        assert_eq!(r.moves.len(), 1);
        assert_eq!(r.spread_after, 4.0 / 3.0);
        // The distance term counts: 1 per km from the station.
        let spec = BalanceSpec { distance_weight: 1.0, max_moves: 0, ..BalanceSpec::default() };
        let r = rebalance(&villages, &officers, &spec).unwrap();
        assert_eq!(r.load_before, [5.0 + 0.0 + 1.0 + 2.0 + 3.0 + 4.0, 1.0]);
    }

    #[test]
    fn balanced_input_yields_no_moves() {
        // A 4 × 4 grid in four 2 × 2 quadrants of equal load.
        let (mut villages, _) = instance(7, 4, 4, 1, 0.0);
        for (i, v) in villages.iter_mut().enumerate() {
            v.load = 2.0;
            v.officer = Some((i % 4) / 2 + 2 * (i / 8));
        }
        let officers: Vec<BalanceOfficer> = [(500.0, 500.0), (2500.0, 500.0), (500.0, 2500.0), (2500.0, 2500.0)]
            .map(|(x_m, y_m)| BalanceOfficer { x_m, y_m })
            .to_vec();
        let r = rebalance(&villages, &officers, &BalanceSpec { tolerance: 0.0, ..BalanceSpec::default() }).unwrap();
        assert!(r.moves.is_empty());
        assert_eq!(r.assignment, villages.iter().map(|v| v.officer.unwrap()).collect::<Vec<_>>());
        assert_eq!((r.spread_before, r.spread_after), (1.0, 1.0));
        // Within the tolerance: 9 against a mean of 8 is a spread of 1.125 ≤ 1.15.
        villages[0].load = 3.0;
        villages[15].load = 1.0;
        let r = rebalance(&villages, &officers, &BalanceSpec::default()).unwrap();
        assert!(r.moves.is_empty());
        assert!((r.spread_after - 9.0 / 8.0).abs() < 1e-12, "{}", r.spread_after);
        // No loads at all: nothing to even out.
        for v in &mut villages {
            v.load = 0.0;
        }
        let r = rebalance(&villages, &officers, &BalanceSpec { tolerance: 0.0, ..BalanceSpec::default() }).unwrap();
        assert!(r.moves.is_empty());
        assert_eq!(r.spread_after, 1.0);
    }

    #[test]
    fn a_move_never_splits_the_donor_or_leaves_him_empty() {
        let v = |load, neighbours: Vec<usize>, officer| BalanceVillage {
            load,
            x_m: 0.0,
            y_m: 0.0,
            neighbours,
            officer: Some(officer),
        };
        let officers = [BalanceOfficer { x_m: 0.0, y_m: 0.0 }, BalanceOfficer { x_m: 0.0, y_m: 0.0 }];
        // 0 – 1 – 2 belong to officer 0; 3 (officer 1) touches only 1, the cut vertex.
        let villages = vec![v(1.0, vec![1], 0), v(1.0, vec![2, 3], 0), v(1.0, vec![], 0), v(0.0, vec![], 1)];
        let r = rebalance(&villages, &officers, &BalanceSpec { tolerance: 0.0, ..BalanceSpec::default() }).unwrap();
        assert!(r.moves.is_empty(), "{:?}", r.moves);
        assert_eq!(r.spread_after, 2.0);
        // Once 3 also touches 2, moving 2 is fine (0 – 1 stay joined).
        let mut villages = villages;
        villages[3].neighbours.push(2);
        let r = rebalance(&villages, &officers, &BalanceSpec { tolerance: 0.0, ..BalanceSpec::default() }).unwrap();
        assert_eq!(r.moves, [Move { village: 2, from: Some(0), to: 1 }]);
        // An officer keeps his last village however heavy it is.
        let villages = vec![v(10.0, vec![1], 0), v(0.0, vec![], 1)];
        let r = rebalance(&villages, &officers, &BalanceSpec::default()).unwrap();
        assert!(r.moves.is_empty());
        assert_eq!(r.spread_after, 2.0);
        // Even when his one village lies 10 km from his station, next to the other officer's.
        // (Moving it would take the loads from 11, 1, 2 to 0, 2, 2: lower in every other sense.)
        let far = [0.0, 10_000.0, 50_000.0].map(|x_m| BalanceOfficer { x_m, y_m: 0.0 });
        let mut villages = vec![v(1.0, vec![1], 0), v(1.0, vec![], 1), v(2.0, vec![], 2)];
        for (village, x_m) in villages.iter_mut().zip([10_000.0, 10_000.0, 50_000.0]) {
            village.x_m = x_m;
        }
        let spec = BalanceSpec { distance_weight: 1.0, ..BalanceSpec::default() };
        let r = rebalance(&villages, &far, &spec).unwrap();
        assert!(r.moves.is_empty(), "{:?}", r.moves);
        assert_eq!(r.load_after, [11.0, 1.0, 2.0]);
    }

    #[test]
    fn the_biggest_improvement_wins_and_ties_go_to_the_lowest_index() {
        let v = |load, neighbours: Vec<usize>, officer| BalanceVillage {
            load,
            x_m: 0.0,
            y_m: 0.0,
            neighbours,
            officer: Some(officer),
        };
        let officer = BalanceOfficer { x_m: 0.0, y_m: 0.0 };
        let spec = BalanceSpec { tolerance: 0.0, ..BalanceSpec::default() };
        // 0 1 2 / 3 4 5: officer 1 has the right column; moving 4 (load 3) beats moving 1 (load 1).
        let villages = vec![
            v(1.0, vec![1, 3], 0),
            v(1.0, vec![2, 4], 0),
            v(0.0, vec![5], 1),
            v(1.0, vec![4], 0),
            v(3.0, vec![5], 0),
            v(0.0, vec![], 1),
        ];
        let r = rebalance(&villages, &[officer; 2], &spec).unwrap();
        assert_eq!(r.moves, [Move { village: 4, from: Some(0), to: 1 }]);
        assert_eq!(r.load_after, [3.0, 3.0]);
        // Two equally good moves (1 or 2 to officer 1): the lower village index.
        let villages = vec![v(0.0, vec![1, 2], 1), v(1.0, vec![2, 3], 0), v(1.0, vec![3], 0), v(1.0, vec![], 0)];
        let r = rebalance(&villages, &[officer; 2], &spec).unwrap();
        assert_eq!(r.moves, [Move { village: 1, from: Some(0), to: 1 }]);
        // Two officers tied at the top: the lower index gives first. A A A C B B B in a row.
        let owners = [0, 0, 0, 2, 1, 1, 1];
        let villages: Vec<BalanceVillage> = (0..7)
            .map(|i: usize| v(if i == 3 { 0.0 } else { 1.0 }, if i < 6 { vec![i + 1] } else { vec![] }, owners[i]))
            .collect();
        let r = rebalance(&villages, &[officer; 3], &spec).unwrap();
        assert_eq!(r.moves, [Move { village: 2, from: Some(0), to: 2 }, Move { village: 4, from: Some(1), to: 2 }]);
        assert_eq!(r.assignment, [0, 0, 2, 2, 2, 1, 1]);
        assert_eq!(r.spread_after, 1.0);
    }

    #[test]
    fn max_moves_bounds_the_reassignments() {
        let (villages, officers) = instance(42, 10, 10, 3, 1.0);
        let all =
            rebalance(&villages, &officers, &BalanceSpec { max_moves: 1000, tolerance: 0.0, ..BalanceSpec::default() })
                .unwrap();
        assert!(all.moves.len() >= 3, "{} moves", all.moves.len());
        for max_moves in 0..all.moves.len() {
            let spec = BalanceSpec { max_moves, tolerance: 0.0, ..BalanceSpec::default() };
            let r = rebalance(&villages, &officers, &spec).unwrap();
            assert_eq!(r.moves, all.moves[..max_moves], "a prefix of the unbounded run");
            check(&villages, &officers, &spec, &r);
        }
    }

    #[test]
    fn same_input_same_answer() {
        for seed in 0..10 {
            let (villages, officers) = instance(seed, 9, 8, 5, 0.8);
            let spec = BalanceSpec { distance_weight: 0.3, ..BalanceSpec::default() };
            let a = rebalance(&villages, &officers, &spec).unwrap();
            let b = rebalance(&villages.clone(), &officers.clone(), &spec).unwrap();
            assert_eq!(a, b);
            // Neighbour lists in another order, with repeats, describe the same map.
            let mut shuffled = villages.clone();
            for v in &mut shuffled {
                v.neighbours.reverse();
                v.neighbours.extend(v.neighbours.clone());
            }
            assert_eq!(rebalance(&shuffled, &officers, &spec).unwrap(), a);
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let (villages, officers) = instance(3, 3, 3, 2, 1.0);
        let spec = BalanceSpec::default();
        assert_eq!(rebalance(&villages, &[], &spec), Err(BalanceError::NoOfficers));
        let mut bad = villages.clone();
        bad[4].neighbours.push(9);
        assert_eq!(
            rebalance(&bad, &officers, &spec),
            Err(BalanceError::NeighbourOutOfRange { village: 4, neighbour: 9, villages: 9 })
        );
        let mut bad = villages.clone();
        bad[2].officer = Some(2);
        assert_eq!(
            rebalance(&bad, &officers, &spec),
            Err(BalanceError::OfficerOutOfRange { village: 2, officer: 2, officers: 2 })
        );
        for (field, value) in
            [("load", f64::NAN), ("load", -1.0), ("load", f64::INFINITY), ("x_m", f64::NAN), ("y_m", f64::NEG_INFINITY)]
        {
            let mut bad = villages.clone();
            match field {
                "load" => bad[5].load = value,
                "x_m" => bad[5].x_m = value,
                _ => bad[5].y_m = value,
            }
            assert_eq!(rebalance(&bad, &officers, &spec), Err(BalanceError::NonFiniteVillage { index: 5 }), "{field}");
        }
        let mut bad = officers.clone();
        bad[1].y_m = f64::NAN;
        assert_eq!(rebalance(&villages, &bad, &spec), Err(BalanceError::NonFiniteOfficer { index: 1 }));
        let nan = BalanceSpec { tolerance: f64::NAN, ..spec };
        assert!(matches!(
            rebalance(&villages, &officers, &nan),
            Err(BalanceError::NonFiniteSpec { field: "tolerance", .. })
        ));
        let neg = BalanceSpec { distance_weight: -0.1, ..spec };
        assert_eq!(
            rebalance(&villages, &officers, &neg),
            Err(BalanceError::NonFiniteSpec { field: "distance_weight", value: -0.1 })
        );
        assert!(
            BalanceError::NeighbourOutOfRange { village: 4, neighbour: 9, villages: 9 }
                .to_string()
                .contains("neighbour 9")
        );
        // No villages is fine.
        let r = rebalance(&[], &officers, &spec).unwrap();
        assert!(r.assignment.is_empty() && r.moves.is_empty());
        assert_eq!((r.load_after, r.spread_after), (vec![0.0, 0.0], 1.0));
    }
}
