//! Queries reaching before the in-memory window, answered by PostGIS: filtering (GiST on the
//! point, btree on the time), per-cell counts (`GROUP BY`) and incident tiles (`ST_AsMVT` over an
//! `ST_SnapToGrid` aggregation) run in the database; only index fields or aggregates come back.
//! A read whose caller goes away is cancelled in the database ([`Abandonable`]).

use super::store::{PgError, PgStore, db, incident_row};
use crate::past::{PastFilter, PastReads, TileSpec};
use crate::{IncidentRow, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;
use tokio_postgres::NoTls;

const HITS: &str = include_str!("sql/past_hits.sql");

/// `sql` with the filter in place of `/*hits*/`, selecting cells by `cells` (comment lines left
/// out): a join (its text begins with `unnest`) in place of the incidents, or else a predicate
/// after the others.
fn with_hits(sql: &str, cells: &str) -> String {
    let code = |text: &str| text.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
    let cells = code(cells);
    let (from, and) = if cells.starts_with("unnest") { (cells.as_str(), "") } else { ("incidents i", cells.as_str()) };
    sql.replace("/*hits*/", &code(HITS).replace("/*from*/", from).replace("/*and*/", and))
}

/// The statements of one way of selecting cells.
struct Statements {
    rows: String,
    page: String,
    cell_counts: String,
    tile: String,
}

impl Statements {
    fn selecting(cells: &str) -> Statements {
        Statements {
            rows: with_hits(include_str!("sql/past_rows.sql"), cells),
            page: with_hits(include_str!("sql/past_page.sql"), cells),
            cell_counts: with_hits(include_str!("sql/past_cell_counts.sql"), cells),
            tile: with_hits(include_str!("sql/past_tile.sql"), cells),
        }
    }
}

/// Every cell, or one range of them.
static ONE_RANGE: LazyLock<Statements> =
    LazyLock::new(|| Statements::selecting(include_str!("sql/past_cells_one.sql")));
/// Any other number of ranges.
static RANGES: LazyLock<Statements> = LazyLock::new(|| Statements::selecting(include_str!("sql/past_cells_many.sql")));

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
    /// The statements for this filter's cells.
    fn statements(&self) -> &'static Statements {
        match &self.cell_ranges {
            Some(ranges) if ranges.len() != 1 => &RANGES,
            _ => &ONE_RANGE,
        }
    }

    fn params(&self) -> Params {
        let (lo, hi) = match &self.cell_ranges {
            None => (None, None),
            Some(r) => (Some(r.iter().map(|x| x.0.clone()).collect()), Some(r.iter().map(|x| x.1.clone()).collect())),
        };
        (self.from, self.to, self.bbox.map(|b| b.to_vec()), self.categories.clone(), self.statuses.clone(), lo, hi)
    }
}

/// A pooled connection lent to one read that its caller may abandon: an HTTP client that goes
/// away drops the request's future, and with it this guard. Dropped before [`Abandonable::done`],
/// the guard takes the connection out of the pool (no later read queues behind it, and the
/// cancel cannot reach a later read on it), asks PostgreSQL to cancel the statement, and keeps
/// the connection and its scan permit until the backend is idle again, so the permits count
/// what runs in the database. A finished read returns the connection to the pool.
pub(super) struct Abandonable(Option<deadpool_postgres::Object>, Option<tokio::sync::OwnedSemaphorePermit>);

/// How long an abandoned read's cancel may take to send, and its backend to become idle, before
/// the connection is closed regardless.
const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Abandonable {
    /// The connection, returned to the pool: the read finished (or failed) on its own.
    pub(super) fn done(mut self) {
        drop(self.0.take());
    }
}

impl std::ops::Deref for Abandonable {
    type Target = deadpool_postgres::Object;

    fn deref(&self) -> &deadpool_postgres::Object {
        // Only `done` (which consumes the guard) and `drop` take the connection.
        self.0.as_ref().unwrap_or_else(|| unreachable!("a guard is used only while it holds its connection"))
    }
}

impl Drop for Abandonable {
    fn drop(&mut self) {
        let Some(conn) = self.0.take() else { return };
        let cancel = conn.cancel_token();
        let client = deadpool_postgres::Object::take(conn);
        let permit = self.1.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // A cancel that reaches the backend before it starts the statement is ignored,
                // so it is sent again while the backend stays busy. An empty query queued behind
                // the abandoned one answers once the backend is idle.
                {
                    let idle = client.simple_query("");
                    tokio::pin!(idle);
                    let deadline = tokio::time::Instant::now() + CANCEL_WAIT;
                    loop {
                        let _ = tokio::time::timeout(CANCEL_WAIT, cancel.cancel_query(NoTls)).await;
                        tokio::select! {
                            _ = &mut idle => break,
                            () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
                        }
                        if tokio::time::Instant::now() >= deadline {
                            break;
                        }
                    }
                }
                drop((client, permit));
            });
        }
    }
}

