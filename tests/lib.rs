//! Fixtures for SafeGrid's integration tests: demo worlds in temporary GeoPackage stores, a
//! router to call, and the location of the shared real-world test data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use server::api::{AppState, app};
use server::boot::{load_state, world_data};
use server::clock::FixedClock;
use server::store::Store;
use server::store::gpkg::GpkgStore;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

/// The fixed "now" of test worlds: the demo history ends here.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap()
}

/// A demo world with `base_incidents` background incidents in a fresh temporary store.
pub struct TestWorld {
    /// Keeps the store's directory alive.
    pub dir: tempfile::TempDir,
    /// The request state (clock fixed at [`test_now`]).
    pub state: AppState,
    /// What the generator planted.
    pub truth: demo::Truth,
}

impl TestWorld {
    /// Generates, stores and loads a world whose history ends at [`test_now`].
    pub async fn new(base_incidents: usize) -> TestWorld {
        Self::ending_at(base_incidents, test_now()).await
    }

    /// Generates, stores and loads a world whose history (and clock) ends at `end`.
    pub async fn ending_at(base_incidents: usize, end: DateTime<Utc>) -> TestWorld {
        let dir = tempfile::tempdir().unwrap();
        let world = demo::generate(&demo::DemoParams { base_incidents, ..demo::DemoParams::new(11, end) }).unwrap();
        let truth = world.truth.clone();
        let store = GpkgStore::open(dir.path()).unwrap();
        store.replace_world(world_data(world)).await.unwrap();
        let state = load_state(Arc::new(store), Arc::new(FixedClock::new(end))).await.unwrap();
        TestWorld { dir, state, truth }
    }

    /// The router over this world.
    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    /// GET `uri`, returning status and JSON body.
    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        call(self.app(), Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// POST a JSON body to `uri`.
    pub async fn post(&self, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
        call(self.app(), Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap())
            .await
    }
}

/// Sends a request through the router; the body is parsed as JSON (`Null` when empty).
pub async fn call(app: Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, value)
}

/// The shared real incident data (`SAFEGRID_TESTDATA`, default `../shared/testdata` from the
/// repository root), or `None` with a notice when it is absent (a user's clone; CI always has it).
pub fn testdata(file: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let dir =
        std::env::var_os("SAFEGRID_TESTDATA").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/testdata"));
    let dir = if dir.is_relative() { root.join(dir) } else { dir };
    let path = dir.join(file);
    if path.exists() {
        Some(path)
    } else if std::env::var_os("CI").is_some() || std::env::var_os("SAFEGRID_REQUIRE_TOOLS").is_some() {
        panic!("test data {} is missing; CI must have it", path.display());
    } else {
        eprintln!("notice: {} is absent; skipping the checks that need it", path.display());
        None
    }
}

/// Whether an external tool is on PATH; under `cargo xtask test` (SAFEGRID_REQUIRE_TOOLS) its
/// absence is a failure, elsewhere a notice.
pub fn tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var_os("SAFEGRID_REQUIRE_TOOLS").is_some() {
            panic!("{name} is required (cargo xtask test installs it)");
        }
        eprintln!("notice: {name} is not installed; skipping the checks that need it");
    }
    found
}
