//! The live command centre: the event loop through the API (every illegal step, history, unit
//! bookkeeping), the event queue's deadlines, dispatch suggestions, unit positions, alerts and
//! their acknowledgement, and the WebSocket feed on a real socket (post → receive, region,
//! category and jurisdiction filters, resume with `since`).

use chrono::Duration;
use futures_util::StreamExt;
use geo::InteriorPoint;
use model::auth::Role;
use model::{ResourceKind, Status};
use serde_json::{Value, json};
use std::time::Duration as StdDuration;
use tests::TestWorld;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A point inside the first cell of `region`.
fn point_in(w: &TestWorld, region: &str) -> (f64, f64) {
    let range = w.state.geography.cell_range(region.parse().unwrap());
    let p = w.state.geography.cells()[range.start as usize].boundary.interior_point().unwrap();
    (p.x(), p.y())
}

fn feature(lon: f64, lat: f64, category: &str, occurred_h_ago: i64, reported_h_ago: Option<i64>) -> String {
    let now = tests::test_now();
    let mut props = json!({"category": category, "occurred_at": (now - Duration::hours(occurred_h_ago)).to_rfc3339()});
    if let Some(h) = reported_h_ago {
        props["reported_at"] = json!((now - Duration::hours(h)).to_rfc3339());
    }
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props})
        .to_string()
}

async fn post_incident(w: &TestWorld, lon: f64, lat: f64, category: &str) -> u64 {
    let (s, f) = w.post("/api/incidents", feature(lon, lat, category, 1, None)).await;
    assert_eq!(s, 201, "{f}");
    f["id"].as_u64().unwrap()
}

async fn step(w: &TestWorld, id: u64, body: Value) -> (u16, Value) {
    let (s, v) = w.post(&format!("/api/incidents/{id}/transitions"), body.to_string()).await;
    (s.as_u16(), v)
}

fn first_unit(w: &TestWorld) -> u64 {
    w.state.geography.resources().iter().find(|r| r.kind == ResourceKind::PatrolUnit).unwrap().id
}

