//! The stores: the conformance suite (`store::conformance`) run unchanged against the embedded
//! GeoPackage and PostGIS, each case on a fresh store of each backend, then the GeoPackage's own
//! checks (memory equals the file, a foreign file is refused, an old file is upgraded, other
//! tools open it).

use chrono::Duration;
use model::{Category, Placement, Status};
use server::boot::world_data;
use store::conformance::{self, incident};
use store::gpkg::{FILE_NAME, GpkgStore};
use store::{InsertOutcome, Store};
use tests::{Backend, test_now, tool};

fn small_world() -> demo::World {
    demo::generate(&demo::DemoParams { base_incidents: 2_000, ..demo::DemoParams::new(5, test_now()) }).unwrap()
}

/// Runs a conformance case on a fresh store of every backend.
macro_rules! conformance {
    ($case:ident, $tag:literal) => {
        #[tokio::test]
        async fn $case() {
            for backend in Backend::all($tag).await {
                conformance::$case(&backend).await;
                backend.remove().await;
            }
        }
    };
    ($case:ident, $tag:literal, world) => {
        #[tokio::test]
        async fn $case() {
            let world = world_data(small_world());
            for backend in Backend::all($tag).await {
                conformance::$case(&backend, &world).await;
                backend.remove().await;
            }
        }
    };
}

conformance!(the_live_log_numbers_events_in_commit_order_and_status_changes_are_checked, "conf_live", world);
conformance!(derived_events_are_logged_with_their_incidents_or_not_at_all, "conf_derive", world);
conformance!(work_orders_are_decided_against_the_stored_order, "conf_orders", world);
conformance!(desk_records_get_ids_versions_and_photos, "conf_desk", world);
conformance!(submitters_audit_entries_are_written_with_their_incidents, "conf_attrib", world);
conformance!(a_world_round_trips_through_the_store, "conf_world", world);
conformance!(publishing_a_world_keeps_incidents_and_records_versions, "conf_publish", world);
conformance!(batches_are_idempotent_and_all_or_nothing, "conf_batch");
conformance!(reads_and_search_keep_to_the_scope, "conf_scope");
conformance!(users_sessions_and_the_audit_log, "conf_users");

/// The embedded store answers `events_after` for what it just wrote from memory: every page must
/// be what a read of the file gives (a second store opened on the file holds nothing in memory),
/// also across a gap left by another writer of the same file.
#[tokio::test]
async fn the_live_log_read_from_memory_equals_the_file() {
    use model::live::{LiveKind, NewLiveEvent};
    use model::workflow::Transition;
    let world = small_world();
    let placement = Placement::of_cell(world.incidents[0].cell_code);
    let dir = tempfile::tempdir().unwrap();
    let server = GpkgStore::open(dir.path()).unwrap();
    server.replace_world(world_data(world)).await.unwrap();
    let start = server.last_seq().await.unwrap();
    // Times with microseconds: the file keeps milliseconds.
    let t = test_now() + Duration::microseconds(123_456);
    let ev = |subject: u64, kind| NewLiveEvent {
        at: t,
        kind,
        subject,
        cell_code: Some(placement.cell_code),
        category: Some(Category::TRAFFIC),
        actor: Some("city".into()),
        data: if subject.is_multiple_of(3) { String::new() } else { format!(r#"{{"n":{subject}}}"#) },
    };
    // A packed row of 5 reports, then runs of pings and alerts (packed rows), a status change
    // (a row of its own), an event from another writer of the file, and more of this store's.
    let mut reports = Vec::new();
    for k in 0..5 {
        let mut n = incident(Some(&format!("mem-{k}")), k);
        n.occurred_at += Duration::microseconds(777);
        reports.push((n, placement));
    }
    let created = server.insert_incidents(reports).await.unwrap();
    let InsertOutcome::Created(first) = &created[0] else { panic!("{created:?}") };
    server.append_events((0..4).map(|k| ev(k, LiveKind::Unit)).collect()).await.unwrap();
    server.append_events(vec![ev(10, LiveKind::Alert), ev(11, LiveKind::Alert), ev(12, LiveKind::Unit)]).await.unwrap();
    let to = Transition { to: Status::Dispatched, unit: Some(2), ..Transition::default() };
    server.change_status(first.id, to, "city".into(), t, None).await.unwrap();
    let other = GpkgStore::open(dir.path()).unwrap();
    let foreign = other.append_events(vec![ev(50, LiveKind::Unit), ev(51, LiveKind::Unit)]).await.unwrap();
    server.append_events((60..63).map(|k| ev(k, LiveKind::Alert)).collect()).await.unwrap();
    server.append_events(vec![ev(70, LiveKind::Unit)]).await.unwrap();
    let end = server.last_seq().await.unwrap();
    assert_eq!(end - start, 5 + 4 + 3 + 1 + 2 + 3 + 1, "every event numbered");
    let file = GpkgStore::open(dir.path()).unwrap();
    let everything = file.events_after(start, 1_000).await.unwrap();
    assert_eq!(everything.len() as u64, end - start);
    assert!(everything.iter().any(|e| e.seq == foreign[0].seq), "the other writer's events are in the log");
    for after in start..=end {
        for limit in [1, 2, 3, 4, 7, 1_000] {
            assert_eq!(
                server.events_after(after, limit).await.unwrap(),
                file.events_after(after, limit).await.unwrap(),
                "after {after}, limit {limit}"
            );
        }
    }
}

#[tokio::test]
async fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance REAL)").unwrap();
    drop(conn);
    let err = GpkgStore::open(dir.path()).err().expect("must refuse");
    assert!(err.to_string().contains("not a SafeGrid GeoPackage"), "{err}");
}

