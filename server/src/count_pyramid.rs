//! The count pyramid: incident counts per local day and category over a fixed quadtree of bins,
//! as prefix sums over days, so a binned vector tile costs time in proportion to its bins and
//! categories, not its incidents, for any window of whole days and any category filter.
//!
//! - A tile at zoom `z` is drawn on a 64 × 64 grid of bins; those bins are the quadtree's nodes
//!   at level `z + 6` of the Web-Mercator world. One level is kept per tile zoom up to
//!   [`PYRAMID_MAX_ZOOM`]; deeper binned tiles read [`DeepPoints`], every incident as a 16-byte
//!   record in Morton order, in parts of about 97 days of incident time.
//! - Each level keeps its bins sorted by Morton code in flat arrays, so the bins of one tile are
//!   one contiguous run; bins of recent additions wait in a small map and are folded in once
//!   they hold a quarter of the level's day entries.
//! - A bin holds one series per category: the cumulative count at each local day (UTC+8) that
//!   has incidents, so the count of a window of whole days is two binary searches. It also keeps
//!   the lowest and highest cell of its incidents.
//! - Jurisdiction applies to every bin: a bin whose cell range lies wholly in the caller's cells
//!   is counted from its series, one wholly outside is skipped, and the few that straddle the
//!   jurisdiction's edge are returned to the caller, which counts their incidents one by one.
//! - Per-cell counts (the cells layer, statistics) come from one series per cell and category.
//!
//! Invariants: every incident it [`holds`] is counted exactly once in every level and in its
//! cell's series; `days` ascend within a series and `cum` is their running total; a bin's heads
//! are sorted by category and their `start`s ascend. Pure: no IO.

use crate::geography::CellIdx;
use crate::incident_index::{CategorySet, CellScope, IncidentPoint};
use std::collections::BTreeMap;
use std::ops::Range;

/// Deepest tile zoom answered from the pyramid.
pub const PYRAMID_MAX_ZOOM: u8 = 12;
/// A tile's bins per side, as a power of two (64).
pub const TILE_BINS_LOG2: u8 = 6;
/// A tile's bins per side.
pub const TILE_BINS: u32 = 1 << TILE_BINS_LOG2;
/// Seconds in a day.
const DAY_S: i64 = 86_400;

/// The local (UTC+8) day of a Unix time, counted from 1970-01-01.
pub fn local_day(t_s: i64) -> i64 {
    (t_s + i64::from(model::time::SHANGHAI_OFFSET_S)).div_euclid(DAY_S)
}

/// When a local day starts (Unix seconds).
pub fn local_day_start_s(day: i64) -> i64 {
    day * DAY_S - i64::from(model::time::SHANGHAI_OFFSET_S)
}

/// The Web-Mercator bin (column, row; row 0 at the north) holding a WGS84 point at quadtree
/// `level`. The one definition both the pyramid and a scan use, so they bin alike.
pub fn bin_of(lon: f64, lat: f64, level: u8) -> (u32, u32) {
    let n = f64::from(1u32 << level);
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let wx = (lon + 180.0) / 360.0 * n;
    let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    let clamp = |w: f64| (w.floor().max(0.0) as u32).min((1u32 << level) - 1);
    (clamp(wx), clamp(wy))
}

/// The Morton (Z-order) code of a bin: the bits of column and row interleaved.
pub fn morton(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | v << 16) & 0x0000_ffff_0000_ffff;
        v = (v | v << 8) & 0x00ff_00ff_00ff_00ff;
        v = (v | v << 4) & 0x0f0f_0f0f_0f0f_0f0f;
        v = (v | v << 2) & 0x3333_3333_3333_3333;
        v = (v | v << 1) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | spread(y) << 1
}

fn unmorton(m: u64) -> (u32, u32) {
    fn squeeze(mut v: u64) -> u32 {
        v &= 0x5555_5555_5555_5555;
        v = (v | v >> 1) & 0x3333_3333_3333_3333;
        v = (v | v >> 2) & 0x0f0f_0f0f_0f0f_0f0f;
        v = (v | v >> 4) & 0x00ff_00ff_00ff_00ff;
        v = (v | v >> 8) & 0x0000_ffff_0000_ffff;
        v = (v | v >> 16) & 0x0000_0000_ffff_ffff;
        v as u32
    }
    (squeeze(m), squeeze(m >> 1))
}

/// A daily record: (bin, lowest cell, highest cell, category, day, count).
type Record = (u64, u32, u32, u8, u16, u32);

/// Incidents of one series (its days and running totals) on `days`.
fn series_count(d: &[u16], c: &[u32], days: &Range<u16>) -> u32 {
    let before = |day: u16| {
        let i = d.partition_point(|&x| x < day);
        if i == 0 { 0 } else { c[i - 1] }
    };
    // The common window runs to today: no search for its end.
    let upto = match d.last() {
        Some(&last) if last < days.end => c[c.len() - 1],
        _ => before(days.end),
    };
    upto - before(days.start)
}

