//! The PostGIS schema: `safegrid migrate` against the private cluster that `cargo xtask test`
//! starts (`SAFEGRID_TEST_DATABASE_URL`, a superuser on its `postgres` database). Every test
//! works in a database of its own, dropped at the end.

use store::postgis::connect;
use store::postgis::migrate::{MigrateError, latest_version, migrate};
use tests::{Scratch, admin_url};

#[tokio::test]
async fn migrate_builds_the_schema_once_and_refuses_a_newer_database() {
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "migrate").await;
    let mut client = connect(&db.url).await.unwrap();
    let first = migrate(&mut client).await.unwrap();
    assert_eq!((first.from, first.to), (0, latest_version()));
    let again = migrate(&mut client).await.unwrap();
    assert_eq!((again.from, again.to), (latest_version(), latest_version()), "a second run applies nothing");
    // The schema: geometry columns in WGS84 with GiST indexes, the idempotency key, the time index.
    let geom: Vec<(String, String, i32)> = client
        .query("SELECT f_table_name::text, type, srid FROM geometry_columns ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        geom,
        [
            ("cells".into(), "MULTIPOLYGON".into(), 4326),
            ("incidents".into(), "POINT".into(), 4326),
            ("incidents_before".into(), "POINT".into(), 4326),
            ("incidents_from_1".into(), "POINT".into(), 4326),
            ("regions".into(), "MULTIPOLYGON".into(), 4326),
            ("resources".into(), "POINT".into(), 4326),
        ]
    );
    let gist: i64 = client
        .query_one("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(gist, 4);
    for (table, index) in [
        ("incident_keys", "incidents_source_external_id"),
        ("incidents_before", "incidents_occurred_at"),
        ("incidents_from_1", "incidents_from_1_brin"),
        ("audit", "audit_actor_at"),
    ] {
        let n: i64 = client
            .query_one("SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexname = $2", &[&table, &index])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "{index}");
    }
    // Incidents in partitions by id: the table as it was below the first id, an open partition
    // above it.
    let partitions: Vec<(String, i64, bool)> = client
        .query("SELECT name, hi, indexed FROM incident_partitions ORDER BY lo", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(partitions, [("incidents_before".into(), 1, true), ("incidents_from_1".into(), 262_145, false)]);
    // Packed live-log rows are compressed with lz4 where the server has it (Debian's has).
    let lz4: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let compression: String = client
        .query_one(
            "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'live_events'::regclass AND attname = 'data'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(compression, if lz4 { "l" } else { "" }, "live_events.data compression (lz4 available: {lz4})");
    // The audit log is append-only here too.
    client
        .batch_execute(
            "INSERT INTO audit (at, actor, action, target, result) VALUES (now(), 'test', 'probe', 'x', 'ok')",
        )
        .await
        .unwrap();
    let err = client.batch_execute("UPDATE audit SET actor = 'someone else'").await.unwrap_err();
    assert!(err.as_db_error().unwrap().message().contains("append-only"), "{err}");
    assert!(client.batch_execute("DELETE FROM audit").await.is_err());
    // A database migrated by a newer build is refused, and left as it was.
    client.batch_execute("INSERT INTO safegrid_migrations (version, name) VALUES (999, '0999_future')").await.unwrap();
    match migrate(&mut client).await {
        Err(MigrateError::Newer { found: 999, known }) => assert_eq!(known, latest_version()),
        other => panic!("{other:?}"),
    }
    let n: i64 = client.query_one("SELECT count(*) FROM safegrid_migrations", &[]).await.unwrap().get(0);
    assert_eq!(n, latest_version() as i64 + 1, "every migration and the future one");
    drop(client);
    db.drop().await;
}

#[tokio::test]
async fn migrate_refuses_a_database_without_postgis_with_what_to_do() {
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "nopostgis").await;
    // An ordinary (non-superuser) owner cannot create the PostGIS extension.
    let role = format!("sg_plain_{}", std::process::id());
    db.admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")).await.unwrap();
    db.admin.batch_execute(&format!("ALTER DATABASE {} OWNER TO {role}", db.name)).await.unwrap();
    let url = db.url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert_ne!(url, db.url, "the admin URL is postgres://postgres@…");
    let mut client = connect(&url).await.unwrap();
    let err = migrate(&mut client).await.unwrap_err();
    assert!(matches!(err, MigrateError::NoPostgis(_)), "{err:?}");
    assert!(err.to_string().contains("CREATE EXTENSION postgis"), "{err}");
    let tables: i64 = client
        .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "nothing is created");
    drop(client);
    let admin_client = connect(&admin).await.unwrap();
    db.drop().await;
    admin_client.batch_execute(&format!("DROP ROLE IF EXISTS {role}")).await.unwrap();
}

