//! The in-memory incident index: compact records (no free text, no personal data), an order by
//! position ([`SpatialOrder`]) and an order by time. Every list, count, statistic and tile is answered here;
//! full records come from the store.
//!
//! Invariants: `order` holds every slot exactly once, sorted by (occurred_s, id); `spatial` holds
//! every slot exactly once; a slot never moves once assigned.

use crate::count_pyramid::{self, BinQuery, CountPyramid, DeepPoints, TileBins, bin_of, local_day, local_day_start_s};
use crate::geography::CellIdx;
use crate::spatial_order::{SpatialOrder, key_of};
use model::{Category, IncidentId, Severity, Source, Status, Subcategory};
use std::collections::HashMap;
use std::ops::Range;
use store::IncidentRow;

/// The index's record of one incident (56 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentPoint {
    /// Store id.
    pub id: IncidentId,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Unix seconds.
    pub occurred_s: i64,
    /// Unix seconds.
    pub reported_s: i64,
    /// Index of its cell in the geography.
    pub cell: CellIdx,
    /// Category.
    pub category: Category,
    /// Subcategory.
    pub subcategory: Option<Subcategory>,
    /// Status.
    pub status: Status,
    /// Severity.
    pub severity: Severity,
    /// Channel.
    pub source: Source,
}

impl IncidentPoint {
    /// The record of a store row whose cell index is known.
    pub fn new(r: &IncidentRow, cell: CellIdx) -> IncidentPoint {
        IncidentPoint {
            id: r.id,
            lon: r.lon,
            lat: r.lat,
            occurred_s: r.occurred_s,
            reported_s: r.reported_s,
            cell,
            category: r.category,
            subcategory: r.subcategory,
            status: r.status,
            severity: r.severity,
            source: r.source,
        }
    }

    /// Position in the time order: (occurred_s, id).
    pub fn key(&self) -> (i64, u64) {
        (self.occurred_s, self.id.0)
    }
}

/// A WGS84 bounding box (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl Bbox {
    /// The box holding nothing: the start of a [`Bbox::union`].
    pub const EMPTY: Bbox =
        Bbox { min_lon: f64::INFINITY, min_lat: f64::INFINITY, max_lon: f64::NEG_INFINITY, max_lat: f64::NEG_INFINITY };

    /// The smallest box holding both.
    pub fn union(self, other: Bbox) -> Bbox {
        Bbox {
            min_lon: self.min_lon.min(other.min_lon),
            min_lat: self.min_lat.min(other.min_lat),
            max_lon: self.max_lon.max(other.max_lon),
            max_lat: self.max_lat.max(other.max_lat),
        }
    }

    /// Whether the point lies inside or on the edge.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }
}

/// A set of categories as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategorySet(u64);

const _: () = assert!(model::taxonomy::MAX_KINDS <= 64, "CategorySet holds at most 64 categories");
const _: () = assert!(Status::COUNT <= 16, "StatusSet holds at most 16 statuses");

impl CategorySet {
    /// The set holding `cs`.
    pub fn of(cs: &[Category]) -> CategorySet {
        CategorySet(cs.iter().fold(0, |m, c| m | 1 << c.index()))
    }
    /// The categories of either set.
    pub fn union(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 | other.0)
    }
    /// Membership.
    pub fn has(self, c: Category) -> bool {
        self.0 & 1 << c.index() != 0
    }
}

/// A set of statuses as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSet(u16);

impl StatusSet {
    /// The set holding `ss`.
    pub fn of(ss: &[Status]) -> StatusSet {
        StatusSet(ss.iter().fold(0, |m, s| m | 1 << s.index()))
    }
    /// Membership.
    pub fn has(self, s: Status) -> bool {
        self.0 & 1 << s.index() != 0
    }
}

/// The cells a caller may see, as sorted, disjoint ranges of cell indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellScope(Option<Vec<Range<CellIdx>>>);

impl CellScope {
    /// Every cell.
    pub fn all() -> CellScope {
        CellScope(None)
    }

    /// The given ranges (overlapping or touching ones merged, so lookups may bisect).
    pub fn of(mut ranges: Vec<Range<CellIdx>>) -> CellScope {
        ranges.retain(|r| !r.is_empty());
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<CellIdx>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        CellScope(Some(merged))
    }

    /// The ranges (`None`: every cell).
    pub fn ranges(&self) -> Option<&[Range<CellIdx>]> {
        self.0.as_deref()
    }