#[tokio::test]
async fn a_store_from_before_the_desk_is_upgraded_keeping_its_live_log() {
    use model::live::{LiveKind, NewLiveEvent};
    let dir = tempfile::tempdir().unwrap();
    drop(GpkgStore::open(dir.path()).unwrap());
    // Put back the live log as stores before the village desk had it (no desk kinds), with one event.
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute_batch(
        "DROP TABLE desk_photos; DROP TABLE live_events;
         CREATE TABLE live_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL,
           kind TEXT NOT NULL CHECK (kind IN ('incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked')),
           subject INTEGER NOT NULL, cell_code TEXT, category TEXT, actor TEXT, data TEXT NOT NULL);
         INSERT INTO live_events (seq, at, kind, subject, data) VALUES (41, '2026-10-01T00:00:00.000Z', 'unit', 3, '{}');",
    )
    .unwrap();
    assert!(
        conn.execute("INSERT INTO live_events (at, kind, subject, data) VALUES ('x', 'visit', 1, '{}')", []).is_err()
    );
    drop(conn);
    let store = GpkgStore::open(dir.path()).unwrap();
    let old = store.events_after(0, 10).await.unwrap();
    assert_eq!((old.len(), old[0].seq, old[0].event.kind), (1, 41, LiveKind::Unit));
    let visit = NewLiveEvent {
        at: test_now(),
        kind: LiveKind::Visit,
        subject: 1,
        cell_code: None,
        category: None,
        actor: None,
        data: "{}".into(),
    };
    let logged = store.append_desk(visit, store::DeskCheck::Nothing, None).await.unwrap();
    assert_eq!(logged.seq, 42, "seq continues after the upgrade");
}

#[tokio::test]
async fn a_store_from_before_forecast_trials_is_upgraded_keeping_packed_rows() {
    use model::live::{LiveKind, NewLiveEvent};
    let dir = tempfile::tempdir().unwrap();
    drop(GpkgStore::open(dir.path()).unwrap());
    // The live log as it was after packed rows and before forecast trials, with a row of 3 events
    // and a visit whose photo references its row.
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let kinds: Vec<String> =
        LiveKind::ALL.iter().filter(|k| **k != LiveKind::ForecastTrial).map(|k| format!("'{}'", k.as_str())).collect();
    conn.execute_batch(&format!(
        "DROP TABLE live_events;
         CREATE TABLE live_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL,
           kind TEXT NOT NULL CHECK (kind IN ({})),
           subject INTEGER NOT NULL, cell_code TEXT, category TEXT, actor TEXT, data TEXT NOT NULL,
           span INTEGER NOT NULL DEFAULT 1 CHECK (span >= 1));
         INSERT INTO live_events (seq, at, kind, subject, data, span) VALUES (43, '2026-10-01T00:00:00.000Z', 'unit', 3, '[]', 3);
         INSERT INTO live_events (seq, at, kind, subject, data) VALUES (42, '2026-10-01T00:00:00.000Z', 'visit', 1, '{{}}');
         PRAGMA foreign_keys = ON;
         INSERT INTO desk_photos (seq, content_type, bytes) VALUES (42, 'image/jpeg', x'ffd8ff');",
        kinds.join(", ")
    ))
    .unwrap();
    drop(conn);
    let store = GpkgStore::open(dir.path()).unwrap();
    let trial = NewLiveEvent {
        at: test_now(),
        kind: LiveKind::ForecastTrial,
        subject: 620602000000,
        cell_code: None,
        category: None,
        actor: None,
        data: "{}".into(),
    };
    let logged = store.append_desk(trial, store::DeskCheck::Nothing, None).await.unwrap();
    assert_eq!(logged.seq, 44, "seq continues after the upgrade");
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let span: i64 = conn.query_row("SELECT span FROM live_events WHERE seq = 43", [], |r| r.get(0)).unwrap();
    assert_eq!(span, 3, "the packed row keeps its span");
    let photo: Vec<u8> = conn.query_row("SELECT bytes FROM desk_photos WHERE seq = 42", [], |r| r.get(0)).unwrap();
    assert_eq!(photo, [0xff, 0xd8, 0xff], "the visit keeps its photo");
}

