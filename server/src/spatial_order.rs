//! Slots of the incident index in the Morton order of their position, for box queries: 8 bytes a
//! record, where the R-tree it replaces took about 88 (its leaves are 56-byte enum nodes, in
//! nodes of at most six).
//!
//! A position's key interleaves its column and row on a 2^16 × 2^16 grid over the whole globe
//! (cells of 0.0055° of longitude by 0.0027° of latitude, about 480 × 300 m at 38° N). A box becomes a few runs of keys (quadtree cells wholly or
//! partly inside it); each run is found through a small array of every 64th key (which stays in
//! cache) and 64 entries of the big one. Records of cells strictly inside the box's columns and
//! rows are inside it; those of the cells on its edge are tested one by one, so the answer is
//! exact.
//!
//! The order is kept in parts of about 49 days of incident time ([`part_of`]), so a window reads
//! only the parts it meets.
//!
//! Invariants: every slot is held once, in the part of its time; in each part, `sorted` and
//! `recent` are each sorted by (key, slot); `fences` holds every 64th key of `sorted`; `recent`
//! is merged into `sorted` when it grows past 4,096 entries and a sixty-fourth of it, so an
//! insert moves at most that many entries and a merge happens every sixty-fourth growth.

use crate::count_pyramid::morton;
use crate::incident_index::Bbox;
use std::collections::BTreeMap;
use std::ops::Range;

/// Bits per axis of the grid.
const GRID_LOG2: u32 = 16;
/// Quadtree levels below a box's own size that a cover descends before it reads a partly covered
/// cell whole: at most about 4 × 2^5 cells along the edge.
const COVER_DEPTH: u32 = 5;

/// A (key, slot) entry.
type Entry = (u32, u32);

/// Entries of `sorted` per fence.
const FENCE: usize = 64;

/// A run of keys, and whether every key in it lies strictly inside the box's columns and rows.
type Run = (Range<u64>, bool);

/// The grid column and row of a position (clamped to the globe; NaN is column or row 0).
/// Monotonic in each coordinate, so a point inside a box has a column and a row between the
/// box's corners'.
fn grid_of(lon: f64, lat: f64) -> (u32, u32) {
    let size = f64::from(1u32 << GRID_LOG2);
    let q = |v: f64, lo: f64, span: f64| ((v - lo) / span * size).clamp(0.0, size - 1.0) as u32;
    (q(lon, -180.0, 360.0), q(lat, -90.0, 180.0))
}

/// The key of a position.
pub fn key_of(lon: f64, lat: f64) -> u32 {
    let (x, y) = grid_of(lon, lat);
    morton(x, y) as u32
}

/// Merges two sorted vectors into one sorted vector.
pub fn merge_sorted<T: Ord + Copy>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        out.extend(if x <= y { a.next() } else { b.next() });
    }
    out.extend(a);
    out.extend(b);
    out
}

/// The runs of keys of the grid cells in columns `xs` and rows `ys` (inclusive), in increasing
/// order, adjacent runs of the same kind joined. Cells partly covered at the deepest level
/// visited are included whole, so every key of the box is in a run; a run is marked inside when
/// its cells lie strictly between the first and last column and row (whose cells hold points on
/// both sides of the box's edge).
fn cover(xs: (u32, u32), ys: (u32, u32)) -> Vec<Run> {
    let side = (xs.1 - xs.0).max(ys.1 - ys.0) + 1;
    // The level whose cells are at least the box's size, then a few levels deeper.
    let box_level = GRID_LOG2 - (u32::BITS - (side - 1).leading_zeros()).min(GRID_LOG2);
    let deepest = (box_level + COVER_DEPTH).min(GRID_LOG2);
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |r: Range<u64>, inside: bool| match runs.last_mut() {
        Some(last) if last.0.end == r.start && last.1 == inside => last.0.end = r.end,
        _ => runs.push((r, inside)),
    };
    let strictly = |lo: u32, hi: u32, range: (u32, u32)| lo > range.0 && hi < range.1;
    // Depth-first in Morton order: (level, column, row) of cells still to visit, last first.
    let mut stack = vec![(0u32, 0u32, 0u32)];
    while let Some((level, x, y)) = stack.pop() {
        let shift = GRID_LOG2 - level;
        let (x0, x1) = (x << shift, ((x + 1) << shift) - 1);
        let (y0, y1) = (y << shift, ((y + 1) << shift) - 1);
        if x1 < xs.0 || x0 > xs.1 || y1 < ys.0 || y0 > ys.1 {
            continue;
        }
        let inside = strictly(x0, x1, xs) && strictly(y0, y1, ys);
        if inside || level == deepest {
            let first = morton(x, y) << (2 * shift);
            push(first..first + (1u64 << (2 * shift)), inside);
            continue;
        }
        // Children in Morton order (x is the low bit), pushed last first.
        for (dx, dy) in [(1, 1), (0, 1), (1, 0), (0, 0)] {
            stack.push((level + 1, 2 * x + dx, 2 * y + dy));
        }
    }
    runs
}

