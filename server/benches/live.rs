//! Live command-centre load benchmark (not run in CI): `cargo bench -p server --bench live`.
//! A real server on 127.0.0.1 over the embedded store (WAL, synchronous=FULL: every
//! acknowledged write is durable), and, with `SAFEGRID_BENCH_DATABASE_URL` (a PostGIS superuser
//! URL; the bench creates and drops its own databases), the same over PostGIS. Each ingest
//! figure below is measured on a fresh store seeded with the demo world. Prints:
//! - single `POST /api/incidents` per second from 64 keep-alive clients (group commit);
//! - incidents per second through `POST /api/incidents/batch` (10,000 a batch);
//! - event-to-subscriber latency (POST sent → message received) with 200 live subscribers while
//!   ingesting;
//! - memory while a subscriber that never reads is connected and 50,000 incidents are ingested;
//! - sign-in and the new session's first request, idle and while 16 clients run searches that
//!   read every stored incident (`SAFEGRID_BENCH_ONLY=signin` runs only this).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use server::boot::{load_state, seed_demo};
use server::clock::SystemClock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The allocator of the `safegrid` binary (`server/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A minimal keep-alive HTTP/1.1 client (one request at a time).
struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        Conn { stream: BufReader::new(s) }
    }

    async fn request(&mut self, method: &str, path: &str, token: &str, ctype: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(self.stream.read_u8().await.unwrap());
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let status: u16 = text[9..12].parse().unwrap();
        let len: usize = text
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .unwrap_or(0);
        let mut body = vec![0; len];
        self.stream.read_exact(&mut body).await.unwrap();
        (status, body)
    }
}

/// The password `seeded` gives the city user.
const PASSWORD: &str = "bench-password-1";

impl Conn {
    /// Signs in as the city user (asserting success); the session token.
    async fn sign_in(&mut self) -> String {
        let body = json!({"username": "city", "password": PASSWORD}).to_string();
        let (status, answer) = self.request("POST", "/api/login", "", "application/json", body.as_bytes()).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        serde_json::from_slice::<Value>(&answer).unwrap()["token"].as_str().unwrap().to_owned()
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
}

/// CPU seconds this process (server and clients) has used, user and system.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |k: usize| fields.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // In clock ticks of USER_HZ, which is 100 on Linux (`getconf CLK_TCK` here: 100).
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Points inside Liangzhou's first cells, to post at.
fn points(state: &server::state::AppState, n: usize) -> Vec<(f64, f64)> {
    use geo::InteriorPoint;
    state.geography.cells().iter().take(n).filter_map(|c| c.boundary.interior_point().map(|p| (p.x(), p.y()))).collect()
}

/// Reports cycle through the categories, so few are reports of one event.
const CATEGORIES: &[model::Category] = &model::Category::POLICE;

fn feature(k: usize, tag: &str, p: (f64, f64)) -> Value {
    let t = Utc::now() - Duration::minutes(5);
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.0, p.1]},
           "properties": {"category": CATEGORIES[k % CATEGORIES.len()], "source": "patrol", "external_id": format!("{tag}-{k}"),
                          "occurred_at": t.to_rfc3339()}})
}

/// `n` FeatureCollections of 10,000 reports as a feed from another system sends them: points all
/// over the city, occurred over the last day, every category; one report in twenty is a second
/// report of the event ten items earlier (same category, 50 m east, 3 minutes later: 一事多报).
fn spread_bodies(n: usize, tag: &str, pts: &[(f64, f64)]) -> Vec<String> {
    let now = Utc::now();
    (0..n)
        .map(|b| {
            let mut features: Vec<Value> = Vec::with_capacity(10_000);
            for k in 0..10_000 {
                let g = b * 10_000 + k;
                let (mut p, mut category) = (pts[(g * 7_919) % pts.len()], CATEGORIES[g % CATEGORIES.len()]);
                let mut t = now - Duration::minutes(5 + ((g * 4_099) % 1_440) as i64);
                if k >= 10 && k % 20 == 0 {
                    let first = &features[k - 10];
                    let c = &first["geometry"]["coordinates"];
                    p = (c[0].as_f64().unwrap() + 0.000_57, c[1].as_f64().unwrap());
                    category = CATEGORIES[(g - 10) % CATEGORIES.len()];
                    t = now - Duration::minutes(5 + ((((g - 10) * 4_099) % 1_440) as i64) - 3);
                }
                features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.0, p.1]},
                    "properties": {"category": category, "source": "patrol", "external_id": format!("{tag}-{g}"),
                                   "occurred_at": t.to_rfc3339()}}));
            }
            json!({"type": "FeatureCollection", "features": features}).to_string()
        })
        .collect()
}

/// `n` FeatureCollections of 10,000 reports each, at Liangzhou's first cells, all 5 minutes ago:
/// every report after the first at a point is another report of that point's event (the worst
/// case for 一事多报 linking: every item is linked and logged).
fn batch_bodies(n: usize, tag: &str, pts: &[(f64, f64)]) -> Vec<String> {
    (0..n)
        .map(|b| {
            let features: Vec<Value> =
                (0..10_000).map(|k| feature(b * 10_000 + k, tag, pts[(b * 10_000 + k) % pts.len()])).collect();
            json!({"type": "FeatureCollection", "features": features}).to_string()
        })
        .collect()
}

/// A server on 127.0.0.1 over one store, and a signed-in city user's token.
struct Served {
    state: server::state::AppState,
    store: Arc<dyn Store>,
    addr: SocketAddr,
    token: String,
}

async fn serve(store: Arc<dyn Store>) -> Served {
    let state = load_state(store.clone(), Arc::new(SystemClock)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // As `safegrid serve` serves: every request knows its peer.
    tokio::spawn(server::cli::serve_http(listener, state.clone(), std::future::pending()));
    let token = Conn::open(addr).await.sign_in().await;
    Served { state, store, addr, token }
}

/// Where the bench keeps its stores: every part below that measures ingest gets a fresh one,
/// seeded with the demo world, so no part's figure depends on what an earlier part stored.
enum Backend {
    /// GeoPackage files under one temporary folder.
    Embedded(tempfile::TempDir),
    /// Databases `safegrid_live_bench_<k>` on the cluster of a superuser URL.
    PostGis(String),
}

impl Backend {
    /// A fresh seeded store, the `k`-th of this run.
    async fn fresh(&self, k: usize) -> Arc<dyn Store> {
        let store: Arc<dyn Store> = match self {
            Backend::Embedded(dir) => {
                let path = dir.path().join(format!("store-{k}"));
                std::fs::create_dir_all(&path).unwrap();
                Arc::new(store::gpkg::GpkgStore::open(&path).unwrap())
            }
            Backend::PostGis(admin_url) => {
                let admin = store::postgis::connect(admin_url).await.unwrap();
                let db = format!("safegrid_live_bench_{k}");
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await.unwrap();
                admin.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
                let store = store::postgis::open(&Backend::url(admin_url, k), 16).await.unwrap();
                // Incidents go to partitions whose indexes are built once every id is drawn.
                // Partitions of `SAFEGRID_BENCH_PARTITION_IDS` (50,000) from the first write on, past the
                // schema's first (262,144), so a run of 200,000 pays for its index builds as a
                // long feed does, instead of leaving them after the clock stops.
                let partition_ids: i64 =
                    std::env::var("SAFEGRID_BENCH_PARTITION_IDS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
                let c = store::postgis::connect(&Backend::url(admin_url, k)).await.unwrap();
                c.batch_execute(&format!(
                    "UPDATE safegrid_meta SET value = '{partition_ids}' WHERE key = 'incident_partition_ids'; \
                     SELECT setval('incidents_id_seq', (SELECT max(hi) - 1 FROM incident_partitions))"
                ))
                .await
                .unwrap();
                Arc::new(store)
            }
        };
        seeded(store).await
    }

    fn url(admin_url: &str, k: usize) -> String {
        format!("{}/safegrid_live_bench_{k}", admin_url.rsplit_once('/').unwrap().0)
    }
}

async fn run(name: &str, backend: &Backend) {
    let Served { state, store, addr, token } = serve(backend.fresh(0).await).await;
    let mut c = Conn::open(addr).await;
    let pts = Arc::new(points(&state, 4000));

    // `SAFEGRID_BENCH_ONLY=batch` or `=single` (for profiling) runs only part B or part A,
    // `=signin` only part E.
    let only = std::env::var("SAFEGRID_BENCH_ONLY").unwrap_or_default();
    if only == "signin" {
        sign_in_under_searches(name, addr).await;
        return;
    }
    let only_batches = only == "batch";
    // A. Single POSTs from 64 clients.
    let clients = if only_batches { 1 } else { 64 };
    let per_client = 250;
    // Bodies are built before the clock starts: the clients share the 2 cores with the server.
    let bodies: Vec<Vec<String>> = (0..clients)
        .map(|k| {
            (0..per_client)
                .map(|j| {
                    let n = k * per_client + j;
                    feature(n, "single", pts[n % pts.len()]).to_string()
                })
                .collect()
        })
        .collect();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for mine in bodies {
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            let mut lat = Vec::with_capacity(per_client);
            for body in mine {
                let t = Instant::now();
                let (status, answer) =
                    c.request("POST", "/api/incidents", &token, "application/json", body.as_bytes()).await;
                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                lat.push(t.elapsed().as_secs_f64() * 1e3);
            }
            lat
        }));
    }
    let mut lat: Vec<f64> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let single_s = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "{name}: {} single POSTs from {clients} clients in {single_s:.2} s = {:.0}/s (latency p50 {:.1} ms, p99 {:.1} ms)",
        lat.len(),
        lat.len() as f64 / single_s,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    if only == "single" {
        return;
    }

    // B. Batches of 10,000: reports spread over the city and the day, the worst case, and
    // spread from two feeds; each on a fresh store holding only the demo world.
    let batches = if only_batches { 20 } else { 5 };
    let everywhere = points(&state, usize::MAX);
    for (k, (what, feeds, bodies)) in [
        ("spread over the city and the last day, 5% second reports", 1, spread_bodies(batches, "spread", &everywhere)),
        ("every report a second report of an event", 1, batch_bodies(batches, "batch", &pts)),
        ("spread, from 2 feeds at once", 2, spread_bodies(batches, "feeds", &everywhere)),
    ]
    .into_iter()
    .enumerate()
    {
        let Served { addr, token, .. } = serve(backend.fresh(k + 1).await).await;
        // Each feed posts its share of the batches one after another on its own connection.
        let mut shares: Vec<Vec<String>> = vec![Vec::new(); feeds];
        for (k, body) in bodies.into_iter().enumerate() {
            shares[k % feeds].push(body);
        }
        let (t0, cpu0) = (Instant::now(), cpu_s());
        let mut tasks = Vec::new();
        for share in shares {
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = Conn::open(addr).await;
                let mut ms = Vec::new();
                for body in share {
                    let t = Instant::now();
                    let (status, answer) =
                        c.request("POST", "/api/incidents/batch", &token, "application/json", body.as_bytes()).await;
                    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer[..answer.len().min(300)]));
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                ms
            }));
        }
        let mut ms = Vec::new();
        for t in tasks {
            ms.extend(t.await.unwrap());
        }
        let batch_s = t0.elapsed().as_secs_f64();
        let cpu_ms = (cpu_s() - cpu0) * 1e3 / batches as f64;
        ms.sort_by(f64::total_cmp);
        println!(
            "{name}: {} incidents in {batches} batches of 10,000 ({what}) in {batch_s:.2} s = {:.0}/s (a batch's answer in {:.0}–{:.0} ms, median {:.0}; {cpu_ms:.0} ms CPU per batch)",
            batches * 10_000,
            (batches * 10_000) as f64 / batch_s,
            ms[0],
            ms[ms.len() - 1],
            percentile(&ms, 0.5)
        );
    }
    if only_batches {
        return;
    }

    // C. 200 subscribers while 16 clients ingest: POST sent → message received.
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let received: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let closed: Arc<Mutex<Vec<String>>> = Arc::default();
    // Let the feed catch up with the batches first (the pump publishes in pages).
    while state.live.subscribe().1 < store.last_seq().await.unwrap() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut subs = Vec::new();
    for _ in 0..200 {
        let mut req = format!("ws://{addr}/api/live").into_client_request().unwrap();
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let (received, closed) = (received.clone(), closed.clone());
        subs.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let tokio_tungstenite::tungstenite::Message::Close(c) = &m {
                    closed.lock().unwrap().push(format!("{c:?}"));
                }
                if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                    let at = Instant::now();
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "incident" {
                        received.lock().unwrap().push((v["data"]["id"].as_u64().unwrap(), at));
                    }
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let writers = 16;
    let per_writer = 125;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..writers {
        let (token, pts, sent) = (token.clone(), pts.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            for j in 0..per_writer {
                let n = k * per_writer + j;
                let body = feature(n, "subscribed", pts[n % pts.len()]).to_string();
                let t = Instant::now();
                let (status, answer) =
                    c.request("POST", "/api/incidents", &token, "application/json", body.as_bytes()).await;
                assert_eq!(status, 201);
                let id = serde_json::from_slice::<Value>(&answer).unwrap()["id"].as_u64().unwrap();
                sent.lock().unwrap().insert(id, t);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ingest_s = t0.elapsed().as_secs_f64();
    let want = writers * per_writer * 200;
    let t1 = Instant::now();
    while received.lock().unwrap().len() < want && t1.elapsed() < std::time::Duration::from_secs(30) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = sent.lock().unwrap().clone();
    let mut delays: Vec<f64> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(id, at)| sent.get(id).map(|t| at.duration_since(*t).as_secs_f64() * 1e3))
        .collect();
    delays.sort_by(f64::total_cmp);
    println!(
        "{name}: 200 subscribers, {} POSTs at {:.0}/s: {} of {want} deliveries ({} subscribers closed for lagging); event→subscriber p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        writers * per_writer,
        (writers * per_writer) as f64 / ingest_s,
        delays.len(),
        closed.lock().unwrap().len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(f64::NAN)
    );
    for s in subs {
        s.abort();
    }

    // D. A subscriber that never reads, while 50,000 incidents arrive in batches.
    let mut req = format!("ws://{addr}/api/live").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (stuck, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let bodies = batch_bodies(5, "stuck", &pts);
    let before = rss_mb();
    let mut peak = before;
    let t0 = Instant::now();
    for body in bodies {
        let (status, _) = c.request("POST", "/api/incidents/batch", &token, "application/json", body.as_bytes()).await;
        assert_eq!(status, 201);
        peak = peak.max(rss_mb());
    }
    let stuck_s = t0.elapsed().as_secs_f64();
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    println!(
        "{name}: a subscriber that never reads: 50,000 incidents at {:.0}/s; RSS {before:.0} MB before, peak {peak:.0} MB, {:.0} MB after 12 s ({} live subscribers left)",
        50_000.0 / stuck_s,
        rss_mb(),
        state.live.subscribers()
    );
    drop(stuck);

    sign_in_under_searches(name, addr).await;
}

/// E. 30 sign-ins, each followed by the new session's first request (a session check the store
/// answers: a fresh token is in no cache), idle and then while 16 clients run searches of a text
/// no incident holds, so each reads every stored incident's address and summary.
async fn sign_in_under_searches(name: &str, addr: SocketAddr) {
    async fn sign_ins(addr: SocketAddr) -> (Vec<f64>, Vec<f64>) {
        let mut c = Conn::open(addr).await;
        let (mut login_ms, mut check_ms) = (Vec::new(), Vec::new());
        for _ in 0..30 {
            let t = Instant::now();
            let token = c.sign_in().await;
            login_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let (status, body) = c.request("GET", "/api/me", &token, "application/json", b"").await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            check_ms.push(t.elapsed().as_secs_f64() * 1e3);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        login_ms.sort_by(f64::total_cmp);
        check_ms.sort_by(f64::total_cmp);
        (login_ms, check_ms)
    }
    let figures = |(login, check): &(Vec<f64>, Vec<f64>)| {
        format!(
            "sign-in p50 {:.1} ms, max {:.1} ms; first request p50 {:.1} ms, max {:.1} ms",
            percentile(login, 0.5),
            login.last().copied().unwrap_or(f64::NAN),
            percentile(check, 0.5),
            check.last().copied().unwrap_or(f64::NAN)
        )
    };
    let idle = sign_ins(addr).await;
    let token = Conn::open(addr).await.sign_in().await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut searchers = Vec::new();
    for _ in 0..16 {
        let (stop, token) = (stop.clone(), token.clone());
        searchers.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            // Each search's latency and when it ended.
            let mut done = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let (status, body) =
                    c.request("GET", "/api/search?q=zzqx-nowhere", &token, "application/json", b"").await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                done.push((t.elapsed().as_secs_f64() * 1e3, Instant::now()));
            }
            done
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let t0 = Instant::now();
    let loaded = sign_ins(addr).await;
    let t1 = Instant::now();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    // The searches that ended while the sign-ins ran.
    let mut searches = Vec::new();
    for s in searchers {
        searches.extend(s.await.unwrap().into_iter().filter(|(_, end)| (t0..=t1).contains(end)).map(|(ms, _)| ms));
    }
    let during_s = (t1 - t0).as_secs_f64();
    searches.sort_by(f64::total_cmp);
    println!("{name}: idle: {}", figures(&idle));
    println!(
        "{name}: while 16 clients search ({} searches ended meanwhile, {:.0}/s, each p50 {:.1} ms): {}",
        searches.len(),
        searches.len() as f64 / during_s,
        percentile(&searches, 0.5),
        figures(&loaded)
    );
}

async fn seeded(store: Arc<dyn Store>) -> Arc<dyn Store> {
    let params = demo::DemoParams { base_incidents: 20_000, ..demo::DemoParams::new(9, Utc::now()) };
    seed_demo(store.as_ref(), &params, None).await.unwrap();
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    let city = store.user_by_name("city").await.unwrap().unwrap().0;
    store.set_password(city.id, hash, None).await.unwrap();
    store
}

/// The disk's commit latency where the store lives: 200 appends of 4 KiB, each followed by
/// `fsync`. Every durable figure here rests on it (it varied ten-fold between days on this
/// machine), so it is printed with them.
fn fsync_latency_ms(dir: &std::path::Path) -> (f64, f64) {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut ms: Vec<f64> = (0..200)
        .map(|_| {
            file.write_all(&[7u8; 4096]).unwrap();
            let t = Instant::now();
            file.sync_all().unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    std::fs::remove_file(&path).unwrap();
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (p50, p99) = fsync_latency_ms(dir.path());
    println!("disk: 4 KiB append + fsync in {} p50 {p50:.2} ms, p99 {p99:.2} ms", dir.path().display());
    run("embedded (GeoPackage, synchronous=FULL)", &Backend::Embedded(dir)).await;
    if let Ok(admin_url) = std::env::var("SAFEGRID_BENCH_DATABASE_URL") {
        let backend = Backend::PostGis(admin_url.clone());
        let c = store::postgis::connect(&admin_url).await.unwrap();
        let sync = c.query_one("SHOW synchronous_commit", &[]).await.unwrap().get::<_, String>(0)
            + " fsync="
            + &c.query_one("SHOW fsync", &[]).await.unwrap().get::<_, String>(0);
        run(&format!("PostGIS (synchronous_commit={sync})"), &backend).await;
        // Every database `Backend::fresh` made.
        for row in
            c.query("SELECT datname FROM pg_database WHERE datname LIKE 'safegrid_live_bench_%'", &[]).await.unwrap()
        {
            let db: String = row.get(0);
            c.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).await.unwrap();
        }
    }
}
