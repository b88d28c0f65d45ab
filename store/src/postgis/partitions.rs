//! Incidents in partitions by id (migration 0018). New rows go to an open partition holding
//! only its primary key and a BRIN index on the time; once every id of a partition is drawn, its
//! spatial, time and cell+time indexes are built over all its rows at once (`CREATE INDEX
//! CONCURRENTLY`, so reads and status changes go on meanwhile). That costs about a third of
//! keeping them row by row, and the write path pays none of it.
//!
//! Invariants:
//! - before a write draws ids, partitions exist for them ([`Partitions::before_write`]: the
//!   database makes them under a lock, half a partition ahead of the last id drawn);
//! - a partition marked `indexed` in `incident_partitions` has its three indexes, valid;
//! - a partition whose ids are all drawn is indexed by the instance that drew its last ids, in
//!   the background, or by any instance that writes later (a build that died leaves at most
//!   invalid indexes, dropped and built again).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

macro_rules! sql {
    ($name:literal) => {
        include_str!(concat!("sql/", $name, ".sql"))
    };
}

/// What this instance knows of the partitions.
#[derive(Debug)]
pub struct Partitions {
    /// End (exclusive) of the last partition known to exist; 0 before the first look.
    end: AtomicI64,
    /// Ids a partition holds, as last read.
    partition_ids: AtomicI64,
    /// The largest id this instance knows to be drawn.
    last_id: AtomicI64,
    /// End of the first partition whose indexes are not built (`i64::MAX`: none known).
    close_at: AtomicI64,
    /// Whether a task of this instance is building indexes.
    closing: AtomicBool,
    /// Whether a write asked for a build since the running task last looked.
    requested: AtomicBool,
    /// When a build last failed (seconds since the epoch; 0: never): none is tried again for
    /// [`RETRY_AFTER_FAILURE_S`].
    failed_at_s: AtomicI64,
}

/// How long after a failed build (a full disk, a lost connection) the next is tried.
const RETRY_AFTER_FAILURE_S: i64 = 60;

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Default for Partitions {
    fn default() -> Partitions {
        Partitions {
            end: AtomicI64::new(0),
            partition_ids: AtomicI64::new(0),
            last_id: AtomicI64::new(0),
            close_at: AtomicI64::new(i64::MAX),
            closing: AtomicBool::new(false),
            requested: AtomicBool::new(false),
            failed_at_s: AtomicI64::new(0),
        }
    }
}

impl Partitions {
    /// Before a write of `more` incidents whose ids the sequence draws: their partitions exist.
    /// Asks the database only when the last id known comes within a quarter of a partition of
    /// the end.
    pub async fn before_write(&self, c: &tokio_postgres::Client, more: usize) -> Result<(), tokio_postgres::Error> {
        let (end, partition_ids, last) = (
            self.end.load(Ordering::Acquire),
            self.partition_ids.load(Ordering::Relaxed),
            self.last_id.load(Ordering::Relaxed),
        );
        if end > 0 && last.saturating_add(more as i64).saturating_add(partition_ids / 4) < end {
            return Ok(());
        }
        self.ensure(c, more as i64).await.map(drop)
    }

    /// Partitions for the ids drawn, `more` and half a partition; refreshes what this instance
    /// knows of them. Answers the last id drawn.
    pub async fn ensure(&self, c: &tokio_postgres::Client, more: i64) -> Result<i64, tokio_postgres::Error> {
        let row = c.query_one(sql!("incident_partitions_ensure"), &[&more, &None::<i64>]).await?;
        let drawn: i64 = row.get(3);
        self.partition_ids.store(row.get(1), Ordering::Relaxed);
        self.close_at.store(row.get::<_, Option<i64>>(2).unwrap_or(i64::MAX), Ordering::Relaxed);
        self.last_id.fetch_max(drawn, Ordering::Relaxed);
        self.end.store(row.get(0), Ordering::Release);
        Ok(drawn)
    }

    /// After a commit that drew ids up to `max_id` (0: not known, the last id the database
    /// answered stands): whether a partition now has all its ids drawn and waits for its indexes.
    pub fn after_write(&self, max_id: i64) -> bool {
        let last = self.last_id.fetch_max(max_id, Ordering::Relaxed).max(max_id);
        last.saturating_add(1) >= self.close_at.load(Ordering::Relaxed)
    }

    /// Inside a restore's transaction: partitions for the ids below `end`, the restored ids in
    /// one. Leaves what this instance knows alone, since the transaction may roll back.
    pub async fn make_for_restore(c: &tokio_postgres::Client, end: i64) -> Result<(), tokio_postgres::Error> {
        c.query_one(sql!("incident_partitions_ensure"), &[&0i64, &Some(end)]).await.map(drop)
    }

