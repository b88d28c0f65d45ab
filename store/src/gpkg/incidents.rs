//! Incidents: inserting them (with their live-log events and audit), reading them back for the
//! indexes, and finding them by id or text.
//!
//! Invariant: a write of [`DERIVE_ALONGSIDE_FROM`] items or more runs `derive` on a second thread
//! while its rows are written, on the incidents as they would be stored if every item were new
//! and took the next id (the transaction is `BEGIN IMMEDIATE`, so no other writer moves them). It
//! keeps that result only when every outcome is a created incident with the assumed id, otherwise
//! derives again from the outcomes: either way the events equal what `derive` makes of the
//! created incidents (conformance: a retry first, in the middle, none).

use super::blob::{decode_point, encode_point};
use super::live_log::{Committed, append_events};
use super::users::insert_audit;
use super::{GpkgError, corrupt, millis, parse_enum, parse_time, sql};
use crate::{Audited, Derive, IncidentRow, InsertOutcome, Inserted, StoreError};
use crate::{audits_of, derived_by, stored_incident, write_events};
use chrono::{DateTime, Utc};
use model::scope::Scope;
use model::time::parse_utc_millis;
use model::{Category, CellCode, Incident, IncidentId, NewIncident, Placement, Severity, Source, Status, Subcategory};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;

/// Inserts one incident; `None` when its (source, external_id) is already stored (nothing written).
pub(super) fn insert_incident(
    tx: &rusqlite::Transaction<'_>,
    n: &NewIncident,
    p: &Placement,
) -> Result<Option<IncidentId>, GpkgError> {
    let mut stmt = tx.prepare_cached(sql!("insert_incident")).map_err(sql("prepare insert incident"))?;
    stmt.execute(params![
        encode_point(n.lon, n.lat),
        n.source.as_str(),
        n.external_id,
        n.category.as_str(),
        n.subcategory.map(|s| s.as_str()),
        millis(n.occurred_at),
        millis(n.reported_at),
        n.address,
        n.summary,
        n.reporter_name,
        n.reporter_phone,
        n.severity.as_str(),
        n.status.as_str(),
        p.county_code.to_string(),
        p.township_code.to_string(),
        p.village_code.to_string(),
        p.cell_code.to_string(),
    ])
    .map_err(sql("insert incident"))
    .map(|changed| (changed == 1).then(|| IncidentId(tx.last_insert_rowid() as u64)))
}

pub(super) fn incident_from_row(r: &Row<'_>) -> Result<Incident, GpkgError> {
    let get_s = |i: usize| r.get::<_, String>(i).map_err(sql("read incident"));
    let get_o = |i: usize| r.get::<_, Option<String>>(i).map_err(sql("read incident"));
    let blob: Vec<u8> = r.get(1).map_err(sql("read incident"))?;
    let point = decode_point(&blob).map_err(|e| corrupt("incident geometry", e))?;
    let cell_code = CellCode::parse(&get_s(14)?).map_err(|e| corrupt("cell code", e))?;
    let fields = NewIncident {
        source: parse_enum(&get_s(2)?, "source", Source::parse_label)?,
        external_id: get_o(3)?,
        category: parse_enum(&get_s(4)?, "category", Category::parse_label)?,
        subcategory: get_o(5)?.map(|s| parse_enum(&s, "subcategory", Subcategory::parse_label)).transpose()?,
        occurred_at: parse_time(&get_s(6)?)?,
        reported_at: parse_time(&get_s(7)?)?,
        lon: point.x(),
        lat: point.y(),
        address: get_o(8)?,
        summary: get_o(9)?,
        reporter_name: get_o(10)?,
        reporter_phone: get_o(11)?,
        severity: parse_enum(&get_s(12)?, "severity", Severity::parse_label)?,
        status: parse_enum(&get_s(13)?, "status", Status::parse_label)?,
    };
    let id: i64 = r.get(0).map_err(sql("read incident"))?;
    Ok(Incident { id: IncidentId(id as u64), fields, placement: Placement::of_cell(cell_code) })
}

pub(super) fn fetch_incident(conn: &Connection, id: IncidentId) -> Result<Option<Incident>, GpkgError> {
    let mut stmt = conn
        .prepare_cached(concat!(sql!("select_incident"), sql!("incident_by_id")))
        .map_err(sql("prepare select incident"))?;
    let mut rows = stmt.query([id.0 as i64]).map_err(sql("select incident"))?;
    match rows.next().map_err(sql("select incident"))? {
        Some(row) => incident_from_row(row).map(Some),
        None => Ok(None),
    }
}

