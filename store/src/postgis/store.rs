//! The PostGIS `Store`: the same model as the embedded GeoPackage over tokio-postgres, pooled by
//! deadpool, every statement in `sql/`. Geometry crosses the wire as lon/lat (points) or plain
//! WKB (multipolygons), always EPSG:4326. Times are stored to the millisecond, as in the
//! GeoPackage, so `same_report` compares alike on both backends.
//!
//! Every committed incident write also sends `NOTIFY safegrid_incidents` with the id range it
//! created, so other instances on the same database can bring their in-memory index up to date
//! (they follow it through [`crate::Store::changes`]).

use super::copy::{Columns, CopyError, copy_into};
use crate::gpkg::blob::{multipolygon_from_wkb, wkb_multipolygon};
use crate::{
    AuditQuery, Derive, DeskCheck, GeographyData, IncidentRow, InsertOutcome, Inserted, Loaded, NewAudit, NewUser,
    Photo, Publication, Snapshot, Store, StoreError, WorldData, WorldVersion,
};
use crate::{Audited, audits_of, derived_by, stored_incident, to_millis, write_events};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use model::auth::{AuditEntry, Role, User};
use model::live::{LiveEvent, LiveKind, NewLiveEvent};
use model::resource::CameraView;
use model::scope::Scope;
use model::time::format_utc_millis;
use model::workflow::Transition;
use model::{
    Category, Cell, CellCode, CellShape, Incident, IncidentId, NewIncident, Officer, Placement, Region, RegionCode,
    RegionShape, Resource, ResourceKind, Severity, Source, Status, Subcategory,
};
use tokio_postgres::Row;

macro_rules! sql {
    ($name:literal) => {
        include_str!(concat!("sql/", $name, ".sql"))
    };
}

/// Errors of the PostGIS store.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No connection could be had from the pool.
    #[error("postgis connection pool: {0}")]
    Pool(String),
    /// The database refused a statement.
    #[error("postgis {op}: {source}")]
    Db {
        /// What was being done.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// `copy-store` found data in the target database.
    #[error(
        "the target database already holds SafeGrid data; copy-store only fills an empty database (目标数据库已有数据，只能迁移到空库)"
    )]
    NotEmpty,
    /// A stored value could not be read back.
    #[error("postgis holds a corrupt {what}: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

pub(super) fn db(op: &'static str) -> impl FnOnce(tokio_postgres::Error) -> PgError {
    move |source| PgError::Db { op, source }
}

fn corrupt(what: &'static str, detail: impl ToString) -> PgError {
    PgError::Corrupt { what, detail: detail.to_string() }
}

/// The channel incident writes are announced on.
pub const INCIDENTS_CHANNEL: &str = "safegrid_incidents";

/// The channel announcing the newest live-log `seq` of each committed write.
pub const EVENTS_CHANNEL: &str = "safegrid_events";

/// Reads that scan (searches, reads past the memory window) one instance runs in the database at
/// once; more wait for a permit.
pub const HEAVY_READS: usize = 4;

/// The PostGIS-backed store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// Sign-in, sign-out and the audit log: a pool of their own when the store was opened with
    /// one ([`super::open`]), so that slow searches or long replays holding every connection of
    /// `pool` never keep a user from signing in.
    sign_in: Pool,
    /// Session checks, likewise on their own, so neither a flood of fresh tokens nor busy query
    /// connections keep a signed-in user's request waiting, or a user from signing in.
    sessions: Pool,
    /// Permits for reads that scan (searches, reads past the memory window): at most
    /// [`HEAVY_READS`] run in the database at once for this instance, as the embedded store has
    /// 4 readers, so a burst of them cannot take every core of the database from sign-in and
    /// quick reads.
    heavy_reads: std::sync::Arc<tokio::sync::Semaphore>,
    /// Where `changes` listens (the URL the pool connects to), when known.
    listen_url: Option<std::sync::Arc<str>>,
    /// The incidents' partitions by id ([`super::partitions`]).
    partitions: std::sync::Arc<super::partitions::Partitions>,
}

impl PgStore {
    /// A store over an existing pool (the schema must be current: see [`super::open`]); other
    /// instances' writes are followed ([`Store::changes`]) through `listen_url`, the pool's URL.
    /// Sign-in and session checks share the pool.
    pub fn new(pool: Pool, listen_url: Option<String>) -> PgStore {
        PgStore {
            sign_in: pool.clone(),
            sessions: pool.clone(),
            pool,
            heavy_reads: std::sync::Arc::new(tokio::sync::Semaphore::new(HEAVY_READS)),
            listen_url: listen_url.map(std::sync::Arc::from),
            partitions: Default::default(),
        }
    }

    /// The same store with `sign_in` as the pool of sign-in, sign-out and the audit log, and
    /// `sessions` as that of session checks.
    pub fn with_auth_pools(self, sign_in: Pool, sessions: Pool) -> PgStore {
        PgStore { sign_in, sessions, ..self }
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A pooled connection.
    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.pool.get().await.map_err(|e| PgError::Pool(e.to_string()))
    }

    /// After a write that drew incident ids: builds the indexes of partitions it filled, in the
    /// background. `max_id` is the largest id the write drew, when known; otherwise the database
    /// is asked.
    async fn after_incident_write(&self, c: &tokio_postgres::Client, max_id: Option<i64>) {
        let full = match max_id {
            Some(id) => self.partitions.after_write(id),
            None => match self.partitions.ensure(c, 0).await {
                Ok(_) => self.partitions.after_write(0),
                Err(e) => {
                    tracing::warn!("the write is committed, but reading the incident partitions failed: {e}");
                    false
                }
            },
        };
        if full {
            self.partitions.close_in_background(self.pool.clone());
        }
    }

    /// Partitions for `more` incidents about to be written ([`super::partitions::Partitions::before_write`]).
    async fn before_incident_write(&self, c: &tokio_postgres::Client, more: usize) -> Result<(), PgError> {
        self.partitions.before_write(c, more).await.map_err(db("incident partitions"))
    }

    /// A permit to run a read that scans ([`HEAVY_READS`]).
    pub(super) async fn heavy_read(&self) -> Result<tokio::sync::OwnedSemaphorePermit, PgError> {
        self.heavy_reads.clone().acquire_owned().await.map_err(|e| PgError::Pool(e.to_string()))
    }

    /// A connection of the sign-in pool.
    async fn sign_in_client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.sign_in.get().await.map_err(|e| PgError::Pool(e.to_string()))
    }

    /// A connection of the session-check pool.
    async fn session_client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.sessions.get().await.map_err(|e| PgError::Pool(e.to_string()))
    }
}

