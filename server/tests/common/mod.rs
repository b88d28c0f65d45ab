//! Helpers for the tests that run the real `safegrid` binary (`crash`, `instances`): a bare
//! HTTP/1.1 client, free ports, running a command, starting `serve` and waiting for it.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a missing service fails the test instead of skipping it: under CI (`CI` set) and
/// `cargo xtask test` (`SAFEGRID_REQUIRE_TOOLS`); the same rule as `tests::required()`.
pub fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("SAFEGRID_REQUIRE_TOOLS").is_some()
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_safegrid");

/// One HTTP/1.1 request on a fresh connection; the status and the (de-chunked) body. Connection
/// errors are returned (a server being killed is part of some tests).
pub fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.get(split + 4..).unwrap_or_default();
    let body = if head.contains("transfer-encoding: chunked") { unchunk(body) } else { body.to_vec() };
    Ok((status, body))
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 2 + size + 2..];
    }
}

/// A body as JSON (panics with the body when it is not).
pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

/// A port nobody listens on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `safegrid <args> <store>` (e.g. `--data-dir D` or `--database-url U`), feeding `stdin`;
/// panics with its standard error when it fails.
pub fn run(args: &[&str], store: &[&OsStr], stdin: Option<&str>) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(store)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "safegrid {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Starts `safegrid serve` on `port` over `store` and waits (up to a minute) until
/// `/api/health` answers 200.
pub fn serve(port: u16, store: &[&OsStr]) -> Child {
    serve_logging(port, store, "error", Stdio::null())
}

/// Like [`serve`], with the log filter `rust_log` and the log on `stderr`.
pub fn serve_logging(port: u16, store: &[&OsStr], rust_log: &str, stderr: Stdio) -> Child {
    let child = Command::new(BIN)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--web-dir", "/nonexistent"])
        .args(store)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while http(port, "GET", "/api/health", None, "").map(|r| r.0).ok() != Some(200) {
        assert!(t0.elapsed() < Duration::from_secs(60), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A fresh, empty database on the PostGIS test cluster (`SAFEGRID_TEST_DATABASE_URL`, started by
/// `cargo xtask test`), dropped again by [`Scratch::drop_database`]. `None` with a notice where
/// the cluster is absent; under CI its absence fails the test.
pub struct Scratch {
    /// The runtime the admin connection runs on (tests also use it for their own async calls).
    pub rt: tokio::runtime::Runtime,
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl Scratch {
    /// A database named `sg_<tag>_<pid>`; `what` names the check skipped without a cluster.
    pub fn new(tag: &str, what: &str) -> Option<Scratch> {
        let Ok(admin_url) = std::env::var("SAFEGRID_TEST_DATABASE_URL") else {
            if required() {
                panic!("SAFEGRID_TEST_DATABASE_URL is missing: `cargo xtask test` starts the PostGIS test cluster");
            }
            eprintln!("notice: SAFEGRID_TEST_DATABASE_URL is not set; skipping {what}");
            return None;
        };
        let name = format!("sg_{tag}_{}", std::process::id());
        let rt = tokio::runtime::Runtime::new().unwrap();
        let admin = rt.block_on(store::postgis::connect(&admin_url)).unwrap();
        rt.block_on(admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).unwrap();
        rt.block_on(admin.batch_execute(&format!("CREATE DATABASE {name}"))).unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        Some(Scratch { rt, admin_url, name, url })
    }

    /// Drops the database (its connections are ended).
    pub fn drop_database(&self) {
        let admin = self.rt.block_on(store::postgis::connect(&self.admin_url)).unwrap();
        self.rt.block_on(admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).unwrap();
    }
}
