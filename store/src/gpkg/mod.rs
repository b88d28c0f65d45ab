//! The embedded store: one OGC GeoPackage file (SQLite), so `ogrinfo` and QGIS open its layers.
//!
//! Durability: WAL journal with `synchronous=FULL`; a write is acknowledged only after its
//! transaction commits, so acknowledged writes survive a crash. One writer connection, a small
//! pool of reader connections (WAL lets them read beside each other and the writer), one reader
//! kept for sign-in and one for session checks, so neither a flood of slow reads nor one of
//! unknown tokens stalls signing in; each used from blocking tasks.

pub mod blob;

use super::{Attribution, change_event, creation_audit, derived_by, stored_incident, to_millis, write_events};
use super::{
    AuditQuery, Derive, DeskCheck, GeographyData, IncidentRow, InsertOutcome, Inserted, Loaded, NewAudit, NewUser,
    Photo, Snapshot, Store, StoreError, StoredUser, WorldData,
};
use async_trait::async_trait;
use blob::{decode_multipolygon, decode_point, encode_multipolygon, encode_point};
use chrono::{DateTime, Utc};
use model::auth::{AuditEntry, Role, User};
use model::live::{LiveEvent, LiveKind, NewLiveEvent};
use model::resource::CameraView;
use model::scope::Scope;
use model::time::{format_utc_millis, parse_utc_millis};
use model::workflow::{self, Transition};
use model::{
    Category, Cell, CellCode, CellShape, Incident, IncidentId, NewIncident, Officer, Placement, Region, RegionCode,
    RegionShape, Resource, ResourceKind, Severity, Source, Status, Subcategory,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const SCHEMA: &str = include_str!("schema.sql");
const UPGRADE_LIVE_KINDS: &str = include_str!("upgrade_live_kinds.sql");
const INSERT_INCIDENT: &str = include_str!("insert_incident.sql");
const SELECT_INCIDENT: &str = include_str!("select_incident.sql");
const SELECT_INCIDENT_ROWS: &str = include_str!("select_incident_rows.sql");
const SEARCH_INCIDENTS: &str = include_str!("search_incidents.sql");

/// File name of the store inside the data directory.
pub const FILE_NAME: &str = "safegrid.gpkg";

/// Errors of the GeoPackage store.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// SQLite refused an operation.
    #[error("geopackage {op}: {source}")]
    Sqlite {
        /// What was being done.
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored value could not be read back.
    #[error("geopackage holds a corrupt {what}: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file beside the store (a backup) could not be created.
    #[error("cannot create {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The checkpointer thread could not be started.
    #[error("cannot start the store's checkpointer thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The file is a SQLite database but not one of ours.
    #[error("{path} is not a SafeGrid GeoPackage (application_id {application_id:#x})")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// Its application id.
        application_id: i64,
    },
}

fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> GpkgError {
    move |source| GpkgError::Sqlite { op, source }
}

fn corrupt(what: &'static str, detail: impl ToString) -> GpkgError {
    GpkgError::Corrupt { what, detail: detail.to_string() }
}

/// The GeoPackage-backed store.
pub struct GpkgStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Readers>,
    /// Users only (sign-in).
    sign_in: Arc<Mutex<Connection>>,
    /// Sessions only (every request whose session is not cached).
    sessions: Arc<Mutex<Connection>>,
    /// The live-log events this store committed lately, pushed under the writer's lock.
    recent: Arc<Mutex<RecentEvents>>,
    /// Dropping it stops the checkpointer thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// Live-log events kept in memory after their commit: two batches of 10,000 reports with a
/// link event each (what two feeds can commit before the pump reads); a few hundred bytes each.
const RECENT_EVENTS: usize = 50_000;

/// Live-log events as committed, with the `seq` of each stored row (a packed row's is its last
/// event's).
#[derive(Debug, Default)]
struct Committed {
    events: Vec<LiveEvent>,
    row_seqs: Vec<u64>,
}

impl Committed {
    /// One event in a row of its own.
    fn one(e: &LiveEvent) -> Committed {
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
struct RecentEvents(VecDeque<(LiveEvent, u64)>);

impl RecentEvents {
    /// Keeps `committed` (in seq order, after everything held), dropping the oldest past
    /// [`RECENT_EVENTS`].
    fn push(&mut self, committed: Committed) {
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
    fn after(&self, after: u64, limit: usize) -> Option<Vec<LiveEvent>> {
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

/// How often the checkpointer copies committed WAL pages into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// WAL pages after which a commit checkpoints by itself (64 MiB of 4 KiB pages): the fallback
/// if the checkpointer falls behind; SQLite's default, 1,000 pages, made every large batch copy
/// its pages a second time before it was acknowledged.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Copies committed WAL pages into the database file off the write path (a PASSIVE checkpoint
/// never blocks writers or readers), until `stop`'s sender is dropped.
fn start_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, GpkgError> {
    let conn = open_connection(path)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("gpkg-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!("checkpointing the store: {e}");
                }
            }
        })
        .map_err(GpkgError::Thread)?;
    Ok(stop)
}

/// The store holds reporters' personal data, password hashes and the audit log: its directory
/// is owner-only (0700) and its files (the GeoPackage, its WAL and shared-memory files, which
/// SQLite creates with the database file's mode) are owner-read/write (0600), on creation and on
/// every open.
fn make_private(data_dir: &Path, file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir)?;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        private_file(file)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = file.as_os_str().to_owned();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.exists() {
                std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(data_dir)?;
        let _ = file;
    }
    Ok(())
}

/// Creates `path` empty with mode 0600 if it does not exist, and sets 0600 if it does.
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Reader connections in the pool.
const READERS: usize = 4;

/// Idle reader connections; a read takes one and gives it back when done (also on a panic).
struct Readers {
    idle: Mutex<Vec<Connection>>,
    freed: std::sync::Condvar,
}

impl Readers {
    fn open(path: &Path, n: usize) -> Result<Readers, GpkgError> {
        let idle = (0..n).map(|_| open_connection(path)).collect::<Result<_, _>>()?;
        Ok(Readers { idle: Mutex::new(idle), freed: std::sync::Condvar::new() })
    }

