//! PostGIS bulk-load benchmark (not run in CI): `SAFEGRID_BENCH_DATABASE_URL=postgres://… cargo
//! bench -p server --bench postgis` (a superuser URL of any database; the bench creates and drops
//! its own). Prints the binary-COPY load rate of ~100,000 demo incidents into an empty table and
//! of loading them again (every row found already stored), with the server's fsync and
//! synchronous_commit settings, which decide whether the figure is a durable one.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use server::boot::world_data;
use std::time::Instant;
use store::postgis::copy::copy_incidents;
use store::postgis::{connect, migrate::migrate};

#[tokio::main]
async fn main() {
    let Ok(admin_url) = std::env::var("SAFEGRID_BENCH_DATABASE_URL") else {
        println!("set SAFEGRID_BENCH_DATABASE_URL to a PostGIS superuser URL (e.g. the test cluster's)");
        return;
    };
    let admin = connect(&admin_url).await.unwrap();
    // One statement per call: a multi-statement string runs as one transaction block.
    admin.batch_execute("DROP DATABASE IF EXISTS safegrid_bench WITH (FORCE)").await.unwrap();
    admin.batch_execute("CREATE DATABASE safegrid_bench").await.unwrap();
    let url = format!("{}/safegrid_bench", admin_url.rsplit_once('/').expect("a URL with a database").0);
    let mut client = connect(&url).await.unwrap();
    migrate(&mut client).await.unwrap();
    client.batch_execute("SET synchronous_commit = on").await.unwrap();
    let setting = |name: &'static str| {
        let c = &client;
        async move { c.query_one(&format!("SHOW {name}"), &[]).await.unwrap().get::<_, String>(0) }
    };
    let (fsync, sync_commit) = (setting("fsync").await, setting("synchronous_commit").await);
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let world = demo::generate(&demo::DemoParams { base_incidents: 95_000, ..demo::DemoParams::new(7, end) }).unwrap();
    let mut items = world_data(world).incidents;
    for (k, (i, _)) in items.iter_mut().enumerate() {
        i.external_id = Some(format!("B-{k}"));
    }
    let t = Instant::now();
    let first = copy_incidents(&mut client, &items).await.unwrap();
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = copy_incidents(&mut client, &items).await.unwrap();
    let reload_s = t.elapsed().as_secs_f64();
    println!(
        "fsync={fsync} synchronous_commit={sync_commit}: {} incidents loaded in {load_s:.2} s ({:.0}/s); \
         loading them again (all {} already stored) {reload_s:.2} s",
        first.created,
        first.created as f64 / load_s,
        again.existing
    );
    drop(client);
    admin.batch_execute("DROP DATABASE IF EXISTS safegrid_bench WITH (FORCE)").await.unwrap();
    admin.batch_execute("CREATE DATABASE safegrid_bench").await.unwrap();
    backends(&url, end).await;
    admin.batch_execute("DROP DATABASE IF EXISTS safegrid_bench WITH (FORCE)").await.unwrap();
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Times `f` `n` times; (median, max) in ms.
async fn time<F: std::future::Future<Output = usize>>(n: usize, mut f: impl FnMut() -> F) -> (f64, f64, usize) {
    let mut ms = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        size = f().await;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), ms[n - 1], size)
}

/// The same viewport query and tiles served by the embedded store (in memory) and by PostGIS
/// (memory window 0 days: everything pushed down), and how soon a second instance sees a write.
async fn backends(url: &str, end: chrono::DateTime<Utc>) {
    use server::boot::{load_state, load_state_since};
    use server::clock::FixedClock;
    use server::incident_index::{Bbox, IncidentFilter};
    use server::tiles::TileId;
    use std::sync::Arc;
    use store::Store;
    let world = demo::generate(&demo::DemoParams::new(7, end)).unwrap();
    let n = world.incidents.len();
    let template = world.incidents[0].incident.clone();
    let place = model::Placement::of_cell(world.incidents[0].cell_code);
    let dir = tempfile::tempdir().unwrap();
    let gpkg = store::gpkg::GpkgStore::open(dir.path()).unwrap();
    gpkg.replace_world(world_data(world.clone())).await.unwrap();
    let pg = store::postgis::open(url, 8).await.unwrap();
    let t = Instant::now();
    pg.replace_world(world_data(world)).await.unwrap();
    println!(
        "PostGIS: the demo world ({n} incidents, geography, binary COPY) written in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let clock = Arc::new(FixedClock::new(end));
    let embedded = load_state(Arc::new(gpkg), clock.clone()).await.unwrap();
    let mut pushed = load_state_since(Arc::new(pg.clone()), clock, Some(end)).await.unwrap();
    pushed.past = Some(Arc::new(server::reads::Past::new(end, Arc::new(pg.clone()))));
    let year = IncidentFilter {
        from_s: Some(end.timestamp() - 365 * 86_400),
        to_s: Some(end.timestamp()),
        ..IncidentFilter::new(embedded.geography.cells_in(&model::scope::Scope::everything()))
    };
    let viewport = IncidentFilter {
        bbox: Some(Bbox { min_lon: 102.60, min_lat: 37.90, max_lon: 102.68, max_lat: 37.96 }),
        ..year.clone()
    };
    for (name, s) in [("embedded (memory)", &embedded), ("PostGIS (pushed down)", &pushed)] {
        let (med, max, len) = time(20, || async { s.page(&viewport, 500, None).await.unwrap().0.len() }).await;
        println!(
            "{name}: viewport page of {len} incidents (Liangzhou centre, a year): median {med:.2} ms, max {max:.2} ms"
        );
        let (med, max, _) = time(20, || async { s.cell_counts(&year).await.unwrap().len() }).await;
        println!("{name}: per-cell counts, whole city, a year: median {med:.2} ms, max {max:.2} ms");
        for z in [10u8, 14] {
            let nz = f64::from(1u32 << z);
            let lat = 37.93f64.to_radians();
            let x = ((102.64 + 180.0) / 360.0 * nz) as u32;
            let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * nz) as u32;
            let id = TileId { z, x, y };
            let f = IncidentFilter { bbox: Some(id.bounds(64.0)), ..year.clone() };
            let (med, max, bytes) = time(20, || async { s.incidents_tile(&id, &f).await.unwrap().len() }).await;
            println!(
                "{name}: incidents tile z{z}: median {med:.2} ms, max {max:.2} ms, {:.1} KB",
                bytes as f64 / 1024.0
            );
        }
    }
    // A second instance: how long from an acknowledged write to its rows being readable there.
    let mut notices = store::postgis::listen(url.to_owned());
    assert_eq!(notices.recv().await, Some(store::Notice::Listening));
    let mut lags = Vec::new();
    for k in 0..50 {
        let mut item = template.clone();
        item.external_id = Some(format!("LAG-{k}"));
        pg.insert_incidents(vec![(item, place)]).await.unwrap();
        let acknowledged = Instant::now();
        let Some(store::Notice::Created(ids)) = notices.recv().await else { panic!("no notice") };
        let rows = pg.incident_rows(ids, None).await.unwrap();
        assert_eq!(rows.len(), 1);
        lags.push(acknowledged.elapsed().as_secs_f64() * 1e3);
    }
    lags.sort_by(f64::total_cmp);
    println!(
        "second instance: a write is readable there {:.2} ms (median) / {:.2} ms (max) after it was acknowledged (50 writes)",
        percentile(&lags, 0.5),
        lags[49]
    );
}