/// One level of the quadtree: a flat base sorted by bin (about 20 bytes a bin, 6 a day entry)
/// and the bins of recent additions in a map, folded into the base once they hold a quarter of
/// its entries.
#[derive(Debug, Clone, Default)]
struct Level {
    keys: Vec<u64>,
    /// Each bin's lowest and highest cell.
    cells: Vec<(CellIdx, CellIdx)>,
    /// Where each bin's series start in `categories`/`starts` (one more than the bins).
    bin_series: Vec<u32>,
    categories: Vec<u8>,
    /// Where each series starts in `days`/`cum` (one more than the series).
    starts: Vec<u32>,
    days: Vec<u16>,
    cum: Vec<u32>,
    recent: BTreeMap<u64, Bin>,
    recent_added: usize,
}

impl Level {
    /// From daily records sorted by (bin, category, day) and merged.
    fn from_records(records: &[Record]) -> Level {
        // Sized first, so the vectors are allocated once and exactly.
        let (mut bins, mut series) = (0, 0);
        for (j, r) in records.iter().enumerate() {
            let new_bin = j == 0 || records[j - 1].0 != r.0;
            bins += usize::from(new_bin);
            series += usize::from(new_bin || records[j - 1].3 != r.3);
        }
        let mut l = Level {
            keys: Vec::with_capacity(bins),
            cells: Vec::with_capacity(bins),
            bin_series: Vec::with_capacity(bins + 1),
            categories: Vec::with_capacity(series),
            starts: Vec::with_capacity(series + 1),
            days: Vec::with_capacity(records.len()),
            cum: Vec::with_capacity(records.len()),
            ..Level::default()
        };
        let mut i = 0;
        while i < records.len() {
            let key = records[i].0;
            let end = i + records[i..].partition_point(|r| r.0 == key);
            let mine = &records[i..end];
            l.keys.push(key);
            let first = mine.iter().map(|r| r.1).min().unwrap_or(0);
            l.cells.push((first, mine.iter().map(|r| r.2).max().unwrap_or(0)));
            l.bin_series.push(l.categories.len() as u32);
            let mut total = 0;
            for (j, r) in mine.iter().enumerate() {
                if j == 0 || mine[j - 1].3 != r.3 {
                    l.categories.push(r.3);
                    l.starts.push(l.days.len() as u32);
                    total = 0;
                }
                total += r.5;
                l.days.push(r.4);
                l.cum.push(total);
            }
            i = end;
        }
        l.bin_series.push(l.categories.len() as u32);
        l.starts.push(l.days.len() as u32);
        l
    }