    /// A connection, waiting until one is idle.
    fn take(&self) -> Lent<'_> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(conn) = idle.pop() {
                return Lent { readers: self, conn: Some(conn) };
            }
            idle = self.freed.wait(idle).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// A reader connection on loan from [`Readers`].
struct Lent<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

impl std::ops::Deref for Lent<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a lent connection is held until drop"))
    }
}

impl std::ops::DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a lent connection is held until drop"))
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.readers.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(conn);
            self.readers.freed.notify_one();
        }
    }
}

fn open_connection(path: &Path) -> Result<Connection, GpkgError> {
    let conn = Connection::open(path).map_err(sql("open"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
    )
    .map_err(sql("configure"))?;
    Ok(conn)
}

impl GpkgStore {
    /// Opens (creating if needed) `data_dir/safegrid.gpkg` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<GpkgStore, GpkgError> {
        let path = data_dir.join(FILE_NAME);
        make_private(data_dir, &path).map_err(|source| GpkgError::Dir { path: data_dir.to_owned(), source })?;
        let writer = open_connection(&path)?;
        let application_id: i64 =
            writer.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(sql("read application_id"))?;
        let tables: i64 = writer
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
            .map_err(sql("count tables"))?;
        if tables > 0 && application_id != 0x4750_4B47 {
            return Err(GpkgError::Foreign { path, application_id });
        }
        let live_table: Option<String> = writer
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'live_events'", [], |r| r.get(0))
            .optional()
            .map_err(sql("read live_events schema"))?;
        if live_table.as_ref().is_some_and(|ddl| !ddl.contains("'backlog_case'")) {
            writer
                .execute_batch(&format!("BEGIN IMMEDIATE; {UPGRADE_LIVE_KINDS} COMMIT;"))
                .map_err(sql("upgrade live_events kinds"))?;
        }
        // Stores from before packed rows: every row holds one event.
        if live_table.is_some_and(|ddl| !ddl.contains("span")) {
            writer
                .execute_batch("ALTER TABLE live_events ADD COLUMN span INTEGER NOT NULL DEFAULT 1 CHECK (span >= 1);")
                .map_err(sql("upgrade live_events span"))?;
        }
        writer.execute_batch(SCHEMA).map_err(sql("create schema"))?;
        writer
            .execute_batch(&format!("PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"))
            .map_err(sql("configure checkpoints"))?;
        let readers = Readers::open(&path, READERS)?;
        let sign_in = open_connection(&path)?;
        let sessions = open_connection(&path)?;
        let checkpointer = start_checkpointer(&path)?;
        Ok(GpkgStore {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(readers),
            sign_in: Arc::new(Mutex::new(sign_in)),
            sessions: Arc::new(Mutex::new(sessions)),
            recent: Arc::default(),
            _checkpointer: checkpointer,
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Everything in the store, read in one transaction (a consistent view while writes go on).
    async fn snapshot_gpkg(&self) -> Result<Snapshot, StoreError> {
        self.read(|c| {
            let tx = c.transaction().map_err(sql("begin snapshot"))?;
            let geography = read_geography(&tx)?;
            let mut incidents = Vec::new();
            let mut st = tx.prepare(&format!("{SELECT_INCIDENT} ORDER BY fid")).map_err(sql("prepare snapshot"))?;
            let mut rows = st.query([]).map_err(sql("snapshot incidents"))?;
            while let Some(r) = rows.next().map_err(sql("snapshot incidents"))? {
                incidents.push(incident_from_row(r)?);
            }
            drop(rows);
            drop(st);
            let mut users = Vec::new();
            let mut st = tx
                .prepare("SELECT fid, username, role, jurisdiction, officer_id, disabled, password_hash, created_at FROM users ORDER BY fid")
                .map_err(sql("prepare snapshot users"))?;
            let mut rows = st.query([]).map_err(sql("snapshot users"))?;
            while let Some(r) = rows.next().map_err(sql("snapshot users"))? {
                let (user, password_hash) = user_from_row(r)?;
                users.push(StoredUser { user, password_hash, created_at: r.get(7).map_err(sql("snapshot users"))? });
            }
            drop(rows);
            drop(st);
            let audit = read_audit(&tx, &AuditQuery { limit: usize::MAX >> 1, ..AuditQuery::default() })?
                .into_iter()
                .rev()
                .collect();
            let mut meta = Vec::new();
            let mut st = tx.prepare("SELECT key, value FROM safegrid_meta ORDER BY key").map_err(sql("prepare meta"))?;
            let mut rows = st.query([]).map_err(sql("snapshot meta"))?;
            while let Some(r) = rows.next().map_err(sql("snapshot meta"))? {
                meta.push((r.get(0).map_err(sql("snapshot meta"))?, r.get(1).map_err(sql("snapshot meta"))?));
            }
            drop(rows);
            drop(st);
            let events = read_events(&tx, "ORDER BY seq", &[])?;
            let mut photos = Vec::new();
            let mut st =
                tx.prepare("SELECT seq, content_type, bytes FROM desk_photos ORDER BY seq").map_err(sql("prepare photos"))?;
            let mut rows = st.query([]).map_err(sql("snapshot photos"))?;
            while let Some(r) = rows.next().map_err(sql("snapshot photos"))? {
                let seq: i64 = r.get(0).map_err(sql("snapshot photos"))?;
                let photo = Photo {
                    content_type: r.get(1).map_err(sql("snapshot photos"))?,
                    bytes: r.get(2).map_err(sql("snapshot photos"))?,
                };
                photos.push((seq as u64, photo));
            }
            drop(rows);
            drop(st);
            Ok(Snapshot { geography, incidents, users, audit, meta, events, photos })
        })
        .await
    }

    /// Writes a consistent copy of the store to `to` (SQLite `VACUUM INTO`: safe while the
    /// server is running and writing; the copy is a compacted, valid GeoPackage). `to` must not
    /// exist.
    async fn backup_gpkg(&self, to: &Path) -> Result<(), StoreError> {
        // A new, empty owner-only file first (never an existing file or a link's target): SQLite
        // writes into it and keeps its mode.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(to).map_err(|source| GpkgError::File { path: to.to_owned(), source })?;
        let to = to.to_string_lossy().into_owned();
        self.read(move |c| c.execute("VACUUM INTO ?1", [to]).map(drop).map_err(sql("backup"))).await
    }

    /// Runs the read `f` on a pooled reader connection (waiting for one to be free).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, GpkgError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let mut conn = readers.take();
            f(&mut conn).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn with<T: Send + 'static>(
        conn: &Arc<Mutex<Connection>>,
        f: impl FnOnce(&mut Connection) -> Result<T, GpkgError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs the write `f` on the writer connection; the live-log events it committed are kept
    /// in [`RecentEvents`] before the writer is released, so they are kept in seq order.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<(T, Committed), StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (conn, recent) = (Arc::clone(&self.writer), Arc::clone(&self.recent));
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let (out, committed) = f(&mut guard)?;
            recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(committed);
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

fn millis(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(24);
    format_utc_millis(t.timestamp_millis(), &mut s);
    s
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, GpkgError> {
    parse_utc_millis(s).and_then(DateTime::<Utc>::from_timestamp_millis).ok_or_else(|| corrupt("timestamp", s))
}

fn parse_enum<T>(s: &str, what: &'static str, f: impl Fn(&str) -> Option<T>) -> Result<T, GpkgError> {
    f(s).ok_or_else(|| corrupt(what, s))
}

/// Inserts one incident; `None` when its (source, external_id) is already stored (nothing written).
fn insert_incident(
    tx: &rusqlite::Transaction<'_>,
    n: &NewIncident,
    p: &Placement,
) -> Result<Option<IncidentId>, GpkgError> {
    let mut stmt = tx.prepare_cached(INSERT_INCIDENT).map_err(sql("prepare insert incident"))?;
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

fn incident_from_row(r: &Row<'_>) -> Result<Incident, GpkgError> {
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

fn fetch_incident(conn: &Connection, id: IncidentId) -> Result<Option<Incident>, GpkgError> {
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT_INCIDENT} WHERE fid = ?1")).map_err(sql("prepare select incident"))?;
    let mut rows = stmt.query([id.0 as i64]).map_err(sql("select incident"))?;
    match rows.next().map_err(sql("select incident"))? {
        Some(row) => incident_from_row(row).map(Some),
        None => Ok(None),
    }
}

fn find_external(conn: &Connection, source: Source, external_id: &str) -> Result<Option<IncidentId>, GpkgError> {
    conn.prepare_cached("SELECT fid FROM incidents WHERE source = ?1 AND external_id = ?2")
        .map_err(sql("prepare find external id"))?
        .query_row(params![source.as_str(), external_id], |r| r.get::<_, i64>(0))
        .optional()
        .map_err(sql("find external id"))
        .map(|o| o.map(|v| IncidentId(v as u64)))
}

fn update_extent(tx: &rusqlite::Transaction<'_>, table: &str, points: bool) -> Result<(), GpkgError> {
    use geo::BoundingRect;
    let mut stmt = tx.prepare(&format!("SELECT geom FROM {table}")).map_err(sql("scan extent"))?;
    let mut rows = stmt.query([]).map_err(sql("scan extent"))?;
    let (mut min_x, mut min_y, mut max_x, mut max_y) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    while let Some(r) = rows.next().map_err(sql("scan extent"))? {
        let b = r.get_ref(0).map_err(sql("scan extent"))?.as_blob().map_err(|e| corrupt("geometry", e))?;
        let rect = if points {
            decode_point(b).ok().map(|p| (p.x(), p.y(), p.x(), p.y()))
        } else {
            decode_multipolygon(b)
                .ok()
                .and_then(|m| m.bounding_rect())
                .map(|r| (r.min().x, r.min().y, r.max().x, r.max().y))
        };
        if let Some((a, b, c, d)) = rect {
            (min_x, min_y, max_x, max_y) = (min_x.min(a), min_y.min(b), max_x.max(c), max_y.max(d));
        }
    }
    if min_x.is_finite() {
        tx.execute(
            "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4, \
             last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?5",
            params![min_x, min_y, max_x, max_y, table],
        )
        .map_err(sql("update extent"))?;
    }
    Ok(())
}

fn write_world(conn: &mut Connection, world: &WorldData) -> Result<(), GpkgError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    for t in
        ["officer_villages", "officers", "resources", "desk_photos", "live_events", "incidents", "cells", "regions"]
    {
        tx.execute(&format!("DELETE FROM {t}"), []).map_err(sql("clear table"))?;
    }
    tx.execute("DELETE FROM safegrid_meta WHERE key = 'demo_truth'", []).map_err(sql("clear meta"))?;
    {
        let mut st = tx
            .prepare("INSERT INTO regions (geom, code, name, level, parent_code, population, households, synthetic) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .map_err(sql("prepare insert region"))?;
        for r in &world.geography.regions {
            let g = &r.region;
            st.execute(params![
                encode_multipolygon(&r.boundary),
                g.code.to_string(),
                g.name,
                g.level.as_str(),
                g.parent_code.map(|c| c.to_string()),
                g.population as i64,
                g.households as i64,
                g.synthetic
            ])
            .map_err(sql("insert region"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO cells (geom, code, village_code, name, population, synthetic) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(sql("prepare insert cell"))?;
        for c in &world.geography.cells {
            st.execute(params![
                encode_multipolygon(&c.boundary),
                c.cell.code.to_string(),
                c.cell.code.village().to_string(),
                c.cell.name,
                c.cell.population as i64,
                c.cell.synthetic
            ])
            .map_err(sql("insert cell"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO resources (fid, geom, kind, prevention, name, region_code, subtype, heading_deg, fov_deg, range_m) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .map_err(sql("prepare insert resource"))?;
        for r in &world.geography.resources {
            st.execute(params![
                r.id as i64,
                encode_point(r.lon, r.lat),
                r.kind.as_str(),
                format!("{:?}", r.kind.prevention()).to_lowercase(),
                r.name,
                r.region_code.to_string(),
                r.subtype,
                r.camera.map(|c| c.heading_deg),
                r.camera.map(|c| c.fov_deg),
                r.camera.map(|c| c.range_m)
            ])
            .map_err(sql("insert resource"))?;
        }
        let mut st = tx
            .prepare("INSERT INTO officers (fid, name, badge, station_id) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql("prepare insert officer"))?;
        let mut sv = tx
            .prepare("INSERT INTO officer_villages (officer_id, village_code) VALUES (?1, ?2)")
            .map_err(sql("prepare insert officer village"))?;
        for o in &world.geography.officers {
            st.execute(params![o.id as i64, o.name, o.badge, o.station_id as i64]).map_err(sql("insert officer"))?;
            for v in &o.villages {
                sv.execute(params![o.id as i64, v.to_string()]).map_err(sql("insert officer village"))?;
            }
        }
    }
    for (n, p) in &world.incidents {
        insert_incident(&tx, n, p)?;
    }
    if let Some(truth) = &world.demo_truth_json {
        tx.execute("INSERT INTO safegrid_meta (key, value) VALUES ('demo_truth', ?1)", [truth])
            .map_err(sql("write meta"))?;
    }
    for (table, points) in [("regions", false), ("cells", false), ("incidents", true), ("resources", true)] {
        update_extent(&tx, table, points)?;
    }
    tx.commit().map_err(sql("commit world"))
}

fn read_geography(conn: &Connection) -> Result<GeographyData, GpkgError> {
    let mut regions = Vec::new();
    let mut st = conn
        .prepare(
            "SELECT geom, code, name, level, parent_code, population, households, synthetic FROM regions ORDER BY code",
        )
        .map_err(sql("prepare load regions"))?;
    let mut rows = st.query([]).map_err(sql("load regions"))?;
    while let Some(r) = rows.next().map_err(sql("load regions"))? {
        let blob: Vec<u8> = r.get(0).map_err(sql("load regions"))?;
        let code: String = r.get(1).map_err(sql("load regions"))?;
        let level: String = r.get(3).map_err(sql("load regions"))?;
        let parent: Option<String> = r.get(4).map_err(sql("load regions"))?;
        regions.push(RegionShape {
            region: Region {
                code: RegionCode::parse(&code).map_err(|e| corrupt("region code", e))?,
                name: r.get(2).map_err(sql("load regions"))?,
                level: level.parse().map_err(|()| corrupt("region level", &level))?,
                parent_code: parent
                    .map(|p| RegionCode::parse(&p))
                    .transpose()
                    .map_err(|e| corrupt("parent code", e))?,
                population: r.get::<_, i64>(5).map_err(sql("load regions"))? as u64,
                households: r.get::<_, i64>(6).map_err(sql("load regions"))? as u64,
                synthetic: r.get(7).map_err(sql("load regions"))?,
            },
            boundary: decode_multipolygon(&blob).map_err(|e| corrupt("region geometry", e))?,
        });
    }
    let mut cells = Vec::new();
    let mut st = conn
        .prepare("SELECT geom, code, name, population, synthetic FROM cells ORDER BY code")
        .map_err(sql("prepare load cells"))?;
    let mut rows = st.query([]).map_err(sql("load cells"))?;
    while let Some(r) = rows.next().map_err(sql("load cells"))? {
        let blob: Vec<u8> = r.get(0).map_err(sql("load cells"))?;
        let code: String = r.get(1).map_err(sql("load cells"))?;
        cells.push(CellShape {
            cell: Cell {
                code: CellCode::parse(&code).map_err(|e| corrupt("cell code", e))?,
                name: r.get(2).map_err(sql("load cells"))?,
                population: r.get::<_, i64>(3).map_err(sql("load cells"))? as u64,
                synthetic: r.get(4).map_err(sql("load cells"))?,
            },
            boundary: decode_multipolygon(&blob).map_err(|e| corrupt("cell geometry", e))?,
        });
    }
    let mut resources = Vec::new();
    let mut st = conn
        .prepare("SELECT fid, geom, kind, name, region_code, subtype, heading_deg, fov_deg, range_m FROM resources ORDER BY fid")
        .map_err(sql("prepare load resources"))?;
    let mut rows = st.query([]).map_err(sql("load resources"))?;
    while let Some(r) = rows.next().map_err(sql("load resources"))? {
        let blob: Vec<u8> = r.get(1).map_err(sql("load resources"))?;
        let p = decode_point(&blob).map_err(|e| corrupt("resource geometry", e))?;
        let kind: String = r.get(2).map_err(sql("load resources"))?;
        let region: String = r.get(4).map_err(sql("load resources"))?;
        let heading: Option<f64> = r.get(6).map_err(sql("load resources"))?;
        let fov: Option<f64> = r.get(7).map_err(sql("load resources"))?;
        let range: Option<f64> = r.get(8).map_err(sql("load resources"))?;
        resources.push(Resource {
            id: r.get::<_, i64>(0).map_err(sql("load resources"))? as u64,
            kind: ResourceKind::parse(&kind).ok_or_else(|| corrupt("resource kind", &kind))?,
            name: r.get(3).map_err(sql("load resources"))?,
            lon: p.x(),
            lat: p.y(),
            region_code: RegionCode::parse(&region).map_err(|e| corrupt("resource region", e))?,
            subtype: r.get(5).map_err(sql("load resources"))?,
            camera: match (heading, fov, range) {
                (Some(heading_deg), Some(fov_deg), Some(range_m)) => Some(CameraView { heading_deg, fov_deg, range_m }),
                _ => None,
            },
        });
    }
    let mut officers: Vec<Officer> = Vec::new();
    let mut st = conn
        .prepare("SELECT fid, name, badge, station_id FROM officers ORDER BY fid")
        .map_err(sql("prepare load officers"))?;
    let mut rows = st.query([]).map_err(sql("load officers"))?;
    while let Some(r) = rows.next().map_err(sql("load officers"))? {
        officers.push(Officer {
            id: r.get::<_, i64>(0).map_err(sql("load officers"))? as u64,
            name: r.get(1).map_err(sql("load officers"))?,
            badge: r.get(2).map_err(sql("load officers"))?,
            station_id: r.get::<_, i64>(3).map_err(sql("load officers"))? as u64,
            villages: Vec::new(),
        });
    }
    let mut st = conn
        .prepare("SELECT officer_id, village_code FROM officer_villages ORDER BY officer_id, village_code")
        .map_err(sql("prepare load officer villages"))?;
    let mut rows = st.query([]).map_err(sql("load officer villages"))?;
    while let Some(r) = rows.next().map_err(sql("load officer villages"))? {
        let id = r.get::<_, i64>(0).map_err(sql("load officer villages"))? as u64;
        let v: String = r.get(1).map_err(sql("load officer villages"))?;
        let v = RegionCode::parse(&v).map_err(|e| corrupt("officer village", e))?;
        if let Ok(i) = officers.binary_search_by_key(&id, |o| o.id) {
            officers[i].villages.push(v);
        }
    }
    Ok(GeographyData { regions, cells, resources, officers })
}

fn read_incident_rows(
    conn: &mut Connection,
    ids: std::ops::RangeInclusive<u64>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<IncidentRow>, GpkgError> {
    let mut out = Vec::new();
    let mut st = conn.prepare_cached(SELECT_INCIDENT_ROWS).map_err(sql("prepare load incidents"))?;
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

const SELECT_USER: &str = "SELECT fid, username, role, jurisdiction, officer_id, disabled, password_hash FROM users";

fn user_from_row(r: &Row<'_>) -> Result<(User, String), GpkgError> {
    let role: String = r.get(2).map_err(sql("read user"))?;
    let jurisdiction: Option<String> = r.get(3).map_err(sql("read user"))?;
    Ok((
        User {
            id: r.get::<_, i64>(0).map_err(sql("read user"))? as u64,
            username: r.get(1).map_err(sql("read user"))?,
            role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
            jurisdiction: jurisdiction
                .map(|j| RegionCode::parse(&j))
                .transpose()
                .map_err(|e| corrupt("jurisdiction", e))?,
            officer_id: r.get::<_, Option<i64>>(4).map_err(sql("read user"))?.map(|o| o as u64),
            disabled: r.get(5).map_err(sql("read user"))?,
        },
        r.get(6).map_err(sql("read user"))?,
    ))
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
fn insert_all(
    conn: &mut Connection,
    items: &[(NewIncident, Placement)],
    log: bool,
    by: &[Option<Attribution>],
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
        for (outcome, by) in out.iter().zip(by) {
            if let Some(by) = by {
                insert_audit(&tx, &creation_audit(by, outcome))?;
            }
        }
        tx.commit().map_err(sql("commit incidents"))?;
        Ok((Inserted { outcomes: out, derived }, logged))
    })
}

/// The id AUTOINCREMENT gives the next incident: one past the larger of the table's last row and
/// its high-water mark.
fn next_incident_id(tx: &rusqlite::Transaction<'_>) -> Result<u64, GpkgError> {
    let last: i64 = tx
        .query_row(
            "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0), \
                        COALESCE((SELECT max(fid) FROM incidents), 0))",
            [],
            |r| r.get(0),
        )
        .map_err(sql("next incident id"))?;
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

fn insert_audit(tx: &rusqlite::Transaction<'_>, e: &NewAudit) -> Result<(), GpkgError> {
    tx.prepare_cached(
        "INSERT INTO audit (at, actor, role, action, target, source, result, detail) \
         VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(sql("prepare append audit"))?
    .execute(params![e.actor, e.role.map(Role::as_str), e.action, e.target, e.source, e.result, e.detail])
    .map_err(sql("append audit"))?;
    Ok(())
}

/// Appends `events` to the live log in order, runs of packable kinds packed into one row each
/// (`model::live::pack`); a row's seq is the last of the seqs it holds, so the next seq is one
/// past the larger of the table's last row and AUTOINCREMENT's high-water mark.
fn append_events(tx: &rusqlite::Transaction<'_>, events: &[NewLiveEvent]) -> Result<Committed, GpkgError> {
    let mut st = tx
        .prepare_cached(
            "INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data, span) VALUES (\
             max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'live_events'), 0), \
                 COALESCE((SELECT max(seq) FROM live_events), 0)) + ?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(sql("prepare append event"))?;
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
fn append_event(tx: &rusqlite::Transaction<'_>, e: &NewLiveEvent) -> Result<LiveEvent, GpkgError> {
    append_events(tx, std::slice::from_ref(e))?
        .events
        .pop()
        .ok_or_else(|| corrupt("live log", "an append wrote nothing"))
}

const SELECT_EVENTS: &str = "SELECT seq, at, kind, subject, cell_code, category, actor, data, span FROM live_events";

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
fn read_events(c: &Connection, clause: &str, values: &[&dyn rusqlite::ToSql]) -> Result<Vec<LiveEvent>, GpkgError> {
    let mut st = c.prepare_cached(&format!("{SELECT_EVENTS} {clause}")).map_err(sql("prepare read events"))?;
    let mut rows = st.query(values).map_err(sql("read events"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("read events"))? {
        out.extend(events_from_row(r)?);
    }
    Ok(out)
}

fn change_status(
    conn: &mut Connection,
    id: IncidentId,
    t: &Transition,
    by: &str,
    at: DateTime<Utc>,
) -> Result<LiveEvent, StoreError> {
    let tx = conn.transaction().map_err(sql("begin"))?;
    let current = fetch_incident(&tx, id)?.ok_or(StoreError::NotFound { id })?;
    workflow::check(current.fields.status, t).map_err(StoreError::Workflow)?;
    tx.execute("UPDATE incidents SET status = ?1 WHERE fid = ?2", params![t.to.as_str(), id.0 as i64])
        .map_err(sql("update status"))?;
    let event = append_event(&tx, &change_event(&current, t, by, at))?;
    tx.commit().map_err(sql("commit status change"))?;
    Ok(event)
}

fn append_desk(
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
                .query_row(
                    "SELECT COALESCE(MAX(subject), 0) + 1 FROM live_events WHERE kind = ?1",
                    [event.kind.as_str()],
                    |r| r.get(0),
                )
                .map_err(sql("next desk subject"))?;
            event.subject = next as u64;
        }
        DeskCheck::Version { kinds, seq } => {
            // The kinds are the enum's own names: safe to inline.
            let list = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(", ");
            let newest: i64 = tx
                .query_row(
                    &format!("SELECT COALESCE(MAX(seq), 0) FROM live_events WHERE subject = ?1 AND kind IN ({list})"),
                    [event.subject as i64],
                    |r| r.get(0),
                )
                .map_err(sql("desk version"))?;
            if newest as u64 != seq {
                return Err(StoreError::Stale { subject: event.subject, newest: newest as u64 });
            }
        }
    }
    let logged = append_event(&tx, &event)?;
    if let Some(p) = photo {
        tx.execute(
            "INSERT INTO desk_photos (seq, content_type, bytes) VALUES (?1, ?2, ?3)",
            params![logged.seq as i64, p.content_type, p.bytes],
        )
        .map_err(sql("store photo"))?;
    }
    tx.commit().map_err(sql("commit desk event"))?;
    Ok(logged)
}

fn read_audit(c: &Connection, q: &AuditQuery) -> Result<Vec<AuditEntry>, GpkgError> {
    let mut st = c
        .prepare_cached(
            "SELECT fid, at, actor, role, action, target, source, result, detail FROM audit \
             WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) \
             ORDER BY fid DESC LIMIT ?5",
        )
        .map_err(sql("prepare audit"))?;
    let mut rows = st.query(params![q.actor, q.action, q.from, q.to, q.limit as i64]).map_err(sql("audit"))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql("audit"))? {
        let g = |i: usize| r.get::<_, Option<String>>(i).map_err(sql("audit"));
        out.push(AuditEntry {
            id: r.get::<_, i64>(0).map_err(sql("audit"))? as u64,
            at: g(1)?.unwrap_or_default(),
            actor: g(2)?.unwrap_or_default(),
            role: g(3)?,
            action: g(4)?.unwrap_or_default(),
            target: g(5)?.unwrap_or_default(),
            source: g(6)?,
            result: g(7)?.unwrap_or_default(),
            detail: g(8)?,
        });
    }
    Ok(out)
}

#[async_trait]
impl Store for GpkgStore {
    fn backend(&self) -> &'static str {
        "geopackage"
    }

    fn past_reads(&self) -> Option<Arc<dyn crate::PastReads>> {
        None
    }

    fn changes(&self) -> Option<tokio::sync::mpsc::Receiver<crate::Notice>> {
        None
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.snapshot_gpkg().await
    }

    async fn restore(&self, _snap: &Snapshot) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            what: "restore",
            instead: "restore an embedded store by copying a backup to safegrid.gpkg in an empty data directory",
        })
    }

    async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        self.backup_gpkg(to).await
    }

    async fn has_world(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            c.query_row("SELECT EXISTS (SELECT 1 FROM cells)", [], |r| r.get::<_, bool>(0)).map_err(sql("check world"))
        })
        .await
    }

    async fn replace_world(&self, world: WorldData) -> Result<(), StoreError> {
        let recent = Arc::clone(&self.recent);
        self.write(move |c| {
            write_world(c, &world)?;
            // The log was emptied: nothing held is in the file any more.
            *recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = RecentEvents::default();
            Ok(((), Committed::default()))
        })
        .await
    }

    async fn load_geography(&self) -> Result<GeographyData, StoreError> {
        self.read(|c| read_geography(c)).await
    }

    async fn incident_rows(
        &self,
        ids: std::ops::RangeInclusive<u64>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        self.read(move |c| read_incident_rows(c, ids, since)).await
    }

    async fn insert_deriving(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Vec<Option<Attribution>>,
        derive: Option<Derive>,
    ) -> Result<Inserted, StoreError> {
        self.write(move |c| insert_all(c, &items, true, &by, derive.as_ref())).await
    }

    async fn bulk_load(&self, items: Vec<(NewIncident, Placement)>) -> Result<Loaded, StoreError> {
        let outcomes = self.write(move |c| insert_all(c, &items, false, &[], None)).await?.outcomes;
        let created = outcomes.iter().filter_map(InsertOutcome::created).count() as u64;
        Ok(Loaded { created, existing: outcomes.len() as u64 - created })
    }

    async fn incidents_by_id(&self, scope: &Scope, ids: Vec<IncidentId>) -> Result<Vec<Incident>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(i) = fetch_incident(c, id)?.filter(|i| scope.allows_cell(i.placement.cell_code)) {
                    out.push(i);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn search_incidents(&self, scope: &Scope, text: &str, limit: usize) -> Result<Vec<Incident>, StoreError> {
        let scope = scope.clone();
        let exact = text.to_owned();
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        self.read(move |c| {
            let mut st =
                c.prepare_cached(&format!("{SELECT_INCIDENT} {SEARCH_INCIDENTS}")).map_err(sql("prepare search"))?;
            // Read past the limit so that matches outside the scope do not starve the answer.
            let mut rows = st.query(params![exact, pattern, (limit * 20) as i64]).map_err(sql("search"))?;
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
        })
        .await
    }

    async fn create_user(&self, user: NewUser) -> Result<Option<User>, StoreError> {
        Self::with(&self.writer, move |c| {
            let taken: bool = c
                .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", [&user.username], |r| r.get(0))
                .map_err(sql("check username"))?;
            if taken {
                return Ok(None);
            }
            c.execute(
                "INSERT INTO users (username, password_hash, role, jurisdiction, officer_id, disabled, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                params![
                    user.username,
                    user.password_hash,
                    user.role.as_str(),
                    user.jurisdiction.map(|j| j.to_string()),
                    user.officer_id.map(|o| o as i64)
                ],
            )
            .map_err(sql("insert user"))?;
            Ok(Some(User {
                id: c.last_insert_rowid() as u64,
                username: user.username,
                role: user.role,
                jurisdiction: user.jurisdiction,
                officer_id: user.officer_id,
                disabled: false,
            }))
        })
        .await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!("{SELECT_USER} ORDER BY fid")).map_err(sql("prepare users"))?;
            let mut rows = st.query([]).map_err(sql("users"))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(sql("users"))? {
                out.push(user_from_row(r)?.0);
            }
            Ok(out)
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let username = username.to_owned();
        Self::with(&self.sign_in, move |c| {
            let mut st =
                c.prepare_cached(&format!("{SELECT_USER} WHERE username = ?1")).map_err(sql("prepare user"))?;
            let mut rows = st.query([username]).map_err(sql("user"))?;
            match rows.next().map_err(sql("user"))? {
                Some(r) => user_from_row(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        let username = username.to_owned();
        Self::with(&self.writer, move |c| {
            let tx = c.transaction().map_err(sql("begin"))?;
            let n = tx
                .execute("UPDATE users SET disabled = ?1 WHERE username = ?2", params![disabled, username])
                .map_err(sql("disable user"))?;
            if disabled {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT fid FROM users WHERE username = ?1)",
                    [&username],
                )
                .map_err(sql("end sessions"))?;
            }
            tx.commit().map_err(sql("commit"))?;
            Ok(n > 0)
        })
        .await
    }

    async fn set_password(
        &self,
        user_id: u64,
        password_hash: String,
        keep_session: Option<String>,
    ) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| {
            let tx = c.transaction().map_err(sql("begin"))?;
            tx.execute("UPDATE users SET password_hash = ?1 WHERE fid = ?2", params![password_hash, user_id as i64])
                .map_err(sql("set password"))?;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2",
                params![user_id as i64, keep_session],
            )
            .map_err(sql("end sessions"))?;
            tx.commit().map_err(sql("commit"))
        })
        .await
    }

    async fn create_session(
        &self,
        token_hash: String,
        user_id: u64,
        now: String,
        expires_at: String,
    ) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user_id as i64, now, expires_at],
            )
            .map_err(sql("create session"))?;
            // Expired sessions are dead weight: clear them as new ones come.
            c.execute("DELETE FROM sessions WHERE expires_at < ?1", [&now]).map_err(sql("purge sessions"))?;
            Ok(())
        })
        .await
    }

    async fn session_user(&self, token_hash: String, now: String) -> Result<Option<User>, StoreError> {
        Self::with(&self.sessions, move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "{SELECT_USER} WHERE disabled = 0 AND fid = (SELECT user_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2)"
                ))
                .map_err(sql("prepare session"))?;
            let mut rows = st.query(params![token_hash, now]).map_err(sql("session"))?;
            match rows.next().map_err(sql("session"))? {
                Some(r) => user_from_row(r).map(|u| Some(u.0)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn delete_session(&self, token_hash: String) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash]).map_err(sql("delete session"))?;
            Ok(())
        })
        .await
    }

    async fn append_audits(&self, entries: Vec<NewAudit>) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| {
            let tx = c.transaction().map_err(sql("begin"))?;
            for e in &entries {
                insert_audit(&tx, e)?;
            }
            tx.commit().map_err(sql("commit audit"))
        })
        .await
    }

    async fn audit(&self, q: AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |c| read_audit(c, &q)).await
    }

    async fn append_events(&self, events: Vec<NewLiveEvent>) -> Result<Vec<LiveEvent>, StoreError> {
        self.write(move |c| {
            let tx = c.transaction().map_err(sql("begin"))?;
            let committed = append_events(&tx, &events)?;
            tx.commit().map_err(sql("commit events"))?;
            Ok((committed.events.clone(), committed))
        })
        .await
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LiveEvent>, StoreError> {
        let held = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).after(after, limit);
        if let Some(events) = held {
            return Ok(events);
        }
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!("{SELECT_EVENTS} WHERE seq > ?1 ORDER BY seq LIMIT ?2"))
                .map_err(sql("prepare read events"))?;
            let mut rows = st.query(params![after as i64, limit as i64]).map_err(sql("read events"))?;
            let mut out = Vec::new();
            // Whole rows until `limit` events: a page ends at most one packed row past it.
            while out.len() < limit {
                let Some(r) = rows.next().map_err(sql("read events"))? else { break };
                // A packed row's first events may be at or before `after`.
                out.extend(events_from_row(r)?.into_iter().filter(|e| e.seq > after));
            }
            Ok(out)
        })
        .await
    }

    async fn events_since(&self, since: DateTime<Utc>, kinds: Vec<LiveKind>) -> Result<Vec<LiveEvent>, StoreError> {
        self.read(move |c| {
            let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
            // A packed row's `at` is its latest event's: its earlier events may be before `since`.
            let mut all = read_events(
                c,
                &format!("WHERE at >= ?1 AND kind IN ({}) ORDER BY seq", names.join(", ")),
                &[&millis(since)],
            )?;
            all.retain(|e| e.event.at >= since);
            Ok(all)
        })
        .await
    }

    async fn subject_events(&self, kind: LiveKind, subject: u64) -> Result<Vec<LiveEvent>, StoreError> {
        self.read(move |c| {
            let mut events =
                read_events(c, "WHERE kind = ?1 AND subject = ?2 ORDER BY seq", &[&kind.as_str(), &(subject as i64)])?;
            // Only kinds that never pack are looked up by subject; a packed row's other events
            // would be missed, and its first is kept only if it is the subject's.
            events.retain(|e| e.event.subject == subject);
            Ok(events)
        })
        .await
    }

    async fn last_seq(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            c.query_row("SELECT COALESCE(MAX(seq), 0) FROM live_events", [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(sql("last seq"))
        })
        .await
    }

    async fn change_status(
        &self,
        id: IncidentId,
        t: Transition,
        by: String,
        at: DateTime<Utc>,
    ) -> Result<LiveEvent, StoreError> {
        self.write(move |c| {
            let logged = change_status(c, id, &t, &by, at)?;
            let committed = Committed::one(&logged);
            Ok((logged, committed))
        })
        .await
    }

    async fn append_desk(
        &self,
        event: NewLiveEvent,
        check: DeskCheck,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError> {
        self.write(move |c| {
            let logged = append_desk(c, event, check, photo)?;
            let committed = Committed::one(&logged);
            Ok((logged, committed))
        })
        .await
    }

    async fn photo(&self, seq: u64) -> Result<Option<Photo>, StoreError> {
        self.read(move |c| {
            c.query_row("SELECT content_type, bytes FROM desk_photos WHERE seq = ?1", [seq as i64], |r| {
                Ok(Photo { content_type: r.get(0)?, bytes: r.get(1)? })
            })
            .optional()
            .map_err(sql("read photo"))
        })
        .await
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| {
            c.query_row("SELECT value FROM safegrid_meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(sql("read meta"))
        })
        .await
    }
}
