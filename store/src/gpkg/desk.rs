//! Desk records (the village desk's live-log events, checked for a new subject or the version
//! they edit) and the photos stored with them.

use super::live_log::append_event;
use super::{GpkgError, sql};
use crate::{DeskCheck, Photo, StoreError};
use model::live::{LiveEvent, NewLiveEvent};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn append_desk(
    conn: &mut Connection,
    mut event: NewLiveEvent,
    check: DeskCheck,
    photo: Option<Photo>,
) -> Result<LiveEvent, StoreError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    match check {
        DeskCheck::Nothing => {}
        DeskCheck::NewSubject => {
            let next: i64 = tx
                .query_row(sql!("desk_next_subject"), [event.kind.as_str()], |r| r.get(0))
                .map_err(sql("next desk subject"))?;
            event.subject = next as u64;
        }
        DeskCheck::Version { kinds, seq } => {
            // The kinds are the enum's own names: safe to inline.
            let list = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(", ");
            let newest: i64 = tx
                .query_row(&sql!("desk_version").replace("{kinds}", &list), [event.subject as i64], |r| r.get(0))
                .map_err(sql("desk version"))?;
            if newest as u64 != seq {
                return Err(StoreError::Stale { subject: event.subject, newest: newest as u64 });
            }
        }
    }
    let logged = append_event(&tx, &event)?;
    if let Some(p) = photo {
        tx.execute(sql!("insert_photo"), params![logged.seq as i64, p.content_type, p.bytes])
            .map_err(sql("store photo"))?;
    }
    tx.commit().map_err(sql("commit desk event"))?;
    Ok(logged)
}

/// [`Store::photo`](crate::Store::photo): the photo stored with the desk record `seq`.
pub(super) fn photo(c: &Connection, seq: u64) -> Result<Option<Photo>, GpkgError> {
    c.query_row(sql!("photo"), [seq as i64], |r| Ok(Photo { content_type: r.get(0)?, bytes: r.get(1)? }))
        .optional()
        .map_err(sql("read photo"))
}