    /// The base's daily records, sorted by (bin, category, day).
    fn base_records(&self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.days.len());
        for (b, &key) in self.keys.iter().enumerate() {
            let (first, last) = self.cells[b];
            for s in self.bin_series[b] as usize..self.bin_series[b + 1] as usize {
                let mut before = 0;
                for e in self.starts[s] as usize..self.starts[s + 1] as usize {
                    out.push((key, first, last, self.categories[s], self.days[e], self.cum[e] - before));
                    before = self.cum[e];
                }
            }
        }
        out
    }

    /// The recent additions' daily records, sorted by (bin, category, day).
    fn recent_records(&self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.recent_added);
        for (&key, bin) in &self.recent {
            for h in 0..bin.heads.len() {
                let mut before = 0;
                for e in bin.series(h) {
                    out.push((
                        key,
                        bin.first_cell,
                        bin.last_cell,
                        bin.heads[h].category,
                        bin.days[e],
                        bin.cum[e] - before,
                    ));
                    before = bin.cum[e];
                }
            }
        }
        out
    }

    /// Folds the recent additions into the base: one merge of two sorted runs.
    fn fold_recent(&mut self) {
        let (base, recent) = (self.base_records(), self.recent_records());
        let mut merged: Vec<Record> = Vec::with_capacity(base.len() + recent.len());
        let (mut a, mut b) = (base.into_iter().peekable(), recent.into_iter().peekable());
        let order = |r: &Record| (r.0, r.3, r.4);
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if order(x) < order(y) => a.next(),
                (Some(x), Some(y)) if order(x) > order(y) => b.next(),
                (Some(_), Some(_)) => {
                    let (x, y) = (a.next(), b.next());
                    x.zip(y).map(|(x, y)| (x.0, x.1.min(y.1), x.2.max(y.2), x.3, x.4, x.5 + y.5))
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        *self = Level::from_records(&merged);
    }

    /// Counts daily records (merged: one per bin, category and day).
    fn add(&mut self, records: &[Record]) {
        for &(key, first, last, category, day, n) in records {
            let bin = self.recent.entry(key).or_insert_with(|| Bin::new(first));
            bin.first_cell = bin.first_cell.min(first);
            bin.last_cell = bin.last_cell.max(last);
            bin.add_to(category, day, n);
            self.recent_added += n as usize;
        }
        // Folding costs the level's size: every quarter of it, so an addition pays a few times
        // its share.
        if self.recent_added > 4_096.max(self.days.len() / 4) {
            self.fold_recent();
        }
    }

    /// Adds the counts of the bins whose Morton codes are in `keys` to `out` (bin positions
    /// relative to `origin`), and lists in `straddling` those on the jurisdiction's edge that
    /// hold incidents of the whole days.
    fn tile(
        &self,
        keys: Range<u64>,
        origin: (u32, u32),
        q: &BinQuery<'_>,
        days: &Range<u16>,
        out: &mut TileBins,
        straddling: &mut Vec<(u32, u32)>,
    ) {
        let lo = self.keys.partition_point(|&k| k < keys.start);
        let hi = lo + self.keys[lo..].partition_point(|&k| k < keys.end);
        let mut count = |key: u64, (first, last): (CellIdx, CellIdx), series: &mut dyn Iterator<Item = (u8, u32)>| {
            if q.excludes_cells(first, last) {
                return;
            }
            let (bx, by) = unmorton(key);
            if !q.allows_cells(first, last) {
                // Read one by one only if it holds incidents of the window's whole days (its
                // partial days are read anyway).
                if series.next().is_some() {
                    straddling.push((bx, by));
                }
                return;
            }
            for (category, n) in series {
                out.add(bx - origin.0, by - origin.1, category, n);
            }
        };
        let counted = |category: u8| !days.is_empty() && q.allows_category(category);
        for b in lo..hi {
            let key = self.keys[b];
            let recent = if self.recent.is_empty() { None } else { self.recent.get(&key) };
            let (mut first, mut last) = self.cells[b];
            if let Some(r) = recent {
                (first, last) = (first.min(r.first_cell), last.max(r.last_cell));
            }
            let base = (self.bin_series[b] as usize..self.bin_series[b + 1] as usize)
                .filter(|&s| counted(self.categories[s]))
                .map(|s| {
                    let e = self.starts[s] as usize..self.starts[s + 1] as usize;
                    (self.categories[s], series_count(&self.days[e.clone()], &self.cum[e], days))
                });
            let newer = recent.into_iter().flat_map(|r| r.counts(days, counted));
            count(key, (first, last), &mut base.chain(newer).filter(|&(_, n)| n > 0));
        }
        for (&key, r) in self.recent.range(keys) {
            if self.keys[lo..hi].binary_search(&key).is_err() {
                count(key, (r.first_cell, r.last_cell), &mut r.counts(days, counted).filter(|&(_, n)| n > 0));
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        let recent: usize = self.recent.values().map(|b| 8 + size_of::<Bin>() + b.heap_bytes()).sum();
        self.keys.capacity() * 8
            + self.cells.capacity() * 8
            + self.bin_series.capacity() * 4
            + self.categories.capacity()
            + self.starts.capacity() * 4
            + self.days.capacity() * 2
            + self.cum.capacity() * 4
            + recent
    }
}

/// Sorts daily records by (bin, category, day) and merges those of the same bin, category and
/// day (their counts added, their cell ranges joined).
fn merge_records(records: &mut Vec<Record>) {
    records.sort_unstable_by_key(|r| (r.0, r.3, r.4));
    records.dedup_by(|later, kept| {
        let same = (later.0, later.3, later.4) == (kept.0, kept.3, kept.4);
        if same {
            kept.5 += later.5;
            kept.1 = kept.1.min(later.1);
            kept.2 = kept.2.max(later.2);
        }
        same
    });
}

/// The records of the level above, from merged records sorted by (bin, category, day): each
/// parent bin's (at most four) child runs merged by (category, day), records of the same day
/// added, into `out` (cleared first). Linear, where sorting again would cost a logarithm more at
/// every level.
fn parent_records(records: &[Record], out: &mut Vec<Record>) {
    out.clear();
    let mut i = 0;
    while i < records.len() {
        let parent = records[i].0 >> 2;
        // The child runs, as positions in `records`: next unread and end.
        let mut runs = [(0usize, 0usize); 4];
        let mut n = 0;
        while i < records.len() && records[i].0 >> 2 == parent {
            let child = records[i].0;
            let end = i + records[i..].partition_point(|r| r.0 == child);
            runs[n] = (i, end);
            n += 1;
            i = end;
        }
        if n == 1 {
            // One child (most parents at the deep levels): its records, already merged.
            let (at, end) = runs[0];
            out.extend(records[at..end].iter().map(|r| (parent, r.1, r.2, r.3, r.4, r.5)));
            continue;
        }
        let first = out.len();
        let order = |r: &Record| u32::from(r.3) << 16 | u32::from(r.4);
        loop {
            // The run whose next record comes first by (category, day).
            let mut next: Option<(usize, u32)> = None;
            for (k, &(at, end)) in runs[..n].iter().enumerate() {
                if at < end && next.is_none_or(|(_, o)| order(&records[at]) < o) {
                    next = Some((k, order(&records[at])));
                }
            }
            let Some((k, _)) = next else { break };
            let r = records[runs[k].0];
            runs[k].0 += 1;
            let grouped = out.len() > first;
            match out.last_mut() {
                Some(last) if grouped && (last.3, last.4) == (r.3, r.4) => {
                    last.1 = last.1.min(r.1);
                    last.2 = last.2.max(r.2);
                    last.5 += r.5;
                }
                _ => out.push((parent, r.1, r.2, r.3, r.4, r.5)),
            }
        }
    }
}

/// Where a series starts in its bin's `days`/`cum`.
#[derive(Debug, Clone, Copy)]
struct Head {
    category: u8,
    start: u32,
}

/// The incidents of one bin of the quadtree (its recent additions) or of one cell: a series per
/// category.
#[derive(Debug, Clone)]
struct Bin {
    /// The lowest and highest cell of its incidents.
    first_cell: CellIdx,
    last_cell: CellIdx,
    heads: Vec<Head>,
    days: Vec<u16>,
    cum: Vec<u32>,
}

impl Bin {
    fn new(cell: CellIdx) -> Bin {
        Bin { first_cell: cell, last_cell: cell, heads: Vec::new(), days: Vec::new(), cum: Vec::new() }
    }

    fn series(&self, h: usize) -> Range<usize> {
        let end = self.heads.get(h + 1).map_or(self.days.len(), |n| n.start as usize);
        self.heads[h].start as usize..end
    }

    /// Incidents of series `h` on days `from..to`.
    fn count(&self, h: usize, days: &Range<u16>) -> u32 {
        let r = self.series(h);
        series_count(&self.days[r.clone()], &self.cum[r], days)
    }

    /// (category, incidents on `days`) of each series whose category is `counted`.
    fn counts<'a>(
        &'a self,
        days: &'a Range<u16>,
        counted: impl Fn(u8) -> bool + 'a,
    ) -> impl Iterator<Item = (u8, u32)> + 'a {
        self.heads
            .iter()
            .enumerate()
            .filter(move |(_, head)| counted(head.category))
            .map(move |(h, head)| (head.category, self.count(h, days)))
    }

    /// Adds `n` incidents on `day` to the series of `category`, creating it if need be.
    fn add_to(&mut self, category: u8, day: u16, n: u32) {
        let h = match self.heads.binary_search_by_key(&category, |h| h.category) {
            Ok(h) => h,
            Err(h) => {
                let start = self.heads.get(h).map_or(self.days.len() as u32, |n| n.start);
                self.heads.insert(h, Head { category, start });
                h
            }
        };
        let r = self.series(h);
        let at = r.start + self.days[r.clone()].partition_point(|&x| x < day);
        if at < r.end && self.days[at] == day {
            for c in &mut self.cum[at..r.end] {
                *c += n;
            }
            return;
        }
        let before = if at > r.start { self.cum[at - 1] } else { 0 };
        self.days.insert(at, day);
        self.cum.insert(at, before + n);
        for c in &mut self.cum[at + 1..=r.end] {
            *c += n;
        }
        for later in &mut self.heads[h + 1..] {
            later.start += 1;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.heads.capacity() * size_of::<Head>() + self.days.capacity() * 2 + self.cum.capacity() * 4
    }
}

/// What a binned tile counts: whole local days, categories and the cells the caller may see.
#[derive(Debug, Clone)]
pub struct BinQuery<'a> {
    /// Local days (from [`local_day`]) counted, end exclusive.
    pub days: Range<i64>,
    /// Only these categories (`None`: all).
    pub categories: Option<CategorySet>,
    /// The caller's cells.
    pub scope: &'a CellScope,
    /// Only these cells (a region's range).
    pub cells: Option<Range<CellIdx>>,
}

