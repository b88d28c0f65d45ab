//! The storage seam: one trait between the app and its databases. Each backend is a module with
//! its own error type; the same conformance tests run against every backend.
//!
//! Stores hold the system of record. Queries are answered from the in-memory indexes
//! (`geography`, `incident_index`), which are built from the store at start-up and updated after
//! every acknowledged write.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod gpkg;
pub mod past;
pub mod postgis;
pub mod world_file;
pub mod world_version;

pub use past::{PastFilter, PastReads, TileSpec};
pub use world_version::{Publication, WorldVersion};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use model::auth::{AuditEntry, Role, User};
use model::live::{IncidentChange, IncidentData, LiveEvent, LiveKind, NewLiveEvent};
use model::scope::Scope;
use model::workflow::Transition;
use model::{CellCode, Incident, IncidentId, NewIncident, Officer, Placement, RegionCode, Resource};
use model::{CellShape, RegionShape};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Everything a store holds except incidents.
#[derive(Debug, Clone, Default)]
pub struct GeographyData {
    /// City, counties, townships, villages.
    pub regions: Vec<RegionShape>,
    /// Grid cells.
    pub cells: Vec<CellShape>,
    /// Prevention resources.
    pub resources: Vec<Resource>,
    /// Village officers.
    pub officers: Vec<Officer>,
    /// Departments that take work orders, by code.
    pub departments: Vec<model::department::Department>,
    /// The villages' mediator rosters, by id.
    pub mediators: Vec<model::desk::Mediator>,
}

/// A whole world to write at once (the demo, or a copy of another store).
#[derive(Debug, Clone, Default)]
pub struct WorldData {
    /// Regions, cells, resources, officers.
    pub geography: GeographyData,
    /// Incidents with their placement.
    pub incidents: Vec<(NewIncident, Placement)>,
    /// JSON record of what the demo generator planted, if this is a demo world.
    pub demo_truth_json: Option<String>,
}

/// A user as stored, for moving a store: the record, its password hash and creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The user (id kept).
    pub user: User,
    /// argon2id PHC string.
    pub password_hash: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A whole store as data with every id kept: what `safegrid copy-store` moves. Sessions are not
/// part of it (users sign in again after a move).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Regions, cells, resources, officers.
    pub geography: GeographyData,
    /// Every incident, in id order.
    pub incidents: Vec<Incident>,
    /// Every user, in id order.
    pub users: Vec<StoredUser>,
    /// The whole audit log, oldest first.
    pub audit: Vec<AuditEntry>,
    /// Every metadata entry.
    pub meta: Vec<(String, String)>,
    /// The whole live log (incident histories, links, unit reports, alerts, desk records),
    /// `seq` kept.
    pub events: Vec<LiveEvent>,
    /// Photos stored with desk records, by the record's `seq`.
    pub photos: Vec<(u64, Photo)>,
}

/// A photo stored with a desk record (a visit's), keyed by the record's `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// The image file.
    pub bytes: Vec<u8>,
}

/// What a desk event must satisfy to be appended ([`Store::append_desk`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskCheck {
    /// Nothing (a visit, a backlog note).
    Nothing,
    /// A new subject: the event's `subject` becomes 1 + the largest subject of the log's events
    /// of its kind (a new dispute's id).
    NewSubject,
    /// The newest event of `kinds` about the event's `subject` has this `seq` (0: there is
    /// none); otherwise [`StoreError::Stale`] and nothing is written. A writer names the version
    /// it decided on, so two desks changing one dispute or one village at once cannot both win.
    Version {
        /// The kinds that make up the subject's history.
        kinds: Vec<LiveKind>,
        /// The `seq` the writer saw last.
        seq: u64,
    },
}

/// What a shared store announced of other processes' committed writes ([`Store::changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A committed write created incidents with ids in this range (other ids in the range may
    /// belong to other writes, committed or not).
    Created(std::ops::RangeInclusive<u64>),
    /// A committed write appended live-log events up to this `seq`.
    Events(u64),
    /// The listening connection was (re)established: notices may have been missed meanwhile.
    Listening,
}

/// Ids a start-up read asks the store for at once, in parts aligned to multiples of it: small
/// enough that the allocator reuses one part's memory for the next; the embedded store packs
/// the index fields of each such part (`pack_incident_parts`).
pub const INCIDENT_PART_IDS: u64 = 1 << 16;