#[tokio::test]
async fn the_event_loop_runs_in_order_with_history_and_refuses_every_other_step() {
    let w = TestWorld::new(1_000).await;
    let (lon, lat) = point_in(&w, "620602001000");
    let id = post_incident(&w, lon, lat, "criminal").await;
    let unit = first_unit(&w);
    // From reported only dispatch is legal: every other target is 409 naming `to`.
    for to in ["reported", "on_scene", "resolved", "feedback", "closed"] {
        let (s, e) = step(&w, id, json!({"to": to, "unit": unit, "satisfaction": 4})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (409, Some("to")), "{to}: {e}");
    }
    let (s, e) = step(&w, id, json!({"to": "dispatched"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("unit")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "dispatched", "unit": 999_999})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("unit")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "teleported"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("to")), "{e}");
    let (s, e) = step(&w, id, json!({"to": "dispatched", "unit": unit, "colour": 1})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("colour")), "{e}");

    let (s, p) = step(&w, id, json!({"to": "dispatched", "unit": unit, "note": "就近派警"})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["status"].as_str(), p["unit"].as_u64()), (Some("dispatched"), Some(unit)));
    // Criminal: arrival is due 15 minutes after dispatch.
    let due = chrono::DateTime::parse_from_rfc3339(p["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due, tests::test_now() + Duration::minutes(15));
    let (_, units) = w.get("/api/units").await;
    let u = units.as_array().unwrap().iter().find(|u| u["id"] == json!(unit)).unwrap();
    assert_eq!((u["status"].as_str(), u["incident"].as_u64()), (Some("busy"), Some(id)));
    // A busy unit cannot be sent elsewhere.
    let other = post_incident(&w, lon, lat, "dispute").await;
    let (s, e) = step(&w, other, json!({"to": "dispatched", "unit": unit})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("unit")), "{e}");

    assert_eq!(step(&w, id, json!({"to": "on_scene"})).await.0, 200);
    assert_eq!(step(&w, id, json!({"to": "resolved", "note": "已调解"})).await.0, 200);
    let (_, units) = w.get("/api/units").await;
    let u = units.as_array().unwrap().iter().find(|u| u["id"] == json!(unit)).unwrap();
    assert_eq!(u["status"], "available", "resolving frees the unit");
    let (s, e) = step(&w, id, json!({"to": "feedback"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("satisfaction")));
    let (s, e) = step(&w, id, json!({"to": "feedback", "satisfaction": 6})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("satisfaction")));
    assert_eq!(step(&w, id, json!({"to": "feedback", "satisfaction": 5})).await.0, 200);
    let (s, p) = step(&w, id, json!({"to": "closed"})).await;
    assert_eq!(s, 200);
    assert_eq!(p["due_at"], Value::Null, "nothing is due once closed");
    let (s, e) = step(&w, id, json!({"to": "closed"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (409, Some("to")));

    let (s, h) = w.get(&format!("/api/incidents/{id}/history")).await;
    assert_eq!(s, 200);
    let steps: Vec<(&str, &str)> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["from"].as_str().unwrap(), c["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("reported", "dispatched"),
            ("dispatched", "on_scene"),
            ("on_scene", "resolved"),
            ("resolved", "feedback"),
            ("feedback", "closed")
        ]
    );
    for c in h["history"].as_array().unwrap() {
        assert_eq!(c["by"], "city");
        assert!(c["at"].as_str().unwrap().starts_with("2026-11-01T04:00:00"), "{c}");
    }
    assert_eq!(h["history"][0]["note"], "就近派警");
    assert_eq!(h["history"][3]["satisfaction"], 5);
    // The index (lists, tiles) follows: the incident is closed there too.
    assert_eq!(w.state.index().get(model::IncidentId(id)).unwrap().status, Status::Closed);
    // And the store.
    let stored = w.state.store.incidents_by_id(&model::scope::Scope::everything(), vec![model::IncidentId(id)]).await;
    assert_eq!(stored.unwrap()[0].fields.status, Status::Closed);

    // Read-only roles may not step; outside the jurisdiction is not found.
    let (s, _) = w
        .post_as(
            Role::Analyst,
            &format!("/api/incidents/{other}/transitions"),
            json!({"to": "dispatched", "unit": unit}).to_string(),
        )
        .await;
    assert_eq!(s, 403);
    let (tlon, tlat) = point_in(&w, "620623000000");
    let far = post_incident(&w, tlon, tlat, "traffic").await;
    let (s, _) = w
        .post_as(
            Role::Township,
            &format!("/api/incidents/{far}/transitions"),
            json!({"to": "dispatched", "unit": unit}).to_string(),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = w.get_as(Role::Township, &format!("/api/incidents/{far}/history")).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_queue_puts_the_furthest_escalated_first_with_deadline_timers() {
    let w = TestWorld::new(500).await;
    let (lon, lat) = point_in(&w, "620602001000");
    // Criminal reported 2 h ago and never dispatched: 117 min past a 3-minute deadline → city.
    let (s, late) = w.post("/api/incidents", feature(lon, lat, "criminal", 3, Some(2))).await;
    assert_eq!(s, 201, "{late}");
    // A dispute reported now: due in 10 minutes.
    let fresh = post_incident(&w, lon, lat, "dispute").await;
    let (s, q) = w.get("/api/queue?region=620602001000&limit=500").await;
    assert_eq!(s, 200, "{q}");
    let items = q["items"].as_array().unwrap();
    let late_item = items.iter().find(|i| i["id"] == late["id"]).unwrap();
    assert_eq!(late_item["escalated_to"], "city");
    assert_eq!(late_item["due_in_s"], json!(-(2 * 3600 - 3 * 60)));
    let fresh_item = items.iter().find(|i| i["id"] == json!(fresh)).unwrap();
    assert_eq!((fresh_item["escalated_to"].clone(), fresh_item["due_in_s"].as_i64()), (Value::Null, Some(600)));
    // Sorted: escalation level, then the soonest due.
    let rank = |i: &Value| match i["escalated_to"].as_str() {
        None => 0,
        Some("village") => 1,
        Some("township") => 2,
        Some("county") => 3,
        Some(_) => 4,
    };
    for pair in items.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            rank(a) > rank(b) || (rank(a) == rank(b) && a["due_at"].as_str() <= b["due_at"].as_str()),
            "{a} before {b}"
        );
        assert_ne!(a["status"], "closed");
    }
    // Jurisdiction: a township user's queue holds only its own cells; another county is 404.
    let (_, q) = w.get_as(Role::Township, "/api/queue").await;
    assert!(q["items"].as_array().unwrap().iter().all(|i| i["cell_code"].as_str().unwrap().starts_with("620602001")));
    assert_eq!(w.get_as(Role::Township, "/api/queue?region=620623000000").await.0, 404);
    assert_eq!(w.get("/api/queue?days=0").await.0, 400);
}

#[tokio::test]
async fn units_report_positions_and_dispatch_suggests_the_nearest_available() {
    let w = TestWorld::new(500).await;
    let (lon, lat) = point_in(&w, "620602001000");
    let id = post_incident(&w, lon, lat, "traffic").await;
    let (s, d) = w.get(&format!("/api/incidents/{id}/dispatch?k=3")).await;
    assert_eq!(s, 200, "{d}");
    let units = d["units"].as_array().unwrap();
    assert_eq!(units.len(), 3);
    let etas: Vec<f64> = units.iter().map(|u| u["eta_s"].as_f64().unwrap()).collect();
    assert!(etas.windows(2).all(|p| p[0] <= p[1]), "{etas:?}");
    // Move the third-nearest unit right next to the incident (reported in GCJ-02, as phone apps
    // do): it becomes the nearest.
    let mover = units[2]["unit"].as_u64().unwrap();
    let (glon, glat) = analytics::crs::wgs84_to_gcj02(lon + 0.0005, lat);
    let body = json!({"lon": glon, "lat": glat, "crs": "gcj02"}).to_string();
    let (s, u) = w.post(&format!("/api/units/{mover}/position"), body).await;
    assert_eq!(s, 200, "{u}");
    assert!((u["lon"].as_f64().unwrap() - (lon + 0.0005)).abs() < 1e-6, "stored as WGS84: {u}");
    let (_, d) = w.get(&format!("/api/incidents/{id}/dispatch?k=3")).await;
    assert_eq!(d["units"][0]["unit"].as_u64(), Some(mover));
    assert!(d["units"][0]["distance_m"].as_f64().unwrap() < 60.0, "{d}");
    // Off duty: no longer suggested.
    let body = json!({"lon": lon + 0.0005, "lat": lat, "status": "off_duty"}).to_string();
    assert_eq!(w.post(&format!("/api/units/{mover}/position"), body).await.0, 200);
    let (_, d) = w.get(&format!("/api/incidents/{id}/dispatch?k=10")).await;
    assert!(d["units"].as_array().unwrap().iter().all(|u| u["unit"].as_u64() != Some(mover)));
    // Bad pings name their field; unknown units are 404.
    for (body, field) in [
        (json!({"lon": 0.0, "lat": 0.0}), "lon"),
        (json!({"lon": lon, "lat": lat, "status": "asleep"}), "status"),
        (json!({"lon": lon, "lat": lat, "crs": "utm"}), "crs"),
        (json!({"lon": lon}), "lat"),
        (json!({"lon": lon, "lat": lat, "at": "2027-01-01T00:00:00Z"}), "at"),
    ] {
        let (s, e) = w.post(&format!("/api/units/{mover}/position"), body.to_string()).await;
        assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some(field)), "{body}: {e}");
    }
    assert_eq!(w.post("/api/units/999999/position", json!({"lon": lon, "lat": lat}).to_string()).await.0, 404);
    assert_eq!(w.get(&format!("/api/incidents/{id}/dispatch?k=0")).await.0, 400);
}

