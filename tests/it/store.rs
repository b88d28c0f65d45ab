//! The embedded GeoPackage store: round trips, idempotency, all-or-nothing batches, and that the
//! file is a GeoPackage other tools open.

use chrono::{Duration, TimeZone, Utc};
use model::{Category, NewIncident, Placement, Severity, Source, Status};
use server::boot::world_data;
use server::store::gpkg::{FILE_NAME, GpkgStore};
use server::store::{InsertOutcome, Store, StoreError};
use tests::{test_now, tool};

fn small_world() -> demo::World {
    demo::generate(&demo::DemoParams { base_incidents: 2_000, ..demo::DemoParams::new(5, test_now()) }).unwrap()
}

fn incident(ext: Option<&str>, minute: i64) -> NewIncident {
    let t = Utc.with_ymd_and_hms(2026, 10, 31, 12, 0, 0).unwrap() + Duration::minutes(minute);
    NewIncident {
        source: Source::Patrol,
        external_id: ext.map(str::to_owned),
        category: Category::PublicOrder,
        subcategory: None,
        occurred_at: t,
        reported_at: t,
        lon: 102.64,
        lat: 37.93,
        address: Some("测试地址".into()),
        summary: None,
        reporter_name: None,
        reporter_phone: None,
        severity: Severity::Minor,
        status: Status::Reported,
    }
}

#[tokio::test]
async fn a_world_round_trips_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let world = small_world();
    {
        let store = GpkgStore::open(dir.path()).unwrap();
        assert!(!store.has_world().await.unwrap());
        store.replace_world(world_data(world.clone())).await.unwrap();
    }
    let store = GpkgStore::open(dir.path()).unwrap();
    assert!(store.has_world().await.unwrap());
    let g = store.load_geography().await.unwrap();
    assert_eq!(g.regions, world.regions);
    assert_eq!(g.cells, world.cells);
    assert_eq!(g.resources, world.resources);
    assert_eq!(g.officers, world.officers);
    let rows = store.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), world.incidents.len());
    for (r, d) in rows.iter().zip(&world.incidents) {
        assert_eq!((r.lon, r.lat), (d.incident.lon, d.incident.lat));
        assert_eq!(r.occurred_s, d.incident.occurred_at.timestamp());
        assert_eq!((r.category, r.status, r.cell_code), (d.incident.category, d.incident.status, d.cell_code));
    }
    let full = store.incidents_by_id(&server::scope::Scope::everything(), vec![rows[10].id]).await.unwrap();
    assert_eq!(full[0].fields, world.incidents[10].incident);
    let truth: demo::Truth = serde_json::from_str(&store.meta("demo_truth").await.unwrap().unwrap()).unwrap();
    assert_eq!(truth, world.truth);
}

#[tokio::test]
async fn batches_are_idempotent_and_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = GpkgStore::open(dir.path()).unwrap();
    let place = Placement::of_cell("620602001001001".parse().unwrap());
    let first =
        store.insert_incidents(vec![(incident(Some("A"), 0), place), (incident(None, 1), place)]).await.unwrap();
    assert!(matches!(first[..], [InsertOutcome::Created(_), InsertOutcome::Created(_)]));
    let again =
        store.insert_incidents(vec![(incident(Some("A"), 0), place), (incident(Some("B"), 2), place)]).await.unwrap();
    assert!(
        matches!(&again[..], [InsertOutcome::Existing(a), InsertOutcome::Created(_)] if a.fields.external_id.as_deref() == Some("A"))
    );
    // C would be new, but A comes back with other content: nothing of the batch is written.
    let err = store
        .insert_incidents(vec![(incident(Some("C"), 3), place), (incident(Some("A"), 9), place)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { index: 1, .. }), "{err}");
    let rows = store.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), 3);
    // The same external id under another source is another incident.
    let mut other = incident(Some("A"), 9);
    other.source = Source::GridWorker;
    let r = store.insert_incidents(vec![(other, place)]).await.unwrap();
    assert!(matches!(r[..], [InsertOutcome::Created(_)]));
    // Acknowledged writes are in the file for any other reader.
    drop(store);
    let reopened = GpkgStore::open(dir.path()).unwrap();
    assert_eq!(reopened.load_incident_rows().await.unwrap().len(), 4);
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