    /// Builds the indexes of full partitions in the background, unless this instance already is
    /// (then that task looks again when it is done) or a build failed less than a minute ago.
    pub fn close_in_background(self: &Arc<Self>, pool: deadpool_postgres::Pool) {
        if now_s() - self.failed_at_s.load(Ordering::Relaxed) < RETRY_AFTER_FAILURE_S {
            return;
        }
        self.requested.store(true, Ordering::Release);
        if self.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        let partitions = self.clone();
        tokio::spawn(async move {
            loop {
                partitions.requested.store(false, Ordering::Release);
                // Passes until one indexes nothing (a partition may fill while another is built;
                // one that another instance is building is left to it).
                let done = async {
                    let c = pool.get().await.map_err(|e| e.to_string())?;
                    let mut closed = 0;
                    loop {
                        match partitions.close_full(&c).await.map_err(|e| e.to_string())? {
                            0 => return Ok::<usize, String>(closed),
                            n => closed += n,
                        }
                    }
                };
                match done.await {
                    Ok(n) if n > 0 => tracing::info!(partitions = n, "built the indexes of full incident partitions"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("building a full incident partition's indexes (again in a minute): {e}");
                        partitions.failed_at_s.store(now_s(), Ordering::Relaxed);
                        partitions.closing.store(false, Ordering::Release);
                        return;
                    }
                }
                partitions.closing.store(false, Ordering::Release);
                // A write that asked while this task ran found it running: look again for it.
                if !partitions.requested.load(Ordering::Acquire) || partitions.closing.swap(true, Ordering::AcqRel) {
                    return;
                }
            }
        });
    }

    /// Builds the indexes of every partition whose ids are all drawn and marks it indexed; one
    /// another instance is building is left to it. Answers how many this call indexed.
    pub async fn close_full(&self, c: &tokio_postgres::Client) -> Result<usize, tokio_postgres::Error> {
        let drawn = self.ensure(c, 0).await?;
        let full = c.query(sql!("incident_partitions_full"), &[&drawn]).await?;
        let mut closed = 0;
        for row in full {
            let partition: String = row.get(0);
            if !is_partition_name(&partition) {
                tracing::warn!(partition, "an incident partition with an unexpected name is left unindexed");
                continue;
            }
            let locked: bool = c.query_one(sql!("incident_partition_lock"), &[&partition]).await?.get(0);
            if !locked {
                continue;
            }
            let built = build_indexes(c, &partition).await;
            c.execute(sql!("incident_partition_unlock"), &[&partition]).await?;
            if built? {
                closed += 1;
            }
        }
        // What is left unindexed now.
        self.ensure(c, 0).await?;
        Ok(closed)
    }
}

/// A name `safegrid_add_incident_partition` gives (so it can be written into statements as is).
fn is_partition_name(name: &str) -> bool {
    name.strip_prefix("incidents_from_").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The three secondary indexes of `partition`, under its lock: drops any left invalid by a
/// build that died, builds the missing ones, marks the partition indexed. False when another
/// instance marked it meanwhile.
async fn build_indexes(c: &tokio_postgres::Client, partition: &str) -> Result<bool, tokio_postgres::Error> {
    let indexed: bool = c.query_one(sql!("incident_partition_indexed"), &[&partition]).await?.get(0);
    if indexed {
        return Ok(false);
    }
    let invalid = c.query(sql!("incident_partition_invalid_indexes"), &[&partition]).await?;
    for row in invalid {
        let index: String = row.get(0);
        c.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}")).await?;
    }
    for (suffix, definition) in [
        ("geom", "USING gist (geom)"),
        ("occurred_at", "(occurred_at, id)"),
        ("cell_occurred_at", "(cell_code, occurred_at)"),
    ] {
        let name = format!("{partition}_{suffix}");
        c.batch_execute(&format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {partition} {definition}")).await?;
    }
    c.batch_execute(&format!("ANALYZE {partition}")).await?;
    c.execute(sql!("incident_partition_mark_indexed"), &[&partition]).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::is_partition_name;

    #[test]
    fn only_generated_partition_names_are_written_into_statements() {
        assert!(is_partition_name("incidents_from_262145"));
        for bad in ["incidents_from_", "incidents_before", "incidents_from_1; DROP TABLE x", "incidents_from_1a"] {
            assert!(!is_partition_name(bad), "{bad}");
        }
    }
}