#[tokio::test]
async fn key_places_and_near_repeats_raise_alerts_that_can_be_acknowledged_once() {
    let w = TestWorld::new(500).await;
    let place = w
        .state
        .geography
        .resources()
        .iter()
        .find(|r| r.kind == ResourceKind::KeyPlace && w.state.geography.locate(r.lon, r.lat).is_some())
        .unwrap()
        .clone();
    let id = post_incident(&w, place.lon + 0.0003, place.lat, "public_order").await;
    let (s, alerts) = w.get("/api/alerts?open=true").await;
    assert_eq!(s, 200);
    let geofence = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "geofence" && a["incident"] == json!(id))
        .unwrap_or_else(|| panic!("no geofence alert for {id}: {alerts}"))
        .clone();
    assert_eq!(geofence["place"], json!(place.id));
    assert!(geofence["message_zh"].as_str().unwrap().contains(&place.name));
    // Two burglaries 50 m apart within days: the second opens a near-repeat window.
    let (lon, lat) = point_in(&w, "620622000000");
    post_incident(&w, lon, lat, "criminal").await;
    let second = post_incident(&w, lon + 0.0005, lat, "criminal").await;
    let (_, alerts) = w.get("/api/alerts").await;
    assert!(
        alerts.as_array().unwrap().iter().any(|a| a["kind"] == "near_repeat" && a["incident"] == json!(second)),
        "{alerts}"
    );
    // Acknowledge once; again is 409; open alerts no longer list it; a read-only role may not.
    let aid = geofence["id"].as_u64().unwrap();
    assert_eq!(w.post_as(Role::Analyst, &format!("/api/alerts/{aid}/ack"), "").await.0, 403);
    let (s, a) = w.post(&format!("/api/alerts/{aid}/ack"), "").await;
    assert_eq!((s.as_u16(), a["acked_by"].as_str()), (200, Some("city")), "{a}");
    assert_eq!(w.post(&format!("/api/alerts/{aid}/ack"), "").await.0, 409);
    let (_, open) = w.get("/api/alerts?open=true").await;
    assert!(open.as_array().unwrap().iter().all(|a| a["id"] != json!(aid)));
    assert_eq!(w.post("/api/alerts/424242/ack", "").await.0, 404);
    // A back-filled old report raises nothing.
    let (s, old) = w.post("/api/incidents", feature(place.lon, place.lat, "public_order", 72, None)).await;
    assert_eq!(s, 201);
    let (_, alerts) = w.get("/api/alerts").await;
    assert!(alerts.as_array().unwrap().iter().all(|a| a["incident"] != old["id"]));
}

