//! Several instances on one PostGIS store: each follows the others' incident writes (announced by
//! `NOTIFY` in the committing transaction, see `Store::changes`) and adds them to its own
//! in-memory index, so every instance's API and tiles show the same picture within moments.

use crate::incident_index::IncidentPoint;
use crate::state::AppState;
use store::Notice;
use tokio::sync::mpsc;

/// Applies notices until the feed ends. A `Created` range is read back and added (ids already
/// held, e.g. this instance's own writes, are skipped by the index); `Listening` (start or
/// reconnect) reads everything newer than the largest id held, to catch up on missed notices.
pub fn spawn(state: &AppState, mut notices: mpsc::Receiver<Notice>) {
    let store = state.store.clone();
    let geography = state.geography.clone();
    let index = state.incidents.clone();
    let live = state.live.clone();
    tokio::spawn(async move {
        while let Some(notice) = notices.recv().await {
            let ids = match notice {
                Notice::Created(ids) => ids,
                Notice::Events(_) => {
                    live.wake();
                    continue;
                }
                Notice::Listening => {
                    live.wake();
                    let held = index.read().unwrap_or_else(std::sync::PoisonError::into_inner).max_id();
                    held + 1..=u64::MAX
                }
            };
            // Every row, also those before a memory window: the index refuses them but counts them
            // as changes there, after which the database's counts are asked for again.
            let rows = match store.incident_rows(ids, None).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("following other instances' writes: {e}");
                    continue;
                }
            };
            if rows.is_empty() {
                continue;
            }
            let mut guard = index.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for r in &rows {
                if let Some((cell, _)) = geography.cell(r.cell_code) {
                    guard.insert(IncidentPoint::new(r, cell));
                }
            }
        }
    });
}
