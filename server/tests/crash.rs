//! Crash safety of the embedded store: the real `safegrid serve` is killed with SIGKILL again and
//! again during sustained ingest; every incident it acknowledged (201) must be in the store, and
//! the store must open cleanly (integrity check, then serve again).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::{free_port, http, run, serve};
const PASSWORD: &str = "crash-test-password";
const KILLS: usize = 6;
const WRITERS: usize = 4;
const USER_ADD: [&str; 9] =
    ["user", "add", "--name", "ingest", "--role", "city", "--jurisdiction", "620600000000", "--password-stdin"];

/// Signs in as the ingest user.
fn login(port: u16) -> String {
    let (_, answer) =
        http(port, "POST", "/api/login", None, &format!(r#"{{"username":"ingest","password":"{PASSWORD}"}}"#)).unwrap();
    common::json(&answer)["token"].as_str().unwrap().to_owned()
}

/// `WRITERS` threads posting incidents `{prefix}-{n}` until stopped, recording each acknowledged (201) one.
fn start_writers(
    port: u16,
    token: &str,
    prefix: &'static str,
    acknowledged: &Arc<Mutex<Vec<String>>>,
    counter: &Arc<AtomicU64>,
) -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let writers = (0..WRITERS)
        .map(|_| {
            let (token, stop, acknowledged, counter) =
                (token.to_owned(), Arc::clone(&stop), Arc::clone(acknowledged), Arc::clone(counter));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let ext = format!("{prefix}-{n}");
                    let lon = 102.60 + (n % 97) as f64 * 0.0008;
                    let body = format!(
                        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon},37.93]}},"properties":{{"category":"traffic","source":"patrol","external_id":"{ext}","occurred_at":"2026-10-01T08:00:00Z"}}}}"#
                    );
                    if let Ok((201, _)) = http(port, "POST", "/api/incidents", Some(&token), &body) {
                        acknowledged.lock().unwrap().push(ext);
                    }
                }
            })
        })
        .collect();
    (stop, writers)
}

fn stop_writers(stop: &AtomicBool, writers: Vec<std::thread::JoinHandle<()>>) {
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
}

#[test]
fn every_acknowledged_incident_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let store = [OsStr::new("--data-dir"), dir.path().as_os_str()];
    run(&["demo", "--base-incidents", "2000", "--seed", "3"], &store, None);
    run(&USER_ADD, &store, Some(&format!("{PASSWORD}\n")));

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    let mut survived = 0;
    for round in 0..KILLS {
        let port = free_port();
        let mut server = serve(port, &store);
        let token = login(port);
        let (stop, writers) = start_writers(port, &token, "CRASH", &acknowledged, &counter);
        std::thread::sleep(Duration::from_millis(300 + 150 * round as u64));
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        stop_writers(&stop, writers);
        // The file is intact and holds every acknowledged incident.
        let conn = rusqlite::Connection::open(dir.path().join("safegrid.gpkg")).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        let mut st = conn
            .prepare("SELECT external_id FROM incidents WHERE source = 'patrol' AND external_id LIKE 'CRASH-%'")
            .unwrap();
        let stored: std::collections::HashSet<String> =
            st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        let acked = acknowledged.lock().unwrap();
        let lost: Vec<&String> = acked.iter().filter(|e| !stored.contains(*e)).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} acknowledged incidents lost, e.g. {:?}",
            lost.len(),
            acked.len(),
            lost.first()
        );
        survived += 1;
    }
    // And it serves again after the last kill.
    let port = free_port();
    let mut server = serve(port, &store);
    server.kill().unwrap();
    server.wait().unwrap();
    let total = acknowledged.lock().unwrap().len();
    assert!(total > 20, "ingest made progress: {total}");
    println!("crash test: survived {survived} SIGKILLs during ingest; {total} acknowledged incidents all present");
}

/// The same against PostGIS on the durable test cluster (fsync and synchronous_commit on,
/// `SAFEGRID_DURABLE_DATABASE_URL`, started by `cargo xtask test`): each round kills the server
/// with SIGKILL and crashes PostgreSQL itself (`pg_ctl stop -m immediate`: no checkpoint, crash
/// recovery on the next start) during ingest. Every acknowledged incident must be there after.
#[test]
fn every_acknowledged_incident_survives_a_crash_of_server_and_database() {
    let (Ok(admin), Ok(pg_dir)) =
        (std::env::var("SAFEGRID_DURABLE_DATABASE_URL"), std::env::var("SAFEGRID_DURABLE_PG_DIR"))
    else {
        if common::required() {
            panic!("SAFEGRID_DURABLE_DATABASE_URL is missing: `cargo xtask test` starts the durable cluster");
        }
        eprintln!("notice: SAFEGRID_DURABLE_DATABASE_URL is not set; skipping the PostGIS crash test");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin_client = rt.block_on(store::postgis::connect(&admin)).unwrap();
    let settings: Vec<String> = ["fsync", "synchronous_commit"]
        .iter()
        .map(|s| rt.block_on(admin_client.query_one(&format!("SHOW {s}"), &[])).unwrap().get(0))
        .collect();
    assert_eq!(settings, ["on", "on"], "the durability test needs a durable cluster");
    let name = format!("sg_crash_{}", std::process::id());
    rt.block_on(admin_client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).unwrap();
    rt.block_on(admin_client.batch_execute(&format!("CREATE DATABASE {name}"))).unwrap();
    drop(admin_client);
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let store = [OsStr::new("--database-url"), OsStr::new(&url)];
    run(&["demo", "--base-incidents", "2000", "--seed", "3"], &store, None);
    run(&USER_ADD, &store, Some(&format!("{PASSWORD}\n")));
    let pg_up = Path::new(env!("CARGO_MANIFEST_DIR")).join("../xtask/scripts/pg-up.sh");
    let port_of = admin.rsplit_once(':').unwrap().1.split('/').next().unwrap().to_owned();
    let restart_pg = || {
        let out = Command::new("bash")
            .arg(&pg_up)
            .env("PGT_DIR", &pg_dir)
            .env("PGT_PORT", &port_of)
            .env("PGT_DURABLE", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let crash_pg = || {
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D"])
            .arg(Path::new(&pg_dir).join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    for round in 0..3 {
        let port = free_port();
        let mut server = serve(port, &store);
        let token = login(port);
        let (stop, writers) = start_writers(port, &token, "PGCRASH", &acknowledged, &counter);
        std::thread::sleep(Duration::from_millis(400 + 200 * round as u64));
        crash_pg();
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        stop_writers(&stop, writers);
        restart_pg();
        let client = rt.block_on(store::postgis::connect(&url)).unwrap();
        let stored: std::collections::HashSet<String> = rt
            .block_on(client.query("SELECT external_id FROM incidents WHERE external_id LIKE 'PGCRASH-%'", &[]))
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let acked = acknowledged.lock().unwrap();
        let lost: Vec<&String> = acked.iter().filter(|e| !stored.contains(*e)).collect();
        assert!(lost.is_empty(), "round {round}: {} of {} acknowledged incidents lost", lost.len(), acked.len());
    }
    let total = acknowledged.lock().unwrap().len();
    assert!(total > 20, "ingest made progress: {total}");
    println!(
        "PostGIS crash test: 3 crashes of server and database during ingest; {total} acknowledged incidents all present"
    );
    let admin_client = rt.block_on(store::postgis::connect(&admin)).unwrap();
    rt.block_on(admin_client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).unwrap();
}