/// Seconds of incident time one part of the order covers, as a power of two: 2^22 s, about 49
/// days.
const PART_LOG2_S: u32 = 22;

/// The part that holds a record of time `t_s` (Unix seconds; any time, 1900 included).
pub fn part_of(t_s: i64) -> i64 {
    t_s >> PART_LOG2_S
}

/// The slots of one part in Morton order.
#[derive(Debug, Clone, Default)]
struct Part {
    sorted: Vec<Entry>,
    fences: Vec<u32>,
    recent: Vec<Entry>,
}

impl Part {
    /// The position in `sorted` of the first entry whose key is at least `key`.
    fn first_at_least(&self, key: u64) -> usize {
        let f = self.fences.partition_point(|&k| u64::from(k) < key);
        let (lo, hi) = (f.saturating_sub(1) * FENCE, (f * FENCE).min(self.sorted.len()));
        lo + self.sorted[lo..hi].partition_point(|e| u64::from(e.0) < key)
    }

    /// Adds sorted entries.
    fn add(&mut self, new: Vec<Entry>) {
        if new.len() == 1 {
            let at = self.recent.partition_point(|e| *e < new[0]);
            self.recent.insert(at, new[0]);
        } else {
            self.recent = merge_sorted(std::mem::take(&mut self.recent), new);
        }
        if self.recent.len() > 4_096.max(self.sorted.len() / 64) {
            self.sorted = merge_sorted(std::mem::take(&mut self.sorted), std::mem::take(&mut self.recent));
            self.fences = fences_of(&self.sorted);
        }
    }

    /// Pushes onto `found` the entries of each run, from `sorted` and from `recent`.
    fn entries_of<'a>(&'a self, runs: &[Run], found: &mut Vec<(&'a [Entry], bool)>) {
        let mut at = 0;
        for (keys, inside) in runs {
            let lo = self.first_at_least(keys.start).max(at);
            at = self.first_at_least(keys.end).max(lo);
            found.push((&self.sorted[lo..at], *inside));
        }
        let mut rest = self.recent.as_slice();
        for (keys, inside) in runs {
            rest = &rest[rest.partition_point(|e| u64::from(e.0) < keys.start)..];
            let n = rest.partition_point(|e| u64::from(e.0) < keys.end);
            found.push((&rest[..n], *inside));
            rest = &rest[n..];
        }
    }

    fn heap_bytes(&self) -> usize {
        (self.sorted.capacity() + self.recent.capacity()) * size_of::<Entry>() + self.fences.capacity() * 4
    }
}

/// The slots by position, in parts by incident time ([`part_of`]): a box's slots are a few runs
/// of keys in each part, and a window reads only the parts it meets, so a year's query over ten
/// years of history reads about a year of records.
#[derive(Debug, Clone, Default)]
pub struct SpatialOrder {
    parts: BTreeMap<i64, Part>,
}

impl SpatialOrder {
    /// Built from every slot's key and time (`records[slot]`): counted by part first, so each
    /// part is allocated once at its size.
    pub fn build(records: impl Iterator<Item = (u32, i64)> + Clone) -> SpatialOrder {
        let mut sizes: BTreeMap<i64, usize> = BTreeMap::new();
        for (_, t_s) in records.clone() {
            *sizes.entry(part_of(t_s)).or_default() += 1;
        }
        let mut parts: BTreeMap<i64, Part> = sizes
            .into_iter()
            .map(|(part, n)| (part, Part { sorted: Vec::with_capacity(n), ..Part::default() }))
            .collect();
        for ((key, t_s), slot) in records.zip(0u32..) {
            parts.entry(part_of(t_s)).or_default().sorted.push((key, slot));
        }
        for p in parts.values_mut() {
            p.sorted.sort_unstable();
            p.fences = fences_of(&p.sorted);
        }
        SpatialOrder { parts }
    }