    /// Whether cell `idx` is inside.
    pub fn contains(&self, idx: CellIdx) -> bool {
        match &self.0 {
            None => true,
            Some(ranges) => {
                let i = ranges.partition_point(|r| r.end <= idx);
                ranges.get(i).is_some_and(|r| r.contains(&idx))
            }
        }
    }
}

/// Which incidents a query wants: always inside a caller's scope; `None` fields do not filter.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFilter {
    /// The caller's jurisdiction (required: there is no filter without one).
    pub scope: CellScope,
    /// Inside this box.
    pub bbox: Option<Bbox>,
    /// In these cells (a region's contiguous cell range).
    pub cells: Option<Range<CellIdx>>,
    /// Occurred at or after (Unix seconds).
    pub from_s: Option<i64>,
    /// Occurred before (Unix seconds).
    pub to_s: Option<i64>,
    /// In one of these categories.
    pub categories: Option<CategorySet>,
    /// In one of these statuses.
    pub statuses: Option<StatusSet>,
}

impl IncidentFilter {
    /// Everything inside `scope`.
    pub fn new(scope: CellScope) -> IncidentFilter {
        IncidentFilter { scope, bbox: None, cells: None, from_s: None, to_s: None, categories: None, statuses: None }
    }

    /// Whether `p` passes every condition.
    pub fn matches(&self, p: &IncidentPoint) -> bool {
        self.from_s.is_none_or(|f| p.occurred_s >= f)
            && self.to_s.is_none_or(|t| p.occurred_s < t)
            && self.cells.as_ref().is_none_or(|r| r.contains(&p.cell))
            && self.categories.is_none_or(|c| c.has(p.category))
            && self.statuses.is_none_or(|s| s.has(p.status))
            && self.bbox.is_none_or(|b| b.contains(p.lon, p.lat))
            && self.scope.contains(p.cell)
    }
}

/// Position in the newest-first listing: the last item's (occurred_s, id).
pub type Cursor = (i64, u64);

/// Slot of an id: store ids are dense and increasing, so a vector indexed by `id - base` holds
/// most of them in 4 bytes each; ids far outside that range go to a map.
#[derive(Default)]
struct IdSlots {
    base: u64,
    dense: Vec<u32>,
    sparse: HashMap<u64, u32>,
}

impl IdSlots {
    const EMPTY: u32 = u32::MAX;

    fn get(&self, id: u64) -> Option<u32> {
        let dense =
            id.checked_sub(self.base).and_then(|i| self.dense.get(i as usize)).copied().filter(|&s| s != Self::EMPTY);
        dense.or_else(|| self.sparse.get(&id).copied())
    }

    /// The slots of every record (`points[slot]`). Dense ids (at most twice as many ids in
    /// their range as records, as a store's are) are laid out directly; others are inserted in
    /// id order.
    fn of(points: &[IncidentPoint]) -> IdSlots {
        let (lo, hi) = points.iter().fold((u64::MAX, 0), |(lo, hi), p| (lo.min(p.id.0), hi.max(p.id.0)));
        if points.is_empty() || hi - lo >= 2 * points.len() as u64 + 1_024 {
            let mut ids: Vec<(u64, u32)> = points.iter().zip(0u32..).map(|(p, s)| (p.id.0, s)).collect();
            ids.sort_unstable();
            let mut slots = IdSlots::default();
            for (id, slot) in ids {
                slots.insert(id, slot);
            }
            return slots;
        }
        let mut dense = vec![Self::EMPTY; (hi - lo + 1) as usize];
        for (p, slot) in points.iter().zip(0u32..) {
            dense[(p.id.0 - lo) as usize] = slot;
        }
        IdSlots { base: lo, dense, sparse: HashMap::new() }
    }

    fn insert(&mut self, id: u64, slot: u32) {
        if self.dense.is_empty() && self.sparse.is_empty() {
            self.base = id;
        }
        match id.checked_sub(self.base) {
            // Grow the dense range only by amounts proportionate to what it holds.
            Some(i) if (i as usize) < self.dense.len() + self.dense.len() / 2 + 1_024 => {
                let i = i as usize;
                if i >= self.dense.len() {
                    self.dense.resize(i + 1, Self::EMPTY);
                }
                self.dense[i] = slot;
            }
            _ => {
                self.sparse.insert(id, slot);
            }
        }
    }
}

