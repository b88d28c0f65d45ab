//! SIGTERM stops the real `safegrid serve` within 10 s, even with a live feed open (a WebSocket
//! never ends by itself) and analyses running, and `/api/health` keeps answering while two of
//! the heaviest allowed analyses run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::{free_port, http, json, run, serve_logging};
use std::io::BufRead;
use std::process::Stdio;

const PASSWORD: &str = "shutdown-test-password";
const USER_ADD: [&str; 9] =
    ["user", "add", "--name", "chief", "--role", "city", "--jurisdiction", "620600000000", "--password-stdin"];

/// Opens the live feed over a raw socket and reads the upgrade's answer.
fn open_feed(port: u16, token: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /api/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "{}", String::from_utf8_lossy(&head));
    s
}

#[test]
fn sigterm_stops_the_server_within_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = [OsStr::new("--data-dir"), dir.path().as_os_str()];
    run(&["demo", "--base-incidents", "20000", "--seed", "5"], &store, None);
    run(&USER_ADD, &store, Some(&format!("{PASSWORD}\n")));
    let port = free_port();
    // The server's log says when an analysis starts.
    let mut server = serve_logging(port, &store, "error,server::jobs=debug", Stdio::piped());
    let (started_tx, started) = std::sync::mpsc::channel();
    let log = std::io::BufReader::new(server.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in log.lines().map_while(Result::ok) {
            if line.contains("analysis started") {
                let _ = started_tx.send(());
            }
        }
    });
    let (_, answer) =
        http(port, "POST", "/api/login", None, &format!(r#"{{"username":"chief","password":"{PASSWORD}"}}"#)).unwrap();
    let token = json(&answer)["token"].as_str().unwrap().to_owned();
    let _feed = open_feed(port, &token);
    // Two analyses near the limits the server accepts, on their own connections.
    let heavy: Vec<_> = (0..2)
        .map(|k| {
            let token = token.clone();
            std::thread::spawn(move || {
                let path = if k == 0 {
                    "/api/hotspots?method=local-moran&weights=distance:4000"
                } else {
                    "/api/hotspots/near-repeat?days=730"
                };
                http(port, "GET", path, Some(&token), "").map(|r| r.0)
            })
        })
        .collect();
    started.recv_timeout(Duration::from_secs(30)).expect("an analysis started");
    let t = Instant::now();
    assert_eq!(http(port, "GET", "/api/health", None, "").unwrap().0, 200);
    assert!(t.elapsed() < Duration::from_secs(5), "health answered in {:?} beside an analysis", t.elapsed());
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let t = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if t.elapsed() > Duration::from_secs(10) {
            server.kill().unwrap();
            panic!("still running 10 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    for h in heavy {
        // Answered or cut off by the shutdown; never a 5xx of a crash.
        if let Ok(code) = h.join().unwrap() {
            assert!(code == 200 || code == 503 || code == 0, "{code}");
        }
    }
}