#[tokio::test]
async fn bulk_load_copies_once_and_refuses_a_changed_report() {
    use store::postgis::copy::{CopyError, copy_incidents};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "copy").await;
    let mut client = connect(&db.url).await.unwrap();
    migrate(&mut client).await.unwrap();
    // The statistics below are this test's own: autovacuum stays away from them.
    client
        .batch_execute(
            "DO $$ DECLARE partition TEXT; BEGIN FOR partition IN SELECT name FROM incident_partitions LOOP \
             EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false)', partition); END LOOP; END $$",
        )
        .await
        .unwrap();
    let world =
        demo::generate(&demo::DemoParams { base_incidents: 1_000, ..demo::DemoParams::new(3, tests::test_now()) })
            .unwrap();
    let mut items = server::boot::world_data(world).incidents;
    for (k, (i, _)) in items.iter_mut().enumerate() {
        i.external_id = Some(format!("LOAD-{k}"));
    }
    let n = items.len() as u64;
    let first = copy_incidents(&mut client, &items).await.unwrap();
    assert_eq!((first.created, first.existing), (n, 0));
    // Loading the same file again stores nothing new.
    let again = copy_incidents(&mut client, &items).await.unwrap();
    assert_eq!((again.created, again.existing), (0, n));
    assert_eq!(count(&client).await, n);
    // Points arrive in WGS84 exactly; fields as given.
    let (i, p) = &items[17];
    let row = client
        .query_one(
            "SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom), category, cell_code, occurred_at FROM incidents WHERE external_id = 'LOAD-17'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, f64>(0), row.get::<_, f64>(1), row.get::<_, i32>(2)), (i.lon, i.lat, 4326));
    assert_eq!(row.get::<_, String>(3), i.category.as_str());
    assert_eq!(row.get::<_, String>(4), p.cell_code.to_string());
    assert_eq!(row.get::<_, chrono::DateTime<chrono::Utc>>(5), i.occurred_at);
    // A new row plus a stored key with a changed report: the whole load is refused.
    let mut changed = vec![items[0].clone(), items[5].clone()];
    changed[0].0.external_id = Some("LOAD-new".into());
    changed[1].0.summary = Some("a different account".into());
    match copy_incidents(&mut client, &changed).await {
        Err(CopyError::Conflict { index: 1, existing }) => assert!(existing > 0),
        other => panic!("{other:?}"),
    }
    // The same inside one load.
    let twice = vec![changed[0].clone(), {
        let mut d = changed[0].clone();
        d.0.summary = Some("other".into());
        d
    }];
    assert!(matches!(copy_incidents(&mut client, &twice).await, Err(CopyError::Repeated { index: 1, first: 0 })));
    assert_eq!(count(&client).await, n, "nothing of a refused load is stored");
    // Through the store, a load of a tenth or more of the incidents is analyzed at once.
    client.batch_execute("ANALYZE incidents").await.unwrap();
    let stored = count(&client).await;
    assert_eq!(planned(&client).await as u64, stored);
    let pg = store::postgis::open(&db.url, 2).await.unwrap();
    let more: Vec<_> = items
        .iter()
        .take(stored as usize / 5)
        .map(|(i, p)| {
            (model::NewIncident { external_id: i.external_id.as_ref().map(|e| format!("{e}-more")), ..i.clone() }, *p)
        })
        .collect();
    let few = more.len() as u64 / 20;
    store::Store::bulk_load(&pg, more[..few as usize].to_vec()).await.unwrap();
    assert_eq!(planned(&client).await as u64, stored, "a small load leaves the statistics to autovacuum");
    store::Store::bulk_load(&pg, more[few as usize..].to_vec()).await.unwrap();
    assert_eq!(planned(&client).await as u64, stored + more.len() as u64, "a large load is analyzed");
    drop((client, pg));
    db.drop().await;
}

/// How many incidents the planner believes there are (the store's own question: the sum over
/// the partitions).
async fn planned(c: &tokio_postgres::Client) -> f64 {
    c.query_one(include_str!("../../store/src/postgis/sql/incidents_planned_rows.sql"), &[]).await.unwrap().get(0)
}

async fn count(c: &tokio_postgres::Client) -> u64 {
    c.query_one("SELECT count(*) FROM incidents", &[]).await.unwrap().get::<_, i64>(0) as u64
}