impl BinQuery<'_> {
    fn allows_cell(&self, c: CellIdx) -> bool {
        self.cells.as_ref().is_none_or(|r| r.contains(&c)) && self.scope.contains(c)
    }

    /// Whether every cell from `first` to `last` may be counted.
    fn allows_cells(&self, first: CellIdx, last: CellIdx) -> bool {
        let in_cells = self.cells.as_ref().is_none_or(|r| r.start <= first && last < r.end);
        let in_scope = match self.scope.ranges() {
            None => true,
            Some(ranges) => {
                let i = ranges.partition_point(|r| r.end <= first);
                ranges.get(i).is_some_and(|r| r.start <= first && last < r.end)
            }
        };
        in_cells && in_scope
    }

    /// Whether no cell from `first` to `last` may be counted.
    fn excludes_cells(&self, first: CellIdx, last: CellIdx) -> bool {
        let outside_cells = self.cells.as_ref().is_some_and(|r| last < r.start || first >= r.end);
        let outside_scope = match self.scope.ranges() {
            None => false,
            Some(ranges) => {
                let i = ranges.partition_point(|r| r.end <= first);
                ranges.get(i).is_none_or(|r| r.start > last)
            }
        };
        outside_cells || outside_scope
    }

    fn allows_category(&self, c: u8) -> bool {
        self.categories.is_none_or(|set| model::Category::from_index(c).is_some_and(|c| set.has(c)))
    }
}

/// Per-bin, per-category counts of one tile: `counts[bin * categories + category]`, bins in
/// row-major order (row 0 at the north).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileBins {
    /// Categories per bin.
    pub categories: usize,
    /// The counts.
    pub counts: Vec<u32>,
}

impl TileBins {
    /// All zero.
    pub fn new(categories: usize) -> TileBins {
        TileBins { categories, counts: vec![0; (TILE_BINS * TILE_BINS) as usize * categories] }
    }

    /// Counts one incident of `category` in tile bin (`bx`, `by`).
    pub fn add(&mut self, bx: u32, by: u32, category: u8, n: u32) {
        let at = (by * TILE_BINS + bx) as usize * self.categories + usize::from(category);
        if let Some(c) = self.counts.get_mut(at) {
            *c += n;
        }
    }

    /// Counts `p` if it lies in tile (`z`, `x`, `y`) (the neighbouring tile bins those in the
    /// buffer).
    pub fn add_point(&mut self, z: u8, x: u32, y: u32, p: &IncidentPoint) {
        let (bx, by) = bin_of(p.lon, p.lat, z + TILE_BINS_LOG2);
        if (bx >> TILE_BINS_LOG2, by >> TILE_BINS_LOG2) == (x, y) {
            self.add(bx - (x << TILE_BINS_LOG2), by - (y << TILE_BINS_LOG2), p.category.index(), 1);
        }
    }