    /// Adds slots with their keys and times.
    pub fn add(&mut self, mut new: Vec<(i64, Entry)>) {
        new.sort_unstable_by_key(|&(t_s, e)| (part_of(t_s), e));
        for chunk in new.chunk_by(|a, b| part_of(a.0) == part_of(b.0)) {
            let part = self.parts.entry(part_of(chunk[0].0)).or_default();
            part.add(chunk.iter().map(|&(_, e)| e).collect());
        }
    }

    /// The slots whose position (`position(slot)`) lies in `b` (edges included) and whose part
    /// meets the times `from_s..to_s` (a superset of the slots of those times: the caller tests
    /// each record's time), or `None` when more than `cap` are, or when telling would test more
    /// than `4 × cap + 1,024` records of the cells on its edge (a dense cluster just outside the
    /// box): the caller's scan is then the cheaper way.
    pub fn in_box(
        &self,
        b: &Bbox,
        times: Range<i64>,
        cap: usize,
        position: impl Fn(u32) -> (f64, f64),
    ) -> Option<Vec<u32>> {
        self.in_box_testing_at_most(b, times, cap, cap.saturating_mul(4).saturating_add(1_024), position)
    }

    /// [`SpatialOrder::in_box`], testing at most `tests` records of edge cells.
    fn in_box_testing_at_most(
        &self,
        b: &Bbox,
        times: Range<i64>,
        cap: usize,
        mut tests: usize,
        position: impl Fn(u32) -> (f64, f64),
    ) -> Option<Vec<u32>> {
        let (x0, y0) = grid_of(b.min_lon, b.min_lat);
        let (x1, y1) = grid_of(b.max_lon, b.max_lat);
        let mut out = Vec::new();
        if !(b.min_lon <= b.max_lon && b.min_lat <= b.max_lat) || times.is_empty() {
            return Some(out);
        }
        let runs = cover((x0, x1), (y0, y1));
        // Adds a run's slots in the box; false once more than `cap` are, or the tests run out.
        let mut take = |entries: &[Entry], inside: bool| {
            if inside {
                if out.len() + entries.len() > cap {
                    return false;
                }
                out.extend(entries.iter().map(|e| e.1));
                return true;
            }
            if entries.len() > tests {
                return false;
            }
            tests -= entries.len();
            for &(_, slot) in entries {
                let (lon, lat) = position(slot);
                if b.contains(lon, lat) {
                    out.push(slot);
                    if out.len() > cap {
                        return false;
                    }
                }
            }
            true
        };
        // Every run's entries first (a few lookups that stay in cache): when the runs inside the
        // box already hold more than `cap`, that is the answer, before any record is read.
        let mut found: Vec<(&[Entry], bool)> = Vec::new();
        for part in self.parts.range(part_of(times.start)..=part_of(times.end - 1)).map(|(_, p)| p) {
            part.entries_of(&runs, &mut found);
        }
        let surely_inside: usize = found.iter().filter(|f| f.1).map(|f| f.0.len()).sum();
        if surely_inside > cap {
            return None;
        }
        for (entries, inside) in found {
            if !take(entries, inside) {
                return None;
            }
        }
        Some(out)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.parts.values().map(|p| size_of::<(i64, Part)>() + p.heap_bytes()).sum()
    }
}

