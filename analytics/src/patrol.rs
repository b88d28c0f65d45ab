//! Hot-spot patrol routes for one shift: which risky places each unit visits, in which order,
//! and when (the Koper curve: stops of about 15 minutes, each place revisited about every two
//! hours, two to five places per unit per shift).
//!
//! Coordinates are planar metres (project lon/lat first, UTM 48N for Wuwei); times are seconds
//! from the start of the shift.
//!
//! # Formulation
//!
//! A team orienteering problem with dwell and revisits. Unit `u` leaves its station, visits an
//! ordered set `P_u` of distinct places (at most `max_places_per_unit`), spending `dwell_s` at
//! each, and returns; a place belongs to at most one unit. `P_u` is feasible when its first round
//! fits: `cycle_s(u) = travel(station → P_u → station) / speed_u + |P_u| · dwell_s ≤ min(shift_s,
//! max_round_s)` (a round no longer than the revisit gap keeps every place at the Koper dose).
//! The objective is the total risk of the distinct places visited (coverage); among plans of equal
//! coverage a shorter total cycle time is better (it leaves more time for revisits). Pinned places
//! reachable on their own (`station → place → station` fits for some unit) must be visited.
//!
//! Revisits are the dose, scheduled after the choice: the unit repeats its visit order
//! (…, last place, first place, …, without going home in between); a visit starts no sooner than
//! `revisit_gap_s` after the previous visit to the same place started, the unit lingering on the
//! way when it is early; the first visit that would not leave time to get home by `shift_s` ends
//! the shift. So `leave_s − arrive_s = dwell_s` for every stop and the unit is home by `shift_s`.
//!
//! # Heuristic
//!
//! 1. Travel distances between every station and place are computed once (straight line ×
//!    detour, or road network with one early-exit Dijkstra per distinct nearest node).
//! 2. Construction: pinned places first (cheapest insertion of added time over all units), then
//!    greedy insertion by `risk / added seconds` (travel detour at the cheapest position + dwell),
//!    choosing uniformly with the seeded RNG among candidates within `near_equal` of the best.
//! 3. Local search until no move improves (coverage, then total time) or 50 passes: 2-opt and
//!    relocation within each tour; inserting unvisited places; replacing a visited place by an
//!    unvisited one of higher risk (moving the replaced place to another unit when it fits);
//!    dropping one to three places of a tour and refilling it greedily by risk from the unvisited
//!    places that fit (also starting from each of the four riskiest, since the riskiest may block
//!    a better pair); moving a place between units when that shortens the total time. Reordering
//!    on insertion is tried only when cheapest insertion overshoots the budget by under 10%.
//! 4. Steps 2–3 run `restarts` times (one RNG stream) and the best plan is kept; then units below
//!    `min_places_per_unit` take places from units above it when they fit (coverage unchanged).
//!
//! [`naive_plan`] is the baseline: each unit in turn goes to the nearest place not yet taken,
//! then the nearest from there, until the next one would not leave time to get home.

use crate::roads::RoadNetwork;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use thiserror::Error;

/// Passes of local search per start at most.
const MAX_PASSES: usize = 50;
/// Improvements smaller than this (risk units, or seconds for time) are ignored.
const EPS: f64 = 1e-9;
/// Refills of a tour start with each of this many riskiest fitting places (and with none).
const REFILL_FIRSTS: usize = 4;
/// Planning keeps this many seconds in hand so the schedule's own sums always fit.
const MARGIN_S: f64 = 1e-6;

/// A candidate place: a cell centre in metres with its forecast risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    /// Easting, metres.
    pub x_m: f64,
    /// Northing, metres.
    pub y_m: f64,
    /// Forecast risk (≥ 0); coverage is the sum over visited places.
    pub risk: f64,
    /// Must be visited if some unit can reach it within the shift.
    pub pinned: bool,
}

/// A patrol unit: its station (start and end of the shift) and travel speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitStart {
    /// Easting of the station, metres.
    pub x_m: f64,
    /// Northing of the station, metres.
    pub y_m: f64,
    /// Travel speed, metres per second (> 0).
    pub speed_m_per_s: f64,
}

/// How travel distance between two points in metres is measured.
#[derive(Debug, Clone, Copy)]
pub enum Travel<'a> {
    /// Straight line × `detour` (e.g. 1.3 for city streets).
    Straight {
        /// Ratio of travelled to straight-line distance (> 0).
        detour: f64,
    },
    /// Road network distance, straight access legs to the nearest nodes × `access_detour`.
    Roads {
        /// The network, metres.
        network: &'a RoadNetwork,
        /// Ratio applied to the off-road access legs and to the disconnected fallback (> 0).
        access_detour: f64,
    },
}

impl Travel<'_> {
    /// Travel distance in metres between two points in metres.
    pub fn distance_m(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        match *self {
            Travel::Straight { detour } => (a[0] - b[0]).hypot(a[1] - b[1]) * detour,
            Travel::Roads { network, access_detour } => network.travel_m(a, b, access_detour),
        }
    }

    /// Geometry of one leg in metres: `[a, b]`, or `a`, the road path, `b`.
    pub fn leg(&self, a: [f64; 2], b: [f64; 2]) -> Vec<[f64; 2]> {
        match *self {
            Travel::Straight { .. } => vec![a, b],
            Travel::Roads { network, .. } => network.travel_path(a, b),
        }
    }

    /// Distances in metres between all pairs of `points`, row-major (`n × n`, zero diagonal);
    /// on roads one early-exit Dijkstra per distinct nearest node.
    pub fn distance_matrix_m(&self, points: &[[f64; 2]]) -> Vec<f64> {
        let n = points.len();
        let mut d = vec![0.0; n * n];
        match *self {
            Travel::Straight { .. } => {
                for i in 0..n {
                    for j in 0..n {
                        if i != j {
                            d[i * n + j] = self.distance_m(points[i], points[j]);
                        }
                    }
                }
            }
            Travel::Roads { network, access_detour } => {
                let near: Vec<Option<(usize, f64)>> = points.iter().map(|&p| network.nearest_node(p)).collect();
                let mut nodes: Vec<usize> = near.iter().flatten().map(|&(k, _)| k).collect();
                nodes.sort_unstable();
                nodes.dedup();
                let mut net: HashMap<usize, Vec<f64>> = HashMap::new();
                for &k in &nodes {
                    net.insert(k, network.distances_to_m(k, &nodes));
                }
                for i in 0..n {
                    for j in 0..n {
                        if i == j || points[i] == points[j] {
                            continue;
                        }
                        let straight = (points[i][0] - points[j][0]).hypot(points[i][1] - points[j][1]) * access_detour;
                        d[i * n + j] = match (near[i], near[j]) {
                            (Some((ki, di)), Some((kj, dj))) => {
                                let through = net
                                    .get(&ki)
                                    .and_then(|row| nodes.binary_search(&kj).ok().map(|x| row[x]))
                                    .unwrap_or(f64::INFINITY);
                                if through.is_finite() { (di + dj) * access_detour + through } else { straight }
                            }
                            _ => straight,
                        };
                    }
                }
            }
        }
        d
    }

    fn detour(&self) -> f64 {
        match *self {
            Travel::Straight { detour } => detour,
            Travel::Roads { access_detour, .. } => access_detour,
        }
    }
}