impl PgStore {
    /// Writes `snap` into this empty database in one transaction, every id kept, then moves the
    /// sequences past them and analyzes the tables filled ([`analyze`]). Refuses
    /// ([`PgError::NotEmpty`]) a database holding any SafeGrid data.
    async fn restore_pg(&self, snap: &Snapshot) -> Result<(), PgError> {
        use tokio_postgres::binary_copy::BinaryCopyInWriter;
        use tokio_postgres::types::Type;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        tx.execute(sql!("lock_for_restore"), &[]).await.map_err(db("lock"))?;
        if !tx.query_one(sql!("is_empty"), &[]).await.map_err(db("check empty"))?.get::<_, bool>(0) {
            return Err(PgError::NotEmpty);
        }
        write_geography(&tx, &snap.geography).await?;
        // The restored ids get one partition of their own, indexed in one go after the commit.
        if let Some(max) = snap.incidents.iter().map(|i| i.id.0 as i64).max() {
            super::partitions::Partitions::make_for_restore(tx.client(), max + 1)
                .await
                .map_err(db("incident partitions"))?;
        }
        let types = Columns::copy_types(&tx, Type::INT8).await.map_err(db("copy types"))?;
        let sink = tx.copy_in(sql!("copy_incidents_with_ids")).await.map_err(db("copy incidents"))?;
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for i in &snap.incidents {
            let (id, point) = (i.id.0 as i64, super::copy::EwkbPoint(i.fields.lon, i.fields.lat));
            let columns = Columns::of(&i.fields, &i.placement);
            let mut row: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&id, &point];
            row.extend(columns.values());
            writer.as_mut().write(&row).await.map_err(db("copy incidents"))?;
        }
        writer.as_mut().finish().await.map_err(db("copy incidents"))?;
        tx.execute(sql!("keys_restored"), &[]).await.map_err(db("restore keys"))?;
        let st = tx.prepare(sql!("restore_user")).await.map_err(db("prepare restore user"))?;
        for u in &snap.users {
            let x = &u.user;
            tx.execute(
                &st,
                &[
                    &(x.id as i64),
                    &x.username,
                    &u.password_hash,
                    &x.role.as_str(),
                    &x.jurisdiction.map(|j| j.to_string()),
                    &x.officer_id.map(|o| o as i64),
                    &x.disabled,
                    &u.created_at,
                    &x.department.as_ref().map(|d| d.as_str()),
                    &x.grid_worker_id.map(|g| g as i64),
                ],
            )
            .await
            .map_err(db("restore user"))?;
        }
        let st = tx.prepare(sql!("restore_audit")).await.map_err(db("prepare restore audit"))?;
        for e in &snap.audit {
            tx.execute(
                &st,
                &[&(e.id as i64), &e.at, &e.actor, &e.role, &e.action, &e.target, &e.source, &e.result, &e.detail],
            )
            .await
            .map_err(db("restore audit"))?;
        }
        for (key, value) in &snap.meta {
            tx.execute(sql!("put_meta"), &[key, value]).await.map_err(db("restore meta"))?;
        }
        let st = tx.prepare(sql!("restore_event")).await.map_err(db("prepare restore event"))?;
        for e in &snap.events {
            let x = &e.event;
            tx.execute(
                &st,
                &[
                    &(e.seq as i64),
                    &to_millis(x.at),
                    &x.kind.as_str(),
                    &(x.subject as i64),
                    &x.cell_code.map(|c| c.to_string()),
                    &x.category.map(|c| c.as_str()),
                    &x.actor,
                    &x.data,
                ],
            )
            .await
            .map_err(db("restore event"))?;
        }
        for (seq, p) in &snap.photos {
            tx.execute(sql!("insert_photo"), &[&(*seq as i64), &p.content_type, &p.bytes])
                .await
                .map_err(db("restore photo"))?;
        }
        tx.batch_execute(sql!("restore_sequences")).await.map_err(db("restore sequences"))?;
        tx.commit().await.map_err(db("commit restore"))?;
        // Partitions ahead of the restored ids, and the restored ones' indexes before the command
        // ends.
        self.partitions.close_full(&c).await.map_err(db("index incident partitions"))?;
        analyze(&c, sql!("analyze_restored")).await;
        Ok(())
    }
}

