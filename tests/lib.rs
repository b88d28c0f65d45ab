//! Fixtures for SafeGrid's integration tests: demo worlds in temporary GeoPackage stores, a
//! router to call, and the location of the shared real-world test data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use model::auth::Role;
use serde_json::Value;
use server::api::app;
use server::boot::{load_state, world_data};
use server::clock::FixedClock;
use server::state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use store::gpkg::GpkgStore;
use store::{NewUser, Store};
use tower::ServiceExt;

/// The fixed "now" of test worlds: the demo history ends here.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap()
}

/// The password of every test user.
pub const TEST_PASSWORD: &str = "test-password-1";

/// A demo world with `base_incidents` background incidents in a fresh temporary store, and one
/// signed-in user per role (see [`TestWorld::token`]).
pub struct TestWorld {
    /// Keeps the store's directory alive.
    pub dir: tempfile::TempDir,
    /// The request state (clock fixed at [`test_now`]).
    pub state: AppState,
    /// What the generator planted.
    pub truth: demo::Truth,
    /// Bearer tokens by role.
    pub tokens: Vec<(Role, String)>,
    /// The state's clock, to move time on.
    pub clock: Arc<FixedClock>,
}

/// A test user: name, role, jurisdiction, officer (the village user), grid worker.
pub type TestUser = (&'static str, Role, Option<&'static str>, Option<u64>, Option<u64>);

/// The test users, one per role: the village user is linked to `officer`, the grid worker to
/// `grid_worker`.
pub fn test_users(officer: u64, grid_worker: u64) -> Vec<TestUser> {
    Role::ALL
        .iter()
        .map(|&role| {
            let (jurisdiction, officer_id, grid_worker_id) = match role {
                Role::City | Role::Analyst | Role::Admin => (Some("620600000000"), None, None),
                Role::County | Role::Leader => (Some("620602000000"), None, None),
                Role::Township => (Some("620602001000"), None, None),
                Role::Village => (None, Some(officer), None),
                // The demo department's region (server::boot::DEMO_DEPARTMENT).
                Role::Department => (Some("620602000000"), None, None),
                Role::GridWorker => (None, None, Some(grid_worker)),
            };
            (role.as_str(), role, jurisdiction, officer_id, grid_worker_id)
        })
        .collect()
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
        let clock = Arc::new(FixedClock::new(end));
        let state = load_state(Arc::new(store), clock.clone()).await.unwrap();
        let officer = state.geography.officers()[0].id;
        let grid_worker =
            server::boot::demo_grid_worker(state.geography.resources(), state.geography.officers()).unwrap();
        let hash = server::auth::hash_password(TEST_PASSWORD).unwrap();
        let mut tokens = Vec::new();
        for (name, role, jurisdiction, officer_id, grid_worker_id) in test_users(officer, grid_worker) {
            let user = NewUser {
                username: name.into(),
                password_hash: hash.clone(),
                role,
                jurisdiction: jurisdiction.map(|j| j.parse().unwrap()),
                officer_id,
                department: (role == Role::Department)
                    .then(|| model::department::DepartmentCode::parse(server::boot::DEMO_DEPARTMENT).unwrap()),
                grid_worker_id,
            };
            state.store.create_user(user).await.unwrap().unwrap();
            let body = serde_json::json!({"username": name, "password": TEST_PASSWORD}).to_string();
            let req = Request::post("/api/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let (status, answer) = call(app(state.clone()), req).await;
            assert_eq!(status, 200, "{answer}");
            tokens.push((role, answer["token"].as_str().unwrap().to_owned()));
        }
        TestWorld { dir, state, truth, tokens, clock }
    }

    /// The bearer token of the test user with `role`.
    pub fn token(&self, role: Role) -> &str {
        self.tokens.iter().find(|(r, _)| *r == role).map(|(_, t)| t.as_str()).unwrap()
    }

    /// GET `uri` as the user with `role`.
    pub async fn get_as(&self, role: Role, uri: &str) -> (StatusCode, Value) {
        self.get_with(self.token(role), uri).await
    }

    /// POST a JSON body to `uri` as the user with `role`.
    pub async fn post_as(&self, role: Role, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
        self.post_with(self.token(role), uri, body).await
    }

    /// GET `uri` with a session token.
    pub async fn get_with(&self, token: &str, uri: &str) -> (StatusCode, Value) {
        let req =
            Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
        call(self.app(), req).await
    }

    /// POST a JSON body to `uri` with a session token.
    pub async fn post_with(&self, token: &str, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(body.into())
            .unwrap();
        call(self.app(), req).await
    }

    /// Adds `user` (password [`TEST_PASSWORD`], whatever hash it names) and signs it in: its token.
    pub async fn sign_in_new(&self, user: NewUser) -> String {
        let username = user.username.clone();
        let password_hash = crate::auth_hash();
        self.state.store.create_user(NewUser { password_hash, ..user }).await.unwrap().unwrap();
        let body = serde_json::json!({"username": username, "password": TEST_PASSWORD}).to_string();
        let (s, a) = self.post("/api/login", body).await;
        assert_eq!(s, 200, "{a}");
        a["token"].as_str().unwrap().to_owned()
    }

    /// The router over this world.
    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    /// GET `uri` as the city command centre, returning status and JSON body.
    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.get_as(Role::City, uri).await
    }

    /// POST a JSON body to `uri` as the city command centre.
    pub async fn post(&self, uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
        self.post_as(Role::City, uri, body).await
    }

    /// Reports a 矛盾纠纷 (`conflict`) event in the first cell of `region`, reported `days_ago`
    /// days ago and left open: a backlog case once past the limit (the demo history leaves few,
    /// and test worlds hold no 综治 events). Its id.
    pub async fn leave_open(&self, region: &str, days_ago: i64) -> u64 {
        use geo::InteriorPoint;
        let range = self.state.geography.cell_range(region.parse().unwrap());
        let p = self.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
        let at = self.state.clock.now() - chrono::Duration::days(days_ago);
        let body = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x(), p.y()]},
            "properties": {"category": "conflict", "occurred_at": at.to_rfc3339(), "reported_at": at.to_rfc3339(),
                           "summary": "宅基地纠纷，多年未结"}});
        let (status, answer) = self.post("/api/incidents", body.to_string()).await;
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_u64().unwrap()
    }
}

