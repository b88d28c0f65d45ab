//! PostGIS bulk-load benchmark (not run in CI): `SAFEGRID_BENCH_DATABASE_URL=postgres://… cargo
//! bench -p server --bench postgis` (a superuser URL of any database; the bench creates and drops
//! its own). Prints the binary-COPY load rate of ~100,000 demo incidents into an empty table and
//! of loading them again (every row found already stored), with the server's fsync and
//! synchronous_commit settings, which decide whether the figure is a durable one.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use server::boot::world_data;
use server::store::postgis::copy::copy_incidents;
use server::store::postgis::{connect, migrate::migrate};
use std::time::Instant;

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
}
