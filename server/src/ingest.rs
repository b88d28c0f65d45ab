//! The write path for incidents: locate each point in its cell, store the batch in one durable
//! transaction, then update the in-memory index. Used by the HTTP API and `safegrid import`.

use crate::geography::Geography;
use crate::incident_index::{IncidentIndex, IncidentPoint};
use crate::intake::FieldError;
use crate::scope::Scope;
use crate::store::{IncidentRow, InsertOutcome, Store, StoreError};
use model::Placement;
use model::{Incident, NewIncident};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot};

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

struct Job {
    items: Vec<(NewIncident, Placement)>,
    done: oneshot::Sender<Result<Vec<InsertOutcome>, StoreError>>,
}

/// Group commit: concurrent submissions that arrive while a transaction is being written are
/// written together in the next one, so many single reports share one durable commit (one
/// fsync). Each submission keeps its own all-or-nothing outcome: if the shared transaction is
/// refused (one submission conflicts), each submission of the group is written again on its own.
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the committer over `store`.
    pub fn new(store: Arc<dyn Store>) -> GroupCommit {
        let (jobs, mut rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut n = first.items.len();
                let mut group = vec![first];
                while n < GROUP_MAX_ITEMS {
                    match rx.try_recv() {
                        Ok(job) => {
                            n += job.items.len();
                            group.push(job);
                        }
                        Err(_) => break,
                    }
                }
                if group.len() == 1 {
                    for job in group {
                        let outcome = store.insert_incidents(job.items).await;
                        let _ = job.done.send(outcome);
                    }
                    continue;
                }
                let all: Vec<(NewIncident, Placement)> = group.iter().flat_map(|j| j.items.iter().cloned()).collect();
                match store.insert_incidents(all).await {
                    Ok(mut outcomes) => {
                        for job in group {
                            let rest = outcomes.split_off(job.items.len().min(outcomes.len()));
                            let _ = job.done.send(Ok(std::mem::replace(&mut outcomes, rest)));
                        }
                    }
                    // Nothing of the group was written: each submission on its own decides.
                    Err(_) => {
                        for job in group {
                            let outcome = store.insert_incidents(job.items).await;
                            let _ = job.done.send(outcome);
                        }
                    }
                }
            }
        });
        GroupCommit { jobs }
    }

    /// Stores `items` in one transaction (possibly shared with other submissions) and returns
    /// once it is durable; the same contract as [`Store::insert_incidents`].
    pub async fn insert(&self, items: Vec<(NewIncident, Placement)>) -> Result<Vec<InsertOutcome>, StoreError> {
        let (done, outcome) = oneshot::channel();
        self.jobs.send(Job { items, done }).await.map_err(|_| StoreError::Task("group commit stopped".into()))?;
        outcome.await.map_err(|_| StoreError::Task("group commit stopped".into()))?
    }
}

/// Locates, stores and indexes a batch, all or nothing.
pub async fn submit(
    commit: &GroupCommit,
    geography: &Geography,
    index: &RwLock<IncidentIndex>,
    scope: &Scope,
    items: Vec<NewIncident>,
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
    let outcomes = match commit.insert(located).await {
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
    let mut guard = index.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for (outcome, cell) in outcomes.into_iter().zip(cells) {
        match outcome {
            InsertOutcome::Created(incident) => {
                guard.insert(IncidentPoint::new(&IncidentRow::of(&incident), cell));
                out.push(Submitted { incident, created: true });
            }
            InsertOutcome::Existing(incident) => out.push(Submitted { incident, created: false }),
        }
    }
    Ok(out)
}

/// The error of an item repeating an earlier item's (source, external_id) with other content.
pub fn repeated(first: usize) -> FieldError {
    FieldError {
        field: "properties.external_id".into(),
        message: format!("repeats the external_id of item {first} of this batch with different content"),
    }
}