#[tokio::test]
async fn a_store_from_before_departments_is_upgraded_keeping_its_users_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    drop(GpkgStore::open(dir.path()).unwrap());
    // Put back the users table as stores before department staff had it, with a signed-in user.
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; DROP TABLE users;
         CREATE TABLE users (fid INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
           password_hash TEXT NOT NULL,
           role TEXT NOT NULL CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin')),
           jurisdiction TEXT, officer_id INTEGER, disabled BOOLEAN NOT NULL DEFAULT 0, created_at DATETIME NOT NULL,
           CHECK ((jurisdiction IS NULL) != (officer_id IS NULL)));
         INSERT INTO users VALUES (7, 'ann', 'h', 'county', '620602000000', NULL, 0, '2026-10-01T00:00:00.000Z');
         INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
           VALUES ('t', 7, '2026-10-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z');",
    )
    .unwrap();
    drop(conn);
    let store = GpkgStore::open(dir.path()).unwrap();
    let ann = store.session_user("t".into(), "2026-11-01T00:00:00.000Z".into()).await.unwrap().unwrap();
    assert_eq!((ann.id, ann.username.as_str(), ann.department), (7, "ann", None), "kept, with its session");
    let staff = store::NewUser {
        username: "cy".into(),
        password_hash: "h".into(),
        role: model::auth::Role::Department,
        jurisdiction: Some("620602000000".parse().unwrap()),
        officer_id: None,
        department: Some(model::department::DepartmentCode::parse("water-620602").unwrap()),
        grid_worker_id: None,
    };
    let cy = store.create_user(staff).await.unwrap().unwrap();
    assert_eq!(cy.id, 8, "ids continue");
    drop(store);
    // Opening again finds nothing to upgrade.
    let store = GpkgStore::open(dir.path()).unwrap();
    assert_eq!(store.users().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_store_from_before_leaders_is_upgraded_keeping_its_grid_workers() {
    let dir = tempfile::tempdir().unwrap();
    drop(GpkgStore::open(dir.path()).unwrap());
    // The users table as stores had it before the leader role (#30), with a grid worker.
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; DROP TABLE users;
         CREATE TABLE users (fid INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
           password_hash TEXT NOT NULL,
           role TEXT NOT NULL CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department', 'grid_worker')),
           jurisdiction TEXT, officer_id INTEGER, disabled BOOLEAN NOT NULL DEFAULT 0, created_at DATETIME NOT NULL,
           department TEXT, grid_worker_id INTEGER,
           CHECK ((jurisdiction IS NOT NULL) + (officer_id IS NOT NULL) + (grid_worker_id IS NOT NULL) = 1),
           CHECK ((department IS NOT NULL) = (role = 'department')),
           CHECK ((grid_worker_id IS NOT NULL) = (role = 'grid_worker')));
         INSERT INTO users VALUES (3, 'gus', 'h', 'grid_worker', NULL, NULL, 0, '2026-10-01T00:00:00.000Z', NULL, 4021);",
    )
    .unwrap();
    drop(conn);
    let store = GpkgStore::open(dir.path()).unwrap();
    let users = store.users().await.unwrap();
    assert_eq!((users[0].username.as_str(), users[0].grid_worker_id), ("gus", Some(4021)), "kept with its grid worker");
    let leader = store::NewUser {
        username: "shuji".into(),
        password_hash: "h".into(),
        role: model::auth::Role::Leader,
        jurisdiction: Some("620602000000".parse().unwrap()),
        officer_id: None,
        department: None,
        grid_worker_id: None,
    };
    assert_eq!(store.create_user(leader).await.unwrap().unwrap().id, 4, "a leader can be stored; ids continue");
}

#[tokio::test]
async fn ogrinfo_reads_the_store_as_a_geopackage() {
    if !tool("ogrinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let world = small_world();
    let n = world.incidents.len();
    let cells = world.cells.len();
    GpkgStore::open(dir.path()).unwrap().replace_world(world_data(world)).await.unwrap();
    let path = dir.path().join(FILE_NAME);
    let out = std::process::Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("using driver `GPKG' successful"), "{text}");
    for layer in ["Layer name: regions", "Layer name: cells", "Layer name: incidents", "Layer name: resources"] {
        assert!(text.contains(layer), "missing {layer}");
    }
    assert!(text.contains(&format!("Feature Count: {n}")), "incident count {n} not in\n{text}");
    assert!(text.contains(&format!("Feature Count: {cells}")));
    assert!(text.contains("Geometry: Multi Polygon") && text.contains("Geometry: Point"));
    // A spatial query through GDAL agrees with our own containment.
    let sql = "SELECT count(*) AS n FROM cells WHERE code LIKE '620602%'";
    let out = std::process::Command::new("ogrinfo").args(["-ro", "-q", "-sql", sql]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("n (Integer) = "), "{text}");
}