/// The fields of an incident the in-memory index needs (no free text, no personal data).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRow {
    /// Store id.
    pub id: IncidentId,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Unix seconds.
    pub occurred_s: i64,
    /// Unix seconds.
    pub reported_s: i64,
    /// Category.
    pub category: model::Category,
    /// Subcategory.
    pub subcategory: Option<model::Subcategory>,
    /// Status.
    pub status: model::Status,
    /// Severity.
    pub severity: model::Severity,
    /// Source channel.
    pub source: model::Source,
    /// Cell it lies in.
    pub cell_code: CellCode,
}

impl IncidentRow {
    /// The index fields of a full incident.
    pub fn of(i: &Incident) -> IncidentRow {
        IncidentRow::stored(i.id, &i.fields, &i.placement)
    }

    /// The index fields of an incident stored with `id`.
    pub fn stored(id: IncidentId, n: &NewIncident, p: &Placement) -> IncidentRow {
        IncidentRow {
            id,
            lon: n.lon,
            lat: n.lat,
            occurred_s: n.occurred_at.timestamp(),
            reported_s: n.reported_at.timestamp(),
            category: n.category,
            subcategory: n.subcategory,
            status: n.status,
            severity: n.severity,
            source: n.source,
            cell_code: p.cell_code,
        }
    }
}

/// What a bulk load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// New incidents.
    pub created: u64,
    /// Items already stored (same key, same report), skipped.
    pub existing: u64,
}

/// Who submitted incidents: their audit entries are written in the same transaction as the
/// incidents ([`Store::insert_attributed`], [`Audited`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// Username.
    pub actor: String,
    /// Their role.
    pub role: Option<Role>,
    /// From where.
    pub source: Option<String>,
}

/// How submitted items go on the audit record, in the same transaction as the incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audited {
    /// This item's own `create_incident` entry ([`creation_audit`]).
    Item(Attribution),
    /// One `create_incidents` entry for this item and the `items - 1` after it, a batch
    /// ([`batch_audit`]).
    Batch {
        /// Who submitted the batch.
        by: Attribution,
        /// How many items it holds, this one first.
        items: usize,
    },
}

/// The audit entries of stored items: `by` names how each goes on record (same position as
/// `outcomes`; missing = none).
pub fn audits_of(outcomes: &[InsertOutcome], by: &[Option<Audited>]) -> Vec<NewAudit> {
    by.iter()
        .enumerate()
        .filter_map(|(k, by)| match by.as_ref()? {
            Audited::Item(by) => outcomes.get(k).map(|o| creation_audit(by, o)),
            Audited::Batch { by, items } => Some(batch_audit(by, outcomes.get(k..(k + items).min(outcomes.len()))?)),
        })
        .collect()
}

/// The audit entry of a stored batch: `create_incidents` on "batch of N", saying how many were
/// new and how many retries.
pub fn batch_audit(by: &Attribution, outcomes: &[InsertOutcome]) -> NewAudit {
    let created = outcomes.iter().filter(|o| o.created().is_some()).count();
    NewAudit {
        actor: by.actor.clone(),
        role: by.role,
        action: "create_incidents",
        target: format!("batch of {}", outcomes.len()),
        source: by.source.clone(),
        result: "ok",
        detail: Some(format!("{created} new, {} retries", outcomes.len() - created)),
    }
}

/// The audit entry of one stored submission: `create_incident` on its id (a retry says so).
pub fn creation_audit(by: &Attribution, outcome: &InsertOutcome) -> NewAudit {
    let (incident, created) = match outcome {
        InsertOutcome::Created(i) => (i, true),
        InsertOutcome::Existing(i) => (i, false),
    };
    NewAudit {
        actor: by.actor.clone(),
        role: by.role,
        action: "create_incident",
        target: incident.id.0.to_string(),
        source: by.source.clone(),
        result: "ok",
        detail: (!created).then(|| "retry of an existing report".to_owned()),
    }
}

/// What happened to one submitted incident.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    /// Stored as a new incident.
    Created(Incident),
    /// (source, external_id) was already stored: nothing written, the stored incident returned.
    Existing(Incident),
}

impl InsertOutcome {
    /// The incident, when this write created it.
    pub fn created(&self) -> Option<&Incident> {
        match self {
            InsertOutcome::Created(i) => Some(i),
            InsertOutcome::Existing(_) => None,
        }
    }
}