#[tokio::test]
async fn copy_store_moves_a_whole_embedded_store_and_the_cli_works_on_postgis() {
    use server::cli::{copy_store, export, import};
    use server::config::{CopyStoreArgs, ExportArgs, FileFormat, ImportArgs, StoreArgs};
    use store::gpkg::GpkgStore;
    use store::{AuditQuery, NewAudit, NewUser, Store};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "copystore").await;
    let dir = tempfile::tempdir().unwrap();
    let world =
        demo::generate(&demo::DemoParams { base_incidents: 1_000, ..demo::DemoParams::new(3, tests::test_now()) })
            .unwrap();
    let source = GpkgStore::open(dir.path()).unwrap();
    source.replace_world(server::boot::world_data(world)).await.unwrap();
    for (name, role) in [("ann", model::auth::Role::City), ("bob", model::auth::Role::County)] {
        let user = NewUser {
            username: name.into(),
            password_hash: format!("hash-{name}"),
            role,
            jurisdiction: Some("620600000000".parse().unwrap()),
            officer_id: None,
            department: None,
            grid_worker_id: None,
        };
        source.create_user(user).await.unwrap().unwrap();
    }
    source.set_user_disabled("bob", true).await.unwrap();
    for action in ["login", "read_incident"] {
        let entry = NewAudit {
            actor: "ann".into(),
            role: Some(model::auth::Role::City),
            action,
            target: "42".into(),
            source: None,
            result: "ok",
            detail: Some("明细".into()),
        };
        source.append_audit(entry).await.unwrap();
    }
    // An incident's history (the live log) moves too, seq kept.
    let first = source.load_incident_rows().await.unwrap()[0].id;
    let t = model::workflow::Transition { to: model::Status::Dispatched, unit: Some(1), ..Default::default() };
    if source.change_status(first, t, "ann".into(), tests::test_now(), None).await.is_err() {
        // Already past reported in the demo: log something else.
        source
            .append_events(vec![model::live::NewLiveEvent {
                at: tests::test_now(),
                kind: model::live::LiveKind::Unit,
                subject: 1,
                cell_code: None,
                category: None,
                actor: None,
                data: "{}".into(),
            }])
            .await
            .unwrap();
    }
    let snap = source.snapshot().await.unwrap();
    assert!(!snap.events.is_empty());

    copy_store(CopyStoreArgs { from_data_dir: dir.path().to_owned(), to_database_url: db.url.clone() }).await.unwrap();
    let target = store::postgis::open(&db.url, 2).await.unwrap();
    let g = target.load_geography().await.unwrap();
    assert_eq!(
        (g.regions, g.cells, g.resources, g.officers),
        (
            snap.geography.regions.clone(),
            snap.geography.cells.clone(),
            snap.geography.resources.clone(),
            snap.geography.officers.clone()
        )
    );
    let ids: Vec<model::IncidentId> = snap.incidents.iter().map(|i| i.id).collect();
    let copied = target.incidents_by_id(&model::scope::Scope::everything(), ids).await.unwrap();
    assert_eq!(copied, snap.incidents, "every incident, ids and fields kept");
    let users = target.users().await.unwrap();
    assert_eq!(users, snap.users.iter().map(|u| u.user.clone()).collect::<Vec<_>>());
    assert_eq!(target.user_by_name("bob").await.unwrap().unwrap().1, "hash-bob");
    let audit = target.audit(AuditQuery { limit: 100, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(audit[0].action, "copy_store", "the copy itself is audited");
    assert_eq!(audit[1..].iter().rev().cloned().collect::<Vec<_>>(), snap.audit, "the audit log, ids and times kept");
    assert_eq!(target.meta("demo_truth").await.unwrap(), source.meta("demo_truth").await.unwrap());
    assert_eq!(target.events_after(0, 100_000).await.unwrap(), snap.events, "the live log, seq kept");
    // Analyzed as copied: the planner knows how many incidents there are from the first query.
    let c = connect(&db.url).await.unwrap();
    assert_eq!(planned(&c).await as usize, snap.incidents.len(), "the incidents' statistics after the copy");
    drop(c);
    let next = target.append_events(vec![snap.events[0].event.clone()]).await.unwrap();
    assert_eq!(next[0].seq, snap.events.last().unwrap().seq + 1, "numbering continues after the copy");
    // New rows continue after the copied ids.
    let analyst = NewUser {
        username: "cy".into(),
        password_hash: "h".into(),
        role: model::auth::Role::Analyst,
        jurisdiction: Some("620600000000".parse().unwrap()),
        officer_id: None,
        department: None,
        grid_worker_id: None,
    };
    let created = target.create_user(analyst).await.unwrap().unwrap();
    assert!(created.id > snap.users.iter().map(|u| u.user.id).max().unwrap());
    // A filled database is refused, and left as it was.
    let err = copy_store(CopyStoreArgs { from_data_dir: dir.path().to_owned(), to_database_url: db.url.clone() })
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("already holds SafeGrid data"), "{err:#}");
    assert_eq!(target.load_incident_rows().await.unwrap().len(), snap.incidents.len());

    // import and export against PostGIS: the bulk path (binary COPY), idempotent, line numbers.
    let store_args = StoreArgs {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        db_pool: 2,
        memory_window_days: 400,
    };
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "external_id,lon,lat,occurred_at,category,summary\n\
         P1,102.6412,37.9281,2026-10-30T17:18:00Z,traffic,one\n\
         P2,102.6501,37.9302,2026-10-30T08:00:00Z,dispute,two\n",
    )
    .unwrap();
    let args = || ImportArgs { store: store_args.clone(), ..ImportArgs::with_defaults(dir.path(), &csv).unwrap() };
    let report = import(args()).await.unwrap();
    assert_eq!((report.created, report.existing), (2, 0));
    let again = import(args()).await.unwrap();
    assert_eq!((again.created, again.existing), (0, 2));
    std::fs::write(
        &csv,
        "external_id,lon,lat,occurred_at,category,summary\n\
         P3,102.6412,37.9281,2026-10-30T17:18:00Z,traffic,three\n\
         P2,102.6501,37.9302,2026-10-30T08:00:00Z,dispute,changed\n",
    )
    .unwrap();
    let err = import(args()).await.unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("nothing imported"), "{err}");
    std::fs::write(
        &csv,
        "external_id,lon,lat,occurred_at,category,summary\n\
         P4,102.6412,37.9281,2026-10-30T17:18:00Z,traffic,four\n\
         P4,102.6412,37.9281,2026-10-30T17:18:00Z,traffic,four again\n",
    )
    .unwrap();
    let err = import(args()).await.unwrap_err().to_string();
    assert!(err.contains("line 3: repeats the external_id of line 2"), "{err}");
    let out = dir.path().join("out.csv");
    export(ExportArgs {
        store: store_args.clone(),
        format: FileFormat::Csv,
        output: Some(out.clone()),
        region: None,
        from: Some("2026-10-30T00:00:00Z".into()),
        to: Some("2026-10-31T00:00:00Z".into()),
        category: vec![],
        status: vec![],
    })
    .await
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains(",P1,") && text.contains(",P2,") && !text.contains(",P3,"), "{text}");
    drop((target, source));
    db.drop().await;
}

