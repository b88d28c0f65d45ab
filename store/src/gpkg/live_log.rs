//! The live log: appending events (packed rows), reading them back, the events this store
//! committed lately, and status changes (an incident's row and its event in one transaction).
//!
//! Invariant: `events_after` is answered from [`RecentEvents`] (pushed under the writer's lock,
//! so in `seq` order) only when the page is held whole from `after + 1` without a missing `seq`;
//! anything older, or a gap left by another writer of the file, is read from the file. Both
//! answers are equal page by page (`tests/it/store.rs`).

use super::incidents::fetch_incident;
use super::{GpkgError, corrupt, millis, parse_enum, parse_time, sql};
use crate::{StoreError, to_millis};
use chrono::{DateTime, Utc};
use model::live::{LiveEvent, LiveKind, NewLiveEvent};
use model::workflow::Transition;
use model::{Category, CellCode, IncidentId};
use rusqlite::{Connection, Row, params};
use std::collections::VecDeque;

/// Live-log events kept in memory after their commit: two batches of 10,000 reports with a
/// link event each (what two feeds can commit before the pump reads); a few hundred bytes each.
const RECENT_EVENTS: usize = 50_000;

/// Live-log events as committed, with the `seq` of each stored row (a packed row's is its last
/// event's).
#[derive(Debug, Default)]
pub(super) struct Committed {
    pub(super) events: Vec<LiveEvent>,
    row_seqs: Vec<u64>,
}

impl Committed {
    /// One event in a row of its own.
    pub(super) fn one(e: &LiveEvent) -> Committed {
        Committed { events: vec![e.clone()], row_seqs: vec![e.seq] }
    }
}

/// The live-log events this store committed lately, in `seq` order, as a read returns them,
/// each with its row's `seq`: the pump asks for what was just written, and reading back and
/// unpacking the packed rows cost as much CPU as writing them. A page is answered here only
/// when it is held whole and without gaps from `after + 1`; an event written by another process
/// (the CLI on the same file) leaves a gap in this store's seqs, and a gap or an older seq is
/// read from the file.
#[derive(Default)]
pub(super) struct RecentEvents(VecDeque<(LiveEvent, u64)>);

impl RecentEvents {
    /// Keeps `committed` (in seq order, after everything held), dropping the oldest past
    /// [`RECENT_EVENTS`].
    pub(super) fn push(&mut self, committed: Committed) {
        let mut rows = committed.row_seqs.into_iter().peekable();
        for e in committed.events {
            while rows.next_if(|&row| row < e.seq).is_some() {}
            let row = rows.peek().copied().unwrap_or(e.seq);
            self.0.push_back((e, row));
        }
        let excess = self.0.len().saturating_sub(RECENT_EVENTS);
        self.0.drain(..excess);
    }

    /// [`Store::events_after`] from memory: events from `after + 1` on, whole rows until there
    /// are `limit`; `None` unless `after + 1` is held and no seq is missing up to the page's end
    /// or the last event held.
    ///
    /// [`Store::events_after`]: crate::Store::events_after
    pub(super) fn after(&self, after: u64, limit: usize) -> Option<Vec<LiveEvent>> {
        let start = self.0.partition_point(|(e, _)| e.seq <= after);
        let mut out: Vec<LiveEvent> = Vec::new();
        let mut last_row = None;
        for ((e, row), seq) in self.0.range(start..).zip(after + 1..) {
            if out.len() >= limit && last_row != Some(*row) {
                break;
            }
            if e.seq != seq {
                return None;
            }
            out.push(e.clone());
            last_row = Some(*row);
        }
        (!out.is_empty()).then_some(out)
    }
}

/// Appends `events` to the live log in order, runs of packable kinds packed into one row each
/// (`model::live::pack`); a row's seq is the last of the seqs it holds, so the next seq is one
/// past the larger of the table's last row and AUTOINCREMENT's high-water mark.
pub(super) fn append_events(tx: &rusqlite::Transaction<'_>, events: &[NewLiveEvent]) -> Result<Committed, GpkgError> {
    let mut st = tx.prepare_cached(sql!("append_event")).map_err(sql("prepare append event"))?;
    let rows = model::live::pack(events);
    let mut row_seqs = Vec::with_capacity(rows.len());
    for row in &rows {
        let e = &row.event;
        st.execute(params![
            millis(e.at),
            e.kind.as_str(),
            e.subject as i64,
            e.cell_code.map(|c| c.to_string()),
            e.category.map(|c| c.as_str()),
            e.actor,
            e.data,
            row.span,
        ])
        .map_err(sql("append event"))?;
        row_seqs.push(tx.last_insert_rowid() as u64);
    }
    // As a read returns them: times to the millisecond.
    let mut logged = model::live::numbered(events, &rows, &row_seqs);
    for e in &mut logged {
        e.event.at = to_millis(e.event.at);
    }
    Ok(Committed { events: logged, row_seqs })
}

/// Appends one event to the live log.
pub(super) fn append_event(tx: &rusqlite::Transaction<'_>, e: &NewLiveEvent) -> Result<LiveEvent, GpkgError> {
    append_events(tx, std::slice::from_ref(e))?
        .events
        .pop()
        .ok_or_else(|| corrupt("live log", "an append wrote nothing"))
}

