//! Where an incident query is answered. The in-memory index holds every incident (embedded
//! store), or with PostGIS those that occurred since the start of the memory window
//! (`--memory-window-days`). A filter reaching before that start is pushed down to PostGIS:
//! counts (`GROUP BY`), tiles (`ST_AsMVT` + `ST_SnapToGrid`) and point visits are answered by the
//! database whole, never half from memory and half from the database; a newest-first page is
//! taken from memory first and continued from the database past the window's start.

use crate::geography::Geography;
use crate::incident_index::{Cursor, IncidentFilter, IncidentPoint};
use crate::shared_results::SharedResults;
use crate::state::AppState;
use crate::tiles::TileId;
use chrono::{DateTime, Utc};
use model::{Category, Status};
use std::sync::Arc;
use store::StoreError;
use store::{PastFilter, PastReads, TileSpec};

/// The database behind a windowed index.
pub struct Past {
    since_s: i64,
    store: Arc<dyn PastReads>,
    /// Per-cell counts by filter and the index's changes before its floor, for at most
    /// [`Past::COUNTS_KEPT`]: a scan of the database each, which the cells layer, statistics and
    /// Gi* ask for again and again.
    counts: SharedResults<(PastFilter, u64), Vec<u32>>,
}

impl Past {
    /// How long the database's per-cell counts of a filter are kept at most. The index's changes
    /// before its window (`IncidentIndex::below_floor_changes`: a report written late into a
    /// window before it, here or by another instance, or a status set there) are in their key,
    /// so those show at once; this bounds the rest (a row changed in the database by another
    /// program). As long as a browser keeps a tile (`max-age=60`).
    pub const COUNTS_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

    /// Incidents before `since` are answered by `store`.
    pub fn new(since: DateTime<Utc>, store: Arc<dyn PastReads>) -> Past {
        Past { since_s: since.timestamp(), store, counts: SharedResults::new(32, Self::COUNTS_KEPT) }
    }
}

/// `f` in database terms: cell-index ranges become cell-code ranges (cells are sorted by code).
pub fn past_filter(geography: &Geography, f: &IncidentFilter) -> PastFilter {
    let n = geography.cells().len() as u32;
    let wanted = f.cells.clone().unwrap_or(0..n);
    let scoped = f.scope.ranges();
    let ranges: Option<Vec<std::ops::Range<u32>>> = match (scoped, f.cells.is_some()) {
        (None, false) => None,
        (None, true) => Some(vec![wanted]),
        (Some(rs), _) => Some(
            rs.iter().map(|r| r.start.max(wanted.start)..r.end.min(wanted.end)).filter(|r| r.start < r.end).collect(),
        ),
    };
    // Every cell of the city (a city user's one range) needs no test at all in the database.
    let ranges = ranges.filter(|rs| !matches!(rs.as_slice(), [only] if *only == (0..n)));
    let code = |i: u32| geography.cell_code(i).to_string();
    PastFilter {
        from: f.from_s.and_then(|s| DateTime::from_timestamp(s, 0)),
        to: f.to_s.and_then(|s| DateTime::from_timestamp(s, 0)),
        bbox: f.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
        categories: f
            .categories
            .map(|set| Category::all().iter().filter(|c| set.has(**c)).map(|c| c.as_str().to_owned()).collect()),
        statuses: f
            .statuses
            .map(|set| Status::ALL.iter().filter(|s| set.has(**s)).map(|s| s.as_str().to_owned()).collect()),
        cell_ranges: ranges.map(|rs| rs.into_iter().map(|r| (code(r.start), code(r.end - 1))).collect()),
    }
}

fn points(geography: &Geography, rows: &[store::IncidentRow]) -> Vec<IncidentPoint> {
    rows.iter().filter_map(|r| geography.cell(r.cell_code).map(|(cell, _)| IncidentPoint::new(r, cell))).collect()
}

impl AppState {
    /// The database answering `f`, when `f` reaches before the memory window.
    fn past_for(&self, f: &IncidentFilter) -> Option<&Past> {
        self.past.as_deref().filter(|p| f.from_s.is_none_or(|from| from < p.since_s))
    }

    /// Visits every incident `f` selects, in (occurred_s, id) order.
    pub async fn for_each_incident(
        &self,
        f: &IncidentFilter,
        mut visit: impl FnMut(&IncidentPoint),
    ) -> Result<(), StoreError> {
        match self.past_for(f) {
            None => self.index().for_each(f, visit),
            Some(past) => {
                let rows = past.store.rows(&past_filter(&self.geography, f)).await?;
                points(&self.geography, &rows).iter().for_each(&mut visit);
            }
        }
        Ok(())
    }

    /// Incidents per cell index (a vector over every cell). The database's counts are computed
    /// once for every request waiting on the same filter, and kept until the index is told of a
    /// change before its window, for at most [`Past::COUNTS_KEPT`].
    pub async fn cell_counts(&self, f: &IncidentFilter) -> Result<Vec<u32>, StoreError> {
        let n = self.geography.cells().len();
        let Some(past) = self.past_for(f) else { return Ok(self.index().cell_counts(f, n)) };
        let filter = past_filter(&self.geography, f);
        let changes = self.index().below_floor_changes();
        let counted = past
            .counts
            .get_or_compute((filter.clone(), changes), std::time::Instant::now(), || async {
                let mut counts = vec![0u32; n];
                for (code, count) in past.store.cell_counts(&filter).await? {
                    if let Some((idx, _)) = code.parse().ok().and_then(|c| self.geography.cell(c)) {
                        counts[idx as usize] = count.min(u64::from(u32::MAX)) as u32;
                    }
                }
                Ok::<_, StoreError>(counts)
            })
            .await?;
        Ok(counted.as_ref().clone())
    }

    /// Up to `limit` incidents newest first strictly after `cursor`, and the next cursor.
    pub async fn page(
        &self,
        f: &IncidentFilter,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<IncidentPoint>, Option<Cursor>), StoreError> {
        let (mut page, next) = self.index().page(f, limit, cursor);
        let Some(past) = self.past_for(f) else { return Ok((page, next)) };
        if next.is_some() {
            return Ok((page, next));
        }
        // Memory ran out: continue below the window's start, from the database.
        let older = IncidentFilter { to_s: Some(f.to_s.map_or(past.since_s, |t| t.min(past.since_s))), ..f.clone() };
        let after = page.last().map(IncidentPoint::key).or(cursor);
        let want = limit - page.len();
        let rows = past.store.page(&past_filter(&self.geography, &older), want + 1, after).await?;
        page.extend(points(&self.geography, &rows));
        let more = page.len() > limit;
        page.truncate(limit);
        let next = if more { page.last().map(IncidentPoint::key) } else { None };
        Ok((page, next))
    }

    /// The incidents layer of a vector tile (`f` carries the tile's buffered bounds).
    pub async fn incidents_tile(&self, id: &TileId, f: &IncidentFilter) -> Result<Vec<u8>, StoreError> {
        let Some(past) = self.past_for(f) else { return Ok(crate::tiles::incidents_tile(self, id, f)) };
        let spec = TileSpec {
            z: id.z,
            x: id.x,
            y: id.y,
            raw: id.z >= crate::tiles::RAW_ZOOM,
            raw_points_max: crate::tiles::RAW_POINTS_MAX,
            bin_px: crate::tiles::BIN_PX,
        };
        past.store.tile(&past_filter(&self.geography, f), spec).await
    }
}