/// The live-log events an incident write appends, in order: each created incident's event, then
/// what `derived` makes of the created incidents (the write's [`Derive`], see [`derived_by`]);
/// and how many of them are the incidents' own.
pub fn write_events(
    outcomes: &[InsertOutcome],
    derived: impl FnOnce(&[&Incident]) -> Vec<NewLiveEvent>,
) -> (Vec<NewLiveEvent>, usize) {
    let created: Vec<&Incident> = outcomes.iter().filter_map(InsertOutcome::created).collect();
    let mut events: Vec<NewLiveEvent> = created.iter().map(|i| incident_event(i)).collect();
    let own = events.len();
    events.extend(derived(&created));
    (events, own)
}

/// What `derive` makes of created incidents; nothing without one.
pub fn derived_by(derive: Option<&Derive>) -> impl FnOnce(&[&Incident]) -> Vec<NewLiveEvent> + '_ {
    move |created| derive.map_or_else(Vec::new, |d| d(created))
}

/// `t` cut to the millisecond: both stores keep times so.
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// `n` as stored under `id` in `p`'s cell: times cut to the millisecond (what a read returns),
/// the rest as given.
pub fn stored_incident(n: &NewIncident, p: &Placement, id: IncidentId) -> Incident {
    let mut fields = n.clone();
    fields.occurred_at = to_millis(n.occurred_at);
    fields.reported_at = to_millis(n.reported_at);
    Incident { id, fields, placement: Placement::of_cell(p.cell_code) }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Jurisdiction region (exclusive with `officer_id` and `grid_worker_id`).
    pub jurisdiction: Option<RegionCode>,
    /// Linked officer (village users; exclusive with `jurisdiction`).
    pub officer_id: Option<u64>,
    /// Department staff: their department.
    pub department: Option<model::department::DepartmentCode>,
    /// Grid workers: their grid worker of the world (exclusive with `jurisdiction` and
    /// `officer_id`).
    pub grid_worker_id: Option<u64>,
}

/// What to look for in the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// At or after (RFC 3339).
    pub from: Option<String>,
    /// Before (RFC 3339).
    pub to: Option<String>,
    /// Newest first, at most this many.
    pub limit: usize,
}

/// An audit entry to append (the store assigns id and time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// Who.
    pub actor: String,
    /// Their role.
    pub role: Option<Role>,
    /// What.
    pub action: &'static str,
    /// On what.
    pub target: String,
    /// From where.
    pub source: Option<String>,
    /// `ok`, `denied` or `error`.
    pub result: &'static str,
    /// More detail.
    pub detail: Option<String>,
}