/// Every query the API makes of the incidents, answered by a state holding everything in memory
/// and by one holding the last 60 days with the rest pushed down to PostGIS: the same answers.
#[tokio::test]
async fn queries_past_the_memory_window_answer_as_memory_does() {
    use mvt_reader::Reader;
    use mvt_reader::feature::Value;
    use server::boot::{load_state, load_state_since};
    use server::clock::FixedClock;
    use server::incident_index::{Bbox, CategorySet, IncidentFilter, StatusSet};
    use server::reads::Past;
    use server::tiles::TileId;
    use std::sync::Arc;
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "window").await;
    let pg = store::postgis::open(&db.url, 4).await.unwrap();
    let world =
        demo::generate(&demo::DemoParams { base_incidents: 12_000, ..demo::DemoParams::new(5, tests::test_now()) })
            .unwrap();
    let total = world.incidents.len();
    store::Store::replace_world(&pg, server::boot::world_data(world)).await.unwrap();
    let clock = Arc::new(FixedClock::new(tests::test_now()));
    let all = load_state(Arc::new(pg.clone()), clock.clone()).await.unwrap();
    let since = tests::test_now() - chrono::Duration::days(60);
    let mut windowed = load_state_since(Arc::new(pg.clone()), clock, Some(since)).await.unwrap();
    windowed.past = Some(Arc::new(Past::new(since, Arc::new(pg.clone()))));
    let held = windowed.index().len();
    assert_eq!(all.index().len(), total);
    assert!(held > 0 && held < total / 3, "the window holds {held} of {total}");

    let city = all.geography.cells_in(&model::scope::Scope::everything());
    let township = all.geography.cells_in(&model::scope::Scope::of(vec!["620602001000".parse().unwrap()]));
    // Two villages far apart (several ranges of cells: joined in the database).
    let n = all.geography.cells().len() as u32;
    let villages = all.geography.cells_in(&model::scope::Scope::of(vec![
        all.geography.cell_code(0).village(),
        all.geography.cell_code(n / 2).village(),
    ]));
    assert_eq!(villages.ranges().map(<[_]>::len), Some(2));
    let base = IncidentFilter::new(city.clone());
    let since_s = since.timestamp();
    let filters = [
        base.clone(),
        IncidentFilter { scope: township.clone(), ..base.clone() },
        IncidentFilter { scope: villages.clone(), ..base.clone() },
        IncidentFilter { from_s: Some(since_s - 30 * 86_400), to_s: Some(since_s + 10 * 86_400), ..base.clone() },
        IncidentFilter { categories: Some(CategorySet::of(&[model::Category::TRAFFIC])), ..base.clone() },
        IncidentFilter { statuses: Some(StatusSet::of(&[model::Status::Closed])), ..base.clone() },
        IncidentFilter {
            bbox: Some(Bbox { min_lon: 102.55, min_lat: 37.85, max_lon: 102.70, max_lat: 37.98 }),
            cells: Some(0..all.geography.cells().len() as u32 / 2),
            ..base.clone()
        },
        IncidentFilter { from_s: Some(since_s + 86_400), ..base.clone() }, // inside the window: memory
    ];
    for (k, f) in filters.iter().enumerate() {
        assert_eq!(windowed.cell_counts(f).await.unwrap(), all.cell_counts(f).await.unwrap(), "filter {k}: counts");
        let mut a = Vec::new();
        all.for_each_incident(f, |p| a.push((p.occurred_s, p.id))).await.unwrap();
        let mut b = Vec::new();
        windowed.for_each_incident(f, |p| b.push((p.occurred_s, p.id))).await.unwrap();
        assert!(!a.is_empty(), "filter {k} selects something");
        assert_eq!(a, b, "filter {k}: visits");
        // Paging newest first crosses from memory into the database without a gap or a repeat.
        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = windowed.page(f, 97, cursor).await.unwrap();
            pages.extend(page.iter().map(|p| (p.occurred_s, p.id)));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut newest_first = a.clone();
        newest_first.reverse();
        assert_eq!(pages, newest_first, "filter {k}: pages");
    }
    // Tiles: single points (z16 and a sparse tile) are the same features; clusters hold the same
    // incidents (PostGIS's pixel rounding may move one across a cluster edge).
    let tile_at = |z: u8| {
        let n = f64::from(1u32 << z);
        let lat = 37.9282f64.to_radians();
        let x = ((102.6415 + 180.0) / 360.0 * n) as u32;
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        TileId { z, x, y }
    };
    let features = |body: Vec<u8>| {
        let reader = Reader::new(body).unwrap();
        if reader.get_layer_names().unwrap().is_empty() {
            return vec![];
        }
        reader.get_features(0).unwrap()
    };
    let int = |f: &mvt_reader::feature::Feature, key: &str| match f.properties.as_ref().and_then(|p| p.get(key)) {
        Some(Value::Int(i) | Value::SInt(i)) => *i,
        Some(Value::UInt(u)) => *u as i64,
        other => panic!("{key}: {other:?}"),
    };
    let clustered = |f: &mvt_reader::feature::Feature| {
        matches!(f.properties.as_ref().and_then(|p| p.get("cluster")), Some(Value::Bool(true)))
    };
    let mut modes = Vec::new();
    for z in [8u8, 13, 16] {
        let id = tile_at(z);
        let f = IncidentFilter { bbox: Some(id.bounds(64.0)), ..base.clone() };
        let memory = features(server::tiles::incidents_tile(&all, &id, &f));
        let pushed = features(windowed.incidents_tile(&id, &f).await.unwrap());
        assert!(!memory.is_empty(), "z{z}");
        assert_eq!(memory.iter().any(clustered), pushed.iter().any(clustered), "z{z}: same mode");
        modes.push(memory.iter().any(clustered));
        if memory.iter().any(clustered) {
            let sum = |fs: &[mvt_reader::feature::Feature]| fs.iter().map(|x| int(x, "count")).sum::<i64>();
            let (m, p) = (sum(&memory), sum(&pushed));
            assert!((m - p).abs() * 100 <= m, "z{z}: {m} clustered in memory, {p} in PostGIS");
            assert!(pushed.len().abs_diff(memory.len()) * 10 <= memory.len(), "z{z}: cluster counts");
        } else {
            let ids = |fs: &[mvt_reader::feature::Feature]| {
                let mut v: Vec<(i64, i64)> = fs.iter().map(|x| (int(x, "id"), int(x, "occurred_at"))).collect();
                v.sort_unstable();
                v
            };
            let (p, m) = (ids(&pushed), ids(&memory));
            let only_p: Vec<_> = p.iter().filter(|x| !m.contains(x)).collect();
            let only_m: Vec<_> = m.iter().filter(|x| !p.contains(x)).collect();
            assert!(
                only_p.is_empty() && only_m.is_empty(),
                "z{z}: only in PostGIS {only_p:?}, only in memory {only_m:?}"
            );
        }
    }
    assert_eq!(modes, [true, false, false], "z8 clusters, z13 and z16 are single points");
    // The cells layer: its window starts in memory, its previous window and the year before are
    // counted in the database; twice, the second from the counts kept.
    let id = tile_at(11);
    let f = IncidentFilter { from_s: Some(since_s + 86_400), to_s: Some(since_s + 31 * 86_400), ..base.clone() };
    let memory = server::tiles::cells_tile(&all, &id, &f).await.unwrap();
    assert!(features(memory.clone()).len() > 10);
    for _ in 0..2 {
        assert_eq!(server::tiles::cells_tile(&windowed, &id, &f).await.unwrap(), memory, "cell tiles");
    }
    // A report written late into a window before the memory window shows in the database's kept
    // counts at once: stored, then offered to the index as the write path and the follower do
    // (the index refuses it, and counts it as a change before its floor).
    let old = IncidentFilter { from_s: Some(since_s - 30 * 86_400), to_s: Some(since_s), ..base.clone() };
    let counted: u32 = windowed.cell_counts(&old).await.unwrap().iter().sum();
    assert_eq!(counted, all.cell_counts(&old).await.unwrap().iter().sum::<u32>());
    let mut sample = None;
    all.index().for_each(&old, |p| sample = sample.or(Some(p.id)));
    let like = store::Store::incidents_by_id(&pg, &model::scope::Scope::everything(), vec![sample.unwrap()])
        .await
        .unwrap()
        .remove(0);
    let late = model::NewIncident { external_id: None, ..like.fields.clone() };
    let stored = store::Store::insert_incidents(&pg, vec![(late, like.placement)]).await.unwrap();
    let row = store::IncidentRow::of(stored[0].created().unwrap());
    let cell = windowed.geography.cell(row.cell_code).unwrap().0;
    windowed.incidents.write().unwrap().insert(server::incident_index::IncidentPoint::new(&row, cell));
    assert_eq!(windowed.index().len(), held, "the window does not take it");
    assert_eq!(windowed.cell_counts(&old).await.unwrap().iter().sum::<u32>(), counted + 1, "counted at once");
    drop((all, windowed));
    drop(pg);
    db.drop().await;
}