/// The index.
#[derive(Default)]
pub struct IncidentIndex {
    points: Vec<IncidentPoint>,
    order: Vec<u32>,
    spatial: SpatialOrder,
    by_id: IdSlots,
    version: u64,
    /// Records that occurred before this (Unix seconds) are not held (a memory window).
    floor_s: Option<i64>,
    /// Changes this index was told of before its floor, where it holds nothing: a record added
    /// there, or a status set on a record it does not hold. The store's answers for windows
    /// before the floor may have changed with each (`reads` keys the counts it keeps on this).
    below_floor_changes: u64,
    /// Counts per day, category and bin for binned tiles.
    pyramid: CountPyramid,
    /// Compact records in Morton order for binned tiles past the pyramid.
    deep: DeepPoints,
    /// Slots of the records dated where neither holds them ([`count_pyramid::holds`]): counted
    /// one by one.
    outside: Vec<u32>,
}

impl IncidentIndex {
    /// Bulk-builds from records.
    pub fn new(points: Vec<IncidentPoint>) -> IncidentIndex {
        // The count pyramid, the longest part, on threads of its own.
        let (pyramid, order, spatial, by_id, deep) = std::thread::scope(|s| {
            let pyramid = s.spawn(|| CountPyramid::build(&points));
            let mut order: Vec<u32> = (0..points.len() as u32).collect();
            order.sort_unstable_by_key(|&s| points[s as usize].key());
            let spatial = SpatialOrder::build(points.iter().map(|p| (key_of(p.lon, p.lat), p.occurred_s)));
            let by_id = IdSlots::of(&points);
            let deep = DeepPoints::build(&points);
            (pyramid.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), order, spatial, by_id, deep)
        });
        let outside =
            (0..points.len() as u32).filter(|&s| !count_pyramid::holds(points[s as usize].occurred_s)).collect();
        IncidentIndex {
            points,
            order,
            spatial,
            by_id,
            version: 0,
            floor_s: None,
            below_floor_changes: 0,
            pyramid,
            deep,
            outside,
        }
    }

    /// Changes with every mutation (caches of derived figures key on it).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of incidents.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// When the earliest incident held occurred (Unix seconds).
    pub fn first_occurred_s(&self) -> Option<i64> {
        self.order.first().map(|&s| self.points[s as usize].occurred_s)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Bulk-builds from the records that occurred at or after `floor_s`; later inserts before it
    /// are ignored too, so the index holds exactly a window's incidents.
    pub fn with_floor(mut points: Vec<IncidentPoint>, floor_s: i64) -> IncidentIndex {
        points.retain(|p| p.occurred_s >= floor_s);
        IncidentIndex { floor_s: Some(floor_s), ..IncidentIndex::new(points) }
    }

    /// Whether a record is not to be added: its id is held, or it lies before the floor (then
    /// counted as a change there).
    fn refuses(&mut self, p: &IncidentPoint) -> bool {
        if self.by_id.get(p.id.0).is_some() {
            return true;
        }
        let below = self.floor_s.is_some_and(|f| p.occurred_s < f);
        self.below_floor_changes += u64::from(below);
        below
    }

    /// Changes told of before the floor ([`IncidentIndex::with_floor`]), where the index holds
    /// nothing: the store's answers there may have changed when this does.
    pub fn below_floor_changes(&self) -> u64 {
        self.below_floor_changes
    }

    /// Adds a record (ignored if its id is already present, or it lies before the floor).
    pub fn insert(&mut self, p: IncidentPoint) {
        if self.refuses(&p) {
            return;
        }
        let slot = self.points.len() as u32;
        let key = p.key();
        let pos = self.order.partition_point(|&s| self.points[s as usize].key() < key);
        self.points.push(p);
        self.order.insert(pos, slot);
        self.pyramid.add([&p]);
        self.add_aside(slot);
        self.spatial.add(vec![(p.occurred_s, (key_of(p.lon, p.lat), slot))]);
        self.by_id.insert(p.id.0, slot);
        self.version += 1;
    }

    /// Adds a new slot's record to the Morton-ordered records, or sets it aside when neither they
    /// nor the count pyramid hold its time.
    fn add_aside(&mut self, slot: u32) {
        let p = &self.points[slot as usize];
        if count_pyramid::holds(p.occurred_s) {
            self.deep.add(p);
        } else {
            self.outside.push(slot);
        }
    }

    /// Adds many records at once (ids already present, or before the floor, are ignored): one
    /// merge of the time order instead of a shift per record.
    pub fn insert_many(&mut self, new: impl IntoIterator<Item = IncidentPoint>) {
        let mut slots = Vec::new();
        for p in new {
            if self.refuses(&p) {
                continue;
            }
            let slot = self.points.len() as u32;
            self.points.push(p);
            self.add_aside(slot);
            self.by_id.insert(p.id.0, slot);
            slots.push(slot);
        }
        if slots.is_empty() {
            return;
        }
        self.spatial.add(
            slots
                .iter()
                .map(|&s| {
                    let p = &self.points[s as usize];
                    (p.occurred_s, (key_of(p.lon, p.lat), s))
                })
                .collect(),
        );
        self.pyramid.add(slots.iter().map(|&s| &self.points[s as usize]));
        let points = &self.points;
        slots.sort_unstable_by_key(|&s| points[s as usize].key());
        // A few new records (single reports, usually the newest): binary search and insert, so a
        // report does not walk the whole order; many: one merge pass.
        if slots.len() * 64 < self.order.len() {
            for s in slots {
                let key = points[s as usize].key();
                let at = match self.order.last() {
                    Some(&last) if points[last as usize].key() > key => {
                        self.order.partition_point(|&x| points[x as usize].key() <= key)
                    }
                    _ => self.order.len(),
                };
                self.order.insert(at, s);
            }
            self.version += 1;
            return;
        }
        let old = std::mem::take(&mut self.order);
        let mut merged = Vec::with_capacity(old.len() + slots.len());
        let (mut a, mut b) = (old.into_iter().peekable(), slots.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) => {
                    if points[x as usize].key() <= points[y as usize].key() {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.order = merged;
        self.version += 1;
    }

    /// Sets the status of a held record (records not held are ignored; with a floor, such a
    /// record may lie before it, and the change is counted there).
    pub fn set_status(&mut self, id: IncidentId, status: Status) {
        match self.by_id.get(id.0) {
            Some(slot) => {
                let p = &mut self.points[slot as usize];
                if p.status != status {
                    p.status = status;
                    self.version += 1;
                }
            }
            None => self.below_floor_changes += u64::from(self.floor_s.is_some()),
        }
    }

    /// The largest id held (0 when empty).
    pub fn max_id(&self) -> u64 {
        self.points.iter().map(|p| p.id.0).max().unwrap_or(0)
    }

    /// The record with this id.
    pub fn get(&self, id: IncidentId) -> Option<&IncidentPoint> {
        self.by_id.get(id.0).map(|s| &self.points[s as usize])
    }

    /// Slots of `order` whose time lies in the filter's window.
    fn time_range(&self, f: &IncidentFilter) -> Range<usize> {
        let lo = f.from_s.map_or(0, |t| self.order.partition_point(|&s| self.points[s as usize].occurred_s < t));
        let hi = f
            .to_s
            .map_or(self.order.len(), |t| self.order.partition_point(|&s| self.points[s as usize].occurred_s < t));
        lo..hi.max(lo)
    }

    /// Slots of the records inside `b` in the parts of the order that `f`'s window meets (a
    /// superset of its times: the caller matches each record), or `None` when more than `cap` are
    /// (or telling would cost more than a scan, [`SpatialOrder::in_box`]): a box that holds few
    /// records is answered from the order by position, a busy one by scanning the time order.
    fn in_box(&self, b: &Bbox, f: &IncidentFilter, cap: usize) -> Option<Vec<u32>> {
        let times = f.from_s.unwrap_or(i64::MIN)..f.to_s.unwrap_or(i64::MAX);
        self.spatial.in_box(b, times, cap, |s| {
            let p = &self.points[s as usize];
            (p.lon, p.lat)
        })
    }

    /// Calls `visit` for every matching record (in no particular order).
    pub fn for_each(&self, f: &IncidentFilter, mut visit: impl FnMut(&IncidentPoint)) {
        let range = self.time_range(f);
        if let Some(slots) = f.bbox.and_then(|b| self.in_box(&b, f, range.len() / 4)) {
            for s in slots {
                let p = &self.points[s as usize];
                if f.matches(p) {
                    visit(p);
                }
            }
            return;
        }
        for &s in &self.order[range] {
            let p = &self.points[s as usize];
            if f.matches(p) {
                visit(p);
            }
        }
    }

    /// Up to `limit` matching records, newest first, strictly after `cursor`; and the cursor of
    /// the next page if there may be more.
    pub fn page(
        &self,
        f: &IncidentFilter,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> (Vec<IncidentPoint>, Option<Cursor>) {
        let before = |p: &IncidentPoint| cursor.is_none_or(|c| p.key() < c);
        let mut out: Vec<IncidentPoint> = Vec::with_capacity(limit.min(1024));
        let range = self.time_range(f);
        // The order by position pays when the box holds few records; a scan newest-first stops early.
        let cap = (limit * 4).max(20_000).min(range.len() / 4);
        if let Some(slots) = f.bbox.and_then(|b| self.in_box(&b, f, cap)) {
            out.extend(slots.iter().map(|&s| self.points[s as usize]).filter(|p| f.matches(p) && before(p)));
            let by_newest = |a: &IncidentPoint, b: &IncidentPoint| b.key().cmp(&a.key());
            if out.len() > limit + 1 {
                out.select_nth_unstable_by(limit, by_newest);
                out.truncate(limit + 1);
            }
            out.sort_unstable_by(by_newest);
        } else {
            for &s in self.order[range].iter().rev() {
                let p = &self.points[s as usize];
                if before(p) && f.matches(p) {
                    out.push(*p);
                    if out.len() > limit {
                        break;
                    }
                }
            }
        }
        let more = out.len() > limit;
        out.truncate(limit);
        let next = if more { out.last().map(IncidentPoint::key) } else { None };
        (out, next)
    }

    /// The whole local days of `f`'s window as a pyramid query, and the partial first and last
    /// days around them (Unix seconds, end exclusive) that a scan must add.
    fn whole_days<'a>(f: &'a IncidentFilter) -> (BinQuery<'a>, Vec<(i64, i64)>) {
        let from_day = f.from_s.map_or(0, |t| {
            let d = local_day(t);
            if local_day_start_s(d) == t { d } else { d + 1 }
        });
        let to_day = f.to_s.map_or(i64::from(u16::MAX), local_day).max(from_day);
        let q = BinQuery { days: from_day..to_day, categories: f.categories, scope: &f.scope, cells: f.cells.clone() };
        let edges = if from_day < to_day {
            let head = f.from_s.map(|t| (t, local_day_start_s(from_day)));
            let tail = f.to_s.map(|t| (local_day_start_s(to_day), t));
            [head, tail]
        } else {
            [Some((f.from_s.unwrap_or(i64::MIN), f.to_s.unwrap_or(i64::MAX))), None]
        };
        (q, edges.into_iter().flatten().filter(|(a, b)| a < b).collect())
    }

    /// Calls `visit` for every record of `f` inside `bbox` (`f`'s own box ignored) in the partial
    /// days `edges`, and for every record of `f` that the count pyramid does not hold outside
    /// them.
    fn for_each_uncounted(
        &self,
        f: &IncidentFilter,
        bbox: Option<Bbox>,
        edges: &[(i64, i64)],
        mut visit: impl FnMut(&IncidentPoint),
    ) {
        for &(from_s, to_s) in edges {
            let edge = IncidentFilter { bbox, from_s: Some(from_s), to_s: Some(to_s), ..f.clone() };
            self.for_each(&edge, &mut visit);
        }
        if self.outside.is_empty() {
            return;
        }
        let whole = IncidentFilter { bbox, ..f.clone() };
        for &s in &self.outside {
            let p = &self.points[s as usize];
            if whole.matches(p) && !edges.iter().any(|&(a, b)| (a..b).contains(&p.occurred_s)) {
                visit(p);
            }
        }
    }

    /// Matching incidents per bin of tile (`z`, `x`, `y`); `f`'s box is ignored, the tile is the
    /// area. From the count pyramid for the window's whole local days plus a scan of its partial
    /// first and last days; past [`crate::count_pyramid::PYRAMID_MAX_ZOOM`] from the compact
    /// records in Morton order; by a scan of the tile with a status filter. Records dated where
    /// neither holds them are added one by one.
    pub fn tile_bins(&self, z: u8, x: u32, y: u32, f: &IncidentFilter) -> TileBins {
        let bin_level = z + crate::count_pyramid::TILE_BINS_LOG2;
        let tile_box = Some(crate::tiles::TileId { z, x, y }.bounds(1.0));
        if f.statuses.is_none() {
            let (q, edges) = Self::whole_days(f);
            if let Some((mut bins, straddling)) = self.pyramid.tile(z, x, y, &q) {
                // Bins on the edge of the caller's jurisdiction: their records one by one, the
                // whole window.
                for &(bx, by) in &straddling {
                    let bin = IncidentFilter {
                        bbox: Some(crate::tiles::TileId { z: bin_level, x: bx, y: by }.bounds(1.0)),
                        ..f.clone()
                    };
                    self.for_each(&bin, |p| {
                        if bin_of(p.lon, p.lat, bin_level) == (bx, by) {
                            bins.add_point(z, x, y, p);
                        }
                    });
                }
                self.for_each_uncounted(f, tile_box, &edges, |p| {
                    if straddling.is_empty() || straddling.binary_search(&bin_of(p.lon, p.lat, bin_level)).is_err() {
                        bins.add_point(z, x, y, p);
                    }
                });
                return bins;
            }
            let from_s = f.from_s.unwrap_or(i64::MIN);
            if let Some(mut bins) = self.deep.tile(z, x, y, &q, from_s, f.to_s.unwrap_or(i64::MAX)) {
                self.for_each_uncounted(f, tile_box, &[], |p| bins.add_point(z, x, y, p));
                return bins;
            }
        }
        let mut bins = TileBins::new(Category::count());
        let tile = IncidentFilter { bbox: tile_box, ..f.clone() };
        self.for_each(&tile, |p| bins.add_point(z, x, y, p));
        bins
    }

    /// The count pyramid (for benchmarks' figures).
    pub fn pyramid(&self) -> &CountPyramid {
        &self.pyramid
    }

    /// Heap bytes of the count pyramid and of the compact records for deeper tiles.
    pub fn pyramid_heap_bytes(&self) -> (usize, usize) {
        (self.pyramid.heap_bytes(), self.deep.heap_bytes())
    }

    /// Matching incidents per cell, indexed by cell index (`n_cells` long).
    /// Without a box or a status filter the count pyramid answers the whole days of the window.
    pub fn cell_counts(&self, f: &IncidentFilter, n_cells: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n_cells];
        if f.bbox.is_none() && f.statuses.is_none() {
            let (q, edges) = Self::whole_days(f);
            self.pyramid.cell_counts(&q, &mut counts);
            self.for_each_uncounted(f, None, &edges, |p| {
                if let Some(c) = counts.get_mut(p.cell as usize) {
                    *c += 1;
                }
            });
            return counts;
        }
        self.for_each(f, |p| {
            if let Some(c) = counts.get_mut(p.cell as usize) {
                *c += 1;
            }
        });
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_scope_ranges_merge_so_bisection_finds_every_cell() {
        // A region's cells and single cells inside or next to it.
        let s = CellScope::of(vec![20..21, 5..9, 7..12, 12..13]);
        assert_eq!(s.ranges().unwrap(), [5..13, 20..21]);
        for (idx, inside) in [(4, false), (5, true), (11, true), (12, true), (13, false), (20, true), (21, false)] {
            assert_eq!(s.contains(idx), inside, "{idx}");
        }
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_points(n: usize, seed: u64) -> Vec<IncidentPoint> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| IncidentPoint {
                id: IncidentId(i as u64 + 1),
                lon: rng.random_range(102.0..104.0),
                lat: rng.random_range(37.0..39.0),
                occurred_s: rng.random_range(1_700_000_000..1_700_100_000),
                reported_s: 0,
                cell: rng.random_range(0..100),
                category: Category::all()[rng.random_range(0..Category::all().len())],
                subcategory: None,
                status: Status::ALL[rng.random_range(0..Status::ALL.len())],
                severity: Severity::Minor,
                source: Source::Call110,
            })
            .collect()
    }

    fn all() -> IncidentFilter {
        IncidentFilter::new(CellScope::all())
    }

    fn filters() -> Vec<IncidentFilter> {
        vec![
            all(),
            IncidentFilter { scope: CellScope::of(vec![5..9, 40..41, 60..80]), ..all() },
            IncidentFilter {
                bbox: Some(Bbox { min_lon: 102.5, min_lat: 37.5, max_lon: 102.6, max_lat: 37.6 }),
                ..all()
            },
            IncidentFilter {
                bbox: Some(Bbox { min_lon: 102.0, min_lat: 37.0, max_lon: 103.5, max_lat: 38.9 }),
                from_s: Some(1_700_050_000),
                ..all()
            },
            IncidentFilter {
                cells: Some(10..20),
                categories: Some(CategorySet::of(&[Category::TRAFFIC, Category::FIRE])),
                ..all()
            },
            IncidentFilter { statuses: Some(StatusSet::of(&[Status::Reported])), to_s: Some(1_700_030_000), ..all() },
        ]
    }

    #[test]
    fn a_floored_index_holds_exactly_its_window() {
        let pts = random_points(2_000, 9);
        let floor = 1_700_060_000;
        let mut idx = IncidentIndex::with_floor(pts[..1_500].to_vec(), floor);
        for p in &pts[1_500..] {
            idx.insert(*p);
        }
        let expected = pts.iter().filter(|p| p.occurred_s >= floor).count();
        assert!(expected > 0 && expected < pts.len());
        assert_eq!(idx.len(), expected);
        let mut seen = 0;
        idx.for_each(&all(), |p| {
            assert!(p.occurred_s >= floor);
            seen += 1;
        });
        assert_eq!(seen, expected);
        assert_eq!(idx.max_id(), pts.iter().filter(|p| p.occurred_s >= floor).map(|p| p.id.0).max().unwrap());
        // Each record offered before the floor is a change there; the rest are not.
        let below = pts[1_500..].iter().filter(|p| p.occurred_s < floor).count() as u64;
        assert!(below > 0);
        assert_eq!(idx.below_floor_changes(), below);
        idx.insert_many(pts[1_500..].to_vec());
        assert_eq!(idx.below_floor_changes(), 2 * below, "held ids are not changes, those before the floor are");
        let held = pts.iter().find(|p| p.occurred_s >= floor).unwrap();
        idx.set_status(held.id, Status::Closed);
        assert_eq!(idx.below_floor_changes(), 2 * below, "a held record's status");
        idx.set_status(IncidentId(u64::MAX - 1), Status::Closed);
        assert_eq!(idx.below_floor_changes(), 2 * below + 1, "a status set on a record not held");
        let mut whole = IncidentIndex::new(pts[..10].to_vec());
        whole.insert_many(pts[10..20].to_vec());
        whole.set_status(IncidentId(u64::MAX - 1), Status::Closed);
        assert_eq!(whole.below_floor_changes(), 0, "no floor, nothing before it");
    }

    #[test]
    fn pages_equal_a_sorted_linear_scan() {
        let mut pts = random_points(5_000, 1);
        // Duplicate timestamps exercise the id tie-break.
        for i in (0..pts.len()).step_by(7) {
            pts[i].occurred_s = 1_700_000_000;
        }
        let index = IncidentIndex::new(pts.clone());
        for f in filters() {
            let mut want: Vec<IncidentPoint> = pts.iter().copied().filter(|p| f.matches(p)).collect();
            want.sort_by_key(|p| std::cmp::Reverse(p.key()));
            let mut got = Vec::new();
            let mut cursor = None;
            loop {
                let (page, next) = index.page(&f, 97, cursor);
                got.extend(page);
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(got, want, "filter {f:?}");
            let counts = index.cell_counts(&f, 100);
            assert_eq!(counts.iter().map(|&c| c as usize).sum::<usize>(), want.len());
        }
    }

    #[test]
    fn inserts_keep_order_and_ignore_duplicates() {
        let pts = random_points(1_000, 2);
        let mut index = IncidentIndex::new(pts[..500].to_vec());
        for p in &pts[500..] {
            index.insert(*p);
        }
        index.insert(pts[0]);
        assert_eq!(index.len(), 1_000);
        // Ids far from the dense range, and below it, still resolve.
        let mut far = pts[1];
        far.id = IncidentId(10_000_000);
        index.insert(far);
        let mut low = pts[2];
        low.id = IncidentId(0);
        index.insert(low);
        assert_eq!(index.get(IncidentId(10_000_000)).map(|p| p.id), Some(IncidentId(10_000_000)));
        assert_eq!(index.get(IncidentId(0)).map(|p| p.id), Some(IncidentId(0)));
        assert_eq!(index.get(IncidentId(5_000_000)), None);
        assert_eq!(index.len(), 1_002);
        let whole = IncidentIndex::new([pts.clone(), vec![far, low]].concat());
        for f in filters() {
            assert_eq!(index.page(&f, 10_000, None), whole.page(&f, 10_000, None));
        }
        assert_eq!(index.get(IncidentId(777)).map(|p| p.id), Some(IncidentId(777)));
        assert!(std::mem::size_of::<IncidentPoint>() <= 56);
    }

    /// The count pyramid's (and past it the Morton-ordered records') binned tiles and cell counts
    /// equal a scan of every record, for random windows (most not on day boundaries), category,
    /// status, region and jurisdiction filters and tiles at every zoom, on an index built half in
    /// bulk and half by live inserts.
    #[test]
    fn binned_tiles_equal_a_scan_of_every_record() {
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        let centres = [(102.64, 37.93), (102.71, 37.98), (103.08, 38.62), (102.90, 37.40)];
        let start = 1_704_038_400i64; // 2024-01-01 00:00 +08:00
        let points: Vec<IncidentPoint> = (0..20_000u64)
            .map(|i| {
                let (lon, lat) = centres[rng.random_range(0..centres.len())];
                let spread = if rng.random_bool(0.7) { 0.01 } else { 0.3 };
                IncidentPoint {
                    id: IncidentId(i + 1),
                    lon: lon + rng.random_range(-spread..spread),
                    lat: lat + rng.random_range(-spread..spread),
                    // 400 days: several parts of the Morton records (about 97 days each).
                    occurred_s: start + rng.random_range(-310 * 86_400..90 * 86_400),
                    reported_s: 0,
                    cell: rng.random_range(0..60),
                    category: Category::all()[rng.random_range(0..Category::all().len())],
                    subcategory: None,
                    status: Status::ALL[rng.random_range(0..Status::ALL.len())],
                    severity: Severity::Minor,
                    source: Source::Call110,
                }
            })
            .collect();
        // A few records dated where the pyramid does not hold them (1960, 2140): counted anyway.
        let mut points = points;
        for (k, t) in
            [(17usize, -315_619_200i64), (4_321, 5_364_662_400), (12_345, -315_619_200), (19_999, 5_364_662_400)]
        {
            points[k].occurred_s = t;
        }
        let mut index = IncidentIndex::new(points[..10_000].to_vec());
        for p in &points[10_000..12_000] {
            index.insert(*p);
        }
        index.insert_many(points[12_000..].iter().copied());
        let mut pyramid_answers = 0;
        for case in 0..300 {
            let time = |rng: &mut ChaCha8Rng| {
                let t = start + rng.random_range(-311 * 86_400..91 * 86_400);
                // A third on local midnights, the pyramid's own boundaries.
                if rng.random_bool(0.33) { local_day_start_s(local_day(t)) } else { t }
            };
            let (a, b) = (time(&mut rng), time(&mut rng));
            let f = IncidentFilter {
                scope: match rng.random_range(0..3) {
                    0 => CellScope::all(),
                    1 => CellScope::of(vec![0..rng.random_range(1..30), 30..rng.random_range(31..60)]),
                    _ => CellScope::of(vec![3..9, 20..21, 40..55]),
                },
                bbox: None,
                cells: rng.random_bool(0.3).then(|| {
                    let lo = rng.random_range(0..50);
                    lo..lo + rng.random_range(1..20)
                }),
                from_s: rng.random_bool(0.85).then_some(a.min(b)),
                to_s: rng.random_bool(0.85).then_some(a.max(b)),
                categories: rng
                    .random_bool(0.4)
                    .then(|| CategorySet::of(&Category::all()[..rng.random_range(1..Category::all().len())])),
                statuses: rng.random_bool(0.1).then(|| StatusSet::of(&[Status::Reported, Status::Closed])),
            };
            let z = rng.random_range(0..=15u8);
            let p = points[rng.random_range(0..points.len())];
            let (x, y) = bin_of(p.lon, p.lat, z);
            let got = index.tile_bins(z, x, y, &f);
            let mut want = TileBins::new(Category::count());
            for q in points.iter().filter(|q| IncidentFilter { bbox: None, ..f.clone() }.matches(q)) {
                want.add_point(z, x, y, q);
            }
            assert_eq!(got, want, "case {case}: z{z}/{x}/{y} {f:?}");
            let mut per_cell = vec![0u32; 60];
            for q in points.iter().filter(|q| f.matches(q)) {
                per_cell[q.cell as usize] += 1;
            }
            assert_eq!(index.cell_counts(&f, 60), per_cell, "case {case}: cell counts {f:?}");
            let answered = f.statuses.is_none() && want.total() > 0;
            pyramid_answers += usize::from(answered);
        }
        assert!(pyramid_answers > 120, "{pyramid_answers} of 300 cases counted incidents from the pyramid");
    }

    #[test]
    fn inserting_many_at_once_equals_inserting_one_by_one() {
        let pts = random_points(3_000, 4);
        let mut one = IncidentIndex::new(pts[..1_000].to_vec());
        let mut many = IncidentIndex::new(pts[..1_000].to_vec());
        for p in &pts[1_000..] {
            one.insert(*p);
        }
        // Unsorted, with repeats of held and of new records.
        let mut batch: Vec<IncidentPoint> = pts[1_000..].iter().rev().copied().collect();
        batch.extend_from_slice(&pts[..10]);
        batch.extend_from_slice(&pts[2_000..2_010]);
        many.insert_many(batch);
        assert_eq!(many.len(), 3_000);
        let whole = IncidentIndex::new(pts.clone());
        for f in filters() {
            assert_eq!(many.page(&f, 10_000, None), one.page(&f, 10_000, None));
            assert_eq!(many.page(&f, 10_000, None), whole.page(&f, 10_000, None));
        }
        let before = many.version();
        many.insert_many(pts[..5].to_vec());
        assert_eq!((many.len(), many.version()), (3_000, before), "nothing new: nothing changes");
    }
}