/// Shift, Koper-curve dosage and search parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatrolSpec {
    /// Shift length, seconds (> 0); routes start at 0 and are home by `shift_s`.
    pub shift_s: f64,
    /// Time spent at each visit, seconds (> 0; default 900 = 15 min).
    pub dwell_s: f64,
    /// Least time between the starts of two visits to one place, seconds (default 7200 = 2 h).
    pub revisit_gap_s: f64,
    /// Most distinct places per unit (default 5).
    pub max_places_per_unit: usize,
    /// Soft floor of places per unit, met by moving places between units (default 2).
    pub min_places_per_unit: usize,
    /// Seed of the random choice among near-equal candidates.
    pub seed: u64,
    /// Candidates scoring within this fraction of the best are chosen among at random (0 ≤ x < 1).
    pub near_equal: f64,
    /// Randomised constructions followed by local search; the best is kept (≥ 1).
    pub restarts: usize,
    /// Longest first round (station → places → station, dwell included), seconds; infinite
    /// (the default) means the shift. Set it to the revisit gap so each place can be revisited
    /// on time instead of a unit spending its shift on one distant round.
    pub max_round_s: f64,
}

impl Default for PatrolSpec {
    fn default() -> PatrolSpec {
        PatrolSpec {
            shift_s: 8.0 * 3600.0,
            dwell_s: 900.0,
            revisit_gap_s: 7200.0,
            max_places_per_unit: 5,
            min_places_per_unit: 2,
            seed: 0,
            near_equal: 0.05,
            restarts: 4,
            max_round_s: f64::INFINITY,
        }
    }
}

/// One visit: a site index and its dwell, seconds from the shift start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    /// Index into the `sites` given to the planner.
    pub site: usize,
    /// Start of the dwell, seconds.
    pub arrive_s: f64,
    /// End of the dwell (`arrive_s + dwell_s`), seconds.
    pub leave_s: f64,
}

/// One unit's shift.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRoute {
    /// The distinct places in visit order (site indices).
    pub places: Vec<usize>,
    /// Every visit in time order, revisits included.
    pub stops: Vec<Stop>,
    /// Geometry in metres of each leg: station → stop 0, stop 0 → stop 1, …, last stop → station
    /// (`stops.len() + 1` legs; none when there are no stops).
    pub legs: Vec<Vec<[f64; 2]>>,
    /// Distance travelled over all legs, metres.
    pub travel_m: f64,
    /// Time back at the station, seconds (≤ `shift_s`; 0 when there are no stops).
    pub back_s: f64,
}

/// A plan for all units.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolPlan {
    /// One route per unit, in the order of the starts.
    pub units: Vec<UnitRoute>,
    /// Sum of the risk of the distinct sites visited.
    pub covered_risk: f64,
    /// Sum of the risk of all sites.
    pub total_risk: f64,
    /// Pinned sites the plan does not visit (none can reach them, or they do not fit together).
    pub unreached_pinned: Vec<usize>,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PatrolError {
    /// No unit to plan for.
    #[error("no patrol units")]
    NoUnits,
    /// The shift is not a positive finite number of seconds.
    #[error("shift must be positive seconds, got {shift_s}")]
    NonPositiveShift {
        /// The shift given, seconds.
        shift_s: f64,
    },
    /// A parameter of the spec is out of range or not finite.
    #[error("patrol spec field {field} out of range: {value}")]
    Spec {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A site has non-finite coordinates or a negative or non-finite risk.
    #[error("site {index} has non-finite coordinates or an invalid risk")]
    Site {
        /// Index of the site.
        index: usize,
    },
    /// A unit has a non-finite start or a speed that is not positive.
    #[error("unit {index} has a non-finite start or a non-positive speed")]
    Unit {
        /// Index of the unit.
        index: usize,
    },
    /// The travel detour is not a positive finite number.
    #[error("travel detour must be positive, got {detour}")]
    Detour {
        /// The detour given.
        detour: f64,
    },
}

/// Share of the total risk the plan covers, 0–1 (0 when the total risk is 0).
pub fn coverage(plan: &PatrolPlan) -> f64 {
    if plan.total_risk > 0.0 { plan.covered_risk / plan.total_risk } else { 0.0 }
}

/// Plans the shift: chooses and orders places per unit to maximise covered risk, then schedules
/// revisits (see the module documentation for the formulation and the heuristic).
///
/// ```
/// use analytics::patrol::{plan, coverage, PatrolSpec, Site, Travel, UnitStart};
/// let sites = [
///     Site { x_m: 1000.0, y_m: 0.0, risk: 5.0, pinned: false },
///     Site { x_m: 0.0, y_m: 1000.0, risk: 1.0, pinned: false },
/// ];
/// let units = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 5.0 }];
/// let spec = PatrolSpec { shift_s: 3600.0, max_places_per_unit: 1, ..PatrolSpec::default() };
/// let p = plan(&sites, &units, Travel::Straight { detour: 1.0 }, &spec).unwrap();
/// assert_eq!(p.units[0].places, vec![0]);
/// assert_eq!(p.units[0].stops[0].arrive_s, 200.0);
/// assert!((coverage(&p) - 5.0 / 6.0).abs() < 1e-12);
/// ```
pub fn plan(
    sites: &[Site],
    starts: &[UnitStart],
    travel: Travel<'_>,
    spec: &PatrolSpec,
) -> Result<PatrolPlan, PatrolError> {
    let problem = Problem::new(sites, starts, travel, spec)?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut best: Option<(State, Vec<usize>)> = None;
    for _ in 0..spec.restarts.max(1) {
        let (mut state, unreached) = problem.construct(&mut rng);
        problem.local_search(&mut state);
        let better = match &best {
            None => true,
            Some((b, _)) => problem.better(&state, b),
        };
        if better {
            best = Some((state, unreached));
        }
    }
    let (mut state, unreached) = best.unwrap_or_else(|| (State::new(problem.n_units, problem.n_sites), Vec::new()));
    problem.balance(&mut state);
    Ok(problem.assemble(&state.routes, unreached))
}

/// The baseline: each unit in turn goes to the nearest site not yet taken, then the nearest from
/// there, until the next would not leave time to get home or it has `max_places_per_unit`; same
/// dwell and revisit rules as [`plan`], no risk awareness (pinned sites are not honoured).
pub fn naive_plan(
    sites: &[Site],
    starts: &[UnitStart],
    travel: Travel<'_>,
    spec: &PatrolSpec,
) -> Result<PatrolPlan, PatrolError> {
    let problem = Problem::new(sites, starts, travel, spec)?;
    let mut taken = vec![false; problem.n_sites];
    let mut routes = vec![Vec::new(); problem.n_units];
    for (u, route) in routes.iter_mut().enumerate() {
        let mut pos = u;
        let mut open_m = 0.0;
        while route.len() < problem.max_places {
            let next = (0..problem.n_sites)
                .filter(|&s| !taken[s])
                .map(|s| (s, problem.d(pos, problem.pt(s))))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let Some((s, leg_m)) = next else { break };
            let len_m = open_m + leg_m + problem.d(problem.pt(s), u);
            if !problem.fits(u, route.len() + 1, len_m) {
                break;
            }
            taken[s] = true;
            route.push(s);
            open_m += leg_m;
            pos = problem.pt(s);
        }
    }
    Ok(problem.assemble(&routes, Vec::new()))
}

/// Which places each unit visits (in order) and the derived totals.
#[derive(Debug, Clone)]
struct State {
    routes: Vec<Vec<usize>>,
    len_m: Vec<f64>,
    unit_of: Vec<Option<usize>>,
}

impl State {
    fn new(n_units: usize, n_sites: usize) -> State {
        State { routes: vec![Vec::new(); n_units], len_m: vec![0.0; n_units], unit_of: vec![None; n_sites] }
    }
}

/// The validated inputs with the distance matrix over stations (0..n_units) then sites.
struct Problem<'a> {
    n_units: usize,
    n_sites: usize,
    np: usize,
    dist_m: Vec<f64>,
    points: Vec<[f64; 2]>,
    speeds: Vec<f64>,
    sites: &'a [Site],
    travel: Travel<'a>,
    shift_s: f64,
    /// Longest first round: `min(shift_s, max_round_s)`.
    round_s: f64,
    dwell_s: f64,
    gap_s: f64,
    max_places: usize,
    min_places: usize,
    near_equal: f64,
    /// Sites by decreasing risk (ties: lower index).
    by_risk: Vec<usize>,
}

