//! The embedded store keeps its SQLite locks while the same process opens it again (a server
//! reloading its world does). Opening and closing the database file outside SQLite would drop
//! every POSIX lock the process holds on it (SQLite's "How To Corrupt", 2.2.1): another process
//! could then take the database for itself, switch it out of WAL mode and delete the
//! write-ahead log under the server's connections, whose next reads say "database disk image is
//! malformed". The other process here is Python's sqlite3 asking for exactly that.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run;
use std::ffi::OsStr;
use std::process::Command;
use store::Store;
use store::gpkg::{FILE_NAME, GpkgStore};

/// What another process gets when it asks to leave WAL mode: `locked` while anyone has the
/// database open, `delete` when it took it.
fn leave_wal_from_another_process(file: &std::path::Path) -> Option<String> {
    let probe = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=0)\ntry:\n    print(c.execute('PRAGMA journal_mode=DELETE').fetchone()[0])\nexcept sqlite3.OperationalError as e:\n    print('locked' if 'locked' in str(e) else e)\n";
    let out = Command::new("python3").arg("-c").arg(probe).arg(file).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn reopening_the_store_in_a_process_keeps_its_locks_against_other_processes() {
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(!common::required(), "python3 is required here (Debian's python3)");
        eprintln!("notice: no python3; skipping the store-lock check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = [OsStr::new("--data-dir"), data.as_os_str()];
    run(&["demo", "--base-incidents", "200", "--seed", "3"], &args, None);
    let file = data.join(FILE_NAME);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // The serving generation holds the store open.
    let serving = GpkgStore::open(&data).unwrap();
    let users = runtime.block_on(serving.users()).unwrap();
    assert_eq!(leave_wal_from_another_process(&file).as_deref(), Some("locked"), "the probe itself");
    // The next generation opens the same store beside it: the first one's locks must hold.
    let next = GpkgStore::open(&data).unwrap();
    assert_eq!(
        leave_wal_from_another_process(&file).as_deref(),
        Some("locked"),
        "another process took the database while this one has it open"
    );
    assert_eq!(runtime.block_on(serving.users()).unwrap(), users);
    assert_eq!(runtime.block_on(next.users()).unwrap(), users);
}
