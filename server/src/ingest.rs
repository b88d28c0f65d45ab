//! The write path for incidents: locate each point in its cell, store the batch in one durable
//! transaction with the live-log events derived from it (alerts, 一事多报 links), then update the
//! in-memory index and board. Used by the HTTP API and the demo feed.

use crate::geography::{CellIdx, Geography};
use crate::group::Grouped;
use crate::incident_index::{IncidentIndex, IncidentPoint};
use crate::intake::FieldError;
use crate::live::Live;
use model::Placement;
use model::scope::Scope;
use model::{Incident, NewIncident};
use std::sync::{Arc, RwLock};
use store::{Attribution, Audited, Derive, IncidentRow, InsertOutcome, NewAudit, Store, StoreError};

/// One stored submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The incident as stored.
    pub incident: Incident,
    /// `false` when (source, external_id) was already stored with the same content (a retry).
    pub created: bool,
}

/// Why a batch was not stored (nothing of it was).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Item `index` broke a rule (e.g. lies outside every grid cell).
    #[error("item {index}: {error:?}")]
    Invalid {
        /// Position in the batch.
        index: usize,
        /// The rule broken.
        error: FieldError,
    },
    /// Item `index` lies outside the submitter's jurisdiction.
    #[error("item {index}: outside the submitter's jurisdiction")]
    OutsideScope {
        /// Position in the batch.
        index: usize,
    },
    /// Item `index` reuses a stored (source, external_id) with different content.
    #[error("item {index}: external_id already used by incident {existing} with different content")]
    Conflict {
        /// Position in the batch.
        index: usize,
        /// The stored incident's id.
        existing: u64,
    },
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Most items one group commit writes in one transaction.
pub const GROUP_MAX_ITEMS: usize = 2_000;

/// One item of an incident write: the report, its cell, how it goes on the audit record and the
/// rules to derive live-log events with.
type Submission = (NewIncident, Placement, CellIdx, Option<Audited>, Option<Derive>);

/// Incident writes, group-committed ([`crate::group`]), each with its audit entries when a
/// submitter is given. A group's write puts its created incidents into the index (a large group:
/// holding its lock before it answers, [`index_behind_lock`]) and its derived events onto the
/// board before the next group is written, so the next group's rules see them.
pub struct GroupCommit(Grouped<Submission, InsertOutcome>);

impl GroupCommit {
    /// Starts the committer over `store`, keeping `index` and `live` current.
    pub fn new(store: Arc<dyn Store>, index: Arc<RwLock<IncidentIndex>>, live: Arc<Live>) -> GroupCommit {
        GroupCommit(Grouped::new(GROUP_MAX_ITEMS, move |items: Vec<Submission>| {
            let (store, index, live) = (store.clone(), index.clone(), live.clone());
            async move {
                // Every submission of a server derives by the same rules.
                let derive = items.iter().find_map(|i| i.4.clone());
                let (mut rows, mut cells, mut by) =
                    (Vec::with_capacity(items.len()), Vec::with_capacity(items.len()), Vec::with_capacity(items.len()));
                for (n, p, cell, b, _) in items {
                    rows.push((n, p));
                    cells.push(cell);
                    by.push(b);
                }
                let inserted = store.insert_deriving(rows, by, derive).await?;
                let new: Vec<IncidentPoint> = inserted
                    .outcomes
                    .iter()
                    .zip(cells)
                    .filter_map(|(o, cell)| o.created().map(|i| IncidentPoint::new(&IncidentRow::of(i), cell)))
                    .collect();
                if new.len() >= INDEX_BEHIND_LOCK_MIN_ITEMS {
                    index_behind_lock(index.clone(), new).await?;
                } else {
                    index.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert_many(new);
                }
                // Read-your-writes for the alerts and links; the pump publishes them in seq order.
                live.apply(&inserted.derived, &index);
                live.wake();
                Ok(inserted.outcomes)
            }
        }))
    }

    /// Stores `items` in one transaction (possibly shared with other submissions), with their
    /// audit entries when `by` is given and the events `derive` makes of the created incidents,
    /// and returns once it is durable and every read begun afterwards sees it (indexed, or being
    /// indexed under the index's lock); the same contract as [`Store::insert_deriving`].
    pub async fn insert(
        &self,
        items: Vec<(NewIncident, Placement, CellIdx)>,
        by: Option<AuditAs>,
        derive: Option<Derive>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let count = items.len();
        let audited = |k: usize| match &by {
            Some(AuditAs::Each(by)) => Some(Audited::Item(by.clone())),
            Some(AuditAs::Batch(by)) if k == 0 => Some(Audited::Batch { by: by.clone(), items: count }),
            _ => None,
        };
        let submission = items.into_iter().enumerate().map(|(k, (n, p, c))| (n, p, c, audited(k), derive.clone()));
        self.0.submit(submission.collect()).await
    }
}

/// How a submission goes on the audit record, in its transaction.
#[derive(Debug, Clone)]
pub enum AuditAs {
    /// A `create_incident` entry per item ([`store::creation_audit`]).
    Each(Attribution),
    /// One `create_incidents` entry for the whole submission ([`store::batch_audit`]).
    Batch(Attribution),
}