/// Every [`FENCE`]th key of `sorted`.
fn fences_of(sorted: &[Entry]) -> Vec<u32> {
    sorted.iter().step_by(FENCE).map(|e| e.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The even bits of `k`, squeezed: a column (or, shifted by one, a row) of a key.
    fn spread_back(k: u64) -> u32 {
        (0..32).map(|i| (((k >> (2 * i)) & 1) as u32) << i).sum()
    }

    #[test]
    fn a_cover_holds_every_key_of_the_box_and_few_others() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..300 {
            let x0 = rng.random_range(0..60_000u32);
            let y0 = rng.random_range(0..60_000u32);
            let (w, h) = (rng.random_range(0..3_000u32), rng.random_range(0..3_000u32));
            let (xs, ys) = ((x0, x0 + w), (y0, y0 + h));
            let runs = cover(xs, ys);
            assert!(runs.windows(2).all(|r| r[0].0.end <= r[1].0.start), "sorted, disjoint");
            assert!(runs.windows(2).all(|r| r[0].0.end < r[1].0.start || r[0].1 != r[1].1), "joined");
            let covered: u64 = runs.iter().map(|r| r.0.end - r.0.start).sum();
            let area = u64::from(w + 1) * u64::from(h + 1);
            // Every cell read whole at the deepest level meets the box, so the cover lies within
            // the box grown by one such cell on each side.
            let cell = u64::from((w.max(h) + 1).next_power_of_two() >> COVER_DEPTH).max(1);
            let grown = (u64::from(w + 1) + 2 * cell) * (u64::from(h + 1) + 2 * cell);
            assert!(covered >= area && covered <= grown, "{covered} for {area} (at most {grown})");
            for _ in 0..50 {
                let (x, y) = (rng.random_range(xs.0..=xs.1), rng.random_range(ys.0..=ys.1));
                let k = morton(x, y);
                let run = runs.iter().find(|r| r.0.contains(&k));
                assert!(run.is_some(), "({x}, {y}) of {xs:?} × {ys:?}");
                let strictly = x > xs.0 && x < xs.1 && y > ys.0 && y < ys.1;
                assert!(
                    strictly || run.is_some_and(|r| !r.1),
                    "({x}, {y}) on the edge of {xs:?} × {ys:?} in an inside run"
                );
            }
            // Every key of a run marked inside lies strictly inside (checked on a sample).
            for (keys, _) in runs.iter().filter(|r| r.1) {
                for k in [keys.start, keys.end - 1, keys.start + (keys.end - keys.start) / 2] {
                    let (x, y) = (spread_back(k), spread_back(k >> 1));
                    assert!(x > xs.0 && x < xs.1 && y > ys.0 && y < ys.1, "({x}, {y}) of an inside run");
                }
            }
        }
    }

    #[test]
    fn box_queries_equal_a_scan_through_inserts_and_merges() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Clustered points round a city, a few far away, and some exactly on box edges below;
        // over ten years, a few dated in 1900.
        let mut points: Vec<(f64, f64)> = (0..30_000)
            .map(|_| (102.6 + rng.random_range(-0.3..0.3f64).powi(3), 37.9 + rng.random_range(-0.3..0.3f64).powi(3)))
            .collect();
        points.extend((0..200).map(|_| (rng.random_range(-180.0..180.0), rng.random_range(-90.0..90.0))));
        const TEN_YEARS_S: i64 = 315_360_000;
        let t0 = 1_500_000_000i64;
        // Those added after the build mostly in the last 30 days (so their parts merge).
        let times: Vec<i64> = (0..points.len())
            .map(|s| match rng.random_range(0..100) {
                0 => -2_208_988_800,
                1..80 if s >= 10_000 => t0 + TEN_YEARS_S - rng.random_range(0..2_592_000),
                _ => t0 + rng.random_range(0..TEN_YEARS_S),
            })
            .collect();
        let slots = points.len() as u32;
        let entry = |s: u32| (times[s as usize], (key_of(points[s as usize].0, points[s as usize].1), s));
        let mut order = SpatialOrder::build((0..10_000).map(|s| (entry(s).1.0, entry(s).0)));
        let mut held = 10_000u32;
        let mut merges = 0;
        let mut edge_refusals = 0;
        let sorted_len = |o: &SpatialOrder| o.parts.values().map(|p| p.sorted.len()).sum::<usize>();
        while held < slots {
            let before = sorted_len(&order);
            if rng.random_bool(0.5) {
                order.add(vec![entry(held)]);
                held += 1;
            } else {
                let n = rng.random_range(2..3_000).min(slots - held);
                order.add((held..held + n).map(entry).collect());
                held += n;
            }
            merges += usize::from(sorted_len(&order) != before);
            let mut all: Vec<Entry> = Vec::new();
            for (&part, p) in &order.parts {
                assert!(p.sorted.is_sorted() && p.recent.is_sorted());
                assert_eq!(p.fences, fences_of(&p.sorted));
                let here = p.sorted.iter().chain(&p.recent);
                assert!(here.clone().all(|e| part_of(times[e.1 as usize]) == part), "each slot in its time's part");
                all.extend(here);
            }
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), held as usize, "every slot once");
            for _ in 0..5 {
                let p = points[rng.random_range(0..held as usize)];
                let (w, h) = (rng.random_range(0.0..0.2f64).powi(2), rng.random_range(0.0..0.2f64).powi(2));
                let b = if rng.random_bool(0.2) {
                    // A point on the box's corner.
                    Bbox { min_lon: p.0, min_lat: p.1, max_lon: p.0 + w, max_lat: p.1 + h }
                } else {
                    Bbox { min_lon: p.0 - w, min_lat: p.1 - h, max_lon: p.0 + w / 3.0, max_lat: p.1 + h / 2.0 }
                };
                // Every time, or a window: a year, a few days, or empty.
                let window = match rng.random_range(0..4) {
                    0 => i64::MIN..i64::MAX,
                    1 => {
                        let from = t0 + rng.random_range(0..TEN_YEARS_S);
                        from..from + 31_536_000
                    }
                    2 => {
                        let from = t0 + rng.random_range(0..TEN_YEARS_S);
                        from..from + 3 * 86_400
                    }
                    _ => t0..t0,
                };
                let parts = if window.is_empty() { 0..0 } else { part_of(window.start)..part_of(window.end - 1) + 1 };
                let mut want: Vec<u32> = (0..held)
                    .filter(|&s| {
                        b.contains(points[s as usize].0, points[s as usize].1)
                            && parts.contains(&part_of(times[s as usize]))
                    })
                    .collect();
                // The parts a window reads hold every slot of its times.
                let timely = (0..held).filter(|&s| window.contains(&times[s as usize]));
                assert!(
                    timely
                        .filter(|&s| b.contains(points[s as usize].0, points[s as usize].1))
                        .all(|s| want.contains(&s))
                );
                let got = order.in_box(&b, window.clone(), usize::MAX, |s| points[s as usize]);
                let mut got = got.expect("no cap");
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "{b:?} {window:?}");
                let capped = |cap: usize, tests: usize| {
                    order.in_box_testing_at_most(&b, window.clone(), cap, tests, |s| points[s as usize])
                };
                if !want.is_empty() {
                    assert_eq!(capped(want.len() - 1, usize::MAX), None, "over the cap");
                    assert_eq!(capped(want.len(), usize::MAX).map(|v| v.len()), Some(want.len()), "at the cap");
                    // With no tests allowed, only a box whose points all lie in inside cells answers.
                    if let Some(v) = capped(usize::MAX, 0) {
                        assert_eq!(v.len(), want.len(), "{b:?}");
                    } else {
                        edge_refusals += 1;
                    }
                }
            }
        }
        assert!(merges >= 3, "{merges} merges");
        assert!(edge_refusals > 10, "{edge_refusals} boxes needed edge tests");
        let everything = Bbox { min_lon: -180.0, min_lat: -90.0, max_lon: 180.0, max_lat: 90.0 };
        let all_time = i64::MIN..i64::MAX;
        assert_eq!(
            order.in_box(&everything, all_time.clone(), usize::MAX, |s| points[s as usize]).map(|v| v.len()),
            Some(slots as usize)
        );
        let year = t0..t0 + 31_536_000;
        let year_parts = part_of(year.start)..=part_of(year.end - 1);
        let in_year = (0..slots).filter(|&s| year_parts.contains(&part_of(times[s as usize]))).count();
        assert_eq!(
            order.in_box(&everything, year, usize::MAX, |s| points[s as usize]).map(|v| v.len()),
            Some(in_year),
            "a year reads its parts only"
        );
        let inverted = Bbox { min_lon: 103.0, min_lat: 37.0, max_lon: 102.0, max_lat: 38.0 };
        assert_eq!(order.in_box(&inverted, all_time, usize::MAX, |s| points[s as usize]), Some(vec![]));
    }
}