/// Storage failures, by backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded GeoPackage store failed.
    #[error(transparent)]
    Gpkg(#[from] gpkg::GpkgError),
    /// The PostGIS store failed.
    #[error(transparent)]
    Postgis(#[from] postgis::PgError),
    /// A publication decided on version `follows` while `current` is the latest: someone
    /// published meanwhile; nothing was written.
    #[error("the world was published as version {current} since version {follows} was read (基础数据已被他人更新)")]
    StaleWorld {
        /// The version the publication was decided on.
        follows: u32,
        /// The latest version.
        current: u32,
    },
    /// Item `index` of a batch reuses a stored (source, external_id) with different content;
    /// nothing of the batch was written.
    #[error("item {index}: (source, external_id) already names incident {} with different content", existing.0)]
    Conflict {
        /// Position in the batch.
        index: usize,
        /// The stored incident.
        existing: IncidentId,
    },
    /// Item `index` of a batch repeats the (source, external_id) of item `first` of the same
    /// batch with different content; nothing of the batch was written.
    #[error("item {index}: repeats the (source, external_id) of item {first} with different content")]
    Repeated {
        /// Position in the batch.
        index: usize,
        /// The earlier item with that key.
        first: usize,
    },
    /// No incident has this id.
    #[error("no incident {}", id.0)]
    NotFound {
        /// The id asked for.
        id: IncidentId,
    },
    /// The status change is not allowed from the incident's current status.
    #[error(transparent)]
    Workflow(model::workflow::WorkflowError),
    /// [`DeskCheck::Version`] failed: someone changed the subject meanwhile; nothing written.
    #[error("{subject} was changed meanwhile (now at version {newest}); reload and try again")]
    Stale {
        /// The subject.
        subject: u64,
        /// The newest `seq` about it.
        newest: u64,
    },
    /// This backend cannot do `what`; `instead` says what to use.
    #[error("{what} is not available on this store: {instead}")]
    Unsupported {
        /// The operation.
        what: &'static str,
        /// What to do instead.
        instead: &'static str,
    },
    /// A blocking storage task panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
}

/// What the map needs of an incident (an `incident` message's `data`).
pub fn incident_data(i: &Incident) -> IncidentData {
    let f = &i.fields;
    IncidentData {
        id: i.id.0,
        lon: f.lon,
        lat: f.lat,
        category: f.category,
        subcategory: f.subcategory,
        severity: f.severity,
        status: f.status,
        source: f.source,
        occurred_at: f.occurred_at,
        reported_at: f.reported_at,
        cell_code: i.placement.cell_code,
    }
}

/// The live-log event an incident write appends (in the same transaction).
pub fn incident_event(i: &Incident) -> NewLiveEvent {
    let f = &i.fields;
    let data = incident_data(i);
    NewLiveEvent {
        at: f.reported_at,
        kind: LiveKind::Incident,
        subject: i.id.0,
        cell_code: Some(i.placement.cell_code),
        category: Some(f.category),
        actor: None,
        data: serde_json::to_string(&data).unwrap_or_default(),
    }
}

/// The work order an incident's history ends with: the newest `incident_changed` event that
/// carries one (`None`: the event was never assigned to a department).
pub fn latest_order(history: &[LiveEvent]) -> Option<model::department::WorkOrder> {
    history
        .iter()
        .rev()
        .filter(|e| e.event.kind == LiveKind::IncidentChanged)
        .find_map(|e| serde_json::from_str::<IncidentChange>(&e.event.data).ok().and_then(|c| c.order))
}

/// Decides `t` against the stored incident and its work order (from its history, read in the
/// same transaction): the status to store and the event to log.
pub fn decide_change(
    current: &Incident,
    history: &[LiveEvent],
    t: &Transition,
    by: &str,
    at: DateTime<Utc>,
    photo: Option<&Photo>,
) -> Result<(model::Status, NewLiveEvent), StoreError> {
    let order = latest_order(history);
    let decision =
        model::workflow::decide(current.fields.category.workflow(), current.fields.status, order.as_ref(), t)
            .map_err(StoreError::Workflow)?;
    Ok((decision.status, decided_event(current, t, &decision, by, at, photo)))
}

fn decided_event(
    current: &Incident,
    t: &Transition,
    decision: &model::workflow::Decision,
    by: &str,
    at: DateTime<Utc>,
    photo: Option<&Photo>,
) -> NewLiveEvent {
    let data = IncidentChange {
        id: current.id.0,
        from: current.fields.status,
        to: decision.status,
        unit: t.unit,
        satisfaction: t.satisfaction,
        note: t.note.clone(),
        order: decision.order.clone(),
        by_department: t.by_department.clone(),
        reason: t.reason,
        verdict: t.verdict,
        note_only: t.note_only,
        diverted: t.diverted,
        photo: photo.map(|p| p.content_type.clone()),
        by: by.to_owned(),
        at,
    };
    NewLiveEvent {
        at,
        kind: LiveKind::IncidentChanged,
        subject: current.id.0,
        cell_code: Some(current.placement.cell_code),
        category: Some(current.fields.category),
        actor: Some(by.to_owned()),
        data: serde_json::to_string(&data).unwrap_or_default(),
    }
}

/// What an incident write derives from the incidents it creates, in order (alerts, 一事多报
/// links): pure over memory, run inside the write's transaction.
pub type Derive = std::sync::Arc<dyn Fn(&[&Incident]) -> Vec<NewLiveEvent> + Send + Sync>;

/// An incident write's answer: each item as stored, and the derived events as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Inserted {
    /// One per item, in order.
    pub outcomes: Vec<InsertOutcome>,
    /// What [`Derive`] made, with their `seq`s.
    pub derived: Vec<LiveEvent>,
}

