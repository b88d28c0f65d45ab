//! Several instances on one PostGIS database: two real `safegrid serve` processes share the
//! private test cluster (`SAFEGRID_TEST_DATABASE_URL`, started by `cargo xtask test`). An
//! incident written through either must show in the other's list API and vector tiles within
//! 1 s (LISTEN/NOTIFY keeps each in-memory index in step), and a login on one is a login on both.
//! The live feed is one log for all: a subscriber on B receives A's writes and status changes in
//! `seq` order, and `since=` resumes on either instance.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use common::{free_port, json, run};
use std::ffi::OsStr;
use std::process::Child;
use std::time::{Duration, Instant};

const PASSWORD: &str = "instances-test-password";
const WRITES: usize = 20;

fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Vec<u8>) {
    common::http(port, method, path, token, body).unwrap()
}

struct Instance {
    port: u16,
    child: Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str) -> Instance {
    let port = free_port();
    Instance { port, child: common::serve(port, &[OsStr::new("--database-url"), OsStr::new(url)]) }
}

/// The XYZ tile holding a point at zoom `z`.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// Ids the list API of `port` returns for incidents that occurred in the second starting at `t`.
fn listed(port: u16, token: &str, t: &str, t_end: &str) -> Vec<u64> {
    let (status, body) = http(port, "GET", &format!("/api/incidents?from={t}&to={t_end}"), Some(token), "");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    json(&body)["features"].as_array().unwrap().iter().map(|f| f["id"].as_u64().unwrap()).collect()
}

type Feed = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// Opens `/api/live{query}` on `port` and collects its messages (after `hello`) in the background.
async fn subscribe(port: u16, token: &str, query: &str) -> Feed {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://127.0.0.1:{port}/api/live{query}").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let feed: Feed = Feed::default();
    // Replayed messages come first, then `hello`: only then is the subscription live.
    while let Some(Ok(m)) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "hello" {
                break;
            }
            feed.lock().unwrap().push(v);
        }
    }
    let sink = feed.clone();
    tokio::spawn(async move {
        while let Some(Ok(m)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "hello" {
                    sink.lock().unwrap().push(v);
                }
            }
        }
    });
    feed
}