/// Runs `statement` (an `ANALYZE`) after a committed load. What was loaded stays loaded whatever
/// it answers, so a failure is only a warning: autovacuum will analyze the tables later.
async fn analyze(c: &tokio_postgres::Client, statement: &str) {
    if let Err(e) = c.batch_execute(statement).await {
        tracing::warn!("the load is committed, but analyzing it failed (autovacuum will): {e}");
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(24);
    format_utc_millis(t.timestamp_millis(), &mut s);
    s
}

fn parse_enum<T>(s: &str, what: &'static str, f: impl Fn(&str) -> Option<T>) -> Result<T, PgError> {
    f(s).ok_or_else(|| corrupt(what, s))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T, PgError> {
    r.try_get(i).map_err(db("read row"))
}

fn incident_from_row(r: &Row) -> Result<Incident, PgError> {
    let cell_code = CellCode::parse(get::<&str>(r, 15)?).map_err(|e| corrupt("cell code", e))?;
    let fields = NewIncident {
        source: parse_enum(get(r, 3)?, "source", Source::parse_label)?,
        external_id: get(r, 4)?,
        category: parse_enum(get(r, 5)?, "category", Category::parse_label)?,
        subcategory: get::<Option<&str>>(r, 6)?
            .map(|s| parse_enum(s, "subcategory", Subcategory::parse_label))
            .transpose()?,
        occurred_at: get(r, 7)?,
        reported_at: get(r, 8)?,
        lon: get(r, 1)?,
        lat: get(r, 2)?,
        address: get(r, 9)?,
        summary: get(r, 10)?,
        reporter_name: get(r, 11)?,
        reporter_phone: get(r, 12)?,
        severity: parse_enum(get(r, 13)?, "severity", Severity::parse_label)?,
        status: parse_enum(get(r, 14)?, "status", Status::parse_label)?,
    };
    Ok(Incident { id: IncidentId(get::<i64>(r, 0)? as u64), fields, placement: Placement::of_cell(cell_code) })
}

pub(super) fn incident_row(r: &Row) -> Result<IncidentRow, PgError> {
    Ok(IncidentRow {
        id: IncidentId(get::<i64>(r, 0)? as u64),
        lon: get(r, 1)?,
        lat: get(r, 2)?,
        source: parse_enum(get(r, 3)?, "source", Source::parse_label)?,
        category: parse_enum(get(r, 4)?, "category", Category::parse_label)?,
        subcategory: get::<Option<&str>>(r, 5)?
            .map(|s| parse_enum(s, "subcategory", Subcategory::parse_label))
            .transpose()?,
        occurred_s: get(r, 6)?,
        reported_s: get(r, 7)?,
        severity: parse_enum(get(r, 8)?, "severity", Severity::parse_label)?,
        status: parse_enum(get(r, 9)?, "status", Status::parse_label)?,
        cell_code: CellCode::parse(get::<&str>(r, 10)?).map_err(|e| corrupt("cell code", e))?,
    })
}

fn user_from_row(r: &Row) -> Result<(User, String), PgError> {
    let role: &str = get(r, 2)?;
    Ok((
        User {
            id: get::<i64>(r, 0)? as u64,
            username: get(r, 1)?,
            role: Role::parse(role).ok_or_else(|| corrupt("role", role))?,
            jurisdiction: get::<Option<&str>>(r, 3)?
                .map(RegionCode::parse)
                .transpose()
                .map_err(|e| corrupt("jurisdiction", e))?,
            officer_id: get::<Option<i64>>(r, 4)?.map(|o| o as u64),
            disabled: get(r, 5)?,
            department: get::<Option<&str>>(r, 7)?
                .map(model::department::DepartmentCode::parse)
                .transpose()
                .map_err(|e| corrupt("department", e))?,
            grid_worker_id: get::<Option<i64>>(r, 8)?.map(|g| g as u64),
        },
        get(r, 6)?,
    ))
}

/// The smallest group inserted plainly first (`insert_batch`). Single reports group by the
/// dozen under load (64 clients); a feed's batches hold thousands.
pub const PLAIN_FIRST_MIN_ITEMS: usize = 100;

/// Inserts a batch inside `tx`, idempotent on (source, external_id); `Err(Conflict)` leaves the
/// caller to drop (roll back) the transaction.
///
/// Most large batches hold no stored or repeated key: they are inserted as new first
/// ([`insert_new`]), which spares the speculative insertion of `ON CONFLICT` into the keys. One
/// that meets such a key (here or written by another instance meanwhile) is undone to its
/// savepoint and inserted again skipping those keys ([`insert_skipping`]), drawing its ids a
/// second time. A small group (single reports) skips keys at once: there the extra round trips
/// cost more than they spare.
async fn insert_batch(
    tx: &deadpool_postgres::Transaction<'_>,
    items: &[(NewIncident, Placement)],
    derive: Option<&Derive>,
) -> Result<Inserted, StoreError> {
    let columns = ColumnArrays::of(items);
    if items.len() >= PLAIN_FIRST_MIN_ITEMS
        && let Some(inserted) = insert_new(tx, items, &columns, derive).await?
    {
        return Ok(inserted);
    }
    insert_skipping(tx, items, &columns, derive).await
}

/// Inserts `items` if none of their keys is stored or repeated, under ids drawn first, so that
/// the rules derive the batch's live-log events on another thread while the database inserts.
/// `None`, the insert undone to its savepoint, when a key is taken.
async fn insert_new(
    tx: &deadpool_postgres::Transaction<'_>,
    items: &[(NewIncident, Placement)],
    columns: &ColumnArrays<'_>,
    derive: Option<&Derive>,
) -> Result<Option<Inserted>, StoreError> {
    let draw = tx.prepare_cached(sql!("draw_incident_ids")).await.map_err(db("prepare draw ids"))?;
    let count = i32::try_from(items.len()).map_err(|_| corrupt("incidents", "a batch of 2^31 items or more"))?;
    let mut ids: Vec<i64> = get(&tx.query_one(&draw, &[&count]).await.map_err(db("draw ids"))?, 0)?;
    if ids.len() != items.len() {
        return Err(corrupt("incidents", "another number of ids drawn than asked").into());
    }
    // Ids follow the batch's order.
    ids.sort_unstable();
    let outcomes: Vec<InsertOutcome> = items
        .iter()
        .zip(&ids)
        .map(|((n, p), id)| InsertOutcome::Created(stored_incident(n, p, IncidentId(*id as u64))))
        .collect();
    let derive = derive.cloned();
    let events = tokio::task::spawn_blocking(move || {
        let (events, own) = write_events(&outcomes, derived_by(derive.as_ref()));
        let log = LogColumns::of(&events);
        (outcomes, events, own, log)
    });
    let plain = tx.prepare_cached(sql!("insert_incidents")).await.map_err(db("prepare insert incidents"))?;
    tx.batch_execute("SAVEPOINT plain_insert").await.map_err(db("savepoint"))?;
    let mut values = columns.values().to_vec();
    values.push(&ids);
    let inserted = tx.query_one(&plain, &values).await;
    let (outcomes, events, own, log) = match events.await {
        Ok(done) => done,
        // A panic in the rules is the same bug as one on this task: let it unwind.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => return Err(corrupt("live log", format!("the rules did not finish: {e}")).into()),
    };
    match inserted {
        Ok(row) => {
            if get::<i64>(&row, 0)? != ids.len() as i64 {
                return Err(corrupt("incidents", "the insert created another number of rows than given").into());
            }
            Ok(Some(logged(tx, outcomes, &events, own, &log?).await?))
        }
        Err(e) if e.as_db_error().and_then(|d| d.constraint()) == Some("incidents_source_external_id") => {
            tx.batch_execute("ROLLBACK TO SAVEPOINT plain_insert").await.map_err(db("rollback to savepoint"))?;
            Ok(None)
        }
        Err(e) => Err(db("insert incidents")(e).into()),
    }
}

/// Inserts `items` skipping every key already stored and every repeat of a key in the batch: a
/// second statement reads the stored rows of the keys it skipped, which must carry the same
/// report. Created incidents are answered as given (times to the millisecond, as stored), not
/// read back.
async fn insert_skipping(
    tx: &deadpool_postgres::Transaction<'_>,
    items: &[(NewIncident, Placement)],
    columns: &ColumnArrays<'_>,
    derive: Option<&Derive>,
) -> Result<Inserted, StoreError> {
    let skipping =
        tx.prepare_cached(sql!("insert_incidents_skipping")).await.map_err(db("prepare insert incidents"))?;
    let rows = tx.query(&skipping, &columns.values()).await.map_err(db("insert incidents"))?;
    let mut inserted_keys: std::collections::HashMap<(&str, &str), i64> = std::collections::HashMap::new();
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(get::<i64>(r, 0)?);
        if let Some(ext) = get::<Option<&str>>(r, 2)? {
            inserted_keys.insert((get::<&str>(r, 1)?, ext), get::<i64>(r, 0)?);
        }
    }
    ids.sort_unstable();
    // The rows the insert created, in order: every row without a key, and the first row of each
    // key it inserted (a later repeat in the batch was skipped).
    let mut first_of_key: std::collections::HashMap<(Source, &str), usize> = std::collections::HashMap::new();
    let mut created = vec![false; items.len()];
    for (index, (n, _)) in items.iter().enumerate() {
        created[index] = match &n.external_id {
            None => true,
            Some(ext) => {
                inserted_keys.contains_key(&(n.source.as_str(), ext.as_str()))
                    && match first_of_key.entry((n.source, ext.as_str())) {
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(index);
                            true
                        }
                        std::collections::hash_map::Entry::Occupied(_) => false,
                    }
            }
        };
    }
    if created.iter().filter(|c| **c).count() != ids.len() {
        return Err(corrupt("incidents", "the insert answered another number of rows than it created").into());
    }
    // The stored rows of the skipped keys.
    let (sources, externals): (Vec<&str>, Vec<&str>) = items
        .iter()
        .zip(&created)
        .filter(|(_, c)| !**c)
        .filter_map(|((n, _), _)| n.external_id.as_deref().map(|e| (n.source.as_str(), e)))
        .unzip();
    let mut stored: std::collections::HashMap<(Source, String), Incident> = std::collections::HashMap::new();
    if !sources.is_empty() {
        let by_keys = tx.prepare_cached(sql!("incidents_by_keys")).await.map_err(db("prepare find keys"))?;
        for r in tx.query(&by_keys, &[&sources, &externals]).await.map_err(db("find keys"))? {
            let i = incident_from_row(&r)?;
            let key = (i.fields.source, i.fields.external_id.clone().unwrap_or_default());
            stored.insert(key, i);
        }
    }
    let mut ids = ids.into_iter();
    let mut out = Vec::with_capacity(items.len());
    for (index, ((n, p), created)) in items.iter().zip(created).enumerate() {
        if created {
            let id = ids.next().ok_or_else(|| corrupt("incidents", "fewer ids than created rows"))?;
            // Ids follow the batch's order; a keyed row shows it.
            if let Some(ext) = &n.external_id
                && inserted_keys.get(&(n.source.as_str(), ext.as_str())) != Some(&id)
            {
                return Err(corrupt("incidents", "ids out of the batch's order").into());
            }
            out.push(InsertOutcome::Created(stored_incident(n, p, IncidentId(id as u64))));
            continue;
        }
        let ext = n.external_id.as_deref().unwrap_or_default();
        let same = stored
            .get(&(n.source, ext.to_owned()))
            .ok_or_else(|| corrupt("incident", "a skipped key without a stored row"))?;
        if !same.fields.same_report(n) {
            return Err(match first_of_key.get(&(n.source, ext)) {
                Some(&first) => StoreError::Repeated { index, first },
                None => StoreError::Conflict { index, existing: same.id },
            });
        }
        out.push(InsertOutcome::Existing(same.clone()));
    }
    let (events, own) = write_events(&out, derived_by(derive));
    let log = LogColumns::of(&events)?;
    logged(tx, out, &events, own, &log).await
}