impl PgStore {
    /// A connection for a read that may be abandoned ([`Abandonable`]), with a permit to scan
    /// ([`super::store::HEAVY_READS`]) held as long as the connection.
    pub(super) async fn abandonable(&self) -> Result<Abandonable, PgError> {
        let permit = self.heavy_read().await?;
        Ok(Abandonable(Some(self.client().await?), Some(permit)))
    }

    /// Index fields of the filtered incidents, in (occurred_s, id) order.
    async fn past_rows_pg(&self, f: &PastFilter) -> Result<Vec<IncidentRow>, PgError> {
        let c = self.abandonable().await?;
        let p = f.params();
        let rows = c.query(f.statements().rows.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6]).await;
        c.done();
        rows.map_err(db("past incidents"))?.iter().map(incident_row).collect()
    }

    /// Up to `limit` filtered incidents, newest first, strictly before `cursor` (occurred_s, id).
    async fn past_page_pg(
        &self,
        f: &PastFilter,
        limit: usize,
        cursor: Option<(i64, u64)>,
    ) -> Result<Vec<IncidentRow>, PgError> {
        let c = self.abandonable().await?;
        let p = f.params();
        let (cs, ci) = (cursor.map(|c| c.0), cursor.map(|c| c.1 as i64));
        let rows = c
            .query(f.statements().page.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6, &cs, &ci, &(limit as i64)])
            .await;
        c.done();
        rows.map_err(db("past incident page"))?.iter().map(incident_row).collect()
    }

    /// Filtered incidents counted per cell code.
    async fn past_cell_counts_pg(&self, f: &PastFilter) -> Result<Vec<(String, u64)>, PgError> {
        let c = self.abandonable().await?;
        let p = f.params();
        let rows = c.query(f.statements().cell_counts.as_str(), &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6]).await;
        c.done();
        rows.map_err(db("past cell counts"))?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<_, String>(0).map_err(db("read row"))?,
                    r.try_get::<_, i64>(1).map_err(db("read row"))? as u64,
                ))
            })
            .collect()
    }

    /// The incidents layer of one vector tile, encoded by PostGIS.
    async fn past_tile_pg(&self, f: &PastFilter, t: TileSpec) -> Result<Vec<u8>, PgError> {
        let c = self.abandonable().await?;
        let p = f.params();
        let (z, x, y) = (i32::from(t.z), t.x as i32, t.y as i32);
        let row = c
            .query_one(
                f.statements().tile.as_str(),
                &[&p.0, &p.1, &p.2, &p.3, &p.4, &p.5, &p.6, &z, &x, &y, &t.raw, &(t.raw_points_max as i64), &t.bin_px],
            )
            .await;
        c.done();
        row.map_err(db("past tile"))?.try_get(0).map_err(db("read tile"))
    }
}

#[async_trait]
impl PastReads for PgStore {
    async fn rows(&self, f: &PastFilter) -> Result<Vec<IncidentRow>, StoreError> {
        Ok(self.past_rows_pg(f).await?)
    }

    async fn page(
        &self,
        f: &PastFilter,
        limit: usize,
        cursor: Option<(i64, u64)>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        Ok(self.past_page_pg(f, limit, cursor).await?)
    }

    async fn cell_counts(&self, f: &PastFilter) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self.past_cell_counts_pg(f).await?)
    }

    async fn tile(&self, f: &PastFilter, t: TileSpec) -> Result<Vec<u8>, StoreError> {
        Ok(self.past_tile_pg(f, t).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_gets_the_filter_and_keeps_no_comment_lines_inside() {
        for (all, cells) in [(&*ONE_RANGE, "FROM incidents i\n"), (&*RANGES, "FROM unnest($6::text[]")] {
            for sql in [&all.rows, &all.page, &all.cell_counts, &all.tile] {
                assert!(!sql.contains("/*hits*/") && !sql.contains("/*from*/") && !sql.contains("/*and*/"), "{sql}");
                // The parts' comment lines are left out; the statement's own head stays.
                assert!(sql.lines().skip_while(|l| l.starts_with("--")).all(|l| !l.trim_start().starts_with("--")));
                assert!(sql.contains(cells), "{sql}");
                assert_eq!(sql.contains("i.cell_code BETWEEN ($6::text[])[1]"), std::ptr::eq(all, &*ONE_RANGE));
                assert!(sql.contains("WHERE ($1::timestamptz IS NULL"), "{sql}");
            }
        }
        let with =
            |n: usize| PastFilter { cell_ranges: Some(vec![("a".into(), "b".into()); n]), ..PastFilter::default() };
        assert!(std::ptr::eq(PastFilter::default().statements(), &*ONE_RANGE));
        assert!(std::ptr::eq(with(1).statements(), &*ONE_RANGE));
        assert!(std::ptr::eq(with(0).statements(), &*RANGES));
        assert!(std::ptr::eq(with(2).statements(), &*RANGES));
    }
}