    /// Incidents in every bin.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// The non-empty bins in row-major order: (column, row, count, most frequent category; ties
    /// to the category first in the taxonomy).
    pub fn bins(&self) -> impl Iterator<Item = (u32, u32, u32, u8)> + '_ {
        self.counts.chunks(self.categories.max(1)).enumerate().filter_map(|(i, by_category)| {
            let n: u32 = by_category.iter().sum();
            let dominant = by_category
                .iter()
                .enumerate()
                .max_by_key(|&(c, &k)| (k, std::cmp::Reverse(c)))
                .map_or(0, |(c, _)| c as u8);
            (n > 0).then_some((i as u32 % TILE_BINS, i as u32 / TILE_BINS, n, dominant))
        })
    }
}

/// A level's (tile zoom, bins, series, day entries).
pub type LevelStats = (u8, usize, usize, usize);

/// The pyramid: one level per tile zoom 0…[`PYRAMID_MAX_ZOOM`], and the cells' series.
#[derive(Debug, Clone)]
pub struct CountPyramid {
    levels: Vec<Level>,
    /// Per cell index, its series per category (keyed by the cell).
    by_cell: Vec<Bin>,
}

impl Default for CountPyramid {
    fn default() -> CountPyramid {
        CountPyramid { levels: vec![Level::default(); usize::from(PYRAMID_MAX_ZOOM) + 1], by_cell: Vec::new() }
    }
}

/// Whether the pyramid and [`DeepPoints`] hold an incident of this time: from 2000-01-01 UTC for
/// 2³² seconds (to 2136). The index counts any other one by itself, so a record dated in 1900
/// neither goes missing nor turns the pyramid off.
pub fn holds(occurred_s: i64) -> bool {
    (DEEP_EPOCH_S..DEEP_EPOCH_S + i64::from(u32::MAX)).contains(&occurred_s)
}

/// The local day of a held time (which a `u16` holds: 2000…2136 lies within 1970…2149).
fn day_u16(t_s: i64) -> Option<u16> {
    if holds(t_s) { u16::try_from(local_day(t_s)).ok() } else { None }
}

impl CountPyramid {
    /// Builds from many incidents (those it [`holds`]): sorted daily records at the deepest
    /// level, each coarser level merged from the one below, and the cells' series (on a second
    /// thread).
    pub fn build(points: &[IncidentPoint]) -> CountPyramid {
        let mut pyramid = CountPyramid::default();
        let deepest = PYRAMID_MAX_ZOOM + TILE_BINS_LOG2;
        std::thread::scope(|s| {
            let by_cell = s.spawn(|| cells_of(points));
            // (bin, lowest cell, highest cell, category, day, count)
            let mut records: Vec<Record> = Vec::with_capacity(points.len());
            records.extend(points.iter().filter_map(|p| {
                let day = day_u16(p.occurred_s)?;
                let (x, y) = bin_of(p.lon, p.lat, deepest);
                Some((morton(x, y), p.cell, p.cell, p.category.index(), day, 1))
            }));
            merge_records(&mut records);
            // Each level is laid out while the records of the one above are merged (into a
            // second buffer, the two swapped at each level).
            let mut parents: Vec<Record> = Vec::with_capacity(records.len());
            for z in (0..=PYRAMID_MAX_ZOOM).rev() {
                pyramid.levels[usize::from(z)] = std::thread::scope(|s| {
                    let level = s.spawn(|| Level::from_records(&records));
                    if z > 0 {
                        parent_records(&records, &mut parents);
                    }
                    level.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
                });
                std::mem::swap(&mut records, &mut parents);
            }
            pyramid.by_cell = by_cell.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        });
        pyramid
    }