/// Backends of `db` waiting on a lock.
async fn lock_waits(db: &Scratch) -> i64 {
    db.admin
        .query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", &[&db.name])
        .await
        .unwrap()
        .get(0)
}

/// [`lock_waits`] once `done` holds of it, or after 10 s.
async fn lock_waits_until(db: &Scratch, done: impl Fn(i64) -> bool) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = lock_waits(db).await;
        if done(n) || std::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A scanning read whose caller goes away (an HTTP client that closes its connection drops the
/// request's future) is cancelled in the database: it neither keeps a backend working nor
/// leaves a pool connection busy behind it.
#[tokio::test]
async fn an_abandoned_scanning_read_is_cancelled_in_the_database() {
    use std::time::Duration;
    use store::Store;
    use store::past::{PastFilter, PastReads, TileSpec};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "abandon").await;
    let pg = store::postgis::open(&db.url, 3).await.unwrap();
    // Every read of the incidents waits while another session holds this lock.
    let locker = connect(&db.url).await.unwrap();
    locker.batch_execute("BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let spec = TileSpec { z: 10, x: 803, y: 395, raw: false, raw_points_max: 5000, bin_px: 64.0 };
    // As many reads as the pool has connections, of three kinds, abandoned once they all wait in
    // the database.
    let reads = [
        tokio::spawn({
            let pg = pg.clone();
            async move { PastReads::rows(&pg, &PastFilter::default()).await.map(drop) }
        }),
        tokio::spawn({
            let pg = pg.clone();
            async move { PastReads::tile(&pg, &PastFilter::default(), spec).await.map(drop) }
        }),
        tokio::spawn({
            let pg = pg.clone();
            async move { pg.search_incidents(&model::scope::Scope::everything(), "nowhere", 20).await.map(drop) }
        }),
    ];
    assert_eq!(lock_waits_until(&db, |n| n == 3).await, 3, "the reads wait in the database");
    for r in &reads {
        r.abort();
    }
    assert_eq!(lock_waits_until(&db, |n| n == 0).await, 0, "abandoned reads still wait in the database");
    // The lock's holder is untouched, and once it lets go the pool answers at once.
    locker.batch_execute("ROLLBACK").await.unwrap();
    let rows = tokio::time::timeout(Duration::from_secs(5), PastReads::rows(&pg, &PastFilter::default()))
        .await
        .expect("a pool connection is free")
        .unwrap();
    assert!(rows.is_empty());
    drop((pg, locker));
    db.drop().await;
}

/// Sign-in, session checks and the audit log have connections of their own: with every query
/// connection held by reads that wait, a user can still sign in and be let in.
#[tokio::test]
async fn sign_in_does_not_wait_behind_busy_query_connections() {
    use std::time::Duration;
    use store::Store;
    use store::past::{PastFilter, PastReads};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "signin").await;
    let pg = store::postgis::open(&db.url, 2).await.unwrap();
    let user = pg
        .create_user(store::NewUser {
            username: "duty".into(),
            password_hash: "not-a-real-hash".into(),
            role: model::auth::Role::City,
            jurisdiction: Some("620600000000".parse().unwrap()),
            officer_id: None,
            department: None,
            grid_worker_id: None,
        })
        .await
        .unwrap()
        .unwrap();
    // Both query connections wait on a lock another session holds.
    let locker = connect(&db.url).await.unwrap();
    locker.batch_execute("BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let pg = pg.clone();
            tokio::spawn(async move { PastReads::rows(&pg, &PastFilter::default()).await.map(|r| r.len()) })
        })
        .collect();
    assert_eq!(lock_waits_until(&db, |n| n == 2).await, 2, "the reads wait in the database");
    assert_eq!(pg.pool().status().available, 0, "every query connection is busy");
    let within = Duration::from_secs(3);
    let found = tokio::time::timeout(within, pg.user_by_name("duty")).await.expect("sign-in waited").unwrap();
    assert_eq!(found.map(|(u, _)| u.id), Some(user.id));
    let (now, later) = ("2026-12-06T00:00:00Z".to_owned(), "2026-12-07T00:00:00Z".to_owned());
    tokio::time::timeout(within, pg.create_session("t".repeat(64), user.id, now.clone(), later))
        .await
        .expect("creating the session waited")
        .unwrap();
    let let_in = tokio::time::timeout(within, pg.session_user("t".repeat(64), now)).await.expect("the check waited");
    assert_eq!(let_in.unwrap().map(|u| u.id), Some(user.id));
    locker.batch_execute("ROLLBACK").await.unwrap();
    for b in busy {
        assert_eq!(b.await.unwrap().unwrap(), 0);
    }
    drop((pg, locker));
    db.drop().await;
}

