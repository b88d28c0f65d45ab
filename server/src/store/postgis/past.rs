//! Queries reaching before the in-memory window, answered by PostGIS: filtering (GiST on the
//! point, btree on the time), per-cell counts (`GROUP BY`) and incident tiles (`ST_AsMVT` over an
//! `ST_SnapToGrid` aggregation) run in the database; only index fields or aggregates come back.

use super::store::{PgError, PgStore, db, incident_row};
use crate::store::IncidentRow;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

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

const HITS: &str = include_str!("sql/past_hits.sql");

fn with_hits(sql: &str) -> String {
    let hits: String = HITS.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
    sql.replace("/*hits*/", &hits)
}

static ROWS: LazyLock<String> = LazyLock::new(|| with_hits(include_str!("sql/past_rows.sql")));
static PAGE: LazyLock<String> = LazyLock::new(|| with_hits(include_str!("sql/past_page.sql")));
static CELL_COUNTS: LazyLock<String> = LazyLock::new(|| with_hits(include_str!("sql/past_cell_counts.sql")));
static TILE: LazyLock<String> = LazyLock::new(|| with_hits(include_str!("sql/past_tile.sql")));

type Params = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<Vec<f64>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
);

impl PastFilter {
    fn params(&self) -> Params {
        let (lo, hi) = match &self.cell_ranges {
            None => (None, None),
            Some(r) => (Some(r.iter().map(|x| x.0.clone()).collect()), Some(r.iter().map(|x| x.1.clone()).collect())),
        };
        (self.from, self.to, self.bbox.map(|b| b.to_vec()), self.categories.clone(), self.statuses.clone(), lo, hi)
    }
}

impl PgStore {
    /// Index fields of the filtered incidents, in (occurred_s, id) order.
    pub async fn past_rows(&self, f: &PastFilter) -> Result<Vec<IncidentRow>, PgError> {
        let c = self.client().await?;
        let p = f.params();
        let rows =
            c.query(ROWS.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6]).await.map_err(db("past incidents"))?;
        rows.iter().map(incident_row).collect()
    }

    /// Up to `limit` filtered incidents, newest first, strictly before `cursor` (occurred_s, id).
    pub async fn past_page(
        &self,
        f: &PastFilter,
        limit: usize,
        cursor: Option<(i64, u64)>,
    ) -> Result<Vec<IncidentRow>, PgError> {
        let c = self.client().await?;
        let p = f.params();
        let (cs, ci) = (cursor.map(|c| c.0), cursor.map(|c| c.1 as i64));
        let rows = c
            .query(PAGE.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6, &cs, &ci, &(limit as i64)])
            .await
            .map_err(db("past incident page"))?;
        rows.iter().map(incident_row).collect()
    }

    /// Filtered incidents counted per cell code.
    pub async fn past_cell_counts(&self, f: &PastFilter) -> Result<Vec<(String, u64)>, PgError> {
        let c = self.client().await?;
        let p = f.params();
        let rows = c
            .query(CELL_COUNTS.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6])
            .await
            .map_err(db("past cell counts"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<_, String>(0).map_err(db("read row"))?,
                    r.try_get::<_, i64>(1).map_err(db("read row"))? as u64,
                ))
            })
            .collect()
    }

    /// The incidents layer of one vector tile, encoded by PostGIS.
    pub async fn past_tile(&self, f: &PastFilter, t: TileSpec) -> Result<Vec<u8>, PgError> {
        let c = self.client().await?;
        let p = f.params();
        let (z, x, y) = (i32::from(t.z), t.x as i32, t.y as i32);
        let row = c
            .query_one(
                TILE.as_str(),
                &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6, &z, &x, &y, &t.raw, &(t.raw_points_max as i64), &t.bin_px],
            )
            .await
            .map_err(db("past tile"))?;
        row.try_get(0).map_err(db("read tile"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_gets_the_filter_and_keeps_no_comment_lines_inside() {
        for sql in [&*ROWS, &*PAGE, &*CELL_COUNTS, &*TILE] {
            assert!(!sql.contains("/*hits*/"));
            assert!(sql.contains("FROM incidents\nWHERE ($1::timestamptz IS NULL"), "{sql}");
        }
    }
}
