//! A running server takes up a newly published world without a restart: `safegrid world import`
//! on the embedded store while it serves, and on PostGIS with two instances serving. The port
//! stays open throughout, sessions survive, and the new grid answers. A publication over HTTP
//! reloads the server that made it at once, without waiting for its poll.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, free_port, http, json, run, serve};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PASSWORD: &str = "reload-password-1";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn login(port: u16) -> String {
    let (status, body) =
        http(port, "POST", "/api/login", None, &format!(r#"{{"username":"chief","password":"{PASSWORD}"}}"#)).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    json(&body)["token"].as_str().unwrap().to_owned()
}

fn cell_name(port: u16, token: &str, cell: &str) -> String {
    let (status, body) = http(port, "GET", &format!("/api/regions/{cell}"), Some(token), "").unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    json(&body)["properties"]["name"].as_str().unwrap().to_owned()
}

/// Exports the world, renames its first cell, and imports the file: version 2.
fn rename_first_cell(store: &[&OsStr], dir: &Path) -> String {
    let file = dir.join("world.gpkg");
    let out = Command::new(BIN).args(["world", "export"]).args(store).arg("--out").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = rusqlite::Connection::open(&file).unwrap();
    let code: String = conn.query_row("SELECT code FROM cells ORDER BY code LIMIT 1", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE cells SET name = '重新划定的网格' WHERE code = ?1", [&code]).unwrap();
    drop(conn);
    let out = Command::new(BIN).args(["world", "import"]).arg(&file).args(store).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("第 2 版"), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    code
}

/// The cell's name, or why the server gave none (a failed connection, a status other than 200).
fn try_cell_name(port: u16, token: &str, cell: &str) -> Result<String, String> {
    let (status, body) =
        http(port, "GET", &format!("/api/regions/{cell}"), Some(token), "").map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{status} {}", String::from_utf8_lossy(&body)));
    }
    Ok(json(&body)["properties"]["name"].as_str().unwrap_or_default().to_owned())
}

/// Waits up to 30 s for every server to answer the new name, then checks that each answers ten
/// requests in a row. A request that races the reload itself may still fail with a reset
/// connection: graceful shutdown closes a connection the old generation accepted before it read
/// the request (seen in 2 of 12 runs; noted in #27's closing note). Such failures are counted and
/// printed, not hidden: at most 3 are allowed, and none once the new world answers. (The other
/// failure seen at ba52e2c, a 500 "database disk image is malformed", was the store dropping its
/// own locks on reopening, mended in `gpkg::connection::private_file`.)
fn until_renamed(ports: &[u16], token: &str, cell: &str) -> f64 {
    let t0 = Instant::now();
    let mut failed: Vec<String> = Vec::new();
    loop {
        let names: Vec<Result<String, String>> = ports.iter().map(|p| try_cell_name(*p, token, cell)).collect();
        failed.extend(names.iter().filter_map(|n| n.clone().err()));
        assert!(failed.len() <= 3, "requests failed during the reload: {failed:?}");
        if names.iter().all(|n| n.as_deref() == Ok("重新划定的网格")) {
            let took = t0.elapsed().as_secs_f64();
            for _ in 0..10 {
                for p in ports {
                    assert_eq!(cell_name(*p, token, cell), "重新划定的网格", "after the reload");
                }
            }
            if !failed.is_empty() {
                eprintln!("{} request(s) failed while the server reloaded: {failed:?}", failed.len());
            }
            return took;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "still {names:?} after 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn add_user(store: &[&OsStr]) {
    run(
        &["user", "add", "--name", "chief", "--role", "city", "--jurisdiction", "620600000000", "--password-stdin"],
        store,
        Some(&format!("{PASSWORD}\n")),
    );
}

/// An embedded store in `dir` with the demo world (2,000 incidents) and the user `chief`: its folder.
fn demo_with_user(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let store = [OsStr::new("--data-dir"), data.as_os_str()];
    run(&["demo", "--base-incidents", "2000", "--seed", "3"], &store, None);
    add_user(&store);
    data
}

#[test]
fn an_embedded_server_reloads_a_published_world_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_with_user(dir.path());
    let store = [OsStr::new("--data-dir"), data.as_os_str()];
    let port = free_port();
    let poll = [OsStr::new("--data-dir"), data.as_os_str(), OsStr::new("--world-poll-s"), OsStr::new("0.2")];
    let _server = Killed(serve(port, &poll));
    let token = login(port);
    let cell = rename_first_cell(&store, dir.path());
    let took = until_renamed(&[port], &token, &cell);
    eprintln!("the server answered the new world {took:.1} s after the import");
    // The session survived the reload, and the store still counts every incident.
    let (status, health) = http(port, "GET", "/api/health", None, "").unwrap();
    assert_eq!(status, 200);
    assert!(json(&health)["incidents"].as_u64().unwrap() >= 2000);
}

#[test]
fn two_postgis_instances_reload_a_published_world() {
    let Some(db) = common::Scratch::new("reload", "the PostGIS reload check") else { return };
    let url = db.url.clone();
    let store = [OsStr::new("--database-url"), OsStr::new(&url)];
    run(&["demo", "--base-incidents", "2000", "--seed", "3"], &store, None);
    add_user(&store);
    let poll = [OsStr::new("--database-url"), OsStr::new(&url), OsStr::new("--world-poll-s"), OsStr::new("0.2")];
    let (a, b) = (free_port(), free_port());
    let servers = [Killed(serve(a, &poll)), Killed(serve(b, &poll))];
    let token = login(a);
    let dir = tempfile::tempdir().unwrap();
    let cell = rename_first_cell(&store, dir.path());
    let took = until_renamed(&[a, b], &token, &cell);
    eprintln!("both instances answered the new world {took:.1} s after the import");
    drop(servers);
    db.drop_database();
}

#[test]
fn a_publication_over_http_reloads_the_publishing_server_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_with_user(dir.path());
    let port = free_port();
    // Polling only every ten minutes: the publishing server's own notice is what reloads it.
    let slow = [OsStr::new("--data-dir"), data.as_os_str(), OsStr::new("--world-poll-s"), OsStr::new("600")];
    let _server = Killed(serve(port, &slow));
    let token = login(port);
    let (_, health) = http(port, "GET", "/api/health", None, "").unwrap();
    assert_eq!(json(&health)["world_version"], 1, "the demo is version 1");
    let (status, cells) = http(port, "GET", "/api/cells", Some(&token), "").unwrap();
    assert_eq!(status, 200);
    let cell = json(&cells)["features"][0]["properties"]["code"].as_str().unwrap().to_owned();
    let body = format!(
        r#"{{"base_version": 1, "edits": [{{"op": "edit_cell", "code": "{cell}", "name": "重新划定的网格"}}]}}"#
    );
    let (status, answer) = http(port, "POST", "/api/world/edits", Some(&token), &body).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(json(&answer)["version"], 2);
    let took = until_renamed(&[port], &token, &cell);
    eprintln!("the publishing server answered its new world {took:.1} s after the publication");
    assert!(took < 10.0, "reloaded by its own notice, not by the 10-minute poll");
    let (_, health) = http(port, "GET", "/api/health", None, "").unwrap();
    assert_eq!(json(&health)["world_version"], 2);
}