impl<'a> Problem<'a> {
    fn new(
        sites: &'a [Site],
        starts: &[UnitStart],
        travel: Travel<'a>,
        spec: &PatrolSpec,
    ) -> Result<Problem<'a>, PatrolError> {
        if starts.is_empty() {
            return Err(PatrolError::NoUnits);
        }
        if !(spec.shift_s.is_finite() && spec.shift_s > 0.0) {
            return Err(PatrolError::NonPositiveShift { shift_s: spec.shift_s });
        }
        let checks = [
            ("dwell_s", spec.dwell_s, spec.dwell_s > 0.0),
            ("revisit_gap_s", spec.revisit_gap_s, spec.revisit_gap_s >= 0.0),
            ("near_equal", spec.near_equal, (0.0..1.0).contains(&spec.near_equal)),
            ("max_round_s", spec.shift_s.min(spec.max_round_s), spec.max_round_s > 0.0),
            ("max_places_per_unit", spec.max_places_per_unit as f64, spec.max_places_per_unit >= 1),
        ];
        for (field, value, ok) in checks {
            if !(value.is_finite() && ok) {
                return Err(PatrolError::Spec { field, value });
            }
        }
        let detour = travel.detour();
        if !(detour.is_finite() && detour > 0.0) {
            return Err(PatrolError::Detour { detour });
        }
        for (index, s) in sites.iter().enumerate() {
            if !(s.x_m.is_finite() && s.y_m.is_finite() && s.risk.is_finite() && s.risk >= 0.0) {
                return Err(PatrolError::Site { index });
            }
        }
        for (index, u) in starts.iter().enumerate() {
            if !(u.x_m.is_finite() && u.y_m.is_finite() && u.speed_m_per_s.is_finite() && u.speed_m_per_s > 0.0) {
                return Err(PatrolError::Unit { index });
            }
        }
        let points: Vec<[f64; 2]> =
            starts.iter().map(|u| [u.x_m, u.y_m]).chain(sites.iter().map(|s| [s.x_m, s.y_m])).collect();
        let dist_m = travel.distance_matrix_m(&points);
        let mut by_risk: Vec<usize> = (0..sites.len()).collect();
        by_risk.sort_by(|&a, &b| sites[b].risk.total_cmp(&sites[a].risk).then(a.cmp(&b)));
        Ok(Problem {
            n_units: starts.len(),
            n_sites: sites.len(),
            np: points.len(),
            dist_m,
            points,
            speeds: starts.iter().map(|u| u.speed_m_per_s).collect(),
            sites,
            travel,
            shift_s: spec.shift_s,
            round_s: spec.shift_s.min(spec.max_round_s),
            dwell_s: spec.dwell_s,
            gap_s: spec.revisit_gap_s,
            max_places: spec.max_places_per_unit,
            min_places: spec.min_places_per_unit.min(spec.max_places_per_unit),
            near_equal: spec.near_equal,
            by_risk,
        })
    }

    /// Point index of site `s`.
    fn pt(&self, s: usize) -> usize {
        self.n_units + s
    }

    /// Distance between point indices, metres.
    fn d(&self, i: usize, j: usize) -> f64 {
        self.dist_m[i * self.np + j]
    }

    fn risk(&self, s: usize) -> f64 {
        self.sites[s].risk
    }

    /// Does a first round of `k` places and `len_m` metres fit unit `u`'s shift?
    fn fits(&self, u: usize, k: usize, len_m: f64) -> bool {
        k <= self.max_places && len_m / self.speeds[u] + k as f64 * self.dwell_s <= self.round_s - MARGIN_S
    }

    /// Cycle length of unit `u` through `route`, metres.
    fn route_len_m(&self, u: usize, route: &[usize]) -> f64 {
        let mut prev = u;
        let mut len = 0.0;
        for &s in route {
            len += self.d(prev, self.pt(s));
            prev = self.pt(s);
        }
        len + self.d(prev, u)
    }

    /// Point before position `i` and point at position `i` of `route` (station at both ends).
    fn around(&self, u: usize, route: &[usize], i: usize) -> (usize, usize) {
        let prev = if i == 0 { u } else { self.pt(route[i - 1]) };
        let next = if i == route.len() { u } else { self.pt(route[i]) };
        (prev, next)
    }

    /// Cheapest position to insert site `s` into `route` and the added metres.
    fn cheapest(&self, u: usize, route: &[usize], s: usize) -> (usize, f64) {
        let p = self.pt(s);
        let mut best = (0, f64::INFINITY);
        for i in 0..=route.len() {
            let (a, b) = self.around(u, route, i);
            let delta = self.d(a, p) + self.d(p, b) - self.d(a, b);
            if delta < best.1 {
                best = (i, delta);
            }
        }
        best
    }

    /// `route` with `s` inserted (cheapest position, reordered by 2-opt/relocation if that alone
    /// does not fit) and its length, if it fits unit `u`.
    fn try_insert(&self, u: usize, route: &[usize], len_m: f64, s: usize) -> Option<(Vec<usize>, f64)> {
        if route.len() >= self.max_places {
            return None;
        }
        let (i, delta) = self.cheapest(u, route, s);
        let len = len_m + delta;
        let k = route.len() + 1;
        let fits = self.fits(u, k, len);
        // Cheapest insertion into a tour of up to two places is already the best order of the
        // three; beyond, reordering rarely saves a tenth: skip hopeless cases.
        let budget_m = (self.round_s - k as f64 * self.dwell_s) * self.speeds[u];
        if !fits && (k < 4 || len > 1.1 * budget_m) {
            return None;
        }
        let mut r = Vec::with_capacity(k);
        r.extend_from_slice(&route[..i]);
        r.push(s);
        r.extend_from_slice(&route[i..]);
        if fits {
            return Some((r, len));
        }
        let len = self.improve_order(u, &mut r);
        self.fits(u, r.len(), len).then_some((r, len))
    }

    /// 2-opt and single-place relocation until neither shortens the cycle; returns its length.
    fn improve_order(&self, u: usize, route: &mut Vec<usize>) -> f64 {
        let k = route.len();
        let mut improved = true;
        let mut rounds = 0;
        while improved && rounds < 100 {
            improved = false;
            rounds += 1;
            for i in 0..k {
                for j in i + 1..k {
                    let (a, _) = self.around(u, route, i);
                    let (_, b) = self.around(u, route, j + 1);
                    let (ri, rj) = (self.pt(route[i]), self.pt(route[j]));
                    let delta = self.d(a, rj) + self.d(ri, b) - self.d(a, ri) - self.d(rj, b);
                    if delta < -EPS {
                        route[i..=j].reverse();
                        improved = true;
                    }
                }
            }
            for i in 0..k {
                let s = route[i];
                let (a, _) = self.around(u, route, i);
                let (_, b) = self.around(u, route, i + 1);
                let p = self.pt(s);
                let removed = self.d(a, p) + self.d(p, b) - self.d(a, b);
                let rest: Vec<usize> = route.iter().copied().filter(|&x| x != s).collect();
                let (j, added) = self.cheapest(u, &rest, s);
                if added < removed - EPS {
                    let mut r = rest;
                    r.insert(j, s);
                    *route = r;
                    improved = true;
                }
            }
        }
        self.route_len_m(u, route)
    }

    /// Total cycle time of all units, seconds.
    fn total_s(&self, state: &State) -> f64 {
        state.len_m.iter().zip(&self.speeds).map(|(l, v)| l / v).sum::<f64>()
            + state.routes.iter().map(|r| r.len() as f64 * self.dwell_s).sum::<f64>()
    }

    fn covered(&self, state: &State) -> f64 {
        state.routes.iter().flatten().map(|&s| self.risk(s)).sum()
    }

    /// Is `a` better than `b`: more coverage, or as much in less time?
    fn better(&self, a: &State, b: &State) -> bool {
        let (ca, cb) = (self.covered(a), self.covered(b));
        ca > cb + EPS || ((ca - cb).abs() <= EPS && self.total_s(a) < self.total_s(b) - EPS)
    }

    fn set_route(&self, state: &mut State, u: usize, route: Vec<usize>, len_m: f64) {
        for &s in &state.routes[u] {
            state.unit_of[s] = None;
        }
        for &s in &route {
            state.unit_of[s] = Some(u);
        }
        state.routes[u] = route;
        state.len_m[u] = len_m;
    }

    /// Picks uniformly among the candidates whose value is within `near_equal` of the best
    /// (`higher`: larger values are better).
    fn pick<T: Copy>(&self, rng: &mut ChaCha8Rng, cands: &[(T, f64)], higher: bool) -> Option<T> {
        let best = cands.iter().map(|c| c.1).fold(if higher { f64::NEG_INFINITY } else { f64::INFINITY }, |a, b| {
            if higher { a.max(b) } else { a.min(b) }
        });
        let near: Vec<T> = cands
            .iter()
            .filter(|c| {
                if higher {
                    c.1 >= best - self.near_equal * best.abs()
                } else {
                    c.1 <= best + self.near_equal * best.abs()
                }
            })
            .map(|c| c.0)
            .collect();
        if near.is_empty() { None } else { Some(near[rng.random_range(0..near.len())]) }
    }

    /// Randomised greedy construction: pinned sites, then risk per added second.
    fn construct(&self, rng: &mut ChaCha8Rng) -> (State, Vec<usize>) {
        let mut state = State::new(self.n_units, self.n_sites);
        let mut unreached = Vec::new();
        for &s in self.by_risk.iter().filter(|&&s| self.sites[s].pinned) {
            let mut cands = Vec::new();
            for u in 0..self.n_units {
                if let Some((r, len)) = self.try_insert(u, &state.routes[u], state.len_m[u], s) {
                    let added_s = (len - state.len_m[u]) / self.speeds[u] + self.dwell_s;
                    cands.push(((u, r, len), added_s));
                }
            }
            let choice = self.pick(rng, &cands.iter().enumerate().map(|(i, c)| (i, c.1)).collect::<Vec<_>>(), false);
            match choice {
                Some(i) => {
                    let ((u, r, len), _) = cands.swap_remove(i);
                    self.set_route(&mut state, u, r, len);
                }
                None => unreached.push(s),
            }
        }
        unreached.sort_unstable();
        // Cheapest insertion of every site into every unit, refreshed for the unit that changes.
        let mut ins: Vec<Vec<(usize, f64)>> = (0..self.n_units)
            .map(|u| (0..self.n_sites).map(|s| self.cheapest(u, &state.routes[u], s)).collect())
            .collect();
        loop {
            let mut cands = Vec::new();
            for s in 0..self.n_sites {
                if state.unit_of[s].is_some() || self.risk(s) <= 0.0 || self.sites[s].pinned {
                    continue;
                }
                for (u, row) in ins.iter().enumerate() {
                    let (_, delta) = row[s];
                    let k = state.routes[u].len() + 1;
                    if self.fits(u, k, state.len_m[u] + delta) {
                        cands.push(((s, u), self.risk(s) / (delta / self.speeds[u] + self.dwell_s)));
                    }
                }
            }
            let Some((s, u)) = self.pick(rng, &cands, true) else { break };
            let (i, delta) = ins[u][s];
            let mut r = state.routes[u].clone();
            r.insert(i, s);
            let len = state.len_m[u] + delta;
            self.set_route(&mut state, u, r, len);
            self.refresh(&state, u, &mut ins[u]);
        }
        (state, unreached)
    }

    fn refresh(&self, state: &State, u: usize, row: &mut [(usize, f64)]) {
        for (s, slot) in row.iter_mut().enumerate() {
            if state.unit_of[s].is_none() {
                *slot = self.cheapest(u, &state.routes[u], s);
            }
        }
    }

    /// Unvisited sites worth visiting, riskiest first.
    fn unvisited(&self, state: &State) -> Vec<usize> {
        self.by_risk.iter().copied().filter(|&s| state.unit_of[s].is_none() && self.risk(s) > 0.0).collect()
    }

    /// Local search (see the module documentation) until no move improves or `MAX_PASSES`.
    fn local_search(&self, state: &mut State) {
        for _ in 0..MAX_PASSES {
            let mut improved = false;
            for u in 0..self.n_units {
                let mut r = state.routes[u].clone();
                let len = self.improve_order(u, &mut r);
                if len < state.len_m[u] - EPS {
                    self.set_route(state, u, r, len);
                    improved = true;
                }
            }
            improved |= self.insert_unvisited(state);
            improved |= self.replace(state);
            improved |= self.drop_and_refill(state);
            improved |= self.move_between_units(state);
            if !improved {
                break;
            }
        }
    }

    /// Inserts unvisited sites, riskiest first, where they add the least time.
    fn insert_unvisited(&self, state: &mut State) -> bool {
        let mut improved = false;
        for s in self.unvisited(state) {
            let mut best: Option<(usize, Vec<usize>, f64, f64)> = None;
            for u in 0..self.n_units {
                if let Some((r, len)) = self.try_insert(u, &state.routes[u], state.len_m[u], s) {
                    let added = (len - state.len_m[u]) / self.speeds[u];
                    if best.as_ref().is_none_or(|b| added < b.3) {
                        best = Some((u, r, len, added));
                    }
                }
            }
            if let Some((u, r, len, _)) = best {
                self.set_route(state, u, r, len);
                improved = true;
            }
        }
        improved
    }

    /// Replaces a visited site by an unvisited riskier one; the replaced site moves to another
    /// unit when it fits there (then the gain is the whole risk of the newcomer).
    fn replace(&self, state: &mut State) -> bool {
        let mut improved = false;
        // Where each visited place would go in another unit (cleared whenever a move is made).
        let mut elsewhere_of: HashMap<usize, Option<(usize, Vec<usize>, f64)>> = HashMap::new();
        for s in self.unvisited(state) {
            if state.unit_of[s].is_some() {
                continue;
            }
            // (gain, unit, its new route and length, the replaced site's new unit, route, length)
            type Move = (f64, usize, Vec<usize>, f64, Option<(usize, Vec<usize>, f64)>);
            let mut best: Option<Move> = None;
            for u in 0..self.n_units {
                for qi in 0..state.routes[u].len() {
                    let q = state.routes[u][qi];
                    if best.as_ref().is_some_and(|b| b.0 >= self.risk(s) - EPS) {
                        break;
                    }
                    let mut rest = state.routes[u].clone();
                    rest.remove(qi);
                    let rest_len = self.route_len_m(u, &rest);
                    let Some((r, len)) = self.try_insert(u, &rest, rest_len, s) else { continue };
                    let elsewhere = elsewhere_of.entry(q).or_insert_with(|| {
                        let mut found: Option<(usize, Vec<usize>, f64, f64)> = None;
                        for v in (0..self.n_units).filter(|&v| v != u) {
                            if let Some((rv, lv)) = self.try_insert(v, &state.routes[v], state.len_m[v], q) {
                                let added = (lv - state.len_m[v]) / self.speeds[v];
                                if found.as_ref().is_none_or(|f| added < f.3) {
                                    found = Some((v, rv, lv, added));
                                }
                            }
                        }
                        found.map(|(v, rv, lv, _)| (v, rv, lv))
                    });
                    let elsewhere = elsewhere.clone();
                    let gain = match elsewhere {
                        Some(_) => self.risk(s),
                        None if self.sites[q].pinned => continue,
                        None => self.risk(s) - self.risk(q),
                    };
                    if gain > EPS && best.as_ref().is_none_or(|b| gain > b.0 + EPS) {
                        best = Some((gain, u, r, len, elsewhere));
                    }
                }
            }
            if let Some((_, u, r, len, elsewhere)) = best {
                self.set_route(state, u, r, len);
                if let Some((v, rv, lv)) = elsewhere {
                    self.set_route(state, v, rv, lv);
                }
                elsewhere_of.clear();
                improved = true;
            }
        }
        improved
    }

    /// Drops one or two unpinned places of a tour and refills it with the riskiest unvisited
    /// places that fit, keeping the change when the tour covers more.
    fn drop_and_refill(&self, state: &mut State) -> bool {
        let mut improved = false;
        for u in 0..self.n_units {
            let k = state.routes[u].len();
            let mut drops: Vec<Vec<usize>> = (0..k).map(|i| vec![i]).collect();
            for i in 0..k {
                for j in i + 1..k {
                    drops.push(vec![i, j]);
                    for l in j + 1..k {
                        drops.push(vec![i, j, l]);
                    }
                }
            }
            let mut best: Option<(f64, Vec<usize>, f64)> = None;
            let pool = self.unvisited(state);
            for drop in drops {
                let route = &state.routes[u];
                if drop.iter().any(|&i| self.sites[route[i]].pinned) {
                    continue;
                }
                let lost: f64 = drop.iter().map(|&i| self.risk(route[i])).sum();
                let kept: Vec<usize> =
                    route.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, &s)| s).collect();
                let kept_len = self.route_len_m(u, &kept);
                // Only places that fit the kept tour on their own can join it.
                let fitting: Vec<usize> =
                    pool.iter().copied().filter(|&s| self.try_insert(u, &kept, kept_len, s).is_some()).collect();
                // Refill greedily by risk, first as is, then starting with each of the riskiest
                // few places that fit (the riskiest one may block a better pair).
                let firsts = std::iter::once(None).chain(fitting.iter().take(REFILL_FIRSTS).map(|&s| Some(s)));
                for first in firsts {
                    let (mut r, mut len, mut got) = (kept.clone(), kept_len, 0.0);
                    for s in first.into_iter().chain(fitting.iter().copied().filter(|&s| Some(s) != first)) {
                        if r.len() >= self.max_places {
                            break;
                        }
                        if let Some((r2, l2)) = self.try_insert(u, &r, len, s) {
                            r = r2;
                            len = l2;
                            got += self.risk(s);
                        }
                    }
                    let gain = got - lost;
                    if gain > EPS && best.as_ref().is_none_or(|b| gain > b.0 + EPS) {
                        best = Some((gain, r, len));
                    }
                }
            }
            if let Some((_, r, len)) = best {
                self.set_route(state, u, r, len);
                improved = true;
            }
        }
        improved
    }

    /// Moves a place to another unit when that shortens the total cycle time.
    fn move_between_units(&self, state: &mut State) -> bool {
        let mut improved = false;
        for u in 0..self.n_units {
            let mut qi = 0;
            while qi < state.routes[u].len() {
                let q = state.routes[u][qi];
                let mut rest = state.routes[u].clone();
                rest.remove(qi);
                let rest_len = self.route_len_m(u, &rest);
                let saved = (state.len_m[u] - rest_len) / self.speeds[u];
                let mut best: Option<(f64, usize, Vec<usize>, f64)> = None;
                for v in (0..self.n_units).filter(|&v| v != u) {
                    if let Some((rv, lv)) = self.try_insert(v, &state.routes[v], state.len_m[v], q) {
                        let change = (lv - state.len_m[v]) / self.speeds[v] - saved;
                        if change < -1e-6 && best.as_ref().is_none_or(|b| change < b.0) {
                            best = Some((change, v, rv, lv));
                        }
                    }
                }
                match best {
                    Some((_, v, rv, lv)) => {
                        self.set_route(state, u, rest, rest_len);
                        self.set_route(state, v, rv, lv);
                        improved = true;
                    }
                    None => qi += 1,
                }
            }
        }
        improved
    }

    /// Units below the soft floor take places from units above it (coverage unchanged).
    fn balance(&self, state: &mut State) {
        // (time change, receiving unit, giving unit, their new routes and lengths)
        type Shift = (f64, usize, usize, Vec<usize>, f64, Vec<usize>, f64);
        loop {
            let mut best: Option<Shift> = None;
            for u in (0..self.n_units).filter(|&u| state.routes[u].len() < self.min_places) {
                for v in (0..self.n_units).filter(|&v| state.routes[v].len() > self.min_places) {
                    for qi in 0..state.routes[v].len() {
                        let q = state.routes[v][qi];
                        if let Some((ru, lu)) = self.try_insert(u, &state.routes[u], state.len_m[u], q) {
                            let mut rv = state.routes[v].clone();
                            rv.remove(qi);
                            let lv = self.route_len_m(v, &rv);
                            let change =
                                (lu - state.len_m[u]) / self.speeds[u] + (lv - state.len_m[v]) / self.speeds[v];
                            if best.as_ref().is_none_or(|b| change < b.0) {
                                best = Some((change, u, v, ru, lu, rv, lv));
                            }
                        }
                    }
                }
            }
            let Some((_, u, v, ru, lu, rv, lv)) = best else { break };
            self.set_route(state, v, rv, lv);
            self.set_route(state, u, ru, lu);
        }
    }

    /// Schedules each unit's revisits and builds the plan.
    fn assemble(&self, routes: &[Vec<usize>], unreached_pinned: Vec<usize>) -> PatrolPlan {
        let mut legs_cache: HashMap<(usize, usize), Vec<[f64; 2]>> = HashMap::new();
        let mut visited = vec![false; self.n_sites];
        let mut units = Vec::with_capacity(self.n_units);
        for (u, order) in routes.iter().enumerate() {
            let tt = |i: usize, j: usize| self.d(i, j) / self.speeds[u];
            let mut stops = Vec::new();
            let mut hops: Vec<(usize, usize)> = Vec::new();
            let mut last: Vec<Option<f64>> = vec![None; order.len()];
            let (mut t, mut pos) = (0.0, u);
            'shift: while !order.is_empty() {
                for (i, &s) in order.iter().enumerate() {
                    let p = self.pt(s);
                    let mut arrive = t + tt(pos, p);
                    if let Some(prev) = last[i] {
                        arrive = arrive.max(prev + self.gap_s);
                    }
                    let leave = arrive + self.dwell_s;
                    if leave + tt(p, u) > self.shift_s {
                        break 'shift;
                    }
                    stops.push(Stop { site: s, arrive_s: arrive, leave_s: leave });
                    hops.push((pos, p));
                    visited[s] = true;
                    last[i] = Some(arrive);
                    t = leave;
                    pos = p;
                }
            }
            let back_s = if stops.is_empty() { 0.0 } else { t + tt(pos, u) };
            if !stops.is_empty() {
                hops.push((pos, u));
            }
            let travel_m = hops.iter().map(|&(a, b)| self.d(a, b)).sum();
            let legs = hops
                .iter()
                .map(|&(a, b)| {
                    legs_cache.entry((a, b)).or_insert_with(|| self.travel.leg(self.points[a], self.points[b])).clone()
                })
                .collect();
            units.push(UnitRoute { places: order.clone(), stops, legs, travel_m, back_s });
        }
        let covered_risk = (0..self.n_sites).filter(|&s| visited[s]).map(|s| self.risk(s)).sum();
        let total_risk = self.sites.iter().map(|s| s.risk).sum();
        PatrolPlan { units, covered_risk, total_risk, unreached_pinned }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_instance(rng: &mut ChaCha8Rng, n_sites: usize, n_units: usize) -> (Vec<Site>, Vec<UnitStart>) {
        let sites = (0..n_sites)
            .map(|_| Site {
                x_m: rng.random_range(0.0..10_000.0),
                y_m: rng.random_range(0.0..10_000.0),
                risk: rng.random_range(0.0..1.0f64).powi(3) * 10.0,
                pinned: false,
            })
            .collect();
        let units = (0..n_units)
            .map(|_| UnitStart {
                x_m: rng.random_range(2_000.0..8_000.0),
                y_m: rng.random_range(2_000.0..8_000.0),
                speed_m_per_s: rng.random_range(4.0..10.0),
            })
            .collect();
        (sites, units)
    }

    /// The invariants every plan (and the naive one) must keep.
    fn check_plan(p: &PatrolPlan, sites: &[Site], units: &[UnitStart], spec: &PatrolSpec) {
        let mut owner = vec![None; sites.len()];
        let mut covered = 0.0;
        for (u, r) in p.units.iter().enumerate() {
            let home = [units[u].x_m, units[u].y_m];
            assert!(r.places.len() <= spec.max_places_per_unit);
            for &s in &r.places {
                assert!(owner[s].is_none(), "site {s} assigned twice");
                owner[s] = Some(u);
                covered += sites[s].risk;
            }
            let mut last: HashMap<usize, f64> = HashMap::new();
            let mut t = 0.0;
            for st in &r.stops {
                assert_eq!(owner[st.site], Some(u));
                assert!((st.leave_s - st.arrive_s - spec.dwell_s).abs() < 1e-9);
                assert!(st.arrive_s >= t - 1e-9);
                if let Some(prev) = last.insert(st.site, st.arrive_s) {
                    assert!(st.arrive_s - prev >= spec.revisit_gap_s - 1e-9, "revisit too soon");
                }
                t = st.leave_s;
            }
            // Every chosen place is visited at least once.
            for &s in &r.places {
                assert!(last.contains_key(&s), "place {s} never visited");
            }
            if r.stops.is_empty() {
                assert!(r.legs.is_empty());
                continue;
            }
            assert!(r.back_s <= spec.shift_s, "unit {u} back at {} > {}", r.back_s, spec.shift_s);
            assert_eq!(r.legs.len(), r.stops.len() + 1);
            assert_eq!(r.legs[0][0], home);
            assert_eq!(*r.legs.last().unwrap().last().unwrap(), home);
            for (leg, st) in r.legs.iter().zip(&r.stops) {
                assert_eq!(*leg.last().unwrap(), [sites[st.site].x_m, sites[st.site].y_m]);
            }
        }
        assert!((p.covered_risk - covered).abs() < 1e-6);
    }

    /// Best covered risk over all subsets of at most `max` sites whose best tour fits one unit.
    fn brute_force(sites: &[Site], unit: &UnitStart, spec: &PatrolSpec, detour: f64) -> f64 {
        fn perms(v: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
            if k == v.len() {
                out.push(v.clone());
                return;
            }
            for i in k..v.len() {
                v.swap(k, i);
                perms(v, k + 1, out);
                v.swap(k, i);
            }
        }
        let d = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]) * detour;
        let home = [unit.x_m, unit.y_m];
        let mut best: f64 = 0.0;
        for mask in 1u32..(1 << sites.len()) {
            let set: Vec<usize> = (0..sites.len()).filter(|i| mask & (1 << i) != 0).collect();
            if set.len() > spec.max_places_per_unit {
                continue;
            }
            let mut all = Vec::new();
            perms(&mut set.clone(), 0, &mut all);
            let shortest = all
                .iter()
                .map(|o| {
                    let mut prev = home;
                    let mut len = 0.0;
                    for &s in o {
                        let p = [sites[s].x_m, sites[s].y_m];
                        len += d(prev, p);
                        prev = p;
                    }
                    len + d(prev, home)
                })
                .fold(f64::INFINITY, f64::min);
            if shortest / unit.speed_m_per_s + set.len() as f64 * spec.dwell_s <= spec.shift_s {
                best = best.max(set.iter().map(|&s| sites[s].risk).sum());
            }
        }
        best
    }

    #[test]
    fn plans_keep_dwell_return_revisit_and_ownership_rules() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for case in 0..30 {
            let (mut sites, units) = random_instance(&mut rng, 60, 4);
            for s in sites.iter_mut().take(3) {
                s.pinned = true;
            }
            let spec = PatrolSpec {
                shift_s: rng.random_range(1.0..10.0) * 3600.0,
                revisit_gap_s: rng.random_range(0.0..3.0) * 3600.0,
                seed: case,
                ..PatrolSpec::default()
            };
            let travel = Travel::Straight { detour: 1.3 };
            let p = plan(&sites, &units, travel, &spec).unwrap();
            check_plan(&p, &sites, &units, &spec);
            check_plan(&naive_plan(&sites, &units, travel, &spec).unwrap(), &sites, &units, &spec);
        }
    }

    #[test]
    fn revisits_repeat_the_order_and_wait_for_the_gap() {
        let sites = [Site { x_m: 1000.0, y_m: 0.0, risk: 1.0, pinned: false }];
        let units = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 10.0 }];
        let spec = PatrolSpec { shift_s: 8.0 * 3600.0, ..PatrolSpec::default() };
        let p = plan(&sites, &units, Travel::Straight { detour: 1.0 }, &spec).unwrap();
        let arrivals: Vec<f64> = p.units[0].stops.iter().map(|s| s.arrive_s).collect();
        // 100 s out, then every 2 h while 100 + k·7200 + 900 + 100 ≤ 28 800.
        assert_eq!(arrivals, vec![100.0, 7300.0, 14_500.0, 21_700.0]);
        assert_eq!(p.units[0].back_s, 21_700.0 + 900.0 + 100.0);
        assert!((p.units[0].travel_m - 2000.0).abs() < 1e-9);
    }

    #[test]
    fn reachable_pinned_sites_are_visited() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for case in 0..30 {
            let (mut sites, units) = random_instance(&mut rng, 80, 5);
            // Low-risk pinned places, one per unit at most, all reachable.
            let pinned: Vec<usize> = (0..5).map(|_| rng.random_range(0..sites.len())).collect();
            for &s in &pinned {
                sites[s].pinned = true;
                sites[s].risk = 0.01;
            }
            let spec = PatrolSpec { shift_s: 6.0 * 3600.0, seed: case, ..PatrolSpec::default() };
            let p = plan(&sites, &units, Travel::Straight { detour: 1.3 }, &spec).unwrap();
            assert!(p.unreached_pinned.is_empty());
            for s in pinned {
                assert!(p.units.iter().any(|r| r.stops.iter().any(|st| st.site == s)), "pinned {s} not visited");
            }
        }
        // An unreachable pinned site is reported, not planned.
        let sites = [Site { x_m: 1e6, y_m: 0.0, risk: 1.0, pinned: true }];
        let units = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 10.0 }];
        let p = plan(&sites, &units, Travel::Straight { detour: 1.0 }, &PatrolSpec::default()).unwrap();
        assert_eq!(p.unreached_pinned, vec![0]);
        assert!(p.units[0].stops.is_empty());
    }

    #[test]
    fn planner_beats_the_naive_baseline() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mut strictly, mut cases) = (0, 0);
        for case in 0..50 {
            let (sites, units) = random_instance(&mut rng, 120, 6);
            let spec = PatrolSpec { shift_s: rng.random_range(2.0..9.0) * 3600.0, seed: case, ..PatrolSpec::default() };
            let travel = Travel::Straight { detour: 1.3 };
            let p = coverage(&plan(&sites, &units, travel, &spec).unwrap());
            let n = coverage(&naive_plan(&sites, &units, travel, &spec).unwrap());
            assert!(p >= n - 1e-12, "case {case}: plan {p} < naive {n}");
            cases += 1;
            if p > n + 1e-9 {
                strictly += 1;
            }
        }
        assert!(strictly * 10 >= cases * 9, "strictly better in only {strictly} of {cases}");
    }

    #[test]
    fn matches_the_brute_force_optimum_on_small_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut fails = 0;
        for case in 0..1000 {
            let (sites, units) = random_instance(&mut rng, 7, 1);
            let spec = PatrolSpec {
                shift_s: rng.random_range(0.5..3.0) * 3600.0,
                max_places_per_unit: 3,
                seed: case,
                ..PatrolSpec::default()
            };
            let p = plan(&sites, &units, Travel::Straight { detour: 1.2 }, &spec).unwrap();
            let best = brute_force(&sites, &units[0], &spec, 1.2);
            if (p.covered_risk - best).abs() > 1e-9 {
                eprintln!("case {case}: heuristic {} optimum {best}", p.covered_risk);
                fails += 1;
            }
        }
        assert_eq!(fails, 0);
    }

    #[test]
    fn same_seed_same_plan_and_seeds_break_ties_differently() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (sites, units) = random_instance(&mut rng, 100, 5);
        let spec = PatrolSpec { seed: 9, ..PatrolSpec::default() };
        let travel = Travel::Straight { detour: 1.3 };
        assert_eq!(plan(&sites, &units, travel, &spec).unwrap(), plan(&sites, &units, travel, &spec).unwrap());
        // Four equally risky places at equal distances, one place per unit: a tie broken by the seed.
        let sites: Vec<Site> = [[1000.0, 0.0], [-1000.0, 0.0], [0.0, 1000.0], [0.0, -1000.0]]
            .iter()
            .map(|p| Site { x_m: p[0], y_m: p[1], risk: 1.0, pinned: false })
            .collect();
        let units = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 5.0 }];
        let mut chosen: Vec<usize> = (0..16)
            .map(|seed| {
                let spec = PatrolSpec { seed, max_places_per_unit: 1, min_places_per_unit: 1, ..PatrolSpec::default() };
                plan(&sites, &units, travel, &spec).unwrap().units[0].places[0]
            })
            .collect();
        chosen.sort_unstable();
        chosen.dedup();
        assert!(chosen.len() >= 2, "every seed chose {chosen:?}");
    }

    #[test]
    fn road_travel_follows_the_road_and_falls_back_when_disconnected() {
        let sites = [Site { x_m: 1000.0, y_m: 1000.0, risk: 1.0, pinned: false }];
        let units = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 10.0 }];
        let spec = PatrolSpec { max_places_per_unit: 1, ..PatrolSpec::default() };
        let l_road = RoadNetwork::from_lines(&[vec![[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0]]], 5.0);
        let roads = plan(&sites, &units, Travel::Roads { network: &l_road, access_detour: 1.0 }, &spec).unwrap();
        let straight = plan(&sites, &units, Travel::Straight { detour: 1.0 }, &spec).unwrap();
        assert!((roads.units[0].stops[0].arrive_s - 200.0).abs() < 1e-9);
        assert!((straight.units[0].stops[0].arrive_s - 2f64.sqrt() * 100.0).abs() < 1e-9);
        assert_eq!(roads.units[0].legs[0], vec![[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0]]);
        // Two separate roads: the straight line × access detour.
        let split =
            RoadNetwork::from_lines(&[vec![[0.0, 0.0], [10.0, 0.0]], vec![[1000.0, 1000.0], [990.0, 1000.0]]], 5.0);
        let p = plan(&sites, &units, Travel::Roads { network: &split, access_detour: 1.5 }, &spec).unwrap();
        assert!((p.units[0].stops[0].arrive_s - 2f64.sqrt() * 150.0).abs() < 1e-9);
        assert_eq!(p.units[0].legs[0], vec![[0.0, 0.0], [1000.0, 1000.0]]);
    }

    #[test]
    fn soft_floor_spreads_places_over_units() {
        // Three places next to unit 0's station, unit 1 a little further: both get places.
        let sites: Vec<Site> =
            (0..4).map(|i| Site { x_m: 100.0 * i as f64, y_m: 0.0, risk: 1.0, pinned: false }).collect();
        let units = [
            UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 5.0 },
            UnitStart { x_m: 500.0, y_m: 0.0, speed_m_per_s: 5.0 },
        ];
        let p = plan(&sites, &units, Travel::Straight { detour: 1.0 }, &PatrolSpec::default()).unwrap();
        assert_eq!(p.covered_risk, 4.0);
        assert!(
            p.units.iter().all(|r| r.places.len() >= 2),
            "{:?}",
            p.units.iter().map(|r| &r.places).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_round_limit_keeps_units_off_distant_places() {
        let near: Vec<Site> =
            (0..4).map(|i| Site { x_m: 500.0 * f64::from(i), y_m: 400.0, risk: 1.0, pinned: false }).collect();
        let mut sites = near.clone();
        sites.push(Site { x_m: 40_000.0, y_m: 0.0, risk: 5.0, pinned: false });
        let u = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 10.0 }];
        let t = Travel::Straight { detour: 1.4 };
        let free = PatrolSpec { shift_s: 8.0 * 3600.0, ..PatrolSpec::default() };
        let unlimited = plan(&sites, &u, t, &free).unwrap();
        assert!(unlimited.units[0].places.contains(&4), "without a limit the risky distant place is worth the drive");
        let dosed = plan(&sites, &u, t, &PatrolSpec { max_round_s: 7200.0, ..free }).unwrap();
        assert!(!dosed.units[0].places.contains(&4), "{:?}", dosed.units[0].places);
        assert_eq!(dosed.units[0].places.len(), 4, "the four near places fit one round");
        // Each near place is then visited about every two hours.
        let visits = dosed.units[0].stops.iter().filter(|s| s.site == dosed.units[0].places[0]).count();
        assert!(visits >= 3, "{visits} visits");
        assert!(matches!(plan(&sites, &u, t, &PatrolSpec { max_round_s: 0.0, ..free }), Err(PatrolError::Spec { .. })));
    }

    #[test]
    fn rejects_bad_input() {
        let s = [Site { x_m: 0.0, y_m: 0.0, risk: 1.0, pinned: false }];
        let u = [UnitStart { x_m: 0.0, y_m: 0.0, speed_m_per_s: 5.0 }];
        let t = Travel::Straight { detour: 1.0 };
        let spec = PatrolSpec::default();
        assert_eq!(plan(&s, &[], t, &spec), Err(PatrolError::NoUnits));
        let bad = PatrolSpec { shift_s: 0.0, ..spec };
        assert_eq!(plan(&s, &u, t, &bad), Err(PatrolError::NonPositiveShift { shift_s: 0.0 }));
        let nan_site = [Site { x_m: f64::NAN, ..s[0] }];
        assert_eq!(plan(&nan_site, &u, t, &spec), Err(PatrolError::Site { index: 0 }));
        let slow = [UnitStart { speed_m_per_s: 0.0, ..u[0] }];
        assert_eq!(plan(&s, &slow, t, &spec), Err(PatrolError::Unit { index: 0 }));
        assert!(matches!(plan(&s, &u, t, &PatrolSpec { dwell_s: f64::NAN, ..spec }), Err(PatrolError::Spec { .. })));
        assert!(matches!(plan(&s, &u, Travel::Straight { detour: f64::NAN }, &spec), Err(PatrolError::Detour { .. })));
    }
}