/// At most `HEAVY_READS` reads that scan run in the database at once for one instance; the rest
/// wait in the server, so a burst of them cannot take every core of the database.
#[tokio::test]
async fn scanning_reads_run_a_few_at_a_time() {
    use std::time::Duration;
    use store::Store;
    use store::past::{PastFilter, PastReads};
    use store::postgis::HEAVY_READS;
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "heavy").await;
    let pg = store::postgis::open(&db.url, 16).await.unwrap();
    let locker = connect(&db.url).await.unwrap();
    locker.batch_execute("BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let scope = model::scope::Scope::everything();
    let reads: Vec<_> = (0..HEAVY_READS + 3)
        .map(|k| {
            let (pg, scope) = (pg.clone(), scope.clone());
            tokio::spawn(async move {
                if k % 2 == 0 {
                    PastReads::rows(&pg, &PastFilter::default()).await.map(|r| r.len())
                } else {
                    pg.search_incidents(&scope, "nowhere", 20).await.map(|r| r.len())
                }
            })
        })
        .collect();
    let heavy = HEAVY_READS as i64;
    lock_waits_until(&db, |n| n >= heavy).await;
    // Time for any read past the limit to reach the database too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(lock_waits(&db).await, heavy, "reads in the database at once");
    locker.batch_execute("ROLLBACK").await.unwrap();
    for r in reads {
        assert_eq!(r.await.unwrap().unwrap(), 0, "every read is answered in the end");
    }
    drop((pg, locker));
    db.drop().await;
}

