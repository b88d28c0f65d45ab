//! Incident queries a store answers in place, for a server that keeps only a recent window of
//! incidents in memory: filtering, per-cell counts, pages and vector tiles computed by the
//! database, so only index fields or aggregates come back.

use crate::{IncidentRow, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A filter in database terms (built from an `IncidentFilter` by the caller, who knows the
/// geography). `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PastFilter {
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// [min_lon, min_lat, max_lon, max_lat].
    pub bbox: Option<[f64; 4]>,
    /// Category names.
    pub categories: Option<Vec<String>>,
    /// Status names.
    pub statuses: Option<Vec<String>>,
    /// Inclusive cell-code ranges (`None`: every cell; an empty list: none).
    pub cell_ranges: Option<Vec<(String, String)>>,
}

/// Vector-tile settings shared with the in-memory encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileSpec {
    /// Zoom, column, row.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Single points whatever their number (zoom at or past the raw zoom).
    pub raw: bool,
    /// Single points when at most this many fall in the tile.
    pub raw_points_max: usize,
    /// Cluster grid side in tile pixels.
    pub bin_px: f64,
}

/// A store that filters, counts, pages and tiles incidents in place (PostGIS; see
/// [`crate::Store::past_reads`]).
#[async_trait]
pub trait PastReads: Send + Sync + 'static {
    /// Index fields of the filtered incidents, in (occurred_s, id) order.
    async fn rows(&self, f: &PastFilter) -> Result<Vec<IncidentRow>, StoreError>;
    /// Up to `limit` filtered incidents, newest first, strictly before `cursor` (occurred_s, id).
    async fn page(
        &self,
        f: &PastFilter,
        limit: usize,
        cursor: Option<(i64, u64)>,
    ) -> Result<Vec<IncidentRow>, StoreError>;
    /// Filtered incidents counted per cell code.
    async fn cell_counts(&self, f: &PastFilter) -> Result<Vec<(String, u64)>, StoreError>;
    /// The incidents layer of one vector tile, encoded by the database.
    async fn tile(&self, f: &PastFilter, t: TileSpec) -> Result<Vec<u8>, StoreError>;
}
