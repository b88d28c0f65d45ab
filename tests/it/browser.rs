//! The real UI in headless Chromium (Debian's chromium + chromedriver, driven by fantoccini).
//!
//! One browser walks one journey through the product as its users would, in named steps (one
//! function each, in [`STEPS`] order): each step starts where the one before left the page. The
//! first step that fails stops the journey; the failure names the step, saves a screenshot as
//! `failed-<step>.png` and lists the steps not run. Saves screenshots and prints the first-render
//! time, the server-side tile times and the wasm bundle size (figures, not assertions).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use geo::InteriorPoint;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::{TestWorld, tool};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_port(port: u16) {
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "port {port} never opened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Trunk's output (`SAFEGRID_DIST`, default `dist/` at the repository root).
fn dist() -> Option<PathBuf> {
    let dir = std::env::var_os("SAFEGRID_DIST").map(PathBuf::from).unwrap_or_else(|| root().join("dist"));
    if dir.join("index.html").exists() {
        return Some(dir);
    }
    if tests::required() {
        panic!("{} has no built frontend (cargo xtask test builds it)", dir.display());
    }
    eprintln!("notice: no built frontend in {}; skipping the browser test", dir.display());
    None
}

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn caps(profile: &str) -> Capabilities {
    let args = json!([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--window-size=1440,900",
        "--lang=zh-CN",
        format!("--user-data-dir={profile}"),
    ]);
    match json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

type Timings = Arc<Mutex<Vec<(String, f64)>>>;

async fn time_tiles(State(t): State<Timings>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    if let Some(rest) = path.strip_prefix("/tiles/") {
        let layer = rest.split('/').next().unwrap_or("").to_owned();
        let zoom = rest.split('/').nth(1).unwrap_or("").to_owned();
        t.lock().unwrap().push((format!("{layer} z{zoom}"), started.elapsed().as_secs_f64() * 1e3));
    }
    res
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Waits until the map is idle with all tiles loaded.
async fn settled(c: &Client) {
    let t0 = Instant::now();
    loop {
        let ok = js(c, "const s = window.__safegrid; return !!(s && s.map && s.map.loaded() && s.map.areTilesLoaded() && !s.map.isMoving());").await;
        if ok == json!(true) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if js(c, "const m = window.__safegrid.map; return m.loaded() && m.areTilesLoaded();").await == json!(true) {
                return;
            }
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let state = js(c, "const s = window.__safegrid || {}; const m = s.map; return {exists: !!m, loaded: m && m.loaded(), tiles: m && m.areTilesLoaded(), moving: m && m.isMoving(), idle: s.idleCount, errors: s.tileErrors, last: s.lastError || null, body: document.body.innerText.slice(0, 300)};").await;
            if let Ok(png) = c.screenshot().await {
                let _ = std::fs::write(artifacts().join("unsettled.png"), png);
            }
            panic!("the map never settled: {state}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn wait_text(c: &Client, css: &str, want: impl Fn(&str) -> bool, what: &str) -> String {
    let t0 = Instant::now();
    loop {
        let t = text_of(c, css).await;
        if want(&t) {
            return t;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "{what}: {css} shows {t:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Types `text` into the element with id `id`, finding it again when a redraw replaced it between
/// the find and the keys (the desk redraws its forms when its data reloads).
async fn type_into(c: &Client, id: &str, text: &str) {
    for attempt in 0..5 {
        match c.find(Locator::Id(id)).await.unwrap().send_keys(text).await {
            Ok(()) => return,
            Err(e) if attempt < 4 && format!("{e:?}").contains("StaleElementReference") => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("typing into #{id}: {e}"),
        }
    }
}

/// Waits up to 10 s for `done`, failing with `what`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn stats_total(w: &TestWorld, query: &str, code: &str) -> u64 {
    let (status, s) = w.get(&format!("/api/stats?{query}&region={code}")).await;
    assert_eq!(status, 200, "{s}");
    s["total"].as_u64().unwrap()
}

/// The browser and the server under test, shared by every step.
struct Browser {
    world: TestWorld,
    c: Client,
    port: u16,
    out: PathBuf,
    profile: tempfile::TempDir,
    _driver: Proc,
}

/// What one step leaves for the steps after it.
#[derive(Default)]
struct Journey {
    first_render_ms: Value,
    kpi: String,
    place: (f64, f64),
    live_id: u64,
    appeared_ms: f64,
    busy_point: (f64, f64),
}

type Step = for<'a> fn(&'a Browser, &'a mut Journey) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

macro_rules! steps {
    ($($name:ident),* $(,)?) => {
        /// The journey's steps, in order.
        const STEPS: &[(&str, Step)] = &[$((stringify!($name), |b, j| Box::pin($name(b, j)))),*];
    };
}

steps!(
    sign_in,
    map_renders,
    live_incident_appears,
    dispatch_from_the_queue,
    merge_and_split,
    wall_mode,
    cell_panel_and_filter,
    analyses,
    gap_and_blind_spots,
    patrol_planner,
    scorecard,
    report_text_is_text,
    language_switch,
    city_desk,
    village_officer_desk,
    county_lands_on_its_county,
    work_order_loop,
    audit_log,
    base_data,
    every_screen_of_every_role
);

/// One browser at a time: two Chromiums on two cores make both slow enough to time out.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A ChromeDriver on a free port, and the port.
async fn chromedriver() -> (Proc, u16) {
    let wd_port = free_port();
    let driver = Proc(
        Command::new("chromedriver")
            .args([format!("--port={wd_port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(wd_port).await;
    (driver, wd_port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_real_browser() {
    let Some(dist) = dist() else { return };
    if !tool("chromedriver") || !tool("chromium") {
        return;
    }
    let world = TestWorld::ending_at(30_000, Utc::now()).await;
    // A few long-running cases for the backlog board and its layer, in every county.
    for (k, county) in ["620602000000", "620621000000", "620622000000", "620623000000"].into_iter().enumerate() {
        world.leave_open(county, 35 + 40 * k as i64).await;
    }
    // Liangzhou's forecast trial, so the forecast panel names the method it chose.
    server::forecast_trials::run_and_keep(&world.state, "620602000000".parse().unwrap(), "safegrid").await.unwrap();
    let mut state = world.state.clone();
    state.web_dir = Some(dist.clone());
    let timings: Timings = Arc::default();
    let app = server::api::app(state).layer(axum::middleware::from_fn_with_state(Arc::clone(&timings), time_tiles));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let _one = ONE_BROWSER.lock().await;
    let (_driver, wd_port) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps(&profile.path().to_string_lossy()))
        .connect(&format!("http://127.0.0.1:{wd_port}"))
        .await
        .unwrap();
    let b = Browser { world, c, port, out: artifacts(), profile, _driver };

    let mut j = Journey::default();
    for (k, (name, step)) in STEPS.iter().enumerate() {
        let outcome = std::panic::AssertUnwindSafe(async {
            step(&b, &mut j).await;
            // No page error, unhandled rejection or console error on any page, for any role.
            let errors = js(&b.c, "return window.__safegridErrors || ['the page does not record its errors'];").await;
            assert_eq!(errors, json!([]), "page or console errors during `{name}`");
        })
        .catch_unwind()
        .await;
        if outcome.is_err() {
            if let Ok(png) = b.c.screenshot().await {
                let _ = std::fs::write(b.out.join(format!("failed-{name}.png")), png);
            }
            let not_run: Vec<&str> = STEPS[k + 1..].iter().map(|(n, _)| *n).collect();
            panic!(
                "browser step `{name}` failed (its panic is printed above; screenshot {}); not run: {}",
                b.out.join(format!("failed-{name}.png")).display(),
                if not_run.is_empty() { "none".to_owned() } else { not_run.join(", ") }
            );
        }
    }
    let (first_render_ms, kpi, appeared_ms, out) = (&j.first_render_ms, &j.kpi, j.appeared_ms, &b.out);
    let wasm: u64 = std::fs::read_dir(&dist)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let mut times = timings.lock().unwrap().clone();
    times.sort_by(|a, b| a.1.total_cmp(&b.1));
    let slowest = times.last().cloned().unwrap_or_default();
    let median = times.get(times.len() / 2).map_or(0.0, |t| t.1);
    println!(
        "browser figures: first map render {first_render_ms} ms; {} tile requests, median {median:.1} ms, slowest {:.1} ms ({}); \
         wasm bundle {:.0} KB; today's KPI {kpi}; a posted incident on the map after {appeared_ms:.0} ms; screenshots in {}",
        times.len(),
        slowest.1,
        slowest.0,
        wasm as f64 / 1024.0,
        out.display()
    );
    // `cargo xtask screenshots`: the README's pictures, from this run.
    if let Some(docs) = std::env::var_os("SAFEGRID_SCREENSHOTS").map(PathBuf::from) {
        for (shot, name) in README_SCREENSHOTS {
            std::fs::copy(out.join(shot), docs.join(name)).unwrap();
        }
    }
    let Browser { c, .. } = b;
    c.close().await.unwrap();
}

/// The browser test's screenshots the README shows, and their names in docs/.
const README_SCREENSHOTS: [(&str, &str); 5] = [
    ("dashboard-city.png", "screenshot-city.png"),
    ("dashboard-cell.png", "screenshot-cell.png"),
    ("dashboard-alerts.png", "screenshot-alerts.png"),
    ("wall-1080.png", "screenshot-wall.png"),
    ("screen-village-dashboard.png", "screenshot-village.png"),
];

/// The login page refuses a wrong password and opens the dashboard for the right one.
async fn sign_in(b: &Browser, j: &mut Journey) {
    let c = &b.c;
    c.goto(&format!("http://127.0.0.1:{}/", b.port)).await.unwrap();
    // Signed out: the login page. A wrong password is refused; the right one opens the dashboard.
    let user = c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("login-username")).await.unwrap();
    user.send_keys("city").await.unwrap();
    c.find(Locator::Id("login-password")).await.unwrap().send_keys("wrong-password").await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    wait_text(c, "#login-error", |t| t == "用户名或密码错误", "a refused login, in Chinese").await;
    let password = c.find(Locator::Id("login-password")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys(tests::TEST_PASSWORD).await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("#map canvas.maplibregl-canvas")).await.unwrap();
    wait_text(c, "#signed-in", |t| t.starts_with("city"), "who is signed in").await;
    settled(c).await;
    j.first_render_ms = js(c, "return window.__safegrid.firstIdleMs;").await;
    assert_eq!(text_of(c, "#title").await, "平安网格 · 武威");
    // The page keeps its errors (every step then checks there are none): a console error and a
    // thrown error are recorded; the probes are cleared.
    let probe = "console.error('probe', 1); setTimeout(() => { throw new Error('thrown probe'); }, 0); return true;";
    js(c, probe).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let kept = js(c, "const e = window.__safegridErrors.slice(); window.__safegridErrors.length = 0; return e;").await;
    // (A script WebDriver runs is another origin's to the page: its error's text is hidden.)
    assert_eq!(kept[0], "console error: probe 1", "{kept}");
    assert!(
        kept[1].as_str().is_some_and(|e| e.starts_with("page error: ")) && kept.as_array().unwrap().len() == 2,
        "{kept}"
    );
}

/// The map renders cells, incidents, county boundaries and labels, with no tile error.
async fn map_renders(b: &Browser, j: &mut Journey) {
    let (c, out) = (&b.c, &b.out);
    // Rendered features: cells, incidents, county boundaries and their labels (glyphs load).
    let count =
        |layer: &str| format!("return window.__safegrid.map.queryRenderedFeatures({{layers:['{layer}']}}).length;");
    for layer in ["cells-fill", "incidents", "regions-county", "region-labels"] {
        let n = js(c, &count(layer)).await.as_u64().unwrap();
        assert!(n > 0, "nothing rendered in {layer}");
    }
    let errors = js(c, "return [window.__safegrid.tileErrors, window.__safegrid.lastError || null];").await;
    assert_eq!(errors[0], json!(0), "map errors: {errors}");
    j.kpi = wait_text(c, "#kpi-today", |t| t.parse::<u64>().is_ok(), "today's KPI").await;
    // The category filter lists the taxonomy's kinds in two groups; a group's box clears and
    // ticks all of its kinds.
    let kinds = model::Category::all().len();
    let checked = "return document.querySelectorAll('input[data-category]:checked').length;";
    assert_eq!(js(c, "return document.querySelectorAll('input[data-category]').length;").await, json!(kinds));
    let governance = "label.group[data-workflow=department] input";
    c.find(Locator::Css(governance)).await.unwrap().click().await.unwrap();
    assert_eq!(js(c, checked).await, json!(8), "only the eight 110 categories stay ticked");
    c.find(Locator::Css(governance)).await.unwrap().click().await.unwrap();
    assert_eq!(js(c, checked).await, json!(kinds));
    std::fs::write(out.join("dashboard-city.png"), c.screenshot().await.unwrap()).unwrap();
}

/// An incident posted now appears on the map with a pulse; its key place raises a toast.
async fn live_incident_appears(b: &Browser, j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    // Live: an incident posted now appears on the map with a pulse, and in the event queue.
    wait_text(c, "#feed-state", |t| t == "●", "the live feed connected").await;
    let place = world
        .state
        .geography
        .resources()
        .iter()
        .find(|r| r.kind == model::ResourceKind::KeyPlace && world.state.geography.locate(r.lon, r.lat).is_some())
        .unwrap()
        .clone();
    j.place = (place.lon, place.lat);
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                      "properties": {"category": "criminal", "subcategory": "theft",
                                     "occurred_at": server::auth::stamp(Utc::now() - chrono::Duration::minutes(10))}});
    let posted = Instant::now();
    let (status, f) = world.post("/api/incidents", body.to_string()).await;
    assert_eq!(status, 201, "{f}");
    let live_id = f["id"].as_u64().unwrap();
    j.live_id = live_id;
    let on_map = format!(
        "return window.__safegrid.map.queryRenderedFeatures({{layers:['live-points']}}).some(f => f.properties.id === {live_id}) \
         && window.__safegrid.map.queryRenderedFeatures({{layers:['live-pulse']}}).some(f => f.properties.id === {live_id});"
    );
    j.appeared_ms = loop {
        if js(c, &on_map).await == json!(true) {
            break posted.elapsed().as_secs_f64() * 1e3;
        }
        assert!(posted.elapsed() < Duration::from_secs(10), "the posted incident never appeared on the map");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // How long it took is a figure (printed below), not an assertion: the test shares the cores.
    std::fs::write(out.join("dashboard-live.png"), c.screenshot().await.unwrap()).unwrap();
    // The key place's geofence raised an urgent alert: a short notice in the map's corner that
    // leaves its centre free, the bell's count, and the tray's list, where it is acknowledged.
    // Found and measured in one script (the notice leaves after 8 s).
    let clear = "const n = document.querySelector('#alert-notice .alert-notice'); \
                 if (!n || !n.textContent.includes('重点场所预警')) return null; \
                 const m = document.getElementById('map').getBoundingClientRect(), r = n.getBoundingClientRect(); \
                 const cx = m.left + m.width / 2, cy = m.top + m.height / 2; \
                 return !(cx >= r.left && cx <= r.right && cy >= r.top && cy <= r.bottom) && r.bottom <= m.bottom && r.left >= m.left;";
    let t0 = Instant::now();
    let clear = loop {
        let v = js(c, clear).await;
        if !v.is_null() {
            break v;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no notice of the geofence alert");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(clear, json!(true), "the notice covers the map's centre");
    let (_, open) = world.get("/api/alerts?open=true").await;
    let open = open.as_array().unwrap().clone();
    let ours = open.iter().find(|a| a["incident"] == live_id && a["kind"] == "geofence").expect("the geofence alert");
    let ours_id = ours["id"].as_u64().unwrap();
    wait_text(c, "#alert-count", |t| t == open.len().to_string(), "the bell counts the open alerts").await;
    c.find(Locator::Id("alert-bell")).await.unwrap().click().await.unwrap();
    let row = format!("#alert-list .alert-row[data-id='{ours_id}']");
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(&row)).await.unwrap();
    // Newest first, and the kind filter keeps only its kind.
    let newest = js(c, "return Number(document.querySelector('#alert-list .alert-row').dataset.id);").await;
    let newest_api =
        open.iter().max_by_key(|a| (a["at"].as_str().unwrap().to_owned(), a["id"].as_u64())).unwrap()["id"].clone();
    assert_eq!(newest, newest_api);
    c.find(Locator::Css("#alert-tray button[data-kind='geofence']")).await.unwrap().click().await.unwrap();
    let kinds =
        js(c, "return [...document.querySelectorAll('#alert-list .alert-row')].map(r => r.dataset.kind);").await;
    assert!(
        kinds.as_array().unwrap().iter().all(|k| k == "geofence") && !kinds.as_array().unwrap().is_empty(),
        "{kinds}"
    );
    std::fs::write(out.join("dashboard-alerts.png"), c.screenshot().await.unwrap()).unwrap();
    c.find(Locator::Css(&format!("{row} button.ack"))).await.unwrap().click().await.unwrap();
    wait_text(c, "#alert-count", |t| t == (open.len() - 1).to_string(), "the count after acknowledging").await;
    let (_, after) = world.get("/api/alerts?open=true").await;
    assert!(after.as_array().unwrap().iter().all(|a| a["id"] != ours_id), "acknowledged in the store");
    c.find(Locator::Css("#alert-tray button.close")).await.unwrap().click().await.unwrap();
}

/// The queue dispatches the nearest unit, and the history says by whom.
async fn dispatch_from_the_queue(b: &Browser, j: &mut Journey) {
    let (c, world) = (&b.c, &b.world);
    let live_id = j.live_id;
    // Dispatch from the queue: the nearest unit is offered and sent.
    let row = format!(".queue-row[data-id='{live_id}']");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{row} button.dispatch")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".offer .unit-option"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let t0 = Instant::now();
    let sent = loop {
        let (_, h) = world.get(&format!("/api/incidents/{live_id}/history")).await;
        if h["status"] == "dispatched" {
            assert_eq!(h["history"][0]["by"], "city");
            break h["history"][0]["unit"].as_u64().unwrap();
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "the dispatch never landed: {h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    wait_text(c, &row, |t| t.contains("到场"), "the queue offers the next step after the dispatch").await;
    // The incident's details show its event loop (the dispatch, by whom) and its 一事多报 links:
    // an operator merges it into another report's event and splits it off again.
    c.find(Locator::Css(&format!("{row} .q-main"))).await.unwrap().click().await.unwrap();
    let (_, units) = world.get("/api/units").await;
    let unit_name =
        units.as_array().unwrap().iter().find(|u| u["id"] == sent).unwrap()["name"].as_str().unwrap().to_owned();
    wait_text(
        c,
        "#progress-history",
        |t| t.contains("派警") && t.contains("city") && t.contains(&unit_name),
        "the dispatch in the history, by whom, with the unit's name",
    )
    .await;
}

/// An operator merges the report into another's event (一事多报) and splits it off again.
async fn merge_and_split(b: &Browser, j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    let live_id = j.live_id;
    let event_of = |id: u64| world.state.live.board().event_of(id);
    // The panel's split button makes the report its own event again.
    let split_off = async || {
        let split = format!("#incident-progress button.split[data-id='{live_id}']");
        c.find(Locator::Css(&split)).await.unwrap().click().await.unwrap();
        until("the split never landed", || event_of(live_id).is_none()).await;
    };
    if event_of(live_id).is_some() {
        // The rule linked it to an earlier report of the demo world: split it off first.
        split_off().await;
    }
    let other = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [j.place.0, j.place.1]},
                       "properties": {"category": "public_order",
                                      "occurred_at": server::auth::stamp(Utc::now() - chrono::Duration::minutes(30))}});
    let (status, f) = world.post("/api/incidents", other.to_string()).await;
    assert_eq!(status, 201, "{f}");
    let other_id = f["id"].as_u64().unwrap();
    let first = event_of(other_id).unwrap_or(other_id);
    let merge_into = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("merge-into")).await.unwrap();
    merge_into.send_keys(&other_id.to_string()).await.unwrap();
    c.find(Locator::Id("merge-submit")).await.unwrap().click().await.unwrap();
    until("the merge never landed", || event_of(live_id) == Some(first)).await;
    wait_text(
        c,
        "#incident-progress .links",
        |t| t.contains("属于首报") && t.contains(&format!("#{first}")),
        "the link shown",
    )
    .await;
    std::fs::write(out.join("dashboard-incident.png"), c.screenshot().await.unwrap()).unwrap();
    split_off().await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("merge-into")).await.unwrap();
}

/// The 大屏 button opens the video wall at `/wall`: its figures are the API's, and at 1920 × 1080
/// and 3840 × 2160 nothing in its side columns is cut off and its figures grow with the screen.
async fn wall_mode(b: &Browser, _j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    c.find(Locator::Id("wall-mode")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#wall #map canvas.maplibregl-canvas"))
        .await
        .unwrap();
    assert_eq!(js(c, "return location.pathname;").await, json!("/wall"));
    // Today's incidents, as the API counts them from local midnight.
    let now = Utc::now();
    let off = i64::from(model::time::SHANGHAI_OFFSET_S);
    let midnight = (now.timestamp() + off).div_euclid(86_400) * 86_400 - off;
    let query = format!(
        "from={}&to={}",
        server::auth::stamp(chrono::DateTime::from_timestamp(midnight, 0).unwrap()),
        server::auth::stamp(now)
    );
    let (_, today) = world.get(&format!("/api/stats?{query}")).await;
    let today = today["total"].as_u64().unwrap();
    wait_text(c, "#wall-today", |t| t == today.to_string(), "today's incidents on the wall").await;
    // This month's, from the first of the month, local time.
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp(now.timestamp() + off, 0).unwrap().date_naive();
    let first = date.with_day(1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - off;
    let month_query = format!(
        "from={}&to={}",
        server::auth::stamp(chrono::DateTime::from_timestamp(first, 0).unwrap()),
        server::auth::stamp(now)
    );
    let (_, month) = world.get(&format!("/api/stats?{month_query}")).await;
    let month = month["total"].as_u64().unwrap();
    wait_text(c, "#wall-month", |t| t == month.to_string(), "this month's incidents on the wall").await;
    // The hours add up to the API's count of the same hours.
    let hours: u64 = js(c, "return [...document.querySelectorAll('#wall-hours .col')].map(c => Number(c.title.split(' · ')[1])).reduce((a, b) => a + b, 0);")
        .await
        .as_u64()
        .unwrap();
    let hour_start = now.timestamp().div_euclid(3_600) * 3_600 - 23 * 3_600;
    let (_, day) = world
        .get(&format!(
            "/api/stats?from={}&to={}",
            server::auth::stamp(chrono::DateTime::from_timestamp(hour_start, 0).unwrap()),
            server::auth::stamp(now)
        ))
        .await;
    assert_eq!(Some(hours), day["total"].as_u64(), "the 24 hours' columns");
    // The units as the API reports them.
    let (_, units) = world.get("/api/units").await;
    let available = units.as_array().unwrap().iter().filter(|u| u["status"] == "available").count();
    wait_text(c, "#wall-units", |t| t.contains(&format!("可派 {available}")), "the units' status").await;
    // The overdue list: the first 4 escalated events, then a row counting the rest (cut at 8
    // rows, a run with many escalated events ran off a 1080-line wall).
    let (_, queue) = world.get("/api/queue?limit=500").await;
    let escalated = queue["items"].as_array().unwrap().iter().filter(|i| !i["escalated_to"].is_null()).count() as u64;
    let shown = js(c, "return document.querySelectorAll('#wall-overdue li.overdue').length;").await;
    assert_eq!(shown.as_u64(), Some(escalated.min(4)), "the overdue rows of {escalated} escalated events");
    let more = js(c, "const m = document.getElementById('wall-overdue-more'); return m ? m.textContent : null;").await;
    if escalated > 4 {
        assert_eq!(more, json!(format!("另有 {} 项", escalated - 4)), "the row counting the rest");
    } else {
        assert_eq!(more, json!(null), "no row counting the rest of {escalated}");
    }
    for (w, h, name) in [(1920, 1080, "wall-1080.png"), (3840, 2160, "wall-2160.png")] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        settled(c).await;
        let fits = js(c, "return [...document.querySelectorAll('.wall-left, .wall-right, .wall-top')].every(e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1);").await;
        assert_eq!(fits, json!(true), "the wall's columns are cut off at {w} × {h}");
        let map_share =
            js(c, "return document.getElementById('map').getBoundingClientRect().width / window.innerWidth;").await;
        assert!(map_share.as_f64().unwrap() > 0.4, "the map is {map_share} of the width");
        // The day's figure: at least 2% of the screen's width high (about 40 px on 1920).
        let px = js(c, "return parseFloat(getComputedStyle(document.getElementById('wall-today')).fontSize);").await;
        assert!(px.as_f64().unwrap() >= f64::from(w) * 0.02, "{px} px at {w} wide");
        std::fs::write(out.join(name), c.screenshot().await.unwrap()).unwrap();
    }
    let errors = js(c, "return window.__safegridErrors || ['the page does not record its errors'];").await;
    assert_eq!(errors, json!([]), "page or console errors on the wall");
    c.set_window_size(1440, 900).await.unwrap();
    c.find(Locator::Id("wall-exit")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("header.top #signed-in")).await.unwrap();
    settled(c).await;
}

/// Clicking the busiest cell shows the API's count; dropping a category changes it.
async fn cell_panel_and_filter(b: &Browser, j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    // Click the busiest cell of the window at the centre of the map.
    let query = c.find(Locator::Id("map")).await.unwrap().attr("data-query").await.unwrap().unwrap();
    let (_, stats) = world.get(&format!("/api/stats?{query}")).await;
    let code = stats["top_cells"][0]["cell_code"].as_str().unwrap().to_owned();
    let (_, cell) = world.state.geography.cell(code.parse().unwrap()).unwrap();
    let p = cell.boundary.interior_point().unwrap();
    j.busy_point = (p.x(), p.y());
    click_map(c, p.x(), p.y(), 14.0).await;
    wait_text(c, "#panel-code", |t| t == code, "the clicked cell").await;
    let want = stats_total(world, &query, &code).await;
    assert!(want > 0);
    wait_text(c, "#panel-total", |t| t == want.to_string(), "the panel's count equals the API's").await;
    settled(c).await;
    std::fs::write(out.join("dashboard-cell.png"), c.screenshot().await.unwrap()).unwrap();

    // Dropping a category changes the count to the API's count under the new filter.
    c.find(Locator::Css("input[data-category=criminal]")).await.unwrap().click().await.unwrap();
    let t0 = Instant::now();
    let new_query = loop {
        let q = c.find(Locator::Id("map")).await.unwrap().attr("data-query").await.unwrap().unwrap();
        if q != query {
            break q;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "the filter never changed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(new_query.contains("category=traffic") && !new_query.contains("category=criminal"), "{new_query}");
    let without = stats_total(world, &new_query, &code).await;
    assert!(without < want, "criminal incidents were in the cell: {without} vs {want}");
    wait_text(c, "#panel-total", |t| t == without.to_string(), "the filtered count").await;
}

/// Every analysis loads, states its method and draws cells; near-repeat alerts are counted.
async fn analyses(b: &Browser, _j: &mut Journey) {
    let (c, out) = (&b.c, &b.out);
    // The Gi* hot-spot layer loads from /api/hotspots when switched on.
    c.find(Locator::Css("input[data-layer=hotspots]")).await.unwrap().click().await.unwrap();
    let t0 = Instant::now();
    loop {
        let n =
            js(c, "return window.__safegrid.map.querySourceFeatures('hotspots').length;").await.as_u64().unwrap_or(0);
        if n > 0 {
            break;
        }
        if t0.elapsed() > Duration::from_secs(30) {
            let state = js(c, "const m = window.__safegrid.map; return [document.querySelector('input[data-layer=hotspots]').checked, document.querySelectorAll('input[data-layer]').length, window.__safegrid.lastError || null, m.getLayoutProperty('hotspots-fill', 'visibility'), JSON.stringify(m.getSource('hotspots').serialize()).slice(0, 200)];").await;
            panic!("the hot-spot layer never loaded: {state}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_text(c, "#analysis-description", |t| t.contains("Gi*") && t.contains("FDR"), "the Gi* description").await;
    settled(c).await;
    std::fs::write(out.join("dashboard-hotspots.png"), c.screenshot().await.unwrap()).unwrap();
    // Every other analysis loads, states its method in Chinese, and draws cells.
    for (key, words) in [
        ("local-moran", "局部莫兰"),
        ("optimized", "Gi*"),
        ("emerging", "时空热点趋势"),
        ("kde", "核密度"),
        ("forecast", "班次预测"),
    ] {
        js(c, &format!("const s = document.getElementById('analysis'); s.value = '{key}'; s.dispatchEvent(new Event('change'));")).await;
        wait_text(c, "#analysis-description", |t| t.contains(words), key).await;
        let t0 = Instant::now();
        loop {
            let drawn = js(c, "return window.__safegrid.map.querySourceFeatures('hotspots').length;")
                .await
                .as_u64()
                .unwrap_or(0);
            if drawn > 0 {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "{key}: no cells drawn");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The forecast says per county what its backtest found and the method used; the details
    // list every method's scores, the chosen one marked.
    let line = "#forecast-methods .forecast-method[data-county='620602000000']";
    wait_text(c, line, |t| t.contains("近 8 周（56 个班次）") && t.contains("采用"), "Liangzhou's method line").await;
    wait_text(c, "#forecast-methods", |t| t.contains("尚无预测方法回测"), "a county without a trial").await;
    js(c, &format!("document.querySelector(\"{line} .trial-details\").click();")).await;
    wait_text(
        c,
        &format!("{line} .trial-scores"),
        |t| t.contains("PAI") && t.contains("近 90 天计数"),
        "the trial's table",
    )
    .await;
    let marked = js(c, &format!("return document.querySelectorAll(\"{line} tr.chosen\").length;")).await;
    assert_eq!(marked.as_u64(), Some(1), "one method is marked as used");
    settled(c).await;
    std::fs::write(out.join("dashboard-forecast.png"), c.screenshot().await.unwrap()).unwrap();
    forecast_cell_explained(b).await;
    // Near-repeat alerts: a count in words.
    c.find(Locator::Css("input[data-layer=alerts]")).await.unwrap().click().await.unwrap();
    wait_text(c, "#alerts-count", |t| t.contains("近重复预警"), "the near-repeat alerts").await;
}

/// A click on a forecast cell (the cells and incidents layers off, so the click meets the
/// forecast layer alone) shows the cell's expected incidents, rank and the split of its risk
/// between the long-term background and recent incidents, as the forecast's answer gives them.
async fn forecast_cell_explained(b: &Browser) {
    let (c, world) = (&b.c, &b.world);
    // The best-ranked cell whose risk is partly set off by recent incidents (the model's own
    // explanation), else the best-ranked cell with a risk.
    let shown = js(
        c,
        "const d = window.__safegrid.map.getSource('hotspots').serialize().data;
         const risky = d.features.map(f => f.properties).filter(p => p.background_share !== null && p.background_share !== undefined)
           .sort((a, b) => a.rank - b.rank);
         const pick = risky.find(p => p.background_share < 0.995) || risky[0];
         return [pick.code, pick.background_share, pick.rank, pick.flagged, d.features.length];",
    )
    .await;
    let code = shown[0].as_str().unwrap().to_owned();
    let share = shown[1].as_f64().unwrap();
    let (rank, flagged, cells) = (shown[2].as_u64().unwrap(), shown[3].as_bool().unwrap(), shown[4].as_u64().unwrap());
    assert!((0.0..=1.0).contains(&share), "{code}: background share {share}");
    for layer in ["cells", "incidents"] {
        c.find(Locator::Css(&format!("input[data-layer={layer}]"))).await.unwrap().click().await.unwrap();
    }
    let (_, cell) = world.state.geography.cell(code.parse().unwrap()).unwrap();
    let p = cell.boundary.interior_point().unwrap();
    click_map(c, p.x(), p.y(), 15.0).await;
    wait_text(c, "#panel-code", |t| t == code, "the clicked forecast cell").await;
    let background_pct = (share * 100.0).round() as u32;
    let want = format!("长期规律 {background_pct}%，近期警情激发 {}%", 100 - background_pct);
    wait_text(c, "#panel-forecast-sources", |t| t == want, "the cell's risk split").await;
    let rank_text = text_of(c, "#panel-forecast-rank").await;
    assert!(rank_text.starts_with(&format!("第 {rank} 名（共 {cells} 个网格")), "{rank_text}");
    assert_eq!(rank_text.contains("重点网格"), flagged, "{rank_text}");
    settled(c).await;
    std::fs::write(b.out.join("dashboard-forecast-cell.png"), c.screenshot().await.unwrap()).unwrap();
    for layer in ["cells", "incidents"] {
        c.find(Locator::Css(&format!("input[data-layer={layer}]"))).await.unwrap().click().await.unwrap();
    }
}

/// The prevention gap map and the blind spots load when switched on.
async fn gap_and_blind_spots(b: &Browser, _j: &mut Journey) {
    let (c, world) = (&b.c, &b.world);
    // The prevention gap map and the blind spots load when switched on.
    c.find(Locator::Css("input[data-layer=gap]")).await.unwrap().click().await.unwrap();
    let (_, blind) = world.get("/api/coverage/blind-spots").await;
    let blind_n = blind["features"].as_array().unwrap().len();
    c.find(Locator::Css("input[data-layer=blind]")).await.unwrap().click().await.unwrap();
    let t0 = Instant::now();
    loop {
        let counts = js(c, "const s = window.__safegrid; return [s.map.querySourceFeatures('gap').length, (s.layerCounts || {}).blind ?? -1];").await;
        let (gap, shown_blind) = (counts[0].as_u64().unwrap_or(0), counts[1].as_i64().unwrap_or(-1));
        if gap > 0 && shown_blind == blind_n as i64 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "gap/blind layers never loaded: {counts} (blind spots {blind_n})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The planner draws a plan and re-plans without an excluded stop.
async fn patrol_planner(b: &Browser, _j: &mut Journey) {
    let (c, out) = (&b.c, &b.out);
    // The patrol planner: generate a plan for the preselected units, see routes on the map,
    // exclude a stop and see the new plan avoid it.
    c.find(Locator::Id("planner-button")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("input[data-unit]:checked")).await.unwrap();
    // The shift start reads `YYYY-MM-DD HH:MM` whatever the browser's locale (this Chromium's is
    // English); a typo is marked, and a time typed in that form is taken.
    let start = c.find(Locator::Id("shift-start")).await.unwrap();
    let shown = start.prop("value").await.unwrap().unwrap_or_default();
    let form = |v: &str| {
        v.len() == 16
            && v.chars().enumerate().all(|(i, ch)| match i {
                4 | 7 => ch == '-',
                10 => ch == ' ',
                13 => ch == ':',
                _ => ch.is_ascii_digit(),
            })
    };
    assert!(form(&shown), "the shift start shows {shown:?}");
    start.clear().await.unwrap();
    start.send_keys(&format!("2026-13-40 25:00{}", char::from(fantoccini::key::Key::Tab))).await.unwrap();
    let marked = js(c, "return document.getElementById('shift-start').classList.contains('invalid');").await;
    assert_eq!(marked, json!(true), "a time that is not one is marked");
    let start = c.find(Locator::Id("shift-start")).await.unwrap();
    start.clear().await.unwrap();
    start.send_keys(&format!("{shown}{}", char::from(fantoccini::key::Key::Tab))).await.unwrap();
    let marked = js(c, "return document.getElementById('shift-start').classList.contains('invalid');").await;
    assert_eq!(marked, json!(false));
    c.find(Locator::Id("generate-plan")).await.unwrap().click().await.unwrap();
    let t0 = Instant::now();
    wait_text(c, "#plan-coverage", |t| t.contains("覆盖预测风险") && t.contains('%'), "the plan's coverage").await;
    loop {
        let n = js(c, "return window.__safegrid.planFeatures || 0;").await.as_u64().unwrap_or(0);
        if n > 0 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the plan was never drawn");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first = js(c, "return document.querySelector('li.plan-stop').dataset.cell;").await;
    let first = first.as_str().unwrap().to_owned();
    settled(c).await;
    std::fs::write(out.join("dashboard-planner.png"), c.screenshot().await.unwrap()).unwrap();
    c.find(Locator::Css(&format!("li.plan-stop[data-cell='{first}'] button.exclude")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let t0 = Instant::now();
    loop {
        let state = js(c, &format!("return [document.querySelectorAll(\"li.plan-stop[data-cell='{first}']\").length, document.querySelectorAll('li.plan-stop').length];")).await;
        if state[0] == json!(0) && state[1].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the excluded stop {first} stayed in the plan: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.find(Locator::Id("planner-button")).await.unwrap().click().await.unwrap();
}

/// The assessment scorecard (考核): last month's counties ranked as the API ranks them, the map's
/// counties coloured, then coloured by one indicator, a county's indicators unfolded, the
/// townships, and the CSV link for what is shown.
async fn scorecard(b: &Browser, _j: &mut Journey) {
    let (c, out, world) = (&b.c, &b.out, &b.world);
    c.find(Locator::Id("scorecard-button")).await.unwrap().click().await.unwrap();
    let rows = "document.querySelectorAll('#scorecard-table tr.scorecard-row')";
    until_js(c, &format!("return {rows}.length === 4;"), "the four counties ranked").await;
    let (_, card) = world.get("/api/scorecard").await;
    let shown = js(c, &format!("return [...{rows}].map(r => r.dataset.code);")).await;
    let want: Vec<&Value> = card["rows"].as_array().unwrap().iter().map(|r| &r["code"]).collect();
    assert_eq!(shown, json!(want), "the page ranks as the API does");
    until_js(c, "return window.__safegrid.scorecardRegions === 4;", "the counties coloured on the map").await;
    // Colour by one indicator: its column follows.
    js(c, "const s = document.getElementById('scorecard-colour'); s.value = 'on_time_rate'; s.dispatchEvent(new Event('change')); return true;").await;
    wait_text(c, "#scorecard-table thead", |t| t.contains("环节按时率"), "the indicator's column").await;
    // Unfold the first county: every indicator with its numerator and denominator.
    c.find(Locator::Css("#scorecard-table tr.scorecard-row button.link")).await.unwrap().click().await.unwrap();
    let n = card["indicators"].as_array().unwrap().len();
    until_js(
        c,
        &format!("return document.querySelectorAll('#scorecard-table tr.scorecard-indicator').length === {n};"),
        "the unfolded indicators",
    )
    .await;
    // And the receptions of the month beside them, counted as the API counts them.
    let receptions = &card["rows"][0]["receptions"];
    until_js(
        c,
        &format!("const r = document.querySelector('#scorecard-table tr.scorecard-extra[data-indicator=receptions] td:nth-child(4)'); return !!r && r.textContent === '{receptions}';"),
        "the receptions row",
    )
    .await;
    let first = &card["rows"][0]["cells"][0];
    let fraction = format!("{}/{}", first["numerator"], first["denominator"]);
    wait_text(
        c,
        "#scorecard-table tr.scorecard-indicator",
        |t| t.contains(&fraction),
        "the first indicator's fraction",
    )
    .await;
    settled(c).await;
    std::fs::write(out.join("dashboard-scorecard.png"), c.screenshot().await.unwrap()).unwrap();
    // The townships.
    c.find(Locator::Id("scorecard-township")).await.unwrap().click().await.unwrap();
    let (_, townships) = world.get("/api/scorecard?level=township").await;
    let n = townships["rows"].as_array().unwrap().len();
    assert!(n > 4);
    until_js(c, &format!("return {rows}.length === {n};"), "every township ranked").await;
    let href = js(c, "return document.getElementById('scorecard-csv').getAttribute('href');").await;
    let href = href.as_str().unwrap();
    assert!(href.contains("format=csv") && href.contains("level=township"), "{href}");
    // Campaigns: the demo's effective one, declared through the API, is listed and evaluated as
    // the API evaluates it.
    let planted = &world.truth.campaigns[0].campaign;
    let model::campaign::CampaignArea::Region(area) = planted.area else { panic!("a region") };
    let body = json!({"name": planted.name, "region": area.to_string(), "start": planted.start, "end": planted.end,
                      "categories": planted.categories.iter().map(|k| k.as_str()).collect::<Vec<_>>()});
    let (s, declared) = world.post("/api/campaigns", body.to_string()).await;
    assert_eq!(s, 201, "{declared}");
    c.find(Locator::Id("tab-campaigns")).await.unwrap().click().await.unwrap();
    until_js(c, "return document.querySelectorAll('#campaigns li.campaign').length === 1;", "the campaign listed")
        .await;
    assert_eq!(
        js(c, "return !!document.getElementById('campaign-form');").await,
        json!(true),
        "the city declares campaigns"
    );
    c.find(Locator::Css("#campaigns li.campaign button.link")).await.unwrap().click().await.unwrap();
    let (_, evaluation) = world.get(&format!("/api/campaigns/{}/evaluation", declared["id"])).await;
    let summary = evaluation["summary_zh"].as_str().unwrap().to_owned();
    wait_text(c, "#campaign-summary", |t| t == summary, "the evaluation's summary").await;
    let rows = js(c, "return document.querySelectorAll('#campaign-table tbody tr').length;").await;
    assert_eq!(rows, json!(4), "the area, the control and two rings");
    settled(c).await;
    std::fs::write(out.join("dashboard-campaign.png"), c.screenshot().await.unwrap()).unwrap();
    c.find(Locator::Id("campaign-back")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("tab-ranking")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("scorecard-button")).await.unwrap().click().await.unwrap();
    until_js(c, "return window.__safegrid.scorecardRegions === 0;", "the map's scorecard colours cleared").await;
}

/// Text from reports is shown as text: no markup from a summary reaches the page.
async fn report_text_is_text(b: &Browser, j: &mut Journey) {
    let (c, world) = (&b.c, &b.world);
    // Text from reports is shown as text: no markup from a summary reaches the page.
    let attack = r#"<img src=x onerror="window.__xss=1">"#;
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [j.busy_point.0, j.busy_point.1]},
                      "properties": {"category": "dispute", "occurred_at": server::auth::stamp(Utc::now() - chrono::Duration::hours(1)),
                                     "external_id": "XSS-1", "summary": attack}});
    assert_eq!(world.post("/api/incidents", body.to_string()).await.0, 201);
    c.find(Locator::Id("search")).await.unwrap().send_keys("XSS-1").await.unwrap();
    let hit = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#search-results li")).await.unwrap();
    hit.click().await.unwrap();
    wait_text(c, "#incident-summary", |t| t == attack, "the summary shown literally").await;
    assert_eq!(js(c, "return document.querySelectorAll('#incident-summary *').length;").await, json!(0));
    assert_eq!(js(c, "return window.__xss === undefined;").await, json!(true));
}

/// The language switch turns the UI to English and back.
async fn language_switch(b: &Browser, _j: &mut Journey) {
    let c = &b.c;
    // The language switch.
    c.find(Locator::Id("lang-switch")).await.unwrap().click().await.unwrap();
    wait_text(c, "#title", |t| t == "SafeGrid · Wuwei", "English title").await;
    wait_text(c, "#lang-switch", |t| t == "中文", "switch back label").await;
}

/// The city's desk: the backlog board agrees with the API and the age layer draws the cases.
async fn city_desk(b: &Browser, _j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    // The city's village desk: the backlog clearance board agrees with the API, and the backlog
    // age layer draws every case.
    c.find(Locator::Id("desk-button")).await.unwrap().click().await.unwrap();
    let (_, board) = world.get("/api/backlog").await;
    let total = board["total"].as_u64().unwrap();
    wait_text(c, "#backlog-total", |t| t.contains(&total.to_string()), "the backlog board's total").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#workload tr td")).await.unwrap();
    c.find(Locator::Css("input[data-layer='backlog']")).await.unwrap().click().await.unwrap();
    let t0 = Instant::now();
    loop {
        let n = js(c, "return (window.__safegrid.layerCounts || {}).backlog || 0;").await.as_u64().unwrap_or(0);
        // The layer follows the region in view (earlier steps may have narrowed it).
        if n > 0 && n <= total {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the backlog layer drew {n} cases (city: {total})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    std::fs::write(out.join("dashboard-backlog.png"), c.screenshot().await.unwrap()).unwrap();
}

/// The village officer lands on their own villages, records a visit and a dispute.
async fn village_officer_desk(b: &Browser, _j: &mut Journey) {
    let (c, world, out) = (&b.c, &b.world, &b.out);
    // The village officer (一村一警) lands on their desk: only their villages, outlined on the
    // map; records a visit with a photo and registers a dispute, then moves it to mediation.
    c.find(Locator::Id("lang-switch")).await.unwrap().click().await.unwrap();
    sign_out_and_in_as(c, "village").await;
    let officer = world.state.geography.officers()[0].id;
    let mine: Vec<String> = world.state.live.desk().villages_of(officer).iter().map(|v| v.to_string()).collect();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#desk-villages tr.desk-village"))
        .await
        .unwrap();
    let shown =
        js(c, "return [...document.querySelectorAll('#desk-villages tr.desk-village')].map(r => r.dataset.code);")
            .await;
    let shown: Vec<String> = shown.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(shown, mine, "the desk lists exactly the officer's villages");
    let t0 = Instant::now();
    loop {
        let n = js(c, "return (window.__safegrid.layerCounts || {}).desk || 0;").await.as_u64().unwrap_or(0);
        if n == mine.len() as u64 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "the officer's villages were not outlined ({n})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The map is fitted to the officer's villages and shows their cells only.
    settled(c).await;
    let codes = js(
        c,
        "return window.__safegrid.map.queryRenderedFeatures({layers:['cells-fill']}).map(f => f.properties.code);",
    )
    .await;
    let codes: Vec<&str> = codes.as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(!codes.is_empty(), "no cells rendered on the officer's map");
    for code in codes {
        assert!(mine.iter().any(|v| code.starts_with(v.as_str())), "cell {code} outside the officer's villages");
    }
    std::fs::write(out.join("dashboard-desk.png"), c.screenshot().await.unwrap()).unwrap();
    let photo_path = b.profile.path().join("visit.png");
    std::fs::write(&photo_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-browser").unwrap();
    type_into(c, "visit-place", "村委会").await;
    type_into(c, "visit-people", "村支书").await;
    type_into(c, "visit-notes", "走访排查").await;
    c.find(Locator::Id("visit-photo")).await.unwrap().send_keys(&photo_path.to_string_lossy()).await.unwrap();
    c.find(Locator::Id("visit-save")).await.unwrap().click().await.unwrap();
    wait_text(c, "#desk-visits", |t| t.contains("村委会") && t.contains("照片"), "the recorded visit with its photo")
        .await;
    let visits: Vec<model::desk_book::Visit> = world.state.live.desk().visits().map(|(_, v)| v.clone()).collect();
    assert_eq!(visits.len(), 1);
    assert_eq!((visits[0].place.as_str(), visits[0].photo.as_deref()), ("村委会", Some("image/png")));
    assert!(mine.contains(&visits[0].village.to_string()));
    // A dispute without a title is refused (422 naming the field), and the desk says so in Chinese.
    c.find(Locator::Id("dispute-save")).await.unwrap().click().await.unwrap();
    wait_text(
        c,
        "#desk-message.error",
        |t| t.contains("输入不符合要求") && t.contains("title"),
        "the refusal in Chinese",
    )
    .await;
    assert_eq!(world.state.live.desk().disputes().count(), 0, "a refused dispute was stored");
    type_into(c, "dispute-title", "宅基地边界").await;
    type_into(c, "dispute-parties", "张某、李某").await;
    // The mediator is picked from the village's roster (法治带头人), no name typed.
    c.find(Locator::Css("#dispute-mediator-pick option:nth-child(2)")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("dispute-save")).await.unwrap().click().await.unwrap();
    wait_text(c, "#desk-disputes", |t| t.contains("宅基地边界") && t.contains("已登记"), "the registered dispute")
        .await;
    let registered = world.state.live.desk().disputes().next().unwrap().registered.clone();
    let on_roster = world
        .state
        .geography
        .mediators_of(registered.village)
        .iter()
        .find(|m| Some(m.id) == registered.mediator_id)
        .expect("the picked mediator is on the dispute village's roster")
        .clone();
    assert_eq!(registered.mediator, on_roster.name);
    let shown = format!("{}（{}）", on_roster.name, on_roster.role.label_zh());
    wait_text(c, "#desk-disputes .mediator", |t| t.contains(&shown), "the mediator and their role").await;
    c.find(Locator::Css("#desk-disputes button.step[data-to='mediating']")).await.unwrap().click().await.unwrap();
    wait_text(c, "#desk-disputes .status", |t| t == "调解中", "the dispute in mediation").await;
    let disputes: Vec<_> = world.state.live.desk().disputes().map(|d| (d.registered.title.clone(), d.status)).collect();
    assert_eq!(disputes, vec![("宅基地边界".to_owned(), model::desk::DisputeStatus::Mediating)]);
    std::fs::write(out.join("dashboard-desk-records.png"), c.screenshot().await.unwrap()).unwrap();
}

/// A county bureau's user lands on their county, not on the whole city.
async fn county_lands_on_its_county(b: &Browser, _j: &mut Journey) {
    use geo::{BoundingRect, Contains};
    let (c, world) = (&b.c, &b.world);
    sign_out_and_in_as(c, "county").await;
    wait_text(c, "#signed-in", |t| t.starts_with("county"), "the county user").await;
    let code: model::RegionCode = "620602000000".parse().unwrap();
    let county = world.state.geography.regions().iter().find(|r| r.region.code == code).unwrap();
    let bounds = county.boundary.bounding_rect().unwrap();
    let city: model::RegionCode = "620600000000".parse().unwrap();
    let city_width = world
        .state
        .geography
        .regions()
        .iter()
        .find(|r| r.region.code == city)
        .unwrap()
        .boundary
        .bounding_rect()
        .unwrap()
        .width();
    let t0 = Instant::now();
    loop {
        settled(c).await;
        let v = js(c, "const m = window.__safegrid.map; const c = m.getCenter(); const b = m.getBounds(); return [c.lng, c.lat, b.getEast() - b.getWest()];").await;
        let (lon, lat, width) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap(), v[2].as_f64().unwrap());
        // Centred inside the county's box, and narrower than the whole city.
        if bounds.contains(&geo::Point::new(lon, lat)) && width < 0.75 * city_width {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the map shows {lon},{lat} × {width}° wide, not the county {bounds:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// An administrator reads the audit log, where the city user's case read is on record.
async fn audit_log(b: &Browser, _j: &mut Journey) {
    let c = &b.c;
    // Sign out; an administrator signs in and reads the audit log, where the city user's case
    // read above is on record.
    sign_out_and_in_as(c, "admin").await;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("audit-search"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "#audit-entries", |t| t.contains("read_incident") && t.contains("city"), "the audit log").await;
}

/// Clicks the element matched by `css` once it is there.
async fn click_when_there(c: &Client, css: &str) {
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// Opens the incident with `external_id` from the search box.
async fn open_by_search(c: &Client, external_id: &str) {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("search"))
        .await
        .unwrap()
        .send_keys(external_id)
        .await
        .unwrap();
    click_when_there(c, "#search-results li").await;
}

/// Waits until the incident's order stands at `status` (and, when given, with `department`
/// leading it), as the server tells.
async fn until_order(world: &TestWorld, id: u64, status: &str, department: Option<&str>) -> Value {
    let t0 = Instant::now();
    loop {
        let (_, h) = world.get(&format!("/api/incidents/{id}/history")).await;
        if h["status"] == status && department.is_none_or(|d| h["order"]["department"] == d) {
            return h;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the order never reached {status} {department:?}: {h}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Chooses `value` in the select with id `id`, once its options are there.
async fn choose(c: &Client, id: &str, value: &str) {
    let t0 = Instant::now();
    let script = format!(
        "const s = document.getElementById('{id}'); if (!s || ![...s.options].some(o => o.value === '{value}')) return false; s.value = '{value}'; return true;"
    );
    while js(c, &script).await != json!(true) {
        assert!(t0.elapsed() < Duration::from_secs(20), "#{id} never offered {value}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A 综治 work order walked in the browser by the centre and two departments' staff: 派单 (to
/// the wrong department) → 退单 → 改派 → 签收 → 办结 → 回访不满意 → 再办结 → 回访满意 → 结案.
/// The department it left sees nothing of it afterwards.
async fn work_order_loop(b: &Browser, _j: &mut Journey) {
    let (c, world) = (&b.c, &b.world);
    let law = server::boot::DEMO_DEPARTMENT;
    let water = "water-620602";
    let staff = store::NewUser {
        username: "water".into(),
        password_hash: server::auth::hash_password(tests::TEST_PASSWORD).unwrap(),
        role: model::auth::Role::Department,
        jurisdiction: Some("620602000000".parse().unwrap()),
        officer_id: None,
        department: Some(model::department::DepartmentCode::parse(water).unwrap()),
        grid_worker_id: None,
    };
    world.state.store.create_user(staff).await.unwrap().unwrap();
    let range = world.state.geography.cell_range("620602001000".parse().unwrap());
    let p = world.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x(), p.y()]},
                      "properties": {"category": "city_management", "occurred_at": server::auth::stamp(Utc::now()),
                                     "external_id": "ORDER-1", "summary": "商铺占道经营", "address": "东大街12号"}});
    let (s, f) = world.post("/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{f}");
    let id = f["id"].as_u64().unwrap();
    // The centre opens it: the 分拨 form offers the suggested department, chosen already.
    sign_out_and_in_as(c, "city").await;
    open_by_search(c, "ORDER-1").await;
    choose(c, "order-department", law).await;
    let chosen = js(c, "return [...document.getElementById('order-department').options].find(o => o.selected && o.defaultSelected) ? document.getElementById('order-department').value : null;").await;
    assert_eq!(chosen, json!(law), "the suggestion is chosen first");
    // 派单, by mistake, to water.
    choose(c, "order-department", water).await;
    click_when_there(c, "#order-assign").await;
    until_order(world, id, "assigned", Some(water)).await;
    // Water's staff find it in their list and send it back (退单: not ours).
    sign_out_and_in_as(c, "water").await;
    click_when_there(c, &format!(".work-item[data-id='{id}']")).await;
    choose(c, "order-reason", "not_ours").await;
    type_into(c, "order-note", "非供水问题").await;
    click_when_there(c, "#order-return").await;
    until_order(world, id, "returned", Some(water)).await;
    // 改派 to law enforcement (suggested again).
    sign_out_and_in_as(c, "city").await;
    open_by_search(c, "ORDER-1").await;
    choose(c, "order-department", law).await;
    click_when_there(c, "#order-assign").await;
    until_order(world, id, "assigned", Some(law)).await;
    // Law enforcement's staff take it and report it done.
    sign_out_and_in_as(c, "department").await;
    click_when_there(c, &format!(".work-item[data-id='{id}']")).await;
    click_when_there(c, "#order-accept").await;
    until_order(world, id, "accepted", Some(law)).await;
    click_when_there(c, "#order-complete").await;
    until_order(world, id, "completed", Some(law)).await;
    // 回访: dissatisfied, so it goes back to law enforcement, flagged.
    sign_out_and_in_as(c, "city").await;
    open_by_search(c, "ORDER-1").await;
    choose(c, "order-verdict", "dissatisfied").await;
    click_when_there(c, "#order-verdict-submit").await;
    let h = until_order(world, id, "accepted", Some(law)).await;
    assert_eq!(h["order"]["reworked"], true, "{h}");
    sign_out_and_in_as(c, "department").await;
    click_when_there(c, &format!(".work-item[data-id='{id}'][data-bucket='returned']")).await;
    click_when_there(c, "#order-complete").await;
    until_order(world, id, "completed", Some(law)).await;
    // 回访: satisfied; 结案.
    sign_out_and_in_as(c, "city").await;
    open_by_search(c, "ORDER-1").await;
    choose(c, "order-verdict", "satisfied").await;
    click_when_there(c, "#order-verdict-submit").await;
    until_order(world, id, "feedback", Some(law)).await;
    click_when_there(c, "#order-close").await;
    let h = until_order(world, id, "closed", Some(law)).await;
    let walk: Vec<&str> = h["history"].as_array().unwrap().iter().map(|c| c["to"].as_str().unwrap()).collect();
    assert_eq!(
        walk,
        ["assigned", "returned", "assigned", "accepted", "completed", "accepted", "completed", "feedback", "closed"]
    );
    wait_text(c, "#progress-history", |t| t.matches("→").count() == 9, "the whole walk in the panel's history").await;
    std::fs::write(b.out.join("work-order.png"), c.screenshot().await.unwrap()).unwrap();
    // The department it left sees nothing of it: not in its list, not by its number.
    sign_out_and_in_as(c, "water").await;
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("work-counts")).await.unwrap();
    assert_eq!(
        js(c, &format!("return document.querySelectorAll(\".work-item[data-id='{id}']\").length;")).await,
        json!(0)
    );
    let status = js(
        c,
        &format!(
            "const r = new XMLHttpRequest(); r.open('GET', '/api/incidents/{id}', false); r.send(); return r.status;"
        ),
    )
    .await;
    assert_eq!(status, json!(404), "water reads the closed order");
}

/// Signs out and signs in again as the test user `name`.
async fn sign_out_and_in_as(c: &Client, name: &str) {
    c.find(Locator::Id("sign-out")).await.unwrap().click().await.unwrap();
    let user = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("login-username")).await.unwrap();
    user.send_keys(name).await.unwrap();
    c.find(Locator::Id("login-password")).await.unwrap().send_keys(tests::TEST_PASSWORD).await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
}

/// A real click on the map at a place: the map centred there at `zoom`, then the mouse pressed
/// in the middle of it.
async fn click_map(c: &Client, lon: f64, lat: f64, zoom: f64) {
    js(c, &format!("window.__safegrid.map.jumpTo({{center: [{lon}, {lat}], zoom: {zoom}}}); return true;")).await;
    settled(c).await;
    let map_el = c.find(Locator::Id("map")).await.unwrap();
    let click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: map_el, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(click).await.unwrap();
}

/// The published world as the store holds it, and its version.
async fn published(world: &TestWorld) -> (u32, world::WorldFile) {
    server::base_data::published_world(world.state.store.as_ref()).await.unwrap()
}

/// Waits until the desk's report is there (a check answered) and reads whether it is valid.
async fn report_valid(c: &Client) -> bool {
    let t0 = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Id("world-report")).await
            && let Ok(Some(v)) = e.attr("data-valid").await
        {
            return v == "true";
        }
        let message = text_of(c, "#world-message").await;
        assert!(t0.elapsed() < Duration::from_secs(30), "no check report (message: {message:?})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Publishes the check shown and waits until the store has version `version`.
async fn publish_shown(c: &Client, world: &TestWorld, version: u32) {
    c.find(Locator::Id("world-publish")).await.unwrap().click().await.unwrap();
    wait_text(
        c,
        "#world-message",
        |t| t.contains(&version.to_string()) && (t.contains("已发布") || t.contains("Published")),
        "the publication",
    )
    .await;
    let (v, _) = published(world).await;
    assert_eq!(v, version, "the store's latest version");
}

/// An administrator corrects the base data in the browser: a broken upload is refused with its
/// problems listed and drawn, a good one shows its difference and is published; then the grid
/// is edited on the map (merge, split along a drawn line, a cell's name and population, a new
/// camera with its direction, a station moved, a camera removed), each checked and published.
async fn base_data(b: &Browser, _j: &mut Journey) {
    use geo::{BoundingRect, Contains};
    let (c, world, out) = (&b.c, &b.world, &b.out);
    c.find(Locator::Id("world-button")).await.unwrap().click().await.unwrap();
    wait_text(c, "#world-versions", |t| t.contains("v1"), "the versions list").await;
    let (v1, start) = published(world).await;
    assert_eq!(v1, 1);
    let files = tempfile::tempdir().unwrap();

    // A cells layer with two overlapping cells (and the rest missing): refused, every problem
    // listed and drawn on the map, nothing to publish.
    let (a, bb) = (&start.cells[0], &start.cells[1]);
    let feature = |code: &str, shape: &geo::MultiPolygon<f64>| {
        json!({"type": "Feature", "properties": {"code": code, "name": "网格", "population": 10},
            "geometry": server::api::features::multipolygon_json(shape)})
    };
    let broken = json!({"type": "FeatureCollection", "features": [feature(&a.code, &a.boundary), feature(&bb.code, &a.boundary)]});
    let broken_file = files.path().join("cells.geojson");
    std::fs::write(&broken_file, broken.to_string()).unwrap();
    c.find(Locator::Id("world-file")).await.unwrap().send_keys(&broken_file.to_string_lossy()).await.unwrap();
    c.find(Locator::Id("world-check")).await.unwrap().click().await.unwrap();
    assert!(!report_valid(c).await, "the broken file is refused");
    c.find(Locator::Css("#world-problems li.problem.error[data-kind=overlapping_cells]")).await.unwrap();
    let drawn = js(c, "return (window.__safegrid.layerCounts || {}).world || 0;").await.as_u64().unwrap();
    assert!(drawn > 0, "the problem features are drawn");
    assert!(
        !c.find(Locator::Id("world-publish")).await.unwrap().is_enabled().await.unwrap(),
        "no publishing with errors"
    );
    std::fs::write(out.join("dashboard-world-problems.png"), c.screenshot().await.unwrap()).unwrap();

    // The world exported, one cell renamed: its difference, then published as version 2.
    let gpkg = files.path().join("world.gpkg");
    server::base_data::export(server::config::WorldExportArgs {
        store: tests::store_args(world.dir.path()),
        out: gpkg.clone(),
    })
    .await
    .unwrap();
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    conn.execute("UPDATE cells SET name = '城东新网格' WHERE code = ?1", [&a.code]).unwrap();
    drop(conn);
    let input = c.find(Locator::Id("world-file")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(&gpkg.to_string_lossy()).await.unwrap();
    c.find(Locator::Id("world-check")).await.unwrap().click().await.unwrap();
    // The report of the new check replaces the old one.
    let t0 = Instant::now();
    while !report_valid(c).await {
        assert!(t0.elapsed() < Duration::from_secs(30), "the renamed world is valid");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_text(c, "#world-changes li[data-layer=cells]", |t| t.contains(&a.code), "the changed cell listed").await;
    publish_shown(c, world, 2).await;
    assert!(published(world).await.1.cells.iter().any(|x| x.name == "城东新网格"));
    wait_text(c, "#world-versions", |t| t.contains("v2"), "the versions list").await;

    // Merge: two adjacent cells of one village, clicked on the map.
    let (_, now) = published(world).await;
    let (keep, absorb) = {
        use geo::BooleanOps;
        let mut pair = None;
        'outer: for (i, x) in now.cells.iter().enumerate().skip(10) {
            for y in &now.cells[i + 1..] {
                if x.code[..12] == y.code[..12] && x.boundary.union(&y.boundary).0.len() == 1 {
                    pair = Some((x.clone(), y.clone()));
                    break 'outer;
                }
            }
        }
        pair.expect("adjacent cells")
    };
    c.find(Locator::Id("tool-merge")).await.unwrap().click().await.unwrap();
    for cell in [&keep, &absorb] {
        let p = cell.boundary.interior_point().unwrap();
        click_map(c, p.x(), p.y(), 15.0).await;
    }
    assert!(report_valid(c).await, "the merge is valid");
    wait_text(c, "#world-changes li[data-layer=cells]", |t| t.contains(&absorb.code), "the absorbed cell listed").await;
    publish_shown(c, world, 3).await;
    let (_, merged) = published(world).await;
    assert_eq!(merged.cells.len(), now.cells.len() - 1);
    assert!(merged.cells.iter().all(|x| x.code != absorb.code));

    // Split: a cell, then a line drawn across it, point by point.
    // A cell that a level line through its inside cuts in two (not every shape is).
    let line_across = |x: &world::CellRecord| {
        let (inside, bounds) = (x.boundary.interior_point().unwrap(), x.boundary.bounding_rect().unwrap());
        [bounds.min().x - 0.002, inside.x(), bounds.max().x + 0.002].map(|lon| [lon, inside.y()])
    };
    let cut = merged
        .cells
        .iter()
        .skip(40)
        .filter(|x| x.code[..12] != keep.code[..12])
        .find(|x| {
            let edit = model::api::world::Edit::SplitCell { code: x.code.clone(), line: line_across(x).to_vec() };
            world::apply(&merged, &edit).is_ok_and(|w| world::validate(&w, &world::Rules::default()).is_valid())
        })
        .unwrap()
        .clone();
    c.find(Locator::Id("tool-split")).await.unwrap().click().await.unwrap();
    let inside = cut.boundary.interior_point().unwrap();
    click_map(c, inside.x(), inside.y(), 15.0).await;
    wait_text(c, "#tool-picked", |t| t.contains(&cut.code), "the cell to split").await;
    for [lon, lat] in line_across(&cut) {
        click_map(c, lon, lat, 12.0).await;
    }
    let drawn = js(c, "return (window.__safegrid.layerCounts || {}).draft || 0;").await.as_u64().unwrap();
    assert_eq!(drawn, 4, "three points and the line are drawn");
    c.find(Locator::Id("finish-line")).await.unwrap().click().await.unwrap();
    assert!(report_valid(c).await, "the split is valid");
    std::fs::write(out.join("dashboard-world-split.png"), c.screenshot().await.unwrap()).unwrap();
    publish_shown(c, world, 4).await;
    let (_, split) = published(world).await;
    assert_eq!(split.cells.len(), merged.cells.len() + 1);
    let village_cells = |w: &world::WorldFile| w.cells.iter().filter(|x| x.code[..12] == cut.code[..12]).count();
    assert_eq!(village_cells(&split), village_cells(&merged) + 1);

    // A cell's name and population.
    let renamed =
        split.cells.iter().rev().find(|x| x.code[..12] != cut.code[..12] && x.code != keep.code).unwrap().clone();
    c.find(Locator::Id("tool-cell")).await.unwrap().click().await.unwrap();
    let p = renamed.boundary.interior_point().unwrap();
    click_map(c, p.x(), p.y(), 15.0).await;
    type_into(c, "cell-name", "东关新网格").await;
    type_into(c, "cell-population", "1234").await;
    c.find(Locator::Id("cell-check")).await.unwrap().click().await.unwrap();
    assert!(report_valid(c).await, "the cell's edit is valid");
    publish_shown(c, world, 5).await;
    let (_, edited) = published(world).await;
    let cell = edited.cells.iter().find(|x| x.code == renamed.code).unwrap();
    assert_eq!((cell.name.as_str(), cell.population), ("东关新网格", 1234));

    // A new camera looking east.
    c.find(Locator::Id("tool-add")).await.unwrap().click().await.unwrap();
    click_map(c, p.x(), p.y(), 15.0).await;
    type_into(c, "resource-name", "东关路口探头").await;
    type_into(c, "resource-heading", "90").await;
    c.find(Locator::Id("resource-check")).await.unwrap().click().await.unwrap();
    assert!(report_valid(c).await, "the new camera is valid");
    publish_shown(c, world, 6).await;
    let (_, added) = published(world).await;
    let camera = added.resources.iter().find(|r| r.name == "东关路口探头").expect("the camera is published");
    assert_eq!((camera.kind.as_str(), camera.heading_deg), ("camera", Some(90.0)));

    // A station moved a little within its township.
    let (station, to) = added
        .resources
        .iter()
        .filter(|r| r.kind == "station")
        .find_map(|r| {
            let to = geo::Point::new(r.point.x() + 0.0008, r.point.y() + 0.0008);
            let township = added.regions.iter().find(|t| t.code == r.region_code)?;
            township.boundary.contains(&to).then(|| (r.clone(), to))
        })
        .unwrap();
    c.find(Locator::Id("tool-move")).await.unwrap().click().await.unwrap();
    click_map(c, station.point.x(), station.point.y(), 15.0).await;
    wait_text(c, "#tool-picked", |t| t.contains(&station.id.to_string()), "the station picked").await;
    click_map(c, to.x(), to.y(), 15.0).await;
    c.find(Locator::Id("resource-check")).await.unwrap().click().await.unwrap();
    assert!(report_valid(c).await, "the move is valid");
    publish_shown(c, world, 7).await;
    let (_, moved) = published(world).await;
    let now_at = moved.resources.iter().find(|r| r.id == station.id).unwrap().point;
    assert!((now_at.x() - to.x()).abs() < 1e-4 && (now_at.y() - to.y()).abs() < 1e-4, "moved to {now_at:?}");

    // A camera removed (the camera layer shown to pick it).
    c.find(Locator::Css("input[data-layer=cameras]")).await.unwrap().click().await.unwrap();
    let gone = moved.resources.iter().find(|r| r.kind == "camera" && r.name != "东关路口探头").unwrap().clone();
    c.find(Locator::Id("tool-remove")).await.unwrap().click().await.unwrap();
    click_map(c, gone.point.x(), gone.point.y(), 16.0).await;
    assert!(report_valid(c).await, "the removal is valid");
    wait_text(
        c,
        "#world-changes li[data-layer=resources]",
        |t| t.contains(&gone.id.to_string()),
        "the removed camera listed",
    )
    .await;
    publish_shown(c, world, 8).await;
    assert!(published(world).await.1.resources.iter().all(|r| r.id != gone.id));
    let (_, versions) = world.get_as(model::auth::Role::Admin, "/api/world/versions").await;
    assert_eq!(versions.as_array().unwrap().len(), 8, "{versions}");
    std::fs::write(out.join("dashboard-world.png"), c.screenshot().await.unwrap()).unwrap();
}

/// A Chromium DevTools command through ChromeDriver (`goog/cdp/execute`): geolocation, its
/// permission and the network's state, which WebDriver itself does not set.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(json!({"cmd": self.0, "params": self.1}).to_string()))
    }
}

async fn cdp(c: &Client, cmd: &'static str, params: Value) {
    c.issue_cmd(Cdp(cmd, params)).await.unwrap_or_else(|e| panic!("{cmd}: {e}"));
}

/// Chromium as a phone: a 390 × 844 touch screen with a phone's user agent.
fn phone_caps(profile: &str) -> Capabilities {
    let mut caps = caps(profile);
    let options = caps.get_mut("goog:chromeOptions").unwrap();
    options["args"] = Value::Array(
        options["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| !a.as_str().unwrap().starts_with("--window-size"))
            .cloned()
            .collect(),
    );
    options["mobileEmulation"] = json!({
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true},
        "userAgent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
    });
    caps
}

/// What the phone's steps share.
struct Phone {
    world: TestWorld,
    c: Client,
    port: u16,
    out: PathBuf,
    /// Where the phone's GPS says it is: inside the grid worker's cell.
    at: (f64, f64),
}

type PhoneStep = for<'a> fn(&'a Phone) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

macro_rules! phone_steps {
    ($($name:ident),* $(,)?) => {
        /// The phone's steps, in order.
        const PHONE_STEPS: &[(&str, PhoneStep)] = &[$((stringify!($name), |p| Box::pin($name(p)))),*];
    };
}

phone_steps!(field_sign_in, field_report_with_photo, field_report_offline, field_task_done, citizen_reports_and_rates);

/// The phone app (`/m/`) and the citizen pages in Chromium under mobile emulation, with the GPS
/// at a fixed place in the grid worker's cell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_field_app_works_on_a_phone() {
    let Some(dist) = dist() else { return };
    if !tool("chromedriver") || !tool("chromium") {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let world = TestWorld::ending_at(3_000, Utc::now()).await;
    let mut state = world.state.clone();
    state.web_dir = Some(dist);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = server::api::app(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (_driver, wd_port) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(phone_caps(&profile.path().to_string_lossy()))
        .connect(&format!("http://127.0.0.1:{wd_port}"))
        .await
        .unwrap();
    // The GPS: the interior point of the grid worker's cell, granted to the page.
    let worker = world.state.store.user_by_name("grid_worker").await.unwrap().unwrap().0;
    let scope = server::auth::scope_of(&worker, &world.state.live.desk(), &world.state.geography);
    let cell = world.state.geography.cells().iter().find(|c| c.cell.code == scope.cells()[0]).unwrap();
    let pt = cell.boundary.interior_point().unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    cdp(&c, "Browser.grantPermissions", json!({"origin": origin, "permissions": ["geolocation"]})).await;
    cdp(&c, "Emulation.setGeolocationOverride", json!({"latitude": pt.y(), "longitude": pt.x(), "accuracy": 8})).await;
    let p = Phone { world, c, port, out: artifacts(), at: (pt.x(), pt.y()) };
    for (k, (name, step)) in PHONE_STEPS.iter().enumerate() {
        let outcome = std::panic::AssertUnwindSafe(async {
            step(&p).await;
            let errors = js(&p.c, "return window.__safegridErrors || ['the page does not record its errors'];").await;
            assert_eq!(errors, json!([]), "page or console errors during `{name}`");
        })
        .catch_unwind()
        .await;
        if outcome.is_err() {
            if let Ok(png) = p.c.screenshot().await {
                let _ = std::fs::write(p.out.join(format!("failed-{name}.png")), png);
            }
            let not_run: Vec<&str> = PHONE_STEPS[k + 1..].iter().map(|(n, _)| *n).collect();
            panic!(
                "phone step `{name}` failed (its panic is printed above; screenshot {}); not run: {}",
                p.out.join(format!("failed-{name}.png")).display(),
                if not_run.is_empty() { "none".to_owned() } else { not_run.join(", ") }
            );
        }
    }
    let Phone { c, .. } = p;
    c.close().await.unwrap();
}

/// Waits up to 30 s for a script to return true.
async fn until_js(c: &Client, script: &str, what: &str) {
    let t0 = Instant::now();
    while js(c, script).await != json!(true) {
        assert!(t0.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The attribute `name` of the newest outbox entry.
async fn newest_outbox(c: &Client, name: &str) -> String {
    let v = js(
        c,
        &format!("const li = document.querySelector('#outbox li'); return li ? li.getAttribute('{name}') : null;"),
    )
    .await;
    v.as_str().unwrap_or_default().to_owned()
}

/// The grid worker signs in on the phone; the app shell is kept for offline use.
async fn field_sign_in(p: &Phone) {
    let c = &p.c;
    c.goto(&format!("http://127.0.0.1:{}/m/", p.port)).await.unwrap();
    let user = c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("login-username")).await.unwrap();
    user.send_keys("grid_worker").await.unwrap();
    c.find(Locator::Id("login-password")).await.unwrap().send_keys(tests::TEST_PASSWORD).await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("tab-report")).await.unwrap();
    assert_eq!(text_of(c, "#signed-in").await, "grid_worker");
    // Sized for the phone: nothing wider than the screen.
    let wide = js(c, "return document.documentElement.scrollWidth <= window.innerWidth;").await;
    assert_eq!(wide, json!(true), "the page scrolls sideways on a 390 px screen");
    // Installable: the manifest is linked and served; the service worker keeps the shell.
    let manifest =
        js(c, "const l = document.querySelector('link[rel=manifest]'); return l ? l.getAttribute('href') : null;")
            .await;
    assert_eq!(manifest, "/m/manifest.webmanifest");
    js(c, "fetch('/m/manifest.webmanifest').then(r => r.json()).then(m => { window.__manifest = m.start_url; }); return true;").await;
    until_js(c, "return window.__manifest === '/m/';", "the manifest is not served").await;
    js(c, "window.__shell = null; caches.match('/m/').then(r => { window.__shell = !!r; }); return true;").await;
    until_js(c, "if (window.__shell !== true) { caches.match('/m/').then(r => { window.__shell = !!r; }); } return window.__shell === true;", "the service worker never kept the app shell").await;
}

/// A report with a photo, from the GPS position, reaches the command centre's queue with source
/// 网格员上报, the position and the photo.
async fn field_report_with_photo(p: &Phone) {
    let c = &p.c;
    wait_text(c, "#field-position", |t| t.contains("±"), "the GPS position").await;
    until_js(
        c,
        "const m = window.__safegrid.picker; return !!m && m.loaded() && m.areTilesLoaded();",
        "the picker map",
    )
    .await;
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(p.out.join("phone-report.png"), png);
    }
    choose(c, "field-kind", "public_order").await;
    type_into(c, "field-description", "菜市场门口两人争吵，已劝开").await;
    let photo = root().join("frontend/pwa/icon-512.png");
    c.find(Locator::Id("field-photo")).await.unwrap().send_keys(&photo.to_string_lossy()).await.unwrap();
    c.find(Locator::Id("field-submit")).await.unwrap().click().await.unwrap();
    until_js(
        c,
        "const li = document.querySelector('#outbox li'); return !!li && li.dataset.state === 'sent';",
        "the report was never sent",
    )
    .await;
    let id: u64 = newest_outbox(c, "data-incident").await.parse().unwrap();
    let (s, f) = p.world.get(&format!("/api/incidents/{id}")).await;
    assert_eq!((s.as_u16(), f["properties"]["source"].as_str()), (200, Some("grid_worker")), "{f}");
    let (x, y) = (f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap());
    assert!((x - p.at.0).abs() < 1e-5 && (y - p.at.1).abs() < 1e-5, "the GPS position: {x}, {y} vs {:?}", p.at);
    let (_, queue) = p.world.get("/api/queue").await;
    assert!(queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id), "not in the centre's queue");
    // The photo, resized on the phone to a JPEG.
    let (_, progress) = p.world.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!(progress["history"][0]["photo"], "image/jpeg", "{progress}");
    let req = axum::http::Request::get(format!("/api/incidents/{id}/photos/0"))
        .header("authorization", format!("Bearer {}", p.world.token(model::auth::Role::City)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(p.world.app(), req).await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Reports stored under a phone id.
async fn stored_under(p: &Phone, phone_id: &str) -> usize {
    let worker = p.world.state.store.user_by_name("grid_worker").await.unwrap().unwrap().0;
    let stored = server::field::stored_external_id(worker.id, phone_id);
    let found = p.world.state.store.search_incidents(&model::scope::Scope::everything(), &stored, 10).await.unwrap();
    found.iter().filter(|i| i.fields.external_id.as_deref() == Some(stored.as_str())).count()
}

/// Without a network the report waits on the phone (待发送) and is sent once when the network
/// returns; a resend after a lost answer stores nothing twice.
async fn field_report_offline(p: &Phone) {
    let c = &p.c;
    cdp(c, "Network.enable", json!({})).await;
    let offline = json!({"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
    cdp(c, "Network.emulateNetworkConditions", offline).await;
    until_js(c, "return navigator.onLine === false;", "the page never went offline").await;
    choose(c, "field-kind", "public_order").await;
    type_into(c, "field-description", "路灯不亮（离线上报）").await;
    c.find(Locator::Id("field-submit")).await.unwrap().click().await.unwrap();
    until_js(
        c,
        "const li = document.querySelector('#outbox li'); return !!li && li.dataset.state === 'queued';",
        "the offline report is not shown as queued",
    )
    .await;
    assert_eq!(text_of(c, "#outbox li .state").await, "待发送");
    let phone_id = newest_outbox(c, "data-id").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(newest_outbox(c, "data-state").await, "queued");
    assert_eq!(stored_under(p, &phone_id).await, 0, "nothing reached the server while offline");
    let online = json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
    cdp(c, "Network.emulateNetworkConditions", online).await;
    until_js(
        c,
        "const li = document.querySelector('#outbox li'); return !!li && li.dataset.state === 'sent';",
        "the queued report was not sent when the network returned",
    )
    .await;
    assert_eq!(stored_under(p, &phone_id).await, 1);
    // The answer was lost: the phone still has it queued and sends it again.
    let requeue = format!(
        "const r = indexedDB.open('safegrid-field', 1); r.onsuccess = () => {{ const tx = r.result.transaction('outbox', 'readwrite'); \
         const s = tx.objectStore('outbox'); const g = s.get('{phone_id}'); g.onsuccess = () => {{ const e = g.result; e.state = 'queued'; s.put(e); }}; \
         tx.oncomplete = () => {{ r.result.close(); window.dispatchEvent(new Event('online')); }}; }}; return true;"
    );
    js(c, &requeue).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    until_js(
        c,
        "const li = document.querySelector('#outbox li'); return !!li && li.dataset.state === 'sent';",
        "the resend never finished",
    )
    .await;
    assert_eq!(stored_under(p, &phone_id).await, 1, "a resend is stored once");
}

/// A public report in the worker's cell is a 核查 task, done from the phone.
async fn field_task_done(p: &Phone) {
    let c = &p.c;
    let body = json!({"kind": "city_management", "description": "井盖缺失", "lon": p.at.0, "lat": p.at.1});
    let (s, receipt) = p.world.post("/api/public/reports", body.to_string()).await;
    assert_eq!(s, 201, "{receipt}");
    let id = server::citizen::incident_of(&p.world.state, receipt["tracking_code"].as_str().unwrap()).await.unwrap().0;
    c.find(Locator::Id("tab-tasks")).await.unwrap().click().await.unwrap();
    let button = format!("#tasks li[data-kind=verify][data-id='{id}'] button[data-action=verified]");
    click_when_there(c, &button).await;
    wait_text(c, "#field-message", |t| t == "已完成", "the task's answer").await;
    let (_, progress) = p.world.get(&format!("/api/incidents/{id}/history")).await;
    let notes: Vec<&str> = progress["history"].as_array().unwrap().iter().filter_map(|h| h["note"].as_str()).collect();
    assert!(notes.contains(&"核查：属实"), "{progress}");
    let gone = format!("return !document.querySelector(\"#tasks li[data-id='{id}']\");");
    until_js(c, &gone, "the verified task stays listed").await;
    c.find(Locator::Id("tab-mine")).await.unwrap().click().await.unwrap();
    until_js(
        c,
        "return document.querySelectorAll('#my-reports li[data-id]').length >= 2;",
        "my reports list both reports",
    )
    .await;
}

/// Signed out, a citizen reports on `/report`, follows it on `/track/{code}` and, once it is
/// closed, gives the verdict.
async fn citizen_reports_and_rates(p: &Phone) {
    let c = &p.c;
    let _ = js(
        c,
        "fetch('/api/logout', {method: 'POST', headers: {'content-type': 'application/json'}, body: ''}); return true;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.goto(&format!("http://127.0.0.1:{}/report", p.port)).await.unwrap();
    choose(c, "report-kind", "city_management").await;
    type_into(c, "report-description", "小区门口占道经营").await;
    c.find(Locator::Css("#report-position + button")).await.unwrap().click().await.unwrap();
    wait_text(c, "#report-position", |t| t.contains(','), "the citizen's position").await;
    type_into(c, "report-phone", "13900002222").await;
    c.find(Locator::Id("report-submit")).await.unwrap().click().await.unwrap();
    let code = wait_text(c, "#receipt-code", |t| t.len() == 20, "the tracking code").await;
    c.find(Locator::Id("receipt-track")).await.unwrap().click().await.unwrap();
    until_js(
        c,
        "const s = document.getElementById('track-stage'); return !!s && s.dataset.stage === 'received';",
        "the tracking page",
    )
    .await;
    let page = js(c, "return document.body.innerText;").await;
    assert!(!page.as_str().unwrap().contains("13900002222"), "the tracking page shows the phone");
    // The centre rejects it as a duplicate; the citizen then rates.
    let id = server::citizen::incident_of(&p.world.state, &code).await.unwrap().0;
    let (s, e) = p
        .world
        .post(&format!("/api/incidents/{id}/transitions"), json!({"to": "closed", "note": "重复上报"}).to_string())
        .await;
    assert_eq!(s, 200, "{e}");
    c.refresh().await.unwrap();
    until_js(c, "return !!document.getElementById('track-submit');", "the verdict form").await;
    let stage = js(c, "return document.getElementById('track-stage').dataset.stage;").await;
    assert_eq!(stage, "rejected");
    choose(c, "track-verdict", "dissatisfied").await;
    c.find(Locator::Id("track-submit")).await.unwrap().click().await.unwrap();
    wait_text(c, "#track-verdict-given", |t| t.contains("不满意"), "the verdict given").await;
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(p.out.join("phone-track.png"), png);
    }
}

/// Problems a person would see or hit on the page as it stands: the page scrolling sideways, the
/// header's controls cut off or overlapping, text below WCAG AA contrast against its background
/// (4.5:1, 3:1 for large text), and things that react to a click but cannot be reached by the
/// keyboard.
const SCREEN_AUDIT: &str = r#"
const problems = [];
const visible = (e) => {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
    && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
};
const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
if (document.documentElement.scrollWidth > innerWidth + 1) problems.push('the page scrolls sideways (' + document.documentElement.scrollWidth + ' px)');
for (const head of document.querySelectorAll('header.top, .wall-top')) {
  if (head.scrollWidth > head.clientWidth + 1) problems.push('the header is cut off (' + head.scrollWidth + ' > ' + head.clientWidth + ')');
  const kids = [...head.querySelectorAll(':scope > *')].filter(visible).map((e) => [e, e.getBoundingClientRect()]);
  for (let i = 0; i < kids.length; i++) for (let k = i + 1; k < kids.length; k++) {
    const [a, ra] = kids[i], [b, rb] = kids[k];
    if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1) problems.push('overlap: ' + name(a) + ' and ' + name(b));
  }
}
const rgba = (s) => (s.match(/[\d.]+/g) || []).map(Number);
const lum = (c) => { const v = c.slice(0, 3).map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
const background = (e) => {
  for (let n = e; n; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] >= 0.5)) return c.slice(0, 3);
  }
  return rgba(getComputedStyle(document.body).backgroundColor).slice(0, 3);
};
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let t = walker.nextNode(); t; t = walker.nextNode()) {
  const e = t.parentElement;
  if (!e || seen.has(e) || !t.textContent.trim() || e.closest('svg, .maplibregl-map, option') || !visible(e)) continue;
  seen.add(e);
  const s = getComputedStyle(e);
  const bg = background(e);
  let fg = rgba(s.color);
  if (fg.length === 4) fg = fg.slice(0, 3).map((x, i) => x * fg[3] + bg[i] * (1 - fg[3]));
  const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
  if (ratio < need) problems.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': ' + JSON.stringify(t.textContent.trim().slice(0, 24)) + ' in ' + name(e));
}
for (const e of document.querySelectorAll('body *')) {
  if (!visible(e) || getComputedStyle(e).cursor !== 'pointer') continue;
  if (e.closest('a[href], button, input, select, textarea, label, summary, [tabindex], .maplibregl-map')) continue;
  problems.push('not reachable by keyboard: ' + name(e));
}
return [...new Set(problems)].slice(0, 40);
"#;

/// Every screen of every role (the dashboard and each panel its header opens), at 1366 × 768 and
/// 1920 × 1080: nothing cut off or overlapping, WCAG AA contrast, every control reachable by the
/// keyboard, and no page or console error (checked after the step, as for every step).
async fn every_screen_of_every_role(b: &Browser, _j: &mut Journey) {
    let (c, out) = (&b.c, &b.out);
    let mut problems = Vec::new();
    for role in ["city", "county", "township", "village", "grid_worker", "analyst", "admin", "department"] {
        sign_out_and_in_as(c, role).await;
        wait_text(c, "#signed-in", |t| t.starts_with(role), "who is signed in").await;
        for page in ["", "planner-button", "scorecard-button", "desk-button", "world-button"] {
            if !page.is_empty() {
                if js(c, &format!("return !!document.getElementById('{page}');")).await != json!(true) {
                    continue;
                }
                c.find(Locator::Id(page)).await.unwrap().click().await.unwrap();
            }
            for (w, h) in [(1366, 768), (1920, 1080)] {
                c.set_window_size(w, h).await.unwrap();
                tokio::time::sleep(Duration::from_millis(800)).await;
                if js(c, "return !!document.getElementById('map');").await == json!(true) {
                    settled(c).await;
                }
                let found = js(c, SCREEN_AUDIT).await;
                let screen = if page.is_empty() { "dashboard" } else { page.trim_end_matches("-button") };
                for p in found.as_array().unwrap() {
                    problems.push(format!("{role} · {screen} · {w}×{h}: {}", p.as_str().unwrap_or_default()));
                }
                if w == 1366 {
                    std::fs::write(out.join(format!("screen-{role}-{screen}.png")), c.screenshot().await.unwrap())
                        .unwrap();
                }
            }
            if !page.is_empty() {
                c.find(Locator::Id(page)).await.unwrap().click().await.unwrap();
            }
        }
    }
    c.set_window_size(1440, 900).await.unwrap();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