/// The ids drawn so far and the partitions that hold all their ids but are not indexed.
async fn unindexed_full_partitions(c: &tokio_postgres::Client) -> Vec<String> {
    c.query(
        "SELECT name FROM incident_partitions WHERE NOT indexed AND hi - 1 <= \
         (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM incidents_id_seq) ORDER BY lo",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Waits (at most a minute) until every full partition is indexed.
async fn wait_for_indexed_partitions(c: &tokio_postgres::Client) {
    for _ in 0..600 {
        if unindexed_full_partitions(c).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let drawn: i64 = c.query_one("SELECT last_value FROM incidents_id_seq", &[]).await.unwrap().get(0);
    let building: Vec<String> = c
        .query("SELECT relid::regclass::text || ' ' || phase FROM pg_stat_progress_create_index", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    panic!(
        "partitions left unindexed: {:?} (ids drawn up to {drawn}; builds in progress: {building:?})",
        unindexed_full_partitions(c).await
    );
}

/// The valid secondary indexes of `partition`, by kind of access method and columns.
async fn partition_indexes(c: &tokio_postgres::Client, partition: &str) -> Vec<String> {
    c.query(
        "SELECT regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') FROM pg_index i \
         WHERE i.indrelid = $1::text::regclass AND i.indisvalid AND NOT i.indisprimary ORDER BY 1",
        &[&partition],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test]
async fn incidents_roll_into_partitions_that_are_indexed_once_full() {
    use model::Placement;
    use model::scope::Scope;
    use store::conformance::incident;
    use store::{InsertOutcome, Store};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "partitions").await;
    let pg = store::postgis::open(&db.url, 2).await.unwrap();
    let c = connect(&db.url).await.unwrap();
    // Partitions of 100 ids from the first write on (the migration's first partition is left behind).
    c.batch_execute(
        "UPDATE safegrid_meta SET value = '100' WHERE key = 'incident_partition_ids'; \
         SELECT setval('incidents_id_seq', 262144)",
    )
    .await
    .unwrap();
    let place = Placement::of_cell("620602001001001".parse().unwrap());
    let batch = |from: i64, n: i64| -> Vec<_> {
        (from..from + n).map(|k| (incident(Some(&format!("P{k}")), k), place)).collect()
    };
    let mut written = 0;
    for b in 0..3 {
        let out = pg.insert_incidents(batch(b * 120, 120)).await.unwrap();
        assert!(out.iter().all(|o| matches!(o, InsertOutcome::Created(_))));
        written += 120;
    }
    wait_for_indexed_partitions(&c).await;
    // A bulk load fills partitions of its own and has them indexed too.
    let loaded = pg.bulk_load(batch(360, 250)).await.unwrap();
    assert_eq!(loaded.created, 250);
    written += 250;
    wait_for_indexed_partitions(&c).await;
    let used: i64 = c.query_one("SELECT count(DISTINCT tableoid) FROM incidents", &[]).await.unwrap().get(0);
    assert!(used >= 6, "{written} incidents in {used} partitions");
    // Every partition whose ids are all drawn has its three indexes; the open one only its BRIN.
    let drawn: i64 = c.query_one("SELECT last_value FROM incidents_id_seq", &[]).await.unwrap().get(0);
    let partitions: Vec<(String, i64, bool)> = c
        .query("SELECT name, hi, indexed FROM incident_partitions WHERE name <> 'incidents_before' ORDER BY lo", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let name = |p: &str, what: &str| format!("{p}_{what}");
    for (partition, hi, indexed) in &partitions {
        let indexes = partition_indexes(&c, partition).await;
        if hi - 1 <= drawn {
            assert!(indexed, "{partition}");
            assert_eq!(
                indexes,
                ["brin (occurred_at)", "btree (cell_code, occurred_at)", "btree (occurred_at, id)", "gist (geom)"],
                "{partition}"
            );
        } else {
            assert!(!indexed, "{partition}");
            assert_eq!(indexes, ["brin (occurred_at)"], "{partition}");
        }
    }
    assert!(partitions.iter().any(|(_, hi, _)| hi - 1 > drawn), "partitions ahead of the ids drawn");
    // Keys hold across partitions: the first batch again is all existing, and every incident reads back.
    let again = pg.insert_incidents(batch(0, 120)).await.unwrap();
    assert!(again.iter().all(|o| matches!(o, InsertOutcome::Existing(_))));
    let rows = pg.load_incident_rows().await.unwrap();
    assert_eq!(rows.len(), written as usize);
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    assert_eq!(pg.incidents_by_id(&Scope::everything(), ids).await.unwrap().len(), written as usize);
    // A build that died left an invalid index and the partition unmarked: an instance started later
    // drops it and builds the partition's indexes on its first write.
    let (victim, _, _) = partitions.iter().find(|(_, hi, _)| hi - 1 <= drawn && *hi > 262_145).unwrap().clone();
    c.batch_execute(&format!("DROP INDEX {}", name(&victim, "geom"))).await.unwrap();
    let failed = c
        .batch_execute(&format!("CREATE UNIQUE INDEX CONCURRENTLY {} ON {victim} (category)", name(&victim, "geom")))
        .await;
    assert!(failed.is_err(), "a unique index on one category fails, left invalid");
    c.execute("UPDATE incident_partitions SET indexed = false WHERE name = $1", &[&victim]).await.unwrap();
    // (The retry above drew ids it did not use, so partitions after the last write may be full too.)
    assert!(unindexed_full_partitions(&c).await.contains(&victim));
    drop(pg);
    let later = store::postgis::open(&db.url, 2).await.unwrap();
    later.insert_incidents(batch(1000, 1)).await.unwrap();
    wait_for_indexed_partitions(&c).await;
    assert_eq!(
        partition_indexes(&c, &victim).await,
        ["brin (occurred_at)", "btree (cell_code, occurred_at)", "btree (occurred_at, id)", "gist (geom)"]
    );
    // Partitions another instance is building (their locks held here) are left to it: the
    // instance neither waits nor asks again and again.
    c.query_one("SELECT * FROM safegrid_ensure_incident_partitions(1000, NULL)", &[]).await.unwrap();
    let other = connect(&db.url).await.unwrap();
    other
        .batch_execute("SELECT pg_advisory_lock(1517183268, hashtext(name)) FROM incident_partitions WHERE NOT indexed")
        .await
        .unwrap();
    later.insert_incidents(batch(2000, 150)).await.unwrap();
    let commits = async || -> i64 {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        c.query_one("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", &[])
            .await
            .unwrap()
            .get(0)
    };
    let (before, after) = (commits().await, commits().await);
    assert!(after - before < 100, "{} transactions in 1.5 s with nothing written", after - before);
    assert!(!unindexed_full_partitions(&c).await.is_empty(), "left to the instance holding the locks");
    drop(other);
    later.insert_incidents(batch(3000, 1)).await.unwrap();
    wait_for_indexed_partitions(&c).await;
    drop((c, later));
    db.drop().await;
}

#[tokio::test]
async fn a_database_from_before_partitions_is_migrated_keeping_its_incidents_and_keys() {
    use model::Placement;
    use store::conformance::incident;
    use store::postgis::migrate::MIGRATIONS;
    use store::{InsertOutcome, Store, StoreError};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "migrate_partitions").await;
    let mut client = connect(&db.url).await.unwrap();
    // The schema of version 17, as `migrate` left it, and 1,000 incidents stored under it, every
    // second one with a key: conformance::incident(Some("M{g}"), g).
    client.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis").await.unwrap();
    client.batch_execute(include_str!("../../store/src/postgis/sql/migrations_table.sql")).await.unwrap();
    for m in MIGRATIONS.iter().filter(|m| m.version <= 17) {
        client.batch_execute(m.sql).await.unwrap();
        client
            .execute(include_str!("../../store/src/postgis/sql/migration_record.sql"), &[&m.version, &m.name])
            .await
            .unwrap();
    }
    let like = incident(None, 0);
    client
        .execute(
            "INSERT INTO incidents (geom, source, external_id, category, occurred_at, reported_at, address, severity, \
             status, county_code, township_code, village_code, cell_code) \
             SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, CASE WHEN g % 2 = 0 THEN 'M' || g END, $4, \
                    $5::timestamptz + g * interval '1 minute', $5::timestamptz + g * interval '1 minute', $6, $7, $8, \
                    '620602', '620602001', '620602001001', '620602001001001' \
             FROM generate_series(1, 1000) g",
            &[
                &like.lon,
                &like.lat,
                &like.source.as_str(),
                &like.category.as_str(),
                &like.occurred_at,
                &like.address,
                &like.severity.as_str(),
                &like.status.as_str(),
            ],
        )
        .await
        .unwrap();
    let migrated = migrate(&mut client).await.unwrap();
    assert_eq!((migrated.from, migrated.to), (17, latest_version()));
    let counts = client
        .query_one(
            "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM ONLY incidents_before), \
             (SELECT count(*) FROM incident_keys)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((counts.get::<_, i64>(0), counts.get::<_, i64>(1), counts.get::<_, i64>(2)), (1000, 1000, 500));
    let partitions: Vec<(String, i64, bool)> = client
        .query("SELECT name, hi, indexed FROM incident_partitions ORDER BY lo", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        partitions,
        [("incidents_before".into(), 1001, true), ("incidents_from_1001".into(), 1001 + 262_144, false)]
    );
    // Through the store: the stored keys still decide (a retry is the stored incident, other
    // content a conflict), and new incidents go to the new partition.
    let pg = store::postgis::open(&db.url, 2).await.unwrap();
    let place = Placement::of_cell("620602001001001".parse().unwrap());
    let stored = pg.incident_by_external(like.source, "M2").await.unwrap().expect("M2 is found by its key");
    let retry = pg.insert_incidents(vec![(incident(Some("M2"), 2), place), (incident(Some("N1"), 5), place)]).await;
    let retry = retry.unwrap();
    assert!(matches!(&retry[0], InsertOutcome::Existing(i) if i.id == stored), "{retry:?}");
    let InsertOutcome::Created(new) = &retry[1] else { panic!("{retry:?}") };
    // (The skipped item drew an id too: a batch under 100 items draws one for every item.)
    assert!(new.id.0 > 1000, "{new:?}");
    let table: String = client
        .query_one("SELECT tableoid::regclass::text FROM incidents WHERE id = $1", &[&(new.id.0 as i64)])
        .await
        .unwrap()
        .get(0);
    assert_eq!(table, "incidents_from_1001");
    let changed = pg.insert_incidents(vec![(incident(Some("M4"), 9), place)]).await.unwrap_err();
    assert!(matches!(changed, StoreError::Conflict { index: 0, .. }), "{changed}");
    drop((client, pg));
    db.drop().await;
}