/// The system of record.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `geopackage` or `postgis`.
    fn backend(&self) -> &'static str;
    /// Whether regions and cells have been written (an empty store has none).
    async fn has_world(&self) -> Result<bool, StoreError>;
    /// Replaces everything (regions, cells, resources, officers, incidents) in one transaction.
    async fn replace_world(&self, world: WorldData) -> Result<(), StoreError>;
    /// Regions, cells, resources and officers.
    async fn load_geography(&self) -> Result<GeographyData, StoreError>;
    /// Publishes a new version of the world in one transaction: replaces regions, cells,
    /// resources and officers, moves incidents to their new placements and records the version.
    /// Incidents, the live log, desk records, users and the audit log are kept. The version's
    /// number is the last one plus one (1 on a store that has none).
    async fn publish_world(&self, publication: Publication) -> Result<WorldVersion, StoreError>;
    /// Every published version, oldest first.
    async fn world_versions(&self) -> Result<Vec<WorldVersion>, StoreError>;
    /// The world as version `version` published it.
    async fn world_of_version(&self, version: u32) -> Result<Option<GeographyData>, StoreError>;
    /// Index fields of every incident, in id order.
    async fn load_incident_rows(&self) -> Result<Vec<IncidentRow>, StoreError> {
        self.incident_rows(0..=u64::MAX, None).await
    }
    /// The lowest and the highest id of the incidents held that occurred at or after `since`
    /// (`None`: any time; `None` answered when there are none): the range a reader splits to
    /// read those incidents in parts. A window of recent incidents starts at its own first id,
    /// not at the first incident ever stored.
    async fn incident_id_span(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Option<std::ops::RangeInclusive<u64>>, StoreError>;
    /// Index fields of the incidents whose ids lie in `ids` and that occurred at or after `since`
    /// (`None`: any time), in id order: a follower catching up on other instances' writes, or an
    /// index holding a recent window.
    async fn incident_rows(
        &self,
        ids: std::ops::RangeInclusive<u64>,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<IncidentRow>, StoreError>;
    /// Packs the index fields of every part of the id range ([`INCIDENT_PART_IDS`]) below the
    /// newest that is not packed yet, so that later start-ups read them fast (the embedded store;
    /// others have nothing to pack); how many parts were packed.
    async fn pack_incident_parts(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
    /// Stores incidents in one transaction, all or nothing, and returns once it is durable.
    /// Idempotent on (source, external_id): a resubmission with the same content
    /// ([`NewIncident::same_report`]) is `Existing`; with other content the whole batch is
    /// rejected with [`StoreError::Conflict`].
    async fn insert_incidents(&self, items: Vec<(NewIncident, Placement)>) -> Result<Vec<InsertOutcome>, StoreError> {
        self.insert_attributed(items, Vec::new()).await
    }
    /// [`Store::insert_incidents`], also writing in the same transaction the audit entries
    /// ([`audits_of`]) of the items whose `by` (same position; missing = none) is given.
    async fn insert_attributed(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Vec<Option<Audited>>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        self.insert_deriving(items, by, None).await.map(|i| i.outcomes)
    }
    /// [`Store::insert_attributed`]; the live log gets each created incident's event and then,
    /// in the same transaction, the events `derive` makes of the created incidents (alerts,
    /// 一事多报 links), so they are durable exactly when the incidents are.
    async fn insert_deriving(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Vec<Option<Audited>>,
        derive: Option<Derive>,
    ) -> Result<Inserted, StoreError>;
    /// Loads many incidents in one transaction (binary COPY on PostGIS), with the same
    /// idempotency and all-or-nothing rules as [`Store::insert_incidents`] but returning counts
    /// only; returns once the load is durable.
    async fn bulk_load(&self, items: Vec<(NewIncident, Placement)>) -> Result<Loaded, StoreError>;
    /// Full records of the given ids inside `scope`, in the order given; unknown ids and
    /// incidents outside the scope are left out.
    async fn incidents_by_id(&self, scope: &Scope, ids: Vec<IncidentId>) -> Result<Vec<Incident>, StoreError>;
    /// The incident stored under (source, external_id), if any (the unique key's index: no
    /// scan).
    async fn incident_by_external(
        &self,
        source: model::Source,
        external_id: &str,
    ) -> Result<Option<IncidentId>, StoreError>;
    /// Newest incidents inside `scope` whose external id equals `text` or whose address or
    /// summary contains it.
    async fn search_incidents(&self, scope: &Scope, text: &str, limit: usize) -> Result<Vec<Incident>, StoreError>;
    /// Creates a user; a taken username is [`StoreError::Conflict`]-free: it is `Ok(None)`.
    async fn create_user(&self, user: NewUser) -> Result<Option<User>, StoreError>;
    /// Every user.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// A user and their password hash, by login name.
    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;
    /// Disables or enables a user (ending their sessions when disabling); `false` if unknown.
    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError>;
    /// Replaces a user's password hash and ends their other sessions.
    async fn set_password(
        &self,
        user_id: u64,
        password_hash: String,
        keep_session: Option<String>,
    ) -> Result<(), StoreError>;
    /// Records a session (token stored as its SHA-256) created at `now`; sessions that expired
    /// before `now` are purged.
    async fn create_session(
        &self,
        token_hash: String,
        user_id: u64,
        now: String,
        expires_at: String,
    ) -> Result<(), StoreError>;
    /// The user of a live session (not expired at `now`, user not disabled).
    async fn session_user(&self, token_hash: String, now: String) -> Result<Option<User>, StoreError>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: String) -> Result<(), StoreError>;
    /// Appends to the audit log (never updated or deleted).
    async fn append_audit(&self, entry: NewAudit) -> Result<(), StoreError> {
        self.append_audits(vec![entry]).await
    }
    /// Appends several entries in one transaction.
    async fn append_audits(&self, entries: Vec<NewAudit>) -> Result<(), StoreError>;
    /// Reads the audit log, newest first.
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;
    /// Appends events to the live log in one transaction; each gets the next `seq` (commit order).
    async fn append_events(&self, events: Vec<NewLiveEvent>) -> Result<Vec<LiveEvent>, StoreError>;
    /// Live-log events with `seq > after`, in `seq` order: whole stored rows until there are
    /// `limit` events, so a page ends inside no packed row ([`model::live::LogRow`]) and holds
    /// fewer than `limit` + [`model::live::MAX_SPAN`] events; fewer than `limit` means the
    /// log's end.
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LiveEvent>, StoreError>;
    /// Live-log events of `kinds` at or after `since`, in `seq` order (the live state at start-up).
    async fn events_since(&self, since: DateTime<Utc>, kinds: Vec<LiveKind>) -> Result<Vec<LiveEvent>, StoreError>;
    /// Every event of `kind` about `subject`, in `seq` order (an incident's history).
    async fn subject_events(&self, kind: LiveKind, subject: u64) -> Result<Vec<LiveEvent>, StoreError>;
    /// The largest `seq` written (0 when the log is empty).
    async fn last_seq(&self) -> Result<u64, StoreError>;
    /// Moves incident `id` as [`model::workflow::decide`] decides from its stored status and
    /// work order, and logs the change (who, when, unit, note, order) in the same transaction,
    /// with `photo` stored under the change's `seq` ([`Store::photo`]).
    /// [`StoreError::NotFound`] or [`StoreError::Workflow`] change nothing.
    async fn change_status(
        &self,
        id: IncidentId,
        t: Transition,
        by: String,
        at: DateTime<Utc>,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError>;
    /// Appends one village-desk event ([`LiveKind::DESK`]) after `check`, with the photo stored
    /// with it, in one transaction; returns the stored event (its `subject` set by
    /// [`DeskCheck::NewSubject`]) once it is durable.
    async fn append_desk(
        &self,
        event: NewLiveEvent,
        check: DeskCheck,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError>;
    /// The photo stored with the desk record `seq`.
    async fn photo(&self, seq: u64) -> Result<Option<Photo>, StoreError>;
    /// A metadata value (e.g. `demo_truth`).
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    // Capabilities: what only some backends can do. Each backend says so explicitly, so a new
    // backend decides each one.

    /// The store answering incident queries in place ([`PastReads`]), when it can (PostGIS):
    /// what lets the server keep only a recent window of incidents in memory.
    fn past_reads(&self) -> Option<Arc<dyn PastReads>>;
    /// Other processes' committed writes, for a store several server instances share (PostGIS
    /// `LISTEN`); `None` for a store one process owns. Each call opens its own feed.
    fn changes(&self) -> Option<mpsc::Receiver<Notice>>;
    /// Everything in the store with every id kept, read in one consistent view (the source of
    /// `safegrid copy-store`).
    async fn snapshot(&self) -> Result<Snapshot, StoreError>;
    /// Writes `snap` into this empty store in one transaction, every id kept (the target of
    /// `safegrid copy-store`); a store holding any data refuses.
    async fn restore(&self, snap: &Snapshot) -> Result<(), StoreError>;
    /// Writes a consistent copy of the whole store to the new file `to`, safe while the store is
    /// in use (`safegrid backup`).
    async fn backup(&self, to: &Path) -> Result<(), StoreError>;
}