#[test]
fn two_instances_see_each_others_writes_within_a_second() {
    let Some(db) = common::Scratch::new("instances", "the two-instance check") else { return };
    let (rt, url) = (&db.rt, db.url.clone());

    // The schema is created by the first command against the empty database.
    let store = [OsStr::new("--database-url"), OsStr::new(&url)];
    run(&["demo", "--base-incidents", "2000", "--seed", "3"], &store, None);
    run(
        &["user", "add", "--name", "sync", "--role", "city", "--jurisdiction", "620600000000", "--password-stdin"],
        &store,
        Some(&format!("{PASSWORD}\n")),
    );
    let a = serve(&url);
    let b = serve(&url);
    let (status, login) =
        http(a.port, "POST", "/api/login", None, &format!(r#"{{"username":"sync","password":"{PASSWORD}"}}"#));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&login));
    let token = json(&login)["token"].as_str().unwrap().to_owned();
    // Sessions live in the database: a login on A is a login on B.
    assert_eq!(http(b.port, "GET", "/api/me", Some(&token), "").0, 200);

    // Live subscribers on both instances, reading in the background.
    let feed_b = rt.block_on(subscribe(b.port, &token, ""));
    let (lon, lat) = (102.6415, 37.9282);
    let (tx, ty) = tile_of(lon, lat, 14);
    let mut lags_ms = Vec::new();
    for k in 0..WRITES {
        let (writer, reader) = if k % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let t = format!("2026-03-01T08:{:02}:{:02}Z", k / 60, k % 60);
        let t_end = format!("2026-03-01T08:{:02}:{:02}Z", (k + 1) / 60, (k + 1) % 60);
        let tile_path = format!("/tiles/incidents/14/{tx}/{ty}.mvt?from={t}&to={t_end}");
        let (_, empty_tile) = http(reader.port, "GET", &tile_path, Some(&token), "");
        assert!(listed(reader.port, &token, &t, &t_end).is_empty());
        let body = format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"category":"public_order","source":"patrol","external_id":"SYNC-{k}","occurred_at":"{t}"}}}}"#
        );
        let (status, created) = http(writer.port, "POST", "/api/incidents", Some(&token), &body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&created));
        let acknowledged = Instant::now();
        let id = json(&created)["id"].as_u64().unwrap();
        loop {
            if listed(reader.port, &token, &t, &t_end) == [id] {
                break;
            }
            assert!(
                acknowledged.elapsed() < Duration::from_secs(1),
                "write {k}: the other instance did not list {id} within 1 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        lags_ms.push(acknowledged.elapsed().as_secs_f64() * 1e3);
        let (status, tile) = http(reader.port, "GET", &tile_path, Some(&token), "");
        assert_eq!(status, 200);
        assert!(tile.len() > empty_tile.len(), "write {k}: the other instance's tile did not gain the incident");
        // A retry through the other instance is the same incident, not a second one.
        let (status, again) = http(reader.port, "POST", "/api/incidents", Some(&token), &body);
        assert_eq!((status, json(&again)["id"].as_u64()), (200, Some(id)));
    }
    // B's feed carried every write of both instances, once each, in seq order.
    let wait_for = |feed: &Feed, n: usize| {
        let t0 = Instant::now();
        while feed.lock().unwrap().len() < n {
            assert!(t0.elapsed() < Duration::from_secs(5), "the feed stopped at {:?}", feed.lock().unwrap().len());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for(&feed_b, WRITES);
    let got: Vec<serde_json::Value> = feed_b.lock().unwrap().clone();
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(got.iter().all(|m| m["type"] == "incident"));
    // A status change on A reaches B's feed, B's history and B's index.
    let (_, units) = http(a.port, "GET", "/api/units", Some(&token), "");
    // An available one (the demo's calls still out hold some).
    let unit =
        json(&units).as_array().unwrap().iter().find(|u| u["status"] == "available").unwrap()["id"].as_u64().unwrap();
    let first = got[0]["data"]["id"].as_u64().unwrap();
    let (status, answer) = http(
        a.port,
        "POST",
        &format!("/api/incidents/{first}/transitions"),
        Some(&token),
        &format!(r#"{{"to":"dispatched","unit":{unit}}}"#),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    wait_for(&feed_b, WRITES + 2);
    let changed = feed_b.lock().unwrap()[WRITES].clone();
    assert_eq!((changed["type"].as_str(), changed["data"]["id"].as_u64()), (Some("incident_changed"), Some(first)));
    let (_, history) = http(b.port, "GET", &format!("/api/incidents/{first}/history"), Some(&token), "");
    assert_eq!(json(&history)["status"], "dispatched");
    let t0 = Instant::now();
    loop {
        let (_, list) =
            http(b.port, "GET", "/api/incidents?from=2026-03-01T08:00:00Z&to=2026-03-01T08:00:01Z", Some(&token), "");
        if json(&list)["features"][0]["properties"]["status"] == "dispatched" {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(1), "B's index kept the old status");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (_, b_units) = http(b.port, "GET", "/api/units", Some(&token), "");
    let on_b = json(&b_units).as_array().unwrap().iter().find(|u| u["id"] == unit).cloned().unwrap();
    assert_eq!(on_b["status"], "busy", "B's board follows A's dispatch");
    // The village desk is shared: the demo's disputes are on both; a dispute registered on A is
    // on B at once, and a mediation step taken on B is seen on A.
    let (_, all) = http(b.port, "GET", "/api/disputes?status=all", Some(&token), "");
    assert!(json(&all)["total"].as_u64().unwrap() > 0, "the demo seeds disputes");
    let (_, wl) = http(a.port, "GET", "/api/workload", Some(&token), "");
    let village = json(&wl)["officers"][0]["villages"][0]["code"].as_str().unwrap().to_owned();
    let body =
        format!(r#"{{"village":"{village}","kind":"land","title":"地界","parties":"甲、乙","mediator":"调委会"}}"#);
    let (status, d) = http(a.port, "POST", "/api/disputes", Some(&token), &body);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&d));
    let id = json(&d)["id"].as_u64().unwrap();
    let seen = |port: u16, status: &str| {
        let t0 = Instant::now();
        loop {
            let (code, v) = http(port, "GET", &format!("/api/disputes/{id}"), Some(&token), "");
            if code == 200 && json(&v)["status"] == status {
                return json(&v);
            }
            assert!(t0.elapsed() < Duration::from_secs(2), "dispute {id} not {status} on {port}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let on_b = seen(b.port, "registered");
    let step = format!(r#"{{"to":"mediating","version":{}}}"#, on_b["version"]);
    let (status, _) = http(b.port, "POST", &format!("/api/disputes/{id}/transitions"), Some(&token), &step);
    assert_eq!(status, 200);
    seen(a.port, "mediating");
    // A next step decided on the old version, through A, is refused as stale.
    let stale = format!(r#"{{"to":"failed","version":{}}}"#, on_b["version"]);
    let (status, e) = http(a.port, "POST", &format!("/api/disputes/{id}/transitions"), Some(&token), &stale);
    assert_eq!((status, json(&e)["error"]["field"].as_str()), (409, Some("version")));
    // Resuming on A after B's fifth message replays the rest, identically.
    let resumed = rt.block_on(subscribe(a.port, &token, &format!("?since={}", seqs[4])));
    wait_for(&resumed, WRITES + 2 - 5);
    let all_b = feed_b.lock().unwrap().clone();
    assert_eq!(resumed.lock().unwrap()[..].to_vec(), all_b[5..].to_vec());
    lags_ms.sort_by(f64::total_cmp);
    println!(
        "second instance saw a write after: median {:.1} ms, max {:.1} ms ({WRITES} writes, both directions)",
        lags_ms[WRITES / 2],
        lags_ms[WRITES - 1]
    );
    drop((a, b));
    db.drop_database();
}
