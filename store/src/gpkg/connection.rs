//! Connections: the reader pool, the files' privacy, the checkpointer, and how the store runs a
//! read or a write on a blocking task.

use super::live_log::Committed;
use super::{GpkgError, GpkgStore, sql};
use crate::StoreError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How often the checkpointer copies committed WAL pages into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// WAL pages after which a commit checkpoints by itself (64 MiB of 4 KiB pages): the fallback
/// if the checkpointer falls behind; SQLite's default, 1,000 pages, made every large batch copy
/// its pages a second time before it was acknowledged.
pub(super) const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Copies committed WAL pages into the database file off the write path (a PASSIVE checkpoint
/// never blocks writers or readers), until `stop`'s sender is dropped.
pub(super) fn start_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, GpkgError> {
    let conn = open_connection(path)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("gpkg-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                if let Err(e) = conn.query_row(sql!("wal_checkpoint"), [], |_| Ok(())) {
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
pub(super) fn make_private(data_dir: &Path, file: &Path) -> std::io::Result<()> {
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
            // SQLite deletes the WAL and its index when a store's last connection closes, which
            // may be happening right now (a store just dropped, its checkpointer closing): gone
            // is as good as private.
            match std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
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
///
/// An existing database file is never opened here: closing a descriptor of it would drop every
/// POSIX lock this process's SQLite connections hold on it (SQLite's "How To Corrupt", 2.2.1),
/// and a server reloading its world opens the store while the old generation's connections are
/// still alive. Another process writing then meets readers that are no longer locked out
/// ("database disk image is malformed").
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            // Nothing holds a file that does not exist yet.
            std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Reader connections in the pool.
pub(super) const READERS: usize = 4;

/// Idle reader connections; a read takes one and gives it back when done (also on a panic).
pub(super) struct Readers {
    idle: Mutex<Vec<Connection>>,
    freed: std::sync::Condvar,
}

impl Readers {
    pub(super) fn open(path: &Path, n: usize) -> Result<Readers, GpkgError> {
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

/// A connection to the store file, configured for WAL, full sync, foreign keys and a busy timeout.
pub(super) fn open_connection(path: &Path) -> Result<Connection, GpkgError> {
    let conn = Connection::open(path).map_err(sql("open"))?;
    conn.execute_batch(sql!("configure_connection")).map_err(sql("configure"))?;
    Ok(conn)
}

impl GpkgStore {
    /// Runs the read `f` on a pooled reader connection (waiting for one to be free).
    pub(super) async fn read<T: Send + 'static>(
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

    pub(super) async fn with<T: Send + 'static>(
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
    ///
    /// [`RecentEvents`]: super::live_log::RecentEvents
    pub(super) async fn write<T: Send + 'static>(
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
