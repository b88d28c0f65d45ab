//! The embedded store: one OGC GeoPackage file (SQLite), so `ogrinfo` and QGIS open its layers.
//!
//! Durability: WAL journal with `synchronous=FULL`; a write is acknowledged only after its
//! transaction commits, so acknowledged writes survive a crash. One writer connection, a small
//! pool of reader connections (WAL lets them read beside each other and the writer), one reader
//! kept for sign-in and one for session checks, so neither a flood of slow reads nor one of
//! unknown tokens stalls signing in; each used from blocking tasks.
//!
//! Every statement is in `sql/`. A statement with a `{name}` in it gets its value from Rust
//! (`str::replace`): a table name or a list of an enum's own names, never outside input.

/// The text of `sql/<name>.sql`.
macro_rules! sql {
    ($name:literal) => {
        include_str!(concat!("sql/", $name, ".sql"))
    };
}

pub mod blob;
mod connection;
mod desk;
mod incident_parts;
mod incidents;
mod live_log;
mod users;
mod world;

use super::{
    AuditQuery, Audited, Derive, DeskCheck, GeographyData, IncidentRow, InsertOutcome, Inserted, Loaded, NewAudit,
    NewUser, Photo, Publication, Snapshot, Store, StoreError, WorldData, WorldVersion,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connection::{READERS, Readers, WAL_AUTOCHECKPOINT_PAGES, make_private, open_connection, start_checkpointer};
use live_log::{Committed, RecentEvents};
use model::auth::{AuditEntry, User};
use model::live::{LiveEvent, LiveKind, NewLiveEvent};
use model::scope::Scope;
use model::time::{format_utc_millis, parse_utc_millis};
use model::workflow::Transition;
use model::{Incident, IncidentId, NewIncident, Placement};
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

impl GpkgStore {
    /// Opens (creating if needed) `data_dir/safegrid.gpkg` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<GpkgStore, GpkgError> {
        let path = data_dir.join(FILE_NAME);
        make_private(data_dir, &path).map_err(|source| GpkgError::Dir { path: data_dir.to_owned(), source })?;
        let writer = open_connection(&path)?;
        let application_id: i64 =
            writer.query_row(sql!("application_id"), [], |r| r.get(0)).map_err(sql("read application_id"))?;
        let tables: i64 = writer.query_row(sql!("count_tables"), [], |r| r.get(0)).map_err(sql("count tables"))?;
        if tables > 0 && application_id != 0x4750_4B47 {
            return Err(GpkgError::Foreign { path, application_id });
        }
        let live_table: Option<String> = writer
            .query_row(sql!("live_events_ddl"), [], |r| r.get(0))
            .optional()
            .map_err(sql("read live_events schema"))?;
        // Stores from before a kind was added: the CHECK lacks it (the lists are tested equal to
        // `LiveKind::ALL` in store/tests/check_lists.rs).
        let lacks_a_kind =
            |ddl: &String| model::live::LiveKind::ALL.iter().any(|k| !ddl.contains(&format!("'{}'", k.as_str())));
        // Stores from before packed rows: every row holds one event. First, so that the
        // rebuild below keeps each row's span.
        if live_table.as_ref().is_some_and(|ddl| !ddl.contains("span")) {
            writer.execute_batch(sql!("upgrade_live_span")).map_err(sql("upgrade live_events span"))?;
        }
        if live_table.as_ref().is_some_and(lacks_a_kind) {
            // desk_photos references live_events: rebuilding it needs foreign keys off, outside
            // the transaction.
            writer
                .execute_batch(concat!(
                    "PRAGMA foreign_keys = OFF;",
                    sql!("begin_immediate"),
                    sql!("upgrade_live_kinds"),
                    sql!("commit"),
                    "PRAGMA foreign_keys = ON;"
                ))
                .map_err(sql("upgrade live_events kinds"))?;
        }
        // Stores from before department staff, grid workers or leaders: the users table lacks a
        // role (the lists are tested equal to `Role::ALL`) or a column.
        let users_table: Option<String> =
            writer.query_row(sql!("users_ddl"), [], |r| r.get(0)).optional().map_err(sql("read users schema"))?;
        let lacks_a_role =
            |ddl: &String| model::auth::Role::ALL.iter().any(|r| !ddl.contains(&format!("'{}'", r.as_str())));
        if let Some(ddl) = users_table.filter(lacks_a_role) {
            let department = if ddl.contains("department TEXT") { "department" } else { "NULL" };
            let grid_worker = if ddl.contains("grid_worker_id") { "grid_worker_id" } else { "NULL" };
            // Rebuilding a table others reference needs foreign keys off, outside the transaction.
            let upgrade = format!(
                "PRAGMA foreign_keys = OFF;{}{}{}PRAGMA foreign_keys = ON;",
                sql!("begin_immediate"),
                sql!("upgrade_users").replace("{department}", department).replace("{grid_worker}", grid_worker),
                sql!("commit")
            );
            writer.execute_batch(&upgrade).map_err(sql("upgrade users"))?;
        }
        writer.execute_batch(sql!("core")).map_err(sql("create GeoPackage core"))?;
        writer.execute_batch(sql!("schema")).map_err(sql("create schema"))?;
        writer.execute_batch(&incident_parts::schema()).map_err(sql("create incident parts"))?;
        writer.execute_batch(sql!("writer_temp_store")).map_err(sql("configure the writer"))?;
        // Stores from before key places were places to protect rather than 物防 (#30).
        writer.execute_batch(sql!("upgrade_key_places")).map_err(sql("upgrade key places"))?;
        writer
            .execute_batch(&sql!("wal_autocheckpoint").replace("{pages}", &WAL_AUTOCHECKPOINT_PAGES.to_string()))
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
        self.read(world::snapshot).await
    }

    async fn restore(&self, _snap: &Snapshot) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            what: "restore",
            instead: "restore an embedded store by copying a backup to safegrid.gpkg in an empty data directory",
        })
    }

    async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        world::backup(self, to).await
    }

    async fn has_world(&self) -> Result<bool, StoreError> {
        self.read(|c| world::has_world(c)).await
    }

    async fn replace_world(&self, world: WorldData) -> Result<(), StoreError> {
        let recent = Arc::clone(&self.recent);
        self.write(move |c| {
            world::write_world(c, &world)?;
            // The log was emptied: nothing held is in the file any more.
            *recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = RecentEvents::default();
            Ok(((), Committed::default()))
        })
        .await
    }

    async fn load_geography(&self) -> Result<GeographyData, StoreError> {
        self.read(|c| world::read_geography(c)).await
    }

    async fn publish_world(&self, publication: Publication) -> Result<WorldVersion, StoreError> {
        let follows = publication.follows.unwrap_or(0);
        self.write(move |c| Ok((world::publish_world(c, &publication)?, Committed::default())))
            .await?
            .map_err(|current| StoreError::StaleWorld { follows, current })
    }

    async fn world_versions(&self) -> Result<Vec<WorldVersion>, StoreError> {
        self.read(|c| world::read_versions(c)).await
    }

    async fn world_of_version(&self, version: u32) -> Result<Option<GeographyData>, StoreError> {
        self.read(move |c| world::read_world_of_version(c, version)).await
    }

    async fn incident_id_span(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Option<std::ops::RangeInclusive<u64>>, StoreError> {
        self.read(move |c| incidents::id_span(c, since)).await
    }

    async fn incident_rows(
        &self,
        ids: std::ops::RangeInclusive<u64>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let one_part = incident_parts::part_of(*ids.start()) == incident_parts::part_of(*ids.end());
        match since {
            None if one_part => self.read(move |c| incident_parts::read_rows(c, ids)).await,
            _ => self.read(move |c| incidents::read_incident_rows(c, ids, since)).await,
        }
    }

    async fn pack_incident_parts(&self) -> Result<usize, StoreError> {
        let Some(span) = self.incident_id_span(None).await? else { return Ok(0) };
        let parts = self.read(move |c| incident_parts::parts_to_pack(c, span)).await?;
        for &part in &parts {
            // One part per hold of the writer's lock, so writes wait at most one part's read.
            Self::with(&self.writer, move |c| incident_parts::pack(c, part)).await?;
        }
        Ok(parts.len())
    }

    async fn insert_deriving(
        &self,
        items: Vec<(NewIncident, Placement)>,
        by: Vec<Option<Audited>>,
        derive: Option<Derive>,
    ) -> Result<Inserted, StoreError> {
        self.write(move |c| incidents::insert_all(c, &items, true, &by, derive.as_ref())).await
    }

    async fn bulk_load(&self, items: Vec<(NewIncident, Placement)>) -> Result<Loaded, StoreError> {
        let outcomes = self.write(move |c| incidents::insert_all(c, &items, false, &[], None)).await?.outcomes;
        let created = outcomes.iter().filter_map(InsertOutcome::created).count() as u64;
        Ok(Loaded { created, existing: outcomes.len() as u64 - created })
    }

    async fn incidents_by_id(&self, scope: &Scope, ids: Vec<IncidentId>) -> Result<Vec<Incident>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| incidents::by_id(c, &scope, ids)).await
    }

    async fn incident_by_external(
        &self,
        source: model::Source,
        external_id: &str,
    ) -> Result<Option<IncidentId>, StoreError> {
        let external_id = external_id.to_owned();
        self.read(move |c| incidents::find_external(c, source, &external_id)).await
    }

    async fn search_incidents(&self, scope: &Scope, text: &str, limit: usize) -> Result<Vec<Incident>, StoreError> {
        let (scope, text) = (scope.clone(), text.to_owned());
        self.read(move |c| incidents::search(c, &scope, &text, limit)).await
    }

    async fn create_user(&self, user: NewUser) -> Result<Option<User>, StoreError> {
        Self::with(&self.writer, move |c| users::create_user(c, user)).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| users::users(c)).await
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let username = username.to_owned();
        Self::with(&self.sign_in, move |c| users::user_by_name(c, &username)).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        let username = username.to_owned();
        Self::with(&self.writer, move |c| users::set_user_disabled(c, &username, disabled)).await
    }

    async fn set_password(
        &self,
        user_id: u64,
        password_hash: String,
        keep_session: Option<String>,
    ) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| users::set_password(c, user_id, &password_hash, keep_session.as_deref()))
            .await
    }

    async fn create_session(
        &self,
        token_hash: String,
        user_id: u64,
        now: String,
        expires_at: String,
    ) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| users::create_session(c, &token_hash, user_id, &now, &expires_at)).await
    }

    async fn session_user(&self, token_hash: String, now: String) -> Result<Option<User>, StoreError> {
        Self::with(&self.sessions, move |c| users::session_user(c, &token_hash, &now)).await
    }

    async fn delete_session(&self, token_hash: String) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| users::delete_session(c, &token_hash)).await
    }

    async fn append_audits(&self, entries: Vec<NewAudit>) -> Result<(), StoreError> {
        Self::with(&self.writer, move |c| users::append_audits(c, &entries)).await
    }

    async fn audit(&self, q: AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |c| users::read_audit(c, &q)).await
    }

    async fn append_events(&self, events: Vec<NewLiveEvent>) -> Result<Vec<LiveEvent>, StoreError> {
        self.write(move |c| live_log::commit_events(c, &events)).await
    }

    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LiveEvent>, StoreError> {
        let held = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).after(after, limit);
        if let Some(events) = held {
            return Ok(events);
        }
        self.read(move |c| live_log::events_after(c, after, limit)).await
    }

    async fn events_since(&self, since: DateTime<Utc>, kinds: Vec<LiveKind>) -> Result<Vec<LiveEvent>, StoreError> {
        self.read(move |c| live_log::events_since(c, since, &kinds)).await
    }

    async fn subject_events(&self, kind: LiveKind, subject: u64) -> Result<Vec<LiveEvent>, StoreError> {
        self.read(move |c| live_log::subject_events(c, kind, subject)).await
    }

    async fn last_seq(&self) -> Result<u64, StoreError> {
        self.read(|c| live_log::last_seq(c)).await
    }

    async fn change_status(
        &self,
        id: IncidentId,
        t: Transition,
        by: String,
        at: DateTime<Utc>,
        photo: Option<Photo>,
    ) -> Result<LiveEvent, StoreError> {
        self.write(move |c| {
            let logged = live_log::change_status(c, id, &t, &by, at, photo)?;
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
            let logged = desk::append_desk(c, event, check, photo)?;
            let committed = Committed::one(&logged);
            Ok((logged, committed))
        })
        .await
    }

    async fn photo(&self, seq: u64) -> Result<Option<Photo>, StoreError> {
        self.read(move |c| desk::photo(c, seq)).await
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| world::meta(c, &key)).await
    }
}