/// Announces a batch's new incidents to other instances and appends its events (laid out in
/// `log`) to the live log inside `tx`: `events` are the incidents' own (the first `own`), then
/// what the rules derived, which are answered with their seqs.
async fn logged(
    tx: &deadpool_postgres::Transaction<'_>,
    outcomes: Vec<InsertOutcome>,
    events: &[NewLiveEvent],
    own: usize,
    log: &LogColumns,
) -> Result<Inserted, StoreError> {
    // Other instances index the new ids from `lo` to `hi`.
    let mut new_incidents = outcomes.iter().filter_map(InsertOutcome::created);
    if let Some(lo) = new_incidents.next() {
        let hi = new_incidents.next_back().unwrap_or(lo);
        let notify = tx.prepare_cached(sql!("notify_incidents")).await.map_err(db("prepare notify"))?;
        tx.execute(&notify, &[&format!("{} {}", lo.id.0, hi.id.0)]).await.map_err(db("notify"))?;
    }
    let first = append_columns(tx, log).await?;
    let derived = numbered_from(first + own as u64, &events[own..]);
    Ok(Inserted { outcomes, derived })
}

/// A batch's incident columns as arrays, in the order of `sql/insert_incidents.sql`'s parameters.
struct ColumnArrays<'a> {
    lon: Vec<f64>,
    lat: Vec<f64>,
    source: Vec<&'static str>,
    external_id: Vec<Option<&'a str>>,
    category: Vec<&'static str>,
    subcategory: Vec<Option<&'static str>>,
    occurred_at: Vec<DateTime<Utc>>,
    reported_at: Vec<DateTime<Utc>>,
    address: Vec<Option<&'a str>>,
    summary: Vec<Option<&'a str>>,
    reporter_name: Vec<Option<&'a str>>,
    reporter_phone: Vec<Option<&'a str>>,
    severity: Vec<&'static str>,
    status: Vec<&'static str>,
    codes: [Vec<String>; 4],
}

impl<'a> ColumnArrays<'a> {
    fn of(items: &'a [(NewIncident, Placement)]) -> ColumnArrays<'a> {
        let texts = |f: fn(&'a NewIncident) -> &'a Option<String>| items.iter().map(|(n, _)| f(n).as_deref()).collect();
        ColumnArrays {
            lon: items.iter().map(|(n, _)| n.lon).collect(),
            lat: items.iter().map(|(n, _)| n.lat).collect(),
            source: items.iter().map(|(n, _)| n.source.as_str()).collect(),
            external_id: texts(|n| &n.external_id),
            category: items.iter().map(|(n, _)| n.category.as_str()).collect(),
            subcategory: items.iter().map(|(n, _)| n.subcategory.map(|s| s.as_str())).collect(),
            occurred_at: items.iter().map(|(n, _)| to_millis(n.occurred_at)).collect(),
            reported_at: items.iter().map(|(n, _)| to_millis(n.reported_at)).collect(),
            address: texts(|n| &n.address),
            summary: texts(|n| &n.summary),
            reporter_name: texts(|n| &n.reporter_name),
            reporter_phone: texts(|n| &n.reporter_phone),
            severity: items.iter().map(|(n, _)| n.severity.as_str()).collect(),
            status: items.iter().map(|(n, _)| n.status.as_str()).collect(),
            codes: [
                items.iter().map(|(_, p)| p.county_code.to_string()).collect(),
                items.iter().map(|(_, p)| p.township_code.to_string()).collect(),
                items.iter().map(|(_, p)| p.village_code.to_string()).collect(),
                items.iter().map(|(_, p)| p.cell_code.to_string()).collect(),
            ],
        }
    }

    fn values(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 18] {
        [
            &self.lon,
            &self.lat,
            &self.source,
            &self.external_id,
            &self.category,
            &self.subcategory,
            &self.occurred_at,
            &self.reported_at,
            &self.address,
            &self.summary,
            &self.reporter_name,
            &self.reporter_phone,
            &self.severity,
            &self.status,
            &self.codes[0],
            &self.codes[1],
            &self.codes[2],
            &self.codes[3],
        ]
    }
}

/// Live-log events laid out as `sql/append_event.sql`'s columns, their seqs aside: their packed
/// rows ([`model::live::pack`]). Pure, so a batch's are made on the rules' thread while the
/// database inserts.
struct LogColumns {
    /// The events the rows hold.
    events: i64,
    span: Vec<i32>,
    at: Vec<DateTime<Utc>>,
    kind: Vec<&'static str>,
    subject: Vec<i64>,
    cell: Vec<Option<String>>,
    category: Vec<Option<&'static str>>,
    actor: Vec<Option<String>>,
    data: Vec<String>,
}

impl LogColumns {
    fn of(events: &[NewLiveEvent]) -> Result<LogColumns, PgError> {
        let packed = model::live::pack(events);
        let n = packed.len();
        let mut c = LogColumns {
            events: i64::try_from(events.len()).map_err(|_| corrupt("live log", "too many events"))?,
            span: Vec::with_capacity(n),
            at: Vec::with_capacity(n),
            kind: Vec::with_capacity(n),
            subject: Vec::with_capacity(n),
            cell: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            actor: Vec::with_capacity(n),
            data: Vec::with_capacity(n),
        };
        for r in packed {
            c.span.push(i32::try_from(r.span).map_err(|_| corrupt("live log", "a row of 2^31 events or more"))?);
            c.at.push(to_millis(r.event.at));
            c.kind.push(r.event.kind.as_str());
            c.subject.push(r.event.subject as i64);
            c.cell.push(r.event.cell_code.map(|c| c.to_string()));
            c.category.push(r.event.category.map(|c| c.as_str()));
            c.actor.push(r.event.actor);
            c.data.push(r.event.data);
        }
        Ok(c)
    }
}

/// `events` numbered from `first`: the seqs [`append_columns`] gave them.
fn numbered_from(first: u64, events: &[NewLiveEvent]) -> Vec<LiveEvent> {
    events.iter().zip(first..).map(|(e, seq)| LiveEvent { seq, event: e.clone() }).collect()
}

/// Appends to the live log inside `tx` under the live lock (seq order = commit order) and
/// announces the newest seq to other instances on commit.
async fn append_events(
    tx: &deadpool_postgres::Transaction<'_>,
    events: &[NewLiveEvent],
) -> Result<Vec<LiveEvent>, PgError> {
    let first = append_columns(tx, &LogColumns::of(events)?).await?;
    Ok(numbered_from(first, events))
}

/// Appends `log`'s rows as [`append_events`] does and answers the seq of their first event
/// (the events hold consecutive seqs from it; a packed row is numbered by its last).
async fn append_columns(tx: &deadpool_postgres::Transaction<'_>, log: &LogColumns) -> Result<u64, PgError> {
    if log.events == 0 {
        return Ok(0);
    }
    let lock = tx.prepare_cached(sql!("live_lock")).await.map_err(db("prepare lock the live log"))?;
    let reserve = tx.prepare_cached(sql!("reserve_seqs")).await.map_err(db("prepare reserve seqs"))?;
    // Pipelined, in one round trip: the lock is sent first, so taken first.
    let (_, reserved) = futures_util::future::try_join(tx.execute(&lock, &[]), tx.query_one(&reserve, &[&log.events]))
        .await
        .map_err(db("lock the live log and reserve seqs"))?;
    let last: i64 = get(&reserved, 0)?;
    // Each row is numbered by the last seq of its span.
    let mut seq = last - log.events;
    let seqs: Vec<i64> = log
        .span
        .iter()
        .map(|&span| {
            seq += i64::from(span);
            seq
        })
        .collect();
    if seq != last {
        return Err(corrupt("live log", "the rows' spans do not add up to the events"));
    }
    let append = tx.prepare_cached(sql!("append_event")).await.map_err(db("prepare append event"))?;
    let notify = tx.prepare_cached(sql!("notify_events")).await.map_err(db("prepare notify events"))?;
    let newest = last.to_string();
    // The rows and the notification in one round trip.
    let (appended, _) = futures_util::future::try_join(
        tx.execute(
            &append,
            &[&seqs, &log.at, &log.kind, &log.subject, &log.cell, &log.category, &log.actor, &log.data, &log.span],
        ),
        tx.execute(&notify, &[&newest]),
    )
    .await
    .map_err(db("append events"))?;
    if appended != log.span.len() as u64 {
        return Err(corrupt("live log", "the append wrote another number of rows"));
    }
    Ok((last - log.events + 1) as u64)
}

async fn append_audits(tx: &deadpool_postgres::Transaction<'_>, entries: &[NewAudit]) -> Result<(), PgError> {
    if entries.is_empty() {
        return Ok(());
    }
    let st = tx.prepare_cached(sql!("append_audit")).await.map_err(db("prepare audit"))?;
    let texts = |f: fn(&NewAudit) -> Option<&str>| entries.iter().map(f).collect::<Vec<Option<&str>>>();
    let actor = texts(|e| Some(e.actor.as_str()));
    let role = texts(|e| e.role.map(Role::as_str));
    let action = texts(|e| Some(e.action));
    let target = texts(|e| Some(e.target.as_str()));
    let source = texts(|e| e.source.as_deref());
    let result = texts(|e| Some(e.result));
    let detail = texts(|e| e.detail.as_deref());
    tx.execute(&st, &[&actor, &role, &action, &target, &source, &result, &detail]).await.map_err(db("append audit"))?;
    Ok(())
}

/// The events of one live-log row (several for a packed row).
fn events_from_row(r: &Row) -> Result<Vec<LiveEvent>, PgError> {
    let kind: &str = get(r, 2)?;
    let event = NewLiveEvent {
        at: get(r, 1)?,
        kind: LiveKind::parse(kind).ok_or_else(|| corrupt("event kind", kind))?,
        subject: get::<i64>(r, 3)? as u64,
        cell_code: get::<Option<&str>>(r, 4)?
            .map(|c| CellCode::parse(c).map_err(|e| corrupt("event cell", e)))
            .transpose()?,
        category: get::<Option<&str>>(r, 5)?
            .map(|c| Category::parse_label(c).ok_or_else(|| corrupt("event category", c)))
            .transpose()?,
        actor: get(r, 6)?,
        data: get(r, 7)?,
    };
    let span = u32::try_from(get::<i32>(r, 8)?).map_err(|e| corrupt("live-log span", e))?;
    model::live::unpack(get::<i64>(r, 0)? as u64, model::live::LogRow { event, span })
        .map_err(|e| corrupt("live-log row", e))
}

/// The events of `rows`, packed rows unpacked.
fn events_from_rows(rows: &[Row]) -> Result<Vec<LiveEvent>, PgError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.extend(events_from_row(r)?);
    }
    Ok(out)
}