    /// Counts more incidents (those it [`holds`]): one sorted run of daily records per level, so
    /// a batch costs its distinct bins, categories and days rather than its incidents at the
    /// coarse levels.
    pub fn add<'a>(&mut self, points: impl IntoIterator<Item = &'a IncidentPoint>) {
        let deepest = PYRAMID_MAX_ZOOM + TILE_BINS_LOG2;
        let mut records: Vec<Record> = Vec::new();
        for p in points {
            let Some(day) = day_u16(p.occurred_s) else { continue };
            let cell = p.cell as usize;
            if self.by_cell.len() <= cell {
                self.by_cell.resize_with(cell + 1, || Bin::new(0));
            }
            self.by_cell[cell].add_to(p.category.index(), day, 1);
            let (x, y) = bin_of(p.lon, p.lat, deepest);
            records.push((morton(x, y), p.cell, p.cell, p.category.index(), day, 1));
        }
        for level in self.levels.iter_mut().rev() {
            if records.len() > 1 {
                merge_records(&mut records);
            }
            level.add(&records);
            for r in &mut records {
                r.0 >>= 2;
            }
        }
    }

    /// The counts of tile (`z`, `x`, `y`) for `q`, and the bins (column, row at level `z + 6`,
    /// ascending) that straddle the edge of the caller's cells and are not counted; `None` past
    /// [`PYRAMID_MAX_ZOOM`]. Only incidents it [`holds`] are counted.
    pub fn tile(&self, z: u8, x: u32, y: u32, q: &BinQuery<'_>) -> Option<(TileBins, Vec<(u32, u32)>)> {
        if z > PYRAMID_MAX_ZOOM {
            return None;
        }
        let mut out = TileBins::new(model::Category::count());
        let mut straddling = Vec::new();
        let days = clamp_days(&q.days);
        let span = 1u64 << (2 * TILE_BINS_LOG2);
        let first = morton(x, y) * span;
        let (x0, y0) = (x << TILE_BINS_LOG2, y << TILE_BINS_LOG2);
        self.levels[usize::from(z)].tile(first..first + span, (x0, y0), q, &days, &mut out, &mut straddling);
        straddling.sort_unstable();
        Some((out, straddling))
    }

    /// Adds the incidents of `q` per cell to `counts` (indexed by cell), those it [`holds`]:
    /// time in proportion to the cells and their categories.
    pub fn cell_counts(&self, q: &BinQuery<'_>, counts: &mut [u32]) {
        let days = clamp_days(&q.days);
        if days.is_empty() {
            return;
        }
        for (cell, (series, count)) in self.by_cell.iter().zip(counts.iter_mut()).enumerate() {
            if !q.allows_cell(cell as CellIdx) {
                continue;
            }
            *count += series.counts(&days, |c| q.allows_category(c)).map(|(_, n)| n).sum::<u32>();
        }
    }

    /// Per level (tile zoom): bins, series and day entries; then the cells' series and entries.
    pub fn level_stats(&self) -> (Vec<LevelStats>, (usize, usize)) {
        let levels = self
            .levels
            .iter()
            .enumerate()
            .map(|(z, l)| {
                let series = l.categories.len() + l.recent.values().map(|b| b.heads.len()).sum::<usize>();
                let entries = l.days.len() + l.recent.values().map(|b| b.days.len()).sum::<usize>();
                (z as u8, l.keys.len() + l.recent.len(), series, entries)
            })
            .collect();
        let cells = (self.by_cell.iter().map(|b| b.heads.len()).sum(), self.by_cell.iter().map(|b| b.days.len()).sum());
        (levels, cells)
    }

    /// Heap bytes held (vectors' capacity and the maps' entries; allocator overhead aside).
    pub fn heap_bytes(&self) -> usize {
        let levels: usize = self.levels.iter().map(Level::heap_bytes).sum();
        levels + self.by_cell.iter().map(|b| size_of::<Bin>() + b.heap_bytes()).sum::<usize>()
    }
}

/// Deepest quadtree level of [`DeepPoints`]: the bins of the deepest binned tile zoom.
const DEEP_LEVEL: u8 = crate::tiles::RAW_ZOOM - 1 + TILE_BINS_LOG2;
/// Unix time of [`DeepPoints`]' time origin (2000-01-01 UTC); times are seconds after it in a `u32`.
const DEEP_EPOCH_S: i64 = 946_684_800;

/// One incident in [`DeepPoints`]: its bin at [`DEEP_LEVEL`] (Morton code) and category in one
/// key, its time and its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DeepPoint {
    /// `morton << 8 | category`.
    key: u64,
    /// Seconds after [`DEEP_EPOCH_S`].
    t: u32,
    cell: CellIdx,
}

/// Seconds of incident time one part of [`DeepPoints`] covers: 2^23 s, about 97 days.
const DEEP_PART_LOG2_S: u32 = 23;

/// The part of [`DeepPoints`] that holds a record of time `t`.
fn deep_part(t: u32) -> usize {
    (t >> DEEP_PART_LOG2_S) as usize
}

/// The records of one part of [`DeepPoints`]: sorted, and new ones waiting unsorted until they
/// are a sixty-fourth of the rest.
#[derive(Debug, Clone, Default)]
struct DeepPart {
    sorted: Vec<DeepPoint>,
    recent: Vec<DeepPoint>,
}

impl DeepPart {
    fn add(&mut self, r: DeepPoint) {
        self.recent.push(r);
        if self.recent.len() > 4_096.max(self.sorted.len() / 64) {
            let mut recent = std::mem::take(&mut self.recent);
            recent.sort_unstable();
            self.sorted = crate::spatial_order::merge_sorted(std::mem::take(&mut self.sorted), recent);
        }
    }

    /// The records with keys in `keys`: a run of the sorted ones, then the recent ones there.
    fn in_keys(&self, keys: Range<u64>) -> impl Iterator<Item = &DeepPoint> {
        let lo = self.sorted.partition_point(|r| r.key < keys.start);
        let hi = lo + self.sorted[lo..].partition_point(|r| r.key < keys.end);
        self.sorted[lo..hi].iter().chain(self.recent.iter().filter(move |r| keys.contains(&r.key)))
    }
}

/// Every incident as a 16-byte record in Morton order, for binned tiles deeper than the pyramid,
/// in parts of about 97 days of incident time ([`DEEP_PART_LOG2_S`]): a tile's records are one
/// contiguous run in each part, and a window reads only the parts it overlaps, so a year's tile
/// over ten years of history reads about a year of records.
#[derive(Debug, Clone, Default)]
pub struct DeepPoints {
    parts: Vec<DeepPart>,
}

impl DeepPoints {
    fn record(p: &IncidentPoint) -> Option<DeepPoint> {
        let t = u32::try_from(p.occurred_s - DEEP_EPOCH_S).ok().filter(|_| holds(p.occurred_s))?;
        let (x, y) = bin_of(p.lon, p.lat, DEEP_LEVEL);
        Some(DeepPoint { key: morton(x, y) << 8 | u64::from(p.category.index()), t, cell: p.cell })
    }