pub(super) fn find_external(
    conn: &Connection,
    source: Source,
    external_id: &str,
) -> Result<Option<IncidentId>, GpkgError> {
    conn.prepare_cached(sql!("find_external"))
        .map_err(sql("prepare find external id"))?
        .query_row(params![source.as_str(), external_id], |r| r.get::<_, i64>(0))
        .optional()
        .map_err(sql("find external id"))
        .map(|o| o.map(|v| IncidentId(v as u64)))
}

/// The lowest and the highest id of the incidents that occurred at or after `since` (any time
/// when `None`: then two steps of the primary key, not a scan).
pub(super) fn id_span(
    conn: &mut Connection,
    since: Option<DateTime<Utc>>,
) -> Result<Option<std::ops::RangeInclusive<u64>>, GpkgError> {
    let (lo, hi): (Option<i64>, Option<i64>) = match since {
        None => conn.query_row(sql!("incident_id_span"), [], |r| Ok((r.get(0)?, r.get(1)?))),
        Some(t) => conn.query_row(sql!("incident_id_span_since"), params![millis(t)], |r| Ok((r.get(0)?, r.get(1)?))),
    }
    .map_err(sql("incident id span"))?;
    // Store ids are positive; a negative one (written by hand) is below every range read.
    Ok(lo.zip(hi).filter(|&(_, hi)| hi >= 0).map(|(lo, hi)| lo.max(0) as u64..=hi as u64))
}

pub(super) fn read_incident_rows(
    conn: &Connection,
    ids: std::ops::RangeInclusive<u64>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<IncidentRow>, GpkgError> {
    // Sized for a part of a start-up read (ids are dense), not for an open-ended range.
    let mut out = Vec::with_capacity((ids.end().saturating_sub(*ids.start()).saturating_add(1)).min(1 << 16) as usize);
    let mut st = conn.prepare_cached(sql!("select_incident_rows")).map_err(sql("prepare load incidents"))?;
    let (lo, hi) = (*ids.start().min(&(i64::MAX as u64)) as i64, *ids.end().min(&(i64::MAX as u64)) as i64);
    let mut rows = st.query(params![lo, hi, since.map(millis)]).map_err(sql("load incidents"))?;
    while let Some(r) = rows.next().map_err(sql("load incidents"))? {
        let text = |i: usize| -> Result<&str, GpkgError> {
            r.get_ref(i).map_err(sql("load incidents"))?.as_str().map_err(|e| corrupt("incident text", e))
        };
        let blob =
            r.get_ref(1).map_err(sql("load incidents"))?.as_blob().map_err(|e| corrupt("incident geometry", e))?;
        let p = decode_point(blob).map_err(|e| corrupt("incident geometry", e))?;
        let sub =
            r.get_ref(4).map_err(sql("load incidents"))?.as_str_or_null().map_err(|e| corrupt("subcategory", e))?;
        let occurred = text(5)?;
        let reported = text(6)?;
        out.push(IncidentRow {
            id: IncidentId(r.get::<_, i64>(0).map_err(sql("load incidents"))? as u64),
            lon: p.x(),
            lat: p.y(),
            source: parse_enum(text(2)?, "source", Source::parse_label)?,
            category: parse_enum(text(3)?, "category", Category::parse_label)?,
            subcategory: sub.map(|s| parse_enum(s, "subcategory", Subcategory::parse_label)).transpose()?,
            occurred_s: parse_utc_millis(occurred).ok_or_else(|| corrupt("timestamp", occurred))?.div_euclid(1000),
            reported_s: parse_utc_millis(reported).ok_or_else(|| corrupt("timestamp", reported))?.div_euclid(1000),
            severity: parse_enum(text(7)?, "severity", Severity::parse_label)?,
            status: parse_enum(text(8)?, "status", Status::parse_label)?,
            cell_code: CellCode::parse(text(9)?).map_err(|e| corrupt("cell code", e))?,
        });
    }
    Ok(out)
}

/// Fewest items of a write whose derived events are made on a second thread while its rows are
/// written (a thread is not worth it for the few items of a single report's group).
const DERIVE_ALONGSIDE_FROM: usize = 256;

/// Inserts `items` in one transaction; with `log`, each created incident's event is appended to
/// the live log, then what `derive` makes of the created incidents; returns the outcomes and
/// derived events, and everything the log got.
///
/// With many items the derived events are made on a second thread while the rows are written,
/// assuming every item is new and takes the next id in order (the transaction holds the write
/// lock from its start, so only a retry breaks that). The assumption is checked against the
/// outcomes; when it fails, what was made is dropped and `derive` runs again on the outcomes.
pub(super) fn insert_all(
    conn: &mut Connection,
    items: &[(NewIncident, Placement)],
    log: bool,
    by: &[Option<Audited>],
    derive: Option<&Derive>,
) -> Result<(Inserted, Committed), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql("begin"))?;
    let first_id = match derive {
        Some(_) if log && items.len() >= DERIVE_ALONGSIDE_FROM => Some(next_incident_id(&tx)?),
        _ => None,
    };
    std::thread::scope(|s| {
        let alongside = first_id.zip(derive).map(|(first, derive)| {
            s.spawn(move || {
                let assumed: Vec<Incident> =
                    (first..).zip(items).map(|(id, (n, p))| stored_incident(n, p, IncidentId(id))).collect();
                derive(&assumed.iter().collect::<Vec<_>>())
            })
        });
        let out = insert_rows(&tx, items)?;
        let (mut logged, mut derived) = (Committed::default(), Vec::new());
        if log {
            let as_assumed = first_id.is_some_and(|first| {
                (first..).zip(&out).all(|(id, o)| o.created().is_some_and(|i| i.id == IncidentId(id)))
            });
            // The incidents' own events are made before waiting for the second thread.
            let (events, own) = write_events(&out, |created| {
                let made = alongside.and_then(|h| h.join().ok()).filter(|_| as_assumed);
                made.unwrap_or_else(|| derived_by(derive)(created))
            });
            logged = append_events(&tx, &events)?;
            derived = logged.events[own..].to_vec();
        }
        for entry in audits_of(&out, by) {
            insert_audit(&tx, &entry)?;
        }
        tx.commit().map_err(sql("commit incidents"))?;
        Ok((Inserted { outcomes: out, derived }, logged))
    })
}