#[tokio::test]
async fn several_reports_of_one_event_are_linked_and_can_be_split_and_merged() {
    let w = TestWorld::new(500).await;
    let (lon, lat) = point_in(&w, "620622000000");
    let a = post_incident(&w, lon, lat, "criminal").await;
    let b = post_incident(&w, lon + 0.0004, lat, "criminal").await; // ~35 m away
    let c = post_incident(&w, lon + 0.0008, lat, "criminal").await;
    let d = post_incident(&w, lon, lat, "dispute").await;
    let far = post_incident(&w, lon + 0.01, lat, "criminal").await; // ~880 m away
    let progress = |id: u64| {
        let w = &w;
        async move {
            let (s, p) = w.get(&format!("/api/incidents/{id}/history")).await;
            assert_eq!(s, 200, "{p}");
            p
        }
    };
    let first = progress(a).await["event"].as_u64().unwrap_or(a);
    for id in [b, c] {
        assert_eq!(progress(id).await["event"].as_u64(), Some(first), "report {id} joins the event of {first}");
    }
    assert_eq!(progress(d).await["event"].as_u64(), None, "another category is another event");
    assert_ne!(progress(far).await["event"].as_u64(), Some(first), "too far to be the same event");
    let linked: Vec<u64> =
        progress(first).await["linked"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(linked.contains(&b) && linked.contains(&c), "{linked:?}");
    // The queue works the event once, counting its reports.
    let queue = || {
        let w = &w;
        async move { w.get("/api/queue?limit=1000").await.1["items"].as_array().unwrap().clone() }
    };
    let q = queue().await;
    let row = q.iter().find(|i| i["id"] == json!(first)).unwrap();
    assert!(row["reports"].as_u64().unwrap() >= 3, "{row}");
    assert!(q.iter().all(|i| i["id"] != json!(b) && i["id"] != json!(c)));
    // Split b off: its own event again, back in the queue; splitting again is 409.
    let (s, p) = w.post(&format!("/api/incidents/{b}/split"), "").await;
    assert_eq!((s.as_u16(), p["event"].clone()), (200, Value::Null), "{p}");
    assert!(queue().await.iter().any(|i| i["id"] == json!(b)));
    assert_eq!(w.post(&format!("/api/incidents/{b}/split"), "").await.0, 409);
    // Merge d into c's event by hand (c's event is first's).
    let (s, p) = w.post(&format!("/api/incidents/{d}/merge"), json!({"into": c}).to_string()).await;
    assert_eq!((s.as_u16(), p["event"].as_u64()), (200, Some(first)), "{p}");
    // The first report of an event with reports cannot be merged away; nor into itself.
    let (s, e) = w.post(&format!("/api/incidents/{first}/merge"), json!({"into": far}).to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (409, Some("into")), "{e}");
    let (s, e) = w.post(&format!("/api/incidents/{far}/merge"), json!({"into": far}).to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("into")), "{e}");
    let (s, e) = w.post(&format!("/api/incidents/{far}/merge"), json!({"into": 987_654_321}).to_string()).await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (422, Some("into")), "{e}");
    assert_eq!(w.post_as(Role::Analyst, &format!("/api/incidents/{far}/split"), "").await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_alerts_new_hot_spots_and_overdue_escalations() {
    let w = TestWorld::new(2_000).await;
    server::live::watch::spawn(w.state.clone(), StdDuration::from_millis(100));
    // The baseline: what is hot or overdue now does not alert.
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    let (_, before) = w.get("/api/alerts").await;
    assert!(before.as_array().unwrap().iter().all(|a| a["kind"] != "hotspot" && a["kind"] != "overdue"), "{before}");
    // A burst of 40 reports in one quiet cell makes it a significant hot spot.
    let cell = w.state.geography.cells().iter().rev().find(|c| c.cell.code.to_string().starts_with("620622")).unwrap();
    let p = cell.boundary.interior_point().unwrap();
    let features: Vec<Value> = (0..40)
        .map(|k| {
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x(), p.y()]},
                   "properties": {"category": "public_order", "external_id": format!("burst-{k}"),
                                  "occurred_at": (tests::test_now() - Duration::hours(k + 30)).to_rfc3339()}})
        })
        .collect();
    let (s, r) =
        w.post("/api/incidents/batch", json!({"type": "FeatureCollection", "features": features}).to_string()).await;
    assert_eq!(s, 201, "{r}");
    // A criminal report not dispatched in time climbs: village after 3 minutes, township after 9.
    let (lon, lat) = point_in(&w, "620602001000");
    let late = post_incident(&w, lon, lat, "criminal").await;
    let code = cell.cell.code.to_string();
    let find = |kind: &'static str, key: &'static str, want: Value| {
        let w = &w;
        async move {
            let t0 = std::time::Instant::now();
            loop {
                let (_, alerts) = w.get("/api/alerts").await;
                let hits: Vec<Value> = alerts
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["kind"] == kind && a[key] == want)
                    .cloned()
                    .collect();
                if !hits.is_empty() {
                    return hits;
                }
                assert!(t0.elapsed() < StdDuration::from_secs(5), "no {kind} alert for {want}: {alerts}");
                tokio::time::sleep(StdDuration::from_millis(50)).await;
            }
        }
    };
    let hot = find("hotspot", "cell_code", json!(code)).await;
    assert!(hot[0]["message_zh"].as_str().unwrap().contains("显著热点"));
    w.clock.set(tests::test_now() + Duration::minutes(4));
    let village = find("overdue", "incident", json!(late)).await;
    assert!(village[0]["message_en"].as_str().unwrap().contains("village"), "{village:?}");
    w.clock.set(tests::test_now() + Duration::minutes(10));
    let t0 = std::time::Instant::now();
    loop {
        let n = find("overdue", "incident", json!(late)).await;
        if let Some(t) = n.iter().find(|a| a["message_en"].as_str().unwrap().contains("township")) {
            assert_eq!(n.len(), 2, "one alert a level: {n:?}");
            // Labelled by who supervises whom: the township supervises the village.
            let zh = t["message_zh"].as_str().unwrap();
            assert!(zh.contains("乡镇督办（") && zh.contains(" → "), "{zh}");
            break;
        }
        assert!(t0.elapsed() < StdDuration::from_secs(5), "never escalated to the township: {n:?}");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    // Nothing repeats while nothing changes.
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    assert_eq!(find("hotspot", "cell_code", json!(code)).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reports_share_commits_but_keep_their_own_outcomes() {
    let w = std::sync::Arc::new(TestWorld::new(300).await);
    let (lon, lat) = point_in(&w, "620602001000");
    let before = w.state.store.load_incident_rows().await.unwrap().len();
    let report = |key: String, summary: &str| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
               "properties": {"category": "traffic", "external_id": key, "summary": summary,
                              "occurred_at": (tests::test_now() - Duration::hours(30)).to_rfc3339()}})
        .to_string()
    };
    // 150 new reports, each of the first 25 sent twice more (retries), and one key reused with
    // other content: all at once.
    let mut bodies: Vec<(String, String)> =
        (0..150).map(|k| (format!("gc-{k}"), report(format!("gc-{k}"), "事故"))).collect();
    for k in 0..25 {
        for _ in 0..2 {
            bodies.push((format!("gc-{k}"), report(format!("gc-{k}"), "事故")));
        }
    }
    bodies.push(("gc-149".into(), report("gc-149".into(), "另一起")));
    let mut tasks = Vec::new();
    for (key, body) in bodies {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            let (s, v) = w.post("/api/incidents", body).await;
            (key, s.as_u16(), v["id"].as_u64(), v["properties"]["summary"].as_str().map(str::to_owned))
        }));
    }
    type Outcome = (u16, Option<u64>, Option<String>);
    let mut by_key: std::collections::HashMap<String, Vec<Outcome>> = Default::default();
    for t in tasks {
        let (key, s, id, summary) = t.await.unwrap();
        by_key.entry(key).or_default().push((s, id, summary));
    }
    for k in 0..150 {
        let outcomes = &by_key[&format!("gc-{k}")];
        let created = outcomes.iter().filter(|o| o.0 == 201).count();
        let retried = outcomes.iter().filter(|o| o.0 == 200).count();
        let conflicts = outcomes.iter().filter(|o| o.0 == 409).count();
        let ids: std::collections::BTreeSet<u64> = outcomes.iter().filter_map(|o| o.1).collect();
        assert_eq!(created, 1, "gc-{k}: {outcomes:?}");
        assert_eq!(ids.len(), 1, "gc-{k}: one incident: {outcomes:?}");
        if k < 25 {
            assert_eq!(retried, 2, "gc-{k}: {outcomes:?}");
        }
        if k == 149 {
            // Whichever came first was stored; the other content is a conflict.
            assert_eq!((retried, conflicts), (0, 1), "{outcomes:?}");
        }
    }
    let after = w.state.store.load_incident_rows().await.unwrap().len();
    assert_eq!(after - before, 150, "each report stored once");
    assert_eq!(w.state.index().len(), after, "and indexed once");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(w: &TestWorld) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = w.app();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn subscribe(addr: std::net::SocketAddr, token: &str, query: &str) -> (Socket, u64) {
    let mut req = format!("ws://{addr}/api/live{query}").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let mut replayed = Vec::new();
    loop {
        let m = next(&mut ws).await;
        if m["type"] == "hello" {
            // Replayed messages come before hello (see the resume test).
            assert!(replayed.iter().all(|r: &Value| r["seq"].as_u64() <= m["seq"].as_u64()));
            return (ws, m["seq"].as_u64().unwrap());
        }
        replayed.push(m);
    }
}