    fn part_mut(&mut self, t: u32) -> &mut DeepPart {
        let k = deep_part(t);
        if self.parts.len() <= k {
            self.parts.resize_with(k + 1, DeepPart::default);
        }
        &mut self.parts[k]
    }

    /// Built from many incidents.
    pub fn build(points: &[IncidentPoint]) -> DeepPoints {
        // Counted first, so each part is allocated once and exactly.
        let mut sizes: Vec<usize> = Vec::new();
        for t in points.iter().filter(|p| holds(p.occurred_s)).map(|p| (p.occurred_s - DEEP_EPOCH_S) as u32) {
            let k = deep_part(t);
            if sizes.len() <= k {
                sizes.resize(k + 1, 0);
            }
            sizes[k] += 1;
        }
        let mut deep = DeepPoints {
            parts: sizes.iter().map(|&n| DeepPart { sorted: Vec::with_capacity(n), recent: Vec::new() }).collect(),
        };
        for r in points.iter().filter_map(DeepPoints::record) {
            deep.parts[deep_part(r.t)].sorted.push(r);
        }
        for part in &mut deep.parts {
            part.sorted.sort_unstable();
        }
        deep
    }

    /// Adds one incident (if it [`holds`] it).
    pub fn add(&mut self, p: &IncidentPoint) {
        let Some(r) = DeepPoints::record(p) else { return };
        self.part_mut(r.t).add(r);
    }

    /// The counts of tile (`z`, `x`, `y`) for the incidents of `q` in `[from_s, to_s)`, or `None`
    /// past the deepest binned zoom. Only incidents it [`holds`] are counted.
    pub fn tile(&self, z: u8, x: u32, y: u32, q: &BinQuery<'_>, from_s: i64, to_s: i64) -> Option<TileBins> {
        let level = z + TILE_BINS_LOG2;
        if level > DEEP_LEVEL {
            return None;
        }
        let shift = 2 * u32::from(DEEP_LEVEL - level);
        let span = 1u64 << (2 * u32::from(TILE_BINS_LOG2) + shift + 8);
        let first = morton(x, y) * span;
        let (from_t, to_t) = (from_s.saturating_sub(DEEP_EPOCH_S), to_s.saturating_sub(DEEP_EPOCH_S));
        let (x0, y0) = (x << TILE_BINS_LOG2, y << TILE_BINS_LOG2);
        let mut out = TileBins::new(model::Category::count());
        // The parts the window overlaps (times outside a u32 are in none).
        let (lo_t, hi_t) = (from_t.max(0), to_t.min(i64::from(u32::MAX) + 1));
        if lo_t >= hi_t || self.parts.is_empty() {
            return Some(out);
        }
        let parts = deep_part(lo_t as u32)..=deep_part((hi_t - 1) as u32).min(self.parts.len() - 1);
        for part in self.parts.get(parts).unwrap_or_default() {
            for r in part.in_keys(first..first + span) {
                let category = (r.key & 0xff) as u8;
                if (from_t..to_t).contains(&i64::from(r.t)) && q.allows_category(category) && q.allows_cell(r.cell) {
                    let (bx, by) = unmorton((r.key >> 8) >> shift);
                    out.add(bx - x0, by - y0, category, 1);
                }
            }
        }
        Some(out)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.parts.capacity() * size_of::<DeepPart>()
            + self
                .parts
                .iter()
                .map(|p| (p.sorted.capacity() + p.recent.capacity()) * size_of::<DeepPoint>())
                .sum::<usize>()
    }
}

/// The days a `u16` holds, of a range of local days.
fn clamp_days(days: &Range<i64>) -> Range<u16> {
    let c = |d: i64| d.clamp(0, i64::from(u16::MAX)) as u16;
    c(days.start)..c(days.end).max(c(days.start))
}

/// The cells' series of the incidents it [`holds`], from one sorted key per incident: cell,
/// category and day.
fn cells_of(points: &[IncidentPoint]) -> Vec<Bin> {
    let mut keys: Vec<u64> = Vec::with_capacity(points.len());
    keys.extend(points.iter().filter_map(|p| {
        let day = day_u16(p.occurred_s)?;
        Some(u64::from(p.cell) << 32 | u64::from(p.category.index()) << 16 | u64::from(day))
    }));
    keys.sort_unstable();
    let cell_of = |k: u64| (k >> 32) as CellIdx;
    let cells = keys.last().map_or(0, |&k| cell_of(k) as usize + 1);
    let mut out: Vec<Bin> = (0..cells).map(|_| Bin::new(0)).collect();
    let mut i = 0;
    while i < keys.len() {
        let cell = cell_of(keys[i]);
        let end = i + keys[i..].partition_point(|&k| cell_of(k) == cell);
        let bin = &mut out[cell as usize];
        (bin.first_cell, bin.last_cell) = (cell, cell);
        push_series(bin, keys[i..end].iter().map(|&k| ((k >> 16) as u8, k as u16, 1)));
        i = end;
    }
    out
}

