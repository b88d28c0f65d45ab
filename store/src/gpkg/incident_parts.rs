//! The index fields of the incidents, packed per part of the id range, so that a start-up reads
//! about 53 bytes an incident from one blob instead of every incident's whole row (its texts
//! included) with its timestamps and labels parsed again.
//!
//! A part is the ids `k << PART_ID_BITS ..= ((k + 1) << PART_ID_BITS) - 1`
//! ([`crate::INCIDENT_PART_IDS`] of them), its blob a row of `incident_parts`.
//!
//! Invariant: a part's blob is used only when it holds exactly the index fields of the rows of
//! `incidents` in the part. Triggers (`sql/incident_parts.sql`) delete the blob in the same
//! transaction as any delete, or change of an index field, of a row in the part, whoever writes
//! it (this server or a GIS tool editing the GeoPackage). An insert only adds a row, so the
//! part's count, read in the same snapshot as the blob, shows it: the blob is used only when it
//! holds as many rows as the part. A blob is written only under the writer's lock, from the rows
//! read in the same transaction. A blob of another format (another taxonomy's lists) is not
//! used either: the rows are read instead.

use super::GpkgError;
use super::incidents::read_incident_rows;
use crate::{INCIDENT_PART_IDS, IncidentRow};
use model::{Category, CellCode, IncidentId, Severity, Source, Status, Subcategory};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

/// log2 of the ids in a part.
pub(super) const PART_ID_BITS: u32 = INCIDENT_PART_IDS.trailing_zeros();
const _: () = assert!(1 << PART_ID_BITS == INCIDENT_PART_IDS);

/// The blob's first bytes.
const MAGIC: &[u8; 4] = b"SGP1";
/// Magic, format fingerprint, row count.
const HEADER_BYTES: usize = 4 + 8 + 4;
/// id, lon, lat, occurred, reported, cell code (8 bytes each); category, subcategory (0 for
/// none, else its index + 1), status, severity, source (1 byte each).
const ROW_BYTES: usize = 6 * 8 + 5;

/// The part holding an id.
pub(super) fn part_of(id: u64) -> u64 {
    id >> PART_ID_BITS
}

/// The ids of a part.
pub(super) fn ids_of(part: u64) -> RangeInclusive<u64> {
    part << PART_ID_BITS..=((part + 1) << PART_ID_BITS) - 1
}

/// The triggers' and table's statements, with the part size filled in.
pub(super) fn schema() -> String {
    sql!("incident_parts").replace("{bits}", &PART_ID_BITS.to_string())
}

/// FNV-1a over the row layout and the names of the taxonomy in force and of the other enums, in
/// index order: a blob written under other lists (another build, or a city's own taxonomy) is
/// not read.
fn fingerprint() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0)) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&ROW_BYTES.to_string());
    for list in [
        Category::all().iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        Subcategory::all().iter().map(|v| v.as_str()).collect(),
        Status::ALL.iter().map(|v| v.as_str()).collect(),
        Severity::ALL.iter().map(|v| v.as_str()).collect(),
        Source::ALL.iter().map(|v| v.as_str()).collect(),
    ] {
        for name in list {
            eat(name);
        }
        eat("|");
    }
    h
}

/// The rows packed (in the order given).
pub(super) fn encode(rows: &[IncidentRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + rows.len() * ROW_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&fingerprint().to_le_bytes());
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for r in rows {
        out.extend_from_slice(&r.id.0.to_le_bytes());
        out.extend_from_slice(&r.lon.to_le_bytes());
        out.extend_from_slice(&r.lat.to_le_bytes());
        out.extend_from_slice(&r.occurred_s.to_le_bytes());
        out.extend_from_slice(&r.reported_s.to_le_bytes());
        out.extend_from_slice(&r.cell_code.as_u64().to_le_bytes());
        out.push(r.category.index());
        out.push(r.subcategory.map_or(0, |s| s.index() + 1));
        out.push(r.status.index());
        out.push(r.severity.index());
        out.push(r.source.index());
    }
    out
}

/// The rows of a blob whose ids lie in `ids`; `None` when it is not a blob of this format.
#[cfg(test)]
fn decode(blob: &[u8], ids: &RangeInclusive<u64>) -> Option<Vec<IncidentRow>> {
    decode_rows(blob, rows_in(blob)?, ids)
}

