//! The PostGIS schema: `safegrid migrate` against the private cluster that `cargo xtask test`
//! starts (`SAFEGRID_TEST_DATABASE_URL`, a superuser on its `postgres` database). Every test
//! works in a database of its own, dropped at the end.

use server::store::postgis::connect;
use server::store::postgis::migrate::{MigrateError, latest_version, migrate};
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
    for index in ["incidents_source_external_id", "incidents_occurred_at", "audit_actor_at"] {
        let n: i64 =
            client.query_one("SELECT count(*) FROM pg_indexes WHERE indexname = $1", &[&index]).await.unwrap().get(0);
        assert_eq!(n, 1, "{index}");
    }
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
    assert_eq!(n, 2);
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
    use server::store::postgis::copy::{CopyError, copy_incidents};
    let Some(admin) = admin_url() else { return };
    let db = Scratch::new(&admin, "copy").await;
    let mut client = connect(&db.url).await.unwrap();
    migrate(&mut client).await.unwrap();
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
        Err(CopyError::Conflict { index: 1 }) => {}
        other => panic!("{other:?}"),
    }
    // The same inside one load.
    let twice = vec![changed[0].clone(), {
        let mut d = changed[0].clone();
        d.0.summary = Some("other".into());
        d
    }];
    assert!(matches!(copy_incidents(&mut client, &twice).await, Err(CopyError::Conflict { index: 1 })));
    assert_eq!(count(&client).await, n, "nothing of a refused load is stored");
    drop(client);
    db.drop().await;
}

async fn count(c: &tokio_postgres::Client) -> u64 {
    c.query_one("SELECT count(*) FROM incidents", &[]).await.unwrap().get::<_, i64>(0) as u64
}