/// Writes regions, cells, resources and officers (ids of resources and officers kept).
async fn record_version(tx: &deadpool_postgres::Transaction<'_>, p: &Publication) -> Result<WorldVersion, PgError> {
    let version: i32 = tx.query_one(sql!("next_world_version"), &[]).await.map_err(db("next version"))?.get(0);
    tx.execute(
        sql!("insert_world_version"),
        &[&version, &p.at, &p.by, &p.note, &p.changes, &crate::world_version::encode(&p.geography)],
    )
    .await
    .map_err(db("insert version"))?;
    Ok(WorldVersion {
        version: version as u32,
        published_at: p.at.clone(),
        by: p.by.clone(),
        note: p.note.clone(),
        changes: p.changes.clone(),
    })
}

async fn write_geography(tx: &deadpool_postgres::Transaction<'_>, g: &GeographyData) -> Result<(), PgError> {
    let st = tx.prepare(sql!("insert_region")).await.map_err(db("prepare insert region"))?;
    for r in &g.regions {
        let x = &r.region;
        tx.execute(
            &st,
            &[
                &wkb_multipolygon(&r.boundary),
                &x.code.to_string(),
                &x.name,
                &x.level.as_str(),
                &x.parent_code.map(|c| c.to_string()),
                &(x.population as i32),
                &(x.households as i32),
                &x.synthetic,
            ],
        )
        .await
        .map_err(db("insert region"))?;
    }
    let st = tx.prepare(sql!("insert_cell")).await.map_err(db("prepare insert cell"))?;
    for c in &g.cells {
        tx.execute(
            &st,
            &[
                &wkb_multipolygon(&c.boundary),
                &c.cell.code.to_string(),
                &c.cell.code.village().to_string(),
                &c.cell.name,
                &(c.cell.population as i32),
                &c.cell.synthetic,
            ],
        )
        .await
        .map_err(db("insert cell"))?;
    }
    let st = tx.prepare(sql!("insert_resource")).await.map_err(db("prepare insert resource"))?;
    for r in &g.resources {
        tx.execute(
            &st,
            &[
                &(r.id as i64),
                &r.lon,
                &r.lat,
                &r.kind.as_str(),
                &r.kind.prevention_name(),
                &r.name,
                &r.region_code.to_string(),
                &r.subtype,
                &r.camera.map(|c| c.heading_deg),
                &r.camera.map(|c| c.fov_deg),
                &r.camera.map(|c| c.range_m),
            ],
        )
        .await
        .map_err(db("insert resource"))?;
    }
    let st = tx.prepare(sql!("insert_officer")).await.map_err(db("prepare insert officer"))?;
    let sv = tx.prepare(sql!("insert_officer_village")).await.map_err(db("prepare insert officer village"))?;
    for o in &g.officers {
        tx.execute(&st, &[&(o.id as i64), &o.name, &o.badge, &(o.station_id as i64)])
            .await
            .map_err(db("insert officer"))?;
        for v in &o.villages {
            tx.execute(&sv, &[&(o.id as i64), &v.to_string()]).await.map_err(db("insert officer village"))?;
        }
    }
    let st = tx.prepare(sql!("insert_department")).await.map_err(db("prepare insert department"))?;
    for d in &g.departments {
        tx.execute(&st, &[&d.code.as_str(), &d.kind, &d.name_zh, &d.name_en, &d.region.to_string()])
            .await
            .map_err(db("insert department"))?;
    }
    let st = tx.prepare(sql!("insert_mediator")).await.map_err(db("prepare insert mediator"))?;
    for m in &g.mediators {
        tx.execute(&st, &[&(m.id as i64), &m.name, &m.role.as_str(), &m.village.to_string(), &m.phone])
            .await
            .map_err(db("insert mediator"))?;
    }
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgis"
    }

    fn past_reads(&self) -> Option<std::sync::Arc<dyn crate::PastReads>> {
        Some(std::sync::Arc::new(self.clone()))
    }

    fn changes(&self) -> Option<tokio::sync::mpsc::Receiver<crate::Notice>> {
        self.listen_url.as_deref().map(|url| super::listen(url.to_owned()))
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Err(StoreError::Unsupported { what: "snapshot", instead: "copy a PostGIS database with pg_dump" })
    }

    async fn restore(&self, snap: &Snapshot) -> Result<(), StoreError> {
        Ok(self.restore_pg(snap).await?)
    }

    async fn backup(&self, _to: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported { what: "backup", instead: "back up a PostGIS database with pg_dump" })
    }

    async fn has_world(&self) -> Result<bool, StoreError> {
        let c = self.client().await?;
        Ok(c.query_one(sql!("has_world"), &[]).await.map_err(db("check world"))?.get(0))
    }

    async fn replace_world(&self, world: WorldData) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        self.before_incident_write(&c, world.incidents.len()).await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        tx.batch_execute(sql!("clear_world")).await.map_err(db("clear world"))?;
        write_geography(&tx, &world.geography).await?;
        tx.batch_execute(sql!("sync_sequences")).await.map_err(db("sync sequences"))?;
        copy_into(&tx, &world.incidents).await.map_err(|e| match e {
            CopyError::Db(source) => PgError::Db { op: "bulk load", source },
            clash => corrupt("world incidents", clash),
        })?;
        if let Some(truth) = &world.demo_truth_json {
            tx.execute(sql!("put_meta"), &[&"demo_truth", truth]).await.map_err(db("write meta"))?;
        }
        tx.batch_execute(sql!("clear_world_versions")).await.map_err(db("clear versions"))?;
        record_version(&tx, &Publication::whole_store(&world.geography)).await?;
        tx.commit().await.map_err(db("commit world"))?;
        self.after_incident_write(&c, None).await;
        Ok(())
    }

    async fn publish_world(&self, publication: Publication) -> Result<WorldVersion, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        // One publication at a time across every instance: the version numbers stay dense.
        tx.batch_execute(sql!("lock_world_versions")).await.map_err(db("lock versions"))?;
        if let Some(follows) = publication.follows {
            let next: i32 = tx.query_one(sql!("next_world_version"), &[]).await.map_err(db("next version"))?.get(0);
            let current = (next - 1).max(0) as u32;
            if current != follows {
                return Err(StoreError::StaleWorld { follows, current });
            }
        }
        tx.batch_execute(sql!("clear_geography")).await.map_err(db("clear geography"))?;
        write_geography(&tx, &publication.geography).await?;
        tx.batch_execute(sql!("sync_sequences")).await.map_err(db("sync sequences"))?;
        for chunk in publication.placements.chunks(50_000) {
            let ids: Vec<i64> = chunk.iter().map(|(id, _)| id.0 as i64).collect();
            let code = |f: fn(&Placement) -> String| chunk.iter().map(|(_, p)| f(p)).collect::<Vec<String>>();
            let counties = code(|p| p.county_code.to_string());
            let townships = code(|p| p.township_code.to_string());
            let villages = code(|p| p.village_code.to_string());
            let cells = code(|p| p.cell_code.to_string());
            tx.execute(sql!("place_incidents"), &[&ids, &counties, &townships, &villages, &cells])
                .await
                .map_err(db("place incidents"))?;
        }
        let version = record_version(&tx, &publication).await?;
        tx.commit().await.map_err(db("commit publication"))?;
        Ok(version)
    }

    async fn world_versions(&self) -> Result<Vec<WorldVersion>, StoreError> {
        let c = self.client().await?;
        let rows = c.query(sql!("world_versions"), &[]).await.map_err(db("read versions"))?;
        rows.iter()
            .map(|r| {
                Ok(WorldVersion {
                    version: get::<i32>(r, 0)? as u32,
                    published_at: get(r, 1)?,
                    by: get(r, 2)?,
                    note: get(r, 3)?,
                    changes: get(r, 4)?,
                })
            })
            .collect()
    }

    async fn world_of_version(&self, version: u32) -> Result<Option<GeographyData>, StoreError> {
        let c = self.client().await?;
        let row = c.query_opt(sql!("world_of_version"), &[&(version as i32)]).await.map_err(db("read version"))?;
        match row {
            None => Ok(None),
            Some(r) => {
                let bytes: &[u8] = get(&r, 0)?;
                Ok(Some(crate::world_version::decode(bytes).map_err(|e| corrupt("version world", e))?))
            }
        }
    }

    async fn load_geography(&self) -> Result<GeographyData, StoreError> {
        let c = self.client().await?;
        let mut regions = Vec::new();
        for r in c.query(sql!("load_regions"), &[]).await.map_err(db("load regions"))? {
            let level: &str = get(&r, 3)?;
            regions.push(RegionShape {
                region: Region {
                    code: RegionCode::parse(get(&r, 1)?).map_err(|e| corrupt("region code", e))?,
                    name: get(&r, 2)?,
                    level: level.parse().map_err(|()| corrupt("region level", level))?,
                    parent_code: get::<Option<&str>>(&r, 4)?
                        .map(RegionCode::parse)
                        .transpose()
                        .map_err(|e| corrupt("parent code", e))?,
                    population: get::<i32>(&r, 5)? as u64,
                    households: get::<i32>(&r, 6)? as u64,
                    synthetic: get(&r, 7)?,
                },
                boundary: multipolygon_from_wkb(get(&r, 0)?).map_err(|e| corrupt("region geometry", e))?,
            });
        }
        let mut cells = Vec::new();
        for r in c.query(sql!("load_cells"), &[]).await.map_err(db("load cells"))? {
            cells.push(CellShape {
                cell: Cell {
                    code: CellCode::parse(get(&r, 1)?).map_err(|e| corrupt("cell code", e))?,
                    name: get(&r, 2)?,
                    population: get::<i32>(&r, 3)? as u64,
                    synthetic: get(&r, 4)?,
                },
                boundary: multipolygon_from_wkb(get(&r, 0)?).map_err(|e| corrupt("cell geometry", e))?,
            });
        }
        let mut resources = Vec::new();
        for r in c.query(sql!("load_resources"), &[]).await.map_err(db("load resources"))? {
            let kind: &str = get(&r, 3)?;
            let (heading, fov, range): (Option<f64>, Option<f64>, Option<f64>) =
                (get(&r, 7)?, get(&r, 8)?, get(&r, 9)?);
            resources.push(Resource {
                id: get::<i64>(&r, 0)? as u64,
                kind: ResourceKind::parse(kind).ok_or_else(|| corrupt("resource kind", kind))?,
                name: get(&r, 4)?,
                lon: get(&r, 1)?,
                lat: get(&r, 2)?,
                region_code: RegionCode::parse(get(&r, 5)?).map_err(|e| corrupt("resource region", e))?,
                subtype: get(&r, 6)?,
                camera: match (heading, fov, range) {
                    (Some(heading_deg), Some(fov_deg), Some(range_m)) => {
                        Some(CameraView { heading_deg, fov_deg, range_m })
                    }
                    _ => None,
                },
            });
        }
        let mut officers: Vec<Officer> = Vec::new();
        for r in c.query(sql!("load_officers"), &[]).await.map_err(db("load officers"))? {
            officers.push(Officer {
                id: get::<i64>(&r, 0)? as u64,
                name: get(&r, 1)?,
                badge: get(&r, 2)?,
                station_id: get::<i64>(&r, 3)? as u64,
                villages: Vec::new(),
            });
        }
        for r in c.query(sql!("load_officer_villages"), &[]).await.map_err(db("load officer villages"))? {
            let id = get::<i64>(&r, 0)? as u64;
            let v = RegionCode::parse(get(&r, 1)?).map_err(|e| corrupt("officer village", e))?;
            if let Ok(i) = officers.binary_search_by_key(&id, |o| o.id) {
                officers[i].villages.push(v);
            }
        }
        let mut departments = Vec::new();
        for r in c.query(sql!("load_departments"), &[]).await.map_err(db("load departments"))? {
            departments.push(model::department::Department {
                code: model::department::DepartmentCode::parse(get(&r, 0)?)
                    .map_err(|e| corrupt("department code", e))?,
                kind: get(&r, 1)?,
                name_zh: get(&r, 2)?,
                name_en: get(&r, 3)?,
                region: RegionCode::parse(get(&r, 4)?).map_err(|e| corrupt("department region", e))?,
            });
        }
        let mut mediators = Vec::new();
        for r in c.query(sql!("load_mediators"), &[]).await.map_err(db("load mediators"))? {
            let role: String = get(&r, 2)?;
            mediators.push(model::desk::Mediator {
                id: get::<i64>(&r, 0)? as u64,
                name: get(&r, 1)?,
                role: model::desk::MediatorRole::parse(&role).ok_or_else(|| corrupt("mediator role", role.clone()))?,
                village: RegionCode::parse(get(&r, 3)?).map_err(|e| corrupt("mediator village", e))?,
                phone: get(&r, 4)?,
            });
        }
        Ok(GeographyData { regions, cells, resources, officers, departments, mediators })
    }

    async fn incident_id_span(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Option<std::ops::RangeInclusive<u64>>, StoreError> {
        let c = self.client().await?;
        let row = match since {
            None => c.query_one(sql!("incident_id_span"), &[]).await,
            Some(t) => c.query_one(sql!("incident_id_span_since"), &[&t]).await,
        }
        .map_err(db("incident id span"))?;
        let (lo, hi): (Option<i64>, Option<i64>) = (row.get(0), row.get(1));
        // Store ids are positive; a negative one (written by hand) is below every range read.
        Ok(lo.zip(hi).filter(|&(_, hi)| hi >= 0).map(|(lo, hi)| lo.max(0) as u64..=hi as u64))
    }

    async fn incident_rows(
        &self,
        ids: std::ops::RangeInclusive<u64>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql!("incident_rows")).await.map_err(db("prepare incident rows"))?;
        let (lo, hi) = (*ids.start().min(&(i64::MAX as u64)) as i64, (*ids.end()).min(i64::MAX as u64) as i64);
        let rows = c.query(&st, &[&lo, &hi, &since]).await.map_err(db("load incidents"))?;
        Ok(rows.iter().map(incident_row).collect::<Result<_, _>>()?)
    }

    async fn insert_deriving(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Vec<Option<Audited>>,
        derive: Option<Derive>,
    ) -> Result<Inserted, StoreError> {
        let mut c = self.client().await?;
        // A large batch that meets a stored key draws its ids twice (`insert_batch`).
        self.before_incident_write(&c, 2 * items.len()).await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let inserted = insert_batch(&tx, &items, derive.as_ref()).await?;
        append_audits(&tx, &audits_of(&inserted.outcomes, &by)).await?;
        tx.commit().await.map_err(db("commit incidents"))?;
        let max_id = inserted
            .outcomes
            .iter()
            .filter_map(|o| match o {
                InsertOutcome::Created(i) => Some(i.id.0 as i64),
                InsertOutcome::Existing(_) => None,
            })
            .max();
        if let Some(max_id) = max_id {
            self.after_incident_write(&c, Some(max_id)).await;
        }
        Ok(inserted)
    }

    async fn bulk_load(&self, items: Vec<(NewIncident, Placement)>) -> Result<Loaded, StoreError> {
        let mut c = self.client().await?;
        self.before_incident_write(&c, items.len()).await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let loaded = copy_into(&tx, &items).await.map_err(|e| match e {
            CopyError::Conflict { index, existing } => StoreError::Conflict { index, existing: IncidentId(existing) },
            CopyError::Repeated { index, first } => StoreError::Repeated { index, first },
            CopyError::Db(source) => PgError::Db { op: "bulk load", source }.into(),
        })?;
        tx.commit().await.map_err(db("commit bulk load"))?;
        // A load of a tenth or more of the incidents (a city's history imported) is analyzed at
        // once, as `restore` is: autovacuum would, but only after its vacuum of the new rows.
        // Before the load's partitions are indexed: `ANALYZE incidents` locks every partition,
        // and against a `CREATE INDEX CONCURRENTLY` waiting for it that is a deadlock, which
        // killed the build (and set it back a minute).
        let planned = c.query_one(sql!("incidents_planned_rows"), &[]).await.map_or(0.0, |r| r.get::<_, f64>(0));
        if loaded.created > 0 && loaded.created as f64 >= 0.1 * planned.max(0.0) {
            analyze(&c, "ANALYZE incidents").await;
        }
        if loaded.created > 0 {
            self.after_incident_write(&c, None).await;
        }
        Ok(loaded)
    }

    async fn incident_by_external(
        &self,
        source: model::Source,
        external_id: &str,
    ) -> Result<Option<IncidentId>, StoreError> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql!("find_external")).await.map_err(db("prepare find external id"))?;
        let row = c.query_opt(&st, &[&source.as_str(), &external_id]).await.map_err(db("find external id"))?;
        Ok(match row {
            Some(r) => Some(IncidentId(get::<i64>(&r, 0)? as u64)),
            None => None,
        })
    }

    async fn incidents_by_id(&self, scope: &Scope, ids: Vec<IncidentId>) -> Result<Vec<Incident>, StoreError> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql!("incidents_by_id")).await.map_err(db("prepare read incidents"))?;
        let wanted: Vec<i64> = ids.iter().map(|i| i.0 as i64).collect();
        let rows = c.query(&st, &[&wanted, &scope.cell_code_patterns()]).await.map_err(db("read incidents"))?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            let i = incident_from_row(r)?;
            found.insert(i.id, i);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn search_incidents(&self, scope: &Scope, text: &str, limit: usize) -> Result<Vec<Incident>, StoreError> {
        // A scan: a permit, and cancelled in the database if the caller goes away.
        let c = self.abandonable().await?;
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows = match c.prepare_cached(sql!("search_incidents")).await {
            Ok(st) => c.query(&st, &[&text, &pattern, &(limit as i64), &scope.cell_code_patterns()]).await,
            Err(e) => Err(e),
        };
        c.done();
        Ok(rows.map_err(db("search"))?.iter().map(incident_from_row).collect::<Result<_, _>>()?)
    }

    async fn create_user(&self, user: NewUser) -> Result<Option<User>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                sql!("create_user"),
                &[
                    &user.username,
                    &user.password_hash,
                    &user.role.as_str(),
                    &user.jurisdiction.map(|j| j.to_string()),
                    &user.officer_id.map(|o| o as i64),
                    &user.department.as_ref().map(|d| d.as_str()),
                    &user.grid_worker_id.map(|g| g as i64),
                ],
            )
            .await
            .map_err(db("insert user"))?;
        Ok(match row {
            None => None,
            Some(r) => Some(User {
                id: get::<i64>(&r, 0)? as u64,
                username: user.username,
                role: user.role,
                jurisdiction: user.jurisdiction,
                officer_id: user.officer_id,
                disabled: false,
                department: user.department,
                grid_worker_id: user.grid_worker_id,
            }),
        })
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let c = self.client().await?;
        let rows = c.query(sql!("users"), &[]).await.map_err(db("users"))?;
        Ok(rows.iter().map(|r| user_from_row(r).map(|u| u.0)).collect::<Result<_, _>>()?)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let c = self.sign_in_client().await?;
        let st = c.prepare_cached(sql!("user_by_name")).await.map_err(db("prepare user"))?;
        let row = c.query_opt(&st, &[&username]).await.map_err(db("user"))?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let row = tx.query_opt(sql!("set_user_disabled"), &[&username, &disabled]).await.map_err(db("disable user"))?;
        let Some(row) = row else { return Ok(false) };
        if disabled {
            let id: i64 = get(&row, 0)?;
            let keep: Option<String> = None;
            tx.execute(sql!("end_sessions"), &[&id, &keep]).await.map_err(db("end sessions"))?;
        }
        tx.commit().await.map_err(db("commit"))?;
        Ok(true)
    }

    async fn set_password(
        &self,
        user_id: u64,
        password_hash: String,
        keep_session: Option<String>,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let id = user_id as i64;
        tx.execute(sql!("set_password"), &[&id, &password_hash]).await.map_err(db("set password"))?;
        tx.execute(sql!("end_sessions"), &[&id, &keep_session]).await.map_err(db("end sessions"))?;
        tx.commit().await.map_err(db("commit"))?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: String,
        user_id: u64,
        now: String,
        expires_at: String,
    ) -> Result<(), StoreError> {
        let c = self.sign_in_client().await?;
        c.execute(sql!("create_session"), &[&token_hash, &(user_id as i64), &now, &expires_at])
            .await
            .map_err(db("create session"))?;
        // Expired sessions are dead weight: clear them as new ones come.
        c.execute(sql!("purge_sessions"), &[&now]).await.map_err(db("purge sessions"))?;
        Ok(())
    }

    async fn session_user(&self, token_hash: String, now: String) -> Result<Option<User>, StoreError> {
        let c = self.session_client().await?;
        let st = c.prepare_cached(sql!("session_user")).await.map_err(db("prepare session"))?;
        let row = c.query_opt(&st, &[&token_hash, &now]).await.map_err(db("session"))?;
        Ok(row.as_ref().map(user_from_row).transpose()?.map(|u| u.0))
    }

    async fn delete_session(&self, token_hash: String) -> Result<(), StoreError> {
        let c = self.sign_in_client().await?;
        c.execute(sql!("delete_session"), &[&token_hash]).await.map_err(db("delete session"))?;
        Ok(())
    }

    async fn append_audits(&self, entries: Vec<NewAudit>) -> Result<(), StoreError> {
        let mut c = self.sign_in_client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        append_audits(&tx, &entries).await?;
        tx.commit().await.map_err(db("commit audit"))?;
        Ok(())
    }

    async fn audit(&self, q: AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(sql!("audit"), &[&q.actor, &q.action, &q.from, &q.to, &(q.limit as i64)])
            .await
            .map_err(db("audit"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(AuditEntry {
                id: get::<i64>(r, 0)? as u64,
                at: rfc3339(get(r, 1)?),
                actor: get(r, 2)?,
                role: get(r, 3)?,
                action: get(r, 4)?,
                target: get(r, 5)?,
                source: get(r, 6)?,
                result: get(r, 7)?,
                detail: get(r, 8)?,
            });
        }
        Ok(out)
    }

    async fn append_events(&self, events: Vec<NewLiveEvent>) -> Result<Vec<LiveEvent>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let out = append_events(&tx, &events).await?;
        tx.commit().await.map_err(db("commit events"))?;
        Ok(out)
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LiveEvent>, StoreError> {
        let c = self.client().await?;
        use futures_util::TryStreamExt;
        let st = c.prepare_cached(sql!("events_after")).await.map_err(db("prepare read events"))?;
        let rows = c.query_raw(&st, [after as i64, limit as i64]).await.map_err(db("read events"))?;
        let mut rows = std::pin::pin!(rows);
        let mut out = Vec::new();
        // Whole rows until `limit` events, streamed: a page ends at most one packed row past it
        // (the rest of the answer is dropped unread).
        while out.len() < limit {
            let Some(r) = rows.try_next().await.map_err(db("read events"))? else { break };
            // A packed row's first events may be at or before `after`.
            out.extend(events_from_row(&r)?.into_iter().filter(|e| e.seq > after));
        }
        Ok(out)
    }

    async fn events_since(&self, since: DateTime<Utc>, kinds: Vec<LiveKind>) -> Result<Vec<LiveEvent>, StoreError> {
        let c = self.client().await?;
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let rows = c.query(sql!("events_since"), &[&since, &kinds]).await.map_err(db("read events"))?;
        let mut events = events_from_rows(&rows)?;
        // A packed row's `at` is its latest event's: its earlier events may be before `since`.
        events.retain(|e| e.event.at >= since);
        Ok(events)
    }

    async fn subject_events(&self, kind: LiveKind, subject: u64) -> Result<Vec<LiveEvent>, StoreError> {
        let c = self.client().await?;
        let rows =
            c.query(sql!("subject_events"), &[&kind.as_str(), &(subject as i64)]).await.map_err(db("read events"))?;
        let mut events = events_from_rows(&rows)?;
        // Only kinds that never pack are looked up by subject (a packed row's subject column is
        // its first event's).
        events.retain(|e| e.event.subject == subject);
        Ok(events)
    }

    async fn last_seq(&self) -> Result<u64, StoreError> {
        let c = self.client().await?;
        let row = c.query_one(sql!("last_seq"), &[]).await.map_err(db("last seq"))?;
        Ok(get::<i64>(&row, 0)? as u64)
    }

    async fn change_status(
        &self,
        id: IncidentId,
        t: Transition,
        by: String,
        at: DateTime<Utc>,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        let row = tx.query_opt(sql!("incident_for_update"), &[&(id.0 as i64)]).await.map_err(db("read incident"))?;
        let current = incident_from_row(&row.ok_or(StoreError::NotFound { id })?)?;
        // The row lock orders changes of one incident: the history read here is the latest.
        let rows = tx
            .query(sql!("subject_events"), &[&LiveKind::IncidentChanged.as_str(), &(id.0 as i64)])
            .await
            .map_err(db("read events"))?;
        let mut history = events_from_rows(&rows)?;
        history.retain(|e| e.event.subject == id.0);
        let (status, change) = crate::decide_change(&current, &history, &t, &by, at, photo.as_ref())?;
        tx.execute(sql!("update_status"), &[&(id.0 as i64), &status.as_str()]).await.map_err(db("update status"))?;
        let mut logged = append_events(&tx, &[change]).await?;
        if let (Some(p), Some(e)) = (&photo, logged.last()) {
            tx.execute(sql!("insert_photo"), &[&(e.seq as i64), &p.content_type, &p.bytes])
                .await
                .map_err(db("insert photo"))?;
        }
        tx.commit().await.map_err(db("commit status change"))?;
        logged.pop().ok_or_else(|| corrupt("event", "not returned").into())
    }

    async fn append_desk(
        &self,
        event: NewLiveEvent,
        check: DeskCheck,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError> {
        let mut event = event;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db("begin"))?;
        // The live lock first: the check and the append see and extend the same log.
        tx.execute(sql!("live_lock"), &[]).await.map_err(db("lock the live log"))?;
        match check {
            DeskCheck::Nothing => {}
            DeskCheck::NewSubject => {
                let row = tx
                    .query_one(sql!("desk_next_subject"), &[&event.kind.as_str()])
                    .await
                    .map_err(db("next desk subject"))?;
                event.subject = get::<i64>(&row, 0)? as u64;
            }
            DeskCheck::Version { kinds, seq } => {
                let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                let row = tx
                    .query_one(sql!("desk_version"), &[&(event.subject as i64), &kinds])
                    .await
                    .map_err(db("desk version"))?;
                let newest = get::<i64>(&row, 0)? as u64;
                if newest != seq {
                    return Err(StoreError::Stale { subject: event.subject, newest });
                }
            }
        }
        let logged = append_events(&tx, std::slice::from_ref(&event))
            .await?
            .pop()
            .ok_or_else(|| corrupt("event", "not returned"))?;
        if let Some(p) = photo {
            tx.execute(sql!("insert_photo"), &[&(logged.seq as i64), &p.content_type, &p.bytes])
                .await
                .map_err(db("store photo"))?;
        }
        tx.commit().await.map_err(db("commit desk event"))?;
        Ok(logged)
    }

    async fn photo(&self, seq: u64) -> Result<Option<Photo>, StoreError> {
        let c = self.client().await?;
        let row = c.query_opt(sql!("photo"), &[&(seq as i64)]).await.map_err(db("read photo"))?;
        Ok(match row {
            None => None,
            Some(r) => Some(Photo { content_type: get(&r, 0)?, bytes: get(&r, 1)? }),
        })
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let c = self.client().await?;
        let row = c.query_opt(sql!("meta"), &[&key]).await.map_err(db("read meta"))?;
        Ok(row.as_ref().map(|r| get(r, 0)).transpose()?)
    }
}