/// The rows of a blob whose header was read as holding `rows`.
fn decode_rows(blob: &[u8], rows: u64, ids: &RangeInclusive<u64>) -> Option<Vec<IncidentRow>> {
    let n = usize::try_from(rows).ok()?;
    let body = blob.get(HEADER_BYTES..)?;
    if body.len() != n.checked_mul(ROW_BYTES)? {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for r in body.chunks_exact(ROW_BYTES) {
        let word = |k: usize| -> Option<[u8; 8]> { r[8 * k..8 * k + 8].try_into().ok() };
        let id = u64::from_le_bytes(word(0)?);
        if !ids.contains(&id) {
            continue;
        }
        let e = &r[48..];
        out.push(IncidentRow {
            id: IncidentId(id),
            lon: f64::from_le_bytes(word(1)?),
            lat: f64::from_le_bytes(word(2)?),
            occurred_s: i64::from_le_bytes(word(3)?),
            reported_s: i64::from_le_bytes(word(4)?),
            cell_code: CellCode::from_u64(u64::from_le_bytes(word(5)?))?,
            category: Category::from_index(e[0])?,
            subcategory: match e[1] {
                0 => None,
                k => Some(Subcategory::from_index(k - 1)?),
            },
            status: Status::from_index(e[2])?,
            severity: Severity::from_index(e[3])?,
            source: Source::from_index(e[4])?,
        });
    }
    Some(out)
}

/// The index fields of the incidents in `ids` (within one part), from the part's blob when it
/// is of this format and holds as many rows as the part, else from the rows.
pub(super) fn read_rows(conn: &Connection, ids: RangeInclusive<u64>) -> Result<Vec<IncidentRow>, GpkgError> {
    debug_assert_eq!(part_of(*ids.start()), part_of(*ids.end()));
    let part = part_of(*ids.start());
    let whole = ids_of(part);
    // The blob and the count in one snapshot.
    let tx = conn.unchecked_transaction().map_err(super::sql("begin"))?;
    let blob: Option<Vec<u8>> = tx
        .prepare_cached(sql!("incident_part"))
        .and_then(|mut st| st.query_row(params![part as i64], |r| r.get(0)).optional())
        .map_err(super::sql("read incident part"))?;
    let Some(blob) = blob else { return read_incident_rows(&tx, ids, None) };
    let held: i64 = tx
        .prepare_cached(sql!("incident_part_count"))
        .and_then(|mut st| st.query_row(params![sql_id(*whole.start()), sql_id(*whole.end())], |r| r.get(0)))
        .map_err(super::sql("count incident part"))?;
    // A blob one row short of the part (a row inserted since) or of another format is not read.
    match rows_in(&blob).filter(|&n| n == held as u64).and_then(|n| decode_rows(&blob, n, &ids)) {
        Some(rows) => Ok(rows),
        None => read_incident_rows(&tx, ids, None),
    }
}

/// How many rows a blob of this format holds (`None` for another format).
fn rows_in(blob: &[u8]) -> Option<u64> {
    let header = blob.get(..HEADER_BYTES)?;
    (&header[..4] == MAGIC && header[4..12] == fingerprint().to_le_bytes())
        .then(|| u64::from(u32::from_le_bytes([header[12], header[13], header[14], header[15]])))
}

/// An id as SQLite's integer (ids past its range are past every row).
fn sql_id(id: u64) -> i64 {
    id.min(i64::MAX as u64) as i64
}

/// The parts of `span` below the one holding its newest id (that one still fills) that have no
/// blob of this format holding as many rows as the part.
pub(super) fn parts_to_pack(conn: &Connection, span: RangeInclusive<u64>) -> Result<Vec<u64>, GpkgError> {
    let tx = conn.unchecked_transaction().map_err(super::sql("begin"))?;
    let held: HashMap<u64, u64> = {
        let mut st = tx.prepare_cached(sql!("incident_part_counts")).map_err(super::sql("count incident parts"))?;
        st.query_map(params![PART_ID_BITS, sql_id(*span.start()), sql_id(*span.end())], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })
        .map_err(super::sql("count incident parts"))?
        .collect::<Result<_, _>>()
        .map_err(super::sql("count incident parts"))?
    };
    let packed: HashSet<u64> = {
        let mut st = tx.prepare_cached(sql!("incident_part_headers")).map_err(super::sql("list incident parts"))?;
        st.query_map(params![HEADER_BYTES as i64], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)))
            .map_err(super::sql("list incident parts"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(super::sql("list incident parts"))?
            .into_iter()
            .filter(|(part, head)| rows_in(head) == Some(held.get(part).copied().unwrap_or(0)))
            .map(|(part, _)| part)
            .collect()
    };
    Ok((part_of(*span.start())..part_of(*span.end())).filter(|p| !packed.contains(p)).collect())
}