/// A hash of [`TEST_PASSWORD`].
fn auth_hash() -> String {
    server::auth::hash_password(TEST_PASSWORD).unwrap()
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

/// Whether a missing tool, service or data file fails the test instead of skipping it: under CI
/// (`CI` set) and `cargo xtask test` (`SAFEGRID_REQUIRE_TOOLS`). Elsewhere (a user's clone) the
/// test prints a notice naming what is missing and skips those checks.
pub fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("SAFEGRID_REQUIRE_TOOLS").is_some()
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
    } else if required() {
        panic!("test data {} is missing; CI must have it", path.display());
    } else {
        eprintln!("notice: {} is absent; skipping the checks that need it", path.display());
        None
    }
}

/// Whether an external tool is on PATH; its absence fails the test when [`required`], elsewhere
/// it is a notice.
pub fn tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if required() {
            panic!("{name} is required and not installed (cargo xtask test installs it)");
        }
        eprintln!("notice: {name} is not installed; skipping the checks that need it");
    }
    found
}

/// The PostGIS test cluster's admin URL (`SAFEGRID_TEST_DATABASE_URL`, a superuser on its
/// `postgres` database, started by `cargo xtask test`), or `None` with a notice on a machine
/// without it. Under CI or `SAFEGRID_REQUIRE_TOOLS` its absence is a failure.
pub fn admin_url() -> Option<String> {
    match std::env::var("SAFEGRID_TEST_DATABASE_URL") {
        Ok(u) => Some(u),
        Err(_) if required() => {
            panic!("SAFEGRID_TEST_DATABASE_URL is missing: `cargo xtask test` starts the PostGIS test cluster")
        }
        Err(_) => {
            eprintln!("notice: SAFEGRID_TEST_DATABASE_URL is not set; skipping the PostGIS checks");
            None
        }
    }
}