/// The events of one live-log row (several for a packed row).
fn events_from_row(r: &Row<'_>) -> Result<Vec<LiveEvent>, GpkgError> {
    let seq: i64 = r.get(0).map_err(sql("read event"))?;
    let at: String = r.get(1).map_err(sql("read event"))?;
    let kind: String = r.get(2).map_err(sql("read event"))?;
    let subject: i64 = r.get(3).map_err(sql("read event"))?;
    let cell: Option<String> = r.get(4).map_err(sql("read event"))?;
    let category: Option<String> = r.get(5).map_err(sql("read event"))?;
    let actor: Option<String> = r.get(6).map_err(sql("read event"))?;
    let data: String = r.get(7).map_err(sql("read event"))?;
    let span: u32 = r.get(8).map_err(sql("read event"))?;
    let event = NewLiveEvent {
        at: parse_time(&at)?,
        kind: parse_enum(&kind, "event kind", LiveKind::parse)?,
        subject: subject as u64,
        cell_code: cell.map(|c| CellCode::parse(&c).map_err(|e| corrupt("event cell", e))).transpose()?,
        category: category.map(|c| parse_enum(&c, "event category", Category::parse_label)).transpose()?,
        actor,
        data,
    };
    model::live::unpack(seq as u64, model::live::LogRow { event, span }).map_err(|e| corrupt("live-log row", e))
}

/// The events of the rows `clause` selects, packed rows unpacked.
pub(super) fn read_events(
    c: &Connection,
    clause: &str,
    values: &[&dyn rusqlite::ToSql],
) -> Result<Vec<LiveEvent>, GpkgError> {
    let mut st =
        c.prepare_cached(&format!("{} {clause}", sql!("select_events"))).map_err(sql("prepare read events"))?;
    let mut rows = st.query(values).map_err(sql("read events"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("read events"))? {
        out.extend(events_from_row(r)?);
    }
    Ok(out)
}

/// Appends `events` in a transaction of their own; returns them as logged.
pub(super) fn commit_events(
    conn: &mut Connection,
    events: &[NewLiveEvent],
) -> Result<(Vec<LiveEvent>, Committed), StoreError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    let committed = append_events(&tx, events)?;
    tx.commit().map_err(sql("commit events"))?;
    Ok((committed.events.clone(), committed))
}

/// [`Store::events_after`](crate::Store::events_after) from the file.
pub(super) fn events_after(c: &Connection, after: u64, limit: usize) -> Result<Vec<LiveEvent>, GpkgError> {
    let mut st =
        c.prepare_cached(concat!(sql!("select_events"), sql!("events_after"))).map_err(sql("prepare read events"))?;
    let mut rows = st.query(params![after as i64, limit as i64]).map_err(sql("read events"))?;
    let mut out = Vec::new();
    // Whole rows until `limit` events: a page ends at most one packed row past it.
    while out.len() < limit {
        let Some(r) = rows.next().map_err(sql("read events"))? else { break };
        // A packed row's first events may be at or before `after`.
        out.extend(events_from_row(r)?.into_iter().filter(|e| e.seq > after));
    }
    Ok(out)
}

/// [`Store::events_since`](crate::Store::events_since).
pub(super) fn events_since(
    c: &Connection,
    since: DateTime<Utc>,
    kinds: &[LiveKind],
) -> Result<Vec<LiveEvent>, GpkgError> {
    let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    // A packed row's `at` is its latest event's: its earlier events may be before `since`.
    let mut all = read_events(c, &sql!("events_since").replace("{kinds}", &names.join(", ")), &[&millis(since)])?;
    all.retain(|e| e.event.at >= since);
    Ok(all)
}

/// [`Store::subject_events`](crate::Store::subject_events).
pub(super) fn subject_events(c: &Connection, kind: LiveKind, subject: u64) -> Result<Vec<LiveEvent>, GpkgError> {
    let mut events = read_events(c, sql!("subject_events"), &[&kind.as_str(), &(subject as i64)])?;
    // Only kinds that never pack are looked up by subject; a packed row's other events
    // would be missed, and its first is kept only if it is the subject's.
    events.retain(|e| e.event.subject == subject);
    Ok(events)
}

/// [`Store::last_seq`](crate::Store::last_seq).
pub(super) fn last_seq(c: &Connection) -> Result<u64, GpkgError> {
    c.query_row(sql!("last_seq"), [], |r| r.get::<_, i64>(0)).map(|v| v as u64).map_err(sql("last seq"))
}

pub(super) fn change_status(
    conn: &mut Connection,
    id: IncidentId,
    t: &Transition,
    by: &str,
    at: DateTime<Utc>,
    photo: Option<crate::Photo>,
) -> Result<LiveEvent, StoreError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    let current = fetch_incident(&tx, id)?.ok_or(StoreError::NotFound { id })?;
    let history = subject_events(&tx, LiveKind::IncidentChanged, id.0)?;
    let (status, change) = crate::decide_change(&current, &history, t, by, at, photo.as_ref())?;
    tx.execute(sql!("update_status"), params![status.as_str(), id.0 as i64]).map_err(sql("update status"))?;
    let event = append_event(&tx, &change)?;
    if let Some(p) = photo {
        tx.execute(sql!("insert_photo"), params![event.seq as i64, p.content_type, p.bytes])
            .map_err(sql("insert photo"))?;
    }
    tx.commit().map_err(sql("commit status change"))?;
    Ok(event)
}