/// The fewest new incidents a group puts into the index behind its lock ([`index_behind_lock`]);
/// fewer (single reports, grouped by the dozen) are inserted in place: for them the hand-off to
/// another thread cost more than the insertion (single POSTs, 64 clients: about 10% fewer a
/// second when every group was handed off).
const INDEX_BEHIND_LOCK_MIN_ITEMS: usize = 1_000;

/// Puts `new` into `index` on a blocking thread, returning once that thread holds the index's
/// write lock: a read that starts afterwards waits for the lock, so it sees them (as do the next
/// group's rules), while the insertion itself (the count pyramid's, mostly: 10–35 ms for a batch
/// of 10,000) runs as the answer goes out.
async fn index_behind_lock(index: Arc<RwLock<IncidentIndex>>, new: Vec<IncidentPoint>) -> Result<(), StoreError> {
    let (held, locked) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let mut index = index.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = held.send(());
        index.insert_many(new);
    });
    locked.await.map_err(|_| StoreError::Task("the index did not take the written incidents".into()))
}

/// Live-log appends, group-committed: each submission's events get consecutive `seq`s.
pub struct EventLog(Grouped<model::live::NewLiveEvent, model::live::LiveEvent>);

impl EventLog {
    /// Starts the committer over `store`.
    pub fn new(store: Arc<dyn Store>) -> EventLog {
        EventLog(Grouped::new(GROUP_MAX_ITEMS, move |events| {
            let store = store.clone();
            async move { store.append_events(events).await }
        }))
    }

    /// Appends `events` and returns them with their `seq` once durable.
    pub async fn append(
        &self,
        events: Vec<model::live::NewLiveEvent>,
    ) -> Result<Vec<model::live::LiveEvent>, StoreError> {
        self.0.submit(events).await
    }
}

/// The audit log, group-committed: entries of concurrent requests share one commit.
pub struct AuditLog(Grouped<NewAudit, ()>);

impl AuditLog {
    /// Starts the committer over `store`.
    pub fn new(store: Arc<dyn Store>) -> AuditLog {
        AuditLog(Grouped::new(GROUP_MAX_ITEMS, move |entries: Vec<NewAudit>| {
            let store = store.clone();
            async move {
                let n = entries.len();
                store.append_audits(entries).await.map(|()| vec![(); n])
            }
        }))
    }

    /// Appends `entry` and returns once it is durable.
    pub async fn append(&self, entry: NewAudit) -> Result<(), StoreError> {
        self.0.submit(vec![entry]).await.map(drop)
    }
}

/// Locates, stores and indexes a batch, all or nothing; with `by`, each stored item's
/// `create_incident` audit entry is written in the same transaction, and so are the events
/// `derive` makes of the created incidents ([`crate::live::derive`]).
pub async fn submit(
    commit: &GroupCommit,
    geography: &Geography,
    scope: &Scope,
    items: Vec<NewIncident>,
    by: Option<Attribution>,
    derive: Option<Derive>,
) -> Result<Vec<Submitted>, IngestError> {
    let located = items
        .into_iter()
        .map(|n| {
            let cell = geography.locate(n.lon, n.lat);
            (n, cell)
        })
        .collect();
    submit_located(commit, geography, scope, located, by.map(AuditAs::Each), derive).await
}

/// [`submit`] of items whose cells `geography` has already given (`None`: outside every cell),
/// as a large batch does on the threads that parse it; `by` says how the items go on the audit
/// record (a batch: one entry for all).
pub async fn submit_located(
    commit: &GroupCommit,
    geography: &Geography,
    scope: &Scope,
    items: Vec<(NewIncident, Option<CellIdx>)>,
    by: Option<AuditAs>,
    derive: Option<Derive>,
) -> Result<Vec<Submitted>, IngestError> {
    let mut located = Vec::with_capacity(items.len());
    for (i, (n, cell)) in items.into_iter().enumerate() {
        let Some(cell) = cell else {
            return Err(IngestError::Invalid {
                index: i,
                error: FieldError {
                    field: "geometry.coordinates".into(),
                    message: format!("point ({}, {}) lies outside every grid cell of the city", n.lon, n.lat),
                },
            });
        };
        if !scope.allows_cell(geography.cell_code(cell)) {
            return Err(IngestError::OutsideScope { index: i });
        }
        let placement = geography.placement(cell);
        located.push((n, placement, cell));
    }
    let outcomes = match commit.insert(located, by, derive).await {
        Ok(o) => o,
        Err(StoreError::Conflict { index, existing }) => {
            return Err(IngestError::Conflict { index, existing: existing.0 });
        }
        Err(StoreError::Repeated { index, first }) => {
            return Err(IngestError::Invalid { index, error: repeated(first) });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            InsertOutcome::Created(incident) => Submitted { incident, created: true },
            InsertOutcome::Existing(incident) => Submitted { incident, created: false },
        })
        .collect())
}

/// The error of an item repeating an earlier item's (source, external_id) with other content.
pub fn repeated(first: usize) -> FieldError {
    FieldError {
        field: "properties.external_id".into(),
        message: format!("repeats the external_id of item {first} of this batch with different content"),
    }
}