/// A fresh empty database on the test cluster; [`Scratch::drop`] removes it.
pub struct Scratch {
    /// A superuser connection to the cluster's `postgres` database.
    pub admin: tokio_postgres::Client,
    /// The database's name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl Scratch {
    /// Creates `sg_<tag>_<pid>` (dropping a leftover of that name first).
    pub async fn new(admin_url: &str, tag: &str) -> Scratch {
        let admin = store::postgis::connect(admin_url).await.unwrap();
        let name = format!("sg_{tag}_{}", std::process::id());
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("{admin_url} names no database"),
        };
        Scratch { admin, name, url }
    }

    /// Drops the database.
    pub async fn drop(self) {
        self.admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await.unwrap();
    }
}

/// One backend under the store conformance suite: a fresh, empty store of that kind that can be
/// opened again (a second process, or a restart, reading what the first acknowledged).
pub enum Backend {
    /// The embedded GeoPackage store in a temporary directory.
    Gpkg(tempfile::TempDir),
    /// A PostGIS store in a scratch database.
    Postgis(Scratch),
}

impl Backend {
    /// Every backend available: the embedded store always; PostGIS when the test cluster is up
    /// (always under `cargo xtask test`).
    pub async fn all(tag: &str) -> Vec<Backend> {
        let mut out = vec![Backend::Gpkg(tempfile::tempdir().unwrap())];
        if let Some(admin) = admin_url() {
            out.push(Backend::Postgis(Scratch::new(&admin, tag).await));
        }
        out
    }

    /// `geopackage` or `postgis`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Gpkg(_) => "geopackage",
            Backend::Postgis(_) => "postgis",
        }
    }

    /// Opens (a new handle on) the store.
    pub async fn open_store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Gpkg(dir) => Arc::new(GpkgStore::open(dir.path()).unwrap()),
            Backend::Postgis(db) => Arc::new(store::postgis::open(&db.url, 4).await.unwrap()),
        }
    }

    /// Removes the store.
    pub async fn remove(self) {
        if let Backend::Postgis(db) = self {
            db.drop().await;
        }
    }
}

impl store::conformance::Backend for Backend {
    fn name(&self) -> &'static str {
        Backend::name(self)
    }

    async fn open(&self) -> Arc<dyn Store> {
        self.open_store().await
    }
}

/// Reads an API answer as the model type that server and frontend share, and checks the type
/// holds all of it: written back, it is the same JSON, member for member.
pub fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(answer: &Value) -> T {
    let read: T = serde_json::from_value(answer.clone())
        .unwrap_or_else(|e| panic!("the answer does not read as {}: {e}\n{answer}", std::any::type_name::<T>()));
    let written = serde_json::to_value(&read).expect("a model type serialises");
    assert_eq!(&written, answer, "{} drops or changes members", std::any::type_name::<T>());
    read
}

/// Writes a small demo world (seed 3, 1,000 background incidents, ending at [`test_now`]) into a
/// fresh embedded store in `dir`.
pub async fn demo_store(dir: &std::path::Path) {
    let world =
        demo::generate(&demo::DemoParams { base_incidents: 1_000, ..demo::DemoParams::new(3, test_now()) }).unwrap();
    GpkgStore::open(dir).unwrap().replace_world(world_data(world)).await.unwrap();
}

/// The command line's store selection for the embedded store in `dir`.
pub fn store_args(dir: &std::path::Path) -> server::config::StoreArgs {
    server::config::StoreArgs { data_dir: dir.to_owned(), database_url: None, db_pool: 4, memory_window_days: 400 }
}