/// The id AUTOINCREMENT gives the next incident: one past the larger of the table's last row and
/// its high-water mark.
fn next_incident_id(tx: &rusqlite::Transaction<'_>) -> Result<u64, GpkgError> {
    let last: i64 = tx.query_row(sql!("next_incident_id"), [], |r| r.get(0)).map_err(sql("next incident id"))?;
    Ok(last as u64 + 1)
}

/// Writes the rows of `items` in order: a new report is stored; a retry of a stored one (same
/// source and external_id, same content) writes nothing and answers the stored incident; a key
/// reused with other content fails the whole write.
fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    items: &[(NewIncident, Placement)],
) -> Result<Vec<InsertOutcome>, StoreError> {
    let mut out = Vec::with_capacity(items.len());
    let mut keys: HashMap<(Source, &str), usize> = HashMap::new();
    for (index, (n, p)) in items.iter().enumerate() {
        // Insert first; only a clash on the key needs the stored report.
        let Some(id) = insert_incident(tx, n, p)? else {
            let ext = n.external_id.as_deref().unwrap_or_default();
            let id = find_external(tx, n.source, ext)?.ok_or_else(|| corrupt("incident", "key clash without a row"))?;
            let stored = fetch_incident(tx, id)?.ok_or_else(|| corrupt("incident", "vanished during insert"))?;
            if !stored.fields.same_report(n) {
                // Dropping the transaction rolls back every earlier item of the batch.
                return Err(match keys.get(&(n.source, ext)) {
                    Some(&first) => StoreError::Repeated { index, first },
                    None => StoreError::Conflict { index, existing: id },
                });
            }
            out.push(InsertOutcome::Existing(stored));
            continue;
        };
        if let Some(ext) = &n.external_id {
            keys.insert((n.source, ext.as_str()), index);
        }
        out.push(InsertOutcome::Created(stored_incident(n, p, id)));
    }
    Ok(out)
}

/// [`Store::incidents_by_id`](crate::Store::incidents_by_id): those of `ids` that are stored and
/// in `scope`, in the order asked.
pub(super) fn by_id(c: &Connection, scope: &Scope, ids: Vec<IncidentId>) -> Result<Vec<Incident>, GpkgError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(i) = fetch_incident(c, id)?.filter(|i| scope.allows_cell(i.placement.cell_code)) {
            out.push(i);
        }
    }
    Ok(out)
}

/// [`Store::search_incidents`](crate::Store::search_incidents): incidents in `scope` whose
/// external id is `text` or whose address or summary holds it, newest first, at most `limit`.
pub(super) fn search(c: &Connection, scope: &Scope, text: &str, limit: usize) -> Result<Vec<Incident>, GpkgError> {
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut st =
        c.prepare_cached(concat!(sql!("select_incident"), sql!("search_incidents"))).map_err(sql("prepare search"))?;
    // Read past the limit so that matches outside the scope do not starve the answer.
    let mut rows = st.query(params![text, pattern, (limit * 20) as i64]).map_err(sql("search"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("search"))? {
        let i = incident_from_row(r)?;
        if scope.allows_cell(i.placement.cell_code) {
            out.push(i);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}