/// Appends the series of (category, day, count) records sorted by category and day, merging
/// records of the same day.
fn push_series(bin: &mut Bin, records: impl Iterator<Item = (u8, u16, u32)>) {
    let mut total = 0;
    for (category, day, n) in records {
        let new_series = bin.heads.last().is_none_or(|h| h.category != category);
        if new_series {
            bin.heads.push(Head { category, start: bin.days.len() as u32 });
            total = 0;
        }
        total += n;
        if !new_series && bin.days.last() == Some(&day) {
            if let Some(c) = bin.cum.last_mut() {
                *c = total;
            }
        } else {
            bin.days.push(day);
            bin.cum.push(total);
        }
    }
    bin.heads.shrink_to_fit();
    bin.days.shrink_to_fit();
    bin.cum.shrink_to_fit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Category, IncidentId, Severity, Source, Status};

    fn point(i: u64, lon: f64, lat: f64, occurred_s: i64, cell: u32, category: Category) -> IncidentPoint {
        IncidentPoint {
            id: IncidentId(i),
            lon,
            lat,
            occurred_s,
            reported_s: occurred_s,
            cell,
            category,
            subcategory: None,
            status: Status::Reported,
            severity: Severity::Minor,
            source: Source::Patrol,
        }
    }

    #[test]
    fn morton_codes_round_trip_and_nest() {
        for (x, y) in [(0, 0), (1, 0), (0, 1), (803, 395), (262_143, 1), (12_345, 262_000)] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
            // A parent's code is its child's shifted by one level.
            assert_eq!(morton(x >> 1, y >> 1), morton(x, y) >> 2);
        }
    }

    #[test]
    fn local_days_start_at_shanghai_midnight() {
        // 2024-01-01 00:00 +08:00 = 2023-12-31 16:00 UTC = 1_704_038_400.
        let midnight = 1_704_038_400;
        assert_eq!(local_day_start_s(local_day(midnight)), midnight);
        assert_eq!(local_day(midnight - 1) + 1, local_day(midnight));
        assert_eq!(local_day(midnight + 86_399), local_day(midnight));
    }

    #[test]
    fn live_additions_equal_a_bulk_build() {
        let mut rng = 7u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        // More than 4,096 live additions: each level folds its recent bins into its base.
        let points: Vec<IncidentPoint> = (0..10_000)
            .map(|i| {
                let (a, b, c, d) = (next(), next(), next(), next());
                point(
                    i,
                    102.6 + (a % 1000) as f64 * 1e-4,
                    37.9 + (b % 1000) as f64 * 1e-4,
                    1_704_038_400 + (c % (40 * 86_400)) as i64,
                    (d % 9) as u32,
                    Category::all()[(d >> 8) as usize % Category::count()],
                )
            })
            .collect();
        let bulk = CountPyramid::build(&points);
        let mut live = CountPyramid::default();
        // One at a time, then the rest in batches.
        for p in &points[..3_000] {
            live.add([p]);
        }
        for batch in points[3_000..].chunks(1_000) {
            live.add(batch);
        }
        let scope = CellScope::all();
        let limited = CellScope::of(vec![2..5, 7..8]);
        for z in [0u8, 8, 10, 12] {
            let (x, y) = bin_of(102.65, 37.95, z);
            for q in [
                BinQuery { days: 0..i64::from(u16::MAX), categories: None, scope: &scope, cells: None },
                BinQuery {
                    days: local_day(1_704_038_400 + 5 * 86_400)..local_day(1_704_038_400 + 20 * 86_400),
                    categories: Some(CategorySet::of(&[Category::all()[0], Category::all()[2]])),
                    scope: &limited,
                    cells: Some(3..9),
                },
            ] {
                let (a, b) = (bulk.tile(z, x, y, &q).unwrap(), live.tile(z, x, y, &q).unwrap());
                assert_eq!(a, b, "z{z} {q:?}");
                let (counted, straddling) = a;
                let matching: Vec<&IncidentPoint> = points
                    .iter()
                    .filter(|p| {
                        let (px, py) = bin_of(p.lon, p.lat, z + TILE_BINS_LOG2);
                        (px >> TILE_BINS_LOG2, py >> TILE_BINS_LOG2) == (x, y)
                            && q.days.contains(&local_day(p.occurred_s))
                            && q.allows_cell(p.cell)
                            && q.allows_category(p.category.index())
                    })
                    .collect();
                let want = matching
                    .iter()
                    .filter(|p| straddling.binary_search(&bin_of(p.lon, p.lat, z + TILE_BINS_LOG2)).is_err())
                    .count();
                assert_eq!(counted.total(), want as u64, "z{z} {q:?}");
                // Every jurisdiction but the whole city has bins on its edge, left to the caller.
                assert_eq!(straddling.is_empty(), q.scope.ranges().is_none(), "z{z} {q:?}");
                let (mut bulk_cells, mut live_cells) = (vec![0; 9], vec![0; 9]);
                bulk.cell_counts(&q, &mut bulk_cells);
                live.cell_counts(&q, &mut live_cells);
                assert_eq!(bulk_cells, live_cells);
                let mut want_cells = vec![0; 9];
                for p in points.iter().filter(|p| {
                    q.days.contains(&local_day(p.occurred_s))
                        && q.allows_cell(p.cell)
                        && q.allows_category(p.category.index())
                }) {
                    want_cells[p.cell as usize] += 1;
                }
                assert_eq!(bulk_cells, want_cells, "{q:?}");
                assert!(!matching.is_empty(), "z{z}: the test tile holds incidents");
            }
        }
    }
}