/// Packs the parts of incidents as they are inserted, in id order, into a table that held none
/// of their parts' rows before (a world written whole): each part, once the next begins, from
/// the rows as written. The newest part is left unpacked (it still fills).
#[derive(Default)]
pub(super) struct Packing {
    part: Option<u64>,
    rows: Vec<IncidentRow>,
}

impl Packing {
    /// The next incident inserted.
    pub(super) fn push(&mut self, tx: &Connection, row: IncidentRow) -> Result<(), GpkgError> {
        let part = part_of(row.id.0);
        if self.part != Some(part) {
            if let Some(done) = self.part {
                write_part(tx, done, &self.rows)?;
            }
            self.part = Some(part);
            self.rows.clear();
        }
        self.rows.push(row);
        Ok(())
    }
}

/// Packs one part: reads its rows and writes its blob in one transaction on the writer's
/// connection (so no write comes between); how many rows it holds.
pub(super) fn pack(conn: &mut Connection, part: u64) -> Result<usize, GpkgError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(super::sql("begin"))?;
    let rows = read_incident_rows(&tx, ids_of(part), None)?;
    write_part(&tx, part, &rows)?;
    tx.commit().map_err(super::sql("commit"))?;
    Ok(rows.len())
}

/// Writes a part's blob from its rows (in place of any blob it had).
fn write_part(tx: &Connection, part: u64, rows: &[IncidentRow]) -> Result<(), GpkgError> {
    tx.execute(sql!("insert_incident_part"), params![part as i64, encode(rows)])
        .map_err(super::sql("write incident part"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Store;
    use crate::gpkg::GpkgStore;
    use chrono::{Duration, TimeZone, Utc};
    use model::{NewIncident, Placement};

    /// A fresh store in its own directory, and the directory.
    fn fresh_store() -> (GpkgStore, std::path::PathBuf) {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("safegrid-parts-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        (GpkgStore::open(&dir).unwrap(), dir)
    }

    /// `n` incidents of every kind of field value: categories, with and without a subcategory,
    /// statuses, severities, sources, places and times.
    fn incidents(n: usize, salt: usize) -> Vec<(NewIncident, Placement)> {
        let cells = ["620602001001007", "620621100201001", "620602001001999"];
        let t0 = Utc.with_ymd_and_hms(2026, 10, 31, 12, 0, 0).unwrap();
        (0..n)
            .map(|k| {
                let k = k + salt;
                let category = Category::from_index((k % Category::count()) as u8).unwrap();
                let t = t0 - Duration::minutes(k as i64 * 37);
                let cell: CellCode = cells[k % cells.len()].parse().unwrap();
                let new = NewIncident {
                    source: Source::ALL[k % Source::ALL.len()],
                    external_id: None,
                    category,
                    subcategory: if k.is_multiple_of(2) { Subcategory::of(category).next() } else { None },
                    occurred_at: t,
                    reported_at: t + Duration::minutes(3),
                    lon: 102.6 + k as f64 * 1e-4,
                    lat: 37.9 - k as f64 * 1e-4,
                    address: Some(format!("地址 {k}")),
                    summary: None,
                    reporter_name: None,
                    reporter_phone: None,
                    severity: Severity::ALL[k % Severity::ALL.len()],
                    status: Status::ALL[k % Status::ALL.len()],
                };
                (new, Placement::of_cell(cell))
            })
            .collect()
    }

    /// The next incident written takes id `next`.
    fn jump_ids_to(raw: &Connection, next: u64) {
        raw.execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'incidents'", params![next as i64 - 1]).unwrap();
    }

    fn packed_parts(raw: &Connection) -> Vec<u64> {
        let mut st = raw.prepare("SELECT part FROM incident_parts ORDER BY part").unwrap();
        st.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|p| p.unwrap() as u64).collect()
    }

    /// What the rows of `incidents` say, read past the packed parts.
    fn truth(raw: &Connection, ids: RangeInclusive<u64>) -> Vec<IncidentRow> {
        read_incident_rows(raw, ids, None).unwrap()
    }

    #[tokio::test]
    async fn packed_parts_read_as_the_rows_and_any_change_to_a_part_unpacks_it() {
        let (store, dir) = fresh_store();
        let raw = Connection::open(store.path()).unwrap();
        // Parts 0, 3 and 5 hold incidents; 1, 2 and 4 none; 5 is the newest.
        store.bulk_load(incidents(40, 0)).await.unwrap();
        jump_ids_to(&raw, 3 * INCIDENT_PART_IDS + 7);
        store.bulk_load(incidents(30, 40)).await.unwrap();
        jump_ids_to(&raw, 5 * INCIDENT_PART_IDS + 1);
        store.bulk_load(incidents(5, 70)).await.unwrap();
        let span = store.incident_id_span(None).await.unwrap().unwrap();
        assert_eq!(part_of(*span.end()), 5);

        assert_eq!(store.pack_incident_parts().await.unwrap(), 5, "parts 0 to 4; the newest still fills");
        assert_eq!(packed_parts(&raw), vec![0, 1, 2, 3, 4]);
        assert_eq!(store.pack_incident_parts().await.unwrap(), 0, "nothing left to pack");
        let all = truth(&raw, span.clone());
        assert_eq!(all.len(), 75);
        // Whole parts and pieces of them (a start-up's first and last), from the blobs.
        let read = |ids: RangeInclusive<u64>| store.incident_rows(ids, None);
        for part in 0..=5 {
            assert_eq!(read(ids_of(part)).await.unwrap(), truth(&raw, ids_of(part)), "part {part}");
        }
        let piece = 3 * INCIDENT_PART_IDS + 10..=3 * INCIDENT_PART_IDS + 20;
        assert_eq!(read(piece.clone()).await.unwrap(), truth(&raw, piece.clone()));
        assert_eq!(read(piece.clone()).await.unwrap().len(), 11);
        // The rows really come from the blob: a blob edited by hand is what is read.
        let blob: Vec<u8> = raw.query_row("SELECT rows FROM incident_parts WHERE part = 0", [], |r| r.get(0)).unwrap();
        let mut edited = decode(&blob, &ids_of(0)).unwrap();
        edited[0].lon = 0.5;
        raw.execute("UPDATE incident_parts SET rows = ?1 WHERE part = 0", params![encode(&edited)]).unwrap();
        assert_eq!(read(ids_of(0)).await.unwrap()[0].lon, 0.5);

        // Changing a field the index does not hold keeps the part packed.
        let first_of_3 = all.iter().find(|r| part_of(r.id.0) == 3).unwrap().id.0;
        let changed = raw
            .execute(
                "UPDATE incidents SET summary = '补充', address = NULL WHERE fid = ?1",
                params![(first_of_3 + 5) as i64],
            )
            .unwrap();
        assert_eq!(changed, 1);
        assert_eq!(packed_parts(&raw), vec![0, 1, 2, 3, 4]);
        // A status change and a deleted row unpack their parts, in the same transaction, by
        // whoever writes (here a plain SQLite connection, as a GIS tool); a row inserted into a
        // packed part (its id given) leaves the blob one row short, so it is not used.
        raw.execute("UPDATE incidents SET status = 'closed' WHERE fid = 3", []).unwrap();
        raw.execute("DELETE FROM incidents WHERE fid = ?1", params![first_of_3 as i64]).unwrap();
        raw.execute(
            "INSERT INTO incidents (fid, geom, source, category, occurred_at, reported_at, severity, status, county_code, township_code, village_code, cell_code)
             SELECT ?1, geom, source, category, occurred_at, reported_at, severity, status, county_code, township_code, village_code, cell_code
             FROM incidents WHERE fid = 1",
            params![(4 * INCIDENT_PART_IDS + 9) as i64],
        )
        .unwrap();
        assert_eq!(packed_parts(&raw), vec![1, 2, 4]);
        for part in 0..=5 {
            assert_eq!(read(ids_of(part)).await.unwrap(), truth(&raw, ids_of(part)), "part {part} after the changes");
        }
        assert_eq!(read(3..=3).await.unwrap()[0].status, Status::Closed);
        assert_eq!(store.pack_incident_parts().await.unwrap(), 3);
        for part in 0..=5 {
            assert_eq!(read(ids_of(part)).await.unwrap(), truth(&raw, ids_of(part)), "part {part} packed again");
        }

        // A blob of another format (another taxonomy's lists, another layout) is not read, and
        // is packed again.
        let mut foreign: Vec<u8> =
            raw.query_row("SELECT rows FROM incident_parts WHERE part = 0", [], |r| r.get(0)).unwrap();
        foreign[5] ^= 1;
        raw.execute("UPDATE incident_parts SET rows = ?1 WHERE part = 0", params![foreign]).unwrap();
        assert_eq!(read(ids_of(0)).await.unwrap(), truth(&raw, ids_of(0)));
        assert_eq!(store.pack_incident_parts().await.unwrap(), 1);
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_world_written_whole_is_packed_as_its_rows_read_back() {
        let (store, dir) = fresh_store();
        let raw = Connection::open(store.path()).unwrap();
        store.bulk_load(incidents(5, 0)).await.unwrap();
        // The world's 30 incidents take the last 9 ids of part 0 and the first 21 of part 1.
        jump_ids_to(&raw, INCIDENT_PART_IDS - 9);
        let world =
            crate::WorldData { geography: Default::default(), incidents: incidents(30, 3), demo_truth_json: None };
        store.replace_world(world).await.unwrap();
        assert_eq!(packed_parts(&raw), vec![0], "part 1, the newest, still fills");
        let blob: Vec<u8> = raw.query_row("SELECT rows FROM incident_parts WHERE part = 0", [], |r| r.get(0)).unwrap();
        let part_0 = truth(&raw, ids_of(0));
        assert_eq!(part_0.len(), 9);
        assert_eq!(decode(&blob, &ids_of(0)).unwrap(), part_0, "packed from memory as the rows read back");
        assert_eq!(store.pack_incident_parts().await.unwrap(), 0);
        for part in 0..=1 {
            assert_eq!(store.incident_rows(ids_of(part), None).await.unwrap(), truth(&raw, ids_of(part)));
        }
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_blob_decodes_to_its_rows_and_nothing_else_decodes() {
        let rows: Vec<IncidentRow> = incidents(50, 0)
            .iter()
            .enumerate()
            .map(|(k, (n, p))| {
                let row = IncidentRow::stored(IncidentId(1000 + k as u64), n, p);
                // Every second one long before 1970.
                IncidentRow { occurred_s: row.occurred_s - 1_000_000_000_000 * (k as i64 % 2), ..row }
            })
            .collect();
        let blob = encode(&rows);
        assert_eq!(blob.len(), HEADER_BYTES + 50 * ROW_BYTES);
        assert_eq!(decode(&blob, &(0..=u64::MAX)).unwrap(), rows);
        assert_eq!(decode(&blob, &(1010..=1019)).unwrap(), rows[10..20].to_vec());
        assert!(decode(&blob[..blob.len() - 1], &(0..=u64::MAX)).is_none(), "a short blob");
        assert!(decode(&blob[..3], &(0..=u64::MAX)).is_none(), "a stub");
        let mut bad_cell = blob.clone();
        bad_cell[HEADER_BYTES + 40..HEADER_BYTES + 48].copy_from_slice(&620602001001000u64.to_le_bytes());
        assert!(decode(&bad_cell, &(0..=u64::MAX)).is_none(), "a cell code of no cell's shape");
        let mut bad_status = blob;
        bad_status[HEADER_BYTES + 50] = 200;
        assert!(decode(&bad_status, &(0..=u64::MAX)).is_none(), "a status out of the list");
    }
}