async fn next(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(StdDuration::from_secs(5), ws.next()).await.expect("a message within 5 s");
        match m.unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_streams_posts_in_order_filtered_and_resumes_with_since() {
    let w = TestWorld::new(500).await;
    let addr = serve(&w).await;
    let (mut city, start) = subscribe(addr, w.token(Role::City), "").await;
    let (mut township, _) = subscribe(addr, w.token(Role::Township), "").await;
    let (mut tianzhu, _) = subscribe(addr, w.token(Role::City), "?region=620623000000").await;
    let (mut traffic, _) = subscribe(addr, w.token(Role::City), "?category=traffic").await;

    let (lon, lat) = point_in(&w, "620602001000");
    let (tlon, tlat) = point_in(&w, "620623000000");
    let a = post_incident(&w, lon, lat, "dispute").await;
    let b = post_incident(&w, tlon, tlat, "traffic").await;
    let c = post_incident(&w, lon, lat, "traffic").await;

    let got: Vec<Value> = [next(&mut city).await, next(&mut city).await, next(&mut city).await].into();
    assert_eq!(got.iter().map(|m| m["data"]["id"].as_u64().unwrap()).collect::<Vec<_>>(), [a, b, c]);
    assert!(got.iter().all(|m| m["type"] == "incident"));
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(start < seqs[0] && seqs[0] < seqs[1] && seqs[1] < seqs[2], "{start} {seqs:?}");
    assert_eq!(got[0]["data"]["cell_code"].as_str().map(|c| &c[..9]), Some("620602001"));
    // Jurisdiction and filters: the township user never sees Tianzhu's b.
    assert_eq!(next(&mut township).await["data"]["id"].as_u64(), Some(a));
    assert_eq!(next(&mut township).await["data"]["id"].as_u64(), Some(c));
    assert_eq!(next(&mut tianzhu).await["data"]["id"].as_u64(), Some(b));
    assert_eq!(next(&mut traffic).await["data"]["id"].as_u64(), Some(b));
    assert_eq!(next(&mut traffic).await["data"]["id"].as_u64(), Some(c));

    // A dispatch is an incident_changed and the unit turning busy.
    let unit = first_unit(&w);
    assert_eq!(step(&w, a, json!({"to": "dispatched", "unit": unit})).await.0, 200);
    let changed = next(&mut city).await;
    assert_eq!((changed["type"].as_str(), changed["data"]["id"].as_u64()), (Some("incident_changed"), Some(a)));
    assert_eq!(changed["data"]["to"], "dispatched");
    let moved = next(&mut city).await;
    assert_eq!((moved["type"].as_str(), moved["data"]["status"].as_str()), (Some("unit"), Some("busy")));

    // Resume: reconnecting with since = the first seq replays everything after it, in order.
    let mut req = format!("ws://{addr}/api/live?since={}", seqs[0]).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", w.token(Role::City)).parse().unwrap());
    let (mut again, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let replay: Vec<Value> = [next(&mut again).await, next(&mut again).await, next(&mut again).await].into();
    assert_eq!(replay[0]["seq"].as_u64(), Some(seqs[1]));
    assert_eq!(replay[1]["seq"].as_u64(), Some(seqs[2]));
    assert_eq!(replay[2]["type"], "incident_changed");

    // Bad parameters are refused before the upgrade; a region outside the jurisdiction is 403.
    let (s, e) = w.get("/api/live?since=x").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("since")), "{e}");
    let (s, e) = w.get("/api/live?category=crime").await;
    assert_eq!((s.as_u16(), e["error"]["field"].as_str()), (400, Some("category")), "{e}");
    let (s, e) = w.get("/api/live").await;
    assert_eq!(s, 400, "not a WebSocket request: {e}");
    let mut req = format!("ws://{addr}/api/live?region=620623000000").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", w.token(Role::Township)).parse().unwrap());
    let refused = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(refused.to_string().contains("403"), "{refused}");
    // Another site's page cannot open the feed with the user's session.
    let mut req = format!("ws://{addr}/api/live").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", w.token(Role::City)).parse().unwrap());
    req.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(refused.to_string().contains("403"), "{refused}");
    let mut req = format!("ws://{addr}/api/live").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {}", w.token(Role::City)).parse().unwrap());
    req.headers_mut().insert("origin", format!("http://{addr}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok(), "our own pages may");
}

/// The demo city at work: its history leaves about a few hours' events open with a few percent
/// overdue, and the demo feed, run for two days of clock in one-minute ticks at a full city's
/// rate, keeps it so (Little's law: the open count settles at rate × handling time, here about
/// 55 calls open for two and a half hours each and 45 综治 events open for most of a day).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_feed_keeps_the_open_queue_to_a_few_hours_of_events() {
    use server::incident_index::{CellScope, IncidentFilter};
    use server::live::demo_feed::Feed;
    let dir = tempfile::tempdir().unwrap();
    let store: std::sync::Arc<dyn store::Store> =
        std::sync::Arc::new(store::gpkg::GpkgStore::open(dir.path()).unwrap());
    let start = tests::test_now();
    let params = demo::DemoParams { base_incidents: 20_000, ..demo::DemoParams::new(7, start) };
    server::boot::seed_demo(store.as_ref(), &params, None).await.unwrap();
    let clock = std::sync::Arc::new(server::clock::FixedClock::new(start));
    let state = server::boot::load_state(store, clock.clone()).await.unwrap();
    let queue = |at: chrono::DateTime<chrono::Utc>| {
        let items = server::live::open_queue(&state, IncidentFilter::new(CellScope::all()), at, at - Duration::days(3));
        let overdue = items.iter().filter(|i| i.escalated_to.is_some()).count();
        (items.len(), overdue)
    };
    // The history: a tenth of the city's calls, so a tenth of its open events.
    let (open, overdue) = queue(start);
    assert!((1..=40).contains(&open), "the history leaves {open} events open");
    assert!(overdue * 5 <= open, "{overdue} of {open} overdue");
    // The units out on calls at the start are busy with them (the history's dispatches).
    let out_at_start = state.live.board().units().filter(|u| u.status == model::live::UnitStatus::Busy).count();
    assert!(out_at_start > 0, "no unit out at the start");
    // Hard cases (open for more than a month) are left to people.
    let mut old = IncidentFilter::new(CellScope::all());
    old.to_s = Some((start - Duration::days(30)).timestamp());
    let mut hard = Vec::new();
    state.index().for_each(&old, |p| {
        if p.status.is_open() {
            hard.push((p.id, p.status));
        }
    });
    let mut feed = Feed::new(&state, Some(0.4), 7).expect("the history has incidents to imitate");
    let mut hourly = Vec::new();
    for minute in 1..=48 * 60 {
        let now = start + Duration::minutes(minute);
        clock.set(now);
        feed.tick(&state).await;
        if minute % 60 == 0 {
            hourly.push(queue(now));
        }
    }
    let opens: Vec<usize> = hourly.iter().map(|h| h.0).collect();
    let overdue: usize = hourly.iter().map(|h| h.1).sum();
    let total: usize = opens.iter().sum();
    eprintln!("open each hour {opens:?}, overdue each hour {:?}", hourly.iter().map(|h| h.1).collect::<Vec<_>>());
    assert!(opens.iter().all(|&n| n <= 150), "open each hour {opens:?}");
    assert!(opens[2..].iter().all(|&n| n >= 20), "the feed reports: {opens:?}");
    // Settled by the second day, with no drift: its last twelve hours hold no more than its first.
    let first = *opens[24..36].iter().max().unwrap();
    let last = *opens[36..].iter().max().unwrap();
    assert!(last as f64 <= first as f64 * 1.25 + 10.0, "open each hour {opens:?}");
    assert!(overdue * 100 <= total * 8, "{overdue} overdue in {total} open-hours");
    // Every unit out is on a call still out, and every call out has its unit.
    let board = state.live.board();
    let index = state.index();
    for u in board.units().filter(|u| u.status == model::live::UnitStatus::Busy) {
        let call = u.incident.and_then(|id| index.get(model::IncidentId(id))).map(|p| p.status);
        assert!(matches!(call, Some(Status::Dispatched | Status::OnScene)), "unit {} is busy with {call:?}", u.id);
    }
    let mut out = IncidentFilter::new(CellScope::all());
    out.from_s = Some((start + Duration::hours(47)).timestamp());
    index.for_each(&out, |p| {
        if matches!(p.status, Status::Dispatched | Status::OnScene) {
            let unit = board.stage(p.id.0).and_then(|s| s.unit).and_then(|u| board.unit(u));
            assert!(unit.is_some_and(|u| u.incident == Some(p.id.0)), "call {} has no unit of its own", p.id.0);
        }
    });
    for (id, status) in hard {
        assert_eq!(index.get(id).map(|p| p.status), Some(status), "hard case {} was moved", id.0);
    }
}
