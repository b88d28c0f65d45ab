//! The write path for incidents: locate each point in its cell, store the batch in one durable
//! transaction, then update the in-memory index. Used by the HTTP API and `safegrid import`.

use crate::geography::Geography;
use crate::group::Grouped;
use crate::incident_index::{IncidentIndex, IncidentPoint};
use crate::intake::FieldError;
use crate::scope::Scope;
use crate::store::{Attribution, IncidentRow, InsertOutcome, NewAudit, Store, StoreError};
use model::Placement;
use model::{Incident, NewIncident};
use std::sync::{Arc, RwLock};

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

/// Incident writes, group-committed ([`crate::group`]), each with its submitter's audit entry
/// when one is given.
pub struct GroupCommit(Grouped<(NewIncident, Placement, Option<Attribution>), InsertOutcome>);

impl GroupCommit {
    /// Starts the committer over `store`.
    pub fn new(store: Arc<dyn Store>) -> GroupCommit {
        GroupCommit(Grouped::new(GROUP_MAX_ITEMS, move |items: Vec<(NewIncident, Placement, Option<Attribution>)>| {
            let store = store.clone();
            async move {
                let (items, by): (Vec<_>, Vec<_>) = items.into_iter().map(|(n, p, b)| ((n, p), b)).unzip();
                store.insert_attributed(items, by).await
            }
        }))
    }

    /// Stores `items` in one transaction (possibly shared with other submissions), with a
    /// `create_incident` audit entry per item when `by` is given, and returns once it is
    /// durable; the same contract as [`Store::insert_attributed`].
    pub async fn insert(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Option<Attribution>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        self.0.submit(items.into_iter().map(|(n, p)| (n, p, by.clone())).collect()).await
    }
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
/// `create_incident` audit entry is written in the same transaction.
pub async fn submit(
    commit: &GroupCommit,
    geography: &Geography,
    index: &RwLock<IncidentIndex>,
    scope: &Scope,
    items: Vec<NewIncident>,
    by: Option<Attribution>,
) -> Result<Vec<Submitted>, IngestError> {
    let mut located = Vec::with_capacity(items.len());
    let mut cells = Vec::with_capacity(items.len());
    for (i, n) in items.into_iter().enumerate() {
        let Some(cell) = geography.locate(n.lon, n.lat) else {
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
        cells.push(cell);
        located.push((n, geography.placement(cell)));
    }
    let outcomes = match commit.insert(located, by).await {
        Ok(o) => o,
        Err(StoreError::Conflict { index, existing }) => {
            return Err(IngestError::Conflict { index, existing: existing.0 });
        }
        Err(StoreError::Repeated { index, first }) => {
            return Err(IngestError::Invalid { index, error: repeated(first) });
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::with_capacity(outcomes.len());
    let mut new = Vec::new();
    for (outcome, cell) in outcomes.into_iter().zip(cells) {
        match outcome {
            InsertOutcome::Created(incident) => {
                new.push(IncidentPoint::new(&IncidentRow::of(&incident), cell));
                out.push(Submitted { incident, created: true });
            }
            InsertOutcome::Existing(incident) => out.push(Submitted { incident, created: false }),
        }
    }
    index.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert_many(new);
    Ok(out)
}

/// The error of an item repeating an earlier item's (source, external_id) with other content.
pub fn repeated(first: usize) -> FieldError {
    FieldError {
        field: "properties.external_id".into(),
        message: format!("repeats the external_id of item {first} of this batch with different content"),
    }
}
